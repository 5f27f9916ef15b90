//! The sandbox's throughput with 64 requests in flight, as a ratio to a bare
//! hyper server answering a constant on the same machine in the same run,
//! and the time the binary takes to print its ready line.
//!
//! ```sh
//! cargo bench -p openscaler-sandbox --bench throughput
//! ```
//!
//! Each round runs the bare server, then the sandbox, for
//! `SANDBOX_BENCH_SECS` seconds each (default 2), seven rounds. The servers
//! share one 2-thread runtime, the load generator (reqwest, 64 tasks each
//! sending the page's PUT in a loop over kept-alive connections) another.

use std::{
    convert::Infallible,
    io::{BufRead, BufReader},
    net::SocketAddr,
    process::{Command, Stdio},
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{body::Incoming, Request, Response};
use hyper_util::rt::TokioIo;
use openscaler_sandbox::Sandbox;
use serde_json::{json, Value};

const IN_FLIGHT: usize = 64;
/// Rounds of (bare, sandbox), interleaved so that the load of the machine
/// weighs on both alike; the median ratio is reported.
const ROUNDS: usize = 7;

fn page() -> Value {
    serde_json::from_str(include_str!("../../tests/fixtures/update-backend.json")).unwrap()
}

/// The page's body, renamed so that every update lands on the same stored
/// backend (no rename).
fn body() -> Value {
    let mut body = page()["body"].clone();
    body["name"] = json!("my-backend");
    body
}

/// A hyper server that reads each request's body and answers the page's
/// response, constant.
async fn bare_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let answer = Bytes::from(page()["response"]["body"].to_string());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let answer = answer.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                    let answer = answer.clone();
                    async move {
                        let _ = request.into_body().collect().await;
                        let mut response = Response::new(Full::new(answer));
                        response
                            .headers_mut()
                            .insert("content-type", "application/json".parse().unwrap());
                        Ok::<_, Infallible>(response)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    address
}

/// Requests per second answered 200 at `url` over `secs`.
async fn load(url: String, secs: f64) -> f64 {
    let client = reqwest::Client::new();
    let body = body().to_string();
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..IN_FLIGHT {
        let (client, url, body) = (client.clone(), url.clone(), body.clone());
        let (done, failed, stop) = (done.clone(), failed.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let sent = client
                    .put(&url)
                    .header("authorization", "Bearer <token>")
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await;
                let ok = match sent {
                    Ok(r) => r.status() == 200 && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                let counter = if ok { &done } else { &failed };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    // Warm up (connections, caches), then count.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let start_count = done.load(Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    let counted = done.load(Ordering::Relaxed) - start_count;
    let elapsed = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        let _ = task.await;
    }
    assert_eq!(
        failed.load(Ordering::Relaxed),
        0,
        "requests failed at {url}"
    );
    counted as f64 / elapsed
}

fn main() {
    let secs: f64 = std::env::var("SANDBOX_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let servers = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let clients = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let bare = servers.block_on(bare_server());
    let cold = Instant::now();
    let sandbox = servers.block_on(async {
        Sandbox::builder()
            .backend("42", body())
            .start()
            .await
            .unwrap()
    });
    let cold = cold.elapsed();
    let path = "/v1/lbs/42/backends/my-backend";
    let bare_url = format!("http://{bare}{path}");
    let sandbox_url = format!("{}{path}", sandbox.base_url());

    println!("throughput, {IN_FLIGHT} requests in flight, {secs} s per run");
    let mut ratios = Vec::new();
    for round in 1..=ROUNDS {
        let bare_rps = clients.block_on(load(bare_url.clone(), secs));
        let sandbox_rps = clients.block_on(load(sandbox_url.clone(), secs));
        let ratio = sandbox_rps / bare_rps;
        ratios.push(ratio);
        println!(
            "round {round}: bare hyper {bare_rps:>9.0} req/s, sandbox {sandbox_rps:>9.0} req/s, ratio {ratio:.2}"
        );
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "median ratio sandbox / bare hyper over {ROUNDS} rounds: {:.2} (target >= 0.5)",
        ratios[ROUNDS / 2]
    );
    // The journal stayed at its bound through all of that.
    assert_eq!(
        sandbox.requests().len(),
        openscaler_sandbox::DEFAULT_JOURNAL_CAPACITY
    );

    // Start-up: from spawning the binary to reading its ready line.
    let binary = env!("CARGO_BIN_EXE_openscaler-sandbox");
    let mut times = Vec::new();
    for _ in 0..10 {
        let started = Instant::now();
        let mut child = Command::new(binary)
            .args(["--port", "0"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        times.push(started.elapsed());
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(line.starts_with("{\"listening\""), "{line}");
    }
    times.sort();
    println!(
        "binary start-up to ready line (10 runs): median {:.1} ms, min {:.1} ms, max {:.1} ms",
        times[5].as_secs_f64() * 1000.0,
        times[0].as_secs_f64() * 1000.0,
        times[9].as_secs_f64() * 1000.0
    );
    println!(
        "in-process first Sandbox start (parses openapi.yaml, builds the validators): {:.2} ms",
        cold.as_secs_f64() * 1000.0
    );
    // In-process: a second sandbox in the same process (the spec is parsed once).
    let started = Instant::now();
    let second = servers.block_on(Sandbox::start());
    println!(
        "in-process Sandbox::start() with the spec already parsed: {:.2} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    drop(second);
}
