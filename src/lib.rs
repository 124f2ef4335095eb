//! qualys-ci-auth: authentication for Qualys container-security scans in CI/CD.
//!
//! The core resolves the Qualys platform (POD) to its API gateway and checks
//! a credential against the rule table: an API token for QScanner
//! everywhere, a user name and password for the CICD Sensor on Jenkins only.
//! It obtains and caches bearer tokens, verifies them with the gateway, and
//! reports what a token carries. Hosts (the CLI, the C ABI, the Java bridge, the Azure
//! DevOps task) only convert types and errors around it.
//!
//! ```no_run
//! # async fn run() -> qualys_ci_auth::Result<()> {
//! use qualys_ci_auth::{Credential, Gateway, Platform, Session, SessionConfig};
//! use secrecy::SecretString;
//!
//! let gateway = Gateway::resolve(Some("US1"), None, false)?;
//! let token = SecretString::from(std::env::var("QUALYS_ACCESS_TOKEN").unwrap_or_default());
//! let config = SessionConfig::new(gateway, Credential::ApiToken(token), Platform::detect_from_process());
//! let summary = Session::new(config)?.login().await?;
//! println!("token valid until {:?}", summary.expires_at);
//! # Ok(()) }
//! ```

pub mod audit;
pub mod auth;
pub mod blocking;
pub mod capi;
pub mod checks;
pub mod error;
pub mod gateway;
pub mod http;
pub mod jni;
pub mod mask;
pub mod platform;
pub mod policy;
pub mod registry;
pub mod scan;
pub mod session;
pub mod time_fmt;
pub mod token;

pub use auth::{ApiResponse, DEFAULT_VERIFY_PATH};
pub use blocking::BlockingSession;
pub use checks::{CheckId, CheckResult, CheckStatus, PolicyReport};
pub use error::{Error, ErrorCode, Result, Target};
pub use gateway::{Gateway, PODS, Pod};
pub use http::{ExplicitProxy, HttpSettings, ProxySettings, RetryPolicy};
pub use platform::{Backend, CREDENTIAL_RULE, CredentialKind, Platform};
pub use policy::Policy;
pub use session::{Credential, LoginSummary, Session, SessionConfig};
pub use token::{Claims, InspectedToken, TokenShape};
