//! Signing in and out through the API, and who is signed in. The sessions themselves (cookie,
//! idle limit, lockout, CSRF) are in `auth.rs`, which the login form of the pages uses too.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::on;
use axum::Json;

use crate::app::AppState;
use crate::auth::{self, CurrentUser, Login, Me, SignedOut};
use crate::error::ApiError;
use crate::extract::Body;
use crate::openapi::Endpoint;

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

/// `POST /api/login`
async fn login(
    State(state): State<AppState>,
    Body(login): Body<Login>,
) -> Result<Response, ApiError> {
    auth::sign_in(&state, login).await
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
