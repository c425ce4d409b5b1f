//! The notifications for the viewer's roles in a study (emergency unblindings for the sponsor
//! and the DSMB), newest first, each acknowledged once through the API.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::{error_page, render, Ctx, Viewer};
use crate::access::{require, Operation};
use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::roles_in;

/// The routes of this page.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/studies/{study}/notifications", get(notifications))
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    ctx: Ctx,
    study_id: String,
    rows: Vec<store::Notification>,
}

/// `GET /studies/{study}/notifications`: the notifications for the viewer's roles, newest
/// first, each to acknowledge once.
async fn notifications(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(study): Path<String>,
) -> Response {
    let result = async {
        let scope = require(&viewer.me.roles, &study, Operation::ReadNotifications)?;
        let roles = roles_in(&viewer.me, &study);
        let mut rows = state
            .store
            .notifications_in(&scope, &roles, &viewer.me.actor())
            .await?;
        // Stored in the words of the rules; shown in the page's language.
        if viewer.lang == super::Lang::Zh {
            for n in &mut rows {
                if let Some(zh) = super::i18n_errors::to_chinese(&n.message) {
                    n.message = zh;
                }
            }
        }
        Ok::<_, ApiError>(NotificationsPage {
            ctx: viewer.ctx(Some(&study)),
            study_id: study.clone(),
            rows,
        })
    }
    .await;
    match result {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}
