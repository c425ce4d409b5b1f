//! The password pages: `/account` (the signed-in user changes their password, the current one
//! re-entered), `/password-reset` (anyone asks for a reset link by e-mail) and
//! `/password-reset/confirm?token=` (the link's page, which sets a new password). Each form
//! posts to the JSON API (`account.js`).

use askama::Template;
use axum::extract::Query;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::{encode, render, Ctx, Lang, Viewer, LANG_COOKIE};
use crate::app::AppState;
use crate::auth::cookie;

/// The routes of these pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/account", get(account))
        .route("/password-reset", get(ask))
        .route("/password-reset/confirm", get(confirm))
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    ctx: Ctx,
    username: String,
}

#[derive(Template)]
#[template(path = "password_reset.html")]
struct ResetPage {
    ctx: Ctx,
    /// The token of the link, on the page that sets the new password.
    token: Option<String>,
}

/// `GET /account`
async fn account(viewer: Viewer) -> Response {
    let page = AccountPage {
        ctx: viewer.ctx(None),
        username: viewer.me.user.username.clone(),
    };
    render(viewer.lang, &page)
}

fn lang_of(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(|c| Lang::parse(&c))
        .unwrap_or(Lang::En)
}

/// `GET /password-reset`
async fn ask(headers: HeaderMap) -> Response {
    let lang = lang_of(&headers);
    let page = ResetPage {
        ctx: Ctx::new(lang, "/password-reset"),
        token: None,
    };
    render(lang, &page)
}

/// The token of a reset link.
#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// `GET /password-reset/confirm?token=`
async fn confirm(headers: HeaderMap, Query(q): Query<TokenQuery>) -> Response {
    let lang = lang_of(&headers);
    let page = ResetPage {
        ctx: Ctx::new(
            lang,
            &format!("/password-reset/confirm?token={}", encode(&q.token)),
        ),
        token: Some(q.token),
    };
    render(lang, &page)
}
