//! `demo`: both authentication flows against an embedded gateway simulator,
//! through the same session code that `login` uses, with no Qualys account.

use qualys_ci_auth::platform::Platform;
use qualys_ci_auth::{
    Credential, Error, Gateway, HttpSettings, LoginSummary, Result, Session, SessionConfig,
};
use qualys_gateway_simulator::{Simulator, SimulatorConfig, TokenSpec};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Serialize;

use super::{Format, output};

/// The demo user that the simulator registers at start.
const DEMO_USER: &str = "demo-user";
const DEMO_PASSWORD: &str = "demo-password";

#[derive(Serialize)]
struct DemoFlow {
    name: &'static str,
    summary: LoginSummary,
    /// The variables a following scanner step receives, secrets masked.
    pipeline_environment: Vec<(String, String)>,
}

#[derive(Serialize)]
struct DemoReport {
    simulator_url: String,
    flows: Vec<DemoFlow>,
    rule_check: String,
    auth_requests: u64,
}

pub async fn run(format: Format) -> Result<u8> {
    let simulator = Simulator::start(SimulatorConfig::default())
        .await
        .map_err(|e| Error::internal(format!("starting the gateway simulator failed: {e}")))?;
    let url = simulator.url();
    let ca_pem = simulator.ca_pem();
    if format == Format::Text {
        output::println_stdout(&format!(
            "Gateway simulator listening on {url} (loopback only, throwaway CA); no request leaves this machine.\n"
        ));
    }
    let gateway = Gateway::from_url(&url, false)?;
    let http = HttpSettings {
        extra_ca_pem: Some(ca_pem),
        ..HttpSettings::default()
    };

    let sensor_credential = Credential::UsernamePassword {
        username: DEMO_USER.to_owned(),
        password: SecretString::from(DEMO_PASSWORD.to_owned()),
    };
    let sensor = run_flow(
        "CICD Sensor on Jenkins: user name and password exchanged for a JWT",
        session(&gateway, &http, sensor_credential, Platform::Jenkins)?,
        format,
    )
    .await?;

    let api_token = simulator.mint_token(TokenSpec::jwt("demo-scanner", &["CS"]));
    let qscanner = run_flow(
        "QScanner on any platform: API access token as the bearer token",
        session(
            &gateway,
            &http,
            Credential::ApiToken(SecretString::from(api_token)),
            Platform::GithubActions,
        )?,
        format,
    )
    .await?;

    let rejected = Session::new(SessionConfig::new(
        gateway.clone(),
        Credential::UsernamePassword {
            username: DEMO_USER.to_owned(),
            password: SecretString::from(DEMO_PASSWORD.to_owned()),
        },
        Platform::GithubActions,
    ));
    let rule_check = match rejected {
        Err(e) => e.to_string(),
        Ok(_) => {
            return Err(Error::internal(
                "the rule table accepted a password on GitHub Actions",
            ));
        }
    };
    let auth_requests = simulator.auth_requests().total;

    match format {
        Format::Json => output::print_json(&DemoReport {
            simulator_url: url,
            flows: vec![sensor, qscanner],
            rule_check,
            auth_requests,
        }),
        Format::Text => {
            output::println_stdout(
                "Rule check: a user name and password on GitHub Actions is rejected:",
            );
            output::println_stdout(&format!("  {rule_check}\n"));
            output::println_stdout(&format!(
                "The simulator received {auth_requests} POST /auth request(s). Both flows succeeded."
            ));
        }
    }
    simulator.shutdown().await;
    Ok(0)
}

fn session(
    gateway: &Gateway,
    http: &HttpSettings,
    credential: Credential,
    platform: Platform,
) -> Result<Session> {
    let mut config = SessionConfig::new(gateway.clone(), credential, platform);
    config.http = http.clone();
    Session::new(config)
}

async fn run_flow(name: &'static str, session: Session, format: Format) -> Result<DemoFlow> {
    let summary = session.login().await?;
    let token = session.bearer_token().await?;
    let pipeline_environment = vec![
        ("QUALYS_ACCESS_TOKEN".to_owned(), masked(&token)),
        ("QUALYS_GATEWAY_URL".to_owned(), summary.gateway.clone()),
        (
            "QUALYS_POD".to_owned(),
            summary.pod.clone().unwrap_or_default(),
        ),
    ];
    if format == Format::Text {
        output::println_stdout(&format!("== {name}"));
        output::print_login(&summary, format);
        output::println_stdout("  a following scanner step receives:");
        for (key, value) in &pipeline_environment {
            output::println_stdout(&format!("    {key}={value}"));
        }
        output::println_stdout("");
    }
    Ok(DemoFlow {
        name,
        summary,
        pipeline_environment,
    })
}

/// Shows a secret as asterisks with its length, never any of its characters.
fn masked(token: &SecretString) -> String {
    format!(
        "******** ({} characters, masked)",
        token.expose_secret().len()
    )
}
