//! The study's dashboard: enrolment by site, the visits due or overdue, the open and answered
//! queries, in the caller's scope. The counts are never split by treatment group.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use std::collections::HashMap;

use store::Participant;
use trial::{ParticipantStatus, QueryStatus};

use super::{error_page, i18n, label, render, Ctx, Viewer};
use crate::access::{require, Operation};
use crate::app::AppState;
use crate::error::ApiError;
use crate::service;

/// The routes of this page.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/studies/{study}", get(dashboard))
}

/// A site's row of the enrolment table.
pub struct SiteRow {
    id: String,
    name: String,
    screening: usize,
    enrolled: usize,
    ended: usize,
    failed: usize,
    total: usize,
}

/// A visit due or overdue.
pub struct DueVisit {
    participant_id: i64,
    label: String,
    site: String,
    visit: String,
    target: String,
    window: String,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    ctx: Ctx,
    study_id: String,
    title: String,
    sites: Vec<SiteRow>,
    totals: SiteRow,
    due: Vec<DueVisit>,
    open_queries: usize,
    answered_queries: usize,
    /// Stopping rules holding enrolment and dosing until the DSMB decides: (rule, message).
    holding: Vec<(String, String)>,
}

/// `GET /studies/{study}`
async fn dashboard(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(study): Path<String>,
) -> Response {
    match dashboard_page(&state, &viewer, &study).await {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}

async fn dashboard_page(
    state: &AppState,
    viewer: &Viewer,
    study_id: &str,
) -> Result<DashboardPage, ApiError> {
    let scope = require(&viewer.me.roles, study_id, Operation::ReadParticipants)?;
    let study = state.study(study_id)?;
    let participants = state.store.participants(&scope).await?;
    let row = |id: &str, name: &str, ps: &mut dyn Iterator<Item = &Participant>| {
        let mut r = SiteRow {
            id: id.to_string(),
            name: name.to_string(),
            screening: 0,
            enrolled: 0,
            ended: 0,
            failed: 0,
            total: 0,
        };
        for p in ps {
            r.total += 1;
            match p.status.as_str() {
                "screening" => r.screening += 1,
                "enrolled" => r.enrolled += 1,
                "withdrawn" | "completed" => r.ended += 1,
                _ => r.failed += 1,
            }
        }
        r
    };
    let sites: Vec<SiteRow> = study
        .sites
        .iter()
        .filter(|s| scope.includes_site(&s.id))
        .map(|s| {
            row(
                &s.id,
                s.name_in(viewer.lang.zh()),
                &mut participants.iter().filter(|p| p.site_id == s.id),
            )
        })
        .collect();
    let totals = row("", "", &mut participants.iter());
    let today = time::OffsetDateTime::now_utc().date();
    // The visits of every enrolled participant in scope in one read (not one a participant),
    // kept for the participants of the list just read.
    let enrolled: HashMap<i64, &Participant> = participants
        .iter()
        .filter(|p| p.status == ParticipantStatus::Enrolled)
        .map(|p| (p.id, p))
        .collect();
    let mut due = Vec::new();
    for visit in state
        .store
        .visits_in(&scope, ParticipantStatus::Enrolled)
        .await?
    {
        let Some(p) = enrolled.get(&visit.participant_id) else {
            continue;
        };
        let v = service::visit_view(visit, today);
        if v.status == "due" || v.status == "overdue" {
            due.push(DueVisit {
                participant_id: p.id,
                label: label(p),
                site: p.site_id.clone(),
                visit: i18n::visit_name(study, &v.visit.visit_id, &v.visit.name, viewer.lang),
                target: v.visit.target.clone(),
                window: format!("{} – {}", v.visit.earliest, v.visit.latest),
                status: v.status,
            });
        }
    }
    due.sort_by(|a, b| (b.status, &a.target).cmp(&(a.status, &b.target)));
    let queries = state.store.queries(&scope, None, None).await?;
    let count = |s: QueryStatus| queries.iter().filter(|q| q.status == s).count();
    Ok(DashboardPage {
        ctx: viewer.ctx(Some(study_id)),
        study_id: study_id.to_string(),
        title: study.title_in(viewer.lang.zh()).to_string(),
        sites,
        totals,
        due,
        open_queries: count(QueryStatus::Open),
        answered_queries: count(QueryStatus::Answered),
        holding: state.store.stopping_rules_holding(study_id).await?,
    })
}
