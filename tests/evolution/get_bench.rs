//! `.ci/evolution --bench`: a generated `GET` (`get_backend` of
//! `tests/evolution/all.yaml`, NOT THE VENDOR'S SPEC) beside a hand-written
//! reqwest `GET` with the SDK's timeouts, against the same keep-alive
//! server on 127.0.0.1, measured as `benches/update.rs` measures the `PUT`:
//! interleaved rounds, ratios paired by round. The target: latency within
//! 1.03 of the raw call, throughput at least 0.97 of it.
//!
//! Compiles only in the copy `.ci/evolution` makes (as `benches/get.rs`).

#[path = "../tests/support/mod.rs"]
mod support;

mod common;

use common::timing::{batches, interleaved, median, paired, report, sequential, BATCHES, IN_FLIGHT, ROUNDS};
use openscaler::Backend;
use support::{golden, KeepAliveServer};
use tokio::task::JoinSet;

async fn raw_get(client: &reqwest::Client, url: &str) -> Backend {
    client
        .get(url)
        .bearer_auth(common::TOKEN)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json::<Backend>()
        .await
        .unwrap()
}

fn main() {
    let server = KeepAliveServer::start(200, &golden().response);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let sdk = common::sdk(&server.base_url());
    let (raw, url) = common::raw(&server.base_url());
    let (bare, _) = common::bare(&server.base_url());
    let sdk_once = || async { drop(sdk.get_backend("42", "my-backend").await.unwrap()) };
    let raw_once = |client: &reqwest::Client| {
        let client = client.clone();
        let url = url.clone();
        async move { drop(raw_get(&client, &url).await) }
    };
    let times = interleaved(
        ROUNDS,
        [
            &mut || sequential(&rt, sdk_once),
            &mut || sequential(&rt, || raw_once(&raw)),
            &mut || sequential(&rt, || raw_once(&bare)),
        ],
    );
    report("GET latency", &times, |t| format!("{:.1} us", median(t.to_vec()) * 1e6), paired, "<= 1.03");

    let sdk_batch = || async {
        let mut set = JoinSet::new();
        for _ in 0..IN_FLIGHT {
            let client = sdk.clone();
            set.spawn(async move { drop(client.get_backend("42", "my-backend").await.unwrap()) });
        }
        set.join_all().await;
    };
    let raw_batch = |client: &reqwest::Client| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let mut set = JoinSet::new();
            for _ in 0..IN_FLIGHT {
                let (client, url) = (client.clone(), url.clone());
                set.spawn(async move { drop(raw_get(&client, &url).await) });
            }
            set.join_all().await;
        }
    };
    let times = interleaved(
        ROUNDS,
        [
            &mut || batches(&rt, sdk_batch),
            &mut || batches(&rt, || raw_batch(&raw)),
            &mut || batches(&rt, || raw_batch(&bare)),
        ],
    );
    let calls = f64::from(BATCHES) * IN_FLIGHT as f64;
    report(
        &format!("GET throughput ({IN_FLIGHT} in flight)"),
        &times,
        |t| format!("{:.0}/s", calls / median(t.to_vec())),
        |a, b| paired(b, a),
        ">= 0.97",
    );
}
