//! The laboratory pages. A participant's values (`…/participants/{id}/labs`): each with its
//! range, flag and CTCAE grade, the entry form of the site, and the proposed adverse events
//! the investigator accepts or dismisses. The study's lab page (`/studies/{s}/labs`): a
//! central lab's file previewed and imported, and the normal ranges the data manager loads.
//! Every write goes through the JSON API (`labs.js`). A value carries no arm.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use store::LabResult;
use trial::labs::{catalogue, NormalRange};

use super::{error_page, label, render, Ctx, Lang, Viewer};
use crate::access::{require, scope_for, Operation};
use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::record_id;

/// The routes of these pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/studies/{study}/labs", get(study_labs))
        .route(
            "/studies/{study}/participants/{id}/labs",
            get(participant_labs),
        )
}

/// A test, as a choice.
pub struct TestChoice {
    code: &'static str,
    name: &'static str,
    units: Vec<&'static str>,
}

/// A value as a row.
pub struct Row {
    r: LabResult,
    name: &'static str,
    range: String,
    /// The collection day, the proposed event's onset.
    day: String,
    flag_label: &'static str,
    /// A drug level against the protocol's target range, in words with the range.
    target_label: String,
    proposal_label: &'static str,
    /// The visit's name in the page's language.
    visit: String,
}

fn message(lang: Lang, key: &str) -> &'static str {
    super::i18n::text(lang, key).unwrap_or("")
}

#[derive(Template)]
#[template(path = "labs.html")]
struct ParticipantLabs {
    ctx: Ctx,
    study_id: String,
    participant_id: i64,
    participant: String,
    rows: Vec<Row>,
    may_enter: bool,
    may_decide: bool,
    /// The visits' ids and names in the page's language.
    visits: Vec<(String, String)>,
    tests: Vec<TestChoice>,
    /// Each causality's word and its words.
    causalities: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "labs_study.html")]
struct StudyLabs {
    ctx: Ctx,
    study_id: String,
    may_import: bool,
    may_load: bool,
    ranges: Vec<NormalRange>,
    /// The import file's header row.
    columns: String,
}

fn test_name(lang: Lang, code: &str) -> &'static str {
    catalogue::test(code).map_or("", |t| match lang {
        Lang::En => t.name,
        Lang::Zh => t.name_zh,
    })
}

/// A drug level's place against its target range, with the range (`Below the target range
/// 5–10`); empty without a target.
fn target_label(lang: Lang, labs: &trial::labs::LabsDefinition, r: &LabResult) -> String {
    let (Some(flag), Some(target)) = (r.target, labs.targets.iter().find(|t| t.test == r.test))
    else {
        return String::new();
    };
    format!(
        "{} {}–{}",
        message(lang, &format!("labs.target.{flag}")),
        number(target.low),
        number(target.high)
    )
}

fn number(v: f64) -> String {
    format!("{v}")
}

async fn participant_labs(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((study, id)): Path<(String, String)>,
) -> Response {
    let result = async {
        let me = &viewer.me;
        let scope = require(&me.roles, &study, Operation::ReadParticipants)?;
        let id = record_id(&id)?;
        let definition = state.study(&study)?;
        let participant = state.store.participant(&scope, id).await?;
        let site = participant.site_id.clone();
        let allowed = |op| scope_for(&me.roles, &study, op).is_some_and(|s| s.includes_site(&site));
        let rows = state
            .store
            .lab_results_of(&scope, id)
            .await?
            .into_iter()
            .map(|r| r.against_targets(&definition.labs))
            .map(|r| Row {
                visit: definition
                    .visit(&r.visit_id)
                    .map_or(r.visit_id.clone(), |v| {
                        v.name_in(viewer.lang.zh()).to_string()
                    }),
                name: test_name(viewer.lang, &r.test),
                day: r.collected_at.chars().take(10).collect(),
                flag_label: message(viewer.lang, &format!("labs.flag.{}", r.flag)),
                target_label: target_label(viewer.lang, &definition.labs, &r),
                proposal_label: r.proposal.as_ref().map_or("", |p| {
                    message(viewer.lang, &format!("labs.proposal.{}", p.state))
                }),
                range: match (r.range_low, r.range_high) {
                    (Some(lo), Some(hi)) => format!("{}–{} {}", number(lo), number(hi), r.unit),
                    _ => String::new(),
                },
                r,
            })
            .collect();
        let tests = definition
            .labs
            .test_codes()
            .into_iter()
            .filter_map(catalogue::test)
            .map(|t| TestChoice {
                code: t.code,
                name: test_name(viewer.lang, t.code),
                units: t.units(),
            })
            .collect();
        Ok::<_, ApiError>(ParticipantLabs {
            ctx: viewer.ctx(Some(&study)),
            study_id: study.clone(),
            participant_id: id,
            participant: label(&participant),
            rows,
            may_enter: allowed(Operation::EnterData),
            may_decide: allowed(Operation::DecideLabProposal),
            visits: definition
                .visits
                .iter()
                .map(|v| (v.id.clone(), v.name_in(viewer.lang.zh()).to_string()))
                .collect(),
            tests,
            causalities: trial::safety::Causality::ALL
                .iter()
                .map(|c| {
                    let key = format!("sc.causality.{c}");
                    (c.as_str(), message(viewer.lang, &key))
                })
                .collect(),
        })
    }
    .await;
    match result {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}

async fn study_labs(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(study): Path<String>,
) -> Response {
    let result = async {
        let me = &viewer.me;
        require(&me.roles, &study, Operation::ReadParticipants)?;
        state.study(&study)?;
        Ok::<_, ApiError>(StudyLabs {
            ctx: viewer.ctx(Some(&study)),
            study_id: study.clone(),
            may_import: scope_for(&me.roles, &study, Operation::ImportLabs).is_some(),
            may_load: scope_for(&me.roles, &study, Operation::ManageLabRanges).is_some(),
            ranges: state.store.lab_ranges(&study).await?,
            columns: trial::labs::import::IMPORT_COLUMNS.join(","),
        })
    }
    .await;
    match result {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}
