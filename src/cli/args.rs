//! The command-line interface, declared with clap.
//!
//! No option takes a secret as its value: secrets come from environment
//! variables, files, standard input or a no-echo prompt, because argv is
//! visible to every user of the machine and to process auditing.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::policy::{PolicyArgs, ScanArgs};

#[derive(Debug, Parser)]
#[command(
    name = "qualys-ci-auth",
    version,
    about = "Authenticate CI/CD pipelines to the Qualys platform for container-security scans",
    after_help = "Exit codes: 0 success, 1 general error, 2 invalid arguments, 20 authentication failed, \
                  21 authorization failed, 22 token expired or revoked, 23 token policy failed (check), 30 API error, \
                  31 network error, 32 timeout; scan exits 1 when it finds a secret."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Output format for results on standard output.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Log more on standard error (-v: info, -vv: debug). QUALYS_CI_AUTH_LOG overrides it.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the Qualys PODs with their listed host and the API gateway called.
    Pods,
    /// Authenticate, verify the token with the gateway, and report it.
    Login(CredentialArgs),
    /// Print a valid bearer token on standard output, for a following scanner step.
    Token(CredentialArgs),
    /// Report a token's claims (user, expiry, scopes) without contacting the gateway.
    Inspect(TokenSourceArgs),
    /// Send an authenticated request to the gateway and print the response body.
    Api(ApiArgs),
    /// Run both authentication flows against an embedded gateway simulator.
    Demo,
    /// Log in to or out of a private container registry, for the registry
    /// clients of later steps (no password on the command line, no Docker daemon).
    #[command(subcommand)]
    Registry(super::registry::RegistryCommand),
    /// Check the token against the token policy (age, scopes, expiry, one
    /// token per environment); also verify it online with --pod or --gateway-url.
    Check(CredentialArgs),
    /// Scan files or a repository for committed tokens and passwords.
    Scan(ScanArgs),
}

/// Gateway location and connection settings.
#[derive(Debug, Args)]
pub struct GatewayArgs {
    /// Qualys platform (POD), e.g. US1 or EU2; see `pods`.
    #[arg(long, env = "QUALYS_POD")]
    pub pod: Option<String>,

    /// API gateway URL, for platforms not in `pods` (https only).
    #[arg(long, env = "QUALYS_GATEWAY_URL")]
    pub gateway_url: Option<String>,

    /// Accept a plain http:// gateway URL on a loopback host (for local testing).
    #[arg(long)]
    pub allow_insecure_loopback: bool,

    /// PEM file of extra CA certificates to trust, e.g. a TLS-inspecting proxy's CA.
    #[arg(long, env = "QUALYS_CA_FILE", value_name = "PATH")]
    pub ca_file: Option<PathBuf>,

    /// Proxy URL for gateway requests, or "none" for direct connections. Without it,
    /// HTTPS_PROXY, ALL_PROXY and NO_PROXY from the environment apply. The proxy password
    /// is read from QUALYS_PROXY_PASSWORD, never from an option.
    #[arg(long, env = "QUALYS_PROXY", value_name = "URL")]
    pub proxy: Option<String>,

    /// User name for proxy authentication (with QUALYS_PROXY_PASSWORD).
    #[arg(
        long,
        env = "QUALYS_PROXY_USERNAME",
        value_name = "NAME",
        requires = "proxy"
    )]
    pub proxy_username: Option<String>,

    /// Comma-separated hosts, domains and CIDR ranges that bypass --proxy.
    #[arg(long, value_name = "LIST", requires = "proxy")]
    pub no_proxy: Option<String>,

    /// Seconds allowed for one request.
    #[arg(long, default_value_t = 30, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,

    /// Seconds allowed for the whole operation, retries included.
    #[arg(long, default_value_t = 120, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub deadline: u64,

    /// Attempts per request, the first included, on transient failures.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_attempts: u32,

    /// Path and query of the Container Security call that verifies a token.
    #[arg(long, default_value = qualys_ci_auth::DEFAULT_VERIFY_PATH, value_name = "PATH")]
    pub verify_path: String,
}

/// Sources of the API access token.
#[derive(Debug, Args)]
pub struct TokenSourceArgs {
    /// Environment variable that contains the API access token.
    #[arg(long, default_value = "QUALYS_ACCESS_TOKEN", value_name = "NAME")]
    pub token_env: String,

    /// File that contains the API access token (a trailing newline is fine).
    #[arg(long, value_name = "PATH", conflicts_with = "token_stdin")]
    pub token_file: Option<PathBuf>,

    /// Read the API access token from standard input.
    #[arg(long)]
    pub token_stdin: bool,
}

/// Credentials and platform choice for commands that authenticate.
#[derive(Debug, Args)]
pub struct CredentialArgs {
    #[command(flatten)]
    pub gateway: GatewayArgs,

    #[command(flatten)]
    pub token: TokenSourceArgs,

    /// Backend to authenticate for; by default the credential decides
    /// (API token: qscanner; user name and password: cicd-sensor).
    #[arg(long, value_name = "BACKEND", value_parser = ["qscanner", "cicd-sensor"])]
    pub backend: Option<String>,

    /// CI platform; detected from the runner's variables when omitted.
    #[arg(long, value_name = "PLATFORM", value_parser = ["github-actions", "gitlab-ci", "jenkins", "azure-devops", "shell"])]
    pub platform: Option<String>,

    /// Qualys user name, for the CICD Sensor backend (Jenkins only).
    #[arg(long, env = "QUALYS_USERNAME")]
    pub username: Option<String>,

    /// Environment variable that contains the password.
    #[arg(long, default_value = "QUALYS_PASSWORD", value_name = "NAME")]
    pub password_env: String,

    /// File that holds the password (one trailing newline is removed).
    #[arg(long, value_name = "PATH", conflicts_with = "password_stdin")]
    pub password_file: Option<PathBuf>,

    /// Read the password from standard input.
    #[arg(long, conflicts_with = "token_stdin")]
    pub password_stdin: bool,

    #[command(flatten)]
    pub policy: PolicyArgs,
}

#[derive(Debug, Args)]
pub struct ApiArgs {
    /// HTTP method, e.g. GET or POST.
    pub method: String,

    /// Path and query on the gateway, e.g. /csapi/v1.3/images?pageSize=10.
    pub path: String,

    /// File whose content is sent as the request body ("-" for standard input).
    #[arg(long, value_name = "PATH")]
    pub input: Option<PathBuf>,

    /// Content type of the request body.
    #[arg(long, default_value = "application/json", value_name = "TYPE")]
    pub content_type: String,

    #[command(flatten)]
    pub credentials: CredentialArgs,
}
