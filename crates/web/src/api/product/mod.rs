//! The cell product (issue #17): the study's product definition, master cell banks, lots and
//! their units, storage locations, QC's signed release results and the qualified person's
//! signed decision on a lot. Custody, the bedside and the trace are in [`custody`]; a lot's
//! recall in [`recall`]; doses, exposure, site supply and the events to follow in [`supply`].
//!
//! Blinding: a unit's placebo flag, the kit it is linked to and the participant who received
//! it are shown only to callers who see arms ([`crate::blinding::unblinded`]); everyone else
//! reads units that look alike, as their labels do.

pub(crate) mod custody;
pub(crate) mod recall;
pub(crate) mod supply;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::on;
use axum::Json;
use serde::{Deserialize, Serialize};
use store::{Bank, Location, Lot, NewBank, NewLocation, NewLot, NewUnit, Unit};
use trial::product::release::{Criterion, Disposition, ProductDefinition, ResultValue};
use trial::SignedRecord;

use crate::access::{require, Operation};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::blinding::unblinded;
use crate::error::ApiError;
use crate::esign;
use crate::extract::{parse_body, JsonBody};
use crate::openapi::Endpoint;
use crate::service::invalid;

/// The operations of this feature.
pub(crate) const OPERATIONS: &[Endpoint] = &[
    Endpoint::get(
        "/api/studies/{study}/product/definition",
        "getProductDefinition",
        "The study's product definition: storage limit, thaw-to-administration limit, release tests and their criteria",
        |m| on(m, get_definition),
    )
    .returns::<ProductDefinitionView>(),
    Endpoint::post(
        "/api/studies/{study}/product/definition",
        "loadProductDefinition",
        "Load or replace the study's product definition from its TOML text (QC); every problem named by its key path",
        |m| on(m, load_definition),
    )
    .body::<ProductDefinitionInput>()
    .returns::<ProductDefinitionView>(),
    Endpoint::get(
        "/api/studies/{study}/product/banks",
        "listBanks",
        "The study's master cell banks with donor and HLA typing",
        |m| on(m, banks),
    )
    .returns_list::<Bank>(),
    Endpoint::post(
        "/api/studies/{study}/product/banks",
        "createBank",
        "Register a master cell bank (QC)",
        |m| on(m, create_bank),
    )
    .body::<BankInput>()
    .creates::<Bank>(),
    Endpoint::get(
        "/api/studies/{study}/product/lots",
        "listLots",
        "The study's lots with their state, release results and decisions",
        |m| on(m, lots),
    )
    .returns_list::<Lot>(),
    Endpoint::post(
        "/api/studies/{study}/product/lots",
        "createLot",
        "Register a lot of a bank (QC); it starts quarantined",
        |m| on(m, create_lot),
    )
    .body::<LotInput>()
    .creates::<Lot>(),
    Endpoint::get(
        "/api/studies/{study}/product/lots/{lot}",
        "getLot",
        "A lot with its state, release results and decisions",
        |m| on(m, get_lot),
    )
    .returns::<Lot>(),
    Endpoint::get(
        "/api/studies/{study}/product/lots/{lot}/units",
        "listLotUnits",
        "A lot's units (placebo flag and kit only for unblinded callers)",
        |m| on(m, units),
    )
    .returns_list::<UnitView>(),
    Endpoint::post(
        "/api/studies/{study}/product/lots/{lot}/units",
        "addUnits",
        "Register units of a lot, all or none (QC): ISBT 128 DIN, check character, product code, placebo flag",
        |m| on(m, add_units),
    )
    .body::<UnitsInput>()
    .creates_list::<UnitView>(),
    Endpoint::post(
        "/api/studies/{study}/product/lots/{lot}/results",
        "recordReleaseResult",
        "QC's result of a release test, signed with the password; a failure after units were given notifies the sponsor and the recipients' investigators",
        |m| on(m, record_result),
    )
    .body::<ReleaseResultInput>()
    .returns::<Lot>(),
    Endpoint::post(
        "/api/studies/{study}/product/lots/{lot}/decision",
        "decideLot",
        "The qualified person releases, conditionally releases (naming pending tests) or rejects a quarantined lot, signed with the password",
        |m| on(m, decide),
    )
    .body::<LotDecisionInput>()
    .returns::<Lot>(),
    Endpoint::get(
        "/api/studies/{study}/product/locations",
        "listLocations",
        "The study's storage locations",
        |m| on(m, locations),
    )
    .returns_list::<Location>(),
    Endpoint::post(
        "/api/studies/{study}/product/locations",
        "createLocation",
        "Register a storage location (QC)",
        |m| on(m, create_location),
    )
    .body::<LocationInput>()
    .creates::<Location>(),
];

/// A release test as the definition gives it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ReleaseTestView {
    id: String,
    name: String,
    name_zh: Option<String>,
    method: String,
    /// The criterion in words (`at most 2 EU/mL`, `one of: negative`).
    criterion: String,
    /// Whether the lot may be released conditionally before this result.
    may_be_pending: bool,
}

/// A product definition.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ProductDefinitionView {
    id: String,
    name: String,
    name_zh: Option<String>,
    /// °C.
    storage_max_c: f64,
    max_logger_gap_minutes: i64,
    thaw_to_administration_minutes: i64,
    shipping_lead_days: u32,
    min_days_on_site: u32,
    release_tests: Vec<ReleaseTestView>,
}

fn criterion_words(c: &Criterion) -> String {
    match c {
        Criterion::AtLeast { min, unit } => format!("at least {min} {unit}"),
        Criterion::AtMost { max, unit } => format!("at most {max} {unit}"),
        Criterion::Below { max, unit } => format!("below {max} {unit}"),
        Criterion::OneOf { accepted, .. } => format!("one of: {}", accepted.join(", ")),
    }
}

impl From<ProductDefinition> for ProductDefinitionView {
    fn from(p: ProductDefinition) -> ProductDefinitionView {
        ProductDefinitionView {
            id: p.id,
            name: p.name,
            name_zh: p.name_zh,
            storage_max_c: p.storage_max_c,
            max_logger_gap_minutes: p.max_logger_gap.whole_minutes(),
            thaw_to_administration_minutes: p.thaw_to_administration.whole_minutes(),
            shipping_lead_days: p.shipping_lead_days,
            min_days_on_site: p.min_days_on_site,
            release_tests: p
                .release_tests
                .into_iter()
                .map(|t| ReleaseTestView {
                    criterion: criterion_words(&t.criterion),
                    id: t.id,
                    name: t.name,
                    name_zh: t.name_zh,
                    method: t.method,
                    may_be_pending: t.may_be_pending,
                })
                .collect(),
        }
    }
}

/// A product definition's TOML text.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ProductDefinitionInput {
    /// The TOML (docs/product-definition.md).
    source: String,
}

/// A master cell bank to register.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct BankInput {
    /// 1–32 of A-Z, 0-9, `-`.
    code: String,
    /// The donor's code (1–32 of A-Z, 0-9, `-`; never a name).
    donor: String,
    /// The donor's HLA typing as reported.
    hla_typing: String,
}

/// A lot to register.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct LotInput {
    bank_id: i64,
    /// 1–32 of A-Z, 0-9, `-`.
    lot_number: String,
    manufacturing_site: String,
    #[schema(format = Date)]
    manufactured_on: String,
    /// Cells in the lot.
    cell_count: i64,
    #[schema(format = Date)]
    expires_on: String,
}

/// One unit to register.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UnitInput {
    /// The DIN's 13 characters (spaces ignored).
    din: String,
    /// Its ISO/IEC 7064 MOD 37-2 check character.
    check_character: String,
    /// The ISBT 128 product code (8 of A-Z, 0-9).
    product_code: String,
    /// Whether it is a placebo unit (labelled alike).
    placebo: bool,
    /// Where it is kept.
    #[serde(default)]
    location_id: Option<i64>,
}

/// Units to register.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UnitsInput {
    units: Vec<UnitInput>,
}

/// A unit as the caller may see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct UnitView {
    id: i64,
    lot_id: i64,
    /// The DIN.
    din: String,
    check_character: String,
    product_code: String,
    location_id: Option<i64>,
    shipment_id: Option<i64>,
    /// The site it was shipped to.
    site_id: Option<String>,
    /// `available`, `used` or `rejected`.
    status: String,
    /// Whether it is a placebo unit: unblinded callers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    placebo: Option<bool>,
    /// The kit it is linked to: unblinded callers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    kit_number: Option<String>,
    /// Who received it: unblinded callers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    participant_id: Option<i64>,
}

impl UnitView {
    /// The unit, with what reveals the blind only when `sees` is true.
    pub(crate) fn of(u: Unit, sees: bool) -> UnitView {
        UnitView {
            id: u.id,
            lot_id: u.lot_id,
            din: u.din,
            check_character: u.check_character,
            product_code: u.product_code,
            location_id: u.location_id,
            shipment_id: u.shipment_id,
            site_id: u.site_id,
            status: u.status,
            placebo: sees.then_some(u.placebo),
            kit_number: if sees { u.kit_number } else { None },
            participant_id: if sees { u.participant_id } else { None },
        }
    }
}

/// A release result, signed.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ReleaseResultInput {
    /// A test id of the product definition.
    test_id: String,
    /// A number for the numeric criteria, a word for `one_of`.
    #[schema(value_type = serde_json::Value)]
    value: serde_json::Value,
    /// The signer's password, re-entered.
    password: String,
}

/// The qualified person's decision, signed.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct LotDecisionInput {
    /// `release`, `release_conditionally` or `reject`.
    #[schema(pattern = "^(release|release_conditionally|reject)$")]
    decision: String,
    /// The tests pending, for a conditional release.
    #[serde(default)]
    pending: Vec<String>,
    /// Why, for a rejection.
    #[serde(default)]
    reason: Option<String>,
    /// The signer's password, re-entered.
    password: String,
}

/// A storage location to register.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct LocationInput {
    code: String,
    /// The site it is at; none at the manufacturer.
    #[serde(default)]
    site_id: Option<String>,
    description: String,
}

/// A numeric id of a path, or 404 naming the record (as the store names it).
pub(crate) fn path_id(entity: &str, text: &str) -> Result<i64, ApiError> {
    text.parse().map_err(|_| {
        let message = match entity {
            "lot" => format!("lot {text} not found"),
            "shipment" => format!("shipment {text} not found"),
            _ => format!("excursion {text} not found"),
        };
        ApiError::NotFound(message)
    })
}

/// A `YYYY-MM-DD` date of a body, or a problem naming the field.
fn body_date(field: &str, text: &str) -> Result<time::Date, ApiError> {
    store::parse_date(text.trim())
        .ok_or_else(|| ApiError::field(field, "is not a date in YYYY-MM-DD form"))
}

/// `GET /api/studies/{study}/product/definition`
async fn get_definition(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
) -> Result<Json<ProductDefinitionView>, ApiError> {
    require(&me.roles, &study_id, Operation::ReadProduct)?;
    let product = state
        .store
        .product_definition(&study_id)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "study {study_id} has no product definition loaded yet"
            ))
        })?;
    Ok(Json(product.into()))
}

/// `POST /api/studies/{study}/product/definition`
async fn load_definition(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
    body: JsonBody,
) -> Result<Json<ProductDefinitionView>, ApiError> {
    require(&me.roles, &study_id, Operation::ManageProduct)?;
    state.study(&study_id)?;
    let input: ProductDefinitionInput = parse_body(&body)?;
    if let Err(e) = ProductDefinition::from_toml(&input.source) {
        let problems = e.problems().to_vec();
        if problems.is_empty() {
            return Err(ApiError::field("source", e.to_string()));
        }
        return Err(invalid(problems));
    }
    let product = state
        .store
        .load_product_definition(&study_id, &input.source, &me.actor())
        .await?;
    Ok(Json(product.into()))
}

/// `GET /api/studies/{study}/product/banks`
async fn banks(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
) -> Result<Json<Vec<Bank>>, ApiError> {
    require(&me.roles, &study_id, Operation::ReadProduct)?;
    Ok(Json(state.store.banks(&study_id).await?))
}

/// `POST /api/studies/{study}/product/banks`
async fn create_bank(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
    body: JsonBody,
) -> Result<(StatusCode, Json<Bank>), ApiError> {
    require(&me.roles, &study_id, Operation::ManageProduct)?;
    let input: BankInput = parse_body(&body)?;
    let new = NewBank {
        code: input.code,
        donor: input.donor,
        hla_typing: input.hla_typing,
    };
    let bank = state
        .store
        .create_bank(&study_id, &new, &me.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(bank)))
}

/// `GET /api/studies/{study}/product/lots`
async fn lots(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
) -> Result<Json<Vec<Lot>>, ApiError> {
    require(&me.roles, &study_id, Operation::ReadProduct)?;
    Ok(Json(state.store.lots(&study_id).await?))
}

/// `POST /api/studies/{study}/product/lots`
async fn create_lot(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
    body: JsonBody,
) -> Result<(StatusCode, Json<Lot>), ApiError> {
    require(&me.roles, &study_id, Operation::ManageProduct)?;
    let input: LotInput = parse_body(&body)?;
    let new = NewLot {
        bank_id: input.bank_id,
        lot_number: input.lot_number,
        manufacturing_site: input.manufacturing_site,
        manufactured_on: body_date("manufactured_on", &input.manufactured_on)?,
        cell_count: input.cell_count,
        expires_on: body_date("expires_on", &input.expires_on)?,
    };
    let lot = state.store.create_lot(&study_id, &new, &me.actor()).await?;
    Ok((StatusCode::CREATED, Json(lot)))
}

/// The lot of a path `…/product/lots/{lot}…`.
#[derive(Debug, Deserialize)]
struct LotPath {
    study: String,
    lot: String,
}

/// `GET /api/studies/{study}/product/lots/{lot}`
async fn get_lot(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(LotPath { study, lot }): Path<LotPath>,
) -> Result<Json<Lot>, ApiError> {
    require(&me.roles, &study, Operation::ReadProduct)?;
    let id = path_id("lot", &lot)?;
    Ok(Json(state.store.lot(&study, id).await?))
}

/// `GET /api/studies/{study}/product/lots/{lot}/units`
async fn units(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(LotPath { study, lot }): Path<LotPath>,
) -> Result<Json<Vec<UnitView>>, ApiError> {
    require(&me.roles, &study, Operation::ReadProduct)?;
    let sees = unblinded(&me, state.study(&study)?);
    let id = path_id("lot", &lot)?;
    let units = state.store.units_of_lot(&study, id).await?;
    Ok(Json(
        units.into_iter().map(|u| UnitView::of(u, sees)).collect(),
    ))
}

/// `POST /api/studies/{study}/product/lots/{lot}/units`
async fn add_units(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(LotPath { study, lot }): Path<LotPath>,
    body: JsonBody,
) -> Result<(StatusCode, Json<Vec<UnitView>>), ApiError> {
    require(&me.roles, &study, Operation::ManageProduct)?;
    let sees = unblinded(&me, state.study(&study)?);
    let id = path_id("lot", &lot)?;
    let input: UnitsInput = parse_body(&body)?;
    let new: Vec<NewUnit> = input
        .units
        .into_iter()
        .map(|u| NewUnit {
            din: u.din,
            check_character: u.check_character,
            product_code: u.product_code,
            placebo: u.placebo,
            location_id: u.location_id,
        })
        .collect();
    let units = state.store.add_units(&study, id, &new, &me.actor()).await?;
    Ok((
        StatusCode::CREATED,
        Json(units.into_iter().map(|u| UnitView::of(u, sees)).collect()),
    ))
}

/// `POST /api/studies/{study}/product/lots/{lot}/results`
async fn record_result(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(LotPath { study, lot }): Path<LotPath>,
    body: JsonBody,
) -> Result<Json<Lot>, ApiError> {
    require(&me.roles, &study, Operation::EnterReleaseResult)?;
    let id = path_id("lot", &lot)?;
    let input: ReleaseResultInput = parse_body(&body)?;
    let value = match &input.value {
        serde_json::Value::Number(n) => ResultValue::Number(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => ResultValue::Word(s.clone()),
        _ => {
            return Err(ApiError::field(
                "value",
                "must be a number or a word of the test's list",
            ))
        }
    };
    state.store.lot(&study, id).await?;
    esign::reenter_for_study(
        &state,
        &me,
        &study,
        SignedRecord::Product(format!("lot/{id}/results/{}", input.test_id)),
        input.password,
    )
    .await?;
    let lot = state
        .store
        .record_release_result(
            &study,
            id,
            &input.test_id,
            &value,
            &me.user.full_name,
            &me.actor(),
        )
        .await?;
    Ok(Json(lot))
}

/// `POST /api/studies/{study}/product/lots/{lot}/decision`
async fn decide(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(LotPath { study, lot }): Path<LotPath>,
    body: JsonBody,
) -> Result<Json<Lot>, ApiError> {
    require(&me.roles, &study, Operation::ReleaseLot)?;
    let id = path_id("lot", &lot)?;
    let input: LotDecisionInput = parse_body(&body)?;
    let disposition = match input.decision.as_str() {
        "release" => Disposition::Release,
        "release_conditionally" => Disposition::ReleaseConditionally {
            pending: input.pending.clone(),
        },
        "reject" => Disposition::Reject {
            reason: input.reason.clone().unwrap_or_default(),
        },
        other => {
            return Err(trial::Refusal::not_allowed(
                "decision",
                other,
                &["release", "release_conditionally", "reject"],
            )
            .into())
        }
    };
    state.store.lot(&study, id).await?;
    esign::reenter_for_study(
        &state,
        &me,
        &study,
        SignedRecord::Product(format!("lot/{id}/decision")),
        input.password,
    )
    .await?;
    let lot = state
        .store
        .decide_lot(&study, id, &disposition, &me.user.full_name, &me.actor())
        .await?;
    Ok(Json(lot))
}

/// `GET /api/studies/{study}/product/locations`
async fn locations(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
) -> Result<Json<Vec<Location>>, ApiError> {
    require(&me.roles, &study_id, Operation::ReadProduct)?;
    Ok(Json(state.store.locations(&study_id).await?))
}

/// `POST /api/studies/{study}/product/locations`
async fn create_location(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
    body: JsonBody,
) -> Result<(StatusCode, Json<Location>), ApiError> {
    require(&me.roles, &study_id, Operation::ManageProduct)?;
    let study = state.study(&study_id)?;
    let input: LocationInput = parse_body(&body)?;
    let new = NewLocation {
        code: input.code,
        site_id: input.site_id,
        description: input.description,
    };
    let location = state
        .store
        .create_location(study, &new, &me.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(location)))
}
