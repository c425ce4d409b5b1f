//! The product after the bedside: what was given and what it left to follow. A participant's
//! doses (`…/participants/{id}/doses`: number, visit, date, time, dose, route and level, and
//! the participant's kit — what the blinded team may see, never the unit or its lot); the
//! study's exposure (`…/product/exposure`: every administration in scope, and for viewers who
//! see arms which unit of which lot, product or placebo); the sites' supply
//! (`…/product/supply`: usable stock against the minimum, lots with their last ship date, the
//! resupply notices); and the events to follow (`…/product/events`: one per recipient of a lot
//! that failed a release test after it was given, closed with the follow-up's documented
//! outcome by the investigator of the participant's site or the sponsor).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use store::{DoseGiven, Exposure, Notification, ProductEvent, Scope, Supply, RESUPPLY};

use super::{respond, site_names};
use crate::access::{require, scope_for, Operation};
use crate::app::AppState;
use crate::blinding::unblinded;
use crate::error::ApiError;
use crate::extract::record_id;
use crate::pages::{label, Ctx, Viewer};

/// The routes of these pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/studies/{study}/participants/{id}/doses", get(doses))
        .route("/studies/{study}/product/exposure", get(exposure))
        .route("/studies/{study}/product/supply", get(supply))
        .route("/studies/{study}/product/events", get(events))
}

#[derive(Template)]
#[template(path = "product_doses.html")]
struct DosesPage {
    ctx: Ctx,
    study_id: String,
    participant_id: i64,
    participant: String,
    site_id: String,
    /// The participant's kit, the blinded face of the product (none in an open-label study).
    kit: Option<String>,
    /// The dose level of a dose escalation, for viewers who see it.
    level: Option<String>,
    doses: Vec<DoseGiven>,
    /// The participant's trace (lot, bank, donor): linked for viewers who see arms and trace.
    trace: bool,
}

/// `GET /studies/{study}/participants/{id}/doses`
async fn doses(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((study, id)): Path<(String, String)>,
) -> Response {
    let result = async {
        let me = &viewer.me;
        let scope = require(&me.roles, &study, Operation::ReadParticipants)?;
        let definition = state.study(&study)?;
        let sees = unblinded(me, definition);
        let id = record_id(&id)?;
        let p = state.store.participant(&scope, id).await?;
        let doses = state.store.doses_given(&scope, id).await?;
        let kit = state
            .store
            .allocation(&scope, id)
            .await?
            .map(|a| a.kit_number);
        let level = if sees && !definition.dose_levels.is_empty() {
            state.store.dose(&scope, id).await?.0.map(|a| {
                definition
                    .dose_level(&a.level_id)
                    .map_or(a.level_id, |l| l.name_in(viewer.lang.zh()).to_string())
            })
        } else {
            None
        };
        Ok::<_, ApiError>(DosesPage {
            ctx: viewer.ctx(Some(&study)),
            study_id: study.clone(),
            participant_id: id,
            participant: label(&p),
            site_id: p.site_id,
            kit,
            level,
            doses,
            trace: sees && super::may(&viewer, &study, Operation::TraceProduct),
        })
    }
    .await;
    respond(viewer.lang, result)
}

/// The labels of the participants in scope, by id.
async fn labels(state: &AppState, scope: &Scope) -> Result<BTreeMap<i64, String>, ApiError> {
    Ok(state
        .store
        .participants(scope)
        .await?
        .iter()
        .map(|p| (p.id, label(p)))
        .collect())
}

/// One administration of the exposure; what reveals the blind only for viewers who see arms.
pub struct ExposureRow {
    e: Exposure,
    participant: String,
    /// The unit's label: unblinded viewers only.
    unit: Option<String>,
    /// The unit's lot, id and number: unblinded viewers only.
    lot: Option<(i64, String)>,
}

#[derive(Template)]
#[template(path = "product_exposure.html")]
struct ExposurePage {
    ctx: Ctx,
    study_id: String,
    rows: Vec<ExposureRow>,
    /// Whether the viewer sees the treatment, the unit and the lot (columns).
    sees: bool,
}

/// `GET /studies/{study}/product/exposure`
async fn exposure(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(study): Path<String>,
) -> Response {
    let result = async {
        let me = &viewer.me;
        let scope = require(&me.roles, &study, Operation::TraceProduct)?;
        let sees = unblinded(me, state.study(&study)?);
        // An unblinded read is audited as one (the reader named on the unblinded chain).
        let reader = sees.then(|| me.actor());
        let exposure = state.store.exposure(&scope, reader.as_ref()).await?;
        let labels = labels(&state, &scope).await?;
        // The unit and lot of each administration, read back from its participant's trace.
        let mut traced = BTreeMap::new();
        if sees {
            let ids: std::collections::BTreeSet<i64> =
                exposure.iter().map(|e| e.participant_id).collect();
            for id in ids {
                let t = state.store.trace_participant(&scope, id).await?;
                traced.insert(id, t.administrations);
            }
        }
        let rows = exposure
            .into_iter()
            .map(|e| {
                let given = traced.get(&e.participant_id).and_then(|all| {
                    all.iter().find(|a| {
                        a.administration.injected_at == e.injected_at
                            && a.administration.dose_number == e.dose_number
                    })
                });
                ExposureRow {
                    participant: labels
                        .get(&e.participant_id)
                        .cloned()
                        .unwrap_or_else(|| e.participant_id.to_string()),
                    unit: given.map(|a| a.unit_label.clone()),
                    lot: given.map(|a| (a.administration.lot_id, a.lot_number.clone())),
                    e,
                }
            })
            .collect();
        Ok::<_, ApiError>(ExposurePage {
            ctx: viewer.ctx(Some(&study)),
            study_id: study.clone(),
            rows,
            sees,
        })
    }
    .await;
    respond(viewer.lang, result)
}

#[derive(Template)]
#[template(path = "product_supply.html")]
struct SupplyPage {
    ctx: Ctx,
    study_id: String,
    /// None while no product definition is loaded.
    supply: Option<Supply>,
    /// The study's sites (id, name).
    sites: Vec<(String, String)>,
    /// The resupply notices addressed to the viewer's roles.
    notices: Vec<Notification>,
    /// A study-wide viewer, who sees what the manufacturer can still ship.
    study_wide: bool,
}

impl SupplyPage {
    /// A site's name in the page's language.
    fn site_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.sites
            .iter()
            .find(|(s, _)| s == id)
            .map_or(id, |(_, name)| name.as_str())
    }
}

/// `GET /studies/{study}/product/supply`
async fn supply(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(study): Path<String>,
) -> Response {
    let result = async {
        let me = &viewer.me;
        let scope = require(&me.roles, &study, Operation::ReadProduct)?;
        let definition = state.study(&study)?;
        let supply = if state.store.product_definition(&study).await?.is_some() {
            let today = time::OffsetDateTime::now_utc().date();
            Some(state.store.supply(definition, &scope, today).await?)
        } else {
            None
        };
        let told = Operation::ReadNotifications.roles();
        let roles: Vec<trial::Role> = me
            .roles
            .iter()
            .filter(|r| r.study_id == study && told.contains(&r.role))
            .map(|r| r.role)
            .collect();
        let notices = match scope_for(&me.roles, &study, Operation::ReadNotifications) {
            Some(told) if !roles.is_empty() => state
                .store
                .notifications_in(&told, &roles, &me.actor())
                .await?
                .into_iter()
                .filter(|n| n.kind == RESUPPLY)
                .collect(),
            _ => Vec::new(),
        };
        Ok::<_, ApiError>(SupplyPage {
            ctx: viewer.ctx(Some(&study)),
            study_id: study.clone(),
            supply,
            sites: site_names(viewer.lang, definition),
            notices,
            study_wide: matches!(scope, Scope::Study(_)),
        })
    }
    .await;
    respond(viewer.lang, result)
}

/// An event to follow as a row.
pub struct EventRow {
    e: ProductEvent,
    /// The participant's label.
    participant: Option<String>,
    /// Whether the viewer may close it (open, and the participant in their scope).
    close: bool,
}

#[derive(Template)]
#[template(path = "product_events.html")]
struct EventsPage {
    ctx: Ctx,
    study_id: String,
    rows: Vec<EventRow>,
}

/// `GET /studies/{study}/product/events`
async fn events(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(study): Path<String>,
) -> Response {
    let result = async {
        let me = &viewer.me;
        let scope = require(&me.roles, &study, Operation::TraceProduct)?;
        state.study(&study)?;
        let follow = scope_for(&me.roles, &study, Operation::FollowProductEvent);
        let labels = labels(&state, &scope).await?;
        let rows = state
            .store
            .product_events(&scope)
            .await?
            .into_iter()
            .map(|e| EventRow {
                participant: e.participant_id.and_then(|p| labels.get(&p).cloned()),
                close: e.state == "open"
                    && follow.as_ref().is_some_and(|f| match &e.site_id {
                        Some(site) => f.includes_site(site),
                        None => matches!(f, Scope::Study(_)),
                    }),
                e,
            })
            .collect();
        Ok::<_, ApiError>(EventsPage {
            ctx: viewer.ctx(Some(&study)),
            study_id: study.clone(),
            rows,
        })
    }
    .await;
    respond(viewer.lang, result)
}
