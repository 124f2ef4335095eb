//! The core functions hosts call: audit records written by a `Session`,
//! revocation without any fallback, and `check_session` /
//! `check_blocking_session` against the simulator.

mod common;

use common::*;
use qualys_ci_auth::audit::{AuditLog, AuditRecord, AuditSettings, Operation, RunContext};
use qualys_ci_auth::checks::{self, CheckId, CheckOptions, CheckStatus};
use qualys_ci_auth::platform::Platform;
use qualys_ci_auth::token::fingerprint;
use qualys_ci_auth::{BlockingSession, ErrorCode, Policy, Session};
use qualys_gateway_simulator::{Simulator, SimulatorConfig, TokenSpec};

fn audit_settings(path: &std::path::Path, environment: &str) -> AuditSettings {
    AuditSettings {
        log: AuditLog::open(path).expect("audit log opens"),
        environment: Some(environment.to_owned()),
        run: RunContext {
            run_id: Some("77".into()),
            run_url: Some("https://ci.example.com/job/77/".into()),
        },
    }
}

fn records(path: &std::path::Path) -> Vec<AuditRecord> {
    std::fs::read_to_string(path)
        .expect("audit log")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a record per line"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn session_records_each_use() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("audit.jsonl");
    let token = sim.mint_token(TokenSpec::jwt("scanner", &["CS"]));

    let mut config = config(&sim, api_token(&token), Platform::Jenkins);
    config.audit = Some(audit_settings(&path, "prod"));
    let session = Session::new(config).expect("session");
    session.login().await.expect("login");
    session.verify().await.expect("verify");
    session
        .request(reqwest::Method::GET, "/csapi/v1.3/images?pageSize=1", None)
        .await
        .expect("request");
    // The cached-token path writes nothing.
    session.bearer_token().await.expect("token");
    assert!(session.cached_bearer_token().is_some());

    let written = records(&path);
    let operations: Vec<Operation> = written.iter().map(|r| r.operation).collect();
    assert_eq!(
        operations,
        vec![Operation::Login, Operation::Verify, Operation::Request]
    );
    for record in &written {
        assert_eq!(record.outcome, "ok");
        assert_eq!(record.environment.as_deref(), Some("prod"));
        assert_eq!(record.run_id.as_deref(), Some("77"));
        assert_eq!(record.platform, "jenkins");
        assert_eq!(record.gateway, sim.url());
        assert_eq!(
            record.token_fingerprint.as_deref(),
            Some(fingerprint(&token).as_str())
        );
    }
    let text = std::fs::read_to_string(&path).expect("audit log");
    assert_no_secret(&text, &token, "audit log");
}

#[tokio::test(flavor = "multi_thread")]
async fn revoked_api_token_never_replaced() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("audit.jsonl");
    let token = sim.mint_token(TokenSpec::jwt("demo-user", &["CS"]));
    sim.revoke_token(&token);

    let mut config = config(&sim, api_token(&token), Platform::Jenkins);
    config.audit = Some(audit_settings(&path, "prod"));
    let session = Session::new(config).expect("session");
    let err = session
        .request(reqwest::Method::GET, "/csapi/v1.3/images?pageSize=1", None)
        .await
        .expect_err("revoked");
    assert_eq!(err.code(), ErrorCode::TokenRejected);
    assert!(err.to_string().contains("expired or revoked"), "{err}");
    assert_eq!(sim.request_count("/csapi/v1.3/images"), 1, "no replay");
    assert_eq!(sim.auth_requests().total, 0, "no other credential");

    let written = records(&path);
    assert_eq!(written.len(), 1);
    assert_eq!(written[0].operation, Operation::Request);
    assert_eq!(written[0].outcome, "token_rejected");
}

#[tokio::test(flavor = "multi_thread")]
async fn password_session_records_auth() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("audit.jsonl");
    sim.add_user(CANARY_USER, CANARY_PASSWORD, &["CS"]);

    let mut config = config(
        &sim,
        password(CANARY_USER, CANARY_PASSWORD),
        Platform::Jenkins,
    );
    config.audit = Some(audit_settings(&path, "dev"));
    let session = Session::new(config).expect("session");
    let summary = session.login().await.expect("login");

    let written = records(&path);
    let operations: Vec<Operation> = written.iter().map(|r| r.operation).collect();
    assert_eq!(operations, vec![Operation::Auth, Operation::Login]);
    for record in &written {
        assert_eq!(record.user.as_deref(), Some(CANARY_USER));
        assert_eq!(record.credential, "username-password");
        assert_eq!(
            record.token_fingerprint.as_deref(),
            Some(summary.token_fingerprint.as_str())
        );
    }
    let text = std::fs::read_to_string(&path).expect("audit log");
    assert_no_secret(&text, CANARY_PASSWORD, "audit log");
}

#[tokio::test(flavor = "multi_thread")]
async fn check_session_reports_revocation() {
    let sim = simulator().await;
    let old = sim.mint_token(TokenSpec {
        issued_days_ago: 80,
        ..TokenSpec::jwt("scanner", &["CS"])
    });
    let session = Session::new(config(&sim, api_token(&old), Platform::Shell)).expect("session");

    let report = checks::check_session(&session, &Policy::default(), &CheckOptions::default())
        .await
        .expect("report");
    assert_eq!(report.status, CheckStatus::Warn);
    assert_eq!(
        report
            .check(CheckId::Verification)
            .expect("verification")
            .status,
        CheckStatus::Pass
    );
    assert_eq!(
        report.warnings().map(|c| c.id).collect::<Vec<_>>(),
        vec![CheckId::Rotation]
    );
    assert_eq!(report.exit_code(), 0);

    sim.revoke_token(&old);
    let report = checks::check_session(&session, &Policy::default(), &CheckOptions::default())
        .await
        .expect("report");
    assert_eq!(report.exit_code(), 22);
    let err = report.into_result().expect_err("a failed check");
    assert_eq!(err.code(), ErrorCode::PolicyFailed);
    assert!(err.to_string().contains("expired or revoked"), "{err}");
}

#[test]
fn check_blocking_session_for_hosts() {
    capture_logs();
    let sim = Simulator::start_blocking(SimulatorConfig::default()).expect("simulator");
    let token = sim.mint_token(TokenSpec::jwt("scanner", &["CS", "ADMIN"]));
    let session = BlockingSession::new(config(&sim, api_token(&token), Platform::AzureDevops))
        .expect("session");
    let report =
        checks::check_blocking_session(&session, &Policy::default(), &CheckOptions::default())
            .expect("report");
    let scopes = report.check(CheckId::Scopes).expect("scopes");
    assert_eq!(scopes.status, CheckStatus::Warn);
    assert!(scopes.message.contains("ADMIN"), "{}", scopes.message);
    assert_eq!(report.token_fingerprint, fingerprint(&token));
}
