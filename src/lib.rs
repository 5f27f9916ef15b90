#![doc = include_str!("../README.md")]
//!
//! # Layout
//!
//! `openapi.yaml` is the source of truth; the generator (`build/`) writes
//! the client from it; the rest is hand-written, one file per concern:
//!
//! - `generated`: the progenitor client and its `types` (never edited);
//! - [`operations`]: a [`Client`] method and a request builder for every
//!   operation of the spec, and the [`operations::OPERATIONS`] table
//!   (written by the generator; the file holds what they share);
//! - [`types`]: every schema of the spec, generated or hand-written, under
//!   one path;
//! - `client`: [`Client`] and [`ClientBuilder`], configuration;
//! - `dynamic`: [`Client::call`], any operation by name with JSON values;
//! - `encode`: request URLs written in place, path values percent-encoded;
//! - `hooks`: the request pipeline (token, headers, retries, per-call record);
//! - `backend`: the [`Backend`] builder and option constructors;
//! - `servers`: [`Servers`], the `oneOf` of server sets;
//! - `port`: [`Port`], integer or string;
//! - `enums`: the spec's string enums, open to values added later (the
//!   variants are written by the generator (`build/`) from the spec);
//! - `preview`: dry runs, the request a call would send ([`PreparedRequest`]);
//! - `raw`: [`Client::request`], any path under the base URL with the
//!   client's token and retries;
//! - `validate`: the checks made before sending ([`ValidationError`]);
//! - `retry`: [`RetryPolicy`] and [`RetryBudget`], what is retried and why;
//! - `error`: [`Error`];
//! - `mock`: typed httpmock helpers (feature `mock`);
//! - `schema`: the `Backend` body's JSON Schema (feature `schema`).

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(rust_2018_idioms, unreachable_pub)]

pub mod backend;
mod client;
mod dynamic;
mod encode;
mod enums;
mod error;
pub mod generated;
mod hooks;
#[cfg(feature = "mock")]
pub mod mock;
pub mod operations;
mod port;
mod preview;
mod raw;
pub mod retry;
#[cfg(feature = "schema")]
pub mod schema;
mod servers;
pub mod types;
mod validate;

pub use backend::BackendBuilder;
pub use client::{
    Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT,
    ENV_BASE_URL, ENV_TIMEOUT_SECS, ENV_TOKEN, USER_AGENT,
};
// Every string enum of openapi.yaml (written by the generator): Mode,
// BalancingMethod, ProxyProtocol, StickySessionType, HealthCheckType.
pub use enums::*;
pub use error::{Error, ErrorKind};
pub use generated::types::{Backend, BackendOptions, HealthCheck, StickySession};
pub use port::Port;
pub use preview::{PreparedRequest, REDACTED_AUTHORIZATION};
pub use raw::{RawRequest, RawResponse};
pub use retry::{RetryBudget, RetryPolicy};
pub use servers::Servers;
pub use validate::{Problem, ValidationError};

/// The error body the API sends with 4xx and 5xx answers.
pub type ErrorBody = generated::types::Error;
