//! What both benchmarks share: the page's backend, the two clients and the
//! hand-written call.

use openscaler::Backend;

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

/// The floor: a plain reqwest client with the same timeouts and User-Agent.
pub fn raw(base_url: &str) -> (reqwest::Client, String) {
    let client = reqwest::Client::builder()
        .user_agent(openscaler::USER_AGENT)
        .connect_timeout(openscaler::DEFAULT_CONNECT_TIMEOUT)
        .timeout(openscaler::DEFAULT_TIMEOUT)
        .build()
        .unwrap();
    (client, format!("{base_url}/v1/lbs/42/backends/my-backend"))
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
