//! A blocking facade over [`Session`] for hosts without an async runtime:
//! the C ABI, JNI and any synchronous Rust caller.
//!
//! All blocking sessions share one process-wide Tokio runtime, started on
//! first use. Do not call these functions from inside a Tokio runtime: they
//! would block one of its threads (Tokio panics on nested `block_on`).

use std::sync::LazyLock;

use secrecy::SecretString;

use crate::auth::ApiResponse;
use crate::error::{Error, Result};
use crate::session::{LoginSummary, Session, SessionConfig};

static RUNTIME: LazyLock<std::result::Result<tokio::runtime::Runtime, String>> =
    LazyLock::new(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("qualys-ci-auth")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    });

pub(crate) fn block_on<F: std::future::Future>(future: F) -> Result<F::Output> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::internal(
            "a blocking call was made from inside an async runtime; use the async Session instead",
        ));
    }
    let runtime = RUNTIME
        .as_ref()
        .map_err(|e| Error::internal(format!("starting the async runtime failed: {e}")))?;
    Ok(runtime.block_on(future))
}

/// A session whose calls block the calling thread. Cheap to clone and safe
/// to share between threads.
#[derive(Clone, Debug)]
pub struct BlockingSession {
    session: Session,
}

impl BlockingSession {
    /// Prepares a session; see [`Session::new`].
    pub fn new(config: SessionConfig) -> Result<Self> {
        Ok(Self {
            session: Session::new(config)?,
        })
    }

    /// Returns the async session behind this one.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Returns a valid bearer token; a cached one is returned without
    /// touching the runtime.
    pub fn bearer_token(&self) -> Result<SecretString> {
        if let Some(token) = self.session.cached_bearer_token() {
            return Ok(token);
        }
        block_on(self.session.bearer_token())?
    }

    /// Authenticates and verifies; see [`Session::login`].
    pub fn login(&self) -> Result<LoginSummary> {
        block_on(self.session.login())?
    }

    /// Verifies the current token; see [`Session::verify`].
    pub fn verify(&self) -> Result<()> {
        block_on(self.session.verify())?
    }

    /// Sends an authenticated request; see [`Session::request`].
    pub fn request(
        &self,
        method: reqwest::Method,
        path_and_query: &str,
        body: Option<(&[u8], &str)>,
    ) -> Result<ApiResponse> {
        block_on(self.session.request(method, path_and_query, body))?
    }

    /// Returns the forms of the session's secrets to mask; see [`Session::mask_forms`].
    pub fn mask_forms(&self) -> Vec<String> {
        self.session.mask_forms()
    }
}
