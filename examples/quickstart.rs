//! Quickstart: the vendor's documented "Update a Backend" call.
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! Without `OPENSCALER_TOKEN` it starts the sandbox in this process (a
//! stand-in OpenScaler on 127.0.0.1 that checks requests against
//! `openapi.yaml` and keeps state; nothing leaves the machine), stores the
//! backend `my-backend` on load balancer `42` in it, sends the page's update,
//! and prints the typed result and the sandbox's journal entry: what went
//! over the wire, token redacted.
//!
//! With `OPENSCALER_TOKEN` set it sends the same update to
//! `OPENSCALER_BASE_URL` (default: production), honouring
//! `OPENSCALER_TIMEOUT_SECS`: a smoke test of your credentials. On failure it
//! prints the error (status and the server's message, never the token) and
//! exits non-zero.

use std::{process::ExitCode, time::Duration};

use openscaler::{
    Backend, BalancingMethod, Client, HealthCheck, Mode, ProxyProtocol, Servers, StickySession,
};
use openscaler_sandbox::Sandbox;
use serde_json::json;

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

/// The sandbox, with a backend `my-backend` stored on load balancer `42`
/// for the page's update to replace (it updates only stored backends).
async fn sandbox() -> Result<Sandbox, openscaler_sandbox::Error> {
    Sandbox::builder()
        .backend(
            LB_ID,
            json!({
                "name": BACKEND_NAME,
                "mode": "tcp",
                "balancing_method": "leastconn",
                "port": 80,
                "servers": { "type": "ip", "ips": ["10.0.0.5"] }
            }),
        )
        .start()
        .await
}

/// Prints the sandbox's journal entry of the last request.
fn print_journal(sandbox: &Sandbox) {
    if let Some(entry) = sandbox.requests().last() {
        match serde_json::to_string_pretty(entry) {
            Ok(text) => println!("the sandbox's journal entry (what went over the wire):\n{text}"),
            Err(error) => eprintln!("cannot show the journal entry: {error}"),
        }
    }
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
    let sandbox = if live {
        None
    } else {
        match sandbox().await {
            Ok(sandbox) => Some(sandbox),
            Err(error) => {
                eprintln!("error: cannot start the sandbox: {error}");
                return ExitCode::FAILURE;
            }
        }
    };
    let client = match &sandbox {
        Some(sandbox) => Client::builder()
            .base_url(sandbox.base_url())
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
        "the in-process sandbox (no OPENSCALER_TOKEN set)"
    };
    println!(
        "PUT {}/v1/lbs/{LB_ID}/backends/{BACKEND_NAME} on {target}",
        client.base_url()
    );
    match serde_json::to_string_pretty(&backend) {
        Ok(body) => println!("body sent:\n{body}"),
        Err(error) => eprintln!("cannot show the body: {error}"),
    }

    let outcome = client.update_backend(LB_ID, BACKEND_NAME, &backend).await;
    if let Some(sandbox) = &sandbox {
        print_journal(sandbox);
    }
    match outcome {
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
