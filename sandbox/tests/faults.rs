//! Faults: rates within a stated tolerance for a given seed, Retry-After on
//! 429, resets that close without an answer, latency, reproducibility.

mod common;

use std::{
    io::{Read, Write},
    net::TcpStream,
    time::{Duration, Instant},
};

use common::*;
use openscaler_sandbox::Sandbox;

/// Sends `n` requests; returns the count of each outcome
/// (status, or 0 for a connection that closed without an answer).
async fn outcomes(sandbox: &Sandbox, n: usize) -> std::collections::BTreeMap<u16, usize> {
    let client = http();
    let mut counts = std::collections::BTreeMap::new();
    for _ in 0..n {
        let sent = client
            .put(format!(
                "{}/v1/lbs/42/backends/my-backend",
                sandbox.base_url()
            ))
            .header("authorization", "Bearer <token>")
            .header("content-type", "application/json")
            .body(stored_backend().to_string())
            .send()
            .await;
        let status = match sent {
            Ok(response) => {
                if response.status() == 429 {
                    assert_eq!(response.headers()["retry-after"], "1");
                }
                response.status().as_u16()
            }
            Err(_) => 0,
        };
        *counts.entry(status).or_default() += 1;
    }
    counts
}

/// 2000 requests at 503=0.1, 429=0.05, reset=0.02: each rate lands within
/// 2 percentage points of its setting (the binomial standard deviation is
/// at most 0.67 points), and the same seed gives the same counts.
#[tokio::test]
async fn fault_rates_match_their_settings_for_a_seed() {
    let n = 2000;
    let spec = "503=0.1,429=0.05,reset=0.02";
    let sandbox = seeded()
        .seed(42)
        .faults(spec)
        .journal_capacity(n)
        .start()
        .await
        .unwrap();
    let counts = outcomes(&sandbox, n).await;
    let rate = |status: u16| *counts.get(&status).unwrap_or(&0) as f64 / n as f64;
    for (status, expected) in [(503, 0.1), (429, 0.05), (0, 0.02), (200, 0.83)] {
        assert!(
            (rate(status) - expected).abs() <= 0.02,
            "status {status}: rate {} for {expected}; {counts:?}",
            rate(status)
        );
    }
    // The journal says which fault each request got.
    let journal = sandbox.requests();
    let resets = journal
        .iter()
        .filter(|e| e.fault.as_deref() == Some("reset"))
        .count();
    assert_eq!(resets, counts[&0]);
    assert!(journal
        .iter()
        .filter(|e| e.fault.is_some())
        .all(|e| e.status != Some(200)));

    // The same seed draws the same faults in the same order.
    let again = seeded().seed(42).faults(spec).start().await.unwrap();
    assert_eq!(outcomes(&again, n).await, counts);
}

/// (A multi-threaded runtime: this test reads with a blocking socket.)
#[tokio::test(flavor = "multi_thread")]
async fn a_reset_closes_the_connection_without_an_answer() {
    let sandbox = Sandbox::builder().faults("reset=1").start().await.unwrap();
    let mut stream = TcpStream::connect(sandbox.address()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let body = page_body().to_string();
    write!(
        stream,
        "PUT /v1/lbs/42/backends/my-backend HTTP/1.1\r\nhost: x\r\nauthorization: Bearer t\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut got = Vec::new();
    let read = stream.read_to_end(&mut got);
    assert!(
        got.is_empty(),
        "an answer came: {}",
        String::from_utf8_lossy(&got)
    );
    // A reset (SO_LINGER 0), not a clean end of stream.
    assert_eq!(
        read.unwrap_err().kind(),
        std::io::ErrorKind::ConnectionReset
    );
    assert_eq!(sandbox.requests()[0].status, None);
}

#[tokio::test]
async fn latency_delays_every_answer() {
    let sandbox = seeded().faults("latency=150ms").start().await.unwrap();
    let started = Instant::now();
    let (status, _, _) = put(
        &sandbox,
        "/v1/lbs/42/backends/my-backend",
        &stored_backend(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_bad_fault_spec_stops_the_start() {
    let error = Sandbox::builder()
        .faults("503=0.7,429=0.7")
        .start()
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "--faults: fault probabilities add up to 1.4, more than 1"
    );
}
