//! Errors of the API, mapped to HTTP statuses in one place. Every error is JSON:
//! `{"error": {"status": 422, "message": "...", "fields": [{"field": "...", "message": "..."}]}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A field-level problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    /// The field, as named in the request (`exam.c5RightMotor`).
    pub field: String,
    /// What is wrong, with the allowed values.
    pub message: String,
}

impl FieldProblem {
    /// A problem with a field.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldProblem {
        FieldProblem {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What went wrong with a request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Not signed in, or the session ended.
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// No such thing, or not visible to the caller.
    #[error("{0}")]
    NotFound(String),
    /// The request is not well-formed.
    #[error("{0}")]
    BadRequest(String),
    /// The request is not well-formed in these fields (a value longer than any allowed).
    #[error("{}", .0.iter().map(|p| format!("{}: {}", p.field, p.message)).collect::<Vec<_>>().join("; "))]
    BadFields(Vec<FieldProblem>),
    /// Field-level problems.
    #[error("{}", .0.iter().map(|p| format!("{}: {}", p.field, p.message)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldProblem>),
    /// The request conflicts with the data (a duplicate, a wrong state).
    #[error("{field}: {message}")]
    Conflict {
        /// The field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// Too many failed attempts: try again after this many seconds (sent as `Retry-After`).
    #[error("{message}")]
    TooManyRequests {
        /// What was refused and for how long.
        message: String,
        /// Seconds to wait.
        retry_after: i64,
    },
    /// A failure of ours; the details go to the log, not the client.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// One invalid field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::Invalid(vec![FieldProblem::new(field, message)])
    }

    /// The HTTP status of the error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) | ApiError::BadFields(_) => StatusCode::BAD_REQUEST,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<trial::Refusal> for FieldProblem {
    fn from(refusal: trial::Refusal) -> FieldProblem {
        match refusal {
            trial::Refusal::Invalid { field, message }
            | trial::Refusal::Conflict { field, message } => FieldProblem::new(field, message),
        }
    }
}

impl From<trial::Refusal> for ApiError {
    fn from(refusal: trial::Refusal) -> ApiError {
        ApiError::from(store::StoreError::from(refusal))
    }
}

impl From<store::StoreError> for ApiError {
    fn from(e: store::StoreError) -> ApiError {
        use store::StoreError as S;
        match e {
            S::NotFound { entity, id } => ApiError::NotFound(format!("{entity} {id} not found")),
            S::Conflict { field, message } => ApiError::Conflict { field, message },
            S::Invalid { field, message } => ApiError::field(field, message),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let fields = match &self {
            ApiError::Invalid(problems) | ApiError::BadFields(problems) => problems.clone(),
            ApiError::Conflict { field, message } => {
                vec![FieldProblem::new(field.clone(), message.clone())]
            }
            _ => vec![],
        };
        let body = serde_json::json!({
            "error": { "status": status.as_u16(), "message": self.to_string(), "fields": fields }
        });
        let mut response = (status, axum::Json(body)).into_response();
        if let ApiError::TooManyRequests { retry_after, .. } = &self {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(*retry_after),
            );
        }
        response
    }
}
