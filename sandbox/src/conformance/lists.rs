//! The driver's lists: the requirements table of
//! `tests/vectors/REQUIREMENTS.md` (embedded), an `--expected-failures`
//! file, and the testee command split into words.

use std::collections::BTreeMap;

/// `tests/vectors/REQUIREMENTS.md`, as built in.
pub(crate) const REQUIREMENTS_MD: &str = include_str!("../../../tests/vectors/REQUIREMENTS.md");

/// One row of the requirements table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// `R1`, `R2`, ...
    pub id: String,
    /// A few words: `wire body`, `retry 408`.
    pub name: String,
    /// The testee feature it needs (`retries`), or none.
    pub feature: Option<String>,
    /// The requirement in full.
    pub text: String,
}

/// The rows `| R<n> | name | feature | text |` of a requirements table, in
/// order; other lines are prose.
pub fn requirements(markdown: &str) -> Vec<Requirement> {
    markdown
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line
                .trim()
                .strip_prefix('|')?
                .strip_suffix('|')?
                .split('|')
                .map(str::trim)
                .collect();
            let [id, name, feature, text] = cells.as_slice() else {
                return None;
            };
            let number = id.strip_prefix('R')?;
            if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            Some(Requirement {
                id: (*id).to_owned(),
                name: (*name).to_owned(),
                feature: (!feature.is_empty()).then(|| (*feature).to_owned()),
                text: (*text).to_owned(),
            })
        })
        .collect()
}

/// The built-in requirements table.
pub fn builtin_requirements() -> Vec<Requirement> {
    requirements(REQUIREMENTS_MD)
}

/// An `--expected-failures` file: one vector id per line, with its reason in
/// a `#` comment on the same line or on the comment lines just above.
/// Returns each id with its reason (empty when none is given).
pub(crate) fn expected_failures(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    let mut comment: Vec<&str> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let (entry, inline) = match line.split_once('#') {
            Some((entry, why)) => (entry.trim(), Some(why.trim())),
            None => (line.trim(), None),
        };
        if entry.is_empty() {
            match inline {
                Some(why) => comment.push(why),
                None => comment.clear(),
            }
            continue;
        }
        if entry.contains(char::is_whitespace) {
            return Err(format!(
                "line {}: {entry:?} is not one vector id",
                number + 1
            ));
        }
        let reason = match inline {
            Some(why) if !why.is_empty() => why.to_owned(),
            _ => comment.join(" "),
        };
        comment.clear();
        if out.insert(entry.to_owned(), reason).is_some() {
            return Err(format!("line {}: {entry} is listed twice", number + 1));
        }
    }
    Ok(out)
}

/// A command line split into words as a POSIX shell would for plain
/// words, `'...'`, `"..."` and `\`; no variables, globs or pipes.
pub(crate) fn words(command: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => out.extend(word.take()),
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => w.push(c),
                        None => return Err("a ' is not closed".to_owned()),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\')) => w.push(c),
                            Some(c) => {
                                w.push('\\');
                                w.push(c);
                            }
                            None => return Err("a \" is not closed".to_owned()),
                        },
                        Some(c) => w.push(c),
                        None => return Err("a \" is not closed".to_owned()),
                    }
                }
            }
            '\\' => match chars.next() {
                Some(c) => word.get_or_insert_with(String::new).push(c),
                None => return Err("a \\ ends the command".to_owned()),
            },
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    out.extend(word);
    if out.is_empty() {
        return Err("the command is empty".to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_rows_are_read_and_prose_is_not() {
        let rows = requirements(
            "# Title\n| id | name | feature | requirement |\n| --- | --- | --- | --- |\n\
             | R1 | wire body | | The body. |\n|R12|retry 429|retries|A 429 is retried.|\n\
             | Rx | not | a | row |\n| R | no | number | here |\n| R3 | too | few |\ntext | R4 |\n",
        );
        assert_eq!(
            rows,
            [
                Requirement {
                    id: "R1".into(),
                    name: "wire body".into(),
                    feature: None,
                    text: "The body.".into()
                },
                Requirement {
                    id: "R12".into(),
                    name: "retry 429".into(),
                    feature: Some("retries".into()),
                    text: "A 429 is retried.".into()
                },
            ]
        );
    }

    #[test]
    fn the_builtin_table_is_numbered_in_order() {
        let rows = builtin_requirements();
        assert!(rows.len() >= 20, "{}", rows.len());
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(row.id, format!("R{}", i + 1));
        }
    }

    #[test]
    fn expected_failures_keep_their_reasons() {
        let list = expected_failures(
            "# header, then a blank line\n\n# closes enums:\n# a value it does not list\nenum-x\n\
             forward-y   # drops unknown fields\n\nbare\n",
        )
        .unwrap();
        assert_eq!(
            list.into_iter().collect::<Vec<_>>(),
            [
                ("bare".to_owned(), String::new()),
                (
                    "enum-x".to_owned(),
                    "closes enums: a value it does not list".to_owned()
                ),
                ("forward-y".to_owned(), "drops unknown fields".to_owned()),
            ]
        );
        assert_eq!(
            expected_failures("a\n# b\na\n").unwrap_err(),
            "line 3: a is listed twice"
        );
        assert_eq!(
            expected_failures("a b # two\n").unwrap_err(),
            "line 1: \"a b\" is not one vector id"
        );
    }

    #[test]
    fn commands_split_like_a_shell() {
        assert_eq!(
            words("python3  'my dir/t.py' \"a \\\"b\\\" \\c\" x\\ y ''").unwrap(),
            ["python3", "my dir/t.py", "a \"b\" \\c", "x y", ""]
        );
        assert_eq!(words("  ").unwrap_err(), "the command is empty");
        assert_eq!(words("a 'b").unwrap_err(), "a ' is not closed");
        assert_eq!(words("a \"b").unwrap_err(), "a \" is not closed");
        assert_eq!(words("a \"b\\").unwrap_err(), "a \" is not closed");
        assert_eq!(words("a \\").unwrap_err(), "a \\ ends the command");
    }
}
