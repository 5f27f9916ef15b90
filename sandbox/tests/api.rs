//! The API route: auth, media type, size, JSON, state, path decoding and
//! request ids, each answered with the spec's error body and nothing stored.

mod common;

use common::*;
use openscaler_sandbox::Sandbox;
use serde_json::{json, Value};

const PATH: &str = "/v1/lbs/42/backends/my-backend";

/// Sends `body` to the page's path with the given headers.
async fn send(
    sandbox: &Sandbox,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut request = http().request(
        method.parse().unwrap(),
        format!("{}{path}", sandbox.base_url()),
    );
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    answer(request.body(body).send().await.unwrap()).await
}

const JSON: (&str, &str) = ("content-type", "application/json");
const TOKEN: (&str, &str) = ("authorization", "Bearer <token>");

#[tokio::test]
async fn the_page_example_answers_200_with_the_page_response_and_renames() {
    let sandbox = seeded().start().await.unwrap();
    let (status, body, headers) = put(&sandbox, PATH, &page_body()).await;
    assert_eq!(status, 200);
    assert_eq!(body, page()["response"]["body"]);
    assert_eq!(headers["content-type"], "application/json");
    // Stored under the body's name; the old key is gone.
    let state = sandbox.state();
    assert_eq!(
        state["42"].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["api-backend"]
    );
    assert_eq!(state["42"]["api-backend"], page_body());
}

/// A fresh sandbox stores the page's backend, so the page's curl works as
/// written the first time, and renames it as the page shows.
#[tokio::test]
async fn a_fresh_sandbox_answers_the_page_curl() {
    let sandbox = Sandbox::start().await;
    let mut stored = page_body();
    stored["name"] = json!("my-backend");
    assert_eq!(sandbox.state(), json!({"42": {"my-backend": stored}}));
    let (status, body, _) = put(&sandbox, PATH, &page_body()).await;
    assert_eq!((status, body), (200, page()["response"]["body"].clone()));
    assert_eq!(sandbox.state(), json!({"42": {"api-backend": page_body()}}));
}

/// Answers and the state keep the key order the backend was sent in.
#[tokio::test]
async fn answers_keep_the_key_order_sent() {
    let sandbox = seeded().start().await.unwrap();
    let text = r#"{"servers": {"ips": ["10.0.0.5"], "type": "ip"}, "port": 80, "name": "my-backend", "mode": "tcp", "balancing_method": "first"}"#;
    let response = http()
        .put(format!("{}{PATH}", sandbox.base_url()))
        .header("authorization", "Bearer <token>")
        .header("content-type", "application/json")
        .body(text)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let compact = r#"{"servers":{"ips":["10.0.0.5"],"type":"ip"},"port":80,"name":"my-backend","mode":"tcp","balancing_method":"first"}"#;
    assert_eq!(response.text().await.unwrap(), compact);
    let state = http()
        .get(format!("{}/__sandbox/state", sandbox.base_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(state, format!(r#"{{"42":{{"my-backend":{compact}}}}}"#));
}

#[tokio::test]
async fn a_backend_that_is_not_stored_answers_404_naming_it() {
    // Nothing stored: this test wants an empty sandbox.
    let sandbox = Sandbox::builder().empty().start().await.unwrap();
    let (status, body, _) = put(&sandbox, PATH, &page_body()).await;
    assert_eq!(status, 404);
    assert_spec_error(&body);
    assert_eq!(
        body["message"],
        "backend_name \"my-backend\" not found on lb_id \"42\""
    );
    assert_eq!(
        (body["lb_id"].clone(), body["backend_name"].clone()),
        (json!("42"), json!("my-backend"))
    );
    assert_eq!(sandbox.state(), json!({}));
}

#[tokio::test]
async fn an_update_replaces_the_whole_backend() {
    let sandbox = seeded().start().await.unwrap();
    let mut body = stored_backend();
    body["port"] = json!("9090");
    body["options"] = json!({"tls": true});
    let (status, answer, _) = put(&sandbox, PATH, &body).await;
    assert_eq!((status, &answer), (200, &body));
    body.as_object_mut().unwrap().remove("options");
    let (status, _, _) = put(&sandbox, PATH, &body).await;
    assert_eq!(status, 200);
    assert_eq!(
        sandbox.state()["42"]["my-backend"],
        body,
        "options left over from the last update"
    );
}

#[tokio::test]
async fn renaming_onto_another_backend_answers_409() {
    let mut other = stored_backend();
    other["name"] = json!("api-backend");
    let sandbox = seeded().backend("42", other).start().await.unwrap();
    let before = sandbox.state();
    let (status, body, _) = put(&sandbox, PATH, &page_body()).await;
    assert_eq!(status, 409);
    assert_spec_error(&body);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("\"api-backend\""),
        "{body}"
    );
    assert_eq!(sandbox.state(), before);
}

#[tokio::test]
async fn path_values_are_percent_decoded_one_segment_each() {
    let mut stored = stored_backend();
    stored["name"] = json!("%2F é");
    let sandbox = Sandbox::builder()
        .backend("50%/x", stored.clone())
        .start()
        .await
        .unwrap();
    let (status, body, _) = put(
        &sandbox,
        "/v1/lbs/50%25%2Fx/backends/%252F%20%C3%A9",
        &stored,
    )
    .await;
    assert_eq!((status, body), (200, stored));
    // Undecodable and empty segments are refused, naming the field.
    for (path, says) in [
        (
            "/v1/lbs/%FF/backends/b",
            "lb_id \"%FF\" is not UTF-8 once percent-decoded",
        ),
        ("/v1/lbs/42/backends/", "backend_name is empty"),
        (
            "/v1/lbs/%G1/backends/b",
            "lb_id \"%G1\" has a malformed percent-escape at byte 0",
        ),
        (
            "/v1/lbs/42/backends/b%",
            "backend_name \"b%\" has a malformed percent-escape at byte 1",
        ),
        (
            "/v1/lbs/4%2/backends/%",
            "lb_id \"4%2\" has a malformed percent-escape at byte 1; backend_name \"%\" has a malformed percent-escape at byte 0",
        ),
        (
            "/v1/l%zzs/42/backends/b",
            "path \"/v1/l%zzs/42/backends/b\" has a malformed percent-escape at byte 5",
        ),
    ] {
        let (status, body, _) = put(&sandbox, path, &page_body()).await;
        assert_eq!(
            (status, body["message"].as_str().unwrap()),
            (400, says),
            "{path}"
        );
    }
}

#[tokio::test]
async fn auth_is_checked_before_anything_else_and_never_echoed() {
    let sandbox = seeded().token("right-token").start().await.unwrap();
    let body = page_body().to_string().into_bytes();
    for (headers, says) in [
        (vec![JSON], "missing authorization header"),
        (
            vec![JSON, ("authorization", "Basic c2VjcmV0")],
            "malformed authorization header",
        ),
        (
            vec![JSON, ("authorization", "Bearer")],
            "malformed authorization header",
        ),
        (
            vec![JSON, ("authorization", "Bearer wrong-secret")],
            "token not accepted",
        ),
        // Auth comes before the media type.
        (
            vec![("authorization", "Bearer wrong-secret")],
            "token not accepted",
        ),
    ] {
        let (status, answer, response_headers) =
            send(&sandbox, "PUT", PATH, &headers, body.clone()).await;
        assert_eq!(status, 401, "{headers:?}");
        assert_spec_error(&answer);
        assert!(
            answer["message"].as_str().unwrap().starts_with(says),
            "{answer}"
        );
        assert!(!answer.to_string().contains("secret") && !answer.to_string().contains("c2VjcmV0"));
        assert_eq!(response_headers["www-authenticate"], "Bearer");
    }
    let (status, _, _) = send(
        &sandbox,
        "PUT",
        PATH,
        &[JSON, ("authorization", "Bearer right-token")],
        body,
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn media_type_json_and_size_are_checked_and_nothing_is_stored() {
    let sandbox = seeded().start().await.unwrap();
    let before = sandbox.state();
    let valid = page_body().to_string().into_bytes();
    let mut huge = page_body();
    huge["padding"] = json!("x".repeat(1024 * 1024));
    type Case<'a> = (Vec<(&'a str, &'a str)>, Vec<u8>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec![TOKEN],
            valid.clone(),
            415,
            "missing content-type: send application/json",
        ),
        (
            vec![TOKEN, ("content-type", "text/plain")],
            valid.clone(),
            415,
            "content-type \"text/plain\" is not application/json",
        ),
        (
            vec![TOKEN, JSON],
            b"{\"name\": ".to_vec(),
            400,
            "body is not JSON: EOF while parsing a value at line 1 column 9",
        ),
        (
            vec![TOKEN, JSON],
            b"\xff\xfe".to_vec(),
            400,
            "body is not JSON: expected value at line 1 column 1",
        ),
        (
            vec![TOKEN, JSON],
            huge.to_string().into_bytes(),
            413,
            "body is larger than the limit of 1048576 bytes",
        ),
    ];
    for (headers, body, status, says) in cases {
        let (got, answer, _) = send(&sandbox, "PUT", PATH, &headers, body).await;
        assert_eq!(
            (got, answer["message"].as_str().unwrap()),
            (status, says),
            "{headers:?}"
        );
        assert_spec_error(&answer);
        assert_eq!(sandbox.state(), before);
    }
    // A charset parameter is fine.
    let (status, _, _) = send(
        &sandbox,
        "PUT",
        PATH,
        &[TOKEN, ("content-type", "application/json; charset=utf-8")],
        valid,
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn other_routes_and_methods_are_named() {
    let sandbox = seeded().start().await.unwrap();
    let (status, body, headers) = send(&sandbox, "GET", PATH, &[TOKEN], vec![]).await;
    assert_eq!(status, 405);
    assert_eq!(headers["allow"], "PUT");
    assert_eq!(
        body["message"],
        "method GET is not allowed on /v1/lbs/{lb_id}/backends/{backend_name}: use PUT"
    );
    let (status, body, _) = send(
        &sandbox,
        "PUT",
        "/v1/lbs/42/backends/b/extra",
        &[TOKEN, JSON],
        vec![],
    )
    .await;
    assert_eq!(status, 404);
    assert_spec_error(&body);
    assert!(body["message"]
        .as_str()
        .unwrap()
        .starts_with("no route for PUT /v1/lbs/42/backends/b/extra"));
    let (status, _, _) = send(&sandbox, "GET", "/__sandbox/nothing", &[], vec![]).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn every_response_has_a_request_id_reproducible_with_a_seed() {
    async fn ids(seed: u64) -> Vec<String> {
        let sandbox = seeded().seed(seed).start().await.unwrap();
        let mut ids = Vec::new();
        for path in [PATH, "/nowhere", "/__sandbox/health", "/__sandbox/state"] {
            let response = http()
                .get(format!("{}{path}", sandbox.base_url()))
                .send()
                .await
                .unwrap();
            ids.push(
                response.headers()["x-request-id"]
                    .to_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        let (_, _, headers) = put(&sandbox, PATH, &page_body()).await;
        ids.push(headers["x-request-id"].to_str().unwrap().to_owned());
        // The journal records the same id the answer carried.
        assert_eq!(sandbox.requests().last().unwrap().id, ids[4]);
        ids
    }
    let first = ids(7).await;
    assert_eq!(first, ids(7).await);
    assert_ne!(first, ids(8).await);
    let mut unique = first.clone();
    unique.dedup();
    assert_eq!(unique.len(), first.len(), "{first:?}");
}
