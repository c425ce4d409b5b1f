//! The adverse event page: a new event of a participant, or a recorded one, in a form that
//! `adverse_event.js` sends to the JSON API (record, or change with a reason) with the session's
//! CSRF token, showing each problem the API names next to its field. The CTCAE term is picked
//! from the terms search of the API, with the chosen grade's definition for that term; the
//! expectedness is shown as the study's reference safety information says. The investigator
//! of the site signs the assessment here (password re-entered, through the API). An event
//! carries no arm, so the page shows none to anyone.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::json;
use store::{AdverseEventRecord, EventSignature, Participant};
use trial::safety::{ActionTaken, Causality, Expectedness, Outcome, Seriousness, Term};
use trial::Meaning;

use crate::access::{require, Operation};
use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::record_id;
use crate::pages::{encode, error_page, label, render, Ctx, Texts, Viewer};

/// The routes of this page.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/studies/{study}/participants/{id}/adverse-events/new",
            get(new_event),
        )
        .route(
            "/studies/{study}/participants/{id}/adverse-events/{ae}",
            get(event),
        )
}

/// A choice of a select or a checkbox: its value, its words, whether it is chosen.
pub struct Choice {
    value: &'static str,
    label: &'static str,
    chosen: bool,
}

/// The choices of one kind of value (`prefix`: their message keys' start), in the page's
/// language, `chosen` marked.
fn choices(t: Texts, prefix: &str, all: &[&'static str], chosen: &[&str]) -> Vec<Choice> {
    all.iter()
        .map(|value| Choice {
            value,
            label: crate::pages::i18n::text(t.0, &format!("{prefix}{value}")).unwrap_or(value),
            chosen: chosen.contains(value),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "safety_event.html")]
struct EventPage {
    ctx: Ctx,
    participant: String,
    participant_path: String,
    /// The API call that saves the form (record, or change).
    api: String,
    /// The terms search of the API.
    terms_api: String,
    /// The event shown, when recorded (`None`: a new one).
    record: Option<AdverseEventRecord>,
    /// Whether the viewer may save the form (the site: coordinator, investigator).
    may_edit: bool,
    verbatim: String,
    onset: String,
    end: String,
    grade: u8,
    /// The chosen term with its grades, as JSON (`null` for none).
    term_json: String,
    term_label: String,
    /// The terms the reference safety information lists, as JSON.
    expected_json: String,
    expectedness: Option<&'static str>,
    seriousness: Vec<Choice>,
    causality_product: Vec<Choice>,
    causality_procedure: Vec<Choice>,
    actions: Vec<Choice>,
    outcomes: Vec<Choice>,
    /// The latest signature, shown with its state.
    signature: Option<EventSignature>,
    /// The API call that signs the event, when the viewer may and it is not signed.
    sign: Option<String>,
    meanings: &'static [Meaning],
}

/// `GET /studies/{study}/participants/{id}/adverse-events/new`
async fn new_event(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((study, id)): Path<(String, String)>,
) -> Response {
    match event_page(&state, &viewer, &study, &id, None).await {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}

/// `GET /studies/{study}/participants/{id}/adverse-events/{ae}`
async fn event(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((study, id, ae)): Path<(String, String, String)>,
) -> Response {
    match event_page(&state, &viewer, &study, &id, Some(&ae)).await {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}

/// A term as the page script takes it: as the API's terms search gives it.
fn term_json(term: &Term) -> serde_json::Value {
    let grades: Vec<serde_json::Value> = term
        .defined_grades()
        .into_iter()
        .map(|g| json!({ "grade": g, "definition": term.grade_definition(g).unwrap_or("") }))
        .collect();
    json!({
        "code": term.code, "name": term.name, "soc": term.soc,
        "grades": grades, "definition": term.definition,
    })
}

fn expectedness_key(e: Expectedness) -> &'static str {
    match e {
        Expectedness::Expected => "ae.expected",
        Expectedness::Unexpected => "ae.unexpected",
    }
}

async fn event_page(
    state: &AppState,
    viewer: &Viewer,
    study_id: &str,
    id: &str,
    ae: Option<&str>,
) -> Result<EventPage, ApiError> {
    require(&viewer.me.roles, study_id, Operation::ReadParticipants)?;
    let scope = require(&viewer.me.roles, study_id, Operation::ReadAdverseEvents)?;
    let id = record_id(id)?;
    let study = state.study(study_id)?;
    let p: Participant = state.store.participant(&scope, id).await?;
    let record = match ae {
        Some(ae) => {
            let ae = ae
                .parse()
                .map_err(|_| ApiError::NotFound(format!("adverse event {ae} not found")))?;
            Some(state.store.adverse_event(&scope, id, ae).await?)
        }
        None => None,
    };
    let may = |op: Operation| {
        require(&viewer.me.roles, study_id, op).is_ok_and(|s| s.includes_site(&p.site_id))
    };
    let may_edit = may(Operation::RecordAdverseEvent)
        && trial::safety::check_event_participant(p.status).is_ok();
    if record.is_none() && !may_edit {
        return Err(ApiError::Forbidden(
            "your roles do not record adverse events of this participant".into(),
        ));
    }
    let participant_path = format!("/studies/{}/participants/{id}", encode(study_id));
    let events_api = format!("/api{participant_path}/adverse-events");
    let t = Texts(viewer.lang);
    let terms = state.store.terms().await?;
    let event = record.as_ref().map(|r| &r.event);
    let term = event.and_then(|e| terms.find(&e.term));
    let expected = &study.safety.expected_terms;
    let pick = |kind: &str, all: Vec<&'static str>, chosen: Option<&'static str>| {
        choices(t, kind, &all, chosen.as_slice())
    };
    let criteria: Vec<&str> = event.map_or(Vec::new(), |e| {
        e.seriousness.iter().map(|s| s.as_str()).collect()
    });
    Ok(EventPage {
        ctx: viewer.ctx(Some(study_id)),
        participant: label(&p),
        api: record
            .as_ref()
            .map_or(events_api.clone(), |r| format!("{events_api}/{}", r.id)),
        terms_api: format!("/api/studies/{}/terms", encode(study_id)),
        may_edit,
        verbatim: event.map_or(String::new(), |e| e.verbatim.clone()),
        onset: event.map_or(String::new(), |e| e.onset.to_string()),
        end: event
            .and_then(|e| e.end)
            .map_or(String::new(), |d| d.to_string()),
        grade: event.map_or(0, |e| e.grade),
        term_json: term.map_or("null".to_string(), |t| term_json(t).to_string()),
        term_label: event.map_or(String::new(), |e| format!("{} · {}", e.term, e.soc)),
        expected_json: serde_json::to_string(expected).unwrap_or_else(|_| "[]".into()),
        expectedness: event.map(|e| expectedness_key(study.safety.expectedness(&e.term))),
        seriousness: choices(
            t,
            "ae.s.",
            &Seriousness::ALL
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>(),
            &criteria,
        ),
        causality_product: pick(
            "ae.c.",
            Causality::ALL.iter().map(|c| c.as_str()).collect(),
            event.map(|e| e.causality_product.as_str()),
        ),
        causality_procedure: pick(
            "ae.c.",
            Causality::ALL.iter().map(|c| c.as_str()).collect(),
            event.map(|e| e.causality_procedure.as_str()),
        ),
        actions: pick(
            "ae.a.",
            ActionTaken::ALL.iter().map(|a| a.as_str()).collect(),
            event.map(|e| e.action.as_str()),
        ),
        outcomes: pick(
            "status.",
            Outcome::ALL.iter().map(|o| o.as_str()).collect(),
            event.map(|e| e.outcome.as_str()),
        ),
        signature: record.as_ref().and_then(|r| r.signature.clone()),
        sign: record
            .as_ref()
            .filter(|r| !r.signed && may(Operation::Sign))
            .map(|r| format!("{events_api}/{}/signature", r.id)),
        meanings: Meaning::ALL,
        participant_path,
        record,
    })
}
