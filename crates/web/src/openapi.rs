//! The API's operations and the OpenAPI 3.1 document built from them. Each feature lists its
//! operations in one table of [`Endpoint`]s; the router and the document are both made from
//! those tables (see `api/mod.rs`), so an operation cannot be routed without being documented,
//! nor documented without being routed. Every operation has an `operationId`; a test walks the
//! document and calls every operation.
//!
//! A row names the Rust types of its request body, query string and answer
//! ([`Endpoint::body`], [`Endpoint::query`], [`Endpoint::returns`], …); their schemas come from
//! those types (`utoipa`'s `ToSchema` and `IntoParams`), the same types the handler reads and
//! writes, so the document cannot describe fields the server does not have. Every 4xx and 5xx
//! answer is the JSON error shape ([`crate::error::ErrorBody`]).

use std::collections::BTreeMap;

use axum::http::header::ALLOW;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use axum::Router;
use serde_json::{json, Map, Value};
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{IntoParams, ToSchema};

use crate::app::AppState;
use crate::auth::COOKIE_NAME;
use crate::error::{ApiError, ErrorBody};

/// The HTTP method of an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Method {
    /// `GET` (and `HEAD`).
    Get,
    /// `POST`.
    Post,
}

impl Method {
    /// The method's name in the document.
    pub fn name(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Method::Get => MethodFilter::GET,
            Method::Post => MethodFilter::POST,
        }
    }
}

/// The handler of an operation, routed for its method: `|m| on(m, handler)`.
pub type Handler = fn(MethodFilter) -> MethodRouter<AppState>;

/// The named schemas a document refers to, gathered while it is built.
pub type Schemas = Vec<(String, RefOr<Schema>)>;

/// The schema of a body: adds the schemas it refers to and gives its own (usually a `$ref`).
pub type SchemaOf = fn(&mut Schemas) -> Value;

/// The query parameters of an operation.
pub type ParamsOf = fn() -> Vec<Value>;

/// What an operation answers when it succeeds.
#[derive(Clone, Copy)]
pub enum Reply {
    /// JSON with this status.
    Json(u16, SchemaOf),
    /// Text of this media type, with status 200.
    Text(&'static str),
}

/// One operation of the API: its route and its entry in the document.
pub struct Endpoint {
    /// The method.
    pub method: Method,
    /// The path, with `{name}` parameters.
    pub path: &'static str,
    /// The `operationId`.
    pub operation_id: &'static str,
    /// What it does, in a line.
    pub summary: &'static str,
    /// The JSON body it takes, if any.
    pub body: Option<SchemaOf>,
    /// Its query parameters, if any.
    pub query: Option<ParamsOf>,
    /// What it answers (every operation declares it; a test checks).
    pub reply: Option<Reply>,
    /// Whether it is open without a session (the login, `/healthz`, this document).
    pub public: bool,
    handler: Handler,
}

/// A reference to `T`'s schema, adding it and the schemas it refers to.
fn one<T: ToSchema>(schemas: &mut Schemas) -> Value {
    schemas.push((T::name().into_owned(), T::schema()));
    T::schemas(schemas);
    json!({ "$ref": format!("#/components/schemas/{}", T::name()) })
}

/// An array of `T`.
fn list<T: ToSchema>(schemas: &mut Schemas) -> Value {
    json!({ "type": "array", "items": one::<T>(schemas) })
}

/// The query parameters of `T`.
fn params<T: IntoParams>() -> Vec<Value> {
    T::into_params(|| Some(ParameterIn::Query))
        .into_iter()
        .map(|p| serde_json::to_value(p).unwrap_or_default())
        .collect()
}

impl Endpoint {
    /// A `GET` operation.
    pub const fn get(
        path: &'static str,
        operation_id: &'static str,
        summary: &'static str,
        handler: Handler,
    ) -> Endpoint {
        Endpoint {
            method: Method::Get,
            path,
            operation_id,
            summary,
            body: None,
            query: None,
            reply: None,
            public: false,
            handler,
        }
    }

    /// A `POST` operation (without a body unless [`Endpoint::body`] gives one).
    pub const fn post(
        path: &'static str,
        operation_id: &'static str,
        summary: &'static str,
        handler: Handler,
    ) -> Endpoint {
        let mut endpoint = Endpoint::get(path, operation_id, summary, handler);
        endpoint.method = Method::Post;
        endpoint
    }

    /// The operation takes a JSON body of type `T`.
    pub const fn body<T: ToSchema>(mut self) -> Endpoint {
        self.body = Some(one::<T>);
        self
    }

    /// The operation reads the query string as `T`.
    pub const fn query<T: IntoParams>(mut self) -> Endpoint {
        self.query = Some(params::<T>);
        self
    }

    /// The operation answers 200 with a `T`.
    pub const fn returns<T: ToSchema>(mut self) -> Endpoint {
        self.reply = Some(Reply::Json(200, one::<T>));
        self
    }

    /// The operation answers 200 with a list of `T`.
    pub const fn returns_list<T: ToSchema>(mut self) -> Endpoint {
        self.reply = Some(Reply::Json(200, list::<T>));
        self
    }

    /// The operation answers 201 with the `T` it created.
    pub const fn creates<T: ToSchema>(mut self) -> Endpoint {
        self.reply = Some(Reply::Json(201, one::<T>));
        self
    }

    /// The operation answers 201 with a list of `T`.
    pub const fn creates_list<T: ToSchema>(mut self) -> Endpoint {
        self.reply = Some(Reply::Json(201, list::<T>));
        self
    }

    /// The operation answers 202 with a `T`: taken, to be carried out (or not) later.
    pub const fn accepts<T: ToSchema>(mut self) -> Endpoint {
        self.reply = Some(Reply::Json(202, one::<T>));
        self
    }

    /// The operation answers 200 with text of this media type.
    pub const fn text(mut self, media_type: &'static str) -> Endpoint {
        self.reply = Some(Reply::Text(media_type));
        self
    }

    /// The operation needs no session.
    pub const fn public(mut self) -> Endpoint {
        self.public = true;
        self
    }

    /// Who may call it: nobody needs anything for a public operation; a read needs the session
    /// cookie; a write needs the cookie and the session's CSRF token in `X-CSRF-Token`.
    fn security(&self) -> Value {
        match (self.public, self.method) {
            (true, _) => json!([]),
            (false, Method::Get) => json!([{ "session": [] }]),
            (false, Method::Post) => json!([{ "session": [], "csrf": [] }]),
        }
    }

    /// The operation's entry in the document.
    fn document(&self, schemas: &mut Schemas) -> Value {
        let mut params: Vec<Value> = self
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| {
                json!({ "name": name, "in": "path", "required": true, "schema": path_schema(name) })
            })
            .collect();
        params.extend(self.query.map(|q| q()).unwrap_or_default());
        let error = json!({ "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } });
        let mut responses = Map::new();
        match self.reply {
            Some(Reply::Json(status, schema)) => {
                let schema = schema(schemas);
                responses.insert(
                    status.to_string(),
                    json!({ "description": "Success", "content": { "application/json": { "schema": schema } } }),
                );
            }
            Some(Reply::Text(media_type)) => {
                responses.insert(
                    "200".into(),
                    json!({ "description": "Success", "content": { media_type: { "schema": { "type": "string" } } } }),
                );
            }
            None => {}
        }
        responses.insert(
            "4XX".into(),
            json!({ "description": "A problem with the request: the error names it, and each field at fault", "content": error }),
        );
        responses.insert(
            "5XX".into(),
            json!({ "description": "A failure of the server or its database", "content": error }),
        );
        let mut op = json!({
            "operationId": self.operation_id,
            "summary": self.summary,
            "parameters": params,
            "security": self.security(),
            "responses": responses,
        });
        if let Some(body) = self.body {
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": body(schemas) } } });
        }
        op
    }
}

/// A path parameter's schema: the ids of participants, queries, notifications and accounts
/// (`{id}`, `{query}`) are integers; studies, visits and forms are named by strings.
fn path_schema(name: &str) -> Value {
    match name {
        "id" | "query" => json!({ "type": "integer", "format": "int64" }),
        _ => json!({ "type": "string" }),
    }
}

/// The routes of these operations: each path with its methods, and for any other method a 405
/// in the JSON error shape with the `Allow` header.
pub fn routes<'a>(endpoints: impl IntoIterator<Item = &'a Endpoint>) -> Router<AppState> {
    let mut paths: BTreeMap<&str, Vec<&Endpoint>> = BTreeMap::new();
    for e in endpoints {
        paths.entry(e.path).or_default().push(e);
    }
    paths
        .into_iter()
        .fold(Router::new(), |router, (path, endpoints)| {
            let allowed = endpoints
                .iter()
                .flat_map(|e| match e.method {
                    Method::Get => ["GET", "HEAD"].as_slice(),
                    Method::Post => ["POST"].as_slice(),
                })
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            let methods = endpoints
                .iter()
                .fold(MethodRouter::new(), |methods, e| {
                    methods.merge((e.handler)(e.method.filter()))
                })
                .fallback(move |method: axum::http::Method| {
                    let allowed = allowed.clone();
                    async move { method_not_allowed(&method, &allowed) }
                });
            router.route(path, methods)
        })
}

/// A 405 for a method a path does not have.
fn method_not_allowed(method: &axum::http::Method, allowed: &str) -> Response {
    let mut response = ApiError::MethodNotAllowed(format!(
        "{method} is not an operation of this path (allowed: {allowed})"
    ))
    .into_response();
    if let Ok(value) = HeaderValue::from_str(allowed) {
        response.headers_mut().insert(ALLOW, value);
    }
    response
}

/// The names given to two different schemas by these operations (two Rust types of one name:
/// the document would keep one of them and describe the other's answers wrongly).
pub fn schema_name_clashes<'a>(endpoints: impl IntoIterator<Item = &'a Endpoint>) -> Vec<String> {
    let mut schemas = Schemas::new();
    for e in endpoints {
        e.document(&mut schemas);
    }
    let mut seen: std::collections::BTreeMap<String, Value> = Default::default();
    let mut clashes = std::collections::BTreeSet::new();
    for (name, schema) in schemas {
        let value = serde_json::to_value(schema).unwrap_or_default();
        match seen.get(&name) {
            Some(first) if *first != value => {
                clashes.insert(name);
            }
            Some(_) => {}
            None => {
                seen.insert(name, value);
            }
        }
    }
    clashes.into_iter().collect()
}

/// The document of these operations.
pub fn build<'a>(endpoints: impl IntoIterator<Item = &'a Endpoint>) -> Value {
    let mut schemas = Schemas::new();
    one::<ErrorBody>(&mut schemas);
    let mut paths = Map::new();
    for e in endpoints {
        let entry = paths.entry(e.path.to_string()).or_insert_with(|| json!({}));
        entry[e.method.name()] = e.document(&mut schemas);
    }
    let schemas: Map<String, Value> = schemas
        .into_iter()
        .map(|(name, schema)| (name, serde_json::to_value(schema).unwrap_or_default()))
        .collect();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "scitrial",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Clinical trials of cell therapies for spinal cord injury. Sign in with \
                POST /api/login: it sets the session cookie and returns a csrf_token, to send as \
                X-CSRF-Token with every other POST. Every error is the ErrorBody shape, naming \
                each field at fault (`exam.c5RightMotor`, `kits[2].number`) and the allowed values."
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "session": { "type": "apiKey", "in": "cookie", "name": COOKIE_NAME,
                             "description": "The session cookie set by POST /api/login" },
                "csrf": { "type": "apiKey", "in": "header", "name": "X-CSRF-Token",
                          "description": "The session's csrf_token (from /api/login or /api/me), on every state-changing request" }
            },
            "schemas": schemas,
        },
    })
}
