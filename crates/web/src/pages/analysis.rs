//! The report of the analyses (`/studies/{study}/report`): the same report `scitrial analysis`
//! writes (`trial::analysis::report`), in the page's language, for the roles that may read
//! the results: pooled for the blinded roles, by arm for the unblinded DSMB roles and for
//! every role once the study is unblinded after its lock (`trial::lock::results_by_arm`).
//! Each view is an audited analysis run.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use store::StudyLock;
use trial::analysis::phase1::phase1;
use trial::analysis::report::{report_html, Figures};
use trial::analysis::{analyse, consort, derive};

use super::{error_page, render, Ctx, Viewer};
use crate::access::{require, Operation};
use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::roles_in;

/// The routes of this page.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/studies/{study}/report", get(report))
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    ctx: Ctx,
    /// The report, escaped where it was written.
    body: String,
}

/// `GET /studies/{study}/report`
async fn report(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(study_id): Path<String>,
) -> Response {
    match page(&state, &viewer, &study_id).await {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}

async fn page(state: &AppState, viewer: &Viewer, study_id: &str) -> Result<ReportPage, ApiError> {
    let me = &viewer.me;
    require(&me.roles, study_id, Operation::ReadResults)?;
    let study = state.study(study_id)?;
    let lock = state.store.study_lock(study_id).await?;
    let lock_state = StudyLock::state(lock.as_ref());
    let by_arm = trial::lock::results_by_arm(study, &roles_in(me, study_id), lock_state);
    let purpose = if by_arm {
        "the report page, by arm"
    } else {
        "the report page, pooled"
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
    let zh = viewer.lang.zh();
    let figures = Figures::of(study, &data, results.consort.as_ref(), zh);
    let ctx = viewer.ctx(Some(study_id));
    let note = match &lock {
        None => ctx.t.get("report.interim").to_string(),
        Some(l) if l.unblinded_at.is_some() => ctx.t.get("report.final_unblinded").to_string(),
        Some(_) => ctx.t.get("report.final").to_string(),
    };
    let body = report_html(study, &results, &figures, &note, zh);
    Ok(ReportPage { ctx, body })
}
