//! The safety pages: adverse events, serious adverse events and their reporting clocks, the
//! DSMB's tables and decisions. One submodule per page, each with its `routes()`, merged here.

mod clocks;
mod dsmb;
mod events;

use axum::Router;

use crate::app::AppState;

/// The routes of the safety pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(events::routes())
        .merge(clocks::routes())
        .merge(dsmb::routes())
}
