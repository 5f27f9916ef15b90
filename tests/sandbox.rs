//! The SDK against the sandbox, a stand-in OpenScaler known only from
//! `openapi.yaml`: state, error answers with their request ids, and faults.
//! What is asserted holds whatever the retry policy's numbers are.

mod support;

use openscaler::ErrorKind;
use openscaler_sandbox::Sandbox;
use serde_json::json;
use support::{client, page_backend};

fn stored(name: &str) -> serde_json::Value {
    json!({
        "name": name, "mode": "tcp", "balancing_method": "first",
        "port": 80, "servers": {"type": "ip", "ips": ["10.0.0.5"]}
    })
}

/// A sandbox with my-backend stored on lb 42, and `faults`.
async fn seeded(faults: &str) -> Sandbox {
    Sandbox::builder()
        .backend("42", stored("my-backend"))
        .faults(faults)
        .start()
        .await
        .unwrap()
}

/// The page's update renames my-backend to api-backend; the state shows it.
#[tokio::test]
async fn an_update_is_stored_under_the_body_name() {
    let sandbox = seeded("").await;
    let updated = client(sandbox.base_url())
        .update_backend("42", "my-backend", page_backend())
        .await
        .unwrap();
    let state = sandbox.state();
    assert_eq!(
        state["42"].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["api-backend"]
    );
    assert_eq!(
        state["42"]["api-backend"],
        serde_json::to_value(&updated).unwrap()
    );
}

/// A 404 from the sandbox: the error carries the status, the server's
/// message and the request id the journal recorded; it is not retried.
#[tokio::test]
async fn a_missing_backend_is_a_404_with_message_and_request_id() {
    // Nothing stored (a fresh sandbox would hold the page's backend).
    let sandbox = Sandbox::builder().empty().start().await.unwrap();
    let error = client(sandbox.base_url())
        .update_backend("42", "my-backend", page_backend())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Status);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(
        error.message(),
        Some("backend_name \"my-backend\" not found on lb_id \"42\"")
    );
    let journal = sandbox.requests();
    assert_eq!(journal.len(), 1, "a 404 was retried");
    assert_eq!(error.request_id(), Some(journal[0].id.as_str()));
    assert_eq!(error.attempts(), 1);
}

/// A token the sandbox does not accept: 401, not retried, and the token is
/// in neither the error nor the journal.
#[tokio::test]
async fn a_refused_token_is_a_401_and_stays_secret() {
    let sandbox = Sandbox::builder()
        .token("the-right-one")
        .backend("42", stored("my-backend"))
        .start()
        .await
        .unwrap();
    let error = client(sandbox.base_url())
        .update_backend("42", "my-backend", page_backend())
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(sandbox.requests().len(), 1);
    let shown = format!("{error} {error:?} {:?}", sandbox.requests());
    assert!(!shown.contains("<token>"), "{shown}");
}

/// Every call to a sandbox that always answers 503 is retried, and the
/// error's attempt count is what the sandbox received.
#[tokio::test]
async fn injected_503s_are_retried_and_counted() {
    let sandbox = seeded("503=1").await;
    let error = client(sandbox.base_url())
        .update_backend("42", "my-backend", page_backend())
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    let journal = sandbox.requests();
    assert!(journal.len() > 1, "a 503 was not retried");
    assert_eq!(error.attempts() as usize, journal.len());
    assert!(journal.iter().all(|e| e.fault.as_deref() == Some("503")));
    assert!(
        sandbox.state()["42"].get("my-backend").is_some(),
        "a faulted request changed the state"
    );
}

/// Connection resets are retried like other transport failures; with the
/// sandbox's seed the run is the same every time.
#[tokio::test]
async fn a_reset_then_success_succeeds() {
    // Seed 0 draws a reset first, then no fault (checked below).
    let sandbox = Sandbox::builder()
        .backend("42", stored("my-backend"))
        .faults("reset=0.5")
        .seed(0)
        .start()
        .await
        .unwrap();
    let result = client(sandbox.base_url())
        .update_backend("42", "my-backend", page_backend())
        .await;
    let faults: Vec<Option<String>> = sandbox.requests().into_iter().map(|e| e.fault).collect();
    assert_eq!(faults, [Some("reset".to_owned()), None], "{result:?}");
    assert!(result.is_ok(), "{result:?}");
}
