//! The generator: `openapi.yaml` in, the crate's generated Rust out.
//!
//! progenitor writes the client and its `types`; this module sets it up and
//! adds what progenitor does not write, one file per concern:
//!
//! - `enums`: the spec's string enums, as `open_enum!` invocations for
//!   `src/enums.rs` (open to values the API adds later);
//! - `conversions`: constrained strings and ports kept plain, so that
//!   answers are read leniently;
//! - `order`: struct fields put back in the spec's order (typify sorts them);
//! - `constructors`: `new(required fields)` for every object type, so that
//!   hand-written code never lists the optional fields a spec may add to;
//! - `split`: each of progenitor's operation methods split into the request
//!   it builds and the answer it reads, so that the SDK's pipeline can send
//!   the request as often as its retry policy says;
//! - `operations`: a method per operation on `openscaler::Client`, its
//!   request builder, the operations table and the dynamic call;
//! - `spec`: reading the spec's operations and resolving `$ref`s;
//! - `schemas`: the component schemas as JSON Schema, for `src/schema.rs`;
//! - `mock`: the operations progenitor's httpmock generator can write
//!   helpers for (the `mock` feature).
//!
//! Nothing here is written per operation: a spec with other operations,
//! fields or enum values generates the same way.

mod constructors;
mod conversions;
mod enums;
mod mock;
mod operations;
mod order;
mod schemas;
mod spec;
mod split;

use std::panic;

use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle};

/// The spec, relative to the package root.
pub const SPEC: &str = "openapi.yaml";

/// Schemas rendered by a hand-written type instead of a generated one:
/// (schema name, Rust path).
///
/// `Servers` becomes a real Rust enum; `Port` keeps the form it was given in.
/// Every string enum in `components.schemas` is replaced too, by the open
/// enum `src/enums.rs` makes from the spec's values (see `enums`), so that a
/// value added by the API later is read and sent back instead of failing the
/// whole response.
pub const REPLACED: &[(&str, &str)] = &[("Servers", "crate::Servers"), ("Port", "crate::Port")];

/// Schemas whose values `src/validate.rs` checks by hand before they are
/// sent (`impl Check for ...`). Every other type an operation sends gets the
/// trait's default, which checks nothing; the generated methods call
/// `Check::check` on every body alike.
pub const CHECKED: &[&str] = &["Backend"];

/// The line a problem with the spec is reported as.
pub fn report(problem: &str) -> String {
    let problem = problem.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("error: {SPEC}: {problem}")
}

/// What `generate` makes from the spec: file names in `OUT_DIR`, and their
/// contents.
pub struct Generated {
    /// The progenitor client, its `types`, and the split request and answer
    /// functions (`src/generated.rs` includes it).
    pub client: String,
    /// The typed httpmock helpers (`src/mock.rs`).
    pub mock: String,
    /// The `open_enum!` invocations (`src/enums.rs`).
    pub enums: String,
    /// The `Client` methods, builders and operations table
    /// (`src/operations.rs`).
    pub operations: String,
    /// The component schemas as JSON Schema (`src/schema.rs`).
    pub schemas: String,
    /// What the build should warn about (the spec still generates).
    pub warnings: Vec<String>,
}

impl Generated {
    /// Each file, by its name in `OUT_DIR`.
    pub fn files(&self) -> [(&'static str, &str); 5] {
        [
            ("client.rs", &self.client),
            ("httpmock.rs", &self.mock),
            ("enums.rs", &self.enums),
            ("operations.rs", &self.operations),
            ("schemas.json", &self.schemas),
        ]
    }
}

/// Everything but the writing, so that tests can feed it any spec.
pub fn generate(text: &str) -> Result<Generated, String> {
    let spec: openapiv3::OpenAPI =
        serde_yaml::from_str(text).map_err(|e| format!("not a valid OpenAPI 3.0 document: {e}"))?;

    let mut settings = GenerationSettings::new();
    settings
        // Positional: path values and the body by reference, so that a call
        // copies nothing; `operations` puts a builder in front of them.
        .with_interface(InterfaceStyle::Positional)
        .with_tag(TagStyle::Merged)
        .with_hooks(HooksMode::Expected)
        .with_inner_type(quote::quote!(crate::hooks::Hooks))
        .with_derive("PartialEq");
    let schemas = spec.components.as_ref().map(|c| &c.schemas);
    for (schema, rust_path) in REPLACED {
        if !schemas.is_some_and(|s| s.contains_key(*schema)) {
            return Err(format!(
                "build/generator maps the schema {schema} to {rust_path}, but components.schemas has no {schema}"
            ));
        }
        settings.with_replacement(schema, rust_path, std::iter::empty());
    }
    let enums = enums::open_enums(&spec)?;
    for open in &enums.enums {
        settings.with_replacement(
            &open.schema,
            format!("crate::{}", open.schema),
            std::iter::empty(),
        );
    }
    // The spec's constraints (`minLength`, `pattern`, `minimum`, `maximum`)
    // document what the SDK checks before sending. typify would turn each
    // constrained field into a newtype that refuses to parse a response
    // breaking it; keep such fields plain (`String`, `u16`) instead, so that
    // responses are read leniently and `Backend::validate` reports every
    // problem at once, with its field path.
    for (schema, rust_type) in conversions::plain_conversions(&spec) {
        settings.with_conversion(schema, rust_type, std::iter::empty());
    }

    let (mockable, left_out) = mock::mockable(&spec)?;
    let (client, mock) = run_progenitor(&settings, &spec, &mockable)?;
    let parse = |tokens, what: &str| {
        syn::parse2::<syn::File>(tokens).map_err(|e| format!("{what} does not parse: {e}"))
    };
    let mut client = parse(client, "progenitor's client")?;
    order::spec_field_order(&spec, &mut client.items);
    constructors::add(&mut client.items);
    let operations = spec::operations(&spec)?;
    let methods = split::split(&mut client)?;
    let operations = operations::generate(&operations, &methods)?;
    Ok(Generated {
        client: rust_file(client),
        mock: format!(
            "// No helpers for (see build/generator/mock.rs): {}\n{}",
            match left_out.is_empty() {
                true => "none".to_owned(),
                false => left_out.join(", "),
            },
            rust_file(parse(mock, "progenitor's httpmock helpers")?)
        ),
        enums: enums.invocations(),
        operations: rust_file(parse(operations, "the generated operations")?),
        schemas: schemas::json_schemas(text)?,
        warnings: enums.warnings,
    })
}

/// progenitor's client and httpmock helpers. progenitor and typify panic
/// (`todo!`, assertions) on constructs they do not support; that becomes the
/// same one-line error as any other.
fn run_progenitor(
    settings: &GenerationSettings,
    spec: &openapiv3::OpenAPI,
    mockable: &openapiv3::OpenAPI,
) -> Result<(proc_macro2::TokenStream, proc_macro2::TokenStream), String> {
    panic::set_hook(Box::new(|_| {}));
    let generated = panic::catch_unwind(|| {
        let mut generator = Generator::new(settings);
        let client = generator.generate_tokens(spec)?;
        let mock = generator.httpmock(mockable, "crate::generated")?;
        Ok::<_, progenitor::Error>((client, mock))
    });
    let _ = panic::take_hook();
    match generated {
        Ok(Ok(tokens)) => Ok(tokens),
        Ok(Err(e)) => Err(format!("progenitor cannot generate the client: {e}")),
        Err(payload) => {
            let why = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("unknown reason");
            let why = why.split_whitespace().collect::<Vec<_>>().join(" ");
            Err(format!(
                "progenitor cannot generate the client: {why}{}",
                hint(&why)
            ))
        }
    }
}

/// What a known generator panic usually means in the spec.
fn hint(why: &str) -> &'static str {
    if why.contains("response_types.len()") {
        " (an operation's responses have more than one body type: a `default` beside a typed \
         response, a typed 2xx beside an empty one, or error responses with different schemas; \
         give them one schema)"
    } else if why.contains("invalid (or unexpected) schema") {
        " (typify cannot turn this schema into a type: give each alternative a `type`)"
    } else {
        ""
    }
}

/// `"round-robin"` -> `"RoundRobin"`, `"v2"` -> `"V2"`, `"get_backend"` ->
/// `"GetBackend"`.
pub(crate) fn upper_camel(value: &str) -> String {
    value
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn rust_file(file: syn::File) -> String {
    format!(
        "// Generated by build/ from {SPEC}; do not edit.\n{}",
        prettyplease::unparse(&file)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_upper_camel_case() {
        assert_eq!(upper_camel("round-robin"), "RoundRobin");
        assert_eq!(upper_camel("v2"), "V2");
        assert_eq!(upper_camel("get_backend"), "GetBackend");
        assert_eq!(upper_camel("__x__y"), "XY");
        assert_eq!(upper_camel(""), "");
    }

    #[test]
    fn a_report_is_one_line_naming_the_spec() {
        assert_eq!(
            report("paths./x.get:\n  no operationId"),
            "error: openapi.yaml: paths./x.get: no operationId"
        );
    }
}
