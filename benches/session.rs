//! In-process benchmarks of the session against the gateway simulator on
//! loopback TLS: the cached bearer token per call, and 200 concurrent
//! callers on a cold cache compared with one login.
//!
//! Run: `cargo bench --bench session` (results: BENCHMARKS.md).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use qualys_ci_auth::platform::Platform;
use qualys_ci_auth::{BlockingSession, Credential, Gateway, HttpSettings, Session, SessionConfig};
use qualys_gateway_simulator::{Simulator, SimulatorConfig};
use secrecy::SecretString;

fn config(simulator: &Simulator, username: &str) -> SessionConfig {
    let gateway = Gateway::from_url(&simulator.url(), false).expect("simulator URL");
    let credential = Credential::UsernamePassword {
        username: username.to_owned(),
        password: SecretString::from("bench-password".to_owned()),
    };
    let mut config = SessionConfig::new(gateway, credential, Platform::Jenkins);
    config.http = HttpSettings {
        extra_ca_pem: Some(simulator.ca_pem()),
        ..HttpSettings::default()
    };
    config
}

fn cached_bearer_token(c: &mut Criterion) {
    let simulator = Simulator::start_blocking(SimulatorConfig::default()).expect("simulator");
    simulator.add_user("bench-user", "bench-password", &["CS"]);
    let session = BlockingSession::new(config(&simulator, "bench-user")).expect("session");
    session.bearer_token().expect("first token fills the cache");

    c.bench_function("rust/cached_bearer_token", |b| {
        b.iter(|| session.bearer_token().expect("cached token"));
    });
    assert_eq!(simulator.auth_requests().total, 1);
}

fn cold_cache_concurrency(c: &mut Criterion) {
    let simulator = Simulator::start_blocking(SimulatorConfig::default()).expect("simulator");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let users = AtomicU64::new(0);

    // A new user per iteration gives a cold cache entry each time.
    let fresh_user = || {
        let name = format!("user-{}", users.fetch_add(1, Ordering::Relaxed));
        simulator.add_user(&name, "bench-password", &["CS"]);
        name
    };

    let mut group = c.benchmark_group("cold_cache");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("one_login", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let session = Session::new(config(&simulator, &fresh_user())).expect("session");
                let started = Instant::now();
                runtime.block_on(session.bearer_token()).expect("token");
                total += started.elapsed();
            }
            total
        });
    });
    group.bench_function("200_concurrent_callers", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let session = Session::new(config(&simulator, &fresh_user())).expect("session");
                let before = simulator.auth_requests().total;
                let started = Instant::now();
                runtime.block_on(async {
                    let tasks: Vec<_> = (0..200)
                        .map(|_| {
                            let session = session.clone();
                            tokio::spawn(async move { session.bearer_token().await })
                        })
                        .collect();
                    for task in tasks {
                        task.await.expect("task").expect("token");
                    }
                });
                total += started.elapsed();
                assert_eq!(
                    simulator.auth_requests().total - before,
                    1,
                    "exactly one /auth per cold cache"
                );
            }
            total
        });
    });
    group.finish();
}

criterion_group!(benches, cached_bearer_token, cold_cache_concurrency);
criterion_main!(benches);
