//! # web
//!
//! The HTTP server of the platform: a JSON API described by an OpenAPI 3 document at
//! `/api/openapi.json` (every operation has an `operationId`), sessions and access control, and
//! `/healthz`. The only crate that knows HTTP.
//!
//! - [`service`] holds the use cases (screening with eligibility, enrolment with the visit
//!   plan, access rules), used by the handlers and by the demo's seeding.
//! - [`auth`] signs users in and out.
//! - [`api`] holds the handlers; [`error::ApiError`] maps every error to a status in one place.

pub mod allocation;
pub mod api;
pub mod auth;
pub mod demo;
pub mod error;
pub mod escalation;
pub mod openapi;
pub mod pages;
pub mod service;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{FromRequest, Request};
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;
use store::Store;

use crate::error::ApiError;

/// A real argon2id hash, checked against when a name is unknown so that both answers take as
/// long.
pub(crate) fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| store::password::hash("no one types this password"))
}

/// The application: the store and the studies it serves.
pub struct App {
    /// The system of record.
    pub store: Arc<dyn Store>,
    /// The loaded studies, by id.
    pub studies: BTreeMap<String, trial::Study>,
    /// Whether the session cookie is marked Secure (behind TLS).
    pub secure_cookies: bool,
}

/// The application as handlers share it.
pub type AppState = Arc<App>;

impl App {
    /// An application over a store, loading each study definition (TOML source) into it.
    pub async fn new(
        store: Arc<dyn Store>,
        definitions: &[String],
        secure_cookies: bool,
    ) -> Result<App, String> {
        let mut studies = BTreeMap::new();
        for source in definitions {
            let study = trial::Study::from_toml(source).map_err(|e| e.to_string())?;
            store
                .load_study(&study, source, &store::Actor::system())
                .await
                .map_err(|e| e.to_string())?;
            studies.insert(study.id.clone(), study);
        }
        Ok(App {
            store,
            studies,
            secure_cookies,
        })
    }
}

/// Reads a JSON request body, after the caller's rights were checked, so that someone who may
/// not do an operation learns nothing from how their request was wrong.
pub fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::BadRequest(format!(
            "the request body is not what this operation takes: {e}"
        ))
    })
}

/// A JSON request body whose problems come back as our JSON errors.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Body<T>, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Body(value)),
            Err(rejection) => {
                let text = rejection.body_text();
                let text = text
                    .strip_prefix("Failed to deserialize the JSON body into the target type: ")
                    .unwrap_or(&text);
                Err(ApiError::BadRequest(format!(
                    "the request body is not what this operation takes: {text}"
                )))
            }
        }
    }
}

/// The router of the whole API.
pub fn router(app: AppState) -> Router {
    Router::new()
        .route("/healthz", get(api::healthz))
        .route("/api/openapi.json", get(openapi::document))
        .route("/api/login", post(auth::login))
        .route("/api/logout", post(auth::logout))
        .route("/api/me", get(auth::me))
        .route("/api/studies", get(api::studies))
        .route("/api/isncsci/classify", post(api::classify))
        .route(
            "/api/studies/{study}/participants",
            get(api::participants).post(api::screen),
        )
        .route(
            "/api/studies/{study}/participants/{id}",
            get(api::participant),
        )
        .route(
            "/api/studies/{study}/participants/{id}/enrolment",
            post(api::enrol),
        )
        .route("/api/studies/{study}/participants/{id}/end", post(api::end))
        .route(
            "/api/studies/{study}/participants/{id}/corrections",
            post(api::correct),
        )
        .route(
            "/api/studies/{study}/participants/{id}/visits/{visit}",
            post(api::visit_done),
        )
        .route(
            "/api/studies/{study}/participants/{id}/visits/{visit}/forms/{form}",
            post(api::save_form),
        )
        .route(
            "/api/studies/{study}/participants/{id}/visits/{visit}/forms/{form}/verification",
            post(api::verify_form),
        )
        .route(
            "/api/studies/{study}/participants/{id}/visits/{visit}/forms/{form}/lock",
            post(api::lock_form),
        )
        .route(
            "/api/studies/{study}/participants/{id}/visits/{visit}/forms/{form}/unlock",
            post(api::unlock_form),
        )
        .route(
            "/api/studies/{study}/participants/{id}/visits/{visit}/signature",
            post(api::sign_visit),
        )
        .route(
            "/api/studies/{study}/participants/{id}/signature",
            post(api::sign_casebook),
        )
        .route(
            "/api/studies/{study}/participants/{id}/forms",
            get(api::forms),
        )
        .route(
            "/api/studies/{study}/participants/{id}/signatures",
            get(api::signatures),
        )
        .route(
            "/api/studies/{study}/participants/{id}/queries",
            post(api::raise_query),
        )
        .route("/api/studies/{study}/queries", get(api::list_queries))
        .route(
            "/api/studies/{study}/queries/{query}/answer",
            post(api::answer_query),
        )
        .route(
            "/api/studies/{study}/queries/{query}/close",
            post(api::close_query),
        )
        .route(
            "/api/studies/{study}/queries/{query}/reopen",
            post(api::reopen_query),
        )
        .route("/api/studies/{study}/audit", get(api::audit))
        .route("/api/audit.csv", get(api::audit_csv))
        .route("/api/users", get(api::users).post(api::create_user))
        .route("/api/users/{id}/roles", post(api::assign_role))
        .route("/api/users/{id}/roles/removal", post(api::remove_role))
        .route("/api/users/{id}/state", post(api::set_active))
        // Allocation (crates/web/src/allocation.rs).
        .route(
            "/api/studies/{study}/randomisation",
            get(allocation::list).post(allocation::generate),
        )
        .route(
            "/api/studies/{study}/participants/{id}/randomisation",
            post(allocation::randomise),
        )
        .route("/api/studies/{study}/kits", get(allocation::kits))
        .route(
            "/api/studies/{study}/participants/{id}/dispensing",
            post(allocation::dispense),
        )
        .route(
            "/api/studies/{study}/participants/{id}/unblinding",
            post(allocation::unblind),
        )
        .route(
            "/api/studies/{study}/notifications",
            get(allocation::notifications),
        )
        .route(
            "/api/studies/{study}/notifications/{id}/read",
            post(allocation::acknowledge_notification),
        )
        // Dose escalation (crates/web/src/escalation.rs).
        .route("/api/studies/{study}/cohorts", get(escalation::cohorts))
        .route(
            "/api/studies/{study}/participants/{id}/dose-level",
            post(escalation::assign),
        )
        .route(
            "/api/studies/{study}/participants/{id}/dose-level/override",
            post(escalation::override_level),
        )
        .route(
            "/api/studies/{study}/participants/{id}/dlt",
            post(escalation::record_dlt),
        )
        .merge(pages::routes())
        .fallback(|| async { ApiError::NotFound("no such page or operation".into()) })
        .with_state(app)
}

/// Serves the API on a bound listener until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, app: App) -> std::io::Result<()> {
    axum::serve(listener, router(Arc::new(app))).await
}
