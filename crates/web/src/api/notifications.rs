//! Notifications for the caller's roles in a study (emergency unblindings for the sponsor and
//! the DSMB, a lot's late release failure for the recipients' investigators, a site's
//! resupply for the sponsor), each acknowledged once; a site role sees those about its sites'
//! participants.

use axum::extract::{Path, State};
use axum::routing::on;
use axum::Json;

use crate::access::{require, Operation};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::extract::roles_in;
use crate::openapi::Endpoint;

/// The operations of this feature.
pub(crate) const OPERATIONS: &[Endpoint] = &[
    Endpoint::get(
        "/api/studies/{study}/notifications",
        "listNotifications",
        "Notifications for the caller's roles (emergency unblindings for sponsor and DSMB), each with when the caller acknowledged it",
        |m| on(m, notifications),
    )
    .returns_list::<store::Notification>(),
    Endpoint::post(
        "/api/studies/{study}/notifications/{id}/read",
        "acknowledgeNotification",
        "Acknowledges a notification addressed to one of the caller's roles (audited once)",
        |m| on(m, acknowledge_notification),
    )
    .returns::<store::Notification>(),
];

/// `GET /api/studies/{study}/notifications`: the notifications for the caller's roles in the
/// study (emergency unblindings for the sponsor and the DSMB).
async fn notifications(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
) -> Result<Json<Vec<store::Notification>>, ApiError> {
    let scope = require(&me.roles, &study_id, Operation::ReadNotifications)?;
    let roles = roles_in(&me, &study_id);
    let actor = me.actor();
    Ok(Json(
        state.store.notifications_in(&scope, &roles, &actor).await?,
    ))
}

/// `POST /api/studies/{study}/notifications/{id}/read`: the caller acknowledges a notification
/// addressed to one of their roles.
async fn acknowledge_notification(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((study_id, id)): Path<(String, String)>,
) -> Result<Json<store::Notification>, ApiError> {
    let scope = require(&me.roles, &study_id, Operation::ReadNotifications)?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::NotFound(format!("notification {id} not found")))?;
    let roles = roles_in(&me, &study_id);
    let read = state
        .store
        .acknowledge_notification_in(&scope, &roles, id, &me.actor())
        .await?;
    Ok(Json(read))
}
