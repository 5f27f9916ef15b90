//! Any request under the base URL, with the client's token, timeouts and
//! retries ([`Client::request`]): for paths the spec does not describe yet,
//! and for tools in the manner of `gh api` (the command line's
//! `openscaler api`).
//!
//! The answer comes back whole, whatever its status: a 404 is an answer
//! here, not an error. Retries follow the method (see
//! [`retry`](crate::retry)): a `POST` or `PATCH` is sent again only after a
//! connection that was never made, or when the request carries an
//! `Idempotency-Key` header.

use bytes::Bytes;
use progenitor_client::ResponseValue;
use reqwest::{
    header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE},
    Method, StatusCode,
};

use crate::{hooks, preview, retry, Client, Error, PreparedRequest};

/// A request to any path under the base URL ([`Client::request`]).
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent: `.send().await` it"]
pub struct RawRequest<'a> {
    client: &'a Client,
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Option<Bytes>,
    /// What is wrong with the request, reported by `send` and `preview`.
    problem: Option<String>,
}

/// An answer to a [`RawRequest`]: its status, headers and whole body.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RawResponse {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body, as it came.
    pub body: Bytes,
}

impl Client {
    /// A request of `method` to `path` under the base URL (`/v1/lbs/42`,
    /// a query allowed): the token, the timeouts and the retry policy are
    /// the client's.
    ///
    /// ```no_run
    /// # async fn run(client: openscaler::Client) -> Result<(), openscaler::Error> {
    /// let answer = client.request(reqwest::Method::GET, "/v1/lbs/42/backends/web").send().await?;
    /// println!("{} {}", answer.status, String::from_utf8_lossy(&answer.body));
    /// # Ok(())
    /// # }
    /// ```
    pub fn request(&self, method: Method, path: &str) -> RawRequest<'_> {
        let problem = (!path.starts_with('/') || path.starts_with("//")).then(|| {
            format!("path: {path:?} must start with a single / (it goes under the base URL)")
        });
        RawRequest {
            client: self,
            method,
            path: path.to_owned(),
            headers: HeaderMap::new(),
            body: None,
            problem,
        }
    }
}

impl RawRequest<'_> {
    /// Adds a header. A name or value that cannot be sent is reported by
    /// [`send`](Self::send), naming it; `authorization` is the client's.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(name), _) if name == reqwest::header::AUTHORIZATION => {
                self.problem.get_or_insert(
                    "header: authorization is the client's own (set the token instead)".to_owned(),
                );
            }
            (Ok(name), Ok(value)) => {
                self.headers.append(name, value);
            }
            _ => {
                self.problem.get_or_insert(format!(
                    "header: {name:?} cannot be sent as a header name with that value"
                ));
            }
        }
        self
    }

    /// Sets the body, sent as it is; `content_type` unless a
    /// `content-type` header was given.
    pub fn body(mut self, body: impl Into<Bytes>, content_type: &'static str) -> Self {
        self.body = Some(body.into());
        if !self.headers.contains_key(CONTENT_TYPE) {
            self.headers
                .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        self
    }

    fn build(&self) -> reqwest::Result<reqwest::Request> {
        let generated = self.client.generated();
        let url = format!("{}{}", generated.baseurl, self.path);
        let mut request = generated
            .client
            .request(self.method.clone(), url)
            .headers(self.headers.clone());
        if let Some(body) = &self.body {
            request = request.body(body.clone());
        }
        request.build()
    }

    /// Sends the request, retrying as the client's policy and the method
    /// allow, and returns the last answer whatever its status.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) for a path, header
    /// or token problem (nothing sent);
    /// [`ErrorKind::Transport`](crate::ErrorKind::Transport) when no
    /// answer arrived.
    // progenitor's error type is large; it only passes through here.
    #[allow(clippy::result_large_err)]
    pub async fn send(self) -> Result<RawResponse, Error> {
        if let Some(problem) = self.problem {
            return Err(Error::config(problem));
        }
        let generated = self.client.generated();
        let idempotent =
            retry::idempotent_method(&self.method) || self.headers.contains_key("idempotency-key");
        let mut attempts = hooks::Attempts::new(&generated.inner, idempotent);
        let build = || self.build().map_err(progenitor_client::Error::<()>::from);
        let outcome = hooks::send(
            generated,
            &mut attempts,
            &build,
            |mut response| async move {
                let status = response.status();
                let headers = std::mem::take(response.headers_mut());
                match response.bytes().await {
                    Ok(body) => Ok(ResponseValue::new(
                        RawResponse {
                            status,
                            headers: headers.clone(),
                            body,
                        },
                        status,
                        headers,
                    )),
                    Err(error) => Err(progenitor_client::Error::ResponseBodyError(error)),
                }
            },
        )
        .await;
        match outcome {
            Ok(answer) => Ok(answer.into_inner()),
            Err(error) => Err(Error::from_generated(error, attempts.record)
                .await
                .redact(generated.inner.token())),
        }
    }

    /// The request [`send`](Self::send) would send, without sending it.
    ///
    /// # Errors
    ///
    /// What `send` reports before sending.
    pub fn preview(&self) -> Result<PreparedRequest, Error> {
        if let Some(problem) = &self.problem {
            return Err(Error::config(problem.clone()));
        }
        preview::prepare(
            self.client.generated(),
            self.build().map_err(progenitor_client::Error::<()>::from),
        )
    }
}
