//! Accounts: listing and creating them, giving and taking away roles, deactivating and
//! reactivating, all for the sponsor administrator, each change with its reason and audited.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::on;
use axum::Json;
use serde::Deserialize;
use trial::Role;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, FieldProblem};
use crate::extract::{parse_body, JsonBody};
use crate::openapi::Endpoint;

/// The operations of this feature.
pub(crate) const OPERATIONS: &[Endpoint] = &[
    Endpoint::get(
        "/api/users",
        "listUsers",
        "Accounts (sponsor administrator)",
        |m| on(m, users),
    )
    .returns_list::<store::User>(),
    Endpoint::post(
        "/api/users",
        "createUser",
        "Create an account (sponsor administrator)",
        |m| on(m, create_user),
    )
    .body::<NewUserInput>()
    .creates::<store::User>(),
    Endpoint::post(
        "/api/users/{id}/roles",
        "assignRole",
        "Give a role in a study, at a site for site roles",
        |m| on(m, assign_role),
    )
    .body::<RoleInput>()
    .creates_list::<store::RoleAssignment>(),
    Endpoint::post(
        "/api/users/{id}/roles/removal",
        "removeRole",
        "Take a role away, with the reason",
        |m| on(m, remove_role),
    )
    .body::<RoleRemoval>()
    .returns_list::<store::RoleAssignment>(),
    Endpoint::post(
        "/api/users/{id}/state",
        "setAccountState",
        "Deactivate or reactivate an account, with the reason",
        |m| on(m, set_active),
    )
    .body::<AccountState>()
    .returns::<store::User>(),
    Endpoint::post(
        "/api/users/{id}/email",
        "setUserEmail",
        "Set or (with an empty text) clear an account's e-mail address",
        |m| on(m, set_email),
    )
    .body::<EmailInput>()
    .returns::<UserEmail>(),
];

/// An account's e-mail address (empty: none).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct EmailInput {
    email: String,
}

/// `POST /api/users/{id}/email`
async fn set_email(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Json<UserEmail>, ApiError> {
    may_manage_users(&me)?;
    let input: EmailInput = parse_body(&body)?;
    let user_id = user_id(&id)?;
    let email = input.email.trim();
    let email = if email.is_empty() {
        String::new()
    } else {
        check_email(email)?
    };
    state
        .store
        .set_user_email(user_id, &email, &me.actor())
        .await?;
    Ok(Json(UserEmail { user_id, email }))
}

/// An account's e-mail address, as set (empty when cleared).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct UserEmail {
    user_id: i64,
    email: String,
}

/// A new account.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewUserInput {
    username: String,
    full_name: String,
    password: String,
    #[serde(default = "english")]
    language: String,
    /// Where the account's notices and password resets are sent.
    #[serde(default)]
    email: Option<String>,
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

/// An account's id from the path; 404 when it is not a number.
fn user_id(text: &str) -> Result<i64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::NotFound(format!("user {text} not found")))
}

/// Checks a new account's fields.
pub fn check_new_user(
    username: &str,
    full_name: &str,
    password: &str,
    language: &str,
) -> Result<(), ApiError> {
    let mut problems: Vec<FieldProblem> = [
        trial::accounts::check_new_username(username),
        trial::accounts::check_new_password(password),
    ]
    .into_iter()
    .filter_map(Result::err)
    .map(FieldProblem::from)
    .collect();
    if full_name.trim().is_empty() || full_name.len() > 100 {
        problems.push(FieldProblem::new(
            "full_name",
            "is required (up to 100 characters)",
        ));
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
async fn users(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<Vec<store::User>>, ApiError> {
    may_manage_users(&me)?;
    Ok(Json(state.store.users().await?))
}

/// `POST /api/users`
async fn create_user(
    State(state): State<AppState>,
    me: CurrentUser,
    body: JsonBody,
) -> Result<(StatusCode, Json<store::User>), ApiError> {
    may_manage_users(&me)?;
    let input: NewUserInput = parse_body(&body)?;
    check_new_user(
        &input.username,
        &input.full_name,
        &input.password,
        &input.language,
    )?;
    let email = input
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(check_email)
        .transpose()?;
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
    let user = state.store.create_user(&new, &me.actor()).await?;
    if let Some(email) = email {
        state
            .store
            .set_user_email(user.id, &email, &me.actor())
            .await?;
    }
    Ok((StatusCode::CREATED, Json(user)))
}

/// Checks an e-mail address's shape (`trial::mail::is_address`): one `@` with text on both
/// sides, a dot in the domain, no spaces, angle brackets or list separators, up to 254
/// characters.
pub fn check_email(email: &str) -> Result<String, ApiError> {
    let ok = trial::mail::is_address(email);
    if ok {
        Ok(email.to_string())
    } else {
        Err(ApiError::field(
            "email",
            format!("{email:?} is not an e-mail address (allowed: name@domain)"),
        ))
    }
}

/// A role to give.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RoleInput {
    study: String,
    #[schema(value_type = Role)]
    role: String,
    site: Option<String>,
}

/// `POST /api/users/{id}/roles`
async fn assign_role(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<(StatusCode, Json<Vec<store::RoleAssignment>>), ApiError> {
    may_manage_users(&me)?;
    let input: RoleInput = parse_body(&body)?;
    let user_id = user_id(&id)?;
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
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RoleRemoval {
    study: String,
    #[schema(value_type = Role)]
    role: String,
    site: Option<String>,
    reason: String,
}

/// `POST /api/users/{id}/roles/removal`
async fn remove_role(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Json<Vec<store::RoleAssignment>>, ApiError> {
    may_manage_users(&me)?;
    let input: RoleRemoval = parse_body(&body)?;
    let user_id = user_id(&id)?;
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
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AccountState {
    active: bool,
    reason: String,
}

/// `POST /api/users/{id}/state`
async fn set_active(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Json<store::User>, ApiError> {
    may_manage_users(&me)?;
    let input: AccountState = parse_body(&body)?;
    let user_id = user_id(&id)?;
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
