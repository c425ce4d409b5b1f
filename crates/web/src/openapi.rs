//! The API's operations and the OpenAPI 3 document built from them. Each feature lists its
//! operations in one table of [`Endpoint`]s; the router and the document are both made from
//! those tables (see `api/mod.rs`), so an operation cannot be routed without being documented,
//! nor documented without being routed. Every operation has an `operationId`; a test walks the
//! document and calls every operation.

use axum::routing::{MethodFilter, MethodRouter};
use axum::Router;
use serde_json::{json, Value};

use crate::app::AppState;

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
    /// Whether it takes a JSON body.
    pub json_body: bool,
    /// Required query parameters.
    pub query: &'static [&'static str],
    handler: Handler,
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
            json_body: false,
            query: &[],
            handler,
        }
    }

    /// A `POST` operation without a body.
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

    /// The operation takes a JSON body.
    pub const fn json(mut self) -> Endpoint {
        self.json_body = true;
        self
    }

    /// The operation needs these query parameters.
    pub const fn query(mut self, names: &'static [&'static str]) -> Endpoint {
        self.query = names;
        self
    }

    /// The operation's entry in the document.
    fn document(&self) -> Value {
        let mut params: Vec<Value> = self
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        params.extend(self.query.iter().map(|name| {
            json!({ "name": name, "in": "query", "required": true, "schema": { "type": "string" } })
        }));
        let mut op = json!({
            "operationId": self.operation_id,
            "summary": self.summary,
            "parameters": params,
            "responses": {
                "200": { "description": "Success" },
                "4XX": { "description": "A problem with the request", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
            }
        });
        if self.json_body {
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "type": "object" } } } });
        }
        op
    }
}

/// The routes of these operations.
pub fn routes<'a>(endpoints: impl IntoIterator<Item = &'a Endpoint>) -> Router<AppState> {
    endpoints.into_iter().fold(Router::new(), |router, e| {
        router.route(e.path, (e.handler)(e.method.filter()))
    })
}

/// The document of these operations.
pub fn build<'a>(endpoints: impl IntoIterator<Item = &'a Endpoint>) -> Value {
    let mut paths = serde_json::Map::new();
    for e in endpoints {
        let entry = paths.entry(e.path.to_string()).or_insert_with(|| json!({}));
        entry[e.method.name()] = e.document();
    }
    json!({
        "openapi": "3.0.3",
        "info": { "title": "scitrial", "version": env!("CARGO_PKG_VERSION"),
                  "description": "Clinical trials of cell therapies for spinal cord injury. Sign in with /api/login; send the returned csrf_token as X-CSRF-Token with every other POST." },
        "paths": paths,
        "components": {
            "securitySchemes": { "session": { "type": "apiKey", "in": "cookie", "name": crate::auth::COOKIE_NAME } },
            "schemas": {
                "Error": { "type": "object", "properties": { "error": { "type": "object", "properties": {
                    "status": { "type": "integer" }, "message": { "type": "string" },
                    "fields": { "type": "array", "items": { "type": "object", "properties": {
                        "field": { "type": "string" }, "message": { "type": "string" } } } } } } } }
            }
        },
        "security": [ { "session": [] } ]
    })
}
