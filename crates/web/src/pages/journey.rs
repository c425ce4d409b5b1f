//! The participant's journey in pages: screening (demographics and the screening ISNCSCI exam,
//! from which eligibility is computed), then on the participant's journey page enrolment, the
//! dates visits took place, randomisation with a confirmation step, the dose level of a dose
//! escalation, emergency unblinding and the end of participation; and the pharmacist's kits to
//! prepare and dispense. Every write is sent by `journey.js` to the JSON API with the session's
//! CSRF token, each problem shown at the field the API names; each form is offered only to the
//! roles the API allows, at the participant's site. A blinded viewer never sees an arm: the arm
//! is rendered only for [`unblinded`] viewers, and the emergency unblinding's answer is shown
//! once by the script, never stored in the page.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use isncsci::flat::Field;
use isncsci::Level;
use store::Participant;
use trial::ParticipantStatus;

use super::{encode, error_page, i18n, label, render, Ctx, Viewer};
use crate::access::{require, scope_for, Operation};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::blinding::unblinded;
use crate::error::ApiError;
use crate::extract::record_id;
use crate::service;

/// The routes of these pages.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/studies/{study}/screening", get(screening))
        .route("/studies/{study}/participants/{id}/journey", get(journey))
        .route("/studies/{study}/kits", get(kits))
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// Whether the viewer may do `op` at `site`.
fn may_at(me: &CurrentUser, study: &str, op: Operation, site: &str) -> bool {
    scope_for(&me.roles, study, op).is_some_and(|s| s.includes_site(site))
}

// ---------------------------------------------------------------------------------------------
// Screening

/// One row of the exam grid: the level and its six cells (right motor, touch, prick; left
/// motor, touch, prick), each the flat-layout key, or none where the level has no key muscle.
pub struct ExamRow {
    level: String,
    cells: [Option<String>; 6],
}

/// The rows of the screening exam, C2 to S4-5, named by the flat layout the API reads.
fn exam_rows() -> Vec<ExamRow> {
    Level::DERMATOMES
        .iter()
        .map(|level| {
            let prefix = level.name().to_lowercase();
            let key = |side: &str, kind: &str| {
                let name = format!("{prefix}{side}{kind}");
                Field::parse(&name).map(|_| name)
            };
            ExamRow {
                level: level.name().replace('_', "-"),
                cells: [
                    key("Right", "Motor"),
                    key("Right", "Touch"),
                    key("Right", "Prick"),
                    key("Left", "Motor"),
                    key("Left", "Touch"),
                    key("Left", "Prick"),
                ],
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "journey_screen.html")]
struct ScreenPage {
    ctx: Ctx,
    study_id: String,
    sites: Vec<(String, String)>,
    rows: Vec<ExamRow>,
    today: String,
}

/// `GET /studies/{study}/screening`: the screening form, for those who enter data.
async fn screening(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(study): Path<String>,
) -> Response {
    let result = (|| {
        let scope = require(&viewer.me.roles, &study, Operation::EnterData)?;
        let definition = state.study(&study)?;
        Ok::<_, ApiError>(ScreenPage {
            ctx: viewer.ctx(Some(&study)),
            study_id: study.clone(),
            sites: definition
                .sites
                .iter()
                .filter(|s| scope.includes_site(&s.id))
                .map(|s| (s.id.clone(), s.name_in(viewer.lang.zh()).to_string()))
                .collect(),
            rows: exam_rows(),
            today: today().to_string(),
        })
    })();
    match result {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}

// ---------------------------------------------------------------------------------------------
// The participant's journey

/// A visit whose date may be recorded, or was.
pub struct VisitLine {
    id: String,
    name: String,
    window: String,
    done_on: String,
    status: &'static str,
    /// The API call that records the date, when the viewer may.
    record: Option<String>,
}

/// The allocation as the viewer may see it.
pub struct AllocationLine {
    kit: String,
    randomised_at: String,
    dispensed_at: Option<String>,
    unblinded_at: Option<String>,
    /// The arm, for an unblinded viewer only.
    arm: Option<String>,
}

/// The dose level and the DLT assessment's state, for a viewer who sees the escalation.
pub struct DoseLine {
    level: String,
    cells: String,
    overridden: bool,
    /// `yes`, `no` or `pending`.
    dlt: &'static str,
    /// Its message key.
    dlt_key: &'static str,
    /// The DLT window, `from – to`.
    window: String,
    /// Whether it runs from the doses given (else it is the planned one: none given yet).
    window_given: bool,
}

#[derive(Template)]
#[template(path = "journey.html")]
struct JourneyPage {
    ctx: Ctx,
    study_id: String,
    id: i64,
    p: Participant,
    label: String,
    api: String,
    zone: String,
    /// Enrolment, when the viewer may and the participant is eligible and screened.
    enrol: bool,
    /// Whether the study plans visits from the first dose (the enrolment asks for its date).
    first_dose_anchor: bool,
    visits: Vec<VisitLine>,
    randomised_study: bool,
    allocation: Option<AllocationLine>,
    randomise: bool,
    unblind: bool,
    dose: Option<DoseLine>,
    /// Giving the dose level the rule enrols at now, when the viewer may.
    assign_dose: bool,
    dlt_page: Option<String>,
    /// The investigator's signed "no DLT" assessment, when the viewer signs at the site and
    /// none is recorded yet.
    sign_no_dlt: bool,
    end: bool,
    today: String,
    /// The screening exam in brief (NLI, AIS, UEMS, LEMS), from which eligibility was computed.
    exam: Option<[String; 4]>,
    /// The screening visit's ISNCSCI form: the screening exam's home.
    exam_form: Option<String>,
    /// The correction of the screening data, when the viewer enters data at the site.
    correct: bool,
    /// The screening data that can be corrected, as they stand.
    corrections: Vec<CorrectionLine>,
    /// The values of sex.
    sexes: Vec<&'static str>,
}

/// A field of the screening data as it stands.
pub struct CorrectionLine {
    /// The field (`trial::participants::CorrectableField`).
    field: &'static str,
    /// Its message key.
    key: &'static str,
    /// `date` or `sex`: the control that takes its value.
    kind: &'static str,
    /// Its value as stored.
    value: String,
}

/// The screening data of `p` that can be corrected, each with its value.
fn corrections(p: &Participant) -> Vec<CorrectionLine> {
    use trial::participants::CorrectableField as F;
    F::ALL
        .iter()
        .map(|f| {
            let (key, kind, value) = match f {
                F::Sex => ("p.sex", "sex", &p.sex),
                F::DateOfBirth => ("p.date_of_birth", "date", &p.date_of_birth),
                F::InjuryDate => ("p.injury_date", "date", &p.injury_date),
                F::ConsentDate => ("j.consent_date", "date", &p.consent_date),
                F::ScreeningDate => ("p.screening_date", "date", &p.screening_date),
            };
            CorrectionLine {
                field: f.as_str(),
                key,
                kind,
                value: value.clone(),
            }
        })
        .collect()
}

/// `GET /studies/{study}/participants/{id}/journey`
async fn journey(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((study, id)): Path<(String, String)>,
) -> Response {
    match journey_page(&state, &viewer, &study, &id).await {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}

async fn journey_page(
    state: &AppState,
    viewer: &Viewer,
    study_id: &str,
    id: &str,
) -> Result<JourneyPage, ApiError> {
    let me = &viewer.me;
    let scope = require(&me.roles, study_id, Operation::ReadParticipants)?;
    let id = record_id(id)?;
    let study = state.study(study_id)?;
    let p = state.store.participant(&scope, id).await?;
    let site = p.site_id.clone();
    let may = |op| may_at(me, study_id, op, &site);
    let api = format!("/api/studies/{}/participants/{id}", encode(study_id));
    let enrolled = p.status == ParticipantStatus::Enrolled;
    let visits = service::visits(state, &scope, id, today())
        .await?
        .into_iter()
        .map(|v| VisitLine {
            record: (may(Operation::EnterData) && enrolled && v.visit.done_on.is_none())
                .then(|| format!("{api}/visits/{}", encode(&v.visit.visit_id))),
            name: i18n::visit_name(study, &v.visit.visit_id, &v.visit.name, viewer.lang),
            id: v.visit.visit_id,
            window: format!("{} – {}", v.visit.earliest, v.visit.latest),
            done_on: v.visit.done_on.unwrap_or_default(),
            status: v.status,
        })
        .collect();
    let sees_arms = unblinded(me, study);
    let allocation = state
        .store
        .allocation(&scope, id)
        .await?
        .map(|a| AllocationLine {
            arm: sees_arms.then(|| {
                study.arm(&a.arm_id).map_or(a.arm_id.clone(), |arm| {
                    arm.name_in(viewer.lang.zh()).to_string()
                })
            }),
            kit: a.kit_number,
            randomised_at: a.randomised_at,
            dispensed_at: a.dispensed_at,
            unblinded_at: a.unblinded_at,
        });
    let randomised_study = study.randomisation.is_some();
    let randomise =
        randomised_study && enrolled && allocation.is_none() && may(Operation::Randomise);
    // Only an investigator of the participant's site unblinds, once.
    let investigator_here = me.roles.iter().any(|r| {
        r.study_id == study_id
            && r.role == trial::Role::Investigator
            && r.site_id.as_deref() == Some(site.as_str())
    });
    let unblind = investigator_here
        && !sees_arms
        && allocation
            .as_ref()
            .is_some_and(|a| a.unblinded_at.is_none());
    let escalation = !study.dose_levels.is_empty() && sees_arms;
    let (dose, assign_dose) = if escalation {
        let (assigned, dlt) = state.store.dose(&scope, id).await?;
        // The window runs from the doses given; the planned one only while none is.
        let given: Vec<time::Date> = state
            .store
            .doses_given(&scope, id)
            .await?
            .iter()
            .filter_map(|d| store::parse_date(&d.dosed_on))
            .collect();
        let line = assigned.map(|a| {
            let level = study.dose_level(&a.level_id);
            let window = trial::escalation::dlt_window_given(
                study,
                &a.level_id,
                p.anchor_date.as_deref(),
                &given,
            )
            .map(|(from, to)| format!("{from} – {to}"))
            .unwrap_or_default();
            DoseLine {
                level: level.map_or(a.level_id.clone(), |l| {
                    l.name_in(viewer.lang.zh()).to_string()
                }),
                cells: level.map_or(String::new(), |l| cells_text(l.cells)),
                overridden: a.override_reason.is_some(),
                dlt: dlt_state(dlt.as_ref()).0,
                dlt_key: dlt_state(dlt.as_ref()).1,
                window,
                window_given: !given.is_empty(),
            }
        });
        let assign = line.is_none() && enrolled && may(Operation::AssignDose);
        (line, assign)
    } else {
        (None, false)
    };
    let sign_no_dlt = dose.as_ref().is_some_and(|d| d.dlt == "pending") && may(Operation::Sign);
    let exam = state
        .store
        .exams(&scope, id, &crate::service::isncsci_forms(study))
        .await?
        .first()
        .and_then(|e| serde_json::from_str::<serde_json::Value>(&e.classification).ok())
        .and_then(|c| {
            let get = |k: &str| c.get(k).and_then(|v| v.as_str()).map(str::to_string);
            Some([
                get("neurologicalLevelOfInjury")?,
                get("asiaImpairmentScale")?,
                get("upperMotorTotal")?,
                get("lowerMotorTotal")?,
            ])
        });
    let exam_form = study.visits.iter().find(|v| v.screening).and_then(|v| {
        v.forms
            .iter()
            .find(|f| {
                study
                    .form(f)
                    .is_some_and(|f| f.kind == trial::FormKind::Isncsci)
            })
            .map(|f| {
                format!(
                    "/studies/{}/participants/{id}/visits/{}/forms/{f}",
                    encode(study_id),
                    encode(&v.id)
                )
            })
    });
    let dlt_page = (escalation && p.subject_id.is_some())
        .then(|| format!("/studies/{}/participants/{id}/dlt", encode(study_id)));
    let ended = matches!(
        p.status,
        ParticipantStatus::Withdrawn | ParticipantStatus::Completed
    );
    Ok(JourneyPage {
        ctx: viewer.ctx(Some(study_id)),
        study_id: study_id.to_string(),
        id,
        label: label(&p),
        correct: may(Operation::EnterData),
        corrections: corrections(&p),
        sexes: trial::participants::SEXES.to_vec(),
        enrol: p.status == ParticipantStatus::Screening && p.eligible && may(Operation::EnterData),
        first_dose_anchor: study.anchor == trial::Anchor::FirstDose,
        end: !ended && may(Operation::EndParticipation),
        zone: study
            .site(&site)
            .map_or("UTC".to_string(), |s| s.time_zone.clone()),
        p,
        api,
        visits,
        randomised_study,
        allocation,
        randomise,
        unblind,
        dose,
        assign_dose,
        dlt_page,
        sign_no_dlt,
        today: today().to_string(),
        exam,
        exam_form,
    })
}

// ---------------------------------------------------------------------------------------------
// The pharmacist's kits

/// A kit to prepare.
pub struct KitLine {
    participant_id: i64,
    label: String,
    site: String,
    kit: String,
    arm: String,
    randomised_at: String,
    dispensed_at: Option<String>,
    /// The site's time zone.
    zone: String,
    /// Whether the viewer may dispense it (at the participant's site).
    dispense: bool,
}

#[derive(Template)]
#[template(path = "kits.html")]
struct KitsPage {
    ctx: Ctx,
    study_id: String,
    kits: Vec<KitLine>,
}

/// `GET /studies/{study}/kits`: the unblinded pharmacist's kits to prepare and dispense.
async fn kits(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(study): Path<String>,
) -> Response {
    match kits_page(&state, &viewer, &study).await {
        Ok(page) => render(viewer.lang, &page),
        Err(e) => error_page(viewer.lang, e),
    }
}

async fn kits_page(
    state: &AppState,
    viewer: &Viewer,
    study_id: &str,
) -> Result<KitsPage, ApiError> {
    let me = &viewer.me;
    let scope = require(&me.roles, study_id, Operation::Dispense)?;
    let study = state.study(study_id)?;
    if !unblinded(me, study) {
        return Err(ApiError::Forbidden(format!(
            "the kits of {study_id} are for unblinded roles only"
        )));
    }
    let participants = state.store.participants(&scope).await?;
    let kits = state
        .store
        .allocations(&scope)
        .await?
        .into_iter()
        .map(|a| {
            let p = participants.iter().find(|p| p.id == a.participant_id);
            let site = p.map_or(String::new(), |p| p.site_id.clone());
            KitLine {
                participant_id: a.participant_id,
                label: p.map_or(a.participant_id.to_string(), label),
                dispense: a.dispensed_at.is_none()
                    && may_at(me, study_id, Operation::Dispense, &site),
                zone: study
                    .site(&site)
                    .map_or("UTC".to_string(), |s| s.time_zone.clone()),
                site,
                arm: study.arm(&a.arm_id).map_or(a.arm_id.clone(), |arm| {
                    arm.name_in(viewer.lang.zh()).to_string()
                }),
                kit: a.kit_number,
                randomised_at: a.randomised_at,
                dispensed_at: a.dispensed_at,
            }
        })
        .collect();
    Ok(KitsPage {
        ctx: viewer.ctx(Some(study_id)),
        study_id: study_id.to_string(),
        kits,
    })
}

/// A DLT assessment's state (`yes`, `no`, `pending`) and its message key.
fn dlt_state(a: Option<&store::DltAssessment>) -> (&'static str, &'static str) {
    match a {
        Some(d) if d.dlt => ("yes", "coh.dlt_yes"),
        Some(_) => ("no", "coh.dlt_no"),
        None => ("pending", "coh.dlt_pending"),
    }
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
