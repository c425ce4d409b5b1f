//! Passwords: the signed-in user changes their own (the current one re-entered; their other
//! sessions end), and anyone may ask for a reset by e-mail: a single-use link that expires in
//! an hour, sent through the outbox to the account's owner, whose page sets a new password.
//! The request answers the same whether or not the account exists.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::on;
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::{self, CurrentUser};
use crate::error::{ApiError, FieldProblem};
use crate::extract::{parse_body, JsonBody};
use crate::openapi::Endpoint;
use crate::throttle::Client;

/// How long a reset link holds.
pub const RESET_VALID: time::Duration = time::Duration::hours(1);

/// The operations of this feature.
pub(crate) const OPERATIONS: &[Endpoint] = &[
    Endpoint::post(
        "/api/me/password",
        "changePassword",
        "Change your own password (the current one re-entered); your other sessions end",
        |m| on(m, change_password),
    )
    .body::<PasswordChange>()
    .returns::<Done>(),
    Endpoint::post(
        "/api/password-reset",
        "requestPasswordReset",
        "Ask for a password reset link by e-mail (the same answer for any username)",
        |m| on(m, request_reset),
    )
    .body::<ResetAsked>()
    .accepts::<Done>()
    .public(),
    Endpoint::post(
        "/api/password-reset/confirm",
        "resetPassword",
        "Set a new password with the token of a reset link (once, before it expires)",
        |m| on(m, reset),
    )
    .body::<ResetConfirmed>()
    .returns::<Done>()
    .public(),
];

/// A password change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// A reset asked for.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ResetAsked {
    username: String,
}

/// A new password with a reset token.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ResetConfirmed {
    token: String,
    new_password: String,
}

/// What was done.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Done {
    /// In words.
    status: String,
}

fn done(status: &str) -> Json<Done> {
    Json(Done {
        status: status.to_string(),
    })
}

async fn hash(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || store::password::hash(&password))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))
}

fn check_new(password: &str) -> Result<(), ApiError> {
    trial::accounts::check_new_password(password).map_err(|r| {
        let mut p = FieldProblem::from(r);
        p.field = "new_password".into();
        ApiError::Invalid(vec![p])
    })
}

/// `POST /api/me/password`
async fn change_password(
    State(state): State<AppState>,
    me: CurrentUser,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Json<Done>, ApiError> {
    let input: PasswordChange = parse_body(&body)?;
    let stored = me.user.password_hash.clone();
    let current = input.current_password;
    let right = tokio::task::spawn_blocking(move || store::password::verify(&current, &stored))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    if !right {
        return Err(ApiError::field(
            "current_password",
            "is not your current password",
        ));
    }
    check_new(&input.new_password)?;
    let keep = auth::cookie(&headers, auth::COOKIE_NAME).map(|t| auth::token_hash(&t));
    state
        .store
        .set_password(
            me.user.id,
            &hash(input.new_password).await?,
            keep.as_deref(),
            &me.actor(),
        )
        .await?;
    Ok(done("changed"))
}

/// A fresh random token for a reset link.
fn new_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// `POST /api/password-reset`: every request counts against the limits that failed logins
/// have (per client address and per name, in keys of their own), so that no one fills an
/// owner's mailbox; over them, 429 with `Retry-After`.
async fn request_reset(
    State(state): State<AppState>,
    client: Client,
    body: JsonBody,
) -> Result<(StatusCode, Json<Done>), ApiError> {
    let input: ResetAsked = parse_body(&body)?;
    let username = input.username.trim();
    if username.is_empty() || username.len() > 200 {
        return Err(ApiError::field("username", "is required"));
    }
    let now = time::OffsetDateTime::now_utc();
    state
        .logins
        .admit(
            &format!("reset:{}", client.key),
            &format!("reset:{}", username.to_lowercase()),
            now,
        )
        .map_err(|wait| {
            let retry_after = trial::accounts::retry_after_seconds(wait);
            ApiError::TooManyRequests {
                message: format!(
                    "too many password resets asked for from this address or for this \
                     username: try again in {retry_after} seconds"
                ),
                retry_after,
            }
        })?;
    let token = new_token();
    let expires = now + RESET_VALID;
    let path = format!("/password-reset/confirm?token={token}");
    let link = match &state.public_url {
        Some(base) => format!("{}{path}", base.trim_end_matches('/')),
        None => path,
    };
    let body = format!(
        "Someone asked to reset the password of the scitrial account {username}.\n\n\
         To choose a new password, open this link within an hour (it works once):\n\n{link}\n\n\
         If it was not you, ignore this message: your password stays as it is.\n\n\
         有人申请重置 scitrial 账户 {username} 的密码。请在一小时内打开上面的链接设置新密码\
         （仅可使用一次）；如非本人操作，请忽略本邮件。\n"
    );
    let request = store::ResetRequest {
        username: username.to_string(),
        token_hash: store::reset_token_hash(&token),
        expires_at: store::instant(expires),
        subject: "scitrial: reset your password / 重置密码".into(),
        body,
    };
    state.store.request_password_reset(&request).await?;
    Ok((StatusCode::ACCEPTED, done("sent if the account exists")))
}

/// `POST /api/password-reset/confirm`
async fn reset(State(state): State<AppState>, body: JsonBody) -> Result<Json<Done>, ApiError> {
    let input: ResetConfirmed = parse_body(&body)?;
    check_new(&input.new_password)?;
    let token_hash = store::reset_token_hash(input.token.trim());
    state
        .store
        .reset_password(&token_hash, &hash(input.new_password).await?)
        .await?;
    Ok(done("reset"))
}
