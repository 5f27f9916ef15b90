//! The operations of `tests/evolution/all.yaml` (NOT THE VENDOR'S SPEC), run
//! through `openscaler::Client` against a raw server on 127.0.0.1.
//!
//! This file compiles only in a copy of the crate whose `openapi.yaml` is
//! `all.yaml`: `.ci/evolution` makes that copy, puts this file in its
//! `tests/`, and runs it. Nothing in it is written for one operation but
//! the call itself: what is checked is what the spec says (method, path,
//! query, headers, body, the token) and the retry rule of
//! `src/retry.rs` (GET, PUT, DELETE and `x-idempotent` sent again after a
//! 503 and after an answer cut off; a POST without an `Idempotency-Key`
//! sent once; a POST with one sent again with the same key).

mod support;

use std::{future::Future, pin::Pin};

use openscaler::{BalancingMethod, Client, Error, Servers};
use serde_json::{json, Value};
use support::{RawRequest, RawServer, Reply, TOKEN};

type Outcome = Result<Value, Error>;
type Call = fn(Client) -> Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// A backend as the all-together spec has it: a new field, a new enum
/// value, a new `servers` variant.
fn backend() -> Value {
    json!({
        "name": "api-backend",
        "mode": "udp",
        "balancing_method": "source",
        "port": 8080,
        "servers": {"type": "dns", "hostnames": ["a.example.com"]},
        "description": "the new field",
        "options": {"connect_timeout_ms": 250, "sticky_session": {"type": "cookie", "cookie": "S", "ttl": "5m", "secure": true}}
    })
}

fn typed() -> openscaler::Backend {
    serde_json::from_value(backend()).unwrap()
}

fn as_json<T: serde::Serialize>(value: T) -> Outcome {
    Ok(serde_json::to_value(value).unwrap())
}

/// One operation: how to call it, what must arrive, what answers it.
struct Case {
    name: &'static str,
    call: Call,
    method: &'static str,
    target: &'static str,
    body: Option<Value>,
    answer: Reply,
    value: Value,
    /// Attempts after a 503, and after an answer cut off.
    attempts: usize,
}

fn cases() -> Vec<Case> {
    let ok = |status: u16, body: &Value| Reply::json(status, body);
    let empty = |status: u16| Reply::http(status, &[], b"");
    let page = json!({"backends": [backend()], "next_cursor": "n-2"});
    let lbs = json!([{"id": "42", "name": "edge", "status": "active", "backend_count": 3}]);
    vec![
        Case {
            name: "get_backend",
            call: |c| Box::pin(async move { as_json(c.get_backend("42", "my-backend").await?) }),
            method: "GET",
            target: "/v1/lbs/42/backends/my-backend",
            body: None,
            answer: ok(200, &backend()),
            value: backend(),
            attempts: 2,
        },
        Case {
            name: "update_backend",
            call: |c| Box::pin(async move { as_json(c.update_backend("42", "my backend", typed()).await?) }),
            method: "PUT",
            target: "/v1/lbs/42/backends/my%20backend",
            body: Some(backend()),
            answer: ok(200, &backend()),
            value: backend(),
            attempts: 2,
        },
        Case {
            name: "delete_backend",
            call: |c| Box::pin(async move { as_json(c.delete_backend("42", "my-backend").await?) }),
            method: "DELETE",
            target: "/v1/lbs/42/backends/my-backend",
            body: None,
            answer: empty(204),
            value: Value::Null,
            attempts: 2,
        },
        Case {
            name: "list_backends",
            call: |c| Box::pin(async move {
                as_json(c.list_backends("42").limit(10).cursor("n-1").await?)
            }),
            method: "GET",
            target: "/v1/lbs/42/backends?cursor=n-1&limit=10",
            body: None,
            answer: ok(200, &page),
            value: page.clone(),
            attempts: 2,
        },
        Case {
            name: "drain_backend",
            call: |c| Box::pin(async move { as_json(c.drain_backend("42", "my-backend").await?) }),
            method: "POST",
            target: "/v1/lbs/42/backends/my-backend/drain",
            body: None,
            answer: empty(202),
            value: Value::Null,
            attempts: 2,
        },
        Case {
            name: "create_backend",
            call: |c| Box::pin(async move { as_json(c.create_backend("42", typed()).await?) }),
            method: "POST",
            target: "/v1/lbs/42/backends",
            body: Some(backend()),
            answer: ok(201, &backend()),
            value: backend(),
            attempts: 2,
        },
        Case {
            name: "restart_backend",
            call: |c| Box::pin(async move { as_json(c.restart_backend("42", "my-backend").await?) }),
            method: "POST",
            target: "/v1/lbs/42/backends/my-backend/restart",
            body: None,
            answer: empty(202),
            value: Value::Null,
            attempts: 1,
        },
        Case {
            name: "list_load_balancers",
            call: |c| Box::pin(async move { as_json(c.list_load_balancers().await?) }),
            method: "GET",
            target: "/v1/lbs",
            body: None,
            answer: ok(200, &lbs),
            value: lbs.clone(),
            attempts: 2,
        },
        Case {
            name: "get_load_balancer",
            call: |c| Box::pin(async move { as_json(c.get_load_balancer("42").await?) }),
            method: "GET",
            target: "/v1/lbs/42",
            body: None,
            answer: ok(200, &lbs[0]),
            value: lbs[0].clone(),
            attempts: 2,
        },
    ]
}

/// Every operation of the spec has a case here: a new one fails this until
/// it is added.
#[test]
fn every_operation_of_the_spec_has_a_case() {
    let mut ids: Vec<&str> = openscaler::operations::OPERATIONS.iter().map(|o| o.id).collect();
    let mut cased: Vec<&str> = cases().iter().map(|c| c.name).collect();
    ids.sort_unstable();
    cased.sort_unstable();
    assert_eq!(ids, cased);
}

async fn run(case: &Case, replies: Vec<Reply>) -> (Outcome, Vec<RawRequest>) {
    let server = RawServer::start(replies);
    let outcome = (case.call)(support::client(&server.base_url())).await;
    (outcome, server.requests())
}

fn check_request(case: &Case, request: &RawRequest) {
    let name = case.name;
    assert_eq!(request.method, case.method, "{name}");
    assert_eq!(request.target, case.target, "{name}");
    assert_eq!(request.header("authorization"), Some(format!("Bearer {TOKEN}").as_str()), "{name}");
    assert_eq!(request.header("api-version"), None, "{name}");
    match &case.body {
        Some(body) => {
            assert_eq!(request.header("content-type"), Some("application/json"), "{name}");
            let sent: Value = serde_json::from_slice(&request.body).unwrap();
            assert_eq!(&sent, body, "{name}");
        }
        None => assert!(request.body.is_empty(), "{name}: {:?}", request.body),
    }
}

/// Each operation sends what the spec says, once, and reads its answer.
#[tokio::test]
async fn each_operation_sends_what_the_spec_says() {
    for case in cases() {
        let (outcome, requests) = run(&case, vec![case.answer.clone()]).await;
        let value = outcome.unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(value, case.value, "{}", case.name);
        assert_eq!(requests.len(), 1, "{}", case.name);
        check_request(&case, &requests[0]);
    }
}

/// After a 503, and after an answer cut off in its status line, an
/// idempotent operation is sent again (and succeeds); a POST without an
/// `Idempotency-Key` is not, and says why.
#[tokio::test]
async fn retries_follow_the_method_s_semantics() {
    let busy = Reply::json(503, &json!({"message": "busy"}));
    let cut = Reply::Bytes(b"HTTP/1.1 20".to_vec());
    for case in cases() {
        for first in [busy.clone(), cut.clone()] {
            let (outcome, requests) = run(&case, vec![first, case.answer.clone()]).await;
            assert_eq!(requests.len(), case.attempts, "{}", case.name);
            for request in &requests {
                check_request(&case, request);
            }
            match case.attempts {
                2 => assert_eq!(outcome.unwrap(), case.value, "{}", case.name),
                _ => {
                    let error = outcome.unwrap_err();
                    assert_eq!(error.attempts(), 1, "{}", case.name);
                    assert!(error.to_string().ends_with("not retried: the request is not idempotent and may have taken effect"), "{error}");
                    assert!(!error.to_string().contains(TOKEN), "{error}");
                }
            }
        }
    }
}

/// The keyed POST carries a fresh UUID v4, the same on both attempts, and
/// a new one on the next call; a key the caller gives is sent as given.
#[tokio::test]
async fn a_keyed_post_is_retried_with_the_same_key() {
    let busy = Reply::json(503, &json!({"message": "busy"}));
    let made = Reply::json(201, &backend());
    let server = RawServer::start(vec![busy.clone(), made.clone(), busy, made]);
    let client = support::client(&server.base_url());
    client.create_backend("42", typed()).await.unwrap();
    client.create_backend("42", typed()).await.unwrap();
    let keys: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.header("idempotency-key").unwrap().to_owned())
        .collect();
    assert_eq!(keys.len(), 4);
    assert_eq!(keys[0], keys[1], "one key for a call's attempts");
    assert_eq!(keys[2], keys[3]);
    assert_ne!(keys[0], keys[2], "a key per call");
    for key in &keys {
        assert_eq!(key.len(), 36, "{key}");
        assert_eq!(&key[14..15], "4", "UUID version 4: {key}");
    }

    let server = RawServer::start(vec![Reply::Bytes(b"HTTP/1.1 20".to_vec()), Reply::json(201, &backend())]);
    support::client(&server.base_url())
        .create_backend("42", typed())
        .idempotency_key("mine-1")
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| r.header("idempotency-key") == Some("mine-1")));
}

/// A connection that was never made sent nothing: even the plain POST is
/// tried again, as often as the policy allows.
#[tokio::test]
async fn a_post_that_never_connected_is_retried() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let error = support::client(&format!("http://{closed}"))
        .restart_backend("42", "my-backend")
        .await
        .unwrap_err();
    assert_eq!(error.attempts(), 3, "{error}");
    assert_eq!(error.kind(), openscaler::ErrorKind::Transport);
}

/// What the spec added to the types is read and sent back: the new field,
/// the new enum value, and the new `servers` variant as `Servers::Unknown`
/// until a typed variant is written.
#[test]
fn new_fields_values_and_variants_round_trip() {
    let backend = typed();
    assert_eq!(backend.balancing_method, BalancingMethod::Source);
    assert_eq!(backend.description.as_deref(), Some("the new field"));
    assert!(matches!(backend.servers, Servers::Unknown(_)), "{:?}", backend.servers);
    assert_eq!(serde_json::to_value(&backend).unwrap(), self::backend());
}

/// The dynamic call reaches the new operations by name, with the query
/// values and the key by their names on the wire.
#[tokio::test]
async fn the_dynamic_call_reaches_the_new_operations() {
    let page = json!({"backends": [], "next_cursor": null});
    let server = RawServer::start(vec![Reply::json(200, &page), Reply::json(201, &backend())]);
    let client = support::client(&server.base_url());
    let params = json!({"lb_id": "42", "limit": 2});
    let value = client.call("list_backends", params.as_object().unwrap(), None).await.unwrap();
    assert_eq!(value["backends"], json!([]));
    let params = json!({"lb_id": "42", "Idempotency-Key": "k-9"});
    client.call("create_backend", params.as_object().unwrap(), Some(&backend())).await.unwrap();
    let requests = server.requests();
    assert_eq!(requests[0].target, "/v1/lbs/42/backends?limit=2");
    assert_eq!(requests[1].header("idempotency-key"), Some("k-9"));

    let wrong = json!({"lb_id": "42", "limit": "ten"});
    let error = client.call("list_backends", wrong.as_object().unwrap(), None).await.unwrap_err();
    assert_eq!(error.kind(), openscaler::ErrorKind::InvalidInput);
    assert_eq!(error.validation().unwrap().problems()[0].field(), "limit");
    assert_eq!(server.requests().len(), 2, "nothing sent for a refused call");
}
