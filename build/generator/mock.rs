//! The spec progenitor's httpmock generator is given (for `src/mock.rs`,
//! the `mock` feature).
//!
//! progenitor 0.15 writes helpers that do not compile for two constructs,
//! so the operations that have one are left out of the mocks (and only of
//! the mocks; the client has them):
//!
//! - a query parameter of array type: the helper calls `to_string()` on a
//!   `Vec` (progenitor issue #1260, fix pending in #1261);
//! - a JSON answer that is a bare number or boolean: the helper hands the
//!   value to httpmock's `json_body_obj`, which wants a reference.

use serde_json::Value;

/// `spec` without the operations whose httpmock helpers would not compile,
/// and the ids of those left out.
pub(crate) fn mockable(
    spec: &openapiv3::OpenAPI,
) -> Result<(openapiv3::OpenAPI, Vec<String>), String> {
    let mut value = serde_json::to_value(spec).map_err(|e| e.to_string())?;
    let schemas = value
        .pointer("/components/schemas")
        .cloned()
        .unwrap_or(Value::Null);
    let parameters = value
        .pointer("/components/parameters")
        .cloned()
        .unwrap_or(Value::Null);
    let resolve = |v: &Value, section: &Value| -> Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => r
                .rsplit('/')
                .next()
                .and_then(|name| section.get(name))
                .cloned()
                .unwrap_or(Value::Null),
            None => v.clone(),
        }
    };
    let kind = |schema: &Value| -> Option<String> {
        resolve(schema, &schemas)
            .get("type")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let mut left_out = Vec::new();
    let Some(paths) = value.get_mut("paths").and_then(Value::as_object_mut) else {
        return Ok((spec.clone(), left_out));
    };
    for item in paths.values_mut() {
        let shared: Vec<Value> = item
            .get("parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        item.retain(|_, operation| {
            // `parameters`, `summary`, `description`: not an operation.
            if !operation.is_object() {
                return true;
            }
            let own = operation
                .get("parameters")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let array_query = own.iter().chain(&shared).any(|p| {
                let p = resolve(p, &parameters);
                p.get("in").and_then(Value::as_str) == Some("query")
                    && p.get("schema").and_then(kind).as_deref() == Some("array")
            });
            let bare_answer = operation
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|responses| responses.values())
                .filter_map(|r| r.pointer("/content/application~1json/schema"))
                .any(|schema| {
                    matches!(
                        kind(schema).as_deref(),
                        Some("integer" | "number" | "boolean")
                    )
                });
            let keep = !array_query && !bare_answer;
            if !keep {
                if let Some(id) = operation.get("operationId").and_then(Value::as_str) {
                    left_out.push(id.to_owned());
                }
            }
            keep
        });
    }
    let spec = serde_json::from_value(value).map_err(|e| e.to_string())?;
    Ok((spec, left_out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_whose_mocks_would_not_compile_are_left_out() {
        let spec: openapiv3::OpenAPI = serde_yaml::from_str(
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  \
             /a:\n    parameters: [{$ref: '#/components/parameters/Ids'}]\n    \
             get: {operationId: listed, responses: {'200': {description: ok}}}\n  \
             /b:\n    get:\n      operationId: counted\n      responses:\n        \
             '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/N'}}}}\n    \
             put: {operationId: kept, parameters: [{name: q, in: query, schema: {type: string}}], responses: {'204': {description: ok}}}\n\
             components:\n  parameters:\n    Ids: {name: ids, in: query, schema: {type: array, items: {type: string}}}\n  \
             schemas:\n    N: {type: integer}\n",
        )
        .unwrap();
        let (mockable, left_out) = mockable(&spec).unwrap();
        assert_eq!(left_out, ["listed", "counted"]);
        let kept: Vec<_> = mockable
            .operations()
            .filter_map(|(_, _, op)| op.operation_id.clone())
            .collect();
        assert_eq!(kept, ["kept"]);
    }
}
