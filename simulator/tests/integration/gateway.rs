//! Gateway endpoints: credential exchange, bearer checks and token kinds.

use std::time::Duration;

use qualys_gateway_simulator::{SimulatorConfig, TokenSpec};
use reqwest::{StatusCode, Version};
use serde_json::Value;

use crate::support::{
    DEMO_PASSWORD, DEMO_USER, IMAGES_PATH, NO_CS_PASSWORD, NO_CS_USER, client, http1_client,
    jwt_claims, list_images, log_in, now_seconds, session_token, start, start_with,
};

const FOUR_HOURS: u64 = 4 * 60 * 60;
const ONE_DAY: u64 = 24 * 60 * 60;

#[tokio::test]
async fn auth_success_claims() {
    let simulator = start().await;
    let client = client(&simulator);

    let before = now_seconds();
    let response = log_in(&client, &simulator.url(), DEMO_USER, DEMO_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("content type is ASCII")
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let token = response.text().await.expect("body is readable");

    let claims = jwt_claims(&token);
    assert_eq!(claims["sub"], DEMO_USER);
    assert_eq!(claims["iss"], "qas");
    assert_eq!(claims["aud"], "qas");
    assert_eq!(claims["credentialType"], "UsernamePasswordCredential");
    assert_eq!(
        claims["modulesAllowed"],
        serde_json::json!(["CS", "VM SCANNER"])
    );
    assert!(
        claims["portalUserId"].is_u64(),
        "portalUserId: {}",
        claims["portalUserId"]
    );
    assert_eq!(claims["usertype"], "MANAGER");
    let issued_at = claims["iat"].as_u64().expect("iat is a number");
    let expires_at = claims["exp"].as_u64().expect("exp is a number");
    assert!(issued_at >= before, "iat {issued_at} before the request");
    assert!(issued_at <= now_seconds(), "iat {issued_at} in the future");
    assert_eq!(expires_at - issued_at, FOUR_HOURS);
    assert!(claims["jti"].as_str().is_some_and(|jti| !jti.is_empty()));

    let second = session_token(&client, &simulator.url(), DEMO_USER, DEMO_PASSWORD).await;
    assert_ne!(jwt_claims(&second)["jti"], claims["jti"]);
}

#[tokio::test]
async fn auth_wrong_credentials() {
    let simulator = start().await;
    let client = client(&simulator);

    let cases = [
        (DEMO_USER, "wrong-password"),
        (DEMO_USER, "demo-password "),
        (DEMO_USER, "DEMO-PASSWORD"),
        ("unknown-user", DEMO_PASSWORD),
        ("Demo-User", DEMO_PASSWORD),
    ];
    for (username, password) in cases {
        let response = log_in(&client, &simulator.url(), username, password).await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "login of {username:?} with {password:?}"
        );
        let body = response.text().await.expect("body is readable");
        assert!(!body.is_empty(), "401 has a body");
    }
}

#[tokio::test]
async fn auth_bad_requests() {
    let simulator = start().await;
    let client = client(&simulator);
    let url = format!("{}/auth", simulator.url());

    let json_body = client
        .post(&url)
        .json(
            &serde_json::json!({"username": DEMO_USER, "password": DEMO_PASSWORD, "token": "true"}),
        )
        .send()
        .await
        .expect("response");
    assert_eq!(json_body.status(), StatusCode::BAD_REQUEST, "JSON body");

    let form_cases: [&[(&str, &str)]; 4] = [
        &[("password", DEMO_PASSWORD), ("token", "true")],
        &[("username", DEMO_USER), ("token", "true")],
        &[("username", DEMO_USER), ("password", DEMO_PASSWORD)],
        &[
            ("username", DEMO_USER),
            ("password", DEMO_PASSWORD),
            ("token", "false"),
        ],
    ];
    for form in form_cases {
        let response = client.post(&url).form(form).send().await.expect("response");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "form {form:?}");
    }

    let no_content_type = client
        .post(&url)
        .body("username=demo-user&password=demo-password&token=true")
        .send()
        .await
        .expect("response");
    assert_eq!(
        no_content_type.status(),
        StatusCode::BAD_REQUEST,
        "no content type"
    );

    let counts = simulator.auth_requests();
    assert_eq!(counts.total, 6);
    assert_eq!(counts.rejected, 6);
    assert_eq!(counts.succeeded, 0);
}

#[tokio::test]
async fn auth_content_type_charset() {
    let simulator = start().await;
    let client = client(&simulator);

    let response = client
        .post(format!("{}/auth", simulator.url()))
        .header(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=UTF-8",
        )
        .body("username=demo-user&password=demo-password&token=true")
        .send()
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn auth_special_password() {
    let simulator = start().await;
    let client = client(&simulator);
    let password = "p&a+s%s= w\"o'r d&token=false ünïcødé €😀 %41+";
    simulator.add_user("special user", password, &["CS"]);

    let token = session_token(&client, &simulator.url(), "special user", password).await;
    assert_eq!(jwt_claims(&token)["sub"], "special user");

    // Decoding by hand would turn '+' into a space or "%41" into "A".
    let near_misses = [
        password.replace('+', " "),
        password.replace("%41", "A"),
        password.replace('é', "e"),
    ];
    for near_miss in near_misses {
        let response = log_in(&client, &simulator.url(), "special user", &near_miss).await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "password {near_miss:?}"
        );
    }
}

#[tokio::test]
async fn unknown_path_and_method() {
    let simulator = start().await;
    let client = client(&simulator);

    let missing = client
        .get(format!("{}/csapi/v1.3/containers", simulator.url()))
        .send()
        .await
        .expect("response");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let wrong_method = client
        .get(format!("{}/auth", simulator.url()))
        .send()
        .await
        .expect("response");
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);

    let wrong_images_method = client
        .post(format!("{}{IMAGES_PATH}", simulator.url()))
        .send()
        .await
        .expect("response");
    assert_eq!(wrong_images_method.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn images_with_session_token() {
    let simulator = start().await;
    let client = client(&simulator);
    let token = session_token(&client, &simulator.url(), DEMO_USER, DEMO_PASSWORD).await;

    let response = list_images(&client, &simulator.url(), Some(&token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.version(), Version::HTTP_2, "ALPN selects h2");
    let page: Value = response.json().await.expect("body is JSON");
    assert_eq!(page["count"], 1);
    let images = page["data"].as_array().expect("data is an array");
    assert_eq!(images.len(), 1);
    for field in ["imageId", "sha", "repo", "tag", "created"] {
        assert!(images[0][field].is_string(), "image field {field}: {page}");
    }

    let larger: Value = client
        .get(format!(
            "{}{IMAGES_PATH}?pageNumber=1&pageSize=2",
            simulator.url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("response")
        .json()
        .await
        .expect("body is JSON");
    assert_eq!(larger["count"], 2);
    assert_eq!(larger["data"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn images_over_http1() {
    let simulator = start().await;
    let client = http1_client(&simulator);
    let token = session_token(&client, &simulator.url(), DEMO_USER, DEMO_PASSWORD).await;

    let response = list_images(&client, &simulator.url(), Some(&token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.version(), Version::HTTP_11);
}

#[tokio::test]
async fn images_bad_query() {
    let simulator = start().await;
    let client = client(&simulator);
    let token = session_token(&client, &simulator.url(), DEMO_USER, DEMO_PASSWORD).await;

    for query in [
        "pageSize=0",
        "pageNumber=0",
        "pageSize=abc",
        "pageNumber=-1",
    ] {
        let response = client
            .get(format!("{}{IMAGES_PATH}?{query}", simulator.url()))
            .bearer_auth(&token)
            .send()
            .await
            .expect("response");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "query {query}");
    }
}

/// Asserts a 401 with a JSON error body.
async fn assert_unauthorized(response: reqwest::Response, case: &str) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{case}");
    let body: Value = response.json().await.expect("401 body is JSON");
    assert_eq!(body["status"], 401, "{case}: {body}");
    assert!(body["message"].is_string(), "{case}: {body}");
}

#[tokio::test]
async fn images_rejects_bad_tokens() {
    let simulator = start().await;
    let other_simulator = start().await;
    let client = client(&simulator);
    let url = simulator.url();
    let token = session_token(&client, &url, DEMO_USER, DEMO_PASSWORD).await;

    assert_unauthorized(list_images(&client, &url, None).await, "no header").await;

    for header in ["Basic ZGVtbzpkZW1v", "Bearer", "Bearer a b", "token"] {
        let response = client
            .get(format!("{url}{IMAGES_PATH}"))
            .header("Authorization", header)
            .send()
            .await
            .expect("response");
        assert_unauthorized(response, &format!("header {header:?}")).await;
    }

    // The first signature character carries six full bits, unlike the last.
    let signature_start = token.rfind('.').expect("a JWT has dots") + 1;
    let replacement = if token[signature_start..].starts_with('A') {
        "B"
    } else {
        "A"
    };
    let mut tampered = token.clone();
    tampered.replace_range(signature_start..=signature_start, replacement);
    assert_unauthorized(
        list_images(&client, &url, Some(&tampered)).await,
        "bad signature",
    )
    .await;

    let foreign = other_simulator.mint_token(TokenSpec::jwt(DEMO_USER, &["CS"]));
    assert_unauthorized(
        list_images(&client, &url, Some(&foreign)).await,
        "other simulator",
    )
    .await;

    let unknown_opaque = "A".repeat(64);
    assert_unauthorized(
        list_images(&client, &url, Some(&unknown_opaque)).await,
        "unknown opaque",
    )
    .await;
}

#[tokio::test]
async fn images_without_cs_module() {
    let simulator = start().await;
    let client = client(&simulator);
    let url = simulator.url();

    let session = session_token(&client, &url, NO_CS_USER, NO_CS_PASSWORD).await;
    let opaque = simulator.mint_token(TokenSpec::opaque("vm-only", &["VM SCANNER"]));
    for (case, token) in [("session", session), ("opaque", opaque)] {
        let response = list_images(&client, &url, Some(&token)).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{case}");
        let body: Value = response.json().await.expect("403 body is JSON");
        assert_eq!(body["status"], 403, "{case}: {body}");
    }
}

#[tokio::test]
async fn minted_tokens_accepted() {
    let simulator = start().await;
    let client = client(&simulator);
    let url = simulator.url();

    let jwt = simulator.mint_token(TokenSpec::jwt("ci-bot", &["CS"]));
    let claims = jwt_claims(&jwt);
    assert_eq!(claims["sub"], "ci-bot");
    assert_eq!(claims["credentialType"], "ApiTokenCredential");
    assert_eq!(claims["modulesAllowed"], serde_json::json!(["CS"]));

    let opaque = simulator.mint_token(TokenSpec::opaque("ci-bot", &["CS"]));
    assert_eq!(opaque.len(), 64);
    assert!(
        opaque.chars().all(|c| c.is_ascii_alphanumeric()),
        "{opaque}"
    );

    for (case, token) in [("jwt", jwt), ("opaque", opaque)] {
        let response = list_images(&client, &url, Some(&token)).await;
        assert_eq!(response.status(), StatusCode::OK, "{case}");
    }
}

#[tokio::test]
async fn backdated_token_claims() {
    let simulator = start().await;
    let client = client(&simulator);
    let url = simulator.url();
    let now = now_seconds();

    let default_lifetime = simulator.mint_token(TokenSpec {
        issued_days_ago: 80,
        ..TokenSpec::jwt("ci-bot", &["CS"])
    });
    let claims = jwt_claims(&default_lifetime);
    let issued_at = claims["iat"].as_u64().expect("iat is a number");
    let expires_at = claims["exp"].as_u64().expect("exp is a number");
    let backdating = now - issued_at;
    assert!(backdating >= 80 * ONE_DAY, "iat is {backdating} s ago");
    assert!(backdating <= 80 * ONE_DAY + 5, "iat is {backdating} s ago");
    assert!(
        expires_at >= now + FOUR_HOURS,
        "exp {expires_at}, now {now}"
    );
    assert!(
        expires_at <= now_seconds() + FOUR_HOURS,
        "exp {expires_at}, now {now}"
    );
    assert_eq!(
        list_images(&client, &url, Some(&default_lifetime))
            .await
            .status(),
        StatusCode::OK
    );

    let ninety_days = simulator.mint_token(TokenSpec {
        issued_days_ago: 80,
        lifetime: Some(Duration::from_secs(90 * ONE_DAY)),
        ..TokenSpec::jwt("ci-bot", &["CS"])
    });
    let claims = jwt_claims(&ninety_days);
    assert_eq!(
        claims["exp"].as_u64().expect("exp is a number") - claims["iat"].as_u64().expect("iat"),
        90 * ONE_DAY
    );
    assert_eq!(
        list_images(&client, &url, Some(&ninety_days))
            .await
            .status(),
        StatusCode::OK
    );

    let past_expiry = simulator.mint_token(TokenSpec {
        issued_days_ago: 100,
        lifetime: Some(Duration::from_secs(90 * ONE_DAY)),
        ..TokenSpec::jwt("ci-bot", &["CS"])
    });
    let expired_opaque = simulator.mint_token(TokenSpec {
        issued_days_ago: 2,
        lifetime: Some(Duration::from_secs(ONE_DAY)),
        ..TokenSpec::opaque("ci-bot", &["CS"])
    });
    for (case, token) in [("jwt", past_expiry), ("opaque", expired_opaque)] {
        assert_unauthorized(list_images(&client, &url, Some(&token)).await, case).await;
    }
}

#[tokio::test]
async fn expired_session_token() {
    let simulator = start_with(SimulatorConfig {
        jwt_lifetime: Duration::from_secs(2),
        ..SimulatorConfig::default()
    })
    .await;
    let client = client(&simulator);
    let url = simulator.url();
    let token = session_token(&client, &url, DEMO_USER, DEMO_PASSWORD).await;
    let claims = jwt_claims(&token);
    assert_eq!(
        claims["exp"].as_u64().expect("exp") - claims["iat"].as_u64().expect("iat"),
        2
    );

    assert_eq!(
        list_images(&client, &url, Some(&token)).await.status(),
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(3200)).await;

    let response = list_images(&client, &url, Some(&token)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.expect("401 body is JSON");
    let message = body["message"].as_str().expect("message is a string");
    assert!(message.contains("expired"), "{message}");
}

#[tokio::test]
async fn revoked_tokens() {
    let simulator = start().await;
    let client = client(&simulator);
    let url = simulator.url();

    let session = session_token(&client, &url, DEMO_USER, DEMO_PASSWORD).await;
    let opaque = simulator.mint_token(TokenSpec::opaque("ci-bot", &["CS"]));
    assert!(simulator.revoke_token(&session));
    assert!(simulator.revoke_token(&opaque));
    assert!(!simulator.revoke_token("not-a-token"));
    for (case, token) in [("session", &session), ("opaque", &opaque)] {
        let response = list_images(&client, &url, Some(token)).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{case}");
        let body: Value = response.json().await.expect("401 body is JSON");
        let message = body["message"].as_str().expect("message is a string");
        assert!(message.contains("revoked"), "{case}: {message}");
    }

    let first = session_token(&client, &url, DEMO_USER, DEMO_PASSWORD).await;
    let minted = simulator.mint_token(TokenSpec::jwt(DEMO_USER, &["CS"]));
    // The earlier session token counts too, although it was already revoked.
    assert_eq!(simulator.revoke_user(DEMO_USER), 3);
    for (case, token) in [("first", &first), ("minted", &minted)] {
        assert_eq!(
            list_images(&client, &url, Some(token)).await.status(),
            StatusCode::UNAUTHORIZED,
            "{case}"
        );
    }

    let later = session_token(&client, &url, DEMO_USER, DEMO_PASSWORD).await;
    assert_eq!(
        list_images(&client, &url, Some(&later)).await.status(),
        StatusCode::OK,
        "login after revoke_user"
    );
}
