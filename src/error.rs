//! The one error type of the core, with a stable numeric code per kind.
//!
//! Every host maps these codes one-to-one: the CLI onto exit codes, the C ABI
//! onto status values, the Java bridge onto exception classes and the Azure
//! task onto task results. Messages never contain a secret: variants hold
//! only URLs, POD names, user names, HTTP statuses and causes.

use std::time::Duration;

/// Stable machine-readable error kinds. The numbers are part of the public
/// C ABI and of the JSON output: never renumber or reuse one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(u32)]
pub enum ErrorCode {
    /// A value given by the user is malformed (POD, URL, token format, option).
    InvalidArgument = 1,
    /// The credential kind is not allowed for the backend or platform.
    CredentialNotAllowed = 2,
    /// No credential was found where it was looked for.
    MissingCredential = 3,
    /// `POST /auth` rejected the user name or password (HTTP 401).
    AuthenticationFailed = 10,
    /// A bearer request was rejected with HTTP 401: the token is invalid, expired or revoked.
    TokenRejected = 11,
    /// The token's own `exp` claim lies in the past.
    TokenExpired = 12,
    /// The token lacks a permission, such as the Container Security scope (HTTP 403).
    PermissionDenied = 13,
    /// A container registry or its token service rejected the user name and
    /// password (HTTP 401 or 403).
    RegistryRejected = 14,
    /// The gateway returned an unexpected status or body.
    ApiError = 20,
    /// The gateway kept returning 429 Too Many Requests.
    RateLimited = 21,
    /// The gateway could not be reached.
    NetworkError = 30,
    /// The TLS handshake failed, usually an untrusted certificate.
    TlsError = 31,
    /// The overall deadline or a request timeout passed.
    Timeout = 32,
    /// A local file could not be read or written.
    Io = 40,
    /// A local configuration file (Docker's `config.json`) is not valid; it was left unchanged.
    ConfigMalformed = 41,
    /// A Docker credential helper is missing or failed.
    CredentialHelperFailed = 42,
    /// A bug: a state the code does not expect. Please report it.
    Internal = 50,
    /// The token breaks the token policy (age, scopes, expiry, shared
    /// between environments) where the policy says to fail.
    PolicyFailed = 60,
}

impl ErrorCode {
    /// Returns the code's snake_case name, as used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidArgument => "invalid_argument",
            Self::CredentialNotAllowed => "credential_not_allowed",
            Self::MissingCredential => "missing_credential",
            Self::AuthenticationFailed => "authentication_failed",
            Self::TokenRejected => "token_rejected",
            Self::TokenExpired => "token_expired",
            Self::PermissionDenied => "permission_denied",
            Self::ApiError => "api_error",
            Self::RateLimited => "rate_limited",
            Self::NetworkError => "network_error",
            Self::TlsError => "tls_error",
            Self::Timeout => "timeout",
            Self::Io => "io",
            Self::RegistryRejected => "registry_rejected",
            Self::ConfigMalformed => "config_malformed",
            Self::CredentialHelperFailed => "credential_helper_failed",
            Self::Internal => "internal",
            Self::PolicyFailed => "policy_failed",
        }
    }

    /// Returns the CLI exit code, using the values QScanner uses where the
    /// meaning matches so that one pipeline script can handle both tools.
    pub fn exit_code(self) -> u8 {
        match self {
            Self::InvalidArgument | Self::CredentialNotAllowed | Self::MissingCredential => 2,
            Self::AuthenticationFailed | Self::RegistryRejected => 20,
            Self::PermissionDenied => 21,
            Self::TokenRejected | Self::TokenExpired => 22,
            Self::ApiError | Self::RateLimited => 30,
            Self::NetworkError | Self::TlsError => 31,
            Self::Timeout => 32,
            Self::Io | Self::Internal | Self::ConfigMalformed | Self::CredentialHelperFailed => 1,
            Self::PolicyFailed => 23,
        }
    }
}

/// The destination of a request, for error messages: a wrong region looks exactly
/// like a wrong credential, so every remote error names both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub pod: Option<String>,
    pub url: String,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.pod {
            Some(pod) => write!(f, "{} (POD {pod})", self.url),
            None => write!(f, "{}", self.url),
        }
    }
}

/// The core's error. `Display` is the human message; `code()` the stable kind.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{message}")]
    InvalidArgument { message: String },

    #[error("{message}")]
    CredentialNotAllowed { message: String },

    #[error("{message}")]
    MissingCredential { message: String },

    #[error(
        "the gateway {target} rejected the user name or password for user '{username}' (HTTP 401); \
         the request was not retried because repeated failed logins lock Qualys accounts. \
         Check the credential and that the POD or gateway URL is your account's platform"
    )]
    AuthenticationFailed { target: Target, username: String },

    #[error(
        "the gateway {target} rejected the access token (HTTP 401): it is invalid, expired or revoked. \
         Create a new token in Qualys (Administration > User Management > API) and check that \
         the POD or gateway URL is your account's platform"
    )]
    TokenRejected { target: Target },

    #[error("the access token expired at {expired_at}; create or fetch a new one")]
    TokenExpired { expired_at: String },

    #[error("{message}")]
    PermissionDenied { message: String },

    #[error("the gateway {target} answered {request} with {detail}")]
    Api {
        target: Target,
        /// Method and path, e.g. `POST /auth`.
        request: String,
        detail: String,
        status: Option<u16>,
    },

    #[error(
        "the gateway {target} kept answering 429 Too Many Requests on {path} after {attempts} attempt(s){hint}"
    )]
    RateLimited {
        target: Target,
        path: String,
        attempts: u32,
        hint: String,
    },

    #[error(
        "could not reach the gateway {target} after {attempts} attempt(s): {cause}. \
         Check the POD or gateway URL, the network and the proxy settings"
    )]
    Network {
        target: Target,
        attempts: u32,
        cause: String,
    },

    #[error(
        "TLS connection to {host} failed: {cause}. If a proxy or firewall inspects TLS, \
         pass its CA certificate with --ca-file (PEM)"
    )]
    Tls { host: String, cause: String },

    #[error(
        "the request to {target} timed out after {attempts} attempt(s) in {elapsed:?} \
         (deadline {deadline:?}); last cause: {cause}"
    )]
    Timeout {
        target: Target,
        attempts: u32,
        elapsed: Duration,
        deadline: Duration,
        cause: String,
    },

    #[error("{action} '{path}' failed: {source}")]
    Io {
        action: String,
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("internal error: {message}; please report this as a bug")]
    Internal { message: String },

    /// The failure of a token request that this caller waited for, with the
    /// kind and message that the caller who sent the request received.
    #[error("{message}")]
    Repeated { code: ErrorCode, message: String },

    #[error(
        "the registry {registry} rejected the credentials of user '{username}' ({detail}); \
         the request was not retried. Check the user name and password or token, and that they \
         are allowed to access this registry"
    )]
    RegistryRejected {
        registry: String,
        username: String,
        detail: String,
    },

    #[error(
        "the Docker client configuration '{path}' is not valid: {cause}. It was left unchanged; \
         fix or move the file, then log in again"
    )]
    ConfigMalformed { path: String, cause: String },

    #[error("the credential helper docker-credential-{helper} failed to {action}: {cause}")]
    CredentialHelper {
        helper: String,
        action: String,
        cause: String,
    },

    /// A failure talking to a container registry, worded for registries
    /// rather than the Qualys gateway. `code` is the kind it would have as a
    /// gateway error (network, TLS, timeout, API, rate limit).
    #[error("{message}")]
    Registry { code: ErrorCode, message: String },
    #[error("{message}")]
    PolicyFailed { message: String },
}

impl Error {
    /// Returns the stable kind of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidArgument { .. } => ErrorCode::InvalidArgument,
            Self::CredentialNotAllowed { .. } => ErrorCode::CredentialNotAllowed,
            Self::MissingCredential { .. } => ErrorCode::MissingCredential,
            Self::AuthenticationFailed { .. } => ErrorCode::AuthenticationFailed,
            Self::TokenRejected { .. } => ErrorCode::TokenRejected,
            Self::TokenExpired { .. } => ErrorCode::TokenExpired,
            Self::PermissionDenied { .. } => ErrorCode::PermissionDenied,
            Self::Api { .. } => ErrorCode::ApiError,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::Network { .. } => ErrorCode::NetworkError,
            Self::Tls { .. } => ErrorCode::TlsError,
            Self::Timeout { .. } => ErrorCode::Timeout,
            Self::Io { .. } => ErrorCode::Io,
            Self::Internal { .. } => ErrorCode::Internal,
            Self::Repeated { code, .. } => *code,
            Self::RegistryRejected { .. } => ErrorCode::RegistryRejected,
            Self::ConfigMalformed { .. } => ErrorCode::ConfigMalformed,
            Self::CredentialHelper { .. } => ErrorCode::CredentialHelperFailed,
            Self::Registry { code, .. } => *code,
            Self::PolicyFailed { .. } => ErrorCode::PolicyFailed,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidArgument {
            message: message.into(),
        }
    }

    pub fn missing(message: impl Into<String>) -> Self {
        Self::MissingCredential {
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::Internal {
            message: message.into(),
        }
    }

    pub fn io(action: impl Into<String>, path: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            action: action.into(),
            path: path.into(),
            source,
        }
    }
}

/// The core's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
