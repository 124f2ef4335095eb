//! Gateway requests through an HTTP CONNECT proxy: explicit, authenticated,
//! bypassed with a no-proxy list, and taken from the environment.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use common::*;
use qualys_ci_auth::platform::Platform;
use qualys_ci_auth::{ErrorCode, ExplicitProxy, ProxySettings, Session};
use qualys_gateway_simulator::TokenSpec;
use secrecy::SecretString;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

const PROXY_USER: &str = "proxy-user";
const PROXY_PASSWORD: &str = "CANARY-proxy-pw-5521";

/// A minimal CONNECT proxy for tests: it tunnels only to 127.0.0.1 and
/// counts the tunnels it opened.
struct TestProxy {
    url: String,
    tunnels: Arc<AtomicUsize>,
    rejected: Arc<AtomicUsize>,
}

impl TestProxy {
    async fn start(require_auth: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let url = format!("http://{}", listener.local_addr().expect("proxy address"));
        let tunnels = Arc::new(AtomicUsize::new(0));
        let rejected = Arc::new(AtomicUsize::new(0));
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{PROXY_USER}:{PROXY_PASSWORD}"))
        );
        let (tunnels_task, rejected_task) = (tunnels.clone(), rejected.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (tunnels, rejected, expected) = (
                    tunnels_task.clone(),
                    rejected_task.clone(),
                    expected.clone(),
                );
                tokio::spawn(async move {
                    let _ =
                        tunnel(client, require_auth.then_some(expected), tunnels, rejected).await;
                });
            }
        });
        Self {
            url,
            tunnels,
            rejected,
        }
    }
}

async fn tunnel(
    mut client: TcpStream,
    expected_auth: Option<String>,
    tunnels: Arc<AtomicUsize>,
    rejected: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
        if client.read(&mut byte).await? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.lines();
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let authorization = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("proxy-authorization"))
        .map(|(_, value)| value.trim().to_owned());

    if method != "CONNECT" || !target.starts_with("127.0.0.1:") {
        client
            .write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
            .await?;
        return Ok(());
    }
    if let Some(expected) = expected_auth
        && authorization.as_deref() != Some(expected.as_str())
    {
        rejected.fetch_add(1, Ordering::SeqCst);
        client
            .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nproxy-authenticate: Basic realm=\"test\"\r\ncontent-length: 0\r\n\r\n")
            .await?;
        return Ok(());
    }
    let mut upstream = TcpStream::connect(target).await?;
    tunnels.fetch_add(1, Ordering::SeqCst);
    client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

fn explicit(url: &str, credentials: bool, no_proxy: Option<&str>) -> ProxySettings {
    ProxySettings::Explicit(ExplicitProxy {
        url: url.to_owned(),
        username: credentials.then(|| PROXY_USER.to_owned()),
        password: credentials.then(|| SecretString::from(PROXY_PASSWORD.to_owned())),
        no_proxy: no_proxy.map(str::to_owned),
    })
}

#[tokio::test]
async fn explicit_proxy_carries_requests() {
    let sim = simulator().await;
    let proxy = TestProxy::start(false).await;
    let mut config = config(
        &sim,
        password("demo-user", "demo-password"),
        Platform::Jenkins,
    );
    config.http.proxy = explicit(&proxy.url, false, None);

    Session::new(config)
        .expect("session")
        .login()
        .await
        .expect("login through the proxy");

    assert!(proxy.tunnels.load(Ordering::SeqCst) >= 1);
    assert_eq!(sim.auth_requests().total, 1);
}

#[tokio::test]
async fn proxy_authentication_accepted() {
    let sim = simulator().await;
    let proxy = TestProxy::start(true).await;
    let token = sim.mint_token(TokenSpec::jwt("scanner", &["CS"]));
    let mut config = config(&sim, api_token(&token), Platform::Shell);
    config.http.proxy = explicit(&proxy.url, true, None);

    Session::new(config.clone())
        .expect("session")
        .login()
        .await
        .expect("login");

    assert!(proxy.tunnels.load(Ordering::SeqCst) >= 1);
    assert_eq!(proxy.rejected.load(Ordering::SeqCst), 0);
    assert_no_secret(&format!("{config:?}"), PROXY_PASSWORD, "config Debug");
    assert_no_secret(&logs(), PROXY_PASSWORD, "logs");
}

#[tokio::test]
async fn proxy_without_credentials_fails_clearly() {
    let sim = simulator().await;
    let proxy = TestProxy::start(true).await;
    let token = sim.mint_token(TokenSpec::jwt("scanner", &["CS"]));
    let mut config = config(&sim, api_token(&token), Platform::Shell);
    config.http.proxy = explicit(&proxy.url, false, None);

    let err = Session::new(config)
        .expect("session")
        .login()
        .await
        .expect_err("407");

    assert_eq!(err.code(), ErrorCode::NetworkError, "{err}");
    assert!(err.to_string().contains("proxy"), "{err}");
    assert!(
        err.to_string().contains("1 attempt(s)"),
        "a 407 is not retried: {err}"
    );
    assert_eq!(proxy.tunnels.load(Ordering::SeqCst), 0);
    assert_eq!(sim.request_count("/csapi/v1.3/images"), 0);
}

#[tokio::test]
async fn no_proxy_list_bypasses() {
    let sim = simulator().await;
    let proxy = TestProxy::start(true).await;
    let token = sim.mint_token(TokenSpec::jwt("scanner", &["CS"]));
    let mut config = config(&sim, api_token(&token), Platform::Shell);
    config.http.proxy = explicit(&proxy.url, false, Some("example.com, 127.0.0.1"));

    Session::new(config)
        .expect("session")
        .login()
        .await
        .expect("direct login");

    assert_eq!(proxy.tunnels.load(Ordering::SeqCst), 0);
    assert_eq!(proxy.rejected.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn invalid_proxy_url_rejected() {
    let sim = simulator().await;
    let token = sim.mint_token(TokenSpec::jwt("scanner", &["CS"]));
    for (url, expected) in [
        ("socks9://proxy:1", "use http:// or https://"),
        ("not a url", "invalid proxy URL"),
        ("http://user:CANARY-in-url-77@", "invalid proxy URL"),
    ] {
        let mut config = config(&sim, api_token(&token), Platform::Shell);
        config.http.proxy = explicit(url, false, None);
        let message = Session::new(config).expect_err(url).to_string();
        assert!(message.contains(expected), "{url}: {message}");
        assert!(!message.contains("CANARY-in-url-77"), "{message}");
    }
}

fn cli_login(
    sim: &qualys_gateway_simulator::Simulator,
    ca: &std::path::Path,
    token: &str,
) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_qualys-ci-auth"));
    command
        .env_clear()
        .env("QUALYS_ACCESS_TOKEN", token)
        .env("QUALYS_GATEWAY_URL", sim.url())
        .env("QUALYS_CA_FILE", ca)
        .args(["login", "--max-attempts", "1"]);
    command
}

#[tokio::test(flavor = "multi_thread")]
async fn environment_proxy_and_bypass() {
    let sim = simulator().await;
    let proxy = TestProxy::start(false).await;
    let token = sim.mint_token(TokenSpec::jwt("scanner", &["CS"]));
    let ca = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(ca.path(), sim.ca_pem()).expect("write CA");

    let proxied = cli_login(&sim, ca.path(), &token)
        .env("HTTPS_PROXY", &proxy.url)
        .output()
        .expect("runs");
    assert!(
        proxied.status.success(),
        "{}",
        String::from_utf8_lossy(&proxied.stderr)
    );
    let tunnels_after_proxied = proxy.tunnels.load(Ordering::SeqCst);
    assert!(tunnels_after_proxied >= 1);

    let bypassed = cli_login(&sim, ca.path(), &token)
        .env("HTTPS_PROXY", &proxy.url)
        .env("NO_PROXY", "127.0.0.1")
        .output()
        .expect("runs");
    assert!(
        bypassed.status.success(),
        "{}",
        String::from_utf8_lossy(&bypassed.stderr)
    );
    assert_eq!(proxy.tunnels.load(Ordering::SeqCst), tunnels_after_proxied);

    let direct = cli_login(&sim, ca.path(), &token)
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .args(["--proxy", "none"])
        .output()
        .expect("runs");
    assert!(
        direct.status.success(),
        "{}",
        String::from_utf8_lossy(&direct.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_proxy_password_from_environment() {
    let sim = simulator().await;
    let proxy = TestProxy::start(true).await;
    let token = sim.mint_token(TokenSpec::jwt("scanner", &["CS"]));
    let ca = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(ca.path(), sim.ca_pem()).expect("write CA");

    let output = cli_login(&sim, ca.path(), &token)
        .env("QUALYS_PROXY_PASSWORD", PROXY_PASSWORD)
        .env("QUALYS_CI_AUTH_LOG", "trace")
        .args(["--proxy", &proxy.url, "--proxy-username", PROXY_USER])
        .output()
        .expect("runs");

    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(output.status.success(), "{stderr}");
    assert!(proxy.tunnels.load(Ordering::SeqCst) >= 1);
    assert_no_secret(&stdout, PROXY_PASSWORD, "stdout");
    assert_no_secret(&stderr, PROXY_PASSWORD, "stderr");
}

#[tokio::test]
async fn refused_tunnel_not_retried() {
    let sim = simulator().await;
    let proxy = TestProxy::start(false).await;
    let token = sim.mint_token(TokenSpec::jwt("scanner", &["CS"]));
    let mut config = config(&sim, api_token(&token), Platform::Shell);
    // The test proxy refuses (403) every tunnel that is not to 127.0.0.1.
    let port = sim.url().rsplit(':').next().expect("port").to_owned();
    config.gateway = qualys_ci_auth::Gateway::from_url(&format!("https://localhost:{port}"), false)
        .expect("url");
    config.http.proxy = explicit(&proxy.url, false, None);

    let err = Session::new(config)
        .expect("session")
        .login()
        .await
        .expect_err("refused tunnel");

    assert_eq!(err.code(), ErrorCode::NetworkError, "{err}");
    assert!(
        err.to_string().contains("refused to open a tunnel"),
        "{err}"
    );
    assert!(
        err.to_string().contains("1 attempt(s)"),
        "a refused tunnel is not retried: {err}"
    );
    assert_eq!(proxy.tunnels.load(Ordering::SeqCst), 0);
}
