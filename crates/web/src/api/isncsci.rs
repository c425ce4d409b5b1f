//! The ISNCSCI calculator: classifies an exam without saving it.

use axum::routing::on;
use axum::Json;

use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::extract::{parse_body, JsonBody};
use crate::openapi::Endpoint;
use crate::service;

/// The operations of this feature.
pub(crate) const OPERATIONS: &[Endpoint] = &[Endpoint::post(
    "/api/isncsci/classify",
    "classifyExam",
    "Classify an ISNCSCI exam in the flat layout (c5RightMotor, …); nothing is saved",
    |m| on(m, classify),
)
.body::<service::FlatExam>()
.returns::<service::Classification>()];

/// `POST /api/isncsci/classify`: classifies an exam in the flat layout (nothing is saved).
async fn classify(_me: CurrentUser, body: JsonBody) -> Result<Json<serde_json::Value>, ApiError> {
    let exam: serde_json::Map<String, serde_json::Value> = parse_body(&body)?;
    let classified = service::read_exam(&exam)?;
    Ok(Json(service::classification_json(
        &classified.classification,
    )))
}
