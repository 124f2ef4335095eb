//! Entry points for `QualysSession`: open, login, verify, bearer token, mask
//! forms and close, over the core's [`BlockingSession`]. The policy check on
//! a session is in `checks`.
//!
//! A session crosses to Java as a `long` handle: the address of a boxed
//! [`SessionHandle`]. The Java class guarantees that `close` runs once and
//! never while another call on the same handle is in progress (a
//! read-write lock), which is what makes dereferencing the handle sound.

use std::path::PathBuf;

use ::jni::objects::{JCharArray, JClass, JObject, JString};
use ::jni::sys::{jint, jlong};
use ::jni::{Env, EnvUnowned, JValue, jni_sig, jni_str};
use secrecy::ExposeSecret;

use super::convert::{
    Connection, explicit_proxy, long_or_null, optional_string, read_secret, secret_to_char_array,
    secrets_to_char_arrays, string_array_or_null, string_or_null,
};
use super::policy::{BridgeResult, ThrowBridgeException};
use crate::audit::{AuditLog, AuditSettings, RunContext};
use crate::blocking::BlockingSession;
use crate::error::Error;
use crate::gateway::Gateway;
use crate::platform::{Backend, Platform};
use crate::policy::validate_environment;
use crate::session::{Credential, LoginSummary, SessionConfig};

/// The target of a Java session handle: the core session, and the audit log
/// and environment label that the policy check reads back.
pub(crate) struct SessionHandle {
    pub(crate) session: BlockingSession,
    /// The audit log the session appends to, whose history the
    /// `separate-tokens` check reads.
    pub(crate) audit_log: Option<PathBuf>,
    /// The environment label of the audit records, and of the policy.
    pub(crate) environment: Option<String>,
}

/// Returns the session behind `handle`.
///
/// # Safety
///
/// `handle` must be 0 or a value returned by `open` that has not been passed
/// to `close`, and must stay so until the returned reference is dropped.
pub(crate) unsafe fn session<'a>(handle: jlong) -> BridgeResult<&'a SessionHandle> {
    if handle == 0 {
        return Err(Error::invalid("the session is closed; open a new session").into());
    }
    // SAFETY: the caller guarantees that a non-zero handle came from
    // `Box::into_raw` in `open` and is still live.
    Ok(unsafe { &*(handle as *const SessionHandle) })
}

/// `static native long open(String pod, String gatewayUrl, String platform,
/// String backend, String caPem, long connectTimeoutMillis,
/// long requestTimeoutMillis, int maxAttempts, long deadlineMillis,
/// String verifyPath, String username, char[] secret, String proxyHost,
/// int proxyPort, String proxyUsername, char[] proxyPassword,
/// String auditLogPath, String environment, String runId, String runUrl)`
///
/// Opens a session: a `null` username means `secret` is an API token,
/// otherwise it is the user's password. Negative durations and attempts keep
/// the core's defaults. An audit log is opened (created with mode 0600) now,
/// so that a path that cannot be written fails before the token is used. Its
/// directory must exist. `runId` and `runUrl` label the audit records, and
/// when both are `null` they are read from the runner's variables in this
/// process's environment. Nothing is sent until a token is requested.
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
    audit_log_path: JString<'local>,
    environment: JString<'local>,
    run_id: JString<'local>,
    run_url: JString<'local>,
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
            Connection {
                ca_pem: optional_string(env, &ca_pem)?,
                connect_timeout_millis,
                request_timeout_millis,
                max_attempts,
                deadline_millis,
            }
            .apply(&mut config.http, &mut config.retry)?;
            if let Some(path) = optional_string(env, &verify_path)? {
                config.verify_path = path;
            }
            if let Some(proxy) = explicit_proxy(
                env,
                &proxy_host,
                proxy_port,
                &proxy_username,
                &proxy_password,
            )? {
                config.http.proxy = proxy;
            }

            let environment = optional_string(env, &environment)?
                .map(|label| validate_environment(&label))
                .transpose()?;
            let audit_log = optional_string(env, &audit_log_path)?.map(PathBuf::from);
            if let Some(path) = &audit_log {
                let run = match (
                    optional_string(env, &run_id)?,
                    optional_string(env, &run_url)?,
                ) {
                    (None, None) => RunContext::detect_from_process(platform),
                    (run_id, run_url) => RunContext { run_id, run_url },
                };
                config.audit = Some(AuditSettings {
                    log: AuditLog::open(path.clone())?,
                    environment: environment.clone(),
                    run,
                });
            }

            let handle = SessionHandle {
                session: BlockingSession::new(config)?,
                audit_log,
                environment,
            };
            Ok(Box::into_raw(Box::new(handle)) as jlong)
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
                drop(unsafe { Box::from_raw(handle as *mut SessionHandle) });
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
            let summary = unsafe { session(handle) }?.session.login()?;
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
            unsafe { session(handle) }?.session.verify()?;
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
            let token = unsafe { session(handle) }?.session.bearer_token()?;
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
            let forms = zeroize::Zeroizing::new(unsafe { session(handle) }?.session.mask_forms());
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
