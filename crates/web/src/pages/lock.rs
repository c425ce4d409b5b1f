//! The database lock page (`/studies/{study}/lock`): whether the study is open, locked or
//! unblinded; while open, every unsigned form and every query not closed that blocks the lock
//! (within the viewer's sites), each linked to its form; the data manager's signed lock, and
//! after it the sponsor administrator's signed unblinding. Every write goes through the JSON
//! API (`lockDatabase`, `unblindStudy`).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use store::StudyLock;
use trial::lock::{Blocker, LockState};

use super::{encode, error_page, render, Ctx, Viewer};
use crate::access::{require, Operation};
use crate::app::AppState;
use crate::error::ApiError;

/// The routes of this page.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/studies/{study}/lock", get(lock_page))
}

/// A blocker as the page lists it.
struct BlockerLine {
    /// `unsigned-form` or `open-query`.
    kind: &'static str,
    /// Its message key.
    kind_key: &'static str,
    subject: String,
    visit: String,
    form: String,
    /// The field of a query.
    field: String,
    /// The form's saved status or the query's state.
    status: String,
    /// The form's page.
    href: String,
}

#[derive(Template)]
#[template(path = "lock.html")]
struct LockPage {
    ctx: Ctx,
    /// `open`, `locked` or `unblinded`.
    state: &'static str,
    /// Its message key.
    state_key: &'static str,
    lock: Option<StudyLock>,
    blockers: Vec<BlockerLine>,
    /// The data manager's lock form (while open).
    can_lock: bool,
    /// The sponsor administrator's unblinding form (while locked, in a blinded study).
    can_unblind: bool,
    api: String,
}

/// `GET /studies/{study}/lock`
async fn lock_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(study_id): Path<String>,
) -> Response {
    match page(&state, &viewer, &study_id).await {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}

async fn page(state: &AppState, viewer: &Viewer, study_id: &str) -> Result<LockPage, ApiError> {
    let me = &viewer.me;
    let scope = require(&me.roles, study_id, Operation::ReadLock)?;
    let study = state.study(study_id)?;
    let lock = state.store.study_lock(study_id).await?;
    let lock_state = StudyLock::state(lock.as_ref());
    let blockers = match lock_state {
        LockState::Open => state.store.lock_blockers(&scope).await?,
        _ => Vec::new(),
    };
    let ctx = viewer.ctx(Some(study_id));
    let labels = ctx.labels();
    let visit_name = |id: &str| labels.map_or_else(|| id.to_string(), |l| l.visit(id));
    let form_name = |id: &str| labels.map_or_else(|| id.to_string(), |l| l.form(id));
    let form_href = |participant: i64, visit: &str, form: &str| {
        format!(
            "/studies/{}/participants/{participant}/visits/{}/ecrf/{}",
            encode(study_id),
            encode(visit),
            encode(form)
        )
    };
    let lines = blockers
        .into_iter()
        .map(|b| match b {
            Blocker::UnsignedForm {
                participant_id,
                subject,
                visit_id,
                form_id,
                status,
                ..
            } => BlockerLine {
                kind: "unsigned-form",
                kind_key: "lock.kind_unsigned_form",
                href: form_href(participant_id, &visit_id, &form_id),
                subject,
                visit: visit_name(&visit_id),
                form: form_name(&form_id),
                field: String::new(),
                status,
            },
            Blocker::OpenQuery {
                participant_id,
                subject,
                visit_id,
                form_id,
                field,
                status,
                ..
            } => BlockerLine {
                kind: "open-query",
                kind_key: "lock.kind_open_query",
                href: form_href(participant_id, &visit_id, &form_id),
                subject,
                visit: visit_name(&visit_id),
                form: form_name(&form_id),
                field,
                status,
            },
        })
        .collect();
    let can_lock = lock_state == LockState::Open
        && require(&me.roles, study_id, Operation::LockDatabase).is_ok();
    let can_unblind = lock_state == LockState::Locked
        && study.blinding == trial::Blinding::DoubleBlind
        && require(&me.roles, study_id, Operation::UnblindStudy).is_ok();
    Ok(LockPage {
        ctx,
        state: match lock_state {
            LockState::Open => "open",
            LockState::Locked => "locked",
            LockState::Unblinded => "unblinded",
        },
        state_key: match lock_state {
            LockState::Open => "lock.state_open",
            LockState::Locked => "lock.state_locked",
            LockState::Unblinded => "lock.state_unblinded",
        },
        lock,
        blockers: lines,
        can_lock,
        can_unblind,
        api: format!("/api/studies/{}", encode(study_id)),
    })
}
