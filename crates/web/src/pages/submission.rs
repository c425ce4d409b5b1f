//! The data manager's downloads (`/studies/{study}/exports`): the casebooks as CDISC ODM 1.3.2,
//! each SDTM dataset as a SAS transport file, and their Define-XML, each a link to its
//! operation of the API (`api/submission.rs`), which makes the file through the `export` crate
//! and audits it. The page says whether the caller's files are blinded.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::{error_page, render, Ctx, Viewer};
use crate::access::{require, Operation};
use crate::app::AppState;
use crate::blinding::export_includes_treatments;
use crate::error::ApiError;

/// The routes of this page.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/studies/{study}/exports", get(exports))
}

/// A dataset's file and what it holds, in the page's language.
struct Dataset {
    file: String,
    label: String,
}

#[derive(Template)]
#[template(path = "exports.html")]
struct ExportsPage {
    ctx: Ctx,
    study_id: String,
    /// Whether the files include the treatments.
    unblinded: bool,
    datasets: Vec<Dataset>,
    /// The names the files are downloaded as.
    odm_file: String,
    define_file: &'static str,
}

/// `GET /studies/{study}/exports`
async fn exports(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(study_id): Path<String>,
) -> Response {
    match page(&state, &viewer, &study_id).await {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}

async fn page(state: &AppState, viewer: &Viewer, study_id: &str) -> Result<ExportsPage, ApiError> {
    require(&viewer.me.roles, study_id, Operation::ExportSubmission)?;
    let study = state.study(study_id)?;
    let unblinded = export_includes_treatments(state, &viewer.me, study).await?;
    let ctx = viewer.ctx(Some(study_id));
    let datasets = export::sdtm::DOMAINS
        .iter()
        .map(|d| Dataset {
            file: format!("{}.xpt", d.to_lowercase()),
            label: ctx.t.get(&format!("exports.domain.{d}")).to_string(),
        })
        .collect();
    Ok(ExportsPage {
        ctx,
        study_id: study_id.to_string(),
        unblinded,
        datasets,
        odm_file: format!("{study_id}-odm.xml"),
        define_file: export::sdtm::DEFINE_FILE,
    })
}
