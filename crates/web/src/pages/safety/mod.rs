//! The safety pages: adverse events, serious adverse events and their reporting clocks, the
//! DSMB's tables and decisions. One submodule per page, each with its `routes()`, merged here.

use axum::Router;

mod dsmb;

use crate::app::AppState;

/// The routes of the safety pages.
pub fn routes() -> Router<AppState> {
    Router::new().merge(dsmb::routes())
}
