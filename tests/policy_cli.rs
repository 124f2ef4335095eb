//! The token policy through the binary. `check` is tested at the rotation
//! and scope boundaries, offline and against the simulator. Other tests cover
//! revocation, one token per environment, policy file precedence and the
//! audit log written by concurrent processes.

mod common;

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::*;
use qualys_ci_auth::token::fingerprint;
use qualys_gateway_simulator::{Simulator, TokenSpec};

const BIN: &str = env!("CARGO_BIN_EXE_qualys-ci-auth");

/// Returns a command with an empty environment, run in `dir` so that no
/// policy file of the repository applies.
fn cli(dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(dir)
        .stdin(Stdio::null());
    command
}

/// Returns a command against the simulator, with short retry settings.
fn against(sim: &Simulator, ca: &Path, dir: &Path, args: &[&str]) -> Command {
    let mut command = cli(dir);
    command
        .env("QUALYS_GATEWAY_URL", sim.url())
        .env("QUALYS_CA_FILE", ca)
        .args(args)
        .args(["--max-attempts", "2", "--deadline", "10"]);
    command
}

/// Creates a temporary directory with the simulator's CA in `ca.pem`.
fn workdir(sim: &Simulator) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = dir.path().join("ca.pem");
    std::fs::File::create(&ca)
        .and_then(|mut f| f.write_all(sim.ca_pem().as_bytes()))
        .expect("write CA");
    (dir, ca)
}

fn texts(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn json(output: &Output) -> serde_json::Value {
    let (stdout, stderr) = texts(output);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"))
}

/// Returns the entry of one check in a report.
fn check<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["checks"]
        .as_array()
        .expect("checks array")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id} check in {report}"))
}

fn token_issued(sim: &Simulator, days: u32, modules: &[&str]) -> String {
    sim.mint_token(TokenSpec {
        issued_days_ago: days,
        ..TokenSpec::jwt("scanner", modules)
    })
}

fn date_days_ago(days: i64) -> String {
    let date = time::OffsetDateTime::now_utc().date() - time::Duration::days(days);
    date.format(&time::macros::format_description!("[year]-[month]-[day]"))
        .expect("formats")
}

fn audit_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .expect("audit log exists")
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("bad line ({e}): {line}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn rotation_boundaries_offline_and_online() {
    let sim = simulator().await;
    let (dir, ca) = workdir(&sim);
    for (days, status, exit) in [
        (74, "pass", 0),
        (75, "warn", 0),
        (90, "warn", 0),
        (91, "fail", 23),
    ] {
        let token = token_issued(&sim, days, &["CS"]);

        let offline = cli(dir.path())
            .args(["check", "--format", "json"])
            .env("QUALYS_ACCESS_TOKEN", &token)
            .output()
            .expect("runs");
        assert_eq!(
            offline.status.code(),
            Some(exit),
            "{days} days offline: {:?}",
            texts(&offline)
        );
        let report = json(&offline);
        let rotation = check(&report, "rotation");
        assert_eq!(rotation["status"], status, "{days} days: {rotation}");
        assert_eq!(rotation["age_days"], days);
        assert_eq!(rotation["age_source"], "iat");
        assert_eq!(report["status"], status);
        assert_eq!(check(&report, "verification")["status"], "skipped");
        assert_no_secret(&texts(&offline).0, &token, "stdout");

        let online = against(&sim, &ca, dir.path(), &["check", "--format", "json"])
            .env("QUALYS_ACCESS_TOKEN", &token)
            .output()
            .expect("runs");
        assert_eq!(
            online.status.code(),
            Some(exit),
            "{days} days online: {:?}",
            texts(&online)
        );
        let report = json(&online);
        assert_eq!(check(&report, "rotation")["status"], status);
        assert_eq!(check(&report, "verification")["status"], "pass");
        assert_eq!(check(&report, "verification")["outcome"], "ok");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn opaque_token_age_needs_creation_date() {
    let sim = simulator().await;
    let (dir, _ca) = workdir(&sim);
    let token = sim.mint_token(TokenSpec::opaque("scanner", &["CS"]));

    let unknown = cli(dir.path())
        .args(["check", "--format", "json"])
        .env("QUALYS_ACCESS_TOKEN", &token)
        .output()
        .expect("runs");
    assert_eq!(unknown.status.code(), Some(0), "{:?}", texts(&unknown));
    let report = json(&unknown);
    assert_eq!(report["token_kind"], "opaque");
    let rotation = check(&report, "rotation");
    assert_eq!(rotation["status"], "unknown");
    assert_eq!(rotation["age_source"], "unknown");
    assert_eq!(rotation["age_days"], serde_json::Value::Null);
    assert_eq!(check(&report, "scopes")["status"], "unknown");

    for (days, status, exit) in [(74, "pass", 0), (75, "warn", 0), (91, "fail", 23)] {
        let output = cli(dir.path())
            .args([
                "check",
                "--format",
                "json",
                "--token-created",
                &date_days_ago(days),
            ])
            .env("QUALYS_ACCESS_TOKEN", &token)
            .output()
            .expect("runs");
        assert_eq!(
            output.status.code(),
            Some(exit),
            "{days}: {:?}",
            texts(&output)
        );
        let rotation = check(&json(&output), "rotation").clone();
        assert_eq!(rotation["status"], status, "{days} days: {rotation}");
        assert_eq!(rotation["age_source"], "creation-date");
        assert_eq!(rotation["age_days"], days);
    }

    // The variable works like the flag, and the flag wins over it.
    let from_env = cli(dir.path())
        .args(["check", "--format", "json"])
        .env("QUALYS_ACCESS_TOKEN", &token)
        .env("QUALYS_TOKEN_CREATED", date_days_ago(80))
        .output()
        .expect("runs");
    assert_eq!(check(&json(&from_env), "rotation")["age_days"], 80);
    let flag_wins = cli(dir.path())
        .args([
            "check",
            "--format",
            "json",
            "--token-created",
            &date_days_ago(3),
        ])
        .env("QUALYS_ACCESS_TOKEN", &token)
        .env("QUALYS_TOKEN_CREATED", date_days_ago(80))
        .output()
        .expect("runs");
    assert_eq!(check(&json(&flag_wins), "rotation")["age_days"], 3);

    for bad in ["2026-13-01", "next week", &date_days_ago(-3)] {
        let output = cli(dir.path())
            .args(["check", "--token-created", bad])
            .env("QUALYS_ACCESS_TOKEN", &token)
            .output()
            .expect("runs");
        let (_, stderr) = texts(&output);
        assert_eq!(output.status.code(), Some(2), "{bad}: {stderr}");
        assert!(stderr.contains(bad), "{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn jwt_without_iat_age_unknown() {
    use base64::Engine as _;
    let encode = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let token = format!(
        "{}.{}.c2ln",
        encode(r#"{"alg":"HS256"}"#),
        encode(r#"{"sub":"scanner","modulesAllowed":["CS"]}"#)
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let output = cli(dir.path())
        .args(["check", "--format", "json"])
        .env("QUALYS_ACCESS_TOKEN", &token)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{:?}", texts(&output));
    let report = json(&output);
    let rotation = check(&report, "rotation");
    assert_eq!(rotation["status"], "unknown");
    assert!(
        rotation["message"]
            .as_str()
            .expect("message")
            .contains("no iat"),
        "{rotation}"
    );
    assert_eq!(check(&report, "expiry")["status"], "unknown");
}

#[tokio::test(flavor = "multi_thread")]
async fn scopes_exact_extra_warn_and_fail() {
    let sim = simulator().await;
    let (dir, _ca) = workdir(&sim);
    let exact = token_issued(&sim, 1, &["CS"]);
    let extra = token_issued(&sim, 1, &["CS", "VM SCANNER"]);

    let run = |token: &str, args: &[&str]| {
        cli(dir.path())
            .args(["check", "--format", "json"])
            .args(args)
            .env("QUALYS_ACCESS_TOKEN", token)
            .output()
            .expect("runs")
    };

    let output = run(&exact, &[]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(check(&json(&output), "scopes")["status"], "pass");
    let output = run(&exact, &["--extra-scopes", "fail"]);
    assert_eq!(output.status.code(), Some(0));

    let output = run(&extra, &[]);
    assert_eq!(output.status.code(), Some(0));
    let report = json(&output);
    let scopes = check(&report, "scopes");
    assert_eq!(scopes["status"], "warn");
    assert_eq!(scopes["extra"], serde_json::json!(["VM SCANNER"]));
    assert_eq!(scopes["missing"], serde_json::json!([]));
    assert_eq!(report["status"], "warn");

    let output = run(&extra, &["--extra-scopes", "fail"]);
    assert_eq!(output.status.code(), Some(23), "{:?}", texts(&output));
    assert_eq!(check(&json(&output), "scopes")["status"], "fail");

    // Needing both scopes makes the same token exact.
    let output = run(
        &extra,
        &[
            "--required-scopes",
            "CS,VM SCANNER",
            "--extra-scopes",
            "fail",
        ],
    );
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(check(&json(&output), "scopes")["status"], "pass");

    // A needed scope that is missing fails.
    let output = run(&exact, &["--required-scopes", "CS,VM SCANNER"]);
    assert_eq!(output.status.code(), Some(23));
    assert_eq!(
        check(&json(&output), "scopes")["missing"],
        serde_json::json!(["VM SCANNER"])
    );

    // Text output names the check and the scope.
    let text = cli(dir.path())
        .args(["check"])
        .env("QUALYS_ACCESS_TOKEN", &extra)
        .output()
        .expect("runs");
    let (stdout, _) = texts(&text);
    assert!(stdout.contains("Token policy: WARN"), "{stdout}");
    assert!(stdout.contains("scopes:"), "{stdout}");
    assert!(stdout.contains("VM SCANNER"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn revoked_token_exit_22_without_fallback() {
    let sim = simulator().await;
    let (dir, ca) = workdir(&sim);
    let audit = dir.path().join("audit.jsonl");
    let revoked = token_issued(&sim, 1, &["CS"]);
    let valid = token_issued(&sim, 1, &["CS"]);
    assert!(sim.revoke_token(&revoked));

    // check: the report states "expired or revoked" and exits 22.
    let output = against(&sim, &ca, dir.path(), &["check", "--format", "json"])
        .env("QUALYS_ACCESS_TOKEN", &revoked)
        .env("QUALYS_AUDIT_LOG", &audit)
        .output()
        .expect("runs");
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(22), "{stderr}");
    let report = json(&output);
    let verification = check(&report, "verification");
    assert_eq!(verification["status"], "fail");
    assert_eq!(verification["outcome"], "token_rejected");
    assert_eq!(verification["exit_code"], 22);
    assert!(
        verification["message"]
            .as_str()
            .expect("message")
            .contains("expired or revoked"),
        "{verification}"
    );
    assert!(stderr.contains("expired or revoked"), "{stderr}");

    // login with the revoked token of the environment, while a valid generic
    // token and a valid password are also set: no silent fallback.
    sim.reset();
    let output = against(
        &sim,
        &ca,
        dir.path(),
        &[
            "login",
            "--environment",
            "prod",
            "--platform",
            "jenkins",
            "--format",
            "json",
        ],
    )
    .env("QUALYS_ACCESS_TOKEN_PROD", &revoked)
    .env("QUALYS_ACCESS_TOKEN", &valid)
    .env("QUALYS_USERNAME", "demo-user")
    .env("QUALYS_PASSWORD", "demo-password")
    .env("QUALYS_AUDIT_LOG", &audit)
    .output()
    .expect("runs");
    let body = json(&output);
    assert_eq!(output.status.code(), Some(22), "{body}");
    assert_eq!(body["error"]["code"], "token_rejected");
    assert_eq!(body["error"]["exit_code"], 22);
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .contains("expired or revoked")
    );
    assert_eq!(sim.auth_requests().total, 0, "no password login was tried");
    assert_eq!(
        sim.request_count("/csapi/v1.3/images"),
        1,
        "no second token was tried"
    );

    let lines = audit_lines(&audit);
    let last = lines.last().expect("a record");
    assert_eq!(last["operation"], "login");
    assert_eq!(last["outcome"], "token_rejected");
    assert_eq!(last["environment"], "prod");
    assert_eq!(last["token_fingerprint"], fingerprint(&revoked));
    assert!(
        lines
            .iter()
            .any(|l| l["operation"] == "verify" && l["outcome"] == "token_rejected")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn environment_selects_token_variable() {
    let sim = simulator().await;
    let (dir, ca) = workdir(&sim);
    let prod = token_issued(&sim, 1, &["CS"]);
    let generic = token_issued(&sim, 1, &["CS"]);
    let staging = token_issued(&sim, 1, &["CS"]);

    let login = |args: &[&str], env: &[(&str, &str)]| {
        let mut command = against(&sim, &ca, dir.path(), &["login", "--format", "json"]);
        command.args(args).env("QUALYS_AUDIT_LOG", "off");
        for (name, value) in env {
            command.env(name, value);
        }
        let output = command.output().expect("runs");
        assert!(output.status.success(), "{:?}", texts(&output));
        json(&output)
    };
    let both = [
        ("QUALYS_ACCESS_TOKEN_PROD", prod.as_str()),
        ("QUALYS_ACCESS_TOKEN", generic.as_str()),
    ];

    let body = login(&["--environment", "prod"], &both);
    assert_eq!(body["token_fingerprint"], fingerprint(&prod));
    assert_eq!(body["checks"]["token_source"], "QUALYS_ACCESS_TOKEN_PROD");
    assert_eq!(body["checks"]["environment"], "prod");

    let mut with_label = both.to_vec();
    with_label.push(("QUALYS_ENVIRONMENT", "prod"));
    assert_eq!(
        login(&[], &with_label)["token_fingerprint"],
        fingerprint(&prod)
    );
    assert_eq!(
        login(&[], &both)["token_fingerprint"],
        fingerprint(&generic)
    );

    // Labels are upper-cased and other characters become underscores.
    let body = login(
        &["--environment", "pre-staging"],
        &[
            ("QUALYS_ACCESS_TOKEN_PRE_STAGING", &staging),
            ("QUALYS_ACCESS_TOKEN", &generic),
        ],
    );
    assert_eq!(body["token_fingerprint"], fingerprint(&staging));

    // Without the environment's variable, the generic one is used.
    let body = login(&["--environment", "dev"], &both);
    assert_eq!(body["token_fingerprint"], fingerprint(&generic));
    assert_eq!(body["checks"]["token_source"], "QUALYS_ACCESS_TOKEN");
}

#[tokio::test(flavor = "multi_thread")]
async fn same_token_for_two_environments_in_variables() {
    let sim = simulator().await;
    let (dir, _ca) = workdir(&sim);
    let shared = token_issued(&sim, 1, &["CS"]);
    let other = token_issued(&sim, 1, &["CS"]);

    let run = |args: &[&str], dev: &str| {
        cli(dir.path())
            .args(["check", "--format", "json", "--environment", "prod"])
            .args(args)
            .env("QUALYS_ACCESS_TOKEN_PROD", &shared)
            .env("QUALYS_ACCESS_TOKEN_DEV", dev)
            .output()
            .expect("runs")
    };

    let output = run(&[], &shared);
    assert_eq!(output.status.code(), Some(0));
    let report = json(&output);
    let separation = check(&report, "separate-tokens");
    assert_eq!(separation["status"], "warn", "{separation}");
    assert_eq!(
        separation["shared"][0]["token_fingerprint"],
        fingerprint(&shared)
    );
    assert_eq!(
        separation["shared"][0]["environments"],
        serde_json::json!(["DEV", "PROD"])
    );
    assert_eq!(
        separation["shared"][0]["seen_in"],
        serde_json::json!(["variables"])
    );
    let (stdout, stderr) = texts(&output);
    assert_no_secret(&stdout, &shared, "stdout");
    assert_no_secret(&stderr, &shared, "stderr");

    let output = run(&["--shared-token", "fail"], &shared);
    assert_eq!(output.status.code(), Some(23));

    let output = run(&[], &other);
    assert_eq!(check(&json(&output), "separate-tokens")["status"], "pass");
}

#[tokio::test(flavor = "multi_thread")]
async fn same_token_for_two_environments_in_audit_log() {
    let sim = simulator().await;
    let (dir, ca) = workdir(&sim);
    let audit = dir.path().join("audit.jsonl");
    let token = token_issued(&sim, 1, &["CS"]);

    let output = against(&sim, &ca, dir.path(), &["login", "--environment", "dev"])
        .env("QUALYS_ACCESS_TOKEN", &token)
        .env("QUALYS_AUDIT_LOG", &audit)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{:?}", texts(&output));

    let output = cli(dir.path())
        .args([
            "check",
            "--format",
            "json",
            "--environment",
            "prod",
            "--audit-log",
        ])
        .arg(&audit)
        .env("QUALYS_ACCESS_TOKEN", &token)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{:?}", texts(&output));
    let report = json(&output);
    let separation = check(&report, "separate-tokens");
    assert_eq!(separation["status"], "warn", "{separation}");
    assert_eq!(
        separation["shared"][0]["environments"],
        serde_json::json!(["DEV", "PROD"])
    );
    assert_eq!(
        separation["shared"][0]["seen_in"],
        serde_json::json!(["audit-log"])
    );

    // login reports it too, on standard error for text.
    let output = against(&sim, &ca, dir.path(), &["login", "--environment", "prod"])
        .env("QUALYS_ACCESS_TOKEN", &token)
        .env("QUALYS_AUDIT_LOG", &audit)
        .output()
        .expect("runs");
    let (stdout, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: token policy (separate-tokens)"),
        "{stderr}"
    );
    assert!(!stdout.contains("warning"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn login_reports_policy_without_failing() {
    let sim = simulator().await;
    let (dir, ca) = workdir(&sim);
    let old = token_issued(&sim, 95, &["CS", "VM SCANNER"]);

    let output = against(&sim, &ca, dir.path(), &["login", "--format", "json"])
        .env("QUALYS_ACCESS_TOKEN", &old)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{:?}", texts(&output));
    let body = json(&output);
    // The summary fields are unchanged; `checks` is added.
    assert_eq!(body["schema_version"], 1);
    assert_eq!(body["verified"], true);
    assert_eq!(body["token_fingerprint"], fingerprint(&old));
    assert_eq!(body["checks"]["status"], "fail");
    assert_eq!(check(&body["checks"], "rotation")["status"], "fail");
    assert_eq!(check(&body["checks"], "scopes")["status"], "warn");
    assert_eq!(check(&body["checks"], "verification")["status"], "pass");

    let output = against(&sim, &ca, dir.path(), &["login"])
        .env("QUALYS_ACCESS_TOKEN", &old)
        .output()
        .expect("runs");
    let (stdout, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout.contains("Authenticated to"), "{stdout}");
    assert!(
        stderr.contains("warning: token policy failed (rotation): the token is 95 days old"),
        "{stderr}"
    );
    assert!(
        stderr.contains("warning: token policy (scopes)"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn policy_file_precedence_and_unknown_keys() {
    let sim = simulator().await;
    let (dir, _ca) = workdir(&sim);
    let token = token_issued(&sim, 25, &["CS", "VM SCANNER"]);
    std::fs::write(
        dir.path().join("qualys-ci-auth.toml"),
        "environment = \"staging\"\n[rotation]\nwarn_after_days = 10\nfail_after_days = 40\n[scopes]\nextra = \"fail\"\n",
    )
    .expect("write policy");

    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut command = cli(dir.path());
        command
            .args(["check", "--format", "json"])
            .args(args)
            .env("QUALYS_ACCESS_TOKEN", &token);
        for (name, value) in env {
            command.env(name, value);
        }
        command.output().expect("runs")
    };

    // The file applies over the defaults.
    let output = run(&[], &[]);
    let report = json(&output);
    assert_eq!(report["policy"]["warn_after_days"], 10);
    assert_eq!(report["policy"]["fail_after_days"], 40);
    assert_eq!(report["environment"], "staging");
    assert_eq!(check(&report, "rotation")["status"], "warn");
    assert_eq!(check(&report, "scopes")["status"], "fail");
    assert_eq!(output.status.code(), Some(23));
    assert!(
        report["policy"]["file"]
            .as_str()
            .expect("file")
            .ends_with("qualys-ci-auth.toml")
    );

    // Variables override the file.
    let output = run(
        &[],
        &[
            ("QUALYS_TOKEN_WARN_AFTER_DAYS", "30"),
            ("QUALYS_EXTRA_SCOPES", "warn"),
            ("QUALYS_ENVIRONMENT", "qa"),
        ],
    );
    let report = json(&output);
    assert_eq!(report["policy"]["warn_after_days"], 30);
    assert_eq!(report["environment"], "qa");
    assert_eq!(check(&report, "rotation")["status"], "pass");
    assert_eq!(output.status.code(), Some(0));

    // Flags override the variables.
    let output = run(
        &[
            "--warn-after-days",
            "20",
            "--extra-scopes",
            "fail",
            "--environment",
            "prod",
        ],
        &[
            ("QUALYS_TOKEN_WARN_AFTER_DAYS", "30"),
            ("QUALYS_EXTRA_SCOPES", "warn"),
            ("QUALYS_ENVIRONMENT", "qa"),
        ],
    );
    let report = json(&output);
    assert_eq!(report["policy"]["warn_after_days"], 20);
    assert_eq!(report["environment"], "prod");
    assert_eq!(check(&report, "rotation")["status"], "warn");
    assert_eq!(output.status.code(), Some(23));

    // --policy names another file; an unknown key there is an error naming key and file.
    let strict = dir.path().join("strict.toml");
    std::fs::write(&strict, "[rotation]\nwarn_after_day = 5\n").expect("write policy");
    let output = run(&["--policy", strict.to_str().expect("UTF-8 path")], &[]);
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("warn_after_day"), "{stderr}");
    assert!(stderr.contains("strict.toml"), "{stderr}");

    let output = run(&[], &[("QUALYS_POLICY_FILE", "/nonexistent/policy.toml")]);
    let (_, stderr) = texts(&output);
    assert_ne!(output.status.code(), Some(0));
    assert!(stderr.contains("/nonexistent/policy.toml"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_lines_from_eight_processes() {
    let sim = simulator().await;
    let (dir, ca) = workdir(&sim);
    let audit = dir.path().join("shared-audit.jsonl");
    let token = token_issued(&sim, 1, &["CS"]);

    let children: Vec<_> = (0..8)
        .map(|i| {
            against(&sim, &ca, dir.path(), &["login", "--environment", "prod"])
                .env("QUALYS_ACCESS_TOKEN", &token)
                .env("QUALYS_AUDIT_LOG", &audit)
                .env("JENKINS_URL", "https://ci.example.com/")
                .env("BUILD_ID", format!("build-{i}"))
                .env("BUILD_URL", format!("https://ci.example.com/job/scan/{i}/"))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawns")
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().expect("waits");
        assert!(output.status.success(), "{:?}", texts(&output));
    }

    let text = std::fs::read_to_string(&audit).expect("audit log");
    assert_no_secret(&text, &token, "audit log");
    let lines = audit_lines(&audit);
    assert_eq!(lines.len(), 8, "{text}");
    let mut run_ids = BTreeSet::new();
    let mut pids = BTreeSet::new();
    for line in &lines {
        assert_eq!(line["operation"], "login");
        assert_eq!(line["outcome"], "ok");
        assert_eq!(line["platform"], "jenkins");
        assert_eq!(line["environment"], "prod");
        assert_eq!(line["gateway"], sim.url());
        assert_eq!(line["backend"], "qscanner");
        assert_eq!(line["credential"], "api-token");
        assert_eq!(line["token_fingerprint"], fingerprint(&token));
        let time = line["time"].as_str().expect("time");
        assert!(time.ends_with('Z'), "{time}");
        assert_eq!(time.len(), 20, "{time}");
        let run_id = line["run_id"].as_str().expect("run id").to_owned();
        let index = run_id.trim_start_matches("build-");
        assert_eq!(
            line["run_url"],
            format!("https://ci.example.com/job/scan/{index}/")
        );
        run_ids.insert(run_id);
        pids.insert(line["pid"].as_u64().expect("pid"));
    }
    assert_eq!(run_ids.len(), 8);
    assert_eq!(pids.len(), 8);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&audit)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_log_never_holds_secrets() {
    let sim = simulator().await;
    sim.add_user(CANARY_USER, CANARY_PASSWORD, &["CS"]);
    let (dir, ca) = workdir(&sim);
    let audit = dir.path().join("audit.jsonl");
    let token = token_issued(&sim, 1, &["CS"]);

    for args in [
        vec!["login"],
        vec!["token"],
        vec!["api", "GET", "/csapi/v1.3/images?pageNumber=1&pageSize=1"],
        // Online, since QUALYS_GATEWAY_URL names the simulator.
        vec!["check"],
    ] {
        let output = against(&sim, &ca, dir.path(), &args)
            .env("QUALYS_ACCESS_TOKEN", &token)
            .env("QUALYS_AUDIT_LOG", &audit)
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_RUN_ID", "4242")
            .env("GITHUB_SERVER_URL", "https://github.com")
            .env("GITHUB_REPOSITORY", "acme/app")
            .output()
            .expect("runs");
        assert!(output.status.success(), "{args:?}: {:?}", texts(&output));
    }
    for (password, code) in [(CANARY_PASSWORD, 0), ("CANARY-wrong-pw-91", 20)] {
        let output = against(&sim, &ca, dir.path(), &["login", "--platform", "jenkins"])
            .env("QUALYS_USERNAME", CANARY_USER)
            .env("QUALYS_PASSWORD", password)
            .env("QUALYS_AUDIT_LOG", &audit)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(code), "{:?}", texts(&output));
    }

    let text = std::fs::read_to_string(&audit).expect("audit log");
    assert_no_secret(&text, &token, "audit log");
    assert_no_secret(&text, CANARY_PASSWORD, "audit log");
    assert_no_secret(&text, "CANARY-wrong-pw-91", "audit log");
    assert!(!text.contains("eyJ"), "no JWT may be recorded: {text}");

    let lines = audit_lines(&audit);
    let operations: Vec<&str> = lines
        .iter()
        .map(|l| l["operation"].as_str().expect("op"))
        .collect();
    assert_eq!(
        operations,
        vec![
            "login", "token", "request", "verify", "auth", "login", "auth", "login"
        ],
        "{text}"
    );
    assert_eq!(
        lines[0]["run_url"],
        "https://github.com/acme/app/actions/runs/4242"
    );
    assert_eq!(lines[0]["platform"], "github-actions");
    assert_eq!(lines[4]["user"], CANARY_USER);
    assert_eq!(lines[4]["credential"], "username-password");
    assert_eq!(lines[6]["outcome"], "authentication_failed");
    assert_eq!(lines[6]["token_fingerprint"], serde_json::Value::Null);
    assert_eq!(lines[7]["outcome"], "authentication_failed");
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_log_location_and_errors() {
    let sim = simulator().await;
    let (dir, ca) = workdir(&sim);
    let token = token_issued(&sim, 1, &["CS"]);

    // An unwritable explicit path fails before the token is sent.
    let output = against(
        &sim,
        &ca,
        dir.path(),
        &["login", "--audit-log", "/nonexistent/dir/audit.jsonl"],
    )
    .env("QUALYS_ACCESS_TOKEN", &token)
    .output()
    .expect("runs");
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("/nonexistent/dir/audit.jsonl"), "{stderr}");
    assert_eq!(sim.request_count("/csapi/v1.3/images"), 0);

    // By default the log lives in the user's state directory.
    let home = dir.path().join("home");
    std::fs::create_dir(&home).expect("mkdir");
    let output = against(&sim, &ca, dir.path(), &["login"])
        .env("QUALYS_ACCESS_TOKEN", &token)
        .env("HOME", &home)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{:?}", texts(&output));
    let default = home.join(".local/state/qualys-ci-auth/audit.jsonl");
    assert_eq!(audit_lines(&default).len(), 1);

    // "off" disables it.
    let output = against(&sim, &ca, dir.path(), &["login"])
        .env("QUALYS_ACCESS_TOKEN", &token)
        .env("HOME", &home)
        .env("QUALYS_AUDIT_LOG", "off")
        .output()
        .expect("runs");
    assert!(output.status.success());
    assert_eq!(audit_lines(&default).len(), 1);
}
