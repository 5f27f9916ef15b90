//! The binary against the sandbox (the stand-in OpenScaler server), with
//! the sandbox's request journal as the witness of what was sent.

mod support;

use openscaler_sandbox::Sandbox;
use serde_json::{json, Value};
use support::*;

/// Runs the binary off the async runtime (the sandbox serves on it) and
/// returns (exit code, stdout, stderr), checking the token shows in neither.
async fn run(mut cmd: assert_cmd::Command) -> (i32, String, String) {
    let output = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    let err = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!out.contains(SECRET), "token on stdout:\n{out}");
    assert!(!err.contains(SECRET), "token on stderr:\n{err}");
    (output.status.code().unwrap_or(-1), out, err)
}

async fn sandbox(state: Value) -> Sandbox {
    Sandbox::builder()
        .token(SECRET)
        .seed(7)
        .state(state)
        .start()
        .await
        .unwrap()
}

fn template(dir: &std::path::Path) -> std::path::PathBuf {
    let output = openscaler(dir)
        .args(["backend", "template"])
        .output()
        .unwrap();
    write(
        dir,
        "backend.yaml",
        &String::from_utf8(output.stdout).unwrap(),
    )
}

/// The page's example, from the template: the journal holds the page's
/// request (method, path, body), valid against the spec, answered 200.
#[tokio::test(flavor = "multi_thread")]
async fn an_update_from_the_template_sends_the_page_request() {
    let sandbox = sandbox(json!({"42": {"my-backend": stored("my-backend")}})).await;
    let dir = tempdir();
    let file = template(dir.path());
    let mut cmd = openscaler(dir.path());
    cmd.args(["backend", "update", "42", "my-backend", "-o", "json", "-f"])
        .arg(&file)
        .args(["--base-url", sandbox.base_url()])
        .env("OPENSCALER_TOKEN", SECRET);
    let (code, out, err) = run(cmd).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap(),
        golden()["response"]["body"]
    );

    let journal = sandbox.requests();
    assert_eq!(journal.len(), 1);
    let entry = &journal[0];
    assert_eq!(entry.method, "PUT");
    assert_eq!(entry.path, golden()["path"].as_str().unwrap());
    assert_eq!(entry.body.as_ref().unwrap(), &golden_body());
    assert_eq!(entry.headers["authorization"], "Bearer <redacted>");
    assert_eq!(entry.headers["content-type"], "application/json");
    assert!(entry.validation.as_ref().unwrap().valid);
    assert_eq!(entry.status, Some(200));
}

/// The dry run shows exactly what a real run then sends: the journal's
/// method, path, body and headers (the token aside) match it; and the dry
/// run itself leaves the journal empty.
#[tokio::test(flavor = "multi_thread")]
async fn the_dry_run_is_what_is_sent_and_sends_nothing() {
    let sandbox = sandbox(json!({"42": {"web": stored("web")}})).await;
    let dir = tempdir();
    let file = template(dir.path());
    let args = |dry: bool| {
        let mut cmd = openscaler(dir.path());
        cmd.args([
            "backend", "update", "42", "web", "--port", "9000", "-o", "json", "-f",
        ])
        .arg(&file)
        .args(["--base-url", sandbox.base_url(), "--token", SECRET]);
        if dry {
            cmd.arg("--dry-run");
        }
        cmd
    };
    let (code, out, err) = run(args(true)).await;
    assert_eq!(code, 0, "{err}");
    assert!(sandbox.requests().is_empty(), "the dry run sent a request");
    let preview: Value = serde_json::from_str(&out).unwrap();

    let (code, _, err) = run(args(false)).await;
    assert_eq!(code, 0, "{err}");
    let journal = sandbox.requests();
    assert_eq!(journal.len(), 1);
    let sent = &journal[0];
    assert_eq!(preview["method"], sent.method.as_str());
    assert_eq!(
        preview["url"],
        format!("{}{}", sandbox.base_url(), sent.path).as_str()
    );
    assert_eq!(&preview["body"], sent.body.as_ref().unwrap());
    assert_eq!(preview["body"]["port"], 9000);
    let shown = preview["headers"].as_object().unwrap();
    assert!(shown.len() >= 3, "{shown:?}");
    for (name, value) in shown {
        assert_eq!(
            Some(value.as_str().unwrap()),
            sent.headers.get(name).map(String::as_str),
            "{name}"
        );
    }
}

/// A wrong token: exit 4, the API's words on stderr.
#[tokio::test(flavor = "multi_thread")]
async fn refused_credentials_exit_4() {
    let sandbox = sandbox(json!({"42": {"web": stored("web")}})).await;
    let dir = tempdir();
    let file = template(dir.path());
    let mut cmd = openscaler(dir.path());
    cmd.args(["backend", "update", "42", "web", "-f"])
        .arg(&file)
        .args(["--base-url", sandbox.base_url(), "--token", "not-the-token"]);
    let (code, _, err) = run(cmd).await;
    assert_eq!(code, 4, "{err}");
    assert!(err.starts_with("error: OpenScaler answered 401"), "{err}");
    assert_eq!(err.lines().count(), 1);
}

/// `apply` of `n` entries over five load balancers: `lb-0`..`lb-4`, each
/// backend `web-i` getting port `9000 + i`.
fn apply_file(n: usize) -> String {
    let mut text = String::from("backends:\n");
    for i in 0..n {
        let mut backend = stored(&format!("web-{i}"));
        backend["port"] = json!(9000 + i);
        text.push_str(&format!(
            "  - lb_id: lb-{}\n    backend_name: web-{i}\n    backend: {backend}\n",
            i % 5
        ));
    }
    text
}

/// The stored state before: every backend of the file, as the page's.
fn state_for(n: usize, except: &[usize]) -> Value {
    let mut state = json!({});
    for i in (0..n).filter(|i| !except.contains(i)) {
        let lb = format!("lb-{}", i % 5);
        if state.get(&lb).is_none() {
            state[&lb] = json!({});
        }
        state[&lb][format!("web-{i}")] = stored(&format!("web-{i}"));
    }
    state
}

/// Fifty entries over five load balancers, with the server answering 503
/// and 429 at random: retries carry every entry through; the summary says
/// so; the state holds every new port.
#[tokio::test(flavor = "multi_thread")]
async fn apply_fifty_through_503s_and_429s() {
    let sandbox = sandbox(state_for(50, &[])).await;
    sandbox
        .set_faults("503=0.15,429=0.1,retry-after=1")
        .unwrap();
    let dir = tempdir();
    let file = write(dir.path(), "apply.yaml", &apply_file(50));
    let mut cmd = openscaler(dir.path());
    cmd.args(["apply", "--concurrency", "8", "--attempts", "10", "-f"])
        .arg(&file)
        .args(["--base-url", sandbox.base_url()])
        .env("OPENSCALER_TOKEN", SECRET);
    let (code, out, err) = run(cmd).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "50 of 50 applied, 0 failed, 0 skipped");
    // Not a terminal: one line per entry on stderr.
    let progress: Vec<_> = err.lines().filter(|l| l.contains("] ok ")).collect();
    assert_eq!(progress.len(), 50, "{err}");
    // Numbered as they complete: [1/50] to [50/50], each once.
    let mut numbers: Vec<usize> = progress
        .iter()
        .map(|l| {
            l.trim_start_matches('[')
                .split('/')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=50).collect::<Vec<_>>());
    assert!(progress.iter().all(|l| l.contains("/50] ok lb-")), "{err}");

    let journal = sandbox.requests();
    let faults = journal.iter().filter(|e| e.fault.is_some()).count();
    let statuses: Vec<_> = journal.iter().filter_map(|e| e.status).collect();
    assert!(
        statuses.contains(&503) && statuses.contains(&429),
        "{statuses:?}"
    );
    assert!(faults > 0);
    assert_eq!(
        journal.len(),
        50 + faults,
        "one success per entry, plus the retried faults"
    );
    let state = sandbox.state();
    for i in 0..50 {
        let stored = &state[&format!("lb-{}", i % 5)][&format!("web-{i}")];
        assert_eq!(stored["port"], 9000 + i, "web-{i}");
    }
}

/// Five entries the server does not know: exit 1, each failed entry named
/// on stderr, `-o json` giving each entry's result with status and request
/// id, one JSON object per line as each completes; the other 45 applied.
#[tokio::test(flavor = "multi_thread")]
async fn a_partial_failure_exits_1_and_names_the_failed_entries() {
    let missing = [3, 17, 22, 38, 49];
    let sandbox = sandbox(state_for(50, &missing)).await;
    let dir = tempdir();
    let file = write(dir.path(), "apply.yaml", &apply_file(50));
    let mut cmd = openscaler(dir.path());
    cmd.args(["apply", "-o", "json", "-f"]).arg(&file).args([
        "--base-url",
        sandbox.base_url(),
        "--token",
        SECRET,
    ]);
    let (code, out, err) = run(cmd).await;
    assert_eq!(code, 1, "{err}");
    // In the order the updates completed.
    let mut failed: Vec<_> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    failed.sort_by_key(|line| {
        let index = line.split(['[', ']']).nth(1).unwrap_or_default();
        index.parse::<usize>().unwrap_or(usize::MAX)
    });
    assert_eq!(failed.len(), missing.len(), "{err}");
    for (line, i) in failed.iter().zip(missing) {
        let prefix = format!(
            "error: backends[{i}] lb-{}/web-{i}: OpenScaler answered 404",
            i % 5
        );
        assert!(line.starts_with(&prefix), "{line}");
    }
    assert!(
        err.contains("45 of 50 applied, 5 failed, 0 skipped"),
        "{err}"
    );

    let mut results: Vec<Value> = out
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    results.sort_by_key(|r| r["index"].as_u64());
    assert_eq!(results.len(), 50);
    for (i, result) in results.iter().enumerate() {
        assert_eq!(result["index"], i);
        if missing.contains(&i) {
            assert_eq!(result["result"], "failed");
            assert_eq!(result["error"]["status"], 404);
            assert!(result["error"]["request_id"].is_string(), "{result}");
            assert!(result["error"]["message"].is_string(), "{result}");
        } else {
            assert_eq!(result["result"], "ok");
            assert_eq!(result["backend"]["port"], 9000 + i);
        }
    }
}

/// `--fail-fast` starts nothing after the first failure.
#[tokio::test(flavor = "multi_thread")]
async fn fail_fast_stops_starting_updates() {
    let sandbox = sandbox(state_for(10, &[2])).await;
    let dir = tempdir();
    let file = write(dir.path(), "apply.yaml", &apply_file(10));
    let mut cmd = openscaler(dir.path());
    cmd.args(["apply", "--fail-fast", "--concurrency", "1", "-f"])
        .arg(&file)
        .args(["--base-url", sandbox.base_url(), "--token", SECRET]);
    let (code, out, err) = run(cmd).await;
    assert_eq!(code, 1, "{err}");
    assert_eq!(out.trim(), "2 of 10 applied, 1 failed, 7 skipped");
    assert_eq!(sandbox.requests().len(), 3);
}

/// A file with mistakes sends nothing at all, even for its good entries
/// (entry 7 sits on lines 23-25 of the file; its body on 25).
#[tokio::test(flavor = "multi_thread")]
async fn apply_checks_every_entry_before_sending_any() {
    let sandbox = sandbox(state_for(10, &[])).await;
    let dir = tempdir();
    let text = apply_file(10).replace("\"port\":9007", "\"port\":0");
    let file = write(dir.path(), "apply.yaml", &text);
    let mut cmd = openscaler(dir.path());
    cmd.args(["apply", "-f"]).arg(&file).args([
        "--base-url",
        sandbox.base_url(),
        "--token",
        SECRET,
    ]);
    let (code, _, err) = run(cmd).await;
    assert_eq!(code, 2, "{err}");
    let expected = format!(
        "error: {}:25: backends[7].backend.port: 0 must be a port from 1 to 65535\nerror: 1 problem; nothing was sent\n",
        file.display()
    );
    assert_eq!(err, expected);
    assert!(sandbox.requests().is_empty());
}

/// Credentials the server refuses: exit 4, each entry's error on stderr.
#[tokio::test(flavor = "multi_thread")]
async fn apply_with_refused_credentials_exits_4() {
    let sandbox = sandbox(state_for(3, &[])).await;
    let dir = tempdir();
    let file = write(dir.path(), "apply.yaml", &apply_file(3));
    let mut cmd = openscaler(dir.path());
    cmd.args(["apply", "-f"]).arg(&file).args([
        "--base-url",
        sandbox.base_url(),
        "--token",
        "not-the-token",
    ]);
    let (code, out, err) = run(cmd).await;
    assert_eq!(code, 4, "{err}");
    assert_eq!(out.trim(), "0 of 3 applied, 3 failed, 0 skipped");
    let refused = err
        .lines()
        .filter(|l| l.starts_with("error: backends[") && l.contains(": OpenScaler answered 401"))
        .count();
    assert_eq!(refused, 3, "{err}");
}

/// On a terminal, progress is a bar, not a line per entry (run under
/// `script`, which gives the command a terminal; skipped where there is
/// none).
#[tokio::test(flavor = "multi_thread")]
async fn a_terminal_gets_a_bar_rather_than_lines() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("no `script` here: not run");
        return;
    }
    let sandbox = sandbox(state_for(5, &[])).await;
    let dir = tempdir();
    let file = write(dir.path(), "apply.yaml", &apply_file(5));
    let command = format!(
        "{} apply -f {} --base-url {} --token {SECRET}",
        assert_cmd::cargo::cargo_bin("openscaler").display(),
        file.display(),
        sandbox.base_url()
    );
    // The clean environment the other tests run the binary in.
    let clean = openscaler(dir.path());
    // `script` runs the command with its stdout and stderr on a terminal
    // and copies what the terminal shows to its own stdout.
    let mut script = assert_cmd::Command::new("script");
    script.args(["-qec", &command, "/dev/null"]);
    for (name, value) in clean.get_envs() {
        match value {
            Some(value) => script.env(name, value),
            None => script.env_remove(name),
        };
    }
    let (code, shown, _) = run(script).await;
    assert_eq!(code, 0, "{shown}");
    assert!(
        shown.contains("5 of 5 applied, 0 failed, 0 skipped"),
        "{shown}"
    );
    assert!(
        !shown.contains("] ok "),
        "a line per entry on a terminal: {shown}"
    );
    assert_eq!(sandbox.requests().len(), 5);
}
