//! User name and password to JWT (`POST /auth`), the CICD Sensor flow on Jenkins.

mod common;

use std::time::Duration;

use common::*;
use qualys_ci_auth::platform::{Backend, Platform};
use qualys_ci_auth::{ErrorCode, Session};
use qualys_gateway_simulator::{Fault, SimulatorConfig};
use secrecy::ExposeSecret as _;

#[tokio::test]
async fn login_reports_jwt_claims() {
    let sim = simulator().await;
    let session = Session::new(config(
        &sim,
        password("demo-user", "demo-password"),
        Platform::Jenkins,
    ))
    .expect("session");

    let summary = session.login().await.expect("login");

    assert_eq!(summary.backend, Backend::CicdSensor);
    assert_eq!(summary.user.as_deref(), Some("demo-user"));
    assert_eq!(summary.token_kind, "jwt");
    assert!(summary.verified);
    assert_eq!(
        summary.scopes,
        Some(vec!["CS".to_owned(), "VM SCANNER".to_owned()])
    );
    let left = summary.expires_in_seconds.expect("exp claim");
    assert!((4 * 3600 - 60..=4 * 3600).contains(&left), "{left}");
    assert_eq!(sim.auth_requests().total, 1);
}

#[tokio::test]
async fn special_password_reaches_auth_byte_for_byte() {
    let sim = simulator().await;
    sim.add_user(CANARY_USER, CANARY_PASSWORD, &["CS"]);
    let session = Session::new(config(
        &sim,
        password(CANARY_USER, CANARY_PASSWORD),
        Platform::Jenkins,
    ))
    .expect("session");

    let summary = session
        .login()
        .await
        .expect("the simulator accepts the exact bytes");

    assert_eq!(summary.user.as_deref(), Some(CANARY_USER));
    assert_eq!(sim.auth_requests().succeeded, 1);
    assert_no_secret(&format!("{summary:?}"), CANARY_PASSWORD, "summary");
    assert_no_secret(&format!("{session:?}"), CANARY_PASSWORD, "session Debug");
    assert_no_secret(&logs(), CANARY_PASSWORD, "logs");
}

#[tokio::test]
async fn wrong_password_sends_one_request() {
    let sim = simulator().await;
    let session = Session::new(config(
        &sim,
        password("demo-user", CANARY_PASSWORD),
        Platform::Jenkins,
    ))
    .expect("session");

    let first = session.bearer_token().await.expect_err("rejected");
    let second = session.login().await.expect_err("still rejected");

    assert_eq!(first.code(), ErrorCode::AuthenticationFailed);
    assert_eq!(second.code(), ErrorCode::AuthenticationFailed);
    assert_eq!(
        sim.auth_requests().total,
        1,
        "a rejected login must never be retried"
    );
    let message = first.to_string();
    assert!(message.contains("demo-user"), "{message}");
    assert!(message.contains(&sim.url()), "{message}");
    assert!(message.contains("not retried"), "{message}");
    assert_no_secret(&message, CANARY_PASSWORD, "error message");
    assert_no_secret(&format!("{first:?}"), CANARY_PASSWORD, "error Debug");
    assert_no_secret(&logs(), CANARY_PASSWORD, "logs");
}

#[tokio::test]
async fn concurrent_wrong_password_one_request() {
    let sim = simulator().await;
    let session = Session::new(config(
        &sim,
        password("demo-user", "wrong-password"),
        Platform::Jenkins,
    ))
    .expect("session");

    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let session = session.clone();
            tokio::spawn(async move { session.bearer_token().await })
        })
        .collect();
    for task in tasks {
        let result = task.await.expect("task");
        assert_eq!(
            result.expect_err("rejected").code(),
            ErrorCode::AuthenticationFailed
        );
    }

    assert_eq!(sim.auth_requests().total, 1);
}

#[tokio::test]
async fn concurrent_cold_cache_one_auth() {
    let sim = simulator().await;
    let config = config(
        &sim,
        password("demo-user", "demo-password"),
        Platform::Jenkins,
    );

    // Separate sessions with the same credential share the process-wide cache.
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let session = Session::new(config.clone()).expect("session");
            tokio::spawn(async move {
                session
                    .bearer_token()
                    .await
                    .map(|t| t.expose_secret().to_owned())
            })
        })
        .collect();
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(task.await.expect("task").expect("token"));
    }

    assert_eq!(sim.auth_requests().total, 1);
    assert!(
        tokens.windows(2).all(|w| w[0] == w[1]),
        "every caller gets the same JWT"
    );
}

#[tokio::test]
async fn expiry_triggers_one_refresh() {
    let sim = simulator_with(SimulatorConfig {
        jwt_lifetime: Duration::from_secs(4),
        ..SimulatorConfig::default()
    })
    .await;
    let session = Session::new(config(
        &sim,
        password("demo-user", "demo-password"),
        Platform::Jenkins,
    ))
    .expect("session");

    let first = session.bearer_token().await.expect("first token");
    let again = session.bearer_token().await.expect("cached token");
    assert_eq!(first.expose_secret(), again.expose_secret());
    assert_eq!(sim.auth_requests().total, 1);

    // The refresh margin of a 4-second token is a quarter of its lifetime.
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let renewed = session.bearer_token().await.expect("renewed token");
    let cached = session.bearer_token().await.expect("renewed token cached");

    assert_ne!(first.expose_secret(), renewed.expose_secret());
    assert_eq!(renewed.expose_secret(), cached.expose_secret());
    assert_eq!(sim.auth_requests().total, 2);
}

#[tokio::test]
async fn rejected_jwt_reauthenticates_once() {
    let sim = simulator().await;
    let session = Session::new(config(
        &sim,
        password("demo-user", "demo-password"),
        Platform::Jenkins,
    ))
    .expect("session");
    session.bearer_token().await.expect("first token");
    sim.revoke_user("demo-user");

    let response = session
        .request(
            reqwest::Method::GET,
            "/csapi/v1.3/images?pageNumber=1&pageSize=1",
            None,
        )
        .await
        .expect("replayed with a fresh JWT");

    assert_eq!(response.status, 200);
    assert_eq!(sim.auth_requests().total, 2);
    assert_eq!(sim.request_count("/csapi/v1.3/images"), 2);
}

#[tokio::test]
async fn password_outside_jenkins_rejected() {
    let sim = simulator().await;
    for platform in [
        Platform::GithubActions,
        Platform::GitlabCi,
        Platform::AzureDevops,
        Platform::Shell,
    ] {
        let err = Session::new(config(
            &sim,
            password("demo-user", "demo-password"),
            platform,
        ))
        .expect_err("rule");
        assert_eq!(err.code(), ErrorCode::CredentialNotAllowed, "{platform}");
        assert!(err.to_string().contains("only on Jenkins"), "{err}");
    }
    let mut qscanner = config(
        &sim,
        password("demo-user", "demo-password"),
        Platform::Jenkins,
    );
    qscanner.backend = Some(Backend::Qscanner);
    assert_eq!(
        Session::new(qscanner).expect_err("rule").code(),
        ErrorCode::CredentialNotAllowed
    );
    assert_eq!(sim.auth_requests().total, 0);
}

#[tokio::test]
async fn two_server_errors_then_success() {
    let sim = simulator().await;
    sim.push_fault("/auth", Fault::status(500), 2);
    let session = Session::new(config(
        &sim,
        password("demo-user", "demo-password"),
        Platform::Jenkins,
    ))
    .expect("session");

    session
        .bearer_token()
        .await
        .expect("third attempt succeeds");

    assert_eq!(sim.auth_requests().total, 3);
}

#[tokio::test]
async fn auth_client_errors_not_retried() {
    let sim = simulator().await;
    sim.push_fault(
        "/auth",
        Fault::Status {
            status: 429,
            retry_after: Some("1".into()),
            body: None,
        },
        1,
    );
    let session = Session::new(config(
        &sim,
        password("demo-user", "demo-password"),
        Platform::Jenkins,
    ))
    .expect("session");

    let err = session
        .bearer_token()
        .await
        .expect_err("429 on /auth is not retried");

    assert_eq!(err.code(), ErrorCode::ApiError);
    assert!(err.to_string().contains("HTTP 429"), "{err}");
    assert_eq!(sim.auth_requests().total, 1);
}

#[tokio::test]
async fn user_without_cs_denied() {
    let sim = simulator().await;
    let session = Session::new(config(
        &sim,
        password("no-cs-user", "no-cs-password"),
        Platform::Jenkins,
    ))
    .expect("session");

    let err = session.login().await.expect_err("no Container Security");

    assert_eq!(err.code(), ErrorCode::PermissionDenied);
    assert!(err.to_string().contains("Container Security"), "{err}");
}

#[tokio::test]
async fn unusable_auth_bodies_retried() {
    let sim = simulator().await;
    sim.push_fault("/auth", Fault::EmptyBody, 1);
    sim.push_fault("/auth", Fault::HtmlBody, 1);
    sim.push_fault("/auth", Fault::TruncatedBody, 1);
    let mut config = config(
        &sim,
        password("demo-user", "demo-password"),
        Platform::Jenkins,
    );
    config.retry.max_attempts = 5;
    let session = Session::new(config).expect("session");

    session
        .bearer_token()
        .await
        .expect("fourth attempt succeeds");

    assert_eq!(sim.auth_requests().total, 4);
}

#[tokio::test]
async fn concurrent_callers_share_one_failure() {
    let sim = simulator().await;
    sim.push_fault("/auth", Fault::status(503), 100);
    let mut config = config(
        &sim,
        password("demo-user", "demo-password"),
        Platform::Jenkins,
    );
    config.retry.max_attempts = 2;
    config.retry.initial_backoff = Duration::from_millis(300);
    config.retry.max_backoff = Duration::from_millis(300);
    let session = Session::new(config).expect("session");

    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let session = session.clone();
            tokio::spawn(async move { session.bearer_token().await })
        })
        .collect();
    for task in tasks {
        let error = task.await.expect("task").expect_err("503 twice");
        assert_eq!(error.code(), ErrorCode::ApiError, "{error}");
        assert!(error.to_string().contains("HTTP 503"), "{error}");
    }

    assert_eq!(
        sim.auth_requests().total,
        2,
        "waiting callers reuse the failure instead of sending /auth again"
    );
}
