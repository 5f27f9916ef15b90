//! The client and types that `build.rs` generates from `openapi.yaml`.
//!
//! Generated; do not modify. To change what is here, edit `openapi.yaml` or
//! the generator settings in `build.rs` and rebuild.

#![allow(missing_docs, clippy::all, clippy::pedantic, rustdoc::all)]

include!(concat!(env!("OUT_DIR"), "/client.rs"));
