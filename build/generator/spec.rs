//! The spec's operations, read once for the rest of the generator: where
//! each lives, its parameters (`$ref`s resolved), its body, and whether a
//! retry of it may repeat an effect.

use openapiv3::{ReferenceOr, StatusCode};
use serde_json::Value;

/// One operation of the spec.
pub(crate) struct Operation {
    pub(crate) id: String,
    /// Upper case: `GET`, `PUT`, ...
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) tags: Vec<String>,
    pub(crate) summary: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) parameters: Vec<Parameter>,
    pub(crate) body: Option<Body>,
    /// Whether a retry may be sent after an answer or a dropped connection
    /// (see `src/retry.rs`): the method's semantics, an `Idempotency-Key`
    /// header parameter, or `x-idempotent`.
    pub(crate) idempotent: bool,
    /// The documented success statuses, and whether each has content.
    pub(crate) success: Vec<(String, bool)>,
}

/// One parameter of an operation.
pub(crate) struct Parameter {
    /// As on the wire: `lb_id`, `Idempotency-Key`.
    pub(crate) name: String,
    /// `path`, `query`, `header` or `cookie`.
    pub(crate) location: &'static str,
    pub(crate) required: bool,
    pub(crate) description: Option<String>,
    /// The schema, `$ref`s to `components.schemas` resolved.
    pub(crate) schema: Value,
}

/// An operation's request body.
pub(crate) struct Body {
    pub(crate) required: bool,
    pub(crate) description: Option<String>,
    /// The schema, `$ref`s to `components.schemas` resolved.
    pub(crate) schema: Value,
}

impl Operation {
    /// The parameter a Rust name (progenitor's, `idempotency_key`) stands
    /// for: names compare by their letters and digits, without case.
    pub(crate) fn parameter(&self, rust_name: &str) -> Option<&Parameter> {
        self.parameters
            .iter()
            .find(|p| spelling(&p.name) == spelling(rust_name))
    }

    /// The `Idempotency-Key` header parameter, if the operation has one.
    pub(crate) fn idempotency_key(&self) -> Option<&Parameter> {
        self.parameters
            .iter()
            .find(|p| p.location == "header" && p.name.eq_ignore_ascii_case("idempotency-key"))
    }
}

/// Letters and digits, lower-cased.
pub(crate) fn spelling(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether a method is idempotent by its definition (RFC 9110 §9.2.2):
/// the safe methods, `PUT` and `DELETE`.
pub(crate) fn idempotent_method(method: &str) -> bool {
    matches!(
        method,
        "GET" | "HEAD" | "OPTIONS" | "TRACE" | "PUT" | "DELETE"
    )
}

/// Every operation, in the spec's order.
pub(crate) fn operations(spec: &openapiv3::OpenAPI) -> Result<Vec<Operation>, String> {
    let mut found = Vec::new();
    for (path, item) in spec.paths.iter() {
        let item = item
            .as_item()
            .ok_or_else(|| format!("paths.{path}: a $ref path item is not supported"))?;
        for (method, operation) in item.iter() {
            let at = format!("paths.{path}.{method}");
            let id = operation
                .operation_id
                .clone()
                .ok_or_else(|| format!("{at}: no operationId"))?;
            if !id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                || !id.starts_with(|c: char| c.is_ascii_lowercase())
            {
                return Err(format!(
                    "{at}: operationId {id:?} must be snake_case (it names a Rust method)"
                ));
            }
            let mut parameters: Vec<Parameter> = Vec::new();
            // The operation's parameters override the path item's of the
            // same name and place.
            for parameter in operation.parameters.iter().chain(&item.parameters) {
                let parameter = resolve(spec, parameter, &at, |c, n| c.parameters.get(n))?;
                let data = parameter.parameter_data_ref();
                let location = match parameter {
                    openapiv3::Parameter::Path { .. } => "path",
                    openapiv3::Parameter::Query { .. } => "query",
                    openapiv3::Parameter::Header { .. } => "header",
                    openapiv3::Parameter::Cookie { .. } => "cookie",
                };
                if parameters
                    .iter()
                    .any(|p| p.name == data.name && p.location == location)
                {
                    continue;
                }
                let schema = match &data.format {
                    openapiv3::ParameterSchemaOrContent::Schema(schema) => {
                        resolved_schema(spec, schema)?
                    }
                    openapiv3::ParameterSchemaOrContent::Content(_) => {
                        Value::Object(Default::default())
                    }
                };
                parameters.push(Parameter {
                    name: data.name.clone(),
                    location,
                    required: data.required,
                    description: data.description.clone(),
                    schema,
                });
            }
            let body = match &operation.request_body {
                None => None,
                Some(body) => {
                    let body = resolve(spec, body, &at, |c, n| c.request_bodies.get(n))?;
                    let schema = match body.content.values().next().and_then(|m| m.schema.as_ref())
                    {
                        Some(schema) => resolved_schema(spec, schema)?,
                        None => Value::Object(Default::default()),
                    };
                    Some(Body {
                        required: body.required,
                        description: body.description.clone(),
                        schema,
                    })
                }
            };
            let mut success = Vec::new();
            for (code, response) in &operation.responses.responses {
                let response = resolve(spec, response, &at, |c, n| c.responses.get(n))?;
                let code = match code {
                    StatusCode::Code(code) if (200..300).contains(code) => code.to_string(),
                    StatusCode::Range(2) => "2XX".to_owned(),
                    _ => continue,
                };
                success.push((code, !response.content.is_empty()));
            }
            let method = method.to_uppercase();
            let has_key = parameters
                .iter()
                .any(|p| p.location == "header" && p.name.eq_ignore_ascii_case("idempotency-key"));
            let idempotent = match operation.extensions.get("x-idempotent") {
                Some(Value::Bool(declared)) => *declared,
                Some(other) => {
                    return Err(format!("{at}.x-idempotent: {other} is not true or false"))
                }
                None => idempotent_method(&method) || has_key,
            };
            found.push(Operation {
                id,
                method,
                path: path.clone(),
                tags: operation.tags.clone(),
                summary: operation.summary.clone(),
                description: operation.description.clone(),
                parameters,
                body,
                idempotent,
                success,
            });
        }
    }
    Ok(found)
}

/// `item` itself, or the item its `$ref` names in the part of `components`
/// that `section` looks in.
fn resolve<'a, T>(
    spec: &'a openapiv3::OpenAPI,
    item: &'a ReferenceOr<T>,
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
            .ok_or_else(|| format!("{at}: {reference} does not resolve")),
    }
}

/// `Name` of `#/components/<kind>/Name`.
fn ref_name(reference: &str) -> Option<&str> {
    reference
        .strip_prefix("#/components/")?
        .split_once('/')
        .map(|(_, name)| name)
}

/// A schema as JSON, every `$ref` to `components.schemas` replaced by the
/// schema it names (to a depth of 8: deeper, or recursive, references stay).
fn resolved_schema(
    spec: &openapiv3::OpenAPI,
    schema: &ReferenceOr<openapiv3::Schema>,
) -> Result<Value, String> {
    fn inline(spec: &openapiv3::OpenAPI, value: &mut Value, depth: u8) {
        match value {
            Value::Object(object) => {
                let target = match object.get("$ref") {
                    Some(Value::String(reference)) if depth < 8 => reference
                        .strip_prefix("#/components/schemas/")
                        .and_then(|name| spec.components.as_ref()?.schemas.get(name))
                        .and_then(|schema| serde_json::to_value(schema).ok()),
                    _ => None,
                };
                match target {
                    Some(mut target) => {
                        inline(spec, &mut target, depth + 1);
                        *value = target;
                    }
                    None => object.values_mut().for_each(|v| inline(spec, v, depth)),
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| inline(spec, v, depth)),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(schema).map_err(|e| e.to_string())?;
    inline(spec, &mut value, 0);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(paths: &str) -> openapiv3::OpenAPI {
        serde_yaml::from_str(&format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n{paths}\ncomponents:\n  \
             parameters:\n    Id: {{name: id, in: path, required: true, schema: {{type: string}}}}\n  \
             schemas:\n    Mode: {{type: string, enum: [a, b]}}\n"
        ))
        .unwrap()
    }

    fn one(paths: &str) -> Operation {
        let mut all = operations(&spec(paths)).unwrap();
        assert_eq!(all.len(), 1);
        all.remove(0)
    }

    #[test]
    fn parameters_are_resolved_and_the_operation_s_win() {
        let op = one(
            "  /x/{id}:\n    parameters:\n      - $ref: '#/components/parameters/Id'\n      \
             - {name: mode, in: query, schema: {$ref: '#/components/schemas/Mode'}}\n      \
             - {name: page, in: query, schema: {type: integer}}\n    \
             get:\n      operationId: get_x\n      parameters:\n        \
             - {name: mode, in: query, required: true, description: here, schema: {type: string}}\n        \
             - {name: X-Trace, in: header, schema: {type: string}}\n      \
             responses: {'200': {description: ok}, '2XX': {description: ok, content: {text/plain: {}}}, \
             '404': {description: no}, '5XX': {description: no}}\n",
        );
        assert_eq!(op.id, "get_x");
        assert_eq!(op.method, "GET");
        let names: Vec<_> = op
            .parameters
            .iter()
            .map(|p| (p.name.as_str(), p.location))
            .collect();
        assert_eq!(
            names,
            // `mode` is the operation's; `page` shares only its place.
            [
                ("mode", "query"),
                ("X-Trace", "header"),
                ("id", "path"),
                ("page", "query")
            ]
        );
        assert!(op.parameters[0].required);
        assert_eq!(op.parameters[0].description.as_deref(), Some("here"));
        assert_eq!(
            op.parameters[2].schema,
            serde_json::json!({"type": "string"})
        );
        assert_eq!(op.parameter("x_trace").unwrap().name, "X-Trace");
        assert!(op.parameter("nothing").is_none());
        assert_eq!(
            op.success,
            [("200".to_owned(), false), ("2XX".to_owned(), true)]
        );
    }

    #[test]
    fn refs_to_schemas_are_inlined() {
        let op = one(
            "  /x:\n    get:\n      operationId: get_x\n      parameters:\n        \
             - {name: mode, in: query, schema: {type: array, items: {$ref: '#/components/schemas/Mode'}}}\n      \
             responses: {'204': {description: ok}}\n",
        );
        assert_eq!(
            op.parameters[0].schema,
            serde_json::json!({"type": "array", "items": {"type": "string", "enum": ["a", "b"]}})
        );
    }

    /// `$ref`s are followed inside lists, and to a depth of 8: a recursive
    /// schema stays a reference there instead of unfolding forever.
    #[test]
    fn refs_are_inlined_in_lists_and_to_a_bounded_depth() {
        let mut chain = String::new();
        for i in 0..10 {
            chain += &format!(
                "    S{i}: {{type: array, items: {{$ref: '#/components/schemas/S{}'}}}}\n",
                i + 1
            );
        }
        let spec: openapiv3::OpenAPI = serde_yaml::from_str(&format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n  /x:\n    get:\n      \
             operationId: x\n      parameters:\n        \
             - {{name: a, in: query, schema: {{oneOf: [{{$ref: '#/components/schemas/M'}}]}}}}\n        \
             - {{name: b, in: query, schema: {{$ref: '#/components/schemas/S0'}}}}\n        \
             - {{name: c, in: query, schema: {{$ref: '#/components/schemas/R'}}}}\n      \
             responses: {{'200': {{description: ok}}}}\ncomponents:\n  schemas:\n    \
             M: {{type: string, enum: [a]}}\n    R: {{type: array, items: {{$ref: '#/components/schemas/R'}}}}\n{chain}"
        ))
        .unwrap();
        let op = operations(&spec).unwrap().remove(0);
        assert_eq!(
            op.parameters[0].schema,
            serde_json::json!({"oneOf": [{"type": "string", "enum": ["a"]}]})
        );
        // S0 and 7 more are inlined, S8's reference stays.
        let mut b = &op.parameters[1].schema;
        for _ in 0..8 {
            b = &b["items"];
        }
        assert_eq!(b, &serde_json::json!({"$ref": "#/components/schemas/S8"}));
        let mut c = &op.parameters[2].schema;
        for _ in 0..8 {
            c = &c["items"];
        }
        assert_eq!(c, &serde_json::json!({"$ref": "#/components/schemas/R"}));
    }

    /// RFC 9110's idempotent methods may be retried; POST and PATCH only
    /// with an `Idempotency-Key` header; `x-idempotent` decides over both.
    #[test]
    fn which_operations_may_be_retried() {
        let cases = [
            ("get", "", true),
            ("put", "", true),
            ("delete", "", true),
            ("post", "", false),
            ("patch", "", false),
            (
                "post",
                "      parameters: [{name: idempotency-key, in: header, schema: {type: string}}]\n",
                true,
            ),
            (
                "post",
                "      parameters: [{name: Idempotency-Key, in: query, schema: {type: string}}]\n",
                false,
            ),
            ("post", "      x-idempotent: true\n", true),
            ("put", "      x-idempotent: false\n", false),
        ];
        for (method, extra, idempotent) in cases {
            let op = one(&format!(
                "  /x:\n    {method}:\n      operationId: x\n{extra}      responses: {{'200': {{description: ok}}}}\n"
            ));
            assert_eq!(op.idempotent, idempotent, "{method} {extra}");
            assert_eq!(
                op.idempotency_key().is_some(),
                extra.contains("in: header"),
                "{method} {extra}"
            );
        }
        let bad = operations(&spec(
            "  /x:\n    post:\n      operationId: x\n      x-idempotent: maybe\n      responses: {'200': {description: ok}}\n",
        ));
        assert_eq!(
            bad.err().unwrap(),
            "paths./x.post.x-idempotent: \"maybe\" is not true or false"
        );
    }

    #[test]
    fn problems_name_the_place() {
        let cases = [
            ("  /x:\n    get:\n      responses: {'200': {description: ok}}\n", "paths./x.get: no operationId"),
            (
                "  /x:\n    get:\n      operationId: getX\n      responses: {'200': {description: ok}}\n",
                "paths./x.get: operationId \"getX\" must be snake_case",
            ),
            (
                "  /x:\n    get:\n      operationId: x\n      parameters: [{$ref: '#/components/parameters/Nope'}]\n      responses: {'200': {description: ok}}\n",
                "paths./x.get: #/components/parameters/Nope does not resolve",
            ),
        ];
        for (paths, expected) in cases {
            let problem = operations(&spec(paths)).err().unwrap();
            assert!(problem.starts_with(expected), "{problem}");
        }
    }
}
