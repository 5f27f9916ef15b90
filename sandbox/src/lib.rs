//! A stateful stand-in for the OpenScaler API, known only from its spec
//! (the embedded `openapi.yaml`, or another with `--spec`), for tests,
//! demos and SDKs in any language: every operation of the spec routed,
//! checked and, where the paths describe a resource, kept as state.
//!
//! ```no_run
//! # async fn run() {
//! let sandbox = openscaler_sandbox::Sandbox::start().await; // 127.0.0.1, a free port
//! println!("{}", sandbox.base_url());
//! # }
//! ```
//!
//! # Layout
//! The dependencies run one way, from the top of this list to its bottom.
//!
//! Top: the server.
//! - `server`: the accept loop (hyper, so a fault can reset a connection).
//! - `router`: admin routes, vector mode, and everything else to the API.
//!
//! Handlers.
//! - `api`: any operation of the spec: the route, method, auth, parameters,
//!   media type, size, JSON and schema checks, in that order.
//! - `resources`: what a checked operation does: read, replace, remove,
//!   create or list stored items, or answer the spec's example.
//! - `admin`: the `/__sandbox/` routes (health, state, requests, faults).
//! - `vectors`: vector mode's routes: each conformance vector as a
//!   scripted server that judges what it receives.
//!
//! Beside the server: [`conformance`], the driver that runs an SDK's
//! testee program through the vectors, with a sandbox of its own.
//!
//! Shared state and answers, at the bottom.
//! - `shared`: what every handler shares (spec, settings, state, journal).
//! - `respond`: the spec's error body and JSON answers; `body`: reading a
//!   body within a size and a time, and a body that passed its checks.
//! - `store`: the stored items per resource, and the sandbox's behaviour
//!   where the vendor's page is silent; `idempotency`: `Idempotency-Key`.
//! - `journal`: the bounded request journal, token redacted.
//! - `vector_set`: the loaded vectors and what each has received.
//! - `faults`: seeded error statuses, resets and latency.
//! - `spec`: the OpenAPI document read into paths, operations, parameters,
//!   bodies, responses and resources; `routes`: paths matched to its
//!   templates, strict percent-decoding; `params`: parameter checks;
//!   `schema`: its schemas as JSON Schema validators whose errors name
//!   every violation with its JSON Pointer; `examples`: values built from
//!   a schema; `ordered`: JSON that keeps its key order.
//!
//! These are the sandbox's behaviours, not the vendor's: the vendor's page
//! documents none of the error cases, and no resource but the one backend
//! it updates.

#![deny(missing_docs)]

mod admin;
mod api;
mod body;
pub mod conformance;
mod examples;
pub mod faults;
mod idempotency;
pub mod journal;
mod ordered;
pub mod params;
mod resources;
mod respond;
mod router;
mod routes;
mod schema;
mod server;
mod shared;
pub mod spec;
mod store;
mod vector_set;
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
    body::MAX_BODY,
    faults::{Fault, Faults},
    idempotency::MAX_KEYS,
    journal::{JournalEntry, Validation},
    params::ParameterViolation,
    spec::{OperationSummary, Spec, Violation},
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
    empty: bool,
    journal_capacity: usize,
    vectors_dir: Option<PathBuf>,
    spec_file: Option<PathBuf>,
    admin_token: Option<String>,
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
            empty: false,
            journal_capacity: DEFAULT_JOURNAL_CAPACITY,
            vectors_dir: None,
            spec_file: None,
            admin_token: None,
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

    /// The stored items at start, instead of the page's backend:
    /// `{lb_id: {backend_name: backend}}`. Each must validate and carry its
    /// key as its key field (`name`).
    pub fn state(mut self, state: Value) -> Self {
        self.state = Some(state);
        self
    }

    /// Starts with nothing stored (by default the page's backend,
    /// `my-backend` on lb `42`, is, so that the page's `curl` works as
    /// written). [`state`](Self::state) and [`backend`](Self::backend)
    /// also replace the default.
    pub fn empty(mut self) -> Self {
        self.empty = true;
        self
    }

    /// Seeds one backend, stored under its own `name` on `lb_id` (instead
    /// of the page's backend; call again for more).
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

    /// Serves this OpenAPI document instead of the embedded `openapi.yaml`
    /// (`--spec FILE`); its SHA-256 goes in the ready line.
    pub fn spec_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.spec_file = Some(path.into());
        self
    }

    /// Requires `Authorization: Bearer <token>` on the admin routes
    /// (all but health). Without it, a host that is not a loopback address
    /// is refused.
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.admin_token = Some(token.into());
        self
    }

    /// Binds, then serves on the current tokio runtime until the returned
    /// handle is dropped.
    ///
    /// # Errors
    /// Bad faults, state, spec or vectors, a non-loopback host without an
    /// admin token, or an address that cannot be bound; the message names
    /// the setting and the value.
    pub async fn start(self) -> Result<Sandbox, Error> {
        if !self.host.is_loopback() && self.admin_token.is_none() {
            return Err(Error(format!(
                "--host {}: not a loopback address, and the admin routes (/__sandbox/) would be open to the network: give --admin-token TOKEN",
                self.host
            )));
        }
        let spec = match &self.spec_file {
            None => Arc::clone(Spec::embedded_arc()),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| Error(format!("--spec {}: {e}", path.display())))?;
                Arc::new(
                    Spec::parse(&text)
                        .map_err(|e| Error(format!("--spec {}: {e}", path.display())))?,
                )
            }
        };
        let faults = self.faults.map_err(|e| Error(format!("--faults: {e}")))?;
        let store = match (&self.state, self.empty) {
            (Some(document), _) => parse_state(&spec, document)?,
            (None, true) => store::Store::empty(&spec),
            (None, false) => store::Store::page(&spec),
        };
        // A set given with --vectors must call the served spec's operations;
        // the embedded set is served whatever the spec.
        let vectors = match &self.vectors_dir {
            Some(dir) => vector_set::Vectors::from_dir(dir)
                .and_then(|v| v.check_operations(&spec).map(|()| v)),
            None => vector_set::Vectors::embedded(),
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
        let shared = Arc::new(shared::Shared::new(shared::Settings {
            spec,
            tokens: self.tokens,
            admin_token: self.admin_token,
            seed,
            faults,
            store,
            journal_capacity: self.journal_capacity,
            vectors,
        }));
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
fn parse_state(spec: &Spec, document: &Value) -> Result<store::Store, Error> {
    store::Store::from_document(spec, &ordered::Json::from(document)).map_err(|violations| {
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
    shared: Arc<shared::Shared>,
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
        shared::lock(&self.shared.journal).entries()
    }

    /// Empties the journal.
    pub fn clear_requests(&self) {
        shared::lock(&self.shared.journal).clear();
    }

    /// The spec it serves.
    pub fn spec(&self) -> &Spec {
        &self.shared.spec
    }

    /// The stored items, as `GET /__sandbox/state` has them:
    /// `{lb_id: {backend_name: backend}}`.
    pub fn state(&self) -> Value {
        shared::lock(&self.shared.data)
            .store
            .document(&self.shared.spec)
            .to_value()
    }

    /// Replaces the stored items (as `PUT /__sandbox/state`), forgetting the
    /// idempotency keys.
    ///
    /// # Errors
    /// An item that does not validate or whose key field is not its key.
    pub fn set_state(&self, document: &Value) -> Result<(), Error> {
        let store = parse_state(&self.shared.spec, document)?;
        self.shared.set_store(store);
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
