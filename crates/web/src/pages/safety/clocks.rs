//! The study's safety page (every open reporting clock, overdue first) and the case page of a
//! serious adverse event: the event, the investigator's and the sponsor's assessments side by
//! side, the SUSAR classification, its clocks and reports; the safety physician's assessment
//! form; for pharmacovigilance, the arm of a SUSAR (shown by the same rule as the API,
//! `trial::safety::case_shows_arm`, and audited) and the form to record a submitted report.
//! Writes go through the JSON API.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use store::{ClockRecord, SafetyCase, Scope};
use time::OffsetDateTime;
use trial::safety::{case_shows_arm, Authority, Causality, Expectedness, ReportKind};
use trial::Role;

use crate::access::{require, scope_for, Operation};
use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::roles_in;
use crate::pages::i18n::{text, Lang};
use crate::pages::{error_page, render, Ctx, Viewer};

/// The routes of these pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/studies/{study}/safety", get(clocks_page))
        .route("/studies/{study}/safety/cases/{ae}", get(case_page))
}

/// A word of the table in the viewer's language (the word itself when it has none).
fn word(lang: Lang, prefix: &str, value: &str) -> String {
    text(lang, &format!("{prefix}.{value}"))
        .unwrap_or(value)
        .to_string()
}

/// A clock as a row of the page.
struct ClockRow {
    ae_id: i64,
    participant_id: i64,
    participant: String,
    term: String,
    kind: String,
    due: String,
    days_left: i64,
    overdue: bool,
    awaiting: String,
    /// The site's clock: answered by the site's report to the sponsor.
    site_report: bool,
}

impl ClockRow {
    fn of(lang: Lang, c: &ClockRecord) -> ClockRow {
        ClockRow {
            ae_id: c.ae_id,
            participant_id: c.participant_id,
            participant: c.participant.clone(),
            term: c.term.clone(),
            kind: word(lang, "sc.kind", c.kind.as_str()),
            due: c.due.clone(),
            days_left: c.days_left,
            overdue: c.overdue,
            site_report: c.kind == trial::safety::ClockKind::SiteReport,
            awaiting: c
                .awaiting
                .iter()
                .map(|a| word(lang, "sc.authority", a.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

#[derive(Template)]
#[template(path = "safety_clocks.html")]
struct ClocksPage {
    ctx: Ctx,
    study_id: String,
    rows: Vec<ClockRow>,
    /// Whether the viewer may open a case (else the row links to the participant).
    opens_cases: bool,
    /// Whether the viewer reports serious events to the sponsor (the site).
    reports_sae: bool,
}

/// `GET /studies/{study}/safety`
async fn clocks_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(study_id): Path<String>,
) -> Response {
    let result = async {
        let scope = require(&viewer.me.roles, &study_id, Operation::ReadSafetyClocks)?;
        let study = state.study(&study_id)?;
        let site_only = matches!(scope, Scope::Sites { .. });
        let clocks = state
            .store
            .safety_clocks(study, &scope, site_only, OffsetDateTime::now_utc())
            .await?;
        Ok::<_, ApiError>(ClocksPage {
            ctx: viewer.ctx(Some(&study_id)),
            rows: clocks
                .iter()
                .map(|c| ClockRow::of(viewer.lang, c))
                .collect(),
            opens_cases: scope_for(&viewer.me.roles, &study_id, Operation::ReadSafetyCase)
                .is_some(),
            reports_sae: scope_for(&viewer.me.roles, &study_id, Operation::ReportSae).is_some(),
            study_id,
        })
    }
    .await;
    match result {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}

/// One line of the assessments side by side.
struct Compared {
    what: String,
    investigator: String,
    sponsor: String,
}

/// A report as a row.
struct ReportRow {
    authority: String,
    kind: String,
    version: i64,
    submitted_at: String,
    recorded_by: String,
}

/// A choice of a form: value and label.
struct Choice {
    value: &'static str,
    label: String,
}

#[derive(Template)]
#[template(path = "safety_case.html")]
struct CasePage {
    ctx: Ctx,
    study_id: String,
    case: SafetyCase,
    seriousness: String,
    compared: Vec<Compared>,
    susar: bool,
    clocks: Vec<ClockRow>,
    reports: Vec<ReportRow>,
    arm: Option<String>,
    assesses: bool,
    reports_cases: bool,
    causalities: Vec<Choice>,
    expectednesses: Vec<Choice>,
    /// The choices shown first: the sponsor's, else the investigator's and the reference's.
    current_causality: &'static str,
    current_expectedness: &'static str,
    authorities: Vec<Choice>,
    kinds: Vec<Choice>,
}

#[derive(Debug, Deserialize)]
struct CasePath {
    study: String,
    ae: String,
}

/// `GET /studies/{study}/safety/cases/{ae}`
async fn case_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(CasePath {
        study: study_id,
        ae,
    }): Path<CasePath>,
) -> Response {
    let lang = viewer.lang;
    let result = async {
        let scope = require(&viewer.me.roles, &study_id, Operation::ReadSafetyCase)?;
        let study = state.study(&study_id)?;
        let ae: i64 = ae
            .parse()
            .map_err(|_| ApiError::NotFound(format!("adverse event {ae} not found")))?;
        let case = state
            .store
            .safety_case(study, &scope, ae, OffsetDateTime::now_utc())
            .await?;
        let roles = roles_in(&viewer.me, &study_id);
        let susar = case.classification.susar;
        let mut arm = None;
        if case_shows_arm(study, &roles, susar) {
            if let Some(id) = state
                .store
                .reveal_case_arm(study, &scope, ae, &viewer.me.actor())
                .await?
            {
                arm = Some(
                    study
                        .arms
                        .iter()
                        .find(|a| a.id == id)
                        .map_or(id.clone(), |a| format!("{} ({id})", a.name_in(lang.zh()))),
                );
            }
        }
        let event = &case.event.event;
        let yes_no = |b: bool| word(lang, "sc.yes_no", if b { "yes" } else { "no" });
        let sponsor = case.sponsor.as_ref();
        let none = || word(lang, "sc", "not_assessed");
        let compared = vec![
            Compared {
                what: word(lang, "sc", "causality"),
                investigator: word(lang, "sc.causality", event.causality_product.as_str()),
                sponsor: sponsor
                    .map_or_else(none, |s| word(lang, "sc.causality", s.causality.as_str())),
            },
            Compared {
                what: word(lang, "sc", "expectedness"),
                investigator: word(
                    lang,
                    "sc.expectedness",
                    study.safety.expectedness(&event.term).as_str(),
                ),
                sponsor: sponsor.map_or_else(none, |s| {
                    word(lang, "sc.expectedness", s.expectedness.as_str())
                }),
            },
            Compared {
                what: word(lang, "sc", "related"),
                investigator: yes_no(case.classification.related_by_investigator),
                sponsor: case
                    .classification
                    .related_by_sponsor
                    .map_or_else(none, yes_no),
            },
        ];
        let choices = |prefix: &str, values: Vec<&'static str>| -> Vec<Choice> {
            values
                .into_iter()
                .map(|value| Choice {
                    value,
                    label: word(lang, prefix, value),
                })
                .collect()
        };
        let current_causality = sponsor
            .map_or(event.causality_product, |s| s.causality)
            .as_str();
        let current_expectedness = sponsor
            .map_or(study.safety.expectedness(&event.term), |s| s.expectedness)
            .as_str();
        Ok::<_, ApiError>(CasePage {
            ctx: viewer.ctx(Some(&study_id)),
            current_causality,
            current_expectedness,
            seriousness: event
                .seriousness
                .iter()
                .map(|s| word(lang, "sc.serious", s.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
            compared,
            susar,
            clocks: case.clocks.iter().map(|c| ClockRow::of(lang, c)).collect(),
            reports: case
                .reports
                .iter()
                .map(|r| ReportRow {
                    authority: word(lang, "sc.authority", r.authority.as_str()),
                    kind: word(lang, "sc.report", r.kind.as_str()),
                    version: r.version,
                    submitted_at: r.submitted_at.clone(),
                    recorded_by: r.recorded_by.clone(),
                })
                .collect(),
            arm,
            assesses: roles.contains(&Role::SafetyPhysician),
            reports_cases: roles.contains(&Role::Pharmacovigilance),
            causalities: choices(
                "sc.causality",
                Causality::ALL.iter().map(|c| c.as_str()).collect(),
            ),
            expectednesses: choices(
                "sc.expectedness",
                Expectedness::ALL.iter().map(|e| e.as_str()).collect(),
            ),
            authorities: choices(
                "sc.authority",
                Authority::ALL.iter().map(|a| a.as_str()).collect(),
            ),
            kinds: choices(
                "sc.report",
                ReportKind::ALL.iter().map(|k| k.as_str()).collect(),
            ),
            case,
            study_id,
        })
    }
    .await;
    match result {
        Ok(page) => render(lang, &page),
        Err(e) => error_page(lang, e),
    }
}
