//! `openapi.yaml` is what other SDKs copy: it parses as OpenAPI 3.0, says
//! what the page says, and agrees with the hand-written layer.

use std::collections::BTreeSet;

use openapiv3::{OpenAPI, ReferenceOr, Schema, SchemaKind, Type};
use serde_json::Value;

fn spec() -> OpenAPI {
    serde_yaml::from_str(include_str!("../openapi.yaml"))
        .expect("openapi.yaml parses as OpenAPI 3.0")
}

fn schema<'a>(spec: &'a OpenAPI, name: &str) -> &'a Schema {
    spec.components.as_ref().unwrap().schemas[name]
        .as_item()
        .unwrap()
}

fn string_enum(spec: &OpenAPI, name: &str) -> Vec<String> {
    match &schema(spec, name).schema_kind {
        SchemaKind::Type(Type::String(s)) => s.enumeration.iter().flatten().cloned().collect(),
        other => panic!("{name} is not a string enum: {other:?}"),
    }
}

#[test]
fn the_operation_is_the_pages() {
    let spec = spec();
    assert_eq!(spec.openapi, "3.0.3");
    assert_eq!(spec.servers[0].url, "https://api.alpha.openscaler.net");
    let item = spec.paths.paths["/v1/lbs/{lb_id}/backends/{backend_name}"]
        .as_item()
        .unwrap();
    let put = item.put.as_ref().unwrap();
    assert_eq!(put.operation_id.as_deref(), Some("update_backend"));
    assert_eq!(put.summary.as_deref(), Some("Update a Backend"));
    assert_eq!(put.tags, ["backends"]);
    assert!(
        put.request_body
            .as_ref()
            .unwrap()
            .as_item()
            .unwrap()
            .required
    );
    let responses: BTreeSet<String> = put
        .responses
        .responses
        .keys()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        responses,
        BTreeSet::from(["200".into(), "4XX".into(), "5XX".into()])
    );

    let security = put.security.as_ref().unwrap();
    assert!(security[0].contains_key("bearerAuth"));
    let scheme = spec.components.as_ref().unwrap().security_schemes["bearerAuth"]
        .as_item()
        .unwrap();
    assert!(matches!(scheme, openapiv3::SecurityScheme::HTTP { scheme, .. } if scheme == "bearer"));
}

#[test]
fn the_backend_schema_has_every_field_and_the_pages_example() {
    let spec = spec();
    let backend = schema(&spec, "Backend");
    let SchemaKind::Type(Type::Object(object)) = &backend.schema_kind else {
        panic!("Backend is not an object")
    };
    let fields: Vec<&str> = object.properties.keys().map(String::as_str).collect();
    assert_eq!(
        fields,
        [
            "name",
            "mode",
            "balancing_method",
            "port",
            "servers",
            "options"
        ]
    );
    assert_eq!(
        object.required,
        ["name", "mode", "balancing_method", "port", "servers"]
    );

    let page: Value = serde_json::from_str(include_str!("fixtures/update-backend.json")).unwrap();
    assert_eq!(backend.schema_data.example.as_ref(), Some(&page["body"]));
    // The example is a Backend the SDK reads and would send as it is.
    let parsed: openscaler::Backend = serde_json::from_value(page["body"].clone()).unwrap();
    parsed.validate().unwrap();
}

/// The enums: every string enum in the spec is an open enum of the crate
/// (typify's would be closed) with the same values in the same order.
/// The generator writes them from the spec; this checks that it did.
#[test]
fn the_enums_match_the_hand_written_types() {
    let spec = spec();
    let hand_written: [(&str, &[&str]); 5] = [
        ("Mode", openscaler::Mode::KNOWN),
        ("BalancingMethod", openscaler::BalancingMethod::KNOWN),
        ("ProxyProtocol", openscaler::ProxyProtocol::KNOWN),
        ("StickySessionType", openscaler::StickySessionType::KNOWN),
        ("HealthCheckType", openscaler::HealthCheckType::KNOWN),
    ];
    let in_spec: Vec<&String> = spec
        .components
        .as_ref()
        .unwrap()
        .schemas
        .iter()
        .filter(|(_, s)| matches!(&s.as_item().unwrap().schema_kind, SchemaKind::Type(Type::String(t)) if !t.enumeration.is_empty()))
        .map(|(name, _)| name)
        .collect();
    for name in &in_spec {
        assert!(
            hand_written.iter().any(|(n, _)| n == name),
            "openapi.yaml has the enum {name}, which this test does not check: add it here"
        );
    }
    for (name, known) in hand_written {
        let values = string_enum(&spec, name);
        for value in &values {
            assert!(
                known.contains(&value.as_str()),
                "openapi.yaml {name} has {value:?}, which src/enums.rs {name} does not know"
            );
        }
        for value in known {
            assert!(
                values.iter().any(|v| v == value),
                "src/enums.rs {name} has {value:?}, which openapi.yaml {name} does not list"
            );
        }
        assert_eq!(values, known, "{name}: same values, different order");
    }
    assert_eq!(string_enum(&spec, "Mode"), ["http", "tcp"]);
    assert_eq!(
        string_enum(&spec, "BalancingMethod"),
        ["roundrobin", "leastconn", "first"]
    );
}

/// Drift guard for `servers`: every variant in the spec is a `Servers`
/// variant (not `Unknown`), and its example round-trips through it.
#[test]
fn the_servers_variants_match_the_hand_written_type() {
    let spec = spec();
    let SchemaKind::OneOf { one_of } = &schema(&spec, "Servers").schema_kind else {
        panic!("Servers is not a oneOf")
    };
    let mut types = Vec::new();
    for variant in one_of {
        let ReferenceOr::Reference { reference } = variant else {
            panic!("Servers variants are $refs")
        };
        let name = reference.rsplit('/').next().unwrap();
        let example = schema(&spec, name)
            .schema_data
            .example
            .clone()
            .unwrap_or_else(|| panic!("openapi.yaml {name} needs an example for this check"));
        let servers: openscaler::Servers =
            serde_json::from_value(example.clone()).unwrap_or_else(|e| {
                panic!("openapi.yaml {name}'s example does not parse as Servers: {e}")
            });
        assert!(
            !matches!(servers, openscaler::Servers::Unknown(_)),
            "openapi.yaml has the servers variant {name} (type {:?}), which src/servers.rs Servers does not handle",
            example["type"]
        );
        assert_eq!(
            serde_json::to_value(&servers).unwrap(),
            example,
            "{name} does not round-trip"
        );
        types.push(servers.type_name().to_owned());
    }
    assert_eq!(types, ["computer", "ip"]);
}

#[test]
fn the_ip_variant_says_it_is_our_model() {
    let spec = spec();
    for name in ["Servers", "IpServers"] {
        let description = schema(&spec, name)
            .schema_data
            .description
            .as_deref()
            .unwrap();
        assert!(
            description.contains("Not on the vendor's page"),
            "{name}: {description}"
        );
    }
}
