//! The conformance driver (`openscaler-sandbox conformance`), run as a
//! program against fake testees: one that knows every answer, and the same
//! one made to crash, answer garbage, hang, answer wrongly or show the
//! token at a chosen case.
//!
//! This test binary is its own fake testee: started with `--fake-testee`,
//! it speaks the protocol instead of running the tests (hence
//! `harness = false`). The fake answers each case from the vector file
//! itself, and sends the vector's expected request as often as the vector
//! expects attempts, so the sandbox's wire verdict passes too: it is an
//! oracle, not an SDK.

use std::{
    collections::BTreeMap,
    io::{BufRead, Write},
    panic,
    path::{Path, PathBuf},
    process::{Command, Output},
    time::Duration,
};

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_openscaler-sandbox");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

// ---------------------------------------------------------------- the fake

/// What the fake does, from its arguments: `--features a,b`,
/// `--vectors DIR`, and `--crash-at`, `--garbage-at`, `--hang-at`,
/// `--wrong-at`, `--leak-at` ID; `--no-hello` greets with garbage.
#[derive(Default)]
struct Fake {
    features: Vec<String>,
    operations: Option<Vec<String>>,
    dirs: Vec<PathBuf>,
    at: BTreeMap<String, String>,
    no_hello: bool,
}

fn fake_main(args: &[String]) {
    let mut fake = Fake::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || args.next().cloned().unwrap_or_default();
        match arg.as_str() {
            "--features" => fake.features = value().split(',').map(str::to_owned).collect(),
            "--operations" => {
                fake.operations = Some(value().split(',').map(str::to_owned).collect());
            }
            "--vectors" => fake.dirs.push(PathBuf::from(value())),
            "--no-hello" => fake.no_hello = true,
            other => {
                let what = other.trim_start_matches("--").trim_end_matches("-at");
                fake.at.insert(value(), what.to_owned());
            }
        }
    }
    if fake.dirs.is_empty() {
        fake.dirs.push(repo().join("tests/vectors"));
    }
    let stdout = std::io::stdout();
    let say = |line: &str| {
        let mut out = stdout.lock();
        writeln!(out, "{line}").unwrap();
        out.flush().unwrap();
    };
    if fake.no_hello {
        say("Starting up, please wait...");
    } else {
        say(
            &json!({"hello": {"sdk": "fake-oracle 1.0", "features": fake.features,
                              "operations": fake.operations}})
            .to_string(),
        );
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let http = reqwest::Client::new();
    for line in std::io::stdin().lock().lines() {
        let message: Value = serde_json::from_str(&line.unwrap()).unwrap();
        let id = message["case"].as_str().unwrap().to_owned();
        match fake.at.get(&id).map(String::as_str) {
            Some("crash") => std::process::exit(3),
            Some("garbage") => {
                say("Traceback (most recent call last): oops");
                continue;
            }
            Some("hang") => std::thread::sleep(Duration::from_secs(3600)),
            _ => {}
        }
        let vector = fake
            .dirs
            .iter()
            .find_map(|dir| std::fs::read_to_string(dir.join(format!("{id}.json"))).ok())
            .map(|text| serde_json::from_str::<Value>(&text).unwrap())
            .unwrap_or_else(|| panic!("no vector {id}"));
        runtime.block_on(send(&http, &message, &vector));
        let mut answer = oracle(&vector);
        match fake.at.get(&id).map(String::as_str) {
            Some("wrong") => answer = json!({"ok": {"wrong": true}}),
            Some("leak") => {
                eprintln!("debug: sending Authorization: Bearer {}", message["token"]);
                answer = json!({"error": {"class": "status", "status": 401,
                    "message": format!("token {} refused", message["token"]), "attempts": 1}});
            }
            _ => {}
        }
        answer["case"] = json!(id);
        say(&answer.to_string());
    }
}

/// Sends the vector's expected request as many times as it expects
/// attempts, spaced to meet its `min_elapsed_ms`.
async fn send(http: &reqwest::Client, message: &Value, vector: &Value) {
    let Some(request) = vector.get("request") else {
        return;
    };
    let attempts = vector["expect"]["attempts"].as_u64().unwrap();
    let wait = vector["expect"]["min_elapsed_ms"].as_u64().unwrap_or(0) / (attempts - 1).max(1);
    let base = message["base_url"].as_str().unwrap();
    let mut url = format!("{base}{}", request["path"].as_str().unwrap());
    if let Some(query) = request["query"].as_object() {
        let mut pairs = Vec::new();
        for (name, values) in query {
            let values = match values {
                Value::Array(many) => many.clone(),
                one => vec![one.clone()],
            };
            for value in values {
                let encode = |s: &str| {
                    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
                        .to_string()
                };
                pairs.push(format!(
                    "{}={}",
                    encode(name),
                    encode(value.as_str().unwrap())
                ));
            }
        }
        url = format!("{url}?{}", pairs.join("&"));
    }
    for attempt in 0..attempts {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(wait + 10)).await;
        }
        let method = reqwest::Method::from_bytes(request["method"].as_str().unwrap().as_bytes());
        let mut builder = http.request(method.unwrap(), &url);
        for (name, value) in request["headers"].as_object().unwrap() {
            builder = builder.header(name, value.as_str().unwrap());
        }
        if let Some(body) = request.get("body").filter(|b| !b.is_null()) {
            builder = builder.body(body.to_string());
        }
        builder.send().await.unwrap();
    }
}

/// The answer the vector expects.
fn oracle(vector: &Value) -> Value {
    let expect = &vector["expect"];
    match expect["outcome"].as_str().unwrap() {
        "ok" => json!({"ok": expect.get("value").cloned().unwrap_or(Value::Null)}),
        "refused" => {
            let problems: Vec<Value> = expect["refused"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    let text = p["value"].as_str().unwrap();
                    json!({"field": p["field"], "value": serde_json::from_str::<Value>(text).unwrap()})
                })
                .collect();
            json!({"refused": problems})
        }
        _ => {
            let want = &expect["error"];
            let mut error = json!({"class": want["class"], "status": want["status"],
                                   "attempts": expect["attempts"]});
            for (from, to) in [
                ("message", "message"),
                ("request_id", "request_id"),
                ("excerpt_contains", "excerpt"),
                ("retry_budget_exhausted", "retry_budget_exhausted"),
            ] {
                if let Some(value) = want.get(from) {
                    error[to] = value.clone();
                }
            }
            json!({"error": error})
        }
    }
}

// ---------------------------------------------------------------- helpers

/// Every feature a testee can name.
const ALL: &str = "retries,retry-after,retry-budget,validation,forward-compat";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn line(&self, id: &str) -> &str {
        self.stdout
            .lines()
            .find(|l| l.split_whitespace().nth(1).map(|w| w.trim_end_matches(':')) == Some(id))
            .unwrap_or_else(|| panic!("no line for {id}:\n{}", self.stdout))
    }

    fn last(&self) -> &str {
        self.stdout.lines().last().unwrap_or_default()
    }
}

/// Runs the driver with the fake (`fake` are its arguments) and `more`.
fn drive(fake: &str, more: &[&str]) -> Run {
    let me = std::env::current_exe().unwrap();
    let testee = format!("'{}' --fake-testee {fake}", me.display());
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(BIN)
        .arg("conformance")
        .arg("--testee")
        .arg(&testee)
        .args(more)
        .current_dir(repo())
        .output()
        .unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

fn vector_count(dir: &str) -> usize {
    std::fs::read_dir(repo().join(dir))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "json")
        })
        .count()
}

fn temp(name: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "openscaler-conformance-{}-{name}",
        std::process::id()
    ));
    std::fs::write(&path, text).unwrap();
    path
}

// ---------------------------------------------------------------- the tests

/// A testee that answers every case as the vector says, and sends what it
/// expects, passes them all; the JUnit file says so as XML.
fn an_oracle_passes_every_vector() {
    let junit = temp("all.xml", "");
    let run = drive(
        &format!("--features {ALL}"),
        &["--junit", junit.to_str().unwrap()],
    );
    let n = vector_count("tests/vectors");
    assert_eq!(
        run.last(),
        format!("{n} passed, 0 failed, 0 expected failures, 0 unexpectedly passed, 0 not applicable, 0 skipped"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("testee: fake-oracle 1.0 (features: retries, retry-after, retry-budget, validation, forward-compat)\n"), "{}", run.stdout);
    assert_eq!(
        run.line("golden-page-example"),
        "pass   golden-page-example"
    );
    // The coverage table: every requirement, each vector counted once per requirement.
    let row = run
        .stdout
        .lines()
        .find(|l| l.starts_with("R16 retry budget"))
        .unwrap();
    assert_eq!(
        row.split_whitespace().skip(3).collect::<Vec<_>>(),
        ["1", "1", "0", "0"]
    );
    assert!(run.stdout.contains("R26 header parameters"));

    let text = std::fs::read_to_string(&junit).unwrap();
    let xml = roxmltree::Document::parse(&text).unwrap();
    let suites = xml.root_element();
    assert_eq!(suites.tag_name().name(), "testsuites");
    assert_eq!(suites.attribute("tests"), Some(n.to_string().as_str()));
    assert_eq!(suites.attribute("failures"), Some("0"));
    let suite = suites
        .children()
        .find(|c| c.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(suite.attribute("name"), Some("fake-oracle 1.0"));
    let cases: Vec<_> = suite
        .children()
        .filter(|c| c.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), n);
    assert!(cases.iter().all(|c| c.first_element_child().is_none()));
    let golden = cases
        .iter()
        .find(|c| c.attribute("name") == Some("golden-page-example"))
        .unwrap();
    assert_eq!(golden.attribute("classname"), Some("conformance.golden"));
    assert!(golden.attribute("time").unwrap().parse::<f64>().unwrap() >= 0.0);
}

/// The future spec's vectors run with `--vectors` and `--spec` too, and a
/// testee that names its operations gets the others as not applicable.
fn other_sets_and_operations() {
    let dir = repo().join("tests/evolution/vectors");
    let vectors = dir.to_str().unwrap();
    let args = ["--vectors", vectors, "--spec", "tests/evolution/all.yaml"];
    let run = drive(&format!("--features {ALL} --vectors {vectors}"), &args);
    let n = vector_count("tests/evolution/vectors");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.last().starts_with(&format!("{n} passed, 0 failed")),
        "{}",
        run.stdout
    );

    let run = drive(
        &format!("--features {ALL} --vectors {vectors} --operations get_backend,list_backends"),
        &args,
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.line("get-backend"), "pass   get-backend");
    assert_eq!(
        run.line("delete-backend"),
        "n/a    delete-backend: calls delete_backend, which the testee does not"
    );
    let passed: usize = run.last().split(' ').next().unwrap().parse().unwrap();
    assert!((4..n).contains(&passed), "{}", run.last());
}

/// Vectors that need a feature the hello does not name are not applicable,
/// not passed, and do not fail the run.
fn missing_features_are_not_applicable() {
    let run = drive("--features validation", &["--only", "retry,refused,golden"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        run.line("retry-429-retry-after-seconds"),
        "n/a    retry-429-retry-after-seconds: needs retries, retry-after"
    );
    assert_eq!(run.line("refused-port-zero"), "pass   refused-port-zero");
    let refused = std::fs::read_dir(repo().join("tests/vectors"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("refused-")
        })
        .count();
    let retry = 5;
    let others = vector_count("tests/vectors") - refused - retry - 1;
    assert_eq!(
        run.last(),
        format!("{} passed, 0 failed, 0 expected failures, 0 unexpectedly passed, {retry} not applicable, {others} skipped", refused + 1)
    );
}

/// A testee that exits in the middle of the run fails that case, named,
/// and is started again for the next: every other case passes.
fn a_crash_fails_its_case_and_the_run_goes_on() {
    let run = drive(&format!("--features {ALL} --crash-at error-404-json"), &[]);
    assert_eq!(run.code, 1);
    let line = run.line("error-404-json");
    assert!(
        line.starts_with(
            "FAIL   error-404-json: the testee exited (exit status: 3) without answering"
        ),
        "{line}"
    );
    assert_eq!(run.line("error-404-empty"), "pass   error-404-empty");
    assert_eq!(
        run.line("error-422-json-other-shape"),
        "pass   error-422-json-other-shape"
    );
    let n = vector_count("tests/vectors");
    assert!(
        run.last()
            .starts_with(&format!("{} passed, 1 failed,", n - 1)),
        "{}",
        run.last()
    );
}

/// A line that is not the protocol's fails its case, quoted, and the run
/// goes on with a fresh testee.
fn garbage_fails_its_case_and_the_run_goes_on() {
    let junit = temp("garbage.xml", "");
    let run = drive(
        &format!("--features {ALL} --garbage-at enum-mode-tcp"),
        &["--only", "enums", "--junit", junit.to_str().unwrap()],
    );
    assert_eq!(run.code, 1);
    assert_eq!(
        run.line("enum-mode-tcp"),
        "FAIL   enum-mode-tcp: the testee's answer is not the protocol's (not JSON): \"Traceback (most recent call last): oops\""
    );
    assert_eq!(
        run.line("enum-proxy-protocol-v1"),
        "pass   enum-proxy-protocol-v1"
    );
    assert!(
        run.last().starts_with("9 passed, 1 failed,"),
        "{}",
        run.last()
    );
    // In JUnit, a testee that broke the protocol is an error, not a failure.
    let text = std::fs::read_to_string(&junit).unwrap();
    let xml = roxmltree::Document::parse(&text).unwrap();
    let suites = xml.root_element();
    assert_eq!(
        (suites.attribute("errors"), suites.attribute("failures")),
        (Some("1"), Some("0"))
    );
    let error = xml.descendants().find(|n| n.has_tag_name("error")).unwrap();
    assert_eq!(
        error.parent().unwrap().attribute("name"),
        Some("enum-mode-tcp")
    );
    assert!(error
        .attribute("message")
        .unwrap()
        .contains("not the protocol's"));
}

/// A testee that gives no answer within `--timeout` is stopped; its case
/// fails, named, and the next case runs on a fresh one.
fn a_hang_times_out_and_the_run_goes_on() {
    let run = drive(
        &format!("--features {ALL} --hang-at port-integer"),
        &["--only", "port", "--timeout", "1.5"],
    );
    assert_eq!(run.code, 1);
    assert_eq!(
        run.line("port-integer"),
        "FAIL   port-integer: the testee gave no answer within 1.5 s (stopped)"
    );
    assert_eq!(run.line("port-string"), "pass   port-string");
    assert!(
        run.last().starts_with("2 passed, 1 failed,"),
        "{}",
        run.last()
    );
}

/// Listed failures are expected; a listed case that passes is reported as
/// unexpectedly passed and fails the run; a list naming no vector is refused.
fn expected_failures_and_unexpected_passes() {
    let list = temp(
        "xfail.txt",
        "# why each fails\nport-string   # sends the port as an integer\n\n# closes enums\nport-integer\n",
    );
    let run = drive(
        &format!("--features {ALL} --wrong-at port-string"),
        &[
            "--only",
            "port",
            "--expected-failures",
            list.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    let line = run.line("port-string");
    assert!(
        line.starts_with("xfail  port-string: value: lacks /"),
        "{line}"
    );
    assert!(
        line.ends_with(" (expected: sends the port as an integer)"),
        "{line}"
    );
    assert_eq!(
        run.line("port-integer"),
        "XPASS  port-integer: unexpectedly passed (listed as expected to fail: closes enums)"
    );
    assert!(
        run.last().starts_with(
            "1 passed, 0 failed, 1 expected failures, 1 unexpectedly passed, 0 not applicable,"
        ),
        "{}",
        run.last()
    );

    let list = temp(
        "xfail-one.txt",
        "port-string # sends the port as an integer\n",
    );
    let run = drive(
        &format!("--features {ALL} --wrong-at port-string"),
        &[
            "--only",
            "port",
            "--expected-failures",
            list.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);

    let list = temp("xfail-typo.txt", "port-strnig\n");
    let run = drive("", &["--expected-failures", list.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: expected failures: no vector \"port-strnig\" in this set\n"
    );
}

/// `--only` and `--skip` take ids and categories; one that names nothing
/// is refused.
fn only_and_skip() {
    let run = drive(
        &format!("--features {ALL}"),
        &[
            "--only",
            "retry,golden-page-example",
            "--skip",
            "retry-429-retry-after-seconds",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    let ran: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("pass "))
        .map(|l| l[7..].trim())
        .collect();
    assert_eq!(
        ran,
        [
            "golden-page-example",
            "retry-408-then-200",
            "retry-503-503-200",
            "retry-504-then-200",
            "retry-budget-exhausted",
        ]
    );
    assert_eq!(
        run.line("retry-429-retry-after-seconds"),
        "skip   retry-429-retry-after-seconds"
    );
    let run = drive("", &["--skip", "retyr"]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            2,
            "error: --skip retyr: no vector has this id or category\n"
        )
    );
}

/// The token reaches the testee, but never the report: what the testee
/// prints is shown redacted, and an answer that carries it fails.
fn the_token_is_never_shown() {
    let junit = temp("leak.xml", "");
    let run = drive(
        &format!("--features {ALL} --leak-at error-401-json"),
        &["--only", "errors", "--junit", junit.to_str().unwrap()],
    );
    assert_eq!(run.code, 1);
    let line = run.line("error-401-json");
    assert!(
        line.contains("the answer carries the token (it must never be shown)"),
        "{line}"
    );
    assert!(
        line.contains("error message is \"token \\\"<redacted>\\\" refused\""),
        "{line}"
    );
    assert!(
        run.stderr
            .contains("testee: debug: sending Authorization: Bearer \"<redacted>\""),
        "{}",
        run.stderr
    );
    for text in [
        &run.stdout,
        &run.stderr,
        &std::fs::read_to_string(&junit).unwrap(),
    ] {
        assert!(!text.contains("<token>"), "{text}");
    }
}

/// A testee whose first line is not a hello stops the run at once (exit 2).
fn no_hello_is_a_bad_start() {
    let run = drive("--no-hello", &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("its first line is not a hello (not JSON): \"Starting up, please wait...\""),
        "{}",
        run.stderr
    );
    let run = drive("", &["--timeout", "0"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: --timeout 0: not a positive number of seconds\n"
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--fake-testee") {
        return fake_main(&args[1..]);
    }
    let tests: &[(&str, fn())] = &[
        (
            "an_oracle_passes_every_vector",
            an_oracle_passes_every_vector,
        ),
        ("other_sets_and_operations", other_sets_and_operations),
        (
            "missing_features_are_not_applicable",
            missing_features_are_not_applicable,
        ),
        (
            "a_crash_fails_its_case_and_the_run_goes_on",
            a_crash_fails_its_case_and_the_run_goes_on,
        ),
        (
            "garbage_fails_its_case_and_the_run_goes_on",
            garbage_fails_its_case_and_the_run_goes_on,
        ),
        (
            "a_hang_times_out_and_the_run_goes_on",
            a_hang_times_out_and_the_run_goes_on,
        ),
        (
            "expected_failures_and_unexpected_passes",
            expected_failures_and_unexpected_passes,
        ),
        ("only_and_skip", only_and_skip),
        ("the_token_is_never_shown", the_token_is_never_shown),
        ("no_hello_is_a_bad_start", no_hello_is_a_bad_start),
    ];
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let chosen: Vec<_> = tests
        .iter()
        .filter(|(name, _)| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str())))
        .collect();
    println!("running {} tests", chosen.len());
    let failed: Vec<&str> = std::thread::scope(|scope| {
        let handles: Vec<_> = chosen
            .iter()
            .map(|(name, test)| (*name, scope.spawn(move || panic::catch_unwind(test))))
            .collect();
        handles
            .into_iter()
            .filter_map(|(name, handle)| {
                let ok = matches!(handle.join(), Ok(Ok(())));
                println!("test {name} ... {}", if ok { "ok" } else { "FAILED" });
                (!ok).then_some(name)
            })
            .collect()
    });
    println!(
        "\ntest result: {}. {} passed; {} failed",
        if failed.is_empty() { "ok" } else { "FAILED" },
        chosen.len() - failed.len(),
        failed.len()
    );
    if !failed.is_empty() {
        std::process::exit(101);
    }
}
