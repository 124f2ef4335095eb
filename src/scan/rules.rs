//! The patterns that find committed secrets, and the test that
//! distinguishes a literal secret from a reference to one.
//!
//! Every rule captures a candidate value; [`literal_span`] then drops
//! references (`${{ secrets.X }}`, `$(qualysToken)`, `$VAR`, `${VAR}`,
//! `credentials('id')`, `%VAR%`, `$env:VAR`, template expressions) and
//! placeholders (`<token>`, `***`, `changeme`), so that only values written
//! out in the file are reported.

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use regex::bytes::Regex;
use serde::Serialize;

/// Shortest value reported as a secret, in bytes. Shorter literals are
/// mostly placeholders; the masking forms use the same bound.
pub const MIN_SECRET_LEN: usize = 6;

/// The kinds of file the scanner reads, by the syntax of their values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    /// Jenkinsfiles and Groovy: only quoted strings are literals.
    Groovy,
    /// Azure Pipelines, GitLab CI and GitHub Actions YAML.
    Yaml,
    /// Shell, PowerShell and batch scripts.
    Script,
    /// `.env` files.
    Env,
    /// Any other text file (with `--all-files`).
    Other,
}

/// A rule of the scanner. The ids are stable: SARIF consumers key alerts on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleId {
    /// A Qualys token or password assigned a literal value.
    QualysSecretAssignment,
    /// `docker login -p <literal>` or `--password <literal>`.
    DockerLoginPassword,
    /// `--access-token <literal>`.
    AccessTokenArgument,
    /// A password inside a URL, `scheme://user:password@host`.
    UrlPassword,
    /// A JSON Web Token written out anywhere in a scanned file.
    JwtLiteral,
}

impl RuleId {
    pub const ALL: [RuleId; 5] = [
        Self::QualysSecretAssignment,
        Self::DockerLoginPassword,
        Self::AccessTokenArgument,
        Self::UrlPassword,
        Self::JwtLiteral,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::QualysSecretAssignment => "qualys-secret-assignment",
            Self::DockerLoginPassword => "docker-login-password",
            Self::AccessTokenArgument => "access-token-argument",
            Self::UrlPassword => "url-password",
            Self::JwtLiteral => "jwt-literal",
        }
    }

    /// Returns a short description, used as the SARIF rule's short description.
    pub fn title(self) -> &'static str {
        match self {
            Self::QualysSecretAssignment => "Qualys token or password committed in a variable",
            Self::DockerLoginPassword => "Registry password committed in a login command",
            Self::AccessTokenArgument => "Access token committed as a command-line argument",
            Self::UrlPassword => "Password committed inside a URL",
            Self::JwtLiteral => "JSON Web Token committed",
        }
    }

    /// Returns what to do about a finding.
    pub fn help(self) -> &'static str {
        match self {
            Self::QualysSecretAssignment => {
                "Store the token in the CI system's secret store and map it into the environment \
                 (GitHub: ${{ secrets.QUALYS_ACCESS_TOKEN }}, Azure DevOps: a secret variable, \
                 Jenkins: credentials('id'), GitLab: a masked CI/CD variable). Revoke the committed \
                 token in Qualys: it stays in the repository history."
            }
            Self::DockerLoginPassword => {
                "Pass the password on standard input (--password-stdin) from a secret variable. \
                 A password on the command line is also visible in the process list. Change the \
                 committed password: it stays in the repository history."
            }
            Self::AccessTokenArgument => {
                "Read the token from an environment variable mapped from the CI secret store \
                 instead of the command line. Revoke the committed token: it stays in the \
                 repository history."
            }
            Self::UrlPassword => {
                "Remove the credentials from the URL and let the client read them from a \
                 credential helper or a secret variable. Change the committed password: it stays \
                 in the repository history."
            }
            Self::JwtLiteral => {
                "Remove the token and load it from the CI secret store at run time. Revoke it \
                 if it is still valid: it stays in the repository history."
            }
        }
    }
}

/// A candidate found by a rule, with the secret's byte span in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub rule: RuleId,
    pub start: usize,
    pub end: usize,
    /// The variable or option the secret was assigned to, if any.
    pub name: Option<String>,
}

/// A value capture: a double- or single-quoted string, or a bare word.
const VALUE: &str = r#"(?P<value>"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^\s"'`#;,)\]}|&]+)"#;

static JWT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u)eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
        .expect("the JWT pattern is valid")
});

static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?-u)(?i)(?P<name>[A-Za-z0-9_.-]*qualys[A-Za-z0-9_.-]*)["']?[ \t]*(?P<op>:=|=|:)(?P<space>[ \t]*){VALUE}?"#
    ))
    .expect("the assignment pattern is valid")
});

static NAME_VALUE_PAIR: LazyLock<Regex> = LazyLock::new(|| {
    // Azure Pipelines `- name: X` / `value: Y`, and GitLab's expanded
    // variables `X:` / `value: Y`, on consecutive lines.
    Regex::new(&format!(
        r#"(?-u)(?im)^[ \t]*(?:-[ \t]*)?(?:name:[ \t]*)?["']?(?P<name>[A-Za-z0-9_.-]*qualys[A-Za-z0-9_.-]*)["']?[ \t]*:?[ \t]*\r?\n[ \t]*value:[ \t]*{VALUE}"#
    ))
    .expect("the name/value pattern is valid")
});

static LOGIN_COMMAND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u)(?i)\b(?:docker|podman|buildah|nerdctl|skopeo|oras|helm[ \t]+registry)[ \t]+login\b(?:[^\n\\]|\\\r?\n|\\.)*")
        .expect("the login pattern is valid")
});

static PASSWORD_OPTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?-u)(?:^|[ \t])(?:-p|--password)(?:[ \t]+|=){VALUE}"#
    ))
    .expect("the password option pattern is valid")
});

static ACCESS_TOKEN_OPTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?-u)(?:^|[\s"'=(])--access-token(?:[ \t]+|=){VALUE}"#
    ))
    .expect("the access token option pattern is valid")
});

static URL_CREDENTIALS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?-u)(?i)\b[a-z][a-z0-9+.-]*://(?P<user>[^\s:/?#@"'<>]+):(?P<value>[^\s/?#@"'<>]+)@[^\s/?#@"'<>]+"#)
        .expect("the URL pattern is valid")
});

/// Words in a secret's variable name that mark it as holding a secret.
const SECRET_WORDS: [&str; 5] = ["token", "password", "passwd", "secret", "apikey"];

/// Name endings that mark a variable as holding a reference to a secret
/// (a variable name, a file, a credentials id), not the secret itself.
const NON_SECRET_SUFFIXES: [&str; 14] = [
    "id", "env", "file", "path", "name", "var", "variable", "url", "created", "date", "days",
    "type", "kind", "length",
];

/// Values that stand for a secret in examples and templates.
const PLACEHOLDERS: [&str; 20] = [
    "changeme",
    "change-me",
    "change_me",
    "password",
    "passwd",
    "secret",
    "token",
    "redacted",
    "placeholder",
    "dummy",
    "example",
    "your-token",
    "your_token",
    "yourtoken",
    "your-password",
    "your_password",
    "yourpassword",
    "null",
    "none",
    "todo",
];

/// Returns whether a variable name looks like it contains a Qualys secret.
pub fn is_qualys_secret_name(name: &str) -> bool {
    let lower: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    lower.contains("qualys")
        && SECRET_WORDS.iter().any(|w| lower.contains(w))
        && !NON_SECRET_SUFFIXES.iter().any(|s| lower.ends_with(s))
}

/// Returns the span (relative to `raw`) of the literal secret in a
/// captured value, or `None` when the value is a reference, a placeholder
/// or too short. A bare word counts as a literal only when
/// `bare_is_literal` is set (in Groovy it is an expression).
pub fn literal_span(raw: &[u8], bare_is_literal: bool) -> Option<(usize, usize)> {
    let (start, end, quoted) = match raw {
        [b'"', .., b'"'] | [b'\'', .., b'\''] if raw.len() >= 2 => (1, raw.len() - 1, true),
        _ => (0, raw.len(), false),
    };
    if !quoted && !bare_is_literal {
        return None;
    }
    let value = std::str::from_utf8(&raw[start..end]).ok()?;
    if value.len() < MIN_SECRET_LEN || is_reference(value) || is_placeholder(value) {
        return None;
    }
    Some((start, end))
}

static DOLLAR_REFERENCE: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"\$(?:\{|\(|[A-Za-z_])").expect("the reference pattern is valid")
});

static PERCENT_REFERENCE: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"%[A-Za-z_][A-Za-z0-9_]*%").expect("the reference pattern is valid")
});

/// Returns whether a value refers to a secret instead of holding one.
pub fn is_reference(value: &str) -> bool {
    let trimmed = value.trim();
    // `$VAR`, `${VAR}`, `$(var)`, `${{ expr }}`, `$env:VAR` (PowerShell),
    // `%VAR%` (batch) anywhere in the value.
    let dollar = DOLLAR_REFERENCE.is_match(trimmed);
    let percent = PERCENT_REFERENCE.is_match(trimmed);
    let lower = trimmed.to_ascii_lowercase();
    dollar
        || percent
        || trimmed.contains("#{")
        || trimmed.contains("{{")
        || lower.starts_with("credentials(")
        || lower.contains("credentials('")
        || lower.contains("credentials(\"")
        || ["env.", "params.", "secrets.", "vars."]
            .iter()
            .any(|p| lower.starts_with(p))
        || is_variable_name(trimmed)
}

/// `QUALYS_ACCESS_TOKEN_PROD` and the like: a value that names a variable.
fn is_variable_name(value: &str) -> bool {
    value.contains('_')
        && value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && value.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
}

/// Returns whether a value is an obvious stand-in for a secret.
pub fn is_placeholder(value: &str) -> bool {
    let trimmed = value.trim();
    let lower = trimmed.to_ascii_lowercase();
    let first = trimmed.chars().next();
    trimmed.is_empty()
        || (trimmed.starts_with('<') && trimmed.ends_with('>'))
        || (trimmed.starts_with('[') && trimmed.ends_with(']'))
        || first.is_some_and(|f| trimmed.chars().all(|c| c == f))
        || trimmed
            .chars()
            .all(|c| matches!(c, '*' | 'x' | 'X' | '.' | '-' | '_'))
        || PLACEHOLDERS.contains(&lower.as_str())
}

/// Returns whether a JWT candidate's header decodes to a JSON object.
fn is_jwt(candidate: &[u8]) -> bool {
    let Some(header) = candidate.split(|b| *b == b'.').next() else {
        return false;
    };
    URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|json| {
            serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&json).ok()
        })
        .is_some()
}

fn capture_span(
    captures: &regex::bytes::Captures<'_>,
    bare_is_literal: bool,
) -> Option<(usize, usize)> {
    let value = captures.name("value")?;
    let (start, end) = literal_span(value.as_bytes(), bare_is_literal)?;
    Some((value.start() + start, value.start() + end))
}

fn name_of(captures: &regex::bytes::Captures<'_>) -> Option<String> {
    captures
        .name("name")
        .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
}

/// Runs every rule over a file's content and returns the candidates,
/// sorted by position, without overlaps (a more specific rule wins over
/// `jwt-literal` for the same value).
pub fn find_candidates(kind: FileKind, content: &[u8]) -> Vec<Candidate> {
    let mut found = Vec::new();
    assignments(kind, content, &mut found);
    if matches!(kind, FileKind::Yaml | FileKind::Other) {
        name_value_pairs(content, &mut found);
    }
    login_passwords(content, &mut found);
    access_tokens(content, &mut found);
    url_passwords(content, &mut found);
    jwts(content, &mut found);

    found.sort_by_key(|c| (c.start, c.rule));
    let mut kept: Vec<Candidate> = Vec::with_capacity(found.len());
    for candidate in found {
        if kept.last().is_some_and(|last| candidate.start < last.end) {
            continue;
        }
        kept.push(candidate);
    }
    kept
}

/// The parts of an [`ASSIGNMENT`] match, as offsets into the match.
struct AssignmentParts {
    name_end: usize,
    op: &'static [u8],
    spaced: bool,
    value_start: usize,
}

/// Splits an [`ASSIGNMENT`] match into its parts. Walking the few bytes of
/// a match is much cheaper than resolving capture groups, and assignments
/// to Qualys variables are frequent in pipeline files.
fn split_assignment(matched: &[u8]) -> Option<AssignmentParts> {
    let is_name_byte = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-');
    let is_blank = |b: &u8| matches!(b, b' ' | b'\t');
    let name_end = matched.iter().position(|b| !is_name_byte(b))?;
    let mut i = name_end;
    if matches!(matched.get(i), Some(b'"' | b'\'')) {
        i += 1;
    }
    i += matched[i..].iter().take_while(|b| is_blank(b)).count();
    let op: &'static [u8] = if matched[i..].starts_with(b":=") {
        b":="
    } else if matched[i..].starts_with(b"=") {
        b"="
    } else if matched[i..].starts_with(b":") {
        b":"
    } else {
        return None;
    };
    i += op.len();
    let blanks = matched[i..].iter().take_while(|b| is_blank(b)).count();
    Some(AssignmentParts {
        name_end,
        op,
        spaced: blanks > 0,
        value_start: i + blanks,
    })
}

fn assignments(kind: FileKind, content: &[u8], found: &mut Vec<Candidate>) {
    for matched in ASSIGNMENT.find_iter(content) {
        let bytes = matched.as_bytes();
        let Some(parts) = split_assignment(bytes) else {
            continue;
        };
        // `$QUALYS_TOKEN`, `${QUALYS_TOKEN:-x}` and `%QUALYS_TOKEN%` use a
        // variable; they do not assign one.
        if matched.start() > 0 && matches!(content[matched.start() - 1], b'$' | b'{' | b'%') {
            continue;
        }
        let name_text = String::from_utf8_lossy(&bytes[..parts.name_end]);
        if !is_qualys_secret_name(&name_text) {
            continue;
        }
        // YAML and `.env` separate a key from its value with ": " or "=".
        if parts.op == b":" && !parts.spaced && kind != FileKind::Groovy {
            continue;
        }
        // In Groovy a bare word is an expression, except right after `=` in
        // an environment string such as withEnv(["QUALYS_TOKEN=value"]).
        let bare_is_literal = match kind {
            FileKind::Groovy => parts.op == b"=" && !parts.spaced,
            _ => true,
        };
        let value_start = matched.start() + parts.value_start;
        if let Some((start, end)) =
            literal_span(&content[value_start..matched.end()], bare_is_literal)
        {
            found.push(Candidate {
                rule: RuleId::QualysSecretAssignment,
                start: value_start + start,
                end: value_start + end,
                name: Some(name_text.into_owned()),
            });
        }
    }
}

fn name_value_pairs(content: &[u8], found: &mut Vec<Candidate>) {
    for captures in NAME_VALUE_PAIR.captures_iter(content) {
        let Some(name) = name_of(&captures) else {
            continue;
        };
        if !is_qualys_secret_name(&name) {
            continue;
        }
        if let Some((start, end)) = capture_span(&captures, true) {
            found.push(Candidate {
                rule: RuleId::QualysSecretAssignment,
                start,
                end,
                name: Some(name),
            });
        }
    }
}

fn login_passwords(content: &[u8], found: &mut Vec<Candidate>) {
    for command in LOGIN_COMMAND.find_iter(content) {
        for captures in PASSWORD_OPTION.captures_iter(command.as_bytes()) {
            if let Some((start, end)) = capture_span(&captures, true) {
                found.push(Candidate {
                    rule: RuleId::DockerLoginPassword,
                    start: command.start() + start,
                    end: command.start() + end,
                    name: None,
                });
            }
        }
    }
}

fn access_tokens(content: &[u8], found: &mut Vec<Candidate>) {
    for captures in ACCESS_TOKEN_OPTION.captures_iter(content) {
        if let Some((start, end)) = capture_span(&captures, true) {
            found.push(Candidate {
                rule: RuleId::AccessTokenArgument,
                start,
                end,
                name: Some("--access-token".into()),
            });
        }
    }
}

fn url_passwords(content: &[u8], found: &mut Vec<Candidate>) {
    for matched in URL_CREDENTIALS.find_iter(content) {
        // The pattern guarantees `scheme://user:password@host`, where neither
        // the user contains `:` nor the password `@`.
        let bytes = matched.as_bytes();
        let Some(authority) = bytes.windows(3).position(|w| w == b"://").map(|i| i + 3) else {
            continue;
        };
        let Some(colon) = bytes[authority..].iter().position(|b| *b == b':') else {
            continue;
        };
        let value_start = authority + colon + 1;
        let Some(at) = bytes[value_start..].iter().position(|b| *b == b'@') else {
            continue;
        };
        let (start, end) = (
            matched.start() + value_start,
            matched.start() + value_start + at,
        );
        let Ok(text) = std::str::from_utf8(&content[start..end]) else {
            continue;
        };
        // Four characters suffice here: a URL password is never a placeholder
        // for a longer secret the way a short variable value often is.
        if text.len() < 4 || is_reference(text) || is_placeholder(text) {
            continue;
        }
        found.push(Candidate {
            rule: RuleId::UrlPassword,
            start,
            end,
            name: None,
        });
    }
}

fn jwts(content: &[u8], found: &mut Vec<Candidate>) {
    for candidate in JWT.find_iter(content) {
        let glued = candidate.start() > 0 && {
            let before = content[candidate.start() - 1];
            before.is_ascii_alphanumeric() || before == b'_' || before == b'-'
        };
        if glued || !is_jwt(candidate.as_bytes()) {
            continue;
        }
        found.push(Candidate {
            rule: RuleId::JwtLiteral,
            start: candidate.start(),
            end: candidate.end(),
            name: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for name in [
            "QUALYS_ACCESS_TOKEN",
            "QUALYS_ACCESS_TOKEN_PROD",
            "qualysToken",
            "env.QUALYS_PASSWORD",
            "qualys-api-key",
        ] {
            assert!(is_qualys_secret_name(name), "{name}");
        }
        for name in [
            "QUALYS_POD",
            "QUALYS_TOKEN_ENV",
            "QUALYS_TOKEN_FILE",
            "qualysTokenCredentialsId",
            "QUALYS_TOKEN_CREATED",
            "ACCESS_TOKEN",
        ] {
            assert!(!is_qualys_secret_name(name), "{name}");
        }
    }

    #[test]
    fn references_and_placeholders() {
        for value in [
            "${{ secrets.QUALYS_ACCESS_TOKEN }}",
            "$(qualysToken)",
            "$QUALYS_TOKEN",
            "${QUALYS_TOKEN}",
            "credentials('qualys-token')",
            "%QUALYS_TOKEN%",
            "$env:QUALYS_TOKEN",
            "#{QualysToken}#",
            "{{ .Values.token }}",
            "env.QUALYS_TOKEN",
            "QUALYS_ACCESS_TOKEN_PROD",
        ] {
            assert!(is_reference(value), "{value}");
        }
        for value in [
            "<your-token>",
            "********",
            "xxxxxxxx",
            "changeme",
            "[token]",
            "......",
        ] {
            assert!(is_placeholder(value), "{value}");
        }
        for value in ["s3cr3t-Passw0rd", "abcdef123456", "100%sure"] {
            assert!(!is_reference(value), "{value}");
            assert!(!is_placeholder(value), "{value}");
        }
    }

    #[test]
    fn literal_spans() {
        assert_eq!(literal_span(b"\"abcdef1234\"", false), Some((1, 11)));
        assert_eq!(literal_span(b"'abcdef1234'", false), Some((1, 11)));
        assert_eq!(literal_span(b"abcdef1234", true), Some((0, 10)));
        assert_eq!(literal_span(b"abcdef1234", false), None);
        assert_eq!(literal_span(b"'abc'", true), None);
        assert_eq!(literal_span(b"\"${TOKEN}\"", true), None);
    }
}
