//! The report of the analyses (`/studies/{study}/report`): the same report `scitrial analysis`
//! writes (`trial::analysis::report`), in the page's language, for the roles that may read
//! the results: pooled for the blinded roles, by arm for the unblinded DSMB roles and for
//! every role once the study is unblinded after its lock (`trial::lock::results_by_arm`).
//! Each view is an audited analysis run (`Store::analysis`).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use trial::analysis::report::{report_html, Figures};

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
    let roles = roles_in(me, study_id);
    let analysis = state
        .store
        .analysis(
            study,
            |lock| trial::lock::results_by_arm(study, &roles, lock),
            |by_arm| {
                format!(
                    "the report page, {}",
                    if by_arm { "by arm" } else { "pooled" }
                )
            },
            &me.actor(),
        )
        .await?;
    let store::Analysis {
        data,
        results,
        lock,
    } = analysis;
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
