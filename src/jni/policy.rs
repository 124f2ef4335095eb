//! The error policy of every JNI entry point: core errors, JNI failures and
//! panics become exceptions of the bridge's own hierarchy.
//!
//! Each core [`ErrorCode`] has one exception class under
//! `io.qualysciauth.bridge`, all subclasses of `QualysAuthException`. The
//! exception's message is the core error's `Display` text, which never
//! contains a secret. A panic becomes an `InternalException`. A JNI failure
//! whose exception is already pending (a Java exception raised during a
//! callback, an `OutOfMemoryError`) is left to propagate unchanged.

use std::any::Any;

use ::jni::errors::ErrorPolicy;
use ::jni::strings::{JNIStr, JNIString};
use ::jni::{Env, jni_str};

use crate::error::{Error, ErrorCode};

/// Every core error code, in numeric order. The Java side checks its own
/// `ErrorCode` enum against this table at test time.
pub(crate) const ERROR_CODES: [ErrorCode; 18] = [
    ErrorCode::InvalidArgument,
    ErrorCode::CredentialNotAllowed,
    ErrorCode::MissingCredential,
    ErrorCode::AuthenticationFailed,
    ErrorCode::TokenRejected,
    ErrorCode::TokenExpired,
    ErrorCode::PermissionDenied,
    ErrorCode::RegistryRejected,
    ErrorCode::ApiError,
    ErrorCode::RateLimited,
    ErrorCode::NetworkError,
    ErrorCode::TlsError,
    ErrorCode::Timeout,
    ErrorCode::Io,
    ErrorCode::ConfigMalformed,
    ErrorCode::CredentialHelperFailed,
    ErrorCode::Internal,
    ErrorCode::PolicyFailed,
];

/// Returns the JNI name of the exception class thrown for `code`.
///
/// The match is exhaustive on purpose: a new core code does not compile
/// until it has a Java exception class.
pub(crate) fn exception_class(code: ErrorCode) -> &'static JNIStr {
    match code {
        ErrorCode::InvalidArgument => jni_str!("io/qualysciauth/bridge/InvalidArgumentException"),
        ErrorCode::CredentialNotAllowed => {
            jni_str!("io/qualysciauth/bridge/CredentialNotAllowedException")
        }
        ErrorCode::MissingCredential => {
            jni_str!("io/qualysciauth/bridge/MissingCredentialException")
        }
        ErrorCode::AuthenticationFailed => {
            jni_str!("io/qualysciauth/bridge/AuthenticationFailedException")
        }
        ErrorCode::TokenRejected => jni_str!("io/qualysciauth/bridge/TokenRejectedException"),
        ErrorCode::TokenExpired => jni_str!("io/qualysciauth/bridge/TokenExpiredException"),
        ErrorCode::PermissionDenied => jni_str!("io/qualysciauth/bridge/PermissionDeniedException"),
        ErrorCode::ApiError => jni_str!("io/qualysciauth/bridge/ApiException"),
        ErrorCode::RateLimited => jni_str!("io/qualysciauth/bridge/RateLimitedException"),
        ErrorCode::NetworkError => jni_str!("io/qualysciauth/bridge/NetworkException"),
        ErrorCode::TlsError => jni_str!("io/qualysciauth/bridge/TlsException"),
        ErrorCode::Timeout => jni_str!("io/qualysciauth/bridge/TimeoutException"),
        ErrorCode::Io => jni_str!("io/qualysciauth/bridge/LocalIoException"),
        ErrorCode::RegistryRejected => jni_str!("io/qualysciauth/bridge/RegistryRejectedException"),
        ErrorCode::ConfigMalformed => jni_str!("io/qualysciauth/bridge/ConfigMalformedException"),
        ErrorCode::CredentialHelperFailed => {
            jni_str!("io/qualysciauth/bridge/CredentialHelperException")
        }
        ErrorCode::Internal => jni_str!("io/qualysciauth/bridge/InternalException"),
        ErrorCode::PolicyFailed => jni_str!("io/qualysciauth/bridge/PolicyFailedException"),
    }
}

/// Failure of a JNI entry point.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BridgeError {
    /// An error from the core, thrown as the exception class of its code.
    #[error(transparent)]
    Core(#[from] Error),
    /// A failed JNI call. With a pending Java exception it is left to
    /// propagate; otherwise it is thrown as an `InternalException`.
    #[error("a JNI call failed: {0}")]
    Jni(#[from] ::jni::errors::Error),
}

/// Result of the closures that run inside `with_env`.
pub(crate) type BridgeResult<T> = std::result::Result<T, BridgeError>;

/// Throws the bridge's exception types for errors and panics, and returns
/// the JNI default (`0`, `false`, `null`) to the caller. Java never reads
/// that value because the exception is pending.
#[derive(Debug, Default)]
pub struct ThrowBridgeException;

impl<T: Default> ErrorPolicy<T, BridgeError> for ThrowBridgeException {
    type Captures<'unowned_env_local: 'native_method, 'native_method> = ();

    fn on_error<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _captures: &mut (),
        error: BridgeError,
    ) -> ::jni::errors::Result<T> {
        if env.exception_check() {
            return Ok(T::default());
        }
        let (class, message) = match &error {
            BridgeError::Core(core) => (exception_class(core.code()), core.to_string()),
            BridgeError::Jni(_) => (
                exception_class(ErrorCode::Internal),
                format!("internal error: {error}; please report this as a bug"),
            ),
        };
        throw(env, class, &message);
        Ok(T::default())
    }

    fn on_panic<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _captures: &mut (),
        payload: Box<dyn Any + Send + 'static>,
    ) -> ::jni::errors::Result<T> {
        let message = format!(
            "internal error: the native library panicked: {}; please report this as a bug",
            panic_message(payload)
        );
        if env.exception_check() {
            // The panic happened after a Java exception was raised; the
            // panic is the more useful report.
            env.exception_clear();
        }
        throw(env, exception_class(ErrorCode::Internal), &message);
        Ok(T::default())
    }
}

/// Throws `class` with `message`, falling back to `java.lang.RuntimeException`
/// when the bridge's class cannot be loaded (a jar without it, say).
fn throw(env: &mut Env<'_>, class: &JNIStr, message: &str) {
    let message = JNIString::new(message);

    // `find_class` uses the class loader of the class that declared the
    // native method, so each class loader gets its own exception classes.
    let thrown = match env.find_class(class) {
        Ok(found) => env.throw_new(&found, &message),
        Err(error) => Err(error),
    };
    // `throw_new` reports success as `Err(JavaException)`: the exception is
    // pending, which is what the caller wants.
    if matches!(thrown, Err(::jni::errors::Error::JavaException)) {
        return;
    }

    env.exception_clear();
    let _ = env.throw_new(jni_str!("java/lang/RuntimeException"), &message);
}

/// Extracts the text of a panic payload without letting a second panic out.
fn panic_message(payload: Box<dyn Any + Send + 'static>) -> String {
    match payload.downcast::<&'static str>() {
        Ok(text) => (*text).to_owned(),
        Err(payload) => match payload.downcast::<String>() {
            Ok(text) => *text,
            Err(payload) => {
                // Dropping an unknown payload may itself panic.
                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(payload))).is_err()
                {
                    tracing::error!("dropping a panic payload panicked");
                }
                "a panic with a non-text payload".to_owned()
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_ordered_and_unique() {
        let numbers: Vec<u32> = ERROR_CODES.iter().map(|code| *code as u32).collect();
        let mut sorted = numbers.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(numbers, sorted);
    }

    #[test]
    fn every_code_has_a_distinct_class() {
        let mut classes: Vec<String> = ERROR_CODES
            .iter()
            .map(|code| exception_class(*code).to_string())
            .collect();
        classes.sort();
        classes.dedup();
        assert_eq!(classes.len(), ERROR_CODES.len());
    }

    #[test]
    fn panic_payload_text() {
        assert_eq!(panic_message(Box::new("static text")), "static text");
        assert_eq!(panic_message(Box::new(String::from("owned"))), "owned");
        assert_eq!(
            panic_message(Box::new(42_u8)),
            "a panic with a non-text payload"
        );
    }
}
