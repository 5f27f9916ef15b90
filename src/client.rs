//! [`Client`] and its configuration ([`ClientBuilder`]): base URL, bearer
//! token, timeouts, user agent, or the caller's own `reqwest::Client`.

use std::{fmt, sync::Arc, time::Duration};

use reqwest::header::HeaderValue;

use crate::{
    generated,
    hooks::{self, Hooks},
    retry::Budget,
    Error, RetryPolicy,
};

/// The production API.
pub const DEFAULT_BASE_URL: &str = "https://api.alpha.openscaler.net";

/// The User-Agent this crate sends: `openscaler-rust/<version>`.
pub const USER_AGENT: &str = concat!("openscaler-rust/", env!("CARGO_PKG_VERSION"));

/// Default time allowed to open a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Default time allowed for one attempt, from sending to the end of the answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Environment variable holding the bearer token.
pub const ENV_TOKEN: &str = "OPENSCALER_TOKEN";
/// Environment variable holding the base URL.
pub const ENV_BASE_URL: &str = "OPENSCALER_BASE_URL";
/// Environment variable holding the per-attempt timeout, in seconds.
pub const ENV_TIMEOUT_SECS: &str = "OPENSCALER_TIMEOUT_SECS";

/// A client for the OpenScaler API.
///
/// Cheap to clone (one reference count): clones share one configuration
/// and connection pool. Make one and keep it.
///
/// # Examples
///
/// ```no_run
/// use openscaler::{Backend, BalancingMethod, Client, Mode, Servers};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::from_env()?; // OPENSCALER_TOKEN, ...
/// let backend = Backend::named("api-backend")
///     .mode(Mode::Http)
///     .balancing_method(BalancingMethod::RoundRobin)
///     .port(8080)
///     .servers(Servers::computers(["23", "24"]))
///     .build()?;
/// let updated = client.update_backend("42", "my-backend", &backend).await?;
/// println!("{} now has {:?}", updated.name, updated.servers);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    generated: Arc<generated::Client>,
}

impl Client {
    /// A builder to configure a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment: `OPENSCALER_TOKEN`
    /// (required), `OPENSCALER_BASE_URL` and `OPENSCALER_TIMEOUT_SECS`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) when the token is
    /// missing or a variable holds a value that cannot be used.
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::from_env().build()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.generated.baseurl
    }

    /// Tokens left in the retry budget this client shares with its clones
    /// (see [`RetryBudget`](crate::RetryBudget)); `None` when its policy has
    /// no budget. For metrics and tests: a falling count means retries.
    pub fn retry_tokens(&self) -> Option<u32> {
        self.generated.inner.budget.as_ref().map(|b| b.available())
    }

    /// The generated client underneath (progenitor's). Every operation is
    /// also a method of `Client` itself (see [`operations`](crate::operations)),
    /// which is what to use; requests made through this one get the same
    /// token and retries, but no input checks, and progenitor's error type.
    /// Its methods are positional, path values and body by reference:
    /// `generated().update_backend("42", "web", &backend)`.
    pub fn generated(&self) -> &generated::Client {
        &self.generated
    }
}

/// Configuration for a [`Client`].
///
/// Setters take and return the builder; a setter's problem is kept and
/// reported by [`build`](Self::build).
///
/// ```
/// use std::time::Duration;
///
/// let client = openscaler::Client::builder()
///     .token("my-token")
///     .timeout(Duration::from_secs(5))
///     .build()?;
/// assert_eq!(client.base_url(), "https://api.alpha.openscaler.net");
/// # Ok::<(), openscaler::Error>(())
/// ```
#[derive(Default)]
#[must_use = "a builder does nothing until `build()`"]
pub struct ClientBuilder {
    base_url: Option<String>,
    token: Option<String>,
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
    http_client: Option<reqwest::Client>,
    retry: RetryPolicy,
    problem: Option<Error>,
}

impl ClientBuilder {
    /// A builder holding what the environment sets: `OPENSCALER_TOKEN`,
    /// `OPENSCALER_BASE_URL`, `OPENSCALER_TIMEOUT_SECS` (a positive number of
    /// seconds, fractions allowed). Unset variables leave the defaults; later
    /// setters override.
    pub fn from_env() -> Self {
        let mut builder = ClientBuilder::default();
        if let Some(token) = env_var(ENV_TOKEN) {
            builder = builder.token(token);
        }
        if let Some(url) = env_var(ENV_BASE_URL) {
            builder = builder.base_url(url);
        }
        if let Some(secs) = env_var(ENV_TIMEOUT_SECS) {
            match secs
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(|s| Duration::try_from_secs_f64(s).ok())
            {
                Some(timeout) if !timeout.is_zero() => builder = builder.timeout(timeout),
                _ => {
                    builder.problem.get_or_insert(Error::config(format!(
                        "{ENV_TIMEOUT_SECS}: {secs:?} is not a positive number of seconds"
                    )));
                }
            }
        }
        builder
    }

    /// The API's base URL: scheme, host, optional port and path prefix.
    /// Default: [`DEFAULT_BASE_URL`].
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The bearer token, sent as `Authorization: Bearer <token>`.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Time allowed to open a connection. Default:
    /// [`DEFAULT_CONNECT_TIMEOUT`]. Ignored with [`http_client`](Self::http_client).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Time allowed for one attempt, from sending to the end of the answer;
    /// the [`RetryPolicy`] decides what follows a timeout. Default:
    /// [`DEFAULT_TIMEOUT`]. Ignored with [`http_client`](Self::http_client).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// When failed attempts are sent again. Default:
    /// [`RetryPolicy::default`] (3 attempts, and a retry budget of 500
    /// tokens that this client and its clones share);
    /// [`RetryPolicy::none`] turns retrying off.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Sends through the caller's own `reqwest::Client` (its timeouts, proxy,
    /// TLS and User-Agent) instead of one this builder makes.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Makes the client.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) when no token was
    /// given, the token cannot be sent in a header, the base URL is not an
    /// `http` or `https` URL, or an environment variable was unusable.
    pub fn build(self) -> Result<Client, Error> {
        if let Some(problem) = self.problem {
            return Err(problem);
        }
        let base_url = normalize_base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        let token = self.token.ok_or_else(|| {
            Error::config(format!(
                "no bearer token: call ClientBuilder::token or set {ENV_TOKEN}"
            ))
        })?;
        if token.trim().is_empty() {
            return Err(Error::config("token: the bearer token is empty"));
        }
        // The error would quote the value; say only where it is wrong.
        let mut authorization = HeaderValue::try_from(format!("Bearer {token}")).map_err(|_| {
            Error::config(
                "token: the bearer token holds characters that cannot be sent in a header",
            )
        })?;
        authorization.set_sensitive(true);

        let (http, attempt_timeout) = match self.http_client {
            Some(client) => (client, None),
            None => {
                let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
                let client = reqwest::Client::builder()
                    .user_agent(USER_AGENT)
                    .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                    .timeout(timeout)
                    .build()
                    .map_err(|e| Error::config("cannot make the HTTP client").with_source(e))?;
                (client, Some(timeout))
            }
        };
        let token_allowed =
            reqwest::Url::parse(&base_url).is_ok_and(|url| hooks::token_may_go_to(&url));
        let hooks = Hooks {
            authorization,
            token_allowed,
            budget: self.retry.budget.map(|b| Arc::new(Budget::new(b))),
            retry: self.retry,
            attempt_timeout,
        };
        Ok(Client {
            generated: Arc::new(generated::Client::new_with_client(&base_url, http, hooks)),
        })
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("http_client", &self.http_client.is_some())
            .field("retry", &self.retry)
            .field("problem", &self.problem)
            .finish()
    }
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Checks the base URL and drops a trailing `/` (the generated client appends
/// `/v1/...`).
fn normalize_base_url(url: &str) -> Result<String, Error> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| Error::config(format!("base_url: {url:?} is not a URL ({e})")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::config(format!(
            "base_url: {url:?} must start with http:// or https://"
        )));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::config(format!(
            "base_url: {url:?} must not have a query or fragment"
        )));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::config(
            "base_url: credentials in the URL are not allowed; use the token",
        ));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}
