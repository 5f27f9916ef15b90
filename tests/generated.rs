//! Calls made through the generated client directly (`Client::generated()`),
//! which progenitor's hooks (`pre`, `exec`) carry: the same token, wire
//! request and retries as the SDK's own calls, on a raw TCP server.

mod support;

use openscaler::RetryPolicy;
use serde_json::{json, Value};
use support::{golden, page_backend, RawServer, Reply};

fn ok() -> Reply {
    Reply::http(
        200,
        &[
            ("content-type", "application/json"),
            ("x-request-id", "req-7"),
        ],
        golden().response.to_string().as_bytes(),
    )
}

fn busy() -> Reply {
    Reply::json(503, &json!({"message": "busy"}))
}

async fn call(
    server: &RawServer,
    retry: RetryPolicy,
) -> Result<
    openscaler::generated::ResponseValue<openscaler::Backend>,
    openscaler::generated::Error<openscaler::generated::types::Error>,
> {
    let client = support::client_with(&server.base_url(), retry);
    let golden = golden();
    client
        .generated()
        .update_backend(&golden.lb_id, &golden.backend_name, &page_backend())
        .await
}

/// The page's request: the token added, progenitor's `api-version` header
/// dropped; the answer read whole, its status and headers kept.
#[tokio::test]
async fn the_generated_client_sends_the_pages_request() {
    let server = RawServer::start(vec![ok()]);
    let answer = call(&server, support::quick_retries()).await.unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    assert_eq!(answer.headers()["x-request-id"], "req-7");
    assert_eq!(
        serde_json::to_value(answer.into_inner()).unwrap(),
        golden().response
    );

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "PUT");
    assert_eq!(request.target, golden().path);
    assert_eq!(
        request.header("authorization"),
        Some(golden().authorization.as_str())
    );
    assert_eq!(request.header("api-version"), None);
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body, golden().body);
}

/// 503, 503, 200: retried with the same request each time.
#[tokio::test]
async fn the_generated_client_retries_transient_failures() {
    let server = RawServer::start(vec![busy(), busy(), ok()]);
    call(&server, support::quick_retries()).await.unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    for request in &requests {
        assert_eq!(request.body, requests[0].body);
        assert_eq!(
            request.header("authorization"),
            Some(golden().authorization.as_str())
        );
    }

    // The attempts run out: the last answer is the call's.
    let server = RawServer::start(vec![busy()]);
    let error = call(&server, support::quick_retries()).await.unwrap_err();
    assert_eq!(server.requests().len(), 3);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));

    // Retrying off: one attempt.
    let server = RawServer::start(vec![busy(), ok()]);
    let error = call(&server, RetryPolicy::none()).await.unwrap_err();
    assert_eq!(server.requests().len(), 1);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
}

/// A 200 cut off mid-body is sent again; the whole answer then parses.
#[tokio::test]
async fn the_generated_client_retries_a_success_cut_off() {
    let server = RawServer::start(vec![Reply::cut_off(20), ok()]);
    let answer = call(&server, support::quick_retries()).await.unwrap();
    assert_eq!(server.requests().len(), 2);
    assert_eq!(
        serde_json::to_value(answer.into_inner()).unwrap(),
        golden().response
    );
}

/// The token does not go over plain http to a host that is not loopback:
/// refused before anything is sent.
#[tokio::test]
async fn the_generated_client_keeps_the_token_off_plain_http() {
    let client = openscaler::Client::builder()
        .base_url("http://api.alpha.openscaler.net")
        .token(support::TOKEN)
        .build()
        .unwrap();
    let error = client
        .generated()
        .update_backend("42", "my-backend", &page_backend())
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("refusing to send the bearer token"),
        "{error}"
    );
}
