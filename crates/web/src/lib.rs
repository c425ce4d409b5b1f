//! # web
//!
//! The HTTP server of the platform: a JSON API described by an OpenAPI 3.1 document at
//! `/api/openapi.json` (every operation has an `operationId`), web pages, sessions and access
//! control, and `/healthz`. The only crate that knows HTTP.
//!
//! The crate is cut by feature: [`api`] and [`pages`] hold one file per feature (participants,
//! eCRF, signatures, queries, allocation, …), and a feature imports only the plumbing below it,
//! never another feature:
//!
//! - [`app`] — the application state; [`extract`] — request bodies, participant paths and
//!   scopes; [`access`] — the access rules; [`auth`] — sessions; [`esign`] — the password
//!   re-entered for a signature; [`blinding`] — what a blinded caller may see; [`error`] — every
//!   error mapped to a status; [`openapi`] — operations and the document; [`logging`] — a
//!   request id and a span for every request; [`throttle`] — the limits on failed logins per
//!   client address and per name.
//! - [`service`] — the use cases shared by the API, the pages and the demo's seeding.

pub mod access;
pub mod api;
pub mod app;
pub mod auth;
pub mod blinding;
pub mod demo;
pub mod error;
pub mod esign;
pub mod extract;
pub mod logging;
pub mod mail;
pub mod openapi;
pub mod pages;
pub mod service;
pub mod throttle;
pub mod trail;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;

pub use crate::app::{App, AppState};
use crate::error::ApiError;
pub use crate::extract::parse_body;

/// The router of the whole server: the API's operations and the pages.
pub fn router(app: AppState) -> Router {
    Router::new()
        .merge(api::routes())
        .merge(pages::routes())
        .fallback(|| async { ApiError::NotFound("no such page or operation".into()) })
        .layer(axum::extract::DefaultBodyLimit::max(extract::MAX_BODY))
        .layer(axum::middleware::from_fn(error::json_errors))
        .layer(axum::middleware::from_fn(pages::i18n_errors::page_language))
        .layer(axum::middleware::from_fn(logging::request_span))
        .with_state(app)
}

/// Serves the API on a bound listener until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, app: App) -> std::io::Result<()> {
    serve_until(listener, app, std::future::pending()).await
}

/// Serves the API until `shutdown` completes, then stops taking connections and returns once
/// the requests under way are answered. Each request knows the address of its connection's
/// peer (for the limits on failed logins).
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    app: App,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Arc::new(app);
    // The safety clocks' notices (2 days left) are sent by a sweep while the server runs.
    let sweep = tokio::spawn(api::sweep_safety_notices(app.clone()));
    // Units that expire lower the sites' stock with no write: a sweep notices it.
    let supply = tokio::spawn(api::sweep_supply(app.clone()));
    let service = router(app).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await;
    sweep.abort();
    supply.abort();
    served
}
