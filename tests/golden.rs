//! The golden case: the vendor's curl example, reproduced by the SDK.

mod support;

use openscaler::Backend;
use openscaler_sandbox::Sandbox;
use serde_json::{json, Value};
use support::{golden, RawServer, Reply};

/// The builder writes exactly the page's body.
#[test]
fn the_builder_writes_the_page_body() {
    let sent = serde_json::to_value(support::page_backend_from_builder()).unwrap();
    assert_eq!(sent, golden().body);
}

/// Against the sandbox (a stand-in known only from `openapi.yaml`): the
/// page's request passes its checks, goes out as the page's curl (method,
/// path, headers, body as a JSON value), and the answer parses into the
/// page's response.
#[tokio::test]
async fn the_page_curl_is_what_goes_out() {
    let page = golden();
    let sandbox = Sandbox::builder()
        .backend(
            &page.lb_id,
            json!({
                "name": page.backend_name, "mode": "tcp", "balancing_method": "first",
                "port": 80, "servers": {"type": "ip", "ips": ["10.0.0.5"]}
            }),
        )
        .start()
        .await
        .unwrap();

    let client = support::client(sandbox.base_url());
    let updated = client
        .update_backend(
            &page.lb_id,
            &page.backend_name,
            support::page_backend_from_builder(),
        )
        .await
        .unwrap();
    assert_eq!(serde_json::to_value(&updated).unwrap(), page.response);

    let journal = sandbox.requests();
    assert_eq!(journal.len(), 1);
    let sent = &journal[0];
    assert_eq!(
        (sent.method.as_str(), sent.path.as_str()),
        ("PUT", page.path.as_str())
    );
    assert_eq!(sent.headers["authorization"], "Bearer <redacted>");
    assert_eq!(sent.headers["content-type"], "application/json");
    assert!(!sent.headers.contains_key("api-version"));
    assert_eq!(sent.body.as_ref(), Some(&page.body));
    assert_eq!(sent.validation.as_ref().map(|v| v.valid), Some(true));
    assert_eq!(sent.status, Some(200));
}

/// The same, read off the socket: the exact request target, the headers
/// present and absent, and the body as a JSON value.
#[tokio::test]
async fn the_request_on_the_wire() {
    let page = golden();
    let server = RawServer::start(vec![Reply::json(200, &page.response)]);
    let client = support::client(&server.base_url());

    let updated = client
        .update_backend(
            &page.lb_id,
            &page.backend_name,
            support::page_backend_from_builder(),
        )
        .await
        .unwrap();
    assert_eq!(
        updated,
        serde_json::from_value::<Backend>(page.response.clone()).unwrap()
    );

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "PUT");
    assert_eq!(request.target, page.path);
    assert_eq!(
        request.header("authorization"),
        Some(page.authorization.as_str())
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("user-agent"), Some(openscaler::USER_AGENT));
    assert_eq!(
        request.header("api-version"),
        None,
        "progenitor's api-version header must not go out"
    );
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body, page.body);
}

/// A caller that keeps its backend passes it by reference: the request is
/// the same as when the backend is handed over, and the copy is unchanged.
#[tokio::test]
async fn by_reference_and_by_value_send_the_same_request() {
    let page = golden();
    let server = RawServer::start(vec![
        Reply::json(200, &page.response),
        Reply::json(200, &page.response),
    ]);
    let client = support::client(&server.base_url());
    let kept = support::page_backend_from_builder();

    let by_reference = client
        .update_backend(&page.lb_id, &page.backend_name, &kept)
        .await
        .unwrap();
    let by_value = client
        .update_backend(
            &page.lb_id,
            &page.backend_name,
            support::page_backend_from_builder(),
        )
        .await
        .unwrap();

    assert_eq!(by_reference, by_value);
    assert_eq!(kept, support::page_backend_from_builder());
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let (first, second) = (&requests[0], &requests[1]);
    assert_eq!(first.target, page.path);
    assert_eq!(first.target, second.target);
    assert_eq!(first.headers, second.headers);
    let body: Value = serde_json::from_slice(&first.body).unwrap();
    assert_eq!(body, page.body);
    assert_eq!(first.body, second.body);
}

/// The body goes out with its keys in the page's order (`name`, `mode`,
/// `balancing_method`, `port`, `servers`, `options`, and inside each object
/// likewise), read off the socket: JSON readers do not care, people
/// comparing a captured request with the page do. Only the order is checked
/// here; the values are compared as JSON above.
#[tokio::test]
async fn the_body_keys_go_out_in_the_pages_order() {
    let page = golden();
    let server = RawServer::start(vec![Reply::json(200, &page.response)]);
    let client = support::client(&server.base_url());
    for backend in [
        support::page_backend_from_builder(),
        support::page_backend(),
    ] {
        client
            .update_backend(&page.lb_id, &page.backend_name, backend)
            .await
            .unwrap();
    }
    let expected = support::page_key_paths();
    assert_eq!(
        expected[..6],
        [
            "name",
            "mode",
            "balancing_method",
            "port",
            "servers",
            "servers.type"
        ]
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(support::key_paths(&request.body), expected);
    }
}
