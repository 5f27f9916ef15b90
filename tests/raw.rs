//! `Client::request`: any path under the base URL, with the client's token
//! and retries by the method; the answer whole, whatever its status.

mod support;

use openscaler::ErrorKind;
use reqwest::Method;
use serde_json::json;
use support::{golden, RawServer, Reply, TOKEN};

/// The request goes under the base URL as given, with the token, the
/// caller's headers and body; a 404 is an answer, not an error.
#[tokio::test]
async fn any_path_goes_out_as_given_and_any_status_comes_back() {
    let server = RawServer::start(vec![Reply::http(
        404,
        &[("x-request-id", "r-1")],
        b"{\"message\":\"no\"}",
    )]);
    let client = support::client(&server.base_url());
    let answer = client
        .request(Method::POST, "/v1/lbs/42/backends?dry=1")
        .header("X-Trace", "t-1")
        .body(&b"{\"a\":1}"[..], "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status, 404);
    assert_eq!(answer.headers["x-request-id"], "r-1");
    assert_eq!(&answer.body[..], b"{\"message\":\"no\"}");
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, "/v1/lbs/42/backends?dry=1");
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(request.header("x-trace"), Some("t-1"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.body, b"{\"a\":1}");
}

/// A GET is sent again after a 503; a POST is not, and its 503 is the
/// answer; a POST with an Idempotency-Key is, with the same key.
#[tokio::test]
async fn retries_follow_the_method() {
    let busy = Reply::json(503, &json!({"message": "busy"}));
    let ok = Reply::json(200, &golden().response);
    for (method, key, attempts, status) in [
        (Method::GET, None, 2, 200),
        (Method::PUT, None, 2, 200),
        (Method::POST, None, 1, 503),
        (Method::POST, Some("k-7"), 2, 200),
    ] {
        let server = RawServer::start(vec![busy.clone(), ok.clone()]);
        let client = support::client(&server.base_url());
        let mut request = client.request(method.clone(), "/v1/x");
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status, status, "{method}");
        let requests = server.requests();
        assert_eq!(requests.len(), attempts, "{method} {key:?}");
        assert!(
            requests.iter().all(|r| r.header("idempotency-key") == key),
            "{method}"
        );
    }
}

/// A path that would leave the base URL, a header that cannot be sent, or
/// the caller's own authorization: refused, naming it, nothing sent.
#[tokio::test]
async fn bad_requests_are_refused_before_sending() {
    let server = RawServer::start(vec![Reply::json(200, &json!({}))]);
    let client = support::client(&server.base_url());
    let cases = [
        (
            client.request(Method::GET, "http://elsewhere/x"),
            "path: \"http://elsewhere/x\" must start with a single /",
        ),
        (
            client.request(Method::GET, "//elsewhere/x"),
            "path: \"//elsewhere/x\" must start with a single /",
        ),
        (
            client.request(Method::GET, "/x").header("bad name", "v"),
            "header: \"bad name\" cannot be sent",
        ),
        (
            client
                .request(Method::GET, "/x")
                .header("x-ok", "line\nbreak"),
            "header: \"x-ok\" cannot be sent",
        ),
        (
            client
                .request(Method::GET, "/x")
                .header("Authorization", "Bearer other"),
            "header: authorization is the client's own",
        ),
    ];
    for (request, expected) in cases {
        let preview = request.preview().unwrap_err();
        let error = request.send().await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Config, "{error}");
        assert!(error.to_string().contains(expected), "{error}");
        assert_eq!(preview.to_string(), error.to_string());
    }
    assert!(server.requests().is_empty());
}

/// The dry run shows the request with the token redacted.
#[test]
fn a_preview_redacts_the_token() {
    let client = support::client("http://127.0.0.1:9");
    let prepared = client
        .request(Method::DELETE, "/v1/lbs/42")
        .header("x-a", "b")
        .preview()
        .unwrap();
    assert_eq!(prepared.method(), "DELETE");
    assert_eq!(prepared.url().as_str(), "http://127.0.0.1:9/v1/lbs/42");
    assert_eq!(prepared.headers()["authorization"], "Bearer <redacted>");
    assert_eq!(prepared.headers()["x-a"], "b");
    assert!(!prepared.to_string().contains(TOKEN));
}
