//! A broken `openapi.yaml` fails the build with one line that names the file
//! and the problem, not a panic backtrace: build.rs's generation, run on
//! broken specs.

#[allow(dead_code)]
#[path = "../build.rs"]
mod build_script;

use build_script::{generate, report};

const SPEC: &str = include_str!("../openapi.yaml");

fn problem(spec: &str) -> String {
    match generate(spec) {
        Ok(_) => panic!("a broken spec generated a client"),
        Err(problem) => report(&problem),
    }
}

#[test]
fn the_real_spec_generates() {
    assert!(generate(SPEC).is_ok());
}

#[test]
fn broken_specs_give_one_line_naming_the_file_and_the_problem() {
    let cases = [
        (SPEC.replace("openapi: 3.0.3", "openapi: 3.1.0"), "invalid version"),
        (format!("{SPEC}\n  oops: [\n"), "not a valid OpenAPI 3.0 document"),
        (
            SPEC.replace("        \"4XX\":\n", "        default:\n          $ref: \"#/components/responses/Error\"\n        \"4XX\":\n"),
            "more than one body type",
        ),
        (SPEC.replace("    Servers:\n", "    ServerSet:\n"), "components.schemas has no Servers"),
    ];
    for (spec, expected) in cases {
        let line = problem(&spec);
        assert!(line.starts_with("error: openapi.yaml: "), "{line}");
        assert!(line.contains(expected), "{line}");
        assert!(!line.contains('\n'), "{line}");
    }
}

/// The spec is the only list of enum values: a value removed from it removes
/// its variant (so `cargo semver-checks` sees the break), an added one adds
/// one, and `x-enum-varnames` names them.
#[test]
fn the_enums_are_written_from_the_spec() {
    let enums = generate(SPEC).unwrap().enums;
    assert!(enums.contains("RoundRobin = \"roundrobin\","), "{enums}");
    assert!(enums.contains("First = \"first\","), "{enums}");
    assert!(enums.contains("V2 = \"v2\","), "{enums}");

    let narrowed = SPEC
        .replace(
            "enum: [roundrobin, leastconn, first]",
            "enum: [roundrobin, leastconn]",
        )
        .replace(
            "x-enum-varnames: [RoundRobin, LeastConn, First]",
            "x-enum-varnames: [RoundRobin, LeastConn]",
        )
        .replace(
            "        - the first server with a free connection slot.\n",
            "",
        );
    let enums = generate(&narrowed).unwrap().enums;
    assert!(!enums.contains("First"), "{enums}");
    assert!(enums.contains("LeastConn = \"leastconn\","), "{enums}");

    let widened = SPEC.replace("enum: [http, tcp]\n      x-enum-descriptions:\n        - the load balancer speaks HTTP to the servers.\n        - the load balancer forwards TCP streams.\n", "enum: [http, tcp, quic-v1]\n");
    let enums = generate(&widened).unwrap().enums;
    assert!(enums.contains("QuicV1 = \"quic-v1\","), "{enums}");
}

#[test]
fn enum_names_that_are_not_rust_names_give_one_line() {
    let cases = [
        (
            SPEC.replace(
                "x-enum-varnames: [RoundRobin, LeastConn, First]",
                "x-enum-varnames: [RoundRobin, LeastConn]",
            ),
            "components.schemas.BalancingMethod.x-enum-varnames must be a list of 3 strings",
        ),
        (
            SPEC.replace(
                "x-enum-varnames: [RoundRobin, LeastConn, First]",
                "x-enum-varnames: [RoundRobin, LeastConn, Unknown]",
            ),
            "the value \"first\" gives the variant name \"Unknown\"",
        ),
        (
            SPEC.replace("enum: [v1, v2]", "enum: [v1, \"2\"]"),
            "the value \"2\" gives the variant name \"2\"",
        ),
    ];
    for (spec, expected) in cases {
        let line = problem(&spec);
        assert!(
            line.starts_with("error: openapi.yaml: components.schemas."),
            "{line}"
        );
        assert!(line.contains(expected), "{line}");
        assert!(!line.contains('\n'), "{line}");
    }
}

/// typify sorts struct fields by name; build.rs puts them back in the
/// order of the schema's `properties`, whatever that order is.
#[test]
fn struct_fields_follow_the_specs_property_order() {
    fn fields(generated: &syn::File, name: &str) -> Vec<String> {
        fn find<'a>(items: &'a [syn::Item], name: &str) -> Option<&'a syn::ItemStruct> {
            items.iter().find_map(|item| match item {
                syn::Item::Struct(s) if s.ident == name => Some(s),
                syn::Item::Mod(m) => m.content.as_ref().and_then(|(_, items)| find(items, name)),
                _ => None,
            })
        }
        find(&generated.items, name)
            .unwrap_or_else(|| panic!("no struct {name}"))
            .fields
            .iter()
            .map(|f| f.ident.as_ref().unwrap().to_string())
            .collect()
    }
    let client = generate(SPEC).unwrap().client;
    assert_eq!(
        fields(&client, "Backend"),
        [
            "name",
            "mode",
            "balancing_method",
            "port",
            "servers",
            "options",
            "extra"
        ]
    );
    assert_eq!(
        fields(&client, "HealthCheck"),
        [
            "type_",
            "path",
            "method",
            "port",
            "expected_code",
            "host_header",
            "extra"
        ]
    );

    // Move `name` after `port`: the struct follows.
    let moved = SPEC.replace(
        "      properties:\n        name:\n          type: string\n          minLength: 1\n          description: Unique name for this backend.\n        mode:\n",
        "      properties:\n        mode:\n",
    ).replace(
        "        port:\n          $ref: \"#/components/schemas/Port\"\n",
        "        port:\n          $ref: \"#/components/schemas/Port\"\n        name:\n          type: string\n          minLength: 1\n          description: Unique name for this backend.\n",
    );
    assert_ne!(moved, SPEC);
    assert_eq!(
        fields(&generate(&moved).unwrap().client, "Backend"),
        [
            "mode",
            "balancing_method",
            "port",
            "name",
            "servers",
            "options",
            "extra"
        ]
    );
}

/// The send path (`<operation>_request`, `<operation>_answer`) is written
/// from the spec: the path's literal parts and parameters in order, the
/// method, the body type, and one match arm per documented status.
#[test]
fn the_send_path_is_written_from_the_spec() {
    let text = |spec: &str| prettyplease::unparse(&generate(spec).unwrap().client);
    let client = text(SPEC);
    for expected in [
        "pub(crate) fn update_backend_request(",
        "body: &types::Backend,",
        "url.push_str(\"/v1/lbs/\");\n        crate::hooks::push_path_value(&mut url, lb_id);\n        \
         url.push_str(\"/backends/\");\n        crate::hooks::push_path_value(&mut url, backend_name);",
        ".request(reqwest::Method::PUT, url)",
        "pub(crate) fn update_backend_answer(",
        "-> Result<ResponseValue<types::Backend>, Error<types::Error>>",
        "200u16 => crate::hooks::json_value(status, headers, body),",
        "400u16..=499u16 => {",
        "500u16..=599u16 => {",
        "_ => Err(crate::hooks::unexpected(status, headers, body)),",
    ] {
        assert!(client.contains(expected), "{expected}\n---\n{client}");
    }

    // A changed spec changes it: another method, path, status.
    let moved = SPEC
        .replace(
            "/v1/lbs/{lb_id}/backends/{backend_name}:",
            "/v2/{backend_name}/on/{lb_id}:",
        )
        .replace(
            "    put:\n      operationId: update_backend",
            "    post:\n      operationId: update_backend",
        )
        .replace(
            "        \"200\":\n          description: Backend updated",
            "        \"201\":\n          description: Backend updated",
        );
    let client = text(&moved);
    for expected in [
        "url.push_str(\"/v2/\");\n        crate::hooks::push_path_value(&mut url, backend_name);\n        \
         url.push_str(\"/on/\");\n        crate::hooks::push_path_value(&mut url, lb_id);",
        ".request(reqwest::Method::POST, url)",
        "201u16 => crate::hooks::json_value(status, headers, body),",
    ] {
        assert!(client.contains(expected), "{expected}\n---\n{client}");
    }
}

/// What the send path does not cover fails the build by name, instead of
/// being sent wrong.
#[test]
fn the_send_path_refuses_what_it_does_not_cover() {
    let query = SPEC.replace(
        "      - $ref: \"#/components/parameters/BackendName\"\n",
        "      - $ref: \"#/components/parameters/BackendName\"\n      - name: dry_run\n        in: query\n        schema:\n          type: boolean\n",
    );
    let header = SPEC.replace(
        "      - $ref: \"#/components/parameters/BackendName\"\n",
        "      - $ref: \"#/components/parameters/BackendName\"\n      - name: x-trace\n        in: header\n        schema:\n          type: string\n",
    );
    for (spec, expected) in [
        (query, "parameter \"dry_run\" is not in the path"),
        (header, "parameter \"x-trace\" is not in the path"),
    ] {
        let line = problem(&spec);
        assert!(line.contains(expected), "{line}");
        assert!(
            line.contains("paths./v1/lbs/{lb_id}/backends/{backend_name}.put"),
            "{line}"
        );
        assert!(!line.contains('\n'), "{line}");
    }
}
