//! Command-line parsing, dispatch and the one place that prints the final error.

mod args;
mod commands;
mod demo;
mod output;
mod policy;
mod registry;
mod secrets;

use std::process::ExitCode;

use clap::Parser as _;

pub use args::{Cli, Format};

/// Parses arguments, runs the command and returns its exit code.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help and version itself; its usage errors exit with 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    init_logging(cli.verbose);

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: starting the async runtime failed: {e}");
            return ExitCode::from(1);
        }
    };
    let format = cli.format;
    match runtime.block_on(commands::dispatch(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            output::print_error(&error, format);
            ExitCode::from(error.code().exit_code())
        }
    }
}

fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;

    let default = match verbose {
        0 => "warn",
        1 => "warn,qualys_ci_auth=info",
        _ => "warn,qualys_ci_auth=debug",
    };
    let filter =
        EnvFilter::try_from_env("QUALYS_CI_AUTH_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
