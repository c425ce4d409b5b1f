//! The eCRF: saving a visit's form (validated and scored as the study defines it; an ISNCSCI form
//! classified by the engine), the planned forms with their state, source verification, locking
//! and unlocking; scoring a form's values without saving them.

use axum::extract::{Path, State};
use axum::routing::on;
use axum::Json;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::access::{require, Operation};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, FieldProblem};
use crate::extract::{parse_body, JsonBody, ParticipantPath};
use crate::openapi::Endpoint;
use crate::service;

/// The operations of this feature.
pub(crate) const OPERATIONS: &[Endpoint] = &[
    Endpoint::post(
        "/api/studies/{study}/participants/{id}/visits/{visit}/forms/{form}",
        "saveForm",
        "Save a visit's form (eCRF), validated and scored; a change needs a reason",
        |m| on(m, save_form),
    )
    .body::<FormInput>()
    .returns::<store::FormEntry>(),
    Endpoint::get(
        "/api/studies/{study}/participants/{id}/forms",
        "listForms",
        "Every form of a participant's visit plan, each with its state (not-started, in-progress, complete, source-verified, signed, locked)",
        |m| on(m, forms),
    )
    .returns_list::<store::FormEntry>(),
    Endpoint::post(
        "/api/studies/{study}/participants/{id}/visits/{visit}/forms/{form}/verification",
        "verifyForm",
        "Source-verify a complete form (monitor); a later change clears it",
        |m| on(m, verify_form),
    )
    .returns::<store::FormEntry>(),
    Endpoint::post(
        "/api/studies/{study}/participants/{id}/visits/{visit}/forms/{form}/lock",
        "lockForm",
        "Lock a form (data manager): it refuses changes until unlocked",
        |m| on(m, lock_form),
    )
    .returns::<store::FormEntry>(),
    Endpoint::post(
        "/api/studies/{study}/participants/{id}/visits/{visit}/forms/{form}/unlock",
        "unlockForm",
        "Unlock a form (data manager), with the reason",
        |m| on(m, unlock_form),
    )
    .body::<UnlockInput>()
    .returns::<store::FormEntry>(),
    Endpoint::post(
        "/api/studies/{study}/forms/{form}/score",
        "scoreForm",
        "Validate and score a form's values as the study defines it (SCIM III subscales and total, WISCI II, the fields' types, ranges and cross-field rules); nothing is saved",
        |m| on(m, score_form),
    )
    .body::<ScoreInput>()
    .returns::<Scored>(),
];

/// The values to score.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ScoreInput {
    /// The form's fields as the study defines them.
    #[schema(value_type = Object)]
    values: Map<String, Value>,
}

/// The values as they would be saved: typed, with the computed scores.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Scored {
    #[schema(value_type = Object)]
    values: Value,
}

/// `POST /api/studies/{study}/forms/{form}/score`: what saving would store, computed by the
/// study's rules (the page shows SCIM III scores live), or the problems at their fields.
async fn score_form(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((study, form)): Path<(String, String)>,
    body: JsonBody,
) -> Result<Json<Scored>, ApiError> {
    require(&me.roles, &study, Operation::ReadParticipants)?;
    let input: ScoreInput = parse_body(&body)?;
    let definition = state.study(&study)?;
    let form_def = definition
        .form(&form)
        .ok_or_else(|| ApiError::NotFound(format!("form {form} not found")))?;
    let values = service::with_sourced_fields(&state, &study, form_def, input.values).await?;
    Ok(Json(Scored {
        values: form_values(form_def, &values)?,
    }))
}

/// A form's values as stored: an ISNCSCI exam classified, any other form validated and scored.
fn form_values(form_def: &trial::FormDef, values: &Map<String, Value>) -> Result<Value, ApiError> {
    if form_def.kind == trial::FormKind::Isncsci {
        service::isncsci_data(values)
    } else {
        trial::score_form(form_def, values)
            .map_err(|issues| ApiError::Invalid(issues.into_iter().map(value_problem).collect()))
    }
}

/// The visit and form of a path.
#[derive(Debug, Deserialize)]
struct FormPath {
    visit: String,
    form: String,
}

/// A form's values for a visit.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct FormInput {
    /// The form's fields as the study defines them (an ISNCSCI form: the exam in the flat
    /// layout, and `comments`).
    #[schema(value_type = Object)]
    values: Map<String, Value>,
    #[serde(default = "in_progress")]
    #[schema(value_type = Option<trial::FormStatus>)]
    status: String,
    reason: Option<String>,
}

fn in_progress() -> String {
    "in-progress".into()
}

/// `POST /api/studies/{study}/participants/{id}/visits/{visit}/forms/{form}`: saves a form of a
/// visit, validated (and scored) as the study defines it. An ISNCSCI form is stored as entered
/// with the engine's classification.
async fn save_form(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
    Path(FormPath { visit, form }): Path<FormPath>,
    body: JsonBody,
) -> Result<Json<store::FormEntry>, ApiError> {
    // The store's save refuses a participant outside the scope as not found; a request refused
    // before it reaches the store is answered as it was when the participant was read first
    // (404 for a participant the caller cannot see, then 403, then what is wrong with it).
    let (scope, id) = path
        .write_scoped_by_store(&state, &me, Operation::EnterData)
        .await?;
    let save = match form_save(&state, &path, &scope, id, visit, form, &body).await {
        Ok(save) => save,
        Err(e) => {
            path.write(&state, &me, Operation::EnterData).await?;
            return Err(e);
        }
    };
    Ok(Json(
        state.store.save_form(&scope, save, &me.actor()).await?,
    ))
}

/// A save's form, checked and classified (or scored) as the study defines it.
async fn form_save(
    state: &AppState,
    path: &ParticipantPath,
    scope: &store::Scope,
    id: i64,
    visit: String,
    form: String,
    body: &JsonBody,
) -> Result<store::FormSave, ApiError> {
    let input: FormInput = parse_body(body)?;
    let definition = state.study(&path.study)?;
    let Some(visit_def) = definition.visit(&visit) else {
        return Err(ApiError::NotFound(format!("visit {visit} not found")));
    };
    if !visit_def.forms.contains(&form) {
        return Err(ApiError::field(
            "form",
            format!(
                "{form:?} is not a form of visit {visit} (forms: {})",
                visit_def.forms.join(", ")
            ),
        ));
    }
    let form_def = definition
        .form(&form)
        .ok_or_else(|| ApiError::NotFound(format!("form {form} not found")))?;
    let values = service::with_sourced_fields(state, &path.study, form_def, input.values).await?;
    let data = match form_values(form_def, &values)? {
        Value::Object(map) => map,
        other => Map::from_iter([("value".to_string(), other)]),
    };
    // The screening visit's ISNCSCI form is the screening exam: eligibility follows it.
    let eligibility = if visit_def.screening && form_def.kind == trial::FormKind::Isncsci {
        Some(service::screening_eligibility(state, scope, definition, id, &data).await?)
    } else {
        None
    };
    Ok(store::FormSave {
        participant_id: id,
        visit_id: visit,
        form_id: form,
        data,
        status: trial::FormStatus::parse_field("status", &input.status)?,
        reason: input.reason,
        eligibility,
    })
}

/// A problem the study's form definition found, named as in the request (`values.<field>`).
fn value_problem(issue: trial::FieldIssue) -> FieldProblem {
    FieldProblem::new(
        if issue.field.is_empty() {
            "values".to_string()
        } else {
            format!("values.{}", issue.field)
        },
        issue.message,
    )
}

/// `GET /api/studies/{study}/participants/{id}/forms`: every form of the participant's visit
/// plan, saved or `not-started`.
async fn forms(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
) -> Result<Json<Vec<store::FormEntry>>, ApiError> {
    let (scope, id) = path.read(&me)?;
    Ok(Json(service::planned_forms(&state, &scope, id).await?))
}

/// `POST /api/studies/{study}/participants/{id}/visits/{visit}/forms/{form}/verification`:
/// a monitor marks a complete form as checked against the source.
async fn verify_form(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
    Path(FormPath { visit, form }): Path<FormPath>,
) -> Result<Json<store::FormEntry>, ApiError> {
    let (scope, id) = path.write(&state, &me, Operation::VerifyData).await?;
    Ok(Json(
        state
            .store
            .verify_form(&scope, id, &visit, &form, &me.actor())
            .await?,
    ))
}

/// `POST /api/studies/{study}/participants/{id}/visits/{visit}/forms/{form}/lock`
async fn lock_form(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
    Path(FormPath { visit, form }): Path<FormPath>,
) -> Result<Json<store::FormEntry>, ApiError> {
    let (scope, id) = path.write(&state, &me, Operation::Lock).await?;
    Ok(Json(
        state
            .store
            .lock_form(&scope, id, &visit, &form, &me.actor())
            .await?,
    ))
}

/// Why a form is unlocked.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UnlockInput {
    reason: String,
}

/// `POST /api/studies/{study}/participants/{id}/visits/{visit}/forms/{form}/unlock`
async fn unlock_form(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
    Path(FormPath { visit, form }): Path<FormPath>,
    body: JsonBody,
) -> Result<Json<store::FormEntry>, ApiError> {
    let (scope, id) = path.write(&state, &me, Operation::Lock).await?;
    let input: UnlockInput = parse_body(&body)?;
    Ok(Json(
        state
            .store
            .unlock_form(&scope, id, &visit, &form, &input.reason, &me.actor())
            .await?,
    ))
}
