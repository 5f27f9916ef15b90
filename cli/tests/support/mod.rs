//! Helpers for the command line's tests: the binary, the page's golden
//! case, the sandbox on its own runtime, a listener that shows whether
//! anything connected, and a private config directory.

#![allow(dead_code)] // each test binary uses a different part

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    time::Duration,
};

use serde_json::Value;

/// A token that must never show in any output.
pub const SECRET: &str = "tok-9f8e7d6c5b4a-SECRET";

/// The vendor's curl example (the SDK's fixture).
pub fn golden() -> Value {
    serde_json::from_str(include_str!("../../../tests/fixtures/update-backend.json")).unwrap()
}

/// The page's request body.
pub fn golden_body() -> Value {
    golden()["body"].clone()
}

/// The binary, with a clean environment: no `OPENSCALER_*` variables, and
/// `XDG_CONFIG_HOME` pointing at an empty private directory.
pub fn openscaler(config: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("openscaler").unwrap();
    for var in [
        "OPENSCALER_TOKEN",
        "OPENSCALER_BASE_URL",
        "OPENSCALER_TIMEOUT_SECS",
        "OPENSCALER_PROFILE",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("XDG_CONFIG_HOME", config);
    cmd.env("HOME", config);
    cmd.timeout(Duration::from_secs(60));
    cmd
}

/// A temporary directory for config files and inputs.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

/// Writes `$dir/openscaler/config.toml` with the given mode.
pub fn write_config(dir: &Path, text: &str, mode: u32) -> PathBuf {
    let path = write(dir, "openscaler/config.toml", text);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    path
}

/// A sandbox (the stand-in server) served by its own runtime, for tests
/// that run the binary synchronously. It stops when dropped.
pub struct Server {
    pub sandbox: openscaler_sandbox::Sandbox,
    // Dropped after the sandbox (fields drop in order).
    _runtime: tokio::runtime::Runtime,
}

impl Server {
    /// A sandbox accepting only `SECRET`, holding `state`
    /// (`{lb_id: {backend_name: backend}}`).
    pub fn start(state: Value) -> Server {
        Server::with(
            openscaler_sandbox::Sandbox::builder()
                .token(SECRET)
                .state(state),
        )
    }

    pub fn with(builder: openscaler_sandbox::SandboxBuilder) -> Server {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let sandbox = runtime.block_on(builder.seed(11).start()).unwrap();
        Server {
            sandbox,
            _runtime: runtime,
        }
    }

    pub fn url(&self) -> String {
        self.sandbox.base_url().to_owned()
    }

    pub fn journal(&self) -> Vec<openscaler_sandbox::JournalEntry> {
        self.sandbox.requests()
    }
}

/// The page's backend, stored as `name` (the sandbox keys backends by their
/// name).
pub fn stored(name: &str) -> Value {
    let mut backend = golden_body();
    backend["name"] = serde_json::json!(name);
    backend
}

/// An `apply` file: one entry per `(lb_id, backend_name, backend)`, each
/// backend as JSON on its line.
pub fn apply_text<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str, Value)>) -> String {
    let mut text = String::from("backends:\n");
    for (lb_id, name, backend) in entries {
        text.push_str(&format!(
            "  - lb_id: \"{lb_id}\"\n    backend_name: {name}\n    backend: {backend}\n"
        ));
    }
    text
}

/// An address on 127.0.0.1 where nothing listens... except a listener we
/// hold and never accept from, so any connection attempt shows.
pub struct Silent {
    listener: TcpListener,
}

impl Silent {
    pub fn start() -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        Silent { listener }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.listener.local_addr().unwrap())
    }

    /// Whether anything connected.
    pub fn was_contacted(&self) -> bool {
        self.listener.accept().is_ok()
    }
}
