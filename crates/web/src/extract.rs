//! What every handler takes from a request: the JSON body (read after the access check), a
//! participant's path with the scope of a read or a write on it, the caller's roles in a study.

use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use store::Scope;
use trial::Role;

use crate::access::{require, Operation};
use crate::app::App;
use crate::auth::CurrentUser;
use crate::error::ApiError;

/// Reads a JSON request body, after the caller's rights were checked, so that someone who may
/// not do an operation learns nothing from how their request was wrong.
pub fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::BadRequest(format!(
            "the request body is not what this operation takes: {e}"
        ))
    })
}

/// A JSON request body whose problems come back as our JSON errors (for the login, which has
/// no access check before it).
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Body<T>, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Body(value)),
            Err(rejection) => {
                let text = rejection.body_text();
                let text = text
                    .strip_prefix("Failed to deserialize the JSON body into the target type: ")
                    .unwrap_or(&text);
                Err(ApiError::BadRequest(format!(
                    "the request body is not what this operation takes: {text}"
                )))
            }
        }
    }
}

/// A participant's id from the path; 404 when it is not a number.
pub fn record_id(text: &str) -> Result<i64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::NotFound(format!("participant {text} not found")))
}

/// The participant of a path `…/studies/{study}/participants/{id}…`. The id is checked only when
/// the scope is asked for, in the order the API has always answered: for a read, the caller's
/// role in the study first; for a write, the id first.
#[derive(Debug, Deserialize)]
pub struct ParticipantPath {
    /// The study.
    pub study: String,
    /// The participant's id as given.
    id: String,
}

impl<S: Send + Sync> FromRequestParts<S> for ParticipantPath {
    type Rejection = PathRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, PathRejection> {
        let Path(path) = Path::<ParticipantPath>::from_request_parts(parts, state).await?;
        Ok(path)
    }
}

impl ParticipantPath {
    /// The scope in which the caller reads participants of the study, and the id.
    pub fn read(&self, me: &CurrentUser) -> Result<(Scope, i64), ApiError> {
        let scope = require(&me.roles, &self.study, Operation::ReadParticipants)?;
        Ok((scope, record_id(&self.id)?))
    }

    /// The scope of a write on the participant, and the id: 404 when the caller cannot even
    /// see it, 403 when their roles do not allow the write.
    pub async fn write(
        &self,
        app: &App,
        me: &CurrentUser,
        op: Operation,
    ) -> Result<(Scope, i64), ApiError> {
        let id = record_id(&self.id)?;
        Ok((write_scope(app, me, &self.study, id, op).await?, id))
    }
}

/// Resolves the scope for a write on one participant: 404 when the caller cannot even see it.
pub async fn write_scope(
    app: &App,
    me: &CurrentUser,
    study: &str,
    id: i64,
    op: Operation,
) -> Result<Scope, ApiError> {
    let read = require(&me.roles, study, Operation::ReadParticipants)?;
    app.store.participant(&read, id).await?;
    require(&me.roles, study, op)
}

/// The caller's roles in a study.
pub fn roles_in(me: &CurrentUser, study_id: &str) -> Vec<Role> {
    me.roles
        .iter()
        .filter(|r| r.study_id == study_id)
        .map(|r| r.role)
        .collect()
}
