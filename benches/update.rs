//! `cargo bench --bench update`: the SDK's Update a Backend beside a
//! hand-written reqwest PUT of the same body, against the same minimal
//! keep-alive HTTP server on 127.0.0.1 (one event loop on its own thread;
//! not httpmock, whose own cost would dominate). Then, alone, building,
//! validating, serializing and parsing a Backend.
//!
//! The hand-written call is the floor: reqwest with the SDK's timeouts and
//! User-Agent, the same bearer header, `.json(&backend)` out and
//! `.json::<Backend>()` back. What differs is the SDK's layer: input checks,
//! progenitor's generated builder and send, the hooks (token, retry loop,
//! per-call record), error mapping and the tracing span.
//!
//! Criterion measures each side; the ratios at the end come from a second,
//! interleaved measurement in the same run (SDK and raw rounds alternate, so
//! drift in the machine hits both alike), as medians. See BENCHMARKS.md.

#[path = "../tests/support/mod.rs"]
mod support;

mod common;

use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput};
use openscaler::Backend;
use support::{golden, KeepAliveServer};
use tokio::{runtime::Runtime, task::JoinSet};

const IN_FLIGHT: usize = 64;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The two sides, as futures the harness can repeat.
struct Sides {
    sdk: openscaler::Client,
    raw: reqwest::Client,
    url: String,
    backend: Backend,
}

impl Sides {
    fn new(server: &KeepAliveServer) -> Sides {
        let (raw, url) = common::raw(&server.base_url());
        Sides {
            sdk: common::sdk(&server.base_url()),
            raw,
            url,
            backend: common::page_backend(),
        }
    }

    async fn sdk_once(&self, body: Backend) {
        self.sdk
            .update_backend("42", "my-backend", body)
            .await
            .unwrap();
    }

    async fn raw_once(&self) {
        common::raw_put(&self.raw, &self.url, &self.backend).await;
    }

    /// 64 SDK calls in flight at once.
    async fn sdk_batch(&self) {
        let mut set = JoinSet::new();
        for _ in 0..IN_FLIGHT {
            let (client, body) = (self.sdk.clone(), self.backend.clone());
            set.spawn(async move {
                client
                    .update_backend("42", "my-backend", body)
                    .await
                    .unwrap()
            });
        }
        set.join_all().await;
    }

    /// 64 raw calls in flight at once.
    async fn raw_batch(&self) {
        let mut set = JoinSet::new();
        for _ in 0..IN_FLIGHT {
            let (client, url, body) = (self.raw.clone(), self.url.clone(), self.backend.clone());
            set.spawn(async move { common::raw_put(&client, &url, &body).await });
        }
        set.join_all().await;
    }
}

fn calls(c: &mut Criterion, rt: &Runtime, sides: &Sides) {
    let mut group = c.benchmark_group("latency");
    group.bench_function("sdk", |b| {
        b.to_async(rt).iter_batched(
            || sides.backend.clone(),
            |body| sides.sdk_once(body),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("raw", |b| b.to_async(rt).iter(|| sides.raw_once()));
    group.finish();

    let mut group = c.benchmark_group("throughput");
    group.throughput(Throughput::Elements(IN_FLIGHT as u64));
    group.bench_function("sdk", |b| b.to_async(rt).iter(|| sides.sdk_batch()));
    group.bench_function("raw", |b| b.to_async(rt).iter(|| sides.raw_batch()));
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

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Alternating rounds of SDK and raw work; returns (sdk, raw) medians of
/// the time per round.
fn interleaved(
    rounds: usize,
    mut sdk: impl FnMut() -> Duration,
    mut raw: impl FnMut() -> Duration,
) -> (Duration, Duration) {
    let (mut s, mut r) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        if round % 2 == 0 {
            s.push(sdk());
            r.push(raw());
        } else {
            r.push(raw());
            s.push(sdk());
        }
    }
    (median(s), median(r))
}

fn timed(work: impl FnOnce()) -> Duration {
    let started = Instant::now();
    work();
    started.elapsed()
}

fn ratios(rt: &Runtime, sides: &Sides) {
    const SEQUENTIAL: u32 = 200;
    let (sdk, raw) = interleaved(
        60,
        || {
            let elapsed = timed(|| {
                rt.block_on(async {
                    for _ in 0..SEQUENTIAL {
                        sides.sdk_once(sides.backend.clone()).await;
                    }
                })
            });
            elapsed / SEQUENTIAL
        },
        || {
            let elapsed = timed(|| {
                rt.block_on(async {
                    for _ in 0..SEQUENTIAL {
                        sides.raw_once().await;
                    }
                })
            });
            elapsed / SEQUENTIAL
        },
    );
    println!(
        "latency, interleaved medians: sdk {:.1} us, raw {:.1} us, sdk/raw {:.3} (target <= 1.03)",
        sdk.as_secs_f64() * 1e6,
        raw.as_secs_f64() * 1e6,
        sdk.as_secs_f64() / raw.as_secs_f64()
    );

    const BATCHES: u32 = 20;
    let (sdk, raw) = interleaved(
        60,
        || {
            timed(|| {
                rt.block_on(async {
                    for _ in 0..BATCHES {
                        sides.sdk_batch().await
                    }
                })
            })
        },
        || {
            timed(|| {
                rt.block_on(async {
                    for _ in 0..BATCHES {
                        sides.raw_batch().await
                    }
                })
            })
        },
    );
    let per_second = |d: Duration| f64::from(BATCHES) * IN_FLIGHT as f64 / d.as_secs_f64();
    println!(
        "throughput ({IN_FLIGHT} in flight), interleaved medians: sdk {:.0}/s, raw {:.0}/s, sdk/raw {:.3} (target >= 0.97)",
        per_second(sdk),
        per_second(raw),
        per_second(sdk) / per_second(raw)
    );
}

fn main() {
    let server = KeepAliveServer::start(200, &golden().response);
    let rt = runtime();
    let sides = Sides::new(&server);
    let mut criterion = Criterion::default().configure_from_args();
    calls(&mut criterion, &rt, &sides);
    backend_alone(&mut criterion);
    criterion.final_summary();
    // `cargo bench -- <filter>` and `--list` skip the ratio run.
    if std::env::args()
        .skip(1)
        .all(|a| a.starts_with('-') && a != "--list")
    {
        ratios(&rt, &sides);
    }
}
