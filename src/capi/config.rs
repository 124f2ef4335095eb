//! `qca_config`: the settings of a session, collected one call at a time and
//! turned into the core's `SessionConfig`, token policy and audit log by
//! `qca_session_new`, or into the connection settings of a registry login.
//!
//! Setters check only what the C boundary must (NULL, UTF-8, size) and store
//! the value. The core checks the values themselves when `qca_session_new`
//! builds the session, because that call can return an error object with a
//! message that names the value and the fix.

use std::ffi::c_char;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use secrecy::{ExposeSecret as _, SecretString};
use time::Date;

use crate::audit::{AuditLog, AuditSettings, AuditTarget, RunContext};
use crate::checks;
use crate::error::Error;
use crate::gateway::Gateway;
use crate::http::{ExplicitProxy, HttpSettings, ProxySettings, RetryPolicy};
use crate::platform::{Backend, Platform};
use crate::policy::{Policy, PolicyOverrides, PolicySources};
use crate::registry::VerifySettings;
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
    /// `None` until `qca_config_set_proxy` is called: the proxy variables
    /// of the environment.
    proxy: Option<ProxyDraft>,
    environment: Option<String>,
    policy_file: Option<PathBuf>,
    /// A path or "off"; `None` is `QUALYS_AUDIT_LOG`, else the default file.
    audit_log: Option<String>,
}

/// The arguments of the last `qca_config_set_proxy` call, checked when a
/// session or registry login uses them.
#[derive(Clone, Default)]
struct ProxyDraft {
    url: Option<String>,
    username: Option<String>,
    password: Option<SecretString>,
    no_proxy: Option<String>,
}

impl ProxyDraft {
    /// Converts the arguments into the core's proxy choice. The core checks
    /// the URL and that the credentials come in pairs when it builds the
    /// HTTP client.
    fn settings(&self) -> Result<ProxySettings, Failure> {
        let extras = self.username.is_some() || self.password.is_some() || self.no_proxy.is_some();
        let Some(url) = self.url.as_deref().map(str::trim) else {
            if extras {
                return Err(Error::invalid(
                    "a proxy user name, password or no_proxy list was given without a proxy URL; \
                     pass the proxy's URL to qca_config_set_proxy, or NULL for all of them to use \
                     HTTPS_PROXY and NO_PROXY from the environment",
                )
                .into());
            }
            return Ok(ProxySettings::Environment);
        };
        if url.eq_ignore_ascii_case("none") {
            if extras {
                return Err(Error::invalid(
                    "the proxy URL is \"none\" (direct connections), but a proxy user name, \
                     password or no_proxy list was given as well; pass NULL for them",
                )
                .into());
            }
            return Ok(ProxySettings::Direct);
        }
        Ok(ProxySettings::Explicit(ExplicitProxy {
            url: url.to_owned(),
            username: self.username.clone(),
            password: self.password.clone(),
            no_proxy: self.no_proxy.clone(),
        }))
    }
}

/// The parts of a new session that `qca_session_new` builds from a config:
/// the session's settings, and the policy and audit log of `qca_session_check`.
pub(super) struct SessionSetup {
    pub config: SessionConfig,
    pub policy: Policy,
    /// `QUALYS_TOKEN_CREATED`, for tokens without an `iat` claim.
    pub created: Option<Date>,
    /// The audit log, when it is on; its history feeds the separate-tokens check.
    pub audit_log: Option<AuditLog>,
}

impl qca_config {
    /// Locks the draft. Setters only assign fields, so a panic cannot leave a
    /// draft half-changed and a poisoned lock is still usable.
    fn draft(&self) -> MutexGuard<'_, Draft> {
        self.draft.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Builds the core's session configuration, the token policy and the
    /// audit log from the values set so far. An explicit audit log path
    /// is opened here, so that one that cannot be written fails before a
    /// token is sent.
    pub(super) fn session_setup(&self) -> Result<SessionSetup, Failure> {
        let mut draft = self.draft().clone();

        let gateway = Gateway::resolve(
            draft.pod.as_deref(),
            draft.gateway_url.as_deref(),
            draft.allow_insecure_loopback,
        )?;
        let credential = draft.credential.take().ok_or_else(|| {
            Error::missing(
                "no credential was set; call qca_config_set_api_token, or \
                 qca_config_set_username_password for the CICD Sensor on Jenkins",
            )
        })?;
        let platform = draft.platform()?;
        let backend = draft
            .backend
            .as_deref()
            .map(str::parse::<Backend>)
            .transpose()?;

        let mut config = SessionConfig::new(gateway, credential, platform);
        config.backend = backend;
        config.http = draft.http_settings()?;
        config.retry = draft.retry_policy();

        let overrides = PolicyOverrides {
            environment: draft.environment.clone(),
            ..PolicyOverrides::default()
        };
        let policy = Policy::resolve(&PolicySources::from_process(
            draft.policy_file.clone(),
            overrides,
        )?)?;
        let created = checks::creation_date(None, process_env)?;

        let audit_log = draft.audit_target()?.open()?;
        config.audit = audit_log.clone().map(|log| AuditSettings {
            log,
            environment: policy.environment.clone(),
            run: RunContext::detect_from_process(platform),
        });
        Ok(SessionSetup {
            config,
            policy,
            created,
            audit_log,
        })
    }

    /// Returns the connection settings of a registry login (CA, proxy,
    /// timeouts, insecure loopback) and the CI platform.
    pub(super) fn registry_settings(&self) -> Result<(VerifySettings, Platform), Failure> {
        let draft = self.draft().clone();
        let settings = VerifySettings {
            http: draft.http_settings()?,
            retry: draft.retry_policy(),
            allow_insecure_loopback: draft.allow_insecure_loopback,
        };
        Ok((settings, draft.platform()?))
    }

    /// Returns whether `http://` is allowed for a loopback host.
    pub(super) fn allow_insecure_loopback(&self) -> bool {
        self.draft().allow_insecure_loopback
    }
}

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl Draft {
    fn platform(&self) -> Result<Platform, Failure> {
        Ok(match &self.platform {
            Some(name) => name.parse::<Platform>()?,
            None => Platform::detect_from_process(),
        })
    }

    fn http_settings(&self) -> Result<HttpSettings, Failure> {
        let mut http = HttpSettings {
            extra_ca_pem: self.ca_pem.clone(),
            ..HttpSettings::default()
        };
        if let Some(timeout) = self.request_timeout {
            http.request_timeout = timeout;
        }
        if let Some(proxy) = &self.proxy {
            http.proxy = proxy.settings()?;
        }
        Ok(http)
    }

    fn retry_policy(&self) -> RetryPolicy {
        let mut retry = RetryPolicy::default();
        if let Some(deadline) = self.deadline {
            retry.deadline = deadline;
        }
        if let Some(attempts) = self.max_attempts {
            retry.max_attempts = attempts;
        }
        retry
    }

    /// Picks the audit log as the CLI does: the setting, else
    /// `QUALYS_AUDIT_LOG`, else the default file under the user's state
    /// directory.
    fn audit_target(&self) -> Result<AuditTarget, Failure> {
        if self
            .audit_log
            .as_deref()
            .is_some_and(|v| v.trim().is_empty())
        {
            return Err(Error::invalid(
                "the audit log path is empty; pass a file path to qca_config_set_audit_log, or \"off\"",
            )
            .into());
        }
        Ok(AuditTarget::resolve(self.audit_log.as_deref(), process_env))
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

/// Sets the proxy for every request of the sessions made from this config,
/// and of the registry logins that use it. Each call replaces the proxy
/// settings of the calls before.
///
/// - `url` NULL: `HTTPS_PROXY` (or `https_proxy`, `ALL_PROXY`) and
///   `NO_PROXY` from the process environment, read when the session or
///   login builds its HTTP client. This is the default.
/// - `url` "none": direct connections, ignoring the proxy variables.
/// - else an `http://` or `https://` proxy URL, such as
///   "http://proxy.example.com:3128". Requests to the gateway and to
///   registries tunnel through it with CONNECT.
///
/// `username` and `password` authenticate to the proxy with Basic
/// authentication; give both or neither. An empty user name or password
/// counts as none. `no_proxy` (optional) lists hosts, domains
/// (".example.com") and CIDR ranges, comma-separated as in `NO_PROXY`, that
/// bypass the proxy. With a NULL or "none" URL, the other arguments must be
/// NULL. `qca_session_new` and the registry functions check the URL and the
/// pairing and return `QCA_INVALID_ARGUMENT` with a message.
///
/// Secret: the `password_len` bytes of `password` (UTF-8, no NUL needed) are
/// copied into memory that the library wipes when the config and its
/// sessions are freed; the caller's buffer is only read. `password` may be
/// NULL when `password_len` is 0. Returns `QCA_NULL_ARGUMENT` (`config`, or
/// `password` NULL with a length above 0), `QCA_INVALID_HANDLE`,
/// `QCA_INVALID_UTF8` or `QCA_INPUT_TOO_LARGE` (a string of more than
/// 8 KiB, a password of more than 64 KiB) on failure.
///
/// # Safety
///
/// `url`, `username` and `no_proxy` must each be NULL or point to a
/// NUL-terminated string; `password` must be NULL or point to
/// `password_len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qca_config_set_proxy(
    config: *mut qca_config,
    url: *const c_char,
    username: *const c_char,
    password: *const u8,
    password_len: usize,
    no_proxy: *const c_char,
) -> qca_status {
    set("qca_config_set_proxy", config, |draft| {
        // SAFETY: forwarded from this function's contract.
        let url = unsafe { handles::read_optional_str(url, "url") }?;
        // SAFETY: forwarded from this function's contract.
        let username = unsafe { handles::read_optional_str(username, "username") }?;
        // SAFETY: forwarded from this function's contract.
        let no_proxy = unsafe { handles::read_optional_str(no_proxy, "no_proxy") }?;
        let password = match (password.is_null(), password_len) {
            (true, 0) => None,
            (true, _) => {
                return Err(Failure::null_argument("password"));
            }
            // SAFETY: forwarded from this function's contract.
            (false, _) => {
                Some(unsafe { handles::read_secret(password, password_len, "password") }?)
            }
        };

        let non_blank =
            |value: Option<&str>| value.filter(|v| !v.trim().is_empty()).map(str::to_owned);
        draft.proxy = Some(ProxyDraft {
            url: url.map(str::to_owned),
            username: non_blank(username),
            password: password.filter(|p| !p.expose_secret().is_empty()),
            no_proxy: non_blank(no_proxy),
        });
        Ok(())
    })
}

/// Sets the environment label of this pipeline, such as "dev", "staging"
/// or "prod": 1 to 64 characters without whitespace. The label goes into
/// every audit record, and `qca_session_check` reports a token that the
/// audit log shows in use for another label. Without it, the label comes
/// from `QUALYS_ENVIRONMENT` or the policy file, when they set one.
///
/// Returns `QCA_NULL_ARGUMENT`, `QCA_INVALID_HANDLE`, `QCA_INVALID_UTF8` or
/// `QCA_INPUT_TOO_LARGE` on failure; `qca_session_new` rejects an invalid
/// label with `QCA_INVALID_ARGUMENT`.
///
/// # Safety
///
/// `label` must be NULL or point to a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qca_config_set_environment(
    config: *mut qca_config,
    label: *const c_char,
) -> qca_status {
    set("qca_config_set_environment", config, |draft| {
        // SAFETY: forwarded from this function's contract.
        draft.environment = Some(unsafe { handles::read_str(label, "label") }?.to_owned());
        Ok(())
    })
}

/// Sets the token policy file, `qualys-ci-auth.toml` as the README
/// describes it (token age limits, required scopes, the effect of extra
/// scopes and of a token shared between environments). The file must
/// exist. Without this call the file named by `QUALYS_POLICY_FILE` is
/// used, else `qualys-ci-auth.toml` in the current directory when it
/// exists. The policy variables (`QUALYS_TOKEN_WARN_AFTER_DAYS` and
/// others) override the file, and `qca_config_set_environment` overrides
/// both.
///
/// `qca_session_new` reads the file: a missing or unreadable file is
/// `QCA_IO`, an unknown key or a bad value `QCA_INVALID_ARGUMENT`, with a
/// message that names the file. This call returns `QCA_NULL_ARGUMENT`,
/// `QCA_INVALID_HANDLE`, `QCA_INVALID_UTF8` or `QCA_INPUT_TOO_LARGE` on
/// failure.
///
/// # Safety
///
/// `toml_path` must be NULL or point to a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qca_config_set_policy_file(
    config: *mut qca_config,
    toml_path: *const c_char,
) -> qca_status {
    set("qca_config_set_policy_file", config, |draft| {
        // SAFETY: forwarded from this function's contract.
        let path = unsafe { handles::read_str(toml_path, "toml_path") }?;
        draft.policy_file = Some(PathBuf::from(path));
        Ok(())
    })
}

/// Sets the audit log: a file path, or "off" for none. Each login,
/// verification (`qca_session_verify`, `qca_session_check`) and `/auth`
/// exchange of the sessions made from this config appends one JSON line with the time, platform, run id,
/// environment label, gateway, the token's fingerprint and the outcome,
/// never a token or password. The file is created with mode 0600, its
/// directory must exist, and a symbolic link at its path is refused.
///
/// Without this call the log is on, as for the CLI: the file named by
/// `QUALYS_AUDIT_LOG` (or none when it is "off"), else
/// `$XDG_STATE_HOME/qualys-ci-auth/audit.jsonl`, else
/// `~/.local/state/qualys-ci-auth/audit.jsonl`. `qca_session_new` opens an
/// explicit path and fails with `QCA_IO` when it cannot be written; a
/// default path that cannot be written leaves the log off. This call
/// returns `QCA_NULL_ARGUMENT`, `QCA_INVALID_HANDLE`, `QCA_INVALID_UTF8` or
/// `QCA_INPUT_TOO_LARGE` on failure.
///
/// # Safety
///
/// `path` must be NULL or point to a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qca_config_set_audit_log(
    config: *mut qca_config,
    path: *const c_char,
) -> qca_status {
    set("qca_config_set_audit_log", config, |draft| {
        // SAFETY: forwarded from this function's contract.
        draft.audit_log = Some(unsafe { handles::read_str(path, "path") }?.to_owned());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn proxy(url: Option<&str>, username: Option<&str>, no_proxy: Option<&str>) -> ProxyDraft {
        ProxyDraft {
            url: url.map(str::to_owned),
            username: username.map(str::to_owned),
            password: username.map(|_| SecretString::from("CANARY-proxy")),
            no_proxy: no_proxy.map(str::to_owned),
        }
    }

    #[test]
    fn proxy_choices() {
        let environment = proxy(None, None, None).settings().expect("NULL URL");
        assert_eq!(environment, ProxySettings::Environment);
        let direct = proxy(Some(" None "), None, None).settings().expect("none");
        assert_eq!(direct, ProxySettings::Direct);

        let explicit = proxy(Some("http://proxy:3128"), Some("user"), Some(".corp"))
            .settings()
            .expect("explicit");
        let ProxySettings::Explicit(explicit) = explicit else {
            panic!("expected an explicit proxy, got {explicit:?}");
        };
        assert_eq!(explicit.url, "http://proxy:3128");
        assert_eq!(explicit.username.as_deref(), Some("user"));
        assert_eq!(explicit.no_proxy.as_deref(), Some(".corp"));
        assert!(!format!("{explicit:?}").contains("CANARY"));
    }

    #[test]
    fn proxy_extras_need_a_url() {
        for draft in [
            proxy(None, Some("user"), None),
            proxy(None, None, Some("127.0.0.1")),
            proxy(Some("none"), Some("user"), None),
            proxy(Some("NONE"), None, Some("127.0.0.1")),
        ] {
            let error = draft.settings().expect_err("extras without a proxy");
            assert_eq!(error.status(), qca_status::QCA_INVALID_ARGUMENT);
            assert!(!error.message().contains("CANARY"), "{}", error.message());
        }
    }
}
