//! The repository scan: a table of pipeline snippets that must and must not
//! be reported, a generated tree scanned by the binary, and the SARIF
//! output validated against the OASIS SARIF 2.1.0 schema.

use std::path::Path;
use std::process::{Command, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use qualys_ci_auth::scan::{self, FileKind, RuleId};

const BIN: &str = env!("CARGO_BIN_EXE_qualys-ci-auth");

/// Builds a JWT with a realistic header and payload and a fake signature.
fn jwt(subject: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(
        serde_json::json!({"sub": subject, "modulesAllowed": ["CS"], "iat": 1_700_000_000})
            .to_string(),
    );
    format!("{header}.{payload}.c2lnbmF0dXJlLWZha2U")
}

/// Secret values in the positive snippets; none may appear in any output.
const SECRETS: [&str; 9] = [
    "CANARYtok3nValue0123456789",
    "CANARYpassW0rd!",
    "CANARYr0b0tPass",
    "CANARYshellTok3n",
    "CANARYgroovyTok3n",
    "CANARYazureTok3n",
    "CANARYgitlabTok3n",
    "CANARYenvTok3n",
    "CANARYpwshTok3n",
];

/// (file path, content, expected rules in order)
fn cases() -> Vec<(&'static str, String, Vec<RuleId>)> {
    use RuleId::*;
    let token = jwt("canary-scanner");
    vec![
        // GitHub Actions
        (
            ".github/workflows/scan.yml",
            format!("env:\n  QUALYS_ACCESS_TOKEN: {token}\n"),
            vec![QualysSecretAssignment],
        ),
        (
            ".github/workflows/scan.yml",
            "env:\n  QUALYS_ACCESS_TOKEN: \"CANARYtok3nValue0123456789\"\n".into(),
            vec![QualysSecretAssignment],
        ),
        (
            ".github/workflows/scan.yml",
            "    steps:\n      - run: qscanner --access-token CANARYtok3nValue0123456789 image:tag\n".into(),
            vec![AccessTokenArgument],
        ),
        (
            ".github/workflows/scan.yml",
            "      - run: docker login -u bot -p CANARYpassW0rd! ghcr.io\n".into(),
            vec![DockerLoginPassword],
        ),
        (
            ".github/workflows/scan.yml",
            "      - run: docker login --password=CANARYpassW0rd! ghcr.io\n".into(),
            vec![DockerLoginPassword],
        ),
        (
            ".github/workflows/scan.yml",
            "env:\n  QUALYS_ACCESS_TOKEN: ${{ secrets.QUALYS_ACCESS_TOKEN }}\n".into(),
            vec![],
        ),
        (
            ".github/workflows/scan.yml",
            "      - run: qualys-ci-auth login --token-env QUALYS_ACCESS_TOKEN_PROD\n".into(),
            vec![],
        ),
        (
            ".github/workflows/scan.yml",
            "      - run: echo \"$REGISTRY_PASSWORD\" | docker login -u ci --password-stdin ghcr.io\n"
                .into(),
            vec![],
        ),
        (
            ".github/workflows/scan.yml",
            "      - run: qscanner --access-token \"${{ secrets.QUALYS_ACCESS_TOKEN }}\" image\n"
                .into(),
            vec![],
        ),
        // Azure Pipelines
        (
            "azure-pipelines.yml",
            "variables:\n  qualysToken: 'CANARYazureTok3n'\n".into(),
            vec![QualysSecretAssignment],
        ),
        (
            "azure-pipelines.yml",
            "variables:\n- name: QUALYS_ACCESS_TOKEN\n  value: CANARYazureTok3n\n".into(),
            vec![QualysSecretAssignment],
        ),
        (
            "azure-pipelines-release.yaml",
            "- script: qualys-ci-auth login --pod US3\n  env:\n    QUALYS_ACCESS_TOKEN: $(qualysToken)\n"
                .into(),
            vec![],
        ),
        (
            "azure-pipelines.yml",
            "variables:\n- name: QUALYS_ACCESS_TOKEN\n  value: $(qualysSecret)\n".into(),
            vec![],
        ),
        // GitLab CI
        (
            ".gitlab-ci.yml",
            "variables:\n  QUALYS_ACCESS_TOKEN:\n    value: \"CANARYgitlabTok3n\"\n    description: token\n"
                .into(),
            vec![QualysSecretAssignment],
        ),
        (
            ".gitlab-ci.yml",
            "variables:\n  QUALYS_PASSWORD: \"CANARYpassW0rd!\"\n".into(),
            vec![QualysSecretAssignment],
        ),
        (
            ".gitlab-ci.yml",
            "script:\n  - docker login -u \"$CI_REGISTRY_USER\" -p \"$CI_REGISTRY_PASSWORD\" $CI_REGISTRY\n"
                .into(),
            vec![],
        ),
        (
            ".gitlab-ci.yml",
            "variables:\n  QUALYS_ACCESS_TOKEN: $QUALYS_TOKEN_MASKED\n  QUALYS_TOKEN_FILE: /run/secrets/qualys\n"
                .into(),
            vec![],
        ),
        // Jenkins
        (
            "Jenkinsfile",
            "environment {\n    QUALYS_ACCESS_TOKEN = 'CANARYgroovyTok3n'\n}\n".into(),
            vec![QualysSecretAssignment],
        ),
        (
            "Jenkinsfile",
            "withEnv([\"QUALYS_ACCESS_TOKEN=CANARYgroovyTok3n\"]) {\n  sh 'qualys-ci-auth login'\n}\n"
                .into(),
            vec![QualysSecretAssignment],
        ),
        (
            "ci/Jenkinsfile.release",
            "sh 'docker login -u ci -p CANARYpassW0rd! registry.example.com'\n".into(),
            vec![DockerLoginPassword],
        ),
        (
            "Jenkinsfile",
            "git url: 'https://ci-bot:CANARYr0b0tPass@git.example.com/acme/app.git'\n".into(),
            vec![UrlPassword],
        ),
        (
            "Jenkinsfile",
            "environment {\n    QUALYS_ACCESS_TOKEN = credentials('qualys-api-token')\n}\n".into(),
            vec![],
        ),
        (
            "Jenkinsfile",
            "def qualysTokenCredentialsId = 'qualys-api-token'\nQUALYS_ACCESS_TOKEN = params.QUALYS_TOKEN\n"
                .into(),
            vec![],
        ),
        (
            "Jenkinsfile",
            "sh \"docker login -u ci -p ${env.REGISTRY_PASSWORD} registry.example.com\"\n".into(),
            vec![],
        ),
        // Shell, PowerShell, batch
        (
            "scripts/scan.sh",
            "#!/bin/sh\nexport QUALYS_ACCESS_TOKEN=CANARYshellTok3n\n".into(),
            vec![QualysSecretAssignment],
        ),
        (
            "scripts/login.sh",
            "docker login registry.example.com \\\n  --username ci \\\n  --password 'CANARYpassW0rd!'\n"
                .into(),
            vec![DockerLoginPassword],
        ),
        (
            "scripts/scan.sh",
            format!("qscanner --access-token={token} image\n"),
            vec![AccessTokenArgument],
        ),
        (
            "scripts/scan.sh",
            "export QUALYS_ACCESS_TOKEN=$VAULT_TOKEN\nexport QUALYS_ACCESS_TOKEN=\"${QUALYS_TOKEN_PROD}\"\n"
                .into(),
            vec![],
        ),
        (
            "scripts/scan.sh",
            "QUALYS_ACCESS_TOKEN=\"$(vault kv get -field=token secret/qualys)\"\n".into(),
            vec![],
        ),
        (
            "scripts/scan.ps1",
            "$env:QUALYS_ACCESS_TOKEN = \"CANARYpwshTok3n\"\n".into(),
            vec![QualysSecretAssignment],
        ),
        (
            "scripts/scan.ps1",
            "$env:QUALYS_ACCESS_TOKEN = $env:QUALYS_SECRET\n".into(),
            vec![],
        ),
        (
            "scripts/scan.cmd",
            "set QUALYS_ACCESS_TOKEN=CANARYshellTok3n\n".into(),
            vec![QualysSecretAssignment],
        ),
        (
            "scripts/scan.cmd",
            "set QUALYS_ACCESS_TOKEN=%QUALYS_SECRET%\n".into(),
            vec![],
        ),
        // .env
        (
            ".env",
            "QUALYS_ACCESS_TOKEN=CANARYenvTok3n\n".into(),
            vec![QualysSecretAssignment],
        ),
        (
            ".env.production",
            "REGISTRY_URL=https://robot:CANARYr0b0tPass@registry.example.com/v2/\n".into(),
            vec![UrlPassword],
        ),
        (
            ".env",
            "QUALYS_ACCESS_TOKEN=<your-token>\nQUALYS_PASSWORD=\nQUALYS_POD=US1\n".into(),
            vec![],
        ),
        (
            ".env",
            "REGISTRY_URL=https://${REGISTRY_USER}:${REGISTRY_PASSWORD}@registry.example.com\nGATEWAY=https://gateway.qg1.apps.qualys.com:443/auth\n"
                .into(),
            vec![],
        ),
        (
            ".env",
            "QUALYS_ACCESS_TOKEN=CANARYenvTok3n # qualys-ci-auth:ignore test fixture\n".into(),
            vec![],
        ),
        // JWTs anywhere in a pipeline file, and look-alikes
        (
            "azure-pipelines.yml",
            format!("# debugging token, remove later: {token}\n"),
            vec![JwtLiteral],
        ),
        (
            "azure-pipelines.yml",
            "# not a JWT: eyJub3QtanNvbi1hdC1hbGw.eyJub3QtanNvbi1laXRoZXI.c2ln\n".into(),
            vec![],
        ),
        (
            ".github/workflows/scan.yml",
            "      - run: podman login -u bot -p CANARYpassW0rd! quay.io\n".into(),
            vec![DockerLoginPassword],
        ),
    ]
}

#[test]
fn snippet_table() {
    let cases = cases();
    assert!(cases.len() >= 30, "{} cases", cases.len());
    let positives = cases.iter().filter(|c| !c.2.is_empty()).count();
    assert!(positives >= 15, "{positives} positive cases");
    assert!(
        cases.len() - positives >= 15,
        "{} negative cases",
        cases.len() - positives
    );

    for (path, content, expected) in &cases {
        let kind = scan::file_kind(Path::new(path)).expect("every case is a pipeline file");
        let findings = scan::scan_content(path, kind, content.as_bytes());
        let rules: Vec<RuleId> = findings.iter().map(|f| f.rule).collect();
        assert_eq!(&rules, expected, "{path}: {content}");
        for finding in &findings {
            for secret in SECRETS {
                assert!(
                    !finding.excerpt.contains(secret),
                    "{path}: {}",
                    finding.excerpt
                );
                assert!(
                    !finding.message.contains(secret),
                    "{path}: {}",
                    finding.message
                );
            }
            assert!(
                !finding.excerpt.contains("eyJ"),
                "{path}: {}",
                finding.excerpt
            );
            assert!(
                finding.excerpt.contains(scan::MASK),
                "{path}: {}",
                finding.excerpt
            );
            assert!(finding.line >= 1, "{path}: line {}", finding.line);
            assert!(finding.column >= 1, "{path}: column {}", finding.column);
        }
    }
}

#[test]
fn finding_positions_and_fingerprints() {
    let content = "env:\n  QUALYS_ACCESS_TOKEN: \"CANARYtok3nValue0123456789\"\n";
    let findings = scan::scan_content("ci.yml", FileKind::Yaml, content.as_bytes());
    assert_eq!(findings.len(), 1);
    let finding = &findings[0];
    assert_eq!(finding.line, 2);
    assert_eq!(finding.column, 25);
    assert_eq!(finding.end_column, 25 + 26);
    assert_eq!(finding.excerpt, "QUALYS_ACCESS_TOKEN: \"****\"");
    assert_eq!(
        finding.token_fingerprint.as_deref(),
        Some(qualys_ci_auth::token::fingerprint("CANARYtok3nValue0123456789").as_str())
    );

    let password = scan::scan_content(
        "login.sh",
        FileKind::Script,
        b"docker login -p CANARYpassW0rd! r",
    );
    assert_eq!(password[0].token_fingerprint, None);
}

/// Writes `files` (relative path, content) under `root`.
fn write_tree(root: &Path, files: &[(&str, &[u8])]) {
    for (path, content) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
    }
}

fn small_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let token = jwt("tree-canary");
    write_tree(
        dir.path(),
        &[
            (".gitignore", b"ignored/\n.env.local\n"),
            (
                ".github/workflows/ci.yml",
                b"env:\n  QUALYS_ACCESS_TOKEN: CANARYtok3nValue0123456789\n",
            ),
            (
                ".github/workflows/ok.yml",
                b"env:\n  QUALYS_ACCESS_TOKEN: ${{ secrets.QUALYS_ACCESS_TOKEN }}\n",
            ),
            (
                "deploy/Jenkinsfile",
                b"sh 'docker login -u ci -p CANARYpassW0rd! r.example.com'\n",
            ),
            (
                "my dir/run.sh",
                b"export QUALYS_PASSWORD=CANARYshellTok3n\n",
            ),
            (
                "tools/login",
                b"#!/usr/bin/env bash\nexport QUALYS_ACCESS_TOKEN=CANARYenvTok3n\n",
            ),
            // Ignored by .gitignore, inside .git, or not a pipeline file: not read by default.
            (
                "ignored/azure-pipelines.yml",
                b"qualysToken: 'CANARYazureTok3n'\n",
            ),
            (".env.local", b"QUALYS_ACCESS_TOKEN=CANARYgitlabTok3n\n"),
            (
                ".git/config",
                b"url = https://u:CANARYr0b0tPass@git.example.com/x.git\n",
            ),
            ("docs/notes.md", token.as_bytes()),
            (
                "img/logo.bin",
                b"\x00\x01QUALYS_ACCESS_TOKEN=CANARYpwshTok3n\n",
            ),
        ],
    );
    dir
}

fn run_scan(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(dir)
        .stdin(Stdio::null())
        .args(["scan"])
        .args(args)
        .output()
        .expect("runs")
}

fn assert_no_secrets(text: &str, what: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} contains {secret}: {text}");
    }
    assert!(!text.contains("eyJ"), "{what} contains a JWT: {text}");
}

#[test]
fn tree_scan_honors_gitignore() {
    let dir = small_tree();
    let output = run_scan(dir.path(), &["--format", "json"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert_no_secrets(&stdout, "stdout");
    assert_no_secrets(&stderr, "stderr");

    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON report");
    assert_eq!(report["schema_version"], 1);
    let found: Vec<(String, String, u64)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().expect("path").to_owned(),
                f["rule"].as_str().expect("rule").to_owned(),
                f["line"].as_u64().expect("line"),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            (
                ".github/workflows/ci.yml".into(),
                "qualys-secret-assignment".into(),
                2
            ),
            (
                "deploy/Jenkinsfile".into(),
                "docker-login-password".into(),
                1
            ),
            ("my dir/run.sh".into(), "qualys-secret-assignment".into(), 1),
            ("tools/login".into(), "qualys-secret-assignment".into(), 2),
        ]
    );
    // Workflows, the Jenkinsfile, the script, the shebang script and .gitignore's
    // siblings that are pipeline files: ci.yml, ok.yml, Jenkinsfile, run.sh, login.
    assert_eq!(report["files_scanned"], 5);

    // Every text file, with the same ignore rules; the binary file is skipped.
    let all = run_scan(dir.path(), &["--all-files", "--format", "json"]);
    let all_stdout = String::from_utf8_lossy(&all.stdout);
    assert_no_secrets(&all_stdout, "stdout");
    let all_report: serde_json::Value = serde_json::from_str(&all_stdout).expect("JSON report");
    let paths: Vec<&str> = all_report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["path"].as_str().expect("path"))
        .collect();
    assert!(paths.contains(&"docs/notes.md"), "{paths:?}");
    assert!(
        !paths
            .iter()
            .any(|p| p.starts_with("ignored/") || p.starts_with(".git/"))
    );
    assert!(!paths.contains(&".env.local"), "{paths:?}");
    assert_eq!(all_report["binary_files_skipped"], 1);
}

#[test]
fn text_output_and_exit_codes() {
    let dir = small_tree();
    let output = run_scan(dir.path(), &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout.contains(".github/workflows/ci.yml:2:24: qualys-secret-assignment:"),
        "{stdout}"
    );
    assert!(stdout.contains("    QUALYS_ACCESS_TOKEN: ****"), "{stdout}");
    assert!(
        stdout.contains("4 committed secret(s) in 4 file(s)"),
        "{stdout}"
    );
    assert_no_secrets(&stdout, "stdout");

    let clean = tempfile::tempdir().expect("temp dir");
    write_tree(
        clean.path(),
        &[(".gitlab-ci.yml", b"variables:\n  QUALYS_POD: US1\n")],
    );
    let output = run_scan(clean.path(), &[]);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("No committed secrets found"));

    let missing = run_scan(clean.path(), &["no-such-dir"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no-such-dir"));
}

fn sarif_validator() -> jsonschema::Validator {
    let schema_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).expect("schema file"))
            .expect("schema is JSON");
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

#[test]
fn sarif_output_is_valid() {
    let dir = small_tree();
    let sarif_path = dir.path().join("results.sarif");
    let output = run_scan(dir.path(), &["--sarif", "results.sarif"]);
    assert_eq!(output.status.code(), Some(1));
    let text = std::fs::read_to_string(&sarif_path).expect("SARIF written");
    assert_no_secrets(&text, "SARIF");
    let sarif: serde_json::Value = serde_json::from_str(&text).expect("SARIF is JSON");

    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "schema errors: {errors:#?}");

    // What GitHub code scanning reads.
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "qualys-ci-auth");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), RuleId::ALL.len());
    for rule in rules {
        assert!(rule["shortDescription"]["text"].is_string());
        assert_eq!(rule["properties"]["security-severity"], "9.0");
    }
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 4);
    for result in results {
        let index = result["ruleIndex"].as_u64().expect("rule index") as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert_eq!(result["level"], "error");
        assert!(result["message"]["text"].is_string());
        let location = &result["locations"][0]["physicalLocation"];
        assert!(location["artifactLocation"]["uri"].is_string());
        assert!(location["region"]["startLine"].as_u64().expect("line") >= 1);
    }
    let uris: Vec<&str> = results
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .expect("uri")
        })
        .collect();
    assert!(uris.contains(&"my%20dir/run.sh"), "{uris:?}");

    // SARIF on standard output replaces the text report.
    let to_stdout = run_scan(dir.path(), &["--sarif", "-"]);
    let stdout: serde_json::Value =
        serde_json::from_slice(&to_stdout.stdout).expect("standard output is SARIF");
    assert!(validator.is_valid(&stdout));
}

#[test]
fn sarif_without_findings_is_valid() {
    let clean = tempfile::tempdir().expect("temp dir");
    let output = run_scan(clean.path(), &["--sarif", "-"]);
    assert_eq!(output.status.code(), Some(0));
    let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).expect("SARIF");
    assert!(sarif_validator().is_valid(&sarif));
    assert_eq!(sarif["runs"][0]["results"], serde_json::json!([]));
}
