//! Where things go: data on stdout, progress and errors on stderr. A closed
//! stdout (`| head`) ends output quietly; the work itself carries on.

use std::io::{self, Write};

use serde::Serialize;

use crate::args::Format;

/// Standard output that stops writing, without a word, once the reader has
/// gone away.
pub struct Out {
    sink: Box<dyn Write>,
    closed: bool,
}

impl Out {
    /// Standard output, buffered: what is written goes out at `flush`, or
    /// when the buffer fills.
    pub fn stdout() -> Out {
        Out {
            sink: Box::new(io::BufWriter::new(io::stdout())),
            closed: false,
        }
    }

    /// Writes `text` as is.
    pub fn write(&mut self, text: &str) {
        self.bytes(text.as_bytes());
    }

    /// Writes `bytes` as they are.
    pub fn bytes(&mut self, bytes: &[u8]) {
        if self.closed {
            return;
        }
        if let Err(e) = self.sink.write_all(bytes) {
            self.fail(&e);
        }
    }

    /// Writes `text` and a newline.
    pub fn line(&mut self, text: &str) {
        self.write(text);
        self.write("\n");
    }

    /// Writes a value as JSON or YAML (text means YAML here).
    pub fn value(&mut self, format: Format, value: &impl Serialize) {
        match format {
            Format::Json => {
                let text = serde_json::to_string_pretty(value).unwrap_or_default();
                self.line(&text);
            }
            Format::Text | Format::Yaml => {
                let text = serde_saphyr::to_string(value).unwrap_or_default();
                self.write(&text);
                if !text.ends_with('\n') {
                    self.write("\n");
                }
            }
        }
    }

    /// Writes one item of a list that is written as it grows: a JSON value
    /// on a line of its own (JSON Lines), or a YAML list item (the items
    /// together are one YAML list).
    pub fn item(&mut self, format: Format, value: &impl Serialize) {
        match format {
            Format::Json => {
                let text = serde_json::to_string(value).unwrap_or_default();
                self.line(&text);
            }
            Format::Text | Format::Yaml => {
                let text = serde_saphyr::to_string(&[value]).unwrap_or_default();
                self.write(&text);
            }
        }
    }

    pub fn flush(&mut self) {
        if !self.closed {
            if let Err(e) = self.sink.flush() {
                self.fail(&e);
            }
        }
    }

    fn fail(&mut self, error: &io::Error) {
        self.closed = true;
        if error.kind() != io::ErrorKind::BrokenPipe {
            err_line(&format!("error: cannot write to stdout: {error}"));
        }
    }
}

/// One line on stderr; a closed stderr is ignored.
pub fn err_line(text: &str) {
    let _ = writeln!(io::stderr(), "{text}");
}
