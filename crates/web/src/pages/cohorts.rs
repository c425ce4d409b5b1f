//! The Phase I cohort page: each dose level with its dose, participants, DLT windows (from the
//! doses given, the planned one while none is; with the days left), DLT assessments (a link to
//! each participant's DLT page, where the investigator signs), and the 3+3 rule's decision;
//! the level enrolling now and the MTD; the enrolled participants still without a dose level,
//! each given the level the rule enrols at now, or by the sponsor's override with a reason and
//! a signature (password). Writes are sent by `journey.js` to the JSON API. Open-label: in a
//! blinded dose escalation, the page is for unblinded viewers only, as the API's cohort view is.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use trial::ParticipantStatus;

use super::{encode, error_page, label, render, Ctx, Viewer};
use crate::access::{require, scope_for, Operation};
use crate::app::AppState;
use crate::blinding::unblinded;
use crate::error::ApiError;

/// The routes of this page.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/studies/{study}/cohorts", get(cohorts))
}

/// A participant at a level.
pub struct Member {
    id: i64,
    label: String,
    assigned_at: String,
    /// The participant's site's time zone.
    zone: String,
    overridden: bool,
    /// `yes`, `no` or `pending`.
    dlt: &'static str,
    dlt_key: &'static str,
    /// The DLT window, `from – to`.
    window: String,
    /// Whether it runs from the doses given (else it is the planned one: none given yet).
    window_given: bool,
    /// Days left in the window (none once it is over or unknown).
    days_left: Option<i64>,
    dlt_page: String,
}

/// A dose level.
pub struct LevelLine {
    id: String,
    name: String,
    cells: String,
    schedule: String,
    assigned: u32,
    evaluable: u32,
    dlts: u32,
    decision: &'static str,
    enrolling: bool,
    members: Vec<Member>,
}

/// An enrolled participant without a dose level.
pub struct Waiting {
    id: i64,
    label: String,
    api: String,
}

#[derive(Template)]
#[template(path = "cohorts.html")]
struct CohortPage {
    ctx: Ctx,
    study_id: String,
    window_days: u32,
    levels: Vec<LevelLine>,
    enrolling: Option<String>,
    target: u32,
    open: bool,
    mtd: Option<String>,
    waiting: Vec<Waiting>,
    may_assign: bool,
    may_override: bool,
    /// Every level's id and name, for the override.
    level_choices: Vec<(String, String)>,
}

/// `GET /studies/{study}/cohorts`
async fn cohorts(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(study): Path<String>,
) -> Response {
    match cohort_page(&state, &viewer, &study).await {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}

async fn cohort_page(
    state: &AppState,
    viewer: &Viewer,
    study_id: &str,
) -> Result<CohortPage, ApiError> {
    let me = &viewer.me;
    let scope = require(&me.roles, study_id, Operation::ReadParticipants)?;
    let study = state.study(study_id)?;
    if study.dose_levels.is_empty() {
        return Err(ApiError::NotFound(format!(
            "{study_id} has no dose escalation"
        )));
    }
    if !unblinded(me, study) {
        return Err(ApiError::Forbidden(format!(
            "the dose cohorts of {study_id} are for unblinded roles only"
        )));
    }
    let today = time::OffsetDateTime::now_utc().date();
    let participants = state.store.participants(&scope).await?;
    let doses = state.store.doses(&scope).await?;
    // The dates of the doses given, by participant: each DLT window runs from them, and is the
    // planned one only while none was given.
    let mut given: std::collections::BTreeMap<i64, Vec<time::Date>> = Default::default();
    for e in state.store.exposure(&scope, None).await? {
        if let Some(on) = store::parse_date(&e.dosed_on) {
            given.entry(e.participant_id).or_default().push(on);
        }
    }
    let counts = state.store.cohort_counts(study).await?;
    let rule = trial::three_plus_three(
        &counts
            .iter()
            .map(|c| (c.evaluable, c.dlts))
            .collect::<Vec<_>>(),
    );
    let opening = trial::opening(&counts);
    let enrolling = opening.level.and_then(|i| study.dose_levels.get(i));
    let levels = study
        .dose_levels
        .iter()
        .zip(&counts)
        .zip(&rule.decisions)
        .map(|((l, c), d)| LevelLine {
            members: doses
                .iter()
                .filter(|(a, _)| a.level_id == l.id)
                .map(|(a, dlt)| {
                    let p = participants.iter().find(|p| p.id == a.participant_id);
                    let dates = given.get(&a.participant_id).map_or(&[][..], Vec::as_slice);
                    let window = trial::escalation::dlt_window_given(
                        study,
                        &a.level_id,
                        p.and_then(|p| p.anchor_date.as_deref()),
                        dates,
                    )
                    .ok();
                    let (state, key) = match dlt {
                        Some(x) if x.dlt => ("yes", "coh.dlt_yes"),
                        Some(_) => ("no", "coh.dlt_no"),
                        None => ("pending", "coh.dlt_pending"),
                    };
                    Member {
                        id: a.participant_id,
                        label: p.map_or(a.participant_id.to_string(), label),
                        assigned_at: a.assigned_at.clone(),
                        zone: p
                            .and_then(|p| study.site(&p.site_id))
                            .map_or("UTC".to_string(), |s| s.time_zone.clone()),
                        overridden: a.override_reason.is_some(),
                        dlt: state,
                        dlt_key: key,
                        window: window.map_or(String::new(), |(f, t)| format!("{f} – {t}")),
                        window_given: !dates.is_empty(),
                        days_left: window
                            .filter(|(_, to)| dlt.is_none() && *to >= today)
                            .map(|(_, to)| (to - today).whole_days()),
                        dlt_page: format!(
                            "/studies/{}/participants/{}/dlt",
                            encode(study_id),
                            a.participant_id
                        ),
                    }
                })
                .collect(),
            enrolling: enrolling.is_some_and(|e| e.id == l.id),
            id: l.id.clone(),
            name: l.name_in(viewer.lang.zh()).to_string(),
            cells: cells_text(l.cells),
            schedule: super::i18n::text(viewer.lang, &format!("coh.schedule.{}", l.schedule))
                .map_or_else(|| l.schedule.to_string(), str::to_string),
            assigned: c.assigned,
            evaluable: c.evaluable,
            dlts: c.dlts,
            decision: d.as_str(),
        })
        .collect();
    let waiting = participants
        .iter()
        .filter(|p| p.status == ParticipantStatus::Enrolled)
        .filter(|p| !doses.iter().any(|(a, _)| a.participant_id == p.id))
        .map(|p| Waiting {
            id: p.id,
            label: label(p),
            api: format!(
                "/api/studies/{}/participants/{}/dose-level",
                encode(study_id),
                p.id
            ),
        })
        .collect();
    Ok(CohortPage {
        ctx: viewer.ctx(Some(study_id)),
        study_id: study_id.to_string(),
        window_days: study.dlt_window_days.unwrap_or(28),
        levels,
        enrolling: enrolling.map(|l| l.name_in(viewer.lang.zh()).to_string()),
        target: opening.target,
        open: opening.open,
        mtd: rule
            .mtd
            .and_then(|i| study.dose_levels.get(i))
            .map(|l| l.name_in(viewer.lang.zh()).to_string()),
        waiting,
        may_assign: scope_for(&me.roles, study_id, Operation::AssignDose).is_some(),
        may_override: scope_for(&me.roles, study_id, Operation::OverrideDose).is_some(),
        level_choices: study
            .dose_levels
            .iter()
            .map(|l| (l.id.clone(), l.name_in(viewer.lang.zh()).to_string()))
            .collect(),
    })
}

/// A cell count in words of the dose levels: `5 × 10^7`, `1.5 × 10^8`.
fn cells_text(cells: f64) -> String {
    if !cells.is_finite() || cells <= 0.0 {
        return cells.to_string();
    }
    let exp = cells.log10().floor();
    let mantissa = (cells / 10f64.powf(exp) * 100.0).round() / 100.0;
    format!("{mantissa} × 10^{exp}")
}
