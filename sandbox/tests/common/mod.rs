//! Helpers shared by the sandbox's tests: the page's example, a sandbox
//! seeded with the backend it updates, and a plain HTTP client.

#![allow(dead_code)] // each test binary uses a different part

use openscaler_sandbox::{Sandbox, SandboxBuilder};
use serde_json::{json, Value};

/// The vendor's curl example (request body and answer), from its page.
pub fn page() -> Value {
    serde_json::from_str(include_str!("../../../tests/fixtures/update-backend.json")).unwrap()
}

/// The page's request body.
pub fn page_body() -> Value {
    page()["body"].clone()
}

/// The backend the page's request updates: `my-backend` on lb `42`.
pub fn stored_backend() -> Value {
    json!({
        "name": "my-backend",
        "mode": "tcp",
        "balancing_method": "first",
        "port": 80,
        "servers": { "type": "ip", "ips": ["10.0.0.5"] }
    })
}

/// A builder with `my-backend` stored on lb `42`.
pub fn seeded() -> SandboxBuilder {
    Sandbox::builder().backend("42", stored_backend())
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder().build().unwrap()
}

/// `PUT base/path` with the page's token and a JSON body.
pub async fn put(
    sandbox: &Sandbox,
    path: &str,
    body: &Value,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let response = http()
        .put(format!("{}{path}", sandbox.base_url()))
        .header("authorization", "Bearer <token>")
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    answer(response).await
}

pub async fn answer(response: reqwest::Response) -> (u16, Value, reqwest::header::HeaderMap) {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body, headers)
}

pub async fn get(sandbox: &Sandbox, path: &str) -> Value {
    let response = http()
        .get(format!("{}{path}", sandbox.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.unwrap()
}

/// The violations of an error body, as (pointer, message) pairs.
pub fn violations(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {body}"))
        .iter()
        .map(|v| {
            (
                v["pointer"].as_str().unwrap().to_owned(),
                v["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Asserts that an error body matches the spec's `Error` schema.
pub fn assert_spec_error(body: &Value) {
    let problems = openscaler_sandbox::Spec::embedded().check_error(body);
    assert!(
        problems.is_empty(),
        "{body} breaks the Error schema: {problems:?}"
    );
    assert!(!body["message"].as_str().unwrap().is_empty());
}
