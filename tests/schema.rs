//! The JSON Schema side of the spec: every `example` in `openapi.yaml`
//! validates against its schema; every vector body the SDK sends validates
//! against `Backend`, and every body it refuses for a body field does not;
//! the exported schema (`schemars::schema_for!(Backend)`) is that same
//! schema.

use std::{fs, path::Path};

use serde_json::{json, Map, Value};

/// `schema_for!(Backend)`, with `Backend` itself also under `$defs`.
fn definitions() -> Map<String, Value> {
    let mut root = serde_json::to_value(schemars::schema_for!(openscaler::Backend)).unwrap();
    let Value::Object(mut defs) = root["$defs"].take() else {
        panic!("no $defs in the exported schema")
    };
    let Value::Object(mut backend) = root else {
        unreachable!()
    };
    backend.remove("$defs");
    backend.remove("$schema");
    defs.insert("Backend".into(), Value::Object(backend));
    defs
}

/// A validator for the schema at `pointer` (e.g. `/$defs/Backend`), with
/// formats (`ipv4`, `ipv6`) asserted.
fn validator(defs: &Map<String, Value>, pointer: &str) -> jsonschema::Validator {
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": format!("#{pointer}"),
        "$defs": defs,
    });
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| e.to_string())
        .collect()
}

/// Every `examples` entry in the spec's schemas, with the JSON pointer of
/// the schema it belongs to.
fn examples(value: &Value, pointer: &str, found: &mut Vec<(String, Value)>) {
    if let Value::Object(object) = value {
        for (key, child) in object {
            let escaped = key.replace('~', "~0").replace('/', "~1");
            if key == "examples" {
                for example in child.as_array().unwrap() {
                    found.push((pointer.to_owned(), example.clone()));
                }
            } else {
                examples(child, &format!("{pointer}/{escaped}"), found);
            }
        }
    } else if let Value::Array(items) = value {
        for (i, item) in items.iter().enumerate() {
            examples(item, &format!("{pointer}/{i}"), found);
        }
    }
}

#[test]
fn every_example_in_the_spec_validates() {
    let defs = definitions();
    let mut found = Vec::new();
    examples(&Value::Object(defs.clone()), "/$defs", &mut found);
    assert!(found.len() >= 5, "only {} examples", found.len());
    for (pointer, example) in found {
        let problems = errors(&validator(&defs, &pointer), &example);
        assert!(
            problems.is_empty(),
            "example at {pointer} is invalid: {problems:?}"
        );
    }
}

#[test]
fn the_exported_schema_accepts_the_page_example_and_refuses_a_body_without_servers() {
    let defs = definitions();
    let backend = validator(&defs, "/$defs/Backend");
    let page: Value = serde_json::from_str(include_str!("fixtures/update-backend.json")).unwrap();
    assert_eq!(errors(&backend, &page["body"]), Vec::<String>::new());

    let mut without_servers = page["body"].clone();
    without_servers.as_object_mut().unwrap().remove("servers");
    let problems = errors(&backend, &without_servers);
    assert!(
        problems.iter().any(|p| p.contains("servers")),
        "{problems:?}"
    );
}

/// The exported schema is the spec's: same required fields, same enum
/// values, same constraints.
#[test]
fn the_exported_schema_is_the_specs() {
    let defs = definitions();
    assert_eq!(
        defs["Backend"]["required"],
        json!(["name", "mode", "balancing_method", "port", "servers"])
    );
    assert_eq!(
        defs["BalancingMethod"]["enum"],
        json!(["roundrobin", "leastconn", "first"])
    );
    assert_eq!(defs["Port"]["oneOf"][0]["maximum"], json!(65535));
    assert!(defs["StickySession"]["properties"]["ttl"]["pattern"].is_string());
    assert!(
        !defs.values().any(|d| d.get("discriminator").is_some()),
        "OpenAPI-only keyword left in"
    );
}

/// Vector bodies against the spec: sent ones validate, ones refused for a
/// body field do not. `forward-compat` bodies stand for a later API
/// version and are left out.
#[test]
fn vector_bodies_agree_with_the_spec() {
    let defs = definitions();
    let backend = validator(&defs, "/$defs/Backend");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut checked = 0;
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let case: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        let id = case["id"].as_str().unwrap();
        let body = &case["call"]["body"];
        let problems = errors(&backend, body);
        let refused_fields: Vec<&str> = case["expect"]["refused"]
            .as_array()
            .map(|r| r.iter().map(|p| p["field"].as_str().unwrap()).collect())
            .unwrap_or_default();
        let refused_for_body = refused_fields
            .iter()
            .any(|f| !matches!(*f, "lb_id" | "backend_name"));
        match case["category"].as_str().unwrap() {
            // Unknown fields are allowed (`additionalProperties`), unknown
            // enum values and servers types are not: no rule either way.
            "forward-compat" => continue,
            _ if refused_for_body => assert!(
                !problems.is_empty(),
                "{id}: refused by the SDK but valid by the spec"
            ),
            _ => assert!(
                problems.is_empty(),
                "{id}: sent by the SDK but invalid by the spec: {problems:?}"
            ),
        }
        checked += 1;
    }
    assert!(checked >= 30, "{checked} vectors");
}

/// `Backend` nested in a caller's own schema: referenced as
/// `#/$defs/Backend`, its definition (with its own definitions) brought
/// along, and told apart from another type that is also named `Backend`
/// by its crate-qualified id.
#[test]
fn a_backend_inside_another_schema_brings_its_definitions() {
    use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
    use std::borrow::Cow;

    /// Another schema called `Backend`, from another crate.
    struct OtherBackend;
    impl JsonSchema for OtherBackend {
        fn schema_name() -> Cow<'static, str> {
            "Backend".into()
        }
        fn schema_id() -> Cow<'static, str> {
            "elsewhere::Backend".into()
        }
        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({"type": "string"})
        }
    }
    struct Deployment;
    impl JsonSchema for Deployment {
        fn schema_name() -> Cow<'static, str> {
            "Deployment".into()
        }
        fn json_schema(generator: &mut SchemaGenerator) -> Schema {
            let ours = generator.subschema_for::<openscaler::Backend>();
            let other = generator.subschema_for::<OtherBackend>();
            json_schema!({"type": "object", "properties": {"backend": ours, "other": other}})
        }
    }

    let root = serde_json::to_value(schemars::schema_for!(Deployment)).unwrap();
    assert_eq!(root["properties"]["backend"]["$ref"], "#/$defs/Backend");
    assert_eq!(
        root["$defs"]["Backend"]["required"],
        json!(["name", "mode", "balancing_method", "port", "servers"])
    );
    assert!(root["$defs"]["Servers"].is_object());
    // The other `Backend` gets a name of its own, not ours.
    let other = root["properties"]["other"]["$ref"].as_str().unwrap();
    assert_ne!(other, "#/$defs/Backend");
    // The id is what keeps the two apart; it names this crate.
    assert_eq!(
        <openscaler::Backend as JsonSchema>::schema_id(),
        "openscaler::Backend"
    );
}
