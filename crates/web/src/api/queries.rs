//! Data queries: a monitor or data manager raises one on a field, the site answers, whoever
//! raised it closes or re-opens it; the list of the caller's sites.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::on;
use axum::Json;
use serde::Deserialize;
use store::Scope;

use crate::access::{require, Operation};
use crate::app::{App, AppState};
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::extract::{parse_body, JsonBody, ParticipantPath, Query};
use crate::openapi::Endpoint;
use crate::service::check_query_status;

/// The operations of this feature.
pub(crate) const OPERATIONS: &[Endpoint] = &[
    Endpoint::post(
        "/api/studies/{study}/participants/{id}/queries",
        "raiseQuery",
        "Raise a query on a field of a visit's form (monitor, data manager)",
        |m| on(m, raise_query),
    )
    .body::<QueryInput>()
    .creates::<store::Query>(),
    Endpoint::get(
        "/api/studies/{study}/queries",
        "listQueries",
        "The queries of the caller's sites (query: status, participant)",
        |m| on(m, list_queries),
    )
    .query::<QueryFilter>()
    .returns_list::<store::Query>(),
    Endpoint::post(
        "/api/studies/{study}/queries/{query}/answer",
        "answerQuery",
        "The site answers a query",
        |m| on(m, answer_query),
    )
    .body::<AnswerInput>()
    .returns::<store::Query>(),
    Endpoint::post(
        "/api/studies/{study}/queries/{query}/close",
        "closeQuery",
        "Close a query (whoever raised it)",
        |m| on(m, close_query),
    )
    .returns::<store::Query>(),
    Endpoint::post(
        "/api/studies/{study}/queries/{query}/reopen",
        "reopenQuery",
        "Re-open a query with a new question (whoever raised it)",
        |m| on(m, reopen_query),
    )
    .body::<ReopenInput>()
    .returns::<store::Query>(),
];

/// A query to raise.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct QueryInput {
    visit_id: String,
    form_id: String,
    field: String,
    text: String,
}

/// `POST /api/studies/{study}/participants/{id}/queries`: a monitor or data manager raises a
/// query on a field.
async fn raise_query(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
    body: JsonBody,
) -> Result<(StatusCode, Json<store::Query>), ApiError> {
    let (scope, id) = path.write(&state, &me, Operation::RaiseQuery).await?;
    let input: QueryInput = parse_body(&body)?;
    let new = store::NewQuery {
        participant_id: id,
        visit_id: input.visit_id,
        form_id: input.form_id,
        field: input.field,
        text: input.text,
    };
    Ok((
        StatusCode::CREATED,
        Json(state.store.raise_query(&scope, &new, &me.actor()).await?),
    ))
}

/// Which queries to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct QueryFilter {
    #[param(value_type = Option<trial::QueryStatus>)]
    status: Option<String>,
    participant: Option<i64>,
}

/// `GET /api/studies/{study}/queries?status=open&participant=ID`: the queries of the caller's
/// sites.
async fn list_queries(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study): Path<String>,
    Query(filter): Query<QueryFilter>,
) -> Result<Json<Vec<store::Query>>, ApiError> {
    let scope = require(&me.roles, &study, Operation::ReadParticipants)?;
    let status = filter
        .status
        .as_deref()
        .map(check_query_status)
        .transpose()?;
    Ok(Json(
        state
            .store
            .queries(&scope, filter.participant, status)
            .await?,
    ))
}

fn query_id(text: &str) -> Result<i64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::NotFound(format!("query {text} not found")))
}

/// The site's answer.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AnswerInput {
    answer: String,
}

/// `POST /api/studies/{study}/queries/{query}/answer`: the site answers.
async fn answer_query(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((study, query)): Path<(String, String)>,
    body: JsonBody,
) -> Result<Json<store::Query>, ApiError> {
    let scope = require(&me.roles, &study, Operation::EnterData)?;
    let input: AnswerInput = parse_body(&body)?;
    Ok(Json(
        state
            .store
            .answer_query(&scope, query_id(&query)?, &input.answer, &me.actor())
            .await?,
    ))
}

/// The query as its raiser may change it: 404 outside their scope, 403 for someone else's.
async fn own_query(
    state: &App,
    me: &CurrentUser,
    study: &str,
    query: &str,
) -> Result<(Scope, i64), ApiError> {
    let scope = require(&me.roles, study, Operation::RaiseQuery)?;
    let id = query_id(query)?;
    let found = state
        .store
        .queries(&scope, None, None)
        .await?
        .into_iter()
        .find(|q| q.id == id);
    match found {
        None => Err(ApiError::NotFound(format!("query {id} not found"))),
        Some(q) if q.raised_by_id != Some(me.user.id) => Err(ApiError::Forbidden(
            "only whoever raised a query closes or re-opens it".into(),
        )),
        Some(_) => Ok((scope, id)),
    }
}

/// `POST /api/studies/{study}/queries/{query}/close`
async fn close_query(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((study, query)): Path<(String, String)>,
) -> Result<Json<store::Query>, ApiError> {
    let (scope, id) = own_query(&state, &me, &study, &query).await?;
    Ok(Json(
        state.store.close_query(&scope, id, &me.actor()).await?,
    ))
}

/// A re-opened query's new question.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ReopenInput {
    text: String,
}

/// `POST /api/studies/{study}/queries/{query}/reopen`
async fn reopen_query(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((study, query)): Path<(String, String)>,
    body: JsonBody,
) -> Result<Json<store::Query>, ApiError> {
    let (scope, id) = own_query(&state, &me, &study, &query).await?;
    let input: ReopenInput = parse_body(&body)?;
    Ok(Json(
        state
            .store
            .reopen_query(&scope, id, &input.text, &me.actor())
            .await?,
    ))
}
