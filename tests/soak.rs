//! Soak: many bearer requests through one session stay within bounded memory
//! and file descriptors, and need exactly one `/auth` per token lifetime.
//!
//! The bounds are generous on purpose (they catch leaks, not regressions of a
//! few kilobytes); speed is measured in the benchmarks, not here.

mod common;

use common::*;
use qualys_ci_auth::Session;
use qualys_ci_auth::platform::Platform;

const IMAGES: &str = "/csapi/v1.3/images?pageNumber=1&pageSize=1";

/// Resident set size of this process in KiB, from /proc/self/status.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS line")
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("read /proc/self/fd")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_and_concurrent_requests_bounded() {
    // No log capture here: a TRACE buffer would grow with every request.
    let sim = qualys_gateway_simulator::Simulator::start(Default::default())
        .await
        .expect("simulator starts");
    let session = Session::new(config(
        &sim,
        password("demo-user", "demo-password"),
        Platform::Jenkins,
    ))
    .expect("session");

    // Warm-up: connection pool, TLS session, allocator arenas.
    for _ in 0..200 {
        let response = session
            .request(reqwest::Method::GET, IMAGES, None)
            .await
            .expect("warm-up request");
        assert_eq!(response.status, 200);
    }
    let (rss_before, fds_before) = (rss_kib(), open_fds());

    for _ in 0..10_000 {
        let response = session
            .request(reqwest::Method::GET, IMAGES, None)
            .await
            .expect("sequential request");
        assert_eq!(response.status, 200);
    }
    let (rss_sequential, fds_sequential) = (rss_kib(), open_fds());

    let tasks: Vec<_> = (0..1_000)
        .map(|_| {
            let session = session.clone();
            tokio::spawn(async move { session.request(reqwest::Method::GET, IMAGES, None).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(
            task.await
                .expect("task")
                .expect("concurrent request")
                .status,
            200
        );
    }
    let (rss_after, fds_after) = (rss_kib(), open_fds());

    eprintln!(
        "soak: RSS {rss_before} KiB -> {rss_sequential} KiB after 10,000 sequential -> {rss_after} KiB after 1,000 concurrent; \
         fds {fds_before} -> {fds_sequential} -> {fds_after}"
    );
    assert!(
        rss_sequential <= rss_before + 16 * 1024,
        "sequential requests grew RSS from {rss_before} to {rss_sequential} KiB"
    );
    assert!(
        rss_after <= rss_before + 64 * 1024,
        "concurrent requests grew RSS from {rss_before} to {rss_after} KiB"
    );
    assert!(
        fds_sequential <= fds_before + 4,
        "sequential requests leaked fds: {fds_before} -> {fds_sequential}"
    );
    assert!(
        fds_after <= fds_before + 64,
        "concurrent requests left fds open: {fds_before} -> {fds_after}"
    );
    assert_eq!(
        sim.auth_requests().total,
        1,
        "one /auth for the whole token lifetime"
    );
    assert_eq!(sim.request_count("/csapi/v1.3/images"), 11_200);
}
