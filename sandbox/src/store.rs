//! The stored items of each resource of the spec (see `spec` for what a
//! resource is), by the values of its item path's parameters: for
//! backends, lb_id -> backend_name -> backend. Each item is kept as the
//! JSON text it arrived as (compact, keys in the client's order), which is
//! what the API answers.
//!
//! The sandbox's behaviour where the vendor's page is silent (ours, not the
//! vendor's):
//! - `PUT` *updates* ("Update (replace) an existing backend"): an item that
//!   is not stored answers 404. A body key field (`name`) that differs from
//!   the path's value renames the item; renaming onto another stored item
//!   answers 409.
//! - `POST` on the collection stores a new item under its key field; a key
//!   already stored answers 409. The parent (the load balancer) needs no
//!   seeding.
//! - `DELETE` removes; an item that is not stored answers 404.
//! - A list is in key order (bytes), a page at a time; the cursor is the
//!   last key of the page before.
//! - A fresh sandbox stores the page's backend, `my-backend` on lb `42`
//!   (the spec's `Backend` example under that name), so that the page's
//!   `curl` works as written; `--empty` starts with nothing.
//!
//! The state document (`GET`/`PUT /__sandbox/state`, `--state FILE`) nests
//! the items by their path values: `{lb_id: {backend_name: backend}}`. A
//! spec with more than one resource nests each under its item path.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::{
    ordered::Json,
    spec::{escape, Resource, Spec, Violation},
};

/// The page's load balancer and backend, stored in a fresh sandbox.
pub(crate) const PAGE_LB_ID: &str = "42";
pub(crate) const PAGE_BACKEND_NAME: &str = "my-backend";

/// Parent path values -> item key -> item text.
type Items = BTreeMap<Vec<String>, BTreeMap<String, Bytes>>;

/// Every resource's items, by the resource's index in the spec.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Store {
    resources: Vec<Items>,
}

/// Why a valid body was not stored.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    NotFound,
    Conflict(String),
}

impl Store {
    /// Nothing stored.
    pub fn empty(spec: &Spec) -> Store {
        Store {
            resources: vec![Items::new(); spec.resources.len()],
        }
    }

    /// The page's backend: the first resource with one parent (the load
    /// balancer) gets its example as `my-backend` on `42`, when the example
    /// validates.
    pub fn page(spec: &Spec) -> Store {
        let mut store = Store::empty(spec);
        let found = spec
            .resources
            .iter()
            .enumerate()
            .find(|(_, r)| r.params.len() == 2);
        if let Some((index, resource)) = found {
            if let (Some(mut example), Some(field)) =
                (resource.example.clone(), &resource.key_field)
            {
                example.set(field, Json::String(PAGE_BACKEND_NAME.to_owned()));
                let valid = resource
                    .validator
                    .is_none_or(|v| spec.check(v, &example.to_value()).is_empty());
                if valid {
                    store.resources[index]
                        .entry(vec![PAGE_LB_ID.to_owned()])
                        .or_default()
                        .insert(PAGE_BACKEND_NAME.to_owned(), Bytes::from(example.to_text()));
                }
            }
        }
        store
    }

    pub fn get(&self, resource: usize, parent: &[String], key: &str) -> Option<&Bytes> {
        self.resources.get(resource)?.get(parent)?.get(key)
    }

    /// Replaces (parent, key) with `text`, stored under `new_key`.
    pub fn replace(
        &mut self,
        resource: usize,
        parent: &[String],
        key: &str,
        new_key: &str,
        text: Bytes,
    ) -> Result<(), Refusal> {
        let items = self
            .resources
            .get_mut(resource)
            .and_then(|r| r.get_mut(parent))
            .ok_or(Refusal::NotFound)?;
        if !items.contains_key(key) {
            return Err(Refusal::NotFound);
        }
        if new_key != key {
            if items.contains_key(new_key) {
                return Err(Refusal::Conflict(new_key.to_owned()));
            }
            items.remove(key);
        }
        items.insert(new_key.to_owned(), text);
        Ok(())
    }

    pub fn remove(&mut self, resource: usize, parent: &[String], key: &str) -> Option<Bytes> {
        self.resources
            .get_mut(resource)?
            .get_mut(parent)?
            .remove(key)
    }

    pub fn create(
        &mut self,
        resource: usize,
        parent: &[String],
        key: &str,
        text: Bytes,
    ) -> Result<(), Refusal> {
        let items = self
            .resources
            .get_mut(resource)
            .ok_or(Refusal::NotFound)?
            .entry(parent.to_vec())
            .or_default();
        if items.contains_key(key) {
            return Err(Refusal::Conflict(key.to_owned()));
        }
        items.insert(key.to_owned(), text);
        Ok(())
    }

    /// Up to `limit` items after the key `after`, in key order, and the
    /// cursor of the next page if there is one.
    pub fn page_of(
        &self,
        resource: usize,
        parent: &[String],
        after: Option<&str>,
        limit: Option<usize>,
    ) -> (Vec<Bytes>, Option<String>) {
        let Some(items) = self.resources.get(resource).and_then(|r| r.get(parent)) else {
            return (Vec::new(), None);
        };
        let start = match after {
            Some(after) => std::ops::Bound::Excluded(after.to_owned()),
            None => std::ops::Bound::Unbounded,
        };
        let limit = limit.unwrap_or(usize::MAX);
        let mut range = items.range::<String, _>((start, std::ops::Bound::Unbounded));
        let page: Vec<(&String, &Bytes)> = range.by_ref().take(limit).collect();
        let next = match (range.next(), page.last()) {
            (Some(_), Some((last, _))) => Some((*last).clone()),
            _ => None,
        };
        (
            page.into_iter().map(|(_, text)| text.clone()).collect(),
            next,
        )
    }

    /// The state document (see the module docs).
    pub fn document(&self, spec: &Spec) -> Json {
        let nested = |items: &Items| {
            let mut root = Json::Object(Vec::new());
            for (parent, children) in items {
                let mut node = Some(&mut root);
                for value in parent {
                    node = node.and_then(|n| n.entry(value));
                }
                if let Some(node) = node {
                    for (key, text) in children {
                        node.set(key, serde_json::from_slice(text).unwrap_or(Json::Null));
                    }
                }
            }
            root
        };
        if self.resources.len() == 1 {
            return nested(&self.resources[0]);
        }
        Json::Object(
            spec.resources
                .iter()
                .zip(&self.resources)
                .map(|(r, items)| (spec.paths[r.item_path].template.clone(), nested(items)))
                .collect(),
        )
    }

    /// Reads a state document: every item must validate and carry its key
    /// as its key field. Violations point into the document.
    pub fn from_document(spec: &Spec, document: &Json) -> Result<Store, Vec<Violation>> {
        let mut store = Store::empty(spec);
        let mut violations = Vec::new();
        match spec.resources.len() {
            0 => {
                if !matches!(document, Json::Object(m) if m.is_empty()) {
                    violations.push(at(
                        "",
                        "the spec has no stored resource: the state must be {}".into(),
                    ));
                }
            }
            1 => read(
                spec,
                &spec.resources[0],
                document,
                "",
                &mut Vec::new(),
                &mut store.resources[0],
                &mut violations,
            ),
            _ => match document {
                Json::Object(members) => {
                    for (template, nested) in members {
                        let base = format!("/{}", escape(template));
                        match spec
                            .resources
                            .iter()
                            .position(|r| spec.paths[r.item_path].template == *template)
                        {
                            Some(i) => read(
                                spec,
                                &spec.resources[i],
                                nested,
                                &base,
                                &mut Vec::new(),
                                &mut store.resources[i],
                                &mut violations,
                            ),
                            None => violations.push(at(
                                &base,
                                format!("{template:?} is not the item path of a stored resource"),
                            )),
                        }
                    }
                }
                _ => violations.push(at(
                    "",
                    "state must be an object of item path to items".into(),
                )),
            },
        }
        if violations.is_empty() {
            Ok(store)
        } else {
            Err(violations)
        }
    }
}

fn at(pointer: &str, message: String) -> Violation {
    Violation {
        pointer: pointer.to_owned(),
        message,
    }
}

/// Reads one nesting level of a resource's document into `items`.
#[allow(clippy::too_many_arguments)]
fn read(
    spec: &Spec,
    resource: &Resource,
    node: &Json,
    base: &str,
    parent: &mut Vec<String>,
    items: &mut Items,
    violations: &mut Vec<Violation>,
) {
    let Json::Object(members) = node else {
        let shape: Vec<&str> = resource.params.iter().map(String::as_str).collect();
        violations.push(at(
            base,
            format!(
                "state must be an object of {} to {}",
                shape.join(" to an object of "),
                resource.name
            ),
        ));
        return;
    };
    let depth = resource.params.len();
    if parent.len() + 1 < depth {
        for (value, nested) in members {
            parent.push(value.clone());
            if parent.len() + 1 == depth {
                // Kept even when empty: it shows in the document again.
                items.entry(parent.clone()).or_default();
            }
            read(
                spec,
                resource,
                nested,
                &format!("{base}/{}", escape(value)),
                parent,
                items,
                violations,
            );
            parent.pop();
        }
        return;
    }
    for (key, item) in members {
        let pointer = format!("{base}/{}", escape(key));
        if let Some(v) = resource.validator {
            for found in spec.check(v, &item.to_value()) {
                violations.push(at(&format!("{pointer}{}", found.pointer), found.message));
            }
        }
        if let Some(field) = &resource.key_field {
            if let Some(own) = item.get(field).and_then(Json::as_str) {
                if own != key {
                    violations.push(at(
                        &format!("{pointer}/{}", escape(field)),
                        format!("{own:?} differs from its key {key:?}"),
                    ));
                }
            }
        }
        items
            .entry(parent.clone())
            .or_default()
            .insert(key.clone(), Bytes::from(item.to_text()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Json {
        serde_json::from_str(text).unwrap()
    }

    const TWO: &str = r#"
paths:
  /a/{x}: {put: {requestBody: {content: {application/json: {schema: {type: object, properties: {x: {type: string}}}}}}}}
  /b/{p}/c/{y}: {delete: {}}
"#;

    #[test]
    fn a_spec_without_resources_keeps_only_an_empty_state() {
        let spec = Spec::parse("paths:\n  /x: {get: {}}\n").unwrap();
        assert!(Store::from_document(&spec, &doc("{}")).is_ok());
        let refused = Store::from_document(&spec, &doc(r#"{"a": 1}"#)).unwrap_err();
        assert_eq!(
            refused[0].message,
            "the spec has no stored resource: the state must be {}"
        );
        assert_eq!(Store::empty(&spec).document(&spec).to_text(), "{}");
    }

    #[test]
    fn two_resources_nest_each_under_its_item_path() {
        let spec = Spec::parse(TWO).unwrap();
        let text = r#"{"/a/{x}": {"k": {"x": "k"}}, "/b/{p}/c/{y}": {"P": {"Y": 1}}}"#;
        let store = Store::from_document(&spec, &doc(text)).unwrap();
        assert_eq!(store.document(&spec).to_text(), text.replace(' ', ""));
        assert_eq!(
            store.get(0, &[], "k").map(|b| &b[..]),
            Some(&br#"{"x":"k"}"#[..])
        );
        assert_eq!(
            store.get(1, &["P".to_owned()], "Y").map(|b| &b[..]),
            Some(&b"1"[..])
        );
        let refused = Store::from_document(
            &spec,
            &doc(r#"{"/z": {}, "/a/{x}": {"k": {"x": "other"}}}"#),
        )
        .unwrap_err();
        assert_eq!(
            refused,
            [
                at(
                    "/~1z",
                    "\"/z\" is not the item path of a stored resource".into()
                ),
                at(
                    "/~1a~1{x}/k/x",
                    "\"other\" differs from its key \"k\"".into()
                ),
            ]
        );
        let refused = Store::from_document(&spec, &doc("[]")).unwrap_err();
        assert_eq!(
            refused[0].message,
            "state must be an object of item path to items"
        );
        let refused =
            Store::from_document(&spec, &doc(r#"{"/b/{p}/c/{y}": {"P": 3}}"#)).unwrap_err();
        assert_eq!(refused[0].pointer, "/~1b~1{p}~1c~1{y}/P");
        assert_eq!(
            refused[0].message,
            "state must be an object of p to an object of y to /b/{p}/c/{y}"
        );
    }
}
