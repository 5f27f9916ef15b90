//! A stateful stand-in for the OpenScaler API's "Update a Backend" call,
//! known only from `openapi.yaml`, for tests, demos and SDKs in any language.
//!
//! ```no_run
//! # async fn run() {
//! let sandbox = openscaler_sandbox::Sandbox::start().await; // 127.0.0.1, a free port
//! println!("{}", sandbox.base_url());
//! # }
//! ```
//!
//! What it does, and where:
//! - `api`: the API route, `PUT /v1/lbs/{lb_id}/backends/{backend_name}`:
//!   auth, content type, size, JSON, schema, then the stored backend.
//! - `spec`: `openapi.yaml` turned into JSON Schema validators whose errors
//!   name every violation with its JSON Pointer.
//! - `store`: the backends per (lb_id, backend_name), and the sandbox's
//!   behaviour where the vendor's page is silent (404 for a backend that is
//!   not stored, a body `name` renames, 409 on a rename collision).
//! - `journal`: the bounded request journal, token redacted.
//! - `faults`: seeded error statuses, resets and latency.
//! - `admin`: the `/__sandbox/` routes (health, state, requests, faults).
//! - `vectors`: vector mode, the conformance vectors of `tests/vectors/`
//!   as scripted servers that judge what they receive.
//! - `server`: the accept loop (hyper, so a fault can reset a connection).
//!
//! These are the sandbox's behaviours, not the vendor's: the vendor's page
//! documents none of the error cases.

#![deny(missing_docs)]

mod admin;
mod api;
pub mod faults;
pub mod journal;
mod server;
pub mod spec;
mod store;
mod vectors;

use std::{
    fmt,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    path::PathBuf,
    sync::Arc,
};

use serde_json::{json, Value};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

pub use crate::{
    faults::{Fault, Faults},
    journal::{JournalEntry, Validation},
    spec::{Spec, Violation},
    store::State,
};

/// The sandbox's version, as its ready line and health route say.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The default journal capacity, in entries.
pub const DEFAULT_JOURNAL_CAPACITY: usize = 1000;

/// A configuration problem, or a port that could not be bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// Settings for a [`Sandbox`]; [`SandboxBuilder::start`] binds and serves.
#[derive(Debug, Clone)]
#[must_use]
pub struct SandboxBuilder {
    host: IpAddr,
    port: u16,
    tokens: Vec<String>,
    seed: Option<u64>,
    faults: Result<Faults, String>,
    state: Option<Value>,
    journal_capacity: usize,
    vectors_dir: Option<PathBuf>,
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        SandboxBuilder {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            tokens: Vec::new(),
            seed: None,
            faults: Ok(Faults::none()),
            state: None,
            journal_capacity: DEFAULT_JOURNAL_CAPACITY,
            vectors_dir: None,
        }
    }
}

impl SandboxBuilder {
    /// The address to bind (default 127.0.0.1).
    pub fn host(mut self, host: IpAddr) -> Self {
        self.host = host;
        self
    }

    /// The port to bind (default 0: a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Accepts this bearer token; call again for more. Without any, every
    /// non-empty token is accepted.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.tokens.push(token.into());
        self
    }

    /// Makes request ids and fault draws reproducible.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Faults in the `--faults` form, e.g. `503=0.1,reset=0.02,latency=20ms`
    /// (see [`faults`]); a bad spec fails [`start`](Self::start).
    pub fn faults(mut self, spec: &str) -> Self {
        self.faults = spec.parse();
        self
    }

    /// The stored backends at start: `{lb_id: {backend_name: backend}}`.
    /// Each backend must validate and carry its key as `name`.
    pub fn state(mut self, state: Value) -> Self {
        self.state = Some(state);
        self
    }

    /// Seeds one backend, stored under its own `name` on `lb_id`.
    pub fn backend(mut self, lb_id: &str, backend: Value) -> Self {
        let name = backend
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let mut state = self.state.take().unwrap_or_else(|| json!({}));
        if let Some(lbs) = state.as_object_mut() {
            let lb = lbs.entry(lb_id.to_owned()).or_insert_with(|| json!({}));
            if let Some(backends) = lb.as_object_mut() {
                backends.insert(name, backend);
            }
        }
        self.state = Some(state);
        self
    }

    /// How many journal entries are kept (default 1000; older ones go).
    pub fn journal_capacity(mut self, entries: usize) -> Self {
        self.journal_capacity = entries;
        self
    }

    /// Serves the vectors of this directory instead of the embedded ones.
    pub fn vectors_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.vectors_dir = Some(dir.into());
        self
    }

    /// Binds, then serves on the current tokio runtime until the returned
    /// handle is dropped.
    ///
    /// # Errors
    /// Bad faults, state or vectors, or an address that cannot be bound;
    /// the message names the setting and the value.
    pub async fn start(self) -> Result<Sandbox, Error> {
        let spec = Spec::embedded();
        let faults = self.faults.map_err(|e| Error(format!("--faults: {e}")))?;
        let state = match &self.state {
            None => State::new(),
            Some(document) => parse_state(spec, document)?,
        };
        let vectors = match &self.vectors_dir {
            Some(dir) => vectors::Vectors::from_dir(dir),
            None => vectors::Vectors::embedded(),
        }
        .map_err(Error)?;
        let seed = self.seed.unwrap_or_else(random_seed);
        let address = SocketAddr::new(self.host, self.port);
        let listener = TcpListener::bind(address)
            .await
            .map_err(|e| Error(format!("cannot listen on {address}: {e}")))?;
        let address = listener
            .local_addr()
            .map_err(|e| Error(format!("cannot read the bound address: {e}")))?;
        let shared = Arc::new(server::Shared::new(
            spec,
            self.tokens,
            seed,
            faults,
            state,
            self.journal_capacity,
            vectors,
        ));
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(server::serve(listener, Arc::clone(&shared), stopped));
        Ok(Sandbox {
            address,
            base_url: format!("http://{address}"),
            shared,
            stop: Some(stop),
            task,
        })
    }
}

/// A state document, or an error listing every violation.
fn parse_state(spec: &Spec, document: &Value) -> Result<State, Error> {
    store::parse_state(spec, document).map_err(|violations| {
        let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
        Error(format!("state refused: {}", list.join("; ")))
    })
}

fn random_seed() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

/// A running sandbox; it stops when dropped.
pub struct Sandbox {
    address: SocketAddr,
    base_url: String,
    shared: Arc<server::Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Starts a sandbox with the defaults on 127.0.0.1 and a free port.
    ///
    /// # Panics
    /// If no port can be bound on 127.0.0.1 (as test servers do).
    pub async fn start() -> Sandbox {
        Sandbox::builder()
            .start()
            .await
            .unwrap_or_else(|e| panic!("openscaler-sandbox: {e}"))
    }

    /// Settings: tokens, seed, faults, initial state, address.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// `http://127.0.0.1:PORT`: the base URL of the API.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The base URL that serves the vector `id` (vector mode).
    pub fn vector_url(&self, id: &str) -> String {
        format!("{}/__vectors/{id}", self.base_url)
    }

    /// The line the binary prints when it is ready:
    /// `{"listening": ..., "spec_sha256": ..., "version": ...}`.
    pub fn ready_line(&self) -> String {
        json!({
            "listening": self.base_url,
            "spec_sha256": self.shared.spec.sha256(),
            "version": VERSION,
        })
        .to_string()
    }

    /// The journal, oldest first (as `GET /__sandbox/requests` has it).
    pub fn requests(&self) -> Vec<JournalEntry> {
        server::lock(&self.shared.journal).entries()
    }

    /// Empties the journal.
    pub fn clear_requests(&self) {
        server::lock(&self.shared.journal).clear();
    }

    /// The stored backends.
    pub fn state(&self) -> State {
        server::lock(&self.shared.state).clone()
    }

    /// Replaces the stored backends (as `PUT /__sandbox/state`).
    ///
    /// # Errors
    /// A backend that does not validate or whose `name` is not its key.
    pub fn set_state(&self, document: &Value) -> Result<(), Error> {
        let state = parse_state(self.shared.spec, document)?;
        *server::lock(&self.shared.state) = state;
        Ok(())
    }

    /// Sets the faults (the `--faults` form; `""` turns them off).
    ///
    /// # Errors
    /// A spec that does not parse, naming the key and value.
    pub fn set_faults(&self, spec: &str) -> Result<(), Error> {
        let faults = spec.parse().map_err(|e| Error(format!("faults: {e}")))?;
        self.shared.set_faults(faults);
        Ok(())
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.abort();
    }
}
