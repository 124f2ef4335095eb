//! What the CLI prints: short text for people, stable JSON for machines.
//! Results go to standard output, logs and errors to standard error.

use std::io::Write as _;

use qualys_ci_auth::token::InspectReport;
use qualys_ci_auth::{Error, LoginSummary, PODS, Platform};
use serde::Serialize;

use super::Format;

/// Prints the final error once: a line on standard error, and with
/// `--format json` also a JSON object on standard output.
pub fn print_error(error: &Error, format: Format) {
    let code = error.code();
    eprintln!("error: {error}");
    if format == Format::Json {
        let body = serde_json::json!({
            "error": {
                "code": code.as_str(),
                "exit_code": code.exit_code(),
                "message": error.to_string(),
            }
        });
        println_stdout(&body.to_string());
    }
}

/// Writes a line to standard output; a closed pipe (`| head`) is not an error.
pub fn println_stdout(line: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}

pub fn print_json(value: &impl Serialize) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println_stdout(&text),
        Err(e) => eprintln!("error: formatting JSON output failed: {e}"),
    }
}

/// Registers every form of the secrets with the GitHub Actions log masker
/// before anything else is printed. Other platforms mask through their own
/// hosts (Jenkins plugin, Azure DevOps task) or their variable settings.
pub fn register_masks(platform: Platform, forms: &[String], to_stderr: bool) {
    if platform != Platform::GithubActions {
        return;
    }
    for form in forms {
        let line = format!("::add-mask::{form}");
        if to_stderr {
            eprintln!("{line}");
        } else {
            println_stdout(&line);
        }
    }
}

pub fn print_pods(format: Format) {
    match format {
        Format::Json => print_json(&serde_json::json!({ "pods": PODS })),
        Format::Text => {
            println_stdout(&format!(
                "{:<5} {:<34} {}",
                "POD", "LISTED HOST (ALIAS)", "API GATEWAY (CALLED)"
            ));
            for pod in &PODS {
                println_stdout(&format!(
                    "{:<5} {:<34} {}",
                    pod.name, pod.listed_url, pod.gateway_url
                ));
            }
        }
    }
}

pub fn print_login(summary: &LoginSummary, format: Format) {
    match format {
        Format::Json => print_json(summary),
        Format::Text => {
            let pod = summary
                .pod
                .as_deref()
                .map(|p| format!(" (POD {p})"))
                .unwrap_or_default();
            println_stdout(&format!("Authenticated to {}{pod}", summary.gateway));
            println_stdout(&format!("  backend:     {}", summary.backend));
            println_stdout(&format!("  platform:    {}", summary.platform));
            println_stdout(&format!("  credential:  {}", kebab(&summary.credential)));
            println_stdout(&format!(
                "  user:        {}",
                summary.user.as_deref().unwrap_or("unknown")
            ));
            println_stdout(&format!(
                "  token:       {} (fingerprint {})",
                summary.token_kind, summary.token_fingerprint
            ));
            let expiry = match (&summary.expires_at, summary.expires_in_seconds) {
                (Some(at), Some(left)) => format!("{at} (in {})", human_duration(left)),
                _ => "unknown (the token is not a JWT)".into(),
            };
            println_stdout(&format!("  expires:     {expiry}"));
            let scopes = summary
                .scopes
                .as_ref()
                .map(|s| s.join(", "))
                .unwrap_or_else(|| "unknown (the token is not a JWT)".into());
            println_stdout(&format!("  scopes:      {scopes}"));
            println_stdout(&format!(
                "  verified:    {}",
                if summary.verified { "yes" } else { "no" }
            ));
        }
    }
}

pub fn print_inspect(report: &InspectReport, format: Format) {
    if format == Format::Json {
        print_json(report);
        return;
    }
    let unknown = |v: Option<String>| v.unwrap_or_else(|| "unknown".into());
    println_stdout(&format!(
        "token:        {} (fingerprint {})",
        report.token_kind, report.token_fingerprint
    ));
    if report.token_kind == "opaque" {
        println_stdout(
            "claims:       unknown: the token is not a JWT, so only the gateway can tell its user, expiry and scopes",
        );
        return;
    }
    println_stdout(&format!("user:         {}", unknown(report.user.clone())));
    println_stdout(&format!(
        "type:         {}",
        unknown(report.credential_type.clone())
    ));
    println_stdout(&format!(
        "issued:       {}",
        unknown(report.issued_at.clone())
    ));
    let expiry = match (report.expires_at.clone(), report.expired) {
        (Some(at), Some(true)) => format!("{at} (expired)"),
        (Some(at), _) => at,
        (None, _) => "unknown".into(),
    };
    println_stdout(&format!("expires:      {expiry}"));
    println_stdout(&format!(
        "age:          {}",
        unknown(report.age_days.map(|d| format!("{d} days")))
    ));
    println_stdout(&format!(
        "scopes:       {}",
        unknown(report.scopes.as_ref().map(|s| s.join(", ")))
    ));
    let cs = match report.container_security {
        Some(true) => "yes",
        Some(false) => "NO: scans need the Container Security (CS) module",
        None => "unknown",
    };
    println_stdout(&format!("container security: {cs}"));
}

fn kebab(value: &impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn human_duration(seconds: i64) -> String {
    if seconds < 0 {
        return "the past".into();
    }
    let (hours, minutes) = (seconds / 3600, (seconds % 3600) / 60);
    if hours > 0 {
        format!("{hours}h {minutes}m")
    } else {
        format!("{minutes}m {}s", seconds % 60)
    }
}
