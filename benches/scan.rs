//! Throughput of the repository scan on a generated 100 MB tree of
//! pipeline files (GitHub workflows, Azure Pipelines, GitLab CI,
//! Jenkinsfiles, shell scripts, `.env` files), with one literal secret in
//! every 500 lines and references to secret stores everywhere else.
//!
//! Run with `cargo bench --bench scan`; the result is recorded in
//! BENCHMARKS.md.

use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use qualys_ci_auth::scan::{ScanOptions, scan_paths};

/// Size of the generated tree, in bytes.
const TREE_BYTES: usize = 100 * 1024 * 1024;

/// Size of each generated file, in bytes.
const FILE_BYTES: usize = 64 * 1024;

/// One literal secret is written every this many lines.
const SECRET_EVERY: usize = 500;

/// Lines of each kind of file; `{n}` is replaced by a running number.
fn templates(kind: usize) -> (&'static str, &'static [&'static str], &'static str) {
    match kind {
        0 => (
            ".github/workflows/scan-{n}.yml",
            &[
                "      - name: Authenticate to Qualys {n}",
                "        run: qualys-ci-auth login --pod US1 --environment prod",
                "        env:",
                "          QUALYS_ACCESS_TOKEN: ${{ secrets.QUALYS_ACCESS_TOKEN }}",
                "      - run: echo \"$REGISTRY_PASSWORD\" | docker login -u bot --password-stdin ghcr.io",
                "      - uses: actions/checkout@v4",
            ],
            "          QUALYS_ACCESS_TOKEN: \"AbCdEf0123456789{n}\"",
        ),
        1 => (
            "pipelines/team-{n}/azure-pipelines.yml",
            &[
                "- script: qualys-ci-auth login --pod US3",
                "  displayName: Authenticate {n}",
                "  env:",
                "    QUALYS_ACCESS_TOKEN: $(qualysToken)",
                "- task: Docker@2",
                "  inputs: { command: build, repository: acme/app-{n} }",
            ],
            "  qualysToken: 'AbCdEf0123456789{n}'",
        ),
        2 => (
            "services/svc-{n}/.gitlab-ci.yml",
            &[
                "scan-{n}:",
                "  stage: test",
                "  script:",
                "    - docker login -u \"$CI_REGISTRY_USER\" -p \"$CI_REGISTRY_PASSWORD\" $CI_REGISTRY",
                "    - qualys-ci-auth login --pod EU1",
                "  variables: { QUALYS_POD: EU1 }",
            ],
            "    - docker login -u ci -p S3cretPassw0rd{n} registry.example.com",
        ),
        3 => (
            "jobs/job-{n}/Jenkinsfile",
            &[
                "pipeline {",
                "  environment { QUALYS_ACCESS_TOKEN = credentials('qualys-api-token') }",
                "  stages { stage('scan {n}') { steps { sh 'qualys-ci-auth login --pod US2' } } }",
                "  post { always { archiveArtifacts artifacts: 'audit.jsonl' } }",
                "}",
                "// build {n}",
            ],
            "  environment { QUALYS_ACCESS_TOKEN = 'AbCdEf0123456789{n}' }",
        ),
        4 => (
            "scripts/deploy-{n}.sh",
            &[
                "#!/bin/sh",
                "set -eu",
                "export QUALYS_ACCESS_TOKEN=\"$(vault kv get -field=token secret/qualys)\"",
                "qscanner --access-token \"$QUALYS_ACCESS_TOKEN\" image acme/app:{n}",
                "git clone https://${GIT_USER}:${GIT_TOKEN}@git.example.com/acme/app.git",
                "echo done {n}",
            ],
            "git clone https://ci:S3cretPassw0rd{n}@git.example.com/acme/app.git",
        ),
        _ => (
            "envs/env-{n}/.env",
            &[
                "QUALYS_POD=US1",
                "QUALYS_ACCESS_TOKEN=${QUALYS_TOKEN_PROD}",
                "APP_NAME=app-{n}",
                "LOG_LEVEL=info",
                "REGISTRY=registry.example.com",
                "QUALYS_TOKEN_FILE=/run/secrets/qualys",
            ],
            "QUALYS_ACCESS_TOKEN=AbCdEf0123456789{n}",
        ),
    }
}

/// Writes the tree and returns (bytes written, secrets written).
fn generate(root: &Path) -> (u64, usize) {
    let (mut total, mut secrets, mut file_number, mut line_number) =
        (0usize, 0usize, 0usize, 0usize);
    while total < TREE_BYTES {
        let (path, lines, secret) = templates(file_number % 6);
        let mut content = String::with_capacity(FILE_BYTES + 256);
        while content.len() < FILE_BYTES {
            line_number += 1;
            let line = if line_number % SECRET_EVERY == 0 {
                secrets += 1;
                secret
            } else {
                lines[line_number % lines.len()]
            };
            content.push_str(&line.replace("{n}", &line_number.to_string()));
            content.push('\n');
        }
        let path = root.join(path.replace("{n}", &file_number.to_string()));
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(&path, &content).expect("write");
        total += content.len();
        file_number += 1;
    }
    (total as u64, secrets)
}

fn scan_tree(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (bytes, secrets) = generate(dir.path());
    let paths = [dir.path().to_path_buf()];
    let options = ScanOptions::default();

    // The scan must find every secret, or the benchmark measures nothing useful.
    let report = scan_paths(&paths, &options).expect("scans");
    assert_eq!(report.findings.len(), secrets);
    assert_eq!(report.bytes_scanned, bytes);

    let mut group = c.benchmark_group("scan");
    group.throughput(Throughput::Bytes(bytes));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(3));
    group.measurement_time(Duration::from_secs(30));
    group.bench_function("100MB-pipeline-tree", |b| {
        b.iter(|| scan_paths(&paths, &options).expect("scans"))
    });
    group.finish();
}

criterion_group!(benches, scan_tree);
criterion_main!(benches);
