//! What users see when calls fail, pinned line by line: each test here
//! catches a change to the failure paths that the other tests let through
//! (found by `cargo mutants`; see README.md, "Mutation testing").

mod support;

use std::{error::Error as _, time::Duration};

use openscaler::{
    Backend, BalancingMethod, Client, ErrorKind, HealthCheckType, Mode, Port, ProxyProtocol,
    RetryPolicy, Servers, StickySessionType,
};
use support::{page_backend, RawServer, Reply};

fn refused_address() -> String {
    // Bind, note the port, close: nothing listens there now.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    format!("http://{addr}")
}

/// A refused connection is a failure, not a timeout, in every form the
/// error takes; its cause stays reachable through `source()`.
#[tokio::test]
async fn a_refused_connection_is_not_a_timeout() {
    let error = support::client_with(&refused_address(), RetryPolicy::none())
        .update_backend("42", "my-backend", page_backend())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport);
    assert!(!error.is_timeout(), "{error:?}");
    let line = error.to_string();
    assert!(line.starts_with("request to OpenScaler failed ("), "{line}");
    assert!(!line.contains("timed out"), "{line}");
    assert!(line.ends_with(" after 1 attempt"), "{line}");
    let source = error.source().expect("a transport error has a source");
    assert!(
        source.downcast_ref::<reqwest::Error>().is_some(),
        "{source:?}"
    );
    // Somewhere down the chain: the operating system's refusal.
    let mut chain = Some(source);
    let mut refused = false;
    while let Some(e) = chain {
        refused |= e
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused);
        chain = e.source();
    }
    assert!(refused, "{error:?}");
}

/// A timeout says "timed out", and only a timeout does.
#[tokio::test]
async fn a_timeout_says_timed_out() {
    let server = RawServer::start(vec![Reply::Silence(Duration::from_secs(5))]);
    let client = Client::builder()
        .base_url(server.base_url())
        .token("t")
        .timeout(Duration::from_millis(200))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let error = client
        .update_backend("42", "b", page_backend())
        .await
        .unwrap_err();
    assert!(error.is_timeout());
    let line = error.to_string();
    assert!(
        line.starts_with("request to OpenScaler timed out ("),
        "{line}"
    );
    assert!(!line.contains("failed"), "{line}");
}

/// A 200 that is not a backend: the JSON parser's complaint is the source.
#[tokio::test]
async fn an_unreadable_success_keeps_the_parse_error_as_its_source() {
    let server = RawServer::start(vec![Reply::json(200, &serde_json::json!({"name": 7}))]);
    let error = support::client(&server.base_url())
        .update_backend("42", "my-backend", page_backend())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidResponse);
    let source = error.source().expect("the parse error");
    assert!(
        source.downcast_ref::<serde_json::Error>().is_some(),
        "{source:?}"
    );
    let line = error.to_string();
    assert!(
        line.starts_with("OpenScaler answered 200 OK with a body this client cannot read: body: "),
        "{line}"
    );
}

/// Refused input: the validation error is the source, every problem is in
/// the line, separated by "; ".
#[tokio::test]
async fn refused_input_lists_every_problem_separated_by_semicolons() {
    let mut invalid = page_backend();
    invalid.port = 0.into();
    invalid.servers = Servers::computers(["1", "1"]);
    let error = support::client(&refused_address())
        .update_backend("42", "my-backend", invalid)
        .await
        .unwrap_err();
    let validation = error
        .source()
        .and_then(|s| s.downcast_ref::<openscaler::ValidationError>())
        .expect("the validation error is the source");
    assert_eq!(validation.problems().len(), 2);
    assert_eq!(error.validation(), Some(validation));
    assert_eq!(
        error.to_string(),
        "invalid input, nothing was sent: port: 0 must be from 1 to 65535; \
         servers.computer_ids[1]: \"1\" repeats servers.computer_ids[0]"
    );
}

/// Each problem's message says what is wrong, readable on its own.
#[test]
fn problems_carry_their_messages() {
    let error = Backend::named("")
        .mode(Mode::Http)
        .balancing_method(BalancingMethod::First)
        .port("080")
        .servers(Servers::ips(["10.0.0.300"]))
        .build()
        .unwrap_err();
    let messages: Vec<(&str, &str, &str)> = error
        .problems()
        .iter()
        .map(|p| (p.field(), p.value(), p.message()))
        .collect();
    assert_eq!(
        messages,
        [
            ("name", r#""""#, "must not be empty"),
            (
                "port",
                r#""080""#,
                "must be a port from 1 to 65535 in decimal digits"
            ),
            (
                "servers.ips[0]",
                r#""10.0.0.300""#,
                "is not an IPv4 or IPv6 address"
            ),
        ]
    );
    assert_eq!(
        error.to_string(),
        r#"name: "" must not be empty; port: "080" must be a port from 1 to 65535 in decimal digits; servers.ips[0]: "10.0.0.300" is not an IPv4 or IPv6 address"#
    );
}

/// A base URL with credentials is refused, a user name alone included.
#[test]
fn a_base_url_with_only_a_user_name_is_refused() {
    for url in ["https://user@example.com", "https://:pw@example.com"] {
        let error = Client::builder()
            .token("t")
            .base_url(url)
            .build()
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Config, "{url}");
        assert!(
            error.to_string().contains("credentials in the URL"),
            "{error}"
        );
    }
}

/// `connect_timeout` sets one thing and keeps the rest of the builder.
#[test]
fn connect_timeout_keeps_the_builder() {
    let client = Client::builder()
        .base_url("http://127.0.0.1:9")
        .token("t")
        .connect_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    assert_eq!(client.base_url(), "http://127.0.0.1:9");
    let shown = format!(
        "{:?}",
        Client::builder().connect_timeout(Duration::from_millis(1500))
    );
    assert!(shown.contains("connect_timeout: Some(1.5s)"), "{shown}");
}

/// Both forms of a port print as they are written.
#[test]
fn ports_print_as_written() {
    assert_eq!(Port::from(8080).to_string(), "8080");
    assert_eq!(Port::from("08080").to_string(), "08080");
    assert_eq!(format!("[{}]", Port::from("")), "[]");
}

/// Every value of every string enum: its wire text, `Display`, parsing,
/// `is_known`, and an unknown value kept verbatim (the `open_enum!` macro's
/// code, which cargo-mutants cannot mutate).
#[test]
fn string_enums_round_trip_every_value() {
    fn check<T>(known: &[&str], unknown: T)
    where
        T: std::str::FromStr<Err = std::convert::Infallible>
            + for<'a> From<&'a str>
            + From<String>
            + std::fmt::Display
            + std::fmt::Debug
            + PartialEq
            + serde::Serialize
            + serde::de::DeserializeOwned,
    {
        let mut seen = Vec::new();
        for wire in known {
            let value: T = wire.parse().unwrap();
            assert_eq!(value.to_string(), *wire);
            assert_eq!(T::from(wire.to_string()), value);
            assert_eq!(
                serde_json::to_value(&value).unwrap(),
                serde_json::json!(wire)
            );
            assert_eq!(
                serde_json::from_value::<T>(serde_json::json!(wire)).unwrap(),
                value
            );
            assert!(!seen.contains(&value), "{wire} is not its own variant");
            seen.push(value);
        }
        assert_eq!(unknown.to_string(), "later-value");
        assert_eq!(T::from("later-value".to_owned()), unknown);
        assert!(!seen.contains(&unknown));
    }
    check::<Mode>(&["http", "tcp"], Mode::Unknown("later-value".into()));
    check::<BalancingMethod>(
        &["roundrobin", "leastconn", "first"],
        BalancingMethod::Unknown("later-value".into()),
    );
    check::<ProxyProtocol>(&["v1", "v2"], ProxyProtocol::Unknown("later-value".into()));
    check::<StickySessionType>(
        &["cookie"],
        StickySessionType::Unknown("later-value".into()),
    );
    check::<HealthCheckType>(
        &["http", "tcp"],
        HealthCheckType::Unknown("later-value".into()),
    );

    assert_eq!(Mode::KNOWN, ["http", "tcp"]);
    assert_eq!(BalancingMethod::KNOWN, ["roundrobin", "leastconn", "first"]);
    assert_eq!(ProxyProtocol::KNOWN, ["v1", "v2"]);
    assert_eq!(StickySessionType::KNOWN, ["cookie"]);
    assert_eq!(HealthCheckType::KNOWN, ["http", "tcp"]);
    assert!(Mode::Http.is_known() && Mode::Tcp.is_known());
    assert!(!Mode::from("udp").is_known());
    assert_eq!(Mode::from("udp").as_str(), "udp");
    assert_eq!(BalancingMethod::LeastConn.as_str(), "leastconn");
}

/// `Debug` shows what is known about the call and leaves out what is not:
/// no attempts for an error raised before sending.
#[tokio::test]
async fn debug_shows_attempts_only_when_something_was_sent() {
    let server = RawServer::start(vec![Reply::json(
        503,
        &serde_json::json!({"message": "busy"}),
    )]);
    let error = support::client(&server.base_url())
        .update_backend("42", "my-backend", page_backend())
        .await
        .unwrap_err();
    let shown = format!("{error:?}");
    assert!(shown.contains("attempts: 3"), "{shown}");
    assert!(shown.contains("status: 503"), "{shown}");

    let refused = support::client(&server.base_url())
        .update_backend("", "my-backend", page_backend())
        .await
        .unwrap_err();
    assert_eq!(refused.attempts(), 0);
    let shown = format!("{refused:?}");
    assert!(!shown.contains("attempts"), "{shown}");
    assert!(shown.contains("problems"), "{shown}");
}

/// What an error says about its attempts, for each order of failures: the
/// status, request id and `Retry-After` describe the last attempt only
/// (`None` when it got no answer), and the message names the last
/// attempt's failure first, then the latest earlier answer as such.
#[tokio::test]
async fn errors_say_which_attempt_they_describe() {
    let busy = |id: &str| {
        Reply::http(
            503,
            &[("x-request-id", id), ("content-type", "application/json")],
            br#"{"message":"busy"}"#,
        )
    };
    let reset = || Reply::Close;
    struct Order {
        replies: Vec<Reply>,
        status: Option<u16>,
        request_id: Option<&'static str>,
        kind: openscaler::ErrorKind,
        /// How the message ends, after "after 3 attempts".
        tail: &'static str,
    }
    let orders = [
        Order {
            replies: vec![busy("a"), busy("b"), reset()],
            status: None,
            request_id: None,
            kind: openscaler::ErrorKind::Transport,
            tail:
                "after 3 attempts; attempt 2 was answered 503 Service Unavailable [x-request-id b]",
        },
        Order {
            replies: vec![busy("a"), reset(), reset()],
            status: None,
            request_id: None,
            kind: openscaler::ErrorKind::Transport,
            tail:
                "after 3 attempts; attempt 1 was answered 503 Service Unavailable [x-request-id a]",
        },
        Order {
            replies: vec![reset(), reset(), busy("c")],
            status: Some(503),
            request_id: Some("c"),
            kind: openscaler::ErrorKind::Status,
            tail: "[x-request-id c] after 3 attempts",
        },
        Order {
            replies: vec![busy("a"), reset(), busy("c")],
            status: Some(503),
            request_id: Some("c"),
            kind: openscaler::ErrorKind::Status,
            tail: "[x-request-id c] after 3 attempts",
        },
        Order {
            replies: vec![reset(), reset(), reset()],
            status: None,
            request_id: None,
            kind: openscaler::ErrorKind::Transport,
            tail: "after 3 attempts",
        },
    ];
    for order in orders {
        let server = RawServer::start(order.replies);
        let error = support::client(&server.base_url())
            .update_backend("42", "my-backend", page_backend())
            .await
            .unwrap_err();
        let text = error.to_string();
        assert_eq!(error.attempts(), 3, "{text}");
        assert_eq!(error.kind(), order.kind, "{text}");
        assert_eq!(error.status().map(|s| s.as_u16()), order.status, "{text}");
        assert_eq!(error.request_id(), order.request_id, "{text}");
        assert!(text.ends_with(order.tail), "{text}");
        if order.kind == openscaler::ErrorKind::Transport {
            assert!(text.starts_with("request to OpenScaler failed ("), "{text}");
            assert_eq!(error.retry_after(), None, "{text}");
        }
    }
}
