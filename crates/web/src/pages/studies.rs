//! The user's studies: the list (`/studies`), each with the user's roles in it and a link to
//! their work there, and `/studies/{study}/start`, where the study switcher and the sign-in
//! go: the page of the user's own work in the study ([`super::landing`]).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use trial::Role;

use super::landing::landing;
use super::{encode, error_page, redirect, render, Ctx, Lang, Viewer};
use crate::app::AppState;
use crate::error::ApiError;

/// The routes of this page.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/studies", get(list))
        .route("/studies/{study}/start", get(start))
}

/// A study of the list.
pub struct StudyRow {
    id: String,
    title: String,
    phase: String,
    roles: Vec<String>,
    /// The page of the user's work in it.
    start: String,
    /// The message key of that work.
    work: &'static str,
}

#[derive(Template)]
#[template(path = "studies.html")]
struct StudiesPage {
    ctx: Ctx,
    studies: Vec<StudyRow>,
}

/// The roles a viewer holds in a study.
fn roles_in(viewer: &Viewer, study: &str) -> Vec<Role> {
    viewer
        .me
        .roles
        .iter()
        .filter(|r| r.study_id == study)
        .map(|r| r.role)
        .collect()
}

/// `GET /studies`
async fn list(State(state): State<AppState>, viewer: Viewer) -> Response {
    let mut ids: Vec<&str> = viewer
        .me
        .roles
        .iter()
        .map(|r| r.study_id.as_str())
        .collect();
    ids.sort();
    ids.dedup();
    let studies = ids
        .into_iter()
        .filter_map(|id| state.studies.get(id))
        .map(|s| {
            let roles = roles_in(&viewer, &s.id);
            let work = landing(&roles);
            let mut names: Vec<String> = viewer
                .me
                .roles
                .iter()
                .filter(|r| r.study_id == s.id)
                .map(|r| {
                    let name = match viewer.lang {
                        Lang::En => r.role.label(),
                        Lang::Zh => r.role.label_zh(),
                    };
                    match &r.site_id {
                        Some(site) => format!("{name} · {site}"),
                        None => name.to_string(),
                    }
                })
                .collect();
            names.dedup();
            StudyRow {
                id: s.id.clone(),
                title: s.title_in(viewer.lang.zh()).to_string(),
                phase: s.phase.as_str().to_string(),
                roles: names,
                start: format!("/studies/{}/start", encode(&s.id)),
                work: work.key(),
            }
        })
        .collect();
    let page = StudiesPage {
        ctx: viewer.ctx(None),
        studies,
    };
    render(viewer.lang, &page)
}

/// `GET /studies/{study}/start`: to the user's work in the study.
async fn start(viewer: Viewer, Path(study): Path<String>) -> Response {
    let roles = roles_in(&viewer, &study);
    if roles.is_empty() {
        return error_page(
            viewer.lang,
            ApiError::NotFound(format!("study {study} not found")),
        );
    }
    redirect(&landing(&roles).path(&study))
}
