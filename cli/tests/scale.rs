//! `openscaler apply` at scale: a YAML file of 100,000 entries is read
//! whole; every problem in a large JSON file names its file, line and
//! field, and nothing is sent; results are written as each update
//! completes, `-o json` one object per line.

mod support;

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::{TcpListener, TcpStream},
    process::Stdio,
    sync::{
        atomic::{AtomicBool, Ordering},
        mpsc, Arc,
    },
    thread,
    time::Duration,
};

use serde_json::{json, Value};
use support::*;

/// A backend small enough for 100,000 of them to read quickly.
fn small_backend(name: &str) -> Value {
    json!({
        "name": name, "mode": "tcp", "balancing_method": "first", "port": 80,
        "servers": {"type": "ip", "ips": ["10.0.0.1"]}
    })
}

/// More entries than serde-saphyr's default budget allows a document
/// (250,000 nodes: about 4,500 entries of the page's body) by far: 100,000
/// entries of 13 nodes each, in block YAML. A dry run prints each request,
/// one JSON object per line, in file order.
#[test]
fn a_yaml_file_of_100000_entries_is_accepted() {
    const ENTRIES: usize = 100_000;
    let dir = tempdir();
    let mut text = String::from("backends:\n");
    for i in 0..ENTRIES {
        text.push_str(&format!(
            "  - lb_id: lb-{}\n    backend_name: b-{i}\n    backend:\n      name: b-{i}\n      mode: tcp\n      balancing_method: first\n      port: 80\n      servers:\n        type: ip\n        ips: [10.0.0.1]\n",
            i % 100
        ));
    }
    let file = write(dir.path(), "many.yaml", &text);
    let mut cmd = openscaler(dir.path());
    // Unoptimized, on 2 busy cores, this run took 52 s (and was cut off by
    // the support's 60 s limit once, in a full workspace run): the limit is
    // for hangs, not for speed, which the benchmarks measure.
    cmd.timeout(Duration::from_secs(300));
    cmd.args(["apply", "--dry-run", "-o", "json", "-f"])
        .arg(&file)
        .args(["--base-url", "http://127.0.0.1:9"]);
    let output = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert_eq!(err, "");
    let out = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), ENTRIES);
    for (i, line) in [(0, lines[0]), (ENTRIES - 1, lines[ENTRIES - 1])] {
        let request: Value = serde_json::from_str(line).unwrap();
        assert_eq!(request["method"], "PUT");
        assert_eq!(
            request["url"],
            format!("http://127.0.0.1:9/v1/lbs/lb-{}/backends/b-{i}", i % 100).as_str()
        );
        assert_eq!(request["body"], small_backend(&format!("b-{i}")));
    }
}

/// A JSON document indented as `json.dump(indent=2)` writes it, built
/// entry by entry, with the line each entry starts on.
struct JsonFile {
    text: String,
    starts: Vec<usize>,
}

impl JsonFile {
    fn new(entries: &[Value]) -> JsonFile {
        let mut text = String::from("{\n  \"backends\": [\n");
        let mut starts = Vec::new();
        let mut line = 3;
        for (i, entry) in entries.iter().enumerate() {
            starts.push(line);
            let pretty = serde_json::to_string_pretty(entry).unwrap();
            for (n, piece) in pretty.lines().enumerate() {
                if n > 0 {
                    text.push('\n');
                }
                text.push_str("    ");
                text.push_str(piece);
                line += 1;
            }
            text.push_str(if i + 1 < entries.len() { ",\n" } else { "\n" });
        }
        text.push_str("  ]\n}\n");
        JsonFile { text, starts }
    }

    /// The line of the first line of entry `i` holding `needle`.
    fn line_of(&self, i: usize, needle: &str) -> usize {
        let from = self.starts[i];
        let offset = self
            .text
            .lines()
            .skip(from - 1)
            .position(|l| l.contains(needle))
            .unwrap();
        from + offset
    }
}

/// 10,000 entries as indented JSON, with mistakes near the start, in the
/// middle and at the end, and a backend updated twice: each problem names
/// the file, its line and the field, in file order; nothing is sent.
#[test]
fn every_problem_in_a_large_json_file_names_its_line() {
    const ENTRIES: usize = 10_000;
    let mut entries: Vec<Value> = (0..ENTRIES)
        .map(|i| {
            let mut backend = stored(&format!("web-{i}"));
            backend["options"]["health_check"]["path"] = json!(format!("/e/{i}"));
            json!({"lb_id": format!("lb-{}", i % 10), "backend_name": format!("web-{i}"), "backend": backend})
        })
        .collect();
    entries[0]["backend"]["port"] = json!(0);
    entries[4_321]["backend"]["mode"] = json!("quic");
    entries[7_777]["backend_name"] = json!("web-7767");
    entries[9_999]["backend"]["options"]["colour"] = json!("red");
    let file = JsonFile::new(&entries);

    let server = Server::start(json!({}));
    let dir = tempdir();
    let path = write(dir.path(), "big.json", &file.text);
    let mut cmd = openscaler(dir.path());
    cmd.args(["apply", "-f"])
        .arg(&path)
        .args(["--base-url", &server.url(), "--token", SECRET]);
    let output = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert_eq!(output.stdout, b"");
    let name = path.display();
    let expected = [
        format!(
            "error: {name}:{}: backends[0].backend.port: 0 must be a port from 1 to 65535",
            file.line_of(0, "\"port\": 0")
        ),
        format!(
            "error: {name}:{}: backends[4321].backend.mode: \"quic\" must be one of http, tcp",
            file.line_of(4_321, "\"quic\"")
        ),
        format!(
            "error: {name}:{}: backends[7777] updates lb-7/web-7767 again (first in backends[7767]); one entry per backend",
            file.starts[7_777]
        ),
        format!(
            "error: {name}:{}: backends[9999].backend.options.colour is not a known field (known: tls, tls_verify, forward_for, proxy_protocol, sticky_session, health_check)",
            file.line_of(9_999, "\"colour\"")
        ),
        "error: 4 problems; nothing was sent".to_owned(),
    ];
    assert_eq!(err.lines().collect::<Vec<_>>(), expected);
    assert!(server.journal().is_empty(), "a request was sent");
}

/// A server answering each `PUT` with its own body, except that a request
/// for a backend named `held` waits until the test lets it go.
struct Holding {
    url: String,
    arrived: mpsc::Receiver<()>,
    release: mpsc::Sender<()>,
    released: Arc<AtomicBool>,
}

impl Holding {
    fn start() -> Holding {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (arrived_tx, arrived) = mpsc::channel();
        let (release, release_rx) = mpsc::channel::<()>();
        let released = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&released);
        thread::spawn(move || {
            let release_rx = Arc::new(std::sync::Mutex::new(release_rx));
            for stream in listener.incoming().flatten() {
                let (arrived_tx, release_rx, flag) = (
                    arrived_tx.clone(),
                    Arc::clone(&release_rx),
                    Arc::clone(&flag),
                );
                thread::spawn(move || serve(stream, &arrived_tx, &release_rx, &flag));
            }
        });
        Holding {
            url,
            arrived,
            release,
            released,
        }
    }
}

/// Answers each request on the connection with its body (keep-alive).
fn serve(
    stream: TcpStream,
    arrived: &mpsc::Sender<()>,
    release: &std::sync::Mutex<mpsc::Receiver<()>>,
    released: &AtomicBool,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    loop {
        let mut head = String::new();
        let mut length = 0;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap();
                }
            }
            head.push_str(&line);
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let target = head.split(' ').nth(1).unwrap_or_default().to_owned();
        if target.ends_with("/held") {
            arrived.send(()).unwrap();
            // Let go when told, or after long enough that the test has
            // failed by then.
            let _ = release
                .lock()
                .unwrap()
                .recv_timeout(Duration::from_secs(30));
            released.store(true, Ordering::SeqCst);
        }
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(answer.as_bytes()).unwrap();
        stream.write_all(&body).unwrap();
    }
}

/// Two entries, the second held by the server: the first one's result is
/// on stdout, a JSON object on a line of its own, while the second is
/// still in flight; the second follows once let go.
#[test]
fn results_are_written_as_each_update_completes() {
    let server = Holding::start();
    let dir = tempdir();
    let text = apply_text(["quick", "held"].map(|name| ("42", name, small_backend(name))));
    let file = write(dir.path(), "two.yaml", &text);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("openscaler"))
        .args(["apply", "-q", "-o", "json", "--concurrency", "2", "-f"])
        .arg(&file)
        .args(["--base-url", &server.url, "--token", SECRET])
        .env("XDG_CONFIG_HOME", dir.path())
        .env_remove("OPENSCALER_TOKEN")
        .env_remove("OPENSCALER_BASE_URL")
        .env_remove("OPENSCALER_PROFILE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    server
        .arrived
        .recv_timeout(Duration::from_secs(60))
        .expect("the held update never arrived");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(
        !server.released.load(Ordering::SeqCst),
        "the first result came only once the held update was answered"
    );
    let first: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(
        first,
        json!({"index": 0, "lb_id": "42", "backend_name": "quick", "result": "ok", "backend": small_backend("quick")})
    );

    server.release.send(()).unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    let second: Value = serde_json::from_str(rest.trim_end()).unwrap();
    assert_eq!(second["index"], 1);
    assert_eq!(second["result"], "ok");
    assert_eq!(rest.lines().count(), 1, "{rest}");
}
