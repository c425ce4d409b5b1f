//! The report of the analyses (`/studies/{study}/report`): the same report `scitrial analysis`
//! writes (`trial::analysis::report`), in the page's language, for the roles that may read
//! the results: pooled for the blinded roles, by arm for the unblinded DSMB roles and for
//! every role once the study is unblinded after its lock (`trial::lock::results_by_arm`).
//! Each view is an audited analysis run (`Store::analysis`).
//!
//! Each figure is offered as a PNG for documents (`/studies/{study}/report/figures/NAME.png`,
//! `NAME.zh.png` in Chinese; drawn by `export::png`), computed as the page is, so a blinded
//! role's PNG is as pooled as its page; each is an audited analysis run too.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use store::StudyLock;
use trial::analysis::report::{report_html, Figures};
use trial::analysis::Results;

use super::{error_page, render, Ctx, Viewer};
use crate::access::{require, Operation};
use crate::app::AppState;
use crate::blinding::results_for;
use crate::error::ApiError;

/// The routes of this page.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/studies/{study}/report", get(report))
        .route("/studies/{study}/report/figures/{file}", get(figure_png))
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

/// The results the viewer may read, with the lock and the figures in a language.
struct Analysed {
    results: Results,
    lock: Option<StudyLock>,
    figures: Figures,
}

/// Computes the results for the viewer (pooled unless they may read them by arm), an audited
/// analysis run for `what` (the page, or one of its figures).
async fn analysed(
    state: &AppState,
    viewer: &Viewer,
    study_id: &str,
    what: &str,
    zh: bool,
) -> Result<Analysed, ApiError> {
    let me = &viewer.me;
    require(&me.roles, study_id, Operation::ReadResults)?;
    let study = state.study(study_id)?;
    let analysis = results_for(state, me, study, what).await?;
    let store::Analysis {
        data,
        results,
        lock,
    } = analysis;
    let figures = Figures::of(study, &data, results.consort.as_ref(), zh);
    Ok(Analysed {
        results,
        lock,
        figures,
    })
}

async fn page(state: &AppState, viewer: &Viewer, study_id: &str) -> Result<ReportPage, ApiError> {
    let zh = viewer.lang.zh();
    let Analysed {
        results,
        lock,
        figures,
    } = analysed(state, viewer, study_id, "the report page", zh).await?;
    let study = state.study(study_id)?;
    let figures = figures.with_png_links(&format!("/studies/{study_id}/report/figures/"));
    let ctx = viewer.ctx(Some(study_id));
    let note = match &lock {
        None => ctx.t.get("report.interim").to_string(),
        Some(l) if l.unblinded_at.is_some() => ctx.t.get("report.final_unblinded").to_string(),
        Some(_) => ctx.t.get("report.final").to_string(),
    };
    let body = report_html(study, &results, &figures, &note, zh);
    Ok(ReportPage { ctx, body })
}

/// `GET /studies/{study}/report/figures/{file}`: a figure of the report as a PNG, `NAME.png`
/// in English or `NAME.zh.png` in Chinese, pooled or by arm as the viewer's report is.
async fn figure_png(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((study_id, file)): Path<(String, String)>,
) -> Response {
    match png(&state, &viewer, &study_id, &file).await {
        Ok(bytes) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "image/png".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("inline; filename=\"{file}\""),
                ),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => error_page(viewer.lang, e),
    }
}

async fn png(
    state: &AppState,
    viewer: &Viewer,
    study_id: &str,
    file: &str,
) -> Result<Vec<u8>, ApiError> {
    let zh = file.ends_with(".zh.png");
    let what = format!("the report's figure {file}");
    let figures = analysed(state, viewer, study_id, &what, zh).await?.figures;
    let named = figures.named();
    let Some((_, svg)) = named
        .iter()
        .find(|(stem, _)| figures.file_name(stem, "png") == file)
    else {
        let names: Vec<String> = named
            .iter()
            .map(|(stem, _)| figures.file_name(stem, "png"))
            .collect();
        return Err(ApiError::NotFound(format!(
            "figure {file} not found: this report's figures are {}",
            names.join(", ")
        )));
    };
    let svg = (*svg).to_owned();
    tokio::task::spawn_blocking(move || export::png::svg_to_png(&svg, export::png::PRINT_SCALE))
        .await
        .map_err(|e| ApiError::Internal(format!("drawing {file}: {e}")))?
        .map_err(|e| ApiError::Internal(format!("drawing {file}: {e}")))
}
