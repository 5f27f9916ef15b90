//! Both `servers` variants and both port forms, to the wire and back; path
//! parameters that must stay one segment.

mod support;

use openscaler::{Port, Servers};
use openscaler_sandbox::Sandbox;
use serde_json::{json, Value};
use support::{page_backend, RawServer, Reply};

/// Sends `servers` and `port` in a backend to the sandbox, which checks the
/// body against `openapi.yaml` and answers it back; checks the body that
/// went out and what the client parsed.
async fn round_trip(servers: Servers, port: Port, expected_servers: Value, expected_port: Value) {
    let mut backend = page_backend();
    backend.servers = servers.clone();
    backend.port = port.clone();
    let mut wire = support::golden().body;
    wire["servers"] = expected_servers;
    wire["port"] = expected_port;

    let mut stored = wire.clone();
    stored["name"] = json!("my-backend");
    let sandbox = Sandbox::builder()
        .backend("42", stored)
        .start()
        .await
        .unwrap();
    let updated = support::client(sandbox.base_url())
        .update_backend("42", "my-backend", backend)
        .await
        .unwrap();
    let journal = sandbox.requests();
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0].body.as_ref(), Some(&wire));
    assert_eq!(journal[0].validation.as_ref().map(|v| v.valid), Some(true));
    assert_eq!(updated.servers, servers);
    assert_eq!(updated.port, port);
}

#[tokio::test]
async fn computer_servers_and_a_numeric_port() {
    round_trip(
        Servers::computers(["23", "24"]),
        Port::from(8080),
        json!({"type": "computer", "computer_ids": ["23", "24"]}),
        json!(8080),
    )
    .await;
}

#[tokio::test]
async fn ip_servers_and_a_string_port() {
    round_trip(
        Servers::ips(["10.0.0.5", "2001:db8::5"]),
        Port::from("8443"),
        json!({"type": "ip", "ips": ["10.0.0.5", "2001:db8::5"]}),
        json!("8443"),
    )
    .await;
}

#[tokio::test]
async fn ip_servers_from_ip_addr_values() {
    let addrs: [std::net::IpAddr; 2] = ["192.0.2.1".parse().unwrap(), "::1".parse().unwrap()];
    round_trip(
        Servers::ips(addrs),
        Port::from(1),
        json!({"type": "ip", "ips": ["192.0.2.1", "::1"]}),
        json!(1),
    )
    .await;
}

/// Characters that mean something in a URL are percent-encoded, so each
/// path value arrives as one segment and decodes back to itself.
#[tokio::test]
async fn path_parameters_stay_one_segment() {
    let cases = [
        ("a/b", "c/d"),
        ("why?", "x#y"),
        ("50%", "%2F"),
        ("with space", "tab\there"),
        ("ünïcødé", "名前"),
        ("..a", "a.."),
    ];
    let server = RawServer::start(vec![Reply::json(200, &support::golden().response)]);
    let client = support::client(&server.base_url());
    for (lb_id, backend_name) in cases {
        client
            .update_backend(lb_id, backend_name, page_backend())
            .await
            .unwrap();
    }
    let requests = server.requests();
    assert_eq!(requests.len(), cases.len());
    for ((lb_id, backend_name), request) in cases.iter().zip(&requests) {
        let segments: Vec<&str> = request.target.split('/').collect();
        assert_eq!(segments.len(), 6, "{} has extra segments", request.target);
        assert_eq!(&segments[..4], ["", "v1", "lbs", segments[3]]);
        assert_eq!(segments[4], "backends");
        assert!(
            !request.target.contains(['?', '#', ' ']),
            "{}",
            request.target
        );
        assert_eq!(percent_decode(segments[3]), *lb_id, "{}", request.target);
        assert_eq!(
            percent_decode(segments[5]),
            *backend_name,
            "{}",
            request.target
        );
    }
}

fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&segment[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}
