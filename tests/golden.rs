//! The golden case: the vendor's curl example, reproduced by the SDK.

mod support;

use httpmock::{Method::PUT, MockServer};
use openscaler::Backend;
use serde_json::Value;
use support::{golden, RawServer, Reply};

/// The builder writes exactly the page's body.
#[test]
fn the_builder_writes_the_page_body() {
    let sent = serde_json::to_value(support::page_backend_from_builder()).unwrap();
    assert_eq!(sent, golden().body);
}

/// Method, path, headers and body match the page's curl, and the answer
/// parses into the page's response.
#[tokio::test]
async fn the_page_curl_is_what_goes_out() {
    let page = golden();
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path(page.path.as_str())
                .header("authorization", page.authorization.as_str())
                .header("content-type", "application/json")
                .header_missing("api-version")
                .json_body(page.body.clone());
            then.status(200)
                .header("content-type", "application/json")
                .json_body(page.response.clone());
        })
        .await;

    let client = support::client(&server.base_url());
    let updated = client
        .update_backend(
            &page.lb_id,
            &page.backend_name,
            support::page_backend_from_builder(),
        )
        .await
        .unwrap();

    mock.assert_async().await;
    assert_eq!(serde_json::to_value(&updated).unwrap(), page.response);
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
