//! The audit trail page: the study's trail filtered by participant, user, action and days,
//! newest first, 50 rows a page, with the CSV download of the same filter for the roles that
//! may export it. Site roles read one participant of their sites at a time; blinded readers
//! never get the rows that could name an allocation (see [`crate::trail`]).

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use store::Scope;

use super::{encode, error_page, label, render, Ctx, Viewer};
use crate::access::{require, scope_for, Operation};
use crate::app::AppState;
use crate::error::ApiError;
use crate::trail::{visible, TrailQuery, PAGE_ROWS};

/// The routes of this page.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/studies/{study}/audit", get(audit))
}

/// A row as shown.
pub struct Line {
    at: String,
    username: String,
    action: String,
    /// The action in the page's language, when the catalogue names it.
    action_label: Option<String>,
    record: String,
    field: String,
    old: String,
    new: String,
    reason: String,
}

impl Line {
    /// The lines of a row: a change to a value that is itself a set of fields (the exam of an
    /// ISNCSCI form) is shown field by field (`exam.c6RightMotor`).
    fn of(r: &store::AuditRow) -> Vec<Line> {
        let line = |field: String, old: String, new: String| Line {
            at: r.at.clone(),
            username: r.username.clone(),
            action: r.action.clone(),
            action_label: None,
            record: format!("{} {}", r.entity, r.record_id),
            field,
            old,
            new,
            reason: r.reason.clone().unwrap_or_default(),
        };
        let object = |v: &Option<String>| {
            v.as_deref().and_then(|t| {
                serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(t).ok()
            })
        };
        let field = r.field.clone().unwrap_or_default();
        if let (Some(old), Some(new)) = (object(&r.old_value), object(&r.new_value)) {
            let text = |v: Option<&serde_json::Value>| match v {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
            keys.sort();
            keys.dedup();
            let lines: Vec<Line> = keys
                .into_iter()
                .filter(|k| old.get(*k) != new.get(*k))
                .map(|k| line(format!("{field}.{k}"), text(old.get(k)), text(new.get(k))))
                .collect();
            if !lines.is_empty() {
                return lines;
            }
        }
        vec![line(
            field,
            r.old_value.clone().unwrap_or_default(),
            r.new_value.clone().unwrap_or_default(),
        )]
    }

    /// Whether a value is long enough to fold.
    pub fn long(value: &str) -> bool {
        value.chars().count() > 80
    }

    /// The start of a long value.
    pub fn short(value: &str) -> String {
        let mut s: String = value.chars().take(60).collect();
        s.push('…');
        s
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    ctx: Ctx,
    /// The participants the reader may choose: (id, label).
    participants: Vec<(String, String)>,
    participant: String,
    user: String,
    action: String,
    from: String,
    to: String,
    /// Whether the reader must choose a participant (a site role) and has not.
    choose: bool,
    rows: Vec<Line>,
    total: i64,
    page: i64,
    pages: i64,
    /// Links to the previous and next pages.
    previous: Option<String>,
    next: Option<String>,
    /// The CSV download of this filter, for the roles that may export.
    csv: Option<String>,
}

/// `GET /studies/{study}/audit?participant=&user=&action=&from=&to=&page=`
async fn audit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(study): Path<String>,
    query: Result<Query<TrailQuery>, QueryRejection>,
) -> Response {
    let result = async {
        let Query(q) = query.map_err(|e| ApiError::field("query", e.body_text()))?;
        audit_page(&state, &viewer, &study, q).await
    }
    .await;
    match result {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}

async fn audit_page(
    state: &AppState,
    viewer: &Viewer,
    study_id: &str,
    q: TrailQuery,
) -> Result<AuditPage, ApiError> {
    let scope = require(&viewer.me.roles, study_id, Operation::ReadAudit)?;
    let study = state.study(study_id)?;
    let page = q.page()?;
    let participants = state
        .store
        .participants(&scope)
        .await?
        .iter()
        .map(|p| (p.id.to_string(), label(p)))
        .collect();
    let choose = matches!(scope, Scope::Sites { .. }) && q.participant()?.is_none();
    let (rows, total) = if choose {
        (Vec::new(), 0)
    } else {
        let filter = q.filter(state, &viewer.me, study, &scope).await?;
        let found = state
            .store
            .audit_page(&filter, (page - 1) * PAGE_ROWS, PAGE_ROWS)
            .await?;
        (visible(found.rows, &filter), found.total)
    };
    let pages = ((total + PAGE_ROWS - 1) / PAGE_ROWS).max(1);
    let filters = q.query_string();
    let base = format!("/studies/{}/audit", encode(study_id));
    let link = |n: i64| {
        if filters.is_empty() {
            format!("{base}?page={n}")
        } else {
            format!("{base}?{filters}&page={n}")
        }
    };
    let csv = scope_for(&viewer.me.roles, study_id, Operation::ExportAudit).map(|_| {
        let api = format!("/api/studies/{}/audit.csv", encode(study_id));
        if filters.is_empty() {
            api
        } else {
            format!("{api}?{filters}")
        }
    });
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    Ok(AuditPage {
        ctx: viewer.ctx(Some(study_id)),
        participants,
        participant: text(&q.participant),
        user: text(&q.user),
        action: text(&q.action),
        from: text(&q.from),
        to: text(&q.to),
        choose,
        rows: rows
            .iter()
            .flat_map(Line::of)
            .map(|mut l| {
                let key = format!("audit.act.{}", l.action);
                l.action_label = super::i18n::text(viewer.lang, &key).map(str::to_string);
                l
            })
            .collect(),
        total,
        page,
        pages,
        previous: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
        csv,
    })
}
