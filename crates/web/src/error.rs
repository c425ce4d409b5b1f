//! Errors of the API, mapped to HTTP statuses in one place. Every error is JSON, an
//! [`ErrorBody`]:
//! `{"error": {"status": 422, "message": "...", "fields": [{"field": "...", "message": "..."}]}}`.

use axum::extract::Request;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A field-level problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    /// The field, as named in the request (`exam.c5RightMotor`, `kits[2].number`; a query
    /// parameter by its name; `body` for a body that is not JSON at all).
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

/// Every error answer of the API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// What went wrong with a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// The HTTP status, again.
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    /// What went wrong, in a sentence.
    pub message: String,
    /// Each field at fault, with what is wrong and the allowed values (may be empty).
    pub fields: Vec<FieldProblem>,
}

impl ErrorBody {
    /// The body of an error with this status.
    pub fn new(status: StatusCode, message: String, fields: Vec<FieldProblem>) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                status: status.as_u16(),
                message,
                fields,
            },
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
    /// The body or query string is not what the operation takes: each field at fault.
    #[error("{}", .0.iter().map(|p| format!("{}: {}", p.field, p.message)).collect::<Vec<_>>().join("; "))]
    Malformed(Vec<FieldProblem>),
    /// The body is larger than the server reads.
    #[error("the request body is too large (at most {0} bytes)")]
    TooLarge(usize),
    /// The body is not declared as JSON.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The path exists, not with this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// The database does not answer.
    #[error("{0}")]
    Unavailable(String),
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
            ApiError::BadRequest(_) | ApiError::Malformed(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
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
            // The database is out of reach or read-only, as during a failover: the request may
            // not have been done, or may have been committed as the connection broke (the
            // outcome of an interrupted COMMIT is unknown), so the client looks before sending
            // it again once a server takes writes.
            other if other.is_unavailable() => {
                tracing::warn!(error = %other, "database unavailable");
                ApiError::Unavailable(
                    "the database cannot be reached or is read-only just now (a failover?); \
                     this request may or may not have been saved: look before sending it again"
                        .into(),
                )
            }
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
            ApiError::Invalid(problems) | ApiError::Malformed(problems) => problems.clone(),
            ApiError::TooLarge(limit) => {
                vec![FieldProblem::new(
                    "body",
                    format!("is too large (at most {limit} bytes)"),
                )]
            }
            ApiError::Conflict { field, message } => {
                vec![FieldProblem::new(field.clone(), message.clone())]
            }
            _ => vec![],
        };
        let body = ErrorBody::new(status, self.to_string(), fields);
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

/// Middleware: every error the API answers is the JSON error shape, including any made below
/// our handlers (a path parameter axum refused, for one); the text of such an answer becomes
/// the message. Pages keep their HTML error pages; `/healthz` and `/api/…` get JSON.
pub async fn json_errors(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let api = path.starts_with("/api/") || path == "/healthz";
    // A path with a NUL character (`%00`) names nothing of ours (and no database stores one).
    if path.contains("%00") {
        return ApiError::NotFound("no such page or operation".into()).into_response();
    }
    let method = request.method().clone();
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !api || is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_string();
    let message = if !text.is_empty() {
        text
    } else if status == StatusCode::METHOD_NOT_ALLOWED {
        format!("{method} is not an operation of this path")
    } else {
        status
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase()
    };
    let body = serde_json::to_vec(&ErrorBody::new(status, message, vec![])).unwrap_or_default();
    parts.headers.remove(CONTENT_LENGTH);
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Response::from_parts(parts, axum::body::Body::from(body))
}
