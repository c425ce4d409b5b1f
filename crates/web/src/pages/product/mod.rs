//! The cell product's pages (issue 17). The product page (`/studies/{s}/product`): the
//! definition QC loads, master cell banks, lots, storage locations and shipments, with QC's
//! forms to register each. A lot (`…/product/lots/{lot}`): its release results, which QC enters
//! and signs, the qualified person's signed decision, the recall (the sponsor, the qualified
//! person) and whom to contact once recalled, and its units with their labels. Custody, the
//! bedside and the trace are in [`custody`]; the doses, exposure, supply and events to follow
//! in [`follow`].
//!
//! Every write goes through the JSON API (`static/product.js`). Blinding: a unit's treatment,
//! its kit and its recipient are rendered only for viewers who see arms
//! ([`crate::blinding::unblinded`]); everyone else gets rows that are alike whatever the unit
//! holds, as the labels are.

pub(super) mod custody;
pub(super) mod follow;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use store::{Bank, Location, Lot, RecallContacts, ShipmentRecord, Unit};
use trial::product::release::{Criterion, ProductDefinition};

use super::{error_page, render, Ctx, Lang, Viewer};
use crate::access::{require, scope_for, Operation};
use crate::app::AppState;
use crate::blinding::unblinded;
use crate::error::ApiError;

/// The routes of these pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/studies/{study}/product", get(overview))
        .route("/studies/{study}/product/lots/{lot}", get(lot_page))
        .merge(custody::routes())
        .merge(follow::routes())
}

/// The page, or the error's page, in the viewer's language.
pub(super) fn respond<T: Template>(lang: Lang, page: Result<T, ApiError>) -> Response {
    match page {
        Ok(page) => render(lang, &page),
        Err(e) => error_page(lang, e),
    }
}

/// A criterion in symbols (`≥ 70 %`), an accepted result in the page's language (`negative`,
/// 阴性).
fn criterion(lang: Lang, c: &Criterion) -> String {
    match c {
        Criterion::AtLeast { min, unit } => format!("≥ {min} {unit}"),
        Criterion::AtMost { max, unit } => format!("≤ {max} {unit}"),
        Criterion::Below { max, unit } => format!("< {max} {unit}"),
        Criterion::OneOf { accepted, .. } => accepted
            .iter()
            .map(|w| result_word(lang, w))
            .collect::<Vec<_>>()
            .join(" / "),
    }
}

/// A qualitative result's word in the page's language: the product definitions' usual words in
/// Chinese, any other as written.
fn result_word(lang: Lang, word: &str) -> String {
    let zh = match word {
        "negative" => "阴性",
        "positive" => "阳性",
        "normal" => "正常",
        "abnormal" => "异常",
        "detected" => "检出",
        "not detected" => "未检出",
        _ => word,
    };
    if lang == Lang::Zh { zh } else { word }.to_string()
}

/// A release test as a row.
pub struct TestRow {
    id: String,
    name: String,
    method: String,
    criterion: String,
    may_be_pending: bool,
    /// The words allowed for a `one_of` test (the result form's choices).
    words: Vec<String>,
}

fn test_rows(lang: Lang, p: &ProductDefinition) -> Vec<TestRow> {
    p.release_tests
        .iter()
        .map(|t| TestRow {
            id: t.id.clone(),
            name: match (lang, &t.name_zh) {
                (Lang::Zh, Some(zh)) => zh.clone(),
                _ => t.name.clone(),
            },
            method: t.method.clone(),
            criterion: criterion(lang, &t.criterion),
            may_be_pending: t.may_be_pending,
            words: match &t.criterion {
                Criterion::OneOf { allowed, .. } => allowed.clone(),
                _ => Vec::new(),
            },
        })
        .collect()
}

/// A unit as a row: its label for everyone; its treatment, kit and recipient only when the
/// viewer sees arms (`None` otherwise, so nothing of them reaches the page).
pub struct UnitRow {
    id: i64,
    din: String,
    check: String,
    product_code: String,
    status: String,
    location: String,
    shipment_id: Option<i64>,
    site: String,
    /// `placebo` or `active` (`pr.placebo`, `pr.active`): unblinded viewers only.
    treatment: Option<&'static str>,
    /// The linked kit: unblinded viewers only.
    kit: Option<String>,
    /// Who received it: unblinded viewers only.
    recipient: Option<i64>,
}

impl UnitRow {
    /// The row of `u`, with what reveals the blind only when `sees`.
    pub(super) fn of(u: Unit, sees: bool, locations: &[Location]) -> UnitRow {
        UnitRow {
            id: u.id,
            location: u
                .location_id
                .and_then(|l| locations.iter().find(|x| x.id == l))
                .map_or(String::new(), |l| l.code.clone()),
            status: u.status,
            shipment_id: u.shipment_id,
            site: u.site_id.unwrap_or_default(),
            treatment: sees.then_some(if u.placebo { "placebo" } else { "active" }),
            kit: if sees { u.kit_number } else { None },
            recipient: if sees { u.participant_id } else { None },
            din: u.din,
            check: u.check_character,
            product_code: u.product_code,
        }
    }
}

#[derive(Template)]
#[template(path = "product.html")]
struct Overview {
    ctx: Ctx,
    study_id: String,
    definition: Option<ProductDefinition>,
    tests: Vec<TestRow>,
    banks: Vec<Bank>,
    lots: Vec<Lot>,
    locations: Vec<Location>,
    shipments: Vec<ShipmentRecord>,
    /// QC's forms.
    manage: bool,
    /// The pharmacist's bedside link.
    bedside: bool,
    /// Trace links.
    trace: bool,
    /// The study's sites (id, name), for locations and shipments.
    sites: Vec<(String, String)>,
    /// Units QC may ship: released or conditionally released, not shipped, available.
    shippable: Vec<UnitRow>,
}

/// Whether the viewer's roles allow `op` in the study (anywhere).
pub(super) fn may(viewer: &Viewer, study: &str, op: Operation) -> bool {
    scope_for(&viewer.me.roles, study, op).is_some()
}

pub(super) fn site_names(lang: Lang, study: &trial::Study) -> Vec<(String, String)> {
    study
        .sites
        .iter()
        .map(|s| {
            let name = match (lang, &s.name_zh) {
                (Lang::Zh, Some(zh)) => zh.clone(),
                _ => s.name.clone(),
            };
            (s.id.clone(), name)
        })
        .collect()
}

/// `GET /studies/{study}/product`
async fn overview(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(study): Path<String>,
) -> Response {
    let result = async {
        let me = &viewer.me;
        let scope = require(&me.roles, &study, Operation::ReadProduct)?;
        let definition_of_study = state.study(&study)?;
        let sees = unblinded(me, definition_of_study);
        let definition = state.store.product_definition(&study).await?;
        let manage = may(&viewer, &study, Operation::ManageProduct);
        let lots = state.store.lots(&study).await?;
        let locations = state.store.locations(&study).await?;
        let mut shippable = Vec::new();
        if manage {
            for lot in lots
                .iter()
                .filter(|l| ["released", "conditionally_released"].contains(&l.state.as_str()))
            {
                for u in state.store.units_of_lot(&study, lot.id).await? {
                    if u.shipment_id.is_none() && u.status == "available" {
                        shippable.push(UnitRow::of(u, sees, &locations));
                    }
                }
            }
        }
        Ok::<_, ApiError>(Overview {
            ctx: viewer.ctx(Some(&study)),
            study_id: study.clone(),
            tests: definition
                .as_ref()
                .map_or(Vec::new(), |d| test_rows(viewer.lang, d)),
            definition,
            banks: state.store.banks(&study).await?,
            lots,
            shipments: state.store.shipments(&scope).await?,
            locations,
            manage,
            bedside: may(&viewer, &study, Operation::HandleUnits),
            trace: may(&viewer, &study, Operation::TraceProduct),
            sites: site_names(viewer.lang, definition_of_study),
            shippable,
        })
    }
    .await;
    respond(viewer.lang, result)
}

/// A release result as a row.
pub struct ResultRow {
    test: String,
    value: String,
    verdict: String,
    signer: String,
    signed_at: String,
}

#[derive(Template)]
#[template(path = "product_lot.html")]
struct LotPage {
    ctx: Ctx,
    study_id: String,
    lot: Lot,
    bank: Option<Bank>,
    tests: Vec<TestRow>,
    results: Vec<ResultRow>,
    units: Vec<UnitRow>,
    locations: Vec<Location>,
    /// QC's forms: results and units.
    qc: bool,
    /// The qualified person's decision, while the lot is quarantined.
    decide: bool,
    /// Whether the viewer sees the units' treatment (a column).
    sees: bool,
    trace: bool,
    /// The recall's form (the sponsor, the qualified person), while the lot may be recalled.
    recall: bool,
    /// Whom to contact, once recalled (the roles that trace the product, their sites).
    contacts: Option<RecallContacts>,
}

/// `GET /studies/{study}/product/lots/{lot}`
async fn lot_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((study, lot)): Path<(String, String)>,
) -> Response {
    let result = async {
        let me = &viewer.me;
        require(&me.roles, &study, Operation::ReadProduct)?;
        let sees = unblinded(me, state.study(&study)?);
        let id = crate::api::product::path_id("lot", &lot)?;
        let lot = state.store.lot(&study, id).await?;
        let definition = state.store.product_definition(&study).await?;
        let tests = definition
            .as_ref()
            .map_or(Vec::new(), |d| test_rows(viewer.lang, d));
        let locations = state.store.locations(&study).await?;
        let units = state
            .store
            .units_of_lot(&study, id)
            .await?
            .into_iter()
            .map(|u| UnitRow::of(u, sees, &locations))
            .collect();
        let results = lot
            .results
            .iter()
            .map(|r| ResultRow {
                test: tests
                    .iter()
                    .find(|t| t.id == r.test_id)
                    .map_or(r.test_id.clone(), |t| t.name.clone()),
                value: r.value.clone(),
                verdict: r.verdict.clone(),
                signer: r.signer_name.clone(),
                signed_at: r.signed_at.clone(),
            })
            .collect();
        let bank = state
            .store
            .banks(&study)
            .await?
            .into_iter()
            .find(|b| b.id == lot.bank_id);
        let contacts = match scope_for(&me.roles, &study, Operation::TraceProduct) {
            Some(scope) => state.store.recall_contacts(&scope, id).await?,
            None => None,
        };
        Ok::<_, ApiError>(LotPage {
            ctx: viewer.ctx(Some(&study)),
            study_id: study.clone(),
            recall: may(&viewer, &study, Operation::RecallLot)
                && !["rejected", "recalled"].contains(&lot.state.as_str()),
            contacts,
            decide: may(&viewer, &study, Operation::ReleaseLot) && lot.state == "quarantined",
            qc: may(&viewer, &study, Operation::EnterReleaseResult),
            trace: may(&viewer, &study, Operation::TraceProduct),
            lot,
            bank,
            tests,
            results,
            units,
            locations,
            sees,
        })
    }
    .await;
    respond(viewer.lang, result)
}
