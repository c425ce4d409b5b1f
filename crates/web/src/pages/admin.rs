//! The study's accounts, for the sponsor administrator: the accounts that hold a role in the
//! study, with those roles (per site for site roles), and the accounts that hold no role in
//! any study yet (a new account, waiting for its first role); an account whose roles are all in
//! other studies is another study's business and is not listed. (There is no system-wide
//! administrator in the pages: the operator manages accounts with `scitrial users add`.) The
//! forms that add an account (with its e-mail), give
//! and take away a role, and deactivate or reactivate an account, each through the JSON API
//! (`/api/users…`) with its reason.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use trial::Role;

use super::{error_page, render, Ctx, Lang, Viewer};
use crate::access::{require, Operation};
use crate::app::AppState;
use crate::error::ApiError;

/// The routes of this page.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/studies/{study}/users", get(users))
}

/// A role held in the study, as shown, with what its removal posts.
pub struct RoleLine {
    role: &'static str,
    label: String,
    site: Option<String>,
}

/// An account as shown.
pub struct UserRow {
    id: i64,
    username: String,
    full_name: String,
    email: String,
    active: bool,
    locked: bool,
    roles: Vec<RoleLine>,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    ctx: Ctx,
    study_id: String,
    users: Vec<UserRow>,
    /// Every role: (name, label, site-scoped).
    roles: Vec<(&'static str, String, bool)>,
    sites: Vec<(String, String)>,
    me: i64,
}

fn role_label(lang: Lang, role: Role) -> String {
    match lang {
        Lang::En => role.label(),
        Lang::Zh => role.label_zh(),
    }
    .to_string()
}

/// `GET /studies/{study}/users`
async fn users(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(study): Path<String>,
) -> Response {
    let result = async {
        require(&viewer.me.roles, &study, Operation::ManageUsers)?;
        let definition = state.study(&study)?;
        let mut users = Vec::new();
        let mut emails = state.store.user_emails().await?;
        for u in state.store.users().await? {
            let held = state.store.roles(u.id).await?;
            let listed = held.is_empty() || held.iter().any(|r| r.study_id == study);
            if !listed {
                continue;
            }
            let roles = held
                .into_iter()
                .filter(|r| r.study_id == study)
                .map(|r| RoleLine {
                    role: r.role.as_str(),
                    label: role_label(viewer.lang, r.role),
                    site: r.site_id,
                })
                .collect();
            users.push(UserRow {
                id: u.id,
                username: u.username,
                full_name: u.full_name,
                email: emails.remove(&u.id).unwrap_or_default(),
                active: u.active,
                locked: u.locked_until.is_some(),
                roles,
            });
        }
        Ok::<_, ApiError>(UsersPage {
            ctx: viewer.ctx(Some(&study)),
            study_id: study.clone(),
            users,
            roles: Role::ALL
                .iter()
                .map(|r| (r.as_str(), role_label(viewer.lang, *r), r.is_site_scoped()))
                .collect(),
            sites: definition
                .sites
                .iter()
                .map(|s| (s.id.clone(), s.name_in(viewer.lang.zh()).to_string()))
                .collect(),
            me: viewer.me.user.id,
        })
    }
    .await;
    match result {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}
