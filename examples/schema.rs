//! Prints the JSON Schema of the Backend body, for editors and validators of
//! backend configuration files:
//!
//! ```sh
//! cargo run --example schema > backend.schema.json
//! ```

fn main() {
    let schema = schemars::schema_for!(openscaler::Backend);
    match serde_json::to_string_pretty(&schema) {
        Ok(text) => println!("{text}"),
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(1);
        }
    }
}
