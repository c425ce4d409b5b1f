//! The product's custody, the bedside and the trace: shipments and their signed hand-overs
//! (the site's unblinded pharmacist signing is the receipt), the logger file of a shipment,
//! the qualified person's decision on an excursion, the pharmacist's kit ↔ unit link and
//! administration, and the trace from a lot forward and from a participant back.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::on;
use axum::Json;
use serde::{Deserialize, Serialize};
use store::{
    AdministrationRecord, Bank, LoggerImport, Lot, NewAdministration, NewHandover, NewShipment,
    ShipmentRecord,
};
use time::OffsetDateTime;
use trial::labs::import::parse_instant;
use trial::product::logger::DateOrder;
use trial::{Role, SignedRecord};

use super::{path_id, UnitView};
use crate::access::{require, Operation};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::blinding::unblinded;
use crate::error::ApiError;
use crate::esign;
use crate::extract::{parse_body, record_id, JsonBody, ParticipantPath};
use crate::openapi::Endpoint;

/// The operations of this part of the feature.
pub(crate) const OPERATIONS: &[Endpoint] = &[
    Endpoint::get(
        "/api/studies/{study}/product/shipments",
        "listShipments",
        "Shipments in the caller's scope, with hand-overs, excursions and whether their units are held",
        |m| on(m, shipments),
    )
    .returns_list::<ShipmentRecord>(),
    Endpoint::post(
        "/api/studies/{study}/product/shipments",
        "createShipment",
        "Ship released units to a site in a dry shipper (QC); refused after a lot's last ship date",
        |m| on(m, create_shipment),
    )
    .body::<ShipmentInput>()
    .creates::<ShipmentRecord>(),
    Endpoint::get(
        "/api/studies/{study}/product/shipments/{shipment}",
        "getShipment",
        "A shipment with its hand-overs, excursions and gaps",
        |m| on(m, get_shipment),
    )
    .returns::<ShipmentRecord>(),
    Endpoint::post(
        "/api/studies/{study}/product/shipments/{shipment}/handovers",
        "recordHandover",
        "A hand-over signed with the password by the party taking custody; the site's unblinded pharmacist signing is the receipt",
        |m| on(m, handover),
    )
    .body::<HandoverInput>()
    .creates::<ShipmentRecord>(),
    Endpoint::post(
        "/api/studies/{study}/product/shipments/{shipment}/logger",
        "importLoggerFile",
        "A temperature logger's CSV for a shipment: refused whole naming line and column, or stored with its excursions and gaps (which hold the units until a decision); the same file again changes nothing",
        |m| on(m, import_logger),
    )
    .body::<LoggerFileInput>()
    .returns::<LoggerImport>(),
    Endpoint::post(
        "/api/studies/{study}/product/excursions/{excursion}/decision",
        "decideExcursion",
        "The qualified person's documented decision on an excursion or gap (use or reject), signed with the password",
        |m| on(m, decide_excursion),
    )
    .body::<ExcursionDecisionInput>()
    .returns::<ShipmentRecord>(),
    Endpoint::post(
        "/api/studies/{study}/product/kits/{kit}/unit",
        "linkKitUnit",
        "The unblinded pharmacist links a scanned unit to a participant's kit (a unit of the kit's treatment, received at the site)",
        |m| on(m, link),
    )
    .body::<KitLinkInput>()
    .returns::<UnitView>(),
    Endpoint::post(
        "/api/studies/{study}/participants/{id}/administrations",
        "administerUnit",
        "The bedside check of the scanned kit and unit, and the administration record (thaw, injection, dose, volume, route, level)",
        |m| on(m, administer),
    )
    .body::<AdministrationInput>()
    .creates::<AdministrationRecord>(),
    Endpoint::get(
        "/api/studies/{study}/product/lots/{lot}/trace",
        "traceLot",
        "A lot traced to its units, shipments, sites and the recipients in the caller's scope",
        |m| on(m, trace_lot),
    )
    .returns::<LotTraceView>(),
    Endpoint::get(
        "/api/studies/{study}/participants/{id}/product",
        "traceParticipant",
        "A participant traced back to the lot, master cell bank and donor of each administration",
        |m| on(m, trace_participant),
    )
    .returns::<ParticipantTraceView>(),
];

/// A shipment to create.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ShipmentInput {
    /// The site it goes to.
    site_id: String,
    /// The dry shipper's id.
    shipper: String,
    /// The units it carries.
    unit_ids: Vec<i64>,
}

/// A hand-over, signed by the caller, who takes custody.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct HandoverInput {
    /// Who hands the shipment over.
    from: String,
    /// Where.
    place: String,
    /// When, RFC 3339 with its offset.
    #[schema(format = DateTime)]
    at: String,
    /// The signer's password, re-entered.
    password: String,
}

/// A logger file.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct LoggerFileInput {
    /// The CSV text.
    file: String,
    /// The logger's offset for times without a zone when the file does not say (`+08:00`).
    #[serde(default)]
    #[schema(pattern = r"^[+-]\d{2}:\d{2}$")]
    offset: Option<String>,
    /// `day_first` or `month_first`, for dates with slashes the file leaves ambiguous.
    #[serde(default)]
    #[schema(pattern = "^(day_first|month_first)$")]
    date_order: Option<String>,
}

/// A decision on an excursion or gap, signed.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ExcursionDecisionInput {
    /// `use` or `reject`.
    #[schema(pattern = "^(use|reject)$")]
    decision: String,
    /// Why (documented).
    reason: String,
    /// The signer's password, re-entered.
    password: String,
}

/// The unit scanned for a kit.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct KitLinkInput {
    /// DIN and check character, as scanned.
    unit: String,
}

/// What the pharmacist scans and records at the bedside.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AdministrationInput {
    /// The kit scanned (left out in an open-label study, which has no kits: the unit is
    /// scanned against the participant).
    #[serde(default)]
    kit_number: Option<String>,
    /// The unit scanned: DIN and check character.
    unit: String,
    #[schema(format = DateTime)]
    thawed_at: String,
    /// When it was injected, with the site's offset: its date is the date of the dose.
    #[schema(format = DateTime)]
    injected_at: String,
    /// The dose in cells (a placebo unit's record carries its label's dose).
    dose_cells: i64,
    volume_ml: f64,
    weight_kg: f64,
    /// `intrathecal`.
    route: String,
    /// `L2-L3`, `L3-L4`, `L4-L5` or `L5-S1`.
    puncture_level: String,
}

/// A shipment of a traced lot.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct TracedShipment {
    id: i64,
    site_id: String,
    state: String,
}

/// A recipient of a traced lot.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct RecipientView {
    participant_id: i64,
    subject_id: Option<String>,
    site_id: String,
    #[schema(format = DateTime)]
    injected_at: String,
    /// The unit given: unblinded callers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    unit_id: Option<i64>,
}

/// A lot traced forward.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct LotTraceView {
    lot: Lot,
    bank: Bank,
    units: Vec<UnitView>,
    shipments: Vec<TracedShipment>,
    sites: Vec<String>,
    /// Whom to contact in a recall (in the caller's scope).
    recipients: Vec<RecipientView>,
}

/// One administration traced back.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct TracedAdministrationView {
    id: i64,
    lot_id: i64,
    lot_number: String,
    /// The lot's state now.
    lot_state: String,
    bank: Bank,
    #[schema(format = DateTime)]
    thawed_at: String,
    #[schema(format = DateTime)]
    injected_at: String,
    dose_cells: i64,
    volume_ml: f64,
    weight_kg: f64,
    route: String,
    puncture_level: String,
    recorded_by: String,
    /// The unit given: unblinded callers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    unit_id: Option<i64>,
    /// Its label: unblinded callers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    unit_label: Option<String>,
}

/// A participant traced back.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ParticipantTraceView {
    participant_id: i64,
    subject_id: Option<String>,
    site_id: String,
    administrations: Vec<TracedAdministrationView>,
}

/// The shipment of a path.
#[derive(Debug, Deserialize)]
struct ShipmentPath {
    study: String,
    shipment: String,
}

fn instant_field(field: &str, text: &str) -> Result<OffsetDateTime, ApiError> {
    parse_instant(text).ok_or_else(|| {
        ApiError::field(
            field,
            "is not a time in RFC 3339 with its offset (2026-03-02T08:30:00+08:00)",
        )
    })
}

/// `GET /api/studies/{study}/product/shipments`
async fn shipments(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
) -> Result<Json<Vec<ShipmentRecord>>, ApiError> {
    let scope = require(&me.roles, &study_id, Operation::ReadProduct)?;
    Ok(Json(state.store.shipments(&scope).await?))
}

/// `POST /api/studies/{study}/product/shipments`
async fn create_shipment(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
    body: JsonBody,
) -> Result<(StatusCode, Json<ShipmentRecord>), ApiError> {
    require(&me.roles, &study_id, Operation::ManageProduct)?;
    let study = state.study(&study_id)?;
    let input: ShipmentInput = parse_body(&body)?;
    let new = NewShipment {
        site_id: input.site_id,
        shipper: input.shipper,
        unit_ids: input.unit_ids,
    };
    let today = OffsetDateTime::now_utc().date();
    let shipment = state
        .store
        .create_shipment(study, &new, today, &me.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(shipment)))
}

/// `GET /api/studies/{study}/product/shipments/{shipment}`
async fn get_shipment(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(ShipmentPath { study, shipment }): Path<ShipmentPath>,
) -> Result<Json<ShipmentRecord>, ApiError> {
    let scope = require(&me.roles, &study, Operation::ReadProduct)?;
    let id = path_id("shipment", &shipment)?;
    Ok(Json(state.store.shipment(&scope, id).await?))
}

/// `POST /api/studies/{study}/product/shipments/{shipment}/handovers`
async fn handover(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(ShipmentPath { study, shipment }): Path<ShipmentPath>,
    body: JsonBody,
) -> Result<(StatusCode, Json<ShipmentRecord>), ApiError> {
    let scope = require(&me.roles, &study, Operation::HandOver)?;
    let id = path_id("shipment", &shipment)?;
    let current = state.store.shipment(&scope, id).await?;
    let input: HandoverInput = parse_body(&body)?;
    let at = instant_field("at", &input.at)?;
    // The site's unblinded pharmacist taking custody is the receipt at the site.
    let received = me.roles.iter().any(|r| {
        r.study_id == study
            && r.role == Role::UnblindedPharmacist
            && r.site_id.as_deref().is_none_or(|s| s == current.site_id)
    });
    esign::reenter_for_study(
        &state,
        &me,
        &study,
        SignedRecord::Product(format!("shipment/{id}/handover")),
        input.password,
    )
    .await?;
    let new = NewHandover {
        from: input.from,
        place: input.place,
        at,
        received,
    };
    let shipment = state
        .store
        .record_handover(&scope, id, &new, &me.user.full_name, &me.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(shipment)))
}

/// `POST /api/studies/{study}/product/shipments/{shipment}/logger`
async fn import_logger(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(ShipmentPath { study, shipment }): Path<ShipmentPath>,
    body: JsonBody,
) -> Result<Json<LoggerImport>, ApiError> {
    let scope = require(&me.roles, &study, Operation::ImportLogger)?;
    let id = path_id("shipment", &shipment)?;
    state.store.shipment(&scope, id).await?;
    let input: LoggerFileInput = parse_body(&body)?;
    let offset = match input.offset.as_deref() {
        None => None,
        Some(text) => Some(
            time::UtcOffset::parse(
                text,
                time::macros::format_description!("[offset_hour sign:mandatory]:[offset_minute]"),
            )
            .map_err(|_| ApiError::field("offset", "is not an offset such as +08:00"))?,
        ),
    };
    let date_order = match input.date_order.as_deref() {
        None => None,
        Some("day_first") => Some(DateOrder::DayFirst),
        Some("month_first") => Some(DateOrder::MonthFirst),
        Some(other) => {
            return Err(trial::Refusal::not_allowed(
                "date_order",
                other,
                &["day_first", "month_first"],
            )
            .into())
        }
    };
    let imported = state
        .store
        .import_logger_file(&scope, id, &input.file, offset, date_order, &me.actor())
        .await?;
    Ok(Json(imported))
}

/// The excursion of a path.
#[derive(Debug, Deserialize)]
struct ExcursionPath {
    study: String,
    excursion: String,
}

/// `POST /api/studies/{study}/product/excursions/{excursion}/decision`
async fn decide_excursion(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(ExcursionPath { study, excursion }): Path<ExcursionPath>,
    body: JsonBody,
) -> Result<Json<ShipmentRecord>, ApiError> {
    require(&me.roles, &study, Operation::ReleaseLot)?;
    let id = path_id("excursion", &excursion)?;
    let input: ExcursionDecisionInput = parse_body(&body)?;
    trial::product::custody::decide_condition(None, &input.decision, &input.reason)?;
    esign::reenter_for_study(
        &state,
        &me,
        &study,
        SignedRecord::Product(format!("excursion/{id}/decision")),
        input.password,
    )
    .await?;
    let shipment = state
        .store
        .decide_excursion(&study, id, &input.decision, &input.reason, &me.actor())
        .await?;
    Ok(Json(shipment))
}

/// The kit of a path.
#[derive(Debug, Deserialize)]
struct KitPath {
    study: String,
    kit: String,
}

/// `POST /api/studies/{study}/product/kits/{kit}/unit`
async fn link(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(KitPath { study, kit }): Path<KitPath>,
    body: JsonBody,
) -> Result<Json<UnitView>, ApiError> {
    let scope = require(&me.roles, &study, Operation::HandleUnits)?;
    let definition = state.study(&study)?;
    let input: KitLinkInput = parse_body(&body)?;
    let unit = state
        .store
        .link_unit(definition, &scope, &kit, &input.unit, &me.actor())
        .await?;
    Ok(Json(UnitView::of(unit, unblinded(&me, definition))))
}

/// `POST /api/studies/{study}/participants/{id}/administrations`
async fn administer(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
    body: JsonBody,
) -> Result<(StatusCode, Json<AdministrationRecord>), ApiError> {
    let (scope, id) = path.write(&state, &me, Operation::HandleUnits).await?;
    let definition = state.study(&path.study)?;
    let input: AdministrationInput = parse_body(&body)?;
    let new = NewAdministration {
        thawed_at: instant_field("thawed_at", &input.thawed_at)?,
        injected_at: instant_field("injected_at", &input.injected_at)?,
        kit_number: input.kit_number,
        unit: input.unit,
        dose_cells: input.dose_cells,
        volume_ml: input.volume_ml,
        weight_kg: input.weight_kg,
        route: input.route,
        puncture_level: input.puncture_level,
    };
    let record = state
        .store
        .administer(definition, &scope, id, &new, &me.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(record)))
}

/// The lot of a path.
#[derive(Debug, Deserialize)]
struct TracePath {
    study: String,
    lot: String,
}

/// `GET /api/studies/{study}/product/lots/{lot}/trace`
async fn trace_lot(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(TracePath { study, lot }): Path<TracePath>,
) -> Result<Json<LotTraceView>, ApiError> {
    let scope = require(&me.roles, &study, Operation::TraceProduct)?;
    let sees = unblinded(&me, state.study(&study)?);
    let id = path_id("lot", &lot)?;
    let t = state.store.trace_lot(&scope, id).await?;
    Ok(Json(LotTraceView {
        lot: t.lot,
        bank: t.bank,
        units: t.units.into_iter().map(|u| UnitView::of(u, sees)).collect(),
        shipments: t
            .shipments
            .into_iter()
            .map(|(id, site_id, state)| TracedShipment { id, site_id, state })
            .collect(),
        sites: t.sites,
        recipients: t
            .recipients
            .into_iter()
            .map(|r| RecipientView {
                participant_id: r.participant_id,
                subject_id: r.subject_id,
                site_id: r.site_id,
                injected_at: r.injected_at,
                unit_id: sees.then_some(r.unit_id),
            })
            .collect(),
    }))
}

/// The participant of a trace's path.
#[derive(Debug, Deserialize)]
struct TraceParticipantPath {
    study: String,
    id: String,
}

/// `GET /api/studies/{study}/participants/{id}/product`
async fn trace_participant(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(path): Path<TraceParticipantPath>,
) -> Result<Json<ParticipantTraceView>, ApiError> {
    let scope = require(&me.roles, &path.study, Operation::TraceProduct)?;
    let id = record_id(&path.id)?;
    let sees = unblinded(&me, state.study(&path.study)?);
    let t = state.store.trace_participant(&scope, id).await?;
    Ok(Json(ParticipantTraceView {
        participant_id: t.participant_id,
        subject_id: t.subject_id,
        site_id: t.site_id,
        administrations: t
            .administrations
            .into_iter()
            .map(|a| TracedAdministrationView {
                id: a.administration.id,
                lot_id: a.administration.lot_id,
                lot_number: a.lot_number,
                lot_state: a.lot_state,
                bank: a.bank,
                thawed_at: a.administration.thawed_at,
                injected_at: a.administration.injected_at,
                dose_cells: a.administration.dose_cells,
                volume_ml: a.administration.volume_ml,
                weight_kg: a.administration.weight_kg,
                route: a.administration.route,
                puncture_level: a.administration.puncture_level,
                recorded_by: a.administration.recorded_by,
                unit_id: sees.then_some(a.administration.unit_id),
                unit_label: sees.then_some(a.unit_label),
            })
            .collect(),
    }))
}
