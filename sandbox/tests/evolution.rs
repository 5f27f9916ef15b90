//! The sandbox serving a future spec (`--spec tests/evolution/all.yaml`,
//! not the vendor's): every operation routed, checked and, for backends,
//! kept as state; every answer what the spec declares for it.

mod common;

use common::*;
use openscaler_sandbox::Sandbox;
use serde_json::{json, Value};

const ALL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/evolution/all.yaml");
const TOKEN: (&str, &str) = ("authorization", "Bearer <token>");

async fn all() -> Sandbox {
    Sandbox::builder().spec_file(ALL).start().await.unwrap()
}

/// Sends a request; returns (status, body as JSON or text, headers), and
/// checks the answer against what the spec declares for `operation`.
async fn call(
    sandbox: &Sandbox,
    operation: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut request = http().request(
        method.parse().unwrap(),
        format!("{}{path}", sandbox.base_url()),
    );
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let (status, answer, headers) = common::answer(response).await;
    let checked = if answer == json!("") {
        Value::Null
    } else {
        answer.clone()
    };
    match sandbox.spec().check_response(operation, status, &checked) {
        // An operation that declares no error response still gets the
        // sandbox's error body for a refused request.
        Err(_) if status >= 400 => assert_spec_error(&answer),
        Err(e) => panic!("{operation} {status}: {e}"),
        Ok(problems) => assert!(
            problems.is_empty(),
            "{operation} {status} {answer}: {problems:?}"
        ),
    }
    (status, answer, headers)
}

/// `POST /v1/lbs/7/backends` (create_backend).
async fn create(
    sandbox: &Sandbox,
    headers: &[(&str, &str)],
    body: &Value,
) -> (u16, Value, reqwest::header::HeaderMap) {
    call(
        sandbox,
        "create_backend",
        "POST",
        "/v1/lbs/7/backends",
        headers,
        Some(body),
    )
    .await
}

/// `GET path` with the token.
async fn read(
    sandbox: &Sandbox,
    operation: &str,
    path: &str,
) -> (u16, Value, reqwest::header::HeaderMap) {
    call(sandbox, operation, "GET", path, &[TOKEN], None).await
}

fn backend(name: &str) -> Value {
    let mut b = stored_backend();
    b["name"] = json!(name);
    b
}

#[tokio::test]
async fn the_ready_line_names_the_spec_served() {
    let sandbox = all().await;
    let ready: Value = serde_json::from_str(&sandbox.ready_line()).unwrap();
    let text = std::fs::read(ALL).unwrap();
    let digest = {
        use sha2::Digest;
        let d = sha2::Sha256::digest(&text);
        d.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    assert_eq!(ready["spec_sha256"], digest);
    let embedded: Value = serde_json::from_str(&Sandbox::start().await.ready_line()).unwrap();
    assert_ne!(ready["spec_sha256"], embedded["spec_sha256"]);
    assert_eq!(sandbox.spec().operations().len(), 9);
}

#[tokio::test]
async fn create_get_list_update_delete_keep_state() {
    let sandbox = all().await;
    // Create: 201 with the stored value, 409 for a name that exists.
    let (status, body, _) = create(&sandbox, &[TOKEN], &backend("b")).await;
    assert_eq!((status, &body), (201, &backend("b")));
    let (status, body, _) = create(&sandbox, &[TOKEN], &backend("b")).await;
    assert_eq!(status, 409);
    assert_eq!(
        body["message"],
        "lb_id \"7\" already has a backend with name \"b\""
    );
    for name in ["a", "c"] {
        create(&sandbox, &[TOKEN], &backend(name)).await;
    }
    // Get: the stored value, 404 for another.
    let (status, body, _) = read(&sandbox, "get_backend", "/v1/lbs/7/backends/b").await;
    assert_eq!((status, body), (200, backend("b")));
    let (status, body, _) = read(&sandbox, "get_backend", "/v1/lbs/7/backends/z").await;
    assert_eq!(
        (status, body["message"].as_str().unwrap()),
        (404, "backend_name \"z\" not found on lb_id \"7\"")
    );
    // List: name order, a page at a time, the cursor the last name.
    let (status, page, _) = read(&sandbox, "list_backends", "/v1/lbs/7/backends?limit=2").await;
    assert_eq!(status, 200);
    assert_eq!(
        page,
        json!({"backends": [backend("a"), backend("b")], "next_cursor": "b"})
    );
    let (_, page, _) = read(
        &sandbox,
        "list_backends",
        "/v1/lbs/7/backends?limit=2&cursor=b",
    )
    .await;
    assert_eq!(
        page,
        json!({"backends": [backend("c")], "next_cursor": null})
    );
    let (_, page, _) = read(&sandbox, "list_backends", "/v1/lbs/8/backends").await;
    assert_eq!(page, json!({"backends": [], "next_cursor": null}));
    // Update: replaces and renames, as the page's PUT does.
    let (status, _, _) = call(
        &sandbox,
        "update_backend",
        "PUT",
        "/v1/lbs/7/backends/c",
        &[TOKEN],
        Some(&backend("d")),
    )
    .await;
    assert_eq!(status, 200);
    // Delete: 204 with no body, then 404.
    let (status, body, headers) = call(
        &sandbox,
        "delete_backend",
        "DELETE",
        "/v1/lbs/7/backends/a",
        &[TOKEN],
        None,
    )
    .await;
    assert_eq!((status, body), (204, json!("")));
    assert!(headers.get("content-type").is_none());
    let (status, _, _) = call(
        &sandbox,
        "delete_backend",
        "DELETE",
        "/v1/lbs/7/backends/a",
        &[TOKEN],
        None,
    )
    .await;
    assert_eq!(status, 404);
    let state = sandbox.state();
    assert_eq!(
        state["7"].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["b", "d"]
    );
    // The page's backend is stored as in a fresh sandbox of today's spec.
    assert!(state["42"]["my-backend"].is_object());
}

#[tokio::test]
async fn parameters_are_checked_against_their_schemas() {
    let sandbox = all().await;
    for (query, says) in [
        (
            "limit=0",
            "query parameter limit: 0 is less than the minimum 1",
        ),
        (
            "limit=101",
            "query parameter limit: 101 is greater than the maximum 100",
        ),
        (
            "limit=ten",
            "query parameter limit: \"ten\" is not an integer",
        ),
        (
            "limit=1&limit=2",
            "query parameter limit is sent 2 times, expected once",
        ),
    ] {
        let (status, body, _) = read(
            &sandbox,
            "list_backends",
            &format!("/v1/lbs/7/backends?{query}"),
        )
        .await;
        assert_eq!(
            (status, body["message"].as_str().unwrap()),
            (400, says),
            "{query}"
        );
        assert_eq!(
            body["errors"],
            json!([{"parameter": "limit", "in": "query", "message": says}])
        );
    }
    let long = "k".repeat(256);
    let (status, body, _) = create(
        &sandbox,
        &[TOKEN, ("idempotency-key", &long)],
        &backend("x"),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("header parameter Idempotency-Key: \"kkkk"),
        "{body}"
    );
    assert!(
        sandbox.state()["7"].is_null(),
        "a refused create stored something"
    );
    // The body of a create is checked like an update's.
    let (status, body, _) = create(&sandbox, &[TOKEN], &json!({"name": "x"})).await;
    assert_eq!(status, 422);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("body does not match the Backend schema: /mode: is required"),
        "{body}"
    );
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_answer_or_refuses_another_body() {
    let sandbox = all().await;
    let key = ("idempotency-key", "8e03978e-40d5-43e8-bc93-6894a57f9324");
    let (status, first, headers) = create(&sandbox, &[TOKEN, key], &backend("b")).await;
    assert_eq!(status, 201);
    assert!(headers.get("idempotent-replayed").is_none());
    // The same body with another layout is the same body.
    let same = serde_json::to_string_pretty(&backend("b")).unwrap();
    let response = http()
        .post(format!("{}/v1/lbs/7/backends", sandbox.base_url()))
        .header(TOKEN.0, TOKEN.1)
        .header(key.0, key.1)
        .header("content-type", "application/json")
        .body(same)
        .send()
        .await
        .unwrap();
    let (status, again, headers) = answer(response).await;
    assert_eq!((status, &again), (201, &first));
    assert_eq!(headers["idempotent-replayed"], "true");
    let journal = sandbox.requests();
    assert!(journal
        .last()
        .unwrap()
        .note
        .as_deref()
        .unwrap()
        .starts_with("idempotent replay"));
    // Without the key, the same create is a conflict: the replay stored nothing.
    let (status, _, _) = create(&sandbox, &[TOKEN], &backend("b")).await;
    assert_eq!(status, 409);
    let (status, body, _) = create(&sandbox, &[TOKEN, key], &backend("c")).await;
    assert_eq!(status, 422);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("was first used with another body"),
        "{body}"
    );
    assert_eq!(sandbox.state()["7"].as_object().unwrap().len(), 1);
    // A refused first attempt saves nothing: its retry is judged afresh.
    let other = ("idempotency-key", "second");
    let (status, _, _) = create(&sandbox, &[TOKEN, other], &json!({})).await;
    assert_eq!(status, 422);
    let (status, _, _) = create(&sandbox, &[TOKEN, other], &backend("e")).await;
    assert_eq!(status, 201);
    // Only a POST is keyed: PUTs with one key and other bodies each apply.
    let (status, _, _) = call(
        &sandbox,
        "update_backend",
        "PUT",
        "/v1/lbs/7/backends/e",
        &[TOKEN, key],
        Some(&backend("e")),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, headers) = call(
        &sandbox,
        "update_backend",
        "PUT",
        "/v1/lbs/7/backends/e",
        &[TOKEN, key],
        Some(&backend("f")),
    )
    .await;
    assert_eq!(status, 200);
    assert!(headers.get("idempotent-replayed").is_none());
    assert!(
        sandbox.state()["7"].get("f").is_some(),
        "the second PUT was not applied"
    );
    // Emptying the state forgets the keys.
    http()
        .delete(format!("{}/__sandbox/state", sandbox.base_url()))
        .send()
        .await
        .unwrap();
    let (status, _, headers) = create(&sandbox, &[TOKEN, key], &backend("b")).await;
    assert_eq!(status, 201);
    assert!(headers.get("idempotent-replayed").is_none());
}

#[tokio::test]
async fn operations_without_state_answer_from_the_spec_and_say_so() {
    let sandbox = all().await;
    // Drain: 404 unless the backend is stored, then 202 with no body.
    let (status, _, _) = call(
        &sandbox,
        "drain_backend",
        "POST",
        "/v1/lbs/7/backends/none/drain",
        &[TOKEN],
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, body, _) = call(
        &sandbox,
        "drain_backend",
        "POST",
        "/v1/lbs/42/backends/my-backend/drain",
        &[TOKEN],
        None,
    )
    .await;
    assert_eq!((status, body), (202, json!("")));
    // Load balancers: a value built from the schema, valid against it.
    let (status, list, _) = read(&sandbox, "list_load_balancers", "/v1/lbs").await;
    assert_eq!(status, 200);
    assert_eq!(
        list,
        json!([{"id": "string", "name": "string", "status": "active", "backend_count": 0}])
    );
    let (status, one, _) = read(&sandbox, "get_load_balancer", "/v1/lbs/42").await;
    assert_eq!((status, &one), (200, &list[0]));
    let notes: Vec<String> = sandbox
        .requests()
        .iter()
        .filter_map(|e| e.note.clone())
        .collect();
    assert_eq!(
        notes,
        [
            "nothing stored for drain_backend: answered 202 with no body, as the spec declares (the sandbox's choice)",
            "nothing stored for list_load_balancers: answered a value built from the response schema (the sandbox's choice)",
            "nothing stored for get_load_balancer: answered a value built from the response schema (the sandbox's choice)",
        ]
    );
    let operations: Vec<Option<String>> = sandbox
        .requests()
        .into_iter()
        .map(|e| e.operation)
        .collect();
    assert_eq!(operations[1].as_deref(), Some("drain_backend"));
}

#[tokio::test]
async fn methods_and_paths_are_named_from_the_spec() {
    let sandbox = all().await;
    let (status, body, headers) = call(
        &sandbox,
        "get_backend",
        "PATCH",
        "/v1/lbs/7/backends/b",
        &[TOKEN],
        None,
    )
    .await;
    assert_eq!(status, 405);
    assert_eq!(headers["allow"], "GET, DELETE, PUT");
    assert_eq!(body["message"], "method PATCH is not allowed on /v1/lbs/{lb_id}/backends/{backend_name}: use GET or DELETE or PUT");
    let response = http()
        .get(format!("{}/v2/anything", sandbox.base_url()))
        .send()
        .await
        .unwrap();
    let (status, body, _) = answer(response).await;
    assert_eq!(status, 404);
    let message = body["message"].as_str().unwrap();
    for operation in sandbox.spec().operations() {
        assert!(
            message.contains(&format!("{} {}", operation.method, operation.path)),
            "{message}"
        );
    }
    // The new enum values, field and servers variant are accepted.
    let mut future = backend("f");
    future["mode"] = json!("udp");
    future["balancing_method"] = json!("source");
    future["description"] = json!("a note");
    future["servers"] = json!({"type": "dns", "hostnames": ["a.example"]});
    let (status, _, _) = create(&sandbox, &[TOKEN], &future).await;
    assert_eq!(status, 201);
    // Auth is asked of every operation (the spec's global security).
    let (status, _, _) = call(&sandbox, "list_load_balancers", "GET", "/v1/lbs", &[], None).await;
    assert_eq!(status, 401);
}

/// Every spec in tests/evolution parses and is served.
#[tokio::test]
async fn every_future_spec_is_served() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/evolution");
    let mut served = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let sandbox = Sandbox::builder().spec_file(&path).start().await.unwrap();
            let (status, _, _) =
                put(&sandbox, "/v1/lbs/42/backends/my-backend", &page_body()).await;
            assert_eq!(status, 200, "{}", path.display());
            served += 1;
        }
    }
    assert!(served >= 9, "{served} specs served");
    let error = Sandbox::builder()
        .spec_file("/nonexistent.yaml")
        .start()
        .await
        .unwrap_err();
    assert!(
        error.to_string().starts_with("--spec /nonexistent.yaml: "),
        "{error}"
    );
}

/// An optional body is checked when sent and may be left out; a required
/// one may not.
#[tokio::test]
async fn optional_and_required_bodies() {
    let spec = r#"
openapi: 3.0.3
paths:
  /things:
    post:
      operationId: make_thing
      requestBody:
        required: false
        content: {application/json: {schema: {type: object, required: [a]}}}
      responses:
        "202": {description: made}
  /others:
    post:
      operationId: make_other
      requestBody:
        required: true
        content: {application/json: {schema: {type: object}}}
      responses:
        "202": {description: made}
"#;
    let file = std::env::temp_dir().join(format!("sandbox-bodies-{}.yaml", std::process::id()));
    std::fs::write(&file, spec).unwrap();
    let sandbox = Sandbox::builder().spec_file(&file).start().await.unwrap();
    std::fs::remove_file(&file).unwrap();
    let (status, _, _) = call(&sandbox, "make_thing", "POST", "/things", &[], None).await;
    assert_eq!(status, 202, "an optional body left out");
    let (status, body, _) = call(
        &sandbox,
        "make_thing",
        "POST",
        "/things",
        &[],
        Some(&json!({})),
    )
    .await;
    assert_eq!(
        (status, body["message"].as_str().unwrap()),
        (
            422,
            "body does not match the request body schema: /a: is required"
        )
    );
    let response = http()
        .post(format!("{}/others", sandbox.base_url()))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    let (status, body, _) = answer(response).await;
    assert_eq!(
        (status, body["message"].as_str().unwrap()),
        (
            400,
            "body is not JSON: EOF while parsing a value at line 1 column 0"
        ),
        "a required body left out"
    );
}
