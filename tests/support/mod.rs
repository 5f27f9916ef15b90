//! Helpers shared by the integration tests: the page's golden case, a client
//! pointed at a local server, and a raw HTTP server for what httpmock cannot
//! show (the exact request target) or cannot do (misbehave).

#![allow(dead_code)] // each test binary uses a different part

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    sync::{Arc, Mutex},
    thread,
    time::{Duration, Instant},
};

use serde_json::Value;

/// The vendor's curl example, copied from its page.
pub struct Golden {
    pub lb_id: String,
    pub backend_name: String,
    pub path: String,
    pub authorization: String,
    pub body: Value,
    pub response: Value,
}

pub fn golden() -> Golden {
    let case: Value =
        serde_json::from_str(include_str!("../fixtures/update-backend.json")).unwrap();
    let text = |v: &Value| v.as_str().unwrap().to_owned();
    Golden {
        lb_id: text(&case["lb_id"]),
        backend_name: text(&case["backend_name"]),
        path: text(&case["path"]),
        authorization: text(&case["headers"]["authorization"]),
        body: case["body"].clone(),
        response: case["response"]["body"].clone(),
    }
}

/// The token of the page's example, `<token>`.
pub const TOKEN: &str = "<token>";

/// A client for a local server, with the page's token and the default
/// retry policy, its backoff shortened so tests stay quick.
pub fn client(base_url: &str) -> openscaler::Client {
    client_with(base_url, quick_retries())
}

pub fn client_with(base_url: &str, retry: openscaler::RetryPolicy) -> openscaler::Client {
    openscaler::Client::builder()
        .base_url(base_url)
        .token(TOKEN)
        .retry_policy(retry)
        .build()
        .unwrap()
}

/// The default policy (3 attempts) with at most 5 to 20 ms of backoff.
pub fn quick_retries() -> openscaler::RetryPolicy {
    openscaler::RetryPolicy::default()
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_millis(20))
}

/// A valid backend, as the page's body.
pub fn page_backend() -> openscaler::Backend {
    serde_json::from_value(golden().body).unwrap()
}

/// The page's example body, written with the builder as a user would.
pub fn page_backend_from_builder() -> openscaler::Backend {
    use openscaler::{
        Backend, BalancingMethod, HealthCheck, Mode, ProxyProtocol, Servers, StickySession,
    };
    Backend::named("api-backend")
        .mode(Mode::Http)
        .balancing_method(BalancingMethod::RoundRobin)
        .port(8080)
        .servers(Servers::computers(["23", "24"]))
        .tls(false)
        .tls_verify(false)
        .forward_for(true)
        .proxy_protocol(ProxyProtocol::V2)
        .sticky_session(StickySession::cookie("SERVERID", Duration::from_secs(300)))
        .health_check(
            HealthCheck::http("/health")
                .method("GET")
                .port(80)
                .expected_code(200)
                .host_header("example.com"),
        )
        .build()
        .unwrap()
}

/// One request as it arrived on the socket.
#[derive(Clone, Debug)]
pub struct RawRequest {
    pub method: String,
    /// The request target exactly as sent, still percent-encoded.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When the request head had arrived.
    pub at: Instant,
}

impl RawRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the raw server does with one connection.
#[derive(Clone)]
pub enum Reply {
    /// Reads the request, writes these bytes, closes.
    Bytes(Vec<u8>),
    /// Reads the request, then holds the connection open without a word.
    Silence(Duration),
    /// Reads the request, then closes at once (the client sees a reset or an
    /// early end of the stream).
    Close,
}

impl Reply {
    /// A complete HTTP/1.1 answer with `Connection: close`.
    pub fn http(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        let mut out = format!(
            "HTTP/1.1 {status} Whatever\r\ncontent-length: {}\r\nconnection: close\r\n",
            body.len()
        );
        for (name, value) in headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(body);
        Reply::Bytes(bytes)
    }

    /// A 200 whose body, the page's response, stops after `keep` bytes:
    /// the connection closes mid-body.
    pub fn cut_off(keep: usize) -> Reply {
        let body = golden().response.to_string();
        let mut bytes = json_answer(200, &body);
        bytes.truncate(bytes.len() - body.len() + keep);
        Reply::Bytes(bytes)
    }

    /// `status` with `body` in chunked transfer encoding, cut into `pieces`
    /// chunks of about equal size: the client sees each as its own piece
    /// of the body.
    pub fn chunked(status: u16, body: &[u8], pieces: usize) -> Reply {
        let mut bytes = format!(
            "HTTP/1.1 {status} Whatever\r\ncontent-type: application/json\r\n\
             transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
        )
        .into_bytes();
        for piece in body.chunks(body.len().div_ceil(pieces).max(1)) {
            bytes.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            bytes.extend_from_slice(piece);
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(b"0\r\n\r\n");
        Reply::Bytes(bytes)
    }

    pub fn json(status: u16, body: &Value) -> Reply {
        Reply::http(
            status,
            &[("content-type", "application/json")],
            body.to_string().as_bytes(),
        )
    }
}

/// A one-thread HTTP server on 127.0.0.1 that answers each connection with
/// the next scripted [`Reply`] (the last one repeats) and records what came.
pub struct RawServer {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<RawRequest>>>,
}

impl RawServer {
    pub fn start(replies: Vec<Reply>) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        thread::spawn(move || {
            for (i, stream) in listener.incoming().enumerate() {
                let Ok(stream) = stream else { return };
                let reply = replies[i.min(replies.len() - 1)].clone();
                let seen = Arc::clone(&seen);
                thread::spawn(move || serve(stream, reply, &seen));
            }
        });
        RawServer { addr, requests }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<RawRequest> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(mut stream: TcpStream, reply: Reply, seen: &Mutex<Vec<RawRequest>>) {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let Some(request) = read_request(&mut stream) else {
        return;
    };
    seen.lock().unwrap().push(request);
    match reply {
        Reply::Bytes(bytes) => {
            let _ = stream.write_all(&bytes);
            let _ = stream.flush();
        }
        Reply::Silence(time) => thread::sleep(time),
        Reply::Close => {}
    }
}

fn read_request(stream: &mut TcpStream) -> Option<RawRequest> {
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
    let at = Instant::now();
    let head = String::from_utf8(buf[..head_end].to_vec()).ok()?;
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let target = first.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length = content_length(&buf[..head_end]);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(RawRequest {
        method,
        target,
        headers,
        body,
        at,
    })
}

/// A keep-alive HTTP/1.1 server on 127.0.0.1 that answers every request with
/// the same bytes and counts connections: one event loop (a current-thread
/// tokio runtime on its own thread), so it costs little and steadily. The
/// benchmarks measure the client, not this.
pub struct KeepAliveServer {
    pub addr: SocketAddr,
    connections: Arc<std::sync::atomic::AtomicUsize>,
}

impl KeepAliveServer {
    /// Answers every request with `status` and `body` as JSON.
    pub fn start(status: u16, body: &Value) -> KeepAliveServer {
        use tokio::io::AsyncWriteExt;

        let answer: Arc<[u8]> = json_answer(status, &body.to_string()).into();
        let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = Arc::clone(&connections);
        let addr = serve_keep_alive(move |mut stream| {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let answer = Arc::clone(&answer);
            async move {
                let _ = stream.set_nodelay(true);
                let mut buf = Vec::with_capacity(4096);
                loop {
                    let Some((_, length)) = read_one(&mut stream, &mut buf).await else {
                        return;
                    };
                    buf.drain(..length);
                    if stream.write_all(&answer).await.is_err() {
                        return;
                    }
                }
            }
        });
        KeepAliveServer { addr, connections }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// `status` with a JSON `body`, as a complete HTTP/1.1 answer.
pub fn json_answer(status: u16, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Listens on 127.0.0.1 and hands every connection to `serve`, each in its
/// own task, on one event loop (a current-thread tokio runtime on its own
/// thread), so that the server costs little and steadily.
fn serve_keep_alive<F, Fut>(serve: F) -> SocketAddr
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream));
            }
        });
    });
    addr
}

/// Reads one keep-alive request (the head, then content-length bytes) into
/// the front of `buf`: the head's length and the request's, or `None` when
/// the client closed the connection.
async fn read_one(stream: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) -> Option<(usize, usize)> {
    use tokio::io::AsyncReadExt;

    let (head_end, length) = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break (end + 4, content_length(&buf[..end]));
        }
        if stream.read_buf(buf).await.unwrap_or(0) == 0 {
            return None;
        }
    };
    while buf.len() < head_end + length {
        if stream.read_buf(buf).await.unwrap_or(0) == 0 {
            return None;
        }
    }
    Some((head_end, head_end + length))
}

fn content_length(head: &[u8]) -> usize {
    String::from_utf8_lossy(head)
        .split("\r\n")
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0)
}

/// Every object key in a JSON document, as a dotted path (`options.tls`,
/// `items[].id`), in the order the document writes them. `serde_json::Value`
/// sorts keys, so it cannot tell what order went over the wire.
pub fn key_paths(json: &[u8]) -> Vec<String> {
    use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

    struct Keys<'a> {
        prefix: String,
        out: &'a mut Vec<String>,
    }

    impl<'de> DeserializeSeed<'de> for Keys<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Keys<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<String>()? {
                let path = if self.prefix.is_empty() {
                    key
                } else {
                    format!("{}.{key}", self.prefix)
                };
                self.out.push(path.clone());
                map.next_value_seed(Keys {
                    prefix: path,
                    out: &mut *self.out,
                })?;
            }
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let prefix = format!("{}[]", self.prefix);
            while seq
                .next_element_seed(Keys {
                    prefix: prefix.clone(),
                    out: &mut *self.out,
                })?
                .is_some()
            {}
            Ok(())
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
    }

    let mut out = Vec::new();
    let mut reader = serde_json::Deserializer::from_slice(json);
    Keys {
        prefix: String::new(),
        out: &mut out,
    }
    .deserialize(&mut reader)
    .expect("JSON");
    out
}

/// The page's example body's keys, in the page's order (the fixture is the
/// page's curl body, copied as written).
pub fn page_key_paths() -> Vec<String> {
    key_paths(include_bytes!("../fixtures/update-backend.json"))
        .into_iter()
        .filter_map(|path| path.strip_prefix("body.").map(str::to_owned))
        .collect()
}

/// What [`ScriptedServer`] answers to one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The page's response, 200.
    Ok,
    /// This status with `{"message": "busy"}`, and `Retry-After` if given.
    Status(u16, Option<&'static str>),
}

/// A keep-alive HTTP/1.1 server on 127.0.0.1 (one event loop on its own
/// thread, like [`KeepAliveServer`]) that picks each answer with a closure,
/// given the request target and how many requests for that target came
/// before this one (0 for the first). Calls made with distinct path values
/// are therefore told apart, and the answer to each call's n-th attempt does
/// not depend on how concurrent calls interleave. Counts every request.
pub struct ScriptedServer {
    pub addr: SocketAddr,
    requests: Arc<std::sync::atomic::AtomicUsize>,
}

impl ScriptedServer {
    pub fn start(answer: impl Fn(&str, u32) -> Answer + Send + Sync + 'static) -> ScriptedServer {
        use std::{collections::HashMap, sync::atomic::Ordering};
        use tokio::io::AsyncWriteExt;

        let ok: Arc<[u8]> = json_answer(200, &golden().response.to_string()).into();
        let requests = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = Arc::clone(&requests);
        let answer = Arc::new(answer);
        let seen: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
        let addr = serve_keep_alive(move |mut stream| {
            let (ok, counter, answer, seen) = (
                Arc::clone(&ok),
                Arc::clone(&counter),
                Arc::clone(&answer),
                Arc::clone(&seen),
            );
            async move {
                let mut buf = Vec::with_capacity(4096);
                loop {
                    let Some((head_end, length)) = read_one(&mut stream, &mut buf).await else {
                        return;
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
                    buf.drain(..length);
                    let target = head.split(' ').nth(1).unwrap_or("").to_owned();
                    let nth = {
                        let mut seen = seen.lock().unwrap();
                        let count = seen.entry(target.clone()).or_insert(0);
                        *count += 1;
                        *count - 1
                    };
                    counter.fetch_add(1, Ordering::SeqCst);
                    let written = match answer(&target, nth) {
                        Answer::Ok => stream.write_all(&ok).await,
                        Answer::Status(status, retry_after) => {
                            let body = r#"{"message":"busy"}"#;
                            let extra = retry_after
                                .map(|v| format!("retry-after: {v}\r\n"))
                                .unwrap_or_default();
                            let bytes = format!(
                                "HTTP/1.1 {status} Busy\r\ncontent-type: application/json\r\n\
                                 content-length: {}\r\n{extra}\r\n{body}",
                                body.len()
                            );
                            stream.write_all(bytes.as_bytes()).await
                        }
                    };
                    if written.is_err() {
                        return;
                    }
                }
            }
        });
        ScriptedServer { addr, requests }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests received so far.
    pub fn requests(&self) -> usize {
        self.requests.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A seeded, deterministic "random" number in `[0, 1)` for `(seed, text, n)`
/// (SplitMix64 over an FNV-1a hash of the text): the same inputs always give
/// the same number, on every machine.
pub fn seeded_unit(seed: u64, text: &str, n: u32) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for byte in text.bytes().chain(n.to_le_bytes()) {
        h ^= u64::from(byte);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut z = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}
