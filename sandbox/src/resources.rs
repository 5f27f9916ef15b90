//! What an operation does once its request passed every check, by its
//! [`Kind`] (see `spec` and `store` for the sandbox's choices): read,
//! replace, remove, create or list stored items, or answer from the spec.
//! A `POST` carrying `Idempotency-Key` goes through `idempotency` first.

use axum::{
    body::{Body, Bytes},
    http::{request::Parts, HeaderValue, Method, Response, StatusCode},
};
use serde_json::{json, Map, Value};

use crate::{
    body::JsonBody,
    idempotency::{fingerprint, Saved, Seen},
    journal::Record,
    ordered::compact,
    params, respond,
    shared::{lock, Data, Shared},
    spec::{Kind, ListShape, Operation, Resource, Spec},
    store::Refusal,
};

/// The header of a repeated request's key.
const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The answer to a checked request.
pub(crate) fn answer(
    shared: &Shared,
    op: &Operation,
    values: &params::Checked,
    parts: &Parts,
    body: Option<&JsonBody>,
    record: &mut Record,
) -> Response<Body> {
    let spec = &*shared.spec;
    let mut data = lock(&shared.data);
    let key = match parts.headers.get(IDEMPOTENCY_KEY) {
        Some(key) if parts.method == Method::POST => key.to_str().ok(),
        _ => None,
    };
    let Some(key) = key else {
        return perform(spec, &mut data, op, values, body, record).0;
    };
    let scope = format!("{} {}", op.id, parts.uri.path());
    let print = fingerprint(body.map_or(&[][..], |b| &b.bytes[..]));
    match data.keys.seen(&scope, key, &print) {
        Seen::Replay(saved) => {
            record.note = Some("idempotent replay: the first answer to this Idempotency-Key, nothing changed".into());
            let mut response = match &saved.body {
                Some(text) => respond::json_bytes(status(saved.status), text.clone()),
                None => respond::empty(status(saved.status)),
            };
            response
                .headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            response
        }
        Seen::OtherBody => respond::error(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("Idempotency-Key {key:?} was first used with another body: send a new key for a new request"),
        ),
        Seen::New => {
            let (response, saved) = perform(spec, &mut data, op, values, body, record);
            if let Some(saved) = saved {
                data.keys.save(&scope, key, print, saved);
            }
            response
        }
    }
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::OK)
}

/// Does the operation; with the answer, what an idempotency key saves
/// (only answers of requests that reached the store).
fn perform(
    spec: &Spec,
    data: &mut Data,
    op: &Operation,
    values: &params::Checked,
    body: Option<&JsonBody>,
    record: &mut Record,
) -> (Response<Body>, Option<Saved>) {
    let path = &values.path;
    let store = &mut data.store;
    let done = |text: Option<Bytes>| {
        let saved = Saved {
            status: op.status,
            body: op.content.as_ref().and(text),
        };
        (success(&saved), Some(saved))
    };
    match &op.kind {
        Kind::Read(r) => {
            let (parent, key) = split(path);
            match store.get(*r, parent, key) {
                Some(text) => done(Some(text.clone())),
                None => (not_found(spec, *r, path), None),
            }
        }
        Kind::Replace(r) => {
            let Some(body) = body else {
                return (canned(op, record), None);
            };
            let resource = &spec.resources[*r];
            let (parent, key) = split(path);
            let new_key = key_of(resource, &body.value).unwrap_or(key).to_owned();
            let text = compact(&body.bytes);
            match store.replace(*r, parent, key, &new_key, text.clone()) {
                Ok(()) => done(Some(text)),
                Err(Refusal::NotFound) => (not_found(spec, *r, path), None),
                Err(Refusal::Conflict(name)) => (rename_conflict(spec, *r, path, &name), None),
            }
        }
        Kind::Remove(r) => {
            let (parent, key) = split(path);
            match store.remove(*r, parent, key) {
                Some(text) => done(Some(text)),
                None => (not_found(spec, *r, path), None),
            }
        }
        Kind::Create(r) => {
            let resource = &spec.resources[*r];
            let field = resource.key_field.as_deref().unwrap_or("name");
            let Some(key) = body.and_then(|b| key_of(resource, &b.value)) else {
                return (
                    respond::error(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        format!(
                            "body has no string {field} to store the {} under",
                            resource.name.to_lowercase()
                        ),
                    ),
                    None,
                );
            };
            let text = body.map(|b| compact(&b.bytes)).unwrap_or_default();
            let mut item_path = path.clone();
            item_path.push(key.to_owned());
            match store.create(*r, path, key, text.clone()) {
                Ok(()) => done(Some(text)),
                Err(_) => {
                    // A conflict reached the store: a repeat gets it again.
                    let saved = Saved {
                        status: StatusCode::CONFLICT.as_u16(),
                        body: Some(Bytes::from(exists(spec, *r, &item_path, field).to_string())),
                    };
                    (success(&saved), Some(saved))
                }
            }
        }
        Kind::List(r, shape) => {
            let limit = shape.limit.as_ref().and_then(|(name, default)| {
                values
                    .query(name)
                    .and_then(|v| v.parse::<u64>().ok())
                    .or(*default)
                    .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
            });
            let after = shape.cursor.as_deref().and_then(|name| values.query(name));
            let (items, next) = store.page_of(*r, path, after, limit);
            done(Some(list_text(shape, &items, next)))
        }
        Kind::Action(r) => {
            let count = spec.resources[*r].params.len();
            let item = &path[..count.min(path.len())];
            let (parent, key) = split(item);
            if store.get(*r, parent, key).is_none() {
                return (not_found(spec, *r, item), None);
            }
            (canned(op, record), None)
        }
        Kind::Canned => (canned(op, record), None),
    }
}

fn success(saved: &Saved) -> Response<Body> {
    match &saved.body {
        Some(text) => respond::json_bytes(status(saved.status), text.clone()),
        None => respond::empty(status(saved.status)),
    }
}

/// The spec's answer for an operation with nothing stored behind it.
fn canned(op: &Operation, record: &mut Record) -> Response<Body> {
    match &op.content {
        Some(content) => {
            let source = if content.from_example {
                "the spec's example"
            } else {
                "a value built from the response schema"
            };
            record.note = Some(format!(
                "nothing stored for {}: answered {source} (the sandbox's choice)",
                op.id
            ));
            respond::json_bytes(status(op.status), content.canned.clone())
        }
        None => {
            record.note = Some(format!(
                "nothing stored for {}: answered {} with no body, as the spec declares (the sandbox's choice)",
                op.id, op.status
            ));
            respond::empty(status(op.status))
        }
    }
}

/// (parent values, item key) of an item's path values.
fn split(path: &[String]) -> (&[String], &str) {
    match path.split_last() {
        Some((key, parent)) => (parent, key.as_str()),
        None => (&[], ""),
    }
}

fn key_of<'a>(resource: &Resource, value: &'a Value) -> Option<&'a str> {
    value.get(resource.key_field.as_deref()?)?.as_str()
}

/// A page of items, as the list operation's schema has it.
fn list_text(shape: &ListShape, items: &[Bytes], next: Option<String>) -> Bytes {
    let mut array =
        Vec::with_capacity(items.iter().map(Bytes::len).sum::<usize>() + items.len() + 2);
    array.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            array.push(b',');
        }
        array.extend_from_slice(item);
    }
    array.push(b']');
    let Some(field) = &shape.items_in else {
        return Bytes::from(array);
    };
    let quoted = |s: &str| Value::from(s).to_string();
    let mut out = format!("{{{}:", quoted(field)).into_bytes();
    out.extend_from_slice(&array);
    if let Some((cursor, nullable)) = &shape.cursor_field {
        match next {
            Some(next) => {
                out.extend_from_slice(format!(",{}:{}", quoted(cursor), quoted(&next)).as_bytes())
            }
            None if *nullable => {
                out.extend_from_slice(format!(",{}:null", quoted(cursor)).as_bytes())
            }
            None => {}
        }
    }
    out.push(b'}');
    Bytes::from(out)
}

/// The path values by name, for error bodies.
fn named(resource: &Resource, path: &[String]) -> Map<String, Value> {
    resource
        .params
        .iter()
        .zip(path)
        .map(|(name, value)| (name.clone(), Value::from(value.as_str())))
        .collect()
}

/// `on lb_id "42"` (nothing for a top-level resource).
fn on_parent(resource: &Resource, path: &[String]) -> String {
    let parents: Vec<String> = resource
        .params
        .iter()
        .zip(path)
        .take(resource.params.len().saturating_sub(1))
        .map(|(name, value)| format!("{name} {value:?}"))
        .collect();
    if parents.is_empty() {
        String::new()
    } else {
        format!(" on {}", parents.join(" and "))
    }
}

fn not_found(spec: &Spec, r: usize, path: &[String]) -> Response<Body> {
    let resource = &spec.resources[r];
    let (_, key) = split(path);
    let last = resource.params.last().map_or("", String::as_str);
    respond::error_with(
        StatusCode::NOT_FOUND,
        format!("{last} {key:?} not found{}", on_parent(resource, path)),
        Value::Object(named(resource, path)),
    )
}

fn rename_conflict(spec: &Spec, r: usize, path: &[String], name: &str) -> Response<Body> {
    let resource = &spec.resources[r];
    let (_, key) = split(path);
    let last = resource.params.last().map_or("", String::as_str);
    let field = resource.key_field.as_deref().unwrap_or("name");
    let mut extra = named(resource, path);
    extra.insert(field.to_owned(), json!(name));
    let owner = on_parent(resource, path);
    let owner = owner.strip_prefix(" on ").unwrap_or("the sandbox");
    respond::error_with(
        StatusCode::CONFLICT,
        format!(
            "cannot rename {last} {key:?} to {field} {name:?}: {owner} already has a {} {name:?}",
            resource.name.to_lowercase()
        ),
        Value::Object(extra),
    )
}

/// The error body of a create whose key is stored already.
fn exists(spec: &Spec, r: usize, item_path: &[String], field: &str) -> Value {
    let resource = &spec.resources[r];
    let (_, key) = split(item_path);
    let mut extra = named(resource, item_path);
    extra.insert(field.to_owned(), json!(key));
    let owner = on_parent(resource, item_path);
    let owner = owner.strip_prefix(" on ").unwrap_or("the sandbox");
    extra.insert(
        "message".to_owned(),
        json!(format!(
            "{owner} already has a {} with {field} {key:?}",
            resource.name.to_lowercase()
        )),
    );
    Value::Object(extra)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(items_in: Option<&str>, cursor: Option<(&str, bool)>) -> ListShape {
        ListShape {
            items_in: items_in.map(str::to_owned),
            cursor_field: cursor.map(|(c, n)| (c.to_owned(), n)),
            ..ListShape::default()
        }
    }

    #[test]
    fn a_page_is_written_as_the_schema_has_it() {
        let items = [
            Bytes::from_static(b"{\"b\":1}"),
            Bytes::from_static(b"{\"a\":2}"),
        ];
        assert_eq!(
            list_text(&shape(None, None), &items, None),
            &b"[{\"b\":1},{\"a\":2}]"[..]
        );
        assert_eq!(list_text(&shape(None, None), &[], None), &b"[]"[..]);
        assert_eq!(
            list_text(
                &shape(Some("backends"), Some(("next_cursor", true))),
                &items,
                Some("x".into())
            ),
            &b"{\"backends\":[{\"b\":1},{\"a\":2}],\"next_cursor\":\"x\"}"[..]
        );
        assert_eq!(
            list_text(
                &shape(Some("backends"), Some(("next_cursor", true))),
                &items,
                None
            ),
            &b"{\"backends\":[{\"b\":1},{\"a\":2}],\"next_cursor\":null}"[..]
        );
        assert_eq!(
            list_text(
                &shape(Some("items"), Some(("next", false))),
                &items[..1],
                None
            ),
            &b"{\"items\":[{\"b\":1}]}"[..]
        );
    }

    #[test]
    fn paths_split_into_parent_and_key() {
        assert_eq!(
            split(&["42".to_owned(), "b".to_owned()]),
            (&["42".to_owned()][..], "b")
        );
        assert_eq!(split(&[]), (&[][..], ""));
    }
}
