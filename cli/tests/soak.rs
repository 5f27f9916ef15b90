//! Soak for the command line: `openscaler apply` of 2,000 entries against
//! the sandbox injecting 503, 429 and connection resets, two attempts per
//! entry so that some entries fail. Then the stored state holds exactly the
//! entries reported applied, the failed ones are left as seeded, and the
//! journal holds exactly the attempts the results account for: per entry
//! (its own path), faults first and a 200 last when applied; two faults
//! when failed, the result giving the last answer's status and request id.

mod support;

use std::collections::BTreeMap;

use openscaler_sandbox::{JournalEntry, Sandbox};
use serde_json::{json, Value};
use support::*;

const ENTRIES: usize = 2_000;
const LOAD_BALANCERS: usize = 10;
const FAULTS: &str = "503=0.1,429=0.03,reset=0.05,latency=1ms";
const ATTEMPTS: usize = 2;

fn lb_id(i: usize) -> String {
    format!("lb-{}", i % LOAD_BALANCERS)
}

fn name(i: usize) -> String {
    format!("web-{i}")
}

/// Entry `i`'s backend: the page's, under its own name, with a port and a
/// health-check path of its own.
fn written(i: usize) -> Value {
    let mut backend = stored(&name(i));
    backend["port"] = json!(10_000 + i);
    backend["options"]["health_check"]["path"] = json!(format!("/apply/{i}"));
    backend
}

fn apply_file() -> String {
    let mut text = String::from("backends:\n");
    for i in 0..ENTRIES {
        text.push_str(&format!(
            "  - lb_id: {}\n    backend_name: {}\n    backend: {}\n",
            lb_id(i),
            name(i),
            written(i)
        ));
    }
    text
}

fn seeded_state() -> Value {
    let mut state = json!({});
    for i in 0..ENTRIES {
        state[lb_id(i)][name(i)] = stored(&name(i));
    }
    state
}

#[test]
fn apply_through_faults_stores_exactly_what_it_reports() {
    let server = Server::with(
        Sandbox::builder()
            .token(SECRET)
            .faults(FAULTS)
            .journal_capacity(ENTRIES * ATTEMPTS + 1)
            .state(seeded_state()),
    );
    let dir = tempdir();
    let file = write(dir.path(), "apply.yaml", &apply_file());
    let mut cmd = openscaler(dir.path());
    cmd.args(["apply", "-o", "json", "--concurrency", "32", "--attempts"])
        .arg(ATTEMPTS.to_string())
        .arg("-f")
        .arg(&file)
        .args(["--base-url", &server.url()])
        .env("OPENSCALER_TOKEN", SECRET);
    let output = cmd.output().unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(
        !out.contains(SECRET) && !err.contains(SECRET),
        "token in output"
    );

    // One result per entry, one per line.
    let results: Vec<Value> = out
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let mut by_index: BTreeMap<usize, &Value> = BTreeMap::new();
    for result in &results {
        let index = result["index"].as_u64().unwrap() as usize;
        assert!(by_index.insert(index, result).is_none(), "{index} twice");
    }
    assert_eq!(by_index.len(), ENTRIES);
    let failed: Vec<usize> = by_index
        .iter()
        .filter(|(_, r)| r["result"] == "failed")
        .map(|(i, _)| *i)
        .collect();
    let applied = ENTRIES - failed.len();
    assert!(
        !failed.is_empty(),
        "no entry failed: the faults did nothing"
    );
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "{applied} of {ENTRIES} applied, {} failed, 0 skipped",
            failed.len()
        )),
        "{err}"
    );
    let error_lines = err.lines().filter(|l| l.starts_with("error: ")).count();
    assert_eq!(error_lines, failed.len(), "{err}");

    // The journal: each entry's requests, by its path.
    let mut requests: BTreeMap<String, Vec<JournalEntry>> = BTreeMap::new();
    for entry in server.journal() {
        requests.entry(entry.path.clone()).or_default().push(entry);
    }
    let state = server.sandbox.state();
    for (&i, result) in &by_index {
        assert_eq!(result["lb_id"], lb_id(i).as_str());
        assert_eq!(result["backend_name"], name(i).as_str());
        let path = format!("/v1/lbs/{}/backends/{}", lb_id(i), name(i));
        let sent = requests.remove(&path).unwrap_or_default();
        assert!(
            sent.iter().all(|r| r.body.as_ref() == Some(&written(i))),
            "entry {i}: another body on the wire"
        );
        let (last, earlier) = sent
            .split_last()
            .unwrap_or_else(|| panic!("entry {i} sent nothing"));
        assert!(earlier.iter().all(|r| r.fault.is_some()), "entry {i}");
        let now = &state[&lb_id(i)][&name(i)];
        match result["result"].as_str() {
            Some("ok") => {
                assert_eq!(result["backend"], written(i), "entry {i}");
                assert_eq!(now, &written(i), "entry {i} reported applied");
                assert_eq!((last.fault.as_deref(), last.status), (None, Some(200)));
                assert!(sent.len() <= ATTEMPTS, "entry {i}: {} requests", sent.len());
            }
            Some("failed") => {
                assert_eq!(now, &stored(&name(i)), "entry {i} reported failed");
                assert_eq!(result["error"]["attempts"], ATTEMPTS, "entry {i}");
                assert_eq!(sent.len(), ATTEMPTS, "entry {i}");
                let fault = last
                    .fault
                    .as_deref()
                    .unwrap_or_else(|| panic!("entry {i} failed on an answered request: {result}"));
                // The status and request id of the last attempt, as the SDK
                // documents them: none when the last was reset.
                assert_eq!(
                    result["error"]["status"],
                    json!(last.status),
                    "entry {i}: {result}"
                );
                assert_eq!(
                    result["error"]["request_id"],
                    json!(last.status.map(|_| last.id.as_str())),
                    "entry {i}: {result}"
                );
                assert_eq!(fault == "reset", last.status.is_none(), "entry {i}");
            }
            other => panic!("entry {i}: result {other:?}"),
        }
    }
    assert!(
        requests.is_empty(),
        "requests for no entry: {:?}",
        requests.keys()
    );
    // The load balancers hold their seeded names and no other.
    let held: usize = (0..LOAD_BALANCERS)
        .map(|lb| {
            state[&lb_id(lb)]
                .as_object()
                .map_or(0, serde_json::Map::len)
        })
        .sum();
    assert_eq!(held, ENTRIES);
    eprintln!(
        "apply soak: {ENTRIES} entries, faults {FAULTS}, {ATTEMPTS} attempts: \
         {applied} applied, {} failed",
        failed.len()
    );
}
