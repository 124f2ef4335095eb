//! `registry login` and `registry logout`: private container registry
//! credentials for the registry clients of later pipeline steps, without
//! `docker login -p` and without a Docker daemon.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use qualys_ci_auth::platform::Platform;
use qualys_ci_auth::registry::{
    self, CredentialLookup, FoundCredential, LoginStatus, RegistryCredential, RegistryLogin,
    RegistryLoginReport, RegistryLogout, RegistryLogoutReport, RegistryRef, StoreKind,
    VerifySettings,
};
use qualys_ci_auth::{Error, HttpSettings, Result, RetryPolicy};

use super::{Format, output, secrets};

#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Verify registry credentials with the registry's API and store them in
    /// Docker's config.json (or its credential helper) for later steps.
    Login(RegistryLoginArgs),
    /// Remove the stored credential of one registry from config.json (or its
    /// credential helper).
    Logout(RegistryLogoutArgs),
}

#[derive(Debug, Args)]
pub struct RegistryLoginArgs {
    /// Registry host (ghcr.io, localhost:5000, docker.io) or image reference
    /// (ghcr.io/org/app:1.0, alpine).
    #[arg(value_name = "REGISTRY")]
    pub registry: String,

    /// Registry user name (not secret); see also --username-env.
    #[arg(long, value_name = "NAME", conflicts_with = "username_env")]
    pub username: Option<String>,

    /// Environment variable that holds the registry user name.
    #[arg(long, value_name = "NAME")]
    pub username_env: Option<String>,

    /// Environment variable that holds the registry password or access token.
    #[arg(long, value_name = "NAME", conflicts_with = "password_stdin")]
    pub password_env: Option<String>,

    /// Read the registry password or access token from standard input.
    #[arg(long)]
    pub password_stdin: bool,

    /// CI platform, which decides where credentials are looked for by
    /// default; detected from the runner's variables when omitted.
    #[arg(long, value_name = "PLATFORM", value_parser = ["github-actions", "gitlab-ci", "jenkins", "azure-devops", "shell"])]
    pub platform: Option<String>,

    #[command(flatten)]
    pub connection: RegistryConnectionArgs,
}

#[derive(Debug, Args)]
pub struct RegistryLogoutArgs {
    /// Registry host or image reference, as given to `registry login`.
    #[arg(value_name = "REGISTRY")]
    pub registry: String,

    /// Directory of Docker's config.json; default $DOCKER_CONFIG, else ~/.docker.
    #[arg(long, value_name = "DIR")]
    pub docker_config: Option<PathBuf>,

    /// Accept an http:// reference to a loopback registry.
    #[arg(long)]
    pub allow_insecure_loopback: bool,
}

/// How to reach the registry and where to store the login.
#[derive(Debug, Args)]
pub struct RegistryConnectionArgs {
    /// Directory of Docker's config.json; default $DOCKER_CONFIG, else ~/.docker.
    #[arg(long, value_name = "DIR")]
    pub docker_config: Option<PathBuf>,

    /// PEM file of extra CA certificates to trust, e.g. a private registry's CA.
    #[arg(long, value_name = "PATH")]
    pub ca_file: Option<PathBuf>,

    /// Accept an http:// reference to a loopback registry, and a plain-http
    /// token service on a loopback address (for local testing).
    #[arg(long)]
    pub allow_insecure_loopback: bool,

    /// Seconds allowed for one request.
    #[arg(long, default_value_t = 30, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,

    /// Seconds allowed for the whole login, retries included.
    #[arg(long, default_value_t = 120, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub deadline: u64,

    /// Attempts per request, the first included, on transient failures.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_attempts: u32,
}

pub async fn run(command: RegistryCommand, format: Format) -> Result<u8> {
    match command {
        RegistryCommand::Login(args) => login(&args, format).await,
        RegistryCommand::Logout(args) => logout(&args, format).await,
    }
}

async fn login(args: &RegistryLoginArgs, format: Format) -> Result<u8> {
    let platform = match &args.platform {
        Some(name) => name.parse::<Platform>()?,
        None => Platform::detect_from_process(),
    };
    let connection = &args.connection;
    let reference = RegistryRef::parse(&args.registry, connection.allow_insecure_loopback)?;
    let lookup = CredentialLookup {
        username: args.username.clone(),
        username_env: args.username_env.clone(),
        password_env: args.password_env.clone(),
    };

    // The credential is resolved here rather than in the core so that its
    // forms are registered with the log masker before anything is printed.
    let env = |name: &str| std::env::var(name).ok();
    let found = if args.password_stdin {
        let username = lookup.resolve_username(&env)?.ok_or_else(|| {
            Error::missing(
                "--password-stdin needs the registry user name: pass --username NAME or --username-env NAME",
            )
        })?;
        let password = secrets::read_stdin("registry password")?;
        Some(FoundCredential {
            credential: RegistryCredential::new(username, password)?,
            source: "standard input".into(),
        })
    } else {
        registry::find_credential(&reference, platform, &lookup, &env)?
    };
    if let Some(found) = &found {
        output::register_masks(platform, &found.credential.mask_forms(), false);
    }

    let mut request = RegistryLogin::new(args.registry.clone());
    request.platform = platform;
    request.lookup = lookup;
    request.docker_config = connection.docker_config.clone();
    request.settings = settings(connection)?;
    if let Some(found) = found {
        request.credential = Some(found.credential);
        request.credential_source = Some(found.source);
    }

    let report = registry::login(&request).await?;
    print_login(&report, format);
    Ok(0)
}

async fn logout(args: &RegistryLogoutArgs, format: Format) -> Result<u8> {
    let request = RegistryLogout {
        reference: args.registry.clone(),
        allow_insecure_loopback: args.allow_insecure_loopback,
        docker_config: args.docker_config.clone(),
    };
    let report = registry::logout(&request).await?;
    print_logout(&report, format);
    Ok(0)
}

fn settings(args: &RegistryConnectionArgs) -> Result<VerifySettings> {
    let extra_ca_pem = match &args.ca_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| Error::io("reading the CA file", path.display().to_string(), e))?,
        ),
        None => None,
    };
    Ok(VerifySettings {
        http: HttpSettings {
            extra_ca_pem,
            request_timeout: Duration::from_secs(args.timeout),
            ..HttpSettings::default()
        },
        retry: RetryPolicy {
            max_attempts: args.max_attempts,
            deadline: Duration::from_secs(args.deadline),
            ..RetryPolicy::default()
        },
        allow_insecure_loopback: args.allow_insecure_loopback,
    })
}

fn print_login(report: &RegistryLoginReport, format: Format) {
    if format == Format::Json {
        output::print_json(report);
        return;
    }
    match report.status {
        LoginStatus::Skipped => {
            output::println_stdout(&format!(
                "Registry {}: {}",
                report.registry,
                report.reason.as_deref().unwrap_or("skipped")
            ));
        }
        LoginStatus::LoggedIn => {
            output::println_stdout(&format!(
                "Logged in to {} as {}",
                report.registry,
                report.username.as_deref().unwrap_or("unknown")
            ));
            if let Some(source) = &report.credential_source {
                output::println_stdout(&format!("  credential:  {source}"));
            }
            if let Some(verification) = report.verification {
                output::println_stdout(&format!("  verified:    {}", verification.as_str()));
            }
            let stored = match (report.stored_in, &report.credential_helper) {
                (Some(StoreKind::CredentialHelper), Some(helper)) => format!(
                    "credential helper docker-credential-{helper} (entry {} in {})",
                    report.config_key, report.config_path
                ),
                _ => format!("{} (entry {})", report.config_path, report.config_key),
            };
            output::println_stdout(&format!("  stored in:   {stored}"));
        }
    }
}

fn print_logout(report: &RegistryLogoutReport, format: Format) {
    if format == Format::Json {
        output::print_json(report);
        return;
    }
    if report.removed {
        let helper = report
            .credential_helper
            .as_deref()
            .map(|h| format!(" and docker-credential-{h}"))
            .unwrap_or_default();
        output::println_stdout(&format!(
            "Logged out of {}: removed entry {} from {}{helper}",
            report.registry, report.config_key, report.config_path
        ));
    } else {
        output::println_stdout(&format!(
            "Not logged in to {}: {} has no entry {}",
            report.registry, report.config_path, report.config_key
        ));
    }
}
