//! The two gateway exchanges: user name and password for a JWT, and a bearer check.
//!
//! - `POST <gateway>/auth` with the form fields `username`, `password` and
//!   `token=true` returns 200 or 201 with the JWT as plain text. A 401 means
//!   the credentials were rejected; it is never retried, because repeated
//!   failed logins lock Qualys accounts, and no other 4xx is retried either.
//! - `GET <gateway>/csapi/v1.3/images?pageNumber=1&pageSize=1` with the
//!   bearer token returns 200 with `{"data": [...]}`. It proves the token and
//!   its Container Security permission in one cheap call: 401 means invalid,
//!   expired or revoked, 403 means the permission is missing.

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, Result};
use crate::gateway::Gateway;
use crate::http::{self, RequestContext, RetryOn, RetryPolicy, Verdict};

/// Path of the Container Security call that verifies a bearer token.
pub const DEFAULT_VERIFY_PATH: &str = "/csapi/v1.3/images?pageNumber=1&pageSize=1";

/// Exchanges a user name and password for a JWT at `POST <gateway>/auth`.
pub async fn exchange_password(
    client: &reqwest::Client,
    gateway: &Gateway,
    policy: RetryPolicy,
    username: &str,
    password: &SecretString,
) -> Result<SecretString> {
    let url = gateway.endpoint("/auth");
    let context = RequestContext {
        target: gateway.target(),
        method: "POST",
        path: "/auth",
        policy,
        retry_on: RetryOn::TransientExceptClientErrors,
    };
    let build = || {
        client.post(&url).header(ACCEPT, "text/plain, */*").form(&[
            ("username", username),
            ("password", password.expose_secret()),
            ("token", "true"),
        ])
    };
    let judge = |response: &http::Response| match response.status {
        200 | 201 => jwt_from_body(&response.body),
        401 => Verdict::Fail(Error::AuthenticationFailed {
            target: gateway.target(),
            username: username.to_owned(),
        }),
        403 => Verdict::Fail(Error::PermissionDenied {
            message: format!(
                "the gateway {} refused the login of user '{username}' (HTTP 403{}); the user may lack API access. \
                 Check the user's permissions and that the POD or gateway URL is your account's platform",
                gateway.target(),
                http::excerpt(&response.body)
            ),
        }),
        status => Verdict::Fail(Error::Api {
            target: gateway.target(),
            request: "POST /auth".into(),
            detail: format!("HTTP {status}{}", http::excerpt(&response.body)),
            status: Some(status),
        }),
    };
    tracing::debug!(gateway = %gateway.target(), user = username, "requesting a JWT");
    http::send(&context, build, judge).await
}

/// Reads a JWT from a `/auth` body, or requests a retry when the body is
/// not one (empty, an HTML page, cut short).
fn jwt_from_body(body: &[u8]) -> Verdict<SecretString> {
    let Ok(text) = std::str::from_utf8(body) else {
        return Verdict::Retry("the /auth response is not UTF-8 text".into());
    };
    let text = text.trim();
    if text.is_empty() {
        return Verdict::Retry("the /auth response body is empty".into());
    }
    let parts: Vec<&str> = text.split('.').collect();
    let looks_like_jwt = parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if !looks_like_jwt {
        return Verdict::Retry(if text.starts_with('<') {
            "the /auth response is an HTML page, not a token".into()
        } else {
            "the /auth response is not a complete JWT".into()
        });
    }
    match crate::token::decode_claims(text) {
        Ok(crate::token::TokenShape::Jwt(_)) => Verdict::Done(SecretString::from(text.to_owned())),
        _ => Verdict::Retry("the /auth response is not a complete JWT".into()),
    }
}

/// Verifies a bearer token with one Container Security call.
pub async fn verify_bearer(
    client: &reqwest::Client,
    gateway: &Gateway,
    policy: RetryPolicy,
    verify_path: &str,
    token: &SecretString,
) -> Result<()> {
    let url = gateway.endpoint(verify_path);
    let path_only = verify_path.split('?').next().unwrap_or(verify_path);
    let context = RequestContext {
        target: gateway.target(),
        method: "GET",
        path: path_only,
        policy,
        retry_on: RetryOn::Transient,
    };
    let build = || {
        client
            .get(&url)
            .header(ACCEPT, "application/json")
            .header(AUTHORIZATION, format!("Bearer {}", token.expose_secret()))
    };
    let judge = |response: &http::Response| match response.status {
        200 => {
            let parsed: std::result::Result<serde_json::Value, _> =
                serde_json::from_slice(&response.body);
            match parsed {
                Ok(value) if value.get("data").is_some_and(serde_json::Value::is_array) => {
                    Verdict::Done(())
                }
                Ok(_) => Verdict::Retry("the verification response has no 'data' array".into()),
                Err(_) if response.body.starts_with(b"<") => {
                    Verdict::Retry("the verification response is an HTML page, not JSON".into())
                }
                Err(e) => Verdict::Retry(format!(
                    "the verification response is not complete JSON ({e})"
                )),
            }
        }
        401 => Verdict::Fail(Error::TokenRejected {
            target: gateway.target(),
        }),
        403 => Verdict::Fail(forbidden(gateway)),
        status => Verdict::Fail(Error::Api {
            target: gateway.target(),
            request: format!("GET {path_only}"),
            detail: format!("HTTP {status}{}", http::excerpt(&response.body)),
            status: Some(status),
        }),
    };
    http::send(&context, build, judge).await
}

/// Builds the error for a 403 on a Container Security call.
pub fn forbidden(gateway: &Gateway) -> Error {
    Error::PermissionDenied {
        message: format!(
            "the gateway {} refused the token (HTTP 403): it lacks the Container Security permission. \
             Grant the Container Security module to the token's user, and check that the POD or gateway URL is your account's platform",
            gateway.target()
        ),
    }
}

/// The response to an authenticated API call, whatever its status.
#[derive(Clone, Debug)]
pub struct ApiResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// Sends one authenticated request and returns the response as it came,
/// except 401 and 403, which become errors. Idempotent methods are retried
/// on transient failures; others only when the connection failed.
pub async fn bearer_request(
    client: &reqwest::Client,
    gateway: &Gateway,
    policy: RetryPolicy,
    method: &reqwest::Method,
    path_and_query: &str,
    body: Option<(&[u8], &str)>,
    token: &SecretString,
) -> Result<ApiResponse> {
    let url = gateway.endpoint(path_and_query);
    let path_only = path_and_query.split('?').next().unwrap_or(path_and_query);
    let context = RequestContext {
        target: gateway.target(),
        method: method.as_str(),
        path: path_only,
        policy,
        retry_on: if method.is_idempotent() {
            RetryOn::Transient
        } else {
            RetryOn::ConnectOnly
        },
    };
    let build = || {
        let mut request = client
            .request(method.clone(), &url)
            .header(ACCEPT, "application/json")
            .header(AUTHORIZATION, format!("Bearer {}", token.expose_secret()));
        if let Some((bytes, content_type)) = body {
            request = request
                .header(CONTENT_TYPE, content_type)
                .body(bytes.to_vec());
        }
        request
    };
    let judge = |response: &http::Response| match response.status {
        401 => Verdict::Fail(Error::TokenRejected {
            target: gateway.target(),
        }),
        403 => Verdict::Fail(forbidden(gateway)),
        status => Verdict::Done(ApiResponse {
            status,
            content_type: response
                .headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: response.body.clone(),
        }),
    };
    http::send(&context, build, judge).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_body_checks() {
        assert!(matches!(jwt_from_body(b""), Verdict::Retry(_)));
        assert!(matches!(
            jwt_from_body(b"<html>maintenance</html>"),
            Verdict::Retry(_)
        ));
        assert!(matches!(
            jwt_from_body(b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIi"),
            Verdict::Retry(_)
        ));
        let ok = b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln\n";
        assert!(matches!(jwt_from_body(ok), Verdict::Done(_)));
    }
}
