//! Private container registry login and logout for C callers: the core's
//! `registry::login_blocking` and `registry::logout_blocking`, with the
//! connection settings of an optional `qca_config`.

use std::ffi::c_char;
use std::path::PathBuf;

use zeroize::Zeroizing;

use crate::platform::Platform;
use crate::registry::{
    self, CredentialLookup, RegistryCredential, RegistryLogin, RegistryLogout, VerifySettings,
};

use super::config::qca_config;
use crate::error::Error;

use super::error::{Failure, guard, qca_error, qca_status};
use super::handles;

/// The report's `credential_source` for a credential passed to this interface.
const CREDENTIAL_SOURCE: &str = "passed to qca_registry_login by the host";

/// Verifies a user name and password with a container registry and stores
/// them where registry clients (QScanner, Docker, Podman, skopeo) read them,
/// without a Docker daemon and without a command line that shows the
/// password. Stores the report in `*report_json_out`.
///
/// `registry` is a registry host ("ghcr.io", "registry.example.com:5000")
/// or an image reference ("ghcr.io/org/app:1.0"); "docker.io" and bare
/// names such as "alpine" mean Docker Hub. The login checks the credential
/// with the Docker Registry HTTP API V2: `GET /v2/`, then Basic or the
/// Bearer token flow that the registry names. It stores the credential in
/// `<docker_config_dir>/config.json` as `auths.<registry>.auth`, or through
/// the credential helper that the file's `credsStore` or `credHelpers`
/// names. The file is merged (other entries and unknown keys are kept),
/// locked against concurrent logins, replaced atomically with mode 0600 and
/// read back. `docker_config_dir` NULL means `$DOCKER_CONFIG`, else
/// `~/.docker`; the directory is created with mode 0700 when missing.
///
/// `config` may be NULL: then the system's trust roots, the proxy
/// variables of the environment, the default timeouts and the platform
/// detected from the environment apply. When given, its CA PEM, proxy,
/// timeouts, retry limit, insecure-loopback setting (`http://` for a
/// registry on a loopback address) and platform apply; its gateway and
/// Qualys credential are not used.
///
/// The report is the JSON object of `qualys-ci-auth registry login --format
/// json` (README, "Private registries"): `schema_version`, `registry`,
/// `config_key`, `repository`, `status` ("logged-in"), `reason`, `username`,
/// `credential_source`, `verification` ("basic", "bearer" or
/// "not-required"), `stored_in` ("config-file" or "credential-helper"),
/// `config_path` and `credential_helper`. It never contains the password.
/// The caller owns the string and frees it with `qca_string_free`.
///
/// Secret: the `password_len` bytes of `password` (UTF-8, a single line) are
/// copied into memory that is wiped before the call returns; the caller's
/// buffer is only read. `config.json` then holds the base64 of
/// "username:password", as Docker writes it.
///
/// `*report_json_out` is written only on success. On failure, `*error_out`
/// receives an error when `error_out` is not NULL. Statuses: `QCA_OK`,
/// `QCA_NULL_ARGUMENT`, `QCA_INVALID_HANDLE`, `QCA_INVALID_UTF8`,
/// `QCA_INPUT_TOO_LARGE`, `QCA_INVALID_ARGUMENT` (a malformed reference, a
/// user name with ':', a multi-line password, an invalid proxy or CA),
/// `QCA_MISSING_CREDENTIAL` (an empty user name or password),
/// `QCA_REGISTRY_REJECTED` (HTTP 401 or 403; not retried),
/// `QCA_API_ERROR`, `QCA_NETWORK_ERROR`, `QCA_TLS_ERROR`, `QCA_TIMEOUT`,
/// `QCA_IO`, `QCA_CONFIG_MALFORMED` (`config.json` is not valid JSON of
/// the expected shape; it is left unchanged), `QCA_CREDENTIAL_HELPER_FAILED`,
/// `QCA_INTERNAL`, `QCA_PANIC`. Thread-safe; concurrent logins to one
/// directory are serialized by a lock file.
///
/// # Safety
///
/// `registry`, `username` and `docker_config_dir` must each be NULL or
/// point to a NUL-terminated string; `password` must be NULL or point to
/// `password_len` readable bytes; `report_json_out` and `error_out` must
/// each be NULL or point to writable memory for one pointer.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn qca_registry_login(
    config: *const qca_config,
    registry: *const c_char,
    username: *const c_char,
    password: *const u8,
    password_len: usize,
    docker_config_dir: *const c_char,
    report_json_out: *mut *mut c_char,
    error_out: *mut *mut qca_error,
) -> qca_status {
    guard("qca_registry_login", error_out, || {
        let out = handles::out_param(report_json_out, "report_json_out")?;
        let (settings, platform) = if config.is_null() {
            (VerifySettings::default(), Platform::detect_from_process())
        } else {
            handles::lookup(config, "config")?.registry_settings()?
        };
        // SAFETY: forwarded from this function's contract.
        let reference = unsafe { handles::read_str(registry, "registry") }?;
        // SAFETY: forwarded from this function's contract.
        let username = unsafe { handles::read_str(username, "username") }?;
        // SAFETY: forwarded from this function's contract.
        let password = unsafe { handles::read_secret(password, password_len, "password") }?;
        // SAFETY: forwarded from this function's contract.
        let docker_config = unsafe { docker_config_path(docker_config_dir) }?;

        let request = RegistryLogin {
            reference: reference.to_owned(),
            credential: Some(RegistryCredential::new(username, password)?),
            credential_source: Some(CREDENTIAL_SOURCE.to_owned()),
            lookup: CredentialLookup::default(),
            platform,
            settings,
            docker_config,
        };
        let report = registry::login_blocking(&request)?;

        let json = serde_json::to_vec(&report)
            .map_err(|e| Failure::internal(format!("formatting the login report failed: {e}")))?;
        let text = handles::register_string(Zeroizing::new(json))?;
        // SAFETY: `out` is not NULL and the caller guarantees it is writable.
        unsafe { out.write(text) };
        Ok(())
    })
}

/// Removes the stored credential of one registry: exactly its entry in
/// `<docker_config_dir>/config.json`, and the credential helper's entry
/// when the file names a helper. Other entries and keys are kept. Nothing
/// is sent to the registry. Stores the report in `*report_json_out`.
///
/// `registry` and `docker_config_dir` are as for `qca_registry_login`.
/// `config` may be NULL; when given, only its insecure-loopback setting
/// applies (an `http://` reference for a loopback registry).
///
/// The report is the JSON object of `qualys-ci-auth registry logout
/// --format json`: `schema_version`, `registry`, `config_key`,
/// `config_path`, `removed` (whether any stored credential was removed),
/// `removed_from_file`, `credential_helper` and `erased_in_helper`. A
/// registry without an entry is not an error: `removed` is false. The
/// caller owns the string and frees it with `qca_string_free`.
///
/// `*report_json_out` is written only on success. On failure, `*error_out`
/// receives an error when `error_out` is not NULL. Statuses: `QCA_OK`,
/// `QCA_NULL_ARGUMENT`, `QCA_INVALID_HANDLE`, `QCA_INVALID_UTF8`,
/// `QCA_INPUT_TOO_LARGE`, `QCA_INVALID_ARGUMENT`, `QCA_IO`,
/// `QCA_CONFIG_MALFORMED`, `QCA_CREDENTIAL_HELPER_FAILED`, `QCA_INTERNAL`,
/// `QCA_PANIC`. Thread-safe.
///
/// # Safety
///
/// `registry` and `docker_config_dir` must each be NULL or point to a
/// NUL-terminated string; `report_json_out` and `error_out` must each be
/// NULL or point to writable memory for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qca_registry_logout(
    config: *const qca_config,
    registry: *const c_char,
    docker_config_dir: *const c_char,
    report_json_out: *mut *mut c_char,
    error_out: *mut *mut qca_error,
) -> qca_status {
    guard("qca_registry_logout", error_out, || {
        let out = handles::out_param(report_json_out, "report_json_out")?;
        let allow_insecure_loopback = if config.is_null() {
            false
        } else {
            handles::lookup(config, "config")?.allow_insecure_loopback()
        };
        // SAFETY: forwarded from this function's contract.
        let reference = unsafe { handles::read_str(registry, "registry") }?;
        // SAFETY: forwarded from this function's contract.
        let docker_config = unsafe { docker_config_path(docker_config_dir) }?;

        let request = RegistryLogout {
            reference: reference.to_owned(),
            allow_insecure_loopback,
            docker_config,
        };
        let report = registry::logout_blocking(&request)?;

        let json = serde_json::to_vec(&report)
            .map_err(|e| Failure::internal(format!("formatting the logout report failed: {e}")))?;
        let text = handles::register_string(Zeroizing::new(json))?;
        // SAFETY: `out` is not NULL and the caller guarantees it is writable.
        unsafe { out.write(text) };
        Ok(())
    })
}

/// Reads the optional `docker_config_dir` argument.
///
/// # Safety
///
/// As for `handles::read_str`.
unsafe fn docker_config_path(pointer: *const c_char) -> Result<Option<PathBuf>, Failure> {
    // SAFETY: forwarded from this function's contract.
    let dir = unsafe { handles::read_optional_str(pointer, "docker_config_dir") }?;
    if dir.is_some_and(|dir| dir.trim().is_empty()) {
        return Err(Error::invalid(
            "the Docker config directory is empty; pass a directory, or NULL for $DOCKER_CONFIG or ~/.docker",
        )
        .into());
    }
    Ok(dir.map(PathBuf::from))
}
