//! Gateway endpoints: the credential exchange `POST /auth` and the image
//! listing `GET /csapi/v1.3/images`, plus the router that combines them with
//! the control API and the fault middleware.

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::admin;
use crate::faults::{self, ADMIN_PREFIX};
use crate::state::{AUTH_PATH, SimulatorState};

/// The only module that grants access to the container security API.
const CONTAINER_SECURITY_MODULE: &str = "CS";

const IMAGES_PATH: &str = "/csapi/v1.3/images";
const DEFAULT_PAGE_SIZE: u32 = 50;

/// Builds the complete application: gateway endpoints, control API and the
/// counting and fault middleware around both.
pub(crate) fn app(state: Arc<SimulatorState>) -> Router {
    Router::new()
        .route(AUTH_PATH, post(exchange_credentials))
        .route(IMAGES_PATH, get(list_images))
        .nest(ADMIN_PREFIX, admin::router())
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            faults::gateway_middleware,
        ))
        .with_state(state)
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}

/// Form of `POST /auth`. Every field is optional here so that a missing one
/// gets a 400 that names it, instead of a generic decoding error.
#[derive(Deserialize)]
struct CredentialsForm {
    username: Option<String>,
    password: Option<String>,
    token: Option<String>,
}

async fn exchange_credentials(
    State(state): State<Arc<SimulatorState>>,
    form: Result<Form<CredentialsForm>, FormRejection>,
) -> Response {
    let response = match validate_credentials_form(form) {
        Ok((username, password)) => match state.log_in(&username, &password) {
            Some(token) => (StatusCode::CREATED, token).into_response(),
            None => (StatusCode::UNAUTHORIZED, "invalid username or password\n").into_response(),
        },
        Err(message) => (StatusCode::BAD_REQUEST, message).into_response(),
    };
    state.count_auth_outcome(response.status() == StatusCode::CREATED);
    response
}

/// Returns the user name and password, or the text of a 400 response.
fn validate_credentials_form(
    form: Result<Form<CredentialsForm>, FormRejection>,
) -> Result<(String, String), String> {
    let Form(form) = form.map_err(|rejection| {
        format!(
            "invalid request: expected an application/x-www-form-urlencoded body with \
             username, password and token=true ({})\n",
            rejection.body_text()
        )
    })?;

    let username = form
        .username
        .ok_or("missing form field `username`\n".to_owned())?;
    let password = form
        .password
        .ok_or("missing form field `password`\n".to_owned())?;
    match form.token.as_deref() {
        Some("true") => Ok((username, password)),
        Some(other) => Err(format!(
            "invalid form field `token`: expected `true`, got `{other}`\n"
        )),
        None => Err("missing form field `token`\n".to_owned()),
    }
}

/// Query of `GET /csapi/v1.3/images`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageQuery {
    page_number: Option<u32>,
    page_size: Option<u32>,
}

/// A fake image entry of the listing.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Image {
    image_id: &'static str,
    sha: &'static str,
    repo: &'static str,
    tag: &'static str,
    /// Milliseconds since the Unix epoch, as a string.
    created: &'static str,
}

/// One page of images. `count` is the number of images in `data`.
#[derive(Serialize)]
struct ImagesPage {
    data: Vec<&'static Image>,
    count: usize,
}

const IMAGE_CATALOG: [Image; 3] = [
    Image {
        image_id: "3f4d2a9c1b7e",
        sha: "sha256:3f4d2a9c1b7e5a60d8c2f1e4b9a7d3c6e0f2a8b4c1d9e7f3a5b6c8d0e2f4a1b3",
        repo: "simulator/demo-app",
        tag: "1.4.2",
        created: "1717430400000",
    },
    Image {
        image_id: "8a1c5e7f9d2b",
        sha: "sha256:8a1c5e7f9d2b4c6a0e3f5d7b9a1c2e4f6d8b0a3c5e7f9d1b2a4c6e8f0d3b5a7c",
        repo: "simulator/demo-worker",
        tag: "2.0.0",
        created: "1717516800000",
    },
    Image {
        image_id: "c2e4a6b8d0f1",
        sha: "sha256:c2e4a6b8d0f1a3c5e7b9d2f4a6c8e0b1d3f5a7c9e2b4d6f8a0c1e3b5d7f9a2c4",
        repo: "simulator/base",
        tag: "latest",
        created: "1717603200000",
    },
];

/// Returns the JSON of the first page of one image, the document the
/// truncated-body fault cuts short on `/csapi/` paths.
pub(crate) fn sample_images_json() -> String {
    let page = images_page(1, 1);
    serde_json::to_string(&page).expect("serializing static image data cannot fail")
}

fn images_page(page_number: u32, page_size: u32) -> ImagesPage {
    let size = usize::try_from(page_size).unwrap_or(usize::MAX);
    let skip = usize::try_from(page_number.saturating_sub(1))
        .unwrap_or(usize::MAX)
        .saturating_mul(size);
    let data: Vec<&'static Image> = IMAGE_CATALOG.iter().skip(skip).take(size).collect();
    ImagesPage {
        count: data.len(),
        data,
    }
}

async fn list_images(
    State(state): State<Arc<SimulatorState>>,
    headers: HeaderMap,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Response {
    let token = match bearer_token(&headers) {
        Ok(token) => token,
        Err(message) => return unauthorized(message),
    };
    let principal = match state.authorize(token) {
        Ok(principal) => principal,
        Err(rejection) => return unauthorized(rejection.message()),
    };
    if !principal
        .modules
        .iter()
        .any(|module| module == CONTAINER_SECURITY_MODULE)
    {
        return json_error(
            StatusCode::FORBIDDEN,
            &format!(
                "the token's modulesAllowed {:?} does not include {CONTAINER_SECURITY_MODULE:?}",
                principal.modules
            ),
        );
    }

    let Query(query) = match query {
        Ok(query) => query,
        Err(rejection) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                &format!("invalid query: {}", rejection.body_text()),
            );
        }
    };
    let page_number = query.page_number.unwrap_or(1);
    let page_size = query.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
    if page_number == 0 || page_size == 0 {
        return json_error(
            StatusCode::BAD_REQUEST,
            &format!(
                "invalid query: pageNumber and pageSize must be at least 1, got {page_number} and {page_size}"
            ),
        );
    }

    Json(images_page(page_number, page_size)).into_response()
}

/// Extracts the token of an `Authorization: Bearer <token>` header, or
/// returns why the header is unusable.
fn bearer_token(headers: &HeaderMap) -> Result<&str, &'static str> {
    let value = headers
        .get(AUTHORIZATION)
        .ok_or("missing Authorization header")?
        .to_str()
        .map_err(|_| "the Authorization header contains non-ASCII characters")?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or("the Authorization header is not of the form `Bearer <token>`")?;
    if !scheme.eq_ignore_ascii_case("Bearer") {
        return Err("the Authorization scheme is not Bearer");
    }
    let token = token.trim();
    if token.is_empty() || token.contains(char::is_whitespace) {
        return Err("the Authorization header is not of the form `Bearer <token>`");
    }
    Ok(token)
}

fn unauthorized(message: &str) -> Response {
    let mut response = json_error(StatusCode::UNAUTHORIZED, message);
    response
        .headers_mut()
        .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

fn json_error(status: StatusCode, message: &str) -> Response {
    let body = json!({
        "status": status.as_u16(),
        "error": status.canonical_reason().unwrap_or("Error"),
        "message": message,
    });
    (status, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers_with_authorization(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(value).expect("test header value is valid"),
        );
        headers
    }

    #[test]
    fn bearer_token_parsing() {
        let cases = [
            ("Bearer abc", Ok("abc")),
            ("bearer abc", Ok("abc")),
            ("Basic abc", Err("the Authorization scheme is not Bearer")),
            (
                "Bearer",
                Err("the Authorization header is not of the form `Bearer <token>`"),
            ),
            (
                "Bearer  ",
                Err("the Authorization header is not of the form `Bearer <token>`"),
            ),
            (
                "Bearer a b",
                Err("the Authorization header is not of the form `Bearer <token>`"),
            ),
        ];
        for (value, expected) in cases {
            let headers = headers_with_authorization(value);
            assert_eq!(bearer_token(&headers), expected, "header {value:?}");
        }
        assert_eq!(
            bearer_token(&HeaderMap::new()),
            Err("missing Authorization header")
        );
    }

    #[test]
    fn catalog_digests_valid() {
        for image in &IMAGE_CATALOG {
            let digest = image
                .sha
                .strip_prefix("sha256:")
                .unwrap_or_else(|| panic!("{} lacks the sha256: prefix", image.sha));
            assert_eq!(digest.len(), 64, "{}", image.sha);
            assert!(
                digest.chars().all(|c| c.is_ascii_hexdigit()),
                "{}",
                image.sha
            );
            assert!(image.sha.contains(image.image_id), "{}", image.image_id);
        }
    }

    #[test]
    fn images_page_bounds() {
        assert_eq!(images_page(1, 1).count, 1);
        assert_eq!(images_page(1, 50).count, IMAGE_CATALOG.len());
        assert_eq!(images_page(2, 2).count, 1);
        assert_eq!(images_page(3, 2).count, 0);
        assert_eq!(images_page(u32::MAX, u32::MAX).count, 0);
    }
}
