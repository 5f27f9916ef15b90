//! [`RetryPolicy`]: when a failed attempt is sent again, and how long to wait.
//!
//! # What is retried, and why
//!
//! - Retried: failures before any answer arrived (connection refused or
//!   reset, timeouts), and the statuses 408 Request Timeout, 429 Too Many
//!   Requests, 502 Bad Gateway, 503 Service Unavailable and 504 Gateway
//!   Timeout. Each says the request was not handled, or that the server asks
//!   to come back later.
//! - Not retried: other 4xx (the request itself is wrong: sending it again
//!   gives the same answer), 500 Internal Server Error (the server failed
//!   while handling it; repeating it blindly can repeat the damage, and the
//!   caller should see it), and input refused before sending.
//!
//! # Which requests may be sent again (RFC 9110 §9.2.2)
//!
//! A retry after an error status or a connection dropped mid-answer sends a
//! request the server may already have carried out. That is safe only for
//! an idempotent request, one whose effect is the same applied twice as
//! once:
//!
//! - `GET`, `HEAD`, `OPTIONS`, `TRACE` (safe methods), `PUT` and `DELETE`
//!   are idempotent by their definition and retried as above. Update a
//!   Backend is a `PUT` that replaces the whole backend: a retry after a
//!   lost answer at worst rewrites the same configuration.
//! - `POST` and `PATCH` are not: a create sent twice creates twice. They are
//!   sent again only when the connection could not be made at all (nothing
//!   was sent), or when the operation declares an `Idempotency-Key` header
//!   parameter: the SDK then sends a fresh random key (a UUID v4) with the
//!   call, the same on every attempt, unless the caller gave one, so that
//!   the server answers a repeat with its first answer instead of acting
//!   again (the IETF httpapi draft "The Idempotency-Key HTTP Header Field";
//!   Stripe's libraries and the AWS SDKs' idempotency tokens do the same).
//! - An operation's `x-idempotent: true` or `false` in `openapi.yaml`
//!   overrides both rules, for a `POST` the vendor documents as safe to
//!   repeat, or a `PUT` that is not.
//!
//! A request not sent again says so: [`Error`](crate::Error)'s message
//! ends with "not retried: the request is not idempotent".
//!
//! # How long to wait
//!
//! Exponential backoff with full jitter (a random wait between zero and
//! `initial_backoff * 2^(retry - 1)`, capped at `max_backoff`), unless the
//! answer carries `Retry-After` (seconds, or an HTTP date): then that wait.
//! When the server asks for a longer wait than `max_retry_after` (say
//! `Retry-After: 3600` against the default 30 s), the call fails at once with
//! the server's answer, and [`Error::retry_after`](crate::Error::retry_after)
//! says how long the server asked for: waiting 30 s and retrying would come
//! back an hour before the server is ready, and waiting an hour inside a call
//! is rarely what its caller wants. A caller whose policy allows that long a
//! wait (`max_retry_after`) waits. No retry starts after the call's
//! `deadline`.
//!
//! A `2xx` answer whose body breaks off (the connection closes mid-body, or
//! the attempt times out while reading it) is retried like a connection
//! failure: the body is read inside the retry loop, so the `PUT` is sent
//! again instead of failing on the first broken body.
//!
//! # The retry budget: retries are limited per client, not only per call
//!
//! Three attempts per call is right when one request in a hundred fails, and
//! harmful when the API is down or overloaded: 1,000 calls against a failing
//! API would send 3,000 requests and deepen the outage. So a client (and
//! every clone of it) shares one [`RetryBudget`], a token bucket in the
//! manner of the AWS SDKs' standard retry mode (their "retry quota"):
//!
//! - it starts full, with **500** tokens;
//! - a retry costs **5** tokens, a retry after a timeout **10** (a timeout
//!   is the stronger sign of an overloaded server, and it held a connection
//!   for the whole attempt);
//! - a call that succeeds puts back what its last retry cost, or **1** token
//!   when it succeeded at the first attempt, up to the 500;
//! - when a retry would cost more than is left, it is not made: the call
//!   fails at once with its last answer, and
//!   [`Error::is_retry_budget_exhausted`](crate::Error::is_retry_budget_exhausted)
//!   says so.
//!
//! What the numbers give:
//!
//! - **When everything fails**, the bucket allows 100 retries (500 / 5) and
//!   then none until calls succeed again: 1,000 calls against an API that
//!   answers 503 to everything send 1,100 requests, not 3,000 (measured by
//!   `tests/load.rs`). The cap is absolute, not a share, so it also protects
//!   an API that a program hits with a short burst.
//! - **When a few fail**, the budget never runs dry: at a 10 % failure rate
//!   a call costs on average 5 × (0.1 + 0.01) = 0.55 tokens in retries and
//!   earns back 0.9 × 1 + 0.099 × 5 ≈ 1.4; 1,000 calls with 10 % random
//!   503s get every retry they ask for (`tests/load.rs`). The bucket keeps
//!   refilling up to a failure rate of about a third of all attempts, above
//!   which retries fade out, which is the point: they stop adding load to an
//!   API failing that often.
//! - **When the API recovers**, every success adds a token, so retries come
//!   back after a handful of successes (5 tokens pay for one retry) without
//!   a timer or any background task.
//!
//! Why a token bucket and not gRPC's ratio (`max_tokens` 10, `token_ratio`
//! 0.1, a failure costs 1) or Finagle's share of recent requests (20 % over
//! 10 s): gRPC's numbers stop retries at about a 10 % failure rate, which is
//! the rate at which retries are most useful; Finagle's share needs a clock
//! and a window. The bucket is one atomic integer shared by the clones of a
//! client, touched once per call on success (and only read when full), so it
//! costs the call nothing measurable; its behaviour matches what users of
//! the AWS SDKs already know.
//!
//! The budget is per client: two clients (two `build()` calls) have two
//! budgets; clones of one client share one. Size it with
//! [`RetryPolicy::retry_budget`], turn it off with
//! [`RetryPolicy::no_retry_budget`]. A call dropped while it waits to retry
//! gives back the tokens it took for that retry; nothing keeps running.

use std::{
    hash::{BuildHasher, RandomState},
    sync::atomic::{AtomicU32, Ordering},
    time::{Duration, SystemTime},
};

use reqwest::{header::RETRY_AFTER, Method, Response, StatusCode};

/// When failed attempts are sent again; set with
/// [`ClientBuilder::retry_policy`](crate::ClientBuilder::retry_policy).
///
/// The default makes up to 3 attempts, backing off from 200 ms up to 5 s,
/// honours `Retry-After` up to 30 s (a longer one fails the call at once),
/// starts no retry after 60 s, and shares a [`RetryBudget`] of 500 tokens
/// across the client and its clones. [`RetryPolicy::none`] turns retrying
/// off.
///
/// See the [module documentation](self) for what is retried and why.
///
/// ```
/// use std::time::Duration;
/// use openscaler::{RetryBudget, RetryPolicy};
///
/// let patient = RetryPolicy::default()
///     .max_attempts(5)
///     .max_retry_after(Duration::from_secs(120))
///     .deadline(Duration::from_secs(300))
///     .retry_budget(RetryBudget::default().capacity(1000));
/// let client = openscaler::Client::builder()
///     .token("my-token")
///     .retry_policy(patient)
///     .build()?;
/// # Ok::<(), openscaler::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct RetryPolicy {
    pub(crate) max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
    pub(crate) deadline: Duration,
    pub(crate) budget: Option<RetryBudget>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
            deadline: Duration::from_secs(60),
            budget: Some(RetryBudget::default()),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retries.
    pub fn none() -> Self {
        RetryPolicy::default().max_attempts(1)
    }

    /// Attempts in all, the first included (at least 1). Default 3.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The backoff ceiling before the first retry; it doubles for each
    /// retry after. Default 200 ms.
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The highest backoff ceiling. Default 5 s.
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The longest wait a `Retry-After` header may ask for. A longer one is
    /// not waited for: the call fails at once with the server's answer, and
    /// [`Error::retry_after`](crate::Error::retry_after) holds the wait the
    /// server asked for. Default 30 s.
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// Time from the start of the call after which no attempt starts, and
    /// which bounds each attempt. Default 60 s.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Limits retries across the client and its clones with `budget`.
    /// Default: [`RetryBudget::default`] (500 tokens, 5 per retry).
    pub fn retry_budget(mut self, budget: RetryBudget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// No client-wide limit: every call makes up to `max_attempts` attempts
    /// whatever the others see. Only for callers that limit load themselves.
    pub fn no_retry_budget(mut self) -> Self {
        self.budget = None;
        self
    }

    /// What follows an attempt that ended with `outcome`, before retry
    /// number `retry` (1 for the first retry); `retry_after` is the answer's
    /// `Retry-After`, already read.
    pub(crate) fn next(
        &self,
        retry: u32,
        outcome: Result<StatusCode, &reqwest::Error>,
        retry_after: Option<Duration>,
    ) -> Next {
        match outcome {
            Err(error) if error.is_builder() || error.is_redirect() => Next::Stop,
            Err(error) => Next::Retry {
                wait: self.backoff(retry),
                timed_out: error.is_timeout(),
            },
            Ok(status) if is_retryable_status(status) => match retry_after {
                Some(wait) if wait > self.max_retry_after => Next::TooLong,
                Some(wait) => Next::Retry {
                    wait,
                    timed_out: false,
                },
                None => Next::Retry {
                    wait: self.backoff(retry),
                    timed_out: false,
                },
            },
            Ok(_) => Next::Stop,
        }
    }

    /// Full jitter: uniform in `[0, min(max_backoff, initial * 2^(retry-1))]`.
    fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self
            .initial_backoff
            .saturating_mul(1 << retry.saturating_sub(1).min(20))
            .min(self.max_backoff);
        ceiling.mul_f64(unit_random())
    }
}

/// What follows an attempt.
#[derive(Debug, PartialEq)]
pub(crate) enum Next {
    /// Not worth retrying: the outcome is the call's.
    Stop,
    /// Retry after `wait`; `timed_out` when the attempt timed out (a dearer
    /// retry).
    Retry { wait: Duration, timed_out: bool },
    /// The server's `Retry-After` is longer than the policy allows.
    TooLong,
}

/// A client-wide limit on retries: a token bucket, as the AWS SDKs' retry
/// quota. See the [module documentation](self) for the design and why.
///
/// ```
/// use openscaler::{RetryBudget, RetryPolicy};
///
/// // Twice the default allowance, timeouts priced like other failures.
/// let budget = RetryBudget::default().capacity(1000).timeout_retry_cost(5);
/// let policy = RetryPolicy::default().retry_budget(budget);
/// # let _ = policy;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub struct RetryBudget {
    capacity: u32,
    retry_cost: u32,
    timeout_retry_cost: u32,
    success_refill: u32,
}

impl Default for RetryBudget {
    /// 500 tokens; a retry costs 5, a retry after a timeout 10; a success
    /// at the first attempt puts back 1, one after retries what the last
    /// retry cost.
    fn default() -> Self {
        RetryBudget {
            capacity: 500,
            retry_cost: 5,
            timeout_retry_cost: 10,
            success_refill: 1,
        }
    }
}

impl RetryBudget {
    /// Tokens in the bucket when the client is made, and at most. Default 500.
    pub fn capacity(mut self, tokens: u32) -> Self {
        self.capacity = tokens;
        self
    }

    /// Tokens a retry costs. Default 5.
    pub fn retry_cost(mut self, tokens: u32) -> Self {
        self.retry_cost = tokens;
        self
    }

    /// Tokens a retry after a timeout costs. Default 10.
    pub fn timeout_retry_cost(mut self, tokens: u32) -> Self {
        self.timeout_retry_cost = tokens;
        self
    }

    /// Tokens a call that succeeds at its first attempt puts back. Default 1.
    pub fn success_refill(mut self, tokens: u32) -> Self {
        self.success_refill = tokens;
        self
    }
}

/// A [`RetryBudget`]'s tokens, shared by a client and its clones.
#[derive(Debug)]
pub(crate) struct Budget {
    config: RetryBudget,
    tokens: AtomicU32,
}

impl Budget {
    pub(crate) fn new(config: RetryBudget) -> Self {
        Budget {
            config,
            tokens: AtomicU32::new(config.capacity),
        }
    }

    /// Tokens left.
    pub(crate) fn available(&self) -> u32 {
        self.tokens.load(Ordering::Relaxed)
    }

    /// Takes what a retry costs, if that much is left; the tokens come back
    /// if the [`Held`] is dropped before [`Held::spend`].
    pub(crate) fn take(&self, timed_out: bool) -> Option<Held<'_>> {
        let cost = match timed_out {
            true => self.config.timeout_retry_cost,
            false => self.config.retry_cost,
        };
        self.tokens
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| {
                t.checked_sub(cost)
            })
            .ok()
            .map(|_| Held {
                budget: self,
                cost,
                spent: false,
            })
    }

    /// A call succeeded; `last_cost` is what its last retry cost (0 when it
    /// made none).
    pub(crate) fn succeeded(&self, last_cost: u32) {
        let refill = match last_cost {
            0 => self.config.success_refill,
            cost => cost,
        };
        self.give(refill);
    }

    fn give(&self, tokens: u32) {
        let capacity = self.config.capacity;
        // The common case, a full bucket, costs one read and no write.
        if self.available() >= capacity {
            return;
        }
        let _ = self
            .tokens
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| {
                Some(t.saturating_add(tokens).min(capacity))
            });
    }
}

/// Tokens taken for a retry that has not been sent yet.
#[derive(Debug)]
pub(crate) struct Held<'a> {
    budget: &'a Budget,
    cost: u32,
    spent: bool,
}

impl Held<'_> {
    /// The retry is being sent: the tokens are gone. Returns their number.
    pub(crate) fn spend(mut self) -> u32 {
        self.spent = true;
        self.cost
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if !self.spent {
            self.budget.give(self.cost);
        }
    }
}

/// 408, 429, 502, 503, 504.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 502 | 503 | 504)
}

/// `Retry-After` as a wait from `now`: delay-seconds or an HTTP date (a date
/// in the past means no wait).
pub(crate) fn retry_after(response: &Response, now: SystemTime) -> Option<Duration> {
    let value = response.headers().get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Whether `method` is idempotent by its definition (RFC 9110 §9.2.2).
pub(crate) fn idempotent_method(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE | Method::PUT | Method::DELETE
    )
}

/// 64 random bits, from the standard library's randomly keyed hasher: each
/// `RandomState` has keys of its own, seeded from the system's randomness.
fn random_u64() -> u64 {
    RandomState::new().hash_one(0u8)
}

/// A random number in `[0, 1)`: plenty for spreading retries, and no
/// dependency.
fn unit_random() -> f64 {
    (random_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// The `Idempotency-Key` of one call: the caller's, or a fresh UUID v4.
/// The generated methods hand it to progenitor's request building as the
/// parameter's type wants it (`&str` or `&String`), the same on every attempt.
#[derive(Debug)]
pub(crate) struct IdempotencyKey(String);

#[allow(
    dead_code,
    reason = "called by the generated code of operations that need it; today's spec may have none"
)]
impl IdempotencyKey {
    pub(crate) fn new(given: Option<&str>) -> Self {
        IdempotencyKey(match given {
            Some(key) => key.to_owned(),
            None => uuid_v4(random_u64(), random_u64()),
        })
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for IdempotencyKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl AsRef<String> for IdempotencyKey {
    fn as_ref(&self) -> &String {
        &self.0
    }
}

/// A UUID version 4 (RFC 9562 §5.4) made of the bits of `high` and `low`.
#[allow(
    dead_code,
    reason = "called by the generated code of operations that need it; today's spec may have none"
)]
fn uuid_v4(high: u64, low: u64) -> String {
    let high = (high & !0xf000) | 0x4000; // version 4
    let low = (low & !(0b11 << 62)) | (0b10 << 62); // variant 10
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xffff,
        low >> 48,
        low & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use std::{
        io::{Read, Write},
        net::TcpListener,
    };

    use super::*;

    fn response(status: u16, retry_after: Option<&str>) -> reqwest::Result<Response> {
        let mut builder = http::Response::builder().status(status);
        if let Some(value) = retry_after {
            builder = builder.header("retry-after", value);
        }
        Ok(Response::from(builder.body(Vec::<u8>::new()).unwrap()))
    }

    /// What the hooks decide after `outcome`, reading its `Retry-After`.
    fn next(policy: &RetryPolicy, outcome: &reqwest::Result<Response>) -> Next {
        let wait = outcome
            .as_ref()
            .ok()
            .and_then(|r| retry_after(r, SystemTime::now()));
        policy.next(1, outcome.as_ref().map(Response::status), wait)
    }

    /// A server on 127.0.0.1 that reads one request and writes `answer`
    /// (or, for `None`, says nothing for a while).
    fn one_shot_server(answer: Option<&'static [u8]>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            match answer {
                Some(bytes) => {
                    let _ = stream.write_all(bytes);
                }
                None => std::thread::sleep(Duration::from_secs(2)),
            }
        });
        format!("http://{addr}/")
    }

    #[test]
    fn only_transient_statuses_are_retried() {
        let policy = RetryPolicy::default();
        for status in [408, 429, 502, 503, 504] {
            assert!(
                matches!(
                    next(&policy, &response(status, None)),
                    Next::Retry {
                        timed_out: false,
                        ..
                    }
                ),
                "{status}"
            );
        }
        for status in [200, 400, 401, 403, 404, 409, 500, 501] {
            assert_eq!(
                next(&policy, &response(status, None)),
                Next::Stop,
                "{status}"
            );
        }
    }

    #[test]
    fn errors_made_before_sending_or_by_redirects_are_not_retried() {
        let policy = RetryPolicy::default();
        let builder = reqwest::Client::new()
            .get("http://[::1")
            .build()
            .unwrap_err();
        assert!(builder.is_builder());
        assert_eq!(policy.next(1, Err(&builder), None), Next::Stop);

        let redirect = tokio::runtime::Runtime::new().unwrap().block_on(async {
            let url = one_shot_server(Some(
                b"HTTP/1.1 302 Found\r\nlocation: /elsewhere\r\ncontent-length: 0\r\n\r\n",
            ));
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::custom(|a| {
                    a.error("no redirects")
                }))
                .build()
                .unwrap()
                .get(url)
                .send()
                .await
                .unwrap_err()
        });
        assert!(redirect.is_redirect(), "{redirect:?}");
        assert_eq!(policy.next(1, Err(&redirect), None), Next::Stop);
    }

    #[test]
    fn connection_failures_are_retried_and_timeouts_cost_more() {
        let policy = RetryPolicy::default();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let refused = runtime.block_on(async {
            // Bind, note the port, close: nothing listens there now.
            let addr = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap();
            reqwest::get(format!("http://{addr}/")).await.unwrap_err()
        });
        assert!(matches!(
            policy.next(1, Err(&refused), None),
            Next::Retry {
                timed_out: false,
                ..
            }
        ));
        let timeout = runtime.block_on(async {
            reqwest::Client::builder()
                .timeout(Duration::from_millis(50))
                .build()
                .unwrap()
                .get(one_shot_server(None))
                .send()
                .await
                .unwrap_err()
        });
        assert!(timeout.is_timeout());
        assert!(matches!(
            policy.next(1, Err(&timeout), None),
            Next::Retry {
                timed_out: true,
                ..
            }
        ));
    }

    fn waits(policy: &RetryPolicy, retry: u32) -> Vec<Duration> {
        (0..400).map(|_| policy.backoff(retry)).collect()
    }

    #[test]
    fn backoff_doubles_up_to_its_ceiling_with_full_jitter() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(350));
        for (retry, ceiling) in [(1, 100), (2, 200), (3, 350), (9, 350), (40, 350)] {
            let ceiling = Duration::from_millis(ceiling);
            let waits = waits(&policy, retry);
            assert!(waits.iter().all(|w| *w <= ceiling), "retry {retry}");
            // Full jitter: spread over the whole range, from near zero to
            // near the ceiling (400 draws: each miss has odds of 0.9^400).
            assert!(waits.iter().any(|w| *w < ceiling / 10), "retry {retry}");
            assert!(waits.iter().any(|w| *w > ceiling * 9 / 10), "retry {retry}");
        }
    }

    #[test]
    fn idempotency_keys_are_uuid_v4_fresh_per_call_or_the_callers() {
        assert_eq!(uuid_v4(0, 0), "00000000-0000-4000-8000-000000000000");
        assert_eq!(
            uuid_v4(u64::MAX, u64::MAX),
            "ffffffff-ffff-4fff-bfff-ffffffffffff"
        );
        assert_eq!(
            uuid_v4(0x0123_4567_89ab_cdef, 0x0123_4567_89ab_cdef),
            "01234567-89ab-4def-8123-456789abcdef"
        );
        let keys: std::collections::HashSet<String> = (0..1000)
            .map(|_| IdempotencyKey::new(None).as_str().to_owned())
            .collect();
        assert_eq!(keys.len(), 1000, "every call gets its own key");
        assert!(keys
            .iter()
            .all(|k| k.len() == 36 && k.as_bytes()[14] == b'4'));
        let mine = IdempotencyKey::new(Some("mine"));
        assert_eq!(mine.as_str(), "mine");
        // The generated code hands it on as the parameter's type wants it.
        assert_eq!(AsRef::<str>::as_ref(&mine), "mine");
        assert_eq!(AsRef::<String>::as_ref(&mine), "mine");
    }

    #[test]
    fn only_idempotent_methods_are_retried_by_their_definition() {
        for method in [
            Method::GET,
            Method::HEAD,
            Method::OPTIONS,
            Method::TRACE,
            Method::PUT,
            Method::DELETE,
        ] {
            assert!(idempotent_method(&method), "{method}");
        }
        for method in [Method::POST, Method::PATCH, Method::CONNECT] {
            assert!(!idempotent_method(&method), "{method}");
        }
    }

    #[test]
    fn unit_random_is_uniform_in_zero_to_one() {
        let draws: Vec<f64> = (0..1000).map(|_| unit_random()).collect();
        assert!(draws.iter().all(|x| (0.0..1.0).contains(x)));
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        assert!((0.45..0.55).contains(&mean), "mean {mean}");
    }

    #[test]
    fn retry_after_is_waited_for_up_to_the_cap_and_refused_beyond() {
        let policy = RetryPolicy::default().max_retry_after(Duration::from_secs(10));
        assert_eq!(
            next(&policy, &response(429, Some("3"))),
            Next::Retry {
                wait: Duration::from_secs(3),
                timed_out: false
            }
        );
        assert_eq!(
            next(&policy, &response(503, Some("10"))),
            Next::Retry {
                wait: Duration::from_secs(10),
                timed_out: false
            }
        );
        // An hour is not cut to the cap and retried early: it stops the call.
        assert_eq!(next(&policy, &response(503, Some("3600"))), Next::TooLong);
        assert_eq!(next(&policy, &response(503, Some("11"))), Next::TooLong);
        // A policy that allows the wait waits.
        let patient = policy.max_retry_after(Duration::from_secs(3600));
        assert_eq!(
            next(&patient, &response(503, Some("3600"))),
            Next::Retry {
                wait: Duration::from_secs(3600),
                timed_out: false
            }
        );
        // Only a retryable answer's header counts.
        assert_eq!(next(&patient, &response(500, Some("1"))), Next::Stop);
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = SystemTime::now();
        let read = |value: &str| retry_after(&response(503, Some(value)).unwrap(), now);
        assert_eq!(read(" 7 "), Some(Duration::from_secs(7)));
        let in_five = httpdate::fmt_http_date(now + Duration::from_secs(5));
        let wait = read(&in_five).unwrap();
        assert!(
            wait <= Duration::from_secs(5) && wait >= Duration::from_secs(4),
            "{wait:?}"
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(60));
        assert_eq!(read(&past), Some(Duration::ZERO));
        assert_eq!(read("soon"), None);
        assert_eq!(retry_after(&response(503, None).unwrap(), now), None);
    }

    #[test]
    fn the_budget_charges_retries_and_refuses_when_spent() {
        let budget = Budget::new(RetryBudget::default().capacity(12));
        let first = budget.take(false).unwrap();
        assert_eq!(budget.available(), 7);
        assert_eq!(first.spend(), 5);
        assert_eq!(budget.available(), 7);
        assert!(budget.take(true).is_none(), "a timeout retry costs 10");
        assert_eq!(budget.available(), 7);
        assert_eq!(budget.take(false).unwrap().spend(), 5);
        assert_eq!(budget.available(), 2);
        assert!(budget.take(false).is_none());
        assert_eq!(budget.available(), 2);
    }

    #[test]
    fn tokens_held_for_a_retry_never_sent_come_back() {
        let budget = Budget::new(RetryBudget::default());
        let held = budget.take(true).unwrap();
        assert_eq!(budget.available(), 490);
        drop(held);
        assert_eq!(budget.available(), 500);
    }

    #[test]
    fn successes_refill_up_to_the_capacity() {
        let budget = Budget::new(RetryBudget::default().capacity(20).success_refill(2));
        for _ in 0..4 {
            budget.take(false).unwrap().spend();
        }
        assert_eq!(budget.available(), 0);
        budget.succeeded(0);
        assert_eq!(
            budget.available(),
            2,
            "a first-attempt success adds success_refill"
        );
        budget.succeeded(10);
        assert_eq!(
            budget.available(),
            12,
            "a success after a retry returns its cost"
        );
        budget.succeeded(10);
        assert_eq!(budget.available(), 20, "never above the capacity");
        budget.succeeded(0);
        assert_eq!(budget.available(), 20);
        let custom = Budget::new(
            RetryBudget::default()
                .capacity(7)
                .retry_cost(3)
                .timeout_retry_cost(4),
        );
        assert_eq!(custom.take(true).unwrap().spend(), 4);
        assert_eq!(custom.take(false).unwrap().spend(), 3);
        assert_eq!(custom.available(), 0);
    }

    #[test]
    fn the_default_policy_has_a_budget_and_it_can_be_turned_off() {
        assert_eq!(RetryPolicy::default().budget, Some(RetryBudget::default()));
        assert_eq!(RetryPolicy::default().no_retry_budget().budget, None);
        let sized = RetryBudget::default().capacity(9);
        assert_eq!(RetryPolicy::none().retry_budget(sized).budget, Some(sized));
    }
}
