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

// Below: the span's fields as a subscriber receives them. In this binary,
// not beside tests without a subscriber: tracing caches each callsite's
// interest when the callsite is first met, and a thread without a
// subscriber meeting the span's callsite at the same time as this test's
// subscriber is registered could leave it cached as disabled.

/// A subscriber that keeps the values recorded on spans, by field name.
#[derive(Clone, Default)]
struct Recorded(Arc<Mutex<Vec<(String, String)>>>);

struct Visitor<'a>(&'a Recorded);

impl tracing::field::Visit for Visitor<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let entry = (field.name().to_owned(), format!("{value:?}"));
        (self.0).0.lock().unwrap().push(entry);
    }
}

impl tracing::Subscriber for Recorded {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        span.record(&mut Visitor(self));
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        values.record(&mut Visitor(self));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {}
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// The call's span records attempts, the last status and the latency.
#[test]
fn a_subscriber_receives_the_operation_attempts_status_and_latency() {
    let server = RawServer::start(vec![
        Reply::json(503, &serde_json::json!({"message": "busy"})),
        Reply::json(200, &support::golden().response),
    ]);
    let recorded = Recorded::default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tracing::subscriber::with_default(recorded.clone(), || {
        runtime.block_on(async {
            support::client(&server.base_url())
                .update_backend("42", "my-backend", page_backend())
                .await
                .unwrap();
        })
    });
    let fields = recorded.0.lock().unwrap().clone();
    let value = |name: &str| {
        fields
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        value("operation").as_deref(),
        Some("\"update_backend\""),
        "{fields:?}"
    );
    assert_eq!(value("attempts").as_deref(), Some("2"), "{fields:?}");
    assert_eq!(value("status").as_deref(), Some("200"), "{fields:?}");
    let latency: u64 = value("latency_ms")
        .expect("latency recorded")
        .parse()
        .unwrap();
    assert!(latency < 60_000, "{latency}");
}
