//! The product's custody, bedside and trace pages. A shipment (`…/product/shipments/{id}`):
//! its units' labels, hand-overs signed by whoever takes custody, the logger file's import and
//! the excursions and gaps found (start, duration, peak) with the qualified person's signed
//! decision. The bedside (`…/product/bedside`): the unblinded pharmacist scans the kit and the
//! unit (text inputs, as a scanner types), links them, and records thaw, preparation, the
//! hand-over to the blinded injector and the injection. The trace: a lot to its units,
//! shipments, sites and recipients (whom to contact in a recall), and a participant back to
//! lot, master cell bank and donor.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use store::{Bank, Lot, ShipmentRecord, TracedAdministration};

use super::{may, respond, UnitRow};
use crate::access::{require, Operation};
use crate::api::product::path_id;
use crate::app::AppState;
use crate::blinding::unblinded;
use crate::error::ApiError;
use crate::extract::record_id;
use crate::pages::{label, Ctx, Viewer};

/// The routes of these pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/studies/{study}/product/shipments/{shipment}",
            get(shipment_page),
        )
        .route("/studies/{study}/product/bedside", get(bedside))
        .route("/studies/{study}/product/lots/{lot}/trace", get(trace_lot))
        .route(
            "/studies/{study}/participants/{id}/product",
            get(trace_participant),
        )
}

#[derive(Template)]
#[template(path = "product_shipment.html")]
struct ShipmentPage {
    ctx: Ctx,
    study_id: String,
    s: ShipmentRecord,
    units: Vec<UnitRow>,
    sees: bool,
    /// Whether the viewer may sign a hand-over (taking custody).
    hand_over: bool,
    import: bool,
    /// The qualified person's decisions on excursions.
    decide: bool,
}

/// `GET /studies/{study}/product/shipments/{shipment}`
async fn shipment_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((study, shipment)): Path<(String, String)>,
) -> Response {
    let result = async {
        let me = &viewer.me;
        let scope = require(&me.roles, &study, Operation::ReadProduct)?;
        let sees = unblinded(me, state.study(&study)?);
        let id = path_id("shipment", &shipment)?;
        let s = state.store.shipment(&scope, id).await?;
        let locations = state.store.locations(&study).await?;
        let mut units = Vec::new();
        for lot in state.store.lots(&study).await? {
            for u in state.store.units_of_lot(&study, lot.id).await? {
                if u.shipment_id == Some(id) {
                    units.push(UnitRow::of(u, sees, &locations));
                }
            }
        }
        let in_scope = |op| {
            crate::access::scope_for(&me.roles, &study, op)
                .is_some_and(|sc| sc.includes_site(&s.site_id))
        };
        Ok::<_, ApiError>(ShipmentPage {
            ctx: viewer.ctx(Some(&study)),
            study_id: study.clone(),
            hand_over: in_scope(Operation::HandOver) && s.state != "received",
            import: in_scope(Operation::ImportLogger),
            decide: may(&viewer, &study, Operation::ReleaseLot),
            s,
            units,
            sees,
        })
    }
    .await;
    respond(viewer.lang, result)
}

#[derive(Template)]
#[template(path = "product_bedside.html")]
struct BedsidePage {
    ctx: Ctx,
    study_id: String,
    /// The participants in scope: id and label.
    participants: Vec<(i64, String)>,
    levels: &'static [&'static str],
}

/// `GET /studies/{study}/product/bedside`
async fn bedside(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(study): Path<String>,
) -> Response {
    let result = async {
        let scope = require(&viewer.me.roles, &study, Operation::HandleUnits)?;
        state.study(&study)?;
        let participants = state
            .store
            .participants(&scope)
            .await?
            .iter()
            .filter(|p| p.subject_id.is_some())
            .map(|p| (p.id, label(p)))
            .collect();
        Ok::<_, ApiError>(BedsidePage {
            ctx: viewer.ctx(Some(&study)),
            study_id: study.clone(),
            participants,
            levels: &["L2-L3", "L3-L4", "L4-L5", "L5-S1"],
        })
    }
    .await;
    respond(viewer.lang, result)
}

/// A recipient of a traced lot, as a row.
pub struct RecipientRow {
    participant_id: i64,
    label: String,
    site_id: String,
    injected_at: String,
    /// The unit given: unblinded viewers only.
    unit: Option<String>,
}

#[derive(Template)]
#[template(path = "product_trace.html")]
struct LotTracePage {
    ctx: Ctx,
    study_id: String,
    lot: Lot,
    bank: Bank,
    units: Vec<UnitRow>,
    shipments: Vec<(i64, String, String)>,
    sites: Vec<String>,
    recipients: Vec<RecipientRow>,
    sees: bool,
}

/// `GET /studies/{study}/product/lots/{lot}/trace`
async fn trace_lot(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((study, lot)): Path<(String, String)>,
) -> Response {
    let result = async {
        let me = &viewer.me;
        let scope = require(&me.roles, &study, Operation::TraceProduct)?;
        let sees = unblinded(me, state.study(&study)?);
        let id = path_id("lot", &lot)?;
        let t = state.store.trace_lot(&scope, id).await?;
        let locations = state.store.locations(&study).await?;
        let labels: Vec<(i64, String)> = t.units.iter().map(|u| (u.id, u.label())).collect();
        let mut recipients = Vec::new();
        for r in t.recipients {
            let p = state.store.participant(&scope, r.participant_id).await?;
            recipients.push(RecipientRow {
                participant_id: r.participant_id,
                label: label(&p),
                site_id: r.site_id,
                injected_at: r.injected_at,
                unit: if sees {
                    labels
                        .iter()
                        .find(|(id, _)| *id == r.unit_id)
                        .map(|(_, l)| l.clone())
                } else {
                    None
                },
            });
        }
        Ok::<_, ApiError>(LotTracePage {
            ctx: viewer.ctx(Some(&study)),
            study_id: study.clone(),
            lot: t.lot,
            bank: t.bank,
            units: t
                .units
                .into_iter()
                .map(|u| UnitRow::of(u, sees, &locations))
                .collect(),
            shipments: t.shipments,
            sites: t.sites,
            recipients,
            sees,
        })
    }
    .await;
    respond(viewer.lang, result)
}

/// One administration traced back, as a row; the unit's label for unblinded viewers only.
pub struct AdministrationRow {
    a: TracedAdministration,
    unit: Option<String>,
}

#[derive(Template)]
#[template(path = "product_participant.html")]
struct ParticipantTracePage {
    ctx: Ctx,
    study_id: String,
    participant_id: i64,
    participant: String,
    site_id: String,
    rows: Vec<AdministrationRow>,
    /// Whether the viewer sees the units given (a column).
    sees: bool,
}

/// `GET /studies/{study}/participants/{id}/product`
async fn trace_participant(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((study, id)): Path<(String, String)>,
) -> Response {
    let result = async {
        let me = &viewer.me;
        let scope = require(&me.roles, &study, Operation::TraceProduct)?;
        let sees = unblinded(me, state.study(&study)?);
        let id = record_id(&id)?;
        let p = state.store.participant(&scope, id).await?;
        let t = state.store.trace_participant(&scope, id).await?;
        Ok::<_, ApiError>(ParticipantTracePage {
            ctx: viewer.ctx(Some(&study)),
            study_id: study.clone(),
            participant_id: id,
            participant: label(&p),
            site_id: t.site_id,
            rows: t
                .administrations
                .into_iter()
                .map(|a| AdministrationRow {
                    unit: sees.then(|| a.unit_label.clone()),
                    a,
                })
                .collect(),
            sees,
        })
    }
    .await;
    respond(viewer.lang, result)
}
