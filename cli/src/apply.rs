//! `openscaler apply`: many updates from one file. Every entry is checked
//! before anything is sent; then the updates go through one client, a
//! bounded number at a time, with progress on stderr and a summary.

use std::{
    io::IsTerminal,
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc,
    },
};

use indicatif::{ProgressBar, ProgressStyle};
use openscaler::{Backend, Client, Error};
use serde::Serialize;
use serde_json::{json, Value};

use crate::{
    args::{ApplyArgs, Format, Global},
    body::{backend_from_value, check_path_value, Origins, Problem},
    doc::Doc,
    failure::{exit_code, Failure, API, AUTH, OK},
    output::{err_line, Out},
    prepared_json, Context,
};

/// One checked entry of the file.
#[derive(Debug)]
struct Entry {
    lb_id: String,
    backend_name: String,
    backend: Backend,
}

impl Entry {
    fn label(&self) -> String {
        format!("{}/{}", self.lb_id, self.backend_name)
    }
}

/// What became of one entry.
enum Outcome {
    Applied(Box<Backend>),
    Failed(Error),
    Skipped,
}

/// An entry's result in `-o json|yaml`.
#[derive(Serialize)]
struct Report<'a> {
    index: usize,
    lb_id: &'a str,
    backend_name: &'a str,
    result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    backend: Option<&'a Backend>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<Value>,
}

pub async fn run(args: ApplyArgs, global: &Global, ctx: &Context) -> Result<u8, Failure> {
    let doc = crate::read_doc(&args.file)?;
    let entries = check(&doc).map_err(Failure::problems)?;
    let client = ctx.client(args.dry_run)?;
    let mut out = Out::stdout();

    if args.dry_run {
        let mut requests = Vec::new();
        for entry in &entries {
            let prepared = client
                .update_backend(&entry.lb_id, &entry.backend_name, &entry.backend)
                .preview()
                .map_err(|e| Failure::api(&e))?;
            requests.push(prepared);
        }
        match global.output {
            Format::Text => {
                for (i, prepared) in requests.iter().enumerate() {
                    if i > 0 {
                        out.line("");
                    }
                    out.line(&prepared.to_string());
                }
            }
            format => {
                let all: Vec<_> = requests.iter().map(prepared_json).collect();
                out.value(format, &all);
            }
        }
        out.flush();
        return Ok(OK);
    }

    let outcomes = send_all(&client, &entries, &args, global.quiet).await;

    let (mut applied, mut failed, mut skipped) = (0, 0, 0);
    let mut code = OK;
    for (i, (entry, outcome)) in entries.iter().zip(&outcomes).enumerate() {
        match outcome {
            Outcome::Applied(_) => applied += 1,
            Outcome::Skipped => skipped += 1,
            Outcome::Failed(error) => {
                failed += 1;
                code = code.max(if exit_code(error) == AUTH { AUTH } else { API });
                err_line(&format!("error: backends[{i}] {}: {error}", entry.label()));
            }
        }
    }
    let summary = format!(
        "{applied} of {} applied, {failed} failed, {skipped} skipped",
        entries.len()
    );
    match global.output {
        Format::Text if global.quiet => {}
        Format::Text => out.line(&summary),
        format => {
            let reports: Vec<_> = entries
                .iter()
                .zip(&outcomes)
                .enumerate()
                .map(|(index, (entry, outcome))| report(index, entry, outcome))
                .collect();
            out.value(format, &reports);
            if !global.quiet {
                err_line(&summary);
            }
        }
    }
    out.flush();
    Ok(code)
}

fn report<'a>(index: usize, entry: &'a Entry, outcome: &'a Outcome) -> Report<'a> {
    let (result, backend, error) = match outcome {
        Outcome::Applied(backend) => ("ok", Some(&**backend), None),
        Outcome::Skipped => ("skipped", None, None),
        Outcome::Failed(e) => (
            "failed",
            None,
            Some(json!({
                "status": e.status().map(|s| s.as_u16()),
                "message": e.message().map_or_else(|| e.to_string(), str::to_owned),
                "request_id": e.request_id(),
                "attempts": e.attempts(),
            })),
        ),
    };
    Report {
        index,
        lb_id: &entry.lb_id,
        backend_name: &entry.backend_name,
        result,
        backend,
        error,
    }
}

/// Sends every entry, at most `--concurrency` at once; with `--fail-fast`,
/// starts none after the first failure. Outcomes come back in file order.
async fn send_all(
    client: &Client,
    entries: &[Entry],
    args: &ApplyArgs,
    quiet: bool,
) -> Vec<Outcome> {
    let total = entries.len();
    let jobs: Arc<Vec<(String, String, Backend)>> = Arc::new(
        entries
            .iter()
            .map(|e| (e.lb_id.clone(), e.backend_name.clone(), e.backend.clone()))
            .collect(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let workers = usize::from(args.concurrency).min(total);
    for _ in 0..workers {
        let (client, jobs, next, stop, sender) = (
            client.clone(),
            Arc::clone(&jobs),
            Arc::clone(&next),
            Arc::clone(&stop),
            sender.clone(),
        );
        let fail_fast = args.fail_fast;
        tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some((lb_id, name, backend)) = jobs.get(i) else {
                    break;
                };
                let result = client.update_backend(lb_id, name, backend).await;
                if result.is_err() && fail_fast {
                    stop.store(true, Ordering::SeqCst);
                }
                if sender.send((i, result)).is_err() {
                    break;
                }
            }
        });
    }
    drop(sender);

    let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    });
    let mut outcomes: Vec<Outcome> = (0..total).map(|_| Outcome::Skipped).collect();
    let mut done = 0;
    while let Some((i, result)) = receiver.recv().await {
        done += 1;
        let label = entries[i].label();
        let line = match &result {
            Ok(_) => format!("[{done}/{total}] ok {label}"),
            // The error itself follows the summary, once.
            Err(e) => match e.status() {
                Some(status) => format!("[{done}/{total}] failed {label} ({})", status.as_u16()),
                None => format!("[{done}/{total}] failed {label}"),
            },
        };
        match &bar {
            Some(bar) => {
                bar.set_message(label);
                bar.inc(1);
            }
            None if !quiet => err_line(&line),
            None => {}
        }
        outcomes[i] = match result {
            Ok(backend) => Outcome::Applied(Box::new(backend)),
            Err(e) => Outcome::Failed(e),
        };
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    outcomes
}

/// Every entry of the file checked; every problem, or the entries.
fn check(doc: &Doc) -> Result<Vec<Entry>, Vec<String>> {
    let mut lines = Vec::new();
    let render = |prefix: &str, problem: &Problem| {
        Origins {
            doc: Some(doc),
            prefix: prefix.to_owned(),
            flags: Default::default(),
        }
        .render(problem)
    };
    let root = &doc.value;
    let list = match root.get("backends") {
        Some(Value::Array(list)) if !list.is_empty() => list.as_slice(),
        Some(other) => {
            let problem = Problem::new("", Some(other), "must be a list of at least one entry");
            return Err(vec![render("backends", &problem)]);
        }
        None => {
            let problem = Problem::new(
                "backends",
                None,
                "is required: the file lists its updates under `backends:`",
            );
            return Err(vec![render("", &problem)]);
        }
    };
    if let Some(map) = root.as_object() {
        for key in map.keys().filter(|k| *k != "backends") {
            let problem =
                Problem::new(key.as_str(), None, "is not a known field (known: backends)");
            lines.push(render("", &problem));
        }
    }

    let mut entries = Vec::new();
    let mut seen = std::collections::BTreeMap::new();
    for (i, item) in list.iter().enumerate() {
        let at = format!("backends[{i}]");
        let Some(map) = item.as_object() else {
            let problem = Problem::new(
                "",
                Some(item),
                "must be a mapping with lb_id, backend_name and backend",
            );
            lines.push(render(&at, &problem));
            continue;
        };
        for key in map.keys() {
            if !matches!(key.as_str(), "lb_id" | "backend_name" | "backend") {
                let problem = Problem::new(
                    key.as_str(),
                    None,
                    "is not a known field (known: lb_id, backend_name, backend)",
                );
                lines.push(render(&at, &problem));
            }
        }
        let mut problems = Vec::new();
        let mut text = |field: &str| -> String {
            match map.get(field) {
                Some(Value::String(s)) => {
                    check_path_value(field, s, &mut problems);
                    s.clone()
                }
                Some(Value::Number(n)) if n.is_u64() => n.to_string(),
                Some(other) => {
                    problems.push(Problem::new(field, Some(other), "must be a string"));
                    String::new()
                }
                None => {
                    problems.push(Problem::new(field, None, "is required"));
                    String::new()
                }
            }
        };
        let lb_id = text("lb_id");
        let backend_name = text("backend_name");
        for problem in &problems {
            lines.push(render(&at, problem));
        }
        let backend_at = format!("{at}.backend");
        let backend = match map.get("backend") {
            None => {
                lines.push(render(&at, &Problem::new("backend", None, "is required")));
                None
            }
            Some(value) => match backend_from_value(value) {
                Ok(backend) => Some(backend),
                Err(problems) => {
                    let origins = Origins {
                        doc: Some(doc),
                        prefix: backend_at,
                        flags: Default::default(),
                    };
                    lines.extend(origins.render_all(&problems));
                    None
                }
            },
        };
        if problems.is_empty() {
            let key = (lb_id.clone(), backend_name.clone());
            if let Some(first) = seen.get(&key).copied() {
                let problem = Problem::new(
                    "",
                    None,
                    format!(
                        "updates {lb_id}/{backend_name} again (first in backends[{first}]); \
                         one entry per backend"
                    ),
                );
                lines.push(render(&at, &problem));
            } else {
                seen.insert(key, i);
            }
        }
        if let Some(backend) = backend {
            entries.push(Entry {
                lb_id,
                backend_name,
                backend,
            });
        }
    }
    if lines.is_empty() {
        Ok(entries)
    } else {
        Err(lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "backends:\n  - lb_id: \"42\"\n    backend_name: web\n    backend:\n      name: web\n      mode: http\n      balancing_method: first\n      port: 80\n      servers: {type: computer, computer_ids: [\"1\"]}\n";

    #[test]
    fn a_good_file_gives_its_entries() {
        let doc = crate::doc::parse("a.yaml", GOOD).unwrap();
        let entries = check(&doc).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].label(), "42/web");
    }

    #[test]
    fn every_entry_is_checked_and_named_with_its_line() {
        let text = format!(
            "{GOOD}  - lb_id: \"\"\n    backend_name: web\n    extra: 1\n    backend:\n      name: web\n      mode: udp\n      balancing_method: first\n      port: 0\n      servers: {{type: computer, computer_ids: [\"1\"]}}\n  - lb_id: 42\n    backend_name: web\n    backend:\n      name: web\n      mode: http\n      balancing_method: first\n      port: 80\n      servers: {{type: computer, computer_ids: [\"1\"]}}\n  - {{lb_id: \"42\", backend_name: web, backend: {{name: web, mode: tcp, balancing_method: first, port: 80, servers: {{type: ip, ips: [\"::1\"]}}}}}}\n"
        );
        let doc = crate::doc::parse("a.yaml", &text).unwrap();
        let lines = check(&doc).unwrap_err();
        assert_eq!(
            lines,
            [
                "a.yaml:12: backends[1].extra is not a known field (known: lb_id, backend_name, backend)",
                "a.yaml:10: backends[1].lb_id: \"\" must not be empty",
                "a.yaml:15: backends[1].backend.mode: \"udp\" must be one of http, tcp",
                "a.yaml:17: backends[1].backend.port: 0 must be a port from 1 to 65535",
                "a.yaml:19: backends[2] updates 42/web again (first in backends[0]); one entry per backend",
                "a.yaml:27: backends[3] updates 42/web again (first in backends[0]); one entry per backend",
            ]
        );
    }

    #[test]
    fn a_file_without_backends_is_refused() {
        let doc = crate::doc::parse("a.yaml", "name: web\n").unwrap();
        let lines = check(&doc).unwrap_err();
        assert_eq!(
            lines,
            ["a.yaml:1: backends is required: the file lists its updates under `backends:`"]
        );
    }
}
