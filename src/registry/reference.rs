//! Container registry references, normalized the way the Docker CLI does.
//!
//! A reference is either a registry host (`ghcr.io`, `localhost:5000`,
//! `https://registry.example.com`) or a full image reference
//! (`ghcr.io/org/app:1.2`, `alpine`, `docker.io/library/alpine@sha256:...`).
//! The first path component names a registry when it contains a `.` or a `:`
//! or is `localhost`; otherwise the image lives on Docker Hub, and a
//! single-component Docker Hub name gets the `library/` namespace. This is
//! the domain rule of Docker's reference grammar (`splitDockerDomain` in the
//! distribution/reference package).

use std::fmt;
use std::net::IpAddr;

use serde::Serialize;
use url::{Host, Url};

use crate::error::{Error, Result};

/// The host name that Docker Hub references use.
pub const DOCKER_HUB_DOMAIN: &str = "docker.io";

/// The key under which Docker Hub credentials live in `config.json`; the
/// Docker CLI has always used this legacy v1 index URL.
pub const DOCKER_HUB_CONFIG_KEY: &str = "https://index.docker.io/v1/";

/// The host that serves Docker Hub's Registry HTTP API V2.
pub const DOCKER_HUB_API_HOST: &str = "registry-1.docker.io";

/// Host names that all mean Docker Hub.
const DOCKER_HUB_ALIASES: [&str; 3] = ["docker.io", "index.docker.io", "registry-1.docker.io"];

/// A normalized registry reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RegistryRef {
    /// The registry as Docker names it: `docker.io`, or the lowercase host
    /// with its port, such as `ghcr.io` or `127.0.0.1:5000`.
    pub registry: String,
    /// The repository within the registry, such as `library/alpine`, when
    /// the reference names an image.
    pub repository: Option<String>,
    /// The tag or digest of the image, when given (`latest` is not assumed).
    pub tag_or_digest: Option<String>,
    /// Whether the registry is contacted over plain HTTP: only for a
    /// loopback host given as `http://...` with the insecure opt-in.
    pub insecure_http: bool,
}

impl RegistryRef {
    /// Parses and normalizes `raw`. `allow_insecure_loopback` permits an
    /// explicit `http://` scheme for a loopback host.
    pub fn parse(raw: &str, allow_insecure_loopback: bool) -> Result<Self> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(Error::invalid(
                "the registry reference is empty; pass a registry host such as ghcr.io or an image such as ghcr.io/org/app:1.0",
            ));
        }
        if trimmed.contains(char::is_whitespace) {
            return Err(invalid(trimmed, "it contains white space"));
        }

        let (scheme, rest) = match trimmed.split_once("://") {
            Some((scheme, rest)) => (Some(scheme.to_ascii_lowercase()), rest),
            None => (None, trimmed),
        };
        let rest = rest.trim_end_matches('/');

        // Docker's own config key for Docker Hub is a URL with a path.
        if scheme.as_deref() == Some("https") && rest.eq_ignore_ascii_case("index.docker.io/v1") {
            return Ok(Self::docker_hub(None, None));
        }

        let (first, remainder) = match rest.split_once('/') {
            Some((first, remainder)) => (first, Some(remainder)),
            None => (rest, None),
        };
        if first.contains('@') && (remainder.is_some() || scheme.is_some()) {
            return Err(invalid(
                trimmed,
                "the host contains user information; pass credentials through the environment or standard input",
            ));
        }
        // Without a '/', an '@' starts a digest: `alpine@sha256:...` is a Docker Hub image.
        let bare_digest = remainder.is_none() && scheme.is_none() && first.contains('@');
        let names_registry = !bare_digest
            && if remainder.is_none() && scheme.is_none() {
                bare_word_is_host(first)
            } else {
                first.contains('.')
                    || first.contains(':')
                    || first == "localhost"
                    || first.starts_with('[')
                    || scheme.is_some()
            };

        if !names_registry {
            if let Some(scheme) = scheme {
                return Err(invalid(trimmed, &format!("scheme '{scheme}' needs a host")));
            }
            let (repository, tag) = split_tag(rest, trimmed)?;
            let repository = if repository.contains('/') {
                repository
            } else {
                format!("library/{repository}")
            };
            validate_repository(&repository, trimmed)?;
            return Ok(Self::docker_hub(Some(repository), tag));
        }

        let host = normalize_host(first, trimmed)?;
        let insecure_http = match scheme.as_deref() {
            None | Some("https") => false,
            Some("http") => {
                if !is_loopback_host(&host) {
                    return Err(invalid(
                        trimmed,
                        "plain http is not allowed for a registry that is not on a loopback address; use https",
                    ));
                }
                if !allow_insecure_loopback {
                    return Err(invalid(
                        trimmed,
                        "plain http is accepted only for a loopback registry with --allow-insecure-loopback",
                    ));
                }
                true
            }
            Some(other) => {
                return Err(invalid(
                    trimmed,
                    &format!("scheme '{other}' is not allowed; use https or give the host alone"),
                ));
            }
        };

        let (repository, tag) = match remainder.filter(|r| !r.is_empty()) {
            Some(path) => {
                let (repository, tag) = split_tag(path, trimmed)?;
                validate_repository(&repository, trimmed)?;
                (Some(repository), tag)
            }
            None => (None, None),
        };

        if DOCKER_HUB_ALIASES.contains(&host.as_str()) {
            let repository = repository.map(|r| {
                if r.contains('/') {
                    r
                } else {
                    format!("library/{r}")
                }
            });
            return Ok(Self::docker_hub(repository, tag));
        }

        Ok(Self {
            registry: host,
            repository,
            tag_or_digest: tag,
            insecure_http,
        })
    }

    fn docker_hub(repository: Option<String>, tag_or_digest: Option<String>) -> Self {
        Self {
            registry: DOCKER_HUB_DOMAIN.to_owned(),
            repository,
            tag_or_digest,
            insecure_http: false,
        }
    }

    /// Whether this is Docker Hub.
    pub fn is_docker_hub(&self) -> bool {
        self.registry == DOCKER_HUB_DOMAIN
    }

    /// Returns the key of this registry's entry under `auths` in
    /// `config.json`, and the server URL given to credential helpers.
    pub fn config_key(&self) -> String {
        if self.is_docker_hub() {
            DOCKER_HUB_CONFIG_KEY.to_owned()
        } else {
            self.registry.clone()
        }
    }

    /// Returns the base URL of the registry's HTTP API V2, without a trailing slash.
    pub fn api_base(&self) -> String {
        let host = if self.is_docker_hub() {
            DOCKER_HUB_API_HOST
        } else {
            self.registry.as_str()
        };
        let scheme = if self.insecure_http { "http" } else { "https" };
        format!("{scheme}://{host}")
    }

    /// Whether the registry host is a loopback address or `localhost`.
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(&self.registry)
    }
}

impl fmt::Display for RegistryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.registry)?;
        if let Some(repository) = &self.repository {
            write!(f, "/{repository}")?;
        }
        Ok(())
    }
}

fn invalid(raw: &str, why: &str) -> Error {
    Error::invalid(format!(
        "invalid registry reference '{}': {why}. Pass a registry host such as ghcr.io or localhost:5000, or an image such as ghcr.io/org/app:1.0",
        shown(raw)
    ))
}

/// Hides what comes before an `@` unless a digest follows it, because it
/// could be user information with a password.
fn shown(raw: &str) -> String {
    match raw.rfind('@') {
        Some(at)
            if !raw[at + 1..].starts_with("sha256:") && !raw[at + 1..].starts_with("sha512:") =>
        {
            format!("***{}", &raw[at..])
        }
        _ => raw.to_owned(),
    }
}

/// Decides whether a reference without any `/` names a registry. Docker's
/// grammar reads such a word as a Docker Hub image, but `login` takes a
/// registry, so a word is a host when its name part contains a `.` or is
/// `localhost`, or when a numeric port follows the `:`. `ubuntu:22.04` is
/// then an image and `myregistry:5000` a registry.
// NOTE: `name:digits` is read as host and port, so a Docker Hub image whose
// tag is all digits (`alpine:3`) needs its full form, `docker.io/alpine:3`.
fn bare_word_is_host(word: &str) -> bool {
    if word.starts_with('[') {
        return true;
    }
    let (name, port) = match word.split_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (word, None),
    };
    name.contains('.')
        || name == "localhost"
        || port.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Validates `host[:port]` and returns it in lowercase, IPv6 in brackets.
fn normalize_host(host: &str, raw: &str) -> Result<String> {
    // `Url` drops the default port 443; Docker keeps what the user wrote, so
    // the port is split off first.
    let (name_part, port) = match host.rfind(':') {
        Some(colon) if !host[colon..].contains(']') => (&host[..colon], Some(&host[colon + 1..])),
        _ => (host, None),
    };
    let port = match port {
        Some(port) => {
            let number: u16 = port.parse().ok().filter(|n| *n != 0).ok_or_else(|| {
                invalid(
                    raw,
                    &format!("port '{port}' is not a number from 1 to 65535"),
                )
            })?;
            Some(number)
        }
        None => None,
    };
    let url = Url::parse(&format!("https://{name_part}/"))
        .map_err(|e| invalid(raw, &format!("'{host}' is not a valid host: {e}")))?;
    if !url.username().is_empty()
        || url.password().is_some()
        || url.path() != "/"
        || url.port().is_some()
    {
        return Err(invalid(raw, &format!("'{host}' is not a valid host")));
    }
    let name = url
        .host_str()
        .ok_or_else(|| invalid(raw, "it has no host"))?
        .to_ascii_lowercase();
    Ok(match port {
        Some(port) => format!("{name}:{port}"),
        None => name,
    })
}

/// Splits `path[:tag]` or `path@digest` into the repository and the rest.
fn split_tag(path: &str, raw: &str) -> Result<(String, Option<String>)> {
    if let Some((repository, digest)) = path.split_once('@') {
        let valid_digest = digest
            .split_once(':')
            .is_some_and(|(algorithm, hex)| !algorithm.is_empty() && !hex.is_empty());
        if !valid_digest {
            return Err(invalid(
                raw,
                &format!("digest '{digest}' is not of the form sha256:<hex>"),
            ));
        }
        let (repository, _tag) = split_tag(repository, raw)?;
        return Ok((repository, Some(digest.to_owned())));
    }
    let last_slash = path.rfind('/').map_or(0, |i| i + 1);
    match path[last_slash..].split_once(':') {
        Some((name, tag)) => {
            let valid_tag = !tag.is_empty()
                && tag.len() <= 128
                && !tag.starts_with(['.', '-'])
                && tag
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
            if !valid_tag {
                return Err(invalid(raw, &format!("tag '{tag}' is not valid")));
            }
            Ok((
                format!("{}{name}", &path[..last_slash]),
                Some(tag.to_owned()),
            ))
        }
        None => Ok((path.to_owned(), None)),
    }
}

/// Checks each path component: lowercase letters and digits, separated by
/// `.`, `_`, `__` or runs of `-`, as Docker's reference grammar requires.
fn validate_repository(repository: &str, raw: &str) -> Result<()> {
    for component in repository.split('/') {
        let valid = !component.is_empty()
            && component.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
            })
            && component.starts_with(|c: char| c.is_ascii_alphanumeric())
            && component.ends_with(|c: char| c.is_ascii_alphanumeric())
            && !component.contains("..")
            && !component.contains("___");
        if !valid {
            return Err(invalid(
                raw,
                &format!(
                    "repository component '{component}' is not valid; use lowercase letters, digits and single separators (. _ -)"
                ),
            ));
        }
    }
    Ok(())
}

fn is_loopback_host(host_and_port: &str) -> bool {
    let Ok(url) = Url::parse(&format!("https://{host_and_port}/")) else {
        return false;
    };
    match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> RegistryRef {
        RegistryRef::parse(raw, false).unwrap_or_else(|e| panic!("{raw}: {e}"))
    }

    #[test]
    fn docker_hub_forms_share_one_key() {
        for raw in [
            "docker.io",
            "index.docker.io",
            "registry-1.docker.io",
            "DOCKER.IO",
            "https://index.docker.io/v1/",
            "https://docker.io",
            "docker.io/",
        ] {
            let reference = parse(raw);
            assert_eq!(reference.registry, "docker.io", "{raw}");
            assert_eq!(reference.config_key(), DOCKER_HUB_CONFIG_KEY, "{raw}");
            assert_eq!(
                reference.api_base(),
                "https://registry-1.docker.io",
                "{raw}"
            );
            assert_eq!(reference.repository, None, "{raw}");
        }
    }

    #[test]
    fn docker_hub_images_get_library() {
        for (raw, repository, tag) in [
            ("alpine", "library/alpine", None),
            ("alpine:3.20", "library/alpine", Some("3.20")),
            ("ubuntu:22.04", "library/ubuntu", Some("22.04")),
            ("docker.io/alpine:3", "library/alpine", Some("3")),
            ("docker.io/alpine", "library/alpine", None),
            (
                "index.docker.io/alpine:edge",
                "library/alpine",
                Some("edge"),
            ),
            ("docker.io/library/alpine", "library/alpine", None),
            ("bitnami/redis:7.2", "bitnami/redis", Some("7.2")),
            (
                "alpine@sha256:0123abcd",
                "library/alpine",
                Some("sha256:0123abcd"),
            ),
        ] {
            let reference = parse(raw);
            assert!(reference.is_docker_hub(), "{raw}");
            assert_eq!(reference.repository.as_deref(), Some(repository), "{raw}");
            assert_eq!(reference.tag_or_digest.as_deref(), tag, "{raw}");
        }
    }

    #[test]
    fn other_registries_keep_host_and_port() {
        for (raw, registry, repository) in [
            ("ghcr.io", "ghcr.io", None),
            ("GHCR.io/Org", "", None),
            ("ghcr.io/org/app:1.0", "ghcr.io", Some("org/app")),
            (
                "registry.gitlab.com/group/project",
                "registry.gitlab.com",
                Some("group/project"),
            ),
            ("localhost", "localhost", None),
            ("localhost:5000", "localhost:5000", None),
            ("myregistry:5000", "myregistry:5000", None),
            ("localhost/app", "localhost", Some("app")),
            ("127.0.0.1:5000/a/b:c", "127.0.0.1:5000", Some("a/b")),
            (
                "https://Registry.Example.com:8443/",
                "registry.example.com:8443",
                None,
            ),
            ("registry.example.com:443", "registry.example.com:443", None),
            ("[::1]:5000/app", "[::1]:5000", Some("app")),
        ] {
            if registry.is_empty() {
                // Upper-case repository components are invalid in Docker's grammar.
                assert!(RegistryRef::parse(raw, false).is_err(), "{raw}");
                continue;
            }
            let reference = parse(raw);
            assert_eq!(reference.registry, registry, "{raw}");
            assert_eq!(reference.config_key(), registry, "{raw}");
            assert_eq!(reference.repository.as_deref(), repository, "{raw}");
            assert_eq!(reference.api_base(), format!("https://{registry}"), "{raw}");
        }
    }

    #[test]
    fn loopback_detection() {
        assert!(parse("localhost:5000").is_loopback());
        assert!(parse("127.0.0.1:5000").is_loopback());
        assert!(parse("127.1.2.3").is_loopback());
        assert!(parse("[::1]:5000").is_loopback());
        assert!(!parse("ghcr.io").is_loopback());
        assert!(!parse("10.0.0.1:5000").is_loopback());
    }

    #[test]
    fn http_only_for_loopback_with_opt_in() {
        let reference = RegistryRef::parse("http://127.0.0.1:5000", true).expect("opt-in");
        assert!(reference.insecure_http);
        assert_eq!(reference.api_base(), "http://127.0.0.1:5000");
        assert_eq!(reference.config_key(), "127.0.0.1:5000");

        let refused = RegistryRef::parse("http://127.0.0.1:5000", false).unwrap_err();
        assert!(
            refused.to_string().contains("--allow-insecure-loopback"),
            "{refused}"
        );
        let remote = RegistryRef::parse("http://registry.example.com", true).unwrap_err();
        assert!(remote.to_string().contains("use https"), "{remote}");
    }

    #[test]
    fn invalid_references_explain() {
        for (raw, expected) in [
            ("", "empty"),
            ("   ", "empty"),
            ("ftp://registry.example.com", "scheme 'ftp'"),
            ("localhost:99999", "port '99999'"),
            ("localhost:0", "port '0'"),
            ("ghcr.io:x/app", "port 'x'"),
            ("ghcr.io/Org/app", "component 'Org'"),
            ("ghcr.io/org//app", "component ''"),
            ("ghcr.io/org/app:", "tag ''"),
            ("ghcr.io/org/app@sha256", "digest"),
            ("ghcr.io/org/-app", "component '-app'"),
            ("ghcr.io /app", "white space"),
        ] {
            let message = RegistryRef::parse(raw, false).unwrap_err().to_string();
            assert!(message.contains(expected), "{raw:?}: {message}");
        }
    }

    #[test]
    fn user_information_is_not_echoed() {
        for raw in [
            "https://bob:CANARY-ref-pw@ghcr.io",
            "bob:CANARY-ref-pw@ghcr.io",
            "bob:CANARY-ref-pw@ghcr.io/org/app",
        ] {
            let message = RegistryRef::parse(raw, false).unwrap_err().to_string();
            assert!(!message.contains("CANARY-ref-pw"), "{raw}: {message}");
        }
    }
}
