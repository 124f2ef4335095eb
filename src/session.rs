//! A session hands out a valid bearer token for one gateway and credential.
//!
//! With an API token the token itself is the bearer token. With a user name
//! and password the session exchanges them for a JWT and caches it in a
//! process-wide cache, keyed by gateway, user name and a salted hash of the
//! password, so that every session and thread in the process (parallel
//! stages of one Jenkins controller) shares one `/auth` request per token
//! lifetime. A fresh JWT is fetched shortly before `exp`. Concurrent callers
//! on a cold or expiring cache wait for one request (single-flight).
//!
//! A rejected password is remembered for the life of the process: later
//! callers with the same credential get the same error without another
//! request, so parallel stages cannot lock the account.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, RwLock};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::audit::{AuditEvent, AuditSettings, Operation};
use crate::auth::{self, ApiResponse, DEFAULT_VERIFY_PATH};
use crate::error::{Error, ErrorCode, Result};
use crate::gateway::Gateway;
use crate::http::{self, HttpSettings, RetryPolicy};
use crate::platform::{Backend, CredentialKind, Platform, check_rule};
use crate::time_fmt::{now_unix, rfc3339};
use crate::token::{self, InspectedToken, TokenShape};

/// Lifetime of a Qualys JWT from `/auth` (4 hours), assumed when the token
/// carries no `exp`.
pub const DEFAULT_JWT_LIFETIME: Duration = Duration::from_secs(4 * 60 * 60);

/// A credential. Its `Debug` output never shows the secret.
#[derive(Clone)]
pub enum Credential {
    ApiToken(SecretString),
    UsernamePassword {
        username: String,
        password: SecretString,
    },
}

impl Credential {
    pub fn kind(&self) -> CredentialKind {
        match self {
            Self::ApiToken(_) => CredentialKind::ApiToken,
            Self::UsernamePassword { .. } => CredentialKind::UsernamePassword,
        }
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ApiToken(_) => f.write_str("ApiToken([REDACTED])"),
            Self::UsernamePassword { username, .. } => f
                .debug_struct("UsernamePassword")
                .field("username", username)
                .field("password", &"[REDACTED]")
                .finish(),
        }
    }
}

/// Everything a session needs.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    pub gateway: Gateway,
    pub credential: Credential,
    /// The backend the user asked for; `None` lets the credential decide.
    pub backend: Option<Backend>,
    pub platform: Platform,
    pub http: HttpSettings,
    pub retry: RetryPolicy,
    /// Path and query of the Container Security call used to verify tokens.
    pub verify_path: String,
    /// How long before `exp` a cached JWT is replaced. For short-lived
    /// tokens a quarter of the lifetime is used when that is smaller.
    pub refresh_margin: Duration,
    /// Audit log that records each use of the token (login, verification,
    /// API call, `/auth` exchange); `None` records nothing. The cached-token path
    /// of [`Session::bearer_token`] never writes.
    pub audit: Option<AuditSettings>,
}

impl SessionConfig {
    /// Returns a configuration with default HTTP, retry and refresh settings.
    pub fn new(gateway: Gateway, credential: Credential, platform: Platform) -> Self {
        Self {
            gateway,
            credential,
            backend: None,
            platform,
            http: HttpSettings::default(),
            retry: RetryPolicy::default(),
            verify_path: DEFAULT_VERIFY_PATH.to_owned(),
            refresh_margin: Duration::from_secs(5 * 60),
            audit: None,
        }
    }
}

/// A JWT in the cache.
struct CachedJwt {
    token: SecretString,
    /// Unix time after which the token is replaced.
    refresh_at: i64,
}

/// One cache entry: the current JWT, the lock that makes refreshes single-flight,
/// and a remembered rejection.
#[derive(Default)]
struct TokenSlot {
    current: RwLock<Option<Arc<CachedJwt>>>,
    /// Held by the one caller that sends `/auth`; the others wait on `refreshed`.
    refresh: tokio::sync::Mutex<()>,
    /// Wakes every waiting caller at once when a refresh ends, so that they
    /// do not take the lock one after another.
    refreshed: tokio::sync::Notify,
    /// Number of refreshes that have ended.
    finished: AtomicU64,
    /// The last failed refresh: its number in `finished` and its error, so
    /// that callers who waited for it get the same error without a request.
    last_failure: Mutex<Option<(u64, ErrorCode, String)>>,
    rejected: RwLock<bool>,
}

impl TokenSlot {
    fn fresh(&self, now: i64) -> Option<SecretString> {
        let current = self.current.read().ok()?;
        current
            .as_ref()
            .filter(|jwt| now < jwt.refresh_at)
            .map(|jwt| jwt.token.clone())
    }

    fn is_rejected(&self) -> bool {
        self.rejected.read().map(|r| *r).unwrap_or(false)
    }
}

static TOKEN_CACHE: LazyLock<Mutex<HashMap<String, Arc<TokenSlot>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// A per-process salt, so that cache keys are not plain password hashes.
static CACHE_SALT: LazyLock<[u8; 32]> = LazyLock::new(rand::random);

fn cache_slot(
    gateway: &Gateway,
    username: &str,
    password: &SecretString,
) -> Result<Arc<TokenSlot>> {
    let mut hasher = Sha256::new();
    hasher.update(CACHE_SALT.as_slice());
    hasher.update(password.expose_secret().as_bytes());
    let key = format!(
        "{}\n{}\n{}",
        gateway.url,
        username,
        hex::encode(hasher.finalize())
    );
    let mut cache = TOKEN_CACHE
        .lock()
        .map_err(|_| Error::internal("the token cache lock is poisoned"))?;
    Ok(cache.entry(key).or_default().clone())
}

/// The report of `login`, in the documented JSON schema of `login --format json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LoginSummary {
    /// Version of this schema; fields are only ever added.
    pub schema_version: u32,
    pub gateway: String,
    pub pod: Option<String>,
    pub backend: Backend,
    pub platform: Platform,
    pub credential: CredentialKind,
    /// The `sub` claim, or the user name of a password credential.
    pub user: Option<String>,
    /// `jwt` or `opaque`.
    pub token_kind: &'static str,
    /// First 16 hex digits of the bearer token's SHA-256.
    pub token_fingerprint: String,
    pub issued_at: Option<String>,
    pub expires_at: Option<String>,
    pub expires_in_seconds: Option<i64>,
    /// `modulesAllowed` of the token, when it is a JWT that carries them.
    pub scopes: Option<Vec<String>>,
    /// `true` once the gateway accepted the token on a Container Security call.
    pub verified: bool,
}

/// Hands out bearer tokens for one gateway and credential. Cheap to clone;
/// clones share everything.
#[derive(Clone)]
pub struct Session {
    inner: Arc<SessionInner>,
}

struct SessionInner {
    config: SessionConfig,
    backend: Backend,
    client: reqwest::Client,
    slot: Option<Arc<TokenSlot>>,
    /// The `exp` claim of an API token, decoded once: the token never
    /// changes, and decoding it on every call would cost a microsecond.
    api_token_exp: Option<i64>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("gateway", &self.inner.config.gateway)
            .field("backend", &self.inner.backend)
            .field("credential", &self.inner.config.credential)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Checks the credential against the rule table and prepares the session.
    /// Nothing is sent until a token is requested.
    pub fn new(config: SessionConfig) -> Result<Self> {
        let backend = check_rule(config.credential.kind(), config.backend, config.platform)?;
        let client = http::shared_client(&config.http)?;
        let mut api_token_exp = None;
        let slot = match &config.credential {
            Credential::ApiToken(raw) => {
                let inspected = InspectedToken::parse(raw.expose_secret())?;
                token::check_usable(&inspected.shape, now_unix())?;
                api_token_exp = inspected.claims().and_then(|claims| claims.exp);
                None
            }
            Credential::UsernamePassword { username, password } => {
                if username.trim().is_empty() {
                    return Err(Error::missing(
                        "the user name is empty; set QUALYS_USERNAME or pass --username",
                    ));
                }
                if password.expose_secret().is_empty() {
                    return Err(Error::missing(
                        "the password is empty; set QUALYS_PASSWORD or pass --password-file",
                    ));
                }
                Some(cache_slot(&config.gateway, username, password)?)
            }
        };
        let mut config = config;
        if let Credential::ApiToken(raw) = &config.credential {
            config.credential = Credential::ApiToken(token::normalize_token(raw.expose_secret())?);
        }
        Ok(Self {
            inner: Arc::new(SessionInner {
                config,
                backend,
                client,
                slot,
                api_token_exp,
            }),
        })
    }

    pub fn gateway(&self) -> &Gateway {
        &self.inner.config.gateway
    }

    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    pub fn platform(&self) -> Platform {
        self.inner.config.platform
    }

    pub fn credential_kind(&self) -> CredentialKind {
        self.inner.config.credential.kind()
    }

    fn api_token_unexpired(&self, now: i64) -> bool {
        self.inner.api_token_exp.is_none_or(|exp| now < exp)
    }

    /// Returns the bearer token if it is at hand without a request: an API
    /// token whose claims do not show it expired, or a cached JWT that is not
    /// due for refresh.
    pub fn cached_bearer_token(&self) -> Option<SecretString> {
        match (&self.inner.config.credential, &self.inner.slot) {
            // A token that expired since the session was created is left to
            // `bearer_token`, which reports it.
            (Credential::ApiToken(token), _) => {
                self.api_token_unexpired(now_unix()).then(|| token.clone())
            }
            (Credential::UsernamePassword { .. }, Some(slot)) => slot.fresh(now_unix()),
            (Credential::UsernamePassword { .. }, None) => None,
        }
    }

    /// Returns a bearer token that is valid now, fetching a JWT if needed.
    pub async fn bearer_token(&self) -> Result<SecretString> {
        let (username, password) = match &self.inner.config.credential {
            Credential::ApiToken(token) => {
                // The token may have expired since the session was created.
                if let Some(exp) = self.inner.api_token_exp
                    && !self.api_token_unexpired(now_unix())
                {
                    return Err(Error::TokenExpired {
                        expired_at: rfc3339(exp),
                    });
                }
                return Ok(token.clone());
            }
            Credential::UsernamePassword { username, password } => (username, password),
        };
        let slot = self
            .inner
            .slot
            .as_ref()
            .ok_or_else(|| Error::internal("a password session has no cache slot"))?;

        loop {
            if let Some(token) = slot.fresh(now_unix()) {
                return Ok(token);
            }
            if slot.is_rejected() {
                return Err(self.rejected_error(username));
            }
            // Register for the wake-up before trying the lock, so that a
            // refresh ending in between is not missed.
            let notified = slot.refreshed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let seen = slot.finished.load(Ordering::SeqCst);

            let Ok(_single_flight) = slot.refresh.try_lock() else {
                notified.await;
                let failure = slot.last_failure.lock().ok().and_then(|f| f.clone());
                if let Some((number, code, message)) = failure
                    && number > seen
                {
                    return Err(Error::Repeated { code, message });
                }
                continue;
            };
            if let Some(token) = slot.fresh(now_unix()) {
                return Ok(token);
            }
            let result = self.refresh(slot, username, password).await;
            let number = slot.finished.fetch_add(1, Ordering::SeqCst) + 1;
            if let (Err(error), Ok(mut last)) = (&result, slot.last_failure.lock()) {
                *last = Some((number, error.code(), error.to_string()));
            }
            drop(_single_flight);
            slot.refreshed.notify_waiters();
            return result;
        }
    }

    /// Exchanges the password for a JWT and stores it in `slot`. The caller
    /// holds the slot's refresh lock.
    async fn refresh(
        &self,
        slot: &TokenSlot,
        username: &str,
        password: &SecretString,
    ) -> Result<SecretString> {
        let config = &self.inner.config;
        let result = auth::exchange_password(
            &self.inner.client,
            &config.gateway,
            config.retry,
            username,
            password,
        )
        .await;
        self.audit(Operation::Auth, result.as_ref().ok(), result.as_ref().err())
            .await;
        let jwt = match result {
            Ok(jwt) => jwt,
            Err(error) => {
                if error.code() == ErrorCode::AuthenticationFailed
                    && let Ok(mut rejected) = slot.rejected.write()
                {
                    *rejected = true;
                }
                return Err(error);
            }
        };
        let refresh_at = self.refresh_time(&jwt);
        let cached = Arc::new(CachedJwt {
            token: jwt.clone(),
            refresh_at,
        });
        if let Ok(mut current) = slot.current.write() {
            *current = Some(cached);
        }
        tracing::info!(
            gateway = %config.gateway.target(),
            user = username,
            fingerprint = %token::fingerprint(jwt.expose_secret()),
            refresh_at = %rfc3339(refresh_at),
            "fetched a new JWT"
        );
        Ok(jwt)
    }

    fn rejected_error(&self, username: &str) -> Error {
        Error::AuthenticationFailed {
            target: self.inner.config.gateway.target(),
            username: username.to_owned(),
        }
    }

    /// Returns when a fresh JWT must replace `jwt`: `exp` minus the refresh
    /// margin, or a quarter of the lifetime for short-lived tokens.
    fn refresh_time(&self, jwt: &SecretString) -> i64 {
        let now = now_unix();
        let claims = match token::decode_claims(jwt.expose_secret()) {
            Ok(TokenShape::Jwt(claims)) => claims,
            _ => Default::default(),
        };
        let lifetime = DEFAULT_JWT_LIFETIME.as_secs() as i64;
        let exp = claims.exp.unwrap_or(now + lifetime);
        let issued = claims.iat.unwrap_or(now).min(exp);
        let margin = (self.inner.config.refresh_margin.as_secs() as i64).min((exp - issued) / 4);
        exp - margin
    }

    /// Drops a cached JWT that the gateway just rejected, unless another
    /// caller already replaced it.
    fn invalidate(&self, rejected: &SecretString) {
        let Some(slot) = &self.inner.slot else {
            return;
        };
        if let Ok(mut current) = slot.current.write()
            && current
                .as_ref()
                .is_some_and(|jwt| jwt.token.expose_secret() == rejected.expose_secret())
        {
            *current = None;
        }
    }

    /// Appends an audit record, when the audit log is on. `token` is the
    /// bearer token used, if one was obtained.
    async fn audit(
        &self,
        operation: Operation,
        token: Option<&SecretString>,
        error: Option<&Error>,
    ) {
        let config = &self.inner.config;
        let Some(settings) = &config.audit else {
            return;
        };
        let (user, fingerprint) = match &config.credential {
            Credential::ApiToken(raw) => (None, Some(token::fingerprint(raw.expose_secret()))),
            Credential::UsernamePassword { username, .. } => (
                Some(username.as_str()),
                token.map(|t| token::fingerprint(t.expose_secret())),
            ),
        };
        let record = settings.record(AuditEvent {
            operation,
            platform: config.platform,
            gateway: &config.gateway.url,
            backend: self.inner.backend,
            credential: config.credential.kind(),
            user,
            token_fingerprint: fingerprint,
            error_code: error.map(|e| e.code().as_str()),
        });
        settings.append_in_background(record).await;
    }

    /// Verifies the current bearer token with one Container Security call.
    pub async fn verify(&self) -> Result<()> {
        let mut used = None;
        let result = self.verify_unaudited(&mut used).await;
        self.audit(Operation::Verify, used.as_ref(), result.as_ref().err())
            .await;
        result
    }

    async fn verify_unaudited(&self, used: &mut Option<SecretString>) -> Result<()> {
        let token = self.bearer_token().await?;
        *used = Some(token.clone());
        let config = &self.inner.config;
        auth::verify_bearer(
            &self.inner.client,
            &config.gateway,
            config.retry,
            &config.verify_path,
            &token,
        )
        .await
    }

    /// Authenticates, verifies the token with the gateway and reports it.
    pub async fn login(&self) -> Result<LoginSummary> {
        let mut used = None;
        let result = self.login_unaudited(&mut used).await;
        self.audit(Operation::Login, used.as_ref(), result.as_ref().err())
            .await;
        result
    }

    async fn login_unaudited(&self, used: &mut Option<SecretString>) -> Result<LoginSummary> {
        let token = self.bearer_token().await?;
        *used = Some(token.clone());
        let config = &self.inner.config;
        let verified = auth::verify_bearer(
            &self.inner.client,
            &config.gateway,
            config.retry,
            &config.verify_path,
            &token,
        )
        .await;
        if let Err(Error::TokenRejected { .. }) = &verified {
            self.invalidate(&token);
        }
        verified?;
        Ok(self.summary(&token, true))
    }

    /// Describes `token` as the login summary does, without any request.
    pub fn summary(&self, token: &SecretString, verified: bool) -> LoginSummary {
        let config = &self.inner.config;
        let shape = token::decode_claims(token.expose_secret()).unwrap_or(TokenShape::Opaque);
        let claims = match &shape {
            TokenShape::Jwt(claims) => Some(claims),
            TokenShape::Opaque => None,
        };
        let user = claims
            .and_then(|c| c.sub.clone())
            .or_else(|| match &config.credential {
                Credential::UsernamePassword { username, .. } => Some(username.clone()),
                Credential::ApiToken(_) => None,
            });
        let exp = claims.and_then(|c| c.exp);
        LoginSummary {
            schema_version: 1,
            gateway: config.gateway.url.clone(),
            pod: config.gateway.pod.map(str::to_owned),
            backend: self.inner.backend,
            platform: config.platform,
            credential: config.credential.kind(),
            user,
            token_kind: if claims.is_some() { "jwt" } else { "opaque" },
            token_fingerprint: token::fingerprint(token.expose_secret()),
            issued_at: claims.and_then(|c| c.iat).map(rfc3339),
            expires_at: exp.map(rfc3339),
            expires_in_seconds: exp.map(|exp| exp - now_unix()),
            scopes: claims.and_then(|c| c.modules_allowed.clone()),
            verified,
        }
    }

    /// Sends an authenticated request to `path_and_query` on the gateway.
    ///
    /// When a JWT from `/auth` is rejected with 401 (it expired during a long
    /// job, say), the session fetches one new JWT, single-flight, and replays
    /// the request once. An API token is never replaced by another credential.
    pub async fn request(
        &self,
        method: reqwest::Method,
        path_and_query: &str,
        body: Option<(&[u8], &str)>,
    ) -> Result<ApiResponse> {
        let mut used = None;
        let result = self
            .request_unaudited(method, path_and_query, body, &mut used)
            .await;
        self.audit(Operation::Request, used.as_ref(), result.as_ref().err())
            .await;
        result
    }

    async fn request_unaudited(
        &self,
        method: reqwest::Method,
        path_and_query: &str,
        body: Option<(&[u8], &str)>,
        used: &mut Option<SecretString>,
    ) -> Result<ApiResponse> {
        let config = &self.inner.config;
        let token = self.bearer_token().await?;
        *used = Some(token.clone());
        let first = auth::bearer_request(
            &self.inner.client,
            &config.gateway,
            config.retry,
            &method,
            path_and_query,
            body,
            &token,
        )
        .await;
        match first {
            Err(Error::TokenRejected { .. }) if self.inner.slot.is_some() => {
                tracing::info!(gateway = %config.gateway.target(), "the JWT was rejected; fetching a new one and replaying once");
                self.invalidate(&token);
                let fresh = self.bearer_token().await?;
                *used = Some(fresh.clone());
                auth::bearer_request(
                    &self.inner.client,
                    &config.gateway,
                    config.retry,
                    &method,
                    path_and_query,
                    body,
                    &fresh,
                )
                .await
            }
            other => other,
        }
    }

    /// Returns every form of the session's secrets that a CI log masker must
    /// hide: the password or API token, and the current JWT when one is cached.
    pub fn mask_forms(&self) -> Vec<String> {
        let mut forms = match &self.inner.config.credential {
            Credential::ApiToken(token) => crate::mask::mask_forms(token.expose_secret(), None),
            Credential::UsernamePassword { username, password } => {
                crate::mask::mask_forms(password.expose_secret(), Some(username))
            }
        };
        if let (Some(slot), Credential::UsernamePassword { .. }) =
            (&self.inner.slot, &self.inner.config.credential)
            && let Some(jwt) = slot.fresh(now_unix())
        {
            forms.extend(crate::mask::mask_forms(jwt.expose_secret(), None));
        }
        forms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        forms.dedup();
        forms
    }
}
