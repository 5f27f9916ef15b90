//! Generates the typed client from `openapi.yaml`.
//!
//! The spec is the single source of truth: this script reads it, hands it to
//! progenitor, and writes two files into `OUT_DIR`:
//!
//! - `client.rs`: the client (positional methods: path values and the body
//!   by reference) and its `types` module, included by `src/generated.rs`;
//! - `httpmock.rs`: typed httpmock helpers for the same operations, included
//!   by `src/mock.rs` (the `mock` feature) and by the crate's own tests;
//! - `enums.rs`: one `open_enum!` invocation per string enum in
//!   `components.schemas`, listing the spec's values, included by
//!   `src/enums.rs` (which holds the hand-written macro). A value removed from
//!   the spec removes its variant, so the public API follows the spec.
//!
//! Types that generation cannot express well are swapped for hand-written ones
//! here (see [`REPLACED`]); nothing in the generated output is edited by hand.
//! One pass runs over it: typify sorts struct fields by name, and
//! [`spec_field_order`] puts them back in the spec's order, so that bodies go
//! out with their keys in the order the vendor's page lists them.
//!
//! Beside progenitor's methods, [`send_path`] writes two for each operation
//! into the same `impl Client`: `<operation>_request`, the request as the
//! spec describes it, and `<operation>_answer`, which reads an answer as the
//! spec's responses describe it. The hand-written layer sends through them
//! (`src/hooks.rs`): progenitor's methods build the request and read the
//! answer in one piece, so a retry would have to copy every request up
//! front, and they add an `api-version` header the API does not document
//! (BENCHMARKS.md measures what that costs).

use std::{env, fs, panic, path::Path, process};

use openapiv3::{ReferenceOr, Schema, SchemaKind, Type};
use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle};
use schemars_typify::schema::{
    InstanceType, NumberValidation, SchemaObject, SingleOrVec, StringValidation,
};

const SPEC: &str = "openapi.yaml";

/// Schemas rendered by a hand-written type instead of a generated one:
/// (schema name, Rust path).
///
/// `Servers` becomes a real Rust enum; `Port` keeps the form it was given in.
/// Every string enum in `components.schemas` is replaced too, by the open
/// enum `src/enums.rs` makes from the spec's values (see [`open_enums`]), so
/// that a value added by the API later is read and sent back instead of
/// failing the whole response.
const REPLACED: &[(&str, &str)] = &[("Servers", "crate::Servers"), ("Port", "crate::Port")];

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
    fs::write(Path::new(&out).join("enums.rs"), generated.enums)
        .map_err(|e| format!("cannot write enums.rs: {e}"))?;
    fs::write(Path::new(&out).join("schemas.json"), generated.schemas)
        .map_err(|e| format!("cannot write schemas.json: {e}"))
}

/// What `generate` makes from the spec.
pub(crate) struct Generated {
    pub(crate) client: syn::File,
    mock: syn::File,
    schemas: String,
    /// The `open_enum!` invocations for `src/enums.rs`.
    pub(crate) enums: String,
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
    let enums = open_enums(&spec)?;
    for open in &enums {
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

    let parse = |tokens| {
        syn::parse2::<syn::File>(tokens).map_err(|e| format!("generated code does not parse: {e}"))
    };
    let mut client = parse(client)?;
    spec_field_order(&spec, &mut client.items);
    let send_path = send_path(&spec)?;
    client.items.extend(
        syn::parse_file(&send_path)
            .map_err(|e| format!("the send path's generated code does not parse: {e}"))?
            .items,
    );
    Ok(Generated {
        client,
        mock: parse(mock)?,
        schemas: json_schemas(text)?,
        enums: enums.iter().map(OpenEnum::invocation).collect(),
    })
}

/// A string enum of `components.schemas`, as `src/enums.rs`'s `open_enum!`
/// takes it.
struct OpenEnum {
    schema: String,
    description: Option<String>,
    /// (Rust variant name, wire value, description)
    variants: Vec<(String, String, Option<String>)>,
}

impl OpenEnum {
    fn invocation(&self) -> String {
        let mut out = String::from("open_enum! {\n");
        if let Some(description) = &self.description {
            for line in description.trim().lines() {
                out += &format!("    #[doc = {:?}]\n", format!(" {line}"));
            }
            out += "    #[doc = \"\"]\n";
        }
        out += &format!(
            "    #[doc = {:?}]\n    {} {{\n",
            format!(" `openapi.yaml`: `components.schemas.{}`.", self.schema),
            self.schema
        );
        for (variant, wire, description) in &self.variants {
            let doc = match description {
                Some(d) => format!(" `{wire:?}`: {}", d.trim()),
                None => format!(" `{wire:?}`."),
            };
            out += &format!("        #[doc = {doc:?}]\n        {variant} = {wire:?},\n");
        }
        out + "    }\n}\n"
    }
}

/// Every string enum in `components.schemas`, in the spec's order. Variant
/// names come from `x-enum-varnames` when the schema has it (the extension
/// openapi-generator reads too), else from the value in UpperCamelCase;
/// `x-enum-descriptions` documents the variants.
fn open_enums(spec: &openapiv3::OpenAPI) -> Result<Vec<OpenEnum>, String> {
    let mut found = Vec::new();
    let schemas = spec.components.iter().flat_map(|c| c.schemas.iter());
    for (name, schema) in schemas {
        let Some(schema) = schema.as_item() else {
            continue;
        };
        let SchemaKind::Type(Type::String(string)) = &schema.schema_kind else {
            continue;
        };
        if string.enumeration.is_empty() {
            continue;
        }
        let values: Vec<String> = string.enumeration.iter().flatten().cloned().collect();
        let list = |key: &str| -> Result<Option<Vec<String>>, String> {
            let Some(value) = schema.schema_data.extensions.get(key) else {
                return Ok(None);
            };
            let items: Option<Vec<String>> = value.as_array().and_then(|items| {
                items
                    .iter()
                    .map(|i| i.as_str().map(str::to_owned))
                    .collect()
            });
            match items {
                Some(items) if items.len() == values.len() => Ok(Some(items)),
                _ => Err(format!(
                    "components.schemas.{name}.{key} must be a list of {} strings, one per enum value",
                    values.len()
                )),
            }
        };
        let names = match list("x-enum-varnames")? {
            Some(names) => names,
            None => values.iter().map(|v| upper_camel(v)).collect(),
        };
        let descriptions = list("x-enum-descriptions")?;
        let mut variants = Vec::new();
        for (i, (variant, wire)) in names.into_iter().zip(&values).enumerate() {
            let valid = variant
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_uppercase())
                && variant
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid || variant == "Unknown" || variants.iter().any(|(v, _, _)| *v == variant) {
                return Err(format!(
                    "components.schemas.{name}: the value {wire:?} gives the variant name {variant:?}, \
                     which is not a unique UpperCamelCase Rust name other than Unknown; \
                     name it in x-enum-varnames"
                ));
            }
            let description = descriptions.as_ref().map(|d| d[i].clone());
            variants.push((variant, wire.clone(), description));
        }
        found.push(OpenEnum {
            schema: name.clone(),
            description: schema.schema_data.description.clone(),
            variants,
        });
    }
    Ok(found)
}

/// `"round-robin"` -> `"RoundRobin"`, `"v2"` -> `"V2"`.
fn upper_camel(value: &str) -> String {
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
                // Extensions for generators (variant names and docs).
                object.remove("x-enum-varnames");
                object.remove("x-enum-descriptions");
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

/// The `<operation>_request` and `<operation>_answer` methods (see the
/// module docs), as Rust source, for every operation of the spec. They
/// cover what the spec uses: path parameters, a JSON body, JSON answers by
/// status code or range; anything else is refused here, by name, rather
/// than generated wrong.
fn send_path(spec: &openapiv3::OpenAPI) -> Result<String, String> {
    let mut out = String::from("impl Client {\n");
    for (path, item) in spec.paths.iter() {
        let item = item
            .as_item()
            .ok_or_else(|| format!("paths.{path}: a $ref path item is not supported"))?;
        for (method, operation) in item.iter() {
            let at = format!("paths.{path}.{method}");
            let name = operation
                .operation_id
                .as_deref()
                .ok_or_else(|| format!("{at}: no operationId"))?;
            if !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                return Err(format!("{at}: operationId {name:?} must be snake_case"));
            }
            let mut params = Vec::new();
            for param in item.parameters.iter().chain(&operation.parameters) {
                let param = resolve(spec, param, "parameter", &at, |c, n| c.parameters.get(n))?;
                match param {
                    openapiv3::Parameter::Path { parameter_data, .. } => {
                        params.push(parameter_data.name.clone())
                    }
                    other => {
                        return Err(format!(
                            "{at}: parameter {:?} is not in the path; build.rs's send path \
                             supports path parameters only",
                            other.parameter_data_ref().name
                        ))
                    }
                }
            }
            let body = match &operation.request_body {
                None => None,
                Some(body) => {
                    let body = resolve(spec, body, "requestBody", &at, |c, n| {
                        c.request_bodies.get(n)
                    })?;
                    Some(json_type(&body.content).ok_or_else(|| {
                        format!(
                            "{at}: the request body must be application/json with a $ref schema"
                        )
                    })?)
                }
            };
            let mut success = Vec::new();
            let mut errors = Vec::new();
            for (code, response) in &operation.responses.responses {
                let response = resolve(spec, response, "response", &at, |c, n| c.responses.get(n))?;
                let typ = json_type(&response.content).ok_or_else(|| {
                    format!("{at}: response {code} must be application/json with a $ref schema")
                })?;
                let (low, high) = match code {
                    openapiv3::StatusCode::Code(code) => (*code, *code),
                    openapiv3::StatusCode::Range(range) => (range * 100, range * 100 + 99),
                };
                match low {
                    200..=299 => success.push((low, high, typ)),
                    400..=599 => errors.push((low, high, typ)),
                    _ => return Err(format!("{at}: response {code} is neither 2xx, 4xx nor 5xx")),
                }
            }
            if operation.responses.default.is_some() {
                return Err(format!("{at}: a default response is not supported"));
            }
            let ok = one_type(&success).ok_or_else(|| {
                format!("{at}: the send path needs one JSON type for all success responses")
            })?;
            let error = one_type(&errors).ok_or_else(|| {
                format!("{at}: the send path needs one JSON type for all error responses")
            })?;

            // The request.
            out += &format!(
                "    /// `{upper} {path}` ({name}): the request as the spec describes \
                 it; no token, no hooks.\n    pub(crate) fn {name}_request(\n        &self,\n",
                upper = method.to_uppercase()
            );
            for param in &params {
                out += &format!("        {param}: &str,\n");
            }
            if let Some(body) = &body {
                out += &format!("        body: &{body},\n");
            }
            out += "    ) -> reqwest::Result<reqwest::Request> {\n";
            let mut pushes = String::new();
            let mut length = String::from("self.baseurl.len()");
            for (i, part) in path.split('{').enumerate() {
                let (param, literal) = match i {
                    0 => (None, part),
                    _ => {
                        let (param, rest) = part
                            .split_once('}')
                            .ok_or_else(|| format!("paths.{path}: an unclosed {{"))?;
                        (Some(param), rest)
                    }
                };
                if let Some(param) = param {
                    if !params.iter().any(|p| p == param) {
                        return Err(format!("{at}: the path's {{{param}}} is not a parameter"));
                    }
                    pushes +=
                        &format!("        crate::hooks::push_path_value(&mut url, {param});\n");
                    length += &format!(" + {param}.len()");
                }
                if !literal.is_empty() {
                    pushes += &format!("        url.push_str({literal:?});\n");
                    length += &format!(" + {}", literal.len());
                }
            }
            out += &format!(
                "        let mut url = String::with_capacity({length});\n        \
                 url.push_str(&self.baseurl);\n{pushes}"
            );
            out += &format!(
                "        self.client\n            .request(reqwest::Method::{}, url)\n            \
                 .header(\n                reqwest::header::ACCEPT,\n                \
                 reqwest::header::HeaderValue::from_static(\"application/json\"),\n            )\n",
                method.to_uppercase()
            );
            if body.is_some() {
                out += "            .json(body)\n";
            }
            out += "            .build()\n    }\n\n";

            // The answer.
            out += &format!(
                "    /// Reads an answer to {name}, its body already read, as the spec's \
                 responses describe it.\n    pub(crate) fn {name}_answer(\n        \
                 status: reqwest::StatusCode,\n        headers: reqwest::header::HeaderMap,\n        \
                 body: bytes::Bytes,\n    ) -> Result<ResponseValue<{ok}>, Error<{error}>> {{\n        \
                 match status.as_u16() {{\n"
            );
            let pattern = |low: &u16, high: &u16| match low == high {
                true => format!("{low}u16"),
                false => format!("{low}u16..={high}u16"),
            };
            for (low, high, _) in &success {
                out += &format!(
                    "            {} => crate::hooks::json_value(status, headers, body),\n",
                    pattern(low, high)
                );
            }
            for (low, high, _) in &errors {
                out += &format!(
                    "            {} => Err(Error::ErrorResponse(crate::hooks::json_value(\n                \
                     status, headers, body,\n            )?)),\n",
                    pattern(low, high)
                );
            }
            out += "            _ => Err(crate::hooks::unexpected(status, headers, body)),\n        }\n    }\n\n";
        }
    }
    Ok(out + "}\n")
}

/// `item` itself, or the item its `$ref` names in the part of `components`
/// that `section` looks in (`what` and `at` say where, if it is not there).
fn resolve<'a, T>(
    spec: &'a openapiv3::OpenAPI,
    item: &'a ReferenceOr<T>,
    what: &str,
    at: &str,
    section: impl Fn(&'a openapiv3::Components, &str) -> Option<&'a ReferenceOr<T>>,
) -> Result<&'a T, String> {
    match item {
        ReferenceOr::Item(item) => Ok(item),
        ReferenceOr::Reference { reference } => spec
            .components
            .as_ref()
            .zip(ref_name(reference))
            .and_then(|(components, name)| section(components, name))
            .and_then(ReferenceOr::as_item)
            .ok_or_else(|| format!("{at}: {what} {reference} does not resolve")),
    }
}

/// `Name` of `#/components/<kind>/Name`.
fn ref_name(reference: &str) -> Option<&str> {
    reference
        .strip_prefix("#/components/")?
        .split_once('/')
        .map(|(_, name)| name)
}

/// The Rust type of an `application/json` content whose schema is a `$ref`
/// to `components.schemas`: `types::Name`, or the hand-written type that
/// replaces it.
fn json_type(content: &openapiv3::Content) -> Option<String> {
    let schema = content.get("application/json")?.schema.as_ref()?;
    let ReferenceOr::Reference { reference } = schema else {
        return None;
    };
    let name = reference.strip_prefix("#/components/schemas/")?;
    Some(match REPLACED.iter().find(|(schema, _)| *schema == name) {
        Some((_, rust_path)) => (*rust_path).to_owned(),
        None => format!("types::{}", upper_camel(name)),
    })
}

/// The one type all of `responses` share; `None` when there are none or
/// they differ.
fn one_type(responses: &[(u16, u16, String)]) -> Option<&str> {
    let (_, _, first) = responses.first()?;
    responses
        .iter()
        .all(|(_, _, typ)| typ == first)
        .then_some(first.as_str())
}

fn quote_path(path: &str) -> Result<proc_macro2::TokenStream, String> {
    path.parse()
        .map_err(|e| format!("bad Rust path {path}: {e}"))
}

/// Puts the fields of each struct generated for an object schema of
/// `components.schemas` in the order of the schema's `properties`. typify
/// sorts them by name (`typify-impl`'s `struct_members`, "to ensure a
/// deterministic result"), and serde writes fields in declaration order; the
/// spec's order is just as deterministic and is the page's. Fields the spec
/// does not list (the flattened `extra` map) stay last, in their order.
fn spec_field_order(spec: &openapiv3::OpenAPI, items: &mut [syn::Item]) {
    for item in items {
        match item {
            syn::Item::Mod(module) => {
                if let Some((_, items)) = &mut module.content {
                    spec_field_order(spec, items);
                }
            }
            syn::Item::Struct(item) => {
                let name = item.ident.to_string();
                let schema = spec
                    .components
                    .as_ref()
                    .and_then(|c| c.schemas.get(&name))
                    .and_then(ReferenceOr::as_item);
                let Some(SchemaKind::Type(Type::Object(object))) = schema.map(|s| &s.schema_kind)
                else {
                    continue;
                };
                let syn::Fields::Named(fields) = &mut item.fields else {
                    continue;
                };
                let mut sorted: Vec<syn::Field> = fields.named.iter().cloned().collect();
                // A stable sort: fields outside the spec keep their order, last.
                sorted.sort_by_key(|field| {
                    object
                        .properties
                        .get_index_of(&wire_name(field))
                        .unwrap_or(usize::MAX)
                });
                fields.named = sorted.into_iter().collect();
            }
            _ => {}
        }
    }
}

/// The JSON name of a generated field: its `#[serde(rename = "..")]`, else
/// its Rust name.
fn wire_name(field: &syn::Field) -> String {
    let mut name = field
        .ident
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                name = meta.value()?.parse::<syn::LitStr>()?.value();
            } else if meta.input.peek(syn::Token![=]) {
                meta.value()?.parse::<syn::Expr>()?;
            }
            Ok(())
        });
    }
    name
}

fn write_rust(path: &Path, file: syn::File) -> Result<(), String> {
    let text = format!(
        "// Generated by build.rs from {SPEC}; do not edit.\n{}",
        prettyplease::unparse(&file)
    );
    fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
