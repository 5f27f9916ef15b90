//! Every schema of `openapi.yaml` as a Rust type, under one path: the types
//! the generator writes (`generated::types`) and the hand-written ones that
//! replace some of them ([`Servers`], [`Port`], the open string enums).
//!
//! A schema the vendor adds is here after the next build. The most used
//! types are also at the crate's root (`openscaler::Backend`).

pub use crate::enums::*;
pub use crate::generated::types::*;
pub use crate::{Port, Servers};
