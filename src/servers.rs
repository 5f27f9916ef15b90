//! [`Servers`]: the `oneOf` of server sets, as a Rust enum.

use serde::{de::Error as _, ser::SerializeMap, Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// The servers behind a backend (`servers`): OpenScaler computers by id, or
/// IP addresses.
///
/// On the wire this is an object whose `type` says which:
/// `{"type": "computer", "computer_ids": ["23", "24"]}` or
/// `{"type": "ip", "ips": ["10.0.0.5", "2001:db8::5"]}`.
///
/// The `ip` form is not on the vendor's page, which shows only `computer` and
/// says the field is "object | object"; it is this crate's model of the second
/// object (see `openapi.yaml`).
///
/// Fields this version does not know are kept in `extra` and sent back
/// unchanged, so reading a backend and sending it again loses nothing. Make
/// values with [`Servers::computers`] and [`Servers::ips`]; match with `..`.
///
/// # Examples
///
/// ```
/// use openscaler::Servers;
///
/// let servers = Servers::computers(["23", "24"]);
/// assert_eq!(
///     serde_json::to_value(&servers)?,
///     serde_json::json!({"type": "computer", "computer_ids": ["23", "24"]}),
/// );
///
/// let servers = Servers::ips(["10.0.0.5", "2001:db8::5"]);
/// assert!(matches!(servers, Servers::Ip { ref ips, .. } if ips.len() == 2));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Servers {
    /// `"type": "computer"`: OpenScaler computers, by id.
    #[non_exhaustive]
    Computer {
        /// Ids of the computers; non-empty, no repeats.
        computer_ids: Vec<String>,
        /// Fields this version does not know, as received.
        extra: Map<String, Value>,
    },
    /// `"type": "ip"`: servers by IPv4 or IPv6 address.
    #[non_exhaustive]
    Ip {
        /// The addresses, as text; non-empty, no repeats.
        ips: Vec<String>,
        /// Fields this version does not know, as received.
        extra: Map<String, Value>,
    },
    /// A `type` this version of the crate does not know: the whole object as
    /// received, sent back unchanged.
    Unknown(Map<String, Value>),
}

impl Servers {
    /// OpenScaler computers, by id.
    pub fn computers<I, S>(ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Servers::Computer {
            computer_ids: ids.into_iter().map(Into::into).collect(),
            extra: Map::new(),
        }
    }

    /// Servers by IP address; takes text or [`std::net::IpAddr`] values.
    pub fn ips<I, A>(addresses: I) -> Self
    where
        I: IntoIterator<Item = A>,
        A: ToString,
    {
        Servers::Ip {
            ips: addresses.into_iter().map(|a| a.to_string()).collect(),
            extra: Map::new(),
        }
    }

    /// The wire value of `type`.
    pub fn type_name(&self) -> &str {
        match self {
            Servers::Computer { .. } => "computer",
            Servers::Ip { .. } => "ip",
            Servers::Unknown(object) => object.get("type").and_then(Value::as_str).unwrap_or(""),
        }
    }
}

impl Serialize for Servers {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (field, list, extra) = match self {
            Servers::Computer {
                computer_ids,
                extra,
            } => ("computer_ids", computer_ids, extra),
            Servers::Ip { ips, extra } => ("ips", ips, extra),
            Servers::Unknown(object) => return object.serialize(serializer),
        };
        let mut map = serializer.serialize_map(Some(2 + extra.len()))?;
        map.serialize_entry("type", self.type_name())?;
        map.serialize_entry(field, list)?;
        for (key, value) in extra {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Servers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Read the object once, then take the known form's field out of it
        // (serde's internally tagged enums would buffer it a second time).
        let mut object = Map::deserialize(deserializer)?;
        let list = |object: &mut Map<String, Value>, field: &'static str| {
            let value = object
                .remove(field)
                .ok_or_else(|| D::Error::missing_field(field))?;
            Vec::<String>::deserialize(value)
                .map_err(|e| D::Error::custom(format_args!("servers.{field}: {e}")))
        };
        // What is left once `type` and the list are taken out is `extra`.
        match object.get("type") {
            Some(Value::String(t)) if t == "computer" => {
                object.remove("type");
                let computer_ids = list(&mut object, "computer_ids")?;
                Ok(Servers::Computer {
                    computer_ids,
                    extra: object,
                })
            }
            Some(Value::String(t)) if t == "ip" => {
                object.remove("type");
                let ips = list(&mut object, "ips")?;
                Ok(Servers::Ip { ips, extra: object })
            }
            Some(Value::String(_)) => Ok(Servers::Unknown(object)),
            Some(other) => Err(D::Error::custom(format_args!(
                "servers: `type` must be a string, found {other}"
            ))),
            None => Err(D::Error::missing_field("type")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_forms_round_trip() {
        for wire in [
            json!({"type": "computer", "computer_ids": ["23", "24"]}),
            json!({"type": "ip", "ips": ["10.0.0.5", "2001:db8::5"]}),
        ] {
            let servers: Servers = serde_json::from_value(wire.clone()).unwrap();
            assert!(!matches!(servers, Servers::Unknown(_)));
            assert_eq!(serde_json::to_value(&servers).unwrap(), wire);
        }
    }

    #[test]
    fn unknown_fields_of_a_known_type_are_kept() {
        let wire = json!({"type": "ip", "ips": ["10.0.0.5"], "weights": [3], "zone": "a"});
        let servers: Servers = serde_json::from_value(wire.clone()).unwrap();
        assert!(
            matches!(&servers, Servers::Ip { ips, extra } if ips.len() == 1 && extra.len() == 2)
        );
        assert_eq!(serde_json::to_value(&servers).unwrap(), wire);
        // As text too: the writer trusts the map's announced length.
        let text = serde_json::to_string(&servers).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            wire,
            "{text}"
        );
    }

    #[test]
    fn an_unknown_type_is_kept_whole() {
        let wire = json!({"type": "pool", "pool_id": "p-1", "weights": {"a": 2}});
        let servers: Servers = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(servers.type_name(), "pool");
        assert_eq!(serde_json::to_value(&servers).unwrap(), wire);
    }

    #[test]
    fn a_known_type_with_wrong_fields_is_an_error() {
        for wire in [
            json!({"type": "computer", "ips": ["10.0.0.5"]}),
            json!({"computer_ids": ["23"]}),
            json!({"type": 7}),
            json!(["23"]),
        ] {
            assert!(
                serde_json::from_value::<Servers>(wire.clone()).is_err(),
                "{wire}"
            );
        }
    }
}
