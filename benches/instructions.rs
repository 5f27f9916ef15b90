//! Sequential calls in one mode, for counting instructions (deterministic,
//! unlike time) under callgrind:
//!
//! ```sh
//! cargo bench --bench instructions --no-run
//! for mode in sdk raw; do
//!   BENCH_MODE=$mode BENCH_CALLS=2000 valgrind --tool=callgrind \
//!     --callgrind-out-file=callgrind.$mode target/release/deps/instructions-*[!.d]
//! done
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
        Err(_) => vec!["sdk".to_owned(), "raw".to_owned()],
    };
    let server = support::KeepAliveServer::start(200, &support::golden().response);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sdk = common::sdk(&server.base_url());
    let (raw, url) = common::raw(&server.base_url());
    let backend = common::page_backend();
    for mode in modes {
        let started = Instant::now();
        runtime.block_on(async {
            for _ in 0..calls {
                match mode.as_str() {
                    "sdk" => drop(
                        sdk.update_backend("42", "my-backend", backend.clone())
                            .await
                            .unwrap(),
                    ),
                    _ => drop(common::raw_put(&raw, &url, &backend.clone()).await),
                }
            }
        });
        println!("{mode}: {calls} calls in {:?}", started.elapsed());
    }
}
