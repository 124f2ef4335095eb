//! Token best-practice checks: rotation, least privilege, expiry, one token
//! per environment, and (online) verification by the gateway.
//!
//! [`evaluate`] is pure: it judges what the caller collected (the token's
//! claims, a creation date, the tokens in the other environment variables,
//! the audit history, the verification outcome) against a [`Policy`] and
//! returns a [`PolicyReport`]. Hosts surface its warnings their own way:
//! the CLI on standard error, Azure DevOps as `##vso[task.logissue
//! type=warning]`, Jenkins on the console and as an unstable build.
//! [`check_session`] and [`check_blocking_session`] add the online
//! verification for a session.

use std::collections::{BTreeMap, BTreeSet};

use secrecy::ExposeSecret as _;
use serde::Serialize;
use time::{Date, OffsetDateTime};

use crate::audit::AuditHistory;
use crate::blocking::BlockingSession;
use crate::error::{Error, ErrorCode, Result};
use crate::platform::CredentialKind;
use crate::policy::{Policy, Severity, environment_suffix};
use crate::session::Session;
use crate::time_fmt::{now_unix, rfc3339};
use crate::token::{self, TokenShape};

/// Seconds in a day, for token ages.
const DAY: i64 = 86_400;

/// Variable read by [`parse_creation_date`] callers for opaque tokens.
pub const ENV_TOKEN_CREATED: &str = "QUALYS_TOKEN_CREATED";

/// Result of one check, ordered from best to worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// Not run, such as verification without a gateway.
    Skipped,
    /// The facts needed are not available; reported, not guessed.
    Unknown,
    Pass,
    Warn,
    Fail,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Skipped => "skipped",
            Self::Unknown => "unknown",
            Self::Pass => "pass",
            Self::Warn => "warn",
            Self::Fail => "fail",
        }
    }

    fn from_severity(severity: Severity) -> Self {
        match severity {
            Severity::Warn => Self::Warn,
            Severity::Fail => Self::Fail,
        }
    }
}

/// Identifier of a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    Rotation,
    Scopes,
    Expiry,
    SeparateTokens,
    Verification,
}

impl CheckId {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rotation => "rotation",
            Self::Scopes => "scopes",
            Self::Expiry => "expiry",
            Self::SeparateTokens => "separate-tokens",
            Self::Verification => "verification",
        }
    }
}

/// Source of a token's age.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AgeSource {
    /// The JWT's `iat` claim.
    Iat,
    /// The creation date the user supplied.
    CreationDate,
    /// Neither is available.
    Unknown,
}

/// One environment that uses a token, and where that was seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SharedToken {
    pub token_fingerprint: String,
    /// Environment labels (variable suffixes for variables), sorted.
    pub environments: Vec<String>,
    /// `variables`, `audit-log` or both.
    pub seen_in: Vec<&'static str>,
}

/// Check-specific facts, flattened into the check's JSON object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum CheckDetails {
    Rotation {
        age_days: Option<i64>,
        age_source: AgeSource,
        created_at: Option<String>,
        warn_after_days: u32,
        fail_after_days: u32,
    },
    Scopes {
        scopes: Option<Vec<String>>,
        required: Vec<String>,
        missing: Vec<String>,
        extra: Vec<String>,
    },
    Expiry {
        expires_at: Option<String>,
    },
    SeparateTokens {
        shared: Vec<SharedToken>,
    },
    Verification {
        /// `ok` or the error code string, when verification ran.
        outcome: Option<String>,
        exit_code: Option<u8>,
    },
}

/// The result of one check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    pub id: CheckId,
    pub status: CheckStatus,
    /// One sentence for people, without any secret.
    pub message: String,
    #[serde(flatten)]
    pub details: CheckDetails,
}

/// The report of `check`, and the `checks` field of `login --format json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyReport {
    /// Version of this schema; fields are only ever added.
    pub schema_version: u32,
    /// The worst status of the checks: `fail`, `warn` or `pass`.
    pub status: CheckStatus,
    pub environment: Option<String>,
    /// `jwt` or `opaque`.
    pub token_kind: &'static str,
    pub token_fingerprint: String,
    /// Source of the token, such as `QUALYS_ACCESS_TOKEN_PROD`.
    pub token_source: Option<String>,
    pub checks: Vec<CheckResult>,
    pub policy: Policy,
}

impl PolicyReport {
    /// Returns the result of one check.
    pub fn check(&self, id: CheckId) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// Returns the checks that warn.
    pub fn warnings(&self) -> impl Iterator<Item = &CheckResult> {
        self.checks.iter().filter(|c| c.status == CheckStatus::Warn)
    }

    /// Returns the checks that fail.
    pub fn failures(&self) -> impl Iterator<Item = &CheckResult> {
        self.checks.iter().filter(|c| c.status == CheckStatus::Fail)
    }

    /// Returns the exit code for this report: the verification error's code
    /// when the gateway rejected the token or could not be reached, 23 when
    /// a check fails, else 0 (warnings included).
    pub fn exit_code(&self) -> u8 {
        if let Some(CheckResult {
            status: CheckStatus::Fail,
            details:
                CheckDetails::Verification {
                    exit_code: Some(code),
                    ..
                },
            ..
        }) = self.check(CheckId::Verification)
        {
            return *code;
        }
        if self.status == CheckStatus::Fail {
            ErrorCode::PolicyFailed.exit_code()
        } else {
            0
        }
    }

    /// Returns an error listing the failed checks, or `Ok` when none failed.
    /// Hosts that map errors to results use it to fail a step.
    pub fn into_result(self) -> Result<Self> {
        let failures: Vec<String> = self
            .failures()
            .map(|c| format!("{}: {}", c.id.as_str(), c.message))
            .collect();
        if failures.is_empty() {
            Ok(self)
        } else {
            Err(Error::PolicyFailed {
                message: format!("the token policy failed: {}", failures.join("; ")),
            })
        }
    }
}

/// A token found in another environment's variable, by fingerprint only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VariableToken {
    /// The variable name, such as `QUALYS_ACCESS_TOKEN_DEV`.
    pub variable: String,
    /// The environment suffix, such as `DEV`.
    pub environment: String,
    pub fingerprint: String,
}

/// Collects the fingerprints of the per-environment token variables
/// (`<base>_<ENV>`, such as `QUALYS_ACCESS_TOKEN_PROD`) among `vars`. Values
/// that are empty or not a valid token are skipped; values are dropped
/// after hashing.
pub fn variable_tokens(
    base: &str,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Vec<VariableToken> {
    let prefix = format!("{base}_");
    let mut found: Vec<VariableToken> = vars
        .into_iter()
        .filter_map(|(name, value)| {
            let value = zeroize::Zeroizing::new(value);
            let suffix = name.strip_prefix(&prefix)?;
            if suffix.is_empty() {
                return None;
            }
            let token = token::normalize_token(&value).ok()?;
            Some(VariableToken {
                environment: suffix.to_owned(),
                fingerprint: token::fingerprint(token.expose_secret()),
                variable: name,
            })
        })
        .collect();
    found.sort_by(|a, b| a.variable.cmp(&b.variable));
    found
}

/// Collects [`variable_tokens`] from this process's environment.
pub fn variable_tokens_from_process(base: &str) -> Vec<VariableToken> {
    variable_tokens(
        base,
        std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
    )
}

/// Parses a token creation date given as `YYYY-MM-DD`.
pub fn parse_creation_date(text: &str) -> Result<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.trim(), &format).map_err(|_| {
        Error::invalid(format!(
            "invalid token creation date '{}'; use YYYY-MM-DD, such as 2026-09-30",
            text.trim()
        ))
    })
}

/// Returns the token creation date: `explicit` (the CLI's
/// `--token-created`) when given, else `QUALYS_TOKEN_CREATED` from `env`
/// when set. A malformed date, or one after today (UTC), is an error.
pub fn creation_date(
    explicit: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<Date>> {
    let text = match explicit {
        Some(text) => Some(text.to_owned()),
        None => env(ENV_TOKEN_CREATED).filter(|value| !value.trim().is_empty()),
    };
    let Some(text) = text else {
        return Ok(None);
    };
    let date = parse_creation_date(&text)?;
    if date > OffsetDateTime::now_utc().date() {
        return Err(Error::invalid(format!(
            "the token creation date {date} lies in the future; give the day the token was created"
        )));
    }
    Ok(Some(date))
}

/// The outcome of online verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verification {
    /// No gateway was given, so the check ran offline.
    NotRun,
    /// Not attempted because the token's own claims show it cannot work.
    SkippedUnusable,
    /// The gateway accepted the token on a Container Security call.
    Verified,
    /// The gateway rejected the token, or the call failed.
    Failed { code: ErrorCode, message: String },
}

impl Verification {
    /// Converts a verification result.
    pub fn from_result(result: &Result<()>) -> Self {
        match result {
            Ok(()) => Self::Verified,
            Err(error) => Self::Failed {
                code: error.code(),
                message: error.to_string(),
            },
        }
    }
}

/// Facts that [`evaluate`] judges.
#[derive(Clone, Debug)]
pub struct CheckInput<'a> {
    pub shape: &'a TokenShape,
    pub fingerprint: &'a str,
    pub credential: CredentialKind,
    /// A creation date supplied by the user, for tokens without `iat`.
    pub created: Option<Date>,
    /// Source of the token, for the report.
    pub token_source: Option<String>,
    /// Tokens in the per-environment variables.
    pub variable_tokens: &'a [VariableToken],
    /// The audit log's history, when the log is on.
    pub audit_history: Option<&'a AuditHistory>,
    pub verification: Verification,
    pub now_unix: i64,
}

/// Judges a token against the policy. Pure: no I/O, no clock.
pub fn evaluate(policy: &Policy, input: &CheckInput<'_>) -> Result<PolicyReport> {
    let claims = match input.shape {
        TokenShape::Jwt(claims) => Some(claims),
        TokenShape::Opaque => None,
    };
    let checks = vec![
        rotation(policy, input, claims.and_then(|c| c.iat))?,
        scopes(
            policy,
            input,
            claims.and_then(|c| c.modules_allowed.as_deref()),
            claims.is_some(),
        ),
        expiry(input, claims.map(|c| c.exp)),
        separation(policy, input),
        verification(&input.verification),
    ];
    let status = checks
        .iter()
        .map(|c| c.status)
        .max()
        .filter(|s| *s >= CheckStatus::Warn)
        .unwrap_or(CheckStatus::Pass);
    Ok(PolicyReport {
        schema_version: 1,
        status,
        environment: policy.environment.clone(),
        token_kind: if claims.is_some() { "jwt" } else { "opaque" },
        token_fingerprint: input.fingerprint.to_owned(),
        token_source: input.token_source.clone(),
        checks,
        policy: policy.clone(),
    })
}

fn rotation(policy: &Policy, input: &CheckInput<'_>, iat: Option<i64>) -> Result<CheckResult> {
    let (created_unix, source) = match (iat, input.created) {
        (Some(iat), _) => (Some(iat), AgeSource::Iat),
        (None, Some(date)) => {
            let midnight = OffsetDateTime::new_utc(date, time::Time::MIDNIGHT).unix_timestamp();
            if midnight > input.now_unix {
                return Err(Error::invalid(format!(
                    "the token creation date {date} lies in the future; give the day the token was created"
                )));
            }
            (Some(midnight), AgeSource::CreationDate)
        }
        (None, None) => (None, AgeSource::Unknown),
    };
    // Whole days since creation; a creation time ahead of the clock (skew) counts as 0.
    let age_days = created_unix.map(|created| (input.now_unix - created).max(0).div_euclid(DAY));
    let (warn, fail) = (policy.warn_after_days, policy.fail_after_days);
    let (status, message) = match age_days {
        None => (
            CheckStatus::Unknown,
            match (input.credential, iat.is_none() && input.shape != &TokenShape::Opaque) {
                (CredentialKind::UsernamePassword, _) => "the password's age is unknown; pass --token-created YYYY-MM-DD (or set QUALYS_TOKEN_CREATED) with the day it was set".to_owned(),
                (_, true) => "the token's age is unknown: the JWT has no iat claim; pass --token-created YYYY-MM-DD (or set QUALYS_TOKEN_CREATED) with the day it was created".to_owned(),
                (_, false) => "the token's age is unknown: it is not a JWT; pass --token-created YYYY-MM-DD (or set QUALYS_TOKEN_CREATED) with the day it was created".to_owned(),
            },
        ),
        Some(days) if days > i64::from(fail) => (
            CheckStatus::Fail,
            format!("the token is {days} days old, past the {fail}-day limit; create a new token in Qualys and revoke this one"),
        ),
        Some(days) if days >= i64::from(warn) => (
            CheckStatus::Warn,
            format!("the token is {days} days old; rotate it before it passes the {fail}-day limit"),
        ),
        Some(days) => (
            CheckStatus::Pass,
            format!("the token is {days} days old (warning from {warn} days)"),
        ),
    };
    Ok(CheckResult {
        id: CheckId::Rotation,
        status,
        message,
        details: CheckDetails::Rotation {
            age_days,
            age_source: source,
            created_at: created_unix.map(rfc3339),
            warn_after_days: warn,
            fail_after_days: fail,
        },
    })
}

fn scopes(
    policy: &Policy,
    input: &CheckInput<'_>,
    modules: Option<&[String]>,
    is_jwt: bool,
) -> CheckResult {
    let required = policy.required_scopes.clone();
    let Some(modules) = modules else {
        let proven = if input.verification == Verification::Verified {
            "; the gateway accepted it on a Container Security call"
        } else {
            ""
        };
        let why = if is_jwt {
            "the JWT has no modulesAllowed claim"
        } else {
            "it is not a JWT"
        };
        return CheckResult {
            id: CheckId::Scopes,
            status: CheckStatus::Unknown,
            message: format!("the token's scopes are unknown: {why}{proven}"),
            details: CheckDetails::Scopes {
                scopes: None,
                required,
                missing: Vec::new(),
                extra: Vec::new(),
            },
        };
    };
    let has = |wanted: &str| {
        modules
            .iter()
            .any(|m| m.trim().eq_ignore_ascii_case(wanted))
    };
    let missing: Vec<String> = required.iter().filter(|r| !has(r)).cloned().collect();
    let mut extra: Vec<String> = modules
        .iter()
        .map(|m| m.trim().to_owned())
        .filter(|m| !required.iter().any(|r| r.eq_ignore_ascii_case(m)))
        .collect();
    extra.dedup();

    let (status, message) = if !missing.is_empty() {
        (
            CheckStatus::Fail,
            format!(
                "the token lacks the scope(s) this job needs: {}; ask your Qualys administrator to grant them to the token's user",
                missing.join(", ")
            ),
        )
    } else if !extra.is_empty() {
        (
            CheckStatus::from_severity(policy.extra_scopes),
            format!(
                "the token has scope(s) beyond what this job needs: {}; use a token whose user has only {}",
                extra.join(", "),
                if required.is_empty() {
                    "the modules the job uses".to_owned()
                } else {
                    required.join(", ")
                }
            ),
        )
    } else {
        (
            CheckStatus::Pass,
            format!(
                "the token has exactly the scope(s) needed: {}",
                required.join(", ")
            ),
        )
    };
    CheckResult {
        id: CheckId::Scopes,
        status,
        message,
        details: CheckDetails::Scopes {
            scopes: Some(modules.to_vec()),
            required,
            missing,
            extra,
        },
    }
}

fn expiry(input: &CheckInput<'_>, exp: Option<Option<i64>>) -> CheckResult {
    let (status, message, expires_at) = match exp {
        None => (
            CheckStatus::Unknown,
            "the expiry is unknown: the token is not a JWT".to_owned(),
            None,
        ),
        Some(None) => (
            CheckStatus::Unknown,
            "the expiry is unknown: the JWT has no exp claim".to_owned(),
            None,
        ),
        Some(Some(exp)) if exp <= input.now_unix => (
            CheckStatus::Fail,
            format!("the token expired at {}", rfc3339(exp)),
            Some(rfc3339(exp)),
        ),
        Some(Some(exp)) => (
            CheckStatus::Pass,
            format!("the token is valid until {}", rfc3339(exp)),
            Some(rfc3339(exp)),
        ),
    };
    CheckResult {
        id: CheckId::Expiry,
        status,
        message,
        details: CheckDetails::Expiry { expires_at },
    }
}

fn separation(policy: &Policy, input: &CheckInput<'_>) -> CheckResult {
    // fingerprint -> environment suffix -> where it was seen
    let mut seen: BTreeMap<&str, BTreeMap<String, BTreeSet<&'static str>>> = BTreeMap::new();
    for token in input.variable_tokens {
        seen.entry(token.fingerprint.as_str())
            .or_default()
            .entry(token.environment.clone())
            .or_default()
            .insert("variables");
    }
    if let Some(history) = input.audit_history {
        for environment in history.environments(input.fingerprint) {
            seen.entry(input.fingerprint)
                .or_default()
                .entry(environment_suffix(&environment))
                .or_default()
                .insert("audit-log");
        }
    }
    if let Some(label) = &policy.environment {
        seen.entry(input.fingerprint)
            .or_default()
            .entry(environment_suffix(label))
            .or_default();
    }

    let shared: Vec<SharedToken> = seen
        .into_iter()
        .filter(|(_, environments)| environments.len() >= 2)
        .map(|(fingerprint, environments)| {
            let sources: BTreeSet<&'static str> =
                environments.values().flatten().copied().collect();
            SharedToken {
                token_fingerprint: fingerprint.to_owned(),
                environments: environments.into_keys().collect(),
                seen_in: sources.into_iter().collect(),
            }
        })
        .collect();

    let (status, message) = if shared.is_empty() {
        let basis = match (input.audit_history.is_some(), policy.environment.is_some()) {
            (true, true) => "in the token variables or the audit log",
            (true, false) => {
                "in the token variables or the audit log (no environment label is set)"
            }
            (false, _) => "in the token variables (the audit log is off)",
        };
        (
            CheckStatus::Pass,
            format!("no token is shared between environments {basis}"),
        )
    } else {
        let described: Vec<String> = shared
            .iter()
            .map(|s| {
                format!(
                    "token {} is used for {} (seen in {})",
                    s.token_fingerprint,
                    s.environments.join(" and "),
                    s.seen_in.join(" and ")
                )
            })
            .collect();
        (
            CheckStatus::from_severity(policy.shared_token),
            format!(
                "one token serves several environments: {}; create a separate token for each environment",
                described.join("; ")
            ),
        )
    };
    CheckResult {
        id: CheckId::SeparateTokens,
        status,
        message,
        details: CheckDetails::SeparateTokens { shared },
    }
}

fn verification(verification: &Verification) -> CheckResult {
    let (status, message, outcome, exit_code) = match verification {
        Verification::NotRun => (
            CheckStatus::Skipped,
            "not verified online: no POD or gateway URL was given".to_owned(),
            None,
            None,
        ),
        Verification::SkippedUnusable => (
            CheckStatus::Skipped,
            "not verified online: the token's claims already show that it cannot work".to_owned(),
            None,
            None,
        ),
        Verification::Verified => (
            CheckStatus::Pass,
            "the gateway accepted the token on a Container Security call".to_owned(),
            Some("ok".to_owned()),
            None,
        ),
        Verification::Failed { code, message } => {
            let message = if *code == ErrorCode::TokenRejected {
                format!("the token is expired or revoked: {message}")
            } else {
                message.clone()
            };
            (
                CheckStatus::Fail,
                message,
                Some(code.as_str().to_owned()),
                Some(code.exit_code()),
            )
        }
    };
    CheckResult {
        id: CheckId::Verification,
        status,
        message,
        details: CheckDetails::Verification { outcome, exit_code },
    }
}

/// Inputs of the online checks besides the session.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    pub created: Option<Date>,
    pub token_source: Option<String>,
    pub variable_tokens: Vec<VariableToken>,
    pub audit_history: Option<AuditHistory>,
}

/// Verifies the session's token with the gateway, then evaluates the policy.
///
/// A failed verification (HTTP 401, 403, a network error) is part of the
/// report, not an error. An error is returned only when no token could be
/// obtained at all, such as after a rejected password. [`Session::new`] already
/// refuses an API token whose claims show it cannot work, so callers that
/// want a report for such a token evaluate it offline with [`evaluate`].
pub async fn check_session(
    session: &Session,
    policy: &Policy,
    options: &CheckOptions,
) -> Result<PolicyReport> {
    let verification = session.verify().await;
    report_for_session(session, policy, options, verification)
}

/// [`check_session`] for hosts without an async runtime.
pub fn check_blocking_session(
    session: &BlockingSession,
    policy: &Policy,
    options: &CheckOptions,
) -> Result<PolicyReport> {
    let verification = session.verify();
    report_for_session(session.session(), policy, options, verification)
}

/// Verifies the session's token with the gateway and, when the gateway
/// accepts it, evaluates the policy.
///
/// Unlike [`check_blocking_session`], a failed verification (HTTP 401 or
/// 403, a network error, a timeout) is returned as that error, not as a
/// failing `verification` check. Hosts that report a rejected token with
/// their own error type use it, such as the C interface with its status
/// codes. Policy warnings and failures are in the report either way.
pub fn verify_then_check_blocking(
    session: &BlockingSession,
    policy: &Policy,
    options: &CheckOptions,
) -> Result<PolicyReport> {
    session.verify()?;
    report_for_session(session.session(), policy, options, Ok(()))
}

fn report_for_session(
    session: &Session,
    policy: &Policy,
    options: &CheckOptions,
    verification: Result<()>,
) -> Result<PolicyReport> {
    let Some(token) = session.cached_bearer_token() else {
        // A password session contains no JWT only when the exchange failed.
        return Err(verification
            .err()
            .unwrap_or_else(|| Error::internal("a verified session contains no bearer token")));
    };
    let shape = token::decode_claims(token.expose_secret()).unwrap_or(TokenShape::Opaque);
    let fingerprint = token::fingerprint(token.expose_secret());
    evaluate(
        policy,
        &CheckInput {
            shape: &shape,
            fingerprint: &fingerprint,
            credential: session.credential_kind(),
            created: options.created,
            token_source: options.token_source.clone(),
            variable_tokens: &options.variable_tokens,
            audit_history: options.audit_history.as_ref(),
            verification: Verification::from_result(&verification),
            now_unix: now_unix(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::Claims;

    const NOW: i64 = 1_800_000_000;

    fn jwt_claims(iat: Option<i64>, modules: Option<&[&str]>) -> TokenShape {
        TokenShape::Jwt(Claims {
            sub: Some("scanner".into()),
            iat,
            exp: Some(NOW + 3600),
            modules_allowed: modules.map(|m| m.iter().map(|s| (*s).to_owned()).collect()),
            ..Claims::default()
        })
    }

    fn input<'a>(shape: &'a TokenShape) -> CheckInput<'a> {
        CheckInput {
            shape,
            fingerprint: "0011223344556677",
            credential: CredentialKind::ApiToken,
            created: None,
            token_source: None,
            variable_tokens: &[],
            audit_history: None,
            verification: Verification::NotRun,
            now_unix: NOW,
        }
    }

    fn status(report: &PolicyReport, id: CheckId) -> CheckStatus {
        report.check(id).expect("check present").status
    }

    #[test]
    fn rotation_boundaries_from_iat() {
        for (days, expected) in [
            (0, CheckStatus::Pass),
            (74, CheckStatus::Pass),
            (75, CheckStatus::Warn),
            (90, CheckStatus::Warn),
            (91, CheckStatus::Fail),
        ] {
            // A few seconds past the day boundary, as a real token would be.
            let shape = jwt_claims(Some(NOW - days * DAY - 5), Some(&["CS"]));
            let report = evaluate(&Policy::default(), &input(&shape)).expect("evaluates");
            assert_eq!(status(&report, CheckId::Rotation), expected, "{days} days");
            let Some(CheckResult {
                details:
                    CheckDetails::Rotation {
                        age_days,
                        age_source,
                        ..
                    },
                ..
            }) = report.check(CheckId::Rotation)
            else {
                panic!("rotation details");
            };
            assert_eq!(*age_days, Some(days));
            assert_eq!(*age_source, AgeSource::Iat);
            assert_eq!(report.status, expected, "{days} days overall");
        }
    }

    #[test]
    fn rotation_without_iat_is_unknown() {
        let shape = jwt_claims(None, Some(&["CS"]));
        let report = evaluate(&Policy::default(), &input(&shape)).expect("evaluates");
        let rotation = report.check(CheckId::Rotation).expect("rotation");
        assert_eq!(rotation.status, CheckStatus::Unknown);
        assert!(rotation.message.contains("no iat"), "{}", rotation.message);
        // Unknown does not change the overall result.
        assert_eq!(report.status, CheckStatus::Pass);
        assert_eq!(report.exit_code(), 0);
    }

    #[test]
    fn opaque_token_age_from_creation_date() {
        let shape = TokenShape::Opaque;
        let unknown = evaluate(&Policy::default(), &input(&shape)).expect("evaluates");
        assert_eq!(status(&unknown, CheckId::Rotation), CheckStatus::Unknown);
        assert!(
            unknown
                .check(CheckId::Rotation)
                .expect("rotation")
                .message
                .contains("--token-created")
        );

        let today = OffsetDateTime::from_unix_timestamp(NOW)
            .expect("valid")
            .date();
        for (days, expected) in [
            (74, CheckStatus::Pass),
            (75, CheckStatus::Warn),
            (90, CheckStatus::Warn),
            (91, CheckStatus::Fail),
        ] {
            let created = today - time::Duration::days(days);
            let report = evaluate(
                &Policy::default(),
                &CheckInput {
                    created: Some(created),
                    ..input(&shape)
                },
            )
            .expect("evaluates");
            assert_eq!(status(&report, CheckId::Rotation), expected, "{days} days");
            let Some(CheckResult {
                details:
                    CheckDetails::Rotation {
                        age_source,
                        created_at,
                        ..
                    },
                ..
            }) = report.check(CheckId::Rotation)
            else {
                panic!("rotation details");
            };
            assert_eq!(*age_source, AgeSource::CreationDate);
            assert_eq!(
                created_at.as_deref(),
                Some(format!("{created}T00:00:00Z").as_str())
            );
        }

        let future = today + time::Duration::days(2);
        let err = evaluate(
            &Policy::default(),
            &CheckInput {
                created: Some(future),
                ..input(&shape)
            },
        )
        .expect_err("future date");
        assert_eq!(err.code(), ErrorCode::InvalidArgument);
    }

    #[test]
    fn iat_wins_over_creation_date() {
        let shape = jwt_claims(Some(NOW - 10 * DAY), Some(&["CS"]));
        let created = OffsetDateTime::from_unix_timestamp(NOW - 200 * DAY)
            .expect("valid")
            .date();
        let report = evaluate(
            &Policy::default(),
            &CheckInput {
                created: Some(created),
                ..input(&shape)
            },
        )
        .expect("evaluates");
        assert_eq!(status(&report, CheckId::Rotation), CheckStatus::Pass);
    }

    #[test]
    fn creation_date_parsing() {
        assert_eq!(
            parse_creation_date(" 2026-09-30 ").expect("valid"),
            time::macros::date!(2026 - 09 - 30)
        );
        for bad in ["2026-9-30", "30.09.2026", "2026-02-30", "yesterday", ""] {
            let err = parse_creation_date(bad).expect_err(bad);
            assert_eq!(err.code(), ErrorCode::InvalidArgument, "{bad}");
        }
    }

    #[test]
    fn creation_date_sources() {
        let env = |value: &'static str| {
            move |name: &str| (name == ENV_TOKEN_CREATED).then(|| value.to_owned())
        };
        let from_env = creation_date(None, env("2026-09-30")).expect("valid");
        assert_eq!(from_env, Some(time::macros::date!(2026 - 09 - 30)));
        let explicit = creation_date(Some("2026-01-02"), env("2026-09-30")).expect("valid");
        assert_eq!(
            explicit,
            Some(time::macros::date!(2026 - 01 - 02)),
            "explicit wins"
        );
        assert_eq!(
            creation_date(None, env("  ")).expect("blank is unset"),
            None
        );
        assert_eq!(creation_date(None, |_: &str| None).expect("unset"), None);

        let bad = creation_date(None, env("30.09.2026")).expect_err("malformed");
        assert_eq!(bad.code(), ErrorCode::InvalidArgument);
        let tomorrow = OffsetDateTime::now_utc().date() + time::Duration::days(1);
        let future = creation_date(Some(&tomorrow.to_string()), |_: &str| None)
            .expect_err("a date in the future");
        assert!(future.to_string().contains("in the future"), "{future}");
    }

    #[test]
    fn scopes_exact_and_extra() {
        let exact = jwt_claims(Some(NOW), Some(&["CS"]));
        let report = evaluate(&Policy::default(), &input(&exact)).expect("evaluates");
        assert_eq!(status(&report, CheckId::Scopes), CheckStatus::Pass);

        let extra = jwt_claims(Some(NOW), Some(&["CS", "VM SCANNER", "ADMIN"]));
        let warned = evaluate(&Policy::default(), &input(&extra)).expect("evaluates");
        let scopes = warned.check(CheckId::Scopes).expect("scopes");
        assert_eq!(scopes.status, CheckStatus::Warn);
        assert!(
            scopes.message.contains("VM SCANNER, ADMIN"),
            "{}",
            scopes.message
        );
        let CheckDetails::Scopes {
            extra: listed,
            missing,
            ..
        } = &scopes.details
        else {
            panic!("scope details");
        };
        assert_eq!(listed, &vec!["VM SCANNER".to_owned(), "ADMIN".to_owned()]);
        assert!(missing.is_empty());
        assert_eq!(warned.exit_code(), 0);

        let strict = Policy {
            extra_scopes: Severity::Fail,
            ..Policy::default()
        };
        let failed = evaluate(&strict, &input(&extra)).expect("evaluates");
        assert_eq!(status(&failed, CheckId::Scopes), CheckStatus::Fail);
        assert_eq!(failed.status, CheckStatus::Fail);
        assert_eq!(failed.exit_code(), 23);
        let exact_strict = evaluate(&strict, &input(&exact)).expect("evaluates");
        assert_eq!(status(&exact_strict, CheckId::Scopes), CheckStatus::Pass);
    }

    #[test]
    fn scopes_missing_and_unknown() {
        let lacking = jwt_claims(Some(NOW), Some(&["VM SCANNER"]));
        let report = evaluate(&Policy::default(), &input(&lacking)).expect("evaluates");
        let scopes = report.check(CheckId::Scopes).expect("scopes");
        assert_eq!(scopes.status, CheckStatus::Fail);
        assert!(scopes.message.contains("CS"), "{}", scopes.message);

        let several = Policy {
            required_scopes: vec!["CS".into(), "VM SCANNER".into()],
            ..Policy::default()
        };
        let both = jwt_claims(Some(NOW), Some(&["vm scanner", "CS"]));
        let report = evaluate(&several, &input(&both)).expect("evaluates");
        assert_eq!(status(&report, CheckId::Scopes), CheckStatus::Pass);

        let no_claim = jwt_claims(Some(NOW), None);
        let report = evaluate(&Policy::default(), &input(&no_claim)).expect("evaluates");
        assert_eq!(status(&report, CheckId::Scopes), CheckStatus::Unknown);
        let opaque = evaluate(&Policy::default(), &input(&TokenShape::Opaque)).expect("evaluates");
        assert_eq!(status(&opaque, CheckId::Scopes), CheckStatus::Unknown);
    }

    #[test]
    fn expiry_states() {
        let expired = TokenShape::Jwt(Claims {
            exp: Some(NOW),
            modules_allowed: Some(vec!["CS".into()]),
            ..Claims::default()
        });
        let report = evaluate(&Policy::default(), &input(&expired)).expect("evaluates");
        assert_eq!(status(&report, CheckId::Expiry), CheckStatus::Fail);
        assert_eq!(report.exit_code(), 23);
        let valid = jwt_claims(Some(NOW), Some(&["CS"]));
        let report = evaluate(&Policy::default(), &input(&valid)).expect("evaluates");
        assert_eq!(status(&report, CheckId::Expiry), CheckStatus::Pass);
    }

    #[test]
    fn shared_token_in_variables() {
        let shape = jwt_claims(Some(NOW), Some(&["CS"]));
        let vars = variable_tokens(
            "QUALYS_ACCESS_TOKEN",
            [
                (
                    "QUALYS_ACCESS_TOKEN_DEV".to_owned(),
                    "same-token-value".to_owned(),
                ),
                (
                    "QUALYS_ACCESS_TOKEN_PROD".to_owned(),
                    "same-token-value\n".to_owned(),
                ),
                (
                    "QUALYS_ACCESS_TOKEN_QA".to_owned(),
                    "other-token-value".to_owned(),
                ),
                (
                    "QUALYS_ACCESS_TOKEN".to_owned(),
                    "same-token-value".to_owned(),
                ),
                ("QUALYS_ACCESS_TOKEN_EMPTY".to_owned(), "  ".to_owned()),
                ("UNRELATED".to_owned(), "same-token-value".to_owned()),
            ],
        );
        assert_eq!(vars.len(), 3, "{vars:?}");
        let report = evaluate(
            &Policy::default(),
            &CheckInput {
                variable_tokens: &vars,
                ..input(&shape)
            },
        )
        .expect("evaluates");
        let separation = report.check(CheckId::SeparateTokens).expect("separation");
        assert_eq!(separation.status, CheckStatus::Warn);
        let CheckDetails::SeparateTokens { shared } = &separation.details else {
            panic!("separation details");
        };
        assert_eq!(shared.len(), 1);
        assert_eq!(
            shared[0].token_fingerprint,
            token::fingerprint("same-token-value")
        );
        assert_eq!(
            shared[0].environments,
            vec!["DEV".to_owned(), "PROD".to_owned()]
        );
        assert_eq!(shared[0].seen_in, vec!["variables"]);
        assert!(!separation.message.contains("same-token-value"));

        let strict = Policy {
            shared_token: Severity::Fail,
            ..Policy::default()
        };
        let report = evaluate(
            &strict,
            &CheckInput {
                variable_tokens: &vars,
                ..input(&shape)
            },
        )
        .expect("evaluates");
        assert_eq!(status(&report, CheckId::SeparateTokens), CheckStatus::Fail);
    }

    #[test]
    fn shared_token_in_audit_log() {
        let shape = jwt_claims(Some(NOW), Some(&["CS"]));
        let mut history = AuditHistory::default();
        history.environments_by_fingerprint.insert(
            "0011223344556677".into(),
            BTreeSet::from(["dev".to_owned()]),
        );
        let prod = Policy {
            environment: Some("prod".into()),
            ..Policy::default()
        };
        let report = evaluate(
            &prod,
            &CheckInput {
                audit_history: Some(&history),
                ..input(&shape)
            },
        )
        .expect("evaluates");
        let separation = report.check(CheckId::SeparateTokens).expect("separation");
        assert_eq!(separation.status, CheckStatus::Warn);
        let CheckDetails::SeparateTokens { shared } = &separation.details else {
            panic!("separation details");
        };
        assert_eq!(
            shared[0].environments,
            vec!["DEV".to_owned(), "PROD".to_owned()]
        );
        assert_eq!(shared[0].seen_in, vec!["audit-log"]);

        // The same environment again is no conflict.
        let dev = Policy {
            environment: Some("dev".into()),
            ..Policy::default()
        };
        let report = evaluate(
            &dev,
            &CheckInput {
                audit_history: Some(&history),
                ..input(&shape)
            },
        )
        .expect("evaluates");
        assert_eq!(status(&report, CheckId::SeparateTokens), CheckStatus::Pass);
    }

    #[test]
    fn verification_outcomes() {
        let shape = jwt_claims(Some(NOW), Some(&["CS"]));
        let rejected = evaluate(
            &Policy::default(),
            &CheckInput {
                verification: Verification::Failed {
                    code: ErrorCode::TokenRejected,
                    message: "HTTP 401".into(),
                },
                ..input(&shape)
            },
        )
        .expect("evaluates");
        let check = rejected.check(CheckId::Verification).expect("verification");
        assert_eq!(check.status, CheckStatus::Fail);
        assert!(
            check.message.contains("expired or revoked"),
            "{}",
            check.message
        );
        assert_eq!(rejected.exit_code(), 22);
        let json = serde_json::to_value(&rejected).expect("serializes");
        let verification = json["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .find(|c| c["id"] == "verification")
            .expect("verification entry");
        assert_eq!(verification["outcome"], "token_rejected");
        assert_eq!(verification["exit_code"], 22);

        let verified = evaluate(
            &Policy::default(),
            &CheckInput {
                verification: Verification::Verified,
                ..input(&shape)
            },
        )
        .expect("evaluates");
        assert_eq!(status(&verified, CheckId::Verification), CheckStatus::Pass);
        let offline = evaluate(&Policy::default(), &input(&shape)).expect("evaluates");
        assert_eq!(
            status(&offline, CheckId::Verification),
            CheckStatus::Skipped
        );
    }

    #[test]
    fn into_result_lists_failures() {
        let old = jwt_claims(Some(NOW - 200 * DAY), Some(&["CS"]));
        let report = evaluate(&Policy::default(), &input(&old)).expect("evaluates");
        let err = report.into_result().expect_err("fails");
        assert_eq!(err.code(), ErrorCode::PolicyFailed);
        assert!(err.to_string().contains("rotation"), "{err}");
        let fresh = jwt_claims(Some(NOW), Some(&["CS"]));
        let report = evaluate(&Policy::default(), &input(&fresh)).expect("evaluates");
        assert!(report.into_result().is_ok());
    }
}
