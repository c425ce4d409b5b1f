//! The randomisation list of a randomised study (`/studies/{study}/randomisation`): whether the
//! concealed list exists, how it was made, who generated it and when, and how many
//! participants were randomised, dispensed and unblinded in an emergency. The counts per arm
//! are shown to unblinded viewers only. The DSMB statistician generates the list here, once,
//! from a seed they give or one drawn for them; the answer shows the seed once (`journey.js`),
//! to be kept with the statistician's records. Every write goes through the JSON API.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use store::Scope;

use super::{encode, error_page, render, Ctx, Viewer};
use crate::access::{require, Operation};
use crate::app::AppState;
use crate::blinding::unblinded;
use crate::error::ApiError;

/// The routes of these pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/studies/{study}/randomisation", get(randomisation))
}

/// The list as generated, and the message key of its method.
pub struct ListLine {
    method_key: &'static str,
    l: store::RandomisationList,
}

#[derive(Template)]
#[template(path = "randomisation.html")]
struct RandomisationPage {
    ctx: Ctx,
    study_id: String,
    /// The list, once generated.
    list: Option<ListLine>,
    /// Each arm's name and how many were allocated to it (unblinded viewers only).
    arms: Vec<(String, usize)>,
    /// The form, for an unblinded DSMB statistician while no list exists.
    generate: bool,
    /// Participants already enrolled: a list generated now needs a reason.
    late: bool,
    /// The defaults: slots per stratum and kits.
    per_stratum: u32,
    kits: u32,
    api: String,
}

/// The message key of a method of randomisation.
fn method_key(method: &str) -> &'static str {
    match method {
        "minimisation" => "rand.minimisation",
        _ => "rand.permuted_blocks",
    }
}

/// `GET /studies/{study}/randomisation`
async fn randomisation(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(study_id): Path<String>,
) -> Response {
    match page(&state, &viewer, &study_id).await {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    study_id: &str,
) -> Result<RandomisationPage, ApiError> {
    let me = &viewer.me;
    require(&me.roles, study_id, Operation::ReadParticipants)?;
    let study = state.study(study_id)?;
    if study.randomisation.is_none() {
        return Err(ApiError::NotFound(format!(
            "study {study_id} is not randomised"
        )));
    }
    let list = state.store.randomisation_list(study_id).await?;
    let sees_arms = unblinded(me, study);
    let whole = Scope::Study(study_id.to_string());
    let arms = if sees_arms && list.is_some() {
        let all = state.store.allocations(&whole).await?;
        study
            .arms
            .iter()
            .map(|arm| {
                let n = all.iter().filter(|a| a.arm_id == arm.id).count();
                (arm.name_in(viewer.lang.zh()).to_string(), n)
            })
            .collect()
    } else {
        Vec::new()
    };
    let generate = list.is_none()
        && sees_arms
        && require(&me.roles, study_id, Operation::GenerateRandomisation).is_ok();
    let late = generate
        && state
            .store
            .participants(&whole)
            .await?
            .iter()
            .any(|p| p.enrolled_on.is_some());
    let target = study.target_enrolment.max(1);
    Ok(RandomisationPage {
        ctx: viewer.ctx(Some(study_id)),
        study_id: study_id.to_string(),
        list: list.map(|l| ListLine {
            method_key: method_key(&l.method),
            l,
        }),
        arms,
        generate,
        late,
        per_stratum: target,
        kits: 2 * target,
        api: format!("/api/studies/{}/randomisation", encode(study_id)),
    })
}
