//! The OpenAPI 3.1 document of the HTTP API, served at `GET /openapi.json`
//! and kept in `schemas/openapi.json`.
//!
//! It is built from one table, [`endpoints`](super::api::endpoints): each
//! row names a route, who may call it, and the Rust types of its query,
//! body and answer. The types' JSON Schemas come from `schemars` (JSON
//! Schema 2020-12, the dialect OpenAPI 3.1 uses), so the document cannot
//! drift from the code that parses and writes those bodies. Tests check
//! that every row is a real route, that every route has a row, and that
//! the committed file equals the generated one.

use std::collections::BTreeMap;
use std::rc::Rc;

use actix_web::{FromRequest, Handler, HttpResponse, Responder, Route, web};
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value, json};

use super::policy::Policy;
use super::problem::{PROBLEM_JSON, ProblemKind};

/// Makes the schema of one type in a generator (a `$ref` into
/// `#/components/schemas` for named types).
pub(crate) type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// An HTTP method of a documented route.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// The lowercase name OpenAPI uses as the operation's key.
    pub(crate) const fn key(self) -> &'static str {
        match self {
            Self::Get => "get",
            Self::Post => "post",
            Self::Put => "put",
            Self::Patch => "patch",
            Self::Delete => "delete",
        }
    }

    /// The HTTP method.
    pub(crate) fn http(self) -> actix_web::http::Method {
        use actix_web::http::Method as M;
        match self {
            Self::Get => M::GET,
            Self::Post => M::POST,
            Self::Put => M::PUT,
            Self::Patch => M::PATCH,
            Self::Delete => M::DELETE,
        }
    }
}

/// Makes the actix route of an endpoint: its method and handler.
pub(crate) type RouteFn = Rc<dyn Fn() -> Route>;

/// What an endpoint answers when it succeeds.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reply {
    status: u16,
    media_type: &'static str,
    schema: Option<SchemaFn>,
}

/// One route: method, path, its handler, who may call it and its types.
#[derive(Clone)]
pub(crate) struct Endpoint {
    pub(crate) method: Method,
    pub(crate) path: &'static str,
    summary: &'static str,
    /// Who may call it; the router checks it before the handler runs.
    pub(crate) policy: Policy,
    /// The handler, as an actix route.
    pub(crate) route: Option<RouteFn>,
    query: Option<SchemaFn>,
    body: Option<SchemaFn>,
    reply: Reply,
    keyed: bool,
    /// What the call creates: the collection it lands in (`None`: this
    /// operation's own path), the path parameter naming it and the field
    /// of the answer that carries its id (for OpenAPI links).
    creates: Option<(Option<&'static str>, &'static str, &'static str)>,
    /// An example request body.
    example: Option<Value>,
    conditional: bool,
    /// Another media type of the success answer, chosen with `Accept`.
    alternative: Option<&'static str>,
}

impl Endpoint {
    fn new(method: Method, path: &'static str, summary: &'static str) -> Self {
        Self {
            method,
            path,
            summary,
            policy: match method {
                Method::Get => Policy::public_read(),
                _ => Policy::write(super::policy::Who::AnyUser),
            },
            route: None,
            query: None,
            body: None,
            reply: Reply {
                status: 200,
                media_type: "application/json",
                schema: None,
            },
            keyed: false,
            conditional: false,
            creates: None,
            example: None,
            alternative: None,
        }
    }

    /// A `GET` route.
    pub(crate) fn get(path: &'static str, summary: &'static str) -> Self {
        Self::new(Method::Get, path, summary)
    }

    /// A `POST` route.
    pub(crate) fn post(path: &'static str, summary: &'static str) -> Self {
        Self::new(Method::Post, path, summary)
    }

    /// A `PUT` route.
    pub(crate) fn put(path: &'static str, summary: &'static str) -> Self {
        Self::new(Method::Put, path, summary)
    }

    /// A `PATCH` route.
    pub(crate) fn patch(path: &'static str, summary: &'static str) -> Self {
        Self::new(Method::Patch, path, summary)
    }

    /// A `DELETE` route.
    pub(crate) fn delete(path: &'static str, summary: &'static str) -> Self {
        Self::new(Method::Delete, path, summary)
    }

    /// Who may call it (default: anyone for a `GET`, any user for the
    /// rest; auditors never write).
    pub(crate) fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Served by `handler`.
    pub(crate) fn to<F, Args>(mut self, handler: F) -> Self
    where
        F: Handler<Args> + Clone,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let method = self.method.http();
        self.route = Some(Rc::new(move || {
            web::route().method(method.clone()).to(handler.clone())
        }));
        self
    }

    /// Takes query parameters: the fields of `T`.
    pub(crate) fn query<T: JsonSchema>(mut self) -> Self {
        self.query = Some(schema_of::<T>);
        self
    }

    /// Takes a JSON body of type `T`.
    pub(crate) fn body<T: JsonSchema>(mut self) -> Self {
        self.body = Some(schema_of::<T>);
        self
    }

    /// Answers `status` with a JSON body of type `T`.
    pub(crate) fn reply<T: JsonSchema>(mut self, status: u16) -> Self {
        self.reply = Reply {
            status,
            media_type: "application/json",
            schema: Some(schema_of::<T>),
        };
        self
    }

    /// Answers `status` with no body.
    pub(crate) fn empty(mut self, status: u16) -> Self {
        self.reply = Reply {
            status,
            media_type: "",
            schema: None,
        };
        self
    }

    /// Answers 200 with a body of `media_type` that has no JSON schema.
    pub(crate) fn text(mut self, media_type: &'static str) -> Self {
        self.reply = Reply {
            status: 200,
            media_type,
            schema: None,
        };
        self
    }

    /// Also answers `media_type` (text) to a request that accepts it.
    pub(crate) fn or_text(mut self, media_type: &'static str) -> Self {
        self.alternative = Some(media_type);
        self
    }

    /// Honours `Idempotency-Key`: a repeat answers like the first time.
    pub(crate) fn keyed(mut self) -> Self {
        self.keyed = true;
        self
    }

    /// Creates what `{path}/{param}` names, its id in the answer's
    /// `field`: the document links this operation to every operation under
    /// that path, so a client (or a stateful tester) can chain them.
    pub(crate) fn creates(mut self, param: &'static str, field: &'static str) -> Self {
        self.creates = Some((None, param, field));
        self
    }

    /// Creates what `{collection}/{param}` names (another collection than
    /// this operation's, as an award opens a contract), its id in the
    /// answer's `field`: linked like [`Self::creates`].
    pub(crate) fn creates_at(
        mut self,
        collection: &'static str,
        param: &'static str,
        field: &'static str,
    ) -> Self {
        self.creates = Some((Some(collection), param, field));
        self
    }

    /// An example of the request body, shown in the document.
    pub(crate) fn example(mut self, example: Value) -> Self {
        self.example = Some(example);
        self
    }

    /// Honours `If-Match` (the aggregate version from the `ETag`).
    pub(crate) fn conditional(mut self) -> Self {
        self.conditional = true;
        self
    }

    /// The operation id: the method and the path's literal segments, with
    /// `{param}` segments as `by_param`.
    pub(crate) fn operation_id(&self) -> String {
        let mut id = self.method.key().to_owned();
        for segment in self.path.split('/').filter(|s| !s.is_empty() && *s != "v1") {
            id.push('_');
            match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(param) => {
                    id.push_str("by_");
                    id.push_str(param);
                }
                None => id.push_str(&segment.replace(['-', ':', '.'], "_")),
            }
        }
        id
    }

    /// The names of the path's `{param}` segments, in order.
    pub(crate) fn path_params(&self) -> impl Iterator<Item = &'static str> {
        self.path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
    }

    /// The JSON Schema of the body, standing alone (with its own `$defs`),
    /// as kept in `schemas/commands/` (checked by the tests).
    #[cfg(test)]
    pub(crate) fn body_schema(&self) -> Option<Value> {
        let make = self.body?;
        let id = format!("urn:agora:schema:command:{}", self.operation_id());
        Some(agora_events::domain::schema::standalone(make, &id))
    }
}

/// The schema generators of one document: requests are described as the
/// server reads them (an `Option` field may be left out), answers as it
/// writes them (an `Option` field is always there, maybe `null`, unless
/// it is skipped when empty).
pub(crate) struct Generators {
    requests: SchemaGenerator,
    replies: SchemaGenerator,
}

impl Generators {
    fn new() -> Self {
        let settings = SchemaSettings::draft2020_12()
            .with(|settings| settings.definitions_path = "/components/schemas".into());
        Self {
            requests: settings.clone().for_deserialize().into_generator(),
            replies: settings.for_serialize().into_generator(),
        }
    }

    /// Every named schema: the requests' ones, then the answers' ones; an
    /// answer type whose schema differs from a request type of the same
    /// name is kept as `{Name}Reply`, and `renamed` lists those names.
    fn definitions(mut self) -> (Map<String, Value>, Vec<String>) {
        let mut schemas = self.requests.take_definitions(true);
        let replies = self.replies.take_definitions(true);
        let renamed: Vec<String> = replies
            .iter()
            .filter(|(name, schema)| schemas.get(*name).is_some_and(|s| s != *schema))
            .map(|(name, _)| name.clone())
            .collect();
        for (name, mut schema) in replies {
            rename_refs(&mut schema, &renamed);
            let name = if renamed.contains(&name) {
                format!("{name}Reply")
            } else {
                name
            };
            schemas.insert(name, schema);
        }
        (schemas, renamed)
    }
}

/// Points every `$ref` to a schema in `renamed` at its `{Name}Reply`.
fn rename_refs(value: &mut Value, renamed: &[String]) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get_mut("$ref")
                && let Some(name) = target.strip_prefix("#/components/schemas/")
                && renamed.iter().any(|r| r == name)
            {
                *target = format!("{target}Reply");
            }
            map.values_mut().for_each(|v| rename_refs(v, renamed));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rename_refs(v, renamed)),
        _ => {}
    }
}

/// Gives every integer the bounds of its Rust type (from schemars'
/// `format`: `uint8` ... `int64`) where no tighter bound is set: serde
/// refuses anything outside them, so the document says so.
fn bound_integers(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let bounds = match map.get("format").and_then(Value::as_str) {
                Some("uint8") => Some((json!(0), json!(u8::MAX))),
                Some("uint16") => Some((json!(0), json!(u16::MAX))),
                Some("uint32") => Some((json!(0), json!(u32::MAX))),
                Some("uint64" | "uint") => Some((json!(0), json!(u64::MAX))),
                Some("int8") => Some((json!(i8::MIN), json!(i8::MAX))),
                Some("int16") => Some((json!(i16::MIN), json!(i16::MAX))),
                Some("int32") => Some((json!(i32::MIN), json!(i32::MAX))),
                Some("int64" | "int") => Some((json!(i64::MIN), json!(i64::MAX))),
                _ => None,
            };
            if let Some((min, max)) = bounds {
                map.entry("minimum").or_insert(min);
                map.entry("maximum").or_insert(max);
            }
            map.values_mut().for_each(bound_integers);
        }
        Value::Array(items) => items.iter_mut().for_each(bound_integers),
        _ => {}
    }
}

/// Builds the whole OpenAPI 3.1 document from `endpoints`.
pub(crate) fn document(endpoints: &[Endpoint]) -> Value {
    let mut generators = Generators::new();
    let mut paths: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    for endpoint in endpoints {
        let mut operation = operation(endpoint, &mut generators);
        if let Some(links) = links(endpoint, endpoints) {
            let reply = endpoint.reply.status.to_string();
            operation["responses"][reply.as_str()]["links"] = links;
        }
        paths
            .entry(endpoint.path)
            .or_default()
            .insert(endpoint.method.key().to_owned(), operation);
    }
    let (mut schemas, renamed) = generators.definitions();
    let mut paths = serde_json::to_value(paths).unwrap_or_default();
    if let Some(paths) = paths.as_object_mut() {
        for operation in paths.values_mut().filter_map(Value::as_object_mut) {
            for operation in operation.values_mut() {
                if let Some(responses) = operation.get_mut("responses") {
                    rename_refs(responses, &renamed);
                }
            }
        }
    }
    schemas.insert("Problem".into(), problem_schema());
    let mut schemas = Value::Object(schemas);
    bound_integers(&mut schemas);
    bound_integers(&mut paths);
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Agora",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Paid knowledge and technology outsourcing over one event-sourced core. \
                JSON in and out; every error is application/problem+json with a stable `type` \
                (see the Problem schema); mutations need `Authorization: Bearer TOKEN` from \
                POST /v1/sessions; mutating requests may carry `Idempotency-Key`.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An opaque random session token from POST /v1/sessions, \
                        revoked by DELETE /v1/sessions/current or when it expires."
                }
            },
            "responses": {
                "Problem": {
                    "description": "An error, from the one table of problem types.",
                    "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
                }
            }
        }
    })
}

/// The OpenAPI links from a creating operation to every operation under
/// the path of what it creates whose other path parameters the creating
/// request has too (`None` if it creates nothing): a link can only fill a
/// parameter from the answer or from the request.
fn links(endpoint: &Endpoint, endpoints: &[Endpoint]) -> Option<Value> {
    let (collection, param, field) = endpoint.creates?;
    let base = format!("{}/{{{param}}}", collection.unwrap_or(endpoint.path));
    let mut links = Map::new();
    for target in endpoints {
        let under = target.path == base || target.path.starts_with(&format!("{base}/"));
        let known = target
            .path_params()
            .all(|name| name == param || endpoint.path_params().any(|p| p == name));
        if !under || !known {
            continue;
        }
        let parameters: Map<String, Value> = target
            .path_params()
            .map(|name| {
                let source = if name == param {
                    format!("$response.body#/{field}")
                } else {
                    format!("$request.path.{name}")
                };
                (name.to_owned(), json!(source))
            })
            .collect();
        links.insert(
            target.operation_id(),
            json!({"operationId": target.operation_id(), "parameters": parameters}),
        );
    }
    (!links.is_empty()).then_some(Value::Object(links))
}

fn operation(endpoint: &Endpoint, generators: &mut Generators) -> Value {
    let generator = &mut generators.requests;
    // Every path parameter names something by its id, but a milestone's
    // `{index}` (a number from 0) and an audited `{stream}` (a stream's
    // name).
    let mut parameters: Vec<Value> = endpoint
        .path_params()
        .map(|name| {
            let schema = match name {
                "index" => generator.subschema_for::<super::fields::MilestoneIndex>(),
                "stream" => generator.subschema_for::<super::fields::StreamName>(),
                _ => generator.subschema_for::<super::fields::Id>(),
            };
            json!({"name": name, "in": "path", "required": true, "schema": schema})
        })
        .collect();
    if let Some(query) = endpoint.query {
        parameters.extend(query_parameters(query));
    }
    if endpoint.keyed {
        parameters.push(json!({
            "name": "Idempotency-Key", "in": "header", "required": false,
            "description": "1 to 255 visible ASCII characters; a repeat with the same key answers like the first time and changes nothing.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"}
        }));
    }
    if endpoint.conditional {
        parameters.push(json!({
            "name": "If-Match", "in": "header", "required": false,
            "description": "The ETag (aggregate version) the change applies to, `\"3\"` (a bare `3` is taken too); a stale one gets 412.",
            "schema": super::fields::if_match()
        }));
    }
    let mut op = Map::new();
    op.insert("operationId".into(), json!(endpoint.operation_id()));
    op.insert("summary".into(), json!(endpoint.summary));
    op.insert(
        "description".into(),
        json!(format!("Who may call: {}.", endpoint.policy.describe())),
    );
    op.insert("x-agora-policy".into(), endpoint.policy.to_doc());
    if endpoint.policy.needs_token() {
        op.insert("security".into(), json!([{"bearer": []}]));
    }
    if !parameters.is_empty() {
        op.insert("parameters".into(), Value::Array(parameters));
    }
    if let Some(body) = endpoint.body {
        op.insert(
            "requestBody".into(),
            match &endpoint.example {
                Some(example) => json!({"required": true, "content": {"application/json": {
                    "schema": body(generator), "example": example
                }}}),
                None => {
                    json!({"required": true, "content": {"application/json": {"schema": body(generator)}}})
                }
            },
        );
    }
    let reply = endpoint.reply;
    let mut success = Map::new();
    success.insert("description".into(), json!(status_text(reply.status)));
    if !reply.media_type.is_empty() {
        let schema = match reply.schema {
            Some(make) => make(&mut generators.replies).to_value(),
            None => json!({"type": "string"}),
        };
        let mut content = json!({reply.media_type: {"schema": schema}});
        if let Some(other) = endpoint.alternative {
            content[other] = json!({"schema": {"type": "string"}});
        }
        success.insert("content".into(), content);
    }
    op.insert(
        "responses".into(),
        json!({
            reply.status.to_string(): success,
            "default": {"$ref": "#/components/responses/Problem"}
        }),
    );
    Value::Object(op)
}

/// The fields of a query type as OpenAPI `in: query` parameters.
fn query_parameters(make: SchemaFn) -> Vec<Value> {
    let mut inline = SchemaSettings::draft2020_12()
        .with(|settings| settings.inline_subschemas = true)
        .into_generator();
    let schema = make(&mut inline).to_value();
    // Named types may still come back as a `$ref` at the top.
    let schema = match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap_or_default().to_owned();
            inline
                .definitions()
                .get(&name)
                .cloned()
                .unwrap_or(Value::Null)
        }
        None => schema,
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    properties
        .iter()
        .map(|(name, property)| {
            // An absent parameter is how a query says "none": no `null`.
            let property = without_null(property.clone());
            let mut parameter = json!({
                "name": name,
                "in": "query",
                "required": required.contains(&name.as_str()),
                "schema": property,
            });
            if let Some(description) = property.get("description") {
                parameter["description"] = description.clone();
            }
            parameter
        })
        .collect()
}

/// `schema` without `null` among its types, enum values or alternatives.
fn without_null(mut schema: Value) -> Value {
    if let Some(types) = schema.get_mut("type").and_then(Value::as_array_mut) {
        types.retain(|t| t != "null");
        if let [single] = types.as_slice() {
            schema["type"] = single.clone();
        }
    }
    if let Some(values) = schema.get_mut("enum").and_then(Value::as_array_mut) {
        values.retain(|v| !v.is_null());
    }
    for key in ["anyOf", "oneOf"] {
        let Some(options) = schema.get_mut(key).and_then(Value::as_array_mut) else {
            continue;
        };
        options.retain(|o| o.get("type").and_then(Value::as_str) != Some("null"));
        if let [single] = options.as_slice() {
            let single = single.clone();
            if let Some(map) = schema.as_object_mut() {
                map.remove(key);
                if let Some(fields) = single.as_object() {
                    for (k, v) in fields {
                        map.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
        }
    }
    schema
}

fn problem_schema() -> Value {
    let types: Vec<&str> = ProblemKind::ALL.iter().map(|k| k.type_uri()).collect();
    json!({
        "type": "object",
        "description": "An error (RFC 9457). Clients match on `type`; `detail` is for people and may change.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string", "enum": types},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"}
        }
    })
}

fn status_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No content",
        _ => "Success",
    }
}

/// `GET /openapi.json`: the document of this build.
pub(crate) async fn serve() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(super::api::openapi_text())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    /// Walks a request schema and lists, by JSON path, every string without
    /// a `maxLength` (unless it is an enum or a constant) and every number
    /// without both bounds: what a client could send that the document
    /// does not bound.
    struct Walk<'a> {
        schemas: &'a Value,
        seen: BTreeSet<String>,
        unbounded: Vec<String>,
    }

    impl Walk<'_> {
        fn visit(&mut self, schema: &Value, at: &str) {
            let Some(map) = schema.as_object() else {
                return;
            };
            if let Some(target) = map.get("$ref").and_then(Value::as_str) {
                let name = target.rsplit('/').next().unwrap_or_default();
                if self.seen.insert(name.to_owned()) {
                    let resolved = &self.schemas[name];
                    assert!(!resolved.is_null(), "dangling $ref {target} at {at}");
                    self.visit(resolved, &format!("{at}→{name}"));
                }
            }
            let types: Vec<&str> = match map.get("type") {
                Some(Value::String(t)) => vec![t.as_str()],
                Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            let closed = map.contains_key("enum") || map.contains_key("const");
            let bounded = map.contains_key("maxLength")
                || map
                    .get("pattern")
                    .and_then(Value::as_str)
                    .is_some_and(super::super::fields::bounded_pattern);
            if types.contains(&"string") && !closed && !bounded {
                self.unbounded
                    .push(format!("{at}: a string without maxLength"));
            }
            if types.iter().any(|t| *t == "integer" || *t == "number") && !closed {
                let low = map.contains_key("minimum") || map.contains_key("exclusiveMinimum");
                let high = map.contains_key("maximum") || map.contains_key("exclusiveMaximum");
                if !(low && high) {
                    self.unbounded
                        .push(format!("{at}: a number without both bounds"));
                }
            }
            if let Some(properties) = map.get("properties").and_then(Value::as_object) {
                for (name, property) in properties {
                    self.visit(property, &format!("{at}.{name}"));
                }
            }
            for key in ["items", "additionalProperties", "not"] {
                if let Some(inner) = map.get(key) {
                    self.visit(inner, &format!("{at}[{key}]"));
                }
            }
            for key in ["anyOf", "oneOf", "allOf", "prefixItems"] {
                for (i, option) in map
                    .get(key)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    self.visit(option, &format!("{at}/{key}{i}"));
                }
            }
        }
    }

    /// Every field a client sends — path, query and header parameters and
    /// every body field at any depth — is bounded in the document, so a
    /// new endpoint's field cannot forget its rule: strings have a
    /// `maxLength` (or a pattern that bounds the length, or are enums),
    /// numbers a minimum and a maximum.
    #[test]
    fn every_request_field_is_bounded_in_the_document() {
        let document: Value =
            serde_json::from_str(super::super::api::openapi_text()).expect("the document is JSON");
        let mut walk = Walk {
            schemas: &document["components"]["schemas"],
            seen: BTreeSet::new(),
            unbounded: Vec::new(),
        };
        let paths = document["paths"].as_object().expect("paths");
        for (path, operations) in paths {
            for (method, operation) in operations.as_object().expect("operations") {
                let at = format!("{method} {path}");
                for parameter in operation["parameters"].as_array().into_iter().flatten() {
                    let name = parameter["name"].as_str().unwrap_or_default();
                    walk.visit(&parameter["schema"], &format!("{at} ?{name}"));
                }
                if let Some(body) = operation.get("requestBody") {
                    walk.seen.clear();
                    walk.visit(&body["content"]["application/json"]["schema"], &at);
                }
                walk.seen.clear();
            }
        }
        assert!(walk.unbounded.is_empty(), "{:#?}", walk.unbounded);
    }

    /// The walk itself finds what it must (a test that cannot fail
    /// protects nothing).
    #[test]
    fn the_walk_finds_an_unbounded_field() {
        let schemas = serde_json::json!({
            "B": {"type": "object", "properties": {"s": {"type": ["string", "null"]}}}
        });
        let mut walk = Walk {
            schemas: &schemas,
            seen: BTreeSet::new(),
            unbounded: Vec::new(),
        };
        let body = serde_json::json!({"type": "object", "properties": {
            "b": {"$ref": "#/components/schemas/B"},
            "n": {"type": "integer", "minimum": 0},
            "e": {"type": "string", "enum": ["x"]},
            "ok": {"type": "string", "maxLength": 3}
        }});
        walk.visit(&body, "post /x");
        assert_eq!(
            walk.unbounded,
            [
                "post /x.b→B.s: a string without maxLength",
                "post /x.n: a number without both bounds"
            ]
        );
    }
}
