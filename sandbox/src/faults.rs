//! Faults for testing retrying clients: error statuses, connection resets
//! and latency, drawn per request from a seeded generator.
//!
//! The spec is a comma-separated list, as given to `--faults`:
//! `503=0.1,429=0.05,reset=0.02,latency=20ms`.
//! - `STATUS=P`: answer STATUS (400 to 599) with probability P, with the
//!   spec's error body; a 429 carries `Retry-After`.
//! - `reset=P`: close the connection without an answer (TCP reset).
//! - `latency=D`: wait D (`20ms`, `1s`, `1.5s`) before answering every request.
//! - `retry-after=S`: the `Retry-After` seconds a fault 429 carries (default 1).
//!
//! One uniform draw per request picks at most one of the status and reset
//! faults, so their probabilities must add up to at most 1.

use std::{fmt, str::FromStr, time::Duration};

/// What a request gets instead of its normal answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// An error answer with this status.
    Status(u16),
    /// The connection is closed without an answer.
    Reset,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Status(status) => write!(f, "{status}"),
            Fault::Reset => f.write_str("reset"),
        }
    }
}

/// The fault settings (see the module docs for the text form).
#[derive(Clone, Debug, PartialEq)]
pub struct Faults {
    /// (status, probability), in the order given.
    pub statuses: Vec<(u16, f64)>,
    /// Probability of a connection reset.
    pub reset: f64,
    /// Added to every answer.
    pub latency: Duration,
    /// The `Retry-After` of a fault 429, in seconds.
    pub retry_after: u64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            statuses: Vec::new(),
            reset: 0.0,
            latency: Duration::ZERO,
            retry_after: 1,
        }
    }
}

impl Faults {
    /// No faults at all.
    pub fn none() -> Faults {
        Faults::default()
    }

    /// The fault for a uniform draw in `[0, 1)`, if any.
    pub fn pick(&self, draw: f64) -> Option<Fault> {
        let mut edge = 0.0;
        for &(status, p) in &self.statuses {
            edge += p;
            if draw < edge {
                return Some(Fault::Status(status));
            }
        }
        edge += self.reset;
        (draw < edge).then_some(Fault::Reset)
    }
}

impl FromStr for Faults {
    type Err = String;

    fn from_str(text: &str) -> Result<Faults, String> {
        let mut faults = Faults::default();
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| format!("fault {item:?} has no value: write KEY=VALUE"))?;
            let (key, value) = (key.trim(), value.trim());
            match key {
                "latency" => faults.latency = duration(value)?,
                "retry-after" => {
                    faults.retry_after = value.parse().map_err(|_| {
                        format!("retry-after {value:?} is not a whole number of seconds")
                    })?
                }
                "reset" => faults.reset = probability(key, value)?,
                _ => {
                    let status: u16 = key
                        .parse()
                        .ok()
                        .filter(|s| (400..=599).contains(s))
                        .ok_or_else(|| {
                            format!("fault {key:?} is not a status from 400 to 599, reset, latency or retry-after")
                        })?;
                    let p = probability(key, value)?;
                    faults.statuses.retain(|(s, _)| *s != status);
                    faults.statuses.push((status, p));
                }
            }
        }
        let total: f64 = faults.statuses.iter().map(|(_, p)| p).sum::<f64>() + faults.reset;
        if total > 1.0 + 1e-9 {
            return Err(format!(
                "fault probabilities add up to {total}, more than 1"
            ));
        }
        Ok(faults)
    }
}

impl fmt::Display for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = self
            .statuses
            .iter()
            .map(|(s, p)| format!("{s}={p}"))
            .collect();
        if self.reset > 0.0 {
            parts.push(format!("reset={}", self.reset));
        }
        if !self.latency.is_zero() {
            parts.push(format!("latency={}ms", self.latency.as_secs_f64() * 1000.0));
        }
        if self.retry_after != 1 {
            parts.push(format!("retry-after={}", self.retry_after));
        }
        f.write_str(&parts.join(","))
    }
}

fn probability(key: &str, value: &str) -> Result<f64, String> {
    value
        .parse::<f64>()
        .ok()
        .filter(|p| (0.0..=1.0).contains(p))
        .ok_or_else(|| format!("fault {key} probability {value:?} is not a number from 0 to 1"))
}

fn duration(value: &str) -> Result<Duration, String> {
    let (number, scale) = if let Some(n) = value.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = value.strip_suffix('s') {
        (n, 1.0)
    } else {
        return Err(format!(
            "latency {value:?} has no unit: write it like 20ms or 1.5s"
        ));
    };
    number
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0 && *n * scale <= 3600.0)
        .map(|n| Duration::from_secs_f64(n * scale))
        .ok_or_else(|| format!("latency {value:?} is not a duration from 0 to 3600s"))
}

/// SplitMix64 (Steele, Lea and Flood, 2014): the `index`-th output of the
/// generator seeded with `seed`, so request n's draws do not depend on how
/// requests interleave.
pub fn mix(seed: u64, index: u64) -> u64 {
    let mut z = seed.wrapping_add(index.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform draw in `[0, 1)` from [`mix`].
pub fn unit(seed: u64, index: u64) -> f64 {
    (mix(seed, index) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_example_parses_and_prints_back() {
        let faults: Faults = "503=0.1,429=0.05,reset=0.02,latency=20ms".parse().unwrap();
        assert_eq!(faults.statuses, vec![(503, 0.1), (429, 0.05)]);
        assert_eq!(faults.reset, 0.02);
        assert_eq!(faults.latency, Duration::from_millis(20));
        assert_eq!(
            faults.to_string(),
            "503=0.1,429=0.05,reset=0.02,latency=20ms"
        );
        assert_eq!(faults.to_string().parse::<Faults>().unwrap(), faults);
    }

    #[test]
    fn pick_splits_the_unit_interval_in_order() {
        let faults: Faults = "503=0.1,429=0.05,reset=0.02".parse().unwrap();
        assert_eq!(faults.pick(0.0), Some(Fault::Status(503)));
        assert_eq!(faults.pick(0.0999), Some(Fault::Status(503)));
        assert_eq!(faults.pick(0.1), Some(Fault::Status(429)));
        assert_eq!(faults.pick(0.1499), Some(Fault::Status(429)));
        assert_eq!(faults.pick(0.1501), Some(Fault::Reset));
        assert_eq!(faults.pick(0.1699), Some(Fault::Reset));
        assert_eq!(faults.pick(0.17), None);
        assert_eq!(Faults::none().pick(0.0), None);
    }

    #[test]
    fn bad_specs_name_the_key_and_value() {
        for (text, says) in [
            ("503", "fault \"503\" has no value"),
            ("200=0.1", "fault \"200\" is not a status from 400 to 599"),
            (
                "503=2",
                "fault 503 probability \"2\" is not a number from 0 to 1",
            ),
            ("reset=x", "fault reset probability \"x\""),
            ("latency=20", "latency \"20\" has no unit"),
            ("latency=-1s", "latency \"-1s\" is not a duration"),
            ("503=0.6,500=0.6", "add up to 1.2, more than 1"),
            ("retry-after=soon", "retry-after \"soon\""),
        ] {
            let error = text.parse::<Faults>().unwrap_err();
            assert!(error.contains(says), "{text}: {error}");
        }
    }

    #[test]
    fn draws_are_uniform_enough_and_reproducible() {
        let n = 100_000;
        let below: usize = (0..n).filter(|&i| unit(7, i) < 0.25).count();
        let rate = below as f64 / n as f64;
        assert!((rate - 0.25).abs() < 0.01, "rate {rate}");
        assert_eq!(unit(7, 3), unit(7, 3));
        assert_ne!(mix(7, 3), mix(8, 3));
    }
}
