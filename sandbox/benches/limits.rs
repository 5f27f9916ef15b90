//! Figures for issue 18's two bugs, against the release binary (or the one
//! `SANDBOX_BIN` names, to measure another build the same way):
//! - how long a body of about 1 MiB with `SANDBOX_LIMITS_ITEMS` (default
//!   100,000) `computer_ids` takes to be answered, unique and with one
//!   repeat (median of 5), and the slowest health check while two repeated
//!   ones are checked at once;
//! - how much the process's resident memory grows over 1,000 requests of
//!   about 1 MiB each, with the journal at 1,000 entries and at 0.
//!
//! ```sh
//! cargo bench -p openscaler-sandbox --bench limits
//! ```

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{json, Value};

const PATH: &str = "/v1/lbs/42/backends/my-backend";

fn binary() -> String {
    std::env::var("SANDBOX_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_openscaler-sandbox").to_owned())
}

/// Starts the binary; returns it and its base URL.
fn spawn(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(binary())
        .args(["--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: Value = serde_json::from_str(&line).unwrap();
    (child, ready["listening"].as_str().unwrap().to_owned())
}

/// Resident memory of a process, in MiB.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb / 1024.0
}

fn backend() -> Value {
    json!({
        "name": "my-backend", "mode": "http", "balancing_method": "first",
        "port": 80, "servers": {"type": "computer", "computer_ids": ["1"]}
    })
}

fn many_ids(items: usize, repeated: bool) -> String {
    let mut ids: Vec<String> = (0..items).map(|i| format!("i{i}")).collect();
    if repeated {
        ids[items - 1] = "i0".to_owned();
    }
    let mut body = backend();
    body["servers"]["computer_ids"] = json!(ids);
    body.to_string()
}

async fn seed(client: &reqwest::Client, url: &str) {
    let state = json!({"42": {"my-backend": backend()}});
    let status = client
        .put(format!("{url}/__sandbox/state"))
        .body(state.to_string())
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
}

async fn put(client: &reqwest::Client, url: &str, body: String) -> (u16, Duration) {
    let started = Instant::now();
    let response = client
        .put(format!("{url}{PATH}"))
        .header("authorization", "Bearer <token>")
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let _ = response.bytes().await.unwrap();
    (status, started.elapsed())
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

async fn bodies(items: usize) {
    let (mut child, url) = spawn(&[]);
    let client = reqwest::Client::new();
    seed(&client, &url).await;
    for repeated in [false, true] {
        let body = many_ids(items, repeated);
        let mut times = Vec::new();
        let mut status = 0;
        for _ in 0..5 {
            let (s, t) = put(&client, &url, body.clone()).await;
            status = s;
            times.push(t);
        }
        println!(
            "{items} computer_ids ({} bytes), {}: status {status}, median {:.1} ms of 5 (max {:.1} ms)",
            body.len(),
            if repeated { "one repeat" } else { "unique" },
            median(times.clone()).as_secs_f64() * 1000.0,
            times.iter().max().unwrap().as_secs_f64() * 1000.0
        );
    }
    // Two repeated bodies at once; the health route polled meanwhile.
    let heavy: Vec<_> = (0..2)
        .map(|_| {
            let (client, url, body) = (client.clone(), url.clone(), many_ids(items, true));
            tokio::spawn(async move { put(&client, &url, body).await })
        })
        .collect();
    let mut slowest = Duration::ZERO;
    while !heavy.iter().all(tokio::task::JoinHandle::is_finished) {
        let started = Instant::now();
        client
            .get(format!("{url}/__sandbox/health"))
            .send()
            .await
            .unwrap();
        slowest = slowest.max(started.elapsed());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut answered = Vec::new();
    for task in heavy {
        answered.push(task.await.unwrap().1.as_secs_f64() * 1000.0);
    }
    println!(
        "two at once: answered in {:.1} ms and {:.1} ms; slowest health check meanwhile {:.1} ms",
        answered[0],
        answered[1],
        slowest.as_secs_f64() * 1000.0
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

async fn journal(entries: &str) -> f64 {
    let (mut child, url) = spawn(&["--journal", entries]);
    let client = reqwest::Client::new();
    seed(&client, &url).await;
    let mut body = backend();
    body["padding"] = json!("x".repeat(1_000_000));
    let body = body.to_string();
    // Warm up: buffers and allocator pools of one request's size.
    for _ in 0..10 {
        put(&client, &url, body.clone()).await;
    }
    let before = rss_mib(child.id());
    for _ in 0..1000 {
        let (status, _) = put(&client, &url, body.clone()).await;
        assert_eq!(status, 200);
    }
    let after = rss_mib(child.id());
    child.kill().unwrap();
    child.wait().unwrap();
    println!(
        "--journal {entries}: 1,000 requests of {} bytes: RSS {before:.1} MiB -> {after:.1} MiB (+{:.1} MiB)",
        body.len(),
        after - before
    );
    after - before
}

fn main() {
    let items: usize = std::env::var("SANDBOX_LIMITS_ITEMS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!("binary: {}", binary());
    runtime.block_on(async {
        bodies(items).await;
        journal("1000").await;
        journal("0").await;
    });
}
