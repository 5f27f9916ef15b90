//! What both benchmarks share: the page's backend, the clients and the
//! hand-written call.

use openscaler::Backend;

pub mod timing;

pub const TOKEN: &str = "bench-token";

pub fn page_backend() -> Backend {
    crate::support::page_backend_from_builder()
}

/// The SDK with its defaults (3 attempts, 10 s connect and 30 s attempt
/// timeouts).
pub fn sdk(base_url: &str) -> openscaler::Client {
    openscaler::Client::builder()
        .base_url(base_url)
        .token(TOKEN)
        .build()
        .unwrap()
}

/// The floor: a plain reqwest client with the SDK's timeouts and User-Agent.
pub fn raw(base_url: &str) -> (reqwest::Client, String) {
    let client = reqwest::Client::builder()
        .user_agent(openscaler::USER_AGENT)
        .connect_timeout(openscaler::DEFAULT_CONNECT_TIMEOUT)
        .timeout(openscaler::DEFAULT_TIMEOUT)
        .build()
        .unwrap();
    (client, url(base_url))
}

/// The second floor: reqwest with its defaults (no timeouts), only the
/// SDK's User-Agent set so that the request is byte for byte the same as
/// [`raw`]'s. The difference between the two floors is what the timeouts
/// cost.
pub fn bare(base_url: &str) -> (reqwest::Client, String) {
    let client = reqwest::Client::builder()
        .user_agent(openscaler::USER_AGENT)
        .build()
        .unwrap();
    (client, url(base_url))
}

fn url(base_url: &str) -> String {
    format!("{base_url}/v1/lbs/42/backends/my-backend")
}

/// The hand-written call: the same bearer header and body out, the same
/// typed `Backend` back.
pub async fn raw_put(client: &reqwest::Client, url: &str, backend: &Backend) -> Backend {
    client
        .put(url)
        .bearer_auth(TOKEN)
        .json(backend)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json::<Backend>()
        .await
        .unwrap()
}
