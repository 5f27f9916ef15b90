//! The binary: the ready line on stdout, then it serves; bad flags exit 2
//! with one line naming the flag.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_openscaler-sandbox");

/// Starts the binary; returns it, its ready line parsed, and its URL.
fn spawn(args: &[&std::ffi::OsStr]) -> (Child, Value, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("ready line {line:?}: {e}"));
    let url = ready["listening"].as_str().unwrap().to_owned();
    (child, ready, url)
}

#[test]
fn prints_a_ready_line_then_serves() {
    let args = ["--port", "0", "--seed", "1", "--token", "t"].map(std::ffi::OsStr::new);
    let (mut child, ready, url) = spawn(&args);
    assert!(url.starts_with("http://127.0.0.1:"), "{ready}");
    assert_eq!(ready["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(ready["spec_sha256"].as_str().unwrap().len(), 64);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (health, unauthorized) = runtime.block_on(async {
        let client = reqwest::Client::new();
        let health: Value = client
            .get(format!("{url}/__sandbox/health"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let unauthorized = client
            .put(format!("{url}/v1/lbs/42/backends/b"))
            .header("authorization", "Bearer not-t")
            .send()
            .await
            .unwrap()
            .status();
        (health, unauthorized)
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(health["spec_sha256"], ready["spec_sha256"]);
    assert_eq!(unauthorized, 401);
}

#[test]
fn bad_flags_exit_2_naming_the_flag() {
    for (args, says) in [
        (
            vec!["--faults", "503=2"],
            "error: --faults: fault 503 probability \"2\" is not a number from 0 to 1",
        ),
        (
            vec!["--state", "/nonexistent/state.json"],
            "error: --state /nonexistent/state.json: ",
        ),
        (
            vec!["--host", "256.0.0.1"],
            "invalid value '256.0.0.1' for '--host <HOST>'",
        ),
        (
            vec!["--host", "0.0.0.0"],
            "error: --host 0.0.0.0: not a loopback address, and the admin routes (/__sandbox/) would be open to the network: give --admin-token TOKEN",
        ),
        (
            vec!["--spec", "/nonexistent/spec.yaml"],
            "error: --spec /nonexistent/spec.yaml: ",
        ),
        (
            vec!["--empty", "--state", "x.json"],
            "'--empty' cannot be used with '--state <FILE>'",
        ),
    ] {
        let output = Command::new(BIN).args(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn help_lists_every_flag() {
    let output = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for flag in [
        "--host",
        "--port",
        "--token",
        "--seed",
        "--faults",
        "--state",
        "--vectors",
        "--journal",
        "--spec",
        "--empty",
        "--admin-token",
        "--version",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
}

#[test]
fn state_from_a_file_is_served() {
    let state = serde_json::json!({"42": {"my-backend": {
        "name": "my-backend", "mode": "http", "balancing_method": "first",
        "port": "8080", "servers": {"type": "computer", "computer_ids": ["1"]}
    }}});
    let file = std::env::temp_dir().join(format!("sandbox-state-{}.json", std::process::id()));
    std::fs::write(&file, state.to_string()).unwrap();
    let (mut child, _, url) = spawn(&["--state".as_ref(), file.as_os_str()]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let served: Value = runtime.block_on(async {
        reqwest::get(format!("{url}/__sandbox/state"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_file(&file).unwrap();
    assert_eq!(served, state);
}

/// `--spec` serves another document (its hash in the ready line), and
/// `--empty` starts with nothing; by default the page's backend is stored.
#[test]
fn another_spec_and_an_empty_start() {
    let all = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/evolution/all.yaml");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let get = |url: String| {
        runtime.block_on(async {
            let response = reqwest::Client::new()
                .get(url)
                .header("authorization", "Bearer t")
                .send()
                .await
                .unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        })
    };
    let (mut child, ready, url) = spawn(&["--spec".as_ref(), all.as_ref()]);
    let (status, backend) = get(format!("{url}/v1/lbs/42/backends/my-backend"));
    let (_, health) = get(format!("{url}/__sandbox/health"));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(status, 200, "{backend}");
    assert_eq!(backend["name"], "my-backend");
    assert_eq!(health["spec_sha256"], ready["spec_sha256"]);
    let (_, embedded, _) = {
        let (mut child, ready, url) = spawn(&["--empty".as_ref()]);
        let (_, state) = get(format!("{url}/__sandbox/state"));
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(state, serde_json::json!({}));
        (child, ready, url)
    };
    assert_ne!(embedded["spec_sha256"], ready["spec_sha256"]);
}
