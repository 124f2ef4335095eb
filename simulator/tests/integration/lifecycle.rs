//! Starting and stopping simulators through the Rust API.

use qualys_gateway_simulator::{Simulator, SimulatorConfig, SimulatorError};
use reqwest::StatusCode;

use crate::support::{DEMO_PASSWORD, DEMO_USER, client, log_in, start};

#[test]
fn handle_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Simulator>();
}

#[test]
fn start_blocking_serves() {
    let simulator =
        Simulator::start_blocking(SimulatorConfig::default()).expect("the simulator starts");
    let url = simulator.url();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    assert!(!url.ends_with('/'), "{url}");
    assert!(simulator.address().ip().is_loopback());

    // This runtime drives only the client, because the simulator serves from
    // its own thread.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("the test runtime builds");
    let status = runtime.block_on(async {
        let client = client(&simulator);
        log_in(&client, &url, DEMO_USER, DEMO_PASSWORD)
            .await
            .status()
    });
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn busy_port_rejected() {
    let first = start().await;
    let port = first.address().port();

    let error = Simulator::start(SimulatorConfig {
        port,
        ..SimulatorConfig::default()
    })
    .await
    .expect_err("a second simulator cannot bind the same port");
    assert!(
        matches!(error, SimulatorError::Bind { port: bound, .. } if bound == port),
        "{error:?}"
    );
    assert!(
        error.to_string().contains(&format!("127.0.0.1:{port}")),
        "{error}"
    );
}

#[tokio::test]
async fn shutdown_frees_port() {
    let first = start().await;
    let port = first.address().port();
    first.shutdown().await;

    let second = Simulator::start(SimulatorConfig {
        port,
        ..SimulatorConfig::default()
    })
    .await
    .expect("the port is free after shutdown");
    let client = client(&second);
    let response = log_in(&client, &second.url(), DEMO_USER, DEMO_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn drop_stops_server() {
    let simulator = start().await;
    let client = client(&simulator);
    let url = simulator.url();
    drop(simulator);

    let error = client
        .get(format!("{url}/auth"))
        .send()
        .await
        .expect_err("a dropped simulator accepts no connection");
    assert!(error.is_connect(), "{error}");
}
