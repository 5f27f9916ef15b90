//! The request pipeline: what happens to every request this crate sends.
//!
//! Every operation's `send()` (written by the generator, `src/operations.rs`)
//! goes through [`call`] and [`send`]: the generated `*_request` function
//! (progenitor's own request building, split from its method) builds each
//! attempt's request, this module adds the token and sends it, and the
//! generated `*_answer` function reads the answer as progenitor would. An
//! operation progenitor's method cannot be split for goes through
//! [`call_whole`], and calls made through the generated client directly
//! (`Client::generated()`) get the same treatment through progenitor's
//! `ClientHooks` (`pre`, `exec`).
//!
//! - [`authorize`] refuses to send the bearer token over plain `http` to
//!   anything but a loopback address, and adds the token. (`pre` also drops
//!   the `api-version` header progenitor's methods add to every request:
//!   OpenScaler does not document it; the request stays exactly the page's.)
//! - [`Attempts`] sends a request, and says whether to send it again as the
//!   client's [`RetryPolicy`] and retry budget say. Each attempt gets the
//!   per-attempt timeout, cut to what is left of the call's deadline. A
//!   success's body is read before the call counts as done, so that a body
//!   cut off is retried too. A request that is not idempotent (a `POST`
//!   without an `Idempotency-Key`, see [`retry`](crate::retry)) is sent
//!   again only when its connection could not be made. It records the
//!   attempts made, the last answer's status, `x-request-id`, `Retry-After`
//!   and attempt, and why a retry was not made, so that errors can report
//!   them even when the body cannot be parsed.
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
    header::{HeaderName, HeaderValue, AUTHORIZATION},
    Request, Response, ResponseBuilderExt, StatusCode, Url,
};

use serde::{de::DeserializeOwned, Serialize};
use tracing::{Instrument, Span};

use crate::{
    generated,
    operations::Operation,
    retry::{self, is_retryable_status, Budget, Held, Next},
    RetryPolicy,
};

/// Header names made once, not parsed from text on every request.
static API_VERSION: HeaderName = HeaderName::from_static("api-version");
static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
static IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

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
    /// The last answer that arrived, from whichever attempt.
    pub(crate) answer: Option<Answered>,
    /// Why a retry the policy allows was not made.
    pub(crate) not_retried: Option<NotRetried>,
}

/// An answer that arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answered {
    /// The attempt it answered (1 for the first).
    pub(crate) attempt: u32,
    pub(crate) status: StatusCode,
    pub(crate) request_id: Option<String>,
    /// Its `Retry-After`, when it was a retryable status.
    pub(crate) retry_after: Option<Duration>,
}

impl CallRecord {
    /// The last attempt's answer; `None` when that attempt got none.
    pub(crate) fn last_answer(&self) -> Option<&Answered> {
        self.answer.as_ref().filter(|a| a.attempt == self.attempts)
    }

    /// An earlier attempt's answer, when the last attempt got none.
    pub(crate) fn earlier_answer(&self) -> Option<&Answered> {
        self.answer.as_ref().filter(|a| a.attempt != self.attempts)
    }
}

/// Why a failed attempt was not retried although attempts were left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NotRetried {
    /// The client's retry budget had too few tokens.
    Budget,
    /// The server's `Retry-After` was longer than `max_retry_after`.
    RetryAfter,
    /// The request is not idempotent: it may have taken effect.
    NotIdempotent,
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

/// One call's attempts: its deadline, the attempt in progress, what the
/// last retry cost and what was seen.
pub(crate) struct Attempts<'a> {
    hooks: &'a Hooks,
    /// Set when the first attempt starts: the clock is read once for both.
    deadline: Option<Instant>,
    attempt: u32,
    /// What the last retry cost, given back if the call succeeds.
    last_cost: u32,
    /// Whether the request may be sent again after it may have arrived
    /// (see [`retry`](crate::retry)).
    idempotent: bool,
    pub(crate) record: CallRecord,
}

impl<'a> Attempts<'a> {
    pub(crate) fn new(hooks: &'a Hooks, idempotent: bool) -> Self {
        Attempts {
            hooks,
            deadline: None,
            attempt: 1,
            last_cost: 0,
            idempotent,
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
                self.record.answer = Some(Answered {
                    attempt,
                    status,
                    request_id: response
                        .headers()
                        .get(&REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned),
                    retry_after: match is_retryable_status(status) {
                        true => retry::retry_after(response, SystemTime::now()),
                        false => None,
                    },
                });
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
        // Only a connection that was never made proves the request did not
        // arrive; anything else may have had its effect.
        if !self.idempotent && !outcome.is_err_and(reqwest::Error::is_connect) {
            tracing::debug!(
                attempt,
                "openscaler: no retry, the request is not idempotent"
            );
            self.record.not_retried = Some(NotRetried::NotIdempotent);
            return None;
        }
        let hooks = self.hooks;
        let retry_after = self.record.last_answer().and_then(|a| a.retry_after);
        let (wait, timed_out) = match hooks.retry.next(attempt, outcome, retry_after) {
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

/// One call of an operation, as its generated `send()` makes it: the
/// pipeline ([`send`]), inside the operation's span when a subscriber
/// listens, its outcome as the SDK's [`Error`](crate::Error).
pub(crate) async fn call<T, E, F>(
    generated: &generated::Client,
    operation: &'static Operation,
    span: Span,
    build: impl Fn() -> Result<Request, progenitor_client::Error<E>>,
    answer: impl Fn(Response) -> F,
) -> Result<T, crate::Error>
where
    E: Serialize,
    F: Future<Output = Answer<T, E>>,
{
    let mut attempts = Attempts::new(&generated.inner, operation.idempotent);
    // The generated result lives in this block only: just the boxed
    // conversion of an error waits below (the call's state stays small).
    let failure = {
        // Without a subscriber the span is disabled: no clock, no wrapper
        // entering it on every poll.
        let outcome = if span.is_disabled() {
            send(generated, &mut attempts, &build, answer).await
        } else {
            let started = Instant::now();
            let outcome = send(generated, &mut attempts, &build, answer)
                .instrument(span.clone())
                .await;
            record(&span, &attempts.record, started);
            outcome
        };
        match outcome {
            Ok(response) => return Ok(response.into_inner()),
            Err(error) => Box::pin(crate::Error::from_generated(error, attempts.record)),
        }
    };
    Err(failure.await.redact(generated.inner.token()))
}

/// The span's fields, once the call is over.
fn record(span: &Span, record: &CallRecord, started: Instant) {
    span.record("attempts", record.attempts);
    span.record("status", record.last_answer().map(|a| a.status.as_u16()));
    span.record("latency_ms", started.elapsed().as_millis() as u64);
}

tokio::task_local! {
    /// What `exec` saw during a [`call_whole`], handed back to it.
    static WHOLE: std::cell::RefCell<CallRecord>;
}

/// One call of an operation whose progenitor method could not be split
/// (`build/generator/split.rs`): progenitor's method itself, whose `exec`
/// hook makes the attempts; the rest as [`call`].
#[allow(
    dead_code,
    reason = "called by the generated code of operations that need it; today's spec may have none"
)]
pub(crate) async fn call_whole<T, E: Serialize>(
    generated: &generated::Client,
    operation: &'static Operation,
    span: Span,
    method: impl Future<Output = Answer<T, E>>,
) -> Result<T, crate::Error> {
    let started = Instant::now();
    let whole = async {
        let outcome = method.await;
        (outcome, WHOLE.with(|record| record.take()))
    };
    let (outcome, record) = WHOLE
        .scope(Default::default(), whole)
        .instrument(span.clone())
        .await;
    tracing::trace!(operation = operation.id, "openscaler: called whole");
    // On a disabled span (no subscriber), recording does nothing.
    self::record(&span, &record, started);
    match outcome {
        Ok(response) => Ok(response.into_inner()),
        Err(error) => Err(crate::Error::from_generated(error, record)
            .await
            .redact(generated.inner.token())),
    }
}

/// One call through the generated client's send path: `build` makes each
/// attempt's request (the generated `*_request` function), `answer` reads
/// the final answer (the generated `*_answer` function). A success whose
/// body is cut off is retried like a connection failure; an error status
/// the policy retries is dropped unread.
pub(crate) async fn send<T, E, F>(
    client: &generated::Client,
    attempts: &mut Attempts<'_>,
    build: &impl Fn() -> Result<Request, progenitor_client::Error<E>>,
    answer: impl Fn(Response) -> F,
) -> Answer<T, E>
where
    F: Future<Output = Answer<T, E>>,
{
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
        let response = match attempts.turn(attempt.await, sent) {
            Turn::Read(response) => response,
            Turn::Retry(next) => {
                pause = Some(next);
                continue;
            }
            Turn::Fail(error) => return Err(E::CommunicationError(error)),
        };
        // The final answer, or a success: read here, once. The reading
        // (progenitor's, which collects the body) is boxed: its state is
        // larger than the rest of the call's, and a call's future is what
        // 64 calls in flight keep and touch on every poll.
        let success = response.status().is_success();
        let cut_off = match Box::pin(answer(response)).await {
            Err(E::ResponseBodyError(error)) if success => error,
            outcome => {
                if success {
                    attempts.succeeded();
                }
                return outcome;
            }
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

/// progenitor's `ResponseValue::from_response`, which the generated
/// `*_answer` functions call instead (`build/generator/split.rs` swaps the
/// path): the same result, but the headers are moved rather than copied and
/// the body is read in place ([`read_body`]).
pub(crate) async fn from_response<T: DeserializeOwned, E>(mut response: Response) -> Answer<T, E> {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let body = read_body(&mut response)
        .await
        .map_err(progenitor_client::Error::ResponseBodyError)?;
    match serde_json::from_slice(&body) {
        Ok(inner) => Ok(ResponseValue::new(inner, status, headers)),
        Err(error) => Err(progenitor_client::Error::InvalidResponsePayload(
            body, error,
        )),
    }
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
    /// hands over a built request, so a retry sends a copy of it. Whether
    /// the request may be sent again comes from the operations table (or,
    /// for an operation it does not list, from the method and an
    /// `Idempotency-Key` header).
    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        let idempotent = request.headers().contains_key(&IDEMPOTENCY_KEY)
            || crate::operations::operation(info.operation_id).map_or_else(
                || retry::idempotent_method(request.method()),
                |operation| operation.idempotent,
            );
        let mut attempts = Attempts::new(&self.inner, idempotent);
        let mut current = request;
        let outcome = loop {
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
                            break Ok(response);
                        }
                        Err(error) => Err(error),
                    }
                }
                other => other,
            };
            let Some(next) = spare else { break outcome };
            if !attempts.again(outcome.as_ref().map(Response::status)).await {
                break outcome;
            }
            current = next;
        };
        // A `call_whole` reads what was seen; a direct call has no one to tell.
        let _ = WHOLE.try_with(|record| record.replace(attempts.record));
        outcome
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
    use std::{
        io::{Read, Write},
        net::TcpListener,
        sync::atomic::{AtomicUsize, Ordering},
    };

    use super::*;

    fn hooks() -> Hooks {
        Hooks {
            authorization: HeaderValue::from_static("Bearer test-token"),
            retry: RetryPolicy::default()
                .initial_backoff(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(2)),
            budget: None,
            attempt_timeout: None,
            token_allowed: true,
        }
    }

    /// A refused connection, and a 503, as reqwest reports them.
    fn refused() -> reqwest::Error {
        let addr = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(reqwest::get(format!("http://{addr}/")))
            .unwrap_err()
    }

    /// A request that is not idempotent is sent again only when its
    /// connection was never made; an idempotent one after any retryable
    /// outcome.
    #[test]
    fn only_a_connection_never_made_is_retried_for_a_request_that_is_not_idempotent() {
        let hooks = hooks();
        let refused = refused();
        assert!(refused.is_connect());

        // Attempts whose first attempt has started (its deadline is set).
        let started = |idempotent| {
            let mut attempts = Attempts::new(&hooks, idempotent);
            attempts.deadline = Some(Instant::now() + Duration::from_secs(60));
            attempts
        };
        let mut post = started(false);
        assert!(post.retry(Ok(StatusCode::SERVICE_UNAVAILABLE)).is_none());
        assert_eq!(post.record.not_retried, Some(NotRetried::NotIdempotent));
        let mut post = started(false);
        assert!(post.retry(Err(&refused)).is_some());
        assert_eq!(post.record.not_retried, None);

        let mut put = started(true);
        assert!(put.retry(Ok(StatusCode::SERVICE_UNAVAILABLE)).is_some());
        assert_eq!(put.record.not_retried, None);
    }

    /// A server on 127.0.0.1 answering every request 503, counting them.
    fn busy_server() -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/x", listener.local_addr().unwrap());
        let count = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&count);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                seen.fetch_add(1, Ordering::SeqCst);
                let _ = stream.write_all(
                    b"HTTP/1.1 503 Busy\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                );
            }
        });
        (url, count)
    }

    /// An operation called whole (`call_whole`, for a method that cannot
    /// be split): progenitor's method makes the attempts through `exec`,
    /// and the error still reports them.
    #[test]
    fn a_call_made_whole_reports_the_attempts_exec_made() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let (url, count) = busy_server();
        let base = url.trim_end_matches("/x");
        let client = generated::Client::new_with_client(base, reqwest::Client::new(), hooks());
        let backend: crate::Backend = serde_json::from_value(serde_json::json!({
            "name": "b", "mode": "tcp", "balancing_method": "first", "port": 80,
            "servers": {"type": "ip", "ips": ["10.0.0.1"]}
        }))
        .unwrap();
        let operation = crate::operations::operation("update_backend").unwrap();
        let error = runtime
            .block_on(call_whole(
                &client,
                operation,
                Span::none(),
                client.update_backend("42", "b", &backend),
            ))
            .unwrap_err();
        assert_eq!(count.load(Ordering::SeqCst), 3);
        assert_eq!(error.attempts(), 3, "{error}");
        assert_eq!(
            error.status(),
            Some(StatusCode::SERVICE_UNAVAILABLE),
            "{error}"
        );
    }

    /// Calls made through the generated client directly: an operation the
    /// table does not list is judged by its method, and by an
    /// `Idempotency-Key` header it carries.
    #[test]
    fn exec_judges_a_request_by_the_table_its_method_and_its_key() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let client =
            generated::Client::new_with_client("http://127.0.0.1", reqwest::Client::new(), hooks());
        let sent = |method: reqwest::Method, key: Option<&str>, id: &'static str| {
            let (url, count) = busy_server();
            let mut request = reqwest::Request::new(method, Url::parse(&url).unwrap());
            if let Some(key) = key {
                request
                    .headers_mut()
                    .insert(&IDEMPOTENCY_KEY, HeaderValue::from_str(key).unwrap());
            }
            let info = OperationInfo { operation_id: id };
            let status = runtime
                .block_on(client.exec(request, &info))
                .unwrap()
                .status();
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            count.load(Ordering::SeqCst)
        };
        assert_eq!(sent(reqwest::Method::POST, None, "not_in_the_table"), 1);
        assert_eq!(
            sent(reqwest::Method::POST, Some("k-1"), "not_in_the_table"),
            3
        );
        assert_eq!(sent(reqwest::Method::GET, None, "not_in_the_table"), 3);
        // The table's word counts: update_backend is a PUT, so idempotent,
        // whatever the request says.
        assert_eq!(sent(reqwest::Method::POST, None, "update_backend"), 3);
    }

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
}
