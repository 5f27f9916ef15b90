//! The client and types that the generator (`build/`) makes from `openapi.yaml`.
//!
//! Generated; do not modify. To change what is here, edit `openapi.yaml` or
//! the generator's settings (`build/generator/`) and rebuild.

#![allow(missing_docs, clippy::all, clippy::pedantic, rustdoc::all)]

include!(concat!(env!("OUT_DIR"), "/client.rs"));
