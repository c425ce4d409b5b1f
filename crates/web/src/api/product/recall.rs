//! A lot's recall (the sponsor or the qualified person, signed with the password) and whom to
//! contact about a recalled lot: sites, participants and investigators — never a unit's
//! treatment, so any role that traces the product may read it.

use axum::extract::{Path, State};
use axum::routing::on;
use axum::Json;
use serde::{Deserialize, Serialize};
use store::{Lot, RecallContacts};
use trial::SignedRecord;

use super::path_id;
use crate::access::{require, Operation};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::esign;
use crate::extract::{parse_body, JsonBody};
use crate::openapi::Endpoint;

/// The operations of the recall.
pub(crate) const OPERATIONS: &[Endpoint] = &[
    Endpoint::post(
        "/api/studies/{study}/product/lots/{lot}/recall",
        "recallLot",
        "Recall a lot with the reason, signed with the password (the sponsor, the qualified person): its units not given become unusable; the sponsor and the sites' investigators and pharmacists are told, an event to follow opened for each recipient; answers whom to contact",
        |m| on(m, recall),
    )
    .body::<RecallInput>()
    .returns::<RecallAnswer>(),
    Endpoint::get(
        "/api/studies/{study}/product/lots/{lot}/recall",
        "getLotRecall",
        "Whom to contact about a recalled lot: each site in the caller's scope holding its units or whose participants were given one, those participants and the site's investigators",
        |m| on(m, contacts),
    )
    .returns::<RecallContacts>(),
];

/// A recall, signed.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RecallInput {
    /// Why the lot is recalled (1–500 characters).
    reason: String,
    /// The signer's password, re-entered.
    password: String,
}

/// A recalled lot and whom to contact.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct RecallAnswer {
    lot: Lot,
    contacts: RecallContacts,
}

/// The lot of a path `…/product/lots/{lot}…`.
#[derive(Debug, Deserialize)]
struct LotPath {
    study: String,
    lot: String,
}

/// `POST /api/studies/{study}/product/lots/{lot}/recall`
async fn recall(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(LotPath { study, lot }): Path<LotPath>,
    body: JsonBody,
) -> Result<Json<RecallAnswer>, ApiError> {
    require(&me.roles, &study, Operation::RecallLot)?;
    let id = path_id("lot", &lot)?;
    let input: RecallInput = parse_body(&body)?;
    state.store.lot(&study, id).await?;
    esign::reenter_for_study(
        &state,
        &me,
        &study,
        SignedRecord::Product(format!("lot/{id}/recall")),
        input.password,
    )
    .await?;
    let today = time::OffsetDateTime::now_utc().date();
    let (lot, contacts) = state
        .store
        .recall_lot(
            &study,
            id,
            &input.reason,
            &me.user.full_name,
            today,
            &me.actor(),
        )
        .await?;
    Ok(Json(RecallAnswer { lot, contacts }))
}

/// `GET /api/studies/{study}/product/lots/{lot}/recall`
async fn contacts(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(LotPath { study, lot }): Path<LotPath>,
) -> Result<Json<RecallContacts>, ApiError> {
    let scope = require(&me.roles, &study, Operation::TraceProduct)?;
    let id = path_id("lot", &lot)?;
    state
        .store
        .recall_contacts(&scope, id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("lot {id} is not recalled")))
}
