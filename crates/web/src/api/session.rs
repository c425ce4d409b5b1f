//! Signing in and out through the API, and who is signed in. The sessions themselves (cookie,
//! idle limit, lockout, limits on failed logins, CSRF) are in `auth.rs`, which the login form
//! of the pages uses too.

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::on;
use axum::Json;

use crate::app::AppState;
use crate::auth::{self, CurrentUser, Login, Me, SignedOut, LOGIN_BODY_LIMIT};
use crate::error::ApiError;
use crate::extract::{parse_body, JsonBody};
use crate::openapi::Endpoint;
use crate::throttle::Client;

/// The operations of this feature.
pub(crate) const OPERATIONS: &[Endpoint] = &[
    Endpoint::post(
        "/api/login",
        "login",
        "Sign in; sets the session cookie and returns the CSRF token",
        |m| on(m, login),
    )
    .body::<Login>()
    .returns::<Me>()
    .public(),
    Endpoint::post("/api/logout", "logout", "Sign out", |m| on(m, logout)).returns::<SignedOut>(),
    Endpoint::get(
        "/api/me",
        "me",
        "The signed-in user, roles and CSRF token",
        |m| on(m, me),
    )
    .returns::<Me>(),
];

/// `POST /api/login`: the body is read up to [`LOGIN_BODY_LIMIT`]; a larger one is refused
/// (413, naming the body and its limit) without being read further.
async fn login(
    State(state): State<AppState>,
    client: Client,
    request: Request,
) -> Result<Response, ApiError> {
    let body = JsonBody::read(request, LOGIN_BODY_LIMIT).await?;
    let login: Login = parse_body(&body)?;
    auth::sign_in(&state, &client, login).await
}

/// `POST /api/logout`
async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    _me: CurrentUser,
) -> Result<Response, ApiError> {
    auth::sign_out(&state, &headers).await
}

/// `GET /api/me`
async fn me(me: CurrentUser) -> Json<Me> {
    Json(Me::from(me))
}
