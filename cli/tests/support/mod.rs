//! Helpers for the command line's tests: the binary, the page's golden
//! case, a small recording HTTP server on 127.0.0.1, and a private config
//! directory.

#![allow(dead_code)] // each test binary uses a different part

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    thread,
    time::Duration,
};

use serde_json::Value;

/// A token that must never show in any output.
pub const SECRET: &str = "tok-9f8e7d6c5b4a-SECRET";

/// The vendor's curl example (the SDK's fixture).
pub fn golden() -> Value {
    serde_json::from_str(include_str!("../../../tests/fixtures/update-backend.json")).unwrap()
}

/// The page's request body.
pub fn golden_body() -> Value {
    golden()["body"].clone()
}

/// The binary, with a clean environment: no `OPENSCALER_*` variables, and
/// `XDG_CONFIG_HOME` pointing at an empty private directory.
pub fn openscaler(config: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("openscaler").unwrap();
    for var in [
        "OPENSCALER_TOKEN",
        "OPENSCALER_BASE_URL",
        "OPENSCALER_TIMEOUT_SECS",
        "OPENSCALER_PROFILE",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("XDG_CONFIG_HOME", config);
    cmd.env("HOME", config);
    cmd.timeout(Duration::from_secs(60));
    cmd
}

/// A temporary directory for config files and inputs.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

/// Writes `$dir/openscaler/config.toml` with the given mode.
pub fn write_config(dir: &Path, text: &str, mode: u32) -> PathBuf {
    let path = write(dir, "openscaler/config.toml", text);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    path
}

/// One request as it arrived.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

type Answer = dyn Fn(&Seen) -> (u16, String) + Send + Sync;

/// An HTTP/1.1 server on 127.0.0.1 that records each request and answers it
/// as `answer` says (one request per connection).
pub struct Recorder {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Recorder {
    /// Answers 200 with the request's own body, as the API does.
    pub fn echo() -> Recorder {
        Recorder::start(|seen| (200, String::from_utf8_lossy(&seen.body).into_owned()))
    }

    /// Answers every request with `status` and `{"message": ...}`.
    pub fn failing(status: u16, message: &str) -> Recorder {
        let body = serde_json::json!({ "message": message }).to_string();
        Recorder::start(move |_| (status, body.clone()))
    }

    pub fn start(answer: impl Fn(&Seen) -> (u16, String) + Send + Sync + 'static) -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let answer: Arc<Answer> = Arc::new(answer);
        let log = Arc::clone(&seen);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let (log, answer) = (Arc::clone(&log), Arc::clone(&answer));
                thread::spawn(move || serve(stream, &log, &*answer));
            }
        });
        Recorder { addr, seen }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(mut stream: TcpStream, log: &Mutex<Vec<Seen>>, answer: &Answer) {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let Some(seen) = read_request(&mut stream) else {
        return;
    };
    let (status, body) = answer(&seen);
    log.lock().unwrap().push(seen);
    let reply = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         x-request-id: req-{status}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes());
}

fn read_request(stream: &mut TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).ok()?;
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let target = first.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Seen {
        method,
        target,
        headers,
        body,
    })
}

/// An address on 127.0.0.1 where nothing listens... except a listener we
/// hold and never accept from, so any connection attempt shows.
pub struct Silent {
    listener: TcpListener,
}

impl Silent {
    pub fn start() -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        Silent { listener }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.listener.local_addr().unwrap())
    }

    /// Whether anything connected.
    pub fn was_contacted(&self) -> bool {
        self.listener.accept().is_ok()
    }
}
