//! Dry runs: the request a call would send, built by the same code that
//! sends it, captured instead of sent ([`PreparedRequest`]).
//!
//! [`Client::preview_update_backend`] runs the same input checks as
//! [`Client::update_backend`], then the same generated request building
//! (`update_backend_request`) and the same token step
//! ([`authorize`](crate::hooks::authorize): the token, and the plain-http
//! refusal) as each attempt of the call; it stops where the call would
//! send. Nothing leaves the process.

use std::fmt;

use reqwest::{
    header::{HeaderMap, HeaderValue, AUTHORIZATION},
    Method, Request, Url,
};

use crate::{hooks, Backend, Client, Error};

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

impl Client {
    /// The request [`update_backend`](Self::update_backend) would send for
    /// the same arguments, without sending it: a dry run.
    ///
    /// The same checks run first, and the request is built by the same code,
    /// including the hook that adds the token (shown redacted) and the
    /// refusal to send it over plain `http` to a host that is not loopback.
    ///
    /// # Examples
    ///
    /// ```
    /// # async fn run() -> Result<(), openscaler::Error> {
    /// use openscaler::{Backend, BalancingMethod, Client, Mode, Servers};
    ///
    /// let client = Client::builder().token("my-token").build()?;
    /// let backend = Backend::named("api-backend")
    ///     .mode(Mode::Http)
    ///     .balancing_method(BalancingMethod::RoundRobin)
    ///     .port(8080)
    ///     .servers(Servers::computers(["23", "24"]))
    ///     .build()?;
    /// let request = client.preview_update_backend("42", "my-backend", &backend).await?;
    /// assert_eq!(request.method(), "PUT");
    /// assert_eq!(request.url().path(), "/v1/lbs/42/backends/my-backend");
    /// assert_eq!(request.headers()["authorization"], "Bearer <redacted>");
    /// assert!(!request.to_string().contains("my-token"));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// The errors `update_backend` reports before sending:
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) with
    /// every problem, and [`ErrorKind::Config`](crate::ErrorKind::Config)
    /// when the request could not be built or would carry the token over
    /// plain `http`.
    pub async fn preview_update_backend(
        &self,
        lb_id: &str,
        backend_name: &str,
        backend: &Backend,
    ) -> Result<PreparedRequest, Error> {
        self.check_update(lb_id, backend_name, backend)?;
        let generated = self.generated();
        let built = generated.update_backend_request(lb_id, backend_name, backend);
        let mut request = match built {
            Ok(request) => request,
            Err(error) => {
                let error = progenitor_client::Error::CommunicationError(error);
                return Err(Error::from_generated(error, Default::default()).await);
            }
        };
        hooks::authorize(&generated.inner, &mut request).map_err(Error::config)?;
        Ok(PreparedRequest::capture(&request))
    }
}
