//! `cargo bench --bench update`: the SDK's Update a Backend beside
//! hand-written reqwest PUTs of the same body, against the same minimal
//! keep-alive HTTP server on 127.0.0.1 (one event loop on its own thread;
//! not httpmock, whose own cost would dominate). Then, alone, building,
//! validating, serializing and parsing a Backend.
//!
//! Two floors, both `.json(&backend)` out and `.json::<Backend>()` back with
//! the same bearer header and User-Agent:
//!
//! - `raw`: reqwest with the SDK's default timeouts (10 s connect, 30 s per
//!   request). The targets compare the SDK with this one.
//! - `bare`: reqwest with its own defaults, no timeouts. `raw` against
//!   `bare` is what the timeouts cost; the SDK against `raw` is the SDK's
//!   layer: input checks, progenitor's generated call, the hooks (token,
//!   retry loop, per-call record), error mapping and the tracing span.
//!
//! Criterion measures each side; the ratios at the end come from a second,
//! interleaved measurement in the same run: the sides take turns, in a
//! rotating order, and each ratio is the median over rounds of the two
//! sides' times in the same round, so drift in the machine hits both alike.
//! See BENCHMARKS.md.

#[path = "../tests/support/mod.rs"]
mod support;

mod common;

use std::sync::Arc;

use common::timing::{
    batches, interleaved, median, paired, report, sequential, BATCHES, IN_FLIGHT, ROUNDS,
};
use criterion::{Criterion, Throughput};
use openscaler::Backend;
use support::{golden, KeepAliveServer};
use tokio::{runtime::Runtime, task::JoinSet};

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The three sides, as futures the harness can repeat.
struct Sides {
    sdk: openscaler::Client,
    raw: reqwest::Client,
    bare: reqwest::Client,
    url: Arc<str>,
    backend: Arc<Backend>,
}

/// Which hand-written client a floor uses.
#[derive(Clone, Copy)]
enum Floor {
    Raw,
    Bare,
}

impl Sides {
    fn new(server: &KeepAliveServer) -> Sides {
        let (raw, url) = common::raw(&server.base_url());
        let (bare, _) = common::bare(&server.base_url());
        Sides {
            sdk: common::sdk(&server.base_url()),
            raw,
            bare,
            url: url.into(),
            backend: Arc::new(common::page_backend()),
        }
    }

    fn floor(&self, floor: Floor) -> &reqwest::Client {
        match floor {
            Floor::Raw => &self.raw,
            Floor::Bare => &self.bare,
        }
    }

    /// One SDK call; the caller keeps its backend (passed by reference).
    async fn sdk_once(&self) {
        self.sdk
            .update_backend("42", "my-backend", &*self.backend)
            .await
            .unwrap();
    }

    async fn floor_once(&self, floor: Floor) {
        common::raw_put(self.floor(floor), &self.url, &self.backend).await;
    }

    /// 64 SDK calls in flight at once, each task with its handle on the
    /// client and the backend.
    async fn sdk_batch(&self) {
        let mut set = JoinSet::new();
        for _ in 0..IN_FLIGHT {
            let (client, body) = (self.sdk.clone(), Arc::clone(&self.backend));
            set.spawn(async move {
                client
                    .update_backend("42", "my-backend", &*body)
                    .await
                    .unwrap()
            });
        }
        set.join_all().await;
    }

    /// 64 hand-written calls in flight at once.
    async fn floor_batch(&self, floor: Floor) {
        let mut set = JoinSet::new();
        for _ in 0..IN_FLIGHT {
            let (client, url, body) = (
                self.floor(floor).clone(),
                Arc::clone(&self.url),
                Arc::clone(&self.backend),
            );
            set.spawn(async move { common::raw_put(&client, &url, &body).await });
        }
        set.join_all().await;
    }
}

fn calls(c: &mut Criterion, rt: &Runtime, sides: &Sides) {
    let mut group = c.benchmark_group("latency");
    group.bench_function("sdk", |b| b.to_async(rt).iter(|| sides.sdk_once()));
    group.bench_function("raw", |b| {
        b.to_async(rt).iter(|| sides.floor_once(Floor::Raw))
    });
    group.bench_function("bare", |b| {
        b.to_async(rt).iter(|| sides.floor_once(Floor::Bare))
    });
    group.finish();

    let mut group = c.benchmark_group("throughput");
    group.throughput(Throughput::Elements(IN_FLIGHT as u64));
    group.bench_function("sdk", |b| b.to_async(rt).iter(|| sides.sdk_batch()));
    group.bench_function("raw", |b| {
        b.to_async(rt).iter(|| sides.floor_batch(Floor::Raw))
    });
    group.bench_function("bare", |b| {
        b.to_async(rt).iter(|| sides.floor_batch(Floor::Bare))
    });
    group.finish();
}

fn backend_alone(c: &mut Criterion) {
    let backend = common::page_backend();
    let wire = serde_json::to_vec(&golden().response).unwrap();
    let mut group = c.benchmark_group("backend");
    group.bench_function("build", |b| b.iter(common::page_backend));
    group.bench_function("validate", |b| {
        b.iter(|| std::hint::black_box(&backend).validate().unwrap())
    });
    group.bench_function("serialize", |b| {
        b.iter(|| serde_json::to_vec(std::hint::black_box(&backend)).unwrap())
    });
    group.bench_function("parse", |b| {
        b.iter(|| serde_json::from_slice::<Backend>(std::hint::black_box(&wire)).unwrap())
    });
    group.bench_function("clone", |b| {
        b.iter(|| std::hint::black_box(&backend).clone())
    });
    group.finish();
}

fn ratios(rt: &Runtime, sides: &Sides) {
    let times = interleaved(
        ROUNDS,
        [
            &mut || sequential(rt, || sides.sdk_once()),
            &mut || sequential(rt, || sides.floor_once(Floor::Raw)),
            &mut || sequential(rt, || sides.floor_once(Floor::Bare)),
        ],
    );
    report(
        "latency",
        &times,
        |t| format!("{:.1} us", median(t.to_vec()) * 1e6),
        paired,
        "<= 1.03",
    );

    let times = interleaved(
        ROUNDS,
        [
            &mut || batches(rt, || sides.sdk_batch()),
            &mut || batches(rt, || sides.floor_batch(Floor::Raw)),
            &mut || batches(rt, || sides.floor_batch(Floor::Bare)),
        ],
    );
    let calls = f64::from(BATCHES) * IN_FLIGHT as f64;
    report(
        &format!("throughput ({IN_FLIGHT} in flight)"),
        &times,
        |t| format!("{:.0}/s", calls / median(t.to_vec())),
        // Throughput ratios are the inverse of the time ratios.
        |a, b| paired(b, a),
        ">= 0.97",
    );
}

fn main() {
    let server = KeepAliveServer::start(200, &golden().response);
    let rt = runtime();
    let sides = Sides::new(&server);
    // `BENCH_RATIOS_ONLY=1 cargo bench --bench update`: the interleaved
    // ratios alone, without criterion's figures (a minute instead of three).
    if std::env::var_os("BENCH_RATIOS_ONLY").is_none() {
        let mut criterion = Criterion::default().configure_from_args();
        calls(&mut criterion, &rt, &sides);
        backend_alone(&mut criterion);
        criterion.final_summary();
    }
    // `cargo bench -- <filter>` and `--list` skip the ratio run.
    if std::env::args()
        .skip(1)
        .all(|a| a.starts_with('-') && a != "--list")
    {
        ratios(&rt, &sides);
    }
}
