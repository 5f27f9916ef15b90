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
