//! Never falls over: any bytes as path, headers or body get a 4xx answer,
//! never a panic, a hang or a 5xx; the journal and vector state stay
//! bounded.

mod common;

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    sync::OnceLock,
    time::Duration,
};

use common::*;
use openscaler_sandbox::{journal::MAX_BODY_KEPT, Sandbox};
use proptest::prelude::*;
use serde_json::json;

/// The sandbox runs on its own multi-threaded runtime; the test talks to it
/// over blocking sockets, byte for byte.
fn start(builder: openscaler_sandbox::SandboxBuilder) -> (tokio::runtime::Runtime, Sandbox) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sandbox = runtime.block_on(builder.start()).unwrap();
    (runtime, sandbox)
}

/// Sends raw bytes, returns the status of the answer (None: closed without
/// one). A hang fails after 10 s.
fn exchange(address: SocketAddr, request: &[u8]) -> Option<u16> {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    match stream.read_to_end(&mut answer) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!(
            "no answer within 10 s ({e}) to {:?}",
            String::from_utf8_lossy(request)
        ),
    }
    let head = String::from_utf8_lossy(&answer);
    head.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

fn request(path: &[u8], header: (&[u8], &[u8]), body: &[u8]) -> Vec<u8> {
    let mut out = b"PUT ".to_vec();
    out.extend_from_slice(path);
    out.extend_from_slice(b" HTTP/1.1\r\nhost: sandbox\r\nauthorization: Bearer <token>\r\ncontent-type: application/json\r\nconnection: close\r\n");
    out.extend_from_slice(header.0);
    out.extend_from_slice(b": ");
    out.extend_from_slice(header.1);
    out.extend_from_slice(format!("\r\ncontent-length: {}\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(body);
    out
}

fn path() -> impl Strategy<Value = Vec<u8>> {
    let prefixes = prop_oneof![
        Just(b"/v1/lbs/42/backends/".to_vec()),
        Just(b"/v1/lbs/".to_vec()),
        Just(b"/__sandbox/state".to_vec()),
        Just(b"/__sandbox/faults".to_vec()),
        Just(b"/".to_vec()),
        Just(Vec::new()),
    ];
    (prefixes, proptest::collection::vec(any::<u8>(), 0..40)).prop_map(|(mut p, tail)| {
        p.extend(tail);
        p
    })
}

proptest! {
    // 512 cases, each over its own connection.
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_bytes_get_a_4xx(
        path in path(),
        name in proptest::collection::vec(any::<u8>(), 0..20),
        value in proptest::collection::vec(any::<u8>(), 0..60),
        body in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let status = exchange(shared_sandbox(), &request(&path, (&name, &value), &body));
        prop_assert!(matches!(status, Some(400..=499)), "status {status:?}");
    }
}

/// One sandbox for all cases of the property, with my-backend stored.
fn shared_sandbox() -> SocketAddr {
    static SANDBOX: OnceLock<(tokio::runtime::Runtime, Sandbox)> = OnceLock::new();
    SANDBOX.get_or_init(|| start(seeded())).1.address()
}

#[test]
fn after_the_property_it_still_serves() {
    let (runtime, sandbox) = start(seeded());
    for junk in [&b"\x00\x01\x02"[..], b"GET / HTTP/9.9\r\n\r\n", b"PUT /v1/lbs/%2E%2E/backends/b HTTP/1.1\r\nhost: x\r\nauthorization: Bearer t\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"] {
        let status = exchange(sandbox.address(), junk);
        assert!(matches!(status, Some(400..=499) | None), "{status:?}");
    }
    // A dot segment a client would normalise away is refused by name.
    let dot = b"PUT /v1/lbs/%2E%2E/backends/my-backend HTTP/1.1\r\nhost: x\r\nauthorization: Bearer t\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}";
    assert_eq!(exchange(sandbox.address(), dot), Some(400));
    let health = runtime.block_on(get(&sandbox, "/__sandbox/health"));
    assert_eq!(health["status"], "ok");
}

#[test]
fn the_journal_stays_bounded() {
    let (runtime, sandbox) = start(seeded().journal_capacity(50));
    let big = "x".repeat(100 * 1024);
    runtime.block_on(async {
        for _ in 0..120 {
            put(
                &sandbox,
                "/v1/lbs/42/backends/my-backend",
                &json!({ "name": big }),
            )
            .await;
        }
    });
    let entries = sandbox.requests();
    assert_eq!(entries.len(), 50);
    for entry in &entries {
        assert!(entry.body_truncated);
        assert_eq!(entry.body_bytes, Some(big.len() + r#"{"name":""}"#.len()));
        assert!(entry.body_text.as_ref().unwrap().len() <= MAX_BODY_KEPT);
        // The violations quote the value cut short.
        let message = &entry.validation.as_ref().unwrap().violations[0].message;
        assert!(message.len() < 200, "{message}");
    }
}

#[test]
fn vector_state_stays_bounded() {
    let (runtime, sandbox) = start(Sandbox::builder());
    let verdict = runtime.block_on(async {
        for _ in 0..200 {
            http()
                .put(format!(
                    "{}/v1/lbs/1/backends/2",
                    sandbox.vector_url("golden-page-example")
                ))
                .body("not json")
                .send()
                .await
                .unwrap();
        }
        get(&sandbox, "/__vectors/golden-page-example/verdict").await
    });
    assert_eq!(verdict["received"], 200);
    let mismatches = verdict["mismatches"].as_array().unwrap();
    assert!(mismatches.len() <= 34, "{}", mismatches.len());
    assert!(
        mismatches
            .last()
            .unwrap()
            .as_str()
            .unwrap()
            .starts_with("and "),
        "{verdict}"
    );
}

/// A body of about 1 MiB with 100,000 `computer_ids`, the last repeating
/// the first (or not).
fn many_ids(repeated: bool) -> serde_json::Value {
    let mut ids: Vec<String> = (0..100_000).map(|i| format!("i{i}")).collect();
    if repeated {
        ids[99_999] = "i0".to_owned();
    }
    let mut body = page_body();
    body["name"] = json!("my-backend");
    body["servers"] = json!({"type": "computer", "computer_ids": ids});
    body
}

/// Two such bodies at once do not hold up the health route by more than
/// 100 ms (they are checked apart from the runtime's workers), and each is
/// answered: 422 naming the repeat, or 200.
#[test]
fn large_bodies_do_not_hold_up_the_health_route() {
    let (runtime, sandbox) = start(seeded());
    let (slowest, statuses) = runtime.block_on(async {
        let heavy = |repeated: bool| {
            let url = format!("{}/v1/lbs/42/backends/my-backend", sandbox.base_url());
            let body = many_ids(repeated).to_string();
            assert!(body.len() <= openscaler_sandbox::MAX_BODY, "{}", body.len());
            tokio::spawn(async move {
                http()
                    .put(url)
                    .header("authorization", "Bearer <token>")
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        };
        let tasks = [heavy(true), heavy(false)];
        let health = format!("{}/__sandbox/health", sandbox.base_url());
        let client = http();
        let mut slowest = Duration::ZERO;
        while !tasks.iter().all(tokio::task::JoinHandle::is_finished) {
            let started = std::time::Instant::now();
            let status = client.get(&health).send().await.unwrap().status();
            assert_eq!(status, 200);
            slowest = slowest.max(started.elapsed());
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.unwrap());
        }
        (slowest, statuses)
    });
    assert_eq!(statuses, [422, 200]);
    assert!(
        slowest < Duration::from_millis(100),
        "health took {slowest:?}"
    );
    let journal = sandbox.requests();
    let refused = journal.iter().find(|e| e.status == Some(422)).unwrap();
    assert_eq!(
        refused.validation.as_ref().unwrap().violations[0].message,
        "has a repeated item \"i0\""
    );
}
