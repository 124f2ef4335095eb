//! Control API under `/__simulator/`, the HTTP counterpart of the
//! [`Simulator`](crate::Simulator) methods for test suites that run the
//! binary. The crate documentation lists the endpoints and JSON shapes.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::faults::Fault;
use crate::state::{SimulatorState, TokenSpec};

pub(crate) fn router() -> Router<Arc<SimulatorState>> {
    Router::new()
        .route("/users", post(add_user))
        .route("/tokens", post(mint_token))
        .route("/revoke", post(revoke))
        .route("/faults", post(push_fault))
        .route("/counters", get(counters))
        .route("/reset", post(reset))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddUserRequest {
    username: String,
    password: String,
    #[serde(default)]
    modules: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MintTokenRequest {
    subject: String,
    #[serde(default)]
    modules: Vec<String>,
    lifetime_seconds: Option<u64>,
    #[serde(default)]
    issued_days_ago: u32,
    #[serde(default)]
    opaque: bool,
}

#[derive(Serialize)]
struct MintTokenResponse {
    token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeTokenRequest {
    token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeUserRequest {
    username: String,
}

/// Body of `POST /__simulator/revoke`: exactly one of the two shapes.
#[derive(Deserialize)]
#[serde(untagged)]
enum RevokeRequest {
    Token(RevokeTokenRequest),
    User(RevokeUserRequest),
}

/// Fault description in the control API. `kind` selects the variant.
///
/// Variants without fields are empty structs because serde ignores unknown
/// fields next to the tag of a unit variant, even with
/// `deny_unknown_fields`.
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum FaultRequest {
    Status {
        status: u16,
        retry_after: Option<String>,
        body: Option<String>,
    },
    Reset {},
    Delay {
        millis: u64,
    },
    Empty {},
    Html {},
    Truncated {},
}

impl FaultRequest {
    fn into_fault(self) -> Result<Fault, String> {
        match self {
            Self::Status {
                status,
                retry_after,
                body,
            } => {
                if !(200..=599).contains(&status) {
                    return Err(format!(
                        "invalid fault status {status}: expected a value from 200 to 599"
                    ));
                }
                if let Some(value) = &retry_after
                    && HeaderValue::from_str(value).is_err()
                {
                    return Err(format!(
                        "invalid fault retry_after {value:?}: not a valid header value"
                    ));
                }
                Ok(Fault::Status {
                    status,
                    retry_after,
                    body,
                })
            }
            Self::Reset {} => Ok(Fault::Reset),
            Self::Delay { millis } => Ok(Fault::Delay(Duration::from_millis(millis))),
            Self::Empty {} => Ok(Fault::EmptyBody),
            Self::Html {} => Ok(Fault::HtmlBody),
            Self::Truncated {} => Ok(Fault::TruncatedBody),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PushFaultRequest {
    path: String,
    fault: FaultRequest,
    #[serde(default = "one")]
    times: u32,
}

fn one() -> u32 {
    1
}

/// Builds the 400 response to a malformed control request.
fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

fn empty_object() -> Response {
    Json(json!({})).into_response()
}

/// Unwraps a JSON body, or returns the error message that names the
/// endpoint.
fn parse_body<T>(endpoint: &str, body: Result<Json<T>, JsonRejection>) -> Result<T, String> {
    body.map(|Json(value)| value).map_err(|rejection| {
        format!(
            "invalid JSON body for {endpoint}: {}",
            rejection.body_text()
        )
    })
}

async fn add_user(
    State(state): State<Arc<SimulatorState>>,
    body: Result<Json<AddUserRequest>, JsonRejection>,
) -> Response {
    let request = match parse_body("POST /__simulator/users", body) {
        Ok(request) => request,
        Err(message) => return bad_request(&message),
    };
    state.add_user(&request.username, &request.password, request.modules);
    empty_object()
}

async fn mint_token(
    State(state): State<Arc<SimulatorState>>,
    body: Result<Json<MintTokenRequest>, JsonRejection>,
) -> Response {
    let request = match parse_body("POST /__simulator/tokens", body) {
        Ok(request) => request,
        Err(message) => return bad_request(&message),
    };
    let spec = TokenSpec {
        subject: request.subject,
        modules: request.modules,
        lifetime: request.lifetime_seconds.map(Duration::from_secs),
        issued_days_ago: request.issued_days_ago,
        opaque: request.opaque,
    };
    let token = state.mint_token(&spec);
    Json(MintTokenResponse { token }).into_response()
}

async fn revoke(
    State(state): State<Arc<SimulatorState>>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Response {
    let value = match parse_body("POST /__simulator/revoke", body) {
        Ok(value) => value,
        Err(message) => return bad_request(&message),
    };
    // Parsed in two steps because serde's error for an untagged enum names
    // no field, and the caller needs to know which shapes are accepted.
    let Ok(request) = serde_json::from_value::<RevokeRequest>(value) else {
        return bad_request(
            "invalid JSON body for POST /__simulator/revoke: expected {\"token\": \"...\"} \
             or {\"username\": \"...\"}",
        );
    };
    let revoked = match request {
        RevokeRequest::Token(RevokeTokenRequest { token }) => {
            usize::from(state.revoke_token(&token))
        }
        RevokeRequest::User(RevokeUserRequest { username }) => state.revoke_user(&username),
    };
    Json(json!({ "revoked": revoked })).into_response()
}

async fn push_fault(
    State(state): State<Arc<SimulatorState>>,
    body: Result<Json<PushFaultRequest>, JsonRejection>,
) -> Response {
    let request = match parse_body("POST /__simulator/faults", body) {
        Ok(request) => request,
        Err(message) => return bad_request(&message),
    };
    if !request.path.starts_with('/') {
        return bad_request(&format!(
            "invalid fault path {:?}: expected a path starting with /",
            request.path
        ));
    }
    if request.times == 0 {
        return bad_request("invalid fault times 0: expected at least 1");
    }
    let fault = match request.fault.into_fault() {
        Ok(fault) => fault,
        Err(message) => return bad_request(&message),
    };
    state.push_fault(&request.path, fault, request.times);
    empty_object()
}

async fn counters(State(state): State<Arc<SimulatorState>>) -> Response {
    Json(state.counters()).into_response()
}

async fn reset(State(state): State<Arc<SimulatorState>>) -> Response {
    state.reset();
    empty_object()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_fault(json: &str) -> Result<Fault, String> {
        serde_json::from_str::<FaultRequest>(json)
            .map_err(|error| error.to_string())
            .and_then(FaultRequest::into_fault)
    }

    #[test]
    fn fault_request_kinds() {
        let cases = [
            (
                r#"{"kind":"status","status":503,"retry_after":"1"}"#,
                Fault::Status {
                    status: 503,
                    retry_after: Some("1".to_owned()),
                    body: None,
                },
            ),
            (r#"{"kind":"reset"}"#, Fault::Reset),
            (
                r#"{"kind":"delay","millis":1500}"#,
                Fault::Delay(Duration::from_millis(1500)),
            ),
            (r#"{"kind":"empty"}"#, Fault::EmptyBody),
            (r#"{"kind":"html"}"#, Fault::HtmlBody),
            (r#"{"kind":"truncated"}"#, Fault::TruncatedBody),
        ];
        for (json, expected) in cases {
            assert_eq!(parse_fault(json), Ok(expected), "fault {json}");
        }
    }

    #[test]
    fn fault_request_invalid() {
        for json in [
            r#"{"kind":"status","status":42}"#,
            r#"{"kind":"status","status":503,"retry_after":"a\nb"}"#,
            r#"{"kind":"explode"}"#,
            r#"{"kind":"reset","extra":1}"#,
        ] {
            assert!(parse_fault(json).is_err(), "fault {json} was accepted");
        }
    }

    #[test]
    fn revoke_request_shapes() {
        let token: RevokeRequest =
            serde_json::from_str(r#"{"token":"abc"}"#).expect("token shape parses");
        assert!(matches!(token, RevokeRequest::Token(_)));
        let user: RevokeRequest =
            serde_json::from_str(r#"{"username":"alice"}"#).expect("username shape parses");
        assert!(matches!(user, RevokeRequest::User(_)));
        assert!(
            serde_json::from_str::<RevokeRequest>(r#"{"token":"abc","username":"alice"}"#).is_err()
        );
    }
}
