//! The `openscaler` binary, run as a user would: help, template, files and
//! flags, validation, dry runs, profiles, exit codes, a closed pipe. Wire
//! effects are read off the sandbox's request journal.

mod support;

use std::{io::Read, process::Stdio};

use serde_json::{json, Value};
use support::*;

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs and returns (exit code, stdout, stderr), checking that the token
/// shows in neither.
fn run(mut cmd: assert_cmd::Command) -> (i32, String, String) {
    let output = cmd.output().unwrap();
    let (out, err) = (stdout(&output), stderr(&output));
    assert!(!out.contains(SECRET), "token on stdout:\n{out}");
    assert!(!err.contains(SECRET), "token on stderr:\n{err}");
    (output.status.code().unwrap_or(-1), out, err)
}

#[test]
fn help_lists_commands_exit_codes_and_enum_values() {
    let dir = tempdir();
    let mut cmd = openscaler(dir.path());
    cmd.arg("--help");
    let (code, out, _) = run(cmd);
    assert_eq!(code, 0);
    for text in [
        "backend",
        "apply",
        "completion",
        "Exit codes:",
        "4  the API refused the credentials",
    ] {
        assert!(out.contains(text), "--help lacks {text:?}:\n{out}");
    }
    let mut cmd = openscaler(dir.path());
    cmd.args(["backend", "update", "--help"]);
    let (code, out, _) = run(cmd);
    assert_eq!(code, 0);
    for text in [
        "[possible values: roundrobin, leastconn, first]",
        "[possible values: http, tcp]",
        "[possible values: v1, v2]",
        "--sticky-ttl",
        "--no-forward-for",
        "Exit codes:",
    ] {
        assert!(out.contains(text), "update --help lacks {text:?}:\n{out}");
    }
}

#[test]
fn completion_scripts_offer_commands_flags_and_enum_values() {
    let dir = tempdir();
    for shell in ["bash", "zsh", "fish"] {
        let mut cmd = openscaler(dir.path());
        cmd.args(["completion", shell]);
        let (code, out, err) = run(cmd);
        assert_eq!(code, 0, "{shell}: {err}");
        for text in ["apply", "balancing-method", "roundrobin", "leastconn", "v2"] {
            assert!(out.contains(text), "{shell} completion lacks {text:?}");
        }
    }
    let mut cmd = openscaler(dir.path());
    cmd.args(["completion", "powershell"]);
    assert_eq!(run(cmd).0, 2);
}

/// The template reads back as the page's body, in both formats.
#[test]
fn the_template_is_the_page_example() {
    let dir = tempdir();
    let mut cmd = openscaler(dir.path());
    cmd.args(["backend", "template"]);
    let (code, yaml, _) = run(cmd);
    assert_eq!(code, 0);
    assert!(yaml.starts_with("# "), "a commented file:\n{yaml}");
    let parsed: Value = serde_saphyr::from_str(&yaml).unwrap();
    assert_eq!(parsed, golden_body());

    let mut cmd = openscaler(dir.path());
    cmd.args(["backend", "template", "-o", "json"]);
    let (code, text, _) = run(cmd);
    assert_eq!(code, 0);
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), golden_body());
}

/// A dry run prints the request the SDK would send and sends nothing.
#[test]
fn a_dry_run_prints_the_request_and_sends_nothing() {
    let dir = tempdir();
    let server = Silent::start();
    let template = write(dir.path(), "b.yaml", &template_text(dir.path()));
    let mut cmd = openscaler(dir.path());
    cmd.args(["backend", "update", "42", "my-backend", "--dry-run", "-f"])
        .arg(&template)
        .args(["--base-url", &server.url(), "--token", SECRET]);
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{err}");
    assert!(!server.was_contacted(), "a dry run connected");
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap(),
        format!("PUT {}/v1/lbs/42/backends/my-backend", server.url())
    );
    assert!(
        out.contains("\nauthorization: Bearer <redacted>\n"),
        "{out}"
    );
    assert!(out.contains("\ncontent-type: application/json\n"), "{out}");
    let body = out.split("\n\n").nth(1).unwrap();
    assert_eq!(serde_json::from_str::<Value>(body).unwrap(), golden_body());

    // As data, and without any token configured.
    let mut cmd = openscaler(dir.path());
    cmd.args([
        "backend",
        "update",
        "42",
        "my-backend",
        "--dry-run",
        "-o",
        "json",
        "-f",
    ])
    .arg(&template)
    .args(["--base-url", &server.url()]);
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{err}");
    let request: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(request["method"], "PUT");
    assert_eq!(request["headers"]["authorization"], "Bearer <redacted>");
    assert_eq!(request["body"], golden_body());
    assert!(!server.was_contacted());
}

fn template_text(dir: &std::path::Path) -> String {
    let mut cmd = openscaler(dir);
    cmd.args(["backend", "template"]);
    run(cmd).1
}

/// Every problem of a file at once, each with its line and field; exit 2;
/// nothing sent, even with a token and a server at hand.
#[test]
fn a_bad_file_names_every_field_and_line_and_sends_nothing() {
    let dir = tempdir();
    let server = Silent::start();
    let file = write(
        dir.path(),
        "bad.yaml",
        "name: api-backend\nmode: quic\nbalancing: first\nport: 0\nservers:\n  type: computer\n  computer_ids: [\"23\", \"\"]\noptions:\n  health_check:\n    type: http\n    path: health\n",
    );
    let mut cmd = openscaler(dir.path());
    cmd.args(["backend", "update", "42", "web", "-f"])
        .arg(&file)
        .args(["--base-url", &server.url(), "--token", SECRET]);
    let (code, out, err) = run(cmd);
    assert_eq!(code, 2, "{err}");
    assert_eq!(out, "");
    let name = file.display().to_string();
    let expected = [
        format!("error: {name}:1: balancing_method is required"),
        format!("error: {name}:2: mode: \"quic\" must be one of http, tcp"),
        format!("error: {name}:3: balancing is not a known field; did you mean balancing_method?"),
        format!("error: {name}:4: port: 0 must be a port from 1 to 65535"),
        format!("error: {name}:7: servers.computer_ids[1]: \"\" must not be empty"),
        format!("error: {name}:11: options.health_check.path: \"health\" must start with \"/\""),
        "error: 6 problems; nothing was sent".to_owned(),
    ];
    assert_eq!(err.lines().collect::<Vec<_>>(), expected);
    assert!(!server.was_contacted());
}

#[test]
fn broken_yaml_and_json_name_the_line() {
    let dir = tempdir();
    let yaml = write(dir.path(), "b.yaml", "name: web\nport: [80\nmode: http\n");
    let json = write(dir.path(), "b.json", "{\n  \"name\": \"web\",\n}\n");
    for (file, line) in [(&yaml, None), (&json, Some(3))] {
        let mut cmd = openscaler(dir.path());
        cmd.args(["backend", "update", "42", "web", "--dry-run", "-f"])
            .arg(file);
        let (code, _, err) = run(cmd);
        assert_eq!(code, 2, "{err}");
        let prefix = format!("error: {}:", file.display());
        assert!(err.starts_with(&prefix), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        if let Some(line) = line {
            assert!(err.starts_with(&format!("{prefix}{line}:")), "{err}");
        }
    }
    let mut cmd = openscaler(dir.path());
    cmd.args([
        "backend",
        "update",
        "42",
        "web",
        "-f",
        "/nonexistent/b.yaml",
    ]);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: cannot read /nonexistent/b.yaml"),
        "{err}"
    );
}

/// Flags alone, with every problem named by its flag.
#[test]
fn bad_flags_are_named_all_at_once() {
    let dir = tempdir();
    let mut cmd = openscaler(dir.path());
    cmd.args([
        "backend",
        "update",
        "42",
        "..",
        "--mode",
        "udp",
        "--port",
        "70000",
        "--computer",
        "1",
        "1",
        "--sticky-ttl",
        "5 minutes",
        "--health-check-port",
        "x",
        "--dry-run",
    ]);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 2);
    let expected = [
        "error: BACKEND_NAME: \"..\" is a dot segment and would leave its path segment",
        "error: name is required: give --name, or a file with -f",
        "error: --mode: \"udp\" must be one of http, tcp",
        "error: balancing_method is required: give --balancing-method, or a file with -f",
        "error: --port: 70000 must be a port from 1 to 65535",
        "error: options.sticky_session.cookie is required: give --sticky-cookie, or a file with -f",
        "error: --health-check-port: \"x\" must be a port from 1 to 65535",
        "error: --computer: servers.computer_ids[1]: \"1\" repeats servers.computer_ids[0]",
        "error: --sticky-ttl: \"5 minutes\" must be a whole number above zero followed by ms, s, m, h or d, such as \"5m\"",
        "error: 9 problems; nothing was sent",
    ];
    assert_eq!(err.lines().collect::<Vec<_>>(), expected, "{err}");
}

/// Clap's own usage errors exit 2 too.
#[test]
fn usage_errors_exit_2() {
    let dir = tempdir();
    for args in [
        &["backend", "update", "42"][..],
        &[
            "backend",
            "update",
            "42",
            "web",
            "--computer",
            "1",
            "--ip",
            "10.0.0.1",
        ],
        &["apply"],
        &["apply", "-f", "x", "--concurrency", "0"],
        &["frobnicate"],
    ] {
        let mut cmd = openscaler(dir.path());
        cmd.args(args);
        let (code, out, err) = run(cmd);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert_eq!(out, "");
    }
}

/// Each flag's effect on the wire body, over a file: the file gives the
/// page's body, the flags change every field, and the server receives the
/// result.
#[test]
fn each_flag_reaches_the_wire_over_the_file() {
    let dir = tempdir();
    let server = Server::start(json!({"7": {"web": stored("web")}}));
    let template = write(dir.path(), "b.yaml", &template_text(dir.path()));
    let mut cmd = openscaler(dir.path());
    cmd.args(["backend", "update", "7", "web", "-o", "json", "-f"])
        .arg(&template)
        .args(["--base-url", &server.url(), "--token", SECRET])
        .args([
            "--name",
            "n2",
            "--mode",
            "tcp",
            "--balancing-method",
            "leastconn",
            "--port",
            "9090",
            "--ip",
            "10.0.0.1",
            "2001:db8::1",
            "--tls",
            "--tls-verify",
            "--no-forward-for",
            "--proxy-protocol",
            "v1",
            "--sticky-cookie",
            "SID",
            "--sticky-ttl",
            "90s",
            "--health-check-type",
            "http",
            "--health-check-path",
            "/ok",
            "--health-check-method",
            "HEAD",
            "--health-check-port",
            "81",
            "--expected-code",
            "204",
            "--host-header",
            "h.example",
        ]);
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{err}");
    let expected = json!({
        "name": "n2", "mode": "tcp", "balancing_method": "leastconn", "port": 9090,
        "servers": {"type": "ip", "ips": ["10.0.0.1", "2001:db8::1"]},
        "options": {
            "tls": true, "tls_verify": true, "forward_for": false, "proxy_protocol": "v1",
            "sticky_session": {"type": "cookie", "cookie": "SID", "ttl": "90s"},
            "health_check": {"type": "http", "path": "/ok", "method": "HEAD", "port": 81,
                              "expected_code": "204", "host_header": "h.example"}
        }
    });
    let journal = server.journal();
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0].method, "PUT");
    assert_eq!(journal[0].path, "/v1/lbs/7/backends/web");
    assert_eq!(journal[0].status, Some(200), "the token was accepted");
    assert_eq!(journal[0].body.as_ref().unwrap(), &expected);
    // -o json prints what the API returned.
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), expected);
}

/// One flag at a time over the page's file: that field changes, the rest
/// of the body stays the page's.
#[test]
fn one_flag_changes_one_field() {
    let dir = tempdir();
    let template = write(dir.path(), "b.yaml", &template_text(dir.path()));
    let cases: &[(&[&str], &str, Value)] = &[
        (&["--name", "x"], "/name", json!("x")),
        (&["--mode", "tcp"], "/mode", json!("tcp")),
        (
            &["--balancing-method", "first"],
            "/balancing_method",
            json!("first"),
        ),
        (&["--port", "1"], "/port", json!(1)),
        (
            &["--computer", "9"],
            "/servers",
            json!({"type": "computer", "computer_ids": ["9"]}),
        ),
        (
            &["--ip", "::1"],
            "/servers",
            json!({"type": "ip", "ips": ["::1"]}),
        ),
        (&["--tls"], "/options/tls", json!(true)),
        (&["--tls-verify"], "/options/tls_verify", json!(true)),
        (&["--no-forward-for"], "/options/forward_for", json!(false)),
        (
            &["--proxy-protocol", "v1"],
            "/options/proxy_protocol",
            json!("v1"),
        ),
        (
            &["--sticky-cookie", "C"],
            "/options/sticky_session/cookie",
            json!("C"),
        ),
        (
            &["--sticky-ttl", "2h"],
            "/options/sticky_session/ttl",
            json!("2h"),
        ),
        (
            &["--health-check-type", "tcp"],
            "/options/health_check/type",
            json!("tcp"),
        ),
        (
            &["--health-check-path", "/z"],
            "/options/health_check/path",
            json!("/z"),
        ),
        (
            &["--health-check-method", "POST"],
            "/options/health_check/method",
            json!("POST"),
        ),
        (
            &["--health-check-port", "99"],
            "/options/health_check/port",
            json!(99),
        ),
        (
            &["--expected-code", "301"],
            "/options/health_check/expected_code",
            json!("301"),
        ),
        (
            &["--host-header", "a.b"],
            "/options/health_check/host_header",
            json!("a.b"),
        ),
    ];
    for (flags, pointer, value) in cases {
        let mut cmd = openscaler(dir.path());
        cmd.args([
            "backend",
            "update",
            "42",
            "web",
            "--dry-run",
            "-o",
            "json",
            "-f",
        ])
        .arg(&template)
        .args(*flags);
        let (code, out, err) = run(cmd);
        assert_eq!(code, 0, "{flags:?}: {err}");
        let body = serde_json::from_str::<Value>(&out).unwrap()["body"].clone();
        let mut expected = golden_body();
        *expected.pointer_mut(pointer).unwrap() = value.clone();
        assert_eq!(body, expected, "{flags:?}");
    }
}

/// YAML, JSON and standard input give the same body.
#[test]
fn yaml_json_and_stdin_send_the_same_body() {
    let dir = tempdir();
    let server = Server::start(json!({"42": {"api-backend": stored("api-backend")}}));
    let yaml = template_text(dir.path());
    let json_file = write(dir.path(), "b.json", &golden_body().to_string());
    let yaml_file = write(dir.path(), "b.yaml", &yaml);
    let sources: Vec<(Vec<String>, Option<String>)> = vec![
        (vec!["-f".into(), yaml_file.display().to_string()], None),
        (vec!["-f".into(), json_file.display().to_string()], None),
        (vec!["-f".into(), "-".into()], Some(yaml.clone())),
        (
            vec!["-f".into(), "-".into()],
            Some(golden_body().to_string()),
        ),
    ];
    for (args, stdin) in &sources {
        let mut cmd = openscaler(dir.path());
        cmd.args(["backend", "update", "42", "api-backend"])
            .args(args)
            .args(["--base-url", &server.url()])
            .env("OPENSCALER_TOKEN", SECRET);
        if let Some(input) = stdin {
            cmd.write_stdin(input.as_bytes());
        }
        let (code, out, err) = run(cmd);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert_eq!(
            out.trim(),
            "updated backend api-backend on load balancer 42: api-backend (http, roundrobin, port 8080)"
        );
    }
    let journal = server.journal();
    assert_eq!(journal.len(), sources.len());
    for entry in &journal {
        assert_eq!(entry.body.as_ref().unwrap(), &golden_body());
        assert_eq!(entry.path, "/v1/lbs/42/backends/api-backend");
        assert_eq!(entry.status, Some(200));
    }
}

/// Exit codes 1 and 4 from the API's answers, each error one line in the
/// SDK's words, with the request id: a backend the server does not hold
/// (404), a server failing (500, not retried; 503, retried), a token it
/// refuses (401), a refusal of the credentials (403).
#[test]
fn api_refusals_exit_1_and_credentials_4() {
    let dir = tempdir();
    let template = write(dir.path(), "b.yaml", &template_text(dir.path()));
    let cases: &[(&str, &str, &str, i32, usize)] = &[
        ("unknown", "", SECRET, 1, 1),
        ("web", "500=1", SECRET, 1, 1),
        ("web", "503=1,retry-after=0", SECRET, 1, 3),
        ("web", "", "not-the-token", 4, 1),
        ("web", "403=1", SECRET, 4, 1),
    ];
    for (backend, faults, token, code, attempts) in cases {
        let server = Server::start(json!({"42": {"web": stored("web")}}));
        server.sandbox.set_faults(faults).unwrap();
        let mut cmd = openscaler(dir.path());
        cmd.args(["backend", "update", "42", backend, "--name", backend, "-f"])
            .arg(&template)
            .args(["--base-url", &server.url(), "--token", token]);
        let (got, out, err) = run(cmd);
        let journal = server.journal();
        let status = journal.last().unwrap().status.unwrap();
        assert_eq!(got, *code, "{status}: {err}");
        assert_eq!(out, "");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with(&format!("error: OpenScaler answered {status}")),
            "{err}"
        );
        assert!(err.contains("[x-request-id "), "{err}");
        let plural = if *attempts == 1 { "" } else { "s" };
        assert!(
            err.trim_end()
                .ends_with(&format!("after {attempts} attempt{plural}")),
            "{err}"
        );
        assert_eq!(journal.len(), *attempts, "{status}");
    }
    // Nothing listening: a transport failure is 1 too.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = openscaler(dir.path());
    cmd.args(["backend", "update", "42", "web", "--attempts", "1", "-f"])
        .arg(&template)
        .args([
            "--base-url",
            &format!("http://127.0.0.1:{port}"),
            "--token",
            SECRET,
        ]);
    let (got, _, err) = run(cmd);
    assert_eq!(got, 1, "{err}");
    assert!(
        err.starts_with("error: request to OpenScaler failed"),
        "{err}"
    );
}

/// No token: exit 3, naming where to set one; nothing sent.
#[test]
fn no_token_is_a_configuration_error() {
    let dir = tempdir();
    let server = Silent::start();
    let template = write(dir.path(), "b.yaml", &template_text(dir.path()));
    let mut cmd = openscaler(dir.path());
    cmd.args(["backend", "update", "42", "web", "-f"])
        .arg(&template)
        .args(["--base-url", &server.url()]);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 3);
    assert!(
        err.starts_with("error: no token: set OPENSCALER_TOKEN"),
        "{err}"
    );
    assert!(!server.was_contacted());

    // Plain http to a host that is not loopback: the SDK refuses, exit 3.
    let mut cmd = openscaler(dir.path());
    cmd.args(["backend", "update", "42", "web", "-f"])
        .arg(&template)
        .args(["--base-url", "http://example.invalid", "--token", SECRET]);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("plain http"), "{err}");
}

/// Flag, then environment, then profile, then default, for the token and
/// the base URL. Each sandbox accepts only its own tokens, so a 200 from
/// one shows which URL and which token were used.
#[test]
fn settings_precedence_flag_env_profile() {
    let dir = tempdir();
    let (flag, env, profile, other) = (
        format!("{SECRET}-flag"),
        format!("{SECRET}-env"),
        format!("{SECRET}-profile"),
        format!("{SECRET}-other"),
    );
    let state = json!({"42": {"web": stored("web")}});
    let server = |tokens: &[&String]| {
        let mut builder = openscaler_sandbox::Sandbox::builder().state(state.clone());
        for token in tokens {
            builder = builder.token(token.as_str());
        }
        Server::with(builder)
    };
    let flag_server = server(&[&flag]);
    let env_server = server(&[&env]);
    let profile_server = server(&[&profile]);
    let other_server = server(&[&other]);
    write_config(
        dir.path(),
        &format!(
            "[profiles.default]\nbase_url = \"{}\"\ntoken = \"{profile}\"\n\n[profiles.other]\nbase_url = \"{}\"\ntoken = \"{other}\"\n",
            profile_server.url(),
            other_server.url()
        ),
        0o600,
    );
    let template = write(dir.path(), "b.yaml", &template_text(dir.path()));
    let update = |extra: &[&str], vars: &[(&str, &str)]| {
        let mut cmd = openscaler(dir.path());
        cmd.args([
            "backend", "update", "42", "web", "--name", "web", "-q", "-f",
        ])
        .arg(&template)
        .args(extra);
        for (name, value) in vars {
            cmd.env(name, value);
        }
        let (code, out, err) = run(cmd);
        assert_eq!(code, 0, "{extra:?} {vars:?}: {err}");
        assert_eq!(out, "", "-q prints nothing on success");
    };
    let env_url = env_server.url();
    let env_vars = [
        ("OPENSCALER_TOKEN", env.as_str()),
        ("OPENSCALER_BASE_URL", env_url.as_str()),
    ];

    update(&[], &[]);
    update(&[], &env_vars);
    update(
        &["--token", &flag, "--base-url", &flag_server.url()],
        &env_vars,
    );
    update(&["--profile", "other"], &[]);
    update(&[], &[("OPENSCALER_PROFILE", "other")]);
    // The flag wins over the environment for one setting at a time too.
    update(
        &["--base-url", &profile_server.url()],
        &[("OPENSCALER_TOKEN", &profile)],
    );

    let counts = [&flag_server, &env_server, &profile_server, &other_server]
        .map(|s| s.journal().iter().filter(|e| e.status == Some(200)).count());
    assert_eq!(counts, [1, 1, 2, 2]);
}

/// A config file with a token that others can read is refused, saying
/// which chmod to run; a missing profile is named.
#[test]
fn unsafe_or_missing_profiles_exit_3() {
    let dir = tempdir();
    let template = write(dir.path(), "b.yaml", &template_text(dir.path()));
    let path = write_config(
        dir.path(),
        &format!("[profiles.default]\ntoken = \"{SECRET}\"\n"),
        0o644,
    );
    let update = |extra: &[&str]| {
        let mut cmd = openscaler(dir.path());
        cmd.args(["backend", "update", "42", "web", "--dry-run", "-f"])
            .arg(&template)
            .args(extra);
        run(cmd)
    };
    let (code, _, err) = update(&[]);
    assert_eq!(code, 3, "{err}");
    assert_eq!(
        err.trim(),
        format!(
            "error: {0} holds a token and others can read it (mode 644): run chmod 600 {0}",
            path.display()
        )
    );

    write_config(
        dir.path(),
        &format!("[profiles.default]\ntoken = \"{SECRET}\"\n"),
        0o600,
    );
    assert_eq!(update(&[]).0, 0);
    let (code, _, err) = update(&["--profile", "prod"]);
    assert_eq!(code, 3);
    assert!(
        err.contains("profile \"prod\" not found") && err.contains("profiles: default"),
        "{err}"
    );

    write_config(dir.path(), "[profiles.default]\ntokn = \"x\"\n", 0o600);
    let (code, _, err) = update(&[]);
    assert_eq!(code, 3);
    assert!(
        err.contains("config.toml:2:") && err.contains("tokn"),
        "{err}"
    );
}

/// `-v` shows the SDK's events on stderr, and never the token.
#[test]
fn verbose_shows_the_sdk_events() {
    let dir = tempdir();
    let server = Server::start(json!({"42": {"web": stored("web")}}));
    let template = write(dir.path(), "b.yaml", &template_text(dir.path()));
    let mut cmd = openscaler(dir.path());
    cmd.args([
        "backend", "update", "42", "web", "--name", "web", "-v", "-f",
    ])
    .arg(&template)
    .args(["--base-url", &server.url(), "--token", SECRET]);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("openscaler attempt"), "{err}");
    assert!(err.contains("status=200"), "{err}");

    let mut cmd = openscaler(dir.path());
    cmd.args(["backend", "update", "42", "web", "--name", "web", "-f"])
        .arg(&template)
        .args(["--base-url", &server.url(), "--token", SECRET]);
    let (code, _, err) = run(cmd);
    assert_eq!((code, err.as_str()), (0, ""), "quiet without -v");
}

/// `apply --dry-run` of 300 entries (well over stdout's buffer), as a
/// plain process for the test to wire up.
fn dry_run_of_many(dir: &std::path::Path) -> std::process::Command {
    let mut file = String::from("backends:\n");
    for i in 0..300 {
        file.push_str(&format!(
            "  - lb_id: \"{}\"\n    backend_name: web-{i}\n    backend: {}\n",
            i % 5,
            golden_body()
        ));
    }
    let path = write(dir, "many.yaml", &file);
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("openscaler"));
    cmd.args(["apply", "--dry-run", "-f"])
        .arg(&path)
        .env("XDG_CONFIG_HOME", dir)
        .env_remove("OPENSCALER_TOKEN");
    cmd
}

/// A reader that goes away (`| head`) ends output quietly: no panic, no
/// error, exit 0.
#[test]
fn a_closed_pipe_ends_quietly() {
    let dir = tempdir();
    let mut child = dry_run_of_many(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    stdout.read_exact(&mut first).unwrap();
    assert!(first.starts_with(b"PUT "));
    drop(stdout);
    let output = child.wait_with_output().unwrap();
    assert_eq!(stderr(&output), "");
    assert_eq!(output.status.code(), Some(0));
}

/// A stdout that refuses what is written for another reason than a closed
/// pipe (a full disk) is said, once, however much more is written; the
/// exit code is the work's.
#[cfg(target_os = "linux")]
#[test]
fn an_unwritable_stdout_is_said_once() {
    let dir = tempdir();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = dry_run_of_many(dir.path()).stdout(full).output().unwrap();
    assert_eq!(
        stderr(&output),
        "error: cannot write to stdout: No space left on device (os error 28)\n"
    );
    assert_eq!(output.status.code(), Some(0));
}

/// `apply --dry-run` as text: each request, one blank line between them.
#[test]
fn apply_dry_run_text_separates_the_requests() {
    let dir = tempdir();
    let file = apply_text(["a", "b", "c"].map(|name| ("42", name, stored(name))));
    let path = write(dir.path(), "three.yaml", &file);
    let mut cmd = openscaler(dir.path());
    cmd.args(["apply", "--dry-run", "-f"]).arg(&path);
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{err}");
    // Each request as `PUT URL`, headers, a blank line and the body;
    // one blank line before the next.
    let url =
        |name: &str| format!("PUT https://api.alpha.openscaler.net/v1/lbs/42/backends/{name}\n");
    assert!(out.starts_with(&url("a")), "{out}");
    for name in ["b", "c"] {
        assert_eq!(
            out.matches(&format!("}}\n\n{}", url(name))).count(),
            1,
            "{out}"
        );
    }
    assert_eq!(out.matches("PUT ").count(), 3, "{out}");
    assert!(!out.ends_with("\n\n"), "{out:?}");
}

/// YAML on stdout ends with one newline, not a blank line.
#[test]
fn yaml_output_ends_with_one_newline() {
    let dir = tempdir();
    let template = write(dir.path(), "b.yaml", &template_text(dir.path()));
    let mut cmd = openscaler(dir.path());
    cmd.args([
        "backend",
        "update",
        "42",
        "web",
        "--dry-run",
        "-o",
        "yaml",
        "-f",
    ])
    .arg(&template);
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\nmethod: PUT\n"), "{out}");
    assert!(out.ends_with('\n') && !out.ends_with("\n\n"), "{out:?}");
}

/// `apply -f -` reads standard input, and so does a path that is not a
/// regular file (`/dev/stdin` on a pipe): the same requests; a mistake is
/// told with `<stdin>` or the path, and its line.
#[test]
fn apply_reads_standard_input_and_pipes() {
    let dir = tempdir();
    let file = apply_text(["a", "b"].map(|name| ("42", name, stored(name))));
    let paths: &[&str] = if cfg!(target_os = "linux") {
        &["-", "/dev/stdin"]
    } else {
        &["-"]
    };
    for path in paths {
        let mut cmd = openscaler(dir.path());
        cmd.args(["apply", "--dry-run", "-o", "json", "-f", path])
            .write_stdin(file.as_bytes());
        let (code, out, err) = run(cmd);
        assert_eq!(code, 0, "{path}: {err}");
        let urls: Vec<String> = out
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["url"].to_string())
            .collect();
        assert_eq!(
            urls,
            [
                "\"https://api.alpha.openscaler.net/v1/lbs/42/backends/a\"",
                "\"https://api.alpha.openscaler.net/v1/lbs/42/backends/b\""
            ],
            "{path}"
        );

        let mut cmd = openscaler(dir.path());
        cmd.args(["apply", "--dry-run", "-f", path])
            .write_stdin(file.replace("\"port\":8080", "\"port\":0").as_bytes());
        let (code, _, err) = run(cmd);
        assert_eq!(code, 2, "{path}: {err}");
        let name = if *path == "-" { "<stdin>" } else { path };
        assert!(
            err.starts_with(&format!(
                "error: {name}:4: backends[0].backend.port: 0 must be a port from 1 to 65535\n"
            )),
            "{path}: {err}"
        );
    }
}

/// Profiles and settings at their edges: a named profile without a config
/// file, `default` without one, a file without `default`, a config path
/// that cannot be read, timeouts that are not durations.
#[test]
fn profile_and_timeout_edges() {
    let dir = tempdir();
    let template = write(dir.path(), "b.yaml", &template_text(dir.path()));
    let dry_run = |extra: &[&str], vars: &[(&str, &str)]| {
        let mut cmd = openscaler(dir.path());
        cmd.args(["backend", "update", "42", "web", "--dry-run", "-f"])
            .arg(&template)
            .args(extra);
        for (name, value) in vars {
            cmd.env(name, value);
        }
        run(cmd)
    };
    let path = dir.path().join("openscaler/config.toml");

    let (code, _, err) = dry_run(&["--profile", "prod"], &[]);
    assert_eq!(code, 3);
    assert_eq!(
        err.trim(),
        format!(
            "error: profile \"prod\" not found: {} does not exist",
            path.display()
        )
    );
    assert_eq!(dry_run(&["--profile", "default"], &[]).0, 0);

    write_config(
        dir.path(),
        "[profiles.other]\nbase_url = \"http://127.0.0.1:1\"\n",
        0o644,
    );
    assert_eq!(dry_run(&[], &[]).0, 0, "no default profile: defaults");

    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir_all(&path).unwrap();
    let (code, _, err) = dry_run(&[], &[]);
    assert_eq!(code, 3);
    assert!(
        err.starts_with(&format!("error: cannot read {}", path.display())),
        "{err}"
    );
    std::fs::remove_dir(&path).unwrap();

    let (code, _, err) = dry_run(&[], &[("OPENSCALER_TIMEOUT_SECS", "soon")]);
    assert_eq!(code, 3);
    assert_eq!(
        err.trim(),
        "error: OPENSCALER_TIMEOUT_SECS: \"soon\" is not a positive number of seconds"
    );
    let (code, _, err) = dry_run(&["--timeout", "0s"], &[]);
    assert_eq!(code, 3);
    assert!(err.starts_with("error: --timeout: \"0s\""), "{err}");
    assert_eq!(
        dry_run(
            &["--timeout", "1.5"],
            &[("OPENSCALER_TIMEOUT_SECS", "soon")]
        )
        .0,
        0,
        "the flag wins"
    );
}
