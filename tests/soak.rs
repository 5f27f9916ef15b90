//! Soak: many `update_backend` calls through the sandbox's faults, and
//! nothing lost.
//!
//! `SOAK_CALLS` calls (default 5,000), 64 in flight, over 100 backends on 10
//! load balancers, each seeded first, against the in-process sandbox
//! answering 503, 429 and connection resets at random (a fixed seed). Each
//! backend has at most one call in flight, so its writes land in order and
//! any difference at the end is a real loss. Each write carries its
//! sequence number in `options.health_check.path`, so every request the
//! sandbox journals is tied to its call. Then:
//!
//! - right after each call, the backend's stored value is the last write
//!   that succeeded (a 200 whose write was not kept shows there, even when
//!   a later write would cover it), and at the end, the whole stored state
//!   is that for every backend (the seeded backend where none succeeded);
//! - a call that succeeded got back what it sent, after at most the
//!   policy's attempts, every one but the last a fault;
//! - a call that failed is a typed error after the policy's attempts, each
//!   a fault, the last the one the error reports;
//! - the journal holds exactly those requests, no more.
//!
//! The journal is read and emptied every `ROUND` calls, with no call in
//! flight, so a long run keeps a bounded journal.
//!
//! `SOAK_CALLS=100000 cargo test -p openscaler --test soak -- --nocapture`
//! prints the figures BENCHMARKS.md quotes (counts, never asserted times).

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};

use openscaler::{Backend, Client, ErrorKind, RetryPolicy};
use openscaler_sandbox::{JournalEntry, Sandbox};
use serde_json::{json, Value};
use tokio::sync::Semaphore;

const LOAD_BALANCERS: usize = 10;
const BACKENDS: usize = 100;
const IN_FLIGHT: usize = 64;
const DEFAULT_CALLS: usize = 5_000;
/// Calls between two reads of the journal.
const ROUND: usize = 2_500;
const FAULTS: &str = "503=0.05,429=0.02,reset=0.01,latency=1ms";
const SEED: u64 = 21;
const TOKEN: &str = "soak-token";
/// The policy's attempts: the default policy's.
const ATTEMPTS: u32 = 3;

fn lb_id(backend: usize) -> String {
    format!("lb-{}", backend % LOAD_BALANCERS)
}

fn backend_name(backend: usize) -> String {
    format!("b-{backend:02}")
}

/// The backend as seeded, or as call `seq` writes it: the page's body under
/// the backend's own name (no rename), its health check's path marking the
/// write.
fn body(backend: usize, seq: Option<usize>) -> Value {
    static PAGE: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    let page = PAGE.get_or_init(|| {
        let case: Value =
            serde_json::from_str(include_str!("fixtures/update-backend.json")).unwrap();
        case["body"].clone()
    });
    let mut body = page.clone();
    body["name"] = json!(backend_name(backend));
    body["options"]["health_check"]["path"] = match seq {
        Some(seq) => json!(format!("/soak/{seq}")),
        None => json!("/seeded"),
    };
    body
}

/// The sequence number a journalled body carries.
fn seq_of(entry: &JournalEntry) -> usize {
    entry
        .body
        .as_ref()
        .and_then(|b| b["options"]["health_check"]["path"].as_str())
        .and_then(|path| path.strip_prefix("/soak/"))
        .and_then(|seq| seq.parse().ok())
        .unwrap_or_else(|| panic!("a journalled request of no call: {entry:?}"))
}

/// One call and what came of it.
struct Call {
    seq: usize,
    backend: usize,
    result: Result<Backend, openscaler::Error>,
    took: Duration,
    /// The backend's stored value right after the call, when it was not
    /// the last write that succeeded.
    stored_wrong: Option<Value>,
}

/// What the run came to.
#[derive(Default)]
struct Tally {
    calls: usize,
    ok: usize,
    /// Failed calls by the fault of their last attempt.
    failed: BTreeMap<String, usize>,
    requests: usize,
    /// Successful calls that needed more than one attempt.
    retried: usize,
    /// Requests by fault, over the whole run.
    faults: BTreeMap<String, usize>,
    longest: Duration,
}

/// Calls `range` of the run: call `seq` updates backend `seq % BACKENDS`,
/// each backend's calls one after another, at most `IN_FLIGHT` at once.
/// `last_ok` has each backend's last write that succeeded before.
async fn round(
    client: &Client,
    sandbox: &Arc<Sandbox>,
    range: std::ops::Range<usize>,
    last_ok: &BTreeMap<usize, usize>,
) -> Vec<Call> {
    let permits = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut lanes = tokio::task::JoinSet::new();
    for backend in 0..BACKENDS {
        let (client, sandbox, permits) =
            (client.clone(), Arc::clone(sandbox), Arc::clone(&permits));
        let seqs: Vec<usize> = range.clone().filter(|s| s % BACKENDS == backend).collect();
        let mut expected = body(backend, last_ok.get(&backend).copied());
        lanes.spawn(async move {
            let (lb, name) = (lb_id(backend), backend_name(backend));
            let mut calls = Vec::with_capacity(seqs.len());
            for seq in seqs {
                let sent = body(backend, Some(seq));
                let typed: Backend = serde_json::from_value(sent.clone()).unwrap();
                let permit = permits.acquire().await.unwrap();
                let start = Instant::now();
                let result = client.update_backend(&lb, &name, &typed).await;
                let took = start.elapsed();
                drop(permit);
                if result.is_ok() {
                    expected = sent;
                }
                // Only this lane writes this backend: what is stored now is
                // what its calls left.
                let stored = sandbox.state()[&lb].get(&name).cloned();
                let stored_wrong =
                    (stored.as_ref() != Some(&expected)).then(|| stored.unwrap_or(Value::Null));
                calls.push(Call {
                    seq,
                    backend,
                    result,
                    took,
                    stored_wrong,
                });
            }
            calls
        });
    }
    let mut calls = Vec::new();
    while let Some(lane) = lanes.join_next().await {
        calls.extend(lane.unwrap());
    }
    calls
}

/// Checks a round's calls against the journal; returns, per backend, the
/// last write that succeeded in the round.
fn check_round(
    calls: &[Call],
    journal: Vec<JournalEntry>,
    capacity: usize,
    tally: &mut Tally,
) -> BTreeMap<usize, usize> {
    assert!(
        journal.len() < capacity,
        "the journal filled up ({capacity}): requests may be missing from it"
    );
    tally.requests += journal.len();
    let mut by_call: BTreeMap<usize, Vec<JournalEntry>> = BTreeMap::new();
    for entry in journal {
        if let Some(fault) = &entry.fault {
            *tally.faults.entry(fault.clone()).or_default() += 1;
        }
        by_call.entry(seq_of(&entry)).or_default().push(entry);
    }
    let mut last_ok = BTreeMap::new();
    for call in calls {
        tally.calls += 1;
        tally.longest = tally.longest.max(call.took);
        let sent = body(call.backend, Some(call.seq));
        let path = format!(
            "/v1/lbs/{}/backends/{}",
            lb_id(call.backend),
            backend_name(call.backend)
        );
        let requests = by_call.remove(&call.seq).unwrap_or_default();
        let seq = call.seq;
        if let Some(stored) = &call.stored_wrong {
            panic!(
                "after call {seq} ({}), {path} holds {stored}: not its last write that succeeded",
                if call.result.is_ok() {
                    "succeeded"
                } else {
                    "failed"
                }
            );
        }
        for request in &requests {
            assert_eq!(request.method, "PUT", "call {seq}");
            assert_eq!(request.path, path, "call {seq}");
            assert_eq!(request.body.as_ref(), Some(&sent), "call {seq}");
        }
        let (last, earlier) = requests
            .split_last()
            .unwrap_or_else(|| panic!("call {seq} reached the sandbox with no request"));
        assert!(
            earlier.iter().all(|r| r.fault.is_some()),
            "call {seq}: a request after an answered one: {requests:?}"
        );
        match &call.result {
            Ok(returned) => {
                tally.ok += 1;
                assert_eq!(
                    serde_json::to_value(returned).unwrap(),
                    sent,
                    "call {seq} got back another backend"
                );
                assert_eq!(
                    (last.fault.as_deref(), last.status),
                    (None, Some(200)),
                    "call {seq} succeeded, but its last request was not answered 200"
                );
                assert!(
                    requests.len() <= ATTEMPTS as usize,
                    "call {seq}: {} requests",
                    requests.len()
                );
                if requests.len() > 1 {
                    tally.retried += 1;
                }
                last_ok.insert(call.backend, seq);
            }
            Err(error) => {
                assert_eq!(
                    error.attempts(),
                    ATTEMPTS,
                    "call {seq} failed before the policy's attempts: {error}"
                );
                assert!(!error.is_retry_budget_exhausted(), "call {seq}: {error}");
                assert_eq!(
                    requests.len(),
                    ATTEMPTS as usize,
                    "call {seq}: the error says {} attempts, the sandbox journalled {}",
                    error.attempts(),
                    requests.len()
                );
                let fault = last
                    .fault
                    .clone()
                    .unwrap_or_else(|| panic!("call {seq} failed on an answered request: {error}"));
                match error.kind() {
                    ErrorKind::Status => assert_eq!(
                        error.status().map(|s| s.as_u16().to_string()).as_deref(),
                        Some(fault.as_str()),
                        "call {seq}: {error}"
                    ),
                    ErrorKind::Transport => assert_eq!(fault, "reset", "call {seq}: {error}"),
                    other => panic!("call {seq}: a {other:?} error: {error}"),
                }
                // The status and request id are the last attempt's (none
                // when it was reset); an earlier answer is named in the
                // message as such.
                assert_eq!(
                    error.status().map(|s| s.as_u16()),
                    last.status,
                    "call {seq}: {error}"
                );
                assert_eq!(
                    error.request_id(),
                    last.status.map(|_| last.id.as_str()),
                    "call {seq}: {error}"
                );
                let answered = requests.iter().rposition(|r| r.status.is_some());
                if let (None, Some(at)) = (last.status, answered) {
                    let named = format!("; attempt {} was answered ", at + 1);
                    assert!(error.to_string().contains(&named), "call {seq}: {error}");
                }
                *tally.failed.entry(fault).or_default() += 1;
            }
        }
    }
    assert!(
        by_call.is_empty(),
        "requests journalled for no call of this round: {:?}",
        by_call.keys().collect::<Vec<_>>()
    );
    last_ok
}

/// Resident memory of this process (client and sandbox): (now, peak), in
/// MB, from /proc (Linux; `None` elsewhere).
fn rss_mb() -> Option<(f64, f64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb / 1024.0)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

fn calls_wanted() -> usize {
    match std::env::var("SOAK_CALLS") {
        Ok(text) => text
            .parse()
            .unwrap_or_else(|_| panic!("SOAK_CALLS {text:?} is not a number of calls")),
        Err(_) => DEFAULT_CALLS,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_lost_under_faults() {
    let calls = calls_wanted();
    // A hang is a failure too: far longer than any run takes.
    let limit = Duration::from_secs(120 + calls as u64 / 50);
    tokio::time::timeout(limit, soak(calls))
        .await
        .unwrap_or_else(|_| panic!("{calls} calls did not finish within {limit:?}"));
}

async fn soak(calls: usize) {
    let mut state = json!({});
    for backend in 0..BACKENDS {
        state[lb_id(backend)][backend_name(backend)] = body(backend, None);
    }
    // Room for every attempt of a round: a full journal fails the check.
    let capacity = ROUND * ATTEMPTS as usize + 1;
    let sandbox = Arc::new(
        Sandbox::builder()
            .token(TOKEN)
            .seed(SEED)
            .faults(FAULTS)
            .journal_capacity(capacity)
            .state(state)
            .start()
            .await
            .unwrap(),
    );
    let client = Client::builder()
        .base_url(sandbox.base_url())
        .token(TOKEN)
        .retry_policy(RetryPolicy::default().max_attempts(ATTEMPTS))
        .build()
        .unwrap();

    let rss_start = rss_mb();
    let mut tally = Tally::default();
    let mut last_ok: BTreeMap<usize, usize> = BTreeMap::new();
    let mut start = 0;
    while start < calls {
        let end = (start + ROUND).min(calls);
        let done = round(&client, &sandbox, start..end, &last_ok).await;
        // No call is in flight: the journal holds the whole round.
        let journal = sandbox.requests();
        sandbox.clear_requests();
        last_ok.extend(check_round(&done, journal, capacity, &mut tally));
        start = end;
    }
    let rss_end = rss_mb();

    // The stored state: every backend as its last successful write left it.
    let stored = sandbox.state();
    for lb in 0..LOAD_BALANCERS {
        let names: Vec<String> = (lb..BACKENDS)
            .step_by(LOAD_BALANCERS)
            .map(backend_name)
            .collect();
        let held: Vec<&String> = stored[&lb_id(lb)]
            .as_object()
            .expect("a load balancer holds a map of backends")
            .keys()
            .collect();
        assert_eq!(held, names.iter().collect::<Vec<_>>(), "{}", lb_id(lb));
    }
    for backend in 0..BACKENDS {
        let expected = body(backend, last_ok.get(&backend).copied());
        assert_eq!(
            stored[&lb_id(backend)][&backend_name(backend)],
            expected,
            "{}/{}: not the last write that succeeded",
            lb_id(backend),
            backend_name(backend)
        );
    }

    assert_eq!(tally.calls, calls);
    // The faults happened, and were retried through.
    for fault in ["503", "429", "reset"] {
        assert!(
            tally.faults.contains_key(fault),
            "no {fault}: {:?}",
            tally.faults
        );
    }
    assert!(tally.retried > 0, "no call needed a retry");

    let failed: usize = tally.failed.values().sum();
    let mb = |rss: Option<(f64, f64)>, peak: bool| match rss {
        Some((now, high)) => format!("{:.1}", if peak { high } else { now }),
        None => "n/a".to_owned(),
    };
    eprintln!(
        "soak: {calls} calls, {IN_FLIGHT} in flight, faults {FAULTS}, seed {SEED}: \
         {} succeeded ({} after a retry), {failed} failed {:?}; {} requests \
         ({:.3} per call), faults injected {:?}; longest call {:.2} s; \
         RSS (client and sandbox, one process) start {} MB, peak {} MB, end {} MB",
        tally.ok,
        tally.retried,
        tally.failed,
        tally.requests,
        tally.requests as f64 / calls as f64,
        tally.faults,
        tally.longest.as_secs_f64(),
        mb(rss_start, false),
        mb(rss_end, true),
        mb(rss_end, false),
    );
}
