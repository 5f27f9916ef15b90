//! The SDK's generator (`build/generator/`), compiled as a library for its
//! tests. The root package's build script (`build/main.rs`) compiles the
//! same files; nothing here is published.

#[path = "../../build/generator/mod.rs"]
pub mod generator;
