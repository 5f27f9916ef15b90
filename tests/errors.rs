//! Error answers from the API give errors that carry the status and the
//! server's message. Uses the generated typed httpmock helpers.

mod support;

use httpmock::MockServer;
use openscaler::{mock::MockServerExt, ErrorBody, ErrorKind};
use support::page_backend;

async fn answer(status: u16, message: &str) -> openscaler::Error {
    let server = MockServer::start_async().await;
    let body = ErrorBody {
        message: message.to_owned(),
    };
    let mock = server.update_backend(|when, then| {
        when.lb_id("42").backend_name("my-backend");
        if status < 500 {
            then.client_error(status, &body);
        } else {
            then.server_error(status, &body);
        }
    });
    let error = support::client(&server.base_url())
        .update_backend("42", "my-backend", page_backend())
        .await
        .unwrap_err();
    mock.assert();
    error
}

#[tokio::test]
async fn client_and_server_errors_carry_status_and_message() {
    for (status, message) in [
        (400, "port must be an integer"),
        (401, "invalid token"),
        (404, "load balancer 42 not found"),
        (500, "internal error"),
    ] {
        let error = answer(status, message).await;
        assert_eq!(error.kind(), ErrorKind::Status, "{error}");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(error.message(), Some(message));
        assert_eq!(error.attempts(), 1);
        let line = error.to_string();
        assert!(
            line.contains(&status.to_string()) && line.contains(message),
            "{line}"
        );
        assert!(!line.contains('\n'), "{line}");
    }
}

#[tokio::test]
async fn the_typed_ok_helper_answers_with_a_backend() {
    let server = MockServer::start_async().await;
    let backend = page_backend();
    let mock = server.update_backend(|when, then| {
        when.lb_id("42").backend_name("my-backend").body(&backend);
        then.ok(&backend);
    });
    let updated = support::client(&server.base_url())
        .update_backend("42", "my-backend", &backend)
        .await
        .unwrap();
    mock.assert();
    assert_eq!(updated, backend);
}

#[tokio::test]
async fn the_request_id_is_reported() {
    let server = support::RawServer::start(vec![support::Reply::http(
        404,
        &[
            ("content-type", "application/json"),
            ("x-request-id", "req-7f3a"),
        ],
        br#"{"message":"no such backend"}"#,
    )]);
    let error = support::client(&server.base_url())
        .update_backend("42", "gone", page_backend())
        .await
        .unwrap_err();
    assert_eq!(error.request_id(), Some("req-7f3a"));
    assert!(error.to_string().contains("req-7f3a"), "{error}");
}

#[tokio::test]
async fn a_non_json_error_body_keeps_status_and_an_excerpt() {
    let html = b"<html><body><h1>502 Bad Gateway</h1></body></html>";
    let server = support::RawServer::start(vec![support::Reply::http(
        502,
        &[("content-type", "text/html")],
        html,
    )]);
    let error = support::client(&server.base_url())
        .update_backend("42", "my-backend", page_backend())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Status);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(502));
    assert!(
        error.body_excerpt().unwrap().contains("502 Bad Gateway"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_success_that_is_not_a_backend_is_an_invalid_response() {
    let server = support::RawServer::start(vec![support::Reply::json(
        200,
        &serde_json::json!({"name": 7}),
    )]);
    let error = support::client(&server.base_url())
        .update_backend("42", "my-backend", page_backend())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidResponse);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(200));
    assert!(
        error.body_excerpt().unwrap().contains(r#""name":7"#),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error() {
    // Bind, note the port, close: nothing listens there now.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let error = support::client(&format!("http://{addr}"))
        .update_backend("42", "my-backend", page_backend())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport, "{error}");
    assert_eq!(error.status(), None);
    assert!(error.is_retryable());
}
