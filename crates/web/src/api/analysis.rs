//! The analyses' results (the primary ANCOVA, the secondary and sensitivity analyses, as
//! `scitrial analysis` writes them in `results.json`): by arm for the unblinded DSMB roles at
//! any time and for every role once the study is unblinded after its lock
//! (`trial::lock::results_by_arm`), pooled otherwise, when no arm is even read. Each reading is
//! an audited analysis run (`Store::analysis_subjects`).

use axum::extract::{Path, State};
use axum::routing::on;
use axum::Json;
use serde::Serialize;
use store::StudyLock;
use trial::analysis::phase1::phase1;
use trial::analysis::{analyse, consort, derive};

use crate::access::{require, Operation};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::extract::roles_in;
use crate::openapi::Endpoint;

/// The operations of this feature.
pub(crate) const OPERATIONS: &[Endpoint] = &[Endpoint::get(
    "/api/studies/{study}/results",
    "getResults",
    "The analyses' results as results.json holds them: by arm for the unblinded DSMB roles, and for every role once the study is unblinded after its lock; pooled otherwise (no arm read). Each reading is audited as an analysis run",
    |m| on(m, results),
)
.returns::<ResultsView>()];

/// The results, with whether they are by arm.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ResultsView {
    study_id: String,
    /// Whether the results are by arm (else pooled).
    by_arm: bool,
    /// Whether the study is locked (the results are then final).
    locked: bool,
    /// Whether the study is unblinded after its lock.
    unblinded: bool,
    /// What `results.json` holds: populations, primary, secondary, sensitivity (per
    /// protocol, multiple imputation), the CONSORT flow; Phase I's analyses for a
    /// dose-escalation study.
    #[schema(value_type = Object)]
    results: serde_json::Value,
}

/// `GET /api/studies/{study}/results`
async fn results(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
) -> Result<Json<ResultsView>, ApiError> {
    require(&me.roles, &study_id, Operation::ReadResults)?;
    let study = state.study(&study_id)?;
    let lock = state.store.study_lock(&study_id).await?;
    let lock_state = StudyLock::state(lock.as_ref());
    let by_arm = trial::lock::results_by_arm(study, &roles_in(&me, &study_id), lock_state);
    let purpose = if by_arm {
        "the results page, by arm"
    } else {
        "the results page, pooled"
    };
    let subjects = state
        .store
        .analysis_subjects(study, by_arm, purpose, &me.actor())
        .await?;
    let data = derive(study, &subjects);
    let mut results = analyse(study, &data);
    let (screened, administered) = state.store.consort_records(study).await?;
    results.consort = Some(consort(study, &screened, &data, administered.as_ref()));
    if !study.dose_levels.is_empty() {
        let records = state.store.escalation_records(study).await?;
        results.phase1 = Some(phase1(study, &data, &records.dlts, &records.events));
    }
    Ok(Json(ResultsView {
        study_id,
        by_arm: results.unblinded,
        locked: lock.is_some(),
        unblinded: lock_state == trial::lock::LockState::Unblinded,
        results: serde_json::to_value(&results).map_err(|e| ApiError::Internal(e.to_string()))?,
    }))
}
