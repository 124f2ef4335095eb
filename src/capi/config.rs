//! `qca_config`: the settings of a session, collected one call at a time and
//! turned into the core's `SessionConfig` by `qca_session_new`.
//!
//! Setters check only what the C boundary must (NULL, UTF-8, size) and store
//! the value. The core checks the values themselves when `qca_session_new`
//! builds the session, because that call can return an error object with a
//! message that names the value and the fix.

use std::ffi::c_char;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::error::Error;
use crate::gateway::Gateway;
use crate::platform::{Backend, Platform};
use crate::session::{Credential, SessionConfig};

use super::error::{Failure, guard, guard_value, qca_status};
use super::handles::{self, QCA_MAX_PEM_LEN};

/// Settings for `qca_session_new`: the gateway, the credential and the
/// connection options. Create it with `qca_config_new` and free it with
/// `qca_config_free`. A session copies what it needs, so the config may be
/// freed or changed once the session exists.
///
/// Thread-safety: calls on one config are serialized by a lock, so a config
/// may be used from several threads, though setting it up from one thread
/// is simpler to reason about.
pub struct qca_config {
    draft: Mutex<Draft>,
}

/// The values set so far. `None` means "not set": the core's default, or an
/// error from `qca_session_new` where a value is required.
#[derive(Clone, Default)]
struct Draft {
    pod: Option<String>,
    gateway_url: Option<String>,
    allow_insecure_loopback: bool,
    ca_pem: Option<String>,
    platform: Option<String>,
    backend: Option<String>,
    request_timeout: Option<Duration>,
    deadline: Option<Duration>,
    max_attempts: Option<u32>,
    /// `Credential` redacts its secret in `Debug` output and wipes it on drop.
    credential: Option<Credential>,
}

impl qca_config {
    /// Locks the draft. Setters only assign fields, so a panic cannot leave a
    /// draft half-changed and a poisoned lock is still usable.
    fn draft(&self) -> MutexGuard<'_, Draft> {
        self.draft.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Builds the core's session configuration from the values set so far.
    pub(super) fn session_config(&self) -> Result<SessionConfig, Failure> {
        let draft = self.draft().clone();

        let gateway = Gateway::resolve(
            draft.pod.as_deref(),
            draft.gateway_url.as_deref(),
            draft.allow_insecure_loopback,
        )?;
        let credential = draft.credential.ok_or_else(|| {
            Error::missing(
                "no credential was set; call qca_config_set_api_token, or \
                 qca_config_set_username_password for the CICD Sensor on Jenkins",
            )
        })?;
        let platform = match &draft.platform {
            Some(name) => name.parse::<Platform>()?,
            None => Platform::detect_from_process(),
        };
        let backend = draft
            .backend
            .as_deref()
            .map(str::parse::<Backend>)
            .transpose()?;

        let mut config = SessionConfig::new(gateway, credential, platform);
        config.backend = backend;
        config.http.extra_ca_pem = draft.ca_pem;
        if let Some(timeout) = draft.request_timeout {
            config.http.request_timeout = timeout;
        }
        if let Some(deadline) = draft.deadline {
            config.retry.deadline = deadline;
        }
        if let Some(attempts) = draft.max_attempts {
            config.retry.max_attempts = attempts;
        }
        Ok(config)
    }
}

/// Runs a setter: finds the config, then lets `set` store into its draft.
fn set(
    function: &str,
    config: *mut qca_config,
    set: impl FnOnce(&mut Draft) -> Result<(), Failure>,
) -> qca_status {
    guard(function, std::ptr::null_mut(), || {
        let config = handles::lookup(config.cast_const(), "config")?;
        set(&mut config.draft())
    })
}

/// Creates an empty config and stores it in `*out`.
///
/// The caller owns the config and frees it with `qca_config_free`. Returns
/// `QCA_NULL_ARGUMENT` when `out` is NULL; `*out` is written only on success.
///
/// # Safety
///
/// `out` must be NULL or point to writable memory for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qca_config_new(out: *mut *mut qca_config) -> qca_status {
    guard("qca_config_new", std::ptr::null_mut(), || {
        let out = handles::out_param(out, "out")?;

        let config = handles::register(qca_config {
            draft: Mutex::new(Draft::default()),
        });

        // SAFETY: `out` is not NULL and the caller guarantees it is writable.
        unsafe { out.write(config) };
        Ok(())
    })
}

/// Sets the Qualys platform (POD) by name, such as "US1" or "eu2": UTF-8,
/// NUL-terminated, case-insensitive. Set either a POD or a gateway URL;
/// `qca_session_new` rejects an unknown POD and a config with both.
///
/// Returns `QCA_NULL_ARGUMENT`, `QCA_INVALID_HANDLE`, `QCA_INVALID_UTF8` or
/// `QCA_INPUT_TOO_LARGE` (more than 8 KiB) on failure. The value is copied.
///
/// # Safety
///
/// `pod` must be NULL or point to a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qca_config_set_pod(
    config: *mut qca_config,
    pod: *const c_char,
) -> qca_status {
    set("qca_config_set_pod", config, |draft| {
        // SAFETY: forwarded from this function's contract.
        draft.pod = Some(unsafe { handles::read_str(pod, "pod") }?.to_owned());
        Ok(())
    })
}

/// Sets the API gateway URL, for platforms without a POD name. The URL must
/// be `https` without user information, query or fragment, and
/// `qca_session_new` checks it. A POD's listed host such as
/// "https://qg1.apps.qualys.com" maps to its gateway.
///
/// Returns `QCA_NULL_ARGUMENT`, `QCA_INVALID_HANDLE`, `QCA_INVALID_UTF8` or
/// `QCA_INPUT_TOO_LARGE` (more than 8 KiB) on failure. The value is copied.
///
/// # Safety
///
/// `url` must be NULL or point to a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qca_config_set_gateway_url(
    config: *mut qca_config,
    url: *const c_char,
) -> qca_status {
    set("qca_config_set_gateway_url", config, |draft| {
        // SAFETY: forwarded from this function's contract.
        draft.gateway_url = Some(unsafe { handles::read_str(url, "url") }?.to_owned());
        Ok(())
    })
}

/// Allows a plain `http://` gateway URL on a loopback host (127.0.0.1, ::1,
/// localhost), for local tests. Off by default; other hosts always need https.
///
/// Returns `QCA_NULL_ARGUMENT` or `QCA_INVALID_HANDLE` on failure.
#[unsafe(no_mangle)]
pub extern "C" fn qca_config_set_allow_insecure_loopback(
    config: *mut qca_config,
    allow: bool,
) -> qca_status {
    set("qca_config_set_allow_insecure_loopback", config, |draft| {
        draft.allow_insecure_loopback = allow;
        Ok(())
    })
}

/// Adds trust roots, as PEM text of one or more certificates, to the
/// system's: for a gateway behind a TLS-inspecting proxy. Certificate
/// verification is never switched off. `qca_session_new` parses the PEM.
///
/// Returns `QCA_NULL_ARGUMENT`, `QCA_INVALID_HANDLE`, `QCA_INVALID_UTF8` or
/// `QCA_INPUT_TOO_LARGE` (more than 4 MiB) on failure. The bytes are copied.
///
/// # Safety
///
/// `pem` must be NULL or point to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qca_config_set_ca_pem(
    config: *mut qca_config,
    pem: *const u8,
    len: usize,
) -> qca_status {
    set("qca_config_set_ca_pem", config, |draft| {
        // SAFETY: forwarded from this function's contract.
        let bytes = unsafe { handles::read_bytes(pem, len, QCA_MAX_PEM_LEN, "pem") }?;
        draft.ca_pem = Some(handles::utf8(bytes, "pem")?.to_owned());
        Ok(())
    })
}

/// Sets the CI platform: "github-actions", "gitlab-ci", "jenkins",
/// "azure-devops" or "shell". Without it, `qca_session_new` detects the
/// platform from the variables each runner sets (GITHUB_ACTIONS, GITLAB_CI,
/// TF_BUILD, JENKINS_URL) in this process's environment.
///
/// Returns `QCA_NULL_ARGUMENT`, `QCA_INVALID_HANDLE`, `QCA_INVALID_UTF8` or
/// `QCA_INPUT_TOO_LARGE` on failure. `qca_session_new` rejects an unknown name.
///
/// # Safety
///
/// `platform` must be NULL or point to a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qca_config_set_platform(
    config: *mut qca_config,
    platform: *const c_char,
) -> qca_status {
    set("qca_config_set_platform", config, |draft| {
        // SAFETY: forwarded from this function's contract.
        draft.platform = Some(unsafe { handles::read_str(platform, "platform") }?.to_owned());
        Ok(())
    })
}

/// Sets the backend, "qscanner" or "cicd-sensor". Without it the credential
/// decides: an API token is for QScanner, a user name and password for the
/// CICD Sensor. `qca_session_new` rejects a backend that does not fit the
/// credential.
///
/// Returns `QCA_NULL_ARGUMENT`, `QCA_INVALID_HANDLE`, `QCA_INVALID_UTF8` or
/// `QCA_INPUT_TOO_LARGE` on failure.
///
/// # Safety
///
/// `backend` must be NULL or point to a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qca_config_set_backend(
    config: *mut qca_config,
    backend: *const c_char,
) -> qca_status {
    set("qca_config_set_backend", config, |draft| {
        // SAFETY: forwarded from this function's contract.
        draft.backend = Some(unsafe { handles::read_str(backend, "backend") }?.to_owned());
        Ok(())
    })
}

/// Sets the time allowed for one request (milliseconds; default 30000), for
/// a whole operation with its retries and waits (milliseconds; default
/// 120000) and the number of attempts per request, the first included
/// (default 5). A value of 0 keeps that setting's default.
///
/// Connection failures, timeouts, HTTP 5xx and 429 are retried with
/// exponential backoff; a rejected login (401 on `/auth`) never is.
/// Returns `QCA_NULL_ARGUMENT` or `QCA_INVALID_HANDLE` on failure.
#[unsafe(no_mangle)]
pub extern "C" fn qca_config_set_timeouts(
    config: *mut qca_config,
    request_timeout_ms: u32,
    deadline_ms: u32,
    max_attempts: u32,
) -> qca_status {
    set("qca_config_set_timeouts", config, |draft| {
        let millis = |value: u32| (value != 0).then(|| Duration::from_millis(value.into()));
        draft.request_timeout = millis(request_timeout_ms);
        draft.deadline = millis(deadline_ms);
        draft.max_attempts = (max_attempts != 0).then_some(max_attempts);
        Ok(())
    })
}

/// Sets an API access token as the credential, replacing any credential set
/// before. The token is used as the bearer token with the QScanner backend,
/// on every platform. A pasted form is cleaned up by `qca_session_new`:
/// surrounding whitespace, a trailing line break, a UTF-8 byte-order mark
/// and a leading "Bearer ".
///
/// Secret: the `len` bytes (UTF-8, no NUL needed) are copied into memory
/// that the library wipes when the config and its sessions are freed. The
/// caller's buffer is only read, and the caller may wipe it on return.
/// Returns `QCA_NULL_ARGUMENT`, `QCA_INVALID_HANDLE`, `QCA_INVALID_UTF8` or
/// `QCA_INPUT_TOO_LARGE` (more than 64 KiB) on failure.
///
/// # Safety
///
/// `token` must be NULL or point to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qca_config_set_api_token(
    config: *mut qca_config,
    token: *const u8,
    len: usize,
) -> qca_status {
    set("qca_config_set_api_token", config, |draft| {
        // SAFETY: forwarded from this function's contract.
        let token = unsafe { handles::read_secret(token, len, "token") }?;
        draft.credential = Some(Credential::ApiToken(token));
        Ok(())
    })
}

/// Sets a user name and password as the credential, replacing any credential
/// set before. They are exchanged for a JWT at `POST <gateway>/auth`, for the
/// CICD Sensor backend, which is allowed on Jenkins only (set the platform to
/// "jenkins" unless JENKINS_URL is in the environment).
///
/// `username` is UTF-8 and NUL-terminated. Secret: the `len` bytes of
/// `password` (UTF-8, no NUL needed) are copied into memory that the library
/// wipes when the config and its sessions are freed. The caller's buffer is
/// only read. Returns `QCA_NULL_ARGUMENT`, `QCA_INVALID_HANDLE`,
/// `QCA_INVALID_UTF8` or `QCA_INPUT_TOO_LARGE` (a user name of more than
/// 8 KiB, a password of more than 64 KiB) on failure.
///
/// # Safety
///
/// `username` must be NULL or point to a NUL-terminated string, and
/// `password` NULL or point to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qca_config_set_username_password(
    config: *mut qca_config,
    username: *const c_char,
    password: *const u8,
    len: usize,
) -> qca_status {
    set("qca_config_set_username_password", config, |draft| {
        // SAFETY: forwarded from this function's contract.
        let username = unsafe { handles::read_str(username, "username") }?.to_owned();
        // SAFETY: forwarded from this function's contract.
        let password = unsafe { handles::read_secret(password, len, "password") }?;
        draft.credential = Some(Credential::UsernamePassword { username, password });
        Ok(())
    })
}

/// Frees a config and wipes its copy of the secret.
///
/// NULL is a no-op, and so is a pointer that is not a live config (freed
/// already, or not returned by this library). Sessions made from the config
/// keep working.
#[unsafe(no_mangle)]
pub extern "C" fn qca_config_free(config: *mut qca_config) {
    guard_value((), || {
        handles::release(config.cast_const());
    });
}
