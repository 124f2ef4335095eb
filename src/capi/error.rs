//! The status enum that every fallible call returns, the error object that
//! carries its message, and the panic boundary around every entry point.

use std::ffi::{CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::{Error, ErrorCode};

use super::handles;

/// The result of a call. The values are 32-bit unsigned integers and never
/// change meaning. Values 1 to 99 are the numbers of the core's error codes
/// (`qualys_ci_auth::ErrorCode`), the kinds that the CLI's JSON errors name
/// in `code`: `QCA_TOKEN_REJECTED` is "token_rejected". Values from 100 are
/// errors of this C interface itself.
/// A failed call also describes the failure in a `qca_error` when the
/// caller passes an `error_out` pointer.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum qca_status {
    /// The call succeeded.
    QCA_OK = 0,
    /// A value is malformed: an unknown POD, platform or backend, an invalid
    /// gateway URL or CA bundle, a token with spaces or line breaks inside.
    QCA_INVALID_ARGUMENT = 1,
    /// The credential does not fit the backend or platform: an API token is
    /// used with the QScanner backend everywhere, and a user name and
    /// password only with the CICD Sensor backend on Jenkins.
    QCA_CREDENTIAL_NOT_ALLOWED = 2,
    /// No credential was set, or the token, user name or password is empty.
    QCA_MISSING_CREDENTIAL = 3,
    /// `POST /auth` rejected the user name or password (HTTP 401). It is not
    /// retried, and later sessions in this process with the same credential
    /// get this status without another request, because repeated failed
    /// logins lock Qualys accounts.
    QCA_AUTHENTICATION_FAILED = 10,
    /// The gateway rejected the bearer token (HTTP 401): invalid, expired or revoked.
    QCA_TOKEN_REJECTED = 11,
    /// The token's own `exp` claim lies in the past.
    QCA_TOKEN_EXPIRED = 12,
    /// The token or user lacks a permission, usually the Container Security
    /// module (HTTP 403, or a `modulesAllowed` claim without `CS`).
    QCA_PERMISSION_DENIED = 13,
    /// A container registry or its token service rejected the user name and
    /// password (HTTP 401 or 403).
    QCA_REGISTRY_REJECTED = 14,
    /// The gateway returned an unexpected status or body.
    QCA_API_ERROR = 20,
    /// The gateway kept returning 429 Too Many Requests.
    QCA_RATE_LIMITED = 21,
    /// The gateway could not be reached.
    QCA_NETWORK_ERROR = 30,
    /// The TLS handshake failed, usually on a certificate that no trusted CA
    /// signed; see `qca_config_set_ca_pem`.
    QCA_TLS_ERROR = 31,
    /// A request timeout or the overall deadline passed.
    QCA_TIMEOUT = 32,
    /// A local file could not be read or written: the policy file, the
    /// audit log, or Docker's `config.json` and its directory.
    QCA_IO = 40,
    /// The Docker client configuration file is not valid JSON of the
    /// expected shape; it was left unchanged.
    QCA_CONFIG_MALFORMED = 41,
    /// A Docker credential helper failed to store, get or erase a credential.
    QCA_CREDENTIAL_HELPER_FAILED = 42,
    /// A state the library does not expect, such as a blocking call from
    /// inside an async runtime of the same process. Please report it.
    QCA_INTERNAL = 50,
    /// The token violates the token policy (age, scopes, one token per
    /// environment) where the policy says to fail.
    QCA_POLICY_FAILED = 60,
    /// A required pointer argument is NULL.
    QCA_NULL_ARGUMENT = 100,
    /// A string argument is not valid UTF-8.
    QCA_INVALID_UTF8 = 101,
    /// An argument is longer than the library accepts: 8 KiB for a string,
    /// 64 KiB for a token or password, 4 MiB for a CA bundle. A string
    /// without a NUL byte within its first 8 KiB is reported the same way.
    QCA_INPUT_TOO_LARGE = 102,
    /// The caller's buffer is too small; the size needed, NUL included, is
    /// in `*needed_out`.
    QCA_BUFFER_TOO_SMALL = 103,
    /// A handle argument is not a live handle of the expected type: it was
    /// freed already, or it was not returned by this library.
    QCA_INVALID_HANDLE = 104,
    /// The library panicked, which is a bug; the panic was caught and the
    /// process can go on. Please report it.
    QCA_PANIC = 105,
}

impl From<ErrorCode> for qca_status {
    fn from(code: ErrorCode) -> Self {
        match code {
            ErrorCode::InvalidArgument => Self::QCA_INVALID_ARGUMENT,
            ErrorCode::CredentialNotAllowed => Self::QCA_CREDENTIAL_NOT_ALLOWED,
            ErrorCode::MissingCredential => Self::QCA_MISSING_CREDENTIAL,
            ErrorCode::AuthenticationFailed => Self::QCA_AUTHENTICATION_FAILED,
            ErrorCode::TokenRejected => Self::QCA_TOKEN_REJECTED,
            ErrorCode::TokenExpired => Self::QCA_TOKEN_EXPIRED,
            ErrorCode::PermissionDenied => Self::QCA_PERMISSION_DENIED,
            ErrorCode::RegistryRejected => Self::QCA_REGISTRY_REJECTED,
            ErrorCode::ApiError => Self::QCA_API_ERROR,
            ErrorCode::RateLimited => Self::QCA_RATE_LIMITED,
            ErrorCode::NetworkError => Self::QCA_NETWORK_ERROR,
            ErrorCode::TlsError => Self::QCA_TLS_ERROR,
            ErrorCode::Timeout => Self::QCA_TIMEOUT,
            ErrorCode::Io => Self::QCA_IO,
            ErrorCode::ConfigMalformed => Self::QCA_CONFIG_MALFORMED,
            ErrorCode::CredentialHelperFailed => Self::QCA_CREDENTIAL_HELPER_FAILED,
            ErrorCode::Internal => Self::QCA_INTERNAL,
            ErrorCode::PolicyFailed => Self::QCA_POLICY_FAILED,
        }
    }
}

/// An error: a status code and a message. Returned through `error_out` by a
/// failed call; read it with `qca_error_code` and `qca_error_message`, and
/// free it once with `qca_error_free`. It never changes, so several threads
/// may read it at once.
pub struct qca_error {
    status: qca_status,
    message: CString,
}

/// A failed call on its way to the caller: the status and the message.
#[derive(Debug)]
pub struct Failure {
    status: qca_status,
    message: String,
}

impl Failure {
    pub fn new(status: qca_status, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    pub fn null_argument(name: &str) -> Self {
        Self::new(
            qca_status::QCA_NULL_ARGUMENT,
            format!("the argument '{name}' is NULL"),
        )
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::from(Error::internal(message))
    }

    #[cfg(test)]
    pub fn status(&self) -> qca_status {
        self.status
    }

    #[cfg(test)]
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self::new(error.code().into(), error.to_string())
    }
}

/// Runs the body of the entry point `function` inside a panic boundary and
/// returns its status. A failure is written to `*error_out` as a new
/// `qca_error` when `error_out` is not NULL; a success leaves `*error_out`
/// untouched.
pub fn guard(
    function: &str,
    error_out: *mut *mut qca_error,
    body: impl FnOnce() -> Result<(), Failure>,
) -> qca_status {
    let outcome = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| {
        Err(Failure::new(
            qca_status::QCA_PANIC,
            format!("internal error: {function} panicked; please report this as a bug"),
        ))
    });
    let Err(failure) = outcome else {
        return qca_status::QCA_OK;
    };

    let status = failure.status;
    if !error_out.is_null() {
        // Boundary failures name the entry point; core messages stand alone.
        let message = if status as u32 >= qca_status::QCA_NULL_ARGUMENT as u32 {
            format!("{function}: {}", failure.message)
        } else {
            failure.message
        };
        let written = catch_unwind(AssertUnwindSafe(|| {
            let error = handles::register(qca_error {
                status,
                message: c_string(message),
            });
            // SAFETY: the caller passes NULL or a pointer it can write to.
            unsafe { error_out.write(error) };
        }));
        // A panic while recording the error must not cross the boundary
        // either; the caller then gets the status without an error object.
        drop(written);
    }
    status
}

/// Runs the body of an entry point that returns no status, with `fallback`
/// as the result if it panics.
pub fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// Makes a C string of `text`, replacing any NUL byte (an HTTP body quoted in
/// a message may contain one) with U+FFFD.
fn c_string(text: String) -> CString {
    let text = if text.contains('\0') {
        text.replace('\0', "\u{fffd}")
    } else {
        text
    };
    CString::new(text).expect("every NUL byte was replaced")
}

/// Returns the status code of `error`: the value that the failed call returned.
///
/// Returns `QCA_NULL_ARGUMENT` when `error` is NULL, `QCA_INVALID_HANDLE`
/// when it is not a live error, and `QCA_PANIC` if the library panicked.
/// Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn qca_error_code(error: *const qca_error) -> u32 {
    guard_value(qca_status::QCA_PANIC as u32, || {
        match handles::lookup(error, "error") {
            Ok(error) => error.status as u32,
            Err(failure) => failure.status as u32,
        }
    })
}

/// Returns the message of `error`: UTF-8, NUL-terminated, one or more
/// sentences that state what failed, on which value, and what to do next.
/// It never contains a token or password.
///
/// The string is borrowed from `error`: it stays valid until
/// `qca_error_free(error)` and must not be freed by itself. Returns NULL when
/// `error` is NULL or not a live error. Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn qca_error_message(error: *const qca_error) -> *const c_char {
    guard_value(std::ptr::null(), || match handles::lookup(error, "error") {
        // The registry keeps the error alive until qca_error_free, and the
        // message's buffer does not move while it lives.
        Ok(error) => error.message.as_ptr(),
        Err(_) => std::ptr::null(),
    })
}

/// Frees an error returned through an `error_out` argument.
///
/// NULL is a no-op, and so is a pointer that is not a live error (freed
/// already, or not returned by this library). Thread-safe.
#[unsafe(no_mangle)]
pub extern "C" fn qca_error_free(error: *mut qca_error) {
    guard_value((), || {
        handles::release(error.cast_const());
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const CORE_CODES: [ErrorCode; 14] = [
        ErrorCode::InvalidArgument,
        ErrorCode::CredentialNotAllowed,
        ErrorCode::MissingCredential,
        ErrorCode::AuthenticationFailed,
        ErrorCode::TokenRejected,
        ErrorCode::TokenExpired,
        ErrorCode::PermissionDenied,
        ErrorCode::ApiError,
        ErrorCode::RateLimited,
        ErrorCode::NetworkError,
        ErrorCode::TlsError,
        ErrorCode::Timeout,
        ErrorCode::Io,
        ErrorCode::Internal,
    ];

    #[test]
    fn core_codes_keep_their_numbers() {
        for code in CORE_CODES {
            let status = qca_status::from(code);
            assert_eq!(status as u32, code as u32, "{code:?}");
            assert!((status as u32) < qca_status::QCA_NULL_ARGUMENT as u32);
        }
    }

    #[test]
    fn core_codes_keep_their_names() {
        for code in CORE_CODES {
            let status = qca_status::from(code);
            let expected = format!("QCA_{}", code.as_str().to_ascii_uppercase());
            assert_eq!(format!("{status:?}"), expected);
        }
    }

    #[test]
    fn guard_turns_panic_into_status() {
        let mut error: *mut qca_error = std::ptr::null_mut();
        let status = guard("qca_probe", &mut error, || panic!("probe"));
        assert_eq!(status, qca_status::QCA_PANIC);
        assert!(!error.is_null());
        assert_eq!(qca_error_code(error), qca_status::QCA_PANIC as u32);

        // SAFETY: the message of a live error is a NUL-terminated string.
        let message = unsafe { std::ffi::CStr::from_ptr(qca_error_message(error)) };
        let message = message.to_str().expect("UTF-8");
        assert!(message.contains("qca_probe panicked"), "{message}");
        qca_error_free(error);
        assert_eq!(qca_error_code(error), qca_status::QCA_INVALID_HANDLE as u32);
        assert!(qca_error_message(error).is_null());
    }

    #[test]
    fn guard_reports_core_error() {
        let mut error: *mut qca_error = std::ptr::null_mut();
        let status = guard("qca_probe", &mut error, || {
            Err(Error::invalid("unknown POD 'XX1'").into())
        });
        assert_eq!(status, qca_status::QCA_INVALID_ARGUMENT);
        // SAFETY: the message of a live error is a NUL-terminated string.
        let message = unsafe { std::ffi::CStr::from_ptr(qca_error_message(error)) };
        assert_eq!(message.to_str().expect("UTF-8"), "unknown POD 'XX1'");
        qca_error_free(error);
    }

    #[test]
    fn guard_without_error_out() {
        let status = guard("qca_probe", std::ptr::null_mut(), || {
            Err(Failure::null_argument("out"))
        });
        assert_eq!(status, qca_status::QCA_NULL_ARGUMENT);
        let mut untouched: *mut qca_error = std::ptr::null_mut();
        assert_eq!(
            guard("qca_probe", &mut untouched, || Ok(())),
            qca_status::QCA_OK
        );
        assert!(untouched.is_null());
    }

    #[test]
    fn message_with_nul_byte() {
        assert_eq!(
            c_string("a\0b".to_owned()).to_bytes(),
            "a\u{fffd}b".as_bytes()
        );
    }
}
