//! The request pipeline: what happens to every request the generated client
//! makes, through progenitor's `ClientHooks` (`pre`, `exec`).
//!
//! - `pre` refuses to send the bearer token over plain `http` to anything but
//!   a loopback address, adds the token, and drops the `api-version` header
//!   progenitor adds to every request (OpenScaler does not document it; the
//!   request stays exactly the page's).
//! - `exec` sends the request, and sends it again as the client's
//!   [`RetryPolicy`] and retry budget say. Each attempt gets the per-attempt
//!   timeout, cut to what is left of the call's deadline. A success's body
//!   is read inside the loop, so that a body cut off is retried too. It
//!   records, for the call in progress, the attempts made, the last status,
//!   `x-request-id` and `Retry-After`, and why a retry was not made, so that
//!   errors can report them even when the body cannot be parsed.
//!
//! Tracing: a `debug` event per attempt (attempt, status, latency) and one
//! per retry (wait); never a header value or a body.

use std::{
    cell::RefCell,
    fmt,
    future::Future,
    sync::Arc,
    time::{Duration, Instant, SystemTime},
};

use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::{
    header::{HeaderName, HeaderValue, AUTHORIZATION},
    Request, Response, ResponseBuilderExt, StatusCode, Url,
};

use crate::{
    generated,
    retry::{self, is_retryable_status, Budget, Held, Next},
    RetryPolicy,
};

/// Header names made once, not parsed from text on every request.
static API_VERSION: HeaderName = HeaderName::from_static("api-version");
static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Per-client state the hooks need; the generated client's `inner` value.
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

tokio::task_local! {
    static CALL: RefCell<CallRecord>;
}

/// `call`, run with a fresh [`CallRecord`]; [`take_record`] reads it once
/// the call is done. (No wrapping future: the call's output is moved once
/// less, and the record not at all, than through an `async` block.)
pub(crate) fn recorded<F: Future>(call: F) -> Recorded<F> {
    CALL.scope(RefCell::new(CallRecord::default()), call)
}

/// A call running under [`recorded`].
pub(crate) type Recorded<F> = tokio::task::futures::TaskLocalFuture<RefCell<CallRecord>, F>;

/// What the pipeline recorded during a call made under [`recorded`].
pub(crate) fn take_record<F: Future>(call: std::pin::Pin<&mut Recorded<F>>) -> CallRecord {
    call.take_value()
        .map(RefCell::into_inner)
        .unwrap_or_default()
}

/// Updates the current call's record; a no-op outside [`recorded`] (a user
/// calling the generated client directly).
fn record(update: impl FnOnce(&mut CallRecord)) {
    let _ = CALL.try_with(|call| update(&mut call.borrow_mut()));
}

/// Whether a bearer token may go to `url`: always over https; over plain
/// http only to a loopback address, for local testing.
fn token_may_go_to(url: &Url) -> bool {
    match (url.scheme(), url.host()) {
        ("https", _) => true,
        ("http", Some(url::Host::Domain(domain))) => domain.eq_ignore_ascii_case("localhost"),
        ("http", Some(url::Host::Ipv4(ip))) => ip.is_loopback(),
        ("http", Some(url::Host::Ipv6(ip))) => ip.is_loopback(),
        _ => false,
    }
}

impl ClientHooks<Hooks> for generated::Client {
    async fn pre<E>(
        &self,
        request: &mut Request,
        _: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        if !token_may_go_to(request.url()) {
            return Err(progenitor_client::Error::Custom(format!(
                "refusing to send the bearer token over plain http to {}: use https \
                 (plain http is allowed only to loopback addresses)",
                request.url().host_str().unwrap_or("an unknown host")
            )));
        }
        let headers = request.headers_mut();
        headers.remove(&API_VERSION);
        headers.insert(AUTHORIZATION, self.inner.authorization.clone());
        Ok(())
    }

    async fn exec(&self, request: Request, _: &OperationInfo) -> reqwest::Result<Response> {
        // A dry run (`Client::preview_update_backend`) keeps the request here.
        if let Some(answer) = crate::preview::intercept(&request) {
            return Ok(answer);
        }
        let policy = &self.inner.retry;
        let budget = self.inner.budget.as_deref();
        let deadline = Instant::now() + policy.deadline;
        let mut current = request;
        let mut attempt = 1;
        // What the last retry cost, given back if the call succeeds.
        let mut last_cost = 0;
        loop {
            // The body is in memory, so the request can always be cloned.
            let spare = (attempt < policy.max_attempts)
                .then(|| current.try_clone())
                .flatten();
            // The client's own timeout bounds the attempt; a shorter one is
            // set on the request only when the deadline is nearer.
            let remaining = deadline.saturating_duration_since(Instant::now());
            if self.inner.attempt_timeout.is_none_or(|t| remaining < t) {
                *current.timeout_mut() = Some(remaining);
            }

            record(|call| call.attempts = attempt);
            let sent = Instant::now();
            let outcome = self.client.execute(current).await;
            let latency_ms = sent.elapsed().as_millis() as u64;
            let mut retry_after = None;
            let outcome = match outcome {
                Ok(response) => {
                    let status = response.status();
                    tracing::debug!(
                        attempt,
                        status = status.as_u16(),
                        latency_ms,
                        "openscaler attempt"
                    );
                    let request_id = response
                        .headers()
                        .get(&REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    if is_retryable_status(status) {
                        retry_after = retry::retry_after(&response, SystemTime::now());
                    }
                    record(|call| {
                        call.status = Some(status);
                        call.request_id = request_id;
                        call.retry_after = retry_after;
                    });
                    if !status.is_success() {
                        // Error bodies are read by the caller.
                        Ok(response)
                    } else {
                        // A success's body is read here, so that one cut off
                        // is retried like a connection failure.
                        match read_whole(response).await {
                            Ok(response) => {
                                if let Some(budget) = budget {
                                    budget.succeeded(last_cost);
                                }
                                return Ok(response);
                            }
                            Err(error) => {
                                tracing::debug!(attempt, error = %error, "openscaler body cut off");
                                Err(error)
                            }
                        }
                    }
                }
                Err(error) => {
                    tracing::debug!(attempt, latency_ms, error = %error, "openscaler attempt failed");
                    Err(error)
                }
            };

            let Some(next) = spare else { return outcome };
            let (wait, timed_out) = match policy.next(attempt, &outcome, retry_after) {
                Next::Stop => return outcome,
                Next::TooLong => {
                    tracing::debug!(attempt, "openscaler: no retry, Retry-After too long");
                    record(|call| call.not_retried = Some(NotRetried::RetryAfter));
                    return outcome;
                }
                Next::Retry { wait, timed_out } => (wait, timed_out),
            };
            if Instant::now() + wait >= deadline {
                tracing::debug!(
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    "openscaler: no retry, past the deadline"
                );
                return outcome;
            }
            // Tokens are taken before the wait and come back if the call is
            // dropped during it.
            let held = match budget.map(|b| b.take(timed_out)) {
                Some(None) => {
                    tracing::debug!(attempt, "openscaler: no retry, retry budget exhausted");
                    record(|call| call.not_retried = Some(NotRetried::Budget));
                    return outcome;
                }
                Some(held) => held,
                None => None,
            };
            tracing::debug!(
                attempt,
                wait_ms = wait.as_millis() as u64,
                "openscaler retry"
            );
            drop(outcome);
            tokio::time::sleep(wait).await;
            last_cost = held.map_or(0, Held::spend);
            current = next;
            attempt += 1;
        }
    }
}

/// Reads a response's whole body and hands back an equivalent response
/// holding it: status, version, headers, extensions and URL kept.
async fn read_whole(mut response: Response) -> reqwest::Result<Response> {
    let status = response.status();
    let version = response.version();
    let url = response.url().clone();
    let headers = std::mem::take(response.headers_mut());
    let extensions = std::mem::take(response.extensions_mut());
    let body = response.bytes().await?;
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
}
