//! Generates the typed client from `openapi.yaml`.
//!
//! The spec is the single source of truth: this script reads it, hands it to
//! progenitor, and writes two files into `OUT_DIR`:
//!
//! - `client.rs`: the client (positional methods: path values and the body
//!   by reference) and its `types` module, included by `src/generated.rs`;
//! - `httpmock.rs`: typed httpmock helpers for the same operations, included
//!   by `src/mock.rs` (the `mock` feature) and by the crate's own tests.
//!
//! Types that generation cannot express well are swapped for hand-written ones
//! here (see [`REPLACED`]); nothing in the generated output is edited by hand.

use std::{env, fs, panic, path::Path, process};

use openapiv3::{ReferenceOr, Schema, SchemaKind, Type};
use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle};
use schemars_typify::schema::{
    InstanceType, NumberValidation, SchemaObject, SingleOrVec, StringValidation,
};

const SPEC: &str = "openapi.yaml";

/// Schemas rendered by a hand-written type instead of a generated one:
/// (schema name, Rust path, traits the type implements).
///
/// `Servers` becomes a real Rust enum; `Port` keeps the form it was given in;
/// the string enums stay open, so that a value added by the API later is read
/// and sent back instead of failing the whole response.
const REPLACED: &[(&str, &str)] = &[
    ("Servers", "crate::Servers"),
    ("Port", "crate::Port"),
    ("Mode", "crate::Mode"),
    ("BalancingMethod", "crate::BalancingMethod"),
    ("ProxyProtocol", "crate::ProxyProtocol"),
    ("StickySessionType", "crate::StickySessionType"),
    ("HealthCheckType", "crate::HealthCheckType"),
];

fn main() {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=build.rs");
    if let Err(problem) = run() {
        // One line cargo shows verbatim, instead of a panic backtrace.
        eprintln!("{}", report(&problem));
        process::exit(1);
    }
}

/// The line a problem with the spec is reported as.
pub(crate) fn report(problem: &str) -> String {
    format!("error: {SPEC}: {problem}")
}

fn run() -> Result<(), String> {
    let text = fs::read_to_string(SPEC).map_err(|e| format!("cannot read it: {e}"))?;
    let generated = generate(&text)?;
    let out = env::var("OUT_DIR").map_err(|e| format!("OUT_DIR: {e}"))?;
    write_rust(&Path::new(&out).join("client.rs"), generated.client)?;
    write_rust(&Path::new(&out).join("httpmock.rs"), generated.mock)?;
    fs::write(Path::new(&out).join("schemas.json"), generated.schemas)
        .map_err(|e| format!("cannot write schemas.json: {e}"))
}

/// What `generate` makes from the spec.
pub(crate) struct Generated {
    client: proc_macro2::TokenStream,
    mock: proc_macro2::TokenStream,
    schemas: String,
}

/// Everything but the writing, so that tests can feed it broken specs.
pub(crate) fn generate(text: &str) -> Result<Generated, String> {
    let spec: openapiv3::OpenAPI =
        serde_yaml::from_str(text).map_err(|e| format!("not a valid OpenAPI 3.0 document: {e}"))?;

    let mut settings = GenerationSettings::new();
    settings
        // Positional: `update_backend(&lb_id, &name, &body)` sends the body
        // by reference; the builder interface round-trips it through
        // `types::builder::Backend` and owned path strings on every call
        // (BENCHMARKS.md measures the difference).
        .with_interface(InterfaceStyle::Positional)
        .with_tag(TagStyle::Merged)
        .with_hooks(HooksMode::Expected)
        .with_inner_type(quote_path("crate::hooks::Hooks")?)
        .with_derive("PartialEq");
    let schemas = spec.components.as_ref().map(|c| &c.schemas);
    for (schema, rust_path) in REPLACED {
        if !schemas.is_some_and(|s| s.contains_key(*schema)) {
            return Err(format!(
                "build.rs maps the schema {schema} to {rust_path}, but components.schemas has no {schema}"
            ));
        }
        settings.with_replacement(schema, rust_path, std::iter::empty());
    }
    // The spec's constraints (`minLength`, `pattern`, `minimum`, `maximum`)
    // document what the SDK checks before sending. typify would turn each
    // constrained field into a newtype that refuses to parse a response
    // breaking it; keep such fields plain (`String`, `u16`) instead, so that
    // responses are read leniently and `Backend::validate` reports every
    // problem at once, with its field path.
    for (schema, rust_type) in plain_conversions(&spec) {
        settings.with_conversion(schema, rust_type, std::iter::empty());
    }

    // progenitor and typify panic (`todo!`, assertions) on constructs they do
    // not support; turn that into the same one-line error as any other.
    panic::set_hook(Box::new(|_| {}));
    let generated = panic::catch_unwind(|| {
        let mut generator = Generator::new(&settings);
        let client = generator.generate_tokens(&spec)?;
        let mock = generator.httpmock(&spec, "crate::generated")?;
        Ok::<_, progenitor::Error>((client, mock))
    });
    let _ = panic::take_hook();
    let (client, mock) = match generated {
        Ok(Ok(tokens)) => tokens,
        Ok(Err(e)) => return Err(format!("progenitor cannot generate the client: {e}")),
        Err(payload) => {
            let why = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("unknown reason");
            let why = why.split_whitespace().collect::<Vec<_>>().join(" ");
            return Err(format!(
                "progenitor cannot generate the client: {why}{}",
                hint(&why)
            ));
        }
    };

    Ok(Generated {
        client,
        mock,
        schemas: json_schemas(text)?,
    })
}

/// The spec's component schemas as JSON Schema (for `src/schema.rs`): the
/// OpenAPI-only keywords go (`discriminator`), `example` becomes `examples`;
/// `$ref`s still point at `#/components/schemas/`, for the reader to place.
fn json_schemas(text: &str) -> Result<String, String> {
    let spec: serde_json::Value =
        serde_yaml::from_str(text).map_err(|e| format!("not YAML: {e}"))?;
    let mut schemas = spec
        .pointer("/components/schemas")
        .cloned()
        .ok_or("no components.schemas")?;
    fn convert(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(object) => {
                object.remove("discriminator");
                if let Some(example) = object.remove("example") {
                    object.insert("examples".into(), serde_json::Value::Array(vec![example]));
                }
                object.values_mut().for_each(convert);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(convert),
            _ => {}
        }
    }
    convert(&mut schemas);
    serde_json::to_string_pretty(&schemas).map_err(|e| e.to_string())
}

/// What a known generator panic usually means in the spec.
fn hint(why: &str) -> &'static str {
    if why.contains("response_types.len()") {
        " (an operation's responses have more than one body type: a `default` beside a typed \
         response, or error responses with different schemas; give them one schema)"
    } else if why.contains("invalid (or unexpected) schema") {
        " (typify cannot turn this schema into a type: give each alternative a `type`)"
    } else {
        ""
    }
}

/// Every constrained inline string or integer schema in the spec, described
/// the way progenitor describes it to typify, with the plain type to use.
fn plain_conversions(spec: &openapiv3::OpenAPI) -> Vec<(SchemaObject, &'static str)> {
    let mut found = Vec::new();
    let mut pending: Vec<&Schema> = spec
        .components
        .iter()
        .flat_map(|c| c.schemas.values())
        .filter_map(ReferenceOr::as_item)
        .collect();
    while let Some(schema) = pending.pop() {
        match &schema.schema_kind {
            SchemaKind::Type(Type::String(s))
                if s.enumeration.is_empty()
                    && (s.pattern.is_some()
                        || s.min_length.is_some()
                        || s.max_length.is_some()) =>
            {
                found.push((
                    SchemaObject {
                        instance_type: Some(SingleOrVec::Single(Box::new(InstanceType::String))),
                        string: Some(Box::new(StringValidation {
                            max_length: s.max_length.map(|n| n as u32),
                            min_length: s.min_length.map(|n| n as u32),
                            pattern: s.pattern.clone(),
                        })),
                        ..Default::default()
                    },
                    "::std::string::String",
                ));
            }
            SchemaKind::Type(Type::Integer(i))
                if i.minimum.is_some_and(|m| m >= 0)
                    && i.maximum.is_some_and(|m| m <= i64::from(u16::MAX)) =>
            {
                found.push((
                    SchemaObject {
                        instance_type: Some(SingleOrVec::Single(Box::new(InstanceType::Integer))),
                        number: Some(Box::new(NumberValidation {
                            minimum: i.minimum.map(|v| v as f64),
                            maximum: i.maximum.map(|v| v as f64),
                            ..Default::default()
                        })),
                        ..Default::default()
                    },
                    "u16",
                ));
            }
            SchemaKind::Type(Type::Object(o)) => {
                pending.extend(
                    o.properties
                        .values()
                        .filter_map(ReferenceOr::as_item)
                        .map(|b| &**b),
                );
            }
            SchemaKind::Type(Type::Array(a)) => {
                pending.extend(
                    a.items
                        .as_ref()
                        .and_then(ReferenceOr::as_item)
                        .map(|b| &**b),
                );
            }
            SchemaKind::OneOf { one_of: list } | SchemaKind::AnyOf { any_of: list } => {
                pending.extend(list.iter().filter_map(ReferenceOr::as_item));
            }
            _ => {}
        }
    }
    found
}

fn quote_path(path: &str) -> Result<proc_macro2::TokenStream, String> {
    path.parse()
        .map_err(|e| format!("bad Rust path {path}: {e}"))
}

fn write_rust(path: &Path, tokens: proc_macro2::TokenStream) -> Result<(), String> {
    let file = syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    let text = format!(
        "// Generated by build.rs from {SPEC}; do not edit.\n{}",
        prettyplease::unparse(&file)
    );
    fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
