//! The spec's component schemas as JSON Schema (for `src/schema.rs`): the
//! OpenAPI-only keywords go (`discriminator`, the generators' `x-enum-*`
//! extensions), `example` becomes `examples`; `$ref`s still point at
//! `#/components/schemas/`, for the reader to place.

use serde_json::Value;

pub(crate) fn json_schemas(text: &str) -> Result<String, String> {
    let spec: Value = serde_yaml::from_str(text).map_err(|e| format!("not YAML: {e}"))?;
    let mut schemas = spec
        .pointer("/components/schemas")
        .cloned()
        .ok_or("no components.schemas")?;
    fn convert(value: &mut Value) {
        match value {
            Value::Object(object) => {
                object.remove("discriminator");
                object.remove("x-enum-varnames");
                object.remove("x-enum-descriptions");
                if let Some(example) = object.remove("example") {
                    object.insert("examples".into(), Value::Array(vec![example]));
                }
                object.values_mut().for_each(convert);
            }
            Value::Array(items) => items.iter_mut().for_each(convert),
            _ => {}
        }
    }
    convert(&mut schemas);
    serde_json::to_string_pretty(&schemas).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openapi_keywords_become_json_schema() {
        let text = "components:\n  schemas:\n    A:\n      discriminator: {propertyName: type}\n      \
                    x-enum-varnames: [X]\n      example: 1\n      properties:\n        b: {example: two}\n      \
                    oneOf: [{example: 3, x-enum-descriptions: [d]}]\n";
        let schemas: Value = serde_json::from_str(&json_schemas(text).unwrap()).unwrap();
        assert_eq!(
            schemas,
            serde_json::json!({"A": {
                "examples": [1],
                "properties": {"b": {"examples": ["two"]}},
                "oneOf": [{"examples": [3]}],
            }})
        );
        assert_eq!(
            json_schemas("paths: {}\n").unwrap_err(),
            "no components.schemas"
        );
    }
}
