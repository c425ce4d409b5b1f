//! The query list of the caller's sites, filtered by status.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use store::Scope;

use super::{error_page, label, render, Ctx, Viewer};
use crate::access::{require, Operation};
use crate::app::AppState;
use crate::service::check_query_status;

/// The routes of this page.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/studies/{study}/queries", get(queries))
}

/// The filter of the query list.
#[derive(Debug, Default, Deserialize)]
pub struct QueryFilter {
    status: Option<String>,
}

/// A query with its participant's label.
pub struct QueryRow {
    q: store::Query,
    participant: String,
}

#[derive(Template)]
#[template(path = "queries.html")]
struct QueriesPage {
    ctx: Ctx,
    study_id: String,
    status: String,
    statuses: Vec<&'static str>,
    rows: Vec<QueryRow>,
}

/// `GET /studies/{study}/queries?status=`
async fn queries(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(study): Path<String>,
    Query(filter): Query<QueryFilter>,
) -> Response {
    let result = async {
        let scope: Scope = require(&viewer.me.roles, &study, Operation::ReadParticipants)?;
        let status = filter.status.unwrap_or_default();
        let wanted = if status.is_empty() {
            None
        } else {
            Some(check_query_status(&status)?)
        };
        let list = state.store.queries(&scope, None, wanted).await?;
        let participants = state.store.participants(&scope).await?;
        let rows = list
            .into_iter()
            .map(|q| QueryRow {
                participant: participants
                    .iter()
                    .find(|p| p.id == q.participant_id)
                    .map_or(q.participant_id.to_string(), label),
                q,
            })
            .collect();
        Ok(QueriesPage {
            ctx: viewer.ctx(Some(&study)),
            study_id: study.clone(),
            status,
            statuses: trial::QueryStatus::ALL.iter().map(|s| s.as_str()).collect(),
            rows,
        })
    }
    .await;
    match result {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}
