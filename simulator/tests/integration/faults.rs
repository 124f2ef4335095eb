//! Each fault kind, observed from the client side over HTTP/1.1 and HTTP/2.

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use qualys_gateway_simulator::{Fault, Simulator};
use reqwest::{Client, StatusCode};

use crate::support::{
    DEMO_PASSWORD, DEMO_USER, IMAGES_PATH, client, error_chain, has_io_error, http1_client,
    list_images, log_in, session_token, start,
};

/// Both protocol versions, since hyper closes a failed HTTP/1.1 response and
/// a failed HTTP/2 stream differently.
fn clients(simulator: &Simulator) -> [(&'static str, Client); 2] {
    [
        ("HTTP/1.1", http1_client(simulator)),
        ("HTTP/2", client(simulator)),
    ]
}

#[tokio::test]
async fn status_fault_retry_after() {
    let simulator = start().await;
    let client = client(&simulator);
    let url = simulator.url();
    simulator.push_fault(
        "/auth",
        Fault::Status {
            status: 503,
            retry_after: Some("1".to_owned()),
            body: None,
        },
        2,
    );

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
            Some(&b"1"[..]),
            "attempt {attempt}"
        );
        let body = response.text().await.expect("body is readable");
        assert!(body.contains("503"), "attempt {attempt}: {body}");
    }
    let response = log_in(&client, &url, DEMO_USER, DEMO_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::CREATED, "after the faults");

    assert_eq!(simulator.request_count("/auth"), 3);
    let counts = simulator.auth_requests();
    assert_eq!(counts.total, 3);
    assert_eq!(counts.succeeded, 1);
    assert_eq!(counts.rejected, 0);
}

#[tokio::test]
async fn status_fault_custom_body() {
    let simulator = start().await;
    let client = client(&simulator);
    let token = session_token(&client, &simulator.url(), DEMO_USER, DEMO_PASSWORD).await;
    simulator.push_fault(
        IMAGES_PATH,
        Fault::Status {
            status: 429,
            retry_after: None,
            body: Some("slow down".to_owned()),
        },
        1,
    );

    let response = list_images(&client, &simulator.url(), Some(&token)).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().get("retry-after").is_none());
    assert_eq!(
        response.text().await.expect("body is readable"),
        "slow down"
    );
}

#[tokio::test]
async fn reset_fault() {
    let simulator = start().await;
    let url = simulator.url();

    for (protocol, client) in clients(&simulator) {
        simulator.push_fault("/auth", Fault::Reset, 1);
        let error = client
            .post(format!("{url}/auth"))
            .form(&[
                ("username", DEMO_USER),
                ("password", DEMO_PASSWORD),
                ("token", "true"),
            ])
            .send()
            .await
            .expect_err("a reset connection yields no response");
        assert!(!error.is_timeout(), "{protocol}: {}", error_chain(&error));
        // An HTTP/2 client may still be writing when the reset arrives, and
        // then reports the reset as a broken pipe.
        let reset_seen = has_io_error(&error, ErrorKind::ConnectionReset)
            || (protocol == "HTTP/2" && has_io_error(&error, ErrorKind::BrokenPipe));
        assert!(reset_seen, "{protocol}: {}", error_chain(&error));

        let response = log_in(&client, &url, DEMO_USER, DEMO_PASSWORD).await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "{protocol}: after the reset"
        );
    }
    assert_eq!(simulator.request_count("/auth"), 4);
}

#[tokio::test]
async fn delay_fault() {
    let simulator = start().await;
    let client = client(&simulator);
    let url = simulator.url();
    let delay = Duration::from_millis(700);
    simulator.push_fault("/auth", Fault::Delay(delay), 2);

    let started = Instant::now();
    let response = log_in(&client, &url, DEMO_USER, DEMO_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(
        started.elapsed() >= delay,
        "elapsed {:?}",
        started.elapsed()
    );

    let error = client
        .post(format!("{url}/auth"))
        .timeout(Duration::from_millis(200))
        .form(&[
            ("username", DEMO_USER),
            ("password", DEMO_PASSWORD),
            ("token", "true"),
        ])
        .send()
        .await
        .expect_err("a delayed response exceeds the 200 ms timeout");
    assert!(error.is_timeout(), "{}", error_chain(&error));
}

#[tokio::test]
async fn empty_body_fault() {
    let simulator = start().await;
    let client = client(&simulator);
    simulator.push_fault("/auth", Fault::EmptyBody, 1);

    let response = log_in(&client, &simulator.url(), DEMO_USER, DEMO_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.expect("body is readable"), "");
}

#[tokio::test]
async fn html_body_fault() {
    let simulator = start().await;
    let client = client(&simulator);
    let token = session_token(&client, &simulator.url(), DEMO_USER, DEMO_PASSWORD).await;
    simulator.push_fault(IMAGES_PATH, Fault::HtmlBody, 1);

    let response = list_images(&client, &simulator.url(), Some(&token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("content type is ASCII")
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let body = response.text().await.expect("body is readable");
    assert!(body.contains("<html>"), "{body}");
}

#[tokio::test]
async fn truncated_body_fault() {
    let simulator = start().await;
    let url = simulator.url();

    for (protocol, client) in clients(&simulator) {
        let token = session_token(&client, &url, DEMO_USER, DEMO_PASSWORD).await;

        simulator.push_fault("/auth", Fault::TruncatedBody, 1);
        let response = log_in(&client, &url, DEMO_USER, DEMO_PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "{protocol}: /auth");
        let declared = response
            .content_length()
            .expect("Content-Length is declared");
        assert!(declared > 0, "{protocol}: /auth declared {declared}");
        let error = response
            .bytes()
            .await
            .expect_err("a truncated /auth body fails to read");
        assert!(
            error.is_body() || error.is_decode(),
            "{protocol}: {}",
            error_chain(&error)
        );

        simulator.push_fault(IMAGES_PATH, Fault::TruncatedBody, 1);
        let response = list_images(&client, &url, Some(&token)).await;
        assert_eq!(response.status(), StatusCode::OK, "{protocol}: images");
        assert!(response.content_length().is_some(), "{protocol}: images");
        assert!(
            response.bytes().await.is_err(),
            "{protocol}: a truncated images body fails to read"
        );
    }
}

#[tokio::test]
async fn truncated_body_prefix() {
    let simulator = start().await;
    let client = http1_client(&simulator);
    let token = session_token(&client, &simulator.url(), DEMO_USER, DEMO_PASSWORD).await;
    simulator.push_fault(IMAGES_PATH, Fault::TruncatedBody, 1);

    // Reading chunk by chunk keeps the partial data that `bytes()` drops.
    let mut response = list_images(&client, &simulator.url(), Some(&token)).await;
    let declared = response
        .content_length()
        .expect("Content-Length is declared");
    let mut received = Vec::new();
    let error = loop {
        match response.chunk().await {
            Ok(Some(chunk)) => received.extend_from_slice(&chunk),
            Ok(None) => panic!("the body ended cleanly after {} bytes", received.len()),
            Err(error) => break error,
        }
    };
    let chain = error_chain(&error);
    assert!(!received.is_empty(), "no partial data before: {chain}");
    assert!(
        (received.len() as u64) < declared,
        "received {} of {declared} bytes before: {chain}",
        received.len()
    );
    assert!(received.starts_with(b"{\"data\":["), "{received:?}");
}

#[tokio::test]
async fn fault_path_prefix() {
    let simulator = start().await;
    let client = client(&simulator);
    let url = simulator.url();
    let token = session_token(&client, &url, DEMO_USER, DEMO_PASSWORD).await;
    simulator.push_fault("/csapi", Fault::EmptyBody, 1);

    let login = log_in(&client, &url, DEMO_USER, DEMO_PASSWORD).await;
    assert_eq!(
        login.status(),
        StatusCode::CREATED,
        "/auth is outside /csapi"
    );

    let images = list_images(&client, &url, Some(&token)).await;
    assert_eq!(images.status(), StatusCode::OK);
    assert_eq!(images.text().await.expect("body is readable"), "");
}

#[tokio::test]
async fn faults_skip_control_api() {
    let simulator = start().await;
    let client = client(&simulator);
    let url = simulator.url();
    simulator.push_fault("/", Fault::status(500), 1);

    let counters = client
        .get(format!("{url}/__simulator/counters"))
        .send()
        .await
        .expect("response");
    assert_eq!(counters.status(), StatusCode::OK);

    let missing = client
        .get(format!("{url}/nowhere"))
        .send()
        .await
        .expect("response");
    assert_eq!(
        missing.status(),
        StatusCode::INTERNAL_SERVER_ERROR,
        "the fault waited for a gateway request"
    );
    assert_eq!(simulator.request_count("/nowhere"), 1);
    assert_eq!(simulator.request_count("/__simulator/counters"), 0);
}

#[tokio::test]
async fn reset_clears_faults() {
    let simulator = start().await;
    let client = client(&simulator);
    let url = simulator.url();
    let _ = log_in(&client, &url, DEMO_USER, "wrong").await;
    simulator.push_fault("/auth", Fault::status(503), 3);

    simulator.reset();

    assert_eq!(simulator.request_count("/auth"), 0);
    assert_eq!(simulator.auth_requests().total, 0);
    let response = log_in(&client, &url, DEMO_USER, DEMO_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::CREATED);
}
