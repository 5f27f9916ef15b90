//! Quickstart: the vendor's documented "Update a Backend" call.
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! Without `OPENSCALER_TOKEN` it starts a mock OpenScaler in this process (on
//! 127.0.0.1, nothing leaves the machine) that accepts exactly the page's
//! request, sends the page's update to it and prints what was sent and the
//! typed result.
//!
//! With `OPENSCALER_TOKEN` set it sends the same update to
//! `OPENSCALER_BASE_URL` (default: production), honouring
//! `OPENSCALER_TIMEOUT_SECS`: a smoke test of your credentials. On failure it
//! prints the error (status and the server's message, never the token) and
//! exits non-zero.

use std::{process::ExitCode, time::Duration};

use httpmock::{Method::PUT, MockServer};
use openscaler::{
    Backend, BalancingMethod, Client, HealthCheck, Mode, ProxyProtocol, Servers, StickySession,
};

const LB_ID: &str = "42";
const BACKEND_NAME: &str = "my-backend";

/// The page's example body.
fn page_backend() -> Result<Backend, openscaler::ValidationError> {
    Backend::named("api-backend")
        .mode(Mode::Http)
        .balancing_method(BalancingMethod::RoundRobin)
        .port(8080)
        .servers(Servers::computers(["23", "24"]))
        .tls(false)
        .tls_verify(false)
        .forward_for(true)
        .proxy_protocol(ProxyProtocol::V2)
        .sticky_session(StickySession::cookie("SERVERID", Duration::from_secs(300)))
        .health_check(
            HealthCheck::http("/health")
                .method("GET")
                .port(80)
                .expected_code(200)
                .host_header("example.com"),
        )
        .build()
}

/// A mock OpenScaler that answers the page's request, and only it, with the
/// page's response.
async fn mock_openscaler() -> MockServer {
    let page: serde_json::Value =
        serde_json::from_str(include_str!("../tests/fixtures/update-backend.json"))
            .expect("the embedded page example is JSON");
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(PUT)
                .path(format!("/v1/lbs/{LB_ID}/backends/{BACKEND_NAME}"))
                .header("authorization", "Bearer <token>")
                .header("content-type", "application/json")
                .json_body(page["body"].clone());
            then.status(200)
                .header("content-type", "application/json")
                .header("x-request-id", "mock-1")
                .json_body(page["response"]["body"].clone());
        })
        .await;
    server
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let backend = match page_backend() {
        Ok(backend) => backend,
        Err(problems) => {
            eprintln!("error: {problems}");
            return ExitCode::FAILURE;
        }
    };

    let live = std::env::var_os(openscaler::ENV_TOKEN).is_some_and(|t| !t.is_empty());
    let mock = if live {
        None
    } else {
        Some(mock_openscaler().await)
    };
    let client = match &mock {
        Some(server) => Client::builder()
            .base_url(server.base_url())
            .token("<token>")
            .build(),
        None => Client::from_env(),
    };
    let client = match client {
        Ok(client) => client,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };

    let target = if live {
        "OpenScaler"
    } else {
        "the in-process mock OpenScaler (no OPENSCALER_TOKEN set)"
    };
    println!(
        "PUT {}/v1/lbs/{LB_ID}/backends/{BACKEND_NAME} on {target}",
        client.base_url()
    );
    match serde_json::to_string_pretty(&backend) {
        Ok(body) => println!("body sent:\n{body}"),
        Err(error) => eprintln!("cannot show the body: {error}"),
    }

    match client.update_backend(LB_ID, BACKEND_NAME, &backend).await {
        Ok(updated) => {
            println!("typed result:\n{updated:#?}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
