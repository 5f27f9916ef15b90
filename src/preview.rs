//! Dry runs: the request a call would send, built by the same code that
//! sends it, captured instead of sent ([`PreparedRequest`]).
//!
//! Every operation's request builder has `preview()` (for example
//! [`UpdateBackend::preview`](crate::operations::UpdateBackend::preview)):
//! it runs the same input checks as `send()`, then the same generated
//! request building and the same token step
//! ([`authorize`](crate::hooks::authorize): the token, and the plain-http
//! refusal) as each attempt of the call; it stops where the call would
//! send. Nothing leaves the process.

use std::fmt;

use reqwest::{
    header::{HeaderMap, HeaderValue, AUTHORIZATION},
    Method, Request, Url,
};

use crate::{generated, hooks, Error};

/// A request as the SDK would hand it to the HTTP client: method, URL,
/// headers and body.
///
/// The bearer token is already replaced: the `authorization` header reads
/// `Bearer <redacted>`, so a `PreparedRequest` can be printed, logged or
/// stored. Headers the HTTP client adds while sending (`host`,
/// `content-length`, `user-agent`, `accept-encoding`) are not part of it.
///
/// `Display` shows it the way an HTTP request reads:
///
/// ```text
/// PUT https://api.alpha.openscaler.net/v1/lbs/42/backends/my-backend
/// accept: application/json
/// authorization: Bearer <redacted>
/// content-type: application/json
///
/// {"balancing_method":"roundrobin",...}
/// ```
#[derive(Clone, Debug)]
pub struct PreparedRequest {
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// What `authorization` reads in a [`PreparedRequest`].
pub const REDACTED_AUTHORIZATION: &str = "Bearer <redacted>";

impl PreparedRequest {
    fn capture(request: &Request) -> Self {
        let mut headers = request.headers().clone();
        if headers.contains_key(AUTHORIZATION) {
            headers.insert(
                AUTHORIZATION,
                HeaderValue::from_static(REDACTED_AUTHORIZATION),
            );
        }
        PreparedRequest {
            method: request.method().clone(),
            url: request.url().clone(),
            headers,
            body: request
                .body()
                .and_then(reqwest::Body::as_bytes)
                .unwrap_or_default()
                .to_vec(),
        }
    }

    /// The HTTP method (`PUT`).
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The full URL, path values percent-encoded.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The headers, with `authorization` redacted.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body, as sent (JSON).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body parsed as JSON; `Value::Null` when there is none.
    pub fn body_json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

impl fmt::Display for PreparedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} {}", self.method, self.url)?;
        let mut names: Vec<_> = self.headers.keys().collect();
        names.sort_by_key(|name| name.as_str());
        for name in names {
            for value in self.headers.get_all(name) {
                let value = String::from_utf8_lossy(value.as_bytes());
                writeln!(f, "{name}: {value}")?;
            }
        }
        writeln!(f)?;
        write!(f, "{}", String::from_utf8_lossy(&self.body))
    }
}

/// The dry run of an operation (its builder's `preview()`): the request its
/// generated `*_request` function built, with the token step every attempt
/// takes ([`authorize`](crate::hooks::authorize): the token, shown redacted,
/// and the plain-http refusal), captured instead of sent.
pub(crate) fn prepare<E: fmt::Debug>(
    generated: &generated::Client,
    built: Result<Request, progenitor_client::Error<E>>,
) -> Result<PreparedRequest, Error> {
    let mut request =
        built.map_err(|e| Error::config(format!("the request cannot be built: {e}")))?;
    hooks::authorize(&generated.inner, &mut request).map_err(Error::config)?;
    Ok(PreparedRequest::capture(&request))
}

/// The dry run of an operation whose request progenitor builds inside its
/// method, where no dry run can reach.
#[allow(
    dead_code,
    reason = "called by the generated code of operations that need it; today's spec may have none"
)]
pub(crate) fn unsupported(operation: &str) -> Error {
    Error::config(format!(
        "{operation}: no dry run for this operation (its request is built and sent in one piece)"
    ))
}
