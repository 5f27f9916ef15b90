//! The generated commands (one per operation of `openapi.yaml`) and
//! `openscaler api`, against the sandbox: its request journal is the
//! witness of what reached the wire. The operations of other specs are
//! `tests/evolution/cli.rs`'s.

mod support;

use openscaler::operations::OPERATIONS;
use openscaler_sandbox::JournalEntry;
use serde_json::{json, Value};
use support::*;

/// Runs and returns (exit code, stdout, stderr), checking that the token
/// shows in neither.
fn run(mut cmd: assert_cmd::Command) -> (i32, String, String) {
    let output = cmd.output().unwrap();
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    let err = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!out.contains(SECRET), "token on stdout:\n{out}");
    assert!(!err.contains(SECRET), "token on stderr:\n{err}");
    (output.status.code().unwrap_or(-1), out, err)
}

/// The binary pointed at `server` with the token in the environment.
fn against(server: &Server, dir: &std::path::Path) -> assert_cmd::Command {
    let mut cmd = openscaler(dir);
    cmd.args(["--base-url", &server.url()])
        .env("OPENSCALER_TOKEN", SECRET);
    cmd
}

/// What the wire shows of a request: method, target, body, and the
/// headers a call chooses (those of the transport aside).
fn wire(entry: &JournalEntry) -> Value {
    let headers: serde_json::Map<String, Value> = entry
        .headers
        .iter()
        .filter(|(name, _)| !["host", "content-length", "accept-encoding"].contains(&name.as_str()))
        .map(|(name, value)| (name.clone(), json!(value)))
        .collect();
    json!({
        "method": entry.method,
        "path": entry.path,
        "body": entry.body,
        "headers": headers,
    })
}

/// Every operation of today's spec, as a command line and what must reach
/// the wire. A spec with an operation not here fails
/// `every_operation_of_the_spec_is_covered`.
fn cases(dir: &std::path::Path) -> Vec<(&'static str, Vec<String>, Value)> {
    let file = write(dir, "backend.yaml", &yaml_of(&stored("my-backend")));
    vec![(
        "update_backend",
        vec![
            "backends".into(),
            "update".into(),
            "42".into(),
            "my-backend".into(),
            "-f".into(),
            file.display().to_string(),
        ],
        json!({"method": "PUT", "path": "/v1/lbs/42/backends/my-backend", "body": stored("my-backend")}),
    )]
}

/// A backend as YAML, written by hand (block style, one field a line).
fn yaml_of(value: &Value) -> String {
    fn write(value: &Value, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match value {
            Value::Object(fields) => {
                for (key, value) in fields {
                    match value {
                        Value::Object(_) => {
                            out.push_str(&format!("{pad}{key}:\n"));
                            write(value, indent + 2, out);
                        }
                        other => out.push_str(&format!("{pad}{key}: {other}\n")),
                    }
                }
            }
            other => out.push_str(&format!("{pad}{other}\n")),
        }
    }
    let mut out = String::new();
    write(value, 0, &mut out);
    out
}

#[test]
fn every_operation_of_the_spec_is_covered() {
    let dir = tempdir();
    let covered: Vec<&str> = cases(dir.path()).iter().map(|c| c.0).collect();
    let spec: Vec<&str> = OPERATIONS.iter().map(|o| o.id).collect();
    assert_eq!(covered, spec);
}

/// Each operation's command sends what the spec says: method, path,
/// body, the token, JSON; the answer is on stdout.
#[test]
fn each_generated_command_sends_its_request() {
    let server = Server::start(json!({"42": {"my-backend": stored("my-backend")}}));
    let dir = tempdir();
    for (id, args, expected) in cases(dir.path()) {
        server.sandbox.clear_requests();
        let mut cmd = against(&server, dir.path());
        cmd.args(&args).args(["-o", "json"]);
        let (code, out, err) = run(cmd);
        assert_eq!(code, 0, "{id}: {err}");
        let journal = server.journal();
        assert_eq!(journal.len(), 1, "{id}");
        let entry = &journal[0];
        assert_eq!(entry.operation.as_deref(), Some(id));
        assert_eq!(entry.method, expected["method"]);
        assert_eq!(entry.path, expected["path"]);
        assert_eq!(entry.body.as_ref(), expected.get("body"), "{id}");
        assert_eq!(entry.headers["authorization"], "Bearer <redacted>");
        assert_eq!(entry.headers["content-type"], "application/json");
        assert!(entry.validation.as_ref().unwrap().valid, "{id}");
        assert_eq!(entry.status, Some(200));
        let answer: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(answer, expected["body"], "{id}");
    }
}

/// The generated `backends update` and the hand-written `backend update`
/// put the same request on the wire for the same file.
#[test]
fn the_generated_update_sends_what_backend_update_sends() {
    let server = Server::start(json!({"42": {"web": stored("web")}}));
    let dir = tempdir();
    let file = write(dir.path(), "web.json", &stored("web").to_string());
    let mut sent = Vec::new();
    for group in ["backends", "backend"] {
        server.sandbox.clear_requests();
        let mut cmd = against(&server, dir.path());
        cmd.args([group, "update", "42", "web", "-f"]).arg(&file);
        let (code, _, err) = run(cmd);
        assert_eq!(code, 0, "{group}: {err}");
        let journal = server.journal();
        assert_eq!(journal.len(), 1);
        sent.push(wire(&journal[0]));
    }
    assert_eq!(sent[0], sent[1]);
    assert_eq!(sent[0]["body"], stored("web"));
}

/// `api` on the path `backends update` uses: the same request on the wire,
/// the same answer on stdout.
#[test]
fn api_sends_what_the_generated_command_sends() {
    let server = Server::start(json!({"42": {"web": stored("web")}}));
    let dir = tempdir();
    let file = write(dir.path(), "web.yaml", &yaml_of(&stored("web")));
    let mut sent = Vec::new();
    let mut answers = Vec::new();
    for args in [
        vec!["backends", "update", "42", "web"],
        vec!["api", "PUT", "/v1/lbs/42/backends/web"],
    ] {
        server.sandbox.clear_requests();
        let mut cmd = against(&server, dir.path());
        cmd.args(&args).args(["-o", "json", "-f"]).arg(&file);
        let (code, out, err) = run(cmd);
        assert_eq!(code, 0, "{args:?}: {err}");
        let journal = server.journal();
        assert_eq!(journal.len(), 1);
        sent.push(wire(&journal[0]));
        answers.push(serde_json::from_str::<Value>(&out).unwrap());
    }
    assert_eq!(sent[0], sent[1]);
    assert_eq!(sent[1]["headers"]["authorization"], "Bearer <redacted>");
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[1], stored("web"));
}

/// `api`: headers reach the wire; the answer's body is on stdout whatever
/// the status; 404 and 405 exit 1, a refused token 4; a GET the spec does
/// not have is still sent.
#[test]
fn api_status_sets_the_exit_code_and_the_body_is_printed() {
    let server = Server::start(json!({"42": {"web": stored("web")}}));
    let dir = tempdir();

    let mut cmd = against(&server, dir.path());
    cmd.args([
        "api",
        "get",
        "/v1/lbs/42/backends/web?x=1",
        "-H",
        "X-Trace: t-1",
        "-H",
        "Accept:application/json",
    ]);
    let (code, out, err) = run(cmd);
    assert_eq!(code, 1, "{err}");
    let entry = server.journal().pop().unwrap();
    assert_eq!(
        (entry.method.as_str(), entry.path.as_str()),
        ("GET", "/v1/lbs/42/backends/web?x=1")
    );
    assert_eq!(entry.headers["x-trace"], "t-1");
    assert_eq!(entry.headers["accept"], "application/json");
    assert_eq!(entry.headers["authorization"], "Bearer <redacted>");
    let status = entry.status.unwrap();
    assert_eq!(status, 405, "today's spec has no GET here");
    let body: Value = serde_json::from_str(&out).unwrap();
    assert!(body["message"].is_string(), "{out}");
    assert!(
        err.starts_with(&format!("error: OpenScaler answered {status} ")),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    let mut cmd = against(&server, dir.path());
    cmd.args(["api", "PUT", "/v1/lbs/7/backends/absent", "-f", "-"])
        .write_stdin(stored("absent").to_string());
    let (code, out, err) = run(cmd);
    assert_eq!(code, 1, "{err}");
    assert_eq!(server.journal().pop().unwrap().status, Some(404));
    assert!(out.contains("message"), "{out}");

    let mut cmd = openscaler(dir.path());
    cmd.args(["--base-url", &server.url(), "--token", "not-the-token"])
        .args(["api", "PUT", "/v1/lbs/42/backends/web", "-f", "-"])
        .write_stdin(stored("web").to_string());
    let (code, _, err) = run(cmd);
    assert_eq!(code, 4, "{err}");
    assert!(
        err.starts_with("error: OpenScaler answered 401 Unauthorized"),
        "{err}"
    );
    assert_eq!(server.journal().pop().unwrap().status, Some(401));

    // The dry run shows the request, redacted, and sends nothing.
    server.sandbox.clear_requests();
    let mut cmd = against(&server, dir.path());
    cmd.args([
        "api",
        "DELETE",
        "/v1/lbs/42/backends/web",
        "--dry-run",
        "-o",
        "json",
    ]);
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{err}");
    let preview: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(preview["method"], "DELETE");
    assert_eq!(
        preview["url"],
        format!("{}/v1/lbs/42/backends/web", server.url())
    );
    assert_eq!(preview["headers"]["authorization"], "Bearer <redacted>");
    assert!(server.journal().is_empty());
}

/// Bad input to `api` and to a generated command: exit 2, each problem
/// named with its value (a refused header's value never repeated), nothing
/// sent.
#[test]
fn bad_input_is_named_and_nothing_is_sent() {
    let server = Server::start(json!({"42": {"web": stored("web")}}));
    let dir = tempdir();
    let mut bad = stored("web");
    bad["port"] = json!(0);
    bad["mode"] = json!("htp");
    let file = write(
        dir.path(),
        "bad.json",
        &serde_json::to_string_pretty(&bad).unwrap(),
    );

    let cases: Vec<(Vec<String>, Vec<&str>)> = vec![
        (
            vec![
                "api".into(),
                "G T".into(),
                "v1/lbs".into(),
                "-H".into(),
                format!("Authorization: Bearer {SECRET}"),
                "-H".into(),
                "nocolon".into(),
            ],
            vec![
                "error: METHOD: \"G T\" is not an HTTP method",
                "error: PATH: \"v1/lbs\" must start with a single /",
                "error: -H: authorization is made from the configured token",
                "error: -H: \"nocolon\" is not a header",
                "error: 4 problems; nothing was sent",
            ],
        ),
        (
            vec![
                "api".into(),
                "PUT".into(),
                "/v1/lbs/42/backends/web".into(),
                "-f".into(),
                dir.path().join("missing.yaml").display().to_string(),
            ],
            vec![
                "error: cannot read ",
                "missing.yaml",
                "error: 1 problem; nothing was sent",
            ],
        ),
        (
            vec![
                "backends".into(),
                "update".into(),
                "42".into(),
                "web".into(),
                "-f".into(),
                file.display().to_string(),
            ],
            vec!["bad.json", "port", "error: 1 problem; nothing was sent"],
        ),
        (
            vec![
                "backends".into(),
                "update".into(),
                "42".into(),
                "web".into(),
            ],
            vec!["--file <FILE|->"],
        ),
        (
            vec!["backends".into(), "update".into(), "42".into()],
            vec!["<BACKEND_NAME>"],
        ),
        (
            vec!["backends".into(), "frobnicate".into()],
            vec!["unrecognized subcommand 'frobnicate'"],
        ),
    ];
    for (args, expected) in cases {
        let mut cmd = against(&server, dir.path());
        cmd.args(&args);
        let (code, out, err) = run(cmd);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        for text in expected {
            assert!(
                err.contains(text),
                "{args:?}: stderr lacks {text:?}:\n{err}"
            );
        }
        assert!(server.journal().is_empty(), "{args:?} sent a request");
    }
}

/// `--dry-run` of a generated command: the request that a real run then
/// sends (method, URL, body, headers but the token), and nothing sent by
/// the dry run; without a token, the dry run still works.
#[test]
fn a_generated_dry_run_is_what_is_sent() {
    let server = Server::start(json!({"42": {"web": stored("web")}}));
    let dir = tempdir();
    let file = write(dir.path(), "web.json", &stored("web").to_string());
    let mut cmd = openscaler(dir.path());
    cmd.args([
        "--base-url",
        &server.url(),
        "backends",
        "update",
        "42",
        "web",
        "--dry-run",
        "-o",
        "json",
        "-f",
    ])
    .arg(&file);
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{err}");
    assert!(server.journal().is_empty());
    let preview: Value = serde_json::from_str(&out).unwrap();

    let mut cmd = against(&server, dir.path());
    cmd.args(["backends", "update", "42", "web", "-f"])
        .arg(&file);
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{err}");
    // Text output: the answer as YAML.
    assert_eq!(
        serde_saphyr::from_str::<Value>(&out).unwrap(),
        stored("web"),
        "{out}"
    );
    let sent = server.journal().pop().unwrap();
    assert_eq!(preview["method"], sent.method.as_str());
    assert_eq!(preview["url"], format!("{}{}", server.url(), sent.path));
    assert_eq!(&preview["body"], sent.body.as_ref().unwrap());
    for (name, value) in preview["headers"].as_object().unwrap() {
        if name != "authorization" {
            assert_eq!(
                Some(value.as_str().unwrap()),
                sent.headers.get(name).map(String::as_str),
                "{name}"
            );
        }
    }
}

/// `--help` lists every operation; each command's help has the spec's
/// summary and description, its method and path, and the exit codes.
#[test]
fn help_lists_every_operation_with_its_summary_and_description() {
    let dir = tempdir();
    let mut cmd = openscaler(dir.path());
    cmd.arg("--help");
    let (code, out, _) = run(cmd);
    assert_eq!(code, 0);
    assert!(out.contains("Operations of the spec"), "{out}");
    assert!(
        out.contains("backends update LB_ID BACKEND_NAME  Update a Backend"),
        "{out}"
    );
    assert!(out.contains("  api "), "{out}");
    for operation in OPERATIONS {
        assert!(
            out.contains(operation.summary),
            "--help lacks {}",
            operation.id
        );
    }
    let mut cmd = openscaler(dir.path());
    cmd.args(["backends", "update", "--help"]);
    let (code, out, _) = run(cmd);
    assert_eq!(code, 0);
    let update = openscaler::operations::operation("update_backend").unwrap();
    for text in [
        update.summary,
        update.description,
        "Sends PUT /v1/lbs/{lb_id}/backends/{backend_name} (operation update_backend)",
        "<LB_ID>",
        "A unique identifier for a load balancer instance.",
        "--file <FILE|->",
        "--dry-run",
        "Exit codes:",
    ] {
        assert!(
            out.contains(text),
            "backends update --help lacks {text:?}:\n{out}"
        );
    }
    assert!(!out.contains("--all"), "no cursor, no --all");
}
