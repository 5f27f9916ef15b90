//! The generator on whole specs: today's `openapi.yaml`, every hypothetical
//! future spec of `tests/evolution/`, constructs beyond them, and broken
//! specs, which fail with one line naming the file and the problem.

use openscaler_codegen::generator::{generate, report, Generated};

const SPEC: &str = include_str!("../../openapi.yaml");

fn generated(spec: &str) -> Generated {
    generate(spec).unwrap_or_else(|problem| panic!("{}", report(&problem)))
}

fn problem(spec: &str) -> String {
    match generate(spec) {
        Ok(_) => panic!("a broken spec generated a client"),
        Err(problem) => report(&problem),
    }
}

/// Whether `text` holds `part`, whitespace aside.
fn has(text: &str, part: &str) -> bool {
    // Whitespace and trailing commas are prettyplease's layout.
    let flat = |s: &str| {
        s.split_whitespace()
            .collect::<String>()
            .replace(",)", ")")
            .replace(",]", "]")
            .replace(",}", "}")
    };
    flat(text).contains(flat(part).trim_end_matches(','))
}

#[test]
fn the_real_spec_generates_every_part() {
    let out = generated(SPEC);
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    let files: Vec<&str> = out.files().iter().map(|(name, _)| *name).collect();
    assert_eq!(
        files,
        [
            "client.rs",
            "httpmock.rs",
            "enums.rs",
            "operations.rs",
            "schemas.json"
        ]
    );
    assert!(has(
        &out.client,
        "pub(crate) fn update_backend_request<'a>("
    ));
    assert!(has(
        &out.client,
        "pub(crate) async fn update_backend_answer("
    ));
    assert!(has(&out.operations, "pub fn update_backend<'a>("));
    assert!(out.mock.contains("update_backend"));
    assert!(out.schemas.contains("\"Backend\""));
}

/// Every hypothetical future spec generates, with a method, a builder and
/// a table entry for each of its operations, and no warning but the ones
/// about `x-enum-*` lists that no longer line up.
#[test]
fn every_evolution_spec_generates() {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/evolution");
    let mut seen = 0;
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        seen += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("# NOT THE VENDOR'S SPEC."),
            "{}",
            path.display()
        );
        let out = generated(&text);
        let spec: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        for (_, item) in spec["paths"].as_mapping().unwrap() {
            for (method, operation) in item.as_mapping().unwrap() {
                let Some(id) = operation.get("operationId").and_then(|v| v.as_str()) else {
                    continue;
                };
                let _ = method;
                assert!(
                    has(&out.operations, &format!("pub fn {id}<'a")),
                    "{id}: {}",
                    path.display()
                );
                assert!(has(&out.operations, &format!("id: \"{id}\"")), "{id}");
                // Split, or (a body progenitor consumes) called whole.
                let split = has(&out.client, &format!("fn {id}_request<'a>("));
                let whole = has(&out.operations, &format!("generated.{id}("));
                assert!(split != whole, "{id}: split {split}, whole {whole}");
            }
        }
        for warning in &out.warnings {
            assert!(warning.contains(".x-enum-"), "{warning}");
        }
    }
    assert!(seen >= 9, "{seen} specs in {folder}");
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
        (SPEC.replace("operationId: update_backend", "operationId: updateBackend"), "must be snake_case"),
    ];
    for (spec, expected) in cases {
        let line = problem(&spec);
        assert!(line.starts_with("error: openapi.yaml: "), "{line}");
        assert!(line.contains(expected), "{line}");
        assert!(!line.contains('\n'), "{line}");
    }
}

/// The spec is the only list of enum values: a value removed from it
/// removes its variant (so `cargo semver-checks` sees the break), an added
/// one adds one, with or without `x-enum-varnames`.
#[test]
fn the_enums_are_written_from_the_spec() {
    let enums = generated(SPEC).enums;
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
    let enums = generated(&narrowed).enums;
    assert!(!enums.contains("First"), "{enums}");
    assert!(enums.contains("LeastConn = \"leastconn\","), "{enums}");

    // A vendor's new value, our lists left as they were.
    let widened = SPEC.replace(
        "enum: [roundrobin, leastconn, first]",
        "enum: [roundrobin, leastconn, first, quic-v1]",
    );
    let out = generated(&widened);
    assert!(out.enums.contains("QuicV1 = \"quic-v1\","), "{}", out.enums);
    assert!(
        out.enums.contains("LeastConn = \"leastconn\","),
        "{}",
        out.enums
    );
    assert_eq!(out.warnings.len(), 2, "{:?}", out.warnings);
}

#[test]
fn enum_names_that_are_not_rust_names_give_one_line() {
    let cases = [
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
    }
}

/// typify sorts struct fields by name; the generator puts them back in the
/// order of the schema's `properties`, whatever that order is.
#[test]
fn struct_fields_follow_the_specs_property_order() {
    fn fields(client: &str, name: &str) -> Vec<String> {
        fn find<'a>(items: &'a [syn::Item], name: &str) -> Option<&'a syn::ItemStruct> {
            items.iter().find_map(|item| match item {
                syn::Item::Struct(s) if s.ident == name => Some(s),
                syn::Item::Mod(m) => m.content.as_ref().and_then(|(_, items)| find(items, name)),
                _ => None,
            })
        }
        let file = syn::parse_file(client).unwrap();
        find(&file.items, name)
            .unwrap_or_else(|| panic!("no struct {name}"))
            .fields
            .iter()
            .map(|f| f.ident.as_ref().unwrap().to_string())
            .collect()
    }
    let client = generated(SPEC).client;
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
    // The constructor takes the required fields in the same order.
    assert!(has(
        &client,
        "pub fn new(name: ::std::string::String, mode: crate::Mode, balancing_method: crate::BalancingMethod, port: crate::Port, servers: crate::Servers,) -> Self"
    ), "{client}");

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
        fields(&generated(&moved).client, "Backend"),
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

/// The request and answer functions are progenitor's own code, so a
/// changed spec changes them: another method, path and status.
#[test]
fn the_split_functions_follow_the_spec() {
    let client = generated(SPEC).client;
    for expected in [
        "\"{}/v1/lbs/{}/backends/{}\", self.baseurl, encode_path(&lb_id.to_string())",
        ".put(url)",
        ".json(&body)",
        "200u16 => ResponseValue::from_response(response).await,",
        "400u16..=499u16 => {",
        "_ => Err(Error::UnexpectedResponse(response)),",
    ] {
        assert!(has(&client, expected), "{expected}\n---\n{client}");
    }
    assert!(!has(
        &client[client.find("fn update_backend_request").unwrap()..],
        "\"api-version\""
    ));

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
    let out = generated(&moved);
    for expected in [
        "\"{}/v2/{}/on/{}\"",
        ".post(url)",
        "201u16 => ResponseValue::from_response(response).await,",
    ] {
        assert!(
            has(&out.client, expected),
            "{expected}\n---\n{}",
            out.client
        );
    }
    // A POST without an Idempotency-Key is not retried after it may have arrived.
    assert!(
        has(&out.operations, "idempotent: false"),
        "{}",
        out.operations
    );
}

/// What the old send path refused generates now: query and header
/// parameters, an answer with no content, an operation without error
/// responses, and shapes that are in no spec of tests/evolution (an array
/// query value, a required header, a text answer, an upload that progenitor
/// takes by value and so is called whole, `uuid` and `date-time` strings).
#[test]
fn constructs_beyond_the_evolution_specs_generate() {
    let extra = r#"  /v1/things:
    get:
      operationId: find_things
      parameters:
        - {name: ids, in: query, schema: {type: array, items: {type: string}}}
        - {name: X-Tenant, in: header, required: true, schema: {type: string}}
        - {name: active, in: query, schema: {type: boolean}}
        - {name: X-Trace-Id, in: header, schema: {type: string, format: uuid}}
        - {name: since, in: query, schema: {type: string, format: date-time}}
      responses:
        "200":
          description: as text
          content:
            text/plain:
              schema: {type: string}
    delete:
      operationId: forget_things
      responses:
        "204": {description: gone}
  /v1/uploads/{name}:
    put:
      operationId: upload
      parameters:
        - {name: name, in: path, required: true, schema: {type: string}}
      requestBody:
        content:
          application/octet-stream:
            schema: {type: string, format: binary}
      responses:
        "202": {description: taken}
components:
"#;
    let spec = SPEC.replacen("components:\n", extra, 1);
    let out = generated(&spec);
    for expected in [
        "pub fn find_things<'a>(&'a self, x_tenant: &'a str) -> FindThings<'a>",
        "pub fn ids(mut self, value: ::std::vec::Vec<::std::string::String>) -> Self",
        "pub fn active(mut self, value: bool) -> Self",
        // uuid and chrono are not dependencies: such strings stay strings.
        "pub fn x_trace_id(mut self, value: impl ::std::convert::Into<::std::string::String>,) -> Self",
        "pub fn since(mut self, value: impl ::std::convert::Into<::std::string::String>,) -> Self",
        "pub async fn send(self) -> Result<ByteStream, crate::Error>",
        "\"find_things\" => Err(crate::dynamic::unsupported(\"find_things\"))",
        "pub async fn send(self) -> Result<(), crate::Error>",
        "crate::hooks::call_whole(",
        "Err(crate::preview::unsupported(\"upload\"))",
    ] {
        assert!(
            has(&out.operations, expected),
            "{expected}\n---\n{}",
            out.operations
        );
    }
}
