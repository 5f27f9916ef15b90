//! Admin routes: state round trip, seeding and reset; the journal, its
//! redaction and its bound; faults set at run time.

mod common;

use common::*;
use openscaler_sandbox::Sandbox;
use serde_json::{json, Value};

async fn admin(sandbox: &Sandbox, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = http().request(
        method.parse().unwrap(),
        format!("{}{path}", sandbox.base_url()),
    );
    if let Some(body) = body {
        request = request.body(body.to_string());
    }
    let (status, body, _) = answer(request.send().await.unwrap()).await;
    (status, body)
}

#[tokio::test]
async fn health_names_the_version_and_the_spec() {
    let sandbox = Sandbox::start().await;
    let health = get(&sandbox, "/__sandbox/health").await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    let ready: Value = serde_json::from_str(&sandbox.ready_line()).unwrap();
    assert_eq!(health["spec_sha256"], ready["spec_sha256"]);
    assert_eq!(ready["listening"], sandbox.base_url());
}

#[tokio::test]
async fn state_round_trips_seeds_and_resets() {
    // Starts empty: the state document is then {}.
    let sandbox = Sandbox::builder().empty().start().await.unwrap();
    assert_eq!(get(&sandbox, "/__sandbox/state").await, json!({}));
    let state = json!({"42": {"my-backend": stored_backend()}, "7": {}});
    assert_eq!(
        admin(&sandbox, "PUT", "/__sandbox/state", Some(state.clone())).await,
        (200, state.clone())
    );
    assert_eq!(get(&sandbox, "/__sandbox/state").await, state);

    // The seeded backend can now be updated, and the state shows it.
    let (status, _, _) = put(&sandbox, "/v1/lbs/42/backends/my-backend", &page_body()).await;
    assert_eq!(status, 200);
    assert_eq!(
        get(&sandbox, "/__sandbox/state").await,
        json!({"42": {"api-backend": page_body()}, "7": {}})
    );

    assert_eq!(
        admin(&sandbox, "DELETE", "/__sandbox/state", None).await,
        (200, json!({}))
    );
    assert_eq!(get(&sandbox, "/__sandbox/state").await, json!({}));
    let (status, _, _) = put(&sandbox, "/v1/lbs/42/backends/api-backend", &page_body()).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_bad_state_is_refused_with_pointers_and_changes_nothing() {
    let sandbox = seeded().start().await.unwrap();
    let before = sandbox.state();
    let mut wrong = stored_backend();
    wrong["port"] = json!(0);
    let (status, body) = admin(
        &sandbox,
        "PUT",
        "/__sandbox/state",
        Some(json!({"4/2": {"other-name": wrong}})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        violations(&body),
        vec![
            (
                "/4~12/other-name/port".to_owned(),
                "0 is less than the minimum 1".to_owned()
            ),
            (
                "/4~12/other-name/name".to_owned(),
                "\"my-backend\" differs from its key \"other-name\"".to_owned()
            ),
        ]
    );
    let (status, body) = admin(&sandbox, "PUT", "/__sandbox/state", Some(json!([1]))).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = admin(&sandbox, "PUT", "/__sandbox/state", None).await;
    assert_eq!(
        (status, body["message"].as_str().unwrap()),
        (
            400,
            "body is not JSON: EOF while parsing a value at line 1 column 0"
        )
    );
    assert_eq!(sandbox.state(), before);
    // The builder refuses the same, naming the pointer.
    let error = Sandbox::builder()
        .state(json!({"42": {"x": {"name": "x"}}}))
        .start()
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("/42/x/mode: is required"),
        "{error}"
    );
}

#[tokio::test]
async fn the_journal_records_requests_with_the_token_redacted() {
    let sandbox = seeded().start().await.unwrap();
    let secret = "s3cret-token-value";
    let response = http()
        .put(format!(
            "{}/v1/lbs/42/backends/my-backend?dry=1",
            sandbox.base_url()
        ))
        .header("authorization", format!("Bearer {secret}"))
        .header("content-type", "application/json")
        .header("x-custom", "a")
        .header("x-custom", "b")
        .body(page_body().to_string())
        .send()
        .await
        .unwrap();
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(response.status(), 200);
    let (status, _, _) = put(
        &sandbox,
        "/v1/lbs/42/backends/my-backend",
        &json!({"name": ""}),
    )
    .await;
    assert_eq!(status, 422);

    let journal = get(&sandbox, "/__sandbox/requests").await;
    assert!(
        !journal.to_string().contains(secret),
        "the token leaked into the journal"
    );
    assert_eq!(
        (journal["capacity"].clone(), journal["dropped"].clone()),
        (json!(1000), json!(0))
    );
    let entries = journal["requests"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    let first = &entries[0];
    assert_eq!(first["id"], id.as_str());
    assert_eq!(first["method"], "PUT");
    assert_eq!(first["path"], "/v1/lbs/42/backends/my-backend?dry=1");
    assert_eq!(first["headers"]["authorization"], "Bearer <redacted>");
    assert_eq!(first["headers"]["x-custom"], "a, b");
    assert_eq!(first["body"], page_body());
    assert_eq!(
        first["validation"],
        json!({"valid": true, "violations": []})
    );
    assert_eq!(first["status"], 200);
    assert_eq!(first["fault"], Value::Null);
    assert!(first["received_at"].as_str().unwrap().ends_with('Z'));
    assert!(first["duration_ms"].as_f64().unwrap() >= 0.0);
    let second = &entries[1];
    assert_eq!(second["status"], 422);
    assert_eq!(second["validation"]["valid"], false);
    assert!(second["validation"]["violations"].as_array().unwrap().len() >= 4);

    // The typed view agrees with the JSON one.
    assert_eq!(
        serde_json::to_value(sandbox.requests()).unwrap(),
        journal["requests"]
    );
    let (status, cleared) = admin(&sandbox, "DELETE", "/__sandbox/requests", None).await;
    assert_eq!((status, cleared["requests"].clone()), (200, json!([])));
    assert!(sandbox.requests().is_empty());
}

#[tokio::test]
async fn the_journal_keeps_only_the_newest_entries() {
    let sandbox = seeded().journal_capacity(3).start().await.unwrap();
    for n in 0..5 {
        put(&sandbox, &format!("/v1/lbs/42/backends/b{n}"), &page_body()).await;
    }
    let journal = get(&sandbox, "/__sandbox/requests").await;
    let paths: Vec<&str> = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "/v1/lbs/42/backends/b2",
            "/v1/lbs/42/backends/b3",
            "/v1/lbs/42/backends/b4"
        ]
    );
    assert_eq!(journal["dropped"], 2);
}

#[tokio::test]
async fn faults_can_be_read_set_and_cleared() {
    // Nothing stored: once the faults are off, the update answers 404.
    let sandbox = Sandbox::builder().empty().start().await.unwrap();
    assert_eq!(
        get(&sandbox, "/__sandbox/faults").await,
        json!({"faults": ""})
    );
    let (status, body) = admin(
        &sandbox,
        "PUT",
        "/__sandbox/faults",
        Some(json!({"faults": "503=1"})),
    )
    .await;
    assert_eq!((status, body), (200, json!({"faults": "503=1"})));
    let (status, body, _) = put(&sandbox, "/v1/lbs/42/backends/my-backend", &page_body()).await;
    assert_eq!(
        (status, body["message"].as_str().unwrap()),
        (503, "injected fault: 503 (sandbox --faults)")
    );
    let (status, body) = admin(
        &sandbox,
        "PUT",
        "/__sandbox/faults",
        Some(json!({"faults": "503=2"})),
    )
    .await;
    assert_eq!(
        (status, body["message"].as_str().unwrap()),
        (
            400,
            "fault 503 probability \"2\" is not a number from 0 to 1"
        )
    );
    assert_eq!(
        admin(&sandbox, "DELETE", "/__sandbox/faults", None).await,
        (200, json!({"faults": ""}))
    );
    let (status, _, _) = put(&sandbox, "/v1/lbs/42/backends/my-backend", &page_body()).await;
    assert_eq!(status, 404);
}

/// With an admin token, the admin routes (but health) need it; the API and
/// vector mode do not change.
#[tokio::test]
async fn an_admin_token_guards_the_admin_routes() {
    let sandbox = Sandbox::builder()
        .admin_token("adm1n")
        .start()
        .await
        .unwrap();
    for path in [
        "/__sandbox/state",
        "/__sandbox/requests",
        "/__sandbox/faults",
    ] {
        let (status, body) = admin(&sandbox, "GET", path, None).await;
        assert_eq!(status, 401, "{path}");
        assert_spec_error(&body);
        assert!(!body.to_string().contains("adm1n"));
        let response = http()
            .get(format!("{}{path}", sandbox.base_url()))
            .header("authorization", "Bearer wrong")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{path}");
        let response = http()
            .get(format!("{}{path}", sandbox.base_url()))
            .header("authorization", "Bearer adm1n")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
    let (status, _) = admin(&sandbox, "DELETE", "/__sandbox/state", None).await;
    assert_eq!(status, 401);
    assert_eq!(get(&sandbox, "/__sandbox/health").await["status"], "ok");
    let (status, _, _) = put(&sandbox, "/v1/lbs/42/backends/my-backend", &page_body()).await;
    assert_eq!(status, 200, "the API does not need the admin token");
}

/// A host that is not loopback is refused without an admin token, saying why.
#[tokio::test]
async fn a_non_loopback_host_needs_an_admin_token() {
    let error = Sandbox::builder()
        .host("0.0.0.0".parse().unwrap())
        .start()
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "--host 0.0.0.0: not a loopback address, and the admin routes (/__sandbox/) would be open to the network: give --admin-token TOKEN"
    );
}
