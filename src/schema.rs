//! The `Backend` body's JSON Schema (feature `schema`), for editors and
//! validators of backend configuration files.
//!
//! [`Backend`] implements [`schemars::JsonSchema`], so
//! `schemars::schema_for!(openscaler::Backend)` gives the whole document and a
//! `Backend` inside your own `#[derive(JsonSchema)]` types brings its
//! definitions along. `cargo run --example schema` prints it.
//!
//! The schema is `openapi.yaml`'s own, converted by the generator (`build/`) (OpenAPI 3.0
//! schema objects are JSON Schema with a few extra keywords), not derived
//! from the Rust types: the generated types keep constrained fields plain
//! (`String`, `u16`) to read responses leniently, so only the spec still
//! knows the constraints (`minLength`, `pattern`, port ranges, IP formats)
//! that [`Backend::validate`] checks.
//!
//! ```
//! let schema = schemars::schema_for!(openscaler::Backend);
//! let json = serde_json::to_value(&schema)?;
//! assert_eq!(json["required"], serde_json::json!(["name", "mode", "balancing_method", "port", "servers"]));
//! assert!(json["$defs"]["Servers"].is_object());
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{Map, Value};

use crate::Backend;

/// `components.schemas` of `openapi.yaml`, converted by the generator (`build/`).
const SCHEMAS: &str = include_str!(concat!(env!("OUT_DIR"), "/schemas.json"));

/// Points every `#/components/schemas/X` reference at `prefix` + `X`.
fn relocate(value: &mut Value, prefix: &str) {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(reference)) = object.get_mut("$ref") {
                if let Some(name) = reference.strip_prefix("#/components/schemas/") {
                    *reference = format!("{prefix}{name}");
                }
            }
            object.values_mut().for_each(|v| relocate(v, prefix));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| relocate(v, prefix)),
        _ => {}
    }
}

impl JsonSchema for Backend {
    fn schema_name() -> Cow<'static, str> {
        "Backend".into()
    }

    fn schema_id() -> Cow<'static, str> {
        "openscaler::Backend".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schemas: Map<String, Value> =
            serde_json::from_str(SCHEMAS).expect("the generator writes a JSON object");
        let path = generator.settings().definitions_path.clone();
        let prefix = format!("#{}/", path.trim_start_matches('#').trim_end_matches('/'));
        schemas.values_mut().for_each(|s| relocate(s, &prefix));
        let backend = schemas.remove("Backend").unwrap_or_default();
        for (name, schema) in schemas {
            generator.definitions_mut().entry(name).or_insert(schema);
        }
        Schema::try_from(backend).unwrap_or_default()
    }
}
