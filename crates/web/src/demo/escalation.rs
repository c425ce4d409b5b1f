//! The demo's Phase I study: the accounts of the randomised study given roles in it, and a 3+3
//! escalation in progress with signed DLT assessments.

use isncsci::synth::{Below, Injury, Rng};
use isncsci::{Anal, Exam, Level};
use store::{Actor, RoleAssignment, Scope};
use time::{Date, Duration};
use trial::Role;

use super::{flat_exam, safety, DemoUser};
use crate::app::App;
use crate::service::{self, EnrolmentInput, ScreeningInput};

/// Seeds a dose-escalation study with the demo accounts of the randomised study (each role
/// given in this study too, site roles at its sites) and a 3+3 escalation in progress: three
/// at the first level without DLT, six at the second with one DLT (expanded), and the first
/// participant of the third level inside the DLT window.
pub async fn seed_escalation(
    app: &App,
    study_id: &str,
    accounts: &[DemoUser],
    today: Date,
) -> Result<(), String> {
    let study = app.study(study_id).map_err(|e| e.to_string())?;
    let store = &app.store;
    let scope = Scope::Study(study.id.clone());
    if !store
        .participants(&scope)
        .await
        .map_err(|e| e.to_string())?
        .is_empty()
    {
        return Ok(());
    }
    let (crc, inv) = give_roles(app, study, accounts).await?;
    let (Some(crc), Some(inv), Some(site)) = (crc, inv, study.sites.first()) else {
        return Err(format!(
            "study {study_id} needs a coordinator and an investigator"
        ));
    };
    let cohort = Cohort {
        scope: &scope,
        site: &site.id,
        by: Actor::user(&crc),
        signer: Actor::user(&inv),
        inv: &inv,
        window: i64::from(study.dlt_window_days.unwrap_or(28)),
        today,
    };
    let mut rng = Rng::new(1);
    // (days ago of the first dose, DLT onset day when there is one)
    let plan: [(i64, Option<i64>); 10] = [
        (300, None),
        (290, None),
        (285, None),
        (220, None),
        (215, Some(9)),
        (210, None),
        (150, None),
        (145, None),
        (140, None),
        (6, None),
    ];
    let mut last = None;
    for (n, (ago, dlt)) in plan.into_iter().enumerate() {
        let dosed = Dosed {
            n,
            first_dose: today - Duration::days(ago),
            dlt,
        };
        last = Some((
            escalation_participant(app, &cohort, &dosed, &mut rng).await?,
            dosed,
        ));
    }
    // Each dose of each cohort given at the bedside from a released lot.
    super::product::seed_escalation(app, study, today).await?;
    // Last, once everyone is enrolled and dosed: a related grade 4 fever of the newest
    // participant fires the stopping rule; dosing and enrolment wait for the DSMB.
    if let Some((p, dosed)) = last {
        let onset = dosed.first_dose + Duration::days(2);
        safety::seed_related_event(app, &scope, &p, &cohort.by, ("Fever", 4, false), onset).await?;
    }
    // Lab values at the visits that took place, none graded as high as a proposal.
    super::labs::seed_labs(app, study, today, false).await?;
    Ok(())
}

/// Gives each demo account its role in the study (site roles at its sites); the coordinator and
/// the investigator.
async fn give_roles(
    app: &App,
    study: &trial::Study,
    accounts: &[DemoUser],
) -> Result<(Option<store::User>, Option<store::User>), String> {
    let store = &app.store;
    let system = Actor::system();
    let (mut crc, mut inv) = (None, None);
    for a in accounts {
        let Some(user) = store
            .user_by_name(&a.username)
            .await
            .map_err(|e| e.to_string())?
        else {
            continue;
        };
        let site = match &a.site {
            Some(site) if study.site(site).is_none() => continue,
            site => site.clone(),
        };
        let assignment = RoleAssignment {
            user_id: user.id,
            study_id: study.id.clone(),
            role: a.role,
            site_id: site,
        };
        store
            .assign_role(&assignment, &system)
            .await
            .map_err(|e| e.to_string())?;
        match a.role {
            Role::Crc => crc = Some(user),
            Role::Investigator => inv = Some(user),
            _ => {}
        }
    }
    Ok((crc, inv))
}

/// A participant of the escalation: when the first dose was given, and the onset day of a DLT.
struct Dosed {
    n: usize,
    first_dose: Date,
    dlt: Option<i64>,
}

/// What the participants of the demo escalation share: the coordinator who screens and enrols,
/// the investigator who signs the DLT assessments, the DLT window.
struct Cohort<'a> {
    scope: &'a Scope,
    site: &'a str,
    by: Actor,
    signer: Actor,
    inv: &'a store::User,
    window: i64,
    today: Date,
}

/// Screens, enrols and doses one participant of the escalation at the level the rule allows,
/// and records the DLT assessment once due (a DLT from its grade 3 adverse event).
async fn escalation_participant(
    app: &App,
    cohort: &Cohort<'_>,
    dosed: &Dosed,
    rng: &mut Rng,
) -> Result<store::Participant, String> {
    let (scope, by) = (cohort.scope, &cohort.by);
    let study = app.study(scope.study()).map_err(|e| e.to_string())?;
    let store = &app.store;
    let Dosed { n, first_dose, .. } = *dosed;
    let screening_date = first_dose - Duration::days(7);
    let injury = Injury {
        level: Level::C6,
        zone: 0,
        below: Below::SensorySpared,
    };
    let mut exam = Exam {
        right: injury.side(rng),
        left: injury.side(rng),
        anal_contraction: Anal::No,
        anal_sensation: Anal::Yes,
    };
    exam.anal_sensation = Anal::Yes;
    let input = ScreeningInput {
        site_id: cohort.site.to_string(),
        screening_number: format!("P1-S{:02}", n + 1),
        sex: if n % 4 == 0 { "female" } else { "male" }.into(),
        date_of_birth: store::date(screening_date - Duration::days(365 * (25 + n as i64 * 3))),
        injury_date: store::date(screening_date - Duration::days(20)),
        consent_date: store::date(screening_date - Duration::days(1)),
        screening_date: store::date(screening_date),
        exam: flat_exam(&exam),
    };
    let p = service::screen(app, scope, &input, by)
        .await
        .map_err(|e| e.to_string())?;
    let drawn = super::Drawn {
        n,
        input,
        exam,
        screening_date,
        injury_date: screening_date - Duration::days(20),
    };
    let input = &drawn.input;
    if !p.eligible {
        return Err(format!(
            "demo participant {} is not eligible",
            input.screening_number
        ));
    }
    let enrolment = EnrolmentInput {
        subject_id: format!("XS228-P1-{:02}", n + 1),
        enrolled_on: store::date(screening_date + Duration::days(3)),
        anchor_date: Some(store::date(first_dose)),
    };
    let p = service::enrol(app, scope, p.id, &enrolment, by)
        .await
        .map_err(|e| e.to_string())?;
    let dose = store
        .assign_dose_level(scope, study, p.id, None, None, by)
        .await
        .map_err(|e| e.to_string())?;
    let level = study
        .dose_level(&dose.level_id)
        .map_or(1, |l| i64::from(l.last_dose_day()));
    // The visits of the participant's plan (its dose schedule's) that have taken place, with
    // their own draws so that the screening exams of the later participants stay as they are.
    let mut follow_rng = Rng::new(100 + n as u64);
    super::follow_up(app, scope, &p, by, &drawn, cohort.today, &mut follow_rng).await?;
    let mut ae_ids = Vec::new();
    if let Some(day) = dosed.dlt {
        let onset = first_dose + Duration::days(day - 1);
        let event = ("Meningitis", 3, true);
        ae_ids.push(safety::seed_related_event(app, scope, &p, by, event, onset).await?);
    }
    if let Some(assessment) = dlt_assessment(cohort, dosed, p.id, level, ae_ids) {
        store
            .record_dlt(scope, study, &assessment, &cohort.signer)
            .await
            .map_err(|e| e.to_string())?;
        dlt_form(app, scope, &p, &assessment, by).await?;
    }
    Ok(p)
}

/// The study's DLT form, on the last visit of the participant's plan that has it, saved with
/// what the signed assessment says: the participant's page and the cohort view agree.
async fn dlt_form(
    app: &App,
    scope: &Scope,
    p: &store::Participant,
    assessment: &store::NewDlt<'_>,
    by: &Actor,
) -> Result<(), String> {
    let study = app.study(scope.study()).map_err(|e| e.to_string())?;
    let store = &app.store;
    let visits = store.visits(scope, p.id).await.map_err(|e| e.to_string())?;
    let Some((visit, form)) = visits.iter().rev().find_map(|v| {
        let def = study.visit(&v.visit_id)?;
        let form = def
            .forms
            .iter()
            .filter_map(|f| study.form(f))
            .find(|f| f.fields.iter().any(|field| field.id == "dlt_observed"))?;
        Some((v.visit_id.clone(), form))
    }) else {
        return Ok(());
    };
    let mut values = serde_json::Map::new();
    values.insert("dlt_observed".into(), assessment.dlt.into());
    if assessment.dlt {
        values.insert("ctcae_grade".into(), 3.into());
        values.insert("description".into(), assessment.description.clone().into());
    }
    let data = match trial::score_form(form, &values).map_err(|e| format!("{e:?}"))? {
        serde_json::Value::Object(map) => map,
        other => serde_json::Map::from_iter([("value".to_string(), other)]),
    };
    let save = store::FormSave {
        participant_id: p.id,
        visit_id: visit,
        form_id: form.id.clone(),
        data,
        status: trial::FormStatus::Complete,
        reason: None,
        eligibility: None,
    };
    store
        .save_form(scope, &save, by)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// The DLT assessment of a participant whose last dose is on `last_dose_day`: a DLT with its
/// onset, none once the window is over, or none yet.
fn dlt_assessment<'a>(
    cohort: &Cohort<'a>,
    dosed: &Dosed,
    participant_id: i64,
    last_dose_day: i64,
    ae_ids: Vec<i64>,
) -> Option<store::NewDlt<'a>> {
    let (first_dose, inv) = (dosed.first_dose, cohort.inv);
    let window_end = first_dose + Duration::days(last_dose_day - 1 + cohort.window);
    match dosed.dlt {
        Some(day) => Some(store::NewDlt {
            participant_id,
            dlt: true,
            onset_on: Some(store::date(first_dose + Duration::days(day - 1))),
            description: "grade 3 aseptic meningitis (CTCAE v5.0), resolved".into(),
            assessed_on: store::date(first_dose + Duration::days(day + 1)),
            ae_ids,
            signer: inv,
        }),
        None if window_end <= cohort.today => Some(store::NewDlt {
            participant_id,
            dlt: false,
            onset_on: None,
            description: "no dose-limiting toxicity in the window".into(),
            assessed_on: store::date(window_end),
            ae_ids: vec![],
            signer: inv,
        }),
        None => None,
    }
}
