//! Invalid input is refused with every problem, each naming its field and
//! value, and nothing reaches the server.

mod support;

use std::time::Duration;

use httpmock::MockServer;
use openscaler::{Backend, BalancingMethod, ErrorKind, HealthCheck, Mode, Servers, StickySession};
use support::page_backend;

/// (field, value) of each problem, in order.
fn problems(error: &openscaler::ValidationError) -> Vec<(String, String)> {
    error
        .problems()
        .iter()
        .map(|p| (p.field().to_owned(), p.value().to_owned()))
        .collect()
}

#[test]
fn build_reports_every_problem_with_field_and_value() {
    let error = Backend::named("")
        .mode(Mode::Tcp)
        .balancing_method(BalancingMethod::LeastConn)
        .port(0)
        .servers(Servers::computers(["23", "", "23"]))
        .sticky_session(StickySession::cookie("", Duration::ZERO))
        .health_check(
            HealthCheck::http("health")
                .method("")
                .port(0)
                .expected_code(600)
                .host_header(""),
        )
        .build()
        .unwrap_err();
    let expected = [
        ("name", r#""""#),
        ("port", "0"),
        ("servers.computer_ids[1]", r#""""#),
        ("servers.computer_ids[2]", r#""23""#),
        ("options.sticky_session.cookie", r#""""#),
        ("options.sticky_session.ttl", r#""0ms""#),
        ("options.health_check.path", r#""health""#),
        ("options.health_check.method", r#""""#),
        ("options.health_check.port", "0"),
        ("options.health_check.expected_code", r#""600""#),
        ("options.health_check.host_header", r#""""#),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(f, v)| (f.to_string(), v.to_string()))
        .collect();
    assert_eq!(problems(&error), expected);
    assert!(
        error
            .to_string()
            .contains(r#"servers.computer_ids[2]: "23" repeats servers.computer_ids[0]"#),
        "{error}"
    );
}

/// Repeats are found however long the list: among the first values, past
/// them, and between the two.
#[test]
fn repeats_are_found_in_long_lists() {
    let mut ids: Vec<String> = (0..12).map(|n| format!("id{n}")).collect();
    ids.extend(["id3", "id10", "id11", "id0", "id12", "id12"].map(String::from));
    let error = Backend::named("b")
        .mode(Mode::Http)
        .balancing_method(BalancingMethod::First)
        .port(80)
        .servers(Servers::computers(ids))
        .build()
        .unwrap_err();
    let messages: Vec<String> = error.problems().iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            r#"servers.computer_ids[12]: "id3" repeats servers.computer_ids[3]"#,
            r#"servers.computer_ids[13]: "id10" repeats servers.computer_ids[10]"#,
            r#"servers.computer_ids[14]: "id11" repeats servers.computer_ids[11]"#,
            r#"servers.computer_ids[15]: "id0" repeats servers.computer_ids[0]"#,
            r#"servers.computer_ids[17]: "id12" repeats servers.computer_ids[16]"#,
        ]
    );
}

#[test]
fn ip_addresses_and_string_ports_are_checked() {
    let error = Backend::named("b")
        .mode(Mode::Http)
        .balancing_method(BalancingMethod::First)
        .port("80a")
        .servers(Servers::ips([
            "10.0.0.1",
            "10.0.0.300",
            "::1",
            "0:0::1",
            "example.com",
        ]))
        .build()
        .unwrap_err();
    let fields: Vec<_> = problems(&error);
    assert_eq!(
        fields,
        [
            ("port".into(), r#""80a""#.into()),
            ("servers.ips[1]".into(), r#""10.0.0.300""#.into()),
            ("servers.ips[3]".into(), r#""0:0::1""#.into()),
            ("servers.ips[4]".into(), r#""example.com""#.into()),
        ]
    );
}

#[test]
fn empty_server_lists_are_refused() {
    for servers in [
        Servers::computers(Vec::<String>::new()),
        Servers::ips(Vec::<String>::new()),
    ] {
        let error = Backend::named("b")
            .mode(Mode::Http)
            .balancing_method(BalancingMethod::First)
            .port(80)
            .servers(servers)
            .build()
            .unwrap_err();
        assert_eq!(error.problems().len(), 1);
        assert!(error.problems()[0].field().starts_with("servers."));
        assert_eq!(error.problems()[0].value(), "[]");
    }
}

#[test]
fn valid_edges_pass() {
    let backend = Backend::named("b")
        .mode(Mode::Http)
        .balancing_method(BalancingMethod::First)
        .port("65535")
        .servers(Servers::ips(["2001:db8::1", "192.0.2.1"]))
        .sticky_session(StickySession::cookie("c", Duration::from_millis(1)))
        .health_check(HealthCheck::http("/").expected_code(100).port(65535))
        .build();
    assert!(backend.is_ok(), "{backend:?}");
}

/// Refused input sends nothing: the server sees no request at all.
#[tokio::test]
async fn refused_input_sends_nothing() {
    let server = MockServer::start_async().await;
    let anything = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200);
        })
        .await;
    let client = support::client(&server.base_url());

    let mut invalid = page_backend();
    invalid.port = 0.into();
    invalid.servers = Servers::computers(["1", "1"]);
    let error = client
        .update_backend("42", "my-backend", invalid)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert_eq!(error.attempts(), 0);
    assert_eq!(error.validation().unwrap().problems().len(), 2, "{error}");
    assert!(
        error
            .to_string()
            .starts_with("invalid input, nothing was sent: port: 0"),
        "{error}"
    );

    for (lb_id, backend_name, field) in [
        ("", "b", "lb_id"),
        ("42", "..", "backend_name"),
        (".", "b", "lb_id"),
    ] {
        let error = client
            .update_backend(lb_id, backend_name, page_backend())
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
        assert_eq!(error.validation().unwrap().problems()[0].field(), field);
    }

    anything.assert_calls_async(0).await;
}
