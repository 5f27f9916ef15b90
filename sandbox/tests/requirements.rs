//! `tests/vectors/REQUIREMENTS.md` and the vectors agree: every
//! requirement has at least one vector (of `tests/vectors/` or
//! `tests/evolution/vectors/`), and every vector names at least one
//! requirement, each of them listed, with no feature the table lacks.

use std::{collections::BTreeMap, path::Path};

use openscaler_sandbox::conformance::builtin_requirements;
use serde_json::Value;

/// (folder/id, requirements) of every vector.
fn vectors() -> Vec<(String, Vec<String>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = Vec::new();
    for folder in ["tests/vectors", "tests/evolution/vectors"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(folder))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for file in files {
            let vector: Value =
                serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
            let requirements = vector["requirements"]
                .as_array()
                .unwrap_or_else(|| panic!("{}: no requirements list", file.display()))
                .iter()
                .map(|r| r.as_str().unwrap().to_owned())
                .collect();
            out.push((
                format!("{folder}/{}", vector["id"].as_str().unwrap()),
                requirements,
            ));
        }
    }
    out
}

#[test]
fn every_requirement_has_a_vector_and_every_vector_known_requirements() {
    let table = builtin_requirements();
    assert!(table.len() >= 20, "only {} requirements", table.len());
    let vectors = vectors();
    assert!(vectors.len() >= 70, "only {} vectors", vectors.len());
    let mut covered: BTreeMap<&str, usize> = table.iter().map(|r| (r.id.as_str(), 0)).collect();
    let mut problems = Vec::new();
    for (id, requirements) in &vectors {
        if requirements.is_empty() {
            problems.push(format!("{id} names no requirement"));
        }
        for requirement in requirements {
            match covered.get_mut(requirement.as_str()) {
                Some(n) => *n += 1,
                None => problems.push(format!(
                    "{id} names {requirement}, which REQUIREMENTS.md does not list"
                )),
            }
        }
        let mut sorted = requirements.clone();
        sorted.sort();
        sorted.dedup();
        if sorted.len() != requirements.len() {
            problems.push(format!("{id} names a requirement twice"));
        }
    }
    for (requirement, n) in &covered {
        if *n == 0 {
            problems.push(format!("{requirement} has no vector"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The features a testee can name are the ones the README documents.
#[test]
fn the_features_are_the_documented_ones() {
    let mut features: Vec<String> = builtin_requirements()
        .into_iter()
        .filter_map(|r| r.feature)
        .collect();
    features.sort();
    features.dedup();
    assert_eq!(
        features,
        [
            "forward-compat",
            "retries",
            "retry-after",
            "retry-budget",
            "validation"
        ]
    );
}
