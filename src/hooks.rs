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

use progenitor_client::{ClientHooks, OperationInfo, ResponseValue};
use reqwest::{
    header::{HeaderName, HeaderValue, AUTHORIZATION},
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
fn token_may_go_to(url: &Url) -> bool {
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
    if !token_may_go_to(request.url()) {
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
    deadline: Instant,
    attempt: u32,
    /// What the last retry cost, given back if the call succeeds.
    last_cost: u32,
    pub(crate) record: CallRecord,
}

impl<'a> Attempts<'a> {
    pub(crate) fn new(hooks: &'a Hooks) -> Self {
        Attempts {
            hooks,
            deadline: Instant::now() + hooks.retry.deadline,
            attempt: 1,
            last_cost: 0,
            record: CallRecord::default(),
        }
    }

    /// Whether the policy leaves an attempt after this one.
    fn more_allowed(&self) -> bool {
        self.attempt < self.hooks.retry.max_attempts
    }

    /// Sends the attempt's request through `http`, and records what came
    /// back.
    async fn send(
        &mut self,
        http: &reqwest::Client,
        mut request: Request,
    ) -> reqwest::Result<Response> {
        let attempt = self.attempt;
        // The client's own timeout bounds the attempt; a shorter one is set
        // on the request only when the deadline is nearer.
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        if self.hooks.attempt_timeout.is_none_or(|t| remaining < t) {
            *request.timeout_mut() = Some(remaining);
        }
        self.record.attempts = attempt;
        let sent = Instant::now();
        let outcome = http.execute(request).await;
        let latency_ms = sent.elapsed().as_millis() as u64;
        match &outcome {
            Ok(response) => {
                let status = response.status();
                tracing::debug!(
                    attempt,
                    status = status.as_u16(),
                    latency_ms,
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
                tracing::debug!(attempt, latency_ms, error = %error, "openscaler attempt failed");
            }
        }
        outcome
    }

    /// The call is done with a success: the budget gets its refill.
    fn succeeded(&self) {
        if let Some(budget) = &self.hooks.budget {
            budget.succeeded(self.last_cost);
        }
    }

    /// Whether to send the request again after `outcome`: `true` once the
    /// wait before the retry is over; `false` when the outcome is the
    /// call's (not retryable, no attempt left, past the deadline, the
    /// server's wait too long, or the budget spent).
    async fn again(&mut self, outcome: &reqwest::Result<Response>) -> bool {
        let attempt = self.attempt;
        if !self.more_allowed() {
            return false;
        }
        let policy = &self.hooks.retry;
        let (wait, timed_out) = match policy.next(attempt, outcome, self.record.retry_after) {
            Next::Stop => return false,
            Next::TooLong => {
                tracing::debug!(attempt, "openscaler: no retry, Retry-After too long");
                self.record.not_retried = Some(NotRetried::RetryAfter);
                return false;
            }
            Next::Retry { wait, timed_out } => (wait, timed_out),
        };
        if Instant::now() + wait >= self.deadline {
            tracing::debug!(
                attempt,
                wait_ms = wait.as_millis() as u64,
                "openscaler: no retry, past the deadline"
            );
            return false;
        }
        // Tokens are taken before the wait and come back if the call is
        // dropped during it.
        let held = match self.hooks.budget.as_deref().map(|b| b.take(timed_out)) {
            Some(None) => {
                tracing::debug!(attempt, "openscaler: no retry, retry budget exhausted");
                self.record.not_retried = Some(NotRetried::Budget);
                return false;
            }
            Some(held) => held,
            None => None,
        };
        tracing::debug!(
            attempt,
            wait_ms = wait.as_millis() as u64,
            "openscaler retry"
        );
        tokio::time::sleep(wait).await;
        self.last_cost = held.map_or(0, Held::spend);
        self.attempt += 1;
        true
    }
}

/// One call through the generated client's send path: `build` makes each
/// attempt's request (the generated `*_request` method), `answer` reads a
/// final answer (the generated `*_answer` method). A success whose body is
/// cut off is retried like a connection failure; an error status the policy
/// retries is dropped unread.
pub(crate) async fn send<T, E, Fut>(
    client: &generated::Client,
    attempts: &mut Attempts<'_>,
    mut build: impl FnMut() -> reqwest::Result<Request>,
    answer: impl Fn(Response) -> Fut,
) -> Result<ResponseValue<T>, progenitor_client::Error<E>>
where
    Fut: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<E>>>,
{
    use progenitor_client::Error as E;
    loop {
        let mut request = build()?;
        authorize(&client.inner, &mut request).map_err(E::Custom)?;
        let outcome = match attempts.send(&client.client, request).await {
            Ok(response) if response.status().is_success() => match answer(response).await {
                Err(E::ResponseBodyError(error)) => {
                    tracing::debug!(attempt = attempts.attempt, error = %error, "openscaler body cut off");
                    Err(error)
                }
                done => {
                    attempts.succeeded();
                    return done;
                }
            },
            other => other,
        };
        if !attempts.again(&outcome).await {
            return match outcome {
                Ok(response) => answer(response).await,
                Err(error) => Err(E::CommunicationError(error)),
            };
        }
    }
}

/// Reads a JSON answer into a `ResponseValue`, as progenitor's
/// `ResponseValue::from_response` does, but moving the headers instead of
/// copying them. Used by the generated `*_answer` methods.
pub(crate) async fn json_answer<T: DeserializeOwned, E>(
    mut response: Response,
) -> Result<ResponseValue<T>, progenitor_client::Error<E>> {
    use progenitor_client::Error as E;
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let body = response.bytes().await.map_err(E::ResponseBodyError)?;
    match serde_json::from_slice(&body) {
        Ok(inner) => Ok(ResponseValue::new(inner, status, headers)),
        Err(error) => Err(E::InvalidResponsePayload(body, error)),
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
            if !attempts.again(&outcome).await {
                return outcome;
            }
            current = next;
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
