//! The token never appears in anything printable: Debug of the client and
//! its builder, Display and Debug of errors of every kind, and tracing
//! output at trace level (ours and our dependencies').

mod support;

use std::{
    io::Write,
    sync::{Arc, Mutex},
    time::Duration,
};

use openscaler::{Client, RetryPolicy};
use support::{page_backend, RawServer, Reply};

const SECRET: &str = "tok_9f8e7d6c5b4a_SECRET";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_token_is_in_nothing_printable() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut printed = String::new();
    let builder = Client::builder()
        .token(SECRET)
        .retry_policy(RetryPolicy::none());
    printed += &format!("{builder:?}\n");

    // Answers of every kind: success, errors that echo the token back (as
    // a careless server might), HTML, garbage, silence; and a refused
    // plain-http host.
    let echo = format!(r#"{{"message":"token {SECRET} is not valid"}}"#);
    let echo_html = format!("<html>Bearer {SECRET} refused</html>");
    let replies = [
        Reply::json(200, &support::golden().response),
        Reply::http(
            401,
            &[("content-type", "application/json")],
            echo.as_bytes(),
        ),
        Reply::http(403, &[("content-type", "text/html")], echo_html.as_bytes()),
        Reply::http(
            502,
            &[("content-type", "text/html")],
            b"<html>bad gateway</html>",
        ),
        Reply::Bytes(b"\x00garbage".to_vec()),
        Reply::Silence(Duration::from_secs(5)),
    ];
    for reply in replies {
        let server = RawServer::start(vec![reply]);
        let client = Client::builder()
            .base_url(server.base_url())
            .token(SECRET)
            .timeout(Duration::from_millis(300))
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap();
        printed += &format!("{client:?}\n{client:#?}\n");
        match client
            .update_backend("42", "my-backend", page_backend())
            .await
        {
            Ok(backend) => printed += &format!("{backend:?}\n"),
            Err(error) => printed += &format!("{error}\n{error:?}\n{error:#?}\n"),
        }
        // The token did go out, so the capture is not vacuous.
        assert_eq!(
            server.requests()[0].header("authorization"),
            Some(format!("Bearer {SECRET}").as_str())
        );
    }
    let refused = Client::builder()
        .base_url("http://example.com")
        .token(SECRET)
        .build()
        .unwrap();
    let error = refused
        .update_backend("42", "b", page_backend())
        .await
        .unwrap_err();
    printed += &format!("{error}\n{error:?}\n");
    let invalid = Client::builder()
        .token(format!("{SECRET}\n"))
        .build()
        .unwrap_err();
    printed += &format!("{invalid}\n{invalid:?}\n");

    let traces = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        traces.contains("openscaler"),
        "no tracing captured:\n{traces}"
    );
    assert!(traces.contains("attempt"), "{traces}");
    assert!(!printed.contains(SECRET), "token printed:\n{printed}");
    assert!(!traces.contains(SECRET), "token traced:\n{traces}");
    // Bodies stay out of the traces too.
    assert!(!traces.contains("SERVERID"), "body traced:\n{traces}");
}
