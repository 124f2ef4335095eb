//! `qca_session`: the core's `BlockingSession` behind a handle. Login,
//! verification, the token policy check and the bearer-token accessor, the
//! one function of this interface that returns a secret.

use std::ffi::c_char;

use secrecy::ExposeSecret as _;
use time::Date;
use zeroize::Zeroizing;

use crate::audit::{AuditHistory, AuditLog};
use crate::blocking::BlockingSession;
use crate::checks::{self, CheckOptions};
use crate::policy::Policy;

use super::config::{SessionSetup, qca_config};
use super::error::{Failure, guard, guard_value, qca_error, qca_status};
use super::handles;

/// A session: bearer tokens for one gateway and credential. Create it with
/// `qca_session_new` and free it with `qca_session_free`.
///
/// Thread-safety: any number of threads may call the functions of one
/// session at once. Calls block the calling thread while they wait on the
/// network, up to the deadline set with `qca_config_set_timeouts`. All
/// sessions in the process share one HTTP client per set of connection
/// settings and one JWT cache, so parallel sessions with the same user
/// name and password make one `POST /auth` per token lifetime. Do not call
/// these functions from a thread that runs a Tokio runtime; they return
/// `QCA_INTERNAL` there.
pub struct qca_session {
    session: BlockingSession,
    policy: Policy,
    created: Option<Date>,
    audit_log: Option<AuditLog>,
}

/// The variable whose per-environment forms (`QUALYS_ACCESS_TOKEN_PROD`)
/// the separate-tokens check compares, as the CLI does by default.
const TOKEN_VARIABLE: &str = "QUALYS_ACCESS_TOKEN";

impl qca_session {
    /// Gathers what the checks compare the token with: the per-environment
    /// token variables of this process and the audit log's history.
    fn check_options(&self) -> Result<CheckOptions, Failure> {
        let audit_history = match &self.audit_log {
            Some(log) => Some(AuditHistory::read(log.path())?),
            None => None,
        };
        Ok(CheckOptions {
            created: self.created,
            token_source: None,
            variable_tokens: checks::variable_tokens_from_process(TOKEN_VARIABLE),
            audit_history,
        })
    }
}

/// Creates a session from `config` and stores it in `*out`.
///
/// Checks every setting, and checks the credential against the rule table:
/// an API token is for QScanner on every platform, a user name and password
/// for the CICD Sensor on Jenkins only. Nothing is sent. An API token whose
/// claims show that it expired, or that it lacks the Container Security
/// module, fails here with `QCA_TOKEN_EXPIRED` or `QCA_PERMISSION_DENIED`.
/// Reads the token policy (see `qca_config_set_policy_file`) and opens the
/// audit log (see `qca_config_set_audit_log`), so that an invalid policy or
/// an audit log that cannot be written fails before a token is sent.
///
/// The caller owns the session and frees it with `qca_session_free`; the
/// session copies what it needs from `config`, which may be freed at once.
/// `*out` is written only on success. On failure, `*error_out` receives an
/// error when `error_out` is not NULL. Statuses: `QCA_OK`,
/// `QCA_NULL_ARGUMENT`, `QCA_INVALID_HANDLE`, `QCA_INVALID_ARGUMENT`,
/// `QCA_CREDENTIAL_NOT_ALLOWED`, `QCA_MISSING_CREDENTIAL`,
/// `QCA_TOKEN_EXPIRED`, `QCA_PERMISSION_DENIED`, `QCA_IO` (the policy file
/// or the audit log), `QCA_INTERNAL`, `QCA_PANIC`.
///
/// # Safety
///
/// `out` and `error_out` must each be NULL or point to writable memory for
/// one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qca_session_new(
    config: *const qca_config,
    out: *mut *mut qca_session,
    error_out: *mut *mut qca_error,
) -> qca_status {
    guard("qca_session_new", error_out, || {
        let out = handles::out_param(out, "out")?;
        let config = handles::lookup(config, "config")?;

        let SessionSetup {
            config,
            policy,
            created,
            audit_log,
        } = config.session_setup()?;
        let session = BlockingSession::new(config)?;

        let handle = handles::register(qca_session {
            session,
            policy,
            created,
            audit_log,
        });
        // SAFETY: `out` is not NULL and the caller guarantees it is writable.
        unsafe { out.write(handle) };
        Ok(())
    })
}

/// Authenticates, verifies the token with one Container Security call
/// (`GET /csapi/v1.3/images?pageNumber=1&pageSize=1`) and stores a summary
/// in `*summary_json_out`.
///
/// The summary is the JSON object that `qualys-ci-auth login --format json`
/// prints (README, "login --format json"): `schema_version`, `gateway`,
/// `pod`, `backend`, `platform`, `credential`, `user`, `token_kind`,
/// `token_fingerprint`, `issued_at`, `expires_at`, `expires_in_seconds`,
/// `scopes` and `verified`. It never contains the token or password. The
/// caller owns the string and frees it with `qca_string_free`.
///
/// `*summary_json_out` is written only on success. On failure, `*error_out`
/// receives an error when `error_out` is not NULL. Statuses: `QCA_OK`,
/// `QCA_NULL_ARGUMENT`, `QCA_INVALID_HANDLE`, `QCA_AUTHENTICATION_FAILED`,
/// `QCA_TOKEN_REJECTED`, `QCA_TOKEN_EXPIRED`, `QCA_PERMISSION_DENIED`,
/// `QCA_API_ERROR`, `QCA_RATE_LIMITED`, `QCA_NETWORK_ERROR`, `QCA_TLS_ERROR`,
/// `QCA_TIMEOUT`, `QCA_INTERNAL`, `QCA_PANIC`. Thread-safe.
///
/// # Safety
///
/// `summary_json_out` and `error_out` must each be NULL or point to writable
/// memory for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qca_session_login(
    session: *mut qca_session,
    summary_json_out: *mut *mut c_char,
    error_out: *mut *mut qca_error,
) -> qca_status {
    guard("qca_session_login", error_out, || {
        let out = handles::out_param(summary_json_out, "summary_json_out")?;
        let session = handles::lookup(session.cast_const(), "session")?;

        let summary = session.session.login()?;

        let json = serde_json::to_vec(&summary)
            .map_err(|e| Failure::internal(format!("formatting the login summary failed: {e}")))?;
        let text = handles::register_string(Zeroizing::new(json))?;
        // SAFETY: `out` is not NULL and the caller guarantees it is writable.
        unsafe { out.write(text) };
        Ok(())
    })
}

/// Copies a bearer token that is valid now into `buffer`, NUL-terminated,
/// and stores its size with the NUL in `*needed_out`. The only function of
/// this interface that returns a secret.
///
/// An API token is returned as set, cleaned up. For a user name and
/// password, the cached JWT is returned while it is fresh. Otherwise a new
/// one is fetched from `POST /auth`, with one request for all the sessions
/// and threads of this process that wait for it.
///
/// When `buffer_len` is smaller than the token plus its NUL, the call
/// returns `QCA_BUFFER_TOO_SMALL`, stores the size needed in `*needed_out`
/// and leaves `buffer` untouched; `buffer` may be NULL when `buffer_len` is 0,
/// to ask for the size. The call may then fetch a token, which the next
/// call finds in the cache. Qualys JWTs are about 1 KB, and API tokens
/// longer than 16 KiB are rejected. The caller owns the copy in `buffer` and
/// should wipe it when done.
///
/// On failure, `*error_out` receives an error when `error_out` is not NULL.
/// Statuses: `QCA_OK`, `QCA_NULL_ARGUMENT` (`needed_out` NULL, or `buffer`
/// NULL with a `buffer_len` above 0), `QCA_INVALID_HANDLE`,
/// `QCA_BUFFER_TOO_SMALL`, `QCA_AUTHENTICATION_FAILED`,
/// `QCA_PERMISSION_DENIED` (HTTP 403 on `/auth`), `QCA_TOKEN_EXPIRED`,
/// `QCA_API_ERROR`, `QCA_NETWORK_ERROR`, `QCA_TLS_ERROR`, `QCA_TIMEOUT`,
/// `QCA_INTERNAL`, `QCA_PANIC`. Thread-safe.
///
/// # Safety
///
/// `buffer` must be NULL or point to `buffer_len` writable bytes;
/// `needed_out` must be NULL or point to a writable `size_t`; `error_out`
/// must be NULL or point to writable memory for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qca_session_bearer_token(
    session: *mut qca_session,
    buffer: *mut c_char,
    buffer_len: usize,
    needed_out: *mut usize,
    error_out: *mut *mut qca_error,
) -> qca_status {
    guard("qca_session_bearer_token", error_out, || {
        let needed_out = handles::out_param(needed_out, "needed_out")?;
        if buffer.is_null() && buffer_len > 0 {
            return Err(Failure::null_argument("buffer"));
        }
        let session = handles::lookup(session.cast_const(), "session")?;

        let token = session.session.bearer_token()?;

        let bytes = token.expose_secret().as_bytes();
        let needed = bytes.len() + 1;
        // SAFETY: `needed_out` is not NULL and the caller guarantees it is writable.
        unsafe { needed_out.write(needed) };
        if buffer_len < needed {
            return Err(Failure::new(
                qca_status::QCA_BUFFER_TOO_SMALL,
                format!(
                    "the buffer holds {buffer_len} bytes but the bearer token needs {needed}, \
                     its NUL included; call again with a buffer of at least *needed_out bytes"
                ),
            ));
        }
        // SAFETY: `buffer` has `buffer_len >= needed` writable bytes, and a
        // token (a single line without control characters) has no NUL.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), buffer.cast::<u8>(), bytes.len());
            buffer.add(bytes.len()).write(0);
        }
        Ok(())
    })
}

/// Verifies the current bearer token with one Container Security call,
/// fetching a JWT first if needed.
///
/// On failure, `*error_out` receives an error when `error_out` is not NULL.
/// Statuses: as for `qca_session_login`. Thread-safe.
///
/// # Safety
///
/// `error_out` must be NULL or point to writable memory for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qca_session_verify(
    session: *mut qca_session,
    error_out: *mut *mut qca_error,
) -> qca_status {
    guard("qca_session_verify", error_out, || {
        let session = handles::lookup(session.cast_const(), "session")?;

        session.session.verify()?;
        Ok(())
    })
}

/// Runs the token policy checks on the session's bearer token and stores
/// the report in `*report_json_out`.
///
/// First verifies the token with one Container Security call, fetching a
/// JWT first if needed, as `qca_session_verify` does. When the gateway
/// accepts it, the checks judge the token against the policy (see
/// `qca_config_set_policy_file` and `qca_config_set_environment`). The
/// checks are `rotation` (the token's age from its `iat` claim, or from
/// `QUALYS_TOKEN_CREATED`), `scopes`, `expiry`, `separate-tokens` and
/// `verification`. `separate-tokens` reports the token when the audit log
/// shows it under another environment label, or when two
/// `QUALYS_ACCESS_TOKEN_<ENV>` variables contain it.
///
/// The report is the JSON object of `qualys-ci-auth check --format json`
/// (README, "check"): `schema_version`, `status` ("pass", "warn" or "fail",
/// the worst of the checks), `environment`, `token_kind`,
/// `token_fingerprint`, `token_source` (null here), `checks` (each with
/// `id`, `status`, `message` and its facts) and `policy`. It never contains
/// the token or password. The call returns `QCA_OK` with the report when
/// checks warn or fail, too: the caller decides what a "fail" does, for
/// example failing the pipeline step. The caller owns the string and frees
/// it with `qca_string_free`.
///
/// A failed verification is an error status instead of a report:
/// `QCA_TOKEN_REJECTED` (expired or revoked), `QCA_PERMISSION_DENIED` (no
/// Container Security permission), `QCA_AUTHENTICATION_FAILED`, and the
/// network statuses. `*report_json_out` is written only on success. On
/// failure, `*error_out` receives an error when `error_out` is not NULL.
/// Statuses: as for `qca_session_login`, and `QCA_IO` when the audit log
/// cannot be read. Thread-safe.
///
/// # Safety
///
/// `report_json_out` and `error_out` must each be NULL or point to writable
/// memory for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qca_session_check(
    session: *mut qca_session,
    report_json_out: *mut *mut c_char,
    error_out: *mut *mut qca_error,
) -> qca_status {
    guard("qca_session_check", error_out, || {
        let out = handles::out_param(report_json_out, "report_json_out")?;
        let session = handles::lookup(session.cast_const(), "session")?;

        let options = session.check_options()?;
        let report =
            checks::verify_then_check_blocking(&session.session, &session.policy, &options)?;

        let json = serde_json::to_vec(&report)
            .map_err(|e| Failure::internal(format!("formatting the policy report failed: {e}")))?;
        let text = handles::register_string(Zeroizing::new(json))?;
        // SAFETY: `out` is not NULL and the caller guarantees it is writable.
        unsafe { out.write(text) };
        Ok(())
    })
}

/// Frees a session.
///
/// NULL is a no-op, and so is a pointer that is not a live session (freed
/// already, or not returned by this library). A call still running on
/// another thread finishes normally; later calls with the pointer return
/// `QCA_INVALID_HANDLE`. The session's copy of the secret is wiped when the
/// last call ends. A JWT fetched for a user name and password stays in the
/// process-wide cache, for later sessions with the same credential.
#[unsafe(no_mangle)]
pub extern "C" fn qca_session_free(session: *mut qca_session) {
    guard_value((), || {
        handles::release(session.cast_const());
    });
}

#[cfg(test)]
mod tests {
    use std::ptr::null_mut;
    use std::time::Duration;

    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;
    use crate::capi::{
        qca_config_free, qca_config_new, qca_config_set_api_token, qca_config_set_audit_log,
        qca_config_set_platform, qca_config_set_pod, qca_error_code, qca_error_free,
    };
    use crate::time_fmt::now_unix;

    fn jwt_expiring_at(exp: i64) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let claims = serde_json::json!({"sub": "probe", "exp": exp, "modulesAllowed": ["CS"]});
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        format!("{header}.{payload}.c2ln")
    }

    /// Makes a session for `token` on US1. Nothing is sent: an API token's
    /// bearer token needs no request.
    fn token_session(token: &str) -> *mut qca_session {
        let mut config = null_mut();
        let mut session = null_mut();
        // SAFETY: every pointer is valid, and the strings are NUL-terminated.
        unsafe {
            assert_eq!(qca_config_new(&mut config), qca_status::QCA_OK);
            assert_eq!(
                qca_config_set_pod(config, c"US1".as_ptr()),
                qca_status::QCA_OK
            );
            assert_eq!(
                qca_config_set_platform(config, c"shell".as_ptr()),
                qca_status::QCA_OK
            );
            // Unit tests never write to the user's default audit log.
            assert_eq!(
                qca_config_set_audit_log(config, c"off".as_ptr()),
                qca_status::QCA_OK
            );
            assert_eq!(
                qca_config_set_api_token(config, token.as_ptr(), token.len()),
                qca_status::QCA_OK
            );
            assert_eq!(
                qca_session_new(config, &mut session, null_mut()),
                qca_status::QCA_OK
            );
        }
        qca_config_free(config);
        session
    }

    #[test]
    fn bearer_token_buffer_sizes() {
        let session = token_session("  Bearer opaque-token-value\n");
        let mut needed = 0;
        // SAFETY: a NULL buffer of length 0 asks for the size.
        let status =
            unsafe { qca_session_bearer_token(session, null_mut(), 0, &mut needed, null_mut()) };
        assert_eq!(status, qca_status::QCA_BUFFER_TOO_SMALL);
        assert_eq!(needed, "opaque-token-value".len() + 1);

        let mut buffer = vec![b'x'; needed];
        // SAFETY: the buffer has `needed - 1` writable bytes.
        let status = unsafe {
            qca_session_bearer_token(
                session,
                buffer.as_mut_ptr().cast(),
                needed - 1,
                &mut needed,
                null_mut(),
            )
        };
        assert_eq!(status, qca_status::QCA_BUFFER_TOO_SMALL);
        assert!(
            buffer.iter().all(|&b| b == b'x'),
            "a too-small buffer was written"
        );

        // SAFETY: the buffer has `needed` writable bytes.
        let status = unsafe {
            qca_session_bearer_token(
                session,
                buffer.as_mut_ptr().cast(),
                needed,
                &mut needed,
                null_mut(),
            )
        };
        assert_eq!(status, qca_status::QCA_OK);
        assert_eq!(buffer, b"opaque-token-value\0");
        qca_session_free(session);
    }

    #[test]
    fn bearer_token_expired_after_creation() {
        let expires = now_unix() + 2;
        let session = token_session(&jwt_expiring_at(expires));
        while now_unix() < expires {
            std::thread::sleep(Duration::from_millis(100));
        }

        let mut buffer = [0u8; 512];
        let mut needed = 0;
        let mut error = null_mut();
        // SAFETY: the buffer has `buffer.len()` writable bytes.
        let status = unsafe {
            qca_session_bearer_token(
                session,
                buffer.as_mut_ptr().cast(),
                buffer.len(),
                &mut needed,
                &mut error,
            )
        };
        assert_eq!(status, qca_status::QCA_TOKEN_EXPIRED);
        assert_eq!(qca_error_code(error), qca_status::QCA_TOKEN_EXPIRED as u32);
        assert_eq!(buffer, [0u8; 512], "an expired token was written");
        qca_error_free(error);
        qca_session_free(session);
    }
}
