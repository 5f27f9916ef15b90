//! The command line built against `tests/evolution/all.yaml` (NOT THE
//! VENDOR'S SPEC): a generated command for each of its operations, run
//! against the sandbox serving the same spec, the sandbox's journal the
//! witness of what each sent.
//!
//! This file compiles only in a copy of the repository whose `openapi.yaml`
//! is `all.yaml`: `.ci/evolution` makes that copy, puts this file in its
//! `cli/tests/`, and runs it. No command is written here by hand but the
//! command lines a user would type; what is checked is what the spec says
//! of each operation (method, path, query, headers, body, status).

mod support;

use std::collections::BTreeSet;

use openscaler::operations::OPERATIONS;
use openscaler_sandbox::{JournalEntry, Sandbox};
use serde_json::{json, Value};
use support::*;

/// The spec this copy was built from, which the sandbox serves too.
const SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml");

/// A backend as the all-together spec has it: a new field, a new enum
/// value, a new `servers` variant.
fn backend(name: &str) -> Value {
    json!({
        "name": name,
        "mode": "udp",
        "balancing_method": "source",
        "port": 8080,
        "servers": {"type": "dns", "hostnames": ["a.example.com"]},
        "description": "the new field",
        "options": {"connect_timeout_ms": 250}
    })
}

fn run(mut cmd: assert_cmd::Command) -> (i32, String, String) {
    let output = cmd.output().unwrap();
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    let err = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!out.contains(SECRET), "token on stdout:\n{out}");
    assert!(!err.contains(SECRET), "token on stderr:\n{err}");
    (output.status.code().unwrap_or(-1), out, err)
}

/// A sandbox serving `openapi.yaml` (`--spec`), holding `names` on lb 42.
fn server(names: &[&str]) -> Server {
    let mut builder = Sandbox::builder().token(SECRET).spec_file(SPEC).empty();
    for name in names {
        builder = builder.backend("42", backend(name));
    }
    Server::with(builder)
}

/// The query of a request target as a set of pairs (their order is the
/// SDK's to choose).
fn query(target: &str) -> BTreeSet<(String, String)> {
    target
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// One operation: the command line, and what the journal must show.
struct Case {
    id: &'static str,
    args: Vec<String>,
    method: &'static str,
    path: &'static str,
    query: &'static [(&'static str, &'static str)],
    headers: &'static [(&'static str, &'static str)],
    body: Option<Value>,
    status: u16,
    /// stdout with `-o json`: the answer, or nothing for no content.
    answer: Option<Value>,
}

fn cases(dir: &std::path::Path) -> Vec<Case> {
    let updated = {
        let mut b = backend("my-backend");
        b["port"] = json!(9090);
        b
    };
    let put = write(dir, "put.json", &updated.to_string());
    let new = write(dir, "new.json", &backend("new-one").to_string());
    let args = |words: &[&str]| words.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>();
    vec![
        Case {
            id: "get_backend",
            args: args(&["backends", "get", "42", "my-backend"]),
            method: "GET",
            path: "/v1/lbs/42/backends/my-backend",
            query: &[],
            headers: &[],
            body: None,
            status: 200,
            answer: Some(backend("my-backend")),
        },
        Case {
            id: "delete_backend",
            args: args(&["backends", "delete", "42", "other"]),
            method: "DELETE",
            path: "/v1/lbs/42/backends/other",
            query: &[],
            headers: &[],
            body: None,
            status: 204,
            answer: None,
        },
        Case {
            id: "update_backend",
            args: args(&[
                "backends",
                "update",
                "42",
                "my-backend",
                "-f",
                put.to_str().unwrap(),
            ]),
            method: "PUT",
            path: "/v1/lbs/42/backends/my-backend",
            query: &[],
            headers: &[("content-type", "application/json")],
            body: Some(updated.clone()),
            status: 200,
            answer: Some(updated.clone()),
        },
        Case {
            id: "list_backends",
            args: args(&["backends", "list", "42", "--limit", "1", "--cursor", "a"]),
            method: "GET",
            path: "/v1/lbs/42/backends",
            query: &[("limit", "1"), ("cursor", "a")],
            headers: &[],
            body: None,
            status: 200,
            // After the update before it, and the delete of `other`: the
            // last page, so no next cursor.
            answer: Some(json!({"backends": [updated.clone()]})),
        },
        Case {
            id: "create_backend",
            args: args(&[
                "backends",
                "create",
                "42",
                "--idempotency-key",
                "key-1",
                "-f",
                new.to_str().unwrap(),
            ]),
            method: "POST",
            path: "/v1/lbs/42/backends",
            query: &[],
            headers: &[
                ("idempotency-key", "key-1"),
                ("content-type", "application/json"),
            ],
            body: Some(backend("new-one")),
            status: 201,
            answer: Some(backend("new-one")),
        },
        Case {
            id: "drain_backend",
            args: args(&["backends", "drain", "42", "my-backend"]),
            method: "POST",
            path: "/v1/lbs/42/backends/my-backend/drain",
            query: &[],
            headers: &[],
            body: None,
            status: 202,
            answer: None,
        },
        Case {
            id: "restart_backend",
            args: args(&["backends", "restart", "42", "my-backend"]),
            method: "POST",
            path: "/v1/lbs/42/backends/my-backend/restart",
            query: &[],
            headers: &[],
            body: None,
            status: 202,
            answer: None,
        },
        Case {
            id: "list_load_balancers",
            args: args(&["load-balancers", "list"]),
            method: "GET",
            path: "/v1/lbs",
            query: &[],
            headers: &[],
            body: None,
            status: 200,
            answer: None,
        },
        Case {
            id: "get_load_balancer",
            args: args(&["load-balancers", "get", "42"]),
            method: "GET",
            path: "/v1/lbs/42",
            query: &[],
            headers: &[],
            body: None,
            status: 200,
            answer: None,
        },
    ]
}

/// The copy's SDK, the sandbox and this file agree on the operations.
#[test]
fn every_operation_of_the_spec_has_a_case_and_the_sandbox_serves_it() {
    let dir = tempdir();
    let covered: BTreeSet<&str> = cases(dir.path()).iter().map(|c| c.id).collect();
    let built: BTreeSet<&str> = OPERATIONS.iter().map(|o| o.id).collect();
    assert_eq!(covered, built);
    let served = server(&[]);
    let served: BTreeSet<String> = served
        .sandbox
        .spec()
        .operations()
        .into_iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(served, built.iter().map(|s| s.to_string()).collect());
}

/// Each operation's command, run once: the journal holds exactly the
/// request the spec describes, routed to that operation and valid, and
/// stdout the answer.
#[test]
fn each_new_operation_sends_what_the_spec_says() {
    let server = server(&["my-backend", "other"]);
    let dir = tempdir();
    for case in cases(dir.path()) {
        server.sandbox.clear_requests();
        let mut cmd = openscaler(dir.path());
        cmd.args(["--base-url", &server.url(), "-o", "json"])
            .args(&case.args)
            .env("OPENSCALER_TOKEN", SECRET);
        let (code, out, err) = run(cmd);
        let id = case.id;
        assert_eq!(code, 0, "{id}: {err}");
        let journal = server.journal();
        assert_eq!(journal.len(), 1, "{id}");
        let entry: &JournalEntry = &journal[0];
        assert_eq!(entry.operation.as_deref(), Some(id));
        assert_eq!(entry.method, case.method, "{id}");
        assert_eq!(entry.path.split('?').next(), Some(case.path), "{id}");
        let expected: BTreeSet<(String, String)> = case
            .query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(query(&entry.path), expected, "{id}");
        for (name, value) in case.headers {
            assert_eq!(
                entry.headers.get(*name).map(String::as_str),
                Some(*value),
                "{id}: {name}"
            );
        }
        if case.body.is_none() {
            assert!(!entry.headers.contains_key("content-type"), "{id}");
        }
        assert_eq!(entry.headers["authorization"], "Bearer <redacted>", "{id}");
        assert_eq!(entry.body, case.body, "{id}");
        assert_eq!(
            entry.status,
            Some(case.status),
            "{id}: {:?}",
            entry.validation
        );
        match &case.answer {
            Some(answer) => {
                assert_eq!(
                    &serde_json::from_str::<Value>(&out).unwrap(),
                    answer,
                    "{id}"
                )
            }
            // An answer the sandbox makes up (no stored load balancers) or
            // none: JSON all the same (`null` for no content).
            None => {
                let value: Value = serde_json::from_str(&out).unwrap();
                assert_eq!(
                    value.is_null(),
                    matches!(case.status, 202 | 204),
                    "{id}: {out}"
                );
            }
        }
    }
}

/// `--all` across three pages: three requests, each with the cursor the
/// page before gave, and every item once, in order, one JSON line each.
#[test]
fn all_follows_the_cursor_across_three_pages() {
    let names = ["a", "b", "c", "d", "e"];
    let server = server(&names);
    let dir = tempdir();
    let mut cmd = openscaler(dir.path());
    cmd.args(["--base-url", &server.url(), "-o", "json"])
        .args(["backends", "list", "42", "--limit", "2", "--all"])
        .env("OPENSCALER_TOKEN", SECRET);
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{err}");
    let items: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(items, names.map(backend));
    let journal = server.journal();
    let queries: Vec<BTreeSet<(String, String)>> = journal.iter().map(|e| query(&e.path)).collect();
    let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    assert_eq!(
        queries,
        [
            BTreeSet::from([pair("limit", "2")]),
            BTreeSet::from([pair("limit", "2"), pair("cursor", "b")]),
            BTreeSet::from([pair("limit", "2"), pair("cursor", "d")]),
        ]
    );
    assert!(journal.iter().all(|e| e.status == Some(200)));

    // As YAML: one list of the same items.
    let mut cmd = openscaler(dir.path());
    cmd.args(["--base-url", &server.url(), "-o", "yaml"])
        .args(["backends", "list", "42", "--limit", "2", "--all"])
        .env("OPENSCALER_TOKEN", SECRET);
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        serde_saphyr::from_str::<Vec<Value>>(&out).unwrap(),
        names.map(backend)
    );
}

/// `api` on a path `backends get` has: the same request on the wire.
#[test]
fn api_and_the_generated_get_send_the_same_request() {
    let server = server(&["my-backend"]);
    let dir = tempdir();
    let mut sent = Vec::new();
    for args in [
        &["backends", "get", "42", "my-backend"][..],
        &["api", "GET", "/v1/lbs/42/backends/my-backend"],
    ] {
        server.sandbox.clear_requests();
        let mut cmd = openscaler(dir.path());
        cmd.args(["--base-url", &server.url(), "-o", "json"])
            .args(args)
            .env("OPENSCALER_TOKEN", SECRET);
        let (code, out, err) = run(cmd);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert_eq!(
            serde_json::from_str::<Value>(&out).unwrap(),
            backend("my-backend")
        );
        let entry = server.journal().pop().unwrap();
        let mut headers = entry.headers.clone();
        headers.remove("host");
        sent.push((entry.method, entry.path, entry.body, headers));
    }
    assert_eq!(sent[0], sent[1]);
}

/// Values the spec refuses are refused before sending, named: a limit
/// above the maximum, an integer that is not one; the exit code is 2.
#[test]
fn values_are_read_as_the_spec_types_them() {
    let server = server(&["my-backend"]);
    let dir = tempdir();
    let mut cmd = openscaler(dir.path());
    cmd.args(["--base-url", &server.url()])
        .args(["backends", "list", "42", "--limit", "1000"])
        .env("OPENSCALER_TOKEN", SECRET);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--limit: \"1000\" is more than the maximum 100"),
        "{err}"
    );
    let mut cmd = openscaler(dir.path());
    cmd.args(["--base-url", &server.url()])
        .args(["backends", "list", "42", "--limit", "ten"])
        .env("OPENSCALER_TOKEN", SECRET);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--limit: \"ten\" is not an integer"), "{err}");
    assert!(server.journal().is_empty());

    // A missing backend: the API's 404, exit 1.
    let mut cmd = openscaler(dir.path());
    cmd.args(["--base-url", &server.url()])
        .args(["backends", "get", "42", "absent"])
        .env("OPENSCALER_TOKEN", SECRET);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 1, "{err}");
    assert!(err.starts_with("error: OpenScaler answered 404"), "{err}");
}
