//! Retries, timeouts and misbehaving servers, on a raw TCP server where
//! httpmock cannot misbehave enough.

mod support;

use std::time::{Duration, Instant, SystemTime};

use openscaler::{ErrorKind, RetryPolicy};
use serde_json::json;
use support::{page_backend, RawServer, Reply};

fn ok() -> Reply {
    Reply::json(200, &support::golden().response)
}

fn status(code: u16) -> Reply {
    Reply::json(code, &json!({"message": format!("status {code}")}))
}

async fn call(
    server: &RawServer,
    retry: RetryPolicy,
) -> Result<openscaler::Backend, openscaler::Error> {
    support::client_with(&server.base_url(), retry)
        .update_backend("42", "my-backend", page_backend())
        .await
}

/// 503, 503, 200: the third attempt succeeds.
#[tokio::test]
async fn transient_failures_are_retried_until_success() {
    let server = RawServer::start(vec![status(503), status(503), ok()]);
    let updated = call(&server, support::quick_retries()).await.unwrap();
    assert_eq!(updated, page_backend());
    assert_eq!(server.requests().len(), 3);
    // Each attempt sends the same request.
    let bodies: Vec<_> = server.requests().into_iter().map(|r| r.body).collect();
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
}

/// Each retryable status is retried up to the attempt limit; the error
/// then says how many attempts were made.
#[tokio::test]
async fn retryable_statuses_exhaust_the_attempts() {
    for code in [408, 429, 502, 503, 504] {
        let server = RawServer::start(vec![status(code)]);
        let error = call(&server, support::quick_retries()).await.unwrap_err();
        assert_eq!(server.requests().len(), 3, "{code}");
        assert_eq!(error.attempts(), 3, "{code}");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(code));
        assert!(error.is_retryable());
        assert!(error.to_string().ends_with("after 3 attempts"), "{error}");
    }
}

/// Other 4xx and 500 are answers, not accidents: one attempt.
#[tokio::test]
async fn other_errors_are_not_retried() {
    for code in [400, 401, 403, 404, 409, 422, 500, 501] {
        let server = RawServer::start(vec![status(code), ok()]);
        let error = call(&server, support::quick_retries()).await.unwrap_err();
        assert_eq!(server.requests().len(), 1, "{code}");
        assert_eq!(error.attempts(), 1);
        assert_eq!(error.status().map(|s| s.as_u16()), Some(code));
        assert_eq!(error.message(), Some(format!("status {code}").as_str()));
        assert!(!error.is_retryable());
    }
}

/// `Retry-After: 1` puts at least a second between the two attempts.
#[tokio::test]
async fn retry_after_in_seconds_is_honoured() {
    let limited = Reply::http(
        429,
        &[("retry-after", "1"), ("content-type", "application/json")],
        br#"{"message":"slow down"}"#,
    );
    let server = RawServer::start(vec![limited, ok()]);
    call(&server, support::quick_retries()).await.unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let gap = requests[1].at - requests[0].at;
    assert!(
        gap >= Duration::from_secs(1),
        "second attempt after {gap:?}"
    );
}

/// `Retry-After` as an HTTP date is honoured too.
#[tokio::test]
async fn retry_after_as_a_date_is_honoured() {
    let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    let busy = Reply::http(503, &[("retry-after", date.as_str())], b"");
    let server = RawServer::start(vec![busy, ok()]);
    call(&server, support::quick_retries()).await.unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    // The date has whole seconds, so the wait is between 1 and 2 s.
    let gap = requests[1].at - requests[0].at;
    assert!(
        gap >= Duration::from_millis(950),
        "second attempt after {gap:?}"
    );
}

/// A wait that would end past the call's deadline is not taken.
#[tokio::test]
async fn no_retry_starts_after_the_deadline() {
    let busy = Reply::http(503, &[("retry-after", "5")], b"");
    let server = RawServer::start(vec![busy, ok()]);
    let error = call(
        &server,
        support::quick_retries().deadline(Duration::from_secs(2)),
    )
    .await
    .unwrap_err();
    assert_eq!(server.requests().len(), 1);
    assert_eq!(error.attempts(), 1);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
}

/// `RetryPolicy::none()` turns retrying off.
#[tokio::test]
async fn retrying_can_be_turned_off() {
    let server = RawServer::start(vec![status(503), ok()]);
    let error = call(&server, RetryPolicy::none()).await.unwrap_err();
    assert_eq!(server.requests().len(), 1);
    assert_eq!(error.attempts(), 1);
}

/// An HTML page from a proxy: a typed error with the status and an excerpt.
#[tokio::test]
async fn an_html_502_gives_status_and_excerpt() {
    let page = b"<html>\n<head><title>502 Bad Gateway</title></head>\n<body>nginx</body>\n</html>";
    let server = RawServer::start(vec![Reply::http(
        502,
        &[("content-type", "text/html")],
        page,
    )]);
    let error = call(&server, support::quick_retries()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Status);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(502));
    assert_eq!(error.message(), None);
    let excerpt = error.body_excerpt().unwrap();
    assert!(
        excerpt.contains("<title>502 Bad Gateway</title>"),
        "{excerpt}"
    );
    assert!(!error.to_string().contains('\n'), "{error}");
    assert_eq!(error.attempts(), 3);
}

/// Bodies that are empty, not UTF-8, or far too long still give a status
/// and a bounded excerpt.
#[tokio::test]
async fn odd_error_bodies_give_bounded_excerpts() {
    let long = vec![b'x'; 100_000];
    let cases: [(&[u8], &str); 3] = [
        (b"", "(empty)"),
        (b"\xff\xfe bad \xc3", "bad"),
        (&long, "xxx"),
    ];
    for (body, expected) in cases {
        let server = RawServer::start(vec![Reply::http(400, &[], body)]);
        let error = call(&server, support::quick_retries()).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Status);
        assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
        let excerpt = error.body_excerpt().unwrap();
        assert!(excerpt.contains(expected), "{excerpt}");
        assert!(excerpt.len() <= 520, "excerpt of {} bytes", excerpt.len());
    }
}

/// A body cut short by the server: an error with the status, no panic.
#[tokio::test]
async fn a_truncated_body_is_an_error() {
    let mut cut =
        b"HTTP/1.1 404 Not Found\r\ncontent-length: 200\r\ncontent-type: application/json\r\n\r\n"
            .to_vec();
    cut.extend_from_slice(br#"{"message": "no such"#);
    let server = RawServer::start(vec![Reply::Bytes(cut)]);
    let error = call(&server, support::quick_retries()).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404), "{error:?}");
    // The 404 is the answer: a status error, not retried, not retryable.
    assert_eq!(error.kind(), ErrorKind::Status, "{error:?}");
    assert!(!error.is_retryable());
    assert_eq!(error.attempts(), 1);
    assert_eq!(server.requests().len(), 1);
}

/// The connection is closed without an answer: retried, then a transport
/// error; or a later attempt succeeds.
#[tokio::test]
async fn a_reset_connection_is_retried() {
    let server = RawServer::start(vec![Reply::Close]);
    let error = call(&server, support::quick_retries()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport, "{error:?}");
    assert_eq!(error.status(), None);
    assert_eq!(error.attempts(), 3);

    let server = RawServer::start(vec![Reply::Close, ok()]);
    call(&server, support::quick_retries()).await.unwrap();
    assert_eq!(server.requests().len(), 2);
}

/// A server that accepts and never answers fails each attempt within the
/// timeout; the policy then decides.
#[tokio::test]
async fn a_silent_server_fails_within_the_timeout() {
    let server = RawServer::start(vec![Reply::Silence(Duration::from_secs(30))]);
    let client = openscaler::Client::builder()
        .base_url(server.base_url())
        .token("t")
        .timeout(Duration::from_millis(400))
        .retry_policy(support::quick_retries())
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client
        .update_backend("42", "b", page_backend())
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(error.kind(), ErrorKind::Transport);
    assert!(error.is_timeout(), "{error:?}");
    assert!(error.to_string().contains("timed out"), "{error}");
    assert_eq!(error.attempts(), 3);
    // Three attempts of 400 ms and two short waits; far below the 30 s the
    // server would hold each connection.
    assert!(elapsed >= Duration::from_millis(1200), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}

/// The call's deadline also bounds the attempt in progress.
#[tokio::test]
async fn the_deadline_cuts_a_slow_attempt() {
    let server = RawServer::start(vec![Reply::Silence(Duration::from_secs(30))]);
    let started = Instant::now();
    let error = call(
        &server,
        support::quick_retries().deadline(Duration::from_millis(500)),
    )
    .await
    .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(error.attempts(), 1);
}

/// Bytes that are not HTTP: an error, not a panic.
#[tokio::test]
async fn garbage_instead_of_http_is_an_error() {
    for garbage in [
        &b"\x00\xff\x13garbage\r\n\r\n"[..],
        b"SSH-2.0-OpenSSH_9.6\r\n",
        b"HTTP/1.1 abc\r\n\r\n",
    ] {
        let server = RawServer::start(vec![Reply::Bytes(garbage.to_vec())]);
        let error = call(&server, RetryPolicy::none()).await.unwrap_err();
        assert!(matches!(error.kind(), ErrorKind::Transport), "{error:?}");
        assert!(!error.to_string().is_empty());
    }
}

/// The bearer token never goes over plain http to a host that is not
/// loopback: the call fails before any connection. (The name resolves to
/// the local test server, so a regression would show up there, not leave
/// the machine.)
#[tokio::test]
async fn no_token_over_plain_http_to_other_hosts() {
    let server = RawServer::start(vec![ok()]);
    let http = reqwest::Client::builder()
        .resolve("api.example.test", server.addr)
        .build()
        .unwrap();
    let client = openscaler::Client::builder()
        .base_url(format!("http://api.example.test:{}", server.addr.port()))
        .token("t")
        .http_client(http)
        .build()
        .unwrap();
    let error = client
        .update_backend("42", "b", page_backend())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config);
    assert_eq!(error.attempts(), 0);
    assert!(error.to_string().contains("plain http"), "{error}");
    assert!(server.requests().is_empty());
}

/// A `Retry-After` longer than the policy's `max_retry_after` is not cut
/// short and retried early: the call fails at once with the server's
/// answer, and the error carries the wait the server asked for.
#[tokio::test]
async fn a_retry_after_beyond_the_cap_fails_at_once_and_says_how_long() {
    let busy = Reply::http(
        503,
        &[
            ("retry-after", "3600"),
            ("content-type", "application/json"),
        ],
        br#"{"message":"maintenance"}"#,
    );
    let server = RawServer::start(vec![busy, ok()]);
    let started = Instant::now();
    let error = call(&server, support::quick_retries()).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests().len(), 1);
    assert_eq!(error.attempts(), 1);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(error.message(), Some("maintenance"));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3600)));
    assert!(!error.is_retry_budget_exhausted());
    let line = error.to_string();
    assert!(
        line.ends_with(
            "after 1 attempt; not retried: the server asked to retry after 3600 s \
             (retry-after), longer than the retry policy's max_retry_after"
        ),
        "{line}"
    );
}

/// The cap is the caller's: a policy whose `max_retry_after` allows the
/// server's wait waits it out; one that does not, fails at once.
#[tokio::test]
async fn a_policy_that_allows_the_wait_waits() {
    let busy = || Reply::http(503, &[("retry-after", "2")], b"");

    let server = RawServer::start(vec![busy(), ok()]);
    let strict = support::quick_retries().max_retry_after(Duration::from_secs(1));
    let error = call(&server, strict).await.unwrap_err();
    assert_eq!(server.requests().len(), 1);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(2)));

    let server = RawServer::start(vec![busy(), ok()]);
    let patient = support::quick_retries().max_retry_after(Duration::from_secs(2));
    call(&server, patient).await.unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let gap = requests[1].at - requests[0].at;
    assert!(
        gap >= Duration::from_secs(2),
        "second attempt after {gap:?}"
    );
}

/// Retries exhausted on 429s: the error still carries the last answer's
/// `Retry-After`, for the caller to schedule its next try.
#[tokio::test]
async fn the_last_retry_after_is_kept_when_attempts_run_out() {
    let limited = Reply::http(429, &[("retry-after", "0")], b"");
    let server = RawServer::start(vec![limited]);
    let error = call(&server, support::quick_retries()).await.unwrap_err();
    assert_eq!(error.attempts(), 3);
    assert_eq!(error.retry_after(), Some(Duration::ZERO));
    assert!(error.to_string().ends_with("after 3 attempts"), "{error}");
}

/// A 200 whose body breaks off (the server closes the connection half-way)
/// is retried like a connection failure: the `PUT` is safe to repeat.
#[tokio::test]
async fn a_success_cut_off_mid_body_is_retried() {
    let body = support::golden().response.to_string();
    let server = RawServer::start(vec![Reply::cut_off(body.len() / 2), ok()]);
    let updated = call(&server, support::quick_retries()).await.unwrap();
    assert_eq!(updated, page_backend());
    assert_eq!(server.requests().len(), 2);

    // Cut off every time: a transport error after every attempt, with the
    // status that came.
    let server = RawServer::start(vec![Reply::cut_off(10)]);
    let error = call(&server, support::quick_retries()).await.unwrap_err();
    assert_eq!(server.requests().len(), 3);
    assert_eq!(error.kind(), ErrorKind::Transport, "{error:?}");
    assert!(error.is_retryable());
    assert_eq!(error.attempts(), 3);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(200));
    assert!(!error.is_timeout(), "{error:?}");

    // Without retries, one attempt.
    let server = RawServer::start(vec![Reply::cut_off(10), ok()]);
    let error = call(&server, RetryPolicy::none()).await.unwrap_err();
    assert_eq!(server.requests().len(), 1);
    assert_eq!(error.kind(), ErrorKind::Transport);
}

/// A success read whole inside the retry loop reaches the caller intact:
/// the same value as the page's response, every time.
#[tokio::test]
async fn a_success_read_in_the_retry_loop_parses_as_before() {
    let server = RawServer::start(vec![ok()]);
    let updated = call(&server, support::quick_retries()).await.unwrap();
    assert_eq!(
        serde_json::to_value(updated).unwrap(),
        support::golden().response
    );
}

/// A body that arrives in pieces (chunked transfer encoding, one piece or
/// many) is read whole: a success parses as the page's response, an error's
/// message arrives intact.
#[tokio::test]
async fn a_body_in_pieces_is_read_whole() {
    let page = support::golden().response.to_string();
    let refusal = json!({"message": "port: 99999 is out of range"}).to_string();
    for pieces in [1, 2, 3, 7, page.len()] {
        let server = RawServer::start(vec![Reply::chunked(200, page.as_bytes(), pieces)]);
        let updated = call(&server, RetryPolicy::none()).await.unwrap();
        assert_eq!(updated, page_backend(), "{pieces} pieces");

        let server = RawServer::start(vec![Reply::chunked(422, refusal.as_bytes(), pieces)]);
        let error = call(&server, RetryPolicy::none()).await.unwrap_err();
        assert_eq!(
            error.kind(),
            ErrorKind::Status,
            "{pieces} pieces: {error:?}"
        );
        assert_eq!(
            error.message(),
            Some("port: 99999 is out of range"),
            "{pieces} pieces"
        );
    }
}

/// A body cut off names where it was going, as reqwest's own errors do.
#[tokio::test]
async fn a_body_cut_off_names_the_url() {
    let server = RawServer::start(vec![Reply::cut_off(10)]);
    let error = call(&server, RetryPolicy::none()).await.unwrap_err();
    let source = std::error::Error::source(&error).expect("the transport error");
    let url = format!("{}/v1/lbs/42/backends/my-backend", server.base_url());
    assert!(source.to_string().contains(&url), "{source}");
}
