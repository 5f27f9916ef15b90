//! [`Error`]: every way a call can fail, as one type that answers questions.

use std::{fmt, time::Duration};

use reqwest::StatusCode;

use crate::{
    generated,
    hooks::{Answered, CallRecord, NotRetried},
    retry::is_retryable_status,
    ValidationError,
};

/// Longest excerpt of a response body kept in an error, in bytes.
const EXCERPT_LIMIT: usize = 512;

/// What kind of failure an [`Error`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input was refused before anything was sent (see
    /// [`Error::validation`]).
    InvalidInput,
    /// The client could not be configured (a bad base URL, token or
    /// environment variable).
    Config,
    /// The API answered with an error status (4xx, 5xx, or any status the
    /// spec does not list).
    Status,
    /// No answer arrived: the connection failed, was reset, or timed out.
    Transport,
    /// An answer arrived but could not be read as the spec describes it.
    InvalidResponse,
}

/// A failed call, or a client that could not be built.
///
/// Its `Display` is one line that says what happened: the status, the
/// server's message (or an excerpt of what it sent), the `x-request-id` and
/// the number of attempts. Ask it questions rather than matching on text:
/// [`kind`](Self::kind), [`status`](Self::status),
/// [`message`](Self::message), [`is_timeout`](Self::is_timeout),
/// [`is_retryable`](Self::is_retryable).
///
/// It never holds the bearer token.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    status: Option<StatusCode>,
    message: Option<String>,
    body_excerpt: Option<String>,
    request_id: Option<String>,
    attempts: u32,
    retry_after: Option<Duration>,
    /// An earlier attempt's answer, when the last attempt got none.
    earlier: Option<Answered>,
    not_retried: Option<NotRetried>,
    validation: Option<ValidationError>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    fn new(kind: ErrorKind) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                status: None,
                message: None,
                body_excerpt: None,
                request_id: None,
                attempts: 0,
                retry_after: None,
                earlier: None,
                not_retried: None,
                validation: None,
                source: None,
            }),
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        let mut error = Error::new(ErrorKind::Config);
        error.inner.message = Some(message.into());
        error
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.inner.source = Some(Box::new(source));
        self
    }

    /// Turns the generated client's error into ours, with what the pipeline
    /// recorded about the call. An error body's `message`, if it has one,
    /// is the message; any other error body is kept as an excerpt.
    pub(crate) async fn from_generated<E: serde::Serialize>(
        error: generated::Error<E>,
        call: CallRecord,
    ) -> Self {
        use generated::Error as E;
        let last = call.last_answer().map(|a| a.status);
        let mut this = match error {
            E::ErrorResponse(response) => {
                let mut this = Error::new(ErrorKind::Status);
                this.inner.status = Some(response.status());
                let body = serde_json::to_value(response.into_inner()).unwrap_or_default();
                match body.get("message").and_then(serde_json::Value::as_str) {
                    Some(message) => this.inner.message = Some(message.to_owned()),
                    None => this.inner.body_excerpt = Some(excerpt(body.to_string().as_bytes())),
                }
                this
            }
            E::UnexpectedResponse(response) => {
                let mut this = Error::new(ErrorKind::Status);
                this.inner.status = Some(response.status());
                // A failure to read the rest of the body leaves the excerpt empty.
                let body = response.bytes().await.unwrap_or_default();
                this.inner.body_excerpt = Some(excerpt(&body));
                this
            }
            E::InvalidResponsePayload(body, source) => {
                let mut this = Error::new(kind_for_status(last));
                this.inner.body_excerpt = Some(excerpt(&body));
                // For an error status the excerpt says it all; the JSON
                // parser's complaint matters only for a success body.
                match this.inner.kind {
                    ErrorKind::InvalidResponse => this.with_source(source),
                    _ => this,
                }
            }
            E::CommunicationError(source) | E::InvalidUpgrade(source) => {
                Error::new(ErrorKind::Transport).with_source(source)
            }
            // The body broke off (or timed out) after the status arrived.
            E::ResponseBodyError(source) => match kind_for_status(last) {
                ErrorKind::Status => Error::new(ErrorKind::Status).with_source(source),
                _ => Error::new(ErrorKind::Transport).with_source(source),
            },
            E::InvalidRequest(message) | E::Custom(message) => Error::config(message),
        };
        let answer = call.last_answer();
        this.inner.status = this.inner.status.or(last);
        this.inner.request_id = answer.and_then(|a| a.request_id.clone());
        this.inner.retry_after = answer.and_then(|a| a.retry_after);
        this.inner.earlier = call.earlier_answer().cloned();
        this.inner.attempts = call.attempts;
        this.inner.not_retried = call.not_retried;
        this
    }

    /// Replaces `secret` wherever the server's words are kept (a server may
    /// echo the token back in its message). Secrets under 6 characters are
    /// test placeholders, not tokens; replacing them would garble the text.
    pub(crate) fn redact(mut self, secret: &str) -> Self {
        if secret.len() >= 6 {
            for text in [&mut self.inner.message, &mut self.inner.body_excerpt]
                .into_iter()
                .flatten()
            {
                if text.contains(secret) {
                    *text = text.replace(secret, "<redacted>");
                }
            }
        }
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The HTTP status of the last attempt's answer; `None` when the last
    /// attempt got no answer (its connection failed or timed out), even if
    /// an earlier attempt got one (the message names that one).
    pub fn status(&self) -> Option<StatusCode> {
        self.inner.status
    }

    /// The server's message (the error body's `message`), or for
    /// configuration errors, what is wrong.
    pub fn message(&self) -> Option<&str> {
        self.inner.message.as_deref()
    }

    /// The start of the answer's body (at most 512 bytes, lossily decoded),
    /// when the body was not the documented error object.
    pub fn body_excerpt(&self) -> Option<&str> {
        self.inner.body_excerpt.as_deref()
    }

    /// The `x-request-id` header of the last attempt's answer, if it had
    /// one: quote it when asking the vendor about a failure. Like
    /// [`status`](Self::status), it describes the last attempt only.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// How many times the request was sent (0 when it was refused before
    /// sending).
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// The wait the server asked for with `Retry-After` on the last
    /// attempt's answer (a 408, 429, 502, 503 or 504), from when that answer
    /// arrived; `None` when the last attempt got no answer. When it
    /// was longer than the policy's
    /// [`max_retry_after`](crate::RetryPolicy::max_retry_after), the call
    /// failed at once without waiting: come back after this long.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// Whether the call failed with its last answer because the client's
    /// retry budget was spent, although its policy allowed another attempt
    /// (see [`RetryBudget`](crate::RetryBudget)): the API has been failing
    /// for many calls of this client. Retries resume as calls succeed.
    pub fn is_retry_budget_exhausted(&self) -> bool {
        self.inner.not_retried == Some(NotRetried::Budget)
    }

    /// The problems that made the input invalid, for
    /// [`ErrorKind::InvalidInput`].
    pub fn validation(&self) -> Option<&ValidationError> {
        self.inner.validation.as_ref()
    }

    /// Whether the failure was a timeout.
    pub fn is_timeout(&self) -> bool {
        self.source_chain().any(|e| {
            e.downcast_ref::<reqwest::Error>()
                .is_some_and(reqwest::Error::is_timeout)
                || e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        })
    }

    /// Whether the same call could succeed if sent again: transport
    /// failures, and the statuses 408, 429, 502, 503 and 504.
    pub fn is_retryable(&self) -> bool {
        match self.inner.kind {
            ErrorKind::Transport => true,
            ErrorKind::Status => self.inner.status.is_some_and(is_retryable_status),
            _ => false,
        }
    }

    fn source_chain(&self) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
        let first = self
            .inner
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static));
        std::iter::successors(first, |e| e.source())
    }
}

impl From<ValidationError> for Error {
    fn from(validation: ValidationError) -> Self {
        let mut error = Error::new(ErrorKind::InvalidInput);
        error.inner.validation = Some(validation);
        error
    }
}

fn kind_for_status(status: Option<StatusCode>) -> ErrorKind {
    match status {
        Some(s) if !s.is_success() => ErrorKind::Status,
        _ => ErrorKind::InvalidResponse,
    }
}

/// The first [`EXCERPT_LIMIT`] bytes of a body, lossily decoded, trimmed, on
/// one line; `(empty)` for a body with nothing to show.
fn excerpt(body: &[u8]) -> String {
    let cut = &body[..body.len().min(EXCERPT_LIMIT)];
    let text = String::from_utf8_lossy(cut);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match (text.is_empty(), body.len() > EXCERPT_LIMIT) {
        (true, _) => "(empty)".to_owned(),
        (false, true) => format!("{text}..."),
        (false, false) => text,
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        match inner.kind {
            ErrorKind::InvalidInput => {
                f.write_str("invalid input, nothing was sent: ")?;
                if let Some(validation) = &inner.validation {
                    write!(f, "{validation}")?;
                }
                return Ok(());
            }
            ErrorKind::Config => {
                return write!(
                    f,
                    "invalid client configuration: {}",
                    inner.message.as_deref().unwrap_or("unknown problem")
                );
            }
            ErrorKind::Status => match inner.status {
                Some(status) => write!(f, "OpenScaler answered {status}")?,
                None => f.write_str("OpenScaler answered with an error")?,
            },
            ErrorKind::Transport if self.is_timeout() => {
                f.write_str("request to OpenScaler timed out")?
            }
            ErrorKind::Transport => f.write_str("request to OpenScaler failed")?,
            ErrorKind::InvalidResponse => match inner.status {
                Some(status) => write!(
                    f,
                    "OpenScaler answered {status} with a body this client cannot read"
                )?,
                None => f.write_str("OpenScaler answered with a body this client cannot read")?,
            },
        }
        if let Some(message) = &inner.message {
            write!(f, ": {message}")?;
        } else if let Some(excerpt) = &inner.body_excerpt {
            write!(f, ": body: {excerpt:?}")?;
        }
        if let Some(source) = &inner.source {
            write!(f, " ({source}")?;
            let mut cause = source.source();
            while let Some(e) = cause {
                write!(f, ": {e}")?;
                cause = e.source();
            }
            f.write_str(")")?;
        }
        if let Some(id) = &inner.request_id {
            write!(f, " [x-request-id {id}]")?;
        }
        let plural = if inner.attempts == 1 { "" } else { "s" };
        write!(f, " after {} attempt{plural}", inner.attempts)?;
        if let Some(earlier) = &inner.earlier {
            write!(
                f,
                "; attempt {} was answered {}",
                earlier.attempt, earlier.status
            )?;
            if let Some(id) = &earlier.request_id {
                write!(f, " [x-request-id {id}]")?;
            }
        }
        match (inner.not_retried, inner.retry_after) {
            (Some(NotRetried::Budget), _) => f.write_str(
                "; not retried: the client's retry budget is exhausted \
                 (it refills as calls succeed)",
            ),
            (Some(NotRetried::RetryAfter), Some(wait)) => write!(
                f,
                "; not retried: the server asked to retry after {} s \
                 (retry-after), longer than the retry policy's max_retry_after",
                wait.as_secs()
            ),
            (Some(NotRetried::NotIdempotent), _) => f.write_str(
                "; not retried: the request is not idempotent and may have taken effect",
            ),
            _ => Ok(()),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        let mut d = f.debug_struct("Error");
        d.field("kind", &inner.kind);
        if let Some(status) = inner.status {
            d.field("status", &status);
        }
        if let Some(message) = &inner.message {
            d.field("message", message);
        }
        if let Some(excerpt) = &inner.body_excerpt {
            d.field("body_excerpt", excerpt);
        }
        if let Some(id) = &inner.request_id {
            d.field("request_id", id);
        }
        if inner.attempts > 0 {
            d.field("attempts", &inner.attempts);
        }
        if let Some(wait) = inner.retry_after {
            d.field("retry_after", &wait);
        }
        if let Some(earlier) = &inner.earlier {
            d.field("earlier_answer", earlier);
        }
        if let Some(reason) = inner.not_retried {
            d.field("not_retried", &reason);
        }
        if let Some(validation) = &inner.validation {
            d.field("problems", &validation.problems());
        }
        if let Some(source) = &inner.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.inner.validation {
            Some(validation) => Some(validation),
            None => self.inner.source.as_deref().map(|e| e as _),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_bounded_and_marked_when_cut() {
        assert_eq!(excerpt(b""), "(empty)");
        assert_eq!(excerpt(b" \n\t "), "(empty)");
        assert_eq!(excerpt(b"<p>\n  not   found\n</p>"), "<p> not found </p>");
        let exact = vec![b'x'; EXCERPT_LIMIT];
        assert_eq!(excerpt(&exact), "x".repeat(EXCERPT_LIMIT));
        let over = vec![b'x'; EXCERPT_LIMIT + 1];
        assert_eq!(excerpt(&over), format!("{}...", "x".repeat(EXCERPT_LIMIT)));
        assert_eq!(excerpt(b"\xff ok"), "\u{fffd} ok");
    }

    #[test]
    fn a_budget_refusal_and_a_long_retry_after_are_told_apart() {
        let call = |not_retried, retry_after| CallRecord {
            attempts: 1,
            answer: Some(Answered {
                attempt: 1,
                status: StatusCode::SERVICE_UNAVAILABLE,
                request_id: None,
                retry_after,
            }),
            not_retried,
        };
        let answer = || {
            generated::Error::<generated::types::Error>::InvalidResponsePayload(
                b"busy".as_slice().into(),
                serde_json::from_str::<()>("x").unwrap_err(),
            )
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();

        let spent = runtime.block_on(Error::from_generated(
            answer(),
            call(Some(NotRetried::Budget), None),
        ));
        assert!(spent.is_retry_budget_exhausted());
        assert_eq!(spent.retry_after(), None);
        assert_eq!(
            spent.to_string(),
            "OpenScaler answered 503 Service Unavailable: body: \"busy\" after 1 attempt; \
             not retried: the client's retry budget is exhausted (it refills as calls succeed)"
        );

        let long = runtime.block_on(Error::from_generated(
            answer(),
            call(Some(NotRetried::RetryAfter), Some(Duration::from_secs(90))),
        ));
        assert!(!long.is_retry_budget_exhausted());
        assert_eq!(long.retry_after(), Some(Duration::from_secs(90)));
        assert!(
            long.to_string().ends_with(
                "after 1 attempt; not retried: the server asked to retry after 90 s \
                 (retry-after), longer than the retry policy's max_retry_after"
            ),
            "{long}"
        );
        let once = runtime.block_on(Error::from_generated(
            answer(),
            call(Some(NotRetried::NotIdempotent), None),
        ));
        assert!(
            once.to_string().ends_with(
                "after 1 attempt; not retried: the request is not idempotent and may have taken effect"
            ),
            "{once}"
        );
        assert!(!once.is_retry_budget_exhausted());
        let debug = format!("{long:?}");
        assert!(
            debug.contains("retry_after: 90s") && debug.contains("RetryAfter"),
            "{debug}"
        );
        // An error status's body excerpt says it all: no parser complaint.
        assert!(std::error::Error::source(&long).is_none());
    }
}
