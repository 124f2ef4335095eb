//! Checks registry credentials with the Docker Registry HTTP API V2 before
//! anything is stored.
//!
//! `GET /v2/` without credentials tells how the registry authenticates: 200
//! means it needs none, 401 carries a `WWW-Authenticate` challenge. With
//! Basic, the same request is repeated with the user name and password.
//! With Bearer (the token flow of the Docker Registry token authentication
//! specification), the credentials go to the token service named by
//! `realm`, with `service` and `scope` as query parameters, and the token it
//! returns is sent to `GET /v2/`. A 401 or 403 on a credentialed request is
//! a rejection and is never retried.

use reqwest::header::ACCEPT;
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use url::{Host, Url};

use super::challenge::{self, Challenge};
use super::credential::RegistryCredential;
use super::reference::RegistryRef;
use crate::error::{Error, ErrorCode, Result, Target};
use crate::http::{self, HttpSettings, RequestContext, Response, RetryOn, RetryPolicy, Verdict};

/// The media types a manifest request accepts: OCI and Docker, single
/// images and multi-platform indexes.
const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
     application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.docker.distribution.manifest.v2+json";

/// The `client_id` sent to token services, which log it.
const CLIENT_ID: &str = concat!("qualys-ci-auth/", env!("CARGO_PKG_VERSION"));

/// The method that verified a login.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verification {
    /// `GET /v2/` accepted the user name and password (HTTP Basic).
    Basic,
    /// The token service issued a token for them and `GET /v2/` accepted it.
    Bearer,
    /// The registry answers `GET /v2/` without credentials, so it cannot
    /// tell good credentials from bad ones.
    NotRequired,
}

impl Verification {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Basic => "basic",
            Self::Bearer => "bearer",
            Self::NotRequired => "not-required",
        }
    }
}

/// Connection settings for registry requests.
#[derive(Clone, Debug, Default)]
pub struct VerifySettings {
    pub http: HttpSettings,
    pub retry: RetryPolicy,
    /// Permits a plain-http token service on a loopback address, for a
    /// loopback registry only.
    pub allow_insecure_loopback: bool,
}

/// The result of `GET /v2/` without credentials.
enum Probe {
    Open,
    Challenge(Challenge),
}

/// The token service's response body. Token services use either field name.
#[derive(Deserialize)]
struct TokenResponse {
    token: Option<SecretString>,
    access_token: Option<SecretString>,
}

/// Verifies `credential` against the registry's API.
pub async fn verify(
    reference: &RegistryRef,
    credential: &RegistryCredential,
    settings: &VerifySettings,
) -> Result<Verification> {
    let client = http::shared_client(&settings.http)?;
    let base = reference.api_base();
    let registry = reference.registry.as_str();

    match probe(&client, reference, settings).await? {
        Probe::Open => Ok(Verification::NotRequired),
        Probe::Challenge(Challenge::Basic) => {
            let url = format!("{base}/v2/");
            let context = context(
                reference,
                "GET",
                "/v2/",
                settings,
                RetryOn::TransientExceptClientErrors,
            );
            http::send(
                &context,
                || {
                    client.get(&url).basic_auth(
                        &credential.username,
                        Some(credential.password.expose_secret()),
                    )
                },
                |response| match response.status {
                    200..=299 => Verdict::Done(()),
                    401 | 403 => Verdict::Fail(rejected(
                        registry,
                        credential,
                        format!(
                            "GET /v2/ with Basic authentication answered HTTP {}",
                            response.status
                        ),
                    )),
                    status => Verdict::Fail(unexpected(registry, "GET /v2/", status, response)),
                },
            )
            .await
            .map_err(|e| reword(e, reference))?;
            Ok(Verification::Basic)
        }
        Probe::Challenge(Challenge::Bearer {
            realm,
            service,
            scope,
        }) => {
            let realm_url = check_realm(&realm, reference, settings)?;
            let token = fetch_token(
                &client,
                reference,
                &realm_url,
                service.as_deref(),
                scope.as_deref(),
                Some(credential),
                settings,
            )
            .await?
            .ok_or_else(|| {
                rejected(
                    registry,
                    credential,
                    format!(
                        "the token service {} refused to issue a token",
                        realm_url.as_str()
                    ),
                )
            })?;
            let url = format!("{base}/v2/");
            let context = context(
                reference,
                "GET",
                "/v2/",
                settings,
                RetryOn::TransientExceptClientErrors,
            );
            http::send(
                &context,
                || client.get(&url).bearer_auth(token.expose_secret()),
                |response| match response.status {
                    200..=299 => Verdict::Done(()),
                    status @ (401 | 403) => Verdict::Fail(Error::Registry {
                        code: ErrorCode::ApiError,
                        message: format!(
                            "the registry {registry} rejected (HTTP {status}) the token that its token service {} issued for user '{}'; the token service and the registry disagree, which is a registry configuration problem",
                            realm_url.as_str(),
                            credential.username
                        ),
                    }),
                    status => Verdict::Fail(unexpected(registry, "GET /v2/", status, response)),
                },
            )
            .await
            .map_err(|e| reword(e, reference))?;
            Ok(Verification::Bearer)
        }
    }
}

/// Checks without credentials whether the image that `reference` names can
/// be pulled anonymously: the registry needs no authentication, or its
/// token service grants an anonymous pull token and the manifest is served
/// with it. Returns a short reason when it can.
pub async fn anonymous_pull(
    reference: &RegistryRef,
    settings: &VerifySettings,
) -> Result<Option<String>> {
    let client = http::shared_client(&settings.http)?;
    let probe = probe(&client, reference, settings).await?;
    let challenge = match probe {
        Probe::Open => {
            return Ok(Some(format!(
                "the registry {} answers GET /v2/ without credentials",
                reference.registry
            )));
        }
        Probe::Challenge(challenge) => challenge,
    };
    let (Some(repository), Challenge::Bearer { realm, service, .. }) =
        (&reference.repository, challenge)
    else {
        return Ok(None);
    };

    let realm_url = check_realm(&realm, reference, settings)?;
    let scope = format!("repository:{repository}:pull");
    let Some(token) = fetch_token(
        &client,
        reference,
        &realm_url,
        service.as_deref(),
        Some(&scope),
        None,
        settings,
    )
    .await?
    else {
        return Ok(None);
    };
    let tag = reference.tag_or_digest.as_deref().unwrap_or("latest");
    let path = format!("/v2/{repository}/manifests/{tag}");
    let url = format!("{}{path}", reference.api_base());
    let context = context(reference, "HEAD", &path, settings, RetryOn::Transient);
    let served = http::send(
        &context,
        || {
            client
                .head(&url)
                .header(ACCEPT, MANIFEST_ACCEPT)
                .bearer_auth(token.expose_secret())
        },
        |response| match response.status {
            200..=299 => Verdict::Done(true),
            401 | 403 | 404 => Verdict::Done(false),
            status => Verdict::Fail(unexpected(
                &reference.registry,
                "HEAD manifest",
                status,
                response,
            )),
        },
    )
    .await
    .map_err(|e| reword(e, reference))?;
    Ok(served.then(|| format!("{reference}:{tag} can be pulled without credentials")))
}

async fn probe(
    client: &reqwest::Client,
    reference: &RegistryRef,
    settings: &VerifySettings,
) -> Result<Probe> {
    let registry = reference.registry.as_str();
    let url = format!("{}/v2/", reference.api_base());
    let context = context(reference, "GET", "/v2/", settings, RetryOn::Transient);
    http::send(
        &context,
        || client.get(&url),
        |response| match response.status {
            200..=299 => Verdict::Done(Ok(Probe::Open)),
            401 => Verdict::Done(challenge::select(&response.headers, registry).map(Probe::Challenge)),
            404 => Verdict::Fail(Error::Registry {
                code: ErrorCode::ApiError,
                message: format!(
                    "{} does not serve the Docker Registry HTTP API V2 (GET /v2/ answered HTTP 404); check the registry host",
                    reference.api_base()
                ),
            }),
            status => Verdict::Fail(unexpected(registry, "GET /v2/", status, response)),
        },
    )
    .await
    .map_err(|e| reword(e, reference))?
}

/// Accepts a token service URL only where credentials may go: https, or
/// plain http on a loopback address when both the registry is on loopback
/// and the insecure opt-in is given. User information in the URL is refused.
fn check_realm(realm: &str, reference: &RegistryRef, settings: &VerifySettings) -> Result<Url> {
    let registry = reference.registry.as_str();
    let refuse = |why: String| Error::Registry {
        code: ErrorCode::ApiError,
        message: format!(
            "the registry {registry} named the token service '{realm}', {why}; no credentials were sent"
        ),
    };
    let url = Url::parse(realm).map_err(|e| refuse(format!("which is not a valid URL ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("which contains user information".into()));
    }
    let loopback = match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback && reference.is_loopback() && settings.allow_insecure_loopback => Ok(url),
        "http" if loopback && reference.is_loopback() => Err(refuse(
            "which is plain http; credentials go to a loopback http token service only with --allow-insecure-loopback".into(),
        )),
        "http" => Err(refuse("which is plain http; credentials are sent only over https".into())),
        other => Err(refuse(format!("whose scheme '{other}' is not https"))),
    }
}

/// Asks the token service for a token. `Ok(None)` means it refused
/// (HTTP 401 or 403); only then, and for nothing else, is a credential
/// rejected.
async fn fetch_token(
    client: &reqwest::Client,
    reference: &RegistryRef,
    realm: &Url,
    service: Option<&str>,
    scope: Option<&str>,
    credential: Option<&RegistryCredential>,
    settings: &VerifySettings,
) -> Result<Option<SecretString>> {
    let mut url = realm.clone();
    {
        let mut query = url.query_pairs_mut();
        if let Some(service) = service {
            query.append_pair("service", service);
        }
        if let Some(scope) = scope {
            query.append_pair("scope", scope);
        }
        if let Some(credential) = credential {
            query.append_pair("account", &credential.username);
        }
        query.append_pair("client_id", CLIENT_ID);
    }
    let target = Target {
        pod: None,
        url: format!(
            "{}://{}",
            realm.scheme(),
            realm.host_str().unwrap_or_default()
        ),
    };
    let path = realm.path().to_owned();
    let context = RequestContext {
        target,
        method: "GET",
        path: &path,
        policy: settings.retry,
        // A retried rejection would count as another failed login.
        retry_on: RetryOn::TransientExceptClientErrors,
    };
    let registry = reference.registry.as_str();
    http::send(
        &context,
        || {
            let request = client.get(url.as_str());
            match credential {
                Some(c) => request.basic_auth(&c.username, Some(c.password.expose_secret())),
                None => request,
            }
        },
        |response| match response.status {
            200..=299 => match serde_json::from_slice::<TokenResponse>(&response.body) {
                Ok(TokenResponse { token: Some(token), .. }) | Ok(TokenResponse { access_token: Some(token), .. })
                    if !token.expose_secret().is_empty() =>
                {
                    Verdict::Done(Some(token))
                }
                _ => Verdict::Fail(Error::Registry {
                    code: ErrorCode::ApiError,
                    message: format!(
                        "the token service {} of the registry {registry} answered HTTP {} without a token in its JSON body",
                        realm.as_str(),
                        response.status
                    ),
                }),
            },
            401 | 403 => Verdict::Done(None),
            status => Verdict::Fail(unexpected(registry, &format!("the token request to {}", realm.as_str()), status, response)),
        },
    )
    .await
    .map_err(|e| reword(e, reference))
}

fn context<'a>(
    reference: &RegistryRef,
    method: &'a str,
    path: &'a str,
    settings: &VerifySettings,
    retry_on: RetryOn,
) -> RequestContext<'a> {
    RequestContext {
        target: Target {
            pod: None,
            url: reference.api_base(),
        },
        method,
        path,
        policy: settings.retry,
        retry_on,
    }
}

fn rejected(registry: &str, credential: &RegistryCredential, detail: String) -> Error {
    Error::RegistryRejected {
        registry: registry.to_owned(),
        username: credential.username.clone(),
        detail,
    }
}

fn unexpected(registry: &str, request: &str, status: u16, response: &Response) -> Error {
    Error::Registry {
        code: ErrorCode::ApiError,
        message: format!(
            "the registry {registry} answered {request} with HTTP {status}{}",
            http::excerpt(&response.body)
        ),
    }
}

/// Rewords the shared retry loop's errors, which speak of the Qualys
/// gateway, for a registry.
fn reword(error: Error, reference: &RegistryRef) -> Error {
    let registry = &reference.registry;
    match error {
        Error::Network {
            target,
            attempts,
            cause,
        } => Error::Registry {
            code: ErrorCode::NetworkError,
            message: format!(
                "could not reach the registry {registry} at {} after {attempts} attempt(s): {cause}. Check the registry name, the network and the proxy settings",
                target.url
            ),
        },
        Error::Timeout {
            target,
            attempts,
            elapsed,
            deadline,
            cause,
        } => Error::Registry {
            code: ErrorCode::Timeout,
            message: format!(
                "the request to the registry {registry} at {} timed out after {attempts} attempt(s) in {:.1}s (deadline {}s); last cause: {cause}",
                target.url,
                elapsed.as_secs_f64(),
                deadline.as_secs()
            ),
        },
        Error::RateLimited {
            path,
            attempts,
            hint,
            ..
        } => Error::Registry {
            code: ErrorCode::RateLimited,
            message: format!(
                "the registry {registry} kept answering 429 Too Many Requests on {path} after {attempts} attempt(s){hint}"
            ),
        },
        Error::Api {
            request, detail, ..
        } => Error::Registry {
            code: ErrorCode::ApiError,
            message: format!("the registry {registry} answered {request} with {detail}"),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(raw: &str) -> RegistryRef {
        RegistryRef::parse(raw, true).expect("valid reference")
    }

    fn settings(insecure: bool) -> VerifySettings {
        VerifySettings {
            allow_insecure_loopback: insecure,
            ..VerifySettings::default()
        }
    }

    #[test]
    fn realm_must_be_https() {
        let remote = reference("registry.example.com");
        check_realm("https://auth.example.com/token", &remote, &settings(false)).expect("https");
        for (realm, expected) in [
            ("http://auth.example.com/token", "plain http"),
            ("http://127.0.0.1:9/token", "plain http"),
            ("ftp://auth.example.com/token", "scheme 'ftp'"),
            ("https://u:p@auth.example.com/token", "user information"),
            ("/token", "not a valid URL"),
        ] {
            let error = check_realm(realm, &remote, &settings(true)).unwrap_err();
            let message = error.to_string();
            assert!(message.contains(expected), "{realm}: {message}");
            assert!(message.contains("no credentials were sent"), "{message}");
        }
    }

    #[test]
    fn loopback_http_realm_needs_opt_in() {
        let local = reference("127.0.0.1:5000");
        check_realm("http://127.0.0.1:9/token", &local, &settings(true)).expect("opt-in");
        check_realm("http://localhost:9/token", &local, &settings(true)).expect("opt-in");
        let refused =
            check_realm("http://127.0.0.1:9/token", &local, &settings(false)).unwrap_err();
        assert!(
            refused.to_string().contains("--allow-insecure-loopback"),
            "{refused}"
        );
        let elsewhere =
            check_realm("http://auth.example.com/token", &local, &settings(true)).unwrap_err();
        assert!(elsewhere.to_string().contains("plain http"), "{elsewhere}");
    }

    #[test]
    fn gateway_wording_is_replaced() {
        let error = reword(
            Error::Network {
                target: Target {
                    pod: None,
                    url: "https://127.0.0.1:1".into(),
                },
                attempts: 2,
                cause: "connection refused".into(),
            },
            &reference("127.0.0.1:1"),
        );
        assert_eq!(error.code(), ErrorCode::NetworkError);
        let message = error.to_string();
        assert!(message.contains("registry 127.0.0.1:1"), "{message}");
        assert!(!message.contains("gateway"), "{message}");
        assert!(!message.contains("POD"), "{message}");
    }
}
