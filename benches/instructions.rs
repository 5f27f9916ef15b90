//! Sequential calls in one mode, for counting instructions (deterministic,
//! unlike time) under callgrind. Modes: `sdk` (the SDK with its defaults,
//! the body passed by reference), `raw` (reqwest with the SDK's timeouts),
//! `bare` (reqwest with its defaults: no timeouts).
//!
//! ```sh
//! cargo bench --bench instructions --no-run
//! B=$(ls -t target/release/deps/instructions-* | grep -v '\.d$' | head -1)
//! for mode in sdk raw bare; do
//!   for n in 1 2000; do
//!     BENCH_MODE=$mode BENCH_CALLS=$n valgrind --tool=callgrind \
//!       --callgrind-out-file=callgrind.$mode.$n $B
//!   done
//! done
//! # per call = (total at 2000 - total at 1) / 1999
//! ```
//!
//! Run without valgrind (`cargo bench --bench instructions`) it makes 2000
//! calls of each kind and prints the time each took.

#[path = "../tests/support/mod.rs"]
mod support;

mod common;

use std::time::Instant;

fn main() {
    let calls: usize = std::env::var("BENCH_CALLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000);
    let modes = match std::env::var("BENCH_MODE") {
        Ok(mode) => vec![mode],
        Err(_) => ["sdk", "raw", "bare"].map(str::to_owned).to_vec(),
    };
    let server = support::KeepAliveServer::start(200, &support::golden().response);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sdk = common::sdk(&server.base_url());
    let (raw, url) = common::raw(&server.base_url());
    let (bare, _) = common::bare(&server.base_url());
    let backend = common::page_backend();
    for mode in modes {
        let started = Instant::now();
        if let Some(side) = mode.strip_suffix("64") {
            // 64 calls in flight, each its own task, as `update`'s throughput.
            let backend = std::sync::Arc::new(backend.clone());
            let url: std::sync::Arc<str> = url.clone().into();
            runtime.block_on(async {
                for _ in 0..calls.div_ceil(64) {
                    let mut set = tokio::task::JoinSet::new();
                    for _ in 0..64 {
                        let backend = std::sync::Arc::clone(&backend);
                        // Each side's own task, so that neither carries
                        // the other's state.
                        match side {
                            "sdk" => {
                                let sdk = sdk.clone();
                                set.spawn(async move {
                                    drop(
                                        sdk.update_backend("42", "my-backend", &*backend)
                                            .await
                                            .unwrap(),
                                    )
                                });
                            }
                            _ => {
                                let (raw, url) = (raw.clone(), std::sync::Arc::clone(&url));
                                set.spawn(async move {
                                    drop(common::raw_put(&raw, &url, &backend).await)
                                });
                            }
                        }
                    }
                    set.join_all().await;
                }
            });
            println!("{mode}: {calls} calls in {:?}", started.elapsed());
            continue;
        }
        runtime.block_on(async {
            for _ in 0..calls {
                match mode.as_str() {
                    "sdk" => drop(
                        sdk.update_backend("42", "my-backend", &backend)
                            .await
                            .unwrap(),
                    ),
                    "raw" => drop(common::raw_put(&raw, &url, &backend).await),
                    "bare" => drop(common::raw_put(&bare, &url, &backend).await),
                    other => panic!("BENCH_MODE: {other:?} is not sdk, raw or bare"),
                }
            }
        });
        println!("{mode}: {calls} calls in {:?}", started.elapsed());
    }
}
