//! Runs every conformance vector in `tests/vectors/` (format in its
//! README) against httpmock, through the public API. A new case needs no new
//! code; a failing case is reported by its id.

use std::{
    fs,
    path::Path,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use httpmock::MockServer;
use openscaler::{Backend, Client, ErrorKind, RetryPolicy};
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    id: String,
    category: String,
    #[allow(dead_code)]
    description: String,
    call: Call,
    request: Option<ExpectedRequest>,
    #[serde(default)]
    responses: Vec<ScriptedResponse>,
    expect: Expect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Call {
    lb_id: String,
    backend_name: String,
    body: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedRequest {
    method: String,
    path: String,
    headers: Map<String, Value>,
    #[serde(default)]
    forbidden_headers: Vec<String>,
    body: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptedResponse {
    status: u16,
    #[serde(default)]
    headers: Map<String, Value>,
    body: Option<Value>,
    text: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    outcome: String,
    attempts: usize,
    value: Option<Value>,
    error: Option<ExpectedError>,
    #[serde(default)]
    refused: Vec<RefusedField>,
    min_elapsed_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedError {
    class: String,
    status: Option<u16>,
    message: Option<String>,
    excerpt_contains: Option<String>,
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
struct RefusedField {
    field: String,
    value: String,
}

/// Every case, sorted by file name.
fn cases() -> Vec<(String, Case)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let text = fs::read_to_string(&path).unwrap();
            let case: Case =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}.json: {e}"));
            (name, case)
        })
        .collect()
}

/// The token every case uses, as on the vendor's page.
const TOKEN: &str = "<token>";

/// Runs one case; `Err` says what differed.
async fn run(case: &Case) -> Result<(), String> {
    let server = MockServer::start_async().await;
    let served = Arc::new(AtomicUsize::new(0));
    let mut mocks = Vec::new();
    for (i, response) in case.responses.iter().enumerate() {
        let expected = case.request.as_ref().ok_or("responses without a request")?;
        let gate = Arc::clone(&served);
        let path = expected.path.clone();
        let mock = server
            .mock_async(|when, then| {
                let mut when = when
                    .method(expected.method.as_str())
                    .is_true(move |req| req.uri().path() == path)
                    .json_body(expected.body.clone());
                for (name, value) in &expected.headers {
                    when = when.header(name.as_str(), value.as_str().unwrap_or_default());
                }
                for name in &expected.forbidden_headers {
                    when = when.header_missing(name.as_str());
                }
                // Last, so it runs only when the request matched: the i-th
                // matching request gets the i-th response.
                when.is_true(move |_| {
                    gate.compare_exchange(i, i + 1, Ordering::SeqCst, Ordering::SeqCst)
                        .is_ok()
                });

                let mut then = then.status(response.status);
                for (name, value) in &response.headers {
                    then = then.header(name.as_str(), value.as_str().unwrap_or_default());
                }
                if let Some(body) = &response.body {
                    then.header("content-type", "application/json")
                        .json_body(body.clone());
                } else if let Some(text) = &response.text {
                    then.body(text.as_str());
                }
            })
            .await;
        mocks.push(mock);
    }
    // Catches whatever the scripted mocks do not: a refused case must see
    // nothing at all.
    let stray = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(599)
                .body("no scripted response matched this request");
        })
        .await;

    let client = Client::builder()
        .base_url(server.base_url())
        .token(TOKEN)
        .retry_policy(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(5))
                .max_backoff(Duration::from_millis(20)),
        )
        .build()
        .map_err(|e| format!("client: {e}"))?;
    let body: Backend = serde_json::from_value(case.call.body.clone())
        .map_err(|e| format!("call.body is not a Backend: {e}"))?;

    let started = Instant::now();
    let result = client
        .update_backend(&case.call.lb_id, &case.call.backend_name, body)
        .await;
    let elapsed = started.elapsed();

    let stray_calls = stray.calls_async().await;
    if stray_calls > 0 {
        return Err(format!("{stray_calls} request(s) did not match `request` (or came after the scripted responses); result: {result:?}"));
    }
    let attempts: usize = served.load(Ordering::SeqCst);
    if attempts != case.expect.attempts {
        return Err(format!(
            "the server got {attempts} request(s), expected {}; result: {result:?}",
            case.expect.attempts
        ));
    }
    if let Some(min) = case.expect.min_elapsed_ms {
        if elapsed < Duration::from_millis(min) {
            return Err(format!(
                "the call took {elapsed:?}, expected at least {min} ms"
            ));
        }
    }

    match (case.expect.outcome.as_str(), result) {
        ("ok", Ok(value)) => {
            let got = serde_json::to_value(&value).unwrap();
            let expected = case
                .expect
                .value
                .as_ref()
                .ok_or("outcome ok without value")?;
            if &got != expected {
                return Err(format!("value differs:\n got: {got}\nwant: {expected}"));
            }
        }
        ("error", Err(error)) => {
            let expected = case
                .expect
                .error
                .as_ref()
                .ok_or("outcome error without error")?;
            let class = match error.kind() {
                ErrorKind::Status => "status",
                ErrorKind::Transport => "transport",
                ErrorKind::InvalidResponse => "invalid_response",
                ErrorKind::InvalidInput => "refused",
                ErrorKind::Config => "config",
                _ => "other",
            };
            if class != expected.class {
                return Err(format!(
                    "error class {class}, expected {}: {error}",
                    expected.class
                ));
            }
            if expected.status.is_some() && error.status().map(|s| s.as_u16()) != expected.status {
                return Err(format!(
                    "error status {:?}, expected {:?}: {error}",
                    error.status(),
                    expected.status
                ));
            }
            if expected.message.is_some() && error.message() != expected.message.as_deref() {
                return Err(format!(
                    "error message {:?}, expected {:?}",
                    error.message(),
                    expected.message
                ));
            }
            if let Some(text) = &expected.excerpt_contains {
                if !error
                    .body_excerpt()
                    .unwrap_or_default()
                    .contains(text.as_str())
                {
                    return Err(format!("excerpt {:?} lacks {text:?}", error.body_excerpt()));
                }
            }
            if error.attempts() as usize != case.expect.attempts {
                return Err(format!(
                    "error says {} attempt(s), expected {}",
                    error.attempts(),
                    case.expect.attempts
                ));
            }
        }
        ("refused", Err(error)) if error.kind() == ErrorKind::InvalidInput => {
            let got: Vec<RefusedField> = error
                .validation()
                .map(|v| v.problems())
                .unwrap_or_default()
                .iter()
                .map(|p| RefusedField {
                    field: p.field().to_owned(),
                    value: p.value().to_owned(),
                })
                .collect();
            if got != case.expect.refused {
                return Err(format!(
                    "refused {got:?}, expected {:?}",
                    case.expect.refused
                ));
            }
        }
        (outcome, result) => return Err(format!("expected outcome {outcome}, got {result:?}")),
    }
    Ok(())
}

#[tokio::test]
async fn every_vector_passes() {
    let cases = cases();
    assert!(cases.len() >= 30, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for (file, case) in &cases {
        if *file != case.id {
            failures.push(format!("{file}.json: id is {:?}", case.id));
            continue;
        }
        if let Err(why) = run(case).await {
            failures.push(format!("{} ({}): {why}", case.id, case.category));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// The categories the README promises are all covered.
#[test]
fn every_category_has_cases() {
    let cases = cases();
    for category in [
        "golden",
        "enums",
        "servers",
        "port",
        "options",
        "path",
        "errors",
        "retry",
        "forward-compat",
        "refused",
    ] {
        let n = cases.iter().filter(|(_, c)| c.category == category).count();
        assert!(n > 0, "no case in category {category}");
    }
}
