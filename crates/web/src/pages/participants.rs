//! The participant list (filters by site, status, number) and the participant page: timeline
//! with each visit's forms and exam, the charts, signatures, queries, and a link to the
//! participant's audit trail (the audit page, filtered to them). Writes from the page (verifying a form, signing a visit or the casebook,
//! answering or closing a query) are `data-post` forms that `app.js` sends to the JSON API; the
//! page offers each only to the roles the API allows, at the participant's site.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use store::Participant;

use trial::{FormState, Meaning};

use super::chart::{self, Chart};
use super::{encode, error_page, render, Ctx, Texts, Viewer};
use crate::access::{require, scope_for, Operation};
use crate::app::AppState;
use crate::blinding::blinded;
use crate::error::ApiError;
use crate::extract::record_id;
use crate::service;

/// The routes of these pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/studies/{study}/participants", get(list))
        .route("/studies/{study}/participants/{id}", get(participant))
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// The site's IANA time zone, for showing instants in local time.
fn site_zone(state: &AppState, study: &str, site: &str) -> String {
    state
        .studies
        .get(study)
        .and_then(|s| s.site(site))
        .map_or("UTC".to_string(), |s| s.time_zone.clone())
}

// ---------------------------------------------------------------------------------------------
// Participant list

/// The filters of the participant list.
#[derive(Debug, Default, Deserialize)]
pub struct ListFilter {
    site: Option<String>,
    status: Option<String>,
    q: Option<String>,
}

#[derive(Template)]
#[template(path = "participants.html")]
struct ListPage {
    ctx: Ctx,
    study_id: String,
    sites: Vec<(String, String)>,
    statuses: Vec<&'static str>,
    site: String,
    status: String,
    q: String,
    rows: Vec<ListRow>,
    /// Links to the journey's pages the viewer may use: screening, kits, cohorts.
    links: Vec<(String, &'static str)>,
}

/// A listed participant, with the allocation marks every role may see (kit, emergency
/// unblinding; never the arm).
pub struct ListRow {
    p: Participant,
    kit: Option<String>,
    unblinded: bool,
}

/// `GET /studies/{study}/participants?site=&status=&q=`
async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(study): Path<String>,
    Query(filter): Query<ListFilter>,
) -> Response {
    let result = async {
        let scope = require(&viewer.me.roles, &study, Operation::ReadParticipants)?;
        let definition = state.study(&study)?;
        let site = filter.site.unwrap_or_default();
        let status = filter.status.unwrap_or_default();
        let q = filter.q.unwrap_or_default();
        let needle = q.trim().to_lowercase();
        let rows = state
            .store
            .participants(&scope)
            .await?
            .into_iter()
            .filter(|p| site.is_empty() || p.site_id == site)
            .filter(|p| status.is_empty() || p.status == status.as_str())
            .filter(|p| {
                needle.is_empty()
                    || p.screening_number.to_lowercase().contains(&needle)
                    || p.subject_id
                        .as_deref()
                        .is_some_and(|s| s.to_lowercase().contains(&needle))
            })
            .collect::<Vec<Participant>>();
        let allocations = state.store.allocations(&scope).await?;
        let rows = rows
            .into_iter()
            .map(|p| {
                let a = allocations.iter().find(|a| a.participant_id == p.id);
                ListRow {
                    kit: a.map(|a| a.kit_number.clone()),
                    unblinded: a.is_some_and(|a| a.unblinded_at.is_some()),
                    p,
                }
            })
            .collect();
        let roles = &viewer.me.roles;
        let sees = !blinded(definition, roles);
        let base = format!("/studies/{}", encode(&study));
        let links = [
            (
                require(roles, &study, Operation::EnterData).is_ok(),
                "screening",
                "j.screen_link",
            ),
            (
                sees && require(roles, &study, Operation::Dispense).is_ok(),
                "kits",
                "j.kits_link",
            ),
            (
                sees && !definition.dose_levels.is_empty(),
                "cohorts",
                "j.cohorts_link",
            ),
            (
                definition.randomisation.is_some(),
                "randomisation",
                "j.randomisation_link",
            ),
        ]
        .into_iter()
        .filter(|(ok, _, _)| *ok)
        .map(|(_, path, key)| (format!("{base}/{path}"), key))
        .collect();
        Ok::<_, ApiError>(ListPage {
            ctx: viewer.ctx(Some(&study)),
            study_id: study.clone(),
            sites: definition
                .sites
                .iter()
                .filter(|s| scope.includes_site(&s.id))
                .map(|s| (s.id.clone(), s.name_in(viewer.lang.zh()).to_string()))
                .collect(),
            statuses: vec![
                "screening",
                "screen-failed",
                "enrolled",
                "withdrawn",
                "completed",
            ],
            site,
            status,
            q,
            rows,
            links,
        })
    }
    .await;
    match result {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}

/// A form of a visit with its state.
pub struct FormRow {
    id: String,
    name: String,
    state: String,
    updated_at: String,
    link: Option<String>,
    /// The API call that marks it verified against the source, when the viewer may.
    verify: Option<String>,
}

/// A visit on the timeline.
pub struct VisitRow {
    /// The visit's id, for element ids.
    id: String,
    /// The API call that signs the visit, when the viewer may and something is saved.
    sign: Option<String>,
    name: String,
    target: String,
    window: String,
    done_on: String,
    status: &'static str,
    forms: Vec<FormRow>,
    /// The visit's exam in brief: NLI, AIS, UEMS, LEMS (from its ISNCSCI form, or the exam
    /// recorded at the visit).
    exam: Option<[String; 4]>,
}

/// The brief of an exam's classification.
fn exam_brief(c: &serde_json::Value) -> Option<[String; 4]> {
    let get = |k: &str| c.get(k).and_then(|v| v.as_str()).map(str::to_string);
    Some([
        get("neurologicalLevelOfInjury")?,
        get("asiaImpairmentScale")?,
        get("upperMotorTotal")?,
        get("lowerMotorTotal")?,
    ])
}

#[derive(Template)]
#[template(path = "participant.html")]
struct ParticipantPage {
    ctx: Ctx,
    p: Participant,
    site_name: String,
    zone: String,
    visits: Vec<VisitRow>,
    signatures: Vec<store::Signature>,
    /// The participant's audit trail (a link to the audit page), for the roles that read it.
    audit: Option<String>,
    queries: Vec<store::Query>,
    /// What a signature may mean.
    meanings: &'static [Meaning],
    /// The API call that signs the whole casebook, when the viewer may and something is saved.
    sign_casebook: Option<String>,
    /// Whether the viewer may answer this participant's queries (enters data at its site).
    can_answer: bool,
    /// The viewer, who may close the answered queries they raised.
    viewer_id: i64,
    screening: Vec<(String, String)>,
    charts: Vec<Chart>,
    /// The participant's adverse events, when the viewer may read them.
    adverse_events: Option<Vec<store::AdverseEventRecord>>,
    /// The page that records an adverse event, when the viewer may.
    record_ae: Option<String>,
    /// The DLT page of a participant of a dose escalation the viewer sees.
    dlt_page: Option<String>,
    /// The journey page (enrol, visit dates, randomise, unblind, end).
    journey: String,
    /// The kit and whether the participant was unblinded in an emergency (never the arm).
    kit: Option<(String, bool)>,
    /// The dose level's name and the DLT assessment's state message key, for a viewer who
    /// sees the escalation.
    dose: Option<(String, &'static str)>,
}

/// `GET /studies/{study}/participants/{id}`
async fn participant(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((study, id)): Path<(String, String)>,
) -> Response {
    match participant_page(&state, &viewer, &study, &id).await {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}

/// What the page needs of a participant's records.
struct Records {
    id: i64,
    p: Participant,
    visits: Vec<service::VisitView>,
    forms: Vec<store::FormEntry>,
    exams: Vec<store::ExamRecord>,
}

async fn participant_page(
    state: &AppState,
    viewer: &Viewer,
    study_id: &str,
    id: &str,
) -> Result<ParticipantPage, ApiError> {
    let scope = require(&viewer.me.roles, study_id, Operation::ReadParticipants)?;
    let id = record_id(id)?;
    let study = state.study(study_id)?;
    let r = Records {
        id,
        p: state.store.participant(&scope, id).await?,
        visits: service::visits(state, &scope, id, today()).await?,
        forms: state.store.forms(&scope, id).await?,
        exams: state
            .store
            .exams(&scope, id, &service::isncsci_forms(study))
            .await?,
    };
    let may = |op: Operation| {
        require(&viewer.me.roles, study_id, op).is_ok_and(|s| s.includes_site(&r.p.site_id))
    };
    let (may_verify, may_sign) = (may(Operation::VerifyData), may(Operation::Sign));
    let api = format!("/api/studies/{}/participants/{id}", encode(study_id));
    let visits = visit_rows(study, &r, &api, may_verify, may_sign, viewer.lang.zh());
    let audit = audit_link(viewer, study_id, &r.p);
    let signatures = state.store.signatures(&scope, id).await?;
    let queries = state.store.queries(&scope, Some(id), None).await?;
    let mut screening = screening_summary(Texts(viewer.lang), &r.exams);
    screening.extend(walking_prognosis(Texts(viewer.lang), &r.p, &r.exams));
    let charts = chart::participant_charts(viewer.lang, study, &r.visits, &r.exams, &r.forms);
    let can_answer = may(Operation::EnterData);
    let adverse_events = match require(&viewer.me.roles, study_id, Operation::ReadAdverseEvents) {
        Ok(ae_scope) => Some(state.store.adverse_events_of(&ae_scope, id).await?),
        Err(_) => None,
    };
    let record_ae = (may(Operation::RecordAdverseEvent)
        && trial::safety::check_event_participant(r.p.status).is_ok())
    .then(|| {
        format!(
            "/studies/{}/participants/{id}/adverse-events/new",
            encode(study_id)
        )
    });
    let dlt_page = (!study.dose_levels.is_empty()
        && !blinded(study, &viewer.me.roles)
        && r.p.subject_id.is_some())
    .then(|| format!("/studies/{}/participants/{id}/dlt", encode(study_id)));
    let kit = state
        .store
        .allocation(&scope, id)
        .await?
        .map(|a| (a.kit_number, a.unblinded_at.is_some()));
    let dose = if dlt_page.is_some()
        || (!study.dose_levels.is_empty() && !blinded(study, &viewer.me.roles))
    {
        let (assigned, dlt) = state.store.dose(&scope, id).await?;
        assigned.map(|a| {
            let level = study
                .dose_level(&a.level_id)
                .map_or(a.level_id.clone(), |l| {
                    l.name_in(viewer.lang.zh()).to_string()
                });
            let state = match dlt {
                Some(d) if d.dlt => "coh.dlt_yes",
                Some(_) => "coh.dlt_no",
                None => "coh.dlt_pending",
            };
            (level, state)
        })
    } else {
        None
    };
    let p = r.p;
    Ok(ParticipantPage {
        journey: format!("/studies/{}/participants/{id}/journey", encode(study_id)),
        kit,
        dose,
        ctx: viewer.ctx(Some(study_id)),
        site_name: study.site(&p.site_id).map_or(p.site_id.clone(), |s| {
            s.name_in(viewer.lang.zh()).to_string()
        }),
        zone: site_zone(state, study_id, &p.site_id),
        p,
        visits,
        signatures,
        audit,
        queries,
        meanings: Meaning::ALL,
        sign_casebook: (may_sign && !r.forms.is_empty()).then(|| format!("{api}/signature")),
        can_answer,
        viewer_id: viewer.me.user.id,
        screening,
        charts,
        adverse_events,
        record_ae,
        dlt_page,
    })
}

/// The timeline: each visit with its forms (each a link to its page, verification
/// when the viewer may), its exam in brief and its signing when the viewer may.
fn visit_rows(
    study: &trial::Study,
    r: &Records,
    api: &str,
    may_verify: bool,
    may_sign: bool,
    zh: bool,
) -> Vec<VisitRow> {
    let mut rows = Vec::new();
    for v in &r.visits {
        let visit_api = format!("{api}/visits/{}", encode(&v.visit.visit_id));
        let form_rows = study
            .visit(&v.visit.visit_id)
            .map(|d| d.forms.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|form_id| form_row(study, r, v, form_id, &visit_api, may_verify, zh))
            .collect();
        let form_exam = r
            .forms
            .iter()
            .filter(|f| f.visit_id == v.visit.visit_id)
            .find_map(|f| exam_brief(&f.data["classification"]));
        let recorded = || {
            r.exams
                .iter()
                .filter(|e| e.visit_id == v.visit.visit_id)
                .find_map(|e| {
                    serde_json::from_str(&e.classification)
                        .ok()
                        .and_then(|c| exam_brief(&c))
                })
        };
        let saved = r.forms.iter().any(|f| f.visit_id == v.visit.visit_id);
        rows.push(VisitRow {
            id: v.visit.visit_id.clone(),
            sign: (may_sign && saved).then(|| format!("{visit_api}/signature")),
            exam: form_exam.or_else(recorded),
            name: study
                .visit(&v.visit.visit_id)
                .map_or(v.visit.name.clone(), |d| d.name_in(zh).to_string()),
            target: v.visit.target.clone(),
            window: format!("{} – {}", v.visit.earliest, v.visit.latest),
            done_on: v.visit.done_on.clone().unwrap_or_default(),
            status: v.status,
            forms: form_rows,
        });
    }
    rows
}

/// One form of a visit on the timeline.
fn form_row(
    study: &trial::Study,
    r: &Records,
    v: &service::VisitView,
    form_id: &String,
    visit_api: &str,
    may_verify: bool,
    zh: bool,
) -> FormRow {
    let entry = r
        .forms
        .iter()
        .find(|f| f.visit_id == v.visit.visit_id && &f.form_id == form_id);
    let form_def = study.form(form_id);
    FormRow {
        id: form_id.clone(),
        name: form_def.map_or(form_id.clone(), |f| f.name_in(zh).to_string()),
        state: entry
            .map_or(FormState::NotStarted, |e| e.state)
            .as_str()
            .to_string(),
        updated_at: entry.and_then(|e| e.updated_at.clone()).unwrap_or_default(),
        link: Some(format!(
            "/studies/{}/participants/{}/visits/{}/forms/{}",
            encode(&study.id),
            r.id,
            encode(&v.visit.visit_id),
            encode(form_id)
        )),
        verify: (may_verify && entry.is_some_and(|e| e.state == FormState::Complete))
            .then(|| format!("{visit_api}/forms/{}/verification", encode(form_id))),
    }
}

/// The link to the participant's audit trail (the audit page, filtered to them), for a viewer
/// who may read it at the participant's site.
fn audit_link(viewer: &Viewer, study_id: &str, p: &Participant) -> Option<String> {
    scope_for(&viewer.me.roles, study_id, Operation::ReadAudit)
        .is_some_and(|s| s.includes_site(&p.site_id))
        .then(|| format!("/studies/{}/audit?participant={}", encode(study_id), p.id))
}

/// The screening exam's results in brief, labelled in the page's language.
fn screening_summary(t: Texts, exams: &[store::ExamRecord]) -> Vec<(String, String)> {
    exams
        .first()
        .and_then(|e| serde_json::from_str::<serde_json::Value>(&e.classification).ok())
        .map(|c| {
            [
                ("neurologicalLevelOfInjury", "ws.nli"),
                ("asiaImpairmentScale", "ws.ais"),
                ("upperMotorTotal", "ws.uems"),
                ("lowerMotorTotal", "ws.lems"),
                ("touchTotal", "ws.lt_total"),
                ("prickTotal", "ws.pp_total"),
            ]
            .iter()
            .map(|(k, label)| {
                (
                    t.get(label).to_string(),
                    c[*k].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
        })
        .unwrap_or_default()
}

/// The van Middendorp 2011 walking prognosis from the first exam (the screening exam), as a
/// labelled line: its score and probability, or why it is not computed.
fn walking_prognosis(
    t: Texts,
    p: &Participant,
    exams: &[store::ExamRecord],
) -> Option<(String, String)> {
    let first = exams.first()?;
    let fields: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&first.raw).ok()?;
    let exam = trial::participants::read_exam(&fields).ok()?.exam;
    let (born, on) = (
        trial::participants::parse_date(&p.date_of_birth)?,
        trial::participants::parse_date(&first.examined_on)?,
    );
    let age = trial::age_in_years(born, on);
    let shown = match trial::prognosis::walking_prognosis(age, &exam) {
        Ok(w) => t
            .get("p.walking_prognosis_value")
            .replace("{score}", &w.score.to_string())
            .replace("{percent}", &format!("{:.0}", w.probability * 100.0)),
        Err(gap) => t.get("p.walking_prognosis_gap").replace("{value}", gap.0),
    };
    Some((t.get("p.walking_prognosis").to_string(), shown))
}
