//! `openscaler backend update`: one backend from a file and flags.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::{
    args::{FieldFlags, Format, Global, UpdateArgs},
    body::{backend_from_value, check_path_value, Origins, Problem},
    failure::{Failure, OK},
    output::Out,
    prepared_json, Context,
};

pub async fn run(args: UpdateArgs, global: &Global, ctx: &Context) -> Result<u8, Failure> {
    let doc = match &args.file {
        Some(path) => Some(crate::read_doc(path)?),
        None => None,
    };
    let mut value = doc
        .as_ref()
        .map_or_else(|| Value::Object(Map::new()), |d| d.value.clone());
    let flags = overlay(&mut value, &args.fields);

    let origins = Origins {
        doc: doc.as_ref(),
        prefix: String::new(),
        flags,
    };
    let mut lines = Vec::new();
    let mut path_problems = Vec::new();
    check_path_value("LB_ID", &args.lb_id, &mut path_problems);
    check_path_value("BACKEND_NAME", &args.backend_name, &mut path_problems);
    for p in &path_problems {
        lines.push(format!(
            "{}: {} {}",
            p.path,
            p.value.as_deref().unwrap_or(""),
            p.message
        ));
    }
    let backend = match backend_from_value(&value) {
        Ok(backend) => Some(backend),
        Err(problems) => {
            if doc.is_some() {
                lines.extend(origins.render_all(&problems));
            } else {
                lines.extend(problems.iter().map(|p| render_without_file(&origins, p)));
            }
            None
        }
    };
    let Some(backend) = backend.filter(|_| lines.is_empty()) else {
        return Err(Failure::problems(lines));
    };

    let client = ctx.client(args.dry_run)?;
    let mut out = Out::stdout();
    if args.dry_run {
        let prepared = client
            .update_backend(&args.lb_id, &args.backend_name, &backend)
            .preview()
            .map_err(|e| Failure::api(&e))?;
        match global.output {
            Format::Text => out.line(&prepared.to_string()),
            format => out.value(format, &prepared_json(&prepared)),
        }
        out.flush();
        return Ok(OK);
    }
    let updated = client
        .update_backend(&args.lb_id, &args.backend_name, backend)
        .await
        .map_err(|e| Failure::api(&e))?;
    match global.output {
        Format::Text if global.quiet => {}
        Format::Text => out.line(&format!(
            "updated backend {} on load balancer {}: {} ({}, {}, port {})",
            args.backend_name,
            args.lb_id,
            updated.name,
            updated.mode,
            updated.balancing_method,
            updated.port
        )),
        format => out.value(format, &updated),
    }
    out.flush();
    Ok(OK)
}

/// A problem with no file behind it names the flag that would set it.
fn render_without_file(origins: &Origins<'_>, problem: &Problem) -> String {
    let line = origins.render(problem);
    if problem.message == "is required" {
        let flag = match problem.path.as_str() {
            "servers" => "--computer or --ip".to_owned(),
            "options.sticky_session.cookie" => "--sticky-cookie".to_owned(),
            "options.sticky_session.ttl" => "--sticky-ttl".to_owned(),
            "options.health_check.type" => "--health-check-type".to_owned(),
            path => format!("--{}", path.replace('_', "-")),
        };
        format!("{line}: give {flag}, or a file with -f")
    } else {
        line
    }
}

/// Writes the flags' values into the body, and says which flag set which
/// path. A flag replaces what the file says at its path.
pub fn overlay(value: &mut Value, flags: &FieldFlags) -> BTreeMap<String, &'static str> {
    let mut set = Setter {
        root: value,
        origins: BTreeMap::new(),
    };
    let texts: [(&str, &'static str, &Option<String>); 11] = [
        ("name", "--name", &flags.name),
        ("mode", "--mode", &flags.mode),
        (
            "balancing_method",
            "--balancing-method",
            &flags.balancing_method,
        ),
        (
            "options.proxy_protocol",
            "--proxy-protocol",
            &flags.proxy_protocol,
        ),
        (
            "options.sticky_session.cookie",
            "--sticky-cookie",
            &flags.sticky_cookie,
        ),
        (
            "options.sticky_session.ttl",
            "--sticky-ttl",
            &flags.sticky_ttl,
        ),
        (
            "options.health_check.type",
            "--health-check-type",
            &flags.health_check_type,
        ),
        (
            "options.health_check.path",
            "--health-check-path",
            &flags.health_check_path,
        ),
        (
            "options.health_check.method",
            "--health-check-method",
            &flags.health_check_method,
        ),
        (
            "options.health_check.expected_code",
            "--expected-code",
            &flags.expected_code,
        ),
        (
            "options.health_check.host_header",
            "--host-header",
            &flags.host_header,
        ),
    ];
    for (path, flag, value) in texts {
        set.put(path, flag, value.as_ref().map(|s| json!(s)));
    }
    set.put("port", "--port", flags.port.as_deref().map(number_or_text));
    set.put(
        "options.health_check.port",
        "--health-check-port",
        flags.health_check_port.as_deref().map(number_or_text),
    );
    if !flags.computers.is_empty() {
        let servers = json!({"type": "computer", "computer_ids": flags.computers});
        set.put("servers", "--computer", Some(servers));
    }
    if !flags.ips.is_empty() {
        set.put(
            "servers",
            "--ip",
            Some(json!({"type": "ip", "ips": flags.ips})),
        );
    }
    // Paired switches: `--x` sets true, `--no-x` false; the later one wins.
    let switches = [
        (
            "options.tls",
            ("--tls", flags.tls),
            ("--no-tls", flags.no_tls),
        ),
        (
            "options.tls_verify",
            ("--tls-verify", flags.tls_verify),
            ("--no-tls-verify", flags.no_tls_verify),
        ),
        (
            "options.forward_for",
            ("--forward-for", flags.forward_for),
            ("--no-forward-for", flags.no_forward_for),
        ),
    ];
    for (path, (on_flag, on), (off_flag, off)) in switches {
        if on {
            set.put(path, on_flag, Some(json!(true)));
        } else if off {
            set.put(path, off_flag, Some(json!(false)));
        }
    }
    // A sticky session or health check made by flags gets its type.
    if flags.sticky_cookie.is_some() || flags.sticky_ttl.is_some() {
        set.default("options.sticky_session.type", json!("cookie"));
    }
    let check = [
        &flags.health_check_path,
        &flags.health_check_method,
        &flags.health_check_port,
        &flags.expected_code,
        &flags.host_header,
    ];
    if check.iter().any(|f| f.is_some()) {
        set.default("options.health_check.type", json!("http"));
    }
    set.origins
}

/// `8080` as a number; anything else stays text, for the checks to refuse.
fn number_or_text(text: &str) -> Value {
    match text.parse::<u64>() {
        Ok(n) if text.bytes().all(|b| b.is_ascii_digit()) => json!(n),
        _ => json!(text),
    }
}

struct Setter<'a> {
    root: &'a mut Value,
    origins: BTreeMap<String, &'static str>,
}

impl Setter<'_> {
    fn put(&mut self, path: &str, flag: &'static str, value: Option<Value>) {
        if let Some(value) = value {
            *self.slot(path) = value;
            self.origins.insert(path.to_owned(), flag);
        }
    }

    /// Sets `path` only when nothing is there.
    fn default(&mut self, path: &str, value: Value) {
        let slot = self.slot(path);
        if slot.is_null() {
            *slot = value;
        }
    }

    /// The value at a dotted path, made (as mappings) where missing.
    fn slot(&mut self, path: &str) -> &mut Value {
        let mut here: &mut Value = self.root;
        for key in path.split('.') {
            if !here.is_object() {
                *here = Value::Object(Map::new());
            }
            here = here
                .as_object_mut()
                .expect("made a mapping above")
                .entry(key)
                .or_insert(Value::Null);
        }
        here
    }
}

/// The document a file gives, for tests.
#[cfg(test)]
fn doc(text: &str) -> crate::doc::Doc {
    crate::doc::parse("b.yaml", text).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn flags(args: &[&str]) -> FieldFlags {
        let mut argv = vec!["openscaler", "backend", "update", "42", "web"];
        argv.extend_from_slice(args);
        let cli = crate::args::Cli::try_parse_from(argv).unwrap();
        match cli.command {
            crate::args::Command::Backend(crate::args::BackendCommand::Update(u)) => u.fields,
            _ => unreachable!(),
        }
    }

    #[test]
    fn each_flag_sets_its_field() {
        let mut value = json!({});
        let origins = overlay(
            &mut value,
            &flags(&[
                "--name",
                "n",
                "--mode",
                "tcp",
                "--balancing-method",
                "first",
                "--port",
                "81",
                "--ip",
                "10.0.0.1",
                "::1",
                "--no-tls",
                "--tls-verify",
                "--forward-for",
                "--proxy-protocol",
                "v1",
                "--sticky-cookie",
                "C",
                "--sticky-ttl",
                "1h",
                "--health-check-path",
                "/h",
                "--health-check-method",
                "HEAD",
                "--health-check-port",
                "82",
                "--expected-code",
                "204",
                "--host-header",
                "h.example",
            ]),
        );
        assert_eq!(
            value,
            json!({
                "name": "n", "mode": "tcp", "balancing_method": "first", "port": 81,
                "servers": {"type": "ip", "ips": ["10.0.0.1", "::1"]},
                "options": {
                    "tls": false, "tls_verify": true, "forward_for": true, "proxy_protocol": "v1",
                    "sticky_session": {"type": "cookie", "cookie": "C", "ttl": "1h"},
                    "health_check": {"type": "http", "path": "/h", "method": "HEAD", "port": 82,
                                      "expected_code": "204", "host_header": "h.example"}
                }
            })
        );
        assert_eq!(origins["options.tls"], "--no-tls");
        assert_eq!(origins["servers"], "--ip");
        assert_eq!(origins.len(), 16);
    }

    #[test]
    fn flags_win_over_the_file_and_keep_the_rest() {
        let file = doc("name: a\nport: 80\nservers: {type: ip, ips: [\"10.0.0.1\"]}\noptions: {tls: true, health_check: {type: tcp}}\n");
        let mut value = file.value.clone();
        overlay(
            &mut value,
            &flags(&[
                "--port",
                "8080",
                "--computer",
                "7",
                "--no-tls",
                "--health-check-port",
                "9",
            ]),
        );
        assert_eq!(
            value,
            json!({"name": "a", "port": 8080, "servers": {"type": "computer", "computer_ids": ["7"]},
                   "options": {"tls": false, "health_check": {"type": "tcp", "port": 9}}})
        );
    }

    #[test]
    fn a_later_switch_wins() {
        let mut value = json!({});
        overlay(
            &mut value,
            &flags(&["--tls", "--no-tls", "--no-forward-for", "--forward-for"]),
        );
        assert_eq!(value["options"], json!({"tls": false, "forward_for": true}));
    }

    #[test]
    fn a_port_that_is_not_digits_stays_text() {
        assert_eq!(number_or_text("8080"), json!(8080));
        assert_eq!(number_or_text("+80"), json!("+80"));
        assert_eq!(number_or_text("http"), json!("http"));
    }
}
