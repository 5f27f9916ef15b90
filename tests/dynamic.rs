//! `Client::call` and `Client::preview_call`: any operation by its
//! operationId, with JSON values, checked and sent as the typed method
//! sends it; every refusal names the value and sends nothing.

mod support;

use openscaler::ErrorKind;
use serde_json::{json, Map, Value};
use support::{golden, RawServer, Reply, TOKEN};

fn params(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

fn page_params() -> Map<String, Value> {
    params(json!({"lb_id": "42", "backend_name": "my-backend"}))
}

/// The page's request, by name: the same wire request as the typed method,
/// the answer as JSON.
#[tokio::test]
async fn a_call_by_name_sends_what_the_typed_method_sends() {
    let page = golden();
    let server = RawServer::start(vec![Reply::json(200, &page.response)]);
    let client = support::client(&server.base_url());
    let answer = client
        .call("update_backend", &page_params(), Some(&page.body))
        .await
        .unwrap();
    assert_eq!(answer, page.response);
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "PUT");
    assert_eq!(requests[0].target, page.path);
    assert_eq!(
        requests[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    let sent: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(sent, page.body);

    let prepared = client
        .preview_call("update_backend", &page_params(), Some(&page.body))
        .await
        .unwrap();
    assert_eq!(prepared.method(), "PUT");
    assert_eq!(prepared.url().path(), page.path);
    assert_eq!(prepared.body_json(), page.body);
    assert_eq!(server.requests().len(), 1, "a preview sends nothing");
}

/// Each refusal is `InvalidInput`, names the field and the value, and
/// nothing reaches the server.
#[tokio::test]
async fn refusals_name_the_value_and_send_nothing() {
    let server = RawServer::start(vec![Reply::json(200, &golden().response)]);
    let client = support::client(&server.base_url());
    let body = golden().body;
    let mut bad_body = body.clone();
    bad_body["port"] = json!(0);
    // (operation, params, body, then the refused field, value and message)
    type Case = (
        &'static str,
        Map<String, Value>,
        Option<Value>,
        &'static str,
        &'static str,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        (
            "delete_everything",
            page_params(),
            Some(body.clone()),
            "operation",
            "\"delete_everything\"",
            "is not an operation of the spec (update_backend)",
        ),
        (
            "update_backend",
            params(json!({"lb_id": "42", "backend_name": "b", "force": true})),
            Some(body.clone()),
            "force",
            "true",
            "is not a parameter of this operation (it takes: lb_id, backend_name)",
        ),
        (
            "update_backend",
            params(json!({"lb_id": "42"})),
            Some(body.clone()),
            "backend_name",
            "null",
            "is required",
        ),
        (
            "update_backend",
            params(json!({"lb_id": 42, "backend_name": "b"})),
            Some(body.clone()),
            "lb_id",
            "42",
            "must be a string",
        ),
        (
            "update_backend",
            page_params(),
            None,
            "body",
            "null",
            "is required",
        ),
        (
            "update_backend",
            page_params(),
            Some(json!({"name": "x"})),
            "body",
            "{\"name\":\"x\"}",
            "is not valid here: missing field `mode`",
        ),
        (
            "update_backend",
            page_params(),
            Some(bad_body),
            "port",
            "0",
            "must be from 1 to 65535",
        ),
        (
            "update_backend",
            params(json!({"lb_id": "..", "backend_name": "b"})),
            Some(body.clone()),
            "lb_id",
            "\"..\"",
            "is a dot segment and would leave its path segment",
        ),
    ];
    for (operation, params, body, field, value, message) in cases {
        let error = client
            .call(operation, &params, body.as_ref())
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
        let problem = &error.validation().unwrap().problems()[0];
        assert_eq!(problem.field(), field, "{error}");
        assert_eq!(problem.value(), value, "{error}");
        assert!(problem.message().starts_with(message), "{error}");
        let preview = client
            .preview_call(operation, &params, body.as_ref())
            .await
            .unwrap_err();
        assert_eq!(preview.to_string(), error.to_string());
    }
    assert!(server.requests().is_empty());
}

/// An answer the API sends as an error is the typed method's error.
#[tokio::test]
async fn an_error_answer_is_the_typed_method_s_error() {
    let server = RawServer::start(vec![Reply::json(
        404,
        &json!({"message": "no such backend"}),
    )]);
    let error = support::client(&server.base_url())
        .call("update_backend", &page_params(), Some(&golden().body))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Status);
    assert_eq!(error.message(), Some("no such backend"));
    assert_eq!(error.attempts(), 1);
}
