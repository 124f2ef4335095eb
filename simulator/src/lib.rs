//! A loopback-only HTTPS simulator of the Qualys API gateway, for tests and
//! demos.
//!
//! The simulator listens on `127.0.0.1` only, with a certificate from a CA
//! it generates at start ([`Simulator::ca_pem`]). Rust code drives it through
//! [`Simulator`]. Other test suites run the `qualys-gateway-simulator` binary
//! and drive it through the control API described below.
//!
//! # Gateway endpoints
//!
//! - `POST /auth` with an `application/x-www-form-urlencoded` body of
//!   `username`, `password` and `token=true`. A match with a registered user
//!   gets 201 with the JWT as a `text/plain` body. A wrong user name or
//!   password gets 401, and a missing field, a `token` other than `true` or
//!   another content type gets 400, all with a short plain-text body.
//! - `GET /csapi/v1.3/images?pageNumber=1&pageSize=1` with
//!   `Authorization: Bearer <token>` gets 200 with
//!   `{"data": [{"imageId", "sha", "repo", "tag", "created"}], "count": N}`,
//!   where `count` is the number of images in `data` (the fake catalog has 3).
//!   A missing or malformed header and an invalid, expired, unknown or
//!   revoked token get 401. A valid token whose `modulesAllowed` lacks `"CS"`
//!   gets 403. A `pageNumber` or `pageSize` that is not a positive integer
//!   gets 400. Errors have the JSON body
//!   `{"status": 401, "error": "Unauthorized", "message": "..."}`.
//!   The `Accept` header is not checked.
//! - Any other path gets 404, and a wrong method on a known path gets 405.
//!
//! JWTs are signed with HS256 and a random per-process key. Their claims are
//! `sub`, `iss` and `aud` (both `"qas"`), `credentialType`
//! (`"UsernamePasswordCredential"` from `/auth`, `"ApiTokenCredential"` for
//! minted tokens), `modulesAllowed`, `portalUserId`, `usertype`
//! (`"MANAGER"`), `iat`, `exp` and a unique `jti`.
//!
//! At start two users exist: `demo-user` / `demo-password` with modules
//! `["CS", "VM SCANNER"]`, and `no-cs-user` / `no-cs-password` with
//! `["VM SCANNER"]`.
//!
//! # Control API
//!
//! Served on the same port under `/__simulator/`. Bodies are JSON in both
//! directions. A success gets 200 and a malformed request 400 with
//! `{"error": "..."}`. Control requests are not counted and never receive a
//! fault.
//!
//! | Request | Body | Response |
//! | --- | --- | --- |
//! | `POST /__simulator/users` | `{"username": "u", "password": "p", "modules": ["CS"]}` | `{}` |
//! | `POST /__simulator/tokens` | `{"subject": "u", "modules": ["CS"], "lifetime_seconds": 3600, "issued_days_ago": 0, "opaque": false}` | `{"token": "..."}` |
//! | `POST /__simulator/revoke` | `{"token": "..."}` or `{"username": "u"}` | `{"revoked": N}` |
//! | `POST /__simulator/faults` | `{"path": "/auth", "fault": {...}, "times": 2}` | `{}` |
//! | `GET /__simulator/counters` | | `{"paths": {"/auth": 3}, "auth": {"total": 3, "succeeded": 1, "rejected": 1}}` |
//! | `POST /__simulator/reset` | | `{}` |
//!
//! In `/tokens`, only `subject` is required. `modules` defaults to `[]`,
//! `issued_days_ago` to 0 and `opaque` to `false`. Without
//! `lifetime_seconds` a JWT gets the configured lifetime from the real issue
//! time and an opaque token never expires. The fields mean the same as in
//! [`TokenSpec`].
//!
//! In `/revoke`, `revoked` is the number of tokens revoked: 0 or 1 for a
//! token value, and every token issued to that user so far for a user name.
//!
//! In `/faults`, `times` defaults to 1 and the fault applies to the next
//! `times` gateway requests whose path starts with `path`. `fault` is one of:
//!
//! - `{"kind": "status", "status": 503, "retry_after": "1", "body": "..."}`,
//!   where `retry_after` and `body` are optional and `status` must be from
//!   200 to 599;
//! - `{"kind": "reset"}`;
//! - `{"kind": "delay", "millis": 1500}`;
//! - `{"kind": "empty"}`, `{"kind": "html"}` or `{"kind": "truncated"}`.
//!
//! [`Fault`] describes what each kind does. `/reset` clears counters and
//! pending faults but keeps users and tokens.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod admin;
mod faults;
mod routes;
mod server;
mod state;
mod tls;
mod tokens;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;
use tracing::{info, warn};

pub use faults::Fault;
pub use state::{AuthCounts, Counters, TokenSpec};

use state::SimulatorState;

/// Default lifetime of issued JWTs, the gateway's session length.
pub const DEFAULT_JWT_LIFETIME: Duration = Duration::from_secs(4 * 60 * 60);

/// Users registered at start: user name, password and modules.
const DEFAULT_USERS: [(&str, &str, &[&str]); 2] = [
    ("demo-user", "demo-password", &["CS", "VM SCANNER"]),
    ("no-cs-user", "no-cs-password", &["VM SCANNER"]),
];

/// Settings of a simulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatorConfig {
    /// Lifetime of JWTs from `/auth` and of minted JWTs without their own
    /// lifetime. Whole seconds only: the fraction is dropped.
    pub jwt_lifetime: Duration,
    /// Port to listen on at 127.0.0.1, or 0 for any free port.
    pub port: u16,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        Self {
            jwt_lifetime: DEFAULT_JWT_LIFETIME,
            port: 0,
        }
    }
}

/// Errors from starting a simulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimulatorError {
    /// Generating the throwaway CA or the server certificate failed.
    #[error("failed to generate the simulator's TLS certificates: {0}")]
    Certificate(#[source] rcgen::Error),
    /// Building the TLS server configuration failed.
    #[error("failed to build the simulator's TLS configuration: {0}")]
    Tls(#[source] rustls::Error),
    /// The port could not be bound.
    #[error("failed to listen on 127.0.0.1:{port}: {source}; choose another port or 0 for any")]
    Bind {
        /// The requested port.
        port: u16,
        /// The error from the operating system.
        #[source]
        source: std::io::Error,
    },
    /// The simulator's thread or its runtime could not be started.
    #[error("failed to start the simulator's server thread: {0}")]
    Runtime(#[source] std::io::Error),
}

/// A running simulator. Dropping the handle stops it and waits for its
/// server thread to end.
///
/// The server runs on its own thread with its own Tokio runtime, so it keeps
/// serving whatever the caller's runtime does, including when the caller
/// blocks in synchronous code.
pub struct Simulator {
    address: SocketAddr,
    ca_pem: String,
    server_cert_pem: String,
    server_key_pem: String,
    state: Arc<SimulatorState>,
    shutdown: Option<oneshot::Sender<()>>,
    stopped: Option<oneshot::Receiver<()>>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for Simulator {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Simulator")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Simulator {
    /// Starts a simulator with the default users.
    ///
    /// It is `async` to fit async callers but never awaits. It blocks only
    /// while it generates the certificates and starts the server thread.
    pub async fn start(config: SimulatorConfig) -> Result<Simulator, SimulatorError> {
        Self::start_blocking(config)
    }

    /// Starts a simulator from synchronous code. Same as [`Simulator::start`].
    pub fn start_blocking(config: SimulatorConfig) -> Result<Simulator, SimulatorError> {
        let tls = tls::generate()?;

        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, config.port))
            .and_then(|listener| {
                listener.set_nonblocking(true)?;
                Ok(listener)
            })
            .map_err(|source| SimulatorError::Bind {
                port: config.port,
                source,
            })?;
        let address = listener
            .local_addr()
            .map_err(|source| SimulatorError::Bind {
                port: config.port,
                source,
            })?;

        let state = Arc::new(SimulatorState::new(config.jwt_lifetime));
        for (username, password, modules) in DEFAULT_USERS {
            state.add_user(username, password, to_strings(modules));
        }
        let app = routes::app(Arc::clone(&state));

        let (shutdown_sender, shutdown_receiver) = oneshot::channel();
        let (stopped_sender, stopped_receiver) = oneshot::channel();
        let (ready_sender, ready_receiver) = std::sync::mpsc::channel();
        let tls_config = tls.server_config;

        let thread = std::thread::Builder::new()
            .name(format!("gateway-simulator-{}", address.port()))
            .spawn(move || {
                let started = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .and_then(|runtime| {
                        // Registering the socket needs the runtime's context.
                        let listener = {
                            let _context = runtime.enter();
                            tokio::net::TcpListener::from_std(listener)?
                        };
                        Ok((runtime, listener))
                    });
                let (runtime, listener) = match started {
                    Ok(started) => started,
                    Err(error) => {
                        // The receiver waits for this message, so it cannot
                        // be gone yet.
                        let _ = ready_sender.send(Err(error));
                        return;
                    }
                };
                let _ = ready_sender.send(Ok(()));
                runtime.block_on(server::run(listener, tls_config, app, shutdown_receiver));
                // Dropping the runtime cancels the connection tasks before
                // the handle learns that the simulator has stopped.
                drop(runtime);
                let _ = stopped_sender.send(());
            })
            .map_err(SimulatorError::Runtime)?;

        match ready_receiver.recv() {
            Ok(Ok(())) => {}
            Ok(Err(error)) => return Err(SimulatorError::Runtime(error)),
            Err(_) => {
                return Err(SimulatorError::Runtime(std::io::Error::other(
                    "the server thread ended before its runtime started",
                )));
            }
        }

        info!(%address, "gateway simulator listening");
        Ok(Simulator {
            address,
            ca_pem: tls.ca_pem,
            server_cert_pem: tls.server_cert_pem,
            server_key_pem: tls.server_key_pem,
            state,
            shutdown: Some(shutdown_sender),
            stopped: Some(stopped_receiver),
            thread: Some(thread),
        })
    }

    /// Returns the base URL, `https://127.0.0.1:PORT`, without a trailing
    /// slash.
    pub fn url(&self) -> String {
        format!("https://{}", self.address)
    }

    /// Returns the address the simulator listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Returns the PEM of the throwaway CA that signed the server
    /// certificate. Clients must trust it to connect.
    pub fn ca_pem(&self) -> String {
        self.ca_pem.clone()
    }

    /// Returns the PEM of the server certificate, for `localhost` and
    /// `127.0.0.1`, signed by the CA of [`Simulator::ca_pem`].
    pub fn server_cert_pem(&self) -> String {
        self.server_cert_pem.clone()
    }

    /// Returns the PEM of the server certificate's private key (PKCS#8). A
    /// test may serve another loopback server with this certificate and key,
    /// so that clients trust it through the same CA.
    pub fn server_key_pem(&self) -> String {
        self.server_key_pem.clone()
    }

    /// Registers a user, or replaces the password and modules of an existing
    /// one.
    pub fn add_user(&self, username: &str, password: &str, modules: &[&str]) {
        self.state.add_user(username, password, to_strings(modules));
    }

    /// Mints an API token and returns its value.
    pub fn mint_token(&self, spec: TokenSpec) -> String {
        self.state.mint_token(&spec)
    }

    /// Revokes a token by value. Returns `false` when the value is neither a
    /// JWT of this simulator nor a minted opaque token.
    pub fn revoke_token(&self, token: &str) -> bool {
        self.state.revoke_token(token)
    }

    /// Revokes every token issued to `username` so far, from `/auth` or
    /// minted, and returns how many. Later tokens are not affected.
    pub fn revoke_user(&self, username: &str) -> usize {
        self.state.revoke_user(username)
    }

    /// Applies `fault` to the next `times` gateway requests whose path starts
    /// with `path`. Pending faults are matched in the order they were pushed.
    pub fn push_fault(&self, path: &str, fault: Fault, times: u32) {
        self.state.push_fault(path, fault, times);
    }

    /// Returns how many gateway requests arrived on exactly `path` (query
    /// excluded), faulted ones included.
    pub fn request_count(&self, path: &str) -> u64 {
        self.state.request_count(path)
    }

    /// Returns the counters of `/auth` requests.
    pub fn auth_requests(&self) -> AuthCounts {
        self.state.counters().auth
    }

    /// Returns all request counters.
    pub fn counters(&self) -> Counters {
        self.state.counters()
    }

    /// Clears counters and pending faults. Users and tokens stay.
    pub fn reset(&self) {
        self.state.reset();
    }

    /// Stops the simulator and waits until its connections are closed.
    pub async fn shutdown(mut self) {
        self.shutdown.take();
        if let Some(stopped) = self.stopped.take() {
            // An error means the thread ended without sending, after a panic
            // that `join` below reports.
            let _ = stopped.await;
        }
        self.join_thread();
    }

    fn join_thread(&mut self) {
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            warn!(address = %self.address, "the simulator's server thread panicked");
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        // Dropping the sender is the shutdown signal.
        self.shutdown.take();
        self.join_thread();
    }
}

fn to_strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| (*value).to_owned()).collect()
}
