//! The repository scan: finds tokens and passwords committed in pipeline
//! files.
//!
//! The walk honors `.gitignore`, `.ignore` and the global Git excludes (the
//! `ignore` crate). It enters hidden directories such as `.github` but never
//! `.git`, and by default reads only pipeline files: Jenkinsfiles and Groovy,
//! `azure-pipelines*.yml`, `.gitlab-ci.yml`, `.github/workflows/*`,
//! `action.yml`, shell, PowerShell and batch scripts (by extension or a
//! shell `#!` line) and `.env` files. [`ScanOptions::all_files`] reads every
//! text file. Findings carry the file, line, column and a masked excerpt;
//! the secret itself never leaves this module. A line that contains
//! `qualys-ci-auth:ignore` is not reported.

mod rules;
pub mod sarif;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

pub use rules::{
    FileKind, MIN_SECRET_LEN, RuleId, is_placeholder, is_qualys_secret_name, is_reference,
};

use crate::error::{Error, Result};

/// Marker that suppresses the findings of its line.
pub const IGNORE_MARKER: &str = "qualys-ci-auth:ignore";

/// Largest file read by default, in bytes; larger files are listed as skipped.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Maximum length of the excerpt shown for a finding, in characters.
const MAX_EXCERPT_CHARS: usize = 160;

/// Text that replaces a secret in an excerpt.
pub const MASK: &str = "****";

/// Bytes examined to tell a binary file from text.
const BINARY_PROBE_BYTES: usize = 8 * 1024;

/// Settings of a scan.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// Read every text file, not only pipeline files.
    pub all_files: bool,
    /// Files larger than this are skipped and listed.
    pub max_file_bytes: u64,
    /// Walker threads; 0 lets the `ignore` crate choose.
    pub threads: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            all_files: false,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            threads: 0,
        }
    }
}

/// One committed secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: RuleId,
    /// The path as reached from the scanned path, `/`-separated.
    pub path: String,
    /// 1-based line of the secret's first character.
    pub line: u64,
    /// 1-based column of the secret's first character, in UTF-16 code units
    /// (as SARIF counts them by default).
    pub column: u64,
    /// 1-based column just past the secret, on the same line when the
    /// secret spans no line break.
    pub end_column: u64,
    /// The line with every secret on it replaced by `****`, shortened
    /// around the secret when long.
    pub excerpt: String,
    /// Description of the finding and of the fix.
    pub message: String,
    /// First 16 hex digits of the SHA-256 of a token (for `jwt-literal`,
    /// `qualys-secret-assignment` and `access-token-argument`), to compare
    /// with audit records; `None` for passwords.
    pub token_fingerprint: Option<String>,
}

/// A file that was not scanned, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SkippedFile {
    pub path: String,
    pub reason: String,
}

/// The result of a scan; the documented JSON of `scan --format json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScanReport {
    /// Version of this schema; fields are only ever added.
    pub schema_version: u32,
    pub findings: Vec<Finding>,
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    /// Binary files met with `all_files`, skipped without a listing.
    pub binary_files_skipped: u64,
    pub skipped: Vec<SkippedFile>,
}

/// Returns the kind of a pipeline file from its path, or `None` when the
/// path is no pipeline file (extensionless files are checked for a shell
/// `#!` line separately).
pub fn file_kind(path: &Path) -> Option<FileKind> {
    let name = path.file_name()?.to_str()?;
    let lower = name.to_ascii_lowercase();
    let extension = Path::new(&lower)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("");
    let parent_is = |dir: &str| {
        path.parent()
            .and_then(|p| p.file_name())
            .is_some_and(|p| p == dir)
    };
    let is_yaml = extension == "yml" || extension == "yaml";

    if lower.starts_with("jenkinsfile") || extension == "jenkinsfile" || extension == "groovy" {
        return Some(FileKind::Groovy);
    }
    if is_yaml
        && (lower.starts_with("azure-pipelines")
            || lower == ".gitlab-ci.yml"
            || lower.ends_with(".gitlab-ci.yml")
            || lower == "action.yml"
            || lower == "action.yaml"
            || (parent_is("workflows")
                && path
                    .parent()
                    .and_then(Path::parent)
                    .and_then(|p| p.file_name())
                    .is_some_and(|p| p == ".github")))
    {
        return Some(FileKind::Yaml);
    }
    if matches!(
        extension,
        "sh" | "bash" | "zsh" | "ksh" | "ps1" | "bat" | "cmd"
    ) {
        return Some(FileKind::Script);
    }
    if lower == ".env" || lower.starts_with(".env.") || extension == "env" {
        return Some(FileKind::Env);
    }
    None
}

/// Returns whether `head` starts with a `#!` line that runs a shell.
fn has_shell_shebang(head: &[u8]) -> bool {
    let Some(rest) = head.strip_prefix(b"#!") else {
        return false;
    };
    let line = rest.split(|b| *b == b'\n').next().unwrap_or(rest);
    let line = String::from_utf8_lossy(line);
    line.split(['/', ' ', '\t']).any(|word| {
        matches!(
            word.trim(),
            "sh" | "bash" | "zsh" | "ksh" | "dash" | "ash" | "pwsh"
        )
    })
}

/// Scans one file's content. `path` is only used in the findings.
pub fn scan_content(path: &str, kind: FileKind, content: &[u8]) -> Vec<Finding> {
    let candidates = rules::find_candidates(kind, content);
    if candidates.is_empty() {
        return Vec::new();
    }

    // Line starts of the lines that hold candidates, found in one pass.
    let mut findings = Vec::with_capacity(candidates.len());
    let mut line = 1u64;
    let mut line_start = 0usize;
    let mut position = 0usize;
    let mut located = Vec::with_capacity(candidates.len());
    for candidate in &candidates {
        for newline in newline_offsets(&content[position..candidate.start]) {
            line += 1;
            line_start = position + newline + 1;
        }
        position = candidate.start;
        located.push((line, line_start));
    }

    for (candidate, (line, line_start)) in candidates.iter().zip(located) {
        let line_end = content[line_start..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(content.len(), |i| line_start + i);
        let line_bytes = &content[line_start..line_end];
        if contains(line_bytes, IGNORE_MARKER.as_bytes()) {
            continue;
        }
        // Every candidate on this line is masked in its excerpt.
        let spans: Vec<(usize, usize)> = candidates
            .iter()
            .filter(|c| c.start < line_end && c.end > line_start)
            .map(|c| {
                (
                    c.start.max(line_start) - line_start,
                    c.end.min(line_end) - line_start,
                )
            })
            .collect();
        let (column, end_column) = columns(
            line_bytes,
            candidate.start - line_start,
            candidate.end.min(line_end) - line_start,
        );
        let secret = &content[candidate.start..candidate.end];
        let token_fingerprint = match candidate.rule {
            RuleId::JwtLiteral | RuleId::QualysSecretAssignment | RuleId::AccessTokenArgument => {
                Some(crate::token::fingerprint(&String::from_utf8_lossy(secret)))
            }
            RuleId::DockerLoginPassword | RuleId::UrlPassword => None,
        };
        findings.push(Finding {
            rule: candidate.rule,
            path: path.to_owned(),
            line,
            column,
            end_column,
            excerpt: masked_excerpt(line_bytes, &spans, candidate.start - line_start),
            message: message(candidate),
            token_fingerprint,
        });
    }
    findings
}

fn message(candidate: &rules::Candidate) -> String {
    match (candidate.rule, &candidate.name) {
        (RuleId::QualysSecretAssignment, Some(name)) => format!(
            "{name} is assigned a literal secret; map it from the CI secret store and revoke the committed value"
        ),
        (RuleId::DockerLoginPassword, _) => "a registry login command carries a literal password; use --password-stdin with a secret variable and change the password".into(),
        (RuleId::AccessTokenArgument, _) => "--access-token is given a literal token; read it from a secret variable and revoke the committed token".into(),
        (RuleId::UrlPassword, _) => "a URL carries a literal password; remove it from the URL and change the password".into(),
        (RuleId::JwtLiteral, _) => "a JSON Web Token is committed; load it from the CI secret store and revoke it if it is still valid".into(),
        (RuleId::QualysSecretAssignment, None) => "a Qualys secret is assigned a literal value; map it from the CI secret store and revoke the committed value".into(),
    }
}

/// Returns the 1-based UTF-16 columns of a byte span within a line.
fn columns(line: &[u8], start: usize, end: usize) -> (u64, u64) {
    let units = |bytes: &[u8]| -> u64 {
        String::from_utf8_lossy(bytes)
            .chars()
            .map(|c| c.len_utf16() as u64)
            .sum()
    };
    let column = units(&line[..start]) + 1;
    (column, column + units(&line[start..end]))
}

/// Replaces every span with [`MASK`] and shortens the line around `focus`.
fn masked_excerpt(line: &[u8], spans: &[(usize, usize)], focus: usize) -> String {
    let mut masked = String::new();
    let mut position = 0;
    let mut focus_char = 0;
    for &(start, end) in spans {
        if start < position {
            continue;
        }
        masked.push_str(&String::from_utf8_lossy(&line[position..start]));
        if start == focus {
            focus_char = masked.chars().count();
        }
        masked.push_str(MASK);
        position = end;
    }
    masked.push_str(&String::from_utf8_lossy(&line[position..]));

    let text = masked.trim_end_matches('\r');
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= MAX_EXCERPT_CHARS {
        return text.trim().to_owned();
    }
    let begin = focus_char.saturating_sub(MAX_EXCERPT_CHARS / 2);
    let end = (begin + MAX_EXCERPT_CHARS).min(chars.len());
    let begin = end.saturating_sub(MAX_EXCERPT_CHARS);
    let mut excerpt = String::new();
    if begin > 0 {
        excerpt.push('…');
    }
    excerpt.extend(&chars[begin..end]);
    if end < chars.len() {
        excerpt.push('…');
    }
    excerpt.trim().to_owned()
}

fn newline_offsets(haystack: &[u8]) -> impl Iterator<Item = usize> + '_ {
    haystack
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Formats a path for reports: `/`-separated, without a leading `./`.
fn display_path(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut text = text.as_str();
    while let Some(rest) = text.strip_prefix("./") {
        text = rest;
    }
    text.to_owned()
}

/// Accumulates results from the walker threads.
#[derive(Default)]
struct Collector {
    findings: Mutex<Vec<Finding>>,
    skipped: Mutex<Vec<SkippedFile>>,
    files: AtomicU64,
    bytes: AtomicU64,
    binary: AtomicU64,
}

impl Collector {
    fn skip(&self, path: &Path, reason: String) {
        if let Ok(mut skipped) = self.skipped.lock() {
            skipped.push(SkippedFile {
                path: display_path(path),
                reason,
            });
        }
    }

    fn visit(&self, path: &Path, explicit: bool, options: &ScanOptions) {
        let kind = file_kind(path);
        let has_extension = path.extension().is_some();
        // A named file is always read; otherwise only pipeline files, files
        // that may start with a shell `#!` line, or everything with all_files.
        if kind.is_none() && !explicit && !options.all_files && has_extension {
            return;
        }

        let mut file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(e) => return self.skip(path, format!("cannot be opened: {e}")),
        };
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        if size > options.max_file_bytes {
            if kind.is_some() || explicit {
                self.skip(
                    path,
                    format!(
                        "larger than {} bytes ({size} bytes)",
                        options.max_file_bytes
                    ),
                );
            }
            return;
        }

        let mut content = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        if let Err(e) = (&mut file)
            .take(options.max_file_bytes)
            .read_to_end(&mut content)
        {
            return self.skip(path, format!("cannot be read: {e}"));
        }

        let probe = &content[..content.len().min(BINARY_PROBE_BYTES)];
        let kind = match kind {
            Some(kind) => kind,
            None if has_shell_shebang(probe) => FileKind::Script,
            None if explicit || options.all_files => FileKind::Other,
            None => return,
        };
        if probe.contains(&0) {
            self.binary.fetch_add(1, Ordering::Relaxed);
            return;
        }

        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes
            .fetch_add(content.len() as u64, Ordering::Relaxed);
        let found = scan_content(&display_path(path), kind, &content);
        if !found.is_empty()
            && let Ok(mut findings) = self.findings.lock()
        {
            findings.extend(found);
        }
    }
}

/// Scans files and directory trees. A path that does not exist is an
/// error; unreadable files inside a tree are listed in `skipped`.
pub fn scan_paths(paths: &[PathBuf], options: &ScanOptions) -> Result<ScanReport> {
    let Some((first, rest)) = paths.split_first() else {
        return Err(Error::invalid("no path to scan; give a file or directory"));
    };
    for path in paths {
        if !path.exists() {
            return Err(Error::invalid(format!(
                "the path '{}' to scan does not exist",
                path.display()
            )));
        }
    }

    let mut builder = ignore::WalkBuilder::new(first);
    for path in rest {
        builder.add(path);
    }
    builder
        .hidden(false)
        .require_git(false)
        .follow_links(false)
        .threads(options.threads)
        .filter_entry(|entry| entry.file_name() != ".git");

    let collector = Collector::default();
    builder.build_parallel().run(|| {
        let collector = &collector;
        Box::new(move |entry| {
            match entry {
                Ok(entry) => {
                    if entry.file_type().is_some_and(|t| t.is_file()) {
                        collector.visit(entry.path(), entry.depth() == 0, options);
                    }
                }
                Err(error) => {
                    let path = match &error {
                        ignore::Error::WithPath { path, .. } => path.clone(),
                        _ => PathBuf::new(),
                    };
                    collector.skip(&path, error.to_string());
                }
            }
            ignore::WalkState::Continue
        })
    });

    let mut findings = collector
        .findings
        .into_inner()
        .map_err(|_| Error::internal("a scan thread panicked while holding the findings"))?;
    findings.sort_by(|a, b| {
        (&a.path, a.line, a.column, a.rule).cmp(&(&b.path, b.line, b.column, b.rule))
    });
    let mut skipped = collector
        .skipped
        .into_inner()
        .map_err(|_| Error::internal("a scan thread panicked while holding the skipped files"))?;
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(ScanReport {
        schema_version: 1,
        findings,
        files_scanned: collector.files.into_inner(),
        bytes_scanned: collector.bytes.into_inner(),
        binary_files_skipped: collector.binary.into_inner(),
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_path() {
        for (path, kind) in [
            ("Jenkinsfile", Some(FileKind::Groovy)),
            ("ci/Jenkinsfile.release", Some(FileKind::Groovy)),
            ("vars/deploy.groovy", Some(FileKind::Groovy)),
            ("azure-pipelines.yml", Some(FileKind::Yaml)),
            ("build/azure-pipelines-release.yaml", Some(FileKind::Yaml)),
            (".gitlab-ci.yml", Some(FileKind::Yaml)),
            (".github/workflows/scan.yml", Some(FileKind::Yaml)),
            ("sub/.github/workflows/scan.yaml", Some(FileKind::Yaml)),
            (".github/actions/login/action.yml", Some(FileKind::Yaml)),
            ("scripts/deploy.sh", Some(FileKind::Script)),
            ("scripts/deploy.ps1", Some(FileKind::Script)),
            (".env", Some(FileKind::Env)),
            (".env.production", Some(FileKind::Env)),
            ("config/prod.env", Some(FileKind::Env)),
            ("workflows/scan.yml", None),
            ("docker-compose.yml", None),
            ("src/main.rs", None),
        ] {
            assert_eq!(file_kind(Path::new(path)), kind, "{path}");
        }
    }

    #[test]
    fn shebangs() {
        assert!(has_shell_shebang(b"#!/bin/sh\necho"));
        assert!(has_shell_shebang(b"#!/usr/bin/env bash\n"));
        assert!(!has_shell_shebang(b"#!/usr/bin/env python3\n"));
        assert!(!has_shell_shebang(b"echo hi"));
    }

    #[test]
    fn excerpt_masks_every_secret_on_line() {
        let line = b"docker login -u me -p hunter2secret https://u:pw1234@reg.example.com";
        let findings = scan_content("x.sh", FileKind::Script, line);
        assert_eq!(findings.len(), 2, "{findings:?}");
        for finding in &findings {
            assert!(
                !finding.excerpt.contains("hunter2secret"),
                "{}",
                finding.excerpt
            );
            assert!(!finding.excerpt.contains("pw1234"), "{}", finding.excerpt);
            assert_eq!(finding.line, 1);
        }
        assert_eq!(findings[0].column, 23);
        assert_eq!(findings[0].end_column, 36);
    }

    #[test]
    fn long_lines_shortened_around_secret() {
        let mut line = "x".repeat(500);
        line.push_str(" QUALYS_ACCESS_TOKEN=abcdefghijklmnop ");
        line.push_str(&"y".repeat(500));
        let findings = scan_content(".env", FileKind::Env, line.as_bytes());
        assert_eq!(findings.len(), 1);
        let excerpt = &findings[0].excerpt;
        assert!(excerpt.contains("QUALYS_ACCESS_TOKEN=****"), "{excerpt}");
        assert!(
            excerpt.chars().count() <= MAX_EXCERPT_CHARS + 2,
            "{excerpt}"
        );
        assert!(
            excerpt.starts_with('…') && excerpt.ends_with('…'),
            "{excerpt}"
        );
    }

    #[test]
    fn line_numbers_and_ignore_marker() {
        let text = b"a: 1\nQUALYS_PASSWORD=abcdefgh1\n\nQUALYS_PASSWORD=abcdefgh2 # qualys-ci-auth:ignore\nQUALYS_PASSWORD=abcdefgh3\n";
        let findings = scan_content(".env", FileKind::Env, text);
        let lines: Vec<u64> = findings.iter().map(|f| f.line).collect();
        assert_eq!(lines, vec![2, 5]);
    }
}
