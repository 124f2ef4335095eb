//! Reading secrets: from a named environment variable, a file, standard
//! input or a no-echo prompt on a terminal. Never from an option value.

use std::io::{IsTerminal as _, Read as _};
use std::path::Path;

use qualys_ci_auth::platform::Backend;
use qualys_ci_auth::{Credential, Error, Result};
use secrecy::SecretString;
use zeroize::Zeroizing;

use super::args::{CredentialArgs, TokenSourceArgs};

/// Largest secret file or standard input read, in bytes.
const MAX_SECRET_BYTES: u64 = 64 * 1024;

/// Picks the credential: an API token unless the CICD Sensor backend is
/// requested or only a user name is available.
pub fn credential(args: &CredentialArgs, backend: Option<Backend>) -> Result<Credential> {
    let wants_password = match backend {
        Some(Backend::CicdSensor) => true,
        Some(Backend::Qscanner) => false,
        None => {
            let token_given = args.token.token_file.is_some()
                || args.token.token_stdin
                || env_value(&args.token.token_env).is_some();
            !token_given
                && args
                    .username
                    .as_deref()
                    .is_some_and(|u| !u.trim().is_empty())
        }
    };
    if wants_password {
        password_credential(args)
    } else {
        Ok(Credential::ApiToken(api_token(&args.token)?))
    }
}

/// Reads the API token from the first source given.
pub fn api_token(args: &TokenSourceArgs) -> Result<SecretString> {
    if let Some(path) = &args.token_file {
        return read_file(path, "access token");
    }
    if args.token_stdin {
        return read_stdin("access token");
    }
    if let Some(value) = env_value(&args.token_env) {
        return Ok(value);
    }
    if std::io::stdin().is_terminal() {
        return prompt("Qualys API access token: ");
    }
    Err(Error::MissingCredential {
        message: format!(
            "no API access token found: set the environment variable {} (from your CI system's secret store), \
             or pass --token-file PATH or --token-stdin",
            args.token_env
        ),
    })
}

fn password_credential(args: &CredentialArgs) -> Result<Credential> {
    let username = args
        .username
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| Error::MissingCredential {
            message: "no Qualys user name: set QUALYS_USERNAME or pass --username".into(),
        })?
        .to_owned();
    let password = if let Some(path) = &args.password_file {
        read_file(path, "password")?
    } else if args.password_stdin {
        read_stdin("password")?
    } else if let Some(value) = env_value(&args.password_env) {
        value
    } else if std::io::stdin().is_terminal() {
        prompt(&format!("Qualys password for {username}: "))?
    } else {
        return Err(Error::MissingCredential {
            message: format!(
                "no password found for user '{username}': set the environment variable {}, or pass --password-file PATH or --password-stdin",
                args.password_env
            ),
        });
    };
    Ok(Credential::UsernamePassword { username, password })
}

fn env_value(name: &str) -> Option<SecretString> {
    let value = Zeroizing::new(std::env::var(name).ok()?);
    (!value.trim().is_empty()).then(|| SecretString::from(value.as_str().to_owned()))
}

fn read_file(path: &Path, what: &str) -> Result<SecretString> {
    let file = std::fs::File::open(path).map_err(|e| {
        Error::io(
            format!("opening the {what} file"),
            path.display().to_string(),
            e,
        )
    })?;
    read_limited(file, what, &format!("file {}", path.display()))
}

pub(super) fn read_stdin(what: &str) -> Result<SecretString> {
    read_limited(std::io::stdin().lock(), what, "standard input")
}

fn read_limited(reader: impl std::io::Read, what: &str, source: &str) -> Result<SecretString> {
    let mut bytes = Zeroizing::new(Vec::new());
    reader
        .take(MAX_SECRET_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(format!("reading the {what} from"), source, e))?;
    if bytes.len() as u64 > MAX_SECRET_BYTES {
        return Err(Error::InvalidArgument {
            message: format!(
                "the {what} in {source} is larger than {MAX_SECRET_BYTES} bytes; it must hold only the {what}"
            ),
        });
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| Error::InvalidArgument {
        message: format!("the {what} in {source} is not valid UTF-8 text"),
    })?;
    // One trailing line break comes from `echo` or an editor; it is not part of the secret.
    let text = text.strip_suffix('\n').unwrap_or(text);
    let text = text.strip_suffix('\r').unwrap_or(text);
    if text.is_empty() {
        return Err(Error::MissingCredential {
            message: format!("the {what} in {source} is empty"),
        });
    }
    Ok(SecretString::from(text.to_owned()))
}

fn prompt(label: &str) -> Result<SecretString> {
    let value = Zeroizing::new(
        rpassword::prompt_password(label)
            .map_err(|e| Error::io("reading the secret from", "the terminal", e))?,
    );
    if value.is_empty() {
        return Err(Error::MissingCredential {
            message: "nothing was entered at the prompt".into(),
        });
    }
    Ok(SecretString::from(value.as_str().to_owned()))
}
