//! Adverse events, first part: a participant's events, recorded and changed (with a reason) by
//! the site, read by the site, the monitor and the study-wide roles that review safety; and the
//! search of the terms they are coded with, for the term picker. An event carries no arm.

pub(crate) mod cases;
pub(crate) mod e2b;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::on;
use axum::Json;
use serde::{Deserialize, Serialize};
use store::{AdverseEventRecord, Scope};
use trial::safety::{AdverseEventForm, Term};

use crate::access::{require, Operation};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::extract::{parse_body, JsonBody, ParticipantPath, Query};
use crate::openapi::Endpoint;
use crate::service::read_adverse_event;

pub(crate) mod dsmb;
pub(crate) mod signature;

/// The operations of this feature.
pub(crate) const OPERATIONS: &[Endpoint] = &[
    Endpoint::get(
        "/api/studies/{study}/participants/{id}/adverse-events",
        "listAdverseEvents",
        "A participant's adverse events, in the order recorded",
        |m| on(m, list),
    )
    .returns_list::<AdverseEventRecord>(),
    Endpoint::post(
        "/api/studies/{study}/participants/{id}/adverse-events",
        "recordAdverseEvent",
        "Record an adverse event of an enrolled participant (coordinator, investigator): every rule checked, each problem naming its field",
        |m| on(m, record),
    )
    .body::<EventInput>()
    .creates::<AdverseEventRecord>(),
    Endpoint::get(
        "/api/studies/{study}/participants/{id}/adverse-events/{ae}",
        "getAdverseEvent",
        "One adverse event of a participant",
        |m| on(m, get_one),
    )
    .returns::<AdverseEventRecord>(),
    Endpoint::post(
        "/api/studies/{study}/participants/{id}/adverse-events/{ae}",
        "changeAdverseEvent",
        "Change a recorded adverse event, with a reason; each changed field is audited",
        |m| on(m, change),
    )
    .body::<EventInput>()
    .returns::<AdverseEventRecord>(),
    Endpoint::get(
        "/api/studies/{study}/terms",
        "searchTerms",
        "The terms adverse events are coded with whose name or system organ class contains q (at most 50), with their grades",
        |m| on(m, search_terms),
    )
    .query::<TermQuery>()
    .returns_list::<TermView>(),
];

/// The most terms a search gives.
const MAX_TERMS: usize = 50;

/// An adverse event as the site enters it; `reason` only to change a recorded one.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct EventInput {
    /// The event in the reporter's words.
    verbatim: String,
    /// The coded term's name, as the terms name it (`Headache`).
    term: String,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[schema(pattern = r"^\d{4}(-\d{2}(-\d{2})?)?$")]
    onset: String,
    /// The same forms; empty or absent while the event goes on.
    #[serde(default)]
    end: Option<String>,
    /// The CTCAE grade, 1 to 5, one the term defines.
    #[serde(default)]
    grade: Option<i64>,
    /// The seriousness criteria met (none: not serious).
    #[serde(default)]
    #[schema(value_type = Vec<trial::safety::Seriousness>)]
    seriousness: Vec<String>,
    /// Causality to the product.
    #[schema(value_type = trial::safety::Causality)]
    causality_product: String,
    /// Causality to the procedure (lumbar puncture).
    #[schema(value_type = trial::safety::Causality)]
    causality_procedure: String,
    /// What was done with the product.
    #[schema(value_type = trial::safety::ActionTaken)]
    action: String,
    /// The outcome.
    #[schema(value_type = trial::safety::Outcome)]
    outcome: String,
    /// Why a recorded event changes (required then; not given when recording).
    #[serde(default)]
    reason: Option<String>,
}

impl EventInput {
    /// The form `trial` reads.
    fn form(self) -> (AdverseEventForm, Option<String>) {
        let form = AdverseEventForm {
            verbatim: self.verbatim,
            term: self.term,
            onset: self.onset,
            end: self.end,
            grade: self.grade,
            seriousness: self.seriousness,
            causality_product: self.causality_product,
            causality_procedure: self.causality_procedure,
            action: self.action,
            outcome: self.outcome,
        };
        (form, self.reason)
    }
}

/// The scope in which the caller reads a participant's adverse events, and the id: 404 for a
/// participant they cannot see, 403 when their roles do not allow it.
fn read_scope(me: &CurrentUser, path: &ParticipantPath) -> Result<(Scope, i64), ApiError> {
    let (_, id) = path.read(me)?;
    Ok((
        require(&me.roles, &path.study, Operation::ReadAdverseEvents)?,
        id,
    ))
}

/// An event's id from the path; 404 when it is not a number.
pub(super) fn ae_id(text: &str) -> Result<i64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::NotFound(format!("adverse event {text} not found")))
}

/// The event of a path.
#[derive(Debug, Deserialize)]
pub(super) struct EventPath {
    pub(super) ae: String,
}

/// `GET /api/studies/{study}/participants/{id}/adverse-events`
async fn list(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
) -> Result<Json<Vec<AdverseEventRecord>>, ApiError> {
    let (scope, id) = read_scope(&me, &path)?;
    Ok(Json(state.store.adverse_events_of(&scope, id).await?))
}

/// `POST /api/studies/{study}/participants/{id}/adverse-events`
async fn record(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
    body: JsonBody,
) -> Result<(StatusCode, Json<AdverseEventRecord>), ApiError> {
    let (scope, id) = path
        .write(&state, &me, Operation::RecordAdverseEvent)
        .await?;
    let input: EventInput = parse_body(&body)?;
    if input.reason.is_some() {
        return Err(ApiError::field(
            "reason",
            "is given only to change a recorded adverse event",
        ));
    }
    let (form, _) = input.form();
    let event = read_adverse_event(&state, &scope, id, &form).await?;
    let recorded = state
        .store
        .record_adverse_event(&scope, id, &event, &me.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(recorded)))
}

/// `GET /api/studies/{study}/participants/{id}/adverse-events/{ae}`
async fn get_one(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
    Path(EventPath { ae }): Path<EventPath>,
) -> Result<Json<AdverseEventRecord>, ApiError> {
    let (scope, id) = read_scope(&me, &path)?;
    Ok(Json(
        state.store.adverse_event(&scope, id, ae_id(&ae)?).await?,
    ))
}

/// `POST /api/studies/{study}/participants/{id}/adverse-events/{ae}`: a change, with a reason.
async fn change(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
    Path(EventPath { ae }): Path<EventPath>,
    body: JsonBody,
) -> Result<Json<AdverseEventRecord>, ApiError> {
    let (scope, id) = path
        .write(&state, &me, Operation::RecordAdverseEvent)
        .await?;
    let ae = ae_id(&ae)?;
    let input: EventInput = parse_body(&body)?;
    let (form, reason) = input.form();
    // The event must exist before its form is worth reading.
    state.store.adverse_event(&scope, id, ae).await?;
    let event = read_adverse_event(&state, &scope, id, &form).await?;
    let changed = state
        .store
        .change_adverse_event(&scope, id, ae, &event, reason.as_deref(), &me.actor())
        .await?;
    Ok(Json(changed))
}

/// What to search the terms for.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct TermQuery {
    /// A part of the term's name or system organ class (ignoring case); all terms when absent.
    q: Option<String>,
}

/// A term with the grades it defines.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct TermView {
    /// The MedDRA code.
    code: String,
    /// The term.
    name: String,
    /// The system organ class.
    soc: String,
    /// The grades the term defines, each with its definition.
    grades: Vec<GradeView>,
    /// The term's definition, when given.
    definition: Option<String>,
}

/// A grade of a term.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct GradeView {
    /// 1 to 5.
    #[schema(minimum = 1, maximum = 5)]
    grade: u8,
    /// What the grade means for this term.
    definition: String,
}

impl From<&Term> for TermView {
    fn from(t: &Term) -> TermView {
        TermView {
            code: t.code.clone(),
            name: t.name.clone(),
            soc: t.soc.clone(),
            grades: t
                .defined_grades()
                .into_iter()
                .map(|grade| GradeView {
                    grade,
                    definition: t.grade_definition(grade).unwrap_or("").to_string(),
                })
                .collect(),
            definition: t.definition.clone(),
        }
    }
}

/// `GET /api/studies/{study}/terms?q=…`
async fn search_terms(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study): Path<String>,
    Query(query): Query<TermQuery>,
) -> Result<Json<Vec<TermView>>, ApiError> {
    require(&me.roles, &study, Operation::ReadAdverseEvents)?;
    let terms = state.store.terms().await?;
    let found = terms.search(query.q.as_deref().unwrap_or(""), MAX_TERMS);
    Ok(Json(found.into_iter().map(TermView::from).collect()))
}
