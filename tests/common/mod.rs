//! Helpers shared by the integration tests: a simulator per test, session
//! configurations that trust its CA, and a log capture for canary checks.

#![allow(dead_code)]

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use qualys_ci_auth::platform::Platform;
use qualys_ci_auth::{Credential, Gateway, HttpSettings, RetryPolicy, SessionConfig};
use qualys_gateway_simulator::{Simulator, SimulatorConfig};
use secrecy::SecretString;

/// Secret values that must never appear in any output, log or error.
pub const CANARY_PASSWORD: &str = "CANARY-pw-7f3a&+%= \"quoted\" é ü 日本";
pub const CANARY_USER: &str = "canary-user";

pub async fn simulator() -> Simulator {
    simulator_with(SimulatorConfig::default()).await
}

pub async fn simulator_with(config: SimulatorConfig) -> Simulator {
    capture_logs();
    Simulator::start(config).await.expect("simulator starts")
}

/// A retry policy short enough for tests.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        deadline: Duration::from_secs(10),
    }
}

pub fn config(simulator: &Simulator, credential: Credential, platform: Platform) -> SessionConfig {
    let gateway = Gateway::from_url(&simulator.url(), false).expect("simulator URL is valid");
    let mut config = SessionConfig::new(gateway, credential, platform);
    config.http = HttpSettings {
        extra_ca_pem: Some(simulator.ca_pem()),
        request_timeout: Duration::from_secs(5),
        ..HttpSettings::default()
    };
    config.retry = fast_retry();
    config
}

pub fn password(username: &str, password: &str) -> Credential {
    Credential::UsernamePassword {
        username: username.to_owned(),
        password: SecretString::from(password.to_owned()),
    }
}

pub fn api_token(token: &str) -> Credential {
    Credential::ApiToken(SecretString::from(token.to_owned()))
}

#[derive(Clone, Default)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

static LOGS: OnceLock<SharedBuffer> = OnceLock::new();

/// Installs a TRACE-level subscriber, for every crate, that writes into a
/// buffer, once per test binary.
pub fn capture_logs() {
    LOGS.get_or_init(|| {
        let buffer = SharedBuffer::default();
        let writer = buffer.clone();
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .try_init();
        buffer
    });
}

/// Returns everything logged so far in this test binary.
pub fn logs() -> String {
    let buffer = LOGS.get().expect("capture_logs was called");
    String::from_utf8_lossy(&buffer.0.lock().expect("log buffer")).into_owned()
}

/// Asserts that no form of `secret` appears in `text`.
pub fn assert_no_secret(text: &str, secret: &str, what: &str) {
    for form in qualys_ci_auth::mask::mask_forms(secret, None) {
        assert!(
            !text.contains(&form),
            "{what} contains a form of the secret: {form:?}"
        );
    }
}
