//! The database lock and the study's unblinding: what blocks the lock (within the caller's
//! scope), the data manager's signed lock, and the sponsor administrator's signed unblinding
//! after it. The rules are `trial::lock`'s; a locked study's refusal of every other write is
//! the store's.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::on;
use axum::Json;
use serde::{Deserialize, Serialize};
use store::StudyLock;
use trial::lock::{Blocker, LockState};
use trial::SignedRecord;

use crate::access::{require, Operation};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::esign;
use crate::extract::{parse_body, JsonBody};
use crate::openapi::Endpoint;

/// The operations of this feature.
pub(crate) const OPERATIONS: &[Endpoint] = &[
    Endpoint::get(
        "/api/studies/{study}/lock",
        "getDatabaseLock",
        "Whether the study is open, locked or unblinded, the lock and the unblinding as signed, and while open every unsigned form and every query not closed that blocks the lock (within the caller's sites)",
        |m| on(m, status),
    )
    .returns::<LockView>(),
    Endpoint::post(
        "/api/studies/{study}/lock",
        "lockDatabase",
        "The data manager locks the study, signed with the password, once every saved form is signed and every query closed; from then on the study refuses every write of data (409 naming the lock)",
        |m| on(m, lock),
    )
    .body::<LockInput>()
    .creates::<StudyLock>(),
    Endpoint::post(
        "/api/studies/{study}/unblinding",
        "unblindStudy",
        "The sponsor administrator unblinds the locked study, with a reason, signed with the password; from then on every role sees the results by arm",
        |m| on(m, unblind),
    )
    .body::<StudyUnblindInput>()
    .returns::<StudyLock>(),
];

/// Where the study stands.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum LockStateView {
    /// Data may be written.
    Open,
    /// Locked: no data may be written.
    Locked,
    /// Locked and unblinded.
    Unblinded,
}

impl From<LockState> for LockStateView {
    fn from(state: LockState) -> LockStateView {
        match state {
            LockState::Open => LockStateView::Open,
            LockState::Locked => LockStateView::Locked,
            LockState::Unblinded => LockStateView::Unblinded,
        }
    }
}

/// The study's lock as the caller sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct LockView {
    study_id: String,
    state: LockStateView,
    /// The lock and the unblinding as signed (none while open).
    lock: Option<StudyLock>,
    /// While open: what blocks the lock, within the caller's sites.
    blockers: Vec<Blocker>,
}

/// `GET /api/studies/{study}/lock`
async fn status(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
) -> Result<Json<LockView>, ApiError> {
    let scope = require(&me.roles, &study_id, Operation::ReadLock)?;
    state.study(&study_id)?;
    let lock = state.store.study_lock(&study_id).await?;
    let lock_state = StudyLock::state(lock.as_ref());
    let blockers = match lock_state {
        LockState::Open => state.store.lock_blockers(&scope).await?,
        _ => Vec::new(),
    };
    Ok(Json(LockView {
        study_id,
        state: lock_state.into(),
        lock,
        blockers,
    }))
}

/// A database lock, signed with the password.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct LockInput {
    /// The signer's password, re-entered.
    password: String,
}

/// `POST /api/studies/{study}/lock`
async fn lock(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
    body: JsonBody,
) -> Result<(StatusCode, Json<StudyLock>), ApiError> {
    require(&me.roles, &study_id, Operation::LockDatabase)?;
    state.study(&study_id)?;
    let input: LockInput = parse_body(&body)?;
    esign::reenter_for_study(
        &state,
        &me,
        &study_id,
        SignedRecord::DatabaseLock,
        input.password,
    )
    .await?;
    let lock = state
        .store
        .lock_database(&study_id, &me.user, &me.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(lock)))
}

/// The study's unblinding, with a reason, signed with the password.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct StudyUnblindInput {
    /// Why (e.g. the final analysis after the database lock).
    reason: String,
    /// The signer's password, re-entered.
    password: String,
}

/// `POST /api/studies/{study}/unblinding`
async fn unblind(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
    body: JsonBody,
) -> Result<Json<StudyLock>, ApiError> {
    require(&me.roles, &study_id, Operation::UnblindStudy)?;
    let study = state.study(&study_id)?;
    let input: StudyUnblindInput = parse_body(&body)?;
    trial::required_reason(Some(&input.reason), "to unblind the study")?;
    esign::reenter_for_study(
        &state,
        &me,
        &study_id,
        SignedRecord::StudyUnblinding,
        input.password,
    )
    .await?;
    let lock = state
        .store
        .unblind_study(study, &me.user, &input.reason, &me.actor())
        .await?;
    Ok(Json(lock))
}
