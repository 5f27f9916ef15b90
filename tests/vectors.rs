//! Runs every conformance vector in `tests/vectors/` (format and protocol
//! in its README) through the sandbox's vector mode, with the public API: the
//! sandbox judges what went over the wire, this runner judges the outcome. A
//! new case needs no new code; a failing case is reported by its id.
//!
//! A vector names its `operation` (default `update_backend`); [`run`]
//! dispatches on it. Only `update_backend` is runnable by this runner
//! today; a vector for any other operation fails, named as not yet
//! runnable, never passed silently.

use std::{
    fs,
    path::Path,
    time::{Duration, Instant},
};

use openscaler::{Backend, Client, ErrorKind, RetryBudget, RetryPolicy};
use openscaler_sandbox::Sandbox;
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    id: String,
    category: String,
    #[allow(dead_code)]
    description: String,
    #[serde(default = "update_backend")]
    operation: String,
    // Listed in tests/vectors/REQUIREMENTS.md; checked by the sandbox's tests.
    #[allow(dead_code)]
    requirements: Vec<String>,
    call: Call,
    /// Retry settings of the case, over the runner's.
    #[serde(default)]
    retry: RetrySettings,
    // Parsed to check the format; the sandbox compares and serves them.
    #[allow(dead_code)]
    request: Option<ExpectedRequest>,
    #[allow(dead_code)]
    #[serde(default)]
    responses: Vec<ScriptedResponse>,
    expect: Expect,
}

fn update_backend() -> String {
    "update_backend".to_owned()
}

/// The call: `lb_id` and `backend_name` (update_backend's), or
/// `params.path`/`params.query`/`params.header` for any operation, and
/// the body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Call {
    lb_id: Option<String>,
    backend_name: Option<String>,
    #[allow(dead_code)] // read once other operations are runnable
    params: Option<Value>,
    body: Option<Value>,
}

/// A case's `retry`: today only a budget of its own.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RetrySettings {
    budget: Option<Budget>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Budget {
    capacity: u32,
    retry_cost: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read by the sandbox
struct ExpectedRequest {
    method: String,
    path: String,
    query: Option<Map<String, Value>>,
    headers: Map<String, Value>,
    #[serde(default)]
    forbidden_headers: Vec<String>,
    body: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read by the sandbox
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
    request_id: Option<String>,
    retry_budget_exhausted: Option<bool>,
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
struct RefusedField {
    field: String,
    value: String,
}

/// Every case of `tests/vectors/`, sorted by file name.
fn cases() -> Vec<(String, Case)> {
    cases_in("tests/vectors")
}

/// Every case of a folder of the repository, sorted by file name.
fn cases_in(folder: &str) -> Vec<(String, Case)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
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

/// Runs one case by its operation; `Err` says what differed, or that the
/// operation is not yet runnable here.
async fn run(sandbox: &Sandbox, case: &Case) -> Result<(), String> {
    match case.operation.as_str() {
        "update_backend" => run_update_backend(sandbox, case).await,
        other => Err(format!(
            "operation {other} is not yet runnable by the Rust SDK runner (it runs update_backend)"
        )),
    }
}

/// Runs one Update a Backend case against the sandbox's vector mode.
/// The sandbox checks every request against the case's `request` and
/// answers its `responses`; this side checks the SDK's outcome against
/// `expect`, then requires the sandbox's verdict to pass.
async fn run_update_backend(sandbox: &Sandbox, case: &Case) -> Result<(), String> {
    let (Some(lb_id), Some(backend_name), Some(body)) =
        (&case.call.lb_id, &case.call.backend_name, &case.call.body)
    else {
        return Err("an update_backend call needs lb_id, backend_name and body".into());
    };
    let http = reqwest::Client::new();
    let vector_url = sandbox.vector_url(&case.id);
    http.delete(&vector_url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("cannot reset the vector: {e}"))?;

    let mut policy = RetryPolicy::default()
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_millis(20));
    if let Some(budget) = &case.retry.budget {
        policy = policy.retry_budget(
            RetryBudget::default()
                .capacity(budget.capacity)
                .retry_cost(budget.retry_cost),
        );
    }
    let client = Client::builder()
        .base_url(&vector_url)
        .token(TOKEN)
        .retry_policy(policy)
        .build()
        .map_err(|e| format!("client: {e}"))?;
    let body: Backend = serde_json::from_value(body.clone())
        .map_err(|e| format!("call.body is not a Backend: {e}"))?;

    let started = Instant::now();
    let result = client.update_backend(lb_id, backend_name, body).await;
    let elapsed = started.elapsed();

    let verdict: Value = http
        .get(format!("{vector_url}/verdict"))
        .send()
        .await
        .map_err(|e| format!("cannot read the verdict: {e}"))?
        .json()
        .await
        .map_err(|e| format!("the verdict is not JSON: {e}"))?;
    if verdict["pass"] != Value::Bool(true) {
        return Err(format!(
            "the sandbox's verdict fails: {}; result: {result:?}",
            verdict["mismatches"]
        ));
    }
    if verdict["received"].as_u64() != Some(case.expect.attempts as u64) {
        return Err(format!(
            "the sandbox got {} request(s), expected {}",
            verdict["received"], case.expect.attempts
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
            if expected.request_id.is_some() && error.request_id() != expected.request_id.as_deref()
            {
                return Err(format!(
                    "error request id {:?}, expected {:?}",
                    error.request_id(),
                    expected.request_id
                ));
            }
            if let Some(spent) = expected.retry_budget_exhausted {
                if error.is_retry_budget_exhausted() != spent {
                    return Err(format!(
                        "error says retry budget exhausted: {}, expected {spent}: {error}",
                        error.is_retry_budget_exhausted()
                    ));
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
    let sandbox = Sandbox::start().await;
    assert!(cases.len() >= 30, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for (file, case) in &cases {
        if *file != case.id {
            failures.push(format!("{file}.json: id is {:?}", case.id));
            continue;
        }
        if let Err(why) = run(&sandbox, case).await {
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

/// The future spec's vectors (`tests/evolution/vectors/`, proven through
/// the sandbox's vector mode by its own tests) parse in this runner's
/// format; those of operations other than update_backend are reported as
/// not yet runnable, not passed.
#[tokio::test]
async fn other_operations_are_reported_not_passed() {
    let sandbox = Sandbox::start().await;
    let cases = cases_in("tests/evolution/vectors");
    assert!(cases.len() >= 10, "only {} cases", cases.len());
    let mut reported = 0;
    for (_, case) in cases
        .iter()
        .filter(|(_, c)| c.operation != "update_backend")
    {
        let why = run(&sandbox, case).await.unwrap_err();
        assert_eq!(
            why,
            format!(
                "operation {} is not yet runnable by the Rust SDK runner (it runs update_backend)",
                case.operation
            )
        );
        reported += 1;
    }
    assert!(reported >= 7, "{reported}");
}
