//! Sessions: signing in and out, the [`CurrentUser`] of a request, lockout and CSRF. The API's
//! `/api/login`, `/api/logout` and `/api/me` (`api/session.rs`) and the login form of the pages
//! come here.
//!
//! - Passwords are argon2id hashes; an unknown name, a wrong password, an inactive and a locked
//!   account give the same answer, after the same work.
//! - A name over 64 characters or a password over 256 is refused before anything is stored; the
//!   audit trail keeps at most an escaped prefix of a name that is no account's.
//! - Failed logins are limited per client address and per submitted name (`throttle`).
//! - Five failed logins in a row lock the account for 15 minutes; its owner is told by e-mail.
//! - The session cookie (`scitrial_session`) is HttpOnly and SameSite=Strict, Secure when the
//!   server runs behind TLS; only the SHA-256 of its token is stored.
//! - A session ends after 30 idle minutes.
//! - Every state-changing request but the login must carry the session's CSRF token in the
//!   `X-CSRF-Token` header.

use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use store::{Actor, LoginAttempt, RoleAssignment, Session, User};
use time::{Duration, OffsetDateTime};

use crate::app::{App, AppState};
use crate::error::{ApiError, FieldProblem};
use crate::throttle::Client;

/// The session cookie's name.
pub const COOKIE_NAME: &str = "scitrial_session";
pub use trial::accounts::{LOCK, MAX_FAILED_LOGINS};
/// Idle time after which a session ends.
pub const IDLE: Duration = Duration::minutes(30);
/// How often a session in use records that it was used (so it may end up to this much earlier
/// than `IDLE` after its last request).
pub const TOUCH_EVERY: Duration = Duration::seconds(30);

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The value of a request's cookie.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_string())
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    cookie(headers, COOKIE_NAME)
}

/// The signed-in user of a request, with their roles.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    /// The account.
    pub user: User,
    /// Its roles.
    pub roles: Vec<RoleAssignment>,
    /// The session's CSRF token.
    pub csrf_token: String,
}

impl CurrentUser {
    /// The user as the audit trail records them.
    pub fn actor(&self) -> Actor {
        Actor::user(&self.user)
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<CurrentUser, ApiError> {
        let signed_out = || ApiError::Unauthorized("sign in first".into());
        let token = cookie_token(&parts.headers).ok_or_else(signed_out)?;
        let hash = token_hash(&token);
        let store::SignedIn {
            session,
            user,
            roles,
        } = state.store.signed_in(&hash).await?.ok_or_else(signed_out)?;
        let now = OffsetDateTime::now_utc();
        let idle = store::parse_instant(&session.last_seen).is_none_or(|seen| now - seen > IDLE);
        if idle {
            state.store.delete_session(&hash).await?;
            return Err(ApiError::Unauthorized(
                "the session ended after 30 idle minutes: sign in again".into(),
            ));
        }
        if !user.active {
            return Err(signed_out());
        }
        if parts.method != Method::GET && parts.method != Method::HEAD {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok());
            if sent != Some(session.csrf_token.as_str()) {
                return Err(ApiError::Forbidden(
                    "missing or wrong X-CSRF-Token header".into(),
                ));
            }
        }
        // The idle clock needs minutes, not milliseconds: a busy session is touched at most
        // once a minute, so that reads do not each cost a durable write.
        let seen = store::parse_instant(&session.last_seen).unwrap_or(now);
        if now - seen > TOUCH_EVERY {
            state
                .store
                .touch_session(&hash, &store::instant(now))
                .await?;
        }
        Ok(CurrentUser {
            user,
            roles,
            csrf_token: session.csrf_token,
        })
    }
}

/// The largest login body taken (the API's JSON, the form of the pages): room for the longest
/// name and password even if every character were written as an escape.
pub const LOGIN_BODY_LIMIT: usize = 16 * 1024;

/// A login request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// The login name.
    pub username: String,
    /// The password.
    pub password: String,
}

/// The signed-in user as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    /// The account.
    pub user: User,
    /// Its roles.
    pub roles: Vec<RoleAssignment>,
    /// The token to send as `X-CSRF-Token` with every state-changing request.
    pub csrf_token: String,
}

/// The answer to signing out.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignedOut {
    /// Always true.
    pub signed_out: bool,
}

/// A real argon2id hash, checked against when a name is unknown so that both answers take as
/// long.
pub(crate) fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| store::password::hash("no one types this password"))
}

/// The answer to every refused login: an unknown name, a wrong password, an inactive or a
/// locked account (the owner of a locked account is told by e-mail).
fn wrong() -> ApiError {
    ApiError::Unauthorized("wrong username or password".into())
}

/// Signs a user in (`POST /api/login` and the login form): the answer carries the session
/// cookie and the signed-in user with the CSRF token.
///
/// In this order: a name or password longer than any account's is refused (400) before
/// anything is stored; an attempt beyond the limits on failed logins of its client address or
/// of its name is refused (429) before the database is read or a password checked; then every
/// refusal gives the same answer after the same work (one password check, one audited write).
pub async fn sign_in(app: &App, client: &Client, login: Login) -> Result<Response, ApiError> {
    let too_long = trial::accounts::check_login(&login.username, &login.password);
    if !too_long.is_empty() {
        return Err(ApiError::Malformed(
            too_long.into_iter().map(FieldProblem::from).collect(),
        ));
    }
    let now = OffsetDateTime::now_utc();
    let name_key = trial::accounts::name_key(&login.username);
    let admitted = app
        .logins
        .admit(&client.key, &name_key, now)
        .map_err(|wait| {
            let retry_after = trial::accounts::retry_after_seconds(wait);
            ApiError::TooManyRequests {
                message: format!(
                    "too many failed logins from this address or with this username: try again \
                     in {retry_after} seconds"
                ),
                retry_after,
            }
        })?;
    // A name no account can have (a NUL, which PostgreSQL cannot even compare) is not looked up.
    let user = if trial::accounts::may_be_username(&login.username) {
        app.store.user_by_name(&login.username).await?
    } else {
        None
    };
    let user = user.filter(|u| u.active);
    // The same work for every answer: one password check (against a real hash of no one's
    // password when the name is unknown), so that names cannot be told apart by timing.
    let stored = user
        .as_ref()
        .map_or_else(|| dummy_hash().to_string(), |u| u.password_hash.clone());
    let password = login.password;
    let right = tokio::task::spawn_blocking(move || store::password::verify(&password, &stored))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let Some(user) = user else {
        let name = trial::accounts::audit_name(&login.username);
        record(app, name, None, false, client, now).await?;
        return Err(wrong());
    };
    let locked_until = user.locked_until.as_deref().and_then(store::parse_instant);
    let locked = trial::accounts::lock_in_force(locked_until, now).is_some();
    let ok = right && !locked;
    record(app, user.username.clone(), Some(user.id), ok, client, now).await?;
    if !ok {
        return Err(wrong());
    }
    app.logins.succeeded(admitted);
    start_session(app, user, now).await
}

/// Records a login attempt (the store sets the lock, and queues its e-mail, when a failure is
/// the last one allowed).
async fn record(
    app: &App,
    username: String,
    user_id: Option<i64>,
    success: bool,
    client: &Client,
    now: OffsetDateTime,
) -> Result<(), ApiError> {
    app.store
        .record_login(&LoginAttempt {
            username,
            user_id,
            success,
            at: store::instant(now),
            from: client.address.clone(),
        })
        .await?;
    Ok(())
}

/// A new session for a user whose password was right: the cookie and the user as the API shows
/// them.
async fn start_session(app: &App, user: User, now: OffsetDateTime) -> Result<Response, ApiError> {
    let token = random_token();
    let session = Session {
        token_hash: token_hash(&token),
        user_id: user.id,
        csrf_token: random_token(),
        created_at: store::instant(now),
        last_seen: store::instant(now),
    };
    app.store.create_session(&session).await?;
    let secure = if app.secure_cookies { "; Secure" } else { "" };
    let cookie = format!("{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Strict{secure}");
    let roles = app.store.roles(user.id).await?;
    let mut response = Json(Me {
        user,
        roles,
        csrf_token: session.csrf_token,
    })
    .into_response();
    response.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    Ok(response)
}

/// Ends the request's session and expires its cookie.
pub async fn sign_out(app: &App, headers: &HeaderMap) -> Result<Response, ApiError> {
    if let Some(token) = cookie_token(headers) {
        app.store.delete_session(&token_hash(&token)).await?;
    }
    let mut response = Json(SignedOut { signed_out: true }).into_response();
    let expired = format!("{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    response.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_str(&expired).map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    Ok(response)
}

impl From<CurrentUser> for Me {
    fn from(me: CurrentUser) -> Me {
        Me {
            user: me.user,
            roles: me.roles,
            csrf_token: me.csrf_token,
        }
    }
}
