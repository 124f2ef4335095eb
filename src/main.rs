//! The `qualys-ci-auth` command: Qualys authentication for any CI system and for people.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run()
}
