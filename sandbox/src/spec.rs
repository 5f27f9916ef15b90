//! The API as the sandbox knows it: an OpenAPI 3.0 document (the embedded
//! `openapi.yaml`, or `--spec FILE`), read once at start-up into paths,
//! operations, parameters, bodies, responses and resources, with a JSON
//! Schema validator for every schema they use. Nothing here comes from the
//! SDK's Rust types, so the SDK and the sandbox cannot share a bug.
//!
//! Resources are the sandbox's reading of the paths (the vendor says
//! nothing of them): an *item path* ending in a parameter
//! (`/v1/lbs/{lb_id}/backends/{backend_name}`) whose operations write
//! (`PUT` or `DELETE` on it, or `POST` on the *collection path* above it,
//! `/v1/lbs/{lb_id}/backends`) holds stored values. The item's *key field*
//! is the property of its schema that the last parameter names: the
//! parameter's own name, or what follows its last `_` (`backend_name` ->
//! `name`, `lb_id` -> `id`), or `name`, or `id`.

use std::{collections::HashMap, sync::Arc, sync::OnceLock};

use axum::http::Method;
use jsonschema::{Draft, Validator};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

pub use crate::schema::{escape, Violation, MAX_VIOLATIONS};
use crate::{
    ordered::Json,
    schema::{convert, Describer},
};

/// The spec the sandbox serves by default, embedded at build time.
pub const OPENAPI_YAML: &str = include_str!("../../openapi.yaml");

/// One path of the spec, segment by segment.
#[derive(Debug)]
pub(crate) struct PathItem {
    pub template: String,
    pub segments: Vec<Segment>,
    /// (method, index into [`Spec::operations`]), in the spec's order.
    pub methods: Vec<(Method, usize)>,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Segment {
    Literal(String),
    Param(String),
}

/// Where a parameter is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Location {
    Path,
    Query,
    Header,
}

impl Location {
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
        }
    }
}

/// How a parameter's text becomes the JSON value its schema judges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Coerce {
    String,
    Integer,
    Number,
    Boolean,
    /// Repeated (`?id=1&id=2`) or comma-separated (path, header) items.
    Array(Box<Coerce>),
}

#[derive(Debug)]
pub(crate) struct Param {
    pub name: String,
    pub location: Location,
    pub required: bool,
    pub validator: usize,
    pub coerce: Coerce,
    /// The schema, `$ref` resolved.
    pub schema: Json,
}

#[derive(Debug)]
pub(crate) struct RequestBody {
    pub required: bool,
    pub validator: usize,
    /// The schema's name for messages (`Backend`), or `request body`.
    pub name: String,
}

/// A success response's JSON content: its schema, and the
/// answer the sandbox gives when it has nothing stored for it.
#[derive(Debug)]
pub(crate) struct Content {
    pub schema: Json,
    /// The spec's example, or a value built from the schema, as JSON text.
    pub canned: bytes::Bytes,
    /// `canned` is the spec's example (not built).
    pub from_example: bool,
}

/// What the sandbox does for an operation (see the module docs).
#[derive(Debug)]
pub(crate) enum Kind {
    /// `GET` an item: the stored value, 404 if none.
    Read(usize),
    /// `PUT` an item: replaces a stored one (renaming by the key field).
    Replace(usize),
    /// `DELETE` an item.
    Remove(usize),
    /// `POST` the collection: stores a new item, 409 if its key exists.
    Create(usize),
    /// `GET` the collection: the items in key order, a page at a time.
    List(usize, ListShape),
    /// Any other operation below a stored item: 404 unless it is stored,
    /// then the spec's answer.
    Action(usize),
    /// Anything else: the spec's example, or a value built from the schema.
    Canned,
}

/// How a list operation pages and answers.
#[derive(Debug, Default)]
pub(crate) struct ListShape {
    /// The property of the answer object that holds the items; `None`: the
    /// answer is the array itself.
    pub items_in: Option<String>,
    /// The property for the next page's cursor, and whether it may be null.
    pub cursor_field: Option<(String, bool)>,
    /// The query parameter of the page size, with its default or maximum.
    pub limit: Option<(String, Option<u64>)>,
    /// The query parameter of the cursor.
    pub cursor: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Operation {
    pub id: String,
    pub method: Method,
    pub path: usize,
    pub params: Vec<Param>,
    pub body: Option<RequestBody>,
    /// The operation requires `Authorization: Bearer <token>`.
    pub bearer: bool,
    /// The lowest 2xx status the spec declares (200 if none).
    pub status: u16,
    pub content: Option<Content>,
    /// Every declared response (`"200"`, `"4XX"`, `"default"`) and the
    /// validator of its JSON content.
    pub responses: Vec<(String, Option<usize>)>,
    pub kind: Kind,
}

/// A stored resource (see the module docs).
#[derive(Debug)]
pub(crate) struct Resource {
    pub item_path: usize,
    /// The item path's parameters, in order; the last is the item's key.
    pub params: Vec<String>,
    pub key_field: Option<String>,
    pub validator: Option<usize>,
    pub name: String,
    /// The item schema's example, or a value built from it.
    pub example: Option<Json>,
}

/// One operation as [`Spec::operations`] lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperationSummary {
    /// The `operationId` (or `METHOD path` when it has none).
    pub id: String,
    /// `GET`, `PUT`, ...
    pub method: String,
    /// The path template, as in the spec.
    pub path: String,
}

/// The parsed spec and its validators.
pub struct Spec {
    sha256: String,
    describer: Describer,
    validators: Vec<Validator>,
    error: usize,
    backend: Option<usize>,
    pub(crate) paths: Vec<PathItem>,
    pub(crate) operations: Vec<Operation>,
    pub(crate) resources: Vec<Resource>,
}

impl std::fmt::Debug for Spec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spec")
            .field("sha256", &self.sha256)
            .field("operations", &self.operations.len())
            .finish_non_exhaustive()
    }
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

impl Spec {
    /// The embedded spec, parsed once per process.
    ///
    /// # Panics
    /// If the embedded `openapi.yaml` cannot be turned into validators; the
    /// sandbox's own tests catch that before anyone else can.
    pub fn embedded() -> &'static Spec {
        Spec::embedded_arc()
    }

    pub(crate) fn embedded_arc() -> &'static Arc<Spec> {
        static SPEC: OnceLock<Arc<Spec>> = OnceLock::new();
        SPEC.get_or_init(|| {
            Arc::new(
                Spec::parse(OPENAPI_YAML).unwrap_or_else(|e| panic!("embedded openapi.yaml: {e}")),
            )
        })
    }

    /// Parses an OpenAPI 3.0 document: its paths and operations, and a
    /// validator for each schema they use.
    ///
    /// # Errors
    /// A document that is not YAML, or lacks what a served operation needs,
    /// named by its place (`paths./v1/x.get.responses`).
    pub fn parse(yaml: &str) -> Result<Spec, String> {
        let doc: Json = yaml_serde::from_str(yaml).map_err(|e| format!("not YAML: {e}"))?;
        Builder::new(&doc)?.build(hex(&Sha256::digest(yaml.as_bytes())))
    }

    /// SHA-256 of the spec's text, in lower-case hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Every operation, in the spec's order.
    pub fn operations(&self) -> Vec<OperationSummary> {
        self.operations
            .iter()
            .map(|op| OperationSummary {
                id: op.id.clone(),
                method: op.method.to_string(),
                path: self.paths[op.path].template.clone(),
            })
            .collect()
    }

    /// Every way `body` breaks the spec's `Backend` schema (empty: valid).
    pub fn check_backend(&self, body: &Value) -> Vec<Violation> {
        match self.backend {
            Some(v) => self.check(v, body),
            None => vec![Violation {
                pointer: String::new(),
                message: "the spec has no components.schemas.Backend".into(),
            }],
        }
    }

    /// Every way `body` breaks the spec's `Error` schema (empty: valid).
    pub fn check_error(&self, body: &Value) -> Vec<Violation> {
        self.check(self.error, body)
    }

    /// Every way `body` breaks what operation `id` declares for `status`
    /// (the exact status, else its `NXX` range, else `default`).
    ///
    /// # Errors
    /// An unknown operation, or a status it does not declare.
    pub fn check_response(
        &self,
        id: &str,
        status: u16,
        body: &Value,
    ) -> Result<Vec<Violation>, String> {
        let op = self
            .operations
            .iter()
            .find(|op| op.id == id)
            .ok_or_else(|| format!("no operation {id:?}"))?;
        let range = format!("{}XX", status / 100);
        let declared = [status.to_string(), range, "default".to_owned()]
            .into_iter()
            .find_map(|key| op.responses.iter().find(|(k, _)| *k == key))
            .ok_or_else(|| format!("{id} declares no response {status}"))?;
        Ok(match declared.1 {
            Some(v) => self.check(v, body),
            None => Vec::new(),
        })
    }

    /// Every way `value` breaks validator `index` (empty: valid).
    pub(crate) fn check(&self, index: usize, value: &Value) -> Vec<Violation> {
        self.describer.check(&self.validators[index], value)
    }

    /// The operation at `path` for `method`.
    pub(crate) fn operation(&self, path: usize, method: &Method) -> Option<&Operation> {
        self.paths[path]
            .methods
            .iter()
            .find(|(m, _)| m == method)
            .map(|(_, op)| &self.operations[*op])
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn members(node: Option<&Json>) -> &[(String, Json)] {
    match node {
        Some(Json::Object(members)) => members,
        _ => &[],
    }
}

/// Reads the document into a [`Spec`].
struct Builder<'a> {
    doc: &'a Json,
    components: Value,
    describer: Describer,
    validators: Vec<Validator>,
    by_text: HashMap<String, usize>,
}

impl<'a> Builder<'a> {
    fn new(doc: &'a Json) -> Result<Builder<'a>, String> {
        let mut describer = Describer::default();
        let mut converted = Map::new();
        for (name, schema) in members(doc.pointer("/components/schemas")) {
            converted.insert(
                name.clone(),
                convert(&schema.to_value(), &mut describer.discriminators),
            );
        }
        Ok(Builder {
            doc,
            components: json!({ "schemas": converted }),
            describer,
            validators: Vec::new(),
            by_text: HashMap::new(),
        })
    }

    /// A validator for an OpenAPI schema (inline, with `$ref`s into the
    /// document's components), shared by every place with the same schema.
    fn validator(&mut self, schema: &Json, place: &str) -> Result<usize, String> {
        let converted = convert(&schema.to_value(), &mut self.describer.discriminators);
        let text = converted.to_string();
        if let Some(&index) = self.by_text.get(&text) {
            return Ok(index);
        }
        let root = json!({
            "$ref": "#/$defs/schema",
            "$defs": { "schema": converted },
            "components": self.components,
        });
        let validator = jsonschema::options()
            .with_draft(Draft::Draft202012)
            .should_validate_formats(true)
            .build(&root)
            .map_err(|e| format!("{place}: {e}"))?;
        self.validators.push(validator);
        self.by_text.insert(text, self.validators.len() - 1);
        Ok(self.validators.len() - 1)
    }

    fn named(&mut self, name: &str) -> Result<Option<usize>, String> {
        if self
            .doc
            .pointer(&format!("/components/schemas/{name}"))
            .is_none()
        {
            return Ok(None);
        }
        let schema = Json::Object(vec![(
            "$ref".into(),
            Json::String(format!("#/components/schemas/{name}")),
        )]);
        self.validator(&schema, &format!("components.schemas.{name}"))
            .map(Some)
    }

    fn build(mut self, sha256: String) -> Result<Spec, String> {
        let error = match self.named("Error")? {
            Some(v) => v,
            None => {
                let fallback = serde_json::from_value::<Json>(json!({
                    "type": "object", "required": ["message"],
                    "properties": {"message": {"type": "string"}}
                }))
                .map_err(|e| e.to_string())?;
                self.validator(&fallback, "the error body")?
            }
        };
        let backend = self.named("Backend")?;
        let doc = self.doc;
        let global_security = doc.get("security");
        let mut paths = Vec::new();
        let mut operations = Vec::new();
        for (template, item) in members(doc.get("paths")) {
            let item = doc
                .resolve(item)
                .ok_or_else(|| format!("paths.{template}: bad $ref"))?;
            let segments = template
                .trim_start_matches('/')
                .split('/')
                .map(
                    |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                        Some(name) => Segment::Param(name.to_owned()),
                        None => Segment::Literal(s.to_owned()),
                    },
                )
                .collect();
            let mut methods = Vec::new();
            for (method, op) in members(Some(item)) {
                if !METHODS.contains(&method.as_str()) {
                    continue;
                }
                let place = format!("paths.{template}.{method}");
                let parsed = self.operation(
                    template,
                    method,
                    item,
                    op,
                    global_security,
                    paths.len(),
                    &place,
                )?;
                methods.push((parsed.method.clone(), operations.len()));
                operations.push(parsed);
            }
            paths.push(PathItem {
                template: template.clone(),
                segments,
                methods,
            });
        }
        let resources = self.resources(&paths, &operations)?;
        assign_kinds(doc, &paths, &mut operations, &resources);
        Ok(Spec {
            sha256,
            describer: self.describer,
            validators: self.validators,
            error,
            backend,
            paths,
            operations,
            resources,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn operation(
        &mut self,
        template: &str,
        method: &str,
        item: &Json,
        op: &Json,
        global_security: Option<&Json>,
        path: usize,
        place: &str,
    ) -> Result<Operation, String> {
        let doc = self.doc;
        let http_method = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
            .map_err(|e| format!("{place}: {e}"))?;
        let id = op
            .get("operationId")
            .and_then(Json::as_str)
            .map_or_else(|| format!("{} {template}", http_method), str::to_owned);
        // Path-level parameters, overridden by the operation's own.
        let mut params: Vec<Param> = Vec::new();
        let listed = [item.get("parameters"), op.get("parameters")];
        for list in listed.into_iter().flatten() {
            let Json::Array(list) = list else { continue };
            for (i, param) in list.iter().enumerate() {
                let place = format!("{place}.parameters[{i}]");
                let param = doc
                    .resolve(param)
                    .ok_or_else(|| format!("{place}: bad $ref"))?;
                if let Some(parsed) = self.param(param, &place)? {
                    params.retain(|p| !(p.name == parsed.name && p.location == parsed.location));
                    params.push(parsed);
                }
            }
        }
        let body = match op.get("requestBody").and_then(|b| doc.resolve(b)) {
            None => None,
            Some(body) => match json_content(body) {
                None => None,
                Some(media) => {
                    let schema = media.get("schema").cloned().unwrap_or(Json::Object(vec![]));
                    let name = schema
                        .get("$ref")
                        .and_then(Json::as_str)
                        .and_then(|r| r.rsplit('/').next())
                        .map_or_else(|| "request body".to_owned(), str::to_owned);
                    Some(RequestBody {
                        required: body.get("required") == Some(&Json::Bool(true)),
                        validator: self.validator(&schema, &format!("{place}.requestBody"))?,
                        name,
                    })
                }
            },
        };
        let security = op.get("security").or(global_security);
        let bearer = match security {
            Some(Json::Array(requirements)) => requirements.iter().any(|requirement| {
                members(Some(requirement)).iter().any(|(scheme, _)| {
                    let found = doc
                        .pointer(&format!("/components/securitySchemes/{}", escape(scheme)))
                        .and_then(|s| doc.resolve(s));
                    found.is_some_and(|s| {
                        s.get("type").and_then(Json::as_str) == Some("http")
                            && s.get("scheme")
                                .and_then(Json::as_str)
                                .is_some_and(|v| v.eq_ignore_ascii_case("bearer"))
                    })
                })
            }),
            _ => false,
        };
        let mut responses = Vec::new();
        let mut success: Option<(u16, Option<&Json>)> = None;
        for (key, response) in members(op.get("responses")) {
            let response = doc
                .resolve(response)
                .ok_or_else(|| format!("{place}.responses.{key}: bad $ref"))?;
            let media = json_content(response);
            let validator = match media.and_then(|m| m.get("schema")) {
                Some(schema) => Some(self.validator(schema, &format!("{place}.responses.{key}"))?),
                None => None,
            };
            responses.push((key.clone(), validator));
            let status = match key.as_str() {
                "2XX" | "default" => Some(200),
                k => k.parse::<u16>().ok().filter(|s| (200..300).contains(s)),
            };
            if let Some(status) = status {
                let better = match success {
                    None => true,
                    Some((s, _)) => key != "default" && status < s,
                };
                if better {
                    success = Some((status, media));
                }
            }
        }
        let (status, media) = success.unwrap_or((200, None));
        let content = match media.and_then(|m| m.get("schema").map(|s| (m, s))) {
            None => None,
            Some((media, schema)) => {
                let resolved = doc.resolve(schema).unwrap_or(schema);
                let example = media
                    .get("example")
                    .or_else(|| {
                        members(media.get("examples"))
                            .first()
                            .and_then(|(_, e)| doc.resolve(e))
                            .and_then(|e| e.get("value"))
                    })
                    .or_else(|| resolved.get("example"))
                    .cloned();
                let from_example = example.is_some();
                let canned = example.unwrap_or_else(|| crate::examples::value(doc, schema));
                Some(Content {
                    schema: schema.clone(),
                    canned: bytes::Bytes::from(canned.to_text()),
                    from_example,
                })
            }
        };
        Ok(Operation {
            id,
            method: http_method,
            path,
            params,
            body,
            bearer,
            status,
            content,
            responses,
            kind: Kind::Canned,
        })
    }

    fn param(&mut self, param: &Json, place: &str) -> Result<Option<Param>, String> {
        let doc = self.doc;
        let name = param
            .get("name")
            .and_then(Json::as_str)
            .ok_or_else(|| format!("{place}: no name"))?;
        let location = match param.get("in").and_then(Json::as_str) {
            Some("path") => Location::Path,
            Some("query") => Location::Query,
            Some("header") => {
                // OpenAPI: these three are described elsewhere and ignored here.
                let lower = name.to_ascii_lowercase();
                if ["accept", "content-type", "authorization"].contains(&lower.as_str()) {
                    return Ok(None);
                }
                Location::Header
            }
            // Cookies are not checked.
            _ => return Ok(None),
        };
        let schema = param.get("schema").cloned().unwrap_or(Json::Object(vec![]));
        let resolved = doc.resolve(&schema).unwrap_or(&schema);
        let coerce = coercion(doc, resolved);
        Ok(Some(Param {
            name: name.to_owned(),
            location,
            required: location == Location::Path
                || param.get("required") == Some(&Json::Bool(true)),
            validator: self.validator(&schema, place)?,
            coerce,
            schema: resolved.clone(),
        }))
    }

    fn resources(
        &mut self,
        paths: &[PathItem],
        operations: &[Operation],
    ) -> Result<Vec<Resource>, String> {
        let doc = self.doc;
        let mut out = Vec::new();
        for (index, item) in paths.iter().enumerate() {
            let Some(Segment::Param(key)) = item.segments.last() else {
                continue;
            };
            let collection = item
                .template
                .rsplit_once('/')
                .map(|(c, _)| c)
                .unwrap_or_default();
            let on = |p: &PathItem, m: Method| -> Option<&Operation> {
                p.methods
                    .iter()
                    .find(|(x, _)| *x == m)
                    .map(|(_, o)| &operations[*o])
            };
            let collection_item = paths.iter().find(|p| p.template == collection);
            let put = on(item, Method::PUT);
            let delete = on(item, Method::DELETE);
            let post = collection_item.and_then(|c| on(c, Method::POST));
            if put.is_none() && delete.is_none() && post.is_none() {
                continue;
            }
            // The item schema: what PUT or POST take, else what GET answers.
            let op_json = |template: &str, method: &str| -> Option<&Json> {
                doc.get("paths")?
                    .get(template)
                    .and_then(|p| doc.resolve(p))?
                    .get(method)
            };
            let body_schema = |op: Option<&Json>| -> Option<Json> {
                let body = doc.resolve(op?.get("requestBody")?)?;
                json_content(body)?.get("schema").cloned()
            };
            let schema = body_schema(op_json(&item.template, "put"))
                .or_else(|| body_schema(op_json(collection, "post")))
                .or_else(|| {
                    on(item, Method::GET)
                        .and_then(|op| op.content.as_ref())
                        .map(|c| c.schema.clone())
                });
            let params: Vec<String> = item
                .segments
                .iter()
                .filter_map(|s| match s {
                    Segment::Param(name) => Some(name.clone()),
                    Segment::Literal(_) => None,
                })
                .collect();
            let (validator, key_field, name, example) = match &schema {
                None => (None, None, item.template.clone(), None),
                Some(schema) => {
                    let resolved = doc.resolve(schema).unwrap_or(schema);
                    let properties = members(resolved.get("properties"));
                    let suffix = key.rsplit('_').next().unwrap_or(key);
                    let key_field = [key.as_str(), suffix, "name", "id"]
                        .into_iter()
                        .find(|c| properties.iter().any(|(p, _)| p == c))
                        .map(str::to_owned);
                    let name = schema
                        .get("$ref")
                        .and_then(Json::as_str)
                        .and_then(|r| r.rsplit('/').next())
                        .unwrap_or("item")
                        .to_owned();
                    let example = crate::examples::value(doc, schema);
                    (
                        Some(self.validator(schema, &format!("the items of {}", item.template))?),
                        key_field,
                        name,
                        Some(example),
                    )
                }
            };
            out.push(Resource {
                item_path: index,
                params,
                key_field,
                validator,
                name,
                example,
            });
        }
        Ok(out)
    }
}

/// The `application/json` (or other `*json`) media type of a body or response.
fn json_content(node: &Json) -> Option<&Json> {
    let content = members(node.get("content"));
    content
        .iter()
        .find(|(k, _)| k == "application/json")
        .or_else(|| content.iter().find(|(k, _)| k.ends_with("json")))
        .map(|(_, v)| v)
}

fn coercion(doc: &Json, schema: &Json) -> Coerce {
    match schema.get("type").and_then(Json::as_str) {
        Some("integer") => Coerce::Integer,
        Some("number") => Coerce::Number,
        Some("boolean") => Coerce::Boolean,
        Some("array") => {
            let items = schema
                .get("items")
                .and_then(|i| doc.resolve(i))
                .map_or(Coerce::String, |i| coercion(doc, i));
            Coerce::Array(Box::new(items))
        }
        _ => Coerce::String,
    }
}

/// Sets each operation's [`Kind`] from the resources.
fn assign_kinds(
    doc: &Json,
    paths: &[PathItem],
    operations: &mut [Operation],
    resources: &[Resource],
) {
    for op in operations.iter_mut() {
        let template = &paths[op.path].template;
        op.kind = Kind::Canned;
        for (r, resource) in resources.iter().enumerate() {
            let item = &paths[resource.item_path].template;
            let collection = item.rsplit_once('/').map(|(c, _)| c).unwrap_or_default();
            if template == item {
                op.kind = match op.method {
                    Method::GET => Kind::Read(r),
                    Method::PUT => Kind::Replace(r),
                    Method::DELETE => Kind::Remove(r),
                    _ => Kind::Action(r),
                };
            } else if template == collection {
                match op.method {
                    Method::GET if op.content.is_some() => {
                        op.kind = Kind::List(r, list_shape(doc, op));
                    }
                    Method::POST if resource.key_field.is_some() => op.kind = Kind::Create(r),
                    _ => {}
                }
            } else if template.starts_with(&format!("{item}/")) {
                op.kind = Kind::Action(r);
            } else {
                continue;
            }
            break;
        }
    }
}

/// The list answer's shape and paging parameters, by their usual names.
fn list_shape(doc: &Json, op: &Operation) -> ListShape {
    let mut shape = ListShape::default();
    if let Some(content) = &op.content {
        let schema = doc.resolve(&content.schema).unwrap_or(&content.schema);
        if schema.get("type").and_then(Json::as_str) != Some("array") {
            let properties = members(schema.get("properties"));
            shape.items_in = properties
                .iter()
                .find(|(_, p)| {
                    doc.resolve(p)
                        .and_then(|p| p.get("type"))
                        .and_then(Json::as_str)
                        == Some("array")
                })
                .map(|(k, _)| k.clone());
            shape.cursor_field = properties
                .iter()
                .find(|(k, _)| k.contains("cursor") || k == "next" || k.contains("page_token"))
                .map(|(k, p)| {
                    let p = doc.resolve(p).unwrap_or(p);
                    (k.clone(), p.get("nullable") == Some(&Json::Bool(true)))
                });
        }
    }
    let query = op.params.iter().filter(|p| p.location == Location::Query);
    for param in query {
        let name = param.name.as_str();
        if ["limit", "page_size", "per_page", "max_results"].contains(&name) {
            let default = param
                .schema
                .get("default")
                .or_else(|| param.schema.get("maximum"))
                .and_then(|v| v.to_value().as_u64());
            shape.limit = Some((name.to_owned(), default));
        } else if ["cursor", "page_token", "after", "starting_after"].contains(&name) {
            shape.cursor = Some(name.to_owned());
        }
    }
    shape
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Spec {
        Spec::parse(include_str!("../../tests/evolution/all.yaml")).unwrap()
    }

    #[test]
    fn the_embedded_spec_parses_and_its_example_validates() {
        let spec = Spec::embedded();
        assert_eq!(spec.sha256().len(), 64);
        let document: Value = yaml_serde::from_str(OPENAPI_YAML).unwrap();
        let example = document
            .pointer("/components/schemas/Backend/example")
            .unwrap();
        assert_eq!(spec.check_backend(example), vec![]);
        assert_eq!(
            spec.operations(),
            [OperationSummary {
                id: "update_backend".into(),
                method: "PUT".into(),
                path: "/v1/lbs/{lb_id}/backends/{backend_name}".into()
            }]
        );
        assert!(matches!(spec.operations[0].kind, Kind::Replace(0)));
        assert_eq!(spec.resources[0].key_field.as_deref(), Some("name"));
        assert!(spec.operations[0].bearer);
        assert_eq!(spec.operations[0].status, 200);
    }

    #[test]
    fn every_operation_of_the_future_spec_gets_its_kind() {
        let spec = all();
        let kinds: Vec<(String, String)> = spec
            .operations
            .iter()
            .map(|op| {
                let kind = format!("{:?}", op.kind);
                (op.id.clone(), kind.split('(').next().unwrap().to_owned())
            })
            .collect();
        let expected = [
            ("get_backend", "Read"),
            ("delete_backend", "Remove"),
            ("update_backend", "Replace"),
            ("list_backends", "List"),
            ("create_backend", "Create"),
            ("drain_backend", "Action"),
            ("restart_backend", "Action"),
            ("list_load_balancers", "Canned"),
            ("get_load_balancer", "Canned"),
        ];
        assert_eq!(kinds, expected.map(|(a, b)| (a.to_owned(), b.to_owned())));
        let list = spec
            .operations
            .iter()
            .find(|o| o.id == "list_backends")
            .unwrap();
        let Kind::List(_, shape) = &list.kind else {
            panic!()
        };
        assert_eq!(shape.items_in.as_deref(), Some("backends"));
        assert_eq!(shape.cursor_field, Some(("next_cursor".to_owned(), true)));
        assert_eq!(shape.limit, Some(("limit".to_owned(), Some(100))));
        assert_eq!(shape.cursor.as_deref(), Some("cursor"));
        let statuses: Vec<(&str, u16)> = spec
            .operations
            .iter()
            .map(|o| (o.id.as_str(), o.status))
            .collect();
        assert!(statuses.contains(&("delete_backend", 204)));
        assert!(statuses.contains(&("create_backend", 201)));
        assert!(statuses.contains(&("drain_backend", 202)));
        let create = spec
            .operations
            .iter()
            .find(|o| o.id == "create_backend")
            .unwrap();
        assert_eq!(
            create
                .params
                .iter()
                .map(|p| (p.name.as_str(), p.location, p.required))
                .collect::<Vec<_>>(),
            [
                ("lb_id", Location::Path, true),
                ("Idempotency-Key", Location::Header, false)
            ]
        );
    }

    #[test]
    fn responses_are_checked_by_status_range_and_default() {
        let spec = all();
        assert_eq!(
            spec.check_response("get_backend", 404, &json!({"message": "x"})),
            Ok(vec![])
        );
        assert_eq!(
            spec.check_response("get_backend", 404, &json!({})).unwrap()[0].message,
            "is required"
        );
        assert_eq!(
            spec.check_response("list_load_balancers", 404, &json!({})),
            Err("list_load_balancers declares no response 404".into())
        );
        assert_eq!(
            spec.check_response("nope", 200, &json!({})),
            Err("no operation \"nope\"".into())
        );
        assert_eq!(
            spec.check_response("delete_backend", 204, &Value::Null),
            Ok(vec![])
        );
    }

    #[test]
    fn a_broken_document_is_named() {
        assert!(Spec::parse(": [").unwrap_err().starts_with("not YAML: "));
        let empty = Spec::parse("openapi: 3.0.3\n").unwrap();
        assert!(empty.operations().is_empty());
        assert_eq!(empty.check_error(&json!({"message": "m"})), vec![]);
        assert_eq!(
            empty.check_backend(&json!({}))[0].message,
            "the spec has no components.schemas.Backend"
        );
    }
}
