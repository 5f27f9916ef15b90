//! `openscaler apply`: many updates from one file. The file is read as it
//! goes and every entry is checked before anything is sent; then the updates
//! go through one client, a bounded number at a time, each result written as
//! it completes (`-o json`: one JSON object per line), with progress on
//! stderr and a summary. What is kept meanwhile is the checked entries, and
//! each only until its update is done.

use std::{
    io::IsTerminal,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex, PoisonError,
    },
};

use indicatif::{ProgressBar, ProgressStyle};
use openscaler::{Backend, Client, Error};
use serde::Serialize;
use serde_json::{json, Value};

use crate::{
    args::{ApplyArgs, Format, Global},
    body::{backend_from_value, check_path_value, Origins, Problem},
    doc::{self, Doc, Source},
    failure::{exit_code, Failure, API, AUTH, OK},
    output::{err_line, Out},
    prepared_json, Context,
};

/// One entry of the file whose `lb_id` and `backend_name` are good, kept
/// small until it is sent: its backend, once checked, as JSON text (about
/// a third of what the `Backend` itself holds in memory).
#[derive(Debug)]
struct Entry {
    /// Its place in the file's list.
    index: usize,
    /// The line it starts on (0: none known).
    line: usize,
    lb_id: Box<str>,
    backend_name: Box<str>,
    /// The checked backend; `None` when it has problems.
    body: Option<Box<str>>,
}

impl Entry {
    /// Whether both update the same backend.
    fn same_backend(&self, other: &Entry) -> bool {
        (&self.lb_id, &self.backend_name) == (&other.lb_id, &other.backend_name)
    }

    /// The backend to send, read back from its JSON text.
    fn backend(&self) -> Result<Backend, String> {
        let body = self.body.as_deref().unwrap_or_default();
        serde_json::from_str(body)
            .map_err(|e| format!("the checked backend cannot be read back: {e}"))
    }
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

/// An update done: the entry's place and names, and what came back.
struct Done {
    index: usize,
    lb_id: Box<str>,
    backend_name: Box<str>,
    result: Result<Backend, Failed>,
}

/// Why an entry was not applied.
enum Failed {
    /// The call failed.
    Api(Error),
    /// Nothing was sent: the entry could not be made into a request.
    Unsent(String),
}

pub async fn run(args: ApplyArgs, global: &Global, ctx: &Context) -> Result<u8, Failure> {
    let entries = {
        let source = Source::open(&args.file).map_err(Failure::usage)?;
        check(&source)?
    };
    let client = ctx.client(args.dry_run)?;
    let mut out = Out::stdout();
    let code = if args.dry_run {
        dry_run(&client, entries, global.output, &mut out).await?
    } else {
        send_all(&client, entries, &args, global, &mut out).await
    };
    out.flush();
    Ok(code)
}

/// Each request that would be sent, in file order, as it is made.
async fn dry_run(
    client: &Client,
    entries: Vec<Entry>,
    format: Format,
    out: &mut Out,
) -> Result<u8, Failure> {
    for (i, entry) in entries.into_iter().enumerate() {
        let backend = entry
            .backend()
            .map_err(|why| Failure::usage(format!("backends[{}]: {why}", entry.index)))?;
        let prepared = client
            .update_backend(&entry.lb_id, &entry.backend_name, &backend)
            .preview()
            .map_err(|e| Failure::api(&e))?;
        match format {
            Format::Text => {
                if i > 0 {
                    out.line("");
                }
                out.line(&prepared.to_string());
            }
            format => out.item(format, &prepared_json(&prepared)),
        }
    }
    Ok(OK)
}

/// The failure's fields in `-o json|yaml`.
fn error_json(failed: &Failed) -> Value {
    match failed {
        Failed::Api(e) => json!({
            "status": e.status().map(|s| s.as_u16()),
            "message": e.message().map_or_else(|| e.to_string(), str::to_owned),
            "request_id": e.request_id(),
            "attempts": e.attempts(),
        }),
        Failed::Unsent(why) => json!({
            "status": null,
            "message": why,
            "request_id": null,
            "attempts": 0,
        }),
    }
}

/// What the results came to, as they are written.
struct Results<'a> {
    global: &'a Global,
    out: &'a mut Out,
    bar: Option<ProgressBar>,
    total: usize,
    done: usize,
    applied: usize,
    failed: usize,
    skipped: usize,
    code: u8,
}

impl Results<'_> {
    /// Writes one update's result: its line on stdout (`-o json|yaml`), its
    /// progress (and error) on stderr.
    fn done(&mut self, done: Done) {
        self.done += 1;
        let label = format!("{}/{}", done.lb_id, done.backend_name);
        let (progress, error) = match &done.result {
            Ok(_) => {
                self.applied += 1;
                (format!("[{}/{}] ok {label}", self.done, self.total), None)
            }
            Err(failed) => {
                self.failed += 1;
                let (code, status, why) = match failed {
                    Failed::Api(e) => (
                        if exit_code(e) == AUTH { AUTH } else { API },
                        e.status()
                            .map_or_else(String::new, |s| format!(" ({})", s.as_u16())),
                        e.to_string(),
                    ),
                    Failed::Unsent(why) => (API, String::new(), why.clone()),
                };
                self.code = self.code.max(code);
                (
                    format!("[{}/{}] failed {label}{status}", self.done, self.total),
                    Some(format!("error: backends[{}] {label}: {why}", done.index)),
                )
            }
        };
        match &self.bar {
            Some(bar) => {
                bar.set_message(label);
                bar.inc(1);
                if let Some(error) = &error {
                    bar.suspend(|| err_line(error));
                }
            }
            None => {
                if !self.global.quiet {
                    err_line(&progress);
                }
                if let Some(error) = &error {
                    err_line(error);
                }
            }
        }
        if self.global.output != Format::Text {
            let (result, backend, error) = match &done.result {
                Ok(backend) => ("ok", Some(backend), None),
                Err(failed) => ("failed", None, Some(error_json(failed))),
            };
            let report = Report {
                index: done.index,
                lb_id: &done.lb_id,
                backend_name: &done.backend_name,
                result,
                backend,
                error,
            };
            self.out.item(self.global.output, &report);
        }
    }

    /// An entry not started (`--fail-fast`).
    fn skipped(&mut self, entry: &Entry) {
        self.skipped += 1;
        if self.global.output != Format::Text {
            let report = Report {
                index: entry.index,
                lb_id: &entry.lb_id,
                backend_name: &entry.backend_name,
                result: "skipped",
                backend: None,
                error: None,
            };
            self.out.item(self.global.output, &report);
        }
    }

    fn summary(self) -> u8 {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
        let summary = format!(
            "{} of {} applied, {} failed, {} skipped",
            self.applied, self.total, self.failed, self.skipped
        );
        match self.global.output {
            _ if self.global.quiet => {}
            Format::Text => self.out.line(&summary),
            _ => err_line(&summary),
        }
        self.code
    }
}

/// Sends every entry, at most `--concurrency` at once; with `--fail-fast`,
/// starts none after the first failure. Each result is written as it comes
/// (in the order updates complete); the entries never started are reported
/// skipped at the end. Returns the exit code.
async fn send_all(
    client: &Client,
    entries: Vec<Entry>,
    args: &ApplyArgs,
    global: &Global,
    out: &mut Out,
) -> u8 {
    let total = entries.len();
    // Each worker takes the next entry out of the queue, so an entry's
    // memory goes once its update is done.
    let queue = Arc::new(Mutex::new(entries.into_iter()));
    let take = |queue: &Mutex<std::vec::IntoIter<Entry>>| {
        queue.lock().unwrap_or_else(PoisonError::into_inner).next()
    };
    let stop = Arc::new(AtomicBool::new(false));
    let workers = usize::from(args.concurrency).min(total);
    let (sender, mut receiver) =
        tokio::sync::mpsc::channel::<Done>(2 * usize::from(args.concurrency));
    for _ in 0..workers {
        let (client, queue, stop, sender) = (
            client.clone(),
            Arc::clone(&queue),
            Arc::clone(&stop),
            sender.clone(),
        );
        let fail_fast = args.fail_fast;
        tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let Some(entry) = take(&queue) else {
                    break;
                };
                let result = match entry.backend() {
                    Ok(backend) => client
                        .update_backend(&entry.lb_id, &entry.backend_name, backend)
                        .await
                        .map_err(Failed::Api),
                    Err(why) => Err(Failed::Unsent(why)),
                };
                if result.is_err() && fail_fast {
                    stop.store(true, Ordering::SeqCst);
                }
                let done = Done {
                    index: entry.index,
                    lb_id: entry.lb_id,
                    backend_name: entry.backend_name,
                    result,
                };
                if sender.send(done).await.is_err() {
                    break;
                }
            }
        });
    }
    drop(sender);

    let bar = (!global.quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    });
    let mut results = Results {
        global,
        out,
        bar,
        total,
        done: 0,
        applied: 0,
        failed: 0,
        skipped: 0,
        code: OK,
    };
    while let Some(done) = receiver.recv().await {
        results.done(done);
        // Written out whenever no other result is waiting.
        if receiver.is_empty() {
            results.out.flush();
        }
    }
    while let Some(entry) = take(&queue) {
        results.skipped(&entry);
    }
    results.summary()
}

/// Every entry of the file checked, as it is read; every problem (each
/// naming the file, line and field), or the entries.
fn check(source: &Source) -> Result<Vec<Entry>, Failure> {
    let mut checker = Checker::default();
    let rest = doc::stream_list(source, "backends", &mut |i, entry| {
        checker.entry(i, &entry);
    })
    .map_err(Failure::usage)?;
    let render = |prefix: &str, problem: &Problem| {
        Origins {
            doc: Some(&rest.doc),
            prefix: prefix.to_owned(),
            flags: Default::default(),
        }
        .render(problem)
    };
    let root = &rest.doc.value;
    match (root.get("backends"), rest.items) {
        (Some(_), Some(count)) if count > 0 => {}
        (Some(other), _) => {
            let problem = Problem::new("", Some(other), "must be a list of at least one entry");
            return Err(Failure::problems(vec![render("backends", &problem)]));
        }
        (None, _) => {
            let problem = Problem::new(
                "backends",
                None,
                "is required: the file lists its updates under `backends:`",
            );
            return Err(Failure::problems(vec![render("", &problem)]));
        }
    }
    let mut lines = Vec::new();
    if let Some(map) = root.as_object() {
        for key in map.keys().filter(|k| *k != "backends") {
            let problem =
                Problem::new(key.as_str(), None, "is not a known field (known: backends)");
            lines.push(render("", &problem));
        }
    }
    lines.extend(checker.finish(source.name()));
    if lines.is_empty() {
        Ok(checker.entries)
    } else {
        Err(Failure::problems(lines))
    }
}

/// The entries checked so far, and their problems.
#[derive(Default)]
struct Checker {
    /// Every entry whose `lb_id` and `backend_name` are good, in file order.
    entries: Vec<Entry>,
    /// Each problem, with the index of its entry.
    lines: Vec<(usize, String)>,
}

impl Checker {
    /// Checks entry `i`, read as `doc` (its paths `backends[i]...`).
    fn entry(&mut self, i: usize, doc: &Doc) {
        let at = format!("backends[{i}]");
        let origins = |prefix: String| Origins {
            doc: Some(doc),
            prefix,
            flags: Default::default(),
        };
        let mut lines = Vec::new();
        let item = &doc.value;
        let Some(map) = item.as_object() else {
            let problem = Problem::new(
                "",
                Some(item),
                "must be a mapping with lb_id, backend_name and backend",
            );
            self.lines.push((i, origins(at).render(&problem)));
            return;
        };
        for key in map.keys() {
            if !matches!(key.as_str(), "lb_id" | "backend_name" | "backend") {
                let problem = Problem::new(
                    key.as_str(),
                    None,
                    "is not a known field (known: lb_id, backend_name, backend)",
                );
                lines.push(origins(at.clone()).render(&problem));
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
        lines.extend(problems.iter().map(|p| origins(at.clone()).render(p)));
        let body = match map.get("backend") {
            None => {
                let problem = Problem::new("backend", None, "is required");
                lines.push(origins(at.clone()).render(&problem));
                None
            }
            Some(value) => match backend_from_value(value) {
                // A `Backend` always serializes; were it not to, the empty
                // text would fail the entry, unsent, when read back.
                Ok(backend) => Some(serde_json::to_string(&backend).unwrap_or_default().into()),
                Err(problems) => {
                    lines.extend(origins(format!("{at}.backend")).render_all(&problems));
                    None
                }
            },
        };
        self.lines.extend(lines.into_iter().map(|line| (i, line)));
        if problems.is_empty() {
            self.entries.push(Entry {
                index: i,
                line: doc.line_of(&at).unwrap_or(0),
                lb_id: lb_id.into_boxed_str(),
                backend_name: backend_name.into_boxed_str(),
                body,
            });
        }
    }

    /// Every problem in file order, once the whole file is read: those of
    /// each entry, then its update of a backend an earlier entry updates
    /// too. (Found by sorting the entries by backend rather than with a
    /// map from each backend, which would hold the names twice.)
    fn finish(&mut self, name: &str) -> Vec<String> {
        let mut order: Vec<usize> = (0..self.entries.len()).collect();
        // By backend, then file order: the first of each run is the first
        // in the file.
        order.sort_by(|&a, &b| {
            let (ea, eb) = (&self.entries[a], &self.entries[b]);
            (&ea.lb_id, &ea.backend_name, a).cmp(&(&eb.lb_id, &eb.backend_name, b))
        });
        let mut first: Option<&Entry> = None;
        for &k in &order {
            let again = &self.entries[k];
            let Some(earlier) = first.filter(|f| f.same_backend(again)) else {
                first = Some(again);
                continue;
            };
            let at = format!("backends[{}]", again.index);
            let problem = Problem::new(
                "",
                None,
                format!(
                    "updates {}/{} again (first in backends[{}]); one entry per backend",
                    again.lb_id, again.backend_name, earlier.index
                ),
            );
            let doc = Doc::with_line(name, &at, again.line);
            let origins = Origins {
                doc: Some(&doc),
                prefix: at,
                flags: Default::default(),
            };
            self.lines.push((again.index, origins.render(&problem)));
        }
        // Stable: each entry's own problems keep their order, before its
        // repeat.
        let mut lines = std::mem::take(&mut self.lines);
        lines.sort_by_key(|(index, _)| *index);
        lines.into_iter().map(|(_, line)| line).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "backends:\n  - lb_id: \"42\"\n    backend_name: web\n    backend:\n      name: web\n      mode: http\n      balancing_method: first\n      port: 80\n      servers: {type: computer, computer_ids: [\"1\"]}\n";

    fn source(name: &str, text: &str) -> Source {
        Source::bytes(name, text.as_bytes().to_vec())
    }

    /// The problem lines of a refused file (the count line dropped).
    fn problems(name: &str, text: &str) -> Vec<String> {
        let mut lines = check(&source(name, text)).unwrap_err().lines;
        lines.pop();
        lines
    }

    #[test]
    fn a_good_file_gives_its_entries() {
        let entries = check(&source("a.yaml", GOOD)).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(
            (&*entries[0].lb_id, &*entries[0].backend_name),
            ("42", "web")
        );
    }

    #[test]
    fn every_entry_is_checked_and_named_with_its_line() {
        let text = format!(
            "{GOOD}  - lb_id: \"\"\n    backend_name: web\n    extra: 1\n    backend:\n      name: web\n      mode: udp\n      balancing_method: first\n      port: 0\n      servers: {{type: computer, computer_ids: [\"1\"]}}\n  - lb_id: 42\n    backend_name: web\n    backend:\n      name: web\n      mode: http\n      balancing_method: first\n      port: 80\n      servers: {{type: computer, computer_ids: [\"1\"]}}\n  - {{lb_id: \"42\", backend_name: web, backend: {{name: web, mode: tcp, balancing_method: first, port: 80, servers: {{type: ip, ips: [\"::1\"]}}}}}}\n"
        );
        assert_eq!(
            problems("a.yaml", &text),
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

    /// One entry per line, from line 2: `(lb_id, backend_name, extra)`.
    fn flow_file(entries: &[(&str, &str, &str)]) -> String {
        let mut text = String::from("backends:\n");
        for (lb_id, name, extra) in entries {
            text.push_str(&format!(
                "  - {{lb_id: \"{lb_id}\", backend_name: {name}, {extra}backend: {{name: {name}, mode: tcp, balancing_method: first, port: 80, servers: {{type: ip, ips: [\"10.0.0.1\"]}}}}}}\n"
            ));
        }
        text
    }

    #[test]
    fn repeats_are_told_in_file_order_after_each_entry_s_own_problems() {
        let text = flow_file(&[
            ("1", "a", ""),
            ("1", "b", ""),
            ("1", "a", "extra: 1, "),
            ("2", "a", ""),
            ("1", "b", ""),
            ("1", "a", ""),
        ]);
        assert_eq!(
            problems("r.yaml", &text),
            [
                "r.yaml:4: backends[2].extra is not a known field (known: lb_id, backend_name, backend)",
                "r.yaml:4: backends[2] updates 1/a again (first in backends[0]); one entry per backend",
                "r.yaml:6: backends[4] updates 1/b again (first in backends[1]); one entry per backend",
                "r.yaml:7: backends[5] updates 1/a again (first in backends[0]); one entry per backend",
            ]
        );
        let entries = check(&source(
            "r.yaml",
            &flow_file(&[("1", "a", ""), ("2", "a", "")]),
        ));
        assert_eq!(
            entries.unwrap().len(),
            2,
            "another load balancer's a is another backend"
        );
    }

    #[test]
    fn a_checked_entry_reads_back_as_its_backend() {
        let entries = check(&source("a.yaml", GOOD)).unwrap();
        let doc = crate::doc::parse("a.yaml", GOOD).unwrap();
        let expected = backend_from_value(&doc.value["backends"][0]["backend"]).unwrap();
        assert_eq!(entries[0].backend(), Ok(expected));
        assert_eq!((entries[0].index, entries[0].line), (0, 2));
        let broken = Entry {
            body: Some("{".into()),
            ..check(&source("a.yaml", GOOD)).unwrap().remove(0)
        };
        let why = broken.backend().unwrap_err();
        assert!(
            why.starts_with("the checked backend cannot be read back: "),
            "{why}"
        );
    }

    #[test]
    fn the_top_level_is_a_mapping_with_a_list_of_backends() {
        assert_eq!(
            problems("a.yaml", "backends: {a: 1}\n"),
            ["a.yaml:1: backends: {\"a\":1} must be a list of at least one entry"]
        );
        assert_eq!(
            problems("a.yaml", "# none yet\nbackends: []\n"),
            ["a.yaml:2: backends: [] must be a list of at least one entry"]
        );
        assert_eq!(
            problems("a.yaml", &format!("{GOOD}extra: 1\n")),
            ["a.yaml:10: extra is not a known field (known: backends)"]
        );
        assert_eq!(
            problems("a.yaml", "- backends\n"),
            ["a.yaml:1: backends is required: the file lists its updates under `backends:`"]
        );
        assert_eq!(
            problems("a.yaml", "backends\n"),
            ["a.yaml: backends is required: the file lists its updates under `backends:`"]
        );
        assert_eq!(
            problems("a.yaml", "backends:\n  - 5\n"),
            ["a.yaml:2: backends[0]: 5 must be a mapping with lb_id, backend_name and backend"]
        );
        let failure = check(&source("a.yaml", "backends: [\n")).unwrap_err();
        assert_eq!(failure.code, crate::failure::USAGE);
        assert_eq!(failure.lines.len(), 1, "{:?}", failure.lines);
        assert!(
            failure.lines[0].starts_with("a.yaml:"),
            "{:?}",
            failure.lines
        );
    }

    #[test]
    fn path_values_are_strings_or_whole_numbers() {
        let file = |lb_id: &str| GOOD.replace("lb_id: \"42\"", &format!("lb_id: {lb_id}"));
        let entries = check(&source("a.yaml", &file("42"))).unwrap();
        assert_eq!(&*entries[0].lb_id, "42");
        for (lb_id, shown) in [
            ("-1", "-1"),
            ("1.5", "1.5"),
            ("true", "true"),
            ("[1]", "[1]"),
        ] {
            assert_eq!(
                problems("a.yaml", &file(lb_id)),
                [format!(
                    "a.yaml:2: backends[0].lb_id: {shown} must be a string"
                )],
                "{lb_id}"
            );
        }
    }

    #[test]
    fn a_file_without_backends_is_refused() {
        assert_eq!(
            problems("a.yaml", "name: web\n"),
            ["a.yaml:1: backends is required: the file lists its updates under `backends:`"]
        );
    }
}
