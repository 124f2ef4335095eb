//! Private container registry login and logout, without `docker login -p`.
//!
//! `docker login -p PASSWORD` puts the password in the process list and
//! needs a Docker daemon. [`login`] instead takes the credential from
//! memory, a named environment variable or the CI platform's convention,
//! verifies it with the Docker Registry HTTP API V2 (Basic or the Bearer
//! token flow), and stores it where registry clients read it: Docker's
//! `config.json`, or the credential helper that file names. [`logout`]
//! removes exactly that registry's entry. Hosts (the CLI, the C ABI, the
//! Jenkins plugin, the Azure DevOps task) fill in a [`RegistryLogin`] and
//! convert the report or error.
//!
//! ```no_run
//! # async fn run() -> qualys_ci_auth::Result<()> {
//! use qualys_ci_auth::registry::{self, RegistryCredential, RegistryLogin};
//! use secrecy::SecretString;
//!
//! let password = SecretString::from(std::env::var("REGISTRY_TOKEN").unwrap_or_default());
//! let mut request = RegistryLogin::new("registry.example.com/team/app:1.0");
//! request.credential = Some(RegistryCredential::new("robot", password)?);
//! let report = registry::login(&request).await?;
//! println!("stored for {} in {}", report.registry, report.config_path);
//! # Ok(()) }
//! ```

pub mod challenge;
pub mod credential;
pub mod docker_config;
pub mod helper;
pub mod reference;
pub mod verify;

use std::path::PathBuf;

use serde::Serialize;

pub use credential::{CredentialLookup, FoundCredential, RegistryCredential, find_credential};
pub use docker_config::DockerConfigDir;
pub use reference::RegistryRef;
pub use verify::{Verification, VerifySettings};

use crate::error::{Error, Result};
use crate::platform::Platform;
use docker_config::StoredIn;

/// Version of the JSON reports below; bumped only for incompatible changes.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// Everything a registry login needs.
#[derive(Clone, Debug)]
pub struct RegistryLogin {
    /// A registry host (`ghcr.io`, `localhost:5000`) or an image reference
    /// (`ghcr.io/org/app:1.0`, `alpine`).
    pub reference: String,
    /// A credential the host already holds (a Jenkins "Username with
    /// password" credential, an Azure DevOps Docker Registry service
    /// connection, standard input). When `None`, `lookup` and then the
    /// platform's convention are consulted.
    pub credential: Option<RegistryCredential>,
    /// The origin of `credential` for the report: names, never values.
    pub credential_source: Option<String>,
    /// Named environment variables to read the credential from.
    pub lookup: CredentialLookup,
    /// The CI platform, which decides the convention (GitLab CI's
    /// `CI_REGISTRY_*`, GitHub Actions' `GITHUB_TOKEN` for ghcr.io).
    pub platform: Platform,
    /// HTTP, retry and insecure-loopback settings for the API calls.
    pub settings: VerifySettings,
    /// The Docker config directory; `None` means `$DOCKER_CONFIG`, else `~/.docker`.
    pub docker_config: Option<PathBuf>,
}

impl RegistryLogin {
    /// Returns a request for `reference` with default settings, the
    /// platform detected from this process's environment and no credential.
    pub fn new(reference: impl Into<String>) -> Self {
        Self {
            reference: reference.into(),
            credential: None,
            credential_source: None,
            lookup: CredentialLookup::default(),
            platform: Platform::detect_from_process(),
            settings: VerifySettings::default(),
            docker_config: None,
        }
    }
}

/// The outcome of a login; the documented JSON of `registry login --format json`.
#[derive(Clone, Debug, Serialize)]
pub struct RegistryLoginReport {
    pub schema_version: u32,
    /// The normalized registry, such as `docker.io` or `ghcr.io`.
    pub registry: String,
    /// The key of the registry's entry in `config.json`.
    pub config_key: String,
    /// The repository, when the reference named an image.
    pub repository: Option<String>,
    /// `logged-in`, or `skipped` when no credential was found for an image
    /// that needs none.
    pub status: LoginStatus,
    /// The reason the login was skipped.
    pub reason: Option<String>,
    pub username: Option<String>,
    /// The origin of the credential (variable names, never values).
    pub credential_source: Option<String>,
    pub verification: Option<Verification>,
    /// `config-file` or `credential-helper`.
    pub stored_in: Option<StoreKind>,
    pub config_path: String,
    /// The helper that holds the secret, when one does.
    pub credential_helper: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoginStatus {
    LoggedIn,
    Skipped,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StoreKind {
    ConfigFile,
    CredentialHelper,
}

/// Everything a registry logout needs.
#[derive(Clone, Debug)]
pub struct RegistryLogout {
    pub reference: String,
    /// Permits an `http://` loopback reference, as for login.
    pub allow_insecure_loopback: bool,
    pub docker_config: Option<PathBuf>,
}

/// The outcome of a logout; the documented JSON of `registry logout --format json`.
#[derive(Clone, Debug, Serialize)]
pub struct RegistryLogoutReport {
    pub schema_version: u32,
    pub registry: String,
    pub config_key: String,
    pub config_path: String,
    /// Whether any stored credential was removed (file entry or helper entry).
    pub removed: bool,
    pub removed_from_file: bool,
    pub credential_helper: Option<String>,
    /// Whether the helper had an entry to erase; `None` without a helper.
    pub erased_in_helper: Option<bool>,
}

/// Verifies the credential for the registry and stores it; see the module
/// documentation. Reads the process environment for the credential lookup.
pub async fn login(request: &RegistryLogin) -> Result<RegistryLoginReport> {
    login_with_env(request, &|name| std::env::var(name).ok()).await
}

/// As [`login`], with the environment given as a lookup function.
pub async fn login_with_env(
    request: &RegistryLogin,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<RegistryLoginReport> {
    let reference =
        RegistryRef::parse(&request.reference, request.settings.allow_insecure_loopback)?;
    let config_dir = DockerConfigDir::locate(request.docker_config.as_deref(), env)?;
    let config_path = config_dir.file().display().to_string();

    let found = match &request.credential {
        Some(credential) => Some(FoundCredential {
            credential: credential.clone(),
            source: request
                .credential_source
                .clone()
                .unwrap_or_else(|| "given by the caller".into()),
        }),
        None => find_credential(&reference, request.platform, &request.lookup, env)?,
    };

    let mut report = RegistryLoginReport {
        schema_version: REPORT_SCHEMA_VERSION,
        registry: reference.registry.clone(),
        config_key: reference.config_key(),
        repository: reference.repository.clone(),
        status: LoginStatus::Skipped,
        reason: None,
        username: None,
        credential_source: None,
        verification: None,
        stored_in: None,
        config_path,
        credential_helper: None,
    };

    let Some(found) = found else {
        report.reason = Some(no_credential_reason(&reference, request).await?);
        tracing::info!(registry = %reference.registry, "no registry credential found; nothing was stored");
        return Ok(report);
    };

    let verification = verify::verify(&reference, &found.credential, &request.settings).await?;
    tracing::info!(
        registry = %reference.registry,
        user = %found.credential.username,
        verification = verification.as_str(),
        "registry accepted the credential"
    );

    let key = reference.config_key();
    let credential = found.credential.clone();
    let dir = config_dir.clone();
    let stored = tokio::task::spawn_blocking(move || docker_config::store(&dir, &key, &credential))
        .await
        .map_err(|e| Error::internal(format!("the config.json writer task failed: {e}")))??;

    report.status = LoginStatus::LoggedIn;
    report.username = Some(found.credential.username.clone());
    report.credential_source = Some(found.source);
    report.verification = Some(verification);
    match stored {
        StoredIn::File(path) => {
            report.stored_in = Some(StoreKind::ConfigFile);
            report.config_path = path.display().to_string();
        }
        StoredIn::Helper { helper, file } => {
            report.stored_in = Some(StoreKind::CredentialHelper);
            report.credential_helper = Some(helper);
            report.config_path = file.display().to_string();
        }
    }
    tracing::info!(registry = %reference.registry, config = %report.config_path, "registry login stored");
    Ok(report)
}

/// Decides what a login without a credential means: fine for an image that
/// needs none, an error that says where credentials were looked for otherwise.
async fn no_credential_reason(reference: &RegistryRef, request: &RegistryLogin) -> Result<String> {
    if reference.is_docker_hub() {
        return Ok(format!(
            "no credential was found for {reference}; Docker Hub serves public images without one, so nothing was stored"
        ));
    }
    if let Some(why) = verify::anonymous_pull(reference, &request.settings).await? {
        return Ok(format!(
            "no credential was found and none is needed: {why}; nothing was stored"
        ));
    }
    Err(Error::missing(format!(
        "no credential was found for the registry {}, and it does not allow anonymous access{}. {}",
        reference.registry,
        if reference.repository.is_some() {
            " to this image"
        } else {
            " (give an image reference to check anonymous pulls of one image)"
        },
        where_to_put_credentials(request.platform)
    )))
}

fn where_to_put_credentials(platform: Platform) -> &'static str {
    match platform {
        Platform::GithubActions => {
            "For ghcr.io map the workflow token with `env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}`; for other registries pass --username-env NAME and --password-env NAME"
        }
        Platform::GitlabCi => {
            "GitLab's CI_REGISTRY_USER and CI_REGISTRY_PASSWORD apply only to the registry in CI_REGISTRY; for others pass --username-env NAME and --password-env NAME"
        }
        Platform::Jenkins => {
            "Bind a \"Username with password\" credential with withCredentials and pass its variables with --username-env NAME and --password-env NAME"
        }
        Platform::AzureDevops | Platform::Shell => {
            "Pass --username-env NAME and --password-env NAME, or --username NAME with --password-stdin"
        }
    }
}

/// Removes the stored credential for the registry: exactly its entry in
/// `config.json`, and the helper's entry when a helper is configured.
pub async fn logout(request: &RegistryLogout) -> Result<RegistryLogoutReport> {
    logout_with_env(request, &|name| std::env::var(name).ok()).await
}

/// As [`logout`], with the environment given as a lookup function.
pub async fn logout_with_env(
    request: &RegistryLogout,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<RegistryLogoutReport> {
    let reference = RegistryRef::parse(&request.reference, request.allow_insecure_loopback)?;
    let config_dir = DockerConfigDir::locate(request.docker_config.as_deref(), env)?;
    let key = reference.config_key();
    let erased = {
        let key = key.clone();
        tokio::task::spawn_blocking(move || docker_config::erase(&config_dir, &key))
            .await
            .map_err(|e| Error::internal(format!("the config.json writer task failed: {e}")))??
    };
    let (credential_helper, erased_in_helper) = match erased.helper {
        Some((helper, had_entry)) => (Some(helper), Some(had_entry)),
        None => (None, None),
    };
    tracing::info!(registry = %reference.registry, removed = erased.from_file, "registry logout done");
    Ok(RegistryLogoutReport {
        schema_version: REPORT_SCHEMA_VERSION,
        registry: reference.registry,
        config_key: key,
        config_path: erased.file.display().to_string(),
        removed: erased.from_file || erased_in_helper == Some(true),
        removed_from_file: erased.from_file,
        credential_helper,
        erased_in_helper,
    })
}

/// [`login`] for hosts without an async runtime (the C ABI, JNI). Do not
/// call it from inside a Tokio runtime.
pub fn login_blocking(request: &RegistryLogin) -> Result<RegistryLoginReport> {
    crate::blocking::block_on(login(request))?
}

/// [`logout`] for hosts without an async runtime.
pub fn logout_blocking(request: &RegistryLogout) -> Result<RegistryLogoutReport> {
    crate::blocking::block_on(logout(request))?
}
