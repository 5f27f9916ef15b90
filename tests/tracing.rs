//! The call's span, named by the operationId (`update_backend`), when a
//! subscriber listens: it records the attempts, the last status and the
//! latency, and errors still carry what
//! the pipeline recorded. (Without a subscriber the span is skipped; the
//! other tests run that way.)

mod support;

use std::sync::{Arc, Mutex};

use support::{page_backend, RawServer, Reply};
use tracing_subscriber::fmt::format::FmtSpan;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// The span closes with its fields: one line per call.
fn closed_spans(traces: &str) -> Vec<&str> {
    traces
        .lines()
        .filter(|line| line.contains("update_backend{") && line.contains("close"))
        .collect()
}

#[tokio::test]
async fn the_span_records_attempts_status_and_latency() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let page = support::golden();
    let server = RawServer::start(vec![
        Reply::http(503, &[], b""),
        Reply::json(200, &page.response),
        Reply::http(
            404,
            &[
                ("content-type", "application/json"),
                ("x-request-id", "r-77"),
            ],
            br#"{"message":"no such backend"}"#,
        ),
    ]);
    let client = support::client(&server.base_url());

    let updated = client
        .update_backend("42", "my-backend", page_backend())
        .await
        .unwrap();
    assert_eq!(serde_json::to_value(&updated).unwrap(), page.response);

    let error = client
        .update_backend("42", "my-backend", page_backend())
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(error.attempts(), 1);
    assert_eq!(error.request_id(), Some("r-77"));
    assert_eq!(error.message(), Some("no such backend"));

    let traces = captured.text();
    let spans = closed_spans(&traces);
    assert_eq!(spans.len(), 2, "{traces}");
    assert!(spans[0].contains("attempts=2"), "{}", spans[0]);
    assert!(spans[0].contains("status=200"), "{}", spans[0]);
    assert!(spans[0].contains("latency_ms="), "{}", spans[0]);
    assert!(spans[1].contains("attempts=1"), "{}", spans[1]);
    assert!(spans[1].contains("status=404"), "{}", spans[1]);
}
