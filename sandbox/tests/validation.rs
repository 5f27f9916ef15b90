//! Schema checks: each kind of violation is reported with its JSON Pointer,
//! all at once, in the spec's error body, and nothing is stored.

mod common;

use common::*;
use serde_json::{json, Value};

/// The page's body with `change` applied at `pointer` (`null` removes).
fn with(pointer: &str, change: Value) -> Value {
    let mut body = page_body();
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let target = body.pointer_mut(parent).unwrap();
    match (target, change) {
        (Value::Object(map), Value::Null) => {
            map.remove(key);
        }
        (Value::Object(map), value) => {
            map.insert(key.to_owned(), value);
        }
        (Value::Array(items), value) => items[key.parse::<usize>().unwrap()] = value,
        _ => panic!("{pointer}"),
    }
    body
}

async fn refused(body: &Value) -> Vec<(String, String)> {
    let sandbox = seeded().start().await.unwrap();
    let before = sandbox.state();
    let (status, answer, _) = put(&sandbox, "/v1/lbs/42/backends/my-backend", body).await;
    assert_eq!(status, 422, "{answer}");
    assert_spec_error(&answer);
    assert_eq!(sandbox.state(), before, "a refused body changed the state");
    let found = violations(&answer);
    // The message names every violation too.
    for (pointer, message) in &found {
        let line = format!("{pointer}: {message}");
        assert!(
            answer["message"].as_str().unwrap().contains(&line),
            "{line} not in {answer}"
        );
    }
    found
}

fn one(pointer: &str, message: &str) -> Vec<(String, String)> {
    vec![(pointer.to_owned(), message.to_owned())]
}

#[tokio::test]
async fn each_kind_of_violation_has_its_pointer() {
    let cases = [
        ("/mode", Value::Null, one("/mode", "is required")),
        ("/mode", json!("udp"), one("/mode", "\"udp\" is not one of \"http\", \"tcp\"")),
        ("/name", json!(""), one("/name", "must not be empty")),
        ("/name", json!(7), one("/name", "must be a string, not an integer")),
        ("/port", json!(0), one("/port", "0 is less than the minimum 1")),
        ("/port", json!(65536), one("/port", "65536 is greater than the maximum 65535")),
        ("/port", json!(true), one("/port", "must be an integer or a string, not a boolean")),
        ("/port", json!("80a"), one("/port", "\"80a\" does not match the pattern ^(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})$")),
        ("/servers/computer_ids", json!([]), one("/servers/computer_ids", "must not be empty")),
        ("/servers/computer_ids", json!(["23", "23"]), one("/servers/computer_ids", "has a repeated item \"23\"")),
        ("/servers/computer_ids", Value::Null, one("/servers/computer_ids", "is required")),
        ("/servers/type", json!("vm"), one("/servers/type", "unknown type \"vm\": expected one of \"computer\", \"ip\"")),
        ("/servers/type", Value::Null, one("/servers/type", "is required")),
        ("/options/sticky_session/ttl", json!("0m"), one("/options/sticky_session/ttl", "\"0m\" does not match the pattern ^0*[1-9][0-9]*(ms|s|m|h|d)$")),
        ("/options/health_check/path", json!("health"), one("/options/health_check/path", "\"health\" does not match the pattern ^/")),
        ("/options/tls", json!("yes"), one("/options/tls", "must be a boolean, not a string")),
        ("/options/proxy_protocol", json!("v3"), one("/options/proxy_protocol", "\"v3\" is not one of \"v1\", \"v2\"")),
    ];
    for (pointer, change, expected) in cases {
        assert_eq!(
            refused(&with(pointer, change.clone())).await,
            expected,
            "{pointer} = {change}"
        );
    }
}

#[tokio::test]
async fn ip_servers_are_checked_inside_their_variant() {
    let body = with(
        "/servers",
        json!({"type": "ip", "ips": ["10.0.0.5", "10.0.0.300", "2001:db8::5", 5]}),
    );
    assert_eq!(
        refused(&body).await,
        vec![
            (
                "/servers/ips/1".to_owned(),
                "\"10.0.0.300\" is not a valid ipv4 or ipv6".to_owned()
            ),
            (
                "/servers/ips/3".to_owned(),
                "must be a string, not an integer".to_owned()
            ),
        ]
    );
    // The computer variant's field is not asked of an ip one.
    let body = with("/servers", json!({"type": "ip", "computer_ids": ["1"]}));
    assert_eq!(refused(&body).await, one("/servers/ips", "is required"));
}

#[tokio::test]
async fn every_violation_is_reported_at_once() {
    let mut body = with("/port", json!(0));
    body["servers"]["computer_ids"] = json!([]);
    body["mode"] = json!("udp");
    body.as_object_mut().unwrap().remove("balancing_method");
    let mut found = refused(&body).await;
    found.sort();
    assert_eq!(
        found,
        vec![
            ("/balancing_method".to_owned(), "is required".to_owned()),
            (
                "/mode".to_owned(),
                "\"udp\" is not one of \"http\", \"tcp\"".to_owned()
            ),
            (
                "/port".to_owned(),
                "0 is less than the minimum 1".to_owned()
            ),
            (
                "/servers/computer_ids".to_owned(),
                "must not be empty".to_owned()
            ),
        ]
    );
}

#[tokio::test]
async fn the_body_must_be_an_object() {
    assert_eq!(
        refused(&json!([1])).await,
        one("", "must be an object, not an array")
    );
}

#[tokio::test]
async fn unknown_fields_are_accepted_and_kept() {
    let sandbox = seeded().start().await.unwrap();
    let mut body = page_body();
    body["later"] = json!({"x": 1});
    body["options"]["later_option"] = json!(true);
    let (status, answer, _) = put(&sandbox, "/v1/lbs/42/backends/my-backend", &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer, body);
    assert_eq!(sandbox.state()["42"]["api-backend"], body);
}
