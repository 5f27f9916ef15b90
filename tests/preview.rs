//! Dry runs (`update_backend(..).preview()`): the prepared request is the
//! one `update_backend` sends, nothing leaves the process, and the token is
//! nowhere in it.

mod support;

use openscaler::{ErrorKind, REDACTED_AUTHORIZATION};
use serde_json::Value;
use support::{golden, page_backend, RawServer, Reply};

const SECRET: &str = "s3cr3t-preview-token-XYZ";

fn client(base_url: &str) -> openscaler::Client {
    openscaler::Client::builder()
        .base_url(base_url)
        .token(SECRET)
        .build()
        .unwrap()
}

/// The preview matches, field for field, what the same client then sends:
/// method, request target, every header it shows (the token aside), body.
#[tokio::test]
async fn the_preview_is_what_update_backend_sends() {
    let page = golden();
    let server = RawServer::start(vec![Reply::json(200, &page.response)]);
    let client = client(&server.base_url());

    let prepared = client
        .update_backend(&page.lb_id, &page.backend_name, page_backend())
        .preview()
        .unwrap();
    assert!(server.requests().is_empty(), "a preview sent a request");

    client
        .update_backend(&page.lb_id, &page.backend_name, page_backend())
        .await
        .unwrap();
    let sent = &server.requests()[0];

    assert_eq!(prepared.method().as_str(), sent.method);
    let target = match prepared.url().query() {
        Some(q) => format!("{}?{q}", prepared.url().path()),
        None => prepared.url().path().to_owned(),
    };
    assert_eq!(target, sent.target);
    assert_eq!(sent.target, page.path);
    for (name, value) in prepared.headers() {
        let on_wire = sent.header(name.as_str()).unwrap_or_else(|| {
            panic!("the preview shows {name}, which was not sent");
        });
        if name == "authorization" {
            assert_eq!(value, REDACTED_AUTHORIZATION);
            assert_eq!(on_wire, format!("Bearer {SECRET}"));
        } else {
            assert_eq!(value.to_str().unwrap(), on_wire, "header {name}");
        }
    }
    assert!(prepared.headers().contains_key("authorization"));
    assert!(prepared.headers().contains_key("content-type"));
    assert!(
        !prepared.headers().contains_key("api-version"),
        "the pre hook ran"
    );
    let sent_body: Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(prepared.body(), &sent.body[..], "the same bytes");
    assert_eq!(prepared.body_json(), sent_body);
    assert_eq!(prepared.body_json(), page.body);
}

/// The token is in neither `Display` nor `Debug` nor the headers.
#[tokio::test]
async fn the_preview_never_shows_the_token() {
    let client = client("http://127.0.0.1:9");
    let prepared = client
        .update_backend("42", "my-backend", page_backend())
        .preview()
        .unwrap();
    let shown = format!("{prepared}\n{prepared:?}\n{:?}", prepared.headers());
    assert!(!shown.contains(SECRET), "{shown}");
    let display = prepared.to_string();
    let mut lines = display.lines();
    assert_eq!(
        lines.next(),
        Some("PUT http://127.0.0.1:9/v1/lbs/42/backends/my-backend")
    );
    assert!(display.contains("\nauthorization: Bearer <redacted>\n"));
    let body = display.split("\n\n").nth(1).unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(body).unwrap(),
        golden().body,
        "the body closes the display"
    );
}

/// Bad input is refused with the same problems `update_backend` reports.
#[tokio::test]
async fn the_preview_runs_the_same_checks() {
    let client = client("http://127.0.0.1:9");
    let mut backend = page_backend();
    backend.port = openscaler::Port::from(0);
    let error = client
        .update_backend("", "..", &backend)
        .preview()
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    let fields: Vec<_> = error
        .validation()
        .unwrap()
        .problems()
        .iter()
        .map(|p| p.field().to_owned())
        .collect();
    assert_eq!(fields, ["lb_id", "backend_name", "port"]);
}

/// The plain-http refusal of the `pre` hook holds in a dry run too.
#[tokio::test]
async fn the_preview_refuses_plain_http_to_other_hosts() {
    let client = client("http://api.alpha.openscaler.net");
    let error = client
        .update_backend("42", "my-backend", page_backend())
        .preview()
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config);
    assert!(error.to_string().contains("plain http"), "{error}");
    assert!(!error.to_string().contains(SECRET));
}

/// Path values are percent-encoded as they would be sent.
#[tokio::test]
async fn the_preview_encodes_path_values() {
    let client = client("http://127.0.0.1:9/prefix");
    let prepared = client
        .update_backend("lb/1", "web api", page_backend())
        .preview()
        .unwrap();
    assert_eq!(
        prepared.url().as_str(),
        "http://127.0.0.1:9/prefix/v1/lbs/lb%2F1/backends/web%20api"
    );
}
