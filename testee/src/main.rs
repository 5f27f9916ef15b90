//! The Rust SDK's conformance testee: what `openscaler-sandbox conformance
//! --testee target/debug/openscaler-testee` drives (the protocol is
//! "Testing your SDK" in `tests/vectors/README.md`). One JSON line in per
//! case, the call made through the SDK's dynamic dispatch
//! ([`openscaler::Client::call`]), one JSON line out.

use std::io::{BufRead, Write};

use openscaler::{operations::OPERATIONS, Client, Error, ErrorKind, RetryBudget, RetryPolicy};
use serde_json::{json, Map, Value};

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let operations: Vec<&str> = OPERATIONS.iter().map(|o| o.id).collect();
    let features = [
        "retries",
        "retry-after",
        "retry-budget",
        "validation",
        "forward-compat",
    ];
    let sdk = format!("openscaler (Rust) {}", env!("CARGO_PKG_VERSION"));
    say(&json!({"hello": {"sdk": sdk, "features": features, "operations": operations}}));
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        let case: Value = serde_json::from_str(&line).unwrap_or_default();
        let mut answer = runtime.block_on(call(&case));
        answer["case"] = case["case"].clone();
        say(&answer);
    }
}

fn say(line: &Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

/// Makes the case's call with a client built from its settings.
async fn call(case: &Value) -> Value {
    let retry = &case["retry"];
    let ms = |key: &str| std::time::Duration::from_millis(retry[key].as_u64().unwrap_or(0));
    let mut policy = RetryPolicy::default()
        .max_attempts(retry["max_attempts"].as_u64().unwrap_or(3) as u32)
        .initial_backoff(ms("initial_backoff_ms"))
        .max_backoff(ms("max_backoff_ms"));
    if let Some(budget) = retry["budget"].as_object() {
        let tokens = |key: &str| budget.get(key).and_then(Value::as_u64).map(|n| n as u32);
        let mut own = RetryBudget::default();
        if let Some(n) = tokens("capacity") {
            own = own.capacity(n);
        }
        if let Some(n) = tokens("retry_cost") {
            own = own.retry_cost(n);
        }
        policy = policy.retry_budget(own);
    }
    let client = Client::builder()
        .base_url(case["base_url"].as_str().unwrap_or_default())
        .token(case["token"].as_str().unwrap_or_default())
        .retry_policy(policy)
        .build();
    // The dynamic call takes every parameter by its name on the wire.
    let mut params = Map::new();
    for group in ["path", "query", "header"] {
        if let Some(values) = case["params"][group].as_object() {
            params.extend(values.clone());
        }
    }
    let operation = case["operation"].as_str().unwrap_or_default();
    match client.map(|c| async move { c.call(operation, &params, case.get("body")).await }) {
        Ok(pending) => match pending.await {
            Ok(value) => json!({ "ok": value }),
            Err(error) => failure(&error),
        },
        Err(error) => failure(&error),
    }
}

/// A refusal with its problems, or an error as the protocol has it.
fn failure(error: &Error) -> Value {
    if let Some(refusal) = error.validation() {
        let problems: Vec<Value> = refusal
            .problems()
            .iter()
            .map(|p| {
                let value = serde_json::from_str(p.value()).unwrap_or_else(|_| json!(p.value()));
                json!({"field": p.field(), "value": value})
            })
            .collect();
        return json!({ "refused": problems });
    }
    let class = match error.kind() {
        ErrorKind::Status => "status",
        ErrorKind::Transport => "transport",
        ErrorKind::InvalidResponse => "invalid_response",
        ErrorKind::Config => "config",
        _ => "other",
    };
    json!({"error": {
        "class": class,
        "status": error.status().map(|s| s.as_u16()),
        "message": error.message(),
        "excerpt": error.body_excerpt(),
        "request_id": error.request_id(),
        "attempts": error.attempts(),
        "retry_budget_exhausted": error.is_retry_budget_exhausted(),
    }})
}
