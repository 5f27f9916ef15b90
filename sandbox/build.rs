//! Embeds the conformance vectors of `../tests/vectors/` (vector mode's
//! default set): writes `$OUT_DIR/vectors.rs` with one `include_str!` per
//! `*.json` file, sorted by name.

use std::{env, fs, path::Path};

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = match fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect(),
        Err(e) => panic!("cannot read the vectors in {}: {e}", dir.display()),
    };
    files.sort();
    let mut out = String::from("/// (file stem, JSON) of each embedded vector.\npub(crate) const EMBEDDED: &[(&str, &str)] = &[\n");
    for path in &files {
        let stem = path.file_stem().unwrap().to_string_lossy();
        let absolute = fs::canonicalize(path).unwrap();
        out.push_str(&format!(
            "    ({stem:?}, include_str!({:?})),\n",
            absolute.to_string_lossy()
        ));
    }
    out.push_str("];\n");
    let target = Path::new(&env::var("OUT_DIR").unwrap()).join("vectors.rs");
    fs::write(target, out).unwrap();
}
