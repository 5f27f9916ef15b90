//! The spec's string enums, as `open_enum!` invocations for `src/enums.rs`.
//!
//! Variant names come from the values (`"roundrobin"` -> `Roundrobin`);
//! `x-enum-varnames` (the extension openapi-generator reads too) overrides
//! them and `x-enum-descriptions` documents them. A vendor adding a value
//! does not write our extensions: when a list no longer has one entry per
//! value, names are matched to the values they spell (`RoundRobin` to
//! `roundrobin`, letters and digits compared without case) and descriptions
//! are dropped, with a build warning, so the build still succeeds.

use openapiv3::{SchemaKind, Type};

use super::upper_camel;

/// A string enum of `components.schemas`, as `open_enum!` takes it.
pub(crate) struct OpenEnum {
    pub(crate) schema: String,
    description: Option<String>,
    /// (Rust variant name, wire value, description)
    variants: Vec<(String, String, Option<String>)>,
}

/// Every string enum, and what the build should warn about.
pub(crate) struct OpenEnums {
    pub(crate) enums: Vec<OpenEnum>,
    pub(crate) warnings: Vec<String>,
}

impl OpenEnums {
    /// The invocations, one per enum, in the spec's order.
    pub(crate) fn invocations(&self) -> String {
        self.enums.iter().map(OpenEnum::invocation).collect()
    }
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

/// Letters and digits, lower-cased: what a name and a value are compared by.
fn spelling(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Every string enum in `components.schemas`, in the spec's order.
pub(crate) fn open_enums(spec: &openapiv3::OpenAPI) -> Result<OpenEnums, String> {
    let mut found = OpenEnums {
        enums: Vec::new(),
        warnings: Vec::new(),
    };
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
        let extensions = &schema.schema_data.extensions;
        let list = |key: &str| -> Result<Option<Vec<String>>, String> {
            let Some(value) = extensions.get(key) else {
                return Ok(None);
            };
            value
                .as_array()
                .and_then(|items| {
                    items
                        .iter()
                        .map(|i| i.as_str().map(str::to_owned))
                        .collect()
                })
                .map(Some)
                .ok_or_else(|| format!("components.schemas.{name}.{key} must be a list of strings"))
        };
        let mut names: Vec<String> = values.iter().map(|v| upper_camel(v)).collect();
        match list("x-enum-varnames")? {
            Some(given) if given.len() == values.len() => names = given,
            Some(given) => {
                for (value, name) in values.iter().zip(&mut names) {
                    if let Some(spelled) = given.iter().find(|g| spelling(g) == spelling(value)) {
                        name.clone_from(spelled);
                    }
                }
                found.warnings.push(format!(
                    "components.schemas.{name}.x-enum-varnames has {} names for {} values: \
                     names matched to the values they spell",
                    given.len(),
                    values.len()
                ));
            }
            None => {}
        }
        let descriptions = match list("x-enum-descriptions")? {
            Some(given) if given.len() == values.len() => given.into_iter().map(Some).collect(),
            Some(given) => {
                found.warnings.push(format!(
                    "components.schemas.{name}.x-enum-descriptions has {} entries for {} values: \
                     the variants go undocumented",
                    given.len(),
                    values.len()
                ));
                vec![None; values.len()]
            }
            None => vec![None; values.len()],
        };
        let mut variants: Vec<(String, String, Option<String>)> = Vec::new();
        for ((variant, wire), description) in names.into_iter().zip(&values).zip(descriptions) {
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
            variants.push((variant, wire.clone(), description));
        }
        found.enums.push(OpenEnum {
            schema: name.clone(),
            description: schema.schema_data.description.clone(),
            variants,
        });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enums(schemas: &str) -> Result<OpenEnums, String> {
        let text = format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths: {{}}\ncomponents:\n  schemas:\n{schemas}"
        );
        open_enums(&serde_yaml::from_str(&text).unwrap())
    }

    #[test]
    fn names_come_from_the_values_or_the_extension() {
        let found = enums(
            "    Mode: {type: string, enum: [http, tcp-stream]}\n    \
             Method: {type: string, enum: [roundrobin, first], x-enum-varnames: [RoundRobin, First], \
             x-enum-descriptions: [each in turn, the first]}\n",
        )
        .unwrap();
        let text = found.invocations();
        assert!(text.contains("Http = \"http\","), "{text}");
        assert!(text.contains("TcpStream = \"tcp-stream\","), "{text}");
        assert!(text.contains("RoundRobin = \"roundrobin\","), "{text}");
        assert!(text.contains("`\\\"first\\\"`: the first"), "{text}");
        assert!(found.warnings.is_empty());
    }

    /// A vendor adds a value and leaves our lists as they were: the names
    /// still given keep their values, the new value is named from itself,
    /// and the build warns instead of failing.
    #[test]
    fn a_value_added_without_the_extension_still_builds() {
        let found = enums(
            "    Method: {type: string, enum: [roundrobin, source, leastconn], \
             x-enum-varnames: [RoundRobin, LeastConn], x-enum-descriptions: [a, b]}\n",
        )
        .unwrap();
        let text = found.invocations();
        assert!(text.contains("RoundRobin = \"roundrobin\","), "{text}");
        assert!(text.contains("Source = \"source\","), "{text}");
        assert!(text.contains("LeastConn = \"leastconn\","), "{text}");
        assert!(
            !text.contains("`: a"),
            "descriptions no longer line up: {text}"
        );
        assert_eq!(found.warnings.len(), 2, "{:?}", found.warnings);
        assert!(found.warnings[0].contains("x-enum-varnames has 2 names for 3 values"));
        assert!(found.warnings[1].contains("x-enum-descriptions has 2 entries for 3 values"));
    }

    #[test]
    fn names_that_are_not_rust_names_are_refused_with_the_value() {
        for schemas in [
            "    E: {type: string, enum: ['1st']}\n",
            "    E: {type: string, enum: [unknown]}\n",
            "    E: {type: string, enum: [a-b, a_b]}\n",
            "    E: {type: string, enum: [a], x-enum-varnames: [lower]}\n",
            "    E: {type: string, enum: [a], x-enum-varnames: [Round-Robin]}\n",
        ] {
            let problem = enums(schemas).err().expect(schemas);
            assert!(
                problem.starts_with("components.schemas.E: the value"),
                "{problem}"
            );
            assert!(problem.contains("x-enum-varnames"), "{problem}");
        }
        let problem = enums("    E: {type: string, enum: [a], x-enum-varnames: 3}\n")
            .err()
            .unwrap();
        assert_eq!(
            problem,
            "components.schemas.E.x-enum-varnames must be a list of strings"
        );
    }

    #[test]
    fn names_given_may_hold_underscores() {
        let found =
            enums("    E: {type: string, enum: [a], x-enum-varnames: [Round_Robin]}\n").unwrap();
        assert!(found.invocations().contains("Round_Robin = \"a\","));
    }

    #[test]
    fn only_string_enums_of_the_components_are_taken() {
        let found = enums(
            "    S: {type: string}\n    I: {type: integer, enum: [1, 2]}\n    \
             R: {$ref: '#/components/schemas/S'}\n    E: {type: string, enum: [x]}\n",
        )
        .unwrap();
        assert_eq!(found.enums.len(), 1);
        assert_eq!(found.enums[0].schema, "E");
    }
}
