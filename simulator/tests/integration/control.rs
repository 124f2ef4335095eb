//! Request counters and the `/__simulator/` control API over HTTPS.

use std::time::Duration;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::support::{
    DEMO_PASSWORD, DEMO_USER, IMAGES_PATH, client, jwt_claims, list_images, log_in, session_token,
    start,
};

async fn post_control(client: &Client, url: &str, endpoint: &str, body: &Value) -> Value {
    let response = client
        .post(format!("{url}/__simulator/{endpoint}"))
        .json(body)
        .send()
        .await
        .expect("control request gets a response");
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "POST {endpoint} with {body}"
    );
    response.json().await.expect("control response is JSON")
}

async fn get_counters(client: &Client, url: &str) -> Value {
    let response = client
        .get(format!("{url}/__simulator/counters"))
        .send()
        .await
        .expect("counters request gets a response");
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("counters response is JSON")
}

#[tokio::test]
async fn counters_rust_and_http() {
    let simulator = start().await;
    let client = client(&simulator);
    let url = simulator.url();

    let token = session_token(&client, &url, DEMO_USER, DEMO_PASSWORD).await;
    let _ = log_in(&client, &url, DEMO_USER, "wrong").await;
    let _ = client
        .get(format!("{url}/auth"))
        .send()
        .await
        .expect("response");
    for _ in 0..2 {
        let _ = list_images(&client, &url, Some(&token)).await;
    }
    let _ = client
        .get(format!("{url}/unknown?x=1"))
        .send()
        .await
        .expect("response");

    assert_eq!(simulator.request_count("/auth"), 3);
    assert_eq!(simulator.request_count(IMAGES_PATH), 2);
    assert_eq!(simulator.request_count("/unknown"), 1);
    assert_eq!(simulator.request_count("/never"), 0);
    let counts = simulator.auth_requests();
    assert_eq!(counts.total, 3, "GET /auth counts in the total");
    assert_eq!(counts.succeeded, 1);
    assert_eq!(counts.rejected, 1);

    let counters = get_counters(&client, &url).await;
    assert_eq!(
        counters,
        json!({
            "paths": {"/auth": 3, IMAGES_PATH: 2, "/unknown": 1},
            "auth": {"total": 3, "succeeded": 1, "rejected": 1},
        })
    );

    let reset = post_control(&client, &url, "reset", &json!({})).await;
    assert_eq!(reset, json!({}));
    assert_eq!(
        get_counters(&client, &url).await,
        json!({"paths": {}, "auth": {"total": 0, "succeeded": 0, "rejected": 0}})
    );
}

#[tokio::test]
async fn control_users_and_tokens() {
    let simulator = start().await;
    let client = client(&simulator);
    let url = simulator.url();
    let password = "ctl & pass+word = 100% \"quoted\" ñ";

    let added = post_control(
        &client,
        &url,
        "users",
        &json!({"username": "ctl-user", "password": password, "modules": ["CS"]}),
    )
    .await;
    assert_eq!(added, json!({}));
    let session = session_token(&client, &url, "ctl-user", password).await;
    assert_eq!(jwt_claims(&session)["modulesAllowed"], json!(["CS"]));

    let minted = post_control(
        &client,
        &url,
        "tokens",
        &json!({"subject": "ctl-bot", "modules": ["CS", "ADMIN"], "lifetime_seconds": 600}),
    )
    .await;
    let jwt = minted["token"]
        .as_str()
        .expect("token is a string")
        .to_owned();
    let claims = jwt_claims(&jwt);
    assert_eq!(claims["credentialType"], "ApiTokenCredential");
    assert_eq!(claims["modulesAllowed"], json!(["CS", "ADMIN"]));
    assert_eq!(
        claims["exp"].as_u64().expect("exp") - claims["iat"].as_u64().expect("iat"),
        600
    );

    let minted = post_control(
        &client,
        &url,
        "tokens",
        &json!({"subject": "ctl-bot", "modules": ["CS"], "opaque": true}),
    )
    .await;
    let opaque = minted["token"]
        .as_str()
        .expect("token is a string")
        .to_owned();
    assert_eq!(opaque.len(), 64);

    let backdated = post_control(
        &client,
        &url,
        "tokens",
        &json!({"subject": "ctl-bot", "modules": ["CS"], "issued_days_ago": 3}),
    )
    .await;
    let backdated = backdated["token"].as_str().expect("token is a string");
    let issued_at = jwt_claims(backdated)["iat"].as_u64().expect("iat");
    assert!(issued_at <= crate::support::now_seconds() - 3 * 24 * 60 * 60);

    for (case, token) in [("session", &session), ("jwt", &jwt), ("opaque", &opaque)] {
        assert_eq!(
            list_images(&client, &url, Some(token)).await.status(),
            StatusCode::OK,
            "{case}"
        );
    }
}

#[tokio::test]
async fn control_revoke() {
    let simulator = start().await;
    let client = client(&simulator);
    let url = simulator.url();

    let session = session_token(&client, &url, DEMO_USER, DEMO_PASSWORD).await;
    let revoked = post_control(&client, &url, "revoke", &json!({"token": session})).await;
    assert_eq!(revoked, json!({"revoked": 1}));
    assert_eq!(
        list_images(&client, &url, Some(&session)).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let unknown = post_control(&client, &url, "revoke", &json!({"token": "nope"})).await;
    assert_eq!(unknown, json!({"revoked": 0}));

    let first = session_token(&client, &url, DEMO_USER, DEMO_PASSWORD).await;
    let second = session_token(&client, &url, DEMO_USER, DEMO_PASSWORD).await;
    let revoked = post_control(&client, &url, "revoke", &json!({"username": DEMO_USER})).await;
    assert_eq!(revoked, json!({"revoked": 3}));
    for token in [&first, &second] {
        assert_eq!(
            list_images(&client, &url, Some(token)).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn control_faults() {
    let simulator = start().await;
    let client = client(&simulator);
    let url = simulator.url();

    let pushed = post_control(
        &client,
        &url,
        "faults",
        &json!({"path": "/auth", "fault": {"kind": "status", "status": 503, "retry_after": "1"}, "times": 2}),
    )
    .await;
    assert_eq!(pushed, json!({}));
    post_control(
        &client,
        &url,
        "faults",
        &json!({"path": "/auth", "fault": {"kind": "delay", "millis": 300}}),
    )
    .await;
    post_control(
        &client,
        &url,
        "faults",
        &json!({"path": "/auth", "fault": {"kind": "html"}}),
    )
    .await;

    for attempt in 1..=2 {
        let response = log_in(&client, &url, DEMO_USER, DEMO_PASSWORD).await;
        assert_eq!(
            response.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "attempt {attempt}"
        );
        assert_eq!(
            response
                .headers()
                .get("retry-after")
                .map(|value| value.as_bytes()),
            Some(&b"1"[..])
        );
    }
    let started = std::time::Instant::now();
    let delayed = log_in(&client, &url, DEMO_USER, DEMO_PASSWORD).await;
    assert_eq!(delayed.status(), StatusCode::CREATED);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let html = log_in(&client, &url, DEMO_USER, DEMO_PASSWORD).await;
    assert_eq!(html.status(), StatusCode::OK);
    assert_eq!(simulator.request_count("/auth"), 4);

    let empty = post_control(
        &client,
        &url,
        "faults",
        &json!({"path": "/auth", "fault": {"kind": "empty"}, "times": 1}),
    )
    .await;
    assert_eq!(empty, json!({}));
    post_control(&client, &url, "reset", &json!({})).await;
    let after_reset = log_in(&client, &url, DEMO_USER, DEMO_PASSWORD).await;
    assert_eq!(
        after_reset.status(),
        StatusCode::CREATED,
        "reset cleared the fault"
    );
}

#[tokio::test]
async fn control_rejects_bad_bodies() {
    let simulator = start().await;
    let client = client(&simulator);
    let url = simulator.url();

    let cases = [
        ("users", json!({"username": "x"})),
        (
            "users",
            json!({"username": "x", "password": "y", "role": "admin"}),
        ),
        ("tokens", json!({"modules": ["CS"]})),
        ("revoke", json!({})),
        ("revoke", json!({"token": "a", "username": "b"})),
        (
            "faults",
            json!({"path": "/auth", "fault": {"kind": "explode"}}),
        ),
        (
            "faults",
            json!({"path": "/auth", "fault": {"kind": "status", "status": 42}}),
        ),
        (
            "faults",
            json!({"path": "auth", "fault": {"kind": "reset"}}),
        ),
        (
            "faults",
            json!({"path": "/auth", "fault": {"kind": "reset"}, "times": 0}),
        ),
    ];
    for (endpoint, body) in cases {
        let response = client
            .post(format!("{url}/__simulator/{endpoint}"))
            .json(&body)
            .send()
            .await
            .expect("response");
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "POST {endpoint} with {body}"
        );
        let error: Value = response.json().await.expect("error body is JSON");
        assert!(error["error"].is_string(), "POST {endpoint}: {error}");
    }

    let not_json = client
        .post(format!("{url}/__simulator/users"))
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("response");
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST, "malformed JSON");

    let unknown = client
        .get(format!("{url}/__simulator/nothing"))
        .send()
        .await
        .expect("response");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        simulator.counters().paths.len(),
        0,
        "control requests are not counted"
    );
}
