//! The build script: reads `openapi.yaml`, hands it to the generator
//! (`build/generator/`), and writes what it makes into `OUT_DIR`. A spec the
//! generator cannot follow fails the build with one line naming
//! `openapi.yaml`, the place and the problem.

mod generator;

use std::{env, fs, path::Path, process};

fn main() {
    println!("cargo:rerun-if-changed={}", generator::SPEC);
    println!("cargo:rerun-if-changed=build");
    if let Err(problem) = run() {
        // One line cargo shows verbatim, instead of a panic backtrace.
        eprintln!("{}", generator::report(&problem));
        process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let text = fs::read_to_string(generator::SPEC).map_err(|e| format!("cannot read it: {e}"))?;
    let out = env::var("OUT_DIR").map_err(|e| format!("OUT_DIR: {e}"))?;
    let generated = generator::generate(&text)?;
    for warning in &generated.warnings {
        println!("cargo:warning={}: {warning}", generator::SPEC);
    }
    for (name, contents) in generated.files() {
        let path = Path::new(&out).join(name);
        fs::write(&path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}
