//! The Docker credential helper protocol (docker/docker-credential-helpers).
//!
//! A helper is the program `docker-credential-<name>` on `PATH`, run with one
//! action as its only argument: `store` reads `{"ServerURL","Username","Secret"}`
//! as JSON on standard input; `get` reads the server URL on standard input
//! and prints that JSON; `erase` reads the server URL. A failing helper exits
//! non-zero with its message on standard output. The secret travels on
//! standard input only, never in the helper's arguments or environment.

use std::io::{Read as _, Write as _};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::credential::RegistryCredential;
use crate::error::{Error, Result};
use crate::mask::mask_forms;

/// Time a helper may take for one action. Keychain helpers can wait for a
/// desktop unlock prompt, which a CI job cannot answer, so this is bounded.
pub const HELPER_TIMEOUT: Duration = Duration::from_secs(60);

/// The message helpers print when an entry does not exist; it is part of the
/// protocol (`credentials.errCredentialsNotFoundMessage`).
const NOT_FOUND_MESSAGE: &str = "credentials not found in native keychain";

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct StoreRequest<'a> {
    #[serde(rename = "ServerURL")]
    server_url: &'a str,
    username: &'a str,
    secret: &'a str,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetResponse {
    username: String,
    secret: SecretString,
}

/// Checks a helper name from `credsStore` or `credHelpers`: it becomes part
/// of a program name, so it may not contain a path separator.
pub fn validate_name(name: &str, config_path: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.');
    if valid {
        Ok(())
    } else {
        Err(Error::ConfigMalformed {
            path: config_path.to_owned(),
            cause: format!(
                "the credential helper name '{}' is not a plain program suffix (letters, digits, '-', '_', '.')",
                name.escape_debug()
            ),
        })
    }
}

/// Stores the credential under `server_url`, then reads it back with `get`
/// and checks that the helper returns the same user name and secret.
pub fn store(helper: &str, server_url: &str, credential: &RegistryCredential) -> Result<()> {
    let secret = credential.password.expose_secret();
    let request = StoreRequest {
        server_url,
        username: &credential.username,
        secret,
    };
    let input = Zeroizing::new(
        serde_json::to_vec(&request)
            .map_err(|e| Error::internal(format!("encoding the helper request failed: {e}")))?,
    );
    run(helper, "store", &input, secret)?;

    let output = Zeroizing::new(run(helper, "get", server_url.as_bytes(), secret)?);
    let stored: GetResponse =
        serde_json::from_slice(&output).map_err(|e| Error::CredentialHelper {
            helper: helper.to_owned(),
            action: "return the stored credential (get)".into(),
            cause: format!("its output is not the protocol's JSON object: {e}"),
        })?;
    if stored.username != credential.username || stored.secret.expose_secret() != secret {
        return Err(Error::CredentialHelper {
            helper: helper.to_owned(),
            action: "keep the stored credential".into(),
            cause: format!(
                "after `store`, `get` for {server_url} returned a different user name or secret; the login was not saved"
            ),
        });
    }
    Ok(())
}

/// Erases the entry for `server_url`. Returns `false` when the helper had none.
pub fn erase(helper: &str, server_url: &str) -> Result<bool> {
    match run(helper, "erase", server_url.as_bytes(), "") {
        Ok(_) => Ok(true),
        Err(Error::CredentialHelper { cause, .. }) if cause.contains(NOT_FOUND_MESSAGE) => {
            Ok(false)
        }
        Err(other) => Err(other),
    }
}

/// Blocks SIGPIPE on the calling thread, so that writing to a helper that
/// has exited fails with EPIPE instead of ending the whole process. Rust
/// programs ignore SIGPIPE from start-up, but a C program that loads this
/// library keeps the default action, which terminates it. The signal that
/// such a write raises is directed at the writing thread, and Linux
/// discards a thread's pending signals when the thread ends.
#[cfg(unix)]
fn block_sigpipe_on_this_thread() {
    // SAFETY: the calls only fill the local signal set and change the
    // signal mask of this thread, which runs nothing but the write.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

/// Runs `docker-credential-<helper> <action>` with `input` on standard input
/// and returns its standard output. `secret` is removed from any helper
/// output that ends up in an error message.
fn run(helper: &str, action: &str, input: &[u8], secret: &str) -> Result<Vec<u8>> {
    let program = format!("docker-credential-{helper}");
    let failure = |cause: String| Error::CredentialHelper {
        helper: helper.to_owned(),
        action: action.to_owned(),
        cause,
    };

    let mut child = Command::new(&program)
        .arg(action)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                failure(format!(
                    "{program} was not found on PATH; install it, or remove the helper from credsStore or credHelpers in the Docker config"
                ))
            } else {
                failure(format!("starting {program} failed: {e}"))
            }
        })?;

    // Writing and reading happen on separate threads, so that a helper that
    // writes much before reading cannot deadlock with us.
    let mut stdin = child.stdin.take().expect("stdin was requested as a pipe");
    let mut stdout = child.stdout.take().expect("stdout was requested as a pipe");
    let mut stderr = child.stderr.take().expect("stderr was requested as a pipe");
    let payload = Zeroizing::new(input.to_vec());
    let writer = std::thread::spawn(move || {
        #[cfg(unix)]
        block_sigpipe_on_this_thread();
        let result = stdin.write_all(&payload);
        drop(stdin);
        result
    });
    let out_reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        stdout.read_to_end(&mut bytes).map(|_| bytes)
    });
    let err_reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        stderr.read_to_end(&mut bytes).map(|_| bytes)
    });

    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= HELPER_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(failure(format!(
                    "{program} did not finish within {}s and was stopped",
                    HELPER_TIMEOUT.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(failure(format!("waiting for {program} failed: {e}"))),
        }
    };

    let write_result = writer
        .join()
        .map_err(|_| failure("the stdin writer thread panicked".into()))?;
    let stdout = out_reader
        .join()
        .map_err(|_| failure("the stdout reader thread panicked".into()))?
        .map_err(|e| failure(format!("reading its output failed: {e}")))?;
    let stderr = err_reader
        .join()
        .map_err(|_| failure("the stderr reader thread panicked".into()))?
        .unwrap_or_default();

    if !status.success() {
        let message = describe_output(&stdout, &stderr, secret);
        return Err(failure(format!(
            "{program} {action} exited with {status}{message}"
        )));
    }
    if let Err(e) = write_result {
        return Err(failure(format!(
            "writing to its standard input failed: {e}"
        )));
    }
    Ok(stdout)
}

/// The helper's own words, short and with every form of the secret masked.
fn describe_output(stdout: &[u8], stderr: &[u8], secret: &str) -> String {
    let mut text = format!(
        "{} {}",
        String::from_utf8_lossy(stdout).trim(),
        String::from_utf8_lossy(stderr).trim()
    )
    .trim()
    .to_owned();
    if !secret.is_empty() {
        for form in mask_forms(secret, None) {
            text = text.replace(&form, "****");
        }
    }
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match text.char_indices().nth(300) {
        _ if text.is_empty() => String::new(),
        Some((cut, _)) => format!(": {}...", &text[..cut]),
        None => format!(": {text}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_paths_rejected() {
        for bad in ["", "../x", "a/b", ".hidden", "a b", "x;y"] {
            let error = validate_name(bad, "/tmp/config.json").unwrap_err();
            assert_eq!(error.code(), crate::ErrorCode::ConfigMalformed, "{bad}");
        }
        for good in [
            "desktop",
            "pass",
            "ecr-login",
            "osxkeychain",
            "gcloud",
            "acr_env.2",
        ] {
            validate_name(good, "/tmp/config.json").expect(good);
        }
    }

    #[test]
    fn output_masks_the_secret() {
        let text = describe_output(b"bad secret CANARY-helper-pw", b"", "CANARY-helper-pw");
        assert!(!text.contains("CANARY-helper-pw"), "{text}");
        assert!(text.contains("****"), "{text}");
        assert_eq!(describe_output(b"", b"  ", "x"), "");
        assert!(describe_output(&[b'a'; 1000], b"", "").ends_with("..."));
    }

    #[test]
    fn missing_helper_is_explained() {
        let credential = RegistryCredential::new(
            "robot",
            SecretString::from("CANARY-missing-helper".to_owned()),
        )
        .expect("valid");
        let error = store(
            "qca-test-no-such-helper",
            "registry.example.com",
            &credential,
        )
        .unwrap_err();
        assert_eq!(error.code(), crate::ErrorCode::CredentialHelperFailed);
        let message = error.to_string();
        assert!(message.contains("not found on PATH"), "{message}");
        assert!(!message.contains("CANARY-missing-helper"), "{message}");
    }
}
