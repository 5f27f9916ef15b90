//! The Rust SDK through the conformance driver: every vector passes, and
//! the future spec's vectors of operations it lacks are not applicable.

use openscaler_sandbox::conformance::{run, Options};

const TESTEE: &str = env!("CARGO_BIN_EXE_openscaler-testee");

#[test]
fn every_vector_passes() {
    let mut report = Vec::new();
    let summary = run(&Options::new(format!("'{TESTEE}'")), &mut report).unwrap();
    let report = String::from_utf8(report).unwrap();
    let counts = summary.counts();
    assert!(summary.as_expected(), "{report}");
    assert_eq!(counts.passed, summary.results.len(), "{report}");
    assert!(counts.passed >= 59, "{report}");
    assert!(report.starts_with("testee: openscaler (Rust) "), "{report}");
}

#[test]
fn the_future_specs_vectors_pass_or_do_not_apply() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut options = Options::new(format!("'{TESTEE}'"));
    options.vectors_dir = Some(format!("{root}/tests/evolution/vectors").into());
    options.spec_file = Some(format!("{root}/tests/evolution/all.yaml").into());
    let mut report = Vec::new();
    let summary = run(&options, &mut report).unwrap();
    let report = String::from_utf8(report).unwrap();
    assert!(summary.as_expected(), "{report}");
    let counts = summary.counts();
    // update_backend's vector passes; the others call operations the
    // vendor's spec does not have.
    assert_eq!(counts.passed, 1, "{report}");
    assert_eq!(counts.not_applicable, summary.results.len() - 1, "{report}");
    assert!(
        report.contains("n/a    get-backend: calls get_backend, which the testee does not"),
        "{report}"
    );
}
