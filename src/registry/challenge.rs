//! The `WWW-Authenticate` challenges a registry sends with HTTP 401.
//!
//! Parsing follows RFC 7235 through the `http-auth` crate, so quoted values
//! with commas, spaces and backslash escapes (a `scope` of several
//! repositories, for example) come out whole. A Docker registry offers
//! `Basic realm="..."` or `Bearer realm="...",service="...",scope="..."`, as
//! described in the Docker Registry token authentication specification.

use reqwest::header::{HeaderMap, WWW_AUTHENTICATE};

use crate::error::{Error, ErrorCode, Result};

/// A challenge that this client can respond to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Challenge {
    /// HTTP Basic: send the user name and password to the registry itself.
    Basic,
    /// The token flow: ask the `realm` for a token, then send it as a bearer token.
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

/// Picks the challenge to answer from every `WWW-Authenticate` header of a
/// response. Bearer is preferred over Basic, because a registry that offers
/// both expects tokens; other schemes are skipped.
pub fn select(headers: &HeaderMap, registry: &str) -> Result<Challenge> {
    let mut basic = false;
    let mut offered: Vec<String> = Vec::new();

    for value in headers.get_all(WWW_AUTHENTICATE) {
        let text = value.to_str().map_err(|_| {
            api_error(format!(
                "the registry {registry} sent a WWW-Authenticate header that is not ASCII text"
            ))
        })?;
        let challenges = http_auth::parse_challenges(text).map_err(|e| {
            api_error(format!(
                "the registry {registry} sent a WWW-Authenticate header that is not a valid RFC 7235 challenge list: {e}"
            ))
        })?;
        for challenge in challenges {
            offered.push(challenge.scheme.to_owned());
            if challenge.scheme.eq_ignore_ascii_case("bearer") {
                let param = |name: &str| {
                    challenge
                        .params
                        .iter()
                        .find(|(key, _)| key.eq_ignore_ascii_case(name))
                        .map(|(_, value)| value.to_unescaped())
                };
                let realm = param("realm").filter(|r| !r.is_empty()).ok_or_else(|| {
                    api_error(format!(
                        "the registry {registry} offered the Bearer token flow without a realm (the token service URL)"
                    ))
                })?;
                return Ok(Challenge::Bearer {
                    realm,
                    service: param("service"),
                    scope: param("scope").filter(|s| !s.is_empty()),
                });
            }
            if challenge.scheme.eq_ignore_ascii_case("basic") {
                basic = true;
            }
        }
    }

    if basic {
        return Ok(Challenge::Basic);
    }
    Err(api_error(if offered.is_empty() {
        format!(
            "the registry {registry} answered GET /v2/ with HTTP 401 but sent no WWW-Authenticate challenge; it does not follow the Docker Registry HTTP API V2"
        )
    } else {
        format!(
            "the registry {registry} offers only the authentication scheme(s) {}; this tool supports Basic and the Bearer token flow",
            offered.join(", ")
        )
    }))
}

/// A challenge the client cannot use is the registry's fault, not the
/// caller's, so it is an API error rather than an invalid argument.
fn api_error(message: String) -> Error {
    Error::Registry {
        code: ErrorCode::ApiError,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(
                WWW_AUTHENTICATE,
                HeaderValue::from_str(value).expect("test header is valid"),
            );
        }
        map
    }

    #[test]
    fn distribution_bearer_challenge() {
        let challenge = select(
            &headers(&[
                r#"Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:org/app:pull,push""#,
            ]),
            "r",
        )
        .expect("parses");
        assert_eq!(
            challenge,
            Challenge::Bearer {
                realm: "https://auth.example.com/token".into(),
                service: Some("registry.example.com".into()),
                scope: Some("repository:org/app:pull,push".into()),
            }
        );
    }

    #[test]
    fn quoting_and_escapes() {
        let challenge = select(
            &headers(&[
                r#"bearer REALM="https://auth.example.com/a,b" , service = "svc \"quoted\"", scope="repository:a:pull repository:b:pull""#,
            ]),
            "r",
        )
        .expect("parses");
        assert_eq!(
            challenge,
            Challenge::Bearer {
                realm: "https://auth.example.com/a,b".into(),
                service: Some("svc \"quoted\"".into()),
                scope: Some("repository:a:pull repository:b:pull".into()),
            }
        );
    }

    #[test]
    fn token_values_without_quotes() {
        let challenge = select(
            &headers(&[r#"Bearer realm="https://a.example/token",service=registry.example.com"#]),
            "r",
        )
        .expect("parses");
        assert_eq!(
            challenge,
            Challenge::Bearer {
                realm: "https://a.example/token".into(),
                service: Some("registry.example.com".into()),
                scope: None,
            }
        );
        // ':' and '/' are not token characters, so an unquoted URL is invalid.
        let unquoted =
            select(&headers(&["Bearer realm=https://a.example/token"]), "r").unwrap_err();
        assert!(
            unquoted.to_string().contains("not a valid RFC 7235"),
            "{unquoted}"
        );
    }

    #[test]
    fn basic_and_bearer_prefers_bearer() {
        let challenge = select(
            &headers(&[
                r#"Basic realm="Registry Realm""#,
                r#"Bearer realm="https://a.example/token""#,
            ]),
            "r",
        )
        .expect("parses");
        assert!(
            matches!(challenge, Challenge::Bearer { .. }),
            "{challenge:?}"
        );

        let one_header = select(
            &headers(&[r#"Basic realm="x", Bearer realm="https://a.example/token",service="s""#]),
            "r",
        )
        .expect("parses");
        assert!(
            matches!(one_header, Challenge::Bearer { .. }),
            "{one_header:?}"
        );
    }

    #[test]
    fn basic_alone() {
        assert_eq!(
            select(&headers(&[r#"Basic realm="basic-realm""#]), "r").expect("parses"),
            Challenge::Basic
        );
        assert_eq!(
            select(&headers(&["Negotiate, basic realm=x"]), "r").expect("parses"),
            Challenge::Basic
        );
    }

    #[test]
    fn unusable_challenges_explain() {
        for (values, expected) in [
            (vec![], "no WWW-Authenticate"),
            (
                vec!["Negotiate"],
                "only the authentication scheme(s) Negotiate",
            ),
            (vec![r#"Bearer service="s""#], "without a realm"),
            (vec![r#"Bearer realm="""#], "without a realm"),
            (
                vec![r#"Bearer realm="unterminated"#],
                "not a valid RFC 7235",
            ),
            (vec!["Basic realm=a b"], "not a valid RFC 7235"),
        ] {
            let error = select(&headers(&values), "registry.example.com").unwrap_err();
            assert_eq!(error.code(), ErrorCode::ApiError, "{values:?}");
            let message = error.to_string();
            assert!(message.contains(expected), "{values:?}: {message}");
            assert!(message.contains("registry.example.com"), "{message}");
        }
    }
}
