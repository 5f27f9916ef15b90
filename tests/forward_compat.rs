//! Read lenient, write strict: values and fields this version does not know
//! are read, kept, and sent back unchanged.

mod support;

use openscaler::{BalancingMethod, Mode, Servers};
use serde_json::{json, Value};
use support::{RawServer, Reply};

/// A backend as a later API version might send it.
fn from_the_future() -> Value {
    json!({
        "name": "api-backend",
        "mode": "quic",
        "balancing_method": "random",
        "port": "8080",
        "servers": {"type": "pool", "pool_id": "p-7", "weights": {"a": 2}},
        "options": {
            "tls": true,
            "proxy_protocol": "v3",
            "sticky_session": {"type": "header", "cookie": "X-Session", "ttl": "1h", "secure": true},
            "health_check": {"type": "grpc", "port": 9000, "service": "health.v1"},
            "timeout_ms": 2500
        },
        "created_at": "2027-01-01T00:00:00Z"
    })
}

#[test]
fn unknown_values_and_fields_parse() {
    let backend: openscaler::Backend = serde_json::from_value(from_the_future()).unwrap();
    assert_eq!(backend.mode, Mode::Unknown("quic".into()));
    assert!(!backend.mode.is_known());
    assert_eq!(
        backend.balancing_method,
        BalancingMethod::Unknown("random".into())
    );
    assert_eq!(backend.servers.type_name(), "pool");
    assert!(matches!(backend.servers, Servers::Unknown(_)));
    assert_eq!(backend.extra["created_at"], "2027-01-01T00:00:00Z");
    assert_eq!(backend.options.as_ref().unwrap().extra["timeout_ms"], 2500);
    // Nothing in it is ours to refuse: it came from the server.
    backend.validate().unwrap();
}

/// Unknown fields inside a known `servers` form are kept too.
#[test]
fn unknown_fields_in_known_servers_are_kept() {
    let wire = json!({"type": "computer", "computer_ids": ["23"], "zone": "eu-1"});
    let servers: Servers = serde_json::from_value(wire.clone()).unwrap();
    assert_eq!(servers.type_name(), "computer");
    assert_eq!(serde_json::to_value(&servers).unwrap(), wire);
}

/// Read, change one field, write: everything else goes back as it came.
#[tokio::test]
async fn read_modify_write_loses_nothing() {
    let original = from_the_future();
    let server = RawServer::start(vec![Reply::json(200, &original)]);
    let client = support::client(&server.base_url());

    let mut backend: openscaler::Backend = serde_json::from_value(original.clone()).unwrap();
    backend.name = "renamed".into();
    let echoed = client
        .update_backend("42", "api-backend", backend)
        .await
        .unwrap();
    assert_eq!(serde_json::to_value(&echoed).unwrap(), original);

    let sent: Value = serde_json::from_slice(&server.requests()[0].body).unwrap();
    let mut expected = original;
    expected["name"] = json!("renamed");
    assert_eq!(sent, expected);
}
