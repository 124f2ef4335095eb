//! POD to API gateway resolution and validation of explicit gateway URLs.
//!
//! Qualys's CI/CD authentication page lists each POD with a short platform
//! host; Qualys's own Jenkins plugin and API documentation call the API
//! gateway at the `gateway.` host of the same domain (for KSA1, the
//! `qualysksa.com` domain). We call the gateway host and accept the listed
//! host as an alias, so a pasted `https://qg1.apps.qualys.com` means US1.

use serde::Serialize;
use url::{Host, Url};

use crate::error::{Error, Result, Target};

/// One Qualys platform (POD).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Pod {
    /// The POD name as Qualys writes it, e.g. `US1`.
    pub name: &'static str,
    /// The platform host listed on Qualys's CI/CD authentication page.
    pub listed_url: &'static str,
    /// The API gateway that the product calls.
    pub gateway_url: &'static str,
}

/// Every POD the product knows by name. Qualys has others (EU3, private
/// cloud platforms); their users pass an explicit gateway URL.
pub const PODS: [Pod; 12] = [
    pod(
        "US1",
        "https://qg1.apps.qualys.com",
        "https://gateway.qg1.apps.qualys.com",
    ),
    pod(
        "US2",
        "https://qg2.apps.qualys.com",
        "https://gateway.qg2.apps.qualys.com",
    ),
    pod(
        "US3",
        "https://qg3.apps.qualys.com",
        "https://gateway.qg3.apps.qualys.com",
    ),
    pod(
        "US4",
        "https://qg4.apps.qualys.com",
        "https://gateway.qg4.apps.qualys.com",
    ),
    pod(
        "EU1",
        "https://qg1.apps.qualys.eu",
        "https://gateway.qg1.apps.qualys.eu",
    ),
    pod(
        "EU2",
        "https://qg2.apps.qualys.eu",
        "https://gateway.qg2.apps.qualys.eu",
    ),
    pod(
        "CA1",
        "https://qg1.apps.qualys.ca",
        "https://gateway.qg1.apps.qualys.ca",
    ),
    pod(
        "IN1",
        "https://qg1.apps.qualys.in",
        "https://gateway.qg1.apps.qualys.in",
    ),
    pod(
        "AU1",
        "https://qg1.apps.qualys.com.au",
        "https://gateway.qg1.apps.qualys.com.au",
    ),
    pod(
        "UK1",
        "https://qg1.apps.qualys.co.uk",
        "https://gateway.qg1.apps.qualys.co.uk",
    ),
    pod(
        "AE1",
        "https://qg1.apps.qualys.ae",
        "https://gateway.qg1.apps.qualys.ae",
    ),
    pod(
        "KSA1",
        "https://qg1.apps.qualys.sa",
        "https://gateway.qg1.apps.qualysksa.com",
    ),
];

const fn pod(name: &'static str, listed_url: &'static str, gateway_url: &'static str) -> Pod {
    Pod {
        name,
        listed_url,
        gateway_url,
    }
}

/// Returns the comma-separated POD names, for error messages.
pub fn pod_names() -> String {
    PODS.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
}

/// Looks up a POD by name, ignoring case and surrounding whitespace.
pub fn find_pod(name: &str) -> Result<&'static Pod> {
    let wanted = name.trim();
    if wanted.is_empty() {
        return Err(Error::invalid(format!(
            "the POD is empty; set it to one of {} or pass --gateway-url",
            pod_names()
        )));
    }
    PODS.iter()
        .find(|p| p.name.eq_ignore_ascii_case(wanted))
        .ok_or_else(|| {
            Error::invalid(format!(
                "unknown POD '{wanted}'; valid PODs are {}. For another platform pass its API gateway with --gateway-url",
                pod_names()
            ))
        })
}

/// A resolved gateway: the base URL (no trailing slash) and, when known, its POD.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Gateway {
    pub url: String,
    pub pod: Option<&'static str>,
}

impl Gateway {
    /// Resolves the gateway from a POD name or an explicit URL; exactly one must be given.
    ///
    /// `allow_insecure_loopback` permits `http://` for a loopback host only.
    pub fn resolve(
        pod: Option<&str>,
        gateway_url: Option<&str>,
        allow_insecure_loopback: bool,
    ) -> Result<Self> {
        let pod = pod.map(str::trim).filter(|p| !p.is_empty());
        let gateway_url = gateway_url.map(str::trim).filter(|u| !u.is_empty());
        match (pod, gateway_url) {
            // Hosts such as the Jenkins step export both; when they agree, accept them.
            (Some(name), Some(url)) => {
                let by_pod = Self::from_pod(find_pod(name)?);
                let by_url = Self::from_url(url, allow_insecure_loopback)?;
                if by_pod == by_url {
                    Ok(by_pod)
                } else {
                    Err(Error::invalid(format!(
                        "the POD '{name}' ({}) and the gateway URL '{}' name different gateways; pass only one of --pod and --gateway-url",
                        by_pod.url, by_url.url
                    )))
                }
            }
            (Some(name), None) => Ok(Self::from_pod(find_pod(name)?)),
            (None, Some(url)) => Self::from_url(url, allow_insecure_loopback),
            (None, None) => Err(Error::invalid(format!(
                "no Qualys platform was given; pass --pod with one of {} or --gateway-url (environment QUALYS_POD or QUALYS_GATEWAY_URL)",
                pod_names()
            ))),
        }
    }

    /// Returns the gateway of a known POD.
    pub fn from_pod(pod: &'static Pod) -> Self {
        Self {
            url: pod.gateway_url.to_owned(),
            pod: Some(pod.name),
        }
    }

    /// Validates an explicit gateway URL: `https` only (or `http` for a
    /// loopback host with the opt-in), no user info, query or fragment; a
    /// trailing slash is dropped. A POD's listed host maps to its gateway.
    pub fn from_url(raw: &str, allow_insecure_loopback: bool) -> Result<Self> {
        let url = Url::parse(raw).map_err(|e| {
            Error::invalid(format!(
                "invalid gateway URL '{}': {e}; expected a URL such as https://gateway.qg1.apps.qualys.com",
                redact_userinfo(raw)
            ))
        })?;
        let shown = redact_userinfo(raw);

        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::invalid(format!(
                "invalid gateway URL '{shown}': it contains user information; remove it and pass credentials through the environment or a file"
            )));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::invalid(format!(
                "invalid gateway URL '{shown}': it has a query or fragment; pass only the scheme, host and optional path"
            )));
        }
        let host = url.host().ok_or_else(|| {
            Error::invalid(format!("invalid gateway URL '{shown}': it has no host"))
        })?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&host) && allow_insecure_loopback => {}
            "http" if is_loopback(&host) => {
                return Err(Error::invalid(format!(
                    "invalid gateway URL '{shown}': plain http is accepted only for a loopback host with --allow-insecure-loopback"
                )));
            }
            other => {
                return Err(Error::invalid(format!(
                    "invalid gateway URL '{shown}': scheme '{other}' is not allowed; use https"
                )));
            }
        }

        let normalized = url.as_str().trim_end_matches('/').to_owned();
        if let Some(pod) = PODS
            .iter()
            .find(|p| p.listed_url == normalized || p.gateway_url == normalized)
        {
            return Ok(Self::from_pod(pod));
        }
        Ok(Self {
            url: normalized,
            pod: None,
        })
    }

    /// Joins a path such as `/auth` onto the base URL.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}/{}", self.url, path.trim_start_matches('/'))
    }

    /// Returns the gateway as an error-message target.
    pub fn target(&self) -> Target {
        Target {
            pod: self.pod.map(str::to_owned),
            url: self.url.clone(),
        }
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// Hides the user-info part of a URL that is about to be echoed in an error.
fn redact_userinfo(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            format!("{url} (user information removed)")
        }
        Ok(_) => raw.to_owned(),
        // An unparsable string may still hold `user:pass@`: cut before the last '@'.
        Err(_) => match raw.rfind('@') {
            Some(at) => format!("***{}", &raw[at..]),
            None => raw.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pod_resolves_by_name_and_aliases() {
        for pod in &PODS {
            let by_name = Gateway::resolve(Some(pod.name), None, false).expect("pod name");
            assert_eq!(by_name.url, pod.gateway_url);
            assert_eq!(by_name.pod, Some(pod.name));

            let lower = format!("  {}\n", pod.name.to_lowercase());
            assert_eq!(
                Gateway::resolve(Some(&lower), None, false)
                    .expect("lowercase")
                    .url,
                pod.gateway_url
            );

            let listed = Gateway::from_url(pod.listed_url, false).expect("listed host");
            assert_eq!(listed.url, pod.gateway_url, "alias of {}", pod.name);
            assert_eq!(listed.pod, Some(pod.name));

            let slash = format!("{}/", pod.gateway_url);
            assert_eq!(
                Gateway::from_url(&slash, false).expect("slash").pod,
                Some(pod.name)
            );
        }
    }

    #[test]
    fn pod_table_matches_published_hosts() {
        let expected = [
            (
                "US1",
                "https://qg1.apps.qualys.com",
                "https://gateway.qg1.apps.qualys.com",
            ),
            (
                "US2",
                "https://qg2.apps.qualys.com",
                "https://gateway.qg2.apps.qualys.com",
            ),
            (
                "US3",
                "https://qg3.apps.qualys.com",
                "https://gateway.qg3.apps.qualys.com",
            ),
            (
                "US4",
                "https://qg4.apps.qualys.com",
                "https://gateway.qg4.apps.qualys.com",
            ),
            (
                "EU1",
                "https://qg1.apps.qualys.eu",
                "https://gateway.qg1.apps.qualys.eu",
            ),
            (
                "EU2",
                "https://qg2.apps.qualys.eu",
                "https://gateway.qg2.apps.qualys.eu",
            ),
            (
                "CA1",
                "https://qg1.apps.qualys.ca",
                "https://gateway.qg1.apps.qualys.ca",
            ),
            (
                "IN1",
                "https://qg1.apps.qualys.in",
                "https://gateway.qg1.apps.qualys.in",
            ),
            (
                "AU1",
                "https://qg1.apps.qualys.com.au",
                "https://gateway.qg1.apps.qualys.com.au",
            ),
            (
                "UK1",
                "https://qg1.apps.qualys.co.uk",
                "https://gateway.qg1.apps.qualys.co.uk",
            ),
            (
                "AE1",
                "https://qg1.apps.qualys.ae",
                "https://gateway.qg1.apps.qualys.ae",
            ),
            (
                "KSA1",
                "https://qg1.apps.qualys.sa",
                "https://gateway.qg1.apps.qualysksa.com",
            ),
        ];
        assert_eq!(PODS.len(), expected.len());
        for (pod, (name, listed, gateway)) in PODS.iter().zip(expected) {
            assert_eq!(pod.name, name);
            assert_eq!(pod.listed_url, listed);
            assert_eq!(pod.gateway_url, gateway);
        }
    }

    #[test]
    fn unknown_pod_lists_valid_ones() {
        let message = Gateway::resolve(Some("EU9"), None, false)
            .unwrap_err()
            .to_string();
        assert!(message.contains("'EU9'"), "{message}");
        assert!(message.contains("US1, US2"), "{message}");
        assert!(message.contains("KSA1"), "{message}");
    }

    #[test]
    fn missing_platform_is_an_error() {
        let err = Gateway::resolve(None, None, false).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::InvalidArgument);
        assert!(err.to_string().contains("--pod"));
        let blank = Gateway::resolve(Some("  "), Some(""), false).unwrap_err();
        assert!(blank.to_string().contains("no Qualys platform"));
    }

    #[test]
    fn pod_and_url_must_agree() {
        let err =
            Gateway::resolve(Some("US1"), Some("https://gateway.example.com"), false).unwrap_err();
        assert!(err.to_string().contains("different gateways"), "{err}");

        let same = Gateway::resolve(Some("eu1"), Some("https://qg1.apps.qualys.eu/"), false)
            .expect("same gateway");
        assert_eq!(same.pod, Some("EU1"));
        assert_eq!(same.url, "https://gateway.qg1.apps.qualys.eu");
    }

    #[test]
    fn gateway_url_edge_cases() {
        let ok = Gateway::from_url("https://gateway.qg3.apps.qualys.eu/", false).expect("eu3");
        assert_eq!(ok.url, "https://gateway.qg3.apps.qualys.eu");
        assert_eq!(ok.pod, None);

        let with_path = Gateway::from_url("https://pcp.example.com/qualys/", false).expect("path");
        assert_eq!(with_path.url, "https://pcp.example.com/qualys");
        assert_eq!(
            with_path.endpoint("/auth"),
            "https://pcp.example.com/qualys/auth"
        );

        let port = Gateway::from_url("https://127.0.0.1:8443", false).expect("port");
        assert_eq!(port.url, "https://127.0.0.1:8443");

        for (bad, expected) in [
            ("http://gateway.qg1.apps.qualys.com", "scheme 'http'"),
            ("ftp://gateway.example.com", "scheme 'ftp'"),
            ("https://gateway.example.com/?a=b", "query or fragment"),
            ("https://gateway.example.com/#frag", "query or fragment"),
            ("gateway.qg1.apps.qualys.com", "invalid gateway URL"),
            ("http://127.0.0.1:8080", "--allow-insecure-loopback"),
        ] {
            let message = Gateway::from_url(bad, false).unwrap_err().to_string();
            assert!(message.contains(expected), "{bad}: {message}");
        }
    }

    #[test]
    fn insecure_http_only_for_loopback() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:9",
        ] {
            assert!(Gateway::from_url(ok, true).is_ok(), "{ok}");
        }
        let remote = Gateway::from_url("http://gateway.example.com", true).unwrap_err();
        assert!(remote.to_string().contains("use https"));
    }

    #[test]
    fn userinfo_rejected_and_redacted() {
        let message = Gateway::from_url("https://alice:CANARY-pw-42@gateway.example.com", false)
            .unwrap_err()
            .to_string();
        assert!(message.contains("user information"), "{message}");
        assert!(!message.contains("CANARY-pw-42"), "{message}");
        assert!(!message.contains("alice"), "{message}");

        let unparsable = Gateway::from_url("https//bob:CANARY-pw-43@", false)
            .unwrap_err()
            .to_string();
        assert!(!unparsable.contains("CANARY-pw-43"), "{unparsable}");
    }
}
