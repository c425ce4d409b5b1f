//! Phase I dose escalation: the cohort view with the 3+3 rule's decision, dose levels assigned
//! as the rule allows, the sponsor's signed override, and the investigator's signed DLT
//! assessments. Open-label: the dose is shown to everyone who sees the participant (in a blinded
//! dose-escalation study, only to unblinded callers; see `blinding.rs`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::on;
use axum::Json;
use serde::{Deserialize, Serialize};
use store::DltAssessment;
use trial::safety::DltCandidate;
use trial::Decision;

use crate::access::{require, Operation};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::blinding::{dose_view, unblinded, DoseView};
use crate::error::ApiError;
use crate::esign;
use crate::extract::{parse_body, JsonBody, ParticipantPath};
use crate::openapi::Endpoint;
use trial::SignedRecord;

/// The operations of this feature.
pub(crate) const OPERATIONS: &[Endpoint] = &[
    Endpoint::get(
        "/api/studies/{study}/cohorts",
        "getCohorts",
        "Dose levels with their participants, DLTs and the 3+3 decision; the level enrolling now; the MTD",
        |m| on(m, cohorts),
    )
    .returns::<CohortView>(),
    Endpoint::post(
        "/api/studies/{study}/participants/{id}/dose-level",
        "assignDoseLevel",
        "Give an enrolled participant the dose level the 3+3 rule enrols at now (any other is refused)",
        |m| on(m, assign),
    )
    .body::<AssignInput>()
    .creates::<DoseView>(),
    Endpoint::post(
        "/api/studies/{study}/participants/{id}/dose-level/override",
        "overrideDoseLevel",
        "Sponsor override of the 3+3 rule: level, reason and password (signature); audited",
        |m| on(m, override_level),
    )
    .body::<OverrideInput>()
    .creates::<DoseView>(),
    Endpoint::post(
        "/api/studies/{study}/participants/{id}/dlt",
        "recordDltAssessment",
        "The investigator's signed DLT assessment (password), within the DLT window",
        |m| on(m, record_dlt),
    )
    .body::<DltInput>()
    .creates::<DltAssessment>(),
    Endpoint::get(
        "/api/studies/{study}/participants/{id}/dlt-candidates",
        "listDltCandidates",
        "The participant's adverse events the study's DLT criteria propose as DLTs (grade, causality, onset within the DLT window), for the investigator to confirm",
        |m| on(m, dlt_candidates),
    )
    .returns_list::<DltCandidate>(),
];

/// One dose level in the cohort view.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct LevelView {
    id: String,
    name: String,
    cells: f64,
    schedule: String,
    dose_days: Vec<i32>,
    assigned: u32,
    evaluable: u32,
    dlts: u32,
    decision: Decision,
}

/// The cohort view: each level's state and decision, where the rule enrols now, the MTD.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct CohortView {
    study_id: String,
    dlt_window_days: Option<u32>,
    levels: Vec<LevelView>,
    /// The level the 3+3 rule enrols at now.
    enrolling_level: Option<String>,
    /// Its cohort size (3, or 6 when expanded).
    cohort_target: u32,
    /// Whether a participant can be given that level now (otherwise the cohort waits for its
    /// DLT windows).
    open: bool,
    /// The maximum tolerated dose, once established.
    mtd: Option<String>,
    /// The participants in the caller's scope, with level and DLT assessment.
    participants: Vec<CohortMember>,
}

/// A participant in the cohort view.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct CohortMember {
    participant_id: i64,
    level_id: String,
    #[schema(format = DateTime)]
    assigned_at: String,
    overridden: bool,
    /// `yes`, `no`, or `pending` (not yet evaluable).
    #[schema(value_type = String, pattern = "^(yes|no|pending)$")]
    dlt: &'static str,
    #[schema(format = Date)]
    onset_on: Option<String>,
}

/// `GET /api/studies/{study}/cohorts`
async fn cohorts(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
) -> Result<Json<CohortView>, ApiError> {
    let scope = require(&me.roles, &study_id, Operation::ReadParticipants)?;
    let study = state.study(&study_id)?;
    if !study.dose_levels.is_empty() && !unblinded(&me, study) {
        return Err(ApiError::Forbidden(format!(
            "the dose cohorts of {study_id} are for unblinded roles only"
        )));
    }
    let participants = state
        .store
        .doses(&scope)
        .await?
        .into_iter()
        .map(|(d, dlt)| CohortMember {
            participant_id: d.participant_id,
            level_id: d.level_id,
            assigned_at: d.assigned_at,
            overridden: d.override_reason.is_some(),
            dlt: match &dlt {
                Some(a) if a.dlt => "yes",
                Some(_) => "no",
                None => "pending",
            },
            onset_on: dlt.and_then(|a| a.onset_on),
        })
        .collect();
    let counts = state.store.cohort_counts(study).await?;
    let rule = trial::three_plus_three(
        &counts
            .iter()
            .map(|c| (c.evaluable, c.dlts))
            .collect::<Vec<_>>(),
    );
    let opening = trial::opening(&counts);
    let levels = study
        .dose_levels
        .iter()
        .zip(&counts)
        .zip(&rule.decisions)
        .map(|((l, c), d)| LevelView {
            id: l.id.clone(),
            name: l.name.clone(),
            cells: l.cells,
            schedule: l.schedule.to_string(),
            dose_days: l.dose_days.clone(),
            assigned: c.assigned,
            evaluable: c.evaluable,
            dlts: c.dlts,
            decision: *d,
        })
        .collect();
    let name = |i: usize| study.dose_levels[i].id.clone();
    Ok(Json(CohortView {
        study_id: study.id.clone(),
        dlt_window_days: study.dlt_window_days,
        levels,
        enrolling_level: opening.level.map(name),
        cohort_target: opening.target,
        open: opening.open,
        mtd: rule.mtd.map(name),
        participants,
    }))
}

/// Asking for a dose level: none for the level the rule enrols at now.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AssignInput {
    level_id: Option<String>,
}

/// `POST /api/studies/{study}/participants/{id}/dose-level`: gives an enrolled participant the
/// dose level where the 3+3 rule enrols now; any other level is refused.
async fn assign(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
    body: JsonBody,
) -> Result<(StatusCode, Json<DoseView>), ApiError> {
    let (scope, id) = path.write(&state, &me, Operation::AssignDose).await?;
    let input: AssignInput = parse_body(&body)?;
    let study = state.study(&path.study)?;
    let a = state
        .store
        .assign_dose_level(
            &scope,
            study,
            id,
            input.level_id.as_deref(),
            None,
            &me.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(dose_view(study, a, None))))
}

/// A sponsor's override: the level, the reason and the password re-entered (the signature).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct OverrideInput {
    level_id: String,
    reason: String,
    password: String,
}

/// `POST /api/studies/{study}/participants/{id}/dose-level/override`: the sponsor gives a level
/// the rule does not allow, with a reason and a signature (password re-entered); audited.
async fn override_level(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
    body: JsonBody,
) -> Result<(StatusCode, Json<DoseView>), ApiError> {
    let (scope, id) = path.write(&state, &me, Operation::OverrideDose).await?;
    let input: OverrideInput = parse_body(&body)?;
    if input.reason.trim().is_empty() {
        return Err(ApiError::field(
            "reason",
            "is required: why the 3+3 rule is overridden",
        ));
    }
    let study = state.study(&path.study)?;
    esign::reenter(
        &state,
        &me,
        &scope,
        id,
        SignedRecord::DoseOverride,
        input.password,
    )
    .await?;
    let signed = store::DoseOverride {
        reason: &input.reason,
        signer: &me.user,
    };
    let a = state
        .store
        .assign_dose_level(
            &scope,
            study,
            id,
            Some(&input.level_id),
            Some(signed),
            &me.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(dose_view(study, a, None))))
}

/// A DLT assessment, signed with the password.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DltInput {
    dlt: bool,
    #[schema(format = Date)]
    onset_on: Option<String>,
    description: String,
    #[schema(format = Date)]
    assessed_on: String,
    /// The participant's adverse events that make it a DLT: required for a DLT, none otherwise.
    #[serde(default)]
    ae_ids: Vec<i64>,
    password: String,
}

/// `POST /api/studies/{study}/participants/{id}/dlt`: the investigator records and signs the
/// participant's DLT assessment: a DLT with its onset inside the window, or none once the
/// window is over.
async fn record_dlt(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
    body: JsonBody,
) -> Result<(StatusCode, Json<DltAssessment>), ApiError> {
    let (scope, id) = path.write(&state, &me, Operation::Sign).await?;
    let input: DltInput = parse_body(&body)?;
    let study = state.study(&path.study)?;
    esign::reenter(
        &state,
        &me,
        &scope,
        id,
        SignedRecord::DltAssessment,
        input.password,
    )
    .await?;
    let new = store::NewDlt {
        participant_id: id,
        dlt: input.dlt,
        onset_on: input.onset_on,
        description: input.description,
        assessed_on: input.assessed_on,
        ae_ids: input.ae_ids,
        signer: &me.user,
    };
    let a = state
        .store
        .record_dlt(&scope, study, &new, &me.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(a)))
}

/// `GET /api/studies/{study}/participants/{id}/dlt-candidates`: as the cohorts, for callers
/// who see the escalation.
async fn dlt_candidates(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
) -> Result<Json<Vec<DltCandidate>>, ApiError> {
    let (_, id) = path.read(&me)?;
    let scope = require(&me.roles, &path.study, Operation::ReadAdverseEvents)?;
    let study = state.study(&path.study)?;
    if !study.dose_levels.is_empty() && !unblinded(&me, study) {
        return Err(ApiError::Forbidden(format!(
            "the DLT candidates of {} are for unblinded roles only",
            study.id
        )));
    }
    Ok(Json(state.store.dlt_candidates(&scope, study, id).await?))
}
