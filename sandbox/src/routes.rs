//! Request paths matched against the spec's path templates, segment by
//! segment: a literal segment must equal the template's (once
//! percent-decoded), a `{param}` segment takes any raw value; where two
//! templates match, the one whose literal segments come first wins
//! (`/v1/lbs/search` over `/v1/lbs/{lb_id}`), as OpenAPI asks. Percent
//! escapes are decoded strictly: `%` must be followed by two hex digits.

use percent_encoding::percent_decode_str;

use crate::spec::{Segment, Spec};

/// The outcome of matching a raw path.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Found<'a> {
    /// The path at this index of the spec, with each parameter's raw value.
    Path(usize, Vec<(&'a str, &'a str)>),
    /// No template matches.
    Unknown,
}

/// Finds the template that `raw` (the request's path, still encoded) matches.
pub(crate) fn find<'a>(spec: &'a Spec, raw: &'a str) -> Found<'a> {
    let segments: Vec<&str> = match raw.strip_prefix('/') {
        Some(rest) => rest.split('/').collect(),
        None => return Found::Unknown,
    };
    let mut best: Option<(usize, Vec<bool>)> = None;
    for (index, path) in spec.paths.iter().enumerate() {
        if path.segments.len() != segments.len() {
            continue;
        }
        let mut rank = Vec::with_capacity(segments.len());
        let matches = path
            .segments
            .iter()
            .zip(&segments)
            .all(|(want, got)| match want {
                Segment::Literal(literal) => {
                    rank.push(true);
                    if got.contains('%') {
                        decode(got).is_ok_and(|d| d == *literal)
                    } else {
                        got == literal
                    }
                }
                Segment::Param(_) => {
                    rank.push(false);
                    true
                }
            });
        if matches && best.as_ref().is_none_or(|(_, r)| rank > *r) {
            best = Some((index, rank));
        }
    }
    match best {
        None => Found::Unknown,
        Some((index, _)) => {
            let values = spec.paths[index]
                .segments
                .iter()
                .zip(segments)
                .filter_map(|(want, got)| match want {
                    Segment::Param(name) => Some((name.as_str(), got)),
                    Segment::Literal(_) => None,
                })
                .collect();
            Found::Path(index, values)
        }
    }
}

/// Why a percent-encoded text does not decode.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Undecodable {
    /// A `%` not followed by two hex digits, at this byte.
    Malformed(usize),
    /// The bytes are not UTF-8.
    NotUtf8,
}

/// Percent-decodes `raw` strictly.
pub(crate) fn decode(raw: &str) -> Result<String, Undecodable> {
    let bytes = raw.as_bytes();
    let mut at = 0;
    while let Some(offset) = bytes[at..].iter().position(|&b| b == b'%') {
        let start = at + offset;
        let hex = bytes.get(start + 1..start + 3);
        if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
            return Err(Undecodable::Malformed(start));
        }
        at = start + 3;
    }
    percent_decode_str(raw)
        .decode_utf8()
        .map(|d| d.into_owned())
        .map_err(|_| Undecodable::NotUtf8)
}

/// The first malformed escape of a path, for the message when no template
/// matched.
pub(crate) fn malformed(raw: &str) -> Option<usize> {
    match decode(raw) {
        Err(Undecodable::Malformed(at)) => Some(at),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_decode_strictly() {
        assert_eq!(decode("50%25").unwrap(), "50%");
        assert_eq!(decode("%252F").unwrap(), "%2F");
        assert_eq!(decode("a%20b%C3%A9").unwrap(), "a bé");
        assert_eq!(decode("%FF"), Err(Undecodable::NotUtf8));
        assert_eq!(decode("%G1"), Err(Undecodable::Malformed(0)));
        assert_eq!(decode("ab%"), Err(Undecodable::Malformed(2)));
        assert_eq!(decode("a%2"), Err(Undecodable::Malformed(1)));
        assert_eq!(decode("%2F%2"), Err(Undecodable::Malformed(3)));
        assert_eq!(malformed("/x/%zz"), Some(3));
        assert_eq!(malformed("/x/%FF"), None);
    }

    #[test]
    fn templates_match_segment_by_segment_literals_first() {
        let spec = Spec::parse(
            "paths:\n  /v1/lbs/{lb_id}: {get: {}}\n  /v1/lbs/search: {get: {}}\n  /v1/lbs/{lb_id}/backends/{backend_name}: {put: {}}\n",
        )
        .unwrap();
        assert_eq!(
            find(&spec, "/v1/lbs/42"),
            Found::Path(0, vec![("lb_id", "42")])
        );
        assert_eq!(find(&spec, "/v1/lbs/search"), Found::Path(1, vec![]));
        assert_eq!(find(&spec, "/v1/lbs/s%65arch"), Found::Path(1, vec![]));
        assert_eq!(
            find(&spec, "/v1/lbs/4%2F2/backends/%252F"),
            Found::Path(2, vec![("lb_id", "4%2F2"), ("backend_name", "%252F")])
        );
        assert_eq!(
            find(&spec, "/v1/lbs//backends/b"),
            Found::Path(2, vec![("lb_id", ""), ("backend_name", "b")])
        );
        // Two templates of the same shape: the first in the spec wins.
        let twins = Spec::parse("paths:\n  /t/{a}: {get: {}}\n  /t/{b}: {put: {}}\n").unwrap();
        assert_eq!(find(&twins, "/t/1"), Found::Path(0, vec![("a", "1")]));
        for unknown in [
            "/v1/lbs/42/backends/b/",
            "/v1/lbs/42/b",
            "/v2/lbs/42",
            "",
            "v1/lbs/42",
            "/v1/l%G1s/42",
        ] {
            assert_eq!(find(&spec, unknown), Found::Unknown, "{unknown}");
        }
    }
}
