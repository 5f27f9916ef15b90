//! Every operation of `openapi.yaml`: a [`Client`](crate::Client) method
//! each, its request builder, and the [`OPERATIONS`] table.
//!
//! The generator (`build/generator/operations.rs`) writes all of it from the
//! spec: an operation the vendor adds is a method here after the next build,
//! with what every call has (the input checks, the token, retries as the
//! client's policy and the method's semantics allow, a tracing span named by
//! the operationId, [`Error`](crate::Error) for every failure).
//!
//! Each method takes the operation's required values (path values, required
//! query or header values, the body) and returns a request builder named
//! after the operation ([`UpdateBackend`] for `update_backend`). Optional
//! parameters are set on the builder; then `.await` it (or `.send().await`),
//! or [`preview`](UpdateBackend::preview) it for a dry run:
//!
//! ```no_run
//! # async fn run(client: openscaler::Client, backend: openscaler::Backend)
//! # -> Result<(), openscaler::Error> {
//! let updated = client.update_backend("42", "my-backend", &backend).await?;
//! let request = client.update_backend("42", "my-backend", &backend).preview()?;
//! # Ok(())
//! # }
//! ```
//!
//! This file holds only what every operation shares: the table's types and
//! [`Body`]. Hand-written rules for a type plug in through
//! `src/validate.rs`'s `Check` trait, never here.

use std::{borrow::Borrow, fmt};

pub use written::*;

/// What the generator wrote. Lints that progenitor's types trip (its large
/// error type, copies of small values it takes by value) are allowed here
/// only.
#[allow(
    clippy::result_large_err,
    clippy::clone_on_copy,
    clippy::too_many_arguments
)]
mod written {
    use super::{Location, Operation, Parameter, RequestBody};
    // The generated code names types as progenitor does: `types::Name`,
    // and `ByteStream` for an answer that is not JSON.
    #[allow(unused_imports)]
    use crate::{generated::ByteStream, types};

    include!(concat!(env!("OUT_DIR"), "/operations.rs"));
}

/// The operation named `id` (its operationId), if the spec has it.
///
/// ```
/// let update = openscaler::operations::operation("update_backend").unwrap();
/// assert_eq!((update.method, update.path), ("PUT", "/v1/lbs/{lb_id}/backends/{backend_name}"));
/// ```
pub fn operation(id: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|operation| operation.id == id)
}

/// One operation of the spec, as the generator read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Operation {
    /// The operationId, which is also the `Client` method's name.
    pub id: &'static str,
    /// `GET`, `PUT`, `POST`, ...
    pub method: &'static str,
    /// The path template, `{name}` for each path parameter.
    pub path: &'static str,
    /// The spec's tags (the command line groups its commands by the first).
    pub tags: &'static [&'static str],
    /// The spec's summary; empty when it has none.
    pub summary: &'static str,
    /// The spec's description; empty when it has none.
    pub description: &'static str,
    /// The parameters: path, query, header (and cookie), in the spec's order.
    pub parameters: &'static [Parameter],
    /// The request body, if the operation takes one.
    pub body: Option<RequestBody>,
    /// Whether a failed attempt may be sent again after an answer or a
    /// dropped connection: `GET`, `HEAD`, `OPTIONS`, `PUT`, `DELETE`, and
    /// operations with an `Idempotency-Key` header, unless `x-idempotent`
    /// says otherwise (see [`retry`](crate::retry)).
    pub idempotent: bool,
    /// The `Idempotency-Key` header parameter's name, if the operation has
    /// one; the SDK fills it when the caller does not.
    pub idempotency_key: Option<&'static str>,
    /// The documented success statuses (`"200"`, `"204"`, `"2XX"`).
    pub success: &'static [&'static str],
}

/// One parameter of an [`Operation`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Parameter {
    /// The name on the wire (`lb_id`, `Idempotency-Key`).
    pub name: &'static str,
    /// Where it goes.
    pub location: Location,
    /// Whether every call must give it.
    pub required: bool,
    /// The spec's description; empty when it has none.
    pub description: &'static str,
    /// Its schema, as JSON, with `$ref`s to `components.schemas` resolved.
    pub schema: &'static str,
}

/// Where a [`Parameter`] goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Location {
    /// A segment of the path.
    Path,
    /// The query string.
    Query,
    /// A request header.
    Header,
    /// A cookie.
    Cookie,
}

/// An [`Operation`]'s request body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestBody {
    /// Whether the body must be given.
    pub required: bool,
    /// The spec's description; empty when it has none.
    pub description: &'static str,
    /// Its schema, as JSON, with `$ref`s to `components.schemas` resolved.
    pub schema: &'static str,
}

/// A request body, borrowed (`&backend`: nothing is copied) or owned
/// (`backend`, when you are done with it: it is moved into a box, so that
/// a request holding a body stays two words). Either converts with
/// `into()`, so methods take both.
pub enum Body<'a, T> {
    /// A body the caller keeps.
    Borrowed(&'a T),
    /// A body handed over.
    Owned(Box<T>),
}

impl<T> Body<'_, T> {
    /// The body.
    pub fn get(&self) -> &T {
        match self {
            Body::Borrowed(body) => body,
            Body::Owned(body) => body,
        }
    }
}

impl<T> Borrow<T> for Body<'_, T> {
    fn borrow(&self) -> &T {
        self.get()
    }
}

impl<'a, T> From<&'a T> for Body<'a, T> {
    fn from(body: &'a T) -> Self {
        Body::Borrowed(body)
    }
}

impl<T> From<T> for Body<'_, T> {
    fn from(body: T) -> Self {
        Body::Owned(Box::new(body))
    }
}

impl<T: fmt::Debug> fmt::Debug for Body<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_borrowed_or_owned_is_the_same_body() {
        let borrowed = String::from("b");
        let bodies: [Body<'_, String>; 2] = [(&borrowed).into(), String::from("b").into()];
        for body in &bodies {
            assert_eq!(body.get(), "b");
            assert_eq!(Borrow::<String>::borrow(body), "b");
            assert_eq!(format!("{body:?}"), "\"b\"");
        }
        assert!(matches!(bodies[0], Body::Borrowed(_)));
        assert!(matches!(bodies[1], Body::Owned(_)));
    }
}
