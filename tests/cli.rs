//! The `qualys-ci-auth` binary, run as a pipeline runs it: exit codes,
//! JSON schemas, masking, and secrets absent from every output.

mod common;

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use common::*;
use qualys_gateway_simulator::{Simulator, TokenSpec};

const BIN: &str = env!("CARGO_BIN_EXE_qualys-ci-auth");

/// Returns a command with an empty environment, so that the test machine's CI
/// variables cannot change platform detection.
fn cli() -> Command {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    command.stdin(Stdio::null());
    command
}

/// Returns a command against the simulator, with `args` (the subcommand first) and
/// short retry settings, logging everything at TRACE level.
fn against(sim: &Simulator, ca: &tempfile::NamedTempFile, args: &[&str]) -> Command {
    let mut command = cli();
    command
        .env("QUALYS_GATEWAY_URL", sim.url())
        .env("QUALYS_CA_FILE", ca.path())
        .env("QUALYS_CI_AUTH_LOG", "trace")
        .args(args)
        .args(["--max-attempts", "2", "--deadline", "10"]);
    command
}

fn ca_file(sim: &Simulator) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(sim.ca_pem().as_bytes()).expect("write CA");
    file
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn pods_json_lists_twelve() {
    let output = cli()
        .args(["pods", "--format", "json"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let pods = json["pods"].as_array().expect("pods array");
    assert_eq!(pods.len(), 12);
    for (pod, expected) in pods.iter().zip(qualys_ci_auth::PODS.iter()) {
        assert_eq!(pod["name"], expected.name);
        assert_eq!(pod["listed_url"], expected.listed_url);
        assert_eq!(pod["gateway_url"], expected.gateway_url);
    }
}

#[test]
fn demo_runs_both_flows() {
    let output = cli().arg("demo").output().expect("runs");
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("CICD Sensor"), "{stdout}");
    assert!(stdout.contains("QScanner"), "{stdout}");
    assert!(stdout.contains("backend:     cicd-sensor"), "{stdout}");
    assert!(stdout.contains("backend:     qscanner"), "{stdout}");
    assert!(stdout.contains("QUALYS_ACCESS_TOKEN=********"), "{stdout}");
    assert!(!stdout.contains("eyJ"), "no JWT may be printed: {stdout}");
    assert!(!stdout.contains("demo-password"), "{stdout}");
}

#[test]
fn demo_json_has_two_verified_flows() {
    let output = cli()
        .args(["demo", "--format", "json"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let flows = json["flows"].as_array().expect("flows");
    assert_eq!(flows.len(), 2);
    assert_eq!(flows[0]["summary"]["backend"], "cicd-sensor");
    assert_eq!(flows[1]["summary"]["backend"], "qscanner");
    assert!(flows.iter().all(|f| f["summary"]["verified"] == true));
    assert_eq!(json["auth_requests"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn login_json_schema() {
    let sim = simulator().await;
    let ca = ca_file(&sim);
    let token = sim.mint_token(TokenSpec::jwt("scanner", &["CS", "VM SCANNER"]));

    let output = against(&sim, &ca, &["login", "--format", "json"])
        .env("QUALYS_ACCESS_TOKEN", &token)
        .output()
        .expect("runs");

    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["gateway"], sim.url());
    assert_eq!(json["backend"], "qscanner");
    assert_eq!(json["platform"], "shell");
    assert_eq!(json["credential"], "api-token");
    assert_eq!(json["user"], "scanner");
    assert_eq!(json["token_kind"], "jwt");
    assert_eq!(
        json["token_fingerprint"],
        qualys_ci_auth::token::fingerprint(&token)
    );
    assert_eq!(json["scopes"], serde_json::json!(["CS", "VM SCANNER"]));
    assert_eq!(json["verified"], true);
    assert!(json["expires_at"].as_str().expect("expiry").ends_with('Z'));
    assert_no_secret(&stdout, &token, "stdout");
    assert_no_secret(&stderr, &token, "stderr");
}

#[tokio::test(flavor = "multi_thread")]
async fn password_canary_absent_everywhere() {
    let sim = simulator().await;
    sim.add_user(CANARY_USER, CANARY_PASSWORD, &["CS"]);
    let ca = ca_file(&sim);

    for (password, expected_code) in [(CANARY_PASSWORD, 0), ("CANARY-wrong-pw-91", 20)] {
        let output = against(
            &sim,
            &ca,
            &["-vv", "login", "--platform", "jenkins", "--format", "json"],
        )
        .env("QUALYS_USERNAME", CANARY_USER)
        .env("QUALYS_PASSWORD", password)
        .output()
        .expect("runs");
        let (stdout, stderr) = text(&output);
        assert_eq!(
            output.status.code(),
            Some(expected_code),
            "{stdout}\n{stderr}"
        );
        assert_no_secret(&stdout, password, "stdout");
        assert_no_secret(&stderr, password, "stderr");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn exit_codes_match_qscanner() {
    let sim = simulator().await;
    let ca = ca_file(&sim);
    let good = sim.mint_token(TokenSpec::jwt("scanner", &["CS"]));
    let revoked = sim.mint_token(TokenSpec::jwt("scanner", &["CS"]));
    sim.revoke_token(&revoked);
    let no_cs = sim.mint_token(TokenSpec::opaque("scanner", &["VM SCANNER"]));

    // (case, environment, extra arguments, expected exit code)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Vec<&'a str>, i32);
    let cases: [Case; 6] = [
        (
            "valid token",
            vec![("QUALYS_ACCESS_TOKEN", &good)],
            vec![],
            0,
        ),
        (
            "revoked token",
            vec![("QUALYS_ACCESS_TOKEN", &revoked)],
            vec![],
            22,
        ),
        (
            "no CS scope",
            vec![("QUALYS_ACCESS_TOKEN", &no_cs)],
            vec![],
            21,
        ),
        ("no token", vec![], vec![], 2),
        (
            "password outside Jenkins",
            vec![
                ("QUALYS_USERNAME", "demo-user"),
                ("QUALYS_PASSWORD", "demo-password"),
                ("GITHUB_ACTIONS", "true"),
            ],
            vec![],
            2,
        ),
        (
            "wrong password",
            vec![
                ("QUALYS_USERNAME", "demo-user"),
                ("QUALYS_PASSWORD", "nope-nope"),
            ],
            vec!["--platform", "jenkins"],
            20,
        ),
    ];
    for (name, env, extra, expected) in cases {
        let args: Vec<&str> = ["login"].into_iter().chain(extra).collect();
        let output = against(&sim, &ca, &args).envs(env).output().expect("runs");
        let (stdout, stderr) = text(&output);
        assert_eq!(
            output.status.code(),
            Some(expected),
            "{name}: {stdout}\n{stderr}"
        );
        if expected != 0 {
            assert!(stderr.contains("error: "), "{name}: {stderr}");
        }
    }
}

#[test]
fn unknown_pod_exit_two() {
    let output = cli()
        .args(["login", "--pod", "mars1"])
        .env("QUALYS_ACCESS_TOKEN", "opaque-token-value")
        .output()
        .expect("runs");
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains("unknown POD 'mars1'") && stderr.contains("KSA1"),
        "{stderr}"
    );
}

#[test]
fn unreachable_gateway_exit_31() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().expect("addr").port()
    );
    drop(listener);
    let output = cli()
        .args([
            "login",
            "--gateway-url",
            &url,
            "--max-attempts",
            "1",
            "--format",
            "json",
        ])
        .env("QUALYS_ACCESS_TOKEN", "opaque-token-value")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(31));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON error");
    assert_eq!(json["error"]["code"], "network_error");
    assert_eq!(json["error"]["exit_code"], 31);
}

#[test]
fn no_flag_takes_a_secret() {
    for flag in ["--password", "--token", "--access-token"] {
        let output = cli()
            .args(["login", flag, "CANARY-flag-secret"])
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(2), "{flag} must not exist");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn github_actions_masks_first() {
    let sim = simulator().await;
    let ca = ca_file(&sim);
    let token = sim.mint_token(TokenSpec::jwt("scanner", &["CS"]));

    let output = against(&sim, &ca, &["login"])
        .env("GITHUB_ACTIONS", "true")
        .env("QUALYS_ACCESS_TOKEN", &token)
        .output()
        .expect("runs");

    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    let raw_mask = format!("::add-mask::{token}");
    assert!(
        stdout.lines().any(|l| l == raw_mask),
        "the raw token is masked:\n{stdout}"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    let last_mask = lines
        .iter()
        .rposition(|l| l.starts_with("::add-mask::"))
        .expect("masks");
    let first_other = lines
        .iter()
        .position(|l| !l.starts_with("::add-mask::"))
        .expect("summary");
    assert!(
        last_mask < first_other,
        "masks come before anything else:\n{stdout}"
    );
    assert!(stdout.contains("platform:    github-actions"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn token_file_and_stdin() {
    let sim = simulator().await;
    let ca = ca_file(&sim);
    let token = sim.mint_token(TokenSpec::jwt("scanner", &["CS"]));
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    writeln!(file, "{token}\r").expect("write token");

    let from_file = against(
        &sim,
        &ca,
        &[
            "token",
            "--token-file",
            file.path().to_str().expect("UTF-8 path"),
        ],
    )
    .output()
    .expect("runs");
    assert!(from_file.status.success(), "{}", text(&from_file).1);
    assert_eq!(String::from_utf8_lossy(&from_file.stdout).trim(), token);

    let mut child = against(&sim, &ca, &["login", "--token-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{token}\n").as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("waits");
    assert!(output.status.success(), "{}", text(&output).1);
}

#[tokio::test(flavor = "multi_thread")]
async fn api_prints_body() {
    let sim = simulator().await;
    let ca = ca_file(&sim);
    let token = sim.mint_token(TokenSpec::jwt("scanner", &["CS"]));

    let output = against(
        &sim,
        &ca,
        &["api", "GET", "/csapi/v1.3/images?pageNumber=1&pageSize=1"],
    )
    .env("QUALYS_ACCESS_TOKEN", &token)
    .output()
    .expect("runs");

    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON body");
    assert!(json["data"].is_array());

    let missing = against(&sim, &ca, &["api", "GET", "/no/such/path"])
        .env("QUALYS_ACCESS_TOKEN", &token)
        .output()
        .expect("runs");
    assert_eq!(missing.status.code(), Some(30));
}

#[tokio::test(flavor = "multi_thread")]
async fn inspect_offline_reports_claims() {
    let sim = simulator().await;
    let token = sim.mint_token(TokenSpec {
        issued_days_ago: 80,
        ..TokenSpec::jwt("scanner", &["CS", "ADMIN"])
    });
    let output = cli()
        .args(["inspect", "--format", "json"])
        .env("QUALYS_ACCESS_TOKEN", &token)
        .output()
        .expect("runs");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["token_kind"], "jwt");
    assert_eq!(json["user"], "scanner");
    assert_eq!(json["age_days"], 80);
    assert_eq!(json["container_security"], true);
    assert_eq!(json["scopes"], serde_json::json!(["CS", "ADMIN"]));

    let opaque = cli()
        .arg("inspect")
        .env("QUALYS_ACCESS_TOKEN", "0123456789abcdef")
        .output()
        .expect("runs");
    let (stdout, _) = text(&opaque);
    assert!(opaque.status.success());
    assert!(
        stdout.contains("unknown: the token is not a JWT"),
        "{stdout}"
    );
    assert_eq!(
        sim.request_count("/csapi/v1.3/images"),
        0,
        "inspect is offline"
    );
}
