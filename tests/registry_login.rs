//! `registry login` and `registry logout` run as a pipeline runs them,
//! against the real Distribution registry (Basic over TLS, and the Bearer
//! token flow with a token service started here), with skopeo as the
//! registry client that must accept what was written. Stand-in registries
//! in this process cover the file handling: merging, 20 concurrent logins,
//! credential helpers and malformed files. No request leaves 127.0.0.1.

mod registry_support;

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use qualys_ci_auth::mask::mask_forms;
use registry_support::*;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_qualys-ci-auth");
const USER: &str = "ci-robot";
/// The registry password: a canary that must never appear in argv, output or logs.
const CANARY: &str = "CANARY-reg-pw-9d1e&+%=:/ \"q\" é";

/// A CLI command with an empty environment (so the machine's CI variables
/// cannot change platform detection), logging everything at TRACE level.
fn cli(home: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("QUALYS_CI_AUTH_LOG", "trace")
        .stdin(Stdio::null());
    command
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Asserts that no maskable form of the password, nor the base64 of
/// `user:password`, appears in `text`.
fn assert_no_secret(text: &str, what: &str) {
    for form in mask_forms(CANARY, Some(USER)) {
        assert!(
            !text.contains(&form),
            "{what} contains a form of the password: {form:?}\n{text}"
        );
    }
}

fn run_login(
    home: &Path,
    registry: &str,
    docker_config: &Path,
    ca: &Path,
    password: &str,
) -> Output {
    cli(home)
        .args([
            "registry",
            "login",
            registry,
            "--username",
            USER,
            "--password-env",
            "REG_PASSWORD",
        ])
        .arg("--docker-config")
        .arg(docker_config)
        .arg("--ca-file")
        .arg(ca)
        .args([
            "--format",
            "json",
            "--max-attempts",
            "3",
            "--deadline",
            "30",
        ])
        .env("REG_PASSWORD", password)
        .output()
        .expect("CLI runs")
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {stdout}"))
}

fn load_config(docker_config: &Path) -> Value {
    let bytes = std::fs::read(docker_config.join("config.json")).expect("config.json exists");
    serde_json::from_slice(&bytes).expect("config.json is valid JSON")
}

fn expected_auth(user: &str, password: &str) -> String {
    STANDARD.encode(format!("{user}:{password}"))
}

fn skopeo(args: &[&str]) -> Output {
    Command::new("skopeo")
        .args(args)
        .env_remove("REGISTRY_AUTH_FILE")
        .stdin(Stdio::null())
        .output()
        .expect("skopeo runs")
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

/// Copies the test image into the registry with skopeo, reading our
/// config.json, then back into a `dir:` copy, and checks what came back.
/// Then checks that skopeo without our credentials is refused, or for a
/// repository open to anonymous pulls (`public_repository`), allowed.
fn skopeo_round_trip(
    work: &Path,
    pki: &Pki,
    docker_config: &Path,
    destination: &str,
    public_repository: bool,
) {
    let image =
        write_oci_image(&work.join(format!("image-{}", destination.replace(['/', ':'], "_"))));
    let authfile = docker_config.join("config.json");
    let source = format!("oci:{}:latest", path_str(&image.layout));
    let remote = format!("docker://{destination}");

    let push = skopeo(&[
        "copy",
        "--authfile",
        path_str(&authfile),
        "--dest-cert-dir",
        path_str(&pki.cert_dir),
        &source,
        &remote,
    ]);
    let (stdout, stderr) = text(&push);
    assert!(
        push.status.success(),
        "skopeo push failed:\n{stdout}\n{stderr}"
    );

    let pulled = work.join(format!("pulled-{}", destination.replace(['/', ':'], "_")));
    let pull = skopeo(&[
        "copy",
        "--authfile",
        path_str(&authfile),
        "--src-cert-dir",
        path_str(&pki.cert_dir),
        &remote,
        &format!("dir:{}", path_str(&pulled)),
    ]);
    let (stdout, stderr) = text(&pull);
    assert!(
        pull.status.success(),
        "skopeo pull failed:\n{stdout}\n{stderr}"
    );

    let manifest: Value =
        serde_json::from_slice(&std::fs::read(pulled.join("manifest.json")).expect("manifest"))
            .expect("JSON");
    assert_eq!(manifest["config"]["digest"], image.config_digest.as_str());
    let config_hex = image.config_digest.trim_start_matches("sha256:");
    assert_eq!(
        std::fs::read(pulled.join(config_hex)).expect("config blob"),
        image.config_bytes,
        "the image config must come back byte for byte"
    );
    let layers = manifest["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 1);
    let layer_hex = layers[0]["digest"]
        .as_str()
        .expect("digest")
        .trim_start_matches("sha256:");
    let layer = std::fs::read(pulled.join(layer_hex)).expect("layer blob");
    // skopeo may compress the layer on push; then it starts with the gzip magic.
    assert!(
        layer == image.layer_bytes || layer.starts_with(&[0x1f, 0x8b]),
        "the layer came back neither as written nor gzip-compressed"
    );

    // Without our config.json the same registry refuses a private
    // repository: the credentials we wrote are what made the copy work.
    let empty = work.join("empty-auth.json");
    std::fs::write(&empty, "{}").expect("write empty auth file");
    let anonymous = skopeo(&[
        "inspect",
        "--authfile",
        path_str(&empty),
        "--cert-dir",
        path_str(&pki.cert_dir),
        &remote,
    ]);
    let (stdout, stderr) = text(&anonymous);
    if public_repository {
        assert!(anonymous.status.success(), "{stdout}\n{stderr}");
        return;
    }
    assert!(
        !anonymous.status.success(),
        "an anonymous inspect must be refused: {stdout}"
    );
    assert!(
        stderr.to_lowercase().contains("unauthorized")
            || stderr.contains("authentication required"),
        "{stderr}"
    );
}

#[test]
fn basic_auth_real_registry_and_skopeo() {
    if !real_registry_available("basic_auth_real_registry_and_skopeo") {
        return;
    }
    let work = tempfile::tempdir().expect("temp dir");
    let pki = Pki::generate(&work.path().join("pki"));
    let registry = RealRegistry::start(
        &pki,
        &work.path().join("registry"),
        RegistryAuth::Htpasswd(&[(USER, CANARY)]),
    );
    let docker_config = work.path().join("docker");
    let watch = ArgvWatch::start(mask_forms(CANARY, Some(USER)), vec![]);

    let output = run_login(
        work.path(),
        &registry.host(),
        &docker_config,
        &pki.ca_file,
        CANARY,
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{stderr}\n{}",
        registry.log()
    );
    let report = json(&stdout);
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["status"], "logged-in");
    assert_eq!(report["registry"], registry.host());
    assert_eq!(report["config_key"], registry.host());
    assert_eq!(report["username"], USER);
    assert_eq!(report["verification"], "basic");
    assert_eq!(report["stored_in"], "config-file");
    assert_eq!(
        report["credential_source"],
        "--username and environment REG_PASSWORD"
    );
    assert_no_secret(&stdout, "stdout");
    assert_no_secret(&stderr, "stderr");

    let config = load_config(&docker_config);
    assert_eq!(
        config["auths"][registry.host()]["auth"],
        expected_auth(USER, CANARY)
    );
    let mode = std::fs::metadata(docker_config.join("config.json"))
        .expect("metadata")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    // A wrong password is rejected, named, and not retried: the registry
    // sees the anonymous probe and one request with credentials.
    let before = registry.count_requests("/v2/ ");
    let wrong = run_login(
        work.path(),
        &registry.host(),
        &docker_config,
        &pki.ca_file,
        "wrong-password-xyz",
    );
    let (stdout, stderr) = text(&wrong);
    assert_eq!(wrong.status.code(), Some(20), "{stdout}\n{stderr}");
    let error = json(&stdout);
    assert_eq!(error["error"]["code"], "registry_rejected");
    assert_eq!(error["error"]["exit_code"], 20);
    let message = error["error"]["message"].as_str().expect("message");
    assert!(message.contains(&registry.host()), "{message}");
    assert!(message.contains(USER), "{message}");
    assert!(!stdout.contains("wrong-password-xyz"), "{stdout}");
    assert!(!stderr.contains("wrong-password-xyz"), "{stderr}");
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(
        registry.count_requests("/v2/ ") - before,
        2,
        "{}",
        registry.log()
    );
    assert_eq!(
        load_config(&docker_config)["auths"][registry.host()]["auth"],
        expected_auth(USER, CANARY),
        "a rejected login must leave the stored one alone"
    );

    skopeo_round_trip(
        work.path(),
        &pki,
        &docker_config,
        &format!("{}/qca/tiny:1.0", registry.host()),
        false,
    );

    let watched = watch.finish();
    assert!(
        watched.hits.is_empty(),
        "the password appeared in a command line: {:?}",
        watched.hits
    );
    assert!(watched.scans > 0);
}

#[test]
fn bearer_token_flow_real_registry() {
    if !real_registry_available("bearer_token_flow_real_registry") {
        return;
    }
    let work = tempfile::tempdir().expect("temp dir");
    let pki = Pki::generate(&work.path().join("pki"));
    let servers = TestServers::start(&pki, &[(USER, CANARY)]);
    let realm = servers.realm();
    let registry = RealRegistry::start(
        &pki,
        &work.path().join("registry"),
        RegistryAuth::Token {
            realm: &realm,
            service: TOKEN_SERVICE,
            issuer: TOKEN_ISSUER,
        },
    );
    let docker_config = work.path().join("docker");

    let output = run_login(
        work.path(),
        &registry.host(),
        &docker_config,
        &pki.ca_file,
        CANARY,
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{stderr}\n{}",
        registry.log()
    );
    let report = json(&stdout);
    assert_eq!(report["verification"], "bearer");
    assert_eq!(report["status"], "logged-in");
    assert_no_secret(&stdout, "stdout");
    assert_no_secret(&stderr, "stderr");
    assert_eq!(
        load_config(&docker_config)["auths"][registry.host()]["auth"],
        expected_auth(USER, CANARY)
    );
    let token_requests: Vec<SeenRequest> = servers
        .seen()
        .into_iter()
        .filter(|r| r.path == "/token")
        .collect();
    assert_eq!(token_requests.len(), 1, "{token_requests:?}");
    let first = &token_requests[0];
    assert_eq!(first.basic_user.as_deref(), Some(USER));
    assert!(
        first
            .query
            .contains(&("service".to_owned(), TOKEN_SERVICE.to_owned())),
        "{first:?}"
    );
    assert!(
        first
            .query
            .contains(&("account".to_owned(), USER.to_owned())),
        "{first:?}"
    );

    // A wrong password: the token service refuses once and is not asked again.
    let wrong = run_login(
        work.path(),
        &registry.host(),
        &docker_config,
        &pki.ca_file,
        "wrong-password-xyz",
    );
    let (stdout, stderr) = text(&wrong);
    assert_eq!(wrong.status.code(), Some(20), "{stdout}\n{stderr}");
    assert_eq!(json(&stdout)["error"]["code"], "registry_rejected");
    assert!(stdout.contains(&registry.host()), "{stdout}");
    let credentialed = servers
        .seen()
        .into_iter()
        .filter(|r| r.path == "/token" && r.basic_user.is_some())
        .count();
    assert_eq!(credentialed, 2, "one token request per login, no retry");

    skopeo_round_trip(
        work.path(),
        &pki,
        &docker_config,
        &format!("{}/private/tiny:1.0", registry.host()),
        false,
    );
    skopeo_round_trip(
        work.path(),
        &pki,
        &docker_config,
        &format!("{}/public/tiny:1.0", registry.host()),
        true,
    );

    // Without any credential: a public image is a no-op that says so ...
    let anonymous_config = work.path().join("anonymous-docker");
    let public = cli(work.path())
        .args([
            "registry",
            "login",
            &format!("{}/public/tiny:1.0", registry.host()),
        ])
        .arg("--docker-config")
        .arg(&anonymous_config)
        .arg("--ca-file")
        .arg(&pki.ca_file)
        .args(["--format", "json"])
        .output()
        .expect("CLI runs");
    let (stdout, stderr) = text(&public);
    assert_eq!(public.status.code(), Some(0), "{stdout}\n{stderr}");
    let report = json(&stdout);
    assert_eq!(report["status"], "skipped");
    assert!(
        report["reason"]
            .as_str()
            .expect("reason")
            .contains("without credentials"),
        "{report}"
    );
    assert!(
        !anonymous_config.join("config.json").exists(),
        "a skipped login writes nothing"
    );

    // ... and a private one is an error that says where credentials go.
    let private = cli(work.path())
        .args([
            "registry",
            "login",
            &format!("{}/private/tiny:1.0", registry.host()),
        ])
        .arg("--docker-config")
        .arg(&anonymous_config)
        .arg("--ca-file")
        .arg(&pki.ca_file)
        .args(["--format", "json"])
        .output()
        .expect("CLI runs");
    let (stdout, stderr) = text(&private);
    assert_eq!(private.status.code(), Some(2), "{stdout}\n{stderr}");
    let error = json(&stdout);
    assert_eq!(error["error"]["code"], "missing_credential");
    assert!(
        error["error"]["message"]
            .as_str()
            .expect("message")
            .contains("--password-env"),
        "{error}"
    );
}

#[test]
fn http_token_realm_gets_no_credentials() {
    let work = tempfile::tempdir().expect("temp dir");
    let pki = Pki::generate(&work.path().join("pki"));
    let servers = TestServers::start(&pki, &[(USER, CANARY)]);
    let docker_config = work.path().join("docker");

    for realm in [
        format!("http://127.0.0.1:{}/token", servers.token_port),
        "http://token.example.invalid/token".to_owned(),
    ] {
        let registry = servers.fake_registry(FakeMode::Bearer {
            realm: realm.clone(),
        });
        let output = run_login(work.path(), &registry, &docker_config, &pki.ca_file, CANARY);
        let (stdout, stderr) = text(&output);
        assert_ne!(output.status.code(), Some(0), "{stdout}\n{stderr}");
        let message = json(&stdout)["error"]["message"]
            .as_str()
            .expect("message")
            .to_owned();
        assert!(message.contains("no credentials were sent"), "{message}");
        assert!(message.contains(&realm), "{message}");
        assert_no_secret(&stdout, "stdout");
        assert_no_secret(&stderr, "stderr");
    }
    assert!(
        servers.seen().iter().all(|r| r.path != "/token"),
        "no token request may be made to a plain-http realm"
    );
    assert!(servers.seen().iter().all(|r| r.basic_user.is_none()));
    assert!(!docker_config.join("config.json").exists());
}

#[test]
fn existing_config_is_merged() {
    let work = tempfile::tempdir().expect("temp dir");
    let pki = Pki::generate(&work.path().join("pki"));
    let servers = TestServers::start(&pki, &[(USER, CANARY)]);
    let registry = servers.fake_registry(FakeMode::Basic);
    let docker_config = work.path().join("docker");
    std::fs::create_dir_all(&docker_config).expect("dir");
    let original = format!(
        r#"{{
    "psFormat": "table {{{{.ID}}}}",
    "auths": {{
        "https://index.docker.io/v1/": {{"auth": "aHViOmh1Yg=="}},
        "{registry}": {{"auth": "b2xkOm9sZA==", "identitytoken": "stale", "email": "ci@example.com"}},
        "quay.io": {{"auth": "cXVheTpxdWF5"}}
    }},
    "HttpHeaders": {{"X-Meta": "kept"}},
    "currentContext": "default",
    "futureFeature": {{"nested": [1, {{"deep": true}}], "number": 12.5}}
}}"#
    );
    std::fs::write(docker_config.join("config.json"), &original).expect("write");

    let output = run_login(work.path(), &registry, &docker_config, &pki.ca_file, CANARY);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");

    let before: Value = serde_json::from_str(&original).expect("original JSON");
    let after = load_config(&docker_config);
    let keys = |v: &Value| {
        v.as_object()
            .expect("object")
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        keys(&after),
        keys(&before),
        "top-level keys and their order are kept"
    );
    for key in ["psFormat", "HttpHeaders", "currentContext", "futureFeature"] {
        assert_eq!(after[key], before[key], "{key}");
    }
    assert_eq!(keys(&after["auths"]), keys(&before["auths"]));
    for other in ["https://index.docker.io/v1/", "quay.io"] {
        assert_eq!(after["auths"][other], before["auths"][other], "{other}");
    }
    let entry = &after["auths"][&registry];
    assert_eq!(entry["auth"], expected_auth(USER, CANARY));
    assert_eq!(entry["email"], "ci@example.com");
    assert!(
        entry.get("identitytoken").is_none(),
        "a stale identity token would win over the new login"
    );
}

#[test]
fn twenty_concurrent_logins() {
    const LOGINS: usize = 20;
    let work = tempfile::tempdir().expect("temp dir");
    let pki = Pki::generate(&work.path().join("pki"));
    let users: Vec<(String, String)> = (0..LOGINS)
        .map(|i| (format!("user-{i}"), format!("CANARY-concurrent-{i}-pw")))
        .collect();
    let user_refs: Vec<(&str, &str)> = users
        .iter()
        .map(|(u, p)| (u.as_str(), p.as_str()))
        .collect();
    let servers = TestServers::start(&pki, &user_refs);
    let docker_config = work.path().join("docker");
    std::fs::create_dir_all(&docker_config).expect("dir");
    std::fs::write(
        docker_config.join("config.json"),
        r#"{"auths": {"keep.example.com": {"auth": "a2VlcDprZWVw"}}, "detachKeys": "ctrl-e"}"#,
    )
    .expect("write");

    let registries: Vec<String> = (0..LOGINS)
        .map(|_| servers.fake_registry(FakeMode::Basic))
        .collect();
    let children: Vec<_> = registries
        .iter()
        .zip(&users)
        .map(|(registry, (user, password))| {
            cli(work.path())
                .args([
                    "registry",
                    "login",
                    registry,
                    "--username",
                    user,
                    "--password-env",
                    "REG_PASSWORD",
                ])
                .arg("--docker-config")
                .arg(&docker_config)
                .arg("--ca-file")
                .arg(&pki.ca_file)
                .env("REG_PASSWORD", password)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("CLI starts")
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().expect("CLI finishes");
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    }

    let config = load_config(&docker_config);
    let auths = config["auths"].as_object().expect("auths");
    assert_eq!(auths.len(), LOGINS + 1, "{config}");
    for (registry, (user, password)) in registries.iter().zip(&users) {
        assert_eq!(
            auths[registry]["auth"],
            expected_auth(user, password),
            "{registry}"
        );
    }
    assert_eq!(auths["keep.example.com"]["auth"], "a2VlcDprZWVw");
    assert_eq!(config["detachKeys"], "ctrl-e");
    let temporaries: Vec<PathBuf> = std::fs::read_dir(&docker_config)
        .expect("list")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(temporaries.is_empty(), "{temporaries:?}");
}

/// A credential helper that records what it receives on standard input and
/// answers `get` with what `store` received. It sleeps in `store`, so that
/// the command line watch sees it running.
const HELPER_SCRIPT: &str = r#"#!/bin/sh
# Test credential helper for qualys-ci-auth: records standard input.
set -eu
record="$QCA_HELPER_RECORD"
case "$1" in
  store) cat > "$record/store.json"; sleep 0.5 ;;
  get)
    cat > "$record/get-request.txt"
    if [ -f "$record/store.json" ]; then cat "$record/store.json"; else echo "credentials not found in native keychain"; exit 1; fi ;;
  erase)
    cat > "$record/erase-request.txt"
    if [ -f "$record/store.json" ]; then rm "$record/store.json"; else echo "credentials not found in native keychain"; exit 1; fi ;;
  *) echo "unknown action: $1" >&2; exit 1 ;;
esac
"#;

#[test]
fn credential_helper_gets_secret_on_stdin() {
    let work = tempfile::tempdir().expect("temp dir");
    let pki = Pki::generate(&work.path().join("pki"));
    let servers = TestServers::start(&pki, &[(USER, CANARY)]);
    let registry = servers.fake_registry(FakeMode::Basic);

    let bin = work.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    let helper = bin.join("docker-credential-qcatest");
    std::fs::write(&helper, HELPER_SCRIPT).expect("write helper");
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let record = work.path().join("record");
    std::fs::create_dir_all(&record).expect("record dir");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );

    let docker_config = work.path().join("docker");
    std::fs::create_dir_all(&docker_config).expect("dir");
    std::fs::write(
        docker_config.join("config.json"),
        format!(
            r#"{{"credsStore": "qcatest", "auths": {{"{registry}": {{"auth": "b2xkOm9sZA=="}}}}}}"#
        ),
    )
    .expect("write");

    let watch = ArgvWatch::start(
        mask_forms(CANARY, Some(USER)),
        vec![
            "docker-credential-qcatest".into(),
            "qualys-ci-auth registry".into(),
        ],
    );
    let mut child = cli(work.path())
        .env("PATH", &path)
        .env("QCA_HELPER_RECORD", &record)
        .args([
            "registry",
            "login",
            &registry,
            "--username",
            USER,
            "--password-stdin",
            "--format",
            "json",
        ])
        .arg("--docker-config")
        .arg(&docker_config)
        .arg("--ca-file")
        .arg(&pki.ca_file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("CLI starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{CANARY}\n").as_bytes())
        .expect("write password");
    let output = child.wait_with_output().expect("CLI finishes");
    let watched = watch.finish();

    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    let report = json(&stdout);
    assert_eq!(report["stored_in"], "credential-helper");
    assert_eq!(report["credential_helper"], "qcatest");
    assert_eq!(report["credential_source"], "standard input");
    assert_no_secret(&stdout, "stdout");
    assert_no_secret(&stderr, "stderr");

    let stored: Value = serde_json::from_slice(
        &std::fs::read(record.join("store.json")).expect("helper got store"),
    )
    .expect("JSON");
    assert_eq!(stored["ServerURL"], registry.as_str());
    assert_eq!(stored["Username"], USER);
    assert_eq!(stored["Secret"], CANARY);
    assert_eq!(
        std::fs::read_to_string(record.join("get-request.txt")).expect("get"),
        registry
    );

    let file = std::fs::read_to_string(docker_config.join("config.json")).expect("config");
    assert_no_secret(&file, "config.json");
    let config: Value = serde_json::from_str(&file).expect("JSON");
    assert_eq!(
        config["auths"][&registry],
        serde_json::json!({}),
        "no plain text beside a helper"
    );
    assert_eq!(config["credsStore"], "qcatest");

    assert!(
        watched.hits.is_empty(),
        "the password appeared in a command line: {:?}",
        watched.hits
    );
    assert!(
        watched
            .observed
            .iter()
            .any(|line| line.ends_with("docker-credential-qcatest store")),
        "the watch must have seen the helper run: {:?}",
        watched.observed
    );
    assert!(
        watched
            .observed
            .iter()
            .any(|line| line.contains("qualys-ci-auth registry login")),
        "the watch must have seen the CLI run: {:?}",
        watched.observed
    );

    let logout = cli(work.path())
        .env("PATH", &path)
        .env("QCA_HELPER_RECORD", &record)
        .args(["registry", "logout", &registry, "--format", "json"])
        .arg("--docker-config")
        .arg(&docker_config)
        .output()
        .expect("CLI runs");
    let (stdout, stderr) = text(&logout);
    assert_eq!(logout.status.code(), Some(0), "{stdout}\n{stderr}");
    let report = json(&stdout);
    assert_eq!(report["removed"], true);
    assert_eq!(report["erased_in_helper"], true);
    assert_eq!(
        std::fs::read_to_string(record.join("erase-request.txt")).expect("erase"),
        registry
    );
    assert!(!record.join("store.json").exists());
    assert!(
        load_config(&docker_config)["auths"]
            .get(&registry)
            .is_none()
    );
}

#[test]
fn logout_removes_exactly_one_entry() {
    let work = tempfile::tempdir().expect("temp dir");
    let docker_config = work.path().join("docker");
    std::fs::create_dir_all(&docker_config).expect("dir");
    std::fs::write(
        docker_config.join("config.json"),
        r#"{"auths": {"localhost:5000": {"auth": "YTpi"}, "localhost:5001": {"auth": "YzpK"}, "https://index.docker.io/v1/": {"auth": "ZDpl"}}, "x": [1]}"#,
    )
    .expect("write");

    for (reference, removed) in [
        ("localhost:5000", true),
        ("localhost:5000", false),
        ("docker.io", true),
    ] {
        let output = cli(work.path())
            .args(["registry", "logout", reference, "--format", "json"])
            .env("DOCKER_CONFIG", &docker_config)
            .output()
            .expect("CLI runs");
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
        assert_eq!(json(&stdout)["removed"], removed, "{reference}: {stdout}");
    }
    let config = load_config(&docker_config);
    assert_eq!(
        config["auths"],
        serde_json::json!({"localhost:5001": {"auth": "YzpK"}})
    );
    assert_eq!(config["x"], serde_json::json!([1]));
}

#[test]
fn malformed_config_is_never_overwritten() {
    let work = tempfile::tempdir().expect("temp dir");
    let pki = Pki::generate(&work.path().join("pki"));
    let servers = TestServers::start(&pki, &[(USER, CANARY)]);
    let registry = servers.fake_registry(FakeMode::Basic);
    let docker_config = work.path().join("docker");
    std::fs::create_dir_all(&docker_config).expect("dir");
    let broken = "{\"auths\": {\"ghcr.io\": {\"auth\": \"eDp5\"},\n";
    std::fs::write(docker_config.join("config.json"), broken).expect("write");

    let output = run_login(work.path(), &registry, &docker_config, &pki.ca_file, CANARY);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    let error = json(&stdout);
    assert_eq!(error["error"]["code"], "config_malformed");
    let message = error["error"]["message"].as_str().expect("message");
    assert!(
        message.contains(&docker_config.join("config.json").display().to_string()),
        "{message}"
    );
    assert!(message.contains("not valid JSON"), "{message}");
    assert_no_secret(&stdout, "stdout");
    assert_no_secret(&stderr, "stderr");
    assert_eq!(
        std::fs::read_to_string(docker_config.join("config.json")).expect("read"),
        broken
    );
}

#[test]
fn gitlab_job_credentials_are_used() {
    let work = tempfile::tempdir().expect("temp dir");
    let pki = Pki::generate(&work.path().join("pki"));
    let servers = TestServers::start(&pki, &[("gitlab-ci-token", CANARY)]);
    let registry = servers.fake_registry(FakeMode::Basic);
    let docker_config = work.path().join("docker");

    let output = cli(work.path())
        .args([
            "registry",
            "login",
            &format!("{registry}/group/project:1"),
            "--format",
            "json",
        ])
        .arg("--ca-file")
        .arg(&pki.ca_file)
        .env("DOCKER_CONFIG", &docker_config)
        .env("GITLAB_CI", "true")
        .env("CI_REGISTRY", &registry)
        .env("CI_REGISTRY_USER", "gitlab-ci-token")
        .env("CI_REGISTRY_PASSWORD", CANARY)
        .output()
        .expect("CLI runs");
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    let report = json(&stdout);
    assert_eq!(report["repository"], "group/project");
    assert_eq!(report["username"], "gitlab-ci-token");
    assert!(
        report["credential_source"]
            .as_str()
            .expect("source")
            .contains("CI_REGISTRY_PASSWORD")
    );
    assert_no_secret(&stdout, "stdout");
    assert_no_secret(&stderr, "stderr");
    assert_eq!(
        load_config(&docker_config)["auths"][&registry]["auth"],
        expected_auth("gitlab-ci-token", CANARY)
    );
}

#[test]
fn public_docker_hub_image_is_a_no_op() {
    let work = tempfile::tempdir().expect("temp dir");
    let docker_config = work.path().join("docker");
    for reference in ["alpine:3.20", "docker.io/library/alpine", "index.docker.io"] {
        let output = cli(work.path())
            .args(["registry", "login", reference])
            .env("DOCKER_CONFIG", &docker_config)
            .output()
            .expect("CLI runs");
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
        assert!(
            stdout.contains("Docker Hub serves public images without one"),
            "{stdout}"
        );
        assert!(stdout.contains("nothing was stored"), "{stdout}");
    }
    assert!(!docker_config.exists(), "a no-op login creates nothing");
}

#[test]
fn password_is_never_an_option() {
    let work = tempfile::tempdir().expect("temp dir");
    for option in ["--password", "-p"] {
        let output = cli(work.path())
            .args([
                "registry",
                "login",
                "localhost:5000",
                option,
                "CANARY-argv-password",
            ])
            .output()
            .expect("CLI runs");
        assert_eq!(output.status.code(), Some(2), "{option}");
        let (stdout, stderr) = text(&output);
        assert!(stderr.contains("unexpected argument"), "{stderr}");
        assert!(!stdout.contains("CANARY-argv-password"), "{stdout}");
    }
}

#[test]
fn core_api_blocking_login() {
    use qualys_ci_auth::registry::{
        self, LoginStatus, RegistryCredential, RegistryLogin, StoreKind, Verification,
    };
    use secrecy::SecretString;

    let work = tempfile::tempdir().expect("temp dir");
    let pki = Pki::generate(&work.path().join("pki"));
    let servers = TestServers::start(&pki, &[(USER, CANARY)]);
    let registry = servers.fake_registry(FakeMode::Basic);

    let mut request = RegistryLogin::new(format!("{registry}/team/app@sha256:0123"));
    request.credential =
        Some(RegistryCredential::new(USER, SecretString::from(CANARY.to_owned())).expect("valid"));
    request.credential_source = Some("Jenkins credential 'registry-robot'".into());
    request.settings.http.extra_ca_pem = Some(pki.ca_pem.clone());
    request.docker_config = Some(work.path().join("docker"));
    let report = registry::login_blocking(&request).expect("login succeeds");
    assert_eq!(report.status, LoginStatus::LoggedIn);
    assert_eq!(report.verification, Some(Verification::Basic));
    assert_eq!(report.stored_in, Some(StoreKind::ConfigFile));
    assert_eq!(report.repository.as_deref(), Some("team/app"));
    assert_eq!(
        report.credential_source.as_deref(),
        Some("Jenkins credential 'registry-robot'")
    );
    let debug = format!("{request:?} {report:?}");
    assert!(!debug.contains(CANARY), "{debug}");

    request.credential = Some(
        RegistryCredential::new(USER, SecretString::from("nope-nope".to_owned())).expect("valid"),
    );
    let error = registry::login_blocking(&request).unwrap_err();
    assert_eq!(error.code(), qualys_ci_auth::ErrorCode::RegistryRejected);
    assert_eq!(error.code().exit_code(), 20);
    assert!(error.to_string().contains(&registry), "{error}");
}
