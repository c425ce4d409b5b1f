//! Electronic signatures on a participant's data: the investigator signs a visit or the whole
//! casebook (21 CFR 11.50, 11.200: the user ID of the session and the password re-entered, with
//! the meaning); the list, each with whether it is still valid.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::on;
use axum::Json;
use serde::Deserialize;

use crate::access::Operation;
use crate::app::{App, AppState};
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::esign;
use crate::extract::{parse_body, JsonBody, ParticipantPath};
use crate::openapi::Endpoint;
use trial::SignedRecord;

/// The operations of this feature.
pub(crate) const OPERATIONS: &[Endpoint] = &[
    Endpoint::post(
        "/api/studies/{study}/participants/{id}/visits/{visit}/signature",
        "signVisit",
        "Sign a visit (investigator): re-enter the password and give the meaning (authored, reviewed, approved)",
        |m| on(m, sign_visit),
    )
    .body::<SignInput>()
    .creates::<store::Signature>(),
    Endpoint::post(
        "/api/studies/{study}/participants/{id}/signature",
        "signCasebook",
        "Sign the whole casebook (investigator): every saved form of every visit, complete; re-enter the password and give the meaning. Any later change voids it",
        |m| on(m, sign_casebook),
    )
    .body::<SignInput>()
    .creates::<store::Signature>(),
    Endpoint::get(
        "/api/studies/{study}/participants/{id}/signatures",
        "listSignatures",
        "A participant's signatures: printed name, UTC time, meaning, hash of the data signed, and whether still valid (void with the change that voided it)",
        |m| on(m, signatures),
    )
    .returns_list::<store::Signature>(),
];

/// A signing: the password re-entered, and what the signature means.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SignInput {
    password: String,
    #[schema(value_type = trial::Meaning)]
    meaning: String,
}

/// The visit of a path.
#[derive(Debug, Deserialize)]
struct VisitPath {
    visit: String,
}

/// `POST /api/studies/{study}/participants/{id}/visits/{visit}/signature`: the investigator
/// signs a visit. A wrong password is refused and recorded.
async fn sign_visit(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
    Path(VisitPath { visit }): Path<VisitPath>,
    body: JsonBody,
) -> Result<(StatusCode, Json<store::Signature>), ApiError> {
    sign(&state, &me, &path, Some(visit), &body).await
}

/// `POST /api/studies/{study}/participants/{id}/signature`: the investigator signs the whole
/// casebook (every saved form of every visit), as for a visit.
async fn sign_casebook(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
    body: JsonBody,
) -> Result<(StatusCode, Json<store::Signature>), ApiError> {
    sign(&state, &me, &path, None, &body).await
}

async fn sign(
    state: &App,
    me: &CurrentUser,
    path: &ParticipantPath,
    visit: Option<String>,
    body: &JsonBody,
) -> Result<(StatusCode, Json<store::Signature>), ApiError> {
    let (scope, id) = path.write(state, me, Operation::Sign).await?;
    let input: SignInput = parse_body(body)?;
    if let Some(visit) = &visit {
        if state.study(&path.study)?.visit(visit).is_none() {
            return Err(ApiError::NotFound(format!("visit {visit} not found")));
        }
    }
    trial::Meaning::parse_field("meaning", &input.meaning)?;
    let what = visit
        .clone()
        .map_or(SignedRecord::Casebook, SignedRecord::Visit);
    esign::reenter(state, me, &scope, id, what, input.password).await?;
    let signing = store::Signing {
        participant_id: id,
        visit_id: visit,
        meaning: input.meaning,
        signer: &me.user,
    };
    Ok((
        StatusCode::CREATED,
        Json(
            state
                .store
                .sign_visit(&scope, &signing, &me.actor())
                .await?,
        ),
    ))
}

/// `GET /api/studies/{study}/participants/{id}/signatures`
async fn signatures(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
) -> Result<Json<Vec<store::Signature>>, ApiError> {
    let (scope, id) = path.read(&me)?;
    Ok(Json(state.store.signatures(&scope, id).await?))
}
