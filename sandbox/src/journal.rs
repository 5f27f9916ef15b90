//! The request journal: what arrived at the API routes and what was
//! answered, the newest entries up to its capacity (`--journal`, default
//! 1000), with the bearer token never stored. Each entry keeps a copy of
//! at most [`MAX_BODY_KEPT`] bytes of the body (never the request's own
//! buffer), so the journal's memory is bounded by entries × excerpt; the
//! body shows with its keys in the order they arrived.

use std::collections::{BTreeMap, VecDeque};

use bytes::Bytes;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use crate::{ordered::Json, params::ParameterViolation, spec::Violation};

/// Bodies are kept up to this many bytes per entry.
pub const MAX_BODY_KEPT: usize = 16 * 1024;
/// Header values are kept up to this many bytes.
const MAX_HEADER_KEPT: usize = 1024;

/// One request as the journal shows it (`GET /__sandbox/requests`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct JournalEntry {
    /// The `x-request-id` the answer carried.
    pub id: String,
    /// When the request head arrived, RFC 3339 UTC with milliseconds.
    pub received_at: String,
    /// From arrival to the answer (or the reset), in milliseconds.
    pub duration_ms: f64,
    /// The method as sent.
    pub method: String,
    /// The request target as sent: raw path, still percent-encoded, and the
    /// query if any.
    pub path: String,
    /// The spec's `operationId` the request was routed to, if any.
    #[serde(default)]
    pub operation: Option<String>,
    /// Header names in lower case; repeated headers joined with `", "`;
    /// `authorization` shown as `Bearer <redacted>`.
    pub headers: BTreeMap<String, String>,
    /// The body, when it is JSON (and not cut). Serialized with its keys
    /// in the order they arrived.
    pub body: Option<Value>,
    #[serde(skip)]
    body_as_sent: Option<Json>,
    /// The body as text (invalid UTF-8 replaced), when it is not JSON or was
    /// cut at [`MAX_BODY_KEPT`] bytes.
    pub body_text: Option<String>,
    /// The body's full length in bytes (when it was read).
    pub body_bytes: Option<usize>,
    /// The body was longer than what is kept.
    pub body_truncated: bool,
    /// The schema check of the body: `null` when it was not reached.
    pub validation: Option<Validation>,
    /// The fault injected, if any: a status (`"503"`) or `"reset"`.
    pub fault: Option<String>,
    /// The status answered; `null` when the connection was reset.
    pub status: Option<u16>,
    /// How the answer was made when nothing was stored for it (the spec's
    /// example, or a value built from its schema), or an idempotent replay.
    #[serde(default)]
    pub note: Option<String>,
}

impl Serialize for JournalEntry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        /// The entry as written: the body in arrival order.
        #[derive(Serialize)]
        struct Written<'a> {
            id: &'a str,
            received_at: &'a str,
            duration_ms: f64,
            method: &'a str,
            path: &'a str,
            operation: &'a Option<String>,
            headers: &'a BTreeMap<String, String>,
            body: Option<Json>,
            body_text: &'a Option<String>,
            body_bytes: Option<usize>,
            body_truncated: bool,
            validation: &'a Option<Validation>,
            fault: &'a Option<String>,
            status: Option<u16>,
            note: &'a Option<String>,
        }
        Written {
            id: &self.id,
            received_at: &self.received_at,
            duration_ms: self.duration_ms,
            method: &self.method,
            path: &self.path,
            operation: &self.operation,
            headers: &self.headers,
            body: match (&self.body_as_sent, &self.body) {
                (Some(sent), _) => Some(sent.clone()),
                (None, body) => body.as_ref().map(Json::from),
            },
            body_text: &self.body_text,
            body_bytes: self.body_bytes,
            body_truncated: self.body_truncated,
            validation: &self.validation,
            fault: &self.fault,
            status: self.status,
            note: &self.note,
        }
        .serialize(serializer)
    }
}

/// The outcome of the checks of a request's parameters and body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Validation {
    /// No violation.
    pub valid: bool,
    /// Every violation of the body, each with its JSON Pointer.
    pub violations: Vec<Violation>,
    /// Every violation of a parameter, each naming it (left out when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<ParameterViolation>,
}

/// A request being recorded; becomes a [`JournalEntry`].
#[derive(Clone, Debug)]
pub(crate) struct Record {
    pub id: String,
    pub received_at: std::time::SystemTime,
    pub started: std::time::Instant,
    pub duration_ms: f64,
    pub method: String,
    pub path: String,
    pub operation: Option<String>,
    pub headers: BTreeMap<String, String>,
    pub body: Option<Bytes>,
    pub body_bytes: Option<usize>,
    pub validation: Option<Validation>,
    pub fault: Option<String>,
    pub status: Option<u16>,
    pub note: Option<String>,
}

impl Record {
    /// Starts a record from the request head, redacting credentials.
    pub fn new(id: &str, method: &str, path: &str, headers: &axum::http::HeaderMap) -> Record {
        let mut kept: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in headers {
            let name = name.as_str();
            let value = if name == "authorization" || name == "proxy-authorization" {
                redact(value.as_bytes())
            } else {
                let text = String::from_utf8_lossy(value.as_bytes());
                cut(&text, MAX_HEADER_KEPT)
            };
            kept.entry(name.to_owned())
                .and_modify(|v| {
                    v.push_str(", ");
                    v.push_str(&value);
                })
                .or_insert(value);
        }
        Record {
            id: id.to_owned(),
            received_at: std::time::SystemTime::now(),
            started: std::time::Instant::now(),
            duration_ms: 0.0,
            method: method.to_owned(),
            path: cut(path, MAX_HEADER_KEPT * 8),
            operation: None,
            headers: kept,
            body: None,
            body_bytes: None,
            validation: None,
            fault: None,
            status: None,
            note: None,
        }
    }

    /// Keeps a copy of the first [`MAX_BODY_KEPT`] bytes of the body (a
    /// slice would keep the whole request buffer alive).
    pub fn set_body(&mut self, body: &[u8]) {
        self.body_bytes = Some(body.len());
        self.body = Some(Bytes::copy_from_slice(
            &body[..body.len().min(MAX_BODY_KEPT)],
        ));
    }

    fn entry(&self) -> JournalEntry {
        let truncated = self.body_bytes.unwrap_or(0) > self.body.as_ref().map_or(0, Bytes::len);
        let as_sent = match (&self.body, truncated) {
            (Some(bytes), false) => serde_json::from_slice::<Json>(bytes).ok(),
            _ => None,
        };
        let json = as_sent.as_ref().map(Json::to_value);
        let text = match (&self.body, &json) {
            (Some(bytes), None) => Some(String::from_utf8_lossy(bytes).into_owned()),
            _ => None,
        };
        JournalEntry {
            id: self.id.clone(),
            received_at: humantime::format_rfc3339_millis(self.received_at).to_string(),
            duration_ms: self.duration_ms,
            method: self.method.clone(),
            path: self.path.clone(),
            operation: self.operation.clone(),
            headers: self.headers.clone(),
            body: json,
            body_as_sent: as_sent,
            body_text: text,
            body_bytes: self.body_bytes,
            body_truncated: truncated,
            validation: self.validation.clone(),
            fault: self.fault.clone(),
            status: self.status,
            note: self.note.clone(),
        }
    }
}

/// `Bearer <redacted>` for any bearer credential; only the scheme of
/// anything else.
pub(crate) fn redact(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    match text.trim().split_once(' ') {
        Some((scheme, _)) if scheme.len() <= 32 => format!("{scheme} <redacted>"),
        _ => "<redacted>".to_owned(),
    }
}

fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// The newest entries, oldest first, at most `capacity`.
#[derive(Debug)]
pub(crate) struct Journal {
    capacity: usize,
    entries: VecDeque<Record>,
    dropped: u64,
}

impl Journal {
    pub fn new(capacity: usize) -> Journal {
        Journal {
            capacity,
            entries: VecDeque::with_capacity(capacity.min(1024)),
            dropped: 0,
        }
    }

    pub fn push(&mut self, record: Record) {
        if self.capacity == 0 {
            self.dropped += 1;
            return;
        }
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
            self.dropped += 1;
        }
        self.entries.push_back(record);
    }

    pub fn entries(&self) -> Vec<JournalEntry> {
        self.entries.iter().map(Record::entry).collect()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.dropped = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: usize) -> Record {
        Record::new(&n.to_string(), "PUT", "/", &axum::http::HeaderMap::new())
    }

    #[test]
    fn keeps_the_newest_entries_and_counts_the_rest() {
        let mut journal = Journal::new(3);
        for n in 0..5 {
            journal.push(record(n));
        }
        let ids: Vec<String> = journal.entries().into_iter().map(|e| e.id).collect();
        assert_eq!(ids, ["2", "3", "4"]);
        assert_eq!(journal.dropped(), 2);
        journal.clear();
        assert!(journal.entries().is_empty());
    }

    #[test]
    fn credentials_are_redacted_to_their_scheme() {
        assert_eq!(redact(b"Bearer s3cret"), "Bearer <redacted>");
        assert_eq!(redact(b"Basic dXNlcjpwYXNz"), "Basic <redacted>");
        assert_eq!(redact(b"s3cret"), "<redacted>");
        assert_eq!(redact(b"\xff\xfe secret"), "\u{fffd}\u{fffd} <redacted>");
    }

    #[test]
    fn a_zero_capacity_keeps_nothing_and_counts_all() {
        let mut journal = Journal::new(0);
        journal.push(record(0));
        journal.push(record(1));
        assert!(journal.entries().is_empty());
        assert_eq!(journal.dropped(), 2);
    }

    #[test]
    fn an_overlong_scheme_is_redacted_whole() {
        let scheme = "x".repeat(33);
        assert_eq!(redact(format!("{scheme} token").as_bytes()), "<redacted>");
        assert_eq!(
            redact(format!("{} token", &scheme[..32]).as_bytes()),
            format!("{} <redacted>", &scheme[..32])
        );
    }

    #[test]
    fn header_values_and_paths_are_cut_on_a_char_boundary() {
        let mut headers = axum::http::HeaderMap::new();
        let long = format!("{}é{}", "a".repeat(MAX_HEADER_KEPT - 1), "b".repeat(10));
        headers.insert("x-long", long.parse().unwrap());
        headers.insert("x-short", "kept".parse().unwrap());
        let r = Record::new("1", "PUT", "/p", &headers);
        // 'é' straddles the limit, so the cut falls before it.
        assert_eq!(
            r.headers["x-long"],
            format!("{}…", "a".repeat(MAX_HEADER_KEPT - 1))
        );
        assert_eq!(r.headers["x-short"], "kept");
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcd", 3), "abc…");
    }

    #[test]
    fn a_body_of_exactly_the_kept_size_is_whole() {
        assert_eq!(MAX_BODY_KEPT, 16 * 1024);
        let mut r = record(0);
        let body = Bytes::from(format!("\"{}\"", "x".repeat(MAX_BODY_KEPT - 2)));
        r.set_body(&body);
        let entry = r.entry();
        assert!(!entry.body_truncated);
        assert_eq!(
            entry.body,
            Some(serde_json::Value::String("x".repeat(MAX_BODY_KEPT - 2)))
        );
        assert_eq!(entry.body_text, None);
    }

    #[test]
    fn the_body_is_a_copy_shown_in_arrival_order() {
        let mut r = record(0);
        let whole = Bytes::from(format!(
            "{{\"z\": 1, \"a\": \"{}\"}}",
            "x".repeat(MAX_BODY_KEPT)
        ));
        r.set_body(&whole);
        // The kept bytes are a buffer of their own, not a view of the request's.
        let kept = r.body.as_ref().unwrap();
        assert_eq!(kept.len(), MAX_BODY_KEPT);
        assert_ne!(kept.as_ptr(), whole.as_ptr());
        let mut r = record(1);
        r.set_body(b"{\"z\": 1, \"a\": {\"y\": 2, \"b\": 3}}");
        let entry = r.entry();
        assert_eq!(
            entry.body,
            Some(serde_json::json!({"a": {"b": 3, "y": 2}, "z": 1}))
        );
        let written = serde_json::to_string(&entry).unwrap();
        assert!(
            written.contains(r#""body":{"z":1,"a":{"y":2,"b":3}}"#),
            "{written}"
        );
        let read: JournalEntry = serde_json::from_str(&written).unwrap();
        assert_eq!(read.body, entry.body);
        // Read back, it is written from the value, as it was read.
        assert!(serde_json::to_string(&read)
            .unwrap()
            .contains(r#""body":{"a":{"b":3,"y":2},"z":1}"#));
    }

    #[test]
    fn long_bodies_are_cut_and_shown_as_text() {
        let mut r = record(0);
        let body = Bytes::from(format!("\"{}\"", "x".repeat(MAX_BODY_KEPT)));
        r.set_body(&body);
        let entry = r.entry();
        assert!(entry.body_truncated);
        assert_eq!(entry.body, None);
        assert_eq!(entry.body_bytes, Some(MAX_BODY_KEPT + 2));
        assert_eq!(entry.body_text.unwrap().len(), MAX_BODY_KEPT);
    }
}
