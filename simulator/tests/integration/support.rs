//! Helpers shared by the integration tests: starting simulators, HTTPS
//! clients that trust only the simulator's CA, and JWT inspection.

use std::error::Error as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use qualys_gateway_simulator::{Simulator, SimulatorConfig};
use reqwest::{Certificate, Client, ClientBuilder, Response};

pub(crate) const DEMO_USER: &str = "demo-user";
pub(crate) const DEMO_PASSWORD: &str = "demo-password";
pub(crate) const NO_CS_USER: &str = "no-cs-user";
pub(crate) const NO_CS_PASSWORD: &str = "no-cs-password";

pub(crate) const IMAGES_PATH: &str = "/csapi/v1.3/images";

/// Upper bound for any single request, so a hung server fails the test
/// instead of stalling the run.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

pub(crate) async fn start() -> Simulator {
    start_with(SimulatorConfig::default()).await
}

pub(crate) async fn start_with(config: SimulatorConfig) -> Simulator {
    Simulator::start(config)
        .await
        .expect("the simulator starts on a free loopback port")
}

fn builder(ca_pem: &str) -> ClientBuilder {
    let certificate =
        Certificate::from_pem(ca_pem.as_bytes()).expect("the simulator's CA PEM parses");
    Client::builder()
        .tls_certs_only([certificate])
        .no_proxy()
        .timeout(REQUEST_TIMEOUT)
}

/// Client that negotiates HTTP/2 through ALPN.
pub(crate) fn client(simulator: &Simulator) -> Client {
    client_for_ca(&simulator.ca_pem())
}

pub(crate) fn client_for_ca(ca_pem: &str) -> Client {
    builder(ca_pem).build().expect("the HTTPS client builds")
}

pub(crate) fn http1_client(simulator: &Simulator) -> Client {
    builder(&simulator.ca_pem())
        .http1_only()
        .build()
        .expect("the HTTP/1.1 client builds")
}

pub(crate) async fn log_in(
    client: &Client,
    base_url: &str,
    username: &str,
    password: &str,
) -> Response {
    client
        .post(format!("{base_url}/auth"))
        .form(&[
            ("username", username),
            ("password", password),
            ("token", "true"),
        ])
        .send()
        .await
        .expect("POST /auth gets a response")
}

/// Logs in and returns the JWT, failing the test on any status but 201.
pub(crate) async fn session_token(
    client: &Client,
    base_url: &str,
    username: &str,
    password: &str,
) -> String {
    let response = log_in(client, base_url, username, password).await;
    assert_eq!(response.status(), 201, "login of {username}");
    response.text().await.expect("the /auth body is readable")
}

pub(crate) async fn list_images(client: &Client, base_url: &str, token: Option<&str>) -> Response {
    let mut request = client
        .get(format!("{base_url}{IMAGES_PATH}?pageNumber=1&pageSize=1"))
        .header("Accept", "application/json");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("GET images gets a response")
}

/// Decodes the claims of a JWT without checking its signature.
pub(crate) fn jwt_claims(token: &str) -> serde_json::Value {
    let segments: Vec<&str> = token.split('.').collect();
    assert_eq!(segments.len(), 3, "a JWT has three segments: {token}");
    let payload = URL_SAFE_NO_PAD
        .decode(segments[1])
        .expect("the JWT payload is base64url");
    serde_json::from_slice(&payload).expect("the JWT payload is JSON")
}

pub(crate) fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs()
}

/// Returns whether any error in the chain is an I/O error of `kind`.
pub(crate) fn has_io_error(error: &reqwest::Error, kind: std::io::ErrorKind) -> bool {
    let mut source = error.source();
    while let Some(current) = source {
        if current
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io_error| io_error.kind() == kind)
        {
            return true;
        }
        source = current.source();
    }
    false
}

/// Formats the whole error chain, for assertion messages.
pub(crate) fn error_chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(current) = source {
        text.push_str(": ");
        text.push_str(&current.to_string());
        source = current.source();
    }
    text
}
