//! The product's dosing, supply and events: a participant's doses (what the dosing visit
//! shows, alike for placebo), the study's exposure (the treatment for callers who see arms
//! only; that read is audited), each site's stock with the last ship dates, the events a late
//! release failure or a recall opens, closed with a note; and the server's expiry sweep of the
//! sites' stock ([`sweep_supply`]).

use axum::extract::{Path, State};
use axum::routing::on;
use axum::Json;
use serde::Deserialize;
use store::{DoseGiven, Exposure, ProductEvent, Supply};

use crate::access::{require, Operation};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::blinding::unblinded;
use crate::error::ApiError;
use crate::extract::{parse_body, record_id, JsonBody, ParticipantPath};
use crate::openapi::Endpoint;

/// The operations of this part of the feature.
pub(crate) const OPERATIONS: &[Endpoint] = &[
    Endpoint::get(
        "/api/studies/{study}/participants/{id}/doses",
        "listDoses",
        "The doses a participant was given at the bedside, as the dosing visits show them (number, visit, date, dose, volume, route, lumbar puncture level; never the unit)",
        |m| on(m, doses),
    )
    .returns_list::<DoseGiven>(),
    Endpoint::get(
        "/api/studies/{study}/product/exposure",
        "listExposure",
        "Every administration to a participant in the caller's scope (SDTM EX): participant, time, dose and unit, route, level; the treatment only for callers who see arms",
        |m| on(m, exposure),
    )
    .returns_list::<Exposure>(),
    Endpoint::get(
        "/api/studies/{study}/product/supply",
        "getSupply",
        "Each site's usable stock by lot against the product's minimum, and the lots that may still ship with their last ship dates",
        |m| on(m, supply),
    )
    .returns::<Supply>(),
    Endpoint::get(
        "/api/studies/{study}/product/events",
        "listProductEvents",
        "The events to follow that the product opened (a late release failure, one per recipient in the caller's scope), open first",
        |m| on(m, events),
    )
    .returns_list::<ProductEvent>(),
    Endpoint::post(
        "/api/studies/{study}/product/events/{event}/close",
        "closeProductEvent",
        "Close an event to follow with the follow-up's note (the investigator of the participant's site, or the sponsor)",
        |m| on(m, close_event),
    )
    .body::<CloseEventInput>()
    .returns::<ProductEvent>(),
];

/// The follow-up's note.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CloseEventInput {
    /// What was done (1 to 200 characters).
    note: String,
}

/// `GET /api/studies/{study}/participants/{id}/doses`
async fn doses(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
) -> Result<Json<Vec<DoseGiven>>, ApiError> {
    let (scope, id) = path.read(&me)?;
    Ok(Json(state.store.doses_given(&scope, id).await?))
}

/// `GET /api/studies/{study}/product/exposure`
async fn exposure(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study): Path<String>,
) -> Result<Json<Vec<Exposure>>, ApiError> {
    let scope = require(&me.roles, &study, Operation::TraceProduct)?;
    let sees = unblinded(&me, state.study(&study)?);
    let reader = sees.then(|| me.actor());
    Ok(Json(state.store.exposure(&scope, reader.as_ref()).await?))
}

/// `GET /api/studies/{study}/product/supply`
async fn supply(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study): Path<String>,
) -> Result<Json<Supply>, ApiError> {
    let scope = require(&me.roles, &study, Operation::ReadProduct)?;
    let definition = state.study(&study)?;
    let today = time::OffsetDateTime::now_utc().date();
    Ok(Json(state.store.supply(definition, &scope, today).await?))
}

/// `GET /api/studies/{study}/product/events`
async fn events(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study): Path<String>,
) -> Result<Json<Vec<ProductEvent>>, ApiError> {
    let scope = require(&me.roles, &study, Operation::TraceProduct)?;
    Ok(Json(state.store.product_events(&scope).await?))
}

/// The event of a path.
#[derive(Debug, Deserialize)]
struct EventPath {
    study: String,
    event: String,
}

/// `POST /api/studies/{study}/product/events/{event}/close`
async fn close_event(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(EventPath { study, event }): Path<EventPath>,
    body: JsonBody,
) -> Result<Json<ProductEvent>, ApiError> {
    let scope = require(&me.roles, &study, Operation::FollowProductEvent)?;
    let id = record_id(&event)?;
    let input: CloseEventInput = parse_body(&body)?;
    Ok(Json(
        state
            .store
            .close_product_event(&scope, id, &input.note, &me.actor())
            .await?,
    ))
}

/// How often the server sweeps the sites' stock for units that expired.
pub const SUPPLY_SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// How long after the server starts the first sweep runs.
pub const SUPPLY_SWEEP_FIRST: std::time::Duration = std::time::Duration::from_secs(300);

/// Sweeps every study's sites for stock that expiry took to the product's minimum
/// (`Store::sweep_supply`, on today's date in UTC), first [`SUPPLY_SWEEP_FIRST`] after the start
/// and then every [`SUPPLY_SWEEP_EVERY`], for as long as the server runs (it aborts the sweep
/// when it stops). A failed sweep is logged by its kind and tried again at the next tick.
pub async fn sweep_supply(app: AppState) {
    let first = tokio::time::Instant::now() + SUPPLY_SWEEP_FIRST;
    let mut tick = tokio::time::interval_at(first, SUPPLY_SWEEP_EVERY);
    loop {
        tick.tick().await;
        let today = time::OffsetDateTime::now_utc().date();
        for study in app.studies.values() {
            match app.store.sweep_supply(study, today).await {
                Ok(found) if !found.is_empty() => {
                    tracing::info!(crossings = found.len(), "supply sweep recorded crossings");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = e.kind(), "supply sweep failed"),
            }
        }
    }
}
