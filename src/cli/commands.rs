//! One function per subcommand. Each returns the exit code of a success or
//! the error that `run` prints.

use std::io::Read as _;
use std::time::Duration;

use qualys_ci_auth::platform::{Backend, Platform};
use qualys_ci_auth::time_fmt::now_unix;
use qualys_ci_auth::{
    Credential, Error, Gateway, HttpSettings, InspectedToken, Result, RetryPolicy, Session,
    SessionConfig,
};
use qualys_ci_auth::{ExplicitProxy, ProxySettings};
use secrecy::{ExposeSecret as _, SecretString};

use super::args::{ApiArgs, Cli, Command, CredentialArgs, GatewayArgs, TokenSourceArgs};
use super::policy::PolicyContext;
use super::{Format, demo, output, policy};

pub async fn dispatch(cli: Cli) -> Result<u8> {
    let format = cli.format;
    match cli.command {
        Command::Pods => {
            output::print_pods(format);
            Ok(0)
        }
        Command::Login(args) => login(&args, format).await,
        Command::Token(args) => token(&args).await,
        Command::Inspect(args) => inspect(&args, format),
        Command::Api(args) => api(&args).await,
        Command::Demo => demo::run(format).await,
        Command::Registry(command) => super::registry::run(command, format).await,
        Command::Check(args) => policy::check(&args, format).await,
        Command::Scan(args) => policy::scan(&args, format),
    }
}

/// Builds a session from the command line and the environment.
pub fn session_from_args(args: &CredentialArgs) -> Result<Session> {
    Ok(session_and_policy(args)?.0)
}

/// Builds a session and the token policy settings it was built with.
pub fn session_and_policy(args: &CredentialArgs) -> Result<(Session, PolicyContext)> {
    let platform = platform_from_args(args)?;
    let backend = backend_from_args(args)?;
    let gateway = gateway_from_args(&args.gateway)?;
    let mut policy = PolicyContext::from_args(&args.policy, platform)?;
    let credential = policy.credential(args, backend)?;
    let session = session_for(args, gateway, credential, platform, backend, &policy)?;
    Ok((session, policy))
}

pub fn platform_from_args(args: &CredentialArgs) -> Result<Platform> {
    match &args.platform {
        Some(name) => name.parse::<Platform>(),
        None => Ok(Platform::detect_from_process()),
    }
}

pub fn backend_from_args(args: &CredentialArgs) -> Result<Option<Backend>> {
    args.backend
        .as_deref()
        .map(str::parse::<Backend>)
        .transpose()
}

/// Builds a session for a credential already read, with the audit log of `policy`.
pub fn session_for(
    args: &CredentialArgs,
    gateway: Gateway,
    credential: Credential,
    platform: Platform,
    backend: Option<Backend>,
    policy: &PolicyContext,
) -> Result<Session> {
    let mut config = SessionConfig::new(gateway, credential, platform);
    config.backend = backend;
    config.http = http_settings(&args.gateway)?;
    config.retry = RetryPolicy {
        max_attempts: args.gateway.max_attempts,
        deadline: Duration::from_secs(args.gateway.deadline),
        ..RetryPolicy::default()
    };
    config.verify_path = normalize_path(&args.gateway.verify_path)?;
    config.audit = policy.audit_settings();
    Session::new(config)
}

pub fn gateway_from_args(args: &GatewayArgs) -> Result<Gateway> {
    Gateway::resolve(
        args.pod.as_deref(),
        args.gateway_url.as_deref(),
        args.allow_insecure_loopback,
    )
}

fn http_settings(args: &GatewayArgs) -> Result<HttpSettings> {
    let extra_ca_pem = match &args.ca_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| Error::io("reading the CA file", path.display().to_string(), e))?,
        ),
        None => None,
    };
    Ok(HttpSettings {
        extra_ca_pem,
        request_timeout: Duration::from_secs(args.timeout),
        proxy: proxy_settings(args)?,
        ..HttpSettings::default()
    })
}

fn proxy_settings(args: &GatewayArgs) -> Result<ProxySettings> {
    let Some(url) = args
        .proxy
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    else {
        return Ok(ProxySettings::Environment);
    };
    if url.eq_ignore_ascii_case("none") {
        return Ok(ProxySettings::Direct);
    }
    let password = std::env::var("QUALYS_PROXY_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .map(SecretString::from);
    if args.proxy_username.is_some() != password.is_some() {
        return Err(Error::invalid(
            "proxy authentication needs both --proxy-username (or QUALYS_PROXY_USERNAME) and QUALYS_PROXY_PASSWORD",
        ));
    }
    Ok(ProxySettings::Explicit(ExplicitProxy {
        url: url.to_owned(),
        username: args.proxy_username.clone(),
        password,
        no_proxy: args.no_proxy.clone(),
    }))
}

fn normalize_path(path: &str) -> Result<String> {
    let path = path.trim();
    if !path.starts_with('/') || path.contains("://") || path.contains('#') {
        return Err(Error::InvalidArgument {
            message: format!(
                "invalid gateway path '{path}'; give a path that starts with '/', such as /csapi/v1.3/images"
            ),
        });
    }
    Ok(path.to_owned())
}

async fn login(args: &CredentialArgs, format: Format) -> Result<u8> {
    let (session, policy) = session_and_policy(args)?;
    let summary = session.login().await?;
    output::register_masks(session.platform(), &session.mask_forms(), false);
    let report = policy::login_report(&policy, &session, &args.token.token_env)?;
    policy::print_login(&summary, report.as_ref(), format);
    Ok(0)
}

async fn token(args: &CredentialArgs) -> Result<u8> {
    let (session, policy) = session_and_policy(args)?;
    let result = session.bearer_token().await;
    policy.record_token_handout(&session, &result);
    let token = result?;
    // Standard output is usually captured by `$(...)` here, so the mask
    // commands go to standard error.
    // NOTE: this relies on the GitHub Actions runner reading workflow commands
    // from standard error as well as standard output.
    output::register_masks(session.platform(), &session.mask_forms(), true);
    output::println_stdout(token.expose_secret());
    Ok(0)
}

fn inspect(args: &TokenSourceArgs, format: Format) -> Result<u8> {
    let raw = super::secrets::api_token(args)?;
    let inspected = InspectedToken::parse(raw.expose_secret())?;
    output::print_inspect(&inspected.report(now_unix()), format);
    Ok(0)
}

async fn api(args: &ApiArgs) -> Result<u8> {
    let method = reqwest::Method::from_bytes(args.method.trim().to_ascii_uppercase().as_bytes())
        .map_err(|_| Error::InvalidArgument {
            message: format!(
                "invalid HTTP method '{}'; use GET, POST, PUT, PATCH or DELETE",
                args.method
            ),
        })?;
    let path = normalize_path(&args.path)?;
    let body = match &args.input {
        None => None,
        Some(path) if path.as_os_str() == "-" => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| Error::io("reading the request body from", "standard input", e))?;
            Some(bytes)
        }
        Some(path) => Some(std::fs::read(path).map_err(|e| {
            Error::io(
                "reading the request body file",
                path.display().to_string(),
                e,
            )
        })?),
    };

    let session = session_from_args(&args.credentials)?;
    let response = session
        .request(
            method.clone(),
            &path,
            body.as_deref().map(|b| (b, args.content_type.as_str())),
        )
        .await?;
    output::register_masks(session.platform(), &session.mask_forms(), false);

    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(&response.body);
    if !response.body.ends_with(b"\n") && !response.body.is_empty() {
        let _ = stdout.write_all(b"\n");
    }
    let _ = stdout.flush();
    if (200..300).contains(&response.status) {
        Ok(0)
    } else {
        Err(Error::Api {
            target: session.gateway().target(),
            request: format!("{method} {}", path.split('?').next().unwrap_or(&path)),
            detail: format!("HTTP {}", response.status),
            status: Some(response.status),
        })
    }
}
