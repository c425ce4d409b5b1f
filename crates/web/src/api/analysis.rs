//! The analyses' results (the primary ANCOVA, the secondary and sensitivity analyses, as
//! `scitrial analysis` writes them in `results.json`): by arm for the unblinded DSMB roles at
//! any time and for every role once the study is unblinded after its lock
//! (`trial::lock::results_by_arm`), pooled otherwise, when no arm is even read. Each reading is
//! an audited analysis run (`Store::analysis`, the program's and the report page's too).

use axum::extract::{Path, State};
use axum::routing::on;
use axum::Json;
use serde::Serialize;

use crate::access::{require, Operation};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::blinding::results_for;
use crate::error::ApiError;
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
    let analysis = results_for(&state, &me, study, "the results page").await?;
    Ok(Json(ResultsView {
        study_id,
        by_arm: analysis.results.unblinded,
        locked: analysis.lock.is_some(),
        unblinded: analysis.lock_state() == trial::lock::LockState::Unblinded,
        results: serde_json::to_value(&analysis.results)
            .map_err(|e| ApiError::Internal(e.to_string()))?,
    }))
}
