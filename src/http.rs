//! The process-wide HTTP client and the retry loop every gateway request uses.
//!
//! One `reqwest::Client` per distinct set of settings, shared by every
//! session in the process, so that parallel pipeline stages reuse
//! connections. Retries are bounded, use exponential backoff with jitter and
//! run under one overall deadline.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rand::Rng as _;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::error::{Error, Result, Target};

/// Connection settings shared by every request of a session.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HttpSettings {
    /// Extra trust roots in PEM, added to the system's (never replacing
    /// verification): for gateways behind TLS-inspecting proxies, and for the simulator.
    pub extra_ca_pem: Option<String>,
    /// Time allowed to open a TCP and TLS connection.
    pub connect_timeout: Duration,
    /// Time allowed for one request, response body included.
    pub request_timeout: Duration,
    /// The proxy that carries requests.
    pub proxy: ProxySettings,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            extra_ca_pem: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            proxy: ProxySettings::Environment,
        }
    }
}

/// Proxy choice for gateway requests.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum ProxySettings {
    /// `HTTPS_PROXY`/`https_proxy`, `ALL_PROXY` and `NO_PROXY`/`no_proxy`
    /// from the environment, as curl reads them.
    #[default]
    Environment,
    /// Direct connections only, ignoring the proxy variables of the environment.
    Direct,
    /// A proxy given by the host: the CLI's `--proxy`, Jenkins's proxy
    /// configuration, the Azure DevOps agent's proxy.
    Explicit(ExplicitProxy),
}

/// A proxy URL (`http://` or `https://`), optional credentials and hosts that bypass it.
#[derive(Clone)]
pub struct ExplicitProxy {
    pub url: String,
    pub username: Option<String>,
    pub password: Option<secrecy::SecretString>,
    /// Comma-separated hosts, domains (`.example.com`) and CIDR ranges, as in `NO_PROXY`.
    pub no_proxy: Option<String>,
}

impl ExplicitProxy {
    /// Creates a proxy setting without credentials or exceptions.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            username: None,
            password: None,
            no_proxy: None,
        }
    }

    fn password_digest(&self) -> Option<[u8; 32]> {
        use secrecy::ExposeSecret as _;
        use sha2::Digest as _;

        self.password
            .as_ref()
            .map(|p| sha2::Sha256::digest(p.expose_secret().as_bytes()).into())
    }
}

impl std::fmt::Debug for ExplicitProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExplicitProxy")
            .field("url", &redact_url(&self.url))
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[REDACTED]"))
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

// Settings key the client cache: two proxies that differ only in password
// must not share a client, so the password takes part through its digest.
impl PartialEq for ExplicitProxy {
    fn eq(&self, other: &Self) -> bool {
        self.url == other.url
            && self.username == other.username
            && self.no_proxy == other.no_proxy
            && self.password_digest() == other.password_digest()
    }
}

impl Eq for ExplicitProxy {}

impl std::hash::Hash for ExplicitProxy {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.url.hash(state);
        self.username.hash(state);
        self.no_proxy.hash(state);
        self.password_digest().hash(state);
    }
}

/// Removes user information from a URL before it is shown.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        Ok(url) => url.to_string(),
        Err(_) => "(unparsable URL)".to_owned(),
    }
}

static CLIENTS: LazyLock<Mutex<HashMap<HttpSettings, reqwest::Client>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Returns the process's client for these settings, building it on first use.
pub fn shared_client(settings: &HttpSettings) -> Result<reqwest::Client> {
    let mut clients = CLIENTS
        .lock()
        .map_err(|_| Error::internal("the HTTP client cache lock is poisoned"))?;
    if let Some(client) = clients.get(settings) {
        return Ok(client.clone());
    }
    let client = build_client(settings)?;
    clients.insert(settings.clone(), client.clone());
    Ok(client)
}

fn build_client(settings: &HttpSettings) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("qualys-ci-auth/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(settings.connect_timeout)
        .timeout(settings.request_timeout)
        .pool_idle_timeout(Duration::from_secs(60))
        // Redirects could carry the Authorization header to another host.
        .redirect(reqwest::redirect::Policy::none());

    if let Some(pem) = &settings.extra_ca_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|e| {
            Error::invalid(format!(
                "the CA bundle could not be read as PEM certificates: {e}; pass a file with one or more -----BEGIN CERTIFICATE----- blocks"
            ))
        })?;
        if certs.is_empty() {
            return Err(Error::invalid(
                "the CA bundle contains no certificate; pass a file with one or more -----BEGIN CERTIFICATE----- blocks",
            ));
        }
        builder = builder.tls_certs_merge(certs);
    }

    builder = match &settings.proxy {
        ProxySettings::Environment => builder,
        ProxySettings::Direct => builder.no_proxy(),
        ProxySettings::Explicit(proxy) => builder.proxy(explicit_proxy(proxy)?),
    };

    builder
        .build()
        .map_err(|e| Error::internal(format!("building the HTTP client failed: {e}")))
}

fn explicit_proxy(proxy: &ExplicitProxy) -> Result<reqwest::Proxy> {
    use secrecy::ExposeSecret as _;

    let shown = redact_url(&proxy.url);
    let parsed = url::Url::parse(&proxy.url).map_err(|e| {
        Error::invalid(format!(
            "invalid proxy URL '{shown}': {e}; expected a URL such as http://proxy.example.com:3128"
        ))
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(Error::invalid(format!(
            "invalid proxy URL '{shown}': use http:// or https:// with a host, such as http://proxy.example.com:3128"
        )));
    }
    let mut result = reqwest::Proxy::all(parsed.as_str())
        .map_err(|e| Error::invalid(format!("invalid proxy URL '{shown}': {e}")))?;
    match (&proxy.username, &proxy.password) {
        (Some(username), Some(password)) => {
            result = result.basic_auth(username, password.expose_secret());
        }
        (Some(_), None) | (None, Some(_)) => {
            return Err(Error::invalid(
                "proxy credentials need both a user name and a password",
            ));
        }
        (None, None) => {}
    }
    if let Some(list) = proxy.no_proxy.as_deref().filter(|l| !l.trim().is_empty()) {
        result = result.no_proxy(reqwest::NoProxy::from_string(list));
    }
    Ok(result)
}

/// How often and how long to retry transient failures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Backoff before the second attempt; it doubles after each failure.
    pub initial_backoff: Duration,
    /// Upper bound of one backoff.
    pub max_backoff: Duration,
    /// Upper bound of the whole operation, retries and waits included.
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(10),
            deadline: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// Returns the backoff before attempt `next_attempt` (2 or more), with
    /// "equal jitter": half fixed, half random, so callers that failed
    /// together do not retry together.
    fn backoff(&self, next_attempt: u32) -> Duration {
        let exponent = next_attempt.saturating_sub(2).min(16);
        let base = self
            .initial_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff);
        let half = base / 2;
        let jitter_nanos =
            rand::rng().random_range(0..=half.as_nanos().min(u128::from(u64::MAX)) as u64);
        half + Duration::from_nanos(jitter_nanos)
    }
}

/// Failures on which a request may be retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryOn {
    /// Connection failures, timeouts, 5xx, 429 and unusable 2xx bodies.
    Transient,
    /// As `Transient` but never on a 4xx (429 included): for `POST /auth`,
    /// where a retried rejection counts as another failed login.
    TransientExceptClientErrors,
    /// Only failures where the request cannot have reached the server
    /// (connection refused or reset before sending): for non-idempotent calls.
    ConnectOnly,
}

/// A response that arrived whole.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// The caller's decision on one response.
pub enum Verdict<T> {
    Done(T),
    /// An unusable response that may be transient (an HTML maintenance page, an
    /// empty or truncated body): retried under the policy.
    Retry(String),
    Fail(Error),
}

/// One logical request: what it is for and where it goes, for messages.
pub struct RequestContext<'a> {
    pub target: Target,
    pub method: &'a str,
    pub path: &'a str,
    pub policy: RetryPolicy,
    pub retry_on: RetryOn,
}

enum LastFailure {
    None,
    Timeout(String),
    Network(String),
    Status(u16, String),
    RateLimited,
    Unusable(String),
}

/// Sends a request built by `build`, retrying under the policy, and hands
/// each complete response to `judge`. `judge` decides on 2xx and on every
/// status the retry rules do not take (4xx, and 5xx when retries are over).
pub async fn send<T>(
    context: &RequestContext<'_>,
    mut build: impl FnMut() -> reqwest::RequestBuilder,
    mut judge: impl FnMut(&Response) -> Verdict<T>,
) -> Result<T> {
    let started = Instant::now();
    let deadline = started + context.policy.deadline;
    let mut last = LastFailure::None;
    let mut retry_after_hint: Option<Duration> = None;
    let mut attempts = 0u32;

    while attempts < context.policy.max_attempts.max(1) {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        attempts += 1;
        let remaining = deadline - now;

        let outcome = tokio::time::timeout(remaining, fetch(build())).await;
        let mut wait: Option<Duration> = None;
        match outcome {
            Err(_) => {
                last =
                    LastFailure::Timeout("the overall deadline passed during the request".into());
                break;
            }
            Ok(Err(e)) => {
                if let Some(tls) = tls_failure(&e) {
                    return Err(Error::Tls {
                        host: context.target.url.clone(),
                        cause: tls,
                    });
                }
                let cause = describe(&e);
                if cause.contains("proxy authorization required") {
                    // A 407 from the proxy does not heal by retrying.
                    return Err(Error::Network {
                        target: context.target.clone(),
                        attempts,
                        cause: format!(
                            "{cause}; the proxy requires authentication: give its user name and password (CLI: --proxy-username or QUALYS_PROXY_USERNAME, and QUALYS_PROXY_PASSWORD)"
                        ),
                    });
                }
                if cause.contains("tunnel error") {
                    // The proxy returned an error for the CONNECT other than
                    // 407 (some answer a wrong password with 401). Retrying
                    // would repeat a rejected proxy login.
                    return Err(Error::Network {
                        target: context.target.clone(),
                        attempts,
                        cause: format!(
                            "{cause}; the proxy refused to open a tunnel to the gateway: check the proxy URL, its user name and password, and that it allows CONNECT to port 443"
                        ),
                    });
                }
                let connect_failed = e.is_connect();
                last = if e.is_timeout() {
                    LastFailure::Timeout(cause)
                } else {
                    LastFailure::Network(cause)
                };
                if context.retry_on == RetryOn::ConnectOnly && !connect_failed {
                    break;
                }
            }
            Ok(Ok(response)) => {
                let status = response.status;
                let client_error = (400..500).contains(&status);
                if status == 429 && context.retry_on == RetryOn::Transient {
                    let retry_after = parse_retry_after(&response.headers);
                    retry_after_hint = retry_after;
                    last = LastFailure::RateLimited;
                    wait = retry_after;
                } else if status >= 500 && context.retry_on != RetryOn::ConnectOnly {
                    last = LastFailure::Status(status, excerpt(&response.body));
                } else {
                    match judge(&response) {
                        Verdict::Done(value) => return Ok(value),
                        Verdict::Fail(error) => return Err(error),
                        Verdict::Retry(cause)
                            if !client_error && context.retry_on != RetryOn::ConnectOnly =>
                        {
                            last = LastFailure::Unusable(cause);
                        }
                        Verdict::Retry(cause) => {
                            last = LastFailure::Unusable(cause);
                            break;
                        }
                    }
                }
            }
        }

        if attempts >= context.policy.max_attempts {
            break;
        }
        let pause = wait.unwrap_or_else(|| context.policy.backoff(attempts + 1));
        let now = Instant::now();
        if now + pause >= deadline {
            if wait.is_some() {
                // The server asked for a pause longer than the time left.
                break;
            }
            last = match last {
                LastFailure::Timeout(cause) => LastFailure::Timeout(cause),
                other => {
                    let cause = failure_text(&other);
                    LastFailure::Timeout(format!("no time left for another attempt after: {cause}"))
                }
            };
            break;
        }
        tracing::warn!(
            gateway = %context.target,
            method = context.method,
            path = context.path,
            attempt = attempts,
            retry_in_ms = pause.as_millis() as u64,
            cause = %failure_text(&last),
            "request failed, retrying"
        );
        tokio::time::sleep(pause).await;
    }

    Err(final_error(
        context,
        last,
        attempts,
        started.elapsed(),
        retry_after_hint,
    ))
}

async fn fetch(request: reqwest::RequestBuilder) -> reqwest::Result<Response> {
    let response = request.send().await?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await?.to_vec();
    Ok(Response {
        status,
        headers,
        body,
    })
}

fn final_error(
    context: &RequestContext<'_>,
    last: LastFailure,
    attempts: u32,
    elapsed: Duration,
    retry_after: Option<Duration>,
) -> Error {
    let target = context.target.clone();
    match last {
        LastFailure::Timeout(cause) => Error::Timeout {
            target,
            attempts,
            elapsed,
            deadline: context.policy.deadline,
            cause,
        },
        LastFailure::None => Error::Timeout {
            target,
            attempts,
            elapsed,
            deadline: context.policy.deadline,
            cause: "the deadline passed before the first attempt".into(),
        },
        LastFailure::Network(cause) => Error::Network {
            target,
            attempts,
            cause,
        },
        LastFailure::RateLimited => Error::RateLimited {
            target,
            path: context.path.to_owned(),
            attempts,
            hint: match retry_after {
                Some(wait) => format!(
                    "; it asked to wait {}s more, beyond the deadline of {}s. Raise --deadline or try later",
                    wait.as_secs(),
                    context.policy.deadline.as_secs()
                ),
                None => "; try later or raise --deadline".into(),
            },
        },
        LastFailure::Status(status, body) => Error::Api {
            target,
            request: format!("{} {}", context.method, context.path),
            detail: format!("HTTP {status} after {attempts} attempt(s){body}"),
            status: Some(status),
        },
        LastFailure::Unusable(cause) => Error::Api {
            target,
            request: format!("{} {}", context.method, context.path),
            detail: format!("{cause} after {attempts} attempt(s)"),
            status: None,
        },
    }
}

fn failure_text(failure: &LastFailure) -> String {
    match failure {
        LastFailure::None => "none".into(),
        LastFailure::Timeout(cause)
        | LastFailure::Network(cause)
        | LastFailure::Unusable(cause) => cause.clone(),
        LastFailure::Status(status, _) => format!("HTTP {status}"),
        LastFailure::RateLimited => "HTTP 429 Too Many Requests".into(),
    }
}

/// Returns the delay that a `Retry-After` header requests, given as delay-seconds or an HTTP-date.
pub fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Returns a short, printable start of a response body for error messages. Bodies
/// come from the gateway and never echo our secrets back.
pub fn excerpt(body: &[u8]) -> String {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(body);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return String::new();
    }
    let cut: String = text.chars().take(MAX).collect();
    let ellipsis = if text.chars().count() > MAX {
        "..."
    } else {
        ""
    };
    format!(": {cut}{ellipsis}")
}

/// Describes a reqwest error with its causes, without the URL (which the
/// message states elsewhere) and without any request body.
fn describe(error: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(error);
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        source = e.source();
    }
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else if error.is_body() || error.is_decode() {
        "reading the response failed"
    } else {
        "request failed"
    };
    if parts.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {}", parts.join(": "))
    }
}

/// Finds a certificate problem in an error chain: those never heal by
/// retrying and need the user's action.
fn tls_failure(error: &reqwest::Error) -> Option<String> {
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = source {
        if let Some(rustls_error) = e.downcast_ref::<rustls::Error>() {
            return Some(rustls_error.to_string());
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(rustls_error) = inner.downcast_ref::<rustls::Error>()
        {
            return Some(rustls_error.to_string());
        }
        // Some connectors flatten the rustls error into text on the way up.
        let text = e.to_string();
        if text.contains("invalid peer certificate") || text.contains("certificate verify failed") {
            return Some(text);
        }
        source = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_seconds_and_date() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(parse_retry_after(&headers), Some(Duration::from_secs(3)));

        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&later).expect("header"));
        let wait = parse_retry_after(&headers).expect("date parses");
        assert!(
            wait <= Duration::from_secs(30) && wait >= Duration::from_secs(28),
            "{wait:?}"
        );

        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&headers), None);
    }

    #[test]
    fn backoff_grows_and_is_bounded() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(400),
            deadline: Duration::from_secs(10),
        };
        for _ in 0..100 {
            let second = policy.backoff(2);
            assert!(
                second >= Duration::from_millis(50) && second <= Duration::from_millis(100),
                "{second:?}"
            );
            let later = policy.backoff(9);
            assert!(
                later >= Duration::from_millis(200) && later <= Duration::from_millis(400),
                "{later:?}"
            );
        }
    }

    #[test]
    fn excerpt_is_short_and_flat() {
        assert_eq!(excerpt(b""), "");
        assert_eq!(excerpt(b"<html>\n  down </html>"), ": <html> down </html>");
        assert!(excerpt(&[b'x'; 500]).ends_with("..."));
    }
}
