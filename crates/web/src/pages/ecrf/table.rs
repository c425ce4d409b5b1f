//! The data manager's table of forms: every planned form of the caller's participants with its
//! state, filtered by state, site and visit, with the count in each state.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use trial::FormState;

use super::super::{error_page, render, Ctx, Viewer};
use super::form_link;
use crate::access::{require, Operation};
use crate::app::AppState;
use crate::error::ApiError;
use crate::service;

/// The filters of the table (each empty for all).
#[derive(Debug, Default, Deserialize)]
pub(super) struct Filter {
    #[serde(default)]
    state: String,
    #[serde(default)]
    site: String,
    #[serde(default)]
    visit: String,
}

/// A form in the table.
pub struct Row {
    participant: String,
    site: String,
    visit: String,
    form: String,
    state: String,
    updated_at: String,
    /// The site's time zone, in which the time is shown.
    zone: String,
    link: String,
}

#[derive(Template)]
#[template(path = "ecrf_table.html")]
struct TablePage {
    ctx: Ctx,
    filter: Filter,
    /// Each state with its count, over the site and visit chosen.
    counts: Vec<(String, usize)>,
    sites: Vec<(String, String)>,
    visits: Vec<(String, String)>,
    rows: Vec<Row>,
}

/// `GET /studies/{study}/forms?state=&site=&visit=`
pub(super) async fn forms_table(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(study): Path<String>,
    Query(filter): Query<Filter>,
) -> Response {
    match table(&state, &viewer, &study, filter).await {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}

async fn table(
    state: &AppState,
    viewer: &Viewer,
    study_id: &str,
    filter: Filter,
) -> Result<TablePage, ApiError> {
    let scope = require(&viewer.me.roles, study_id, Operation::ReadParticipants)?;
    let study = state.study(study_id)?;
    let mut all = Vec::new();
    for p in state.store.participants(&scope).await? {
        if !filter.site.is_empty() && p.site_id != filter.site {
            continue;
        }
        let label = p.subject_id.clone().unwrap_or(p.screening_number.clone());
        for f in service::planned_forms(state, &scope, p.id).await? {
            if !filter.visit.is_empty() && f.visit_id != filter.visit {
                continue;
            }
            all.push(Row {
                link: form_link(study, p.id, &f.visit_id, &f.form_id),
                participant: label.clone(),
                site: p.site_id.clone(),
                visit: study.visit(&f.visit_id).map_or(f.visit_id.clone(), |v| {
                    v.name_in(viewer.lang.zh()).to_string()
                }),
                form: study.form(&f.form_id).map_or(f.form_id.clone(), |d| {
                    d.name_in(viewer.lang.zh()).to_string()
                }),
                state: f.state.as_str().to_string(),
                updated_at: f.updated_at.unwrap_or_default(),
                zone: study
                    .site(&p.site_id)
                    .map_or("UTC".to_string(), |s| s.time_zone.clone()),
            });
        }
    }
    let counts = FormState::ALL
        .iter()
        .map(|s| {
            let n = all.iter().filter(|r| r.state == s.as_str()).count();
            (s.as_str().to_string(), n)
        })
        .collect();
    let rows = all
        .into_iter()
        .filter(|r| filter.state.is_empty() || r.state == filter.state)
        .collect();
    Ok(TablePage {
        ctx: viewer.ctx(Some(study_id)),
        filter,
        counts,
        sites: study
            .sites
            .iter()
            .filter(|s| scope.includes_site(&s.id))
            .map(|s| (s.id.clone(), s.name_in(viewer.lang.zh()).to_string()))
            .collect(),
        visits: study
            .visits
            .iter()
            .map(|v| (v.id.clone(), v.name_in(viewer.lang.zh()).to_string()))
            .collect(),
        rows,
    })
}
