//! The audit trail: one record's trail, and the whole trail as CSV (the chains that name arms
//! only for callers unblinded in their study).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::on;
use axum::Json;
use futures::channel::mpsc;
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use store::{Scope, Store};

use crate::access::{require, Operation};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::blinding::unblinded;
use crate::error::ApiError;
use crate::extract::Query;
use crate::openapi::Endpoint;
use crate::trail::{visible, TrailQuery};

/// The operations of this feature.
pub(crate) const OPERATIONS: &[Endpoint] = &[
    Endpoint::get(
        "/api/studies/{study}/audit",
        "getAuditTrail",
        "The audit trail of one record (query: entity, record)",
        |m| on(m, audit),
    )
    .query::<AuditQuery>()
    .returns_list::<store::AuditRow>(),
    Endpoint::get(
        "/api/audit.csv",
        "exportAuditTrail",
        "The whole audit trail as CSV, streamed",
        |m| on(m, audit_csv),
    )
    .text("text/csv"),
    Endpoint::get(
        "/api/studies/{study}/audit.csv",
        "exportStudyAuditTrail",
        "The study's audit trail as filtered (participant, user, action, days), newest first, \
         as CSV",
        |m| on(m, study_audit_csv),
    )
    .query::<TrailQuery>()
    .text("text/csv"),
];

/// Which record's trail.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    entity: String,
    record: String,
}

/// `GET /api/studies/{study}/audit?entity=participant&record=ID`
async fn audit(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study): Path<String>,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<store::AuditRow>>, ApiError> {
    let scope = require(&me.roles, &study, Operation::ReadAudit)?;
    let participant_of =
        |record: &str| record.split('/').next().and_then(|p| p.parse::<i64>().ok());
    match (q.entity.as_str(), &scope) {
        ("participant" | "visit" | "form" | "signature" | "allocation" | "adverse-event", _) => {
            let id = participant_of(&q.record).ok_or_else(|| {
                ApiError::NotFound(format!("{} {} not found", q.entity, q.record))
            })?;
            state.store.participant(&scope, id).await?;
        }
        (_, Scope::Study(_)) => {}
        (entity, Scope::Sites { .. }) => {
            return Err(ApiError::Forbidden(format!(
                "the trail of {entity} records is for study-wide roles"
            )))
        }
    }
    let rows = state.store.audit_of(&q.entity, &q.record).await?;
    let reads = store::reads_chain(&study);
    Ok(Json(
        rows.into_iter()
            .filter(|r| r.chain == study || r.chain == reads)
            .collect(),
    ))
}

/// `GET /api/audit.csv`: the whole audit trail, streamed.
async fn audit_csv(State(state): State<AppState>, me: CurrentUser) -> Result<Response, ApiError> {
    let allowed = me
        .roles
        .iter()
        .any(|r| Operation::ExportAudit.roles().contains(&r.role));
    if !allowed {
        return Err(ApiError::Forbidden(
            "exporting the audit trail needs a sponsor, data manager or auditor role".into(),
        ));
    }
    state
        .store
        .record_export("system", "audit-trail", &me.actor())
        .await?;
    // The chains that name arms (`<study>/unblinded`) go only to callers unblinded in that
    // study; everyone else gets the rest of the trail.
    let unblinded_in: Vec<String> = state
        .studies
        .values()
        .filter(|s| unblinded(&me, s))
        .map(|s| store::unblinded_chain(&s.id))
        .collect();
    let rx = csv_stream(state.store.clone(), unblinded_in);
    let headers = [
        (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
        (
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"audit-trail.csv\"",
        ),
    ];
    Ok((headers, axum::body::Body::from_stream(rx)).into_response())
}

/// The trail as CSV in chunks, written by a task of its own; the `<study>/unblinded` chains
/// only of the studies in `unblinded_in`.
fn csv_stream(
    store: Arc<Store>,
    unblinded_in: Vec<String>,
) -> mpsc::Receiver<Result<Bytes, std::io::Error>> {
    let (mut tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(16);
    tokio::spawn(async move {
        if tx
            .send(Ok(Bytes::from_static(
                store::AuditRow::CSV_HEADER.as_bytes(),
            )))
            .await
            .is_err()
        {
            return;
        }
        let mut rows = store.audit_all();
        let mut chunk = String::new();
        while let Some(row) = rows.next().await {
            match row {
                Ok(row)
                    if store::is_unblinded_chain(&row.chain)
                        && !unblinded_in.contains(&row.chain) => {}
                Ok(row) => chunk.push_str(&row.csv_line()),
                Err(e) => {
                    let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                    return;
                }
            }
            if chunk.len() > 64 << 10
                && tx
                    .send(Ok(Bytes::from(std::mem::take(&mut chunk))))
                    .await
                    .is_err()
            {
                return;
            }
        }
        let _ = tx.send(Ok(Bytes::from(chunk))).await;
    });
    rx
}

/// `GET /api/studies/{study}/audit.csv?participant=&user=&action=&from=&to=`: the filtered
/// trail of one study (within the caller's blinding), newest first; the download is audited.
async fn study_audit_csv(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study): Path<String>,
    Query(q): Query<TrailQuery>,
) -> Result<Response, ApiError> {
    let scope = require(&me.roles, &study, Operation::ExportAudit)?;
    let definition = state.study(&study)?;
    let filter = q.filter(&state, &me, definition, &scope).await?;
    let rows = visible(state.store.audit_filtered(&filter).await?, &filter);
    state
        .store
        .record_export(&study, "audit-trail", &me.actor())
        .await?;
    let mut body = String::from(store::AuditRow::CSV_HEADER);
    for row in &rows {
        body.push_str(&row.csv_line());
    }
    let headers = [
        (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
        (
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"audit-trail.csv\"",
        ),
    ];
    Ok((headers, body).into_response())
}
