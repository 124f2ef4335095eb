//! Entry points that need no session: mask forms of a secret, offline token
//! inspection, gateway resolution, the credential rule, the POD names, the
//! error-code table, and two error-path probes for the bridge's tests.

use ::jni::objects::{JCharArray, JClass, JObject, JString};
use ::jni::sys::jint;
use ::jni::{Env, EnvUnowned, JValue, jni_sig, jni_str};
use secrecy::ExposeSecret;

use super::convert::{
    boolean_or_null, long_or_null, optional_string, read_secret, required_string,
    secrets_to_char_arrays, string_array_or_null, string_or_null,
};
use super::policy::{BridgeResult, ERROR_CODES, ThrowBridgeException};
use crate::error::{Error, ErrorCode, Target};
use crate::gateway::{Gateway, PODS};
use crate::platform::CREDENTIAL_RULE;
use crate::token::{Claims, InspectedToken};

/// `static native char[][] maskFormsOf(char[] secret, String username)`:
/// [`crate::mask::mask_forms`] of a secret, and of `username:secret` when a
/// user name is given.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_qualysciauth_bridge_NativeBridge_maskFormsOf<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
    secret: JCharArray<'local>,
    username: JString<'local>,
) -> JObject<'local> {
    unowned_env
        .with_env(|env| -> BridgeResult<JObject<'local>> {
            let secret = read_secret(env, &secret, "secret")?;
            let username = optional_string(env, &username)?;
            let forms = zeroize::Zeroizing::new(crate::mask::mask_forms(
                secret.expose_secret(),
                username.as_deref(),
            ));
            secrets_to_char_arrays(env, &forms)
        })
        .resolve::<ThrowBridgeException>()
}

/// `static native TokenInspection inspect(char[] token)`: what a token
/// carries, decoded offline without verifying its signature.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_qualysciauth_bridge_NativeBridge_inspect<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
    token: JCharArray<'local>,
) -> JObject<'local> {
    unowned_env
        .with_env(|env| -> BridgeResult<JObject<'local>> {
            let raw = read_secret(env, &token, "access token")?;
            let inspected = InspectedToken::parse(raw.expose_secret())?;
            token_inspection(env, &inspected)
        })
        .resolve::<ThrowBridgeException>()
}

/// Builds an `io.qualysciauth.bridge.TokenInspection`.
fn token_inspection<'local>(
    env: &mut Env<'local>,
    inspected: &InspectedToken,
) -> BridgeResult<JObject<'local>> {
    let claims: Option<&Claims> = inspected.claims();
    let token_kind = string_or_null(env, Some(if claims.is_some() { "jwt" } else { "opaque" }))?;
    let fingerprint = string_or_null(env, Some(&inspected.fingerprint))?;
    let subject = string_or_null(env, claims.and_then(|c| c.sub.as_deref()))?;
    let issuer = string_or_null(env, claims.and_then(|c| c.iss.as_deref()))?;
    let credential_type = string_or_null(env, claims.and_then(|c| c.credential_type.as_deref()))?;
    let user_type = string_or_null(env, claims.and_then(|c| c.usertype.as_deref()))?;
    let issued_at = long_or_null(env, claims.and_then(|c| c.iat))?;
    let expires_at = long_or_null(env, claims.and_then(|c| c.exp))?;
    let scopes = string_array_or_null(env, claims.and_then(|c| c.modules_allowed.as_deref()))?;
    let container_security = boolean_or_null(env, claims.and_then(Claims::has_container_security))?;

    let class = env.find_class(jni_str!("io/qualysciauth/bridge/TokenInspection"))?;
    let object = env.new_object(
        &class,
        jni_sig!(
            "(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/Long;Ljava/lang/Long;[Ljava/lang/String;Ljava/lang/Boolean;)V"
        ),
        &[
            JValue::Object(&token_kind),
            JValue::Object(&fingerprint),
            JValue::Object(&subject),
            JValue::Object(&issuer),
            JValue::Object(&credential_type),
            JValue::Object(&user_type),
            JValue::Object(&issued_at),
            JValue::Object(&expires_at),
            JValue::Object(&scopes),
            JValue::Object(&container_security),
        ],
    )?;
    Ok(object)
}

/// `static native String[] resolveGateway(String pod, String gatewayUrl)`:
/// `{url, pod}` of the gateway, `pod` being `null` for an explicit URL that
/// is no POD's. Exactly one of the arguments must be given.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_qualysciauth_bridge_NativeBridge_resolveGateway<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
    pod: JString<'local>,
    gateway_url: JString<'local>,
) -> JObject<'local> {
    unowned_env
        .with_env(|env| -> BridgeResult<JObject<'local>> {
            let gateway = Gateway::resolve(
                optional_string(env, &pod)?.as_deref(),
                optional_string(env, &gateway_url)?.as_deref(),
                false,
            )?;
            let pair = [gateway.url, gateway.pod.unwrap_or_default().to_owned()];
            string_array_or_null(env, Some(&pair))
        })
        .resolve::<ThrowBridgeException>()
}

/// `static native String credentialRule()`: the rule that pairs credential
/// kinds with backends and platforms, as quoted in every rejection.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_qualysciauth_bridge_NativeBridge_credentialRule<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
) -> JObject<'local> {
    unowned_env
        .with_env(|env| -> BridgeResult<JObject<'local>> {
            string_or_null(env, Some(CREDENTIAL_RULE))
        })
        .resolve::<ThrowBridgeException>()
}

/// `static native String[] podNames()`: the names in the core's POD table.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_qualysciauth_bridge_NativeBridge_podNames<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
) -> JObject<'local> {
    unowned_env
        .with_env(|env| -> BridgeResult<JObject<'local>> {
            let names: Vec<String> = PODS.iter().map(|pod| pod.name.to_owned()).collect();
            string_array_or_null(env, Some(&names))
        })
        .resolve::<ThrowBridgeException>()
}

/// `static native String version()`: the native library's crate version.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_qualysciauth_bridge_NativeBridge_version<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
) -> JObject<'local> {
    unowned_env
        .with_env(|env| -> BridgeResult<JObject<'local>> {
            string_or_null(env, Some(env!("CARGO_PKG_VERSION")))
        })
        .resolve::<ThrowBridgeException>()
}

/// `static native String[] errorCodes()`: every core error code as
/// `"<number> <name>"`, for the Java test that keeps `ErrorCode` in step.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_qualysciauth_bridge_NativeBridge_errorCodes<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
) -> JObject<'local> {
    unowned_env
        .with_env(|env| -> BridgeResult<JObject<'local>> {
            let rows: Vec<String> = ERROR_CODES
                .iter()
                .map(|code| format!("{} {}", *code as u32, code.as_str()))
                .collect();
            string_array_or_null(env, Some(&rows))
        })
        .resolve::<ThrowBridgeException>()
}

/// `static native void throwSampleError(int code)`: fails with a core error
/// of `code` built from sample values, so that the bridge's tests can check
/// the exception of codes that no call can be made to produce on demand (a
/// local I/O failure, an internal error).
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_qualysciauth_bridge_NativeBridge_throwSampleError<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
    code: jint,
    detail: JString<'local>,
) {
    unowned_env
        .with_env(|env| -> BridgeResult<()> {
            let detail = required_string(env, &detail, "sample detail")?;
            let code = ERROR_CODES
                .into_iter()
                .find(|known| u32::try_from(code) == Ok(*known as u32))
                .ok_or_else(|| Error::invalid(format!("{code} is not a core error code")))?;
            Err(sample_error(code, detail).into())
        })
        .resolve::<ThrowBridgeException>()
}

/// `static native void panicForTest(String message)`: panics, so that the
/// bridge's tests can check that a panic becomes an `InternalException`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_qualysciauth_bridge_NativeBridge_panicForTest<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
    message: JString<'local>,
) {
    unowned_env
        .with_env(|env| -> BridgeResult<()> {
            let message = required_string(env, &message, "panic message")?;
            panic!("{message}");
        })
        .resolve::<ThrowBridgeException>()
}

/// Builds a core error of `code` whose free-text fields carry `detail`.
fn sample_error(code: ErrorCode, detail: String) -> Error {
    let target = Target {
        pod: None,
        url: "https://gateway.example.invalid".to_owned(),
    };
    match code {
        ErrorCode::InvalidArgument => Error::invalid(detail),
        ErrorCode::CredentialNotAllowed => Error::CredentialNotAllowed { message: detail },
        ErrorCode::MissingCredential => Error::missing(detail),
        ErrorCode::AuthenticationFailed => Error::AuthenticationFailed {
            target,
            username: detail,
        },
        ErrorCode::TokenRejected => Error::TokenRejected { target },
        ErrorCode::TokenExpired => Error::TokenExpired { expired_at: detail },
        ErrorCode::PermissionDenied => Error::PermissionDenied { message: detail },
        ErrorCode::ApiError => Error::Api {
            target,
            request: "GET /sample".to_owned(),
            detail,
            status: Some(418),
        },
        ErrorCode::RateLimited => Error::RateLimited {
            target,
            path: "/sample".to_owned(),
            attempts: 1,
            hint: detail,
        },
        ErrorCode::NetworkError => Error::Network {
            target,
            attempts: 1,
            cause: detail,
        },
        ErrorCode::TlsError => Error::Tls {
            host: "gateway.example.invalid".to_owned(),
            cause: detail,
        },
        ErrorCode::Timeout => Error::Timeout {
            target,
            attempts: 1,
            elapsed: std::time::Duration::from_secs(1),
            deadline: std::time::Duration::from_secs(1),
            cause: detail,
        },
        ErrorCode::Io => Error::io("reading", "/sample", std::io::Error::other(detail)),
        ErrorCode::RegistryRejected => Error::RegistryRejected {
            registry: "registry.example.invalid".to_owned(),
            username: "sample-user".to_owned(),
            detail,
        },
        ErrorCode::ConfigMalformed => Error::ConfigMalformed {
            path: "/sample/config.json".to_owned(),
            cause: detail,
        },
        ErrorCode::CredentialHelperFailed => Error::CredentialHelper {
            helper: "sample".to_owned(),
            action: "store".to_owned(),
            cause: detail,
        },
        ErrorCode::Internal => Error::internal(detail),
        ErrorCode::PolicyFailed => Error::PolicyFailed { message: detail },
    }
}
