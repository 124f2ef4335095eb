//! API token as the bearer token, the QScanner flow on every platform, and
//! the retry rules of bearer requests.

mod common;

use std::time::{Duration, Instant};

use common::*;
use qualys_ci_auth::platform::{Backend, Platform};
use qualys_ci_auth::{ErrorCode, HttpSettings, Session};
use qualys_gateway_simulator::{Fault, TokenSpec};

const IMAGES: &str = "/csapi/v1.3/images";

#[tokio::test]
async fn jwt_token_on_every_platform() {
    let sim = simulator().await;
    let token = sim.mint_token(TokenSpec::jwt("scanner", &["CS"]));

    for platform in Platform::ALL {
        let session = Session::new(config(&sim, api_token(&token), platform)).expect("session");
        let summary = session.login().await.expect("login");
        assert_eq!(summary.backend, Backend::Qscanner, "{platform}");
        assert_eq!(summary.platform, platform);
        assert_eq!(summary.user.as_deref(), Some("scanner"));
        assert!(summary.verified);
    }
    assert_eq!(sim.request_count(IMAGES), Platform::ALL.len() as u64);
    assert_eq!(sim.auth_requests().total, 0, "an API token needs no /auth");
}

#[tokio::test]
async fn opaque_token_verified() {
    let sim = simulator().await;
    let token = sim.mint_token(TokenSpec::opaque("scanner", &["CS"]));
    let session =
        Session::new(config(&sim, api_token(&token), Platform::GitlabCi)).expect("session");

    let summary = session.login().await.expect("login");

    assert_eq!(summary.token_kind, "opaque");
    assert_eq!(summary.scopes, None);
    assert_eq!(summary.expires_at, None);
    assert!(summary.verified);
}

#[tokio::test]
async fn pasted_token_normalized() {
    let sim = simulator().await;
    let token = sim.mint_token(TokenSpec::jwt("scanner", &["CS"]));
    let pasted = format!("\u{feff}Bearer {token}\r\n");

    let session = Session::new(config(&sim, api_token(&pasted), Platform::Shell)).expect("session");

    session
        .login()
        .await
        .expect("login with the cleaned-up token");
}

#[tokio::test]
async fn jwt_without_cs_rejected_offline() {
    let sim = simulator().await;
    let token = sim.mint_token(TokenSpec::jwt("scanner", &["VM SCANNER"]));

    let err =
        Session::new(config(&sim, api_token(&token), Platform::Shell)).expect_err("no CS scope");

    assert_eq!(err.code(), ErrorCode::PermissionDenied);
    assert!(err.to_string().contains("Container Security"), "{err}");
    assert_eq!(sim.request_count(IMAGES), 0);
}

#[tokio::test]
async fn opaque_without_cs_gets_403() {
    let sim = simulator().await;
    let token = sim.mint_token(TokenSpec::opaque("scanner", &["VM SCANNER"]));
    let session = Session::new(config(&sim, api_token(&token), Platform::Shell)).expect("session");

    let err = session.login().await.expect_err("403");

    assert_eq!(err.code(), ErrorCode::PermissionDenied);
    assert!(err.to_string().contains("HTTP 403"), "{err}");
    assert_eq!(sim.request_count(IMAGES), 1, "a 403 is not retried");
}

#[tokio::test]
async fn revoked_token_reported() {
    let sim = simulator().await;
    let token = sim.mint_token(TokenSpec::jwt("scanner", &["CS"]));
    sim.revoke_token(&token);
    let session =
        Session::new(config(&sim, api_token(&token), Platform::GithubActions)).expect("session");

    let err = session.login().await.expect_err("revoked");

    assert_eq!(err.code(), ErrorCode::TokenRejected);
    assert_eq!(err.code().exit_code(), 22);
    assert!(err.to_string().contains("expired or revoked"), "{err}");
    assert_eq!(sim.request_count(IMAGES), 1, "a 401 is not retried");
    assert_no_secret(&err.to_string(), &token, "error message");
}

#[tokio::test]
async fn expired_jwt_rejected_offline() {
    let sim = simulator().await;
    let token = sim.mint_token(TokenSpec {
        lifetime: Some(Duration::from_secs(86_400)),
        issued_days_ago: 2,
        ..TokenSpec::jwt("scanner", &["CS"])
    });

    let err = Session::new(config(&sim, api_token(&token), Platform::Shell)).expect_err("expired");

    assert_eq!(err.code(), ErrorCode::TokenExpired);
    assert_eq!(sim.request_count(IMAGES), 0);
}

#[tokio::test]
async fn retry_after_honored() {
    let sim = simulator().await;
    let token = sim.mint_token(TokenSpec::jwt("scanner", &["CS"]));
    sim.push_fault(
        IMAGES,
        Fault::Status {
            status: 429,
            retry_after: Some("1".into()),
            body: None,
        },
        1,
    );
    let session = Session::new(config(&sim, api_token(&token), Platform::Shell)).expect("session");

    let started = Instant::now();
    session.verify().await.expect("second attempt succeeds");

    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(sim.request_count(IMAGES), 2);
}

#[tokio::test]
async fn rate_limit_without_retry_after_backs_off() {
    let sim = simulator().await;
    let token = sim.mint_token(TokenSpec::jwt("scanner", &["CS"]));
    sim.push_fault(IMAGES, Fault::status(429), 2);
    let session = Session::new(config(&sim, api_token(&token), Platform::Shell)).expect("session");

    session.verify().await.expect("third attempt succeeds");

    assert_eq!(sim.request_count(IMAGES), 3);
}

#[tokio::test]
async fn retry_after_beyond_deadline_fails_fast() {
    let sim = simulator().await;
    let token = sim.mint_token(TokenSpec::jwt("scanner", &["CS"]));
    sim.push_fault(
        IMAGES,
        Fault::Status {
            status: 429,
            retry_after: Some("3600".into()),
            body: None,
        },
        1,
    );
    let session = Session::new(config(&sim, api_token(&token), Platform::Shell)).expect("session");

    let started = Instant::now();
    let err = session.verify().await.expect_err("cannot wait an hour");

    assert_eq!(err.code(), ErrorCode::RateLimited);
    assert!(err.to_string().contains("3600s"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn two_server_errors_then_success() {
    let sim = simulator().await;
    let token = sim.mint_token(TokenSpec::jwt("scanner", &["CS"]));
    sim.push_fault(IMAGES, Fault::status(500), 2);
    let session = Session::new(config(&sim, api_token(&token), Platform::Shell)).expect("session");

    session.verify().await.expect("third attempt succeeds");

    assert_eq!(sim.request_count(IMAGES), 3);
}

#[tokio::test]
async fn persistent_server_errors_end_in_one_error() {
    let sim = simulator().await;
    let token = sim.mint_token(TokenSpec::jwt("scanner", &["CS"]));
    sim.push_fault(IMAGES, Fault::status(503), 100);
    let session = Session::new(config(&sim, api_token(&token), Platform::Shell)).expect("session");

    let err = session.verify().await.expect_err("503 forever");

    assert_eq!(err.code(), ErrorCode::ApiError);
    let message = err.to_string();
    assert!(message.contains("HTTP 503"), "{message}");
    assert!(message.contains("4 attempt(s)"), "{message}");
    assert!(message.contains(&sim.url()), "{message}");
    assert_eq!(sim.request_count(IMAGES), 4);
}

#[tokio::test]
async fn deadline_exceeded_is_clear() {
    let sim = simulator().await;
    let token = sim.mint_token(TokenSpec::jwt("scanner", &["CS"]));
    sim.push_fault(IMAGES, Fault::Delay(Duration::from_secs(5)), 100);
    let mut config = config(&sim, api_token(&token), Platform::Shell);
    config.http.request_timeout = Duration::from_millis(700);
    config.retry.deadline = Duration::from_secs(2);
    let session = Session::new(config).expect("session");

    let started = Instant::now();
    let err = session.verify().await.expect_err("deadline");

    assert_eq!(err.code(), ErrorCode::Timeout);
    assert_eq!(err.code().exit_code(), 32);
    assert!(err.to_string().contains("timed out"), "{err}");
    assert!(err.to_string().contains(&sim.url()), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn transient_faults_recovered() {
    let sim = simulator().await;
    let token = sim.mint_token(TokenSpec::jwt("scanner", &["CS"]));
    for fault in [
        Fault::Reset,
        Fault::EmptyBody,
        Fault::HtmlBody,
        Fault::TruncatedBody,
    ] {
        sim.reset();
        sim.push_fault(IMAGES, fault.clone(), 1);
        let session =
            Session::new(config(&sim, api_token(&token), Platform::Shell)).expect("session");
        session
            .verify()
            .await
            .unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_eq!(sim.request_count(IMAGES), 2, "{fault:?}");
    }
}

#[tokio::test]
async fn untrusted_certificate_fails_once() {
    let sim = simulator().await;
    let token = sim.mint_token(TokenSpec::jwt("scanner", &["CS"]));
    let mut config = config(&sim, api_token(&token), Platform::Shell);
    config.http = HttpSettings::default();
    let session = Session::new(config).expect("session");

    let err = session.verify().await.expect_err("untrusted CA");

    assert_eq!(err.code(), ErrorCode::TlsError, "{err}");
    assert!(err.to_string().contains("--ca-file"), "{err}");
    assert_eq!(
        sim.request_count(IMAGES),
        0,
        "the handshake fails before any request"
    );
}

#[tokio::test]
async fn unreachable_gateway_names_target() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let sim = simulator().await;
    let token = sim.mint_token(TokenSpec::jwt("scanner", &["CS"]));
    let mut config = config(&sim, api_token(&token), Platform::Shell);
    config.gateway = qualys_ci_auth::Gateway::from_url(&format!("https://127.0.0.1:{port}"), false)
        .expect("url");
    let session = Session::new(config).expect("session");

    let err = session.verify().await.expect_err("nothing listens");

    assert_eq!(err.code(), ErrorCode::NetworkError);
    let message = err.to_string();
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    assert!(message.contains("4 attempt(s)"), "{message}");
    assert_no_secret(&logs(), &token, "logs");
}
