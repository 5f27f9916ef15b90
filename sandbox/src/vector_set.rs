//! The conformance vectors vector mode serves: the embedded set of
//! `tests/vectors/` (built in by `build.rs`) or `--vectors DIR`, each
//! checked when loaded, and what each has received since its last reset.
//! The format is in `tests/vectors/README.md`.

use std::{
    collections::BTreeMap,
    fs,
    path::Path as FsPath,
    sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError},
    time::Instant,
};

use axum::http::{HeaderName, HeaderValue, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::spec::Spec;

include!(concat!(env!("OUT_DIR"), "/vectors.rs"));

/// Locks a run, recovering from a poisoned lock (as `shared::lock` does;
/// this module sits below `shared`).
fn lock(run: &Mutex<Run>) -> MutexGuard<'_, Run> {
    run.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Mismatches kept per vector; more are counted.
const MAX_MISMATCHES: usize = 32;

/// One vector, as far as the sandbox needs it (the format is in
/// `tests/vectors/README.md`).
#[derive(Debug, Deserialize)]
pub(crate) struct Vector {
    pub id: String,
    pub category: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "default_operation")]
    pub operation: String,
    /// The requirements of `tests/vectors/REQUIREMENTS.md` it covers.
    #[serde(default)]
    pub requirements: Vec<String>,
    /// The call, as the vector has it (read by the conformance driver).
    #[serde(default)]
    pub call: Value,
    /// Retry settings of its own (a budget), over the driver's.
    #[serde(default)]
    pub retry: Option<Value>,
    pub request: Option<Expected>,
    #[serde(default)]
    pub responses: Vec<Scripted>,
    pub expect: Expect,
}

fn default_operation() -> String {
    "update_backend".to_owned()
}

#[derive(Debug, Deserialize)]
pub(crate) struct Expected {
    pub method: String,
    pub path: String,
    /// The query's decoded parameters, in any order; absent: no query.
    #[serde(default)]
    pub query: BTreeMap<String, QueryValue>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub forbidden_headers: Vec<String>,
    /// Absent or null: no body.
    #[serde(default)]
    pub body: Option<Value>,
}

/// One query parameter's value, or its values when it repeats.
#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub(crate) enum QueryValue {
    One(String),
    Many(Vec<String>),
}

impl QueryValue {
    pub fn values(&self) -> Vec<&str> {
        match self {
            QueryValue::One(one) => vec![one.as_str()],
            QueryValue::Many(many) => many.iter().map(String::as_str).collect(),
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Scripted {
    pub status: u16,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub body: Option<Value>,
    pub text: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Expect {
    pub outcome: String,
    pub attempts: usize,
    pub min_elapsed_ms: Option<u64>,
    /// `ok`: the value (absent or null: an answer without content).
    #[serde(default)]
    pub value: Value,
    /// `error`: class, status, message, excerpt_contains, request_id.
    #[serde(default)]
    pub error: Option<Value>,
    /// `refused`: `{field, value}` of each problem, in order.
    #[serde(default)]
    pub refused: Vec<Value>,
}

/// What one vector has received since its last reset.
#[derive(Debug, Default)]
pub(crate) struct Run {
    pub received: usize,
    pub mismatches: Vec<String>,
    pub more: usize,
    pub first: Option<Instant>,
    pub last: Option<Instant>,
}

impl Run {
    pub fn mismatch(&mut self, what: String) {
        if self.mismatches.len() < MAX_MISMATCHES {
            self.mismatches.push(what);
        } else {
            self.more += 1;
        }
    }
}

/// The loaded vectors and their runs.
#[derive(Debug)]
pub(crate) struct Vectors {
    pub vectors: Arc<BTreeMap<String, Vector>>,
    pub runs: BTreeMap<String, Mutex<Run>>,
}

impl Vectors {
    /// The embedded set (parsed once per process).
    pub fn embedded() -> Result<Vectors, String> {
        static EMBEDDED_SET: OnceLock<Result<Arc<BTreeMap<String, Vector>>, String>> =
            OnceLock::new();
        let set = EMBEDDED_SET
            .get_or_init(|| {
                parse_all(
                    EMBEDDED
                        .iter()
                        .map(|(stem, text)| ((*stem).to_owned(), (*text).to_owned())),
                )
                .map(Arc::new)
            })
            .clone()?;
        Ok(Vectors::new(set))
    }

    /// Every `*.json` file of `dir`.
    pub fn from_dir(dir: &FsPath) -> Result<Vectors, String> {
        let entries = fs::read_dir(dir).map_err(|e| format!("--vectors {}: {e}", dir.display()))?;
        let mut files = Vec::new();
        for entry in entries {
            let path = entry
                .map_err(|e| format!("--vectors {}: {e}", dir.display()))?
                .path();
            if path.extension().is_some_and(|e| e == "json") {
                let text = fs::read_to_string(&path)
                    .map_err(|e| format!("--vectors {}: {e}", path.display()))?;
                let stem = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                files.push((stem, text));
            }
        }
        if files.is_empty() {
            return Err(format!("--vectors {}: no *.json file", dir.display()));
        }
        Ok(Vectors::new(Arc::new(parse_all(files.into_iter())?)))
    }

    /// Refuses a set whose vectors call an operation `spec` lacks.
    pub fn check_operations(&self, spec: &Spec) -> Result<(), String> {
        let known: Vec<String> = spec.operations().into_iter().map(|op| op.id).collect();
        match self
            .vectors
            .values()
            .find(|v| !known.contains(&v.operation))
        {
            Some(v) => Err(format!(
                "vector {}.json: operation {:?} is not in the spec (it has {})",
                v.id,
                v.operation,
                known.join(", ")
            )),
            None => Ok(()),
        }
    }

    fn new(vectors: Arc<BTreeMap<String, Vector>>) -> Vectors {
        let runs = vectors
            .keys()
            .map(|id| (id.clone(), Mutex::new(Run::default())))
            .collect();
        Vectors { vectors, runs }
    }

    pub fn verdict(&self, id: &str) -> Option<Value> {
        let vector = self.vectors.get(id)?;
        let run = lock(self.runs.get(id)?);
        let mut mismatches = run.mismatches.clone();
        if run.more > 0 {
            mismatches.push(format!("and {} more mismatches", run.more));
        }
        let expected = vector.expect.attempts;
        if run.received != expected {
            let what = if run.received < expected {
                "missing attempt"
            } else {
                "extra attempt"
            };
            mismatches.insert(
                0,
                format!(
                    "{what}: received {} request(s), expected {expected}",
                    run.received
                ),
            );
        }
        let elapsed_ms = match (run.first, run.last) {
            (Some(first), Some(last)) => Some((last - first).as_secs_f64() * 1000.0),
            _ => None,
        };
        if let Some(min) = vector.expect.min_elapsed_ms {
            if run.received >= 2 {
                let elapsed = elapsed_ms.unwrap_or_default();
                if elapsed < min as f64 {
                    mismatches.push(format!(
                        "the last request came {elapsed:.0} ms after the first, expected at least {min} ms"
                    ));
                }
            }
        }
        Some(json!({
            "id": id,
            "pass": mismatches.is_empty(),
            "received": run.received,
            "attempts_expected": expected,
            "outcome_expected": vector.expect.outcome,
            "mismatches": mismatches,
            "elapsed_ms": elapsed_ms,
            "min_elapsed_ms": vector.expect.min_elapsed_ms,
        }))
    }

    pub fn reset(&self, id: &str) -> bool {
        match self.runs.get(id) {
            Some(run) => {
                *lock(run) = Run::default();
                true
            }
            None => false,
        }
    }
}

fn parse_all(
    files: impl Iterator<Item = (String, String)>,
) -> Result<BTreeMap<String, Vector>, String> {
    let mut out = BTreeMap::new();
    for (stem, text) in files {
        let vector: Vector =
            serde_json::from_str(&text).map_err(|e| format!("vector {stem}.json: {e}"))?;
        if vector.id != stem {
            return Err(format!(
                "vector {stem}.json: id {:?} differs from the file name",
                vector.id
            ));
        }
        for (i, response) in vector.responses.iter().enumerate() {
            if StatusCode::from_u16(response.status).is_err() {
                return Err(format!(
                    "vector {stem}.json: responses/{i}/status {} is not an HTTP status",
                    response.status
                ));
            }
            if response.body.is_some() && response.text.is_some() {
                return Err(format!(
                    "vector {stem}.json: responses/{i} has both body and text"
                ));
            }
            for (name, value) in &response.headers {
                if HeaderName::try_from(name.as_str()).is_err()
                    || HeaderValue::try_from(value.as_str()).is_err()
                {
                    return Err(format!(
                        "vector {stem}.json: responses/{i}/headers/{name} is not a valid header"
                    ));
                }
            }
        }
        if !vector.responses.is_empty() && vector.request.is_none() {
            return Err(format!("vector {stem}.json: responses without a request"));
        }
        out.insert(stem, vector);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_vectors_parse() {
        let vectors = Vectors::embedded().unwrap();
        assert!(vectors.vectors.len() >= 50, "{}", vectors.vectors.len());
        assert!(vectors.vectors.contains_key("golden-page-example"));
    }

    #[test]
    fn bad_vector_files_are_named() {
        let parse =
            |text: &str| parse_all(std::iter::once(("v".to_owned(), text.to_owned()))).unwrap_err();
        assert!(parse("{").starts_with("vector v.json: "));
        let base = r#""category": "c", "expect": {"outcome": "ok", "attempts": 1}"#;
        assert_eq!(
            parse(&format!(r#"{{"id": "w", {base}}}"#)),
            "vector v.json: id \"w\" differs from the file name"
        );
        assert_eq!(
            parse(&format!(
                r#"{{"id": "v", {base}, "responses": [{{"status": 42}}]}}"#
            )),
            "vector v.json: responses/0/status 42 is not an HTTP status"
        );
        assert_eq!(
            parse(&format!(
                r#"{{"id": "v", {base}, "responses": [{{"status": 200}}]}}"#
            )),
            "vector v.json: responses without a request"
        );
    }
}
