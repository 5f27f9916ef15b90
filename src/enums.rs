//! The spec's string enums, as open Rust enums.
//!
//! Each enum has a variant per value in `openapi.yaml` and an `Unknown`
//! variant that keeps, verbatim, a value this version of the crate does not
//! know. A response carrying a value the API added later therefore still
//! parses, and sending that `Backend` back sends the value unchanged. typify
//! generates closed enums only, so the generator (`build/`) swaps these in.
//!
//! The macro is hand-written; the list of enums and their values is not:
//! the generator (`build/`) writes it from the spec, so the spec stays the single source of
//! truth and a value removed from it removes its variant (a breaking change
//! `cargo semver-checks` reports).

use std::{fmt, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version of the crate does not know, kept as
            /// received so that it is sent back unchanged.
            Unknown(String),
        }

        impl $name {
            /// The wire values this version knows, in the spec's order.
            pub const KNOWN: &'static [&'static str] = &[$($wire),+];

            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::Unknown(other) => other,
                }
            }

            /// Whether this is a value this version of the crate knows.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $( $wire => Self::$variant, )+
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                match Self::from(value.as_str()) {
                    Self::Unknown(_) => Self::Unknown(value),
                    known => known,
                }
            }
        }

        impl FromStr for $name {
            type Err = std::convert::Infallible;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(Self::from)
            }
        }
    };
}

// One `open_enum!` per string enum in `openapi.yaml`, written by the generator (`build/`)
// from the spec's values (`x-enum-varnames` and `x-enum-descriptions` name
// and document the variants).
include!(concat!(env!("OUT_DIR"), "/enums.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_round_trip_through_their_variants() {
        for wire in BalancingMethod::KNOWN {
            let value: BalancingMethod = serde_json::from_value(serde_json::json!(wire)).unwrap();
            assert!(value.is_known(), "{wire} parsed as unknown");
            assert_eq!(
                serde_json::to_value(&value).unwrap(),
                serde_json::json!(wire)
            );
        }
    }

    #[test]
    fn unknown_values_are_kept_verbatim() {
        let value: Mode = serde_json::from_value(serde_json::json!("quic")).unwrap();
        assert_eq!(value, Mode::Unknown("quic".into()));
        assert_eq!(
            serde_json::to_value(&value).unwrap(),
            serde_json::json!("quic")
        );
    }

    #[test]
    fn non_strings_are_refused() {
        assert!(serde_json::from_value::<Mode>(serde_json::json!(1)).is_err());
    }
}
