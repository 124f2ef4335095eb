//! Injected faults and the middleware that counts gateway requests, applies
//! pending faults and logs each request.
//!
//! Control API requests under `/__simulator/` pass through uncounted and
//! never receive a fault.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use tracing::{debug, info, warn};

use crate::routes;
use crate::server::ConnectionControl;
use crate::state::{AUTH_PATH, SimulatorState};

/// Prefix of the control API, which faults and counters ignore.
pub(crate) const ADMIN_PREFIX: &str = "/__simulator";

/// How long a truncated body stays open after its partial data. The pause
/// lets the server flush the headers and partial data before it closes the
/// connection, so the client sees a short body rather than no response.
const TRUNCATION_PAUSE: Duration = Duration::from_millis(50);

const MAINTENANCE_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>Scheduled maintenance</title></head>\n<body><h1>Scheduled maintenance</h1><p>The Qualys platform is undergoing maintenance. Please try again later.</p></body></html>\n";

/// A failure to inject into the responses of the gateway endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Respond with this status instead of the endpoint's response. The body
    /// is plain text, `"simulated fault: <status>"` unless `body` is given.
    /// A status outside 200..=599 becomes 500.
    Status {
        /// HTTP status code.
        status: u16,
        /// Value of the `Retry-After` header, sent verbatim.
        retry_after: Option<String>,
        /// Plain-text body in place of the default one.
        body: Option<String>,
    },
    /// Close the TCP connection with a reset and no HTTP response. Under
    /// HTTP/2 this also ends every other stream on the connection.
    Reset,
    /// Wait this long, then serve the request normally.
    Delay(Duration),
    /// Respond 200 with an empty body.
    EmptyBody,
    /// Respond 200 with a `text/html` maintenance page.
    HtmlBody,
    /// Respond 200 with a `Content-Length` larger than the data sent before
    /// the connection closes (the stream is reset under HTTP/2). On `/auth`
    /// the partial data is the first half of a JWT, on `/csapi/` paths the
    /// first half of an images JSON document.
    TruncatedBody,
}

impl Fault {
    /// Builds a [`Fault::Status`] with no `Retry-After` header and the
    /// default body.
    pub fn status(status: u16) -> Self {
        Self::Status {
            status,
            retry_after: None,
            body: None,
        }
    }

    /// Name of the fault kind, as used in logs and in the control API.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Status { .. } => "status",
            Self::Reset => "reset",
            Self::Delay(_) => "delay",
            Self::EmptyBody => "empty",
            Self::HtmlBody => "html",
            Self::TruncatedBody => "truncated",
        }
    }
}

/// Returns whether `path` belongs to the control API.
pub(crate) fn is_admin_path(path: &str) -> bool {
    path.strip_prefix(ADMIN_PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Counts the request, applies the oldest matching fault and logs the
/// outcome.
pub(crate) async fn gateway_middleware(
    State(state): State<Arc<SimulatorState>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();

    if is_admin_path(&path) {
        let response = next.run(request).await;
        debug!(%method, %path, status = response.status().as_u16(), "control API request");
        return response;
    }

    state.count_request(&path);
    let fault = state.take_fault(&path);
    let fault_kind = fault.as_ref().map_or("none", Fault::kind);

    let response = match fault {
        None => next.run(request).await,
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            next.run(request).await
        }
        Some(Fault::Reset) => {
            info!(%method, %path, fault = fault_kind, "closing the connection with a reset");
            let control = request.extensions().get::<ConnectionControl>().cloned();
            reset_connection(control).await
        }
        Some(Fault::Status {
            status,
            retry_after,
            body,
        }) => status_response(status, retry_after.as_deref(), body),
        Some(Fault::EmptyBody) => (StatusCode::OK, Body::empty()).into_response(),
        Some(Fault::HtmlBody) => (StatusCode::OK, Html(MAINTENANCE_PAGE)).into_response(),
        Some(Fault::TruncatedBody) => truncated_response(&state, &path),
    };

    info!(%method, %path, status = response.status().as_u16(), fault = fault_kind, "request");
    response
}

/// Asks the connection task to drop the connection with a reset, then waits
/// for that drop to cancel this future.
async fn reset_connection(control: Option<ConnectionControl>) -> Response {
    match control {
        Some(control) => {
            control.request_reset();
            std::future::pending::<Response>().await
        }
        // Only a router served outside the connection loop lacks the
        // control, and then there is no connection to reset.
        None => {
            warn!("reset fault requested, but the request has no connection control");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "simulated reset is unavailable for this connection\n",
            )
                .into_response()
        }
    }
}

fn status_response(status: u16, retry_after: Option<&str>, body: Option<String>) -> Response {
    let status = match StatusCode::from_u16(status) {
        Ok(code) if (200..=599).contains(&status) => code,
        _ => {
            warn!(
                status,
                "invalid status in a status fault; answering 500 instead"
            );
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    let body = body.unwrap_or_else(|| format!("simulated fault: {status}\n"));
    let mut response = (status, body).into_response();

    if let Some(value) = retry_after {
        match HeaderValue::from_str(value) {
            Ok(header_value) => {
                response.headers_mut().insert(RETRY_AFTER, header_value);
            }
            Err(_) => warn!(
                value,
                "invalid Retry-After value in a status fault; sending no Retry-After header"
            ),
        }
    }
    response
}

/// Stages of a truncated body stream.
enum TruncationStage {
    Partial(Bytes),
    Fail,
    Done,
}

fn truncated_response(state: &SimulatorState, path: &str) -> Response {
    let (content_type, full_body) = if path == AUTH_PATH {
        (
            "text/plain; charset=utf-8",
            state.unrecorded_jwt("truncated-response"),
        )
    } else if path.starts_with("/csapi/") {
        ("application/json", routes::sample_images_json())
    } else {
        (
            "text/plain; charset=utf-8",
            "simulated response body that the connection cuts short\n".to_owned(),
        )
    };

    let declared_length = full_body.len();
    let partial = Bytes::from(full_body).slice(..declared_length / 2);
    let stream =
        futures_util::stream::unfold(TruncationStage::Partial(partial), |stage| async move {
            match stage {
                TruncationStage::Partial(bytes) => Some((Ok(bytes), TruncationStage::Fail)),
                TruncationStage::Fail => {
                    tokio::time::sleep(TRUNCATION_PAUSE).await;
                    let error = io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        "simulated truncated body",
                    );
                    Some((Err(error), TruncationStage::Done))
                }
                TruncationStage::Done => None,
            }
        });

    // The body stream has no known size, so hyper keeps this Content-Length
    // header instead of computing its own.
    (
        StatusCode::OK,
        [
            (CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (CONTENT_LENGTH, HeaderValue::from(declared_length)),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_path_prefix() {
        assert!(is_admin_path("/__simulator"));
        assert!(is_admin_path("/__simulator/users"));
        assert!(!is_admin_path("/__simulatorx"));
        assert!(!is_admin_path("/auth"));
    }

    #[test]
    fn status_fault_headers() {
        let response = status_response(503, Some("1"), None);
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response.headers().get(RETRY_AFTER),
            Some(&HeaderValue::from_static("1"))
        );
    }

    #[test]
    fn status_fault_invalid_code() {
        let response = status_response(99, None, None);
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
