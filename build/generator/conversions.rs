//! Constrained schemas kept plain: typify would turn a string with a
//! `pattern`, `minLength` or `maxLength` into a newtype that refuses to parse
//! a value breaking it, and a 1..=65535 integer into a bounded type. Answers
//! are read leniently instead (the SDK checks what it sends, field by field,
//! in `src/validate.rs`), and a header or query parameter stays a `&str`.
//!
//! Strings of the formats whose Rust types live in crates the SDK does not
//! depend on (`uuid`, `date-time`, `date`: the `uuid` and `chrono` crates)
//! stay `String` too, so that a vendor adding such a field does not break
//! the build, and a value in an unexpected form does not fail a response.

use openapiv3::{ReferenceOr, Schema, SchemaKind, Type};
use schemars_typify::schema::{
    InstanceType, NumberValidation, SchemaObject, SingleOrVec, StringValidation,
};

/// Every constrained inline string or port-sized integer schema in the spec
/// (component schemas, and the parameters of every operation), described
/// the way progenitor describes it to typify, with the plain type to use.
pub(crate) fn plain_conversions(spec: &openapiv3::OpenAPI) -> Vec<(SchemaObject, &'static str)> {
    let mut found = Vec::new();
    let mut pending: Vec<&Schema> = spec
        .components
        .iter()
        .flat_map(|c| c.schemas.values())
        .filter_map(ReferenceOr::as_item)
        .collect();
    let parameters = spec
        .paths
        .iter()
        .filter_map(|(_, item)| item.as_item())
        .flat_map(|item| {
            item.parameters
                .iter()
                .chain(item.iter().flat_map(|(_, op)| op.parameters.iter()))
        })
        .filter_map(ReferenceOr::as_item)
        .chain(
            spec.components
                .iter()
                .flat_map(|c| c.parameters.values())
                .filter_map(ReferenceOr::as_item),
        );
    for parameter in parameters {
        if let openapiv3::ParameterSchemaOrContent::Schema(ReferenceOr::Item(schema)) =
            &parameter.parameter_data_ref().format
        {
            pending.push(schema);
        }
    }
    while let Some(schema) = pending.pop() {
        match &schema.schema_kind {
            SchemaKind::Type(Type::String(s))
                if s.enumeration.is_empty()
                    && (s.pattern.is_some()
                        || s.min_length.is_some()
                        || s.max_length.is_some()
                        || plain_format(&s.format).is_some()) =>
            {
                found.push((
                    SchemaObject {
                        instance_type: Some(SingleOrVec::Single(Box::new(InstanceType::String))),
                        format: plain_format(&s.format),
                        // As progenitor describes it: no validation object
                        // when nothing is constrained.
                        string: (s.pattern.is_some()
                            || s.min_length.is_some()
                            || s.max_length.is_some())
                        .then(|| {
                            Box::new(StringValidation {
                                max_length: s.max_length.map(|n| n as u32),
                                min_length: s.min_length.map(|n| n as u32),
                                pattern: s.pattern.clone(),
                            })
                        }),
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

/// The formats kept as plain strings (see the module docs).
fn plain_format(
    format: &openapiv3::VariantOrUnknownOrEmpty<openapiv3::StringFormat>,
) -> Option<String> {
    use openapiv3::{StringFormat, VariantOrUnknownOrEmpty as F};
    match format {
        F::Item(StringFormat::DateTime) => Some("date-time".to_owned()),
        F::Item(StringFormat::Date) => Some("date".to_owned()),
        F::Unknown(uuid) if uuid == "uuid" => Some(uuid.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The conversions found, as (instance type, format, validation) text.
    fn found(text: &str) -> Vec<String> {
        let spec: openapiv3::OpenAPI = serde_yaml::from_str(&format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\n{text}"
        ))
        .unwrap();
        let mut found: Vec<String> = plain_conversions(&spec)
            .into_iter()
            .map(|(schema, rust)| format!("{} -> {rust}", serde_json::to_string(&schema).unwrap()))
            .collect();
        found.sort();
        found
    }

    #[test]
    fn constrained_strings_and_ports_are_kept_plain_wherever_they_are() {
        let found = found(
            "paths:\n  /x/{a}:\n    parameters:\n      - {name: a, in: path, required: true, schema: {type: string, maxLength: 3}}\n    \
             get:\n      parameters: [{name: b, in: query, schema: {type: string, format: uuid}}]\n      \
             responses: {'200': {description: ok}}\n\
             components:\n  parameters:\n    C: {name: c, in: header, schema: {type: string, format: date}}\n  schemas:\n    \
             O:\n      type: object\n      properties:\n        \
             p: {type: string, pattern: '^x'}\n        \
             l: {type: array, items: {type: string, minLength: 1}}\n        \
             u: {oneOf: [{type: integer, minimum: 1, maximum: 65535}, {type: string, format: date-time}]}\n        \
             plain: {type: string}\n        e: {type: string, enum: [a], minLength: 1}\n        \
             big: {type: integer, minimum: 1, maximum: 70000}\n        neg: {type: integer, minimum: -1, maximum: 10}\n        \
             open: {type: integer, maximum: 10}\n        pwd: {type: string, format: password}\n        \
             ip: {type: string, format: ipv4}\n",
        );
        assert_eq!(
            found,
            [
                r#"{"type":"integer","maximum":65535.0,"minimum":1.0} -> u16"#,
                r#"{"type":"string","format":"date"} -> ::std::string::String"#,
                r#"{"type":"string","format":"date-time"} -> ::std::string::String"#,
                r#"{"type":"string","format":"uuid"} -> ::std::string::String"#,
                r#"{"type":"string","maxLength":3} -> ::std::string::String"#,
                r#"{"type":"string","minLength":1} -> ::std::string::String"#,
                r#"{"type":"string","pattern":"^x"} -> ::std::string::String"#,
            ]
        );
    }
}
