//! The studies the caller has a role in.

use axum::extract::State;
use axum::routing::on;
use axum::Json;
use serde::Serialize;
use trial::Role;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::extract::roles_in;
use crate::openapi::Endpoint;

/// The operations of this feature.
pub(crate) const OPERATIONS: &[Endpoint] = &[Endpoint::get(
    "/api/studies",
    "listStudies",
    "The studies the caller has a role in",
    |m| on(m, studies),
)
.returns_list::<StudySummary>()];

/// A study as listed for a user.
#[derive(Serialize, utoipa::ToSchema)]
struct StudySummary {
    id: String,
    title: String,
    phase: String,
    registry: String,
    sites: Vec<trial::Site>,
    roles: Vec<Role>,
}

/// `GET /api/studies`: the studies the caller has a role in.
async fn studies(State(state): State<AppState>, me: CurrentUser) -> Json<Vec<StudySummary>> {
    let out = state
        .studies
        .values()
        .filter_map(|s| {
            let roles = roles_in(&me, &s.id);
            (!roles.is_empty()).then(|| StudySummary {
                id: s.id.clone(),
                title: s.title.clone(),
                phase: s.phase.to_string(),
                registry: s.registry.clone(),
                sites: s.sites.clone(),
                roles,
            })
        })
        .collect();
    Json(out)
}
