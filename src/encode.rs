//! Request URLs written in place, for the generated `*_request` functions.
//!
//! progenitor builds each URL with `format!` and `encode_path(&value.to_string())`
//! per path value: three allocations and a formatting pass per call. The
//! generator (`build/generator/split.rs`) rewrites that one statement into
//! pushes onto one `String`: [`push`] for the base URL and [`push_path_value`]
//! for each path value, percent-encoded exactly as `encode_path` does (one
//! path segment each), without its allocation when there is nothing to
//! encode, which is the usual case.

use std::fmt::{self, Write};

/// Appends `value` as it displays.
pub(crate) fn push(url: &mut String, value: &(impl fmt::Display + ?Sized)) {
    let _ = write!(url, "{value}");
}

/// Appends `value` as it displays, percent-encoded exactly as progenitor's
/// `encode_path` encodes it.
pub(crate) fn push_path_value(url: &mut String, value: &(impl fmt::Display + ?Sized)) {
    let _ = write!(Encoding(url), "{value}");
}

/// Writes what it is given percent-encoded: as it is when nothing needs
/// encoding, else through `encode_path` (which encodes byte by byte, so a
/// value written in pieces is encoded as the whole would be).
struct Encoding<'a>(&'a mut String);

impl fmt::Write for Encoding<'_> {
    fn write_str(&mut self, piece: &str) -> fmt::Result {
        if piece.bytes().all(|b| AS_IS[usize::from(b)]) {
            self.0.push_str(piece);
        } else {
            self.0.push_str(&progenitor_client::encode_path(piece));
        }
        Ok(())
    }
}

/// The bytes `encode_path` leaves as they are: printable ASCII but
/// `"#<>?`{}/%`, one lookup per byte.
static AS_IS: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = byte.is_ascii_graphic()
            && !matches!(
                byte,
                b'"' | b'#' | b'<' | b'>' | b'?' | b'`' | b'{' | b'}' | b'/' | b'%'
            );
        b += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    /// The table marks as-is exactly the bytes progenitor's encoder leaves
    /// as they are (every byte from 0x80 up belongs to a character that is
    /// encoded), so the shortcut is taken whenever it can be.
    #[test]
    fn the_as_is_table_is_the_encoder_s_own_set() {
        for b in 0u8..=0x7f {
            let text = char::from(b).to_string();
            let unchanged = progenitor_client::encode_path(&text) == text;
            assert_eq!(AS_IS[usize::from(b)], unchanged, "byte {b:#04x}");
        }
        assert!(AS_IS[0x80..].iter().all(|as_is| !as_is));
    }

    /// Path values come out as progenitor's encoder makes them, for every
    /// byte that can appear, whatever their type.
    #[test]
    fn path_values_are_encoded_as_progenitor_encodes_them() {
        let mut values: Vec<String> = (0u8..=0x7f).map(|b| format!("a{}b", b as char)).collect();
        values.extend(
            [
                "42",
                "my-backend",
                "",
                "é",
                "a b",
                "..",
                "x/y",
                "%41",
                "ü/€",
                "/?#",
            ]
            .map(String::from),
        );
        // Values made only of characters to encode, one each.
        values.extend(r#"" # % / < > ? ` { }"#.split(' ').map(String::from));
        for value in values {
            let mut url = String::from("base/");
            push_path_value(&mut url, value.as_str());
            assert_eq!(
                url,
                format!("base/{}", progenitor_client::encode_path(&value)),
                "{value:?}"
            );
        }
        let mut url = String::new();
        push_path_value(&mut url, &-42i64);
        push(&mut url, "/x y");
        assert_eq!(url, "-42/x y");
    }

    /// A value that displays in pieces is encoded as the whole would be.
    #[test]
    fn a_value_written_in_pieces_is_encoded_whole() {
        struct Pieces;
        impl fmt::Display for Pieces {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a b/")?;
                f.write_str("é?")
            }
        }
        let mut url = String::new();
        push_path_value(&mut url, &Pieces);
        assert_eq!(url, progenitor_client::encode_path("a b/é?"));
    }
}
