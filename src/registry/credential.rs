//! Registry credentials and where each CI platform puts them.
//!
//! | Platform | Convention |
//! |---|---|
//! | GitLab CI | `CI_REGISTRY_USER` and `CI_REGISTRY_PASSWORD`, for the registry named by `CI_REGISTRY` |
//! | GitHub Actions | `GITHUB_ACTOR` and `GITHUB_TOKEN` (mapped from `secrets.GITHUB_TOKEN`), for `ghcr.io` |
//! | Jenkins | a "Username with password" credential: the plugin passes it in memory, or `withCredentials` binds it to variables named with `--username-env` and `--password-env` |
//! | Azure DevOps | a Docker Registry service connection: the task reads it and passes it in memory |
//!
//! Anywhere, explicit variable names (`--username-env`, `--password-env`) or
//! standard input take precedence over these conventions. A password is
//! never taken from an option value.

use secrecy::SecretString;
use zeroize::Zeroizing;

use super::reference::RegistryRef;
use crate::error::{Error, Result};
use crate::platform::Platform;

/// A user name and password (or access token) for a registry. `Debug` never
/// shows the password.
#[derive(Clone)]
pub struct RegistryCredential {
    pub username: String,
    pub password: SecretString,
}

impl RegistryCredential {
    /// Builds a credential, rejecting what no registry accepts: an empty
    /// user name or password, and a `:` in the user name (the Basic scheme
    /// and `config.json` join them with `:`).
    pub fn new(username: impl Into<String>, password: SecretString) -> Result<Self> {
        use secrecy::ExposeSecret as _;

        let username = username.into().trim().to_owned();
        if username.is_empty() {
            return Err(Error::missing(
                "the registry user name is empty; pass --username or --username-env NAME",
            ));
        }
        if username.contains(':') || username.chars().any(char::is_control) {
            return Err(Error::invalid(format!(
                "invalid registry user name '{}': it contains ':' or a control character, which Basic authentication cannot carry",
                username.escape_debug()
            )));
        }
        if password.expose_secret().is_empty() {
            return Err(Error::missing(format!(
                "the registry password for user '{username}' is empty"
            )));
        }
        if password.expose_secret().contains(['\n', '\r']) {
            return Err(Error::invalid(format!(
                "the registry password for user '{username}' spans several lines; a password or token is a single line"
            )));
        }
        Ok(Self { username, password })
    }
}

impl RegistryCredential {
    /// Returns every form of the password, and of `user:password` in base64
    /// (the `auth` value in `config.json`), that a host must mask in logs.
    pub fn mask_forms(&self) -> Vec<String> {
        use secrecy::ExposeSecret as _;

        crate::mask::mask_forms(self.password.expose_secret(), Some(&self.username))
    }
}

impl std::fmt::Debug for RegistryCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryCredential")
            .field("username", &self.username)
            .field("password", &"[REDACTED]")
            .finish()
    }
}

/// A credential and a description of where it was found, for reports
/// (names of variables, never values).
#[derive(Clone, Debug)]
pub struct FoundCredential {
    pub credential: RegistryCredential,
    pub source: String,
}

/// Explicit places to look for a credential.
#[derive(Clone, Debug, Default)]
pub struct CredentialLookup {
    /// A user name given directly (user names are not secret).
    pub username: Option<String>,
    /// The environment variable that holds the user name.
    pub username_env: Option<String>,
    /// The environment variable that holds the password or token.
    pub password_env: Option<String>,
}

impl CredentialLookup {
    /// Whether any explicit source was named.
    pub fn is_explicit(&self) -> bool {
        self.username.is_some() || self.username_env.is_some() || self.password_env.is_some()
    }

    /// Resolves the user name from `username` or `username_env`.
    pub fn resolve_username(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<String>> {
        if let Some(name) = self
            .username
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        {
            return Ok(Some(name.to_owned()));
        }
        match &self.username_env {
            Some(variable) => match non_empty(env, variable) {
                Some(value) => Ok(Some(value.trim().to_owned())),
                None => Err(Error::missing(format!(
                    "the environment variable {variable} (--username-env) is not set or empty"
                ))),
            },
            None => Ok(None),
        }
    }
}

/// Finds the credential for `registry`: the explicit sources first, then the
/// platform's convention. `Ok(None)` means none applies.
pub fn find_credential(
    registry: &RegistryRef,
    platform: Platform,
    lookup: &CredentialLookup,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<FoundCredential>> {
    if lookup.is_explicit() {
        let username = lookup.resolve_username(env)?;
        let Some(variable) = &lookup.password_env else {
            return Err(Error::missing(format!(
                "a registry user name source was given but no password source: pass --password-env NAME or --password-stdin{}",
                username
                    .map(|u| format!(" for user '{u}'"))
                    .unwrap_or_default()
            )));
        };
        let password = non_empty(env, variable).ok_or_else(|| {
            Error::missing(format!(
                "the environment variable {variable} (--password-env) is not set or empty; map the registry password or token into it from your CI system's secret store"
            ))
        })?;
        let username = username.ok_or_else(|| {
            Error::missing(format!(
                "no registry user name for the password in {variable}: pass --username NAME or --username-env NAME"
            ))
        })?;
        let source = match &lookup.username_env {
            Some(user_variable) if lookup.username.is_none() => {
                format!("environment {user_variable} and {variable}")
            }
            _ => format!("--username and environment {variable}"),
        };
        return Ok(Some(FoundCredential {
            credential: RegistryCredential::new(
                username,
                SecretString::from(password.to_string()),
            )?,
            source,
        }));
    }

    match platform {
        Platform::GitlabCi => gitlab(registry, env),
        Platform::GithubActions => github(registry, env),
        Platform::Jenkins | Platform::AzureDevops | Platform::Shell => Ok(None),
    }
}

/// GitLab CI: the job's own registry credentials apply to `CI_REGISTRY` only.
fn gitlab(
    registry: &RegistryRef,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<FoundCredential>> {
    let Some(ci_registry) = non_empty(env, "CI_REGISTRY") else {
        return Ok(None);
    };
    let Ok(job_registry) = RegistryRef::parse(&ci_registry, false) else {
        tracing::warn!(
            ci_registry = %ci_registry.as_str(),
            "CI_REGISTRY is not a valid registry host; its credentials are not used"
        );
        return Ok(None);
    };
    if job_registry.registry != registry.registry {
        return Ok(None);
    }
    let username = non_empty(env, "CI_REGISTRY_USER").ok_or_else(|| {
        Error::missing("CI_REGISTRY matches the registry but CI_REGISTRY_USER is not set")
    })?;
    let password = non_empty(env, "CI_REGISTRY_PASSWORD").ok_or_else(|| {
        Error::missing("CI_REGISTRY matches the registry but CI_REGISTRY_PASSWORD is not set")
    })?;
    Ok(Some(FoundCredential {
        credential: RegistryCredential::new(
            username.to_string(),
            SecretString::from(password.to_string()),
        )?,
        source: "GitLab CI: CI_REGISTRY_USER and CI_REGISTRY_PASSWORD".into(),
    }))
}

/// The GitHub Container Registry host.
pub const GHCR: &str = "ghcr.io";

/// GitHub Actions: the workflow token applies to ghcr.io only.
fn github(
    registry: &RegistryRef,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<FoundCredential>> {
    if registry.registry != GHCR {
        return Ok(None);
    }
    let Some(token) = non_empty(env, "GITHUB_TOKEN") else {
        return Ok(None);
    };
    let actor = non_empty(env, "GITHUB_ACTOR").ok_or_else(|| {
        Error::missing("GITHUB_TOKEN is set but GITHUB_ACTOR is not; it names the ghcr.io user")
    })?;
    Ok(Some(FoundCredential {
        credential: RegistryCredential::new(
            actor.to_string(),
            SecretString::from(token.to_string()),
        )?,
        source: "GitHub Actions: GITHUB_ACTOR and GITHUB_TOKEN".into(),
    }))
}

/// Returns a variable's value unless it is missing or blank. The copy is
/// wiped when dropped.
fn non_empty(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<Zeroizing<String>> {
    let value = Zeroizing::new(env(name)?);
    (!value.trim().is_empty()).then_some(value)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use secrecy::ExposeSecret as _;

    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn reference(raw: &str) -> RegistryRef {
        RegistryRef::parse(raw, false).expect("valid reference")
    }

    #[test]
    fn gitlab_job_registry() {
        let env = env_of(&[
            ("CI_REGISTRY", "registry.gitlab.example.com"),
            ("CI_REGISTRY_USER", "gitlab-ci-token"),
            ("CI_REGISTRY_PASSWORD", "CANARY-gitlab-job-token"),
        ]);
        let found = find_credential(
            &reference("registry.gitlab.example.com/group/app:1"),
            Platform::GitlabCi,
            &CredentialLookup::default(),
            &env,
        )
        .expect("no error")
        .expect("found");
        assert_eq!(found.credential.username, "gitlab-ci-token");
        assert_eq!(
            found.credential.password.expose_secret(),
            "CANARY-gitlab-job-token"
        );
        assert!(
            found.source.contains("CI_REGISTRY_USER"),
            "{}",
            found.source
        );

        let other = find_credential(
            &reference("ghcr.io"),
            Platform::GitlabCi,
            &CredentialLookup::default(),
            &env,
        )
        .expect("no error");
        assert!(other.is_none(), "the job token is for CI_REGISTRY only");
    }

    #[test]
    fn gitlab_missing_password_is_named() {
        let env = env_of(&[
            ("CI_REGISTRY", "registry.example.com"),
            ("CI_REGISTRY_USER", "u"),
        ]);
        let message = find_credential(
            &reference("registry.example.com"),
            Platform::GitlabCi,
            &CredentialLookup::default(),
            &env,
        )
        .unwrap_err()
        .to_string();
        assert!(message.contains("CI_REGISTRY_PASSWORD"), "{message}");
    }

    #[test]
    fn github_token_for_ghcr_only() {
        let env = env_of(&[
            ("GITHUB_ACTOR", "octocat"),
            ("GITHUB_TOKEN", "CANARY-ghs-token"),
        ]);
        let found = find_credential(
            &reference("ghcr.io/octocat/app"),
            Platform::GithubActions,
            &CredentialLookup::default(),
            &env,
        )
        .expect("no error")
        .expect("found");
        assert_eq!(found.credential.username, "octocat");
        assert_eq!(
            found.credential.password.expose_secret(),
            "CANARY-ghs-token"
        );

        let docker_hub = find_credential(
            &reference("alpine"),
            Platform::GithubActions,
            &CredentialLookup::default(),
            &env,
        )
        .expect("no error");
        assert!(docker_hub.is_none());

        let elsewhere = find_credential(
            &reference("ghcr.io"),
            Platform::Shell,
            &CredentialLookup::default(),
            &env,
        )
        .expect("no error");
        assert!(
            elsewhere.is_none(),
            "conventions follow the detected platform"
        );
    }

    #[test]
    fn explicit_variables_win() {
        let env = env_of(&[
            ("GITHUB_ACTOR", "octocat"),
            ("GITHUB_TOKEN", "token"),
            ("REG_USER", "robot$ci"),
            ("REG_PASS", "CANARY-explicit"),
        ]);
        let lookup = CredentialLookup {
            username_env: Some("REG_USER".into()),
            password_env: Some("REG_PASS".into()),
            ..CredentialLookup::default()
        };
        let found = find_credential(
            &reference("ghcr.io"),
            Platform::GithubActions,
            &lookup,
            &env,
        )
        .expect("no error")
        .expect("found");
        assert_eq!(found.credential.username, "robot$ci");
        assert_eq!(found.credential.password.expose_secret(), "CANARY-explicit");
        assert_eq!(found.source, "environment REG_USER and REG_PASS");
    }

    #[test]
    fn explicit_sources_must_be_complete() {
        let env = env_of(&[("REG_USER", "robot")]);
        for (lookup, expected) in [
            (
                CredentialLookup {
                    username_env: Some("REG_USER".into()),
                    ..CredentialLookup::default()
                },
                "no password source",
            ),
            (
                CredentialLookup {
                    username_env: Some("REG_USER".into()),
                    password_env: Some("REG_PASS".into()),
                    ..CredentialLookup::default()
                },
                "REG_PASS (--password-env) is not set",
            ),
            (
                CredentialLookup {
                    username_env: Some("NOPE".into()),
                    password_env: Some("REG_USER".into()),
                    ..CredentialLookup::default()
                },
                "NOPE (--username-env) is not set",
            ),
            (
                CredentialLookup {
                    password_env: Some("REG_USER".into()),
                    ..CredentialLookup::default()
                },
                "no registry user name",
            ),
        ] {
            let message = find_credential(&reference("ghcr.io"), Platform::Shell, &lookup, &env)
                .unwrap_err()
                .to_string();
            assert!(message.contains(expected), "{message}");
        }
    }

    #[test]
    fn credential_checks_and_redacts() {
        let secret = || SecretString::from("CANARY-debug-pw".to_owned());
        let credential = RegistryCredential::new(" robot ", secret()).expect("valid");
        assert_eq!(credential.username, "robot");
        let debug = format!("{credential:?}");
        assert!(!debug.contains("CANARY-debug-pw"), "{debug}");
        assert!(debug.contains("robot"), "{debug}");

        assert!(RegistryCredential::new("a:b", secret()).is_err());
        assert!(RegistryCredential::new("", secret()).is_err());
        assert!(RegistryCredential::new("robot", SecretString::from(String::new())).is_err());
        let multi = RegistryCredential::new("robot", SecretString::from("CANARY\nline".to_owned()))
            .unwrap_err()
            .to_string();
        assert!(!multi.contains("CANARY"), "{multi}");
    }
}
