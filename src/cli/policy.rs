//! The token policy on the command line: the policy, environment and audit
//! options shared by every command that uses a token, the `check` and
//! `scan` commands, and the policy warnings of `login`.

use std::io::IsTerminal as _;
use std::path::PathBuf;

use clap::Args;
use qualys_ci_auth::audit::{
    AuditEvent, AuditHistory, AuditLog, AuditSettings, AuditTarget, Operation, RunContext,
};
use qualys_ci_auth::checks::{
    self, CheckDetails, CheckOptions, CheckStatus, PolicyReport, Verification,
};
use qualys_ci_auth::platform::{Backend, CredentialKind, Platform};
use qualys_ci_auth::policy::{self, Policy, PolicyOverrides, PolicySources, Severity};
use qualys_ci_auth::scan::{self, ScanOptions, ScanReport};
use qualys_ci_auth::time_fmt::now_unix;
use qualys_ci_auth::token::{self, InspectedToken};
use qualys_ci_auth::{Credential, Error, LoginSummary, Result, Session};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Serialize;
use time::Date;
use zeroize::Zeroizing;

use super::Format;
use super::args::CredentialArgs;
use super::commands;
use super::output::{self, println_stdout};
use super::secrets;

/// Options of the token policy, the environment label and the audit log.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// Policy file (TOML) [default: qualys-ci-auth.toml in the current directory, when present].
    #[arg(long, value_name = "FILE", env = "QUALYS_POLICY_FILE")]
    pub policy: Option<PathBuf>,

    /// Environment label such as dev or prod: the token is read from
    /// <TOKEN_ENV>_<LABEL> when set, and the label goes into the audit log.
    /// Also QUALYS_ENVIRONMENT.
    #[arg(long, value_name = "LABEL")]
    pub environment: Option<String>,

    /// Day the token was created (YYYY-MM-DD), for tokens without an iat
    /// claim. Also QUALYS_TOKEN_CREATED.
    #[arg(long, value_name = "DATE")]
    pub token_created: Option<String>,

    /// Token age in days from which a warning is reported [default: 75].
    /// Also QUALYS_TOKEN_WARN_AFTER_DAYS.
    #[arg(long, value_name = "DAYS")]
    pub warn_after_days: Option<u32>,

    /// Token age in days past which the check fails [default: 90]. Also
    /// QUALYS_TOKEN_FAIL_AFTER_DAYS.
    #[arg(long, value_name = "DAYS")]
    pub fail_after_days: Option<u32>,

    /// Scopes (modulesAllowed) the job needs, comma-separated [default: CS].
    /// Also QUALYS_REQUIRED_SCOPES.
    #[arg(long, value_name = "SCOPES", value_delimiter = ',')]
    pub required_scopes: Option<Vec<String>>,

    /// Effect of scopes beyond the needed ones [default: warn]. Also QUALYS_EXTRA_SCOPES.
    #[arg(long, value_name = "SEVERITY", value_parser = ["warn", "fail"])]
    pub extra_scopes: Option<String>,

    /// Effect of one token used for several environments [default: warn].
    /// Also QUALYS_SHARED_TOKEN.
    #[arg(long, value_name = "SEVERITY", value_parser = ["warn", "fail"])]
    pub shared_token: Option<String>,

    /// Audit log file (JSON lines), or "off" [default:
    /// $XDG_STATE_HOME/qualys-ci-auth/audit.jsonl, else
    /// ~/.local/state/qualys-ci-auth/audit.jsonl]. Also QUALYS_AUDIT_LOG.
    #[arg(long, value_name = "PATH")]
    pub audit_log: Option<String>,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan [default: .].
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Read every text file, not only pipeline files, scripts and .env files.
    #[arg(long)]
    pub all_files: bool,

    /// Also write the findings as SARIF 2.1.0 to FILE; "-" writes SARIF to
    /// standard output instead of the text or JSON report.
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,

    /// Files larger than this are skipped and listed, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = scan::DEFAULT_MAX_FILE_BYTES)]
    pub max_file_size: u64,
}

/// The resolved policy settings of one command.
pub struct PolicyContext {
    pub policy: Policy,
    pub created: Option<Date>,
    audit_target: AuditTarget,
    audit: Option<AuditLog>,
    run: RunContext,
    /// Source of the token (a variable, file or stream), once it was read.
    token_source: Option<String>,
}

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl PolicyContext {
    /// Resolves the policy (flags over variables over the file over the
    /// defaults), the creation date and the audit log, which is opened now
    /// so that an unwritable path fails before the token is used.
    pub fn from_args(args: &PolicyArgs, platform: Platform) -> Result<Self> {
        let flags = PolicyOverrides {
            warn_after_days: args.warn_after_days,
            fail_after_days: args.fail_after_days,
            required_scopes: args
                .required_scopes
                .as_ref()
                .map(|scopes| policy::split_scopes(&scopes.join(","))),
            extra_scopes: args
                .extra_scopes
                .as_deref()
                .map(str::parse::<Severity>)
                .transpose()?,
            shared_token: args
                .shared_token
                .as_deref()
                .map(str::parse::<Severity>)
                .transpose()?,
            environment: args.environment.clone(),
        };
        let policy = Policy::resolve(&PolicySources::from_process(args.policy.clone(), flags)?)?;
        let created = checks::creation_date(args.token_created.as_deref(), process_env)?;

        let audit_target = AuditTarget::resolve(args.audit_log.as_deref(), process_env);
        let audit = audit_target.open()?;
        Ok(Self {
            policy,
            created,
            audit_target,
            audit,
            run: RunContext::detect_from_process(platform),
            token_source: None,
        })
    }

    /// Reads the credential. With an environment label, an API token is
    /// read from `<TOKEN_ENV>_<LABEL>` (such as `QUALYS_ACCESS_TOKEN_PROD`)
    /// when that variable is set, else from the usual sources.
    pub fn credential(
        &mut self,
        args: &CredentialArgs,
        backend: Option<Backend>,
    ) -> Result<Credential> {
        let explicit_source = args.token.token_file.is_some() || args.token.token_stdin;
        if let Some(label) = &self.policy.environment
            && backend != Some(Backend::CicdSensor)
            && !explicit_source
        {
            let name = policy::token_variable(&args.token.token_env, label);
            if let Some(value) = env_secret(&name) {
                self.token_source = Some(name);
                return Ok(Credential::ApiToken(value));
            }
        }
        let credential = secrets::credential(args, backend)?;
        self.token_source = match &credential {
            Credential::UsernamePassword { .. } => None,
            Credential::ApiToken(_) => Some(if let Some(path) = &args.token.token_file {
                path.display().to_string()
            } else if args.token.token_stdin {
                "standard input".to_owned()
            } else if env_secret(&args.token.token_env).is_some() {
                args.token.token_env.clone()
            } else {
                "the terminal prompt".to_owned()
            }),
        };
        Ok(credential)
    }

    /// Returns the audit settings for a session, when the log is on.
    pub fn audit_settings(&self) -> Option<AuditSettings> {
        self.audit.clone().map(|log| AuditSettings {
            log,
            environment: self.policy.environment.clone(),
            run: self.run.clone(),
        })
    }

    /// Records that the bearer token was handed to the next step.
    pub fn record_token_handout(&self, session: &Session, result: &Result<SecretString>) {
        let Some(settings) = self.audit_settings() else {
            return;
        };
        let user = match (session.credential_kind(), result) {
            (CredentialKind::UsernamePassword, Ok(token)) => session.summary(token, false).user,
            _ => None,
        };
        let record = settings.record(AuditEvent {
            operation: Operation::Token,
            platform: session.platform(),
            gateway: &session.gateway().url,
            backend: session.backend(),
            credential: session.credential_kind(),
            user: user.as_deref(),
            token_fingerprint: result
                .as_ref()
                .ok()
                .map(|token| token::fingerprint(token.expose_secret())),
            error_code: result.as_ref().err().map(|e| e.code().as_str()),
        });
        if let Err(error) = settings.log.append(&record) {
            tracing::warn!(%error, "writing the audit record failed");
        }
    }

    /// Gathers what the checks compare against: the other environments'
    /// token variables and the audit history.
    // NOTE: the whole audit log is read on every `login` and `check`, so their
    // time grows with the log (about 400 bytes per record); rotate long-lived
    // logs, for example with logrotate's copytruncate.
    pub fn check_options(&self, token_env: &str) -> Result<CheckOptions> {
        let audit_history = match self.audit_target.path() {
            Some(path) if self.audit.is_some() => Some(AuditHistory::read(path)?),
            _ => None,
        };
        Ok(CheckOptions {
            created: self.created,
            token_source: self.token_source.clone(),
            variable_tokens: checks::variable_tokens_from_process(token_env),
            audit_history,
        })
    }

    /// Evaluates a token offline (no verification request).
    pub fn evaluate(
        &self,
        token: &InspectedToken,
        credential: CredentialKind,
        token_env: &str,
        verification: Verification,
    ) -> Result<PolicyReport> {
        let options = self.check_options(token_env)?;
        checks::evaluate(
            &self.policy,
            &checks::CheckInput {
                shape: &token.shape,
                fingerprint: &token.fingerprint,
                credential,
                created: options.created,
                token_source: options.token_source.clone(),
                variable_tokens: &options.variable_tokens,
                audit_history: options.audit_history.as_ref(),
                verification,
                now_unix: now_unix(),
            },
        )
    }
}

/// Reads a secret from an environment variable; empty counts as unset.
fn env_secret(name: &str) -> Option<SecretString> {
    let value = Zeroizing::new(std::env::var(name).ok()?);
    (!value.trim().is_empty()).then(|| SecretString::from(value.as_str().to_owned()))
}

/// Returns whether the command names a gateway, so that `check` verifies online.
fn names_gateway(args: &CredentialArgs) -> bool {
    let given = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.trim().is_empty());
    given(&args.gateway.pod) || given(&args.gateway.gateway_url)
}

/// Runs `check`: the policy on the current token, online when a POD or
/// gateway URL is given. Returns 0 (pass or warnings), 23 (a check failed)
/// or the verification error's exit code.
pub async fn check(args: &CredentialArgs, format: Format) -> Result<u8> {
    let platform = commands::platform_from_args(args)?;
    let backend = commands::backend_from_args(args)?;
    let gateway = if names_gateway(args) {
        Some(commands::gateway_from_args(&args.gateway)?)
    } else {
        None
    };
    let mut context = PolicyContext::from_args(&args.policy, platform)?;
    let credential = context.credential(args, backend)?;
    let token_env = args.token.token_env.as_str();

    let report = match (gateway, credential) {
        (None, Credential::UsernamePassword { .. }) => {
            return Err(Error::invalid(
                "checking a user name and password needs --pod or --gateway-url: the token to check is the JWT from the gateway's /auth",
            ));
        }
        (None, Credential::ApiToken(raw)) => {
            let inspected = InspectedToken::parse(raw.expose_secret())?;
            context.evaluate(
                &inspected,
                CredentialKind::ApiToken,
                token_env,
                Verification::NotRun,
            )?
        }
        (Some(gateway), Credential::ApiToken(raw)) => {
            let inspected = InspectedToken::parse(raw.expose_secret())?;
            if token::check_usable(&inspected.shape, now_unix()).is_err() {
                // Never send a token whose own claims show it cannot work.
                context.evaluate(
                    &inspected,
                    CredentialKind::ApiToken,
                    token_env,
                    Verification::SkippedUnusable,
                )?
            } else {
                let credential = Credential::ApiToken(inspected.token.clone());
                let session =
                    commands::session_for(args, gateway, credential, platform, backend, &context)?;
                checks::check_session(
                    &session,
                    &context.policy,
                    &context.check_options(token_env)?,
                )
                .await?
            }
        }
        (Some(gateway), credential @ Credential::UsernamePassword { .. }) => {
            let session =
                commands::session_for(args, gateway, credential, platform, backend, &context)?;
            checks::check_session(
                &session,
                &context.policy,
                &context.check_options(token_env)?,
            )
            .await?
        }
    };

    print_report(&report, format);
    if let Some(failed) = report
        .check(checks::CheckId::Verification)
        .filter(|c| c.status == CheckStatus::Fail)
    {
        eprintln!("error: {}", failed.message);
    }
    Ok(report.exit_code())
}

/// The JSON of `login --format json`: the summary plus the policy report.
#[derive(Serialize)]
struct LoginOutput<'a> {
    #[serde(flatten)]
    summary: &'a LoginSummary,
    checks: &'a PolicyReport,
}

/// Evaluates the policy after a successful login.
pub fn login_report(
    context: &PolicyContext,
    session: &Session,
    token_env: &str,
) -> Result<Option<PolicyReport>> {
    let Some(token) = session.cached_bearer_token() else {
        return Ok(None);
    };
    let inspected = InspectedToken::parse(token.expose_secret())?;
    context
        .evaluate(
            &inspected,
            session.credential_kind(),
            token_env,
            Verification::Verified,
        )
        .map(Some)
}

/// Prints the login summary with the policy's warnings: on standard error
/// for text, as the `checks` field for JSON. `login` reports policy
/// failures but does not fail because of them; `check` is the gate.
pub fn print_login(summary: &LoginSummary, report: Option<&PolicyReport>, format: Format) {
    match (format, report) {
        (Format::Json, Some(report)) => output::print_json(&LoginOutput {
            summary,
            checks: report,
        }),
        (_, report) => {
            output::print_login(summary, format);
            if let Some(report) = report {
                for check in report
                    .checks
                    .iter()
                    .filter(|c| c.status >= CheckStatus::Warn)
                {
                    let label = if check.status == CheckStatus::Fail {
                        "token policy failed"
                    } else {
                        "token policy"
                    };
                    eprintln!(
                        "warning: {label} ({}): {}",
                        check.id.as_str(),
                        check.message
                    );
                }
            }
        }
    }
}

/// Prints a policy report as text or JSON.
pub fn print_report(report: &PolicyReport, format: Format) {
    if format == Format::Json {
        output::print_json(report);
        return;
    }
    let mut heading = format!(
        "Token policy: {}",
        report.status.as_str().to_ascii_uppercase()
    );
    if let Some(environment) = &report.environment {
        heading.push_str(&format!(" (environment {environment})"));
    }
    println_stdout(&heading);
    let source = report
        .token_source
        .as_deref()
        .map(|s| format!(", from {s}"))
        .unwrap_or_default();
    println_stdout(&format!(
        "  {:<16} {} (fingerprint {}){source}",
        "token:", report.token_kind, report.token_fingerprint
    ));
    if let Some(file) = &report.policy.file {
        println_stdout(&format!("  {:<16} {}", "policy file:", file.display()));
    }
    for check in &report.checks {
        println_stdout(&format!(
            "  {:<16} {:<8} {}",
            format!("{}:", check.id.as_str()),
            check.status.as_str(),
            check.message
        ));
        if let CheckDetails::SeparateTokens { shared } = &check.details {
            for entry in shared {
                println_stdout(&format!(
                    "  {:<16} {:<8} {} in {}",
                    "",
                    "",
                    entry.token_fingerprint,
                    entry.environments.join(", ")
                ));
            }
        }
    }
}

/// Runs `scan`. Returns 1 when anything is found, else 0.
pub fn scan(args: &ScanArgs, format: Format) -> Result<u8> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let options = ScanOptions {
        all_files: args.all_files,
        max_file_bytes: args.max_file_size,
        threads: 0,
    };
    let report = scan::scan_paths(&paths, &options)?;

    let sarif_to_stdout = args.sarif.as_ref().is_some_and(|p| p.as_os_str() == "-");
    if let Some(path) = &args.sarif {
        let sarif = scan::sarif::to_sarif_json(&report)?;
        if sarif_to_stdout {
            println_stdout(&sarif);
        } else {
            std::fs::write(path, sarif + "\n")
                .map_err(|e| Error::io("writing the SARIF file", path.display().to_string(), e))?;
        }
    }
    if !sarif_to_stdout {
        match format {
            Format::Json => output::print_json(&report),
            Format::Text => print_scan_text(&report),
        }
    }
    for skipped in &report.skipped {
        eprintln!(
            "warning: not scanned: {} ({})",
            skipped.path, skipped.reason
        );
    }
    Ok(if report.findings.is_empty() { 0 } else { 1 })
}

fn print_scan_text(report: &ScanReport) {
    let color = std::io::stdout().is_terminal();
    for finding in &report.findings {
        let location = format!("{}:{}:{}", finding.path, finding.line, finding.column);
        let location = if color {
            format!("\u{1b}[1m{location}\u{1b}[0m")
        } else {
            location
        };
        println_stdout(&format!(
            "{location}: {}: {}",
            finding.rule.as_str(),
            finding.message
        ));
        println_stdout(&format!("    {}", finding.excerpt));
    }
    let files_with_findings = {
        let mut paths: Vec<&str> = report.findings.iter().map(|f| f.path.as_str()).collect();
        paths.dedup();
        paths.len()
    };
    if report.findings.is_empty() {
        println_stdout(&format!(
            "No committed secrets found ({} files, {} bytes scanned).",
            report.files_scanned, report.bytes_scanned
        ));
    } else {
        println_stdout(&format!(
            "{} committed secret(s) in {files_with_findings} file(s) ({} files, {} bytes scanned).",
            report.findings.len(),
            report.files_scanned,
            report.bytes_scanned
        ));
    }
}
