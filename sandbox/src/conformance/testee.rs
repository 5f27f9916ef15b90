//! The testee as a process: started without a shell, one JSON line written
//! to its stdin per case, one line read from its stdout within a time. Its
//! stderr is passed on to the driver's, token redacted.

use std::{
    io::{BufRead, BufReader, Write},
    process::{Child, ChildStdin, Command, ExitStatus, Stdio},
    sync::mpsc::{self, Receiver, RecvTimeoutError},
    thread,
    time::{Duration, Instant},
};

use serde_json::Value;

use super::redact;

/// What the testee said it is, in its first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hello {
    pub sdk: String,
    pub features: Vec<String>,
    /// The operations it can call; `None`: any.
    pub operations: Option<Vec<String>>,
}

/// Why no answer came.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Trouble {
    /// Its stdout closed: it exited (with this status, if known).
    Exited(String),
    /// Nothing within the time.
    Hung(Duration),
    /// Its stdin is closed.
    Gone(String),
}

impl std::fmt::Display for Trouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trouble::Exited(status) => write!(f, "the testee exited ({status}) without answering"),
            Trouble::Hung(time) => write!(
                f,
                "the testee gave no answer within {} s (stopped)",
                time.as_secs_f64()
            ),
            Trouble::Gone(why) => write!(f, "the testee does not read its stdin: {why}"),
        }
    }
}

pub(crate) struct Testee {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    pub hello: Hello,
}

impl Testee {
    /// Starts `words` and reads its `hello` line.
    pub fn start(words: &[String], timeout: Duration, token: &str) -> Result<Testee, String> {
        let (program, args) = words.split_first().ok_or("the command is empty")?;
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {program:?}: {e}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let (send, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let secret = token.to_owned();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("testee: {}", redact(&line, &secret));
            }
        });
        let mut testee = Testee {
            child,
            stdin,
            lines,
            hello: Hello {
                sdk: String::new(),
                features: Vec::new(),
                operations: None,
            },
        };
        let line = testee.read(timeout).map_err(|t| t.to_string())?;
        match hello(&line) {
            Ok(hello) => {
                testee.hello = hello;
                Ok(testee)
            }
            Err(why) => {
                testee.stop();
                Err(format!(
                    "its first line is not a hello ({why}): {}",
                    shorten(&redact(&line, token))
                ))
            }
        }
    }

    /// Writes one line and reads one back.
    pub fn ask(&mut self, message: &Value, timeout: Duration) -> Result<String, Trouble> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| Trouble::Gone("closed".to_owned()))?;
        let mut line = message.to_string();
        line.push('\n');
        if let Err(e) = stdin
            .write_all(line.as_bytes())
            .and_then(|()| stdin.flush())
        {
            // It may have died: report its exit if so.
            return Err(match self.exit_status(Duration::from_millis(500)) {
                Some(status) => Trouble::Exited(status.to_string()),
                None => Trouble::Gone(e.to_string()),
            });
        }
        self.read(timeout)
    }

    fn read(&mut self, timeout: Duration) -> Result<String, Trouble> {
        match self.lines.recv_timeout(timeout) {
            Ok(line) => Ok(line),
            Err(RecvTimeoutError::Timeout) => {
                self.kill();
                Err(Trouble::Hung(timeout))
            }
            Err(RecvTimeoutError::Disconnected) => {
                Err(Trouble::Exited(match self.exit_status(timeout) {
                    Some(status) => status.to_string(),
                    None => "its stdout closed, the process still runs".to_owned(),
                }))
            }
        }
    }

    fn exit_status(&mut self, within: Duration) -> Option<ExitStatus> {
        let until = Instant::now() + within;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= until {
                return None;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Closes its stdin (the protocol's end), waits a moment, then kills it.
    pub fn stop(mut self) {
        drop(self.stdin.take());
        if self.exit_status(Duration::from_secs(2)).is_none() {
            self.kill();
        }
    }
}

/// `{"hello": {"sdk": "...", "features": [...], "operations": [...]}}`.
pub(crate) fn hello(line: &str) -> Result<Hello, String> {
    let value: Value = serde_json::from_str(line).map_err(|_| "not JSON".to_owned())?;
    let hello = value.get("hello").ok_or("no \"hello\" key")?;
    let sdk = hello
        .get("sdk")
        .and_then(Value::as_str)
        .ok_or("hello.sdk is not a string")?;
    let strings = |key: &str| -> Result<Option<Vec<String>>, String> {
        match hello.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .map(Some)
                .ok_or_else(|| format!("hello.{key} is not a list of strings")),
            Some(_) => Err(format!("hello.{key} is not a list of strings")),
        }
    };
    Ok(Hello {
        sdk: sdk.to_owned(),
        features: strings("features")?.unwrap_or_default(),
        operations: strings("operations")?,
    })
}

/// At most 200 characters of a line, for a report.
pub(crate) fn shorten(line: &str) -> String {
    if line.chars().count() <= 200 {
        format!("{line:?}")
    } else {
        format!("{:?}…", line.chars().take(200).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hello_names_sdk_features_and_maybe_operations() {
        assert_eq!(
            hello(r#"{"hello": {"sdk": "py 1", "features": ["retries"], "operations": ["a"]}}"#),
            Ok(Hello {
                sdk: "py 1".into(),
                features: vec!["retries".into()],
                operations: Some(vec!["a".into()]),
            })
        );
        assert_eq!(
            hello(r#"{"hello": {"sdk": "x", "operations": null}}"#),
            Ok(Hello {
                sdk: "x".into(),
                features: vec![],
                operations: None,
            })
        );
        assert_eq!(hello("hi"), Err("not JSON".into()));
        assert_eq!(hello("{}"), Err("no \"hello\" key".into()));
        assert_eq!(
            hello(r#"{"hello": {"sdk": 1}}"#),
            Err("hello.sdk is not a string".into())
        );
        assert_eq!(
            hello(r#"{"hello": {"sdk": "x", "features": [1]}}"#),
            Err("hello.features is not a list of strings".into())
        );
        assert_eq!(
            hello(r#"{"hello": {"sdk": "x", "features": "retries"}}"#),
            Err("hello.features is not a list of strings".into())
        );
    }

    #[test]
    fn long_lines_are_shortened() {
        assert_eq!(shorten("ab\"c"), "\"ab\\\"c\"");
        let long = "x".repeat(201);
        assert_eq!(shorten(&long), format!("{:?}…", "x".repeat(200)));
        assert_eq!(shorten(&long[..200]), format!("{:?}", "x".repeat(200)));
    }
}
