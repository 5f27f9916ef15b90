//! The request pipeline: what happens to every request this crate sends.
//!
//! [`Client`](crate::Client)'s calls go through [`send`]: the generated
//! `*_request` method builds each attempt's request from the spec, this
//! module adds the token and sends it, and the generated `*_answer` method
//! reads the answer as the spec describes. Calls made through the generated
//! client directly (`Client::generated()`) get the same treatment through
//! progenitor's `ClientHooks` (`pre`, `exec`).
//!
//! - [`authorize`] refuses to send the bearer token over plain `http` to
//!   anything but a loopback address, and adds the token. (`pre` also drops
//!   the `api-version` header progenitor's methods add to every request:
//!   OpenScaler does not document it; the request stays exactly the page's.)
//! - [`Attempts`] sends a request, and says whether to send it again as the
//!   client's [`RetryPolicy`] and retry budget say. Each attempt gets the
//!   per-attempt timeout, cut to what is left of the call's deadline. A
//!   success's body is read before the call counts as done, so that a body
//!   cut off is retried too. It records the attempts made, the last status,
//!   `x-request-id` and `Retry-After`, and why a retry was not made, so that
//!   errors can report them even when the body cannot be parsed.
//!
//! Each attempt's request is built afresh ([`send`]): nothing is cloned
//! for a retry that is usually never made.
//!
//! Tracing: a `debug` event per attempt (attempt, status, latency) and one
//! per retry (wait); never a header value or a body.

use std::{
    fmt,
    future::Future,
    sync::Arc,
    time::{Duration, Instant, SystemTime},
};

use bytes::Bytes;
use progenitor_client::{ClientHooks, OperationInfo, ResponseValue};
use reqwest::{
    header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION},
    Request, Response, ResponseBuilderExt, StatusCode, Url,
};
use serde::de::DeserializeOwned;

use crate::{
    generated,
    retry::{self, is_retryable_status, Budget, Held, Next},
    RetryPolicy,
};

/// Header names made once, not parsed from text on every request.
static API_VERSION: HeaderName = HeaderName::from_static("api-version");
static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Per-client state the pipeline needs; the generated client's `inner` value.
#[derive(Clone)]
pub struct Hooks {
    /// `Bearer <token>`, marked sensitive.
    pub(crate) authorization: HeaderValue,
    pub(crate) retry: RetryPolicy,
    /// The retry budget's tokens, shared by the client's clones; `None`
    /// when the policy has no budget.
    pub(crate) budget: Option<Arc<Budget>>,
    /// The per-attempt timeout, when this crate made the HTTP client.
    pub(crate) attempt_timeout: Option<Duration>,
    /// Whether the token may go to the base URL ([`token_may_go_to`]),
    /// decided once: every request goes under it.
    pub(crate) token_allowed: bool,
}

impl Hooks {
    /// The bearer token, for scrubbing it out of what servers send back.
    pub(crate) fn token(&self) -> &str {
        let value = self.authorization.to_str().unwrap_or_default();
        value.strip_prefix("Bearer ").unwrap_or(value)
    }
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("authorization", &"Bearer <redacted>")
            .field("retry", &self.retry)
            .field("retry_tokens", &self.budget.as_ref().map(|b| b.available()))
            .field("attempt_timeout", &self.attempt_timeout)
            .finish()
    }
}

/// What the pipeline saw during one call.
#[derive(Debug, Default)]
pub(crate) struct CallRecord {
    pub(crate) attempts: u32,
    pub(crate) status: Option<StatusCode>,
    pub(crate) request_id: Option<String>,
    /// The last answer's `Retry-After`, when it was a retryable status.
    pub(crate) retry_after: Option<Duration>,
    /// Why a retry the policy allows was not made.
    pub(crate) not_retried: Option<NotRetried>,
}

/// Why a failed attempt was not retried although attempts were left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NotRetried {
    /// The client's retry budget had too few tokens.
    Budget,
    /// The server's `Retry-After` was longer than `max_retry_after`.
    RetryAfter,
}

/// Whether a bearer token may go to `url`: always over https; over plain
/// http only to a loopback address, for local testing.
pub(crate) fn token_may_go_to(url: &Url) -> bool {
    match (url.scheme(), url.host()) {
        ("https", _) => true,
        ("http", Some(url::Host::Domain(domain))) => domain.eq_ignore_ascii_case("localhost"),
        ("http", Some(url::Host::Ipv4(ip))) => ip.is_loopback(),
        ("http", Some(url::Host::Ipv6(ip))) => ip.is_loopback(),
        _ => false,
    }
}

/// Adds the bearer token to `request`, or says why it may not go where
/// the request goes.
pub(crate) fn authorize(hooks: &Hooks, request: &mut Request) -> Result<(), String> {
    if !hooks.token_allowed {
        return Err(format!(
            "refusing to send the bearer token over plain http to {}: use https \
             (plain http is allowed only to loopback addresses)",
            request.url().host_str().unwrap_or("an unknown host")
        ));
    }
    request
        .headers_mut()
        .insert(AUTHORIZATION, hooks.authorization.clone());
    Ok(())
}

/// Appends a path value to `url` percent-encoded exactly as progenitor's
/// `encode_path` does; a value with nothing to encode (the usual case) is
/// copied as it is, without the encoder's allocation.
pub(crate) fn push_path_value(url: &mut String, value: &str) {
    if value.bytes().all(|b| AS_IS[usize::from(b)]) {
        url.push_str(value);
    } else {
        url.push_str(&progenitor_client::encode_path(value));
    }
}

/// The bytes `encode_path` leaves as they are: printable ASCII but
/// `"#<>?`{}/%`, one lookup per byte.
static AS_IS: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = byte.is_ascii_graphic()
            && !matches!(
                byte,
                b'"' | b'#' | b'<' | b'>' | b'?' | b'`' | b'{' | b'}' | b'/' | b'%'
            );
        b += 1;
    }
    table
};

/// One call's attempts: its deadline, the attempt in progress, what the
/// last retry cost and what was seen.
pub(crate) struct Attempts<'a> {
    hooks: &'a Hooks,
    /// Set when the first attempt starts: the clock is read once for both.
    deadline: Option<Instant>,
    attempt: u32,
    /// What the last retry cost, given back if the call succeeds.
    last_cost: u32,
    pub(crate) record: CallRecord,
}

impl<'a> Attempts<'a> {
    pub(crate) fn new(hooks: &'a Hooks) -> Self {
        Attempts {
            hooks,
            deadline: None,
            attempt: 1,
            last_cost: 0,
            record: CallRecord::default(),
        }
    }

    /// Whether the policy leaves an attempt after this one.
    fn more_allowed(&self) -> bool {
        self.attempt < self.hooks.retry.max_attempts
    }

    /// Starts the attempt: sets its timeout and hands `request` to `http`.
    /// The future returned is reqwest's own (small: the request is moved
    /// into it here, not kept in the caller's state), with the time it was
    /// sent; [`saw`](Self::saw) records what it gives.
    fn start(
        &mut self,
        http: &reqwest::Client,
        mut request: Request,
    ) -> (impl Future<Output = reqwest::Result<Response>>, Instant) {
        // The client's own timeout bounds the attempt; a shorter one is set
        // on the request only when the deadline is nearer.
        let now = Instant::now();
        let policy = &self.hooks.retry;
        let deadline = *self.deadline.get_or_insert_with(|| now + policy.deadline);
        let remaining = deadline.saturating_duration_since(now);
        if self.hooks.attempt_timeout.is_none_or(|t| remaining < t) {
            *request.timeout_mut() = Some(remaining);
        }
        self.record.attempts = self.attempt;
        (http.execute(request), now)
    }

    /// Records what the attempt sent at `sent` gave, and hands it on. (The
    /// clock is read for the latency only when a subscriber takes the
    /// `debug` events: tracing evaluates an event's fields only then.)
    fn saw(
        &mut self,
        outcome: reqwest::Result<Response>,
        sent: Instant,
    ) -> reqwest::Result<Response> {
        let attempt = self.attempt;
        let latency_ms = || sent.elapsed().as_millis() as u64;
        match &outcome {
            Ok(response) => {
                let status = response.status();
                tracing::debug!(
                    attempt,
                    status = status.as_u16(),
                    latency_ms = latency_ms(),
                    "openscaler attempt"
                );
                self.record.status = Some(status);
                self.record.request_id = response
                    .headers()
                    .get(&REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                self.record.retry_after = if is_retryable_status(status) {
                    retry::retry_after(response, SystemTime::now())
                } else {
                    None
                };
            }
            Err(error) => {
                tracing::debug!(attempt, latency_ms = latency_ms(), error = %error, "openscaler attempt failed");
            }
        }
        outcome
    }

    /// Sends one attempt of `request` through `http` and records what came
    /// back.
    async fn send(
        &mut self,
        http: &reqwest::Client,
        request: Request,
    ) -> reqwest::Result<Response> {
        let (attempt, sent) = self.start(http, request);
        self.saw(attempt.await, sent)
    }

    /// The call is done with a success: the budget gets its refill.
    fn succeeded(&self) {
        if let Some(budget) = &self.hooks.budget {
            budget.succeeded(self.last_cost);
        }
    }

    /// Whether to send the request again after an attempt that ended with
    /// `outcome` (the answer's status, or why none came): `true` once the
    /// wait before the retry is over; `false` when the outcome is the
    /// call's (not retryable, no attempt left, past the deadline, the
    /// server's wait too long, or the budget spent).
    async fn again(&mut self, outcome: Result<StatusCode, &reqwest::Error>) -> bool {
        match self.retry(outcome) {
            Some(pause) => {
                self.resume(pause.wait().await);
                true
            }
            None => false,
        }
    }

    /// Records an attempt's `outcome` ([`saw`](Self::saw)) and decides what
    /// follows, taking it by value: a success's or a final answer's body
    /// to read, the pause before a retry (the outcome dropped), or the
    /// error that ends the call.
    fn turn(&mut self, outcome: reqwest::Result<Response>, sent: Instant) -> Turn<'a> {
        match self.saw(outcome, sent) {
            Ok(response) if response.status().is_success() => Turn::Read(response),
            outcome => match self.retry(outcome.as_ref().map(Response::status)) {
                Some(pause) => Turn::Retry(pause),
                None => outcome.map_or_else(Turn::Fail, Turn::Read),
            },
        }
    }

    /// The retry is being sent, its pause over: what it cost.
    fn resume(&mut self, cost: u32) {
        self.last_cost = cost;
        self.attempt += 1;
    }

    /// Decides whether to retry after `outcome`: the pause before the next
    /// attempt, its tokens taken from the budget; `None` when the outcome
    /// is the call's.
    fn retry(&mut self, outcome: Result<StatusCode, &reqwest::Error>) -> Option<Pause<'a>> {
        let attempt = self.attempt;
        if !self.more_allowed() {
            return None;
        }
        let hooks = self.hooks;
        let (wait, timed_out) = match hooks.retry.next(attempt, outcome, self.record.retry_after) {
            Next::Stop => return None,
            Next::TooLong => {
                tracing::debug!(attempt, "openscaler: no retry, Retry-After too long");
                self.record.not_retried = Some(NotRetried::RetryAfter);
                return None;
            }
            Next::Retry { wait, timed_out } => (wait, timed_out),
        };
        if self
            .deadline
            .is_none_or(|deadline| Instant::now() + wait >= deadline)
        {
            tracing::debug!(
                attempt,
                wait_ms = wait.as_millis() as u64,
                "openscaler: no retry, past the deadline"
            );
            return None;
        }
        // Tokens are taken before the wait and come back if the call is
        // dropped during it.
        let held = match hooks.budget.as_deref().map(|b| b.take(timed_out)) {
            Some(None) => {
                tracing::debug!(attempt, "openscaler: no retry, retry budget exhausted");
                self.record.not_retried = Some(NotRetried::Budget);
                return None;
            }
            Some(held) => held,
            None => None,
        };
        tracing::debug!(
            attempt,
            wait_ms = wait.as_millis() as u64,
            "openscaler retry"
        );
        Some(Pause { wait, held })
    }
}

/// What follows an attempt ([`Attempts::turn`]).
enum Turn<'a> {
    /// An answer to read: a success, or the call's final answer.
    Read(Response),
    /// A retry, after this pause.
    Retry(Pause<'a>),
    /// No answer, and no retry: the call's error.
    Fail(reqwest::Error),
}

/// The wait before a retry, with the budget's tokens it holds.
pub(crate) struct Pause<'a> {
    wait: Duration,
    held: Option<Held<'a>>,
}

impl Pause<'_> {
    /// Waits; then the tokens are spent. Returns how many.
    async fn wait(self) -> u32 {
        tokio::time::sleep(self.wait).await;
        self.held.map_or(0, Held::spend)
    }
}

/// What a call through the generated client's send path gives: the
/// generated client's own result type.
pub(crate) type Answer<T, E> = Result<ResponseValue<T>, progenitor_client::Error<E>>;

/// One call through the generated client's send path: `build` makes each
/// attempt's request (the generated `*_request` method), `answer` reads the
/// final answer's status, headers and body (the generated `*_answer`
/// method). A success whose body is cut off is retried like a connection
/// failure; an error status the policy retries is dropped unread.
///
/// This future is most of a call's state, so it is kept small: what is
/// borrowed is borrowed inside plain functions, and no value is kept
/// across an `.await` that does not need it (a local borrowed in an `async`
/// body keeps its room in every later state).
pub(crate) async fn send<T, E>(
    client: &generated::Client,
    attempts: &mut Attempts<'_>,
    build: &impl Fn() -> reqwest::Result<Request>,
    answer: fn(StatusCode, HeaderMap, Bytes) -> Answer<T, E>,
) -> Answer<T, E> {
    use progenitor_client::Error as E;
    // The wait before a retry is awaited here, at the top, outside any
    // `match`: a `match` keeps its scrutinee's room through its arms.
    let mut pause: Option<Pause<'_>> = None;
    loop {
        if let Some(pause) = pause.take() {
            attempts.resume(pause.wait().await);
        }
        let request = authorized(&client.inner, build()?).map_err(E::Custom)?;
        let (attempt, sent) = attempts.start(&client.client, request);
        let mut response = match attempts.turn(attempt.await, sent) {
            Turn::Read(response) => response,
            Turn::Retry(next) => {
                pause = Some(next);
                continue;
            }
            Turn::Fail(error) => return Err(E::CommunicationError(error)),
        };
        // The final answer, or a success: its body is read here, once.
        let body = read_body(&mut response).await;
        let status = response.status();
        let cut_off = match body {
            Ok(body) => {
                if status.is_success() {
                    attempts.succeeded();
                }
                return answer(status, std::mem::take(response.headers_mut()), body);
            }
            Err(error) if status.is_success() => error,
            Err(error) => return Err(E::ResponseBodyError(error)),
        };
        tracing::debug!(attempt = attempts.attempt, error = %cut_off, "openscaler body cut off");
        match attempts.retry(Err(&cut_off)) {
            Some(next) => pause = Some(next),
            None => return Err(E::CommunicationError(cut_off)),
        }
    }
}

/// `request` with the token added ([`authorize`]).
fn authorized(hooks: &Hooks, mut request: Request) -> Result<Request, String> {
    authorize(hooks, &mut request)?;
    Ok(request)
}

/// Reads `response`'s whole body where it is. A body that arrives in one
/// piece (a small JSON answer does) is handed on as it came; more pieces
/// are joined. Unlike `Response::bytes`, whose state holds the response
/// and a collector besides, this keeps a call's state small: it is part of
/// every call's future. An error names the URL, as `bytes`' does.
async fn read_body(response: &mut Response) -> reqwest::Result<Bytes> {
    async fn pieces(response: &mut Response) -> reqwest::Result<Bytes> {
        let Some(first) = response.chunk().await? else {
            return Ok(Bytes::new());
        };
        let Some(second) = response.chunk().await? else {
            return Ok(first);
        };
        let mut whole = Vec::with_capacity(first.len() + second.len());
        whole.extend_from_slice(&first);
        whole.extend_from_slice(&second);
        while let Some(more) = response.chunk().await? {
            whole.extend_from_slice(&more);
        }
        Ok(whole.into())
    }
    match pieces(response).await {
        Ok(body) => Ok(body),
        Err(error) => Err(error.with_url(response.url().clone())),
    }
}

/// A JSON answer's body as a `ResponseValue`, as progenitor's
/// `ResponseValue::from_response` makes it. Used by the generated `*_answer`
/// methods.
// The error type is progenitor's, as its own methods return it.
#[allow(clippy::result_large_err)]
pub(crate) fn json_value<T: DeserializeOwned, E>(
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
) -> Answer<T, E> {
    match serde_json::from_slice(&body) {
        Ok(inner) => Ok(ResponseValue::new(inner, status, headers)),
        Err(error) => Err(progenitor_client::Error::InvalidResponsePayload(
            body, error,
        )),
    }
}

/// An answer the spec does not document, whole again, for progenitor's
/// `Error::UnexpectedResponse`. Used by the generated `*_answer` methods.
pub(crate) fn unexpected<E>(
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
) -> progenitor_client::Error<E> {
    let mut response = http::Response::new(reqwest::Body::from(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    progenitor_client::Error::UnexpectedResponse(Response::from(response))
}

impl ClientHooks<Hooks> for generated::Client {
    async fn pre<E>(
        &self,
        request: &mut Request,
        _: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        request.headers_mut().remove(&API_VERSION);
        authorize(&self.inner, request).map_err(progenitor_client::Error::Custom)
    }

    /// For calls made through the generated client directly: progenitor
    /// hands over a built request, so a retry sends a copy of it.
    async fn exec(&self, request: Request, _: &OperationInfo) -> reqwest::Result<Response> {
        let mut attempts = Attempts::new(&self.inner);
        let mut current = request;
        loop {
            // The body is in memory, so the request can always be cloned.
            let spare = attempts
                .more_allowed()
                .then(|| current.try_clone())
                .flatten();
            let outcome = match attempts.send(&self.client, current).await {
                // A success's body is read here, so that one cut off is
                // retried like a connection failure.
                Ok(response) if response.status().is_success() => {
                    match read_whole(response).await {
                        Ok(response) => {
                            attempts.succeeded();
                            return Ok(response);
                        }
                        Err(error) => Err(error),
                    }
                }
                other => other,
            };
            let Some(next) = spare else { return outcome };
            if !attempts.again(outcome.as_ref().map(Response::status)).await {
                return outcome;
            }
            current = next;
        }
    }
}

/// Reads a response's whole body and hands back an equivalent response
/// holding it: status, version, headers, extensions and URL kept.
async fn read_whole(mut response: Response) -> reqwest::Result<Response> {
    let body = read_body(&mut response).await?;
    let status = response.status();
    let version = response.version();
    let url = response.url().clone();
    let headers = std::mem::take(response.headers_mut());
    let extensions = std::mem::take(response.extensions_mut());
    // Only the URL is set through the builder (it is how reqwest takes a
    // URL back), and setting it cannot fail.
    let mut rebuilt = http::Response::builder()
        .url(url)
        .body(reqwest::Body::from(body))
        .expect("a response builder given only a URL is valid");
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    rebuilt.extensions_mut().extend(extensions);
    Ok(Response::from(rebuilt))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_goes_over_https_or_to_loopback_only() {
        for ok in [
            "https://api.alpha.openscaler.net/v1",
            "https://10.0.0.1/",
            "http://127.0.0.1:8080/",
            "http://127.9.9.9/",
            "http://localhost:1/",
            "http://[::1]:9/",
        ] {
            assert!(token_may_go_to(&Url::parse(ok).unwrap()), "{ok}");
        }
        for refused in [
            "http://api.alpha.openscaler.net/",
            "http://10.0.0.1/",
            "http://[2001:db8::1]/",
            "http://localhost.example.com/",
        ] {
            assert!(!token_may_go_to(&Url::parse(refused).unwrap()), "{refused}");
        }
    }

    /// The table marks as-is exactly the bytes progenitor's encoder leaves
    /// as they are (every byte from 0x80 up belongs to a character that is
    /// encoded), so the shortcut is taken whenever it can be.
    #[test]
    fn the_as_is_table_is_the_encoder_s_own_set() {
        for b in 0u8..=0x7f {
            let text = char::from(b).to_string();
            let unchanged = progenitor_client::encode_path(&text) == text;
            assert_eq!(AS_IS[usize::from(b)], unchanged, "byte {b:#04x}");
        }
        assert!(AS_IS[0x80..].iter().all(|as_is| !as_is));
    }

    /// The shortcut for values with nothing to encode gives what
    /// progenitor's encoder gives, for every byte that can appear.
    #[test]
    fn path_values_are_encoded_as_progenitor_encodes_them() {
        let mut values: Vec<String> = (0u8..=0x7f).map(|b| format!("a{}b", b as char)).collect();
        values.extend(
            [
                "42",
                "my-backend",
                "",
                "é",
                "a b",
                "..",
                "x/y",
                "%41",
                "ü/€",
                "/?#",
            ]
            .map(String::from),
        );
        // Values made only of characters to encode, one each.
        values.extend(r#"" # % / < > ? ` { }"#.split(' ').map(String::from));
        for value in values {
            let mut url = String::from("base/");
            push_path_value(&mut url, &value);
            assert_eq!(
                url,
                format!("base/{}", progenitor_client::encode_path(&value)),
                "{value:?}"
            );
        }
    }
}
