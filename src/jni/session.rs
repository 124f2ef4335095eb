//! Entry points for `QualysSession`: open, login, verify, bearer token, mask
//! forms and close, over the core's [`BlockingSession`].
//!
//! A session crosses to Java as a `long` handle: the address of a boxed
//! `BlockingSession`. The Java class guarantees that `close` runs once and
//! never while another call on the same handle is in progress (a
//! read-write lock), which is what makes dereferencing the handle sound.

use std::time::Duration;

use ::jni::objects::{JCharArray, JClass, JObject, JString};
use ::jni::sys::{jint, jlong};
use ::jni::{Env, EnvUnowned, JValue, jni_sig, jni_str};
use secrecy::ExposeSecret;

use super::convert::{
    long_or_null, optional_string, read_secret, secret_to_char_array, secrets_to_char_arrays,
    string_array_or_null, string_or_null,
};
use super::policy::{BridgeResult, ThrowBridgeException};
use crate::blocking::BlockingSession;
use crate::error::Error;
use crate::gateway::Gateway;
use crate::http::{ExplicitProxy, ProxySettings};
use crate::platform::{Backend, Platform};
use crate::session::{Credential, LoginSummary, SessionConfig};

/// Returns the session behind `handle`.
///
/// # Safety
///
/// `handle` must be 0 or a value returned by `open` that has not been passed
/// to `close`, and must stay so until the returned reference is dropped.
unsafe fn session<'a>(handle: jlong) -> BridgeResult<&'a BlockingSession> {
    if handle == 0 {
        return Err(Error::invalid("the session is closed; open a new session").into());
    }
    // SAFETY: the caller guarantees that a non-zero handle came from
    // `Box::into_raw` in `open` and is still live.
    Ok(unsafe { &*(handle as *const BlockingSession) })
}

/// Converts a Java duration in milliseconds; a negative value means "keep
/// the core's default" and `what` names the setting in the error for 0.
fn millis(value: jlong, what: &str) -> BridgeResult<Option<Duration>> {
    match u64::try_from(value) {
        Err(_) => Ok(None),
        Ok(0) => Err(Error::invalid(format!(
            "the {what} is 0 ms; pass a positive number of milliseconds"
        ))
        .into()),
        Ok(millis) => Ok(Some(Duration::from_millis(millis))),
    }
}

/// `static native long open(String pod, String gatewayUrl, String platform,
/// String backend, String caPem, long connectTimeoutMillis,
/// long requestTimeoutMillis, int maxAttempts, long deadlineMillis,
/// String verifyPath, String username, char[] secret, String proxyHost,
/// int proxyPort, String proxyUsername, char[] proxyPassword)`
///
/// Opens a session: a `null` username means `secret` is an API token,
/// otherwise it is the user's password. Negative durations and attempts keep
/// the core's defaults. Nothing is sent until a token is requested.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_io_qualysciauth_bridge_NativeBridge_open<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
    pod: JString<'local>,
    gateway_url: JString<'local>,
    platform: JString<'local>,
    backend: JString<'local>,
    ca_pem: JString<'local>,
    connect_timeout_millis: jlong,
    request_timeout_millis: jlong,
    max_attempts: jint,
    deadline_millis: jlong,
    verify_path: JString<'local>,
    username: JString<'local>,
    secret: JCharArray<'local>,
    proxy_host: JString<'local>,
    proxy_port: jint,
    proxy_username: JString<'local>,
    proxy_password: JCharArray<'local>,
) -> jlong {
    unowned_env
        .with_env(|env| -> BridgeResult<jlong> {
            let gateway = Gateway::resolve(
                optional_string(env, &pod)?.as_deref(),
                optional_string(env, &gateway_url)?.as_deref(),
                false,
            )?;
            let platform = match optional_string(env, &platform)? {
                Some(name) => name.parse::<Platform>()?,
                None => Platform::detect_from_process(),
            };
            let credential = match optional_string(env, &username)? {
                Some(username) => Credential::UsernamePassword {
                    username,
                    password: read_secret(env, &secret, "password")?,
                },
                None => Credential::ApiToken(read_secret(env, &secret, "API token")?),
            };

            let mut config = SessionConfig::new(gateway, credential, platform);
            config.backend = optional_string(env, &backend)?
                .map(|name| name.parse::<Backend>())
                .transpose()?;
            config.http.extra_ca_pem = optional_string(env, &ca_pem)?;
            if let Some(timeout) = millis(connect_timeout_millis, "connect timeout")? {
                config.http.connect_timeout = timeout;
            }
            if let Some(timeout) = millis(request_timeout_millis, "request timeout")? {
                config.http.request_timeout = timeout;
            }
            match u32::try_from(max_attempts) {
                Err(_) => {}
                Ok(0) => {
                    return Err(Error::invalid(
                        "the maximum number of attempts is 0; pass 1 or more",
                    )
                    .into());
                }
                Ok(attempts) => config.retry.max_attempts = attempts,
            }
            if let Some(deadline) = millis(deadline_millis, "deadline")? {
                config.retry.deadline = deadline;
            }
            if let Some(path) = optional_string(env, &verify_path)? {
                config.verify_path = path;
            }

            // Jenkins's proxy has already been matched against its "No Proxy
            // Host" list by the plugin, so it applies to this gateway as given.
            if let Some(host) = optional_string(env, &proxy_host)? {
                let port = u16::try_from(proxy_port)
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or_else(|| {
                        Error::invalid(format!(
                            "the proxy port {proxy_port} is out of range; pass 1 to 65535"
                        ))
                    })?;
                let password = if proxy_password.is_null() {
                    None
                } else {
                    Some(read_secret(env, &proxy_password, "proxy password")?)
                };
                let host = if host.contains(':') && !host.starts_with('[') {
                    format!("[{host}]")
                } else {
                    host
                };
                config.http.proxy = ProxySettings::Explicit(ExplicitProxy {
                    url: format!("http://{host}:{port}"),
                    username: optional_string(env, &proxy_username)?,
                    password,
                    no_proxy: None,
                });
            }

            let session = BlockingSession::new(config)?;
            Ok(Box::into_raw(Box::new(session)) as jlong)
        })
        .resolve::<ThrowBridgeException>()
}

/// `static native void close(long handle)`: frees the session; 0 is ignored.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_qualysciauth_bridge_NativeBridge_close<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
) {
    unowned_env
        .with_env(|_env| -> BridgeResult<()> {
            if handle != 0 {
                // SAFETY: the Java side calls `close` once per handle from
                // `open`, after every other call on it has returned.
                drop(unsafe { Box::from_raw(handle as *mut BlockingSession) });
            }
            Ok(())
        })
        .resolve::<ThrowBridgeException>()
}

/// `static native LoginSummary login(long handle)`: authenticates, verifies
/// the token with the gateway and reports it.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_qualysciauth_bridge_NativeBridge_login<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
) -> JObject<'local> {
    unowned_env
        .with_env(|env| -> BridgeResult<JObject<'local>> {
            // SAFETY: see `session`; the Java side holds the handle's read lock.
            let summary = unsafe { session(handle) }?.login()?;
            login_summary(env, &summary)
        })
        .resolve::<ThrowBridgeException>()
}

/// `static native void verify(long handle)`: checks the current token with
/// one Container Security call.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_qualysciauth_bridge_NativeBridge_verify<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
) {
    unowned_env
        .with_env(|_env| -> BridgeResult<()> {
            // SAFETY: see `session`; the Java side holds the handle's read lock.
            unsafe { session(handle) }?.verify()?;
            Ok(())
        })
        .resolve::<ThrowBridgeException>()
}

/// `static native char[] bearerToken(long handle)`: a valid bearer token,
/// fetched or refreshed when needed. The Java caller clears the array.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_qualysciauth_bridge_NativeBridge_bearerToken<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
) -> JObject<'local> {
    unowned_env
        .with_env(|env| -> BridgeResult<JObject<'local>> {
            // SAFETY: see `session`; the Java side holds the handle's read lock.
            let token = unsafe { session(handle) }?.bearer_token()?;
            Ok(secret_to_char_array(env, token.expose_secret())?.into())
        })
        .resolve::<ThrowBridgeException>()
}

/// `static native char[][] maskForms(long handle)`: every form of the
/// session's secrets (and of a cached JWT) that a log masker must hide.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_qualysciauth_bridge_NativeBridge_maskForms<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
) -> JObject<'local> {
    unowned_env
        .with_env(|env| -> BridgeResult<JObject<'local>> {
            // SAFETY: see `session`; the Java side holds the handle's read lock.
            let forms = zeroize::Zeroizing::new(unsafe { session(handle) }?.mask_forms());
            secrets_to_char_arrays(env, &forms)
        })
        .resolve::<ThrowBridgeException>()
}

/// Builds an `io.qualysciauth.bridge.LoginSummary` from the core's summary.
fn login_summary<'local>(
    env: &mut Env<'local>,
    summary: &LoginSummary,
) -> BridgeResult<JObject<'local>> {
    let credential = serde_json::to_value(summary.credential)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .ok_or_else(|| Error::internal("the credential kind has no JSON name"))?;

    let gateway = string_or_null(env, Some(&summary.gateway))?;
    let pod = string_or_null(env, summary.pod.as_deref())?;
    let backend = string_or_null(env, Some(summary.backend.as_str()))?;
    let platform = string_or_null(env, Some(summary.platform.as_str()))?;
    let credential = string_or_null(env, Some(&credential))?;
    let user = string_or_null(env, summary.user.as_deref())?;
    let token_kind = string_or_null(env, Some(summary.token_kind))?;
    let fingerprint = string_or_null(env, Some(&summary.token_fingerprint))?;
    let issued_at = string_or_null(env, summary.issued_at.as_deref())?;
    let expires_at = string_or_null(env, summary.expires_at.as_deref())?;
    let expires_in = long_or_null(env, summary.expires_in_seconds)?;
    let scopes = string_array_or_null(env, summary.scopes.as_deref())?;
    let schema_version = jint::try_from(summary.schema_version)
        .map_err(|_| Error::internal("the summary's schema version does not fit a Java int"))?;

    // `find_class` resolves through the loader of the calling class, so a
    // bridge loaded twice gets its own LoginSummary class each time.
    let class = env.find_class(jni_str!("io/qualysciauth/bridge/LoginSummary"))?;
    let object = env.new_object(
        &class,
        jni_sig!(
            "(ILjava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/Long;[Ljava/lang/String;Z)V"
        ),
        &[
            JValue::Int(schema_version),
            JValue::Object(&gateway),
            JValue::Object(&pod),
            JValue::Object(&backend),
            JValue::Object(&platform),
            JValue::Object(&credential),
            JValue::Object(&user),
            JValue::Object(&token_kind),
            JValue::Object(&fingerprint),
            JValue::Object(&issued_at),
            JValue::Object(&expires_at),
            JValue::Object(&expires_in),
            JValue::Object(&scopes),
            JValue::Bool(summary.verified),
        ],
    )?;
    Ok(object)
}
