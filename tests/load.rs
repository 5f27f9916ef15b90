//! The retry budget under load, measured by counts (requests the server
//! received, calls that succeeded), never by timings, against
//! `support::ScriptedServer` on 127.0.0.1.
//!
//! `cargo test --test load -- --nocapture` prints the figures quoted in
//! README.md ("Under load").

mod support;

use std::{
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use openscaler::{Client, RetryPolicy};
use support::{page_backend, seeded_unit, Answer, ScriptedServer};

const CALLS: usize = 1000;
const IN_FLIGHT: usize = 64;

/// What a batch of calls came to.
#[derive(Debug, Default)]
struct Tally {
    ok: usize,
    errors: Vec<openscaler::Error>,
}

impl Tally {
    fn budget_refusals(&self) -> usize {
        self.errors
            .iter()
            .filter(|e| e.is_retry_budget_exhausted())
            .count()
    }
}

/// `calls` calls through `client`, `in_flight` at a time; call `i` updates
/// backend `b<i>`, so the server tells the calls apart by path.
async fn run(client: &Client, calls: usize, in_flight: usize) -> Tally {
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..in_flight {
        let (client, next) = (client.clone(), Arc::clone(&next));
        workers.spawn(async move {
            let mut tally = Tally::default();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= calls {
                    return tally;
                }
                match client
                    .update_backend("42", &format!("b{i}"), page_backend())
                    .await
                {
                    Ok(_) => tally.ok += 1,
                    Err(error) => tally.errors.push(error),
                }
            }
        });
    }
    let mut total = Tally::default();
    while let Some(tally) = workers.join_next().await {
        let tally = tally.unwrap();
        total.ok += tally.ok;
        total.errors.extend(tally.errors);
    }
    total
}

fn client(server: &ScriptedServer, retry: RetryPolicy) -> Client {
    support::client_with(&server.base_url(), retry)
}

/// 1,000 calls, 64 in flight, against an API answering 503 to everything:
/// the default budget (500 tokens, 5 per retry, no success to refill it)
/// allows exactly 100 retries, so the server gets 1,100 requests, within the
/// issue's 1.2 × 1,000. Without a budget: 3,000.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_api_gets_a_tenth_more_requests_not_three_times_as_many() {
    let server = ScriptedServer::start(|_, _| Answer::Status(503, None));
    let client = client(&server, support::quick_retries());
    let tally = run(&client, CALLS, IN_FLIGHT).await;
    let requests = server.requests();
    eprintln!(
        "all 503, budget: {CALLS} calls -> {requests} requests, {} refused a retry by the budget",
        tally.budget_refusals()
    );
    assert_eq!(tally.ok, 0);
    assert_eq!(tally.errors.len(), CALLS);
    assert!(requests <= CALLS * 12 / 10, "{requests} requests");
    assert_eq!(requests, CALLS + 500 / 5);
    assert_eq!(client.retry_tokens(), Some(0));
    // At most 50 calls got both their retries; every other call was refused one.
    assert!(
        tally.budget_refusals() >= CALLS - 50,
        "{}",
        tally.budget_refusals()
    );
    for error in &tally.errors {
        assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
        if error.is_retry_budget_exhausted() {
            assert!(error.attempts() < 3, "{error}");
            assert!(
                error.to_string().contains("retry budget is exhausted"),
                "{error}"
            );
        } else {
            assert_eq!(error.attempts(), 3, "{error}");
        }
    }

    // The same without a budget: every call makes its three attempts.
    let server = ScriptedServer::start(|_, _| Answer::Status(503, None));
    let client = self::client(&server, support::quick_retries().no_retry_budget());
    let tally = run(&client, CALLS, IN_FLIGHT).await;
    eprintln!(
        "all 503, no budget: {CALLS} calls -> {} requests",
        server.requests()
    );
    assert_eq!(server.requests(), CALLS * 3);
    assert_eq!(tally.budget_refusals(), 0);
    assert_eq!(client.retry_tokens(), None);
}

/// The answer to attempt `nth` of the call to `target`: 503 for a seeded
/// random 10 %, whatever the order calls arrive in.
fn ten_percent_503(seed: u64) -> impl Fn(&str, u32) -> Answer + Send + Sync + 'static {
    move |target, nth| match seeded_unit(seed, target, nth) < 0.1 {
        true => Answer::Status(503, None),
        false => Answer::Ok,
    }
}

/// Calls whose first three attempts all draw a 503 under `seed`: those no
/// retry policy of 3 attempts can save.
fn doomed(seed: u64) -> usize {
    (0..CALLS)
        .filter(|i| {
            let target = format!("/v1/lbs/42/backends/b{i}");
            (0..3).all(|nth| seeded_unit(seed, &target, nth) < 0.1)
        })
        .count()
}

/// 1,000 calls, 64 in flight, against an API answering 503 to a seeded
/// random 10 % of requests: the budget refuses no retry, so every call that
/// a third attempt can save is saved, and at least 99.9 % succeed.
///
/// Each call's answers depend only on the seed, its path and its attempt
/// number, not on interleaving; so does the outcome, given that the budget
/// refuses nothing (which the test asserts). With seed 1, 1 call in 1,000
/// draws three 503s in a row (0.1 % expected: 0.1³ per call).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_percent_random_503s_cost_at_most_one_call_in_a_thousand() {
    const SEED: u64 = 1;
    let server = ScriptedServer::start(ten_percent_503(SEED));
    let client = client(&server, support::quick_retries());
    let tally = run(&client, CALLS, IN_FLIGHT).await;
    let requests = server.requests();
    eprintln!(
        "10 % 503 (seed {SEED}): {} of {CALLS} calls succeeded, {requests} requests, \
         {} refused a retry by the budget, {} calls failed 3 times",
        tally.ok,
        tally.budget_refusals(),
        doomed(SEED)
    );
    assert_eq!(tally.budget_refusals(), 0, "the budget refused a retry");
    assert_eq!(tally.ok, CALLS - doomed(SEED));
    assert!(
        tally.ok * 1000 >= CALLS * 999,
        "{} calls succeeded",
        tally.ok
    );
    for error in &tally.errors {
        assert_eq!(error.attempts(), 3, "{error}");
    }
    // 1,000 first attempts and about 110 retries (1,000 × (0.1 + 0.01)).
    assert!((1050..1200).contains(&requests), "{requests} requests");
}

/// The budget's property holds whatever the seed: at 10 % failures it never
/// refuses a retry, so the calls that fail are exactly those that drew three
/// 503s in a row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_ten_percent_failures_the_budget_refuses_no_retry_for_any_seed() {
    for seed in 2..6 {
        let server = ScriptedServer::start(ten_percent_503(seed));
        let client = client(&server, support::quick_retries());
        let tally = run(&client, CALLS, IN_FLIGHT).await;
        assert_eq!(tally.budget_refusals(), 0, "seed {seed}");
        assert_eq!(tally.ok, CALLS - doomed(seed), "seed {seed}");
    }
}

/// An outage spends the budget; when it ends, successes refill it and
/// retries come back: after 5 successes (1 token each) a retry (5 tokens)
/// is allowed again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_outage_calls_succeed_and_retries_resume() {
    let down = Arc::new(AtomicBool::new(true));
    let state = Arc::clone(&down);
    // While down: 503 to everything. Once up: a call to a backend named
    // `flaky*` gets one 503 before its 200; any other call a 200.
    let server = ScriptedServer::start(move |target, nth| {
        if state.load(Ordering::SeqCst) || (target.contains("/flaky") && nth == 0) {
            Answer::Status(503, None)
        } else {
            Answer::Ok
        }
    });
    let client = client(&server, support::quick_retries());
    let outage = run(&client, 200, IN_FLIGHT).await;
    assert_eq!(outage.ok, 0);
    assert_eq!(client.retry_tokens(), Some(0));
    assert_eq!(server.requests(), 200 + 100);

    down.store(false, Ordering::SeqCst);
    let call = |name: &'static str| client.update_backend("42", name, page_backend());

    // Up again, but the budget is empty: a call that needs a retry fails
    // at once, and says why.
    let before = server.requests();
    let error = call("flaky-1").await.unwrap_err();
    assert!(error.is_retry_budget_exhausted(), "{error}");
    assert_eq!(error.attempts(), 1);
    assert_eq!(server.requests(), before + 1);

    // Calls succeed again at once, each putting a token back.
    for i in 1..=5 {
        call("steady").await.unwrap();
        assert_eq!(client.retry_tokens(), Some(i));
    }
    // Five tokens pay for a retry: the flaky call is retried and succeeds,
    // and its success returns what the retry cost.
    let before = server.requests();
    call("flaky-2").await.unwrap();
    assert_eq!(server.requests(), before + 2);
    assert_eq!(client.retry_tokens(), Some(5));
}

/// A call dropped while it waits to retry sends nothing more, and the
/// tokens it took for that retry come back at once.
#[tokio::test]
async fn a_call_dropped_while_waiting_to_retry_holds_no_budget() {
    let server = ScriptedServer::start(|_, nth| match nth {
        0 => Answer::Status(503, Some("2")),
        _ => Answer::Ok,
    });
    let client = client(&server, support::quick_retries());
    let call = client.update_backend("42", "my-backend", page_backend());
    // The first answer arrives at once; the call then waits 2 s to retry.
    let dropped = tokio::time::timeout(Duration::from_millis(500), call).await;
    assert!(dropped.is_err(), "the call finished: {dropped:?}");
    assert_eq!(server.requests(), 1);
    assert_eq!(
        client.retry_tokens(),
        Some(500),
        "tokens held after the drop"
    );

    // Well past the wait, no retry has gone out.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(server.requests(), 1);
    assert_eq!(client.retry_tokens(), Some(500));
}

/// Clones share one budget; a client built separately has its own.
#[tokio::test]
async fn clones_share_the_budget_and_other_clients_do_not() {
    let server = ScriptedServer::start(|target, nth| {
        match (target.contains("/down"), target.contains("/flaky"), nth) {
            (true, _, _) | (_, true, 0) => Answer::Status(503, None),
            _ => Answer::Ok,
        }
    });
    let policy = support::quick_retries().retry_budget(
        openscaler::RetryBudget::default()
            .capacity(5)
            .success_refill(0),
    );
    let first = client(&server, policy.clone());
    let clone = first.clone();
    let other = client(&server, policy);

    // The clone spends the one retry the shared 5 tokens pay for.
    let error = clone
        .update_backend("42", "down", page_backend())
        .await
        .unwrap_err();
    assert_eq!(error.attempts(), 2);
    assert!(error.is_retry_budget_exhausted(), "{error}");
    assert_eq!(first.retry_tokens(), Some(0));
    assert_eq!(other.retry_tokens(), Some(5));

    let error = first
        .update_backend("42", "flaky-a", page_backend())
        .await
        .unwrap_err();
    assert_eq!(error.attempts(), 1);
    assert!(error.is_retry_budget_exhausted(), "{error}");

    let before = server.requests();
    other
        .update_backend("42", "flaky-b", page_backend())
        .await
        .unwrap();
    assert_eq!(server.requests(), before + 2);
    assert_eq!(other.retry_tokens(), Some(5));
}
