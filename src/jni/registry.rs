//! Entry points for `QualysAuth.registryLogin` and `registryLogout`: a
//! private registry login with a credential that the host passes from
//! memory, over the core's [`login_blocking`] and [`logout_blocking`].

use std::path::PathBuf;

use ::jni::objects::{JCharArray, JClass, JObject, JString};
use ::jni::sys::{jboolean, jint, jlong};
use ::jni::{Env, EnvUnowned, JValue, jni_sig, jni_str};

use super::convert::{
    Connection, boolean_or_null, explicit_proxy, optional_string, read_secret, required_string,
    string_or_null,
};
use super::policy::{BridgeResult, ThrowBridgeException};
use crate::error::Error;
use crate::platform::Platform;
use crate::registry::{
    LoginStatus, RegistryCredential, RegistryLogin, RegistryLoginReport, RegistryLogout,
    RegistryLogoutReport, RegistryRef, StoreKind, login_blocking, logout_blocking,
};

/// `static native RegistryLoginReport registryLogin(String reference,
/// String username, char[] password, String credentialSource,
/// String platform, String dockerConfigDir, boolean allowInsecureLoopback,
/// String caPem, long connectTimeoutMillis, long requestTimeoutMillis,
/// int maxAttempts, long deadlineMillis, String proxyHost, int proxyPort,
/// String proxyUsername, char[] proxyPassword)`
///
/// Verifies the user name and password with the registry's HTTP API V2 and
/// stores them in `dockerConfigDir/config.json` (or its credential helper).
/// A `null` directory means `$DOCKER_CONFIG`, else `~/.docker`, of this
/// process. `credentialSource` names where the credential came from, for
/// the report (a credential ID, never a value).
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_io_qualysciauth_bridge_NativeBridge_registryLogin<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
    reference: JString<'local>,
    username: JString<'local>,
    password: JCharArray<'local>,
    credential_source: JString<'local>,
    platform: JString<'local>,
    docker_config_dir: JString<'local>,
    allow_insecure_loopback: jboolean,
    ca_pem: JString<'local>,
    connect_timeout_millis: jlong,
    request_timeout_millis: jlong,
    max_attempts: jint,
    deadline_millis: jlong,
    proxy_host: JString<'local>,
    proxy_port: jint,
    proxy_username: JString<'local>,
    proxy_password: JCharArray<'local>,
) -> JObject<'local> {
    unowned_env
        .with_env(|env| -> BridgeResult<JObject<'local>> {
            let mut request = RegistryLogin::new(required_string(env, &reference, "registry")?);
            request.credential = Some(RegistryCredential::new(
                required_string(env, &username, "registry user name")?,
                read_secret(env, &password, "registry password")?,
            )?);
            request.credential_source = optional_string(env, &credential_source)?;
            if let Some(name) = optional_string(env, &platform)? {
                request.platform = name.parse::<Platform>()?;
            }
            request.docker_config = optional_string(env, &docker_config_dir)?.map(PathBuf::from);
            request.settings.allow_insecure_loopback = allow_insecure_loopback;
            Connection {
                ca_pem: optional_string(env, &ca_pem)?,
                connect_timeout_millis,
                request_timeout_millis,
                max_attempts,
                deadline_millis,
            }
            .apply(&mut request.settings.http, &mut request.settings.retry)?;
            if let Some(proxy) = explicit_proxy(
                env,
                &proxy_host,
                proxy_port,
                &proxy_username,
                &proxy_password,
            )? {
                request.settings.http.proxy = proxy;
            }

            let report = login_blocking(&request)?;
            login_report(env, &report)
        })
        .resolve::<ThrowBridgeException>()
}

/// `static native RegistryLogoutReport registryLogout(String reference,
/// String dockerConfigDir, boolean allowInsecureLoopback)`
///
/// Removes the registry's entry from `dockerConfigDir/config.json` (and from
/// its credential helper); every other entry stays.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_qualysciauth_bridge_NativeBridge_registryLogout<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
    reference: JString<'local>,
    docker_config_dir: JString<'local>,
    allow_insecure_loopback: jboolean,
) -> JObject<'local> {
    unowned_env
        .with_env(|env| -> BridgeResult<JObject<'local>> {
            let request = RegistryLogout {
                reference: required_string(env, &reference, "registry")?,
                allow_insecure_loopback,
                docker_config: optional_string(env, &docker_config_dir)?.map(PathBuf::from),
            };
            let report = logout_blocking(&request)?;
            logout_report(env, &report)
        })
        .resolve::<ThrowBridgeException>()
}

/// `static native String registryApiUrl(String reference,
/// boolean allowInsecureLoopback)`
///
/// Returns the base URL of the registry API that a login to `reference` (a
/// host or an image reference) calls, such as `https://registry-1.docker.io`
/// for `alpine`, so that a host can match it against its proxy exceptions.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_qualysciauth_bridge_NativeBridge_registryApiUrl<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
    reference: JString<'local>,
    allow_insecure_loopback: jboolean,
) -> JObject<'local> {
    unowned_env
        .with_env(|env| -> BridgeResult<JObject<'local>> {
            let reference = RegistryRef::parse(
                &required_string(env, &reference, "registry")?,
                allow_insecure_loopback,
            )?;
            string_or_null(env, Some(&reference.api_base()))
        })
        .resolve::<ThrowBridgeException>()
}

/// Builds an `io.qualysciauth.bridge.RegistryLoginReport`.
fn login_report<'local>(
    env: &mut Env<'local>,
    report: &RegistryLoginReport,
) -> BridgeResult<JObject<'local>> {
    let schema_version = schema_version(report.schema_version)?;
    let status = match report.status {
        LoginStatus::LoggedIn => "logged-in",
        LoginStatus::Skipped => "skipped",
    };
    let stored_in = report.stored_in.map(|kind| match kind {
        StoreKind::ConfigFile => "config-file",
        StoreKind::CredentialHelper => "credential-helper",
    });

    let registry = string_or_null(env, Some(&report.registry))?;
    let config_key = string_or_null(env, Some(&report.config_key))?;
    let repository = string_or_null(env, report.repository.as_deref())?;
    let status = string_or_null(env, Some(status))?;
    let reason = string_or_null(env, report.reason.as_deref())?;
    let username = string_or_null(env, report.username.as_deref())?;
    let source = string_or_null(env, report.credential_source.as_deref())?;
    let verification = string_or_null(env, report.verification.map(|v| v.as_str()))?;
    let stored_in = string_or_null(env, stored_in)?;
    let config_path = string_or_null(env, Some(&report.config_path))?;
    let helper = string_or_null(env, report.credential_helper.as_deref())?;

    let class = env.find_class(jni_str!("io/qualysciauth/bridge/RegistryLoginReport"))?;
    let object = env.new_object(
        &class,
        jni_sig!(
            "(ILjava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;)V"
        ),
        &[
            JValue::Int(schema_version),
            JValue::Object(&registry),
            JValue::Object(&config_key),
            JValue::Object(&repository),
            JValue::Object(&status),
            JValue::Object(&reason),
            JValue::Object(&username),
            JValue::Object(&source),
            JValue::Object(&verification),
            JValue::Object(&stored_in),
            JValue::Object(&config_path),
            JValue::Object(&helper),
        ],
    )?;
    Ok(object)
}

/// Builds an `io.qualysciauth.bridge.RegistryLogoutReport`.
fn logout_report<'local>(
    env: &mut Env<'local>,
    report: &RegistryLogoutReport,
) -> BridgeResult<JObject<'local>> {
    let schema_version = schema_version(report.schema_version)?;
    let registry = string_or_null(env, Some(&report.registry))?;
    let config_key = string_or_null(env, Some(&report.config_key))?;
    let config_path = string_or_null(env, Some(&report.config_path))?;
    let helper = string_or_null(env, report.credential_helper.as_deref())?;
    let erased_in_helper = boolean_or_null(env, report.erased_in_helper)?;

    let class = env.find_class(jni_str!("io/qualysciauth/bridge/RegistryLogoutReport"))?;
    let object = env.new_object(
        &class,
        jni_sig!(
            "(ILjava/lang/String;Ljava/lang/String;Ljava/lang/String;ZZLjava/lang/String;Ljava/lang/Boolean;)V"
        ),
        &[
            JValue::Int(schema_version),
            JValue::Object(&registry),
            JValue::Object(&config_key),
            JValue::Object(&config_path),
            JValue::Bool(report.removed),
            JValue::Bool(report.removed_from_file),
            JValue::Object(&helper),
            JValue::Object(&erased_in_helper),
        ],
    )?;
    Ok(object)
}

fn schema_version(version: u32) -> BridgeResult<jint> {
    jint::try_from(version)
        .map_err(|_| Error::internal("the report's schema version does not fit a Java int").into())
}
