//! Building a [`Backend`]: a builder that reads like the configuration it
//! makes, and small constructors for the options.
//!
//! The required fields come first, in the page's order, each step a type of
//! its own, so a backend without a mode, balancing method, port or servers
//! does not compile. The optional settings follow; [`BackendBuilder::build`]
//! then checks everything at once ([`Backend::validate`]).
//!
//! ```
//! use std::time::Duration;
//! use openscaler::{Backend, BalancingMethod, HealthCheck, Mode, ProxyProtocol, Servers, StickySession};
//!
//! let backend = Backend::named("api-backend")
//!     .mode(Mode::Http)
//!     .balancing_method(BalancingMethod::RoundRobin)
//!     .port(8080)
//!     .servers(Servers::computers(["23", "24"]))
//!     .forward_for(true)
//!     .proxy_protocol(ProxyProtocol::V2)
//!     .sticky_session(StickySession::cookie("SERVERID", Duration::from_secs(300)))
//!     .health_check(HealthCheck::http("/health").expected_code(200))
//!     .build()?;
//! assert_eq!(backend.options.unwrap().sticky_session.unwrap().ttl, "5m");
//! # Ok::<(), openscaler::ValidationError>(())
//! ```

use std::time::Duration;

use crate::{
    Backend, BackendOptions, BalancingMethod, HealthCheck, HealthCheckType, Mode, Port,
    ProxyProtocol, Servers, StickySession, StickySessionType, ValidationError,
};

impl Backend {
    /// Starts a backend named `name`; the next steps set `mode`,
    /// `balancing_method`, `port` and `servers`, in that order.
    pub fn named(name: impl Into<String>) -> NeedsMode {
        NeedsMode { name: name.into() }
    }
}

/// A backend builder that still needs its [`Mode`].
#[derive(Debug)]
#[must_use = "a backend is made by the builder's last step, `build()`"]
pub struct NeedsMode {
    name: String,
}

impl NeedsMode {
    /// Sets `mode`.
    pub fn mode(self, mode: Mode) -> NeedsBalancingMethod {
        NeedsBalancingMethod {
            name: self.name,
            mode,
        }
    }
}

/// A backend builder that still needs its [`BalancingMethod`].
#[derive(Debug)]
#[must_use = "a backend is made by the builder's last step, `build()`"]
pub struct NeedsBalancingMethod {
    name: String,
    mode: Mode,
}

impl NeedsBalancingMethod {
    /// Sets `balancing_method`.
    pub fn balancing_method(self, balancing_method: BalancingMethod) -> NeedsPort {
        NeedsPort {
            name: self.name,
            mode: self.mode,
            balancing_method,
        }
    }
}

/// A backend builder that still needs its [`Port`].
#[derive(Debug)]
#[must_use = "a backend is made by the builder's last step, `build()`"]
pub struct NeedsPort {
    name: String,
    mode: Mode,
    balancing_method: BalancingMethod,
}

impl NeedsPort {
    /// Sets `port`, from a number (`8080`) or a string (`"8080"`); it is sent
    /// in the form given.
    pub fn port(self, port: impl Into<Port>) -> NeedsServers {
        NeedsServers {
            name: self.name,
            mode: self.mode,
            balancing_method: self.balancing_method,
            port: port.into(),
        }
    }
}

/// A backend builder that still needs its [`Servers`].
#[derive(Debug)]
#[must_use = "a backend is made by the builder's last step, `build()`"]
pub struct NeedsServers {
    name: String,
    mode: Mode,
    balancing_method: BalancingMethod,
    port: Port,
}

impl NeedsServers {
    /// Sets `servers`; what follows is optional.
    pub fn servers(self, servers: Servers) -> BackendBuilder {
        BackendBuilder {
            backend: Backend::new(
                self.name,
                self.mode,
                self.balancing_method,
                self.port,
                servers,
            ),
        }
    }
}

/// A backend with every required field set: add options, then
/// [`build`](Self::build).
#[derive(Debug, Clone)]
#[must_use = "a backend is made by `build()`"]
pub struct BackendBuilder {
    backend: Backend,
}

impl BackendBuilder {
    /// Replaces all options at once.
    pub fn options(mut self, options: BackendOptions) -> Self {
        self.backend.options = Some(options);
        self
    }

    fn option(mut self, set: impl FnOnce(&mut BackendOptions)) -> Self {
        set(self
            .backend
            .options
            .get_or_insert_with(BackendOptions::empty));
        self
    }

    /// Sets `options.tls`: connect to the servers over TLS.
    pub fn tls(self, tls: bool) -> Self {
        self.option(|o| o.tls = Some(tls))
    }

    /// Sets `options.tls_verify`: verify the servers' certificates.
    pub fn tls_verify(self, tls_verify: bool) -> Self {
        self.option(|o| o.tls_verify = Some(tls_verify))
    }

    /// Sets `options.forward_for`: add an X-Forwarded-For header.
    pub fn forward_for(self, forward_for: bool) -> Self {
        self.option(|o| o.forward_for = Some(forward_for))
    }

    /// Sets `options.proxy_protocol`.
    pub fn proxy_protocol(self, version: ProxyProtocol) -> Self {
        self.option(|o| o.proxy_protocol = Some(version))
    }

    /// Sets `options.sticky_session`.
    pub fn sticky_session(self, sticky: StickySession) -> Self {
        self.option(|o| o.sticky_session = Some(sticky))
    }

    /// Sets `options.health_check`.
    pub fn health_check(self, check: HealthCheck) -> Self {
        self.option(|o| o.health_check = Some(check))
    }

    /// Checks the backend and returns it.
    ///
    /// # Errors
    ///
    /// A [`ValidationError`] listing every problem (see [`Backend::validate`]).
    pub fn build(self) -> Result<Backend, ValidationError> {
        self.backend.validate()?;
        Ok(self.backend)
    }
}

impl BackendOptions {
    /// No options set.
    pub fn empty() -> Self {
        BackendOptions::new()
    }
}

impl StickySession {
    /// Stickiness recorded in the cookie `name`, lasting `ttl`.
    ///
    /// The duration is written in its largest whole unit up to hours:
    /// 5 minutes as `"5m"`, 90 seconds as `"90s"`, 1.5 s as `"1500ms"`. A zero
    /// duration, or one that is not a whole number of milliseconds, is
    /// refused when the backend is built.
    pub fn cookie(name: impl Into<String>, ttl: Duration) -> Self {
        StickySession::new(StickySessionType::Cookie, name.into(), render_ttl(ttl))
    }
}

/// A duration in the API's notation (`"5m"`), using the largest unit that
/// divides it, up to hours.
fn render_ttl(ttl: Duration) -> String {
    if !ttl.subsec_nanos().is_multiple_of(1_000_000) {
        return format!("{}ns", ttl.as_nanos());
    }
    let millis = ttl.as_millis();
    for (unit, size) in [("h", 3_600_000), ("m", 60_000), ("s", 1_000)] {
        if millis > 0 && millis.is_multiple_of(size) {
            return format!("{}{unit}", millis / size);
        }
    }
    format!("{millis}ms")
}

impl HealthCheck {
    /// An HTTP health check requesting `path` (which starts with `/`).
    pub fn http(path: impl Into<String>) -> Self {
        HealthCheck {
            path: Some(path.into()),
            ..HealthCheck::new(HealthCheckType::Http)
        }
    }

    /// A TCP health check: the connection must open.
    pub fn tcp() -> Self {
        HealthCheck::new(HealthCheckType::Tcp)
    }

    /// Sets the HTTP `method` of the check, such as `"GET"`.
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    /// Sets the `port` to check, when it differs from the backend's.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Sets the HTTP status the check expects, 100 to 599 (sent as `"200"`).
    pub fn expected_code(mut self, status: u16) -> Self {
        self.expected_code = Some(status.to_string());
        self
    }

    /// Sets the Host header the check sends.
    pub fn host_header(mut self, host: impl Into<String>) -> Self {
        self.host_header = Some(host.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_uses_the_largest_whole_unit() {
        let cases = [
            (Duration::from_secs(300), "5m"),
            (Duration::from_secs(90), "90s"),
            (Duration::from_secs(7200), "2h"),
            (Duration::from_secs(86_400), "24h"),
            (Duration::from_millis(1500), "1500ms"),
            (Duration::ZERO, "0ms"),
            (Duration::from_micros(1500), "1500000ns"),
        ];
        for (ttl, wire) in cases {
            assert_eq!(render_ttl(ttl), wire, "{ttl:?}");
        }
    }
}
