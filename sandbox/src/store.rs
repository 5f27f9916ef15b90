//! The stored backends, per (lb_id, backend_name).
//!
//! The sandbox's behaviour where the vendor's page is silent (ours, not the
//! vendor's):
//! - `PUT` *updates* ("Update (replace) an existing backend"): a backend that
//!   is not stored answers 404 naming `lb_id` and `backend_name`. Backends
//!   come from seeding (`PUT /__sandbox/state`, `--state FILE`,
//!   [`SandboxBuilder::state`](crate::SandboxBuilder::state)).
//! - A body `name` that differs from the path's `backend_name` renames the
//!   backend: it is stored under the new name and the old key goes (the
//!   page's own example sends `api-backend` to `my-backend`). Renaming onto
//!   another backend of the same load balancer answers 409.
//!
//! The API never adds a key, so the store only grows through seeding.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::spec::{escape, Spec, Violation};

/// lb_id -> backend_name -> backend, as `GET /__sandbox/state` shows it.
pub type State = BTreeMap<String, BTreeMap<String, Value>>;

/// Why a valid body was not stored.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    NotFound,
    Conflict(String),
}

/// Replaces (lb_id, backend_name) with `backend`, renaming it to the body's
/// `name`.
pub(crate) fn update(
    state: &mut State,
    lb_id: &str,
    backend_name: &str,
    backend: Value,
) -> Result<(), Refusal> {
    let Some(backends) = state.get_mut(lb_id) else {
        return Err(Refusal::NotFound);
    };
    if !backends.contains_key(backend_name) {
        return Err(Refusal::NotFound);
    }
    let name = backend
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or(backend_name)
        .to_owned();
    if name != backend_name {
        if backends.contains_key(&name) {
            return Err(Refusal::Conflict(name));
        }
        backends.remove(backend_name);
    }
    backends.insert(name, backend);
    Ok(())
}

/// Reads a state document: every backend must validate and carry its key as
/// its `name`. Violations point into the document.
pub(crate) fn parse_state(spec: &Spec, document: &Value) -> Result<State, Vec<Violation>> {
    let parsed: State = serde_json::from_value(document.clone()).map_err(|_| {
        vec![Violation {
            pointer: String::new(),
            message: "state must be an object of lb_id to an object of backend_name to backend"
                .into(),
        }]
    })?;
    let mut violations = Vec::new();
    for (lb_id, backends) in &parsed {
        for (name, backend) in backends {
            let base = format!("/{}/{}", escape(lb_id), escape(name));
            for v in spec.check_backend(backend) {
                violations.push(Violation {
                    pointer: format!("{base}{}", v.pointer),
                    message: v.message,
                });
            }
            if let Some(body_name) = backend.get("name").and_then(Value::as_str) {
                if body_name != name {
                    violations.push(Violation {
                        pointer: format!("{base}/name"),
                        message: format!("{body_name:?} differs from its key {name:?}"),
                    });
                }
            }
        }
    }
    if violations.is_empty() {
        Ok(parsed)
    } else {
        Err(violations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn seeded() -> State {
        let mut state = State::new();
        let mut backends = BTreeMap::new();
        backends.insert("a".to_owned(), json!({"name": "a"}));
        backends.insert("b".to_owned(), json!({"name": "b"}));
        state.insert("42".to_owned(), backends);
        state
    }

    #[test]
    fn update_replaces_renames_and_refuses() {
        let mut state = seeded();
        assert_eq!(
            update(&mut state, "42", "a", json!({"name": "a", "v": 2})),
            Ok(())
        );
        assert_eq!(state["42"]["a"], json!({"name": "a", "v": 2}));
        assert_eq!(
            update(&mut state, "43", "a", json!({"name": "a"})),
            Err(Refusal::NotFound)
        );
        assert_eq!(
            update(&mut state, "42", "c", json!({"name": "c"})),
            Err(Refusal::NotFound)
        );
        assert_eq!(
            update(&mut state, "42", "a", json!({"name": "b"})),
            Err(Refusal::Conflict("b".into()))
        );
        assert_eq!(update(&mut state, "42", "a", json!({"name": "z"})), Ok(()));
        let names: Vec<&String> = state["42"].keys().collect();
        assert_eq!(names, ["b", "z"]);
    }
}
