//! Serious adverse events as cases: the site's report to the sponsor, the study's open
//! reporting clocks, the case (with, for pharmacovigilance and a SUSAR only, the arm), the
//! safety physician's assessment, and the expedited reports pharmacovigilance records.
//!
//! Who: the site (investigator, coordinator) reports its serious events and sees its own sites'
//! 24-hour clocks, since they are its deadlines; the sponsor's safety physician,
//! pharmacovigilance and the sponsor's administrator see every clock and the cases. The arm of
//! a case is shown by `trial::safety::case_shows_arm` only, each view audited on the unblinded
//! chain; for everyone else the key is absent.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::on;
use axum::Json;
use serde::{Deserialize, Serialize};
use store::{ClockRecord, ExpeditedReport, SafetyCase, Scope, SponsorInput};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use trial::safety::{case_shows_arm, Authority, Causality, Expectedness, ReportKind};

use crate::access::{require, Operation};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::extract::{parse_body, roles_in, JsonBody, ParticipantPath};
use crate::openapi::Endpoint;

/// The operations of this part of the feature.
pub(crate) const OPERATIONS: &[Endpoint] = &[
    Endpoint::post(
        "/api/studies/{study}/participants/{id}/adverse-events/{ae}/sae-report",
        "reportSae",
        "The site reports a serious adverse event to the sponsor (investigator, coordinator): its 24-hour clock stops and the sponsor's first knowledge is fixed",
        |m| on(m, report_sae),
    )
    .returns::<SafetyCase>(),
    Endpoint::get(
        "/api/studies/{study}/safety/clocks",
        "listSafetyClocks",
        "The open reporting clocks, overdue first, then the soonest due (site users: their sites' 24-hour clocks)",
        |m| on(m, clocks),
    )
    .returns_list::<ClockRecord>(),
    Endpoint::get(
        "/api/studies/{study}/safety/cases/{ae}",
        "getSafetyCase",
        "A serious adverse event as a case: both assessments, the classification, clocks and reports; for pharmacovigilance, a SUSAR's arm (audited)",
        |m| on(m, get_case),
    )
    .returns::<CaseView>(),
    Endpoint::post(
        "/api/studies/{study}/safety/cases/{ae}/assessment",
        "assessSafetyCase",
        "The safety physician records the sponsor's causality and expectedness (a change needs a reason)",
        |m| on(m, assess),
    )
    .body::<AssessmentInput>()
    .returns::<SafetyCase>(),
    Endpoint::post(
        "/api/studies/{study}/safety/cases/{ae}/reports",
        "recordExpeditedReport",
        "Pharmacovigilance records an expedited report submitted to an authority (initial, then follow-ups)",
        |m| on(m, record_report),
    )
    .body::<ReportInput>()
    .creates::<ExpeditedReport>(),
];

/// A case as the API shows it: the arm only for pharmacovigilance and a SUSAR.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct CaseView {
    /// The case.
    #[serde(flatten)]
    pub(crate) case: SafetyCase,
    /// The participant's arm, for the expedited report (pharmacovigilance, SUSAR only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) arm_id: Option<String>,
    /// The arm's name (same rule).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) arm_name: Option<String>,
}

/// The safety physician's assessment.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AssessmentInput {
    /// Causality to the product, by the sponsor.
    #[schema(value_type = Causality)]
    causality: String,
    /// Expectedness against the reference safety information, by the sponsor.
    #[schema(value_type = Expectedness)]
    expectedness: String,
    /// When the sponsor first knew of the case, if before the site's report (RFC 3339; first
    /// assessment only).
    #[serde(default)]
    #[schema(format = DateTime)]
    first_knowledge: Option<String>,
    /// Why a recorded assessment changes.
    #[serde(default)]
    reason: Option<String>,
}

/// An expedited report submitted.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ReportInput {
    /// To whom.
    #[schema(value_type = Authority)]
    authority: String,
    /// Initial or follow-up.
    #[schema(value_type = ReportKind)]
    kind: String,
    /// When it was submitted (RFC 3339; now when absent).
    #[serde(default)]
    #[schema(format = DateTime)]
    submitted_at: Option<String>,
}

/// The event of a path.
#[derive(Debug, Deserialize)]
struct EventPath {
    study: String,
    ae: String,
}

/// An event's id; 404 when it is not a number.
fn ae_id(text: &str) -> Result<i64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::NotFound(format!("adverse event {text} not found")))
}

/// An instant in RFC 3339, naming the field when it is not one.
fn instant(field: &str, text: Option<&str>) -> Result<Option<OffsetDateTime>, ApiError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => OffsetDateTime::parse(t, &Rfc3339).map(Some).map_err(|_| {
            ApiError::field(
                field,
                format!("{t:?} is not an instant (allowed: RFC 3339, 2026-11-02T08:00:00Z)"),
            )
        }),
    }
}

/// The participant and event of a site's path.
#[derive(Debug, Deserialize)]
struct SiteEventPath {
    ae: String,
}

/// `POST …/participants/{id}/adverse-events/{ae}/sae-report`
async fn report_sae(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
    Path(SiteEventPath { ae }): Path<SiteEventPath>,
) -> Result<Json<SafetyCase>, ApiError> {
    let (scope, id) = path.write(&state, &me, Operation::ReportSae).await?;
    let study = state.study(&path.study)?;
    let case = state
        .store
        .report_sae(study, &scope, id, ae_id(&ae)?, &me.actor())
        .await?;
    Ok(Json(case))
}

/// `GET /api/studies/{study}/safety/clocks`: study-wide roles see every open clock; site
/// users their sites' 24-hour clocks only.
async fn clocks(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
) -> Result<Json<Vec<ClockRecord>>, ApiError> {
    let scope = require(&me.roles, &study_id, Operation::ReadSafetyClocks)?;
    let study = state.study(&study_id)?;
    let site_only = matches!(scope, Scope::Sites { .. });
    Ok(Json(
        state
            .store
            .safety_clocks(study, &scope, site_only, OffsetDateTime::now_utc())
            .await?,
    ))
}

/// `GET /api/studies/{study}/safety/cases/{ae}`
async fn get_case(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(EventPath {
        study: study_id,
        ae,
    }): Path<EventPath>,
) -> Result<Json<CaseView>, ApiError> {
    let scope = require(&me.roles, &study_id, Operation::ReadSafetyCase)?;
    let study = state.study(&study_id)?;
    let ae = ae_id(&ae)?;
    let case = state
        .store
        .safety_case(study, &scope, ae, OffsetDateTime::now_utc())
        .await?;
    let mut view = CaseView {
        case,
        arm_id: None,
        arm_name: None,
    };
    let roles = roles_in(&me, &study_id);
    if case_shows_arm(study, &roles, view.case.classification.susar) {
        if let Some(arm) = state
            .store
            .reveal_case_arm(study, &scope, ae, &me.actor())
            .await?
        {
            view.arm_name = study
                .arms
                .iter()
                .find(|a| a.id == arm)
                .map(|a| a.name.clone());
            view.arm_id = Some(arm);
        }
    }
    Ok(Json(view))
}

/// `POST /api/studies/{study}/safety/cases/{ae}/assessment`
async fn assess(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(EventPath {
        study: study_id,
        ae,
    }): Path<EventPath>,
    body: JsonBody,
) -> Result<Json<SafetyCase>, ApiError> {
    let scope = require(&me.roles, &study_id, Operation::AssessSafetyCase)?;
    let study = state.study(&study_id)?;
    let ae = ae_id(&ae)?;
    let input: AssessmentInput = parse_body(&body)?;
    let input = SponsorInput {
        causality: Causality::parse_field("causality", &input.causality)?,
        expectedness: Expectedness::parse_field("expectedness", &input.expectedness)?,
        first_knowledge: instant("first_knowledge", input.first_knowledge.as_deref())?,
        reason: input.reason,
    };
    Ok(Json(
        state
            .store
            .assess_case(study, &scope, ae, &input, &me.actor())
            .await?,
    ))
}

/// `POST /api/studies/{study}/safety/cases/{ae}/reports`
async fn record_report(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(EventPath {
        study: study_id,
        ae,
    }): Path<EventPath>,
    body: JsonBody,
) -> Result<(StatusCode, Json<ExpeditedReport>), ApiError> {
    let scope = require(&me.roles, &study_id, Operation::RecordExpeditedReport)?;
    let study = state.study(&study_id)?;
    let ae = ae_id(&ae)?;
    let input: ReportInput = parse_body(&body)?;
    let authority = Authority::parse_field("authority", &input.authority)?;
    let kind = ReportKind::parse_field("kind", &input.kind)?;
    let submitted = instant("submitted_at", input.submitted_at.as_deref())?;
    let report = state
        .store
        .record_expedited_report(study, &scope, ae, authority, kind, submitted, &me.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(report)))
}

/// How often the server sends the safety clocks' due notices.
pub const SWEEP_EVERY: Duration = Duration::from_secs(300);

/// Sends the due notices of every study's safety clocks every [`SWEEP_EVERY`], for as long as
/// it runs (the server aborts it when it stops). A failed sweep is logged by its kind and tried
/// again at the next tick.
pub async fn sweep_notices(app: AppState) {
    let mut tick = tokio::time::interval(SWEEP_EVERY);
    loop {
        tick.tick().await;
        for study in app.studies.values() {
            if let Err(e) = app
                .store
                .send_safety_notices(study, OffsetDateTime::now_utc())
                .await
            {
                tracing::warn!(error = e.kind(), "safety notices not sent");
            }
        }
    }
}
