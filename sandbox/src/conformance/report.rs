//! What a run found: one result per vector, the lines printed for each,
//! the closing counts, the coverage table per requirement, and JUnit XML.

use std::{collections::BTreeMap, fmt::Write as _, time::Duration};

use super::lists::Requirement;

/// How one case ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// The testee's answer and the wire verdict both agree with the vector.
    Passed,
    /// They do not; each problem named. `testee` is true when the testee
    /// itself failed (crashed, hung, broke the protocol).
    Failed {
        /// What differed, or what went wrong.
        problems: Vec<String>,
        /// The testee crashed, hung or broke the protocol.
        testee: bool,
    },
    /// Failed, and listed as expected to fail for this reason.
    ExpectedFailure {
        /// The reason the expected-failures file gives.
        reason: String,
        /// What differed.
        problems: Vec<String>,
    },
    /// Listed as expected to fail, but passed.
    UnexpectedlyPassed {
        /// The reason the expected-failures file gives.
        reason: String,
    },
    /// Needs what the testee does not implement (features, an operation).
    NotApplicable(String),
    /// Left out by `--only` or `--skip`.
    Skipped,
}

/// One vector's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    /// The vector's id.
    pub id: String,
    /// Its category.
    pub category: String,
    /// The requirements it covers.
    pub requirements: Vec<String>,
    /// How it ended.
    pub status: Status,
    /// How long it took (zero when not run).
    pub elapsed: Duration,
}

impl CaseResult {
    /// The line printed for it.
    pub fn line(&self) -> String {
        let id = &self.id;
        match &self.status {
            Status::Passed => format!("pass   {id}"),
            Status::Failed { problems, .. } => format!("FAIL   {id}: {}", problems.join("; ")),
            Status::ExpectedFailure { reason, problems } => format!(
                "xfail  {id}: {} (expected: {})",
                problems.join("; "),
                or_none(reason)
            ),
            Status::UnexpectedlyPassed { reason } => format!(
                "XPASS  {id}: unexpectedly passed (listed as expected to fail: {})",
                or_none(reason)
            ),
            Status::NotApplicable(why) => format!("n/a    {id}: {why}"),
            Status::Skipped => format!("skip   {id}"),
        }
    }

    /// Did the SDK behave as the vector says (whatever was expected)?
    fn behaved(&self) -> Option<bool> {
        match self.status {
            Status::Passed | Status::UnexpectedlyPassed { .. } => Some(true),
            Status::Failed { .. } | Status::ExpectedFailure { .. } => Some(false),
            Status::NotApplicable(_) | Status::Skipped => None,
        }
    }
}

fn or_none(reason: &str) -> &str {
    if reason.is_empty() {
        "no reason given"
    } else {
        reason
    }
}

/// A run's results, in the order the cases ran.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// What the testee's hello said it is.
    pub sdk: String,
    /// The features it said it implements.
    pub features: Vec<String>,
    /// One per vector.
    pub results: Vec<CaseResult>,
}

/// The counts of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Passed.
    pub passed: usize,
    /// Failed, not listed as expected.
    pub failed: usize,
    /// Failed, as listed.
    pub expected_failures: usize,
    /// Listed as expected to fail, but passed.
    pub unexpectedly_passed: usize,
    /// Not applicable to the testee.
    pub not_applicable: usize,
    /// Left out by `--only` / `--skip`.
    pub skipped: usize,
}

impl Summary {
    /// How many of each.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for r in &self.results {
            match r.status {
                Status::Passed => c.passed += 1,
                Status::Failed { .. } => c.failed += 1,
                Status::ExpectedFailure { .. } => c.expected_failures += 1,
                Status::UnexpectedlyPassed { .. } => c.unexpectedly_passed += 1,
                Status::NotApplicable(_) => c.not_applicable += 1,
                Status::Skipped => c.skipped += 1,
            }
        }
        c
    }

    /// True when every result is as expected: nothing failed that is not
    /// listed, nothing listed passed.
    pub fn as_expected(&self) -> bool {
        let c = self.counts();
        c.failed == 0 && c.unexpectedly_passed == 0
    }

    /// The closing line: `N passed, M failed, ...`.
    pub fn closing_line(&self) -> String {
        let c = self.counts();
        format!(
            "{} passed, {} failed, {} expected failures, {} unexpectedly passed, {} not applicable, {} skipped",
            c.passed, c.failed, c.expected_failures, c.unexpectedly_passed, c.not_applicable, c.skipped
        )
    }

    /// Per requirement: vectors, passed, failed, not run (not applicable or
    /// skipped). "Passed" is the SDK's behaviour: an unexpected pass counts,
    /// an expected failure does not.
    pub fn coverage(&self, requirements: &[Requirement]) -> String {
        let mut rows: BTreeMap<&str, [usize; 4]> = BTreeMap::new();
        for r in &self.results {
            for id in &r.requirements {
                let row = rows.entry(id.as_str()).or_default();
                row[0] += 1;
                match r.behaved() {
                    Some(true) => row[1] += 1,
                    Some(false) => row[2] += 1,
                    None => row[3] += 1,
                }
            }
        }
        let width = requirements
            .iter()
            .map(|r| r.id.len() + 1 + r.name.len())
            .max()
            .unwrap_or(0)
            .max(11);
        let mut out = format!(
            "{:<width$}  vectors  passed  failed  not run\n",
            "requirement"
        );
        for requirement in requirements {
            let [all, passed, failed, not_run] = rows
                .get(requirement.id.as_str())
                .copied()
                .unwrap_or_default();
            let label = format!("{} {}", requirement.id, requirement.name);
            let _ = writeln!(
                out,
                "{label:<width$}  {all:>7}  {passed:>6}  {failed:>6}  {not_run:>7}"
            );
        }
        out
    }

    /// The run as JUnit XML: one `testsuite` named after the SDK, one
    /// `testcase` per vector (`classname` is its category). Failures are
    /// `failure`, a testee that crashed, hung or broke the protocol
    /// `error`, expected failures, not applicable and skipped cases
    /// `skipped` with the reason.
    pub fn junit(&self) -> String {
        let c = self.counts();
        let errors = self
            .results
            .iter()
            .filter(|r| matches!(r.status, Status::Failed { testee: true, .. }))
            .count();
        let failures = c.failed + c.unexpectedly_passed - errors;
        let skipped = c.expected_failures + c.not_applicable + c.skipped;
        let time: f64 = self.results.iter().map(|r| r.elapsed.as_secs_f64()).sum();
        let tests = self.results.len();
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let counts = format!(
            "tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{time:.3}\""
        );
        let _ = writeln!(out, "<testsuites name=\"openscaler conformance\" {counts}>");
        let _ = writeln!(out, "  <testsuite name=\"{}\" {counts}>", escape(&self.sdk));
        let _ = writeln!(
            out,
            "    <properties><property name=\"features\" value=\"{}\"/></properties>",
            escape(&self.features.join(","))
        );
        for r in &self.results {
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"conformance.{}\" time=\"{:.3}\"",
                escape(&r.id),
                escape(&r.category),
                r.elapsed.as_secs_f64()
            );
            let body = match &r.status {
                Status::Passed => None,
                Status::Failed { problems, testee } => Some(element(
                    if *testee { "error" } else { "failure" },
                    &problems.join("; "),
                    &problems.join("\n"),
                )),
                Status::UnexpectedlyPassed { reason } => Some(element(
                    "failure",
                    &format!(
                        "unexpectedly passed (listed as expected to fail: {})",
                        or_none(reason)
                    ),
                    "",
                )),
                Status::ExpectedFailure { reason, problems } => Some(element(
                    "skipped",
                    &format!("expected failure: {}", or_none(reason)),
                    &problems.join("\n"),
                )),
                Status::NotApplicable(why) => {
                    Some(element("skipped", &format!("not applicable: {why}"), ""))
                }
                Status::Skipped => Some(element("skipped", "left out by --only/--skip", "")),
            };
            match body {
                None => out.push_str("/>\n"),
                Some(body) => {
                    let _ = write!(out, ">\n      {body}\n    </testcase>\n");
                }
            }
        }
        out.push_str("  </testsuite>\n</testsuites>\n");
        out
    }
}

fn element(name: &str, message: &str, text: &str) -> String {
    if text.is_empty() {
        format!("<{name} message=\"{}\"/>", escape(message))
    } else {
        format!(
            "<{name} message=\"{}\">{}</{name}>",
            escape(message),
            escape(text)
        )
    }
}

/// Text for XML content or a quoted attribute; characters XML 1.0 cannot
/// carry at all become U+FFFD.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, requirements: &[&str], status: Status) -> CaseResult {
        CaseResult {
            id: id.to_owned(),
            category: "c".to_owned(),
            requirements: requirements.iter().map(|r| (*r).to_owned()).collect(),
            status,
            elapsed: Duration::from_millis(1500),
        }
    }

    fn failed(problem: &str, testee: bool) -> Status {
        Status::Failed {
            problems: vec![problem.to_owned(), "two".to_owned()],
            testee,
        }
    }

    fn summary() -> Summary {
        Summary {
            sdk: "py <1>".into(),
            features: vec!["retries".into(), "validation".into()],
            results: vec![
                result("a", &["R1", "R2"], Status::Passed),
                result("b", &["R1"], failed("x", false)),
                result("c", &["R2"], failed("crashed", true)),
                result(
                    "d",
                    &["R1"],
                    Status::ExpectedFailure {
                        reason: "closes enums".into(),
                        problems: vec!["p".into()],
                    },
                ),
                result(
                    "e",
                    &["R2"],
                    Status::UnexpectedlyPassed {
                        reason: String::new(),
                    },
                ),
                result("f", &["R1"], Status::NotApplicable("needs retries".into())),
                result("g", &["R1"], Status::Skipped),
            ],
        }
    }

    #[test]
    fn each_status_has_its_line() {
        let lines: Vec<String> = summary().results.iter().map(CaseResult::line).collect();
        assert_eq!(
            lines,
            [
                "pass   a",
                "FAIL   b: x; two",
                "FAIL   c: crashed; two",
                "xfail  d: p (expected: closes enums)",
                "XPASS  e: unexpectedly passed (listed as expected to fail: no reason given)",
                "n/a    f: needs retries",
                "skip   g",
            ]
        );
    }

    #[test]
    fn counts_and_the_closing_line() {
        let s = summary();
        assert_eq!(
            s.counts(),
            Counts {
                passed: 1,
                failed: 2,
                expected_failures: 1,
                unexpectedly_passed: 1,
                not_applicable: 1,
                skipped: 1
            }
        );
        assert_eq!(
            s.closing_line(),
            "1 passed, 2 failed, 1 expected failures, 1 unexpectedly passed, 1 not applicable, 1 skipped"
        );
        assert!(!s.as_expected());
        let keep = |ids: &str| Summary {
            results: s
                .results
                .iter()
                .filter(|r| ids.contains(r.id.as_str()))
                .cloned()
                .collect(),
            ..Summary::default()
        };
        assert!(keep("adfg").as_expected());
        assert!(!keep("ab").as_expected());
        assert!(!keep("ae").as_expected());
        assert!(Summary::default().as_expected());
    }

    #[test]
    fn coverage_counts_behaviour_per_requirement() {
        let requirements = vec![
            Requirement {
                id: "R1".into(),
                name: "wire body".into(),
                feature: None,
                text: String::new(),
            },
            Requirement {
                id: "R2".into(),
                name: "b".into(),
                feature: None,
                text: String::new(),
            },
            Requirement {
                id: "R3".into(),
                name: "none".into(),
                feature: None,
                text: String::new(),
            },
        ];
        assert_eq!(
            summary().coverage(&requirements),
            "requirement   vectors  passed  failed  not run\n\
             R1 wire body        5       1       2        2\n\
             R2 b                3       2       1        0\n\
             R3 none             0       0       0        0\n"
        );
    }

    #[test]
    fn junit_counts_and_escapes() {
        let xml = summary().junit();
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"openscaler conformance\" tests=\"7\" failures=\"2\" errors=\"1\" skipped=\"3\" time=\"10.500\">\n  <testsuite name=\"py &lt;1&gt;\" "), "{xml}");
        assert!(xml.contains("<property name=\"features\" value=\"retries,validation\"/>"));
        assert!(xml.contains("<testcase name=\"a\" classname=\"conformance.c\" time=\"1.500\"/>"));
        assert!(xml.contains("<failure message=\"x; two\">x&#10;two</failure>"));
        assert!(xml.contains("<error message=\"crashed; two\">crashed&#10;two</error>"));
        assert!(xml.contains("<skipped message=\"expected failure: closes enums\">p</skipped>"));
        assert!(xml.contains("<failure message=\"unexpectedly passed (listed as expected to fail: no reason given)\"/>"));
        assert!(xml.contains("<skipped message=\"not applicable: needs retries\"/>"));
        assert!(xml.contains("<skipped message=\"left out by --only/--skip\"/>"));
        assert!(xml.ends_with("  </testsuite>\n</testsuites>\n"));
        assert_eq!(
            escape("a&<>\"'\n\t\r\u{1}\u{FFFE}\u{FFFF}é"),
            "a&amp;&lt;&gt;&quot;&apos;&#10;\t\r\u{FFFD}\u{FFFD}\u{FFFD}é"
        );
    }
}
