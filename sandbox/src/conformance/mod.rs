//! The conformance driver (`openscaler-sandbox conformance --testee CMD`):
//! runs an SDK's testee program through every vector, with this sandbox
//! serving them in-process, and judges each case by the testee's answer
//! and the wire verdict together. The protocol is in `tests/vectors/README.md`
//! ("Testing your SDK").
//!
//! - `lists`: the requirements table, an expected-failures file, the
//!   testee's command line;
//! - `testee`: the testee as a process, one line out and one line back;
//! - `judge`: the message for a vector, the answer against its `expect`;
//! - `report`: results, lines, counts, coverage, JUnit XML.

mod judge;
mod lists;
mod report;
mod testee;

use std::{
    collections::BTreeSet,
    io::Write,
    path::PathBuf,
    time::{Duration, Instant},
};

use self::{judge::Answer, testee::Testee};
pub use self::{
    lists::{builtin_requirements, requirements, Requirement},
    report::{CaseResult, Counts, Status, Summary},
};
use crate::{vector_set::Vector, Error, Sandbox};

/// The token every message carries, as the vectors expect it on the wire
/// (`Bearer <token>`, literally, as on the vendor's page). It is never
/// printed: what the testee says is shown with it redacted.
pub const TOKEN: &str = "<token>";

/// What to run, and how.
#[derive(Debug, Clone)]
#[must_use]
pub struct Options {
    /// The testee's command line: words, `'...'` and `"..."`, run without a shell.
    pub testee: String,
    /// Vectors to serve instead of the embedded set (`--vectors DIR`).
    pub vectors_dir: Option<PathBuf>,
    /// The spec to serve instead of the embedded one (`--spec FILE`).
    pub spec_file: Option<PathBuf>,
    /// The expected-failures file's text (its name for messages, and text).
    pub expected_failures: Option<(String, String)>,
    /// Only these ids or categories.
    pub only: Vec<String>,
    /// Not these ids or categories.
    pub skip: Vec<String>,
    /// How long one case (and the hello) may take.
    pub timeout: Duration,
}

impl Options {
    /// Runs `testee` through every vector, with a 20 s timeout per case.
    pub fn new(testee: impl Into<String>) -> Options {
        Options {
            testee: testee.into(),
            vectors_dir: None,
            spec_file: None,
            expected_failures: None,
            only: Vec::new(),
            skip: Vec::new(),
            timeout: Duration::from_secs(20),
        }
    }
}

/// `text` with the token replaced by `<redacted>`.
pub(crate) fn redact(text: &str, token: &str) -> String {
    if token.is_empty() {
        text.to_owned()
    } else {
        text.replace(token, "<redacted>")
    }
}

/// Runs the testee through the vectors, writing one line per case to
/// `out`, then the coverage table and the closing counts.
///
/// # Errors
/// Options that cannot be followed (a bad command, an expected failure or
/// `--only`/`--skip` value that names no vector, vectors or a spec that do
/// not load), or a testee that does not start and say hello.
pub fn run(options: &Options, out: &mut dyn Write) -> Result<Summary, Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error(format!("cannot start the runtime: {e}")))?;
    let mut builder = Sandbox::builder().seed(1);
    if let Some(dir) = &options.vectors_dir {
        builder = builder.vectors_dir(dir);
    }
    if let Some(file) = &options.spec_file {
        builder = builder.spec_file(file);
    }
    let sandbox = runtime.block_on(builder.start())?;
    let result = drive(&sandbox, options, out);
    drop(sandbox);
    runtime.shutdown_background();
    result
}

fn drive(sandbox: &Sandbox, options: &Options, out: &mut dyn Write) -> Result<Summary, Error> {
    let words = lists::words(&options.testee).map_err(|e| Error(format!("--testee: {e}")))?;
    let vectors = &sandbox.shared.vectors;
    let expected = match &options.expected_failures {
        None => Default::default(),
        Some((name, text)) => {
            lists::expected_failures(text).map_err(|e| Error(format!("{name} {e}")))?
        }
    };
    if let Some(id) = expected
        .keys()
        .find(|id| !vectors.vectors.contains_key(*id))
    {
        return Err(Error(format!(
            "expected failures: no vector {id:?} in this set"
        )));
    }
    for (flag, values) in [("--only", &options.only), ("--skip", &options.skip)] {
        if let Some(value) = values.iter().find(|value| {
            !vectors
                .vectors
                .values()
                .any(|v| &v.id == *value || &v.category == *value)
        }) {
            return Err(Error(format!(
                "{flag} {value}: no vector has this id or category"
            )));
        }
    }
    let requirements = lists::builtin_requirements();
    let first = Testee::start(&words, options.timeout, TOKEN)
        .map_err(|e| Error(format!("the testee {}: {e}", options.testee)))?;
    let hello = first.hello.clone();
    let mut testee = Some(first);
    let mut summary = Summary {
        sdk: hello.sdk.clone(),
        features: hello.features.clone(),
        results: Vec::new(),
    };
    let _ = writeln!(
        out,
        "testee: {} (features: {})",
        redact(&hello.sdk, TOKEN),
        redact(&hello.features.join(", "), TOKEN)
    );
    let mut broken: Option<String> = None;
    for vector in vectors.vectors.values() {
        let picked = |list: &[String]| {
            list.iter()
                .any(|x| *x == vector.id || *x == vector.category)
        };
        let not_applicable = missing(vector, &hello, &requirements);
        let started = Instant::now();
        let status = if (!options.only.is_empty() && !picked(&options.only))
            || picked(&options.skip)
        {
            Status::Skipped
        } else if let Some(why) = not_applicable {
            Status::NotApplicable(why)
        } else {
            if testee.is_none() && broken.is_none() {
                match Testee::start(&words, options.timeout, TOKEN) {
                    Ok(started) => testee = Some(started),
                    Err(e) => {
                        broken = Some(format!("not run: the testee could not be restarted: {e}"));
                    }
                }
            }
            match testee.as_mut() {
                Some(running) => {
                    let (problems, trouble) = case(sandbox, running, vector, options.timeout);
                    if trouble {
                        if let Some(done) = testee.take() {
                            done.stop();
                        }
                    }
                    judged(problems, trouble, expected.get(&vector.id))
                }
                None => Status::Failed {
                    problems: vec![broken.clone().unwrap_or_default()],
                    testee: true,
                },
            }
        };
        let result = CaseResult {
            id: vector.id.clone(),
            category: vector.category.clone(),
            requirements: vector.requirements.clone(),
            elapsed: if matches!(status, Status::Skipped | Status::NotApplicable(_)) {
                Duration::ZERO
            } else {
                started.elapsed()
            },
            status,
        };
        let _ = writeln!(out, "{}", redact(&result.line(), TOKEN));
        summary.results.push(result);
    }
    if let Some(done) = testee.take() {
        done.stop();
    }
    let _ = write!(out, "\n{}\n", summary.coverage(&requirements));
    let _ = writeln!(out, "{}", summary.closing_line());
    Ok(summary)
}

/// Why `vector` does not apply to the testee, if it does not: a feature
/// its requirements need that the hello does not name, or an operation
/// outside the hello's `operations`.
fn missing(vector: &Vector, hello: &testee::Hello, requirements: &[Requirement]) -> Option<String> {
    let needed: BTreeSet<&str> = vector
        .requirements
        .iter()
        .filter_map(|id| requirements.iter().find(|r| &r.id == id))
        .filter_map(|r| r.feature.as_deref())
        .filter(|f| !hello.features.iter().any(|have| have == f))
        .collect();
    let operation = hello
        .operations
        .as_ref()
        .is_some_and(|ops| !ops.contains(&vector.operation));
    match (needed.is_empty(), operation) {
        (true, false) => None,
        (false, false) => Some(format!(
            "needs {}",
            needed.into_iter().collect::<Vec<_>>().join(", ")
        )),
        (true, true) => Some(format!(
            "calls {}, which the testee does not",
            vector.operation
        )),
        (false, true) => Some(format!(
            "calls {}, which the testee does not; needs {}",
            vector.operation,
            needed.into_iter().collect::<Vec<_>>().join(", ")
        )),
    }
}

/// The final status of a case that ran, given its expected-failure reason.
fn judged(problems: Vec<String>, testee: bool, listed: Option<&String>) -> Status {
    match (problems.is_empty(), listed) {
        (true, None) => Status::Passed,
        (true, Some(reason)) => Status::UnexpectedlyPassed {
            reason: reason.clone(),
        },
        (false, Some(reason)) if !testee => Status::ExpectedFailure {
            reason: reason.clone(),
            problems,
        },
        (false, _) => Status::Failed { problems, testee },
    }
}

/// Runs one case: resets the vector, asks the testee, judges its answer,
/// reads the verdict. Returns the problems, and whether the testee itself
/// failed (then it is restarted).
fn case(
    sandbox: &Sandbox,
    testee: &mut Testee,
    vector: &Vector,
    timeout: Duration,
) -> (Vec<String>, bool) {
    let vectors = &sandbox.shared.vectors;
    vectors.reset(&vector.id);
    let message = judge::message(vector, &sandbox.vector_url(&vector.id), TOKEN);
    let answer = match testee.ask(&message, timeout) {
        Ok(line) => judge::answer(&line, &vector.id).map_err(|why| {
            format!(
                "the testee's answer is not the protocol's ({why}): {}",
                testee::shorten(&redact(&line, TOKEN))
            )
        }),
        Err(trouble) => Err(trouble.to_string()),
    };
    let answer: Answer = match answer {
        Ok(answer) => answer,
        Err(why) => return (vec![why], true),
    };
    let mut problems = judge::judge(vector, &answer, TOKEN);
    let verdict = vectors.verdict(&vector.id).unwrap_or_default();
    if verdict["pass"] != true {
        let mismatches = verdict["mismatches"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        problems.extend(
            mismatches
                .iter()
                .map(|m| format!("wire: {}", m.as_str().unwrap_or_default())),
        );
    }
    (problems, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello(features: &[&str], operations: Option<&[&str]>) -> testee::Hello {
        testee::Hello {
            sdk: "x".into(),
            features: features.iter().map(|f| (*f).to_owned()).collect(),
            operations: operations.map(|o| o.iter().map(|f| (*f).to_owned()).collect()),
        }
    }

    #[test]
    fn a_vector_needs_the_features_of_its_requirements() {
        let vector: Vector = serde_json::from_value(serde_json::json!({
            "id": "v", "category": "c", "requirements": ["R1", "R12", "R15", "R99"],
            "expect": {"outcome": "ok", "attempts": 1}
        }))
        .unwrap();
        let rows = builtin_requirements();
        assert_eq!(
            missing(&vector, &hello(&[], None), &rows).as_deref(),
            Some("needs retries, retry-after")
        );
        assert_eq!(
            missing(&vector, &hello(&["retries"], None), &rows).as_deref(),
            Some("needs retry-after")
        );
        assert_eq!(
            missing(&vector, &hello(&["retry-after", "retries"], None), &rows),
            None
        );
        assert_eq!(
            missing(
                &vector,
                &hello(&["retry-after", "retries"], Some(&["update_backend", "x"])),
                &rows
            ),
            None
        );
        assert_eq!(
            missing(
                &vector,
                &hello(&["retry-after", "retries"], Some(&["get"])),
                &rows
            )
            .as_deref(),
            Some("calls update_backend, which the testee does not")
        );
        assert_eq!(
            missing(&vector, &hello(&["retries"], Some(&[])), &rows).as_deref(),
            Some("calls update_backend, which the testee does not; needs retry-after")
        );
    }

    #[test]
    fn a_listed_case_is_expected_to_fail_unless_the_testee_broke() {
        let reason = "why".to_owned();
        assert_eq!(judged(vec![], false, None), Status::Passed);
        assert_eq!(
            judged(vec![], false, Some(&reason)),
            Status::UnexpectedlyPassed {
                reason: "why".into()
            }
        );
        assert_eq!(
            judged(vec!["p".into()], false, Some(&reason)),
            Status::ExpectedFailure {
                reason: "why".into(),
                problems: vec!["p".into()]
            }
        );
        assert_eq!(
            judged(vec!["p".into()], true, Some(&reason)),
            Status::Failed {
                problems: vec!["p".into()],
                testee: true
            }
        );
        assert_eq!(
            judged(vec!["p".into()], false, None),
            Status::Failed {
                problems: vec!["p".into()],
                testee: false
            }
        );
    }

    #[test]
    fn the_token_is_redacted() {
        assert_eq!(
            redact("Bearer <token>, <token>", TOKEN),
            "Bearer <redacted>, <redacted>"
        );
        assert_eq!(redact("abc", ""), "abc");
    }
}
