//! The DSMB's page (the safety tables by arm or dose level for callers who see them, pooled
//! for everyone else, with the laboratory values' worst grades and shifts from baseline
//! grouped alike; the stopping rules that fired; the decisions, and the signed decision
//! form for a DSMB member) and a Phase I participant's DLT page (the candidates the DLT
//! criteria propose, each confirmed by the investigator's signed assessment). Writes go through
//! the JSON API.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use store::{DltAssessment, StoppingRuleFiring, TableGrouping, UNASSIGNED};
use trial::labs::tables::SHIFT_CLASSES;
use trial::labs::LabTables;
use trial::safety::{DltCandidate, DsmbOutcome, SafetyTables, POOLED};
use trial::Study;

use crate::access::{require, scope_for, Operation};
use crate::app::AppState;
use crate::blinding::{safety_grouping, unblinded};
use crate::error::ApiError;
use crate::extract::record_id;
use crate::pages::{error_page, render, Ctx, Viewer};

/// The routes of these pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/studies/{study}/safety/dsmb", get(dsmb))
        .route("/studies/{study}/participants/{id}/dlt", get(dlt))
}

/// One line of the summary table: a measure and its count per group.
struct SummaryLine {
    key: &'static str,
    counts: Vec<u32>,
}

/// One term's line: per group, participants with the term and their worst grades.
struct TermLine {
    soc: String,
    term: String,
    cells: Vec<String>,
}

/// The laboratory tables as the page shows them: per group the participants by worst grade
/// of any lab term (none, 1 to 4), per term and group the participants by worst grade, and
/// per test the shifts (rows the baseline class, per group the class after it).
struct LabLines {
    worst: Vec<[u32; 5]>,
    terms: Vec<(String, Vec<String>)>,
    /// Per test, its three rows.
    shifts: Vec<(String, Vec<ShiftLine>)>,
}

/// One row of a test's shifts: the baseline class, its name, and per group the participants
/// by the class after the baseline.
struct ShiftLine {
    class: &'static str,
    name: &'static str,
    counts: Vec<[u32; 3]>,
}

/// A shift class's name in the page's language (the lab pages' flag names).
fn class_name(ctx: &Ctx, class: &str) -> &'static str {
    crate::pages::i18n::text(ctx.t.0, &format!("labs.flag.{class}")).unwrap_or("")
}

impl LabLines {
    fn of(ctx: &Ctx, tables: &LabTables) -> LabLines {
        let cell = |grades: &[u32; 4]| grade_cell(grades.iter().sum(), grades);
        LabLines {
            worst: tables.groups.iter().map(|g| g.by_worst_grade).collect(),
            terms: tables
                .grades
                .iter()
                .map(|row| {
                    (
                        row.term.clone(),
                        row.by_worst_grade.iter().map(cell).collect(),
                    )
                })
                .collect(),
            shifts: tables
                .shifts
                .iter()
                .map(|row| {
                    let lines = SHIFT_CLASSES
                        .iter()
                        .enumerate()
                        .map(|(from, &class)| ShiftLine {
                            class,
                            name: class_name(ctx, class),
                            counts: row.shifts.iter().map(|g| g[from]).collect(),
                        })
                        .collect();
                    (row.test.clone(), lines)
                })
                .collect(),
        }
    }
}

/// A firing as the page shows it.
struct FiringLine {
    firing: StoppingRuleFiring,
    holding: bool,
}

/// A decision as the page shows it (the rationale only for callers who see arms).
struct DecisionLine {
    rule_id: String,
    outcome: String,
    rationale: Option<String>,
    signer_name: String,
    signed_at: String,
}

#[derive(Template)]
#[template(path = "safety_dsmb.html")]
struct DsmbPage {
    ctx: Ctx,
    study_id: String,
    /// `arm`, `dose-level` or `pooled`.
    grouping: &'static str,
    groups: Vec<String>,
    summary: Vec<SummaryLine>,
    terms: Vec<TermLine>,
    labs: LabLines,
    /// The shift classes' names, for the columns of the shift tables.
    classes: Vec<&'static str>,
    firings: Vec<FiringLine>,
    /// Whether a fired rule holds dosing and enrolment now.
    holding_any: bool,
    decisions: Vec<DecisionLine>,
    /// The rules a DSMB member may decide on (the fired ones), when the viewer is one.
    decide: Option<Vec<String>>,
    outcomes: &'static [DsmbOutcome],
}

/// A group's name for the page: the arm's or level's name, or the pooled or unassigned group.
fn group_name(ctx: &Ctx, study: &Study, group: &str) -> String {
    if group == POOLED {
        return ctx.t.get("dsmb.pooled").to_string();
    }
    if group == UNASSIGNED {
        return ctx.t.get("dsmb.unassigned").to_string();
    }
    study
        .arms
        .iter()
        .find(|a| a.id == group)
        .map(|a| a.name_in(ctx.t.0.zh()).to_string())
        .or_else(|| {
            study
                .dose_level(group)
                .map(|l| l.name_in(ctx.t.0.zh()).to_string())
        })
        .unwrap_or_else(|| group.to_string())
}

/// A term's cell: the participants with it, and in brackets how many by their worst grade
/// (`3 (G1: 2, G3: 1)`).
fn grade_cell(any: u32, by_grade: &[u32]) -> String {
    let by: Vec<String> = by_grade
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(g, n)| format!("G{}: {n}", g + 1))
        .collect();
    if by.is_empty() {
        any.to_string()
    } else {
        format!("{any} ({})", by.join(", "))
    }
}

/// The lines of the tables.
fn lines(tables: &SafetyTables) -> (Vec<SummaryLine>, Vec<TermLine>) {
    let measure = |key: &'static str, f: fn(&trial::safety::GroupSummary) -> u32| SummaryLine {
        key,
        counts: tables.groups.iter().map(f).collect(),
    };
    let summary = vec![
        measure("dsmb.participants", |g| g.participants),
        measure("dsmb.any_ae", |g| g.with_any_ae),
        measure("dsmb.sae", |g| g.with_sae),
        measure("dsmb.deaths", |g| g.deaths),
        measure("dsmb.discontinued", |g| g.discontinued_for_ae),
    ];
    let terms = tables
        .terms
        .iter()
        .map(|row| TermLine {
            soc: row.soc.clone(),
            term: row.term.clone(),
            cells: row
                .any_grade
                .iter()
                .zip(&row.by_worst_grade)
                .map(|(any, grades)| grade_cell(*any, grades))
                .collect(),
        })
        .collect();
    (summary, terms)
}

/// `GET /studies/{study}/safety/dsmb`
async fn dsmb(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(study): Path<String>,
) -> Response {
    match dsmb_page(&state, &viewer, &study).await {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}

async fn dsmb_page(
    state: &AppState,
    viewer: &Viewer,
    study_id: &str,
) -> Result<DsmbPage, ApiError> {
    let me = &viewer.me;
    let scope = require(&me.roles, study_id, Operation::ReadSafetyTables)?;
    let study = state.study(study_id)?;
    let ctx = viewer.ctx(Some(study_id));
    let by = safety_grouping(me, study);
    let tables = state.store.safety_tables(&scope, study, by).await?;
    let (summary, terms) = lines(&tables);
    let labs = LabLines::of(
        &ctx,
        &state.store.lab_safety_tables(&scope, study, by).await?,
    );
    let classes = SHIFT_CLASSES.iter().map(|c| class_name(&ctx, c)).collect();
    let groups = tables
        .groups
        .iter()
        .map(|g| group_name(&ctx, study, &g.group))
        .collect();
    let holding: Vec<String> = state
        .store
        .stopping_rules_holding(study_id)
        .await?
        .into_iter()
        .map(|(rule, _)| rule)
        .collect();
    let firings: Vec<FiringLine> = state
        .store
        .stopping_rule_firings(study_id)
        .await?
        .into_iter()
        .rev()
        .map(|f| FiringLine {
            holding: holding.contains(&f.rule_id),
            firing: f,
        })
        .collect();
    let sees = unblinded(me, study);
    let decisions = state
        .store
        .dsmb_decisions(study_id)
        .await?
        .into_iter()
        .rev()
        .map(|d| DecisionLine {
            rule_id: d.rule_id,
            outcome: d.outcome,
            rationale: sees.then_some(d.rationale),
            signer_name: d.signer_name,
            signed_at: d.signed_at,
        })
        .collect();
    let mut fired: Vec<String> = holding.clone();
    for f in &firings {
        if !fired.contains(&f.firing.rule_id) {
            fired.push(f.firing.rule_id.clone());
        }
    }
    let member = scope_for(&me.roles, study_id, Operation::DecideDsmb).is_some();
    Ok(DsmbPage {
        ctx,
        study_id: study_id.to_string(),
        grouping: match by {
            TableGrouping::Arm => "arm",
            TableGrouping::DoseLevel => "dose-level",
            TableGrouping::Pooled => "pooled",
        },
        groups,
        summary,
        terms,
        labs,
        classes,
        holding_any: !holding.is_empty(),
        firings,
        decisions,
        decide: (member && !fired.is_empty()).then_some(fired),
        outcomes: DsmbOutcome::ALL,
    })
}

#[derive(Template)]
#[template(path = "safety_dsmb_dlt.html")]
struct DltPage {
    ctx: Ctx,
    study_id: String,
    participant_id: i64,
    label: String,
    candidates: Vec<DltCandidate>,
    assessment: Option<DltAssessment>,
    /// Whether the viewer signs DLT assessments (an investigator of the participant's site).
    can_sign: bool,
}

/// `GET /studies/{study}/participants/{id}/dlt`
async fn dlt(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((study, id)): Path<(String, String)>,
) -> Response {
    match dlt_page(&state, &viewer, &study, &id).await {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}

async fn dlt_page(
    state: &AppState,
    viewer: &Viewer,
    study_id: &str,
    id: &str,
) -> Result<DltPage, ApiError> {
    let me = &viewer.me;
    let scope = require(&me.roles, study_id, Operation::ReadAdverseEvents)?;
    let id = record_id(id)?;
    let study = state.study(study_id)?;
    if study.dose_levels.is_empty() || !unblinded(me, study) {
        return Err(ApiError::Forbidden(format!(
            "{study_id} has no dose escalation you may see"
        )));
    }
    let p = state.store.participant(&scope, id).await?;
    let candidates = state.store.dlt_candidates(&scope, study, id).await?;
    let (_, assessment) = state.store.dose(&scope, id).await?;
    let can_sign = scope_for(&me.roles, study_id, Operation::Sign)
        .is_some_and(|s| s.includes_site(&p.site_id));
    Ok(DltPage {
        ctx: viewer.ctx(Some(study_id)),
        study_id: study_id.to_string(),
        participant_id: id,
        label: p.subject_id.unwrap_or(p.screening_number),
        candidates,
        assessment,
        can_sign,
    })
}
