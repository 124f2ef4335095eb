//! Command-line entry point: starts a simulator, prints one JSON line with
//! its URL and CA certificate for a test harness, and runs until a signal
//! arrives or, with `--exit-on-stdin-eof`, until standard input closes.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use qualys_gateway_simulator::{DEFAULT_JWT_LIFETIME, Simulator, SimulatorConfig};
use serde::Serialize;
use tokio::sync::oneshot;
use tracing::{error, info};
use tracing_subscriber::EnvFilter;

/// Loopback-only HTTPS simulator of the Qualys API gateway, for tests and
/// demos.
#[derive(Parser, Debug)]
#[command(version)]
struct Arguments {
    /// Port to listen on at 127.0.0.1, or 0 for any free port.
    #[arg(long, default_value_t = 0)]
    port: u16,

    /// Lifetime of issued JWTs, in seconds.
    #[arg(long, default_value_t = DEFAULT_JWT_LIFETIME.as_secs())]
    jwt_lifetime_seconds: u64,

    /// File to write the throwaway CA certificate to, in PEM.
    #[arg(long, value_name = "PATH")]
    ca_out: Option<PathBuf>,

    /// File to write the server certificate to, in PEM. With
    /// --tls-key-out, another loopback test server (a container registry,
    /// say) can serve with it, and clients trust both through the one CA.
    #[arg(long, value_name = "PATH", requires = "tls_key_out")]
    tls_cert_out: Option<PathBuf>,

    /// File to write the server certificate's private key to (PKCS#8 PEM),
    /// created with mode 0600 on Unix.
    #[arg(long, value_name = "PATH", requires = "tls_cert_out")]
    tls_key_out: Option<PathBuf>,

    /// Exit when standard input reaches end of file, so that the simulator
    /// stops when the harness that started it dies.
    #[arg(long)]
    exit_on_stdin_eof: bool,
}

/// The line printed on standard output once the simulator is listening.
#[derive(Serialize)]
struct ReadyLine<'a> {
    url: String,
    ca_pem: &'a str,
    ca_file: Option<&'a str>,
    pid: u32,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Test harnesses capture stderr into files, where color codes are noise.
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();

    let arguments = Arguments::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            error!(%error, "failed to start the Tokio runtime");
            return ExitCode::FAILURE;
        }
    };

    match runtime.block_on(run(arguments)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            error!("{message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(arguments: Arguments) -> Result<(), String> {
    // The path goes into the JSON line, which can only carry UTF-8.
    let ca_file = match &arguments.ca_out {
        Some(path) => Some(path.to_str().ok_or_else(|| {
            format!(
                "invalid --ca-out {}: the path is not valid UTF-8",
                path.display()
            )
        })?),
        None => None,
    };

    // Installed before the ready line, so that a harness may send a signal
    // or close standard input as soon as it has read the line.
    let stop_triggers = StopTriggers::install(arguments.exit_on_stdin_eof)?;

    let config = SimulatorConfig {
        jwt_lifetime: Duration::from_secs(arguments.jwt_lifetime_seconds),
        port: arguments.port,
    };
    let simulator = Simulator::start(config)
        .await
        .map_err(|error| error.to_string())?;
    let ca_pem = simulator.ca_pem();

    if let Some(path) = ca_file {
        std::fs::write(path, &ca_pem)
            .map_err(|error| format!("failed to write the CA certificate to {path}: {error}"))?;
    }
    if let (Some(cert_path), Some(key_path)) = (&arguments.tls_cert_out, &arguments.tls_key_out) {
        write_server_identity(&simulator, cert_path, key_path)?;
    }

    let ready_line = ReadyLine {
        url: simulator.url(),
        ca_pem: &ca_pem,
        ca_file,
        pid: std::process::id(),
    };
    let json = serde_json::to_string(&ready_line)
        .map_err(|error| format!("failed to serialize the ready line: {error}"))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{json}")
        .and_then(|()| stdout.flush())
        .map_err(|error| format!("failed to write the ready line to standard output: {error}"))?;
    drop(stdout);

    let reason = stop_triggers.wait().await;
    info!(reason, "stopping");
    simulator.shutdown().await;
    Ok(())
}

/// Writes the server certificate and its private key, the key readable by
/// the owner only.
fn write_server_identity(
    simulator: &Simulator,
    cert_path: &Path,
    key_path: &Path,
) -> Result<(), String> {
    std::fs::write(cert_path, simulator.server_cert_pem()).map_err(|error| {
        format!(
            "failed to write the server certificate to {}: {error}",
            cert_path.display()
        )
    })?;

    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(key_path)
        .and_then(|mut file| file.write_all(simulator.server_key_pem().as_bytes()))
        .map_err(|error| {
            format!(
                "failed to write the server key to {}: {error}",
                key_path.display()
            )
        })
}

/// The events that stop the simulator.
struct StopTriggers {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    /// Receiver that fires at end of file on standard input. It is `None`
    /// unless `--exit-on-stdin-eof` is given.
    stdin_closed: Option<oneshot::Receiver<()>>,
}

impl StopTriggers {
    fn install(exit_on_stdin_eof: bool) -> Result<Self, String> {
        let stdin_closed = if exit_on_stdin_eof {
            Some(watch_stdin()?)
        } else {
            None
        };

        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let interrupt = signal(SignalKind::interrupt())
                .map_err(|error| format!("failed to install the SIGINT handler: {error}"))?;
            let terminate = signal(SignalKind::terminate())
                .map_err(|error| format!("failed to install the SIGTERM handler: {error}"))?;
            Ok(Self {
                interrupt,
                terminate,
                stdin_closed,
            })
        }

        #[cfg(not(unix))]
        {
            Ok(Self { stdin_closed })
        }
    }

    /// Waits for the first trigger and returns its name.
    async fn wait(mut self) -> &'static str {
        let stdin_closed = async {
            match self.stdin_closed.take() {
                // A dropped sender also means the watcher saw the end.
                Some(receiver) => {
                    let _ = receiver.await;
                }
                None => std::future::pending::<()>().await,
            }
        };

        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => "SIGINT",
                _ = self.terminate.recv() => "SIGTERM",
                () = stdin_closed => "standard input closed",
            }
        }

        #[cfg(not(unix))]
        {
            tokio::select! {
                result = tokio::signal::ctrl_c() => match result {
                    Ok(()) => "Ctrl-C",
                    Err(error) => {
                        error!(%error, "failed to listen for Ctrl-C; stopping");
                        "Ctrl-C listener failure"
                    }
                },
                () = stdin_closed => "standard input closed",
            }
        }
    }
}

/// Reads standard input on a plain thread until end of file or an error.
///
/// Tokio's `Stdin` documentation (tokio 1.x) warns that its read cannot be
/// cancelled and can delay runtime shutdown, and it recommends a dedicated
/// thread for interactive input. This thread is detached and dies with the
/// process.
fn watch_stdin() -> Result<oneshot::Receiver<()>, String> {
    let (sender, receiver) = oneshot::channel();
    std::thread::Builder::new()
        .name("stdin-watch".to_owned())
        .spawn(move || {
            let mut stdin = std::io::stdin().lock();
            let mut buffer = [0_u8; 1024];
            loop {
                match stdin.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            let _ = sender.send(());
        })
        .map_err(|error| format!("failed to start the standard input watcher thread: {error}"))?;
    Ok(receiver)
}
