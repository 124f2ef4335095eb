//! The token policy: how old a token may get, which scopes a job needs, and
//! what a violation does.
//!
//! A policy is built from layers, each overriding the one before: the
//! built-in defaults, the policy file (`qualys-ci-auth.toml` in the current
//! directory, or the file given explicitly), environment variables, then
//! command-line flags. The file is TOML; an unknown key is an error that
//! names the key and the file, so that a typo cannot silently weaken the
//! policy.
//!
//! ```toml
//! environment = "prod"
//!
//! [rotation]
//! warn_after_days = 75
//! fail_after_days = 90
//!
//! [scopes]
//! required = ["CS"]
//! extra = "warn"
//!
//! [environments]
//! shared_token = "warn"
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::token::CONTAINER_SECURITY_MODULE;

/// Name of the policy file looked up in the current directory.
pub const POLICY_FILE_NAME: &str = "qualys-ci-auth.toml";

/// Default token age, in days, from which a warning is reported.
pub const DEFAULT_WARN_AFTER_DAYS: u32 = 75;

/// Default token age, in days, past which the check fails.
pub const DEFAULT_FAIL_AFTER_DAYS: u32 = 90;

/// Maximum length of an environment label, in characters.
pub const MAX_ENVIRONMENT_LEN: usize = 64;

/// Environment variables read by [`PolicyOverrides::from_env`].
pub const ENV_POLICY_FILE: &str = "QUALYS_POLICY_FILE";
pub const ENV_ENVIRONMENT: &str = "QUALYS_ENVIRONMENT";
pub const ENV_WARN_AFTER_DAYS: &str = "QUALYS_TOKEN_WARN_AFTER_DAYS";
pub const ENV_FAIL_AFTER_DAYS: &str = "QUALYS_TOKEN_FAIL_AFTER_DAYS";
pub const ENV_REQUIRED_SCOPES: &str = "QUALYS_REQUIRED_SCOPES";
pub const ENV_EXTRA_SCOPES: &str = "QUALYS_EXTRA_SCOPES";
pub const ENV_SHARED_TOKEN: &str = "QUALYS_SHARED_TOKEN";

/// Effect of a policy violation on the result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Reported as a warning; the check still passes.
    Warn,
    /// The check fails.
    Fail,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Warn => "warn",
            Self::Fail => "fail",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "warn" => Ok(Self::Warn),
            "fail" => Ok(Self::Fail),
            _ => Err(Error::invalid(format!(
                "invalid severity '{}'; use warn or fail",
                s.trim()
            ))),
        }
    }
}

/// The effective policy after all layers are applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// Token age in whole days from which a warning is reported.
    pub warn_after_days: u32,
    /// Token age in whole days past which the check fails.
    pub fail_after_days: u32,
    /// `modulesAllowed` entries the job needs; a missing one fails the check.
    pub required_scopes: Vec<String>,
    /// Effect of scopes beyond `required_scopes`.
    pub extra_scopes: Severity,
    /// Effect of one token used for two environments.
    pub shared_token: Severity,
    /// The environment label of this job (dev, staging, prod), if any.
    pub environment: Option<String>,
    /// The policy file that was applied, if any.
    pub file: Option<PathBuf>,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            warn_after_days: DEFAULT_WARN_AFTER_DAYS,
            fail_after_days: DEFAULT_FAIL_AFTER_DAYS,
            required_scopes: vec![CONTAINER_SECURITY_MODULE.to_owned()],
            extra_scopes: Severity::Warn,
            shared_token: Severity::Warn,
            environment: None,
            file: None,
        }
    }
}

/// One layer of settings; `None` keeps the value of the layer below.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyOverrides {
    pub warn_after_days: Option<u32>,
    pub fail_after_days: Option<u32>,
    pub required_scopes: Option<Vec<String>>,
    pub extra_scopes: Option<Severity>,
    pub shared_token: Option<Severity>,
    pub environment: Option<String>,
}

/// The policy file's schema. Unknown keys are rejected at every level.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    environment: Option<String>,
    rotation: Option<RotationSection>,
    scopes: Option<ScopesSection>,
    environments: Option<EnvironmentsSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RotationSection {
    warn_after_days: Option<u32>,
    fail_after_days: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScopesSection {
    required: Option<Vec<String>>,
    extra: Option<Severity>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvironmentsSection {
    shared_token: Option<Severity>,
}

impl PolicyOverrides {
    /// Parses a policy file's text; `origin` names the file in errors.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Self> {
        let file: PolicyFile = toml::from_str(text).map_err(|e| {
            Error::invalid(format!(
                "invalid policy file '{origin}': {}; see the README for the keys a policy file accepts",
                e.to_string().trim_end()
            ))
        })?;
        let rotation = file.rotation.unwrap_or_default();
        let scopes = file.scopes.unwrap_or_default();
        let environments = file.environments.unwrap_or_default();
        Ok(Self {
            warn_after_days: rotation.warn_after_days,
            fail_after_days: rotation.fail_after_days,
            required_scopes: scopes.required,
            extra_scopes: scopes.extra,
            shared_token: environments.shared_token,
            environment: file.environment,
        })
    }

    /// Reads and parses a policy file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io("reading the policy file", path.display().to_string(), e))?;
        Self::from_toml_str(&text, &path.display().to_string())
    }

    /// Reads the policy variables (`QUALYS_ENVIRONMENT`,
    /// `QUALYS_TOKEN_WARN_AFTER_DAYS`, `QUALYS_TOKEN_FAIL_AFTER_DAYS`,
    /// `QUALYS_REQUIRED_SCOPES` as a comma-separated list,
    /// `QUALYS_EXTRA_SCOPES`, `QUALYS_SHARED_TOKEN`). Empty values count as
    /// unset; malformed ones are an error naming the variable.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let days = |name: &str| -> Result<Option<u32>> {
            get(name)
                .map(|v| {
                    v.trim().parse::<u32>().map_err(|_| {
                        Error::invalid(format!(
                            "invalid {name} '{}'; give a whole number of days",
                            v.trim()
                        ))
                    })
                })
                .transpose()
        };
        let severity = |name: &str| -> Result<Option<Severity>> {
            get(name)
                .map(|v| {
                    v.parse::<Severity>().map_err(|_| {
                        Error::invalid(format!("invalid {name} '{}'; use warn or fail", v.trim()))
                    })
                })
                .transpose()
        };
        Ok(Self {
            warn_after_days: days(ENV_WARN_AFTER_DAYS)?,
            fail_after_days: days(ENV_FAIL_AFTER_DAYS)?,
            required_scopes: get(ENV_REQUIRED_SCOPES).map(|v| split_scopes(&v)),
            extra_scopes: severity(ENV_EXTRA_SCOPES)?,
            shared_token: severity(ENV_SHARED_TOKEN)?,
            environment: get(ENV_ENVIRONMENT),
        })
    }

    fn apply_to(&self, policy: &mut Policy) {
        if let Some(days) = self.warn_after_days {
            policy.warn_after_days = days;
        }
        if let Some(days) = self.fail_after_days {
            policy.fail_after_days = days;
        }
        if let Some(scopes) = &self.required_scopes {
            policy.required_scopes = scopes.clone();
        }
        if let Some(severity) = self.extra_scopes {
            policy.extra_scopes = severity;
        }
        if let Some(severity) = self.shared_token {
            policy.shared_token = severity;
        }
        if let Some(environment) = &self.environment {
            policy.environment = Some(environment.clone());
        }
    }
}

/// Splits a comma-separated scope list, dropping empty entries.
pub fn split_scopes(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Sources of the policy layers.
#[derive(Clone, Debug, Default)]
pub struct PolicySources {
    /// A policy file named explicitly (flag or `QUALYS_POLICY_FILE`); it must exist.
    pub file: Option<PathBuf>,
    /// The directory searched for `qualys-ci-auth.toml` when no file is named.
    pub search_dir: Option<PathBuf>,
    /// The environment-variable layer.
    pub env: PolicyOverrides,
    /// The command-line layer.
    pub flags: PolicyOverrides,
}

impl PolicySources {
    /// Returns the layers a host process applies. The file is `file`, else
    /// the one `QUALYS_POLICY_FILE` names, else `qualys-ci-auth.toml` in the
    /// current directory when it exists. The policy variables of this
    /// process come next, and `overrides` (the CLI's options, the C
    /// interface's settings) on top. Fails on a malformed policy variable.
    pub fn from_process(file: Option<PathBuf>, overrides: PolicyOverrides) -> Result<Self> {
        let env = |name: &str| std::env::var(name).ok();
        let file = file.or_else(|| {
            env(ENV_POLICY_FILE)
                .filter(|value| !value.trim().is_empty())
                .map(PathBuf::from)
        });
        Ok(Self {
            file,
            search_dir: std::env::current_dir().ok(),
            env: PolicyOverrides::from_env(env)?,
            flags: overrides,
        })
    }
}

impl Policy {
    /// Applies the layers in order (defaults, file, environment, flags) and
    /// checks the result.
    pub fn resolve(sources: &PolicySources) -> Result<Self> {
        let file = match (&sources.file, &sources.search_dir) {
            (Some(path), _) => Some(path.clone()),
            (None, Some(dir)) => Some(dir.join(POLICY_FILE_NAME)).filter(|p| p.is_file()),
            (None, None) => None,
        };
        let mut policy = Policy::default();
        if let Some(path) = &file {
            PolicyOverrides::from_file(path)?.apply_to(&mut policy);
            policy.file = Some(path.clone());
        }
        sources.env.apply_to(&mut policy);
        sources.flags.apply_to(&mut policy);
        policy.validate()
    }

    /// Checks the thresholds, scopes and label, and normalizes them.
    pub fn validate(mut self) -> Result<Self> {
        if self.warn_after_days == 0 || self.fail_after_days == 0 {
            return Err(Error::invalid(format!(
                "invalid token age thresholds (warn after {} days, fail after {} days); both must be at least 1",
                self.warn_after_days, self.fail_after_days
            )));
        }
        if self.warn_after_days > self.fail_after_days {
            return Err(Error::invalid(format!(
                "the warning age ({} days) is greater than the failure age ({} days); set warn_after_days to at most fail_after_days",
                self.warn_after_days, self.fail_after_days
            )));
        }
        let mut scopes: Vec<String> = self
            .required_scopes
            .iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        scopes.dedup();
        self.required_scopes = scopes;
        self.environment = match self.environment.take() {
            Some(label) => Some(validate_environment(&label)?),
            None => None,
        };
        Ok(self)
    }
}

/// Trims and checks an environment label: 1 to 64 characters, no
/// whitespace or control characters.
pub fn validate_environment(label: &str) -> Result<String> {
    let label = label.trim();
    if label.is_empty() {
        return Err(Error::invalid(
            "the environment label is empty; give a name such as dev, staging or prod",
        ));
    }
    if label.chars().count() > MAX_ENVIRONMENT_LEN {
        return Err(Error::invalid(format!(
            "the environment label '{label}' is longer than {MAX_ENVIRONMENT_LEN} characters"
        )));
    }
    if label.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid(format!(
            "the environment label '{}' contains whitespace or control characters; use a name such as dev, staging or prod",
            label.escape_debug()
        )));
    }
    Ok(label.to_owned())
}

/// Returns the variable-name suffix for an environment label: upper-cased,
/// with every character other than ASCII letters and digits replaced by `_`
/// (`pre-prod` becomes `PRE_PROD`).
pub fn environment_suffix(label: &str) -> String {
    label
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Returns the name of the variable with the token of one environment, such as
/// `QUALYS_ACCESS_TOKEN_PROD` for `QUALYS_ACCESS_TOKEN` and `prod`.
pub fn token_variable(base: &str, label: &str) -> String {
    format!("{base}_{}", environment_suffix(label))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn defaults() {
        let policy = Policy::resolve(&PolicySources::default()).expect("defaults are valid");
        assert_eq!(policy.warn_after_days, 75);
        assert_eq!(policy.fail_after_days, 90);
        assert_eq!(policy.required_scopes, vec!["CS".to_owned()]);
        assert_eq!(policy.extra_scopes, Severity::Warn);
        assert_eq!(policy.shared_token, Severity::Warn);
        assert_eq!(policy.environment, None);
        assert_eq!(policy.file, None);
    }

    #[test]
    fn file_parses_every_key() {
        let layer = PolicyOverrides::from_toml_str(
            r#"
environment = "prod"
[rotation]
warn_after_days = 30
fail_after_days = 60
[scopes]
required = ["CS", "VM SCANNER"]
extra = "fail"
[environments]
shared_token = "fail"
"#,
            "test.toml",
        )
        .expect("valid file");
        assert_eq!(layer.environment.as_deref(), Some("prod"));
        assert_eq!(layer.warn_after_days, Some(30));
        assert_eq!(layer.fail_after_days, Some(60));
        assert_eq!(
            layer.required_scopes,
            Some(vec!["CS".to_owned(), "VM SCANNER".to_owned()])
        );
        assert_eq!(layer.extra_scopes, Some(Severity::Fail));
        assert_eq!(layer.shared_token, Some(Severity::Fail));
    }

    #[test]
    fn unknown_keys_named_with_file() {
        for (text, key) in [
            ("enviroment = \"prod\"", "enviroment"),
            ("[rotation]\nwarn_days = 3", "warn_days"),
            ("[scopes]\nextras = \"fail\"", "extras"),
            ("[audit]\npath = \"x\"", "audit"),
        ] {
            let err = PolicyOverrides::from_toml_str(text, "/repo/qualys-ci-auth.toml")
                .expect_err("unknown key");
            assert_eq!(err.code(), ErrorCode::InvalidArgument);
            let message = err.to_string();
            assert!(message.contains(key), "{key}: {message}");
            assert!(
                message.contains("/repo/qualys-ci-auth.toml"),
                "{key}: {message}"
            );
        }
    }

    #[test]
    fn bad_values_rejected() {
        let extra = PolicyOverrides::from_toml_str("[scopes]\nextra = \"maybe\"", "p.toml")
            .expect_err("bad severity");
        assert!(extra.to_string().contains("maybe"), "{extra}");
        let days = PolicyOverrides::from_toml_str("[rotation]\nwarn_after_days = -1", "p.toml")
            .expect_err("negative days");
        assert!(days.to_string().contains("p.toml"), "{days}");

        let env = PolicyOverrides::from_env(env_of(&[(ENV_WARN_AFTER_DAYS, "soon")]))
            .expect_err("not a number");
        assert!(env.to_string().contains(ENV_WARN_AFTER_DAYS), "{env}");
        assert!(env.to_string().contains("soon"), "{env}");
        let severity = PolicyOverrides::from_env(env_of(&[(ENV_EXTRA_SCOPES, "loud")]))
            .expect_err("bad severity");
        assert!(
            severity.to_string().contains(ENV_EXTRA_SCOPES),
            "{severity}"
        );
    }

    #[test]
    fn precedence_flags_env_file_defaults() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join(POLICY_FILE_NAME),
            "environment = \"file-env\"\n[rotation]\nwarn_after_days = 10\nfail_after_days = 20\n[scopes]\nextra = \"fail\"\n",
        )
        .expect("write policy");

        let env = PolicyOverrides::from_env(env_of(&[
            (ENV_ENVIRONMENT, "env-env"),
            (ENV_FAIL_AFTER_DAYS, "40"),
        ]))
        .expect("valid env");
        let flags = PolicyOverrides {
            environment: Some("flag-env".into()),
            ..PolicyOverrides::default()
        };
        let policy = Policy::resolve(&PolicySources {
            file: None,
            search_dir: Some(dir.path().to_owned()),
            env,
            flags,
        })
        .expect("valid policy");

        // The flag beats the variable, which beats the file.
        assert_eq!(policy.environment.as_deref(), Some("flag-env"));
        // The variable beats the file.
        assert_eq!(policy.fail_after_days, 40);
        // The file beats the defaults.
        assert_eq!(policy.warn_after_days, 10);
        assert_eq!(policy.extra_scopes, Severity::Fail);
        // Untouched everywhere: the default.
        assert_eq!(policy.shared_token, Severity::Warn);
        assert_eq!(policy.file, Some(dir.path().join(POLICY_FILE_NAME)));
    }

    #[test]
    fn explicit_file_must_exist() {
        let err = Policy::resolve(&PolicySources {
            file: Some(PathBuf::from("/nonexistent/policy.toml")),
            ..PolicySources::default()
        })
        .expect_err("missing file");
        assert_eq!(err.code(), ErrorCode::Io);
        assert!(
            err.to_string().contains("/nonexistent/policy.toml"),
            "{err}"
        );
    }

    #[test]
    fn thresholds_checked() {
        let swapped = Policy {
            warn_after_days: 91,
            ..Policy::default()
        }
        .validate()
        .expect_err("warn after fail");
        assert!(swapped.to_string().contains("91"), "{swapped}");
        let zero = Policy {
            fail_after_days: 0,
            ..Policy::default()
        }
        .validate()
        .expect_err("zero days");
        assert_eq!(zero.code(), ErrorCode::InvalidArgument);
    }

    #[test]
    fn environment_labels() {
        assert_eq!(environment_suffix("prod"), "PROD");
        assert_eq!(environment_suffix("pre-prod.eu"), "PRE_PROD_EU");
        assert_eq!(environment_suffix("stagé"), "STAG_");
        assert_eq!(
            token_variable("QUALYS_ACCESS_TOKEN", "prod"),
            "QUALYS_ACCESS_TOKEN_PROD"
        );
        assert_eq!(validate_environment("  prod ").expect("valid"), "prod");
        assert!(validate_environment("").is_err());
        assert!(validate_environment("two words").is_err());
        assert!(validate_environment(&"x".repeat(65)).is_err());
    }

    #[test]
    fn scope_list_split() {
        assert_eq!(
            split_scopes(" CS, VM SCANNER ,,"),
            vec!["CS".to_owned(), "VM SCANNER".to_owned()]
        );
    }
}
