//! Typed httpmock helpers generated from `openapi.yaml` (the `mock` feature).
//!
//! [`MockServerExt::update_backend`] adds a mock for the operation to an
//! [`httpmock::MockServer`]; its `when` and `then` arguments offer only what
//! the spec allows (`lb_id`, `backend_name`, `body`; `ok`, `client_error`,
//! `server_error`), with `into_inner()` to step outside it.
//!
//! Path values are matched as regular expressions, unescaped and anchored at
//! `^/v1/...`, so point the client at the server's root
//! (`server.base_url()`), not at a path prefix.
//!
//! ```
//! use httpmock::MockServer;
//! use openscaler::mock::MockServerExt;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = MockServer::start_async().await;
//! let backend: openscaler::Backend = serde_json::from_str(
//!     r#"{"name":"web","mode":"http","balancing_method":"first","port":80,
//!         "servers":{"type":"ip","ips":["127.0.0.1"]}}"#,
//! )?;
//! let mock = server.update_backend(|when, then| {
//!     when.lb_id("42").backend_name("web").body(&backend);
//!     then.ok(&backend);
//! });
//!
//! let client = openscaler::Client::builder()
//!     .base_url(server.base_url())
//!     .token("test-token")
//!     .build()?;
//! let updated = client.update_backend("42", "web", &backend).await?;
//! assert_eq!(updated, backend);
//! mock.assert();
//! # Ok(())
//! # }
//! ```

#![allow(missing_docs, clippy::all, clippy::pedantic)]

include!(concat!(env!("OUT_DIR"), "/httpmock.rs"));
