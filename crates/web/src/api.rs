//! The JSON API's handlers. Each checks the caller's roles through [`service::require`], so
//! that a site user reaches only their site's participants (404 for the others).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use store::{Participant, Scope};
use trial::Role;

use crate::auth::CurrentUser;
use crate::error::{ApiError, FieldProblem};
use crate::service::{self, require, Operation};
use crate::{parse_body, AppState};

/// A participant's id from the path; 404 when it is not a number.
pub(crate) fn record_id(text: &str) -> Result<i64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::NotFound(format!("participant {text} not found")))
}

/// Whether the password re-entered for a signature (or an unblinding) is the signer's, checked
/// off the async threads.
pub(crate) async fn password_ok(me: &CurrentUser, password: String) -> Result<bool, ApiError> {
    let stored = me.user.password_hash.clone();
    tokio::task::spawn_blocking(move || store::password::verify(&password, &stored))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// `GET /healthz`
pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.studies().await {
        Ok(_) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("database unavailable: {e}\n"),
        )
            .into_response(),
    }
}

/// A study as listed for a user.
#[derive(Serialize)]
pub struct StudySummary {
    id: String,
    title: String,
    phase: String,
    registry: String,
    sites: Vec<trial::Site>,
    roles: Vec<Role>,
}

/// `GET /api/studies`: the studies the caller has a role in.
pub async fn studies(State(state): State<AppState>, me: CurrentUser) -> Json<Vec<StudySummary>> {
    let out = state
        .studies
        .values()
        .filter_map(|s| {
            let roles: Vec<Role> = me
                .roles
                .iter()
                .filter(|r| r.study_id == s.id)
                .map(|r| r.role)
                .collect();
            (!roles.is_empty()).then(|| StudySummary {
                id: s.id.clone(),
                title: s.title.clone(),
                phase: s.phase.to_string(),
                registry: s.registry.clone(),
                sites: s.sites.clone(),
                roles,
            })
        })
        .collect();
    Json(out)
}

/// A participant as listed, with the allocation marks every role may see (randomised, kit,
/// emergency unblinding; never the arm).
#[derive(Serialize)]
pub struct ParticipantSummary {
    #[serde(flatten)]
    participant: Participant,
    randomised: bool,
    kit_number: Option<String>,
    emergency_unblinded: bool,
}

/// `GET /api/studies/{study}/participants`
pub async fn participants(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study): Path<String>,
) -> Result<Json<Vec<ParticipantSummary>>, ApiError> {
    let scope = require(&me.roles, &study, Operation::ReadParticipants)?;
    let allocations = state.store.allocations(&scope).await?;
    let listed = state
        .store
        .participants(&scope)
        .await?
        .into_iter()
        .map(|participant| {
            let a = allocations
                .iter()
                .find(|a| a.participant_id == participant.id);
            ParticipantSummary {
                randomised: a.is_some(),
                kit_number: a.map(|a| a.kit_number.clone()),
                emergency_unblinded: a.is_some_and(|a| a.unblinded_at.is_some()),
                participant,
            }
        })
        .collect();
    Ok(Json(listed))
}

/// `POST /api/studies/{study}/participants`: screening.
pub async fn screen(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Participant>), ApiError> {
    let scope = require(&me.roles, &study, Operation::EnterData)?;
    let input: service::ScreeningInput = parse_body(&body)?;
    if !scope.includes_site(&input.site_id) && state.study(&study)?.site(&input.site_id).is_some() {
        return Err(ApiError::Forbidden(format!(
            "you cannot screen at site {}",
            input.site_id
        )));
    }
    let p = service::screen(&state, &scope, &input, &me.actor()).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// A participant with visits and exams.
#[derive(Serialize)]
pub struct ParticipantView {
    #[serde(flatten)]
    participant: Participant,
    visits: Vec<service::VisitView>,
    exams: Vec<ExamView>,
    signatures: Vec<store::Signature>,
    /// The allocation as the caller may see it (the arm for unblinded roles only).
    allocation: Option<crate::allocation::AllocationView>,
    /// The dose level and DLT assessment in a dose escalation (open-label).
    dose: Option<crate::escalation::DoseView>,
}

/// A stored exam with its classification.
#[derive(Serialize)]
pub struct ExamView {
    id: i64,
    visit_id: String,
    examined_on: String,
    exam: serde_json::Value,
    classification: serde_json::Value,
}

async fn view(
    state: &AppState,
    me: &CurrentUser,
    scope: &Scope,
    id: i64,
) -> Result<ParticipantView, ApiError> {
    let participant = state.store.participant(scope, id).await?;
    let today = time::OffsetDateTime::now_utc().date();
    let visits = service::visits(state, scope, id, today).await?;
    let exams = state
        .store
        .exams(scope, id)
        .await?
        .into_iter()
        .map(|e| ExamView {
            id: e.id,
            visit_id: e.visit_id,
            examined_on: e.examined_on,
            exam: serde_json::from_str(&e.raw).unwrap_or_default(),
            classification: serde_json::from_str(&e.classification).unwrap_or_default(),
        })
        .collect();
    let signatures = state.store.signatures(scope, id).await?;
    let allocation = crate::allocation::view_of(state, me, scope, id).await?;
    let dose = crate::escalation::view_of(state, me, scope, id).await?;
    Ok(ParticipantView {
        participant,
        visits,
        exams,
        signatures,
        allocation,
        dose,
    })
}

/// `GET /api/studies/{study}/participants/{id}`
pub async fn participant(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((study, id)): Path<(String, String)>,
) -> Result<Json<ParticipantView>, ApiError> {
    let scope = require(&me.roles, &study, Operation::ReadParticipants)?;
    Ok(Json(view(&state, &me, &scope, record_id(&id)?).await?))
}

/// Resolves the scope for a write on one participant: 404 when the caller cannot even see it.
pub(crate) async fn write_scope(
    state: &AppState,
    me: &CurrentUser,
    study: &str,
    id: i64,
    op: Operation,
) -> Result<Scope, ApiError> {
    let read = require(&me.roles, study, Operation::ReadParticipants)?;
    state.store.participant(&read, id).await?;
    require(&me.roles, study, op)
}

/// `POST /api/studies/{study}/participants/{id}/enrolment`
pub async fn enrol(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((study, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<ParticipantView>, ApiError> {
    let id = record_id(&id)?;
    let scope = write_scope(&state, &me, &study, id, Operation::EnterData).await?;
    let input: service::EnrolmentInput = parse_body(&body)?;
    service::enrol(&state, &scope, id, &input, &me.actor()).await?;
    Ok(Json(view(&state, &me, &scope, id).await?))
}

/// Withdrawal or completion.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndInput {
    status: String,
    on: String,
    reason: String,
}

/// `POST /api/studies/{study}/participants/{id}/end`
pub async fn end(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((study, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<ParticipantView>, ApiError> {
    let id = record_id(&id)?;
    let scope = write_scope(&state, &me, &study, id, Operation::EndParticipation).await?;
    let input: EndInput = parse_body(&body)?;
    let mut problems = Vec::new();
    service::date_field("on", &input.on, &mut problems);
    if !problems.is_empty() {
        return Err(ApiError::Invalid(problems));
    }
    let ending = store::Ending {
        participant_id: id,
        status: input.status,
        on: input.on,
        reason: input.reason,
    };
    state
        .store
        .end_participation(&scope, &ending, &me.actor())
        .await?;
    Ok(Json(view(&state, &me, &scope, id).await?))
}

/// A change to saved data, with its reason.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectionInput {
    field: String,
    value: String,
    reason: String,
}

/// `POST /api/studies/{study}/participants/{id}/corrections`
pub async fn correct(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((study, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<ParticipantView>, ApiError> {
    let id = record_id(&id)?;
    let scope = write_scope(&state, &me, &study, id, Operation::EnterData).await?;
    let input: CorrectionInput = parse_body(&body)?;
    let correction = store::Correction {
        participant_id: id,
        field: input.field,
        value: input.value,
        reason: input.reason,
    };
    state
        .store
        .correct_participant(&scope, &correction, &me.actor())
        .await?;
    Ok(Json(view(&state, &me, &scope, id).await?))
}

/// The date a visit took place.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitDone {
    done_on: String,
}

/// `POST /api/studies/{study}/participants/{id}/visits/{visit}`
pub async fn visit_done(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((study, id, visit)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Json<ParticipantView>, ApiError> {
    let id = record_id(&id)?;
    let scope = write_scope(&state, &me, &study, id, Operation::EnterData).await?;
    let input: VisitDone = parse_body(&body)?;
    state
        .store
        .record_visit(&scope, id, &visit, &input.done_on, &me.actor())
        .await?;
    Ok(Json(view(&state, &me, &scope, id).await?))
}

/// Which record's trail.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    entity: String,
    record: String,
}

/// `GET /api/studies/{study}/audit?entity=participant&record=ID`
pub async fn audit(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study): Path<String>,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<store::AuditRow>>, ApiError> {
    let scope = require(&me.roles, &study, Operation::ReadAudit)?;
    let participant_of =
        |record: &str| record.split('/').next().and_then(|p| p.parse::<i64>().ok());
    match (q.entity.as_str(), &scope) {
        ("participant" | "visit" | "form" | "signature" | "allocation", _) => {
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
    Ok(Json(
        rows.into_iter().filter(|r| r.chain == study).collect(),
    ))
}

/// `GET /api/audit.csv`: the whole audit trail, streamed.
pub async fn audit_csv(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Response, ApiError> {
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
        .filter(|s| crate::allocation::unblinded(&me, s))
        .map(|s| store::unblinded_chain(&s.id))
        .collect();
    let (mut tx, rx) = futures::channel::mpsc::channel::<Result<Bytes, std::io::Error>>(16);
    let store = state.store.clone();
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
    let headers = [
        (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
        (
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"audit-trail.csv\"",
        ),
    ];
    Ok((headers, axum::body::Body::from_stream(rx)).into_response())
}

/// A new account.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUserInput {
    username: String,
    full_name: String,
    password: String,
    #[serde(default = "english")]
    language: String,
}

fn english() -> String {
    "en".into()
}

fn may_manage_users(me: &CurrentUser) -> Result<(), ApiError> {
    if me.roles.iter().any(|r| r.role == Role::SponsorAdmin) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "managing accounts needs the sponsor administrator role".into(),
        ))
    }
}

/// Checks a new account's fields.
pub fn check_new_user(
    username: &str,
    full_name: &str,
    password: &str,
    language: &str,
) -> Result<(), ApiError> {
    let mut problems = Vec::new();
    let name_ok = (3..=32).contains(&username.len())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !name_ok {
        problems.push(FieldProblem::new(
            "username",
            "3 to 32 characters: letters, digits, '.', '_' or '-'",
        ));
    }
    if full_name.trim().is_empty() || full_name.len() > 100 {
        problems.push(FieldProblem::new(
            "full_name",
            "is required (up to 100 characters)",
        ));
    }
    if password.chars().count() < 8 {
        problems.push(FieldProblem::new("password", "needs at least 8 characters"));
    }
    if !["en", "zh"].contains(&language) {
        problems.push(FieldProblem::new(
            "language",
            format!("{language:?} is not allowed (allowed: en, zh)"),
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Invalid(problems))
    }
}

/// `GET /api/users`
pub async fn users(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<Vec<store::User>>, ApiError> {
    may_manage_users(&me)?;
    Ok(Json(state.store.users().await?))
}

/// `POST /api/users`
pub async fn create_user(
    State(state): State<AppState>,
    me: CurrentUser,
    body: Bytes,
) -> Result<(StatusCode, Json<store::User>), ApiError> {
    may_manage_users(&me)?;
    let input: NewUserInput = parse_body(&body)?;
    check_new_user(
        &input.username,
        &input.full_name,
        &input.password,
        &input.language,
    )?;
    let password = input.password;
    let hash = tokio::task::spawn_blocking(move || store::password::hash(&password))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let new = store::NewUser {
        username: input.username,
        full_name: input.full_name,
        password_hash: hash,
        language: input.language,
    };
    Ok((
        StatusCode::CREATED,
        Json(state.store.create_user(&new, &me.actor()).await?),
    ))
}

/// A role to give.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleInput {
    study: String,
    role: String,
    site: Option<String>,
}

/// `POST /api/users/{id}/roles`
pub async fn assign_role(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Vec<store::RoleAssignment>>), ApiError> {
    may_manage_users(&me)?;
    let input: RoleInput = parse_body(&body)?;
    let user_id: i64 = id
        .parse()
        .map_err(|_| ApiError::NotFound(format!("user {id} not found")))?;
    state
        .store
        .user(user_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("user {id} not found")))?;
    let study = state.study(&input.study).map_err(|_| {
        ApiError::field("study", format!("{:?} is not a loaded study", input.study))
    })?;
    let role = Role::parse(&input.role).ok_or_else(|| {
        let all: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        ApiError::field(
            "role",
            format!("{:?} is not a role (roles: {})", input.role, all.join(", ")),
        )
    })?;
    match (&input.site, role.is_site_scoped()) {
        (Some(site), true) if study.site(site).is_none() => {
            return Err(ApiError::field(
                "site",
                format!("{site:?} is not a site of {}", study.id),
            ))
        }
        (None, true) => {
            return Err(ApiError::field(
                "site",
                format!("{role} is a site role: give the site"),
            ))
        }
        (Some(_), false) => {
            return Err(ApiError::field(
                "site",
                format!("{role} is a study-wide role: give no site"),
            ))
        }
        _ => {}
    }
    let assignment = store::RoleAssignment {
        user_id,
        study_id: study.id.clone(),
        role,
        site_id: input.site,
    };
    state.store.assign_role(&assignment, &me.actor()).await?;
    Ok((StatusCode::CREATED, Json(state.store.roles(user_id).await?)))
}

/// A role to take away, with the reason.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleRemoval {
    study: String,
    role: String,
    site: Option<String>,
    reason: String,
}

/// `POST /api/users/{id}/roles/removal`
pub async fn remove_role(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Vec<store::RoleAssignment>>, ApiError> {
    may_manage_users(&me)?;
    let input: RoleRemoval = parse_body(&body)?;
    let user_id: i64 = id
        .parse()
        .map_err(|_| ApiError::NotFound(format!("user {id} not found")))?;
    let role = Role::parse(&input.role)
        .ok_or_else(|| ApiError::field("role", format!("{:?} is not a role", input.role)))?;
    let assignment = store::RoleAssignment {
        user_id,
        study_id: input.study,
        role,
        site_id: input.site,
    };
    state
        .store
        .remove_role(&assignment, &input.reason, &me.actor())
        .await?;
    Ok(Json(state.store.roles(user_id).await?))
}

/// An account's state, with the reason.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountState {
    active: bool,
    reason: String,
}

/// `POST /api/users/{id}/state`
pub async fn set_active(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<store::User>, ApiError> {
    may_manage_users(&me)?;
    let input: AccountState = parse_body(&body)?;
    let user_id: i64 = id
        .parse()
        .map_err(|_| ApiError::NotFound(format!("user {id} not found")))?;
    if user_id == me.user.id && !input.active {
        return Err(ApiError::Conflict {
            field: "active".into(),
            message: "you cannot deactivate your own account".into(),
        });
    }
    Ok(Json(
        state
            .store
            .set_active(user_id, input.active, &input.reason, &me.actor())
            .await?,
    ))
}

/// `POST /api/isncsci/classify`: classifies an exam in the flat layout (nothing is saved).
pub async fn classify(_me: CurrentUser, body: Bytes) -> Result<Json<serde_json::Value>, ApiError> {
    let exam: serde_json::Map<String, serde_json::Value> = parse_body(&body)?;
    let classified = service::read_exam(&exam).map_err(ApiError::Invalid)?;
    Ok(Json(service::classification_json(
        &classified.classification,
    )))
}

/// The longest comment an ISNCSCI form keeps.
pub const MAX_COMMENTS: usize = 4000;

/// A form's values for a visit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormInput {
    values: serde_json::Map<String, serde_json::Value>,
    #[serde(default = "in_progress")]
    status: String,
    reason: Option<String>,
}

fn in_progress() -> String {
    "in-progress".into()
}

/// `POST /api/studies/{study}/participants/{id}/visits/{visit}/forms/{form}`: saves a form of a
/// visit, validated (and scored) as the study defines it. An ISNCSCI form is stored as entered
/// with the engine's classification.
pub async fn save_form(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((study, id, visit, form)): Path<(String, String, String, String)>,
    body: Bytes,
) -> Result<Json<store::FormEntry>, ApiError> {
    let id = record_id(&id)?;
    let scope = write_scope(&state, &me, &study, id, Operation::EnterData).await?;
    let input: FormInput = parse_body(&body)?;
    let definition = state.study(&study)?;
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
    let data = if form_def.kind == trial::FormKind::Isncsci {
        let exam = service::read_exam(&input.values).map_err(ApiError::Invalid)?;
        let flat: serde_json::Map<String, serde_json::Value> = isncsci::flat::fields(&exam.exam)
            .map(|(k, v)| (k, serde_json::Value::String(v.to_string())))
            .collect();
        let mut data = serde_json::json!({ "exam": flat, "classification": service::classification_json(&exam.classification) });
        // The worksheet's free-text comments are kept beside the exam.
        if let Some(serde_json::Value::String(comments)) = input.values.get("comments") {
            if comments.chars().count() > MAX_COMMENTS {
                return Err(ApiError::field(
                    "values.comments",
                    format!("is too long (at most {MAX_COMMENTS} characters)"),
                ));
            }
            if !comments.trim().is_empty() {
                data["comments"] = serde_json::Value::String(comments.clone());
            }
        }
        data
    } else {
        trial::score_form(form_def, &input.values).map_err(|issues| {
            ApiError::Invalid(
                issues
                    .into_iter()
                    .map(|i| {
                        FieldProblem::new(
                            if i.field.is_empty() {
                                "values".to_string()
                            } else {
                                format!("values.{}", i.field)
                            },
                            i.message,
                        )
                    })
                    .collect(),
            )
        })?
    };
    let data = match data {
        serde_json::Value::Object(map) => map,
        other => serde_json::Map::from_iter([("value".to_string(), other)]),
    };
    let save = store::FormSave {
        participant_id: id,
        visit_id: visit,
        form_id: form,
        data,
        status: input.status,
        reason: input.reason,
    };
    Ok(Json(
        state.store.save_form(&scope, &save, &me.actor()).await?,
    ))
}

/// `GET /api/studies/{study}/participants/{id}/forms`: every form of the participant's visit
/// plan, saved or `not-started`.
pub async fn forms(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((study, id)): Path<(String, String)>,
) -> Result<Json<Vec<store::FormEntry>>, ApiError> {
    let scope = require(&me.roles, &study, Operation::ReadParticipants)?;
    Ok(Json(
        service::planned_forms(&state, &scope, record_id(&id)?).await?,
    ))
}

/// `POST /api/studies/{study}/participants/{id}/visits/{visit}/forms/{form}/verification`:
/// a monitor marks a complete form as checked against the source.
pub async fn verify_form(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((study, id, visit, form)): Path<(String, String, String, String)>,
) -> Result<Json<store::FormEntry>, ApiError> {
    let id = record_id(&id)?;
    let scope = write_scope(&state, &me, &study, id, Operation::VerifyData).await?;
    Ok(Json(
        state
            .store
            .verify_form(&scope, id, &visit, &form, &me.actor())
            .await?,
    ))
}

/// A signing: the password re-entered, and what the signature means.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInput {
    password: String,
    meaning: String,
}

/// `POST /api/studies/{study}/participants/{id}/visits/{visit}/signature`: the investigator
/// signs a visit (21 CFR 11.50, 11.200: both components, the user ID of the session and the
/// password re-entered). A wrong password is refused and recorded.
pub async fn sign_visit(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((study, id, visit)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<(StatusCode, Json<store::Signature>), ApiError> {
    sign(&state, &me, &study, &id, Some(visit), &body).await
}

/// `POST /api/studies/{study}/participants/{id}/signature`: the investigator signs the whole
/// casebook (every saved form of every visit), as for a visit.
pub async fn sign_casebook(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((study, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<(StatusCode, Json<store::Signature>), ApiError> {
    sign(&state, &me, &study, &id, None, &body).await
}

async fn sign(
    state: &AppState,
    me: &CurrentUser,
    study: &str,
    id: &str,
    visit: Option<String>,
    body: &[u8],
) -> Result<(StatusCode, Json<store::Signature>), ApiError> {
    let id = record_id(id)?;
    let scope = write_scope(state, me, study, id, Operation::Sign).await?;
    let input: SignInput = parse_body(body)?;
    if let Some(visit) = &visit {
        if state.study(study)?.visit(visit).is_none() {
            return Err(ApiError::NotFound(format!("visit {visit} not found")));
        }
    }
    if !store::SIGNATURE_MEANINGS.contains(&input.meaning.as_str()) {
        return Err(ApiError::field(
            "meaning",
            format!(
                "{:?} is not allowed (allowed: {})",
                input.meaning,
                store::SIGNATURE_MEANINGS.join(", ")
            ),
        ));
    }
    if !password_ok(me, input.password).await? {
        state
            .store
            .sign_failed(&scope, id, visit.as_deref(), &me.actor())
            .await?;
        let what = if visit.is_some() { "visit" } else { "casebook" };
        return Err(ApiError::Unauthorized(format!(
            "wrong password: the {what} was not signed"
        )));
    }
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
pub async fn signatures(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((study, id)): Path<(String, String)>,
) -> Result<Json<Vec<store::Signature>>, ApiError> {
    let scope = require(&me.roles, &study, Operation::ReadParticipants)?;
    Ok(Json(state.store.signatures(&scope, record_id(&id)?).await?))
}

/// `POST /api/studies/{study}/participants/{id}/visits/{visit}/forms/{form}/lock`
pub async fn lock_form(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((study, id, visit, form)): Path<(String, String, String, String)>,
) -> Result<Json<store::FormEntry>, ApiError> {
    let id = record_id(&id)?;
    let scope = write_scope(&state, &me, &study, id, Operation::Lock).await?;
    Ok(Json(
        state
            .store
            .lock_form(&scope, id, &visit, &form, &me.actor())
            .await?,
    ))
}

/// Why a form is unlocked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnlockInput {
    reason: String,
}

/// `POST /api/studies/{study}/participants/{id}/visits/{visit}/forms/{form}/unlock`
pub async fn unlock_form(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((study, id, visit, form)): Path<(String, String, String, String)>,
    body: Bytes,
) -> Result<Json<store::FormEntry>, ApiError> {
    let id = record_id(&id)?;
    let scope = write_scope(&state, &me, &study, id, Operation::Lock).await?;
    let input: UnlockInput = parse_body(&body)?;
    Ok(Json(
        state
            .store
            .unlock_form(&scope, id, &visit, &form, &input.reason, &me.actor())
            .await?,
    ))
}

/// A query to raise.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryInput {
    visit_id: String,
    form_id: String,
    field: String,
    text: String,
}

/// `POST /api/studies/{study}/participants/{id}/queries`: a monitor or data manager raises a
/// query on a field.
pub async fn raise_query(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((study, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<(StatusCode, Json<store::Query>), ApiError> {
    let id = record_id(&id)?;
    let scope = write_scope(&state, &me, &study, id, Operation::RaiseQuery).await?;
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

/// The statuses a query list may be filtered by.
pub const QUERY_STATUSES: [&str; 3] = [
    store::query_status::OPEN,
    store::query_status::ANSWERED,
    store::query_status::CLOSED,
];

/// A query status filter, or the error naming the allowed ones.
pub fn check_query_status(status: &str) -> Result<(), ApiError> {
    if QUERY_STATUSES.contains(&status) {
        Ok(())
    } else {
        Err(ApiError::field(
            "status",
            format!(
                "{status:?} is not allowed (allowed: {})",
                QUERY_STATUSES.join(", ")
            ),
        ))
    }
}

/// Which queries to list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryFilter {
    status: Option<String>,
    participant: Option<i64>,
}

/// `GET /api/studies/{study}/queries?status=open&participant=ID`: the queries of the caller's
/// sites.
pub async fn list_queries(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study): Path<String>,
    Query(filter): Query<QueryFilter>,
) -> Result<Json<Vec<store::Query>>, ApiError> {
    let scope = require(&me.roles, &study, Operation::ReadParticipants)?;
    if let Some(s) = &filter.status {
        check_query_status(s)?;
    }
    Ok(Json(
        state
            .store
            .queries(&scope, filter.participant, filter.status.as_deref())
            .await?,
    ))
}

fn query_id(text: &str) -> Result<i64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::NotFound(format!("query {text} not found")))
}

/// The site's answer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    answer: String,
}

/// `POST /api/studies/{study}/queries/{query}/answer`: the site answers.
pub async fn answer_query(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((study, query)): Path<(String, String)>,
    body: Bytes,
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
    state: &AppState,
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
pub async fn close_query(
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReopenInput {
    text: String,
}

/// `POST /api/studies/{study}/queries/{query}/reopen`
pub async fn reopen_query(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((study, query)): Path<(String, String)>,
    body: Bytes,
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
