//! The vectors of `tests/evolution/vectors/` (operations of the future
//! spec `tests/evolution/all.yaml`, not the vendor's) through vector mode,
//! with `--spec` and `--vectors`. A plain HTTP client plays the SDK's part,
//! built from the spec alone as another language's SDK would be: the
//! operation's method and path template, `call.params` for the path, query
//! and header values, `call.body` as the body; it retries a 408, 429 or 5xx
//! where the request may be repeated (RFC 9110's idempotent methods, a POST
//! with an `Idempotency-Key`, or one marked `x-idempotent: true`).

mod common;

use std::{collections::BTreeMap, fs, path::Path};

use common::*;
use openscaler_sandbox::Sandbox;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Deserialize;
use serde_json::Value;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/evolution");

/// Everything but RFC 3986's unreserved characters is encoded in a path value.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

#[derive(Deserialize)]
struct Case {
    id: String,
    #[serde(default = "update_backend")]
    operation: String,
    call: Call,
    expect: Expect,
}

fn update_backend() -> String {
    "update_backend".to_owned()
}

#[derive(Deserialize, Default)]
struct Call {
    #[serde(default)]
    params: Params,
    body: Option<Value>,
}

#[derive(Deserialize, Default)]
struct Params {
    #[serde(default)]
    path: BTreeMap<String, String>,
    #[serde(default)]
    query: BTreeMap<String, Value>,
    #[serde(default)]
    header: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Expect {
    outcome: String,
    attempts: usize,
    value: Option<Value>,
    error: Option<ExpectedError>,
}

#[derive(Deserialize)]
struct ExpectedError {
    status: u16,
    message: Option<String>,
}

/// (method, path template, may be retried) of `operation`, from the spec.
fn operation(spec: &Value, operation: &str) -> (String, String, bool) {
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op["operationId"] == operation {
                let method = method.to_uppercase();
                let repeatable = matches!(method.as_str(), "GET" | "PUT" | "DELETE" | "HEAD")
                    || op["x-idempotent"] == true;
                return (method, path.clone(), repeatable);
            }
        }
    }
    panic!("no operation {operation} in the spec");
}

/// A query value as text: strings as they are, other JSON as written.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Plays the client for one case; `Err` says what differed.
async fn run(sandbox: &Sandbox, spec: &Value, case: &Case) -> Result<(), String> {
    let base = sandbox.vector_url(&case.id);
    http()
        .delete(&base)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let (method, template, repeatable) = operation(spec, &case.operation);
    let mut path = template;
    for (name, value) in &case.call.params.path {
        path = path.replace(
            &format!("{{{name}}}"),
            &utf8_percent_encode(value, SEGMENT).to_string(),
        );
    }
    let encode = |s: &str| utf8_percent_encode(s, SEGMENT).to_string();
    let pairs: Vec<String> = case
        .call
        .params
        .query
        .iter()
        .flat_map(|(k, v)| match v {
            Value::Array(items) => items.iter().map(|i| (k.clone(), text(i))).collect(),
            one => vec![(k.clone(), text(one))],
        })
        .map(|(k, v)| format!("{}={}", encode(&k), encode(&v)))
        .collect();
    if !pairs.is_empty() {
        path = format!("{path}?{}", pairs.join("&"));
    }
    let keyed = case
        .call
        .params
        .header
        .keys()
        .any(|k| k.eq_ignore_ascii_case("idempotency-key"));
    let mut status = 0;
    let mut answer = Value::Null;
    for attempt in 1..=3 {
        let mut request = http()
            .request(method.parse().unwrap(), format!("{base}{path}"))
            .header("authorization", "Bearer <token>");
        for (name, value) in &case.call.params.header {
            request = request.header(name, value);
        }
        if let Some(body) = &case.call.body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(|e| e.to_string())?;
        answer = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|e| format!("answer is not JSON: {e}"))?
        };
        let transient = matches!(status, 408 | 429 | 500..=599);
        if !(transient && (repeatable || keyed) && attempt < 3) {
            break;
        }
    }
    let verdict = get(sandbox, &format!("/__vectors/{}/verdict", case.id)).await;
    if verdict["pass"] != true {
        return Err(format!("verdict: {}", verdict["mismatches"]));
    }
    if verdict["received"] != case.expect.attempts {
        return Err(format!(
            "{} attempts, expected {}",
            verdict["received"], case.expect.attempts
        ));
    }
    match case.expect.outcome.as_str() {
        "ok" if (200..300).contains(&status) => {
            let want = case.expect.value.clone().unwrap_or(Value::Null);
            if answer != want {
                return Err(format!("value {answer}, expected {want}"));
            }
        }
        "error" => {
            let want = case
                .expect
                .error
                .as_ref()
                .ok_or("error outcome without error")?;
            if status != want.status {
                return Err(format!("status {status}, expected {}", want.status));
            }
            if want
                .message
                .as_ref()
                .is_some_and(|m| answer["message"] != *m)
            {
                return Err(format!(
                    "message {}, expected {:?}",
                    answer["message"], want.message
                ));
            }
        }
        outcome => {
            return Err(format!(
                "outcome {outcome} expected, got status {status}: {answer}"
            ))
        }
    }
    // What the case expects is what the spec declares for the operation.
    let declared = sandbox
        .spec()
        .check_response(&case.operation, status, &answer)?;
    if !declared.is_empty() {
        return Err(format!("the expected answer breaks the spec: {declared:?}"));
    }
    Ok(())
}

fn cases() -> Vec<Case> {
    let mut files: Vec<_> = fs::read_dir(Path::new(DIR).join("vectors"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            serde_json::from_str(&fs::read_to_string(p).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        })
        .collect()
}

#[tokio::test]
async fn every_evolution_vector_passes_through_vector_mode() {
    let spec_file = Path::new(DIR).join("all.yaml");
    let spec: Value = yaml_serde::from_str(&fs::read_to_string(&spec_file).unwrap()).unwrap();
    let sandbox = Sandbox::builder()
        .spec_file(&spec_file)
        .vectors_dir(Path::new(DIR).join("vectors"))
        .start()
        .await
        .unwrap();
    let cases = cases();
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(why) = run(&sandbox, &spec, case).await {
            failures.push(format!("{}: {why}", case.id));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    // Every operation of the future spec has a vector.
    for op in sandbox.spec().operations() {
        assert!(
            cases.iter().any(|c| c.operation == op.id),
            "no vector for {}",
            op.id
        );
    }
}

/// A wrong request fails its verdict: the check is not a formality.
#[tokio::test]
async fn a_wrong_query_or_header_fails_the_verdict() {
    let sandbox = Sandbox::builder()
        .spec_file(Path::new(DIR).join("all.yaml"))
        .vectors_dir(Path::new(DIR).join("vectors"))
        .start()
        .await
        .unwrap();
    let url = format!(
        "{}/v1/lbs/42/backends?limit=3",
        sandbox.vector_url("list-backends-first-page")
    );
    http()
        .get(url)
        .header("authorization", "Bearer <token>")
        .send()
        .await
        .unwrap();
    let verdict = get(&sandbox, "/__vectors/list-backends-first-page/verdict").await;
    assert_eq!(
        verdict["mismatches"],
        serde_json::json!(["attempt 1: query limit is [\"3\"], expected [\"2\"]"])
    );
    let url = format!(
        "{}/v1/lbs/42/backends",
        sandbox.vector_url("create-backend")
    );
    http()
        .post(url)
        .header("authorization", "Bearer <token>")
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    let mismatches =
        get(&sandbox, "/__vectors/create-backend/verdict").await["mismatches"].to_string();
    assert!(
        mismatches.contains("header idempotency-key is missing"),
        "{mismatches}"
    );
    // A vector set that calls an operation the spec lacks is refused.
    let error = Sandbox::builder()
        .vectors_dir(Path::new(DIR).join("vectors"))
        .start()
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("is not in the spec (it has update_backend)"),
        "{error}"
    );
}
