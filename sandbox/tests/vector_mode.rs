//! Vector mode: scripted answers, and verdicts that pass for the right
//! requests and fail, naming the mismatch, for anything else.

mod common;

use std::time::Duration;

use common::*;
use openscaler_sandbox::Sandbox;
use serde_json::{json, Value};

const GOLDEN: &str = "golden-page-example";

/// Sends the page's request to vector `id`, changed by `edit`.
async fn send(
    sandbox: &Sandbox,
    id: &str,
    edit: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    body: &Value,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let request = http()
        .put(format!(
            "{}/v1/lbs/42/backends/my-backend",
            sandbox.vector_url(id)
        ))
        .header("authorization", "Bearer <token>")
        .header("content-type", "application/json")
        .body(body.to_string());
    answer(edit(request).send().await.unwrap()).await
}

async fn verdict(sandbox: &Sandbox, id: &str) -> Value {
    get(sandbox, &format!("/__vectors/{id}/verdict")).await
}

fn mismatches(verdict: &Value) -> Vec<String> {
    verdict["mismatches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_right_request_gets_the_scripted_answer_and_passes() {
    let sandbox = Sandbox::start().await;
    assert_eq!(
        verdict(&sandbox, GOLDEN).await["pass"],
        false,
        "passes before any request"
    );
    let (status, body, headers) = send(&sandbox, GOLDEN, |r| r, &page_body()).await;
    assert_eq!((status, &body), (200, &page()["response"]["body"]));
    assert_eq!(headers["content-type"], "application/json");
    let passed = verdict(&sandbox, GOLDEN).await;
    assert_eq!(
        passed,
        json!({
            "id": GOLDEN, "pass": true, "received": 1, "attempts_expected": 1,
            "outcome_expected": "ok", "mismatches": [], "elapsed_ms": 0.0, "min_elapsed_ms": null
        })
    );
    // Vector requests do not touch the API's journal or state.
    assert!(sandbox.requests().is_empty());
}

#[tokio::test]
async fn a_wrong_header_fails_naming_it_without_the_token() {
    let sandbox = Sandbox::start().await;
    send(
        &sandbox,
        GOLDEN,
        |r| {
            r.header("authorization", "Bearer secret-1")
                .header("api-version", "2")
        },
        &page_body(),
    )
    .await;
    let first = verdict(&sandbox, GOLDEN).await;
    assert_eq!(first["pass"], false);
    assert!(!first.to_string().contains("secret-1"));
    assert_eq!(
        mismatches(&first),
        [
            "attempt 1: header authorization is sent 2 times, expected once as \"Bearer <token>\"",
            "attempt 1: header api-version is present, expected absent",
        ]
    );
    let sandbox = Sandbox::start().await;
    let wrong = http()
        .put(format!(
            "{}/v1/lbs/42/backends/my-backend",
            sandbox.vector_url(GOLDEN)
        ))
        .header("authorization", "Bearer secret-1")
        .body(page_body().to_string());
    answer(wrong.send().await.unwrap()).await;
    assert_eq!(
        mismatches(&verdict(&sandbox, GOLDEN).await),
        [
            "attempt 1: header authorization is \"Bearer <redacted>\", expected \"Bearer <token>\"",
            "attempt 1: header content-type is missing, expected \"application/json\"",
        ]
    );
}

#[tokio::test]
async fn a_wrong_body_or_path_fails_naming_the_difference() {
    let sandbox = Sandbox::start().await;
    let mut body = page_body();
    body["port"] = json!("8080");
    body["options"].as_object_mut().unwrap().remove("tls");
    let (status, _, _) = send(&sandbox, GOLDEN, |r| r, &body).await;
    assert_eq!(status, 200, "the scripted answer comes anyway");
    assert_eq!(
        mismatches(&verdict(&sandbox, GOLDEN).await),
        [
            "attempt 1: body lacks /options/tls, expected false",
            "attempt 1: body at /port is \"8080\", expected 8080",
        ]
    );
    // The same body with its keys in another order is the same JSON value.
    let sandbox = Sandbox::start().await;
    let reordered: String = {
        let object = page_body();
        let mut pairs: Vec<String> = object
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k:?}:{v}"))
            .collect();
        pairs.reverse();
        format!("{{{}}}", pairs.join(","))
    };
    let request = http()
        .put(format!(
            "{}/v1/lbs/42/backends/my-backend?x=1",
            sandbox.vector_url(GOLDEN)
        ))
        .header("authorization", "Bearer <token>")
        .header("content-type", "application/json")
        .body(reordered);
    answer(request.send().await.unwrap()).await;
    assert_eq!(
        mismatches(&verdict(&sandbox, GOLDEN).await),
        ["attempt 1: query has x = [\"1\"], expected nothing there"]
    );
}

#[tokio::test]
async fn missing_and_extra_attempts_fail() {
    let sandbox = Sandbox::start().await;
    let id = "retry-503-503-200";
    send(&sandbox, id, |r| r, &page_body()).await;
    let verdict_after_one = verdict(&sandbox, id).await;
    assert_eq!(
        mismatches(&verdict_after_one),
        ["missing attempt: received 1 request(s), expected 3"]
    );
    for _ in 0..2 {
        send(&sandbox, id, |r| r, &page_body()).await;
    }
    assert_eq!(verdict(&sandbox, id).await["pass"], true);
    let (status, body, _) = send(&sandbox, id, |r| r, &page_body()).await;
    assert_eq!(status, 599);
    assert_eq!(
        body["message"],
        "vector retry-503-503-200: attempt 4 is beyond the script of 3 response(s)"
    );
    assert_eq!(
        mismatches(&verdict(&sandbox, id).await),
        [
            "extra attempt: received 4 request(s), expected 3",
            "attempt 4: beyond the script of 3 response(s)",
        ]
    );
    // A reset starts over.
    let reset: Value = answer(http().delete(sandbox.vector_url(id)).send().await.unwrap())
        .await
        .1;
    assert_eq!(
        (reset["received"].clone(), reset["pass"].clone()),
        (json!(0), json!(false))
    );
}

#[tokio::test]
async fn a_refused_vector_passes_only_when_nothing_arrives() {
    let sandbox = Sandbox::start().await;
    let id = "refused-port-zero";
    assert_eq!(verdict(&sandbox, id).await["pass"], true);
    let mut body = page_body();
    body["port"] = json!(0);
    let (status, _, _) = send(&sandbox, id, |r| r, &body).await;
    assert_eq!(status, 599);
    assert_eq!(
        mismatches(&verdict(&sandbox, id).await),
        [
            "extra attempt: received 1 request(s), expected 0",
            "attempt 1: PUT /v1/lbs/42/backends/my-backend arrived, but this call must be refused before sending",
            "attempt 1: beyond the script of 0 response(s)",
        ]
    );
}

#[tokio::test]
async fn min_elapsed_is_checked_between_the_first_and_last_request() {
    let sandbox = Sandbox::start().await;
    let id = "retry-429-retry-after-seconds";
    let (status, _, headers) = send(&sandbox, id, |r| r, &page_body()).await;
    assert_eq!(
        (status, headers["retry-after"].to_str().unwrap()),
        (429, "1")
    );
    send(&sandbox, id, |r| r, &page_body()).await;
    let too_soon = verdict(&sandbox, id).await;
    assert_eq!(too_soon["pass"], false);
    assert!(
        mismatches(&too_soon)[0].ends_with("after the first, expected at least 1000 ms"),
        "{too_soon}"
    );

    http().delete(sandbox.vector_url(id)).send().await.unwrap();
    send(&sandbox, id, |r| r, &page_body()).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    send(&sandbox, id, |r| r, &page_body()).await;
    assert_eq!(verdict(&sandbox, id).await["pass"], true);
}

#[tokio::test]
async fn vectors_are_listed_and_unknown_ids_named() {
    let sandbox = Sandbox::start().await;
    let list = get(&sandbox, "/__vectors").await;
    let ids: Vec<&str> = list["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "json")
        })
        .count();
    assert_eq!(ids.len(), files);
    assert!(ids.contains(&GOLDEN));
    let (status, body, _) = send(&sandbox, "no-such-vector", |r| r, &page_body()).await;
    assert_eq!(
        (status, body["message"].as_str().unwrap()),
        (
            404,
            "no vector \"no-such-vector\": GET /__vectors lists them"
        )
    );
}

#[tokio::test]
async fn another_set_of_vectors_can_be_served() {
    let dir = std::env::temp_dir().join(format!("sandbox-vectors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let vector = json!({
        "id": "mine", "category": "custom",
        "call": {}, "request": {"method": "PUT", "path": "/x", "headers": {}, "body": {"a": 1}},
        "responses": [{"status": 202, "headers": {"x-extra": "yes", "x-request-id": "scripted-1"}, "text": "fine"}],
        "expect": {"outcome": "ok", "attempts": 1}
    });
    std::fs::write(dir.join("mine.json"), vector.to_string()).unwrap();
    let sandbox = Sandbox::builder().vectors_dir(&dir).start().await.unwrap();
    let response = http()
        .put(format!("{}/x", sandbox.vector_url("mine")))
        .body("{\"a\":1}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    assert_eq!(response.headers()["x-extra"], "yes");
    assert_eq!(response.headers()["x-request-id"], "scripted-1");
    assert_eq!(response.text().await.unwrap(), "fine");
    assert_eq!(verdict(&sandbox, "mine").await["pass"], true);

    std::fs::write(dir.join("bad.json"), "{").unwrap();
    let error = Sandbox::builder()
        .vectors_dir(&dir)
        .start()
        .await
        .unwrap_err();
    assert!(
        error.to_string().starts_with("vector bad.json: "),
        "{error}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
