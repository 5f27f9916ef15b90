//! The wire contract against the last release: every change to
//! `openapi.yaml` since then, in words, must be listed in CHANGELOG.md, and a
//! change that breaks clients needs a version that says so.
//!
//! The last release is the newest `v*` tag, else the commit in
//! `.ci/release-baseline` (before the first tag); `RELEASE_BASELINE=<rev>`
//! overrides both. Print the report for a changelog entry with
//! `cargo test --test contract report -- --nocapture`; add
//! `SPEC_DIFF_NEW=<file>` to report on a draft of the spec instead.

mod spec_diff;

use std::{path::Path, process::Command};

use spec_diff::{diff, parse, report, Change};

const SPEC: &str = include_str!("../openapi.yaml");

fn git(args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .map_err(|e| format!("cannot run git {}: {e}", args.join(" ")))?;
    if !out.status.success() {
        return Err(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The last release's revision: `RELEASE_BASELINE`, else the newest `v*`
/// tag, else `.ci/release-baseline`.
fn baseline() -> String {
    if let Ok(rev) = std::env::var("RELEASE_BASELINE") {
        return rev;
    }
    let tags = git(&["tag", "--list", "v*", "--sort=-v:refname"]).unwrap_or_default();
    if let Some(tag) = tags.lines().next() {
        return tag.trim().to_owned();
    }
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/release-baseline");
    std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("no v* tag and cannot read {}: {e}", file.display()))
        .trim()
        .to_owned()
}

/// `major.minor.patch` of a Cargo.toml's `[package]` version.
fn version(cargo_toml: &str) -> (u64, u64, u64) {
    let line = cargo_toml
        .lines()
        .find(|l| l.starts_with("version = "))
        .expect("Cargo.toml has a version");
    let text = line.trim_start_matches("version = ").trim_matches('"');
    let mut parts = text.split(['.', '-', '+']).map(|p| p.parse().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

/// Whether `new` is a breaking release after `old` under Cargo's rules
/// (`0.x` -> `0.(x+1)`, `x.y` -> `(x+1).0`).
fn is_breaking_bump(old: (u64, u64, u64), new: (u64, u64, u64)) -> bool {
    if old.0 == 0 {
        new.0 > 0 || new.1 > old.1
    } else {
        new.0 > old.0
    }
}

/// The CHANGELOG.md section that holds what is not released yet: the
/// `[Unreleased]` one, or the current version's when it is being released.
fn changelog_section(changelog: &str, version: &str) -> String {
    let mut section = String::new();
    let mut inside = false;
    for line in changelog.lines() {
        if let Some(title) = line.strip_prefix("## ") {
            inside =
                title.starts_with("[Unreleased]") || title.starts_with(&format!("[{version}]"));
            continue;
        }
        if inside {
            section += line;
            section += "\n";
        }
    }
    section
}

fn since_baseline() -> (String, String, Vec<Change>) {
    let rev = baseline();
    let old_spec = git(&["show", &format!("{rev}:openapi.yaml")]).unwrap_or_else(|e| {
        panic!("cannot read the last release's openapi.yaml ({rev}): {e}; a shallow clone needs `git fetch --unshallow`")
    });
    let old_toml = git(&["show", &format!("{rev}:Cargo.toml")]).unwrap();
    // `SPEC_DIFF_NEW=<file>`: report on a draft spec without building the
    // crate from it (a draft that breaks the hand-written layer would not
    // compile).
    let new_spec = match std::env::var("SPEC_DIFF_NEW") {
        Ok(path) => std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read SPEC_DIFF_NEW={path}: {e}")),
        Err(_) => SPEC.to_owned(),
    };
    let changes = diff(&parse(&old_spec), &parse(&new_spec));
    (rev, old_toml, changes)
}

/// Prints the report (with `--nocapture`), and fails when CHANGELOG.md does
/// not list every change or a breaking change keeps a compatible version.
#[test]
fn report_since_the_last_release_is_in_the_changelog() {
    let (rev, old_toml, changes) = since_baseline();
    let (old, new) = (version(&old_toml), version(include_str!("../Cargo.toml")));
    println!(
        "wire contract: openapi.yaml compared with {rev} (version {}.{}.{}):\n{}",
        old.0,
        old.1,
        old.2,
        report(&changes)
    );

    let breaking: Vec<&Change> = changes.iter().filter(|c| c.breaking).collect();
    assert!(
        breaking.is_empty() || is_breaking_bump(old, new),
        "openapi.yaml breaks clients since {rev}, but the version {}.{}.{} does not say so \
         (a breaking release after {}.{}.{} is {}):\n{}",
        new.0,
        new.1,
        new.2,
        old.0,
        old.1,
        old.2,
        if old.0 == 0 {
            format!("0.{}.0", old.1 + 1)
        } else {
            format!("{}.0.0", old.0 + 1)
        },
        report(&changes)
    );

    let current = env!("CARGO_PKG_VERSION");
    let section = changelog_section(include_str!("../CHANGELOG.md"), current);
    let missing: Vec<String> = changes
        .iter()
        .map(Change::line)
        .filter(|line| !section.contains(line.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "CHANGELOG.md's [Unreleased] (or [{current}]) section does not list these changes to \
         openapi.yaml since {rev}; add them under \"Wire contract\":\n{}",
        missing.join("\n")
    );
}

// The checker itself, on the kinds of change the issue names. Each edit is
// made to the real spec.

fn changes(edit: impl Fn(&str) -> String) -> Vec<Change> {
    let edited = edit(SPEC);
    assert_ne!(edited, SPEC, "the edit did not apply");
    diff(&parse(SPEC), &parse(&edited))
}

fn breaking(changes: &[Change]) -> Vec<&str> {
    changes
        .iter()
        .filter(|c| c.breaking)
        .map(|c| c.text.as_str())
        .collect()
}

fn compatible(changes: &[Change]) -> Vec<&str> {
    changes
        .iter()
        .filter(|c| !c.breaking)
        .map(|c| c.text.as_str())
        .collect()
}

#[test]
fn the_same_spec_has_no_change() {
    assert_eq!(diff(&parse(SPEC), &parse(SPEC)), []);
    assert_eq!(report(&[]), "- no change to the wire contract\n");
}

#[test]
fn documentation_is_not_a_change() {
    let c = changes(|s| {
        s.replace("Unique name for this backend.", "The backend's name.")
            .replace("      x-enum-descriptions:\n        - in a cookie.\n", "")
    });
    assert_eq!(c, []);
}

#[test]
fn a_removed_field_breaks() {
    let c = changes(|s| {
        s.replace(
            "        forward_for:\n          type: boolean\n          description: Add an X-Forwarded-For header with the client's address.\n",
            "",
        )
    });
    assert_eq!(breaking(&c), ["BackendOptions.forward_for removed"]);
}

#[test]
fn a_renamed_field_breaks_and_says_so() {
    let c = changes(|s| s.replace("        host_header:\n", "        host:\n"));
    assert_eq!(breaking(&c), ["HealthCheck.host_header renamed to host"]);
    assert_eq!(compatible(&c), Vec::<&str>::new());
}

#[test]
fn a_field_made_required_breaks() {
    let c = changes(|s| {
        s.replace(
            "required: [name, mode, balancing_method, port, servers]",
            "required: [name, mode, balancing_method, port, servers, options]",
        )
    });
    assert_eq!(breaking(&c), ["Backend.options is now required"]);
}

#[test]
fn a_narrowed_enum_breaks_and_a_widened_one_does_not() {
    let c = changes(|s| {
        s.replace(
            "enum: [roundrobin, leastconn, first]",
            "enum: [roundrobin, leastconn]",
        )
    });
    assert_eq!(
        breaking(&c),
        ["BalancingMethod: enum value \"first\" removed"]
    );
    let c = changes(|s| s.replace("enum: [v1, v2]", "enum: [v1, v2, v3]"));
    assert_eq!(breaking(&c), Vec::<&str>::new());
    assert_eq!(
        compatible(&c),
        ["ProxyProtocol: enum value \"v3\" added (readers with closed enums must accept it)"]
    );
}

#[test]
fn a_narrowed_range_breaks_and_a_widened_one_does_not() {
    let port = "          maximum: 65535\n          description: Port to check";
    let c = changes(|s| {
        s.replace(
            port,
            "          maximum: 9999\n          description: Port to check",
        )
    });
    assert_eq!(
        breaking(&c),
        ["HealthCheck.port: maximum 65535 -> 9999 (narrowed)"]
    );
    let c = changes(|s| {
        s.replace("          minItems: 1\n          uniqueItems: true\n          items:\n            type: string",
                  "          minItems: 0\n          uniqueItems: true\n          items:\n            type: string")
    });
    assert_eq!(breaking(&c), Vec::<&str>::new());
    assert_eq!(
        compatible(&c),
        ["ComputerServers.computer_ids: minItems 1 -> 0 (widened)"]
    );
    let c = changes(|s| {
        s.replace(
            "          minimum: 1\n          maximum: 65535\n        - type: string",
            "          minimum: 80\n          maximum: 65535\n        - type: string",
        )
    });
    assert_eq!(breaking(&c), ["Port (integer): minimum 1 -> 80 (narrowed)"]);
}

#[test]
fn a_removed_servers_variant_breaks() {
    let c = changes(|s| {
        s.replace("        - $ref: \"#/components/schemas/IpServers\"\n", "")
            .replace("          ip: \"#/components/schemas/IpServers\"\n", "")
    });
    assert_eq!(breaking(&c), ["Servers: oneOf variant IpServers removed"]);
}

#[test]
fn a_changed_path_or_method_breaks() {
    let c = changes(|s| {
        s.replace(
            "/v1/lbs/{lb_id}/backends/{backend_name}:",
            "/v2/lbs/{lb_id}/backends/{backend_name}:",
        )
    });
    assert_eq!(
        breaking(&c),
        ["PUT /v1/lbs/{lb_id}/backends/{backend_name} moved to PUT /v2/lbs/{lb_id}/backends/{backend_name}"]
    );
    let c = changes(|s| {
        s.replace(
            "    put:\n      operationId: update_backend",
            "    patch:\n      operationId: update_backend",
        )
    });
    assert_eq!(
        breaking(&c),
        ["PUT /v1/lbs/{lb_id}/backends/{backend_name} is now PATCH /v1/lbs/{lb_id}/backends/{backend_name}"]
    );
}

#[test]
fn a_removed_server_url_breaks() {
    let c = changes(|s| {
        s.replace(
            "https://api.alpha.openscaler.net",
            "https://api.openscaler.net",
        )
    });
    assert_eq!(
        breaking(&c),
        ["server URL https://api.alpha.openscaler.net removed"]
    );
    assert_eq!(
        compatible(&c),
        ["server URL https://api.openscaler.net added"]
    );
}

#[test]
fn additions_are_compatible_unless_required() {
    let field = "        tls:\n          type: boolean\n          description: Connect to the servers over TLS.\n";
    let c = changes(|s| {
        s.replace(
            field,
            &format!("{field}        alpn:\n          type: string\n"),
        )
    });
    assert_eq!(breaking(&c), Vec::<&str>::new());
    assert_eq!(compatible(&c), ["BackendOptions.alpn added, optional"]);

    let c = changes(|s| {
        s.replace(
            "      required: [type]\n",
            "      required: [type, interval]\n",
        )
        .replace(
            "        path:\n          type: string\n          description: Path requested",
            "        interval:\n          type: integer\n        path:\n          type: string\n          description: Path requested",
        )
    });
    assert_eq!(breaking(&c), ["HealthCheck.interval added, required"]);
}

#[test]
fn a_changed_type_or_pattern_breaks() {
    let c = changes(|s| {
        s.replace(
            "        tls:\n          type: boolean",
            "        tls:\n          type: string",
        )
    });
    assert_eq!(
        breaking(&c),
        ["BackendOptions.tls: type changed from \"boolean\" to \"string\""]
    );
    let c = changes(|s| {
        s.replace(
            "pattern: \"^[1-5][0-9]{2}$\"",
            "pattern: \"^[2-5][0-9]{2}$\"",
        )
    });
    assert_eq!(
        breaking(&c),
        ["HealthCheck.expected_code: pattern changed from ^[1-5][0-9]{2}$ to ^[2-5][0-9]{2}$"]
    );
}

#[test]
fn versions_say_when_they_break() {
    assert!(is_breaking_bump((0, 1, 0), (0, 2, 0)));
    assert!(is_breaking_bump((0, 1, 3), (1, 0, 0)));
    assert!(!is_breaking_bump((0, 1, 0), (0, 1, 1)));
    assert!(!is_breaking_bump((0, 1, 0), (0, 1, 0)));
    assert!(is_breaking_bump((1, 2, 0), (2, 0, 0)));
    assert!(!is_breaking_bump((1, 2, 0), (1, 3, 0)));
    assert_eq!(
        version("[package]\nname = \"x\"\nversion = \"0.2.1\"\n"),
        (0, 2, 1)
    );
}

#[test]
fn the_changelog_section_is_the_unreleased_one() {
    let log = "# Changelog\n\n## [Unreleased]\n\n- breaking: a\n\n## [0.1.0] - 2026-11-26\n\n- compatible: b\n";
    let section = changelog_section(log, "0.1.0");
    assert!(section.contains("- breaking: a"));
    assert!(section.contains("- compatible: b"));
    let section = changelog_section("## [Unreleased]\n- x\n## [0.1.0]\n- y\n", "0.2.0");
    assert!(section.contains("- x") && !section.contains("- y"));
}
