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
//! # Why retrying is safe here
//!
//! Update a Backend is a `PUT` that replaces the whole backend: applying the
//! same body twice leaves the same state as applying it once (it is
//! idempotent). A retry after a lost answer therefore cannot double an
//! effect; at worst it rewrites the same configuration.
//!
//! # How long to wait
//!
//! Exponential backoff with full jitter (a random wait between zero and
//! `initial_backoff * 2^(retry - 1)`, capped at `max_backoff`), unless the
//! answer carries `Retry-After` (seconds, or an HTTP date): then that wait,
//! capped at `max_retry_after`. No retry starts after the call's `deadline`.

use std::{
    hash::{BuildHasher, RandomState},
    time::{Duration, SystemTime},
};

use reqwest::{header::RETRY_AFTER, Response, StatusCode};

/// When failed attempts are sent again; set with
/// [`ClientBuilder::retry_policy`](crate::ClientBuilder::retry_policy).
///
/// The default makes up to 3 attempts, backing off from 200 ms up to 5 s,
/// honours `Retry-After` up to 30 s, and starts no retry after 60 s.
/// [`RetryPolicy::none`] turns retrying off.
///
/// See the [module documentation](self) for what is retried and why.
///
/// ```
/// use std::time::Duration;
/// use openscaler::RetryPolicy;
///
/// let patient = RetryPolicy::default()
///     .max_attempts(5)
///     .max_retry_after(Duration::from_secs(120))
///     .deadline(Duration::from_secs(300));
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
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
            deadline: Duration::from_secs(60),
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

    /// The longest wait a `Retry-After` header can ask for; longer requests
    /// are cut to it. Default 30 s.
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

    /// How long to wait before retry number `retry` (1 for the first retry),
    /// after an attempt that ended with `outcome`; `None` when the outcome is
    /// not worth retrying.
    pub(crate) fn wait(&self, retry: u32, outcome: &reqwest::Result<Response>) -> Option<Duration> {
        match outcome {
            Err(error) if error.is_builder() || error.is_redirect() => None,
            Err(_) => Some(self.backoff(retry)),
            Ok(response) if is_retryable_status(response.status()) => Some(
                retry_after(response, SystemTime::now())
                    .map(|wait| wait.min(self.max_retry_after))
                    .unwrap_or_else(|| self.backoff(retry)),
            ),
            Ok(_) => None,
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

/// 408, 429, 502, 503, 504.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 502 | 503 | 504)
}

/// `Retry-After` as a wait from `now`: delay-seconds or an HTTP date (a date
/// in the past means no wait).
fn retry_after(response: &Response, now: SystemTime) -> Option<Duration> {
    let value = response.headers().get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A random number in `[0, 1)`, from the standard library's randomly keyed
/// hasher: plenty for spreading retries, and no dependency.
fn unit_random() -> f64 {
    let bits = RandomState::new().hash_one(0u8) >> 11;
    bits as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, retry_after: Option<&str>) -> reqwest::Result<Response> {
        let mut builder = http::Response::builder().status(status);
        if let Some(value) = retry_after {
            builder = builder.header("retry-after", value);
        }
        Ok(Response::from(builder.body(Vec::<u8>::new()).unwrap()))
    }

    #[test]
    fn only_transient_statuses_are_retried() {
        let policy = RetryPolicy::default();
        for status in [408, 429, 502, 503, 504] {
            assert!(
                policy.wait(1, &response(status, None)).is_some(),
                "{status}"
            );
        }
        for status in [200, 400, 401, 403, 404, 409, 500, 501] {
            assert!(
                policy.wait(1, &response(status, None)).is_none(),
                "{status}"
            );
        }
    }

    #[test]
    fn backoff_stays_under_its_doubling_ceiling() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(350));
        for (retry, ceiling) in [(1, 100), (2, 200), (3, 350), (9, 350)] {
            let waits: Vec<Duration> = (0..200).map(|_| policy.backoff(retry)).collect();
            assert!(
                waits.iter().all(|w| *w <= Duration::from_millis(ceiling)),
                "retry {retry}"
            );
            // Full jitter: the waits spread over the range, not all at the top.
            assert!(
                waits
                    .iter()
                    .any(|w| *w < Duration::from_millis(ceiling / 2)),
                "retry {retry}"
            );
        }
    }

    #[test]
    fn retry_after_in_seconds_and_as_a_date_is_capped() {
        let policy = RetryPolicy::default().max_retry_after(Duration::from_secs(10));
        assert_eq!(
            policy.wait(1, &response(429, Some("3"))),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            policy.wait(1, &response(503, Some("3600"))),
            Some(Duration::from_secs(10))
        );

        let now = SystemTime::now();
        let in_five = httpdate::fmt_http_date(now + Duration::from_secs(5));
        let wait = retry_after(&response(503, Some(&in_five)).unwrap(), now).unwrap();
        assert!(
            wait <= Duration::from_secs(5) && wait >= Duration::from_secs(4),
            "{wait:?}"
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(60));
        assert_eq!(
            retry_after(&response(503, Some(&past)).unwrap(), now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after(&response(503, Some("soon")).unwrap(), now),
            None
        );
    }
}
