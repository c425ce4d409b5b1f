//! The JSON API, one file per feature. A feature lists its operations in one table
//! (`OPERATIONS`: method, path, operationId, summary, handler, and the types of the body, query
//! string and answer); [`FEATURES`] registers the tables, and both the router ([`routes`]) and
//! the OpenAPI document, with the schemas of those types, are made from them.
//!
//! A feature imports only the plumbing below it (`app`, `extract`, `access`, `auth`, `esign`,
//! `blinding`, `service`, `error`, `openapi`), the store and the trial crate, never another
//! feature. Every handler checks the caller's roles first ([`crate::access::require`], or
//! [`crate::extract::ParticipantPath`] for one participant) and reads the body after, so that a
//! site user reaches only their site's participants (404 for the others) and someone who may not
//! do an operation learns nothing from how their request was wrong.
//!
//! Adding a feature: its file here, with its `OPERATIONS`, and one line in [`FEATURES`].

mod accounts;
mod allocation;
mod analysis;
mod audit;
mod credentials;
mod ecrf;
mod escalation;
mod isncsci;
mod labs;
mod lock;
mod notifications;
mod participants;
pub mod performed;
pub(crate) mod product;
mod queries;
mod safety;
mod session;
mod signatures;
mod studies;
mod submission;

use std::sync::LazyLock;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::on;
use axum::{Json, Router};

use crate::app::AppState;
use crate::error::ApiError;
use crate::openapi::{self, Endpoint};

pub use accounts::check_new_user;
pub(crate) use product::supply::sweep_supply;
pub(crate) use safety::cases::sweep_notices as sweep_safety_notices;

/// Every feature's operations. Registering a feature is one line here.
const FEATURES: &[&[Endpoint]] = &[
    SERVER,
    session::OPERATIONS,
    credentials::OPERATIONS,
    studies::OPERATIONS,
    isncsci::OPERATIONS,
    participants::OPERATIONS,
    ecrf::OPERATIONS,
    signatures::OPERATIONS,
    queries::OPERATIONS,
    audit::OPERATIONS,
    accounts::OPERATIONS,
    allocation::OPERATIONS,
    notifications::OPERATIONS,
    escalation::OPERATIONS,
    labs::OPERATIONS,
    product::OPERATIONS,
    product::custody::OPERATIONS,
    product::recall::OPERATIONS,
    product::supply::OPERATIONS,
    safety::OPERATIONS,
    safety::signature::OPERATIONS,
    safety::dsmb::OPERATIONS,
    safety::cases::OPERATIONS,
    safety::e2b::OPERATIONS,
    lock::OPERATIONS,
    analysis::OPERATIONS,
    submission::OPERATIONS,
];

/// Every operation of the API, feature by feature.
pub static OPERATIONS: LazyLock<Vec<&'static Endpoint>> =
    LazyLock::new(|| FEATURES.iter().flat_map(|f| f.iter()).collect());

/// The routes of every operation.
pub(crate) fn routes() -> Router<AppState> {
    openapi::routes(OPERATIONS.iter().copied())
}

/// The server's own operations.
const SERVER: &[Endpoint] = &[
    Endpoint::get(
        "/healthz",
        "healthz",
        "Whether the server and its database answer",
        |m| on(m, healthz),
    )
    .text("text/plain")
    .public(),
    Endpoint::get("/api/openapi.json", "openapi", "This document", |m| {
        on(m, document)
    })
    .returns::<OpenApiDocument>()
    .public(),
];

/// The schema of `/api/openapi.json`: an OpenAPI 3.1 document, whose own schema is the
/// OpenAPI specification's.
struct OpenApiDocument;

impl utoipa::PartialSchema for OpenApiDocument {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ["openapi", "info", "paths", "components"]
            .into_iter()
            .fold(ObjectBuilder::new().schema_type(Type::Object), |o, key| {
                let kind = if key == "openapi" {
                    Type::String
                } else {
                    Type::Object
                };
                o.property(key, ObjectBuilder::new().schema_type(kind))
                    .required(key)
            })
            .into()
    }
}

impl utoipa::ToSchema for OpenApiDocument {}

/// `GET /healthz`
async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.studies().await {
        Ok(_) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => ApiError::Unavailable(format!("database unavailable: {e}")).into_response(),
    }
}

/// `GET /api/openapi.json`
async fn document() -> Json<serde_json::Value> {
    Json(openapi::build(OPERATIONS.iter().copied()))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The router and the document come from the same tables; here the tables are checked to
    /// name each operation once, and the document to list exactly the routed operations.
    #[test]
    fn every_routed_operation_is_documented_once_and_only_those() {
        let ids: BTreeSet<&str> = OPERATIONS.iter().map(|e| e.operation_id).collect();
        assert_eq!(ids.len(), OPERATIONS.len(), "an operationId is used twice");
        for e in OPERATIONS.iter() {
            assert!(e.reply.is_some(), "{} declares no answer", e.operation_id);
        }
        let routed: BTreeSet<(String, String)> = OPERATIONS
            .iter()
            .map(|e| (e.path.to_string(), e.method.name().to_string()))
            .collect();
        assert_eq!(routed.len(), OPERATIONS.len(), "a method and path twice");
        let doc = openapi::build(OPERATIONS.iter().copied());
        let documented: BTreeSet<(String, String)> = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, methods)| {
                methods
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(|m| (path.clone(), m.clone()))
            })
            .collect();
        assert_eq!(documented, routed);
        // Building the router panics on a path it cannot route or a method routed twice.
        let _ = routes();
    }

    /// Two types of one name would share one schema in the document, and a client (or
    /// schemathesis) would check one type's answers against the other's schema.
    #[test]
    fn no_two_schemas_share_a_name() {
        assert_eq!(
            openapi::schema_name_clashes(OPERATIONS.iter().copied()),
            Vec::<String>::new()
        );
    }
}
