//! Participants: the list, screening, one participant's view, enrolment, withdrawal or
//! completion, corrections, and the date a visit took place.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::on;
use axum::Json;
use serde::{Deserialize, Serialize};
use store::{Participant, Scope};

use crate::access::{require, Operation};
use crate::app::{App, AppState};
use crate::auth::CurrentUser;
use crate::blinding::{self, AllocationView, DoseView};
use crate::error::ApiError;
use crate::extract::{parse_body, JsonBody, ParticipantPath};
use crate::openapi::Endpoint;
use crate::service;

/// The operations of this feature.
pub(crate) const OPERATIONS: &[Endpoint] = &[
    Endpoint::get(
        "/api/studies/{study}/participants",
        "listParticipants",
        "Participants in the caller's scope",
        |m| on(m, list),
    )
    .returns_list::<ParticipantSummary>(),
    Endpoint::post(
        "/api/studies/{study}/participants",
        "screenParticipant",
        "Screen a participant with the screening ISNCSCI exam; eligibility is computed",
        |m| on(m, screen),
    )
    .body::<service::ScreeningInput>()
    .creates::<Participant>(),
    Endpoint::get(
        "/api/studies/{study}/participants/{id}",
        "getParticipant",
        "A participant with visits (window status) and exams",
        |m| on(m, participant),
    )
    .returns::<ParticipantView>(),
    Endpoint::post(
        "/api/studies/{study}/participants/{id}/enrolment",
        "enrolParticipant",
        "Enrol an eligible participant and plan the visits",
        |m| on(m, enrol),
    )
    .body::<service::EnrolmentInput>()
    .returns::<ParticipantView>(),
    Endpoint::post(
        "/api/studies/{study}/participants/{id}/end",
        "endParticipation",
        "Withdraw or complete a participant, with the reason",
        |m| on(m, end),
    )
    .body::<EndInput>()
    .returns::<ParticipantView>(),
    Endpoint::post(
        "/api/studies/{study}/participants/{id}/corrections",
        "correctParticipant",
        "Change saved data, with the reason",
        |m| on(m, correct),
    )
    .body::<CorrectionInput>()
    .returns::<ParticipantView>(),
    Endpoint::post(
        "/api/studies/{study}/participants/{id}/visits/{visit}",
        "recordVisit",
        "Record the date a visit took place",
        |m| on(m, visit_done),
    )
    .body::<VisitDone>()
    .returns::<ParticipantView>(),
];

/// A participant as listed, with the allocation marks every role may see (randomised, kit,
/// emergency unblinding; never the arm).
#[derive(Serialize, utoipa::ToSchema)]
struct ParticipantSummary {
    #[serde(flatten)]
    participant: Participant,
    randomised: bool,
    kit_number: Option<String>,
    emergency_unblinded: bool,
}

/// `GET /api/studies/{study}/participants`
async fn list(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study): Path<String>,
) -> Result<Json<Vec<ParticipantSummary>>, ApiError> {
    let scope = require(&me.roles, &study, Operation::ReadParticipants)?;
    let allocations = state.store.allocations(&scope).await?;
    let listed = state
        .store
        .participants(&scope)
        .await?
        .into_iter()
        .map(|participant| {
            let a = allocations
                .iter()
                .find(|a| a.participant_id == participant.id);
            ParticipantSummary {
                randomised: a.is_some(),
                kit_number: a.map(|a| a.kit_number.clone()),
                emergency_unblinded: a.is_some_and(|a| a.unblinded_at.is_some()),
                participant,
            }
        })
        .collect();
    Ok(Json(listed))
}

/// `POST /api/studies/{study}/participants`: screening.
async fn screen(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study): Path<String>,
    body: JsonBody,
) -> Result<(StatusCode, Json<Participant>), ApiError> {
    let scope = require(&me.roles, &study, Operation::EnterData)?;
    let input: service::ScreeningInput = parse_body(&body)?;
    if !scope.includes_site(&input.site_id) && state.study(&study)?.site(&input.site_id).is_some() {
        return Err(ApiError::Forbidden(format!(
            "you cannot screen at site {}",
            input.site_id
        )));
    }
    let p = service::screen(&state, &scope, &input, &me.actor()).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// A participant with visits and exams.
#[derive(Serialize, utoipa::ToSchema)]
struct ParticipantView {
    #[serde(flatten)]
    participant: Participant,
    visits: Vec<service::VisitView>,
    exams: Vec<ExamView>,
    signatures: Vec<store::Signature>,
    /// The allocation as the caller may see it (the arm for unblinded roles only).
    allocation: Option<AllocationView>,
    /// The dose level and DLT assessment in a dose escalation (open-label).
    dose: Option<DoseView>,
}

/// A stored exam with its classification.
#[derive(Serialize, utoipa::ToSchema)]
struct ExamView {
    /// The visit.
    visit_id: String,
    /// The visit's ISNCSCI form, where the exam is kept.
    form_id: String,
    #[schema(format = Date)]
    examined_on: String,
    #[schema(value_type = service::FlatExam)]
    exam: serde_json::Value,
    #[schema(value_type = service::Classification)]
    classification: serde_json::Value,
}

async fn view(
    state: &App,
    me: &CurrentUser,
    scope: &Scope,
    id: i64,
) -> Result<Json<ParticipantView>, ApiError> {
    let participant = state.store.participant(scope, id).await?;
    let today = time::OffsetDateTime::now_utc().date();
    let visits = service::visits(state, scope, id, today).await?;
    let exams = state
        .store
        .exams(
            scope,
            id,
            &service::isncsci_forms(state.study(scope.study())?),
        )
        .await?
        .into_iter()
        .map(|e| ExamView {
            visit_id: e.visit_id,
            form_id: e.form_id,
            examined_on: e.examined_on,
            exam: serde_json::from_str(&e.raw).unwrap_or_default(),
            classification: serde_json::from_str(&e.classification).unwrap_or_default(),
        })
        .collect();
    let signatures = state.store.signatures(scope, id).await?;
    let allocation = blinding::allocation_of(state, me, scope, id).await?;
    let dose = blinding::dose_of(state, me, scope, id).await?;
    Ok(Json(ParticipantView {
        participant,
        visits,
        exams,
        signatures,
        allocation,
        dose,
    }))
}

/// `GET /api/studies/{study}/participants/{id}`
async fn participant(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
) -> Result<Json<ParticipantView>, ApiError> {
    let (scope, id) = path.read(&me)?;
    view(&state, &me, &scope, id).await
}

/// `POST /api/studies/{study}/participants/{id}/enrolment`
async fn enrol(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
    body: JsonBody,
) -> Result<Json<ParticipantView>, ApiError> {
    let (scope, id) = path.write(&state, &me, Operation::EnterData).await?;
    let input: service::EnrolmentInput = parse_body(&body)?;
    service::enrol(&state, &scope, id, &input, &me.actor()).await?;
    view(&state, &me, &scope, id).await
}

/// Withdrawal or completion.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct EndInput {
    /// `withdrawn` or `completed`.
    status: String,
    #[schema(format = Date)]
    on: String,
    reason: String,
}

/// `POST /api/studies/{study}/participants/{id}/end`
async fn end(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
    body: JsonBody,
) -> Result<Json<ParticipantView>, ApiError> {
    let (scope, id) = path.write(&state, &me, Operation::EndParticipation).await?;
    let input: EndInput = parse_body(&body)?;
    let ending = store::Ending {
        participant_id: id,
        status: input.status,
        on: input.on,
        reason: input.reason,
    };
    state
        .store
        .end_participation(&scope, &ending, &me.actor())
        .await?;
    view(&state, &me, &scope, id).await
}

/// A change to saved data, with its reason.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CorrectionInput {
    #[schema(value_type = trial::participants::CorrectableField)]
    field: String,
    value: String,
    reason: String,
}

/// `POST /api/studies/{study}/participants/{id}/corrections`
async fn correct(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
    body: JsonBody,
) -> Result<Json<ParticipantView>, ApiError> {
    let (scope, id) = path.write(&state, &me, Operation::EnterData).await?;
    let input: CorrectionInput = parse_body(&body)?;
    let mut correction = store::Correction {
        participant_id: id,
        field: input.field,
        value: input.value,
        reason: input.reason,
        eligibility: None,
    };
    // A changed date may change eligibility: evaluated again with the screening exam.
    let study = state.study(&path.study)?;
    correction.eligibility =
        service::corrected_eligibility(&state, &scope, study, &correction).await?;
    state
        .store
        .correct_participant(&scope, &correction, &me.actor())
        .await?;
    view(&state, &me, &scope, id).await
}

/// The visit of a path.
#[derive(Debug, Deserialize)]
struct VisitPath {
    visit: String,
}

/// The date a visit took place.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct VisitDone {
    #[schema(format = Date)]
    done_on: String,
}

/// `POST /api/studies/{study}/participants/{id}/visits/{visit}`
async fn visit_done(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
    Path(VisitPath { visit }): Path<VisitPath>,
    body: JsonBody,
) -> Result<Json<ParticipantView>, ApiError> {
    let (scope, id) = path.write(&state, &me, Operation::EnterData).await?;
    let input: VisitDone = parse_body(&body)?;
    state
        .store
        .record_visit(&scope, id, &visit, &input.done_on, &me.actor())
        .await?;
    view(&state, &me, &scope, id).await
}
