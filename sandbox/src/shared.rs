//! What every handler shares: the spec, the settings, the stored state,
//! the journal, the vectors, and the markers a handler puts on a request
//! or a response. The bottom layer: it imports no handler.

use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc, Mutex, MutexGuard, PoisonError, RwLock,
};

use crate::{
    faults::{self, Faults},
    idempotency::Keys,
    journal::{Journal, Record},
    spec::Spec,
    store::Store,
    vector_set::Vectors,
};

/// The stored items and the idempotency keys, changed together under one
/// lock so that a replayed create can never half-happen.
#[derive(Debug)]
pub(crate) struct Data {
    pub store: Store,
    pub keys: Keys,
}

/// Everything the handlers share.
pub(crate) struct Shared {
    pub spec: Arc<Spec>,
    /// Accepted tokens; empty: any non-empty token.
    pub tokens: Vec<String>,
    /// The token the admin routes require, if any.
    pub admin_token: Option<String>,
    pub seed: u64,
    pub faults: RwLock<Arc<Faults>>,
    pub data: Mutex<Data>,
    pub journal: Mutex<Journal>,
    pub vectors: Vectors,
    requests: AtomicU64,
    api_requests: AtomicU64,
}

/// Locks a mutex, recovering from a poisoned one (no handler panics while
/// holding a lock, but a stand-in server must not stop over it).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The settings a [`Shared`] starts with.
pub(crate) struct Settings {
    pub spec: Arc<Spec>,
    pub tokens: Vec<String>,
    pub admin_token: Option<String>,
    pub seed: u64,
    pub faults: Faults,
    pub store: Store,
    pub journal_capacity: usize,
    pub vectors: Vectors,
}

impl Shared {
    pub fn new(settings: Settings) -> Shared {
        Shared {
            spec: settings.spec,
            tokens: settings.tokens,
            admin_token: settings.admin_token,
            seed: settings.seed,
            faults: RwLock::new(Arc::new(settings.faults)),
            data: Mutex::new(Data {
                store: settings.store,
                keys: Keys::default(),
            }),
            journal: Mutex::new(Journal::new(settings.journal_capacity)),
            vectors: settings.vectors,
            requests: AtomicU64::new(0),
            api_requests: AtomicU64::new(0),
        }
    }

    /// The next `x-request-id`: reproducible for a given `--seed` and order
    /// of arrival.
    pub fn next_request_id(&self) -> String {
        let n = self.requests.fetch_add(1, Ordering::Relaxed);
        format!("sbx-{:016x}", faults::mix(self.seed, n.wrapping_mul(2)))
    }

    /// The next API request's fault draw, in `[0, 1)`.
    pub fn next_fault_draw(&self) -> f64 {
        let n = self.api_requests.fetch_add(1, Ordering::Relaxed);
        faults::unit(self.seed, n.wrapping_mul(2).wrapping_add(1))
    }

    pub fn faults(&self) -> Arc<Faults> {
        Arc::clone(&self.faults.read().unwrap_or_else(PoisonError::into_inner))
    }

    pub fn set_faults(&self, faults: Faults) {
        *self.faults.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(faults);
    }

    /// Replaces the stored items, forgetting the idempotency keys with them.
    pub fn set_store(&self, store: Store) {
        let mut data = lock(&self.data);
        data.store = store;
        data.keys = Keys::default();
    }

    /// Adds a finished record to the journal.
    pub fn finish(&self, mut record: Record) {
        // Microsecond precision: enough, and readable.
        record.duration_ms = (record.started.elapsed().as_secs_f64() * 1e6).round() / 1000.0;
        lock(&self.journal).push(record);
    }
}

/// The `x-request-id` of the request being handled.
#[derive(Clone, Debug)]
pub(crate) struct RequestId(pub String);

/// Marks a response that must not be sent: the connection is reset instead.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ResetConnection;
