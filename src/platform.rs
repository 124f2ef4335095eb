//! CI platforms, Qualys backends and the rule that pairs credentials with them.
//!
//! Qualys accepts two kinds of credential for container scans in CI/CD:
//!
//! | Credential | Backend | Platforms |
//! |---|---|---|
//! | API access token (`Authorization: Bearer`) | QScanner | all |
//! | User name and password | CICD Sensor | Jenkins only |

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::error::{Error, Result};

/// The rule as one sentence, quoted in every rejection.
pub const CREDENTIAL_RULE: &str = "an API access token is used with the QScanner backend on every platform; \
     a user name and password are used only with the CICD Sensor backend, and only on Jenkins";

/// The CI system the product runs under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Platform {
    GithubActions,
    GitlabCi,
    Jenkins,
    AzureDevops,
    /// Any other CI system or a person's shell.
    Shell,
}

impl Platform {
    pub const ALL: [Platform; 5] = [
        Self::GithubActions,
        Self::GitlabCi,
        Self::Jenkins,
        Self::AzureDevops,
        Self::Shell,
    ];

    /// Detects the platform from the variables each runner sets.
    pub fn detect(env: impl Fn(&str) -> Option<String>) -> Self {
        let is = |name: &str, value: &str| {
            env(name).is_some_and(|v| v.trim().eq_ignore_ascii_case(value))
        };
        if is("GITHUB_ACTIONS", "true") {
            Self::GithubActions
        } else if is("GITLAB_CI", "true") {
            Self::GitlabCi
        } else if is("TF_BUILD", "true") {
            Self::AzureDevops
        } else if env("JENKINS_URL").is_some_and(|v| !v.trim().is_empty()) {
            Self::Jenkins
        } else {
            Self::Shell
        }
    }

    /// Detects the platform from this process's environment.
    pub fn detect_from_process() -> Self {
        Self::detect(|name| std::env::var(name).ok())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::GithubActions => "github-actions",
            Self::GitlabCi => "gitlab-ci",
            Self::Jenkins => "jenkins",
            Self::AzureDevops => "azure-devops",
            Self::Shell => "shell",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Platform {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let wanted = s.trim();
        Self::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "unknown platform '{wanted}'; valid platforms are github-actions, gitlab-ci, jenkins, azure-devops, shell"
                ))
            })
    }
}

/// The Qualys backend that receives the credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    /// QScanner: API access token as a bearer token.
    Qscanner,
    /// CICD Sensor: user name and password exchanged for a JWT at `POST /auth`.
    CicdSensor,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Qscanner => "qscanner",
            Self::CicdSensor => "cicd-sensor",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Backend {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "qscanner" => Ok(Self::Qscanner),
            "cicd-sensor" => Ok(Self::CicdSensor),
            other => Err(Error::invalid(format!(
                "unknown backend '{other}'; valid backends are qscanner and cicd-sensor"
            ))),
        }
    }
}

/// The kind of credential, without its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CredentialKind {
    ApiToken,
    UsernamePassword,
}

impl CredentialKind {
    /// Returns the one backend this kind of credential is for.
    pub fn backend(self) -> Backend {
        match self {
            Self::ApiToken => Backend::Qscanner,
            Self::UsernamePassword => Backend::CicdSensor,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Self::ApiToken => "an API access token",
            Self::UsernamePassword => "a user name and password",
        }
    }
}

/// Checks a credential against the rule table and returns the backend to use.
///
/// `backend` is what the user asked for, if anything; without it the
/// credential kind decides.
pub fn check_rule(
    kind: CredentialKind,
    backend: Option<Backend>,
    platform: Platform,
) -> Result<Backend> {
    let expected = kind.backend();
    if let Some(requested) = backend
        && requested != expected
    {
        return Err(Error::CredentialNotAllowed {
            message: format!(
                "{} cannot be used with the {requested} backend: {CREDENTIAL_RULE}",
                kind.describe()
            ),
        });
    }
    if kind == CredentialKind::UsernamePassword && platform != Platform::Jenkins {
        return Err(Error::CredentialNotAllowed {
            message: format!(
                "a user name and password are not allowed on {platform}: {CREDENTIAL_RULE}. Use an API access token (QUALYS_ACCESS_TOKEN) instead"
            ),
        });
    }
    Ok(expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn rule_table_every_pairing() {
        for platform in Platform::ALL {
            for backend in [None, Some(Backend::Qscanner), Some(Backend::CicdSensor)] {
                let token = check_rule(CredentialKind::ApiToken, backend, platform);
                if backend == Some(Backend::CicdSensor) {
                    let err = token.expect_err("token with cicd-sensor");
                    assert_eq!(err.code(), ErrorCode::CredentialNotAllowed);
                    assert!(err.to_string().contains(CREDENTIAL_RULE));
                } else {
                    assert_eq!(
                        token.expect("token allowed"),
                        Backend::Qscanner,
                        "{platform}"
                    );
                }

                let password = check_rule(CredentialKind::UsernamePassword, backend, platform);
                let allowed = platform == Platform::Jenkins && backend != Some(Backend::Qscanner);
                if allowed {
                    assert_eq!(password.expect("jenkins password"), Backend::CicdSensor);
                } else {
                    let err = password.expect_err("password rejected");
                    assert_eq!(
                        err.code(),
                        ErrorCode::CredentialNotAllowed,
                        "{platform} {backend:?}"
                    );
                    assert!(err.to_string().contains("only on Jenkins"), "{err}");
                }
            }
        }
    }

    #[test]
    fn detect_each_runner() {
        let cases: [(&[(&str, &str)], Platform); 7] = [
            (&[("GITHUB_ACTIONS", "true")], Platform::GithubActions),
            (&[("GITLAB_CI", "true")], Platform::GitlabCi),
            (&[("TF_BUILD", "True")], Platform::AzureDevops),
            (
                &[
                    ("JENKINS_URL", "https://ci.example.com/"),
                    ("BUILD_URL", "x"),
                ],
                Platform::Jenkins,
            ),
            (&[("JENKINS_URL", "")], Platform::Shell),
            (&[("GITHUB_ACTIONS", "false")], Platform::Shell),
            (&[], Platform::Shell),
        ];
        for (vars, expected) in cases {
            let detected = Platform::detect(|name| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            });
            assert_eq!(detected, expected, "{vars:?}");
        }
    }

    #[test]
    fn parse_names() {
        assert_eq!(
            "Jenkins".parse::<Platform>().expect("jenkins"),
            Platform::Jenkins
        );
        assert_eq!(
            " cicd-sensor ".parse::<Backend>().expect("sensor"),
            Backend::CicdSensor
        );
        let err = "circleci".parse::<Platform>().unwrap_err().to_string();
        assert!(
            err.contains("'circleci'") && err.contains("azure-devops"),
            "{err}"
        );
    }
}
