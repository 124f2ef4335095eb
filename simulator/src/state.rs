//! Shared simulator state: registered users, issued and revoked tokens,
//! pending faults and request counters.
//!
//! One mutex guards everything. Every critical section is short and never
//! awaits, so contention is not a concern at test-suite request rates.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::Serialize;

use crate::faults::Fault;
use crate::tokens::{
    self, API_TOKEN_CREDENTIAL, Claims, JwtRejection, TokenSigner, USERNAME_PASSWORD_CREDENTIAL,
};

/// Path of the credential exchange endpoint, whose requests have their own
/// counters.
pub(crate) const AUTH_PATH: &str = "/auth";

/// First `portalUserId` handed out. Starting high keeps fake ids from
/// looking like counters or array indexes in test output.
const FIRST_PORTAL_USER_ID: u64 = 100_001;

/// The API token to mint through [`Simulator::mint_token`](crate::Simulator::mint_token).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenSpec {
    /// `sub` claim, the user the token belongs to. It does not have to be a
    /// registered user.
    pub subject: String,
    /// `modulesAllowed` claim, for example `["CS"]`.
    pub modules: Vec<String>,
    /// Lifetime counted from the backdated `iat`, so a token issued 100 days
    /// ago with a 90-day lifetime is already expired. `None` means the
    /// simulator's configured JWT lifetime counted from the real issue time,
    /// so a backdated token stays valid. An opaque token with `None` never
    /// expires.
    pub lifetime: Option<Duration>,
    /// Days by which `iat` lies in the past, for testing rotation checks.
    pub issued_days_ago: u32,
    /// Mint a random 64-character alphanumeric token instead of a JWT.
    pub opaque: bool,
}

impl TokenSpec {
    /// Describes a JWT for `subject` with `modules`, issued now, with the
    /// configured lifetime.
    pub fn jwt(subject: &str, modules: &[&str]) -> Self {
        Self {
            subject: subject.to_owned(),
            modules: modules.iter().map(|module| (*module).to_owned()).collect(),
            ..Self::default()
        }
    }

    /// Describes an opaque token for `subject` with `modules` that never
    /// expires.
    pub fn opaque(subject: &str, modules: &[&str]) -> Self {
        Self {
            opaque: true,
            ..Self::jwt(subject, modules)
        }
    }
}

/// Counters of `POST /auth` requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AuthCounts {
    /// Every request on `/auth`, including faulted ones and wrong methods, so
    /// `total >= succeeded + rejected`.
    pub total: u64,
    /// Requests that received a 201 and a token.
    pub succeeded: u64,
    /// Requests that the endpoint itself rejected with 400 or 401.
    pub rejected: u64,
}

/// Snapshot of all request counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// Requests per exact path, query excluded, faulted requests included.
    /// Requests to the `/__simulator/` control API are not counted.
    pub paths: BTreeMap<String, u64>,
    /// Counters of the credential exchange.
    pub auth: AuthCounts,
}

/// Permissions of an accepted bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Principal {
    /// `modulesAllowed` of a JWT, or the modules an opaque token was minted
    /// with.
    pub(crate) modules: Vec<String>,
}

/// Reasons a bearer token is rejected. Each one leads to a 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BearerRejection {
    Expired,
    Revoked,
    /// A JWT with a bad signature, issuer, audience or shape.
    InvalidJwt,
    /// Neither a registered opaque token nor something shaped like a JWT.
    Unknown,
}

impl BearerRejection {
    pub(crate) fn message(self) -> &'static str {
        match self {
            Self::Expired => "the bearer token has expired",
            Self::Revoked => "the bearer token has been revoked",
            Self::InvalidJwt => "the bearer token is not a valid JWT from this gateway",
            Self::Unknown => "the bearer token is unknown",
        }
    }
}

struct User {
    password: String,
    modules: Vec<String>,
}

struct OpaqueToken {
    modules: Vec<String>,
    /// Seconds since the Unix epoch, or `None` for no expiry.
    expires_at: Option<u64>,
}

/// Token issued to a subject, remembered so that revoking the subject can
/// revoke it.
#[derive(Clone)]
enum IssuedToken {
    Jwt { jti: String },
    Opaque { value: String },
}

struct PendingFault {
    path_prefix: String,
    fault: Fault,
    remaining: u32,
}

#[derive(Default)]
struct Inner {
    users: HashMap<String, User>,
    portal_user_ids: HashMap<String, u64>,
    opaque_tokens: HashMap<String, OpaqueToken>,
    issued_by_subject: HashMap<String, Vec<IssuedToken>>,
    revoked_jtis: HashSet<String>,
    revoked_opaque_tokens: HashSet<String>,
    faults: VecDeque<PendingFault>,
    counters: Counters,
}

impl Inner {
    fn portal_user_id(&mut self, subject: &str) -> u64 {
        let next_id = FIRST_PORTAL_USER_ID + self.portal_user_ids.len() as u64;
        *self
            .portal_user_ids
            .entry(subject.to_owned())
            .or_insert(next_id)
    }

    fn record_issued(&mut self, subject: &str, token: IssuedToken) {
        self.issued_by_subject
            .entry(subject.to_owned())
            .or_default()
            .push(token);
    }
}

/// State shared by the request handlers and the [`Simulator`](crate::Simulator) handle.
pub(crate) struct SimulatorState {
    signer: TokenSigner,
    jwt_lifetime: Duration,
    inner: Mutex<Inner>,
}

impl SimulatorState {
    pub(crate) fn new(jwt_lifetime: Duration) -> Self {
        Self {
            signer: TokenSigner::new(),
            jwt_lifetime,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // No code path panics while holding the lock, and the data stays
        // consistent between statements anyway, so a poisoned lock is still
        // safe to use.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a user, replacing the password and modules of an existing
    /// user of the same name.
    pub(crate) fn add_user(&self, username: &str, password: &str, modules: Vec<String>) {
        let mut inner = self.lock();
        inner.portal_user_id(username);
        inner.users.insert(
            username.to_owned(),
            User {
                password: password.to_owned(),
                modules,
            },
        );
    }

    /// Checks the credentials and returns a new session JWT, or `None` when
    /// the user is unknown or the password differs.
    pub(crate) fn log_in(&self, username: &str, password: &str) -> Option<String> {
        let mut inner = self.lock();
        let modules = match inner.users.get(username) {
            Some(user) if user.password == password => user.modules.clone(),
            _ => return None,
        };

        let now = tokens::now_seconds();
        let expires_at = tokens::seconds_after(now, self.jwt_lifetime);
        let portal_user_id = inner.portal_user_id(username);
        let claims = Claims::new(
            username,
            USERNAME_PASSWORD_CREDENTIAL,
            &modules,
            portal_user_id,
            now,
            expires_at,
        );
        let token = self.signer.sign(&claims);
        inner.record_issued(username, IssuedToken::Jwt { jti: claims.jti });
        Some(token)
    }

    /// Mints an API token as described by `spec`.
    pub(crate) fn mint_token(&self, spec: &TokenSpec) -> String {
        let now = tokens::now_seconds();
        let issued_at = tokens::days_before(now, spec.issued_days_ago);
        let mut inner = self.lock();

        if spec.opaque {
            let value = tokens::random_opaque_token();
            inner.opaque_tokens.insert(
                value.clone(),
                OpaqueToken {
                    modules: spec.modules.clone(),
                    expires_at: spec
                        .lifetime
                        .map(|lifetime| tokens::seconds_after(issued_at, lifetime)),
                },
            );
            inner.record_issued(
                &spec.subject,
                IssuedToken::Opaque {
                    value: value.clone(),
                },
            );
            return value;
        }

        let expires_at = match spec.lifetime {
            Some(lifetime) => tokens::seconds_after(issued_at, lifetime),
            None => tokens::seconds_after(now, self.jwt_lifetime),
        };
        let portal_user_id = inner.portal_user_id(&spec.subject);
        let claims = Claims::new(
            &spec.subject,
            API_TOKEN_CREDENTIAL,
            &spec.modules,
            portal_user_id,
            issued_at,
            expires_at,
        );
        let token = self.signer.sign(&claims);
        inner.record_issued(&spec.subject, IssuedToken::Jwt { jti: claims.jti });
        token
    }

    /// Signs a JWT that is recorded nowhere, for bodies that the
    /// truncated-body fault cuts short.
    pub(crate) fn unrecorded_jwt(&self, subject: &str) -> String {
        let now = tokens::now_seconds();
        let claims = Claims::new(
            subject,
            USERNAME_PASSWORD_CREDENTIAL,
            &[],
            0,
            now,
            tokens::seconds_after(now, self.jwt_lifetime),
        );
        self.signer.sign(&claims)
    }

    /// Checks a bearer token from an `Authorization` header.
    pub(crate) fn authorize(&self, token: &str) -> Result<Principal, BearerRejection> {
        let inner = self.lock();

        if let Some(opaque) = inner.opaque_tokens.get(token) {
            if inner.revoked_opaque_tokens.contains(token) {
                return Err(BearerRejection::Revoked);
            }
            if opaque
                .expires_at
                .is_some_and(|expires_at| expires_at < tokens::now_seconds())
            {
                return Err(BearerRejection::Expired);
            }
            return Ok(Principal {
                modules: opaque.modules.clone(),
            });
        }

        match self.signer.verify(token) {
            Ok(claims) if inner.revoked_jtis.contains(&claims.jti) => Err(BearerRejection::Revoked),
            Ok(claims) => Ok(Principal {
                modules: claims.modules_allowed,
            }),
            Err(JwtRejection::Expired) => Err(BearerRejection::Expired),
            Err(JwtRejection::Invalid) if token.contains('.') => Err(BearerRejection::InvalidJwt),
            Err(JwtRejection::Invalid) => Err(BearerRejection::Unknown),
        }
    }

    /// Revokes one token by value. Returns `false` when the value is neither
    /// a JWT signed by this simulator nor a registered opaque token.
    pub(crate) fn revoke_token(&self, token: &str) -> bool {
        let mut inner = self.lock();
        if inner.opaque_tokens.contains_key(token) {
            inner.revoked_opaque_tokens.insert(token.to_owned());
            return true;
        }
        match self.signer.verify_ignoring_expiry(token) {
            Some(claims) => {
                inner.revoked_jtis.insert(claims.jti);
                true
            }
            None => false,
        }
    }

    /// Revokes every token issued to `username` so far and returns how many
    /// there were. Tokens issued later, including after a new login, stay
    /// valid.
    pub(crate) fn revoke_user(&self, username: &str) -> usize {
        let mut inner = self.lock();
        let issued = inner
            .issued_by_subject
            .get(username)
            .cloned()
            .unwrap_or_default();

        for token in &issued {
            match token {
                IssuedToken::Jwt { jti } => inner.revoked_jtis.insert(jti.clone()),
                IssuedToken::Opaque { value } => inner.revoked_opaque_tokens.insert(value.clone()),
            };
        }
        issued.len()
    }

    /// Queues a fault for the next `times` requests whose path starts with
    /// `path_prefix`. Faults are matched in the order they were pushed.
    pub(crate) fn push_fault(&self, path_prefix: &str, fault: Fault, times: u32) {
        if times == 0 {
            return;
        }
        self.lock().faults.push_back(PendingFault {
            path_prefix: path_prefix.to_owned(),
            fault,
            remaining: times,
        });
    }

    /// Takes one use of the oldest pending fault that matches `path`.
    pub(crate) fn take_fault(&self, path: &str) -> Option<Fault> {
        let mut inner = self.lock();
        let index = inner
            .faults
            .iter()
            .position(|pending| path.starts_with(&pending.path_prefix))?;
        let pending = inner.faults.get_mut(index)?;
        pending.remaining -= 1;
        let fault = pending.fault.clone();
        if pending.remaining == 0 {
            inner.faults.remove(index);
        }
        Some(fault)
    }

    /// Counts a gateway request on `path` (query excluded).
    pub(crate) fn count_request(&self, path: &str) {
        let mut inner = self.lock();
        *inner.counters.paths.entry(path.to_owned()).or_default() += 1;
        if path == AUTH_PATH {
            inner.counters.auth.total += 1;
        }
    }

    /// Counts the outcome of a credential exchange handled by `/auth` itself.
    pub(crate) fn count_auth_outcome(&self, succeeded: bool) {
        let mut inner = self.lock();
        if succeeded {
            inner.counters.auth.succeeded += 1;
        } else {
            inner.counters.auth.rejected += 1;
        }
    }

    pub(crate) fn request_count(&self, path: &str) -> u64 {
        self.lock()
            .counters
            .paths
            .get(path)
            .copied()
            .unwrap_or_default()
    }

    pub(crate) fn counters(&self) -> Counters {
        self.lock().counters.clone()
    }

    /// Clears counters and pending faults. Users and tokens stay.
    pub(crate) fn reset(&self) {
        let mut inner = self.lock();
        inner.counters = Counters::default();
        inner.faults.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> SimulatorState {
        let state = SimulatorState::new(Duration::from_secs(60));
        state.add_user("alice", "secret", vec!["CS".to_owned()]);
        state
    }

    #[test]
    fn log_in_checks_password() {
        let state = state();
        assert!(state.log_in("alice", "secret").is_some());
        assert!(state.log_in("alice", "Secret").is_none());
        assert!(state.log_in("bob", "secret").is_none());
    }

    #[test]
    fn revoke_user_covers_earlier_tokens() {
        let state = state();
        let session = state.log_in("alice", "secret").expect("valid credentials");
        let opaque = state.mint_token(&TokenSpec::opaque("alice", &["CS"]));

        assert_eq!(state.revoke_user("alice"), 2);
        assert_eq!(state.authorize(&session), Err(BearerRejection::Revoked));
        assert_eq!(state.authorize(&opaque), Err(BearerRejection::Revoked));

        let later = state.log_in("alice", "secret").expect("valid credentials");
        assert!(state.authorize(&later).is_ok());
    }

    #[test]
    fn faults_apply_in_order() {
        let state = state();
        state.push_fault("/auth", Fault::EmptyBody, 2);
        state.push_fault("/", Fault::HtmlBody, 1);

        assert_eq!(
            state.take_fault("/csapi/v1.3/images"),
            Some(Fault::HtmlBody)
        );
        assert_eq!(state.take_fault("/auth"), Some(Fault::EmptyBody));
        assert_eq!(state.take_fault("/auth"), Some(Fault::EmptyBody));
        assert_eq!(state.take_fault("/auth"), None);
    }

    #[test]
    fn backdated_token_lifetime() {
        let state = state();
        let expired = state.mint_token(&TokenSpec {
            lifetime: Some(Duration::from_secs(10 * 24 * 60 * 60)),
            issued_days_ago: 11,
            ..TokenSpec::jwt("alice", &["CS"])
        });
        let still_valid = state.mint_token(&TokenSpec {
            issued_days_ago: 11,
            ..TokenSpec::jwt("alice", &["CS"])
        });

        assert_eq!(state.authorize(&expired), Err(BearerRejection::Expired));
        assert!(state.authorize(&still_valid).is_ok());
    }

    #[test]
    fn unknown_token_rejected() {
        let state = state();
        assert_eq!(state.authorize("plain"), Err(BearerRejection::Unknown));
        assert_eq!(state.authorize("a.b.c"), Err(BearerRejection::InvalidJwt));
    }
}
