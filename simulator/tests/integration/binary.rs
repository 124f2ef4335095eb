//! The `qualys-gateway-simulator` binary: its ready line, its CA and server
//! certificate files, how it stops, and what it logs.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{
    DEMO_PASSWORD, DEMO_USER, client_for_ca, jwt_claims, list_images, session_token,
};

const BINARY: &str = env!("CARGO_BIN_EXE_qualys-gateway-simulator");
const EXIT_TIMEOUT: Duration = Duration::from_secs(10);

/// A started binary with its parsed ready line.
struct Started {
    child: Child,
    ready: Value,
    /// Kept open so the rest of stdout can be checked after exit.
    stdout: BufReader<ChildStdout>,
    /// Collects standard error while the child runs, so that a full pipe
    /// never blocks its logging.
    stderr: JoinHandle<String>,
}

/// What a stopped binary left behind.
struct Stopped {
    status: ExitStatus,
    /// Standard output after the ready line.
    stdout_rest: String,
    /// Standard error, where the logs go.
    logs: String,
}

impl Started {
    /// Closes standard input and waits for the binary to exit.
    fn stop_by_stdin_eof(mut self) -> Stopped {
        drop(self.child.stdin.take());
        self.collect()
    }

    fn collect(mut self) -> Stopped {
        let status = wait_for_exit(&mut self.child);
        let mut stdout_rest = String::new();
        self.stdout
            .read_to_string(&mut stdout_rest)
            .expect("stdout is readable");
        let logs = self.stderr.join().expect("the stderr reader ends");
        Stopped {
            status,
            stdout_rest,
            logs,
        }
    }
}

fn spawn(arguments: &[&str]) -> Started {
    let mut child = Command::new(BINARY)
        .args(arguments)
        .env("RUST_LOG", "qualys_gateway_simulator=debug")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the simulator binary starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let mut line = String::new();
    stdout
        .read_line(&mut line)
        .expect("the ready line is readable");
    let ready: Value = serde_json::from_str(&line)
        .unwrap_or_else(|error| panic!("the ready line {line:?} is not JSON: {error}"));
    let mut stderr_pipe = child.stderr.take().expect("stderr is piped");
    let stderr = std::thread::spawn(move || {
        let mut logs = String::new();
        let _ = stderr_pipe.read_to_string(&mut logs);
        logs
    });
    Started {
        child,
        ready,
        stdout,
        stderr,
    }
}

fn wait_for_exit(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + EXIT_TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().expect("the child's status is readable") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the simulator binary did not exit within {EXIT_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn temporary_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{}-{name}", std::process::id()))
}

#[tokio::test]
async fn binary_ready_line() {
    let ca_path = temporary_path("ca.pem");
    let ca_argument = ca_path.to_str().expect("the temporary path is UTF-8");
    let started = spawn(&[
        "--port",
        "0",
        "--jwt-lifetime-seconds",
        "90",
        "--ca-out",
        ca_argument,
        "--exit-on-stdin-eof",
    ]);
    let ready = &started.ready;

    let keys: Vec<&String> = ready
        .as_object()
        .expect("the line is an object")
        .keys()
        .collect();
    assert_eq!(keys.len(), 4, "{ready}");
    let url = ready["url"].as_str().expect("url is a string");
    let port: u16 = url
        .strip_prefix("https://127.0.0.1:")
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("url {url:?} is https://127.0.0.1:PORT"));
    assert_ne!(port, 0);
    let ca_pem = ready["ca_pem"].as_str().expect("ca_pem is a string");
    assert!(
        ca_pem.starts_with("-----BEGIN CERTIFICATE-----"),
        "{ca_pem}"
    );
    assert_eq!(ready["ca_file"].as_str(), Some(ca_argument));
    assert_eq!(
        std::fs::read_to_string(&ca_path).expect("the CA file was written"),
        ca_pem
    );
    assert_eq!(ready["pid"].as_u64(), Some(u64::from(started.child.id())));

    let client = client_for_ca(ca_pem);
    let token = session_token(&client, url, DEMO_USER, DEMO_PASSWORD).await;
    let claims = jwt_claims(&token);
    assert_eq!(
        claims["exp"].as_u64().expect("exp") - claims["iat"].as_u64().expect("iat"),
        90
    );
    assert_eq!(
        list_images(&client, url, Some(&token)).await.status(),
        StatusCode::OK
    );

    let stopped = started.stop_by_stdin_eof();
    assert!(stopped.status.success(), "exit status {}", stopped.status);
    assert_eq!(stopped.stdout_rest, "", "stdout holds only the ready line");
    let logs = stopped.logs;
    assert!(logs.contains("/auth"), "requests are logged: {logs}");
    assert!(
        !logs.contains(DEMO_PASSWORD),
        "a password was logged: {logs}"
    );
    assert!(!logs.contains(&token), "a token was logged: {logs}");

    let _ = std::fs::remove_file(&ca_path);
}

#[tokio::test]
async fn binary_writes_server_identity() {
    let cert_path = temporary_path("server.crt");
    let key_path = temporary_path("server.key");
    let started = spawn(&[
        "--tls-cert-out",
        cert_path.to_str().expect("the temporary path is UTF-8"),
        "--tls-key-out",
        key_path.to_str().expect("the temporary path is UTF-8"),
        "--exit-on-stdin-eof",
    ]);

    let cert = std::fs::read_to_string(&cert_path).expect("the certificate was written");
    assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"), "{cert}");
    assert_ne!(
        Some(cert.as_str()),
        started.ready["ca_pem"].as_str(),
        "the server certificate, not the CA"
    );
    let key = std::fs::read_to_string(&key_path).expect("the key was written");
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"), "PKCS#8 PEM");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_path)
            .expect("key metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the key is private: {mode:o}");
    }

    let stopped = started.stop_by_stdin_eof();
    assert!(stopped.status.success(), "exit status {}", stopped.status);
    assert!(!stopped.logs.contains(key.trim()), "the key was logged");
    let _ = std::fs::remove_file(&cert_path);
    let _ = std::fs::remove_file(&key_path);
}

#[test]
fn binary_needs_both_identity_files() {
    let output = Command::new(BINARY)
        .args(["--tls-cert-out", "/nonexistent/server.crt"])
        .stdin(Stdio::null())
        .output()
        .expect("the simulator binary runs");
    assert!(
        !output.status.success(),
        "a certificate without its key is rejected"
    );
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("--tls-key-out"), "{message}");
}

#[tokio::test]
async fn binary_without_ca_file() {
    let started = spawn(&["--exit-on-stdin-eof"]);
    assert_eq!(started.ready["ca_file"], Value::Null);
    let stopped = started.stop_by_stdin_eof();
    assert!(stopped.status.success(), "exit status {}", stopped.status);
    assert!(
        stopped.logs.contains("standard input closed"),
        "{}",
        stopped.logs
    );
}

#[cfg(unix)]
#[tokio::test]
async fn binary_stops_on_sigterm() {
    let started = spawn(&[]);
    let pid = started.child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(killed.success(), "kill -TERM {pid}");
    let stopped = started.collect();
    assert!(stopped.status.success(), "exit status {}", stopped.status);
    assert!(stopped.logs.contains("SIGTERM"), "{}", stopped.logs);
}

#[tokio::test]
async fn binary_rejects_busy_port() {
    let first = spawn(&["--exit-on-stdin-eof"]);
    let url = first.ready["url"].as_str().expect("url is a string");
    let port = url.rsplit(':').next().expect("url has a port");

    let output = Command::new(BINARY)
        .args(["--port", port])
        .stdin(Stdio::null())
        .output()
        .expect("the second binary runs");
    assert!(
        !output.status.success(),
        "a second bind of port {port} succeeded"
    );
    assert!(output.stdout.is_empty(), "no ready line on failure");
    let logs = String::from_utf8_lossy(&output.stderr);
    assert!(logs.contains(&format!("127.0.0.1:{port}")), "{logs}");

    let stopped = first.stop_by_stdin_eof();
    assert!(stopped.status.success(), "exit status {}", stopped.status);
}
