//! `ADSL` and `ADISN` from the participants as loaded ([`Subject`]); each derivation is
//! described in `docs/analysis.md` under the variable's name.

use std::collections::BTreeMap;

use time::Date;

use super::{Assignment, Measurement, Param, Subject, SubjectVisit};
use crate::participants::ParticipantStatus;
use crate::prognosis::{PrognosisGap, WalkingPrognosis};
use crate::study::{Study, VisitDef};

/// The study day of the primary endpoint: 24 weeks after day 1.
pub const PRIMARY_DAY: i32 = 169;

/// One `ADSL` record: a participant.
#[derive(Clone, Debug, PartialEq)]
pub struct AdslRow {
    /// `STUDYID`.
    pub studyid: String,
    /// `USUBJID`: the study id and the subject id, joined by `-`.
    pub usubjid: String,
    /// `SUBJID`.
    pub subjid: String,
    /// `SITEID`.
    pub siteid: String,
    /// `AGE` in whole years at screening.
    pub age: Option<i64>,
    /// `SEX`: `M`, `F` or `U`.
    pub sex: &'static str,
    /// The arm or dose level id, when shown (never written; the analyses group by it).
    pub arm: Option<String>,
    /// `TRT01P`: the planned treatment's name; `BLINDED` when hidden, empty when none.
    pub trt01p: String,
    /// `TRT01A`: the actual treatment: the planned one when the product was given.
    pub trt01a: String,
    /// `ITTFL`: randomised (or given a dose level).
    pub ittfl: bool,
    /// `ITTRSN`: why not.
    pub ittrsn: String,
    /// `SAFFL`: in ITT and received the product.
    pub saffl: bool,
    /// `SAFRSN`: why not.
    pub safrsn: String,
    /// `PPROTFL`: in the safety population, never unblinded in an emergency, the primary
    /// visit done inside its window.
    pub pprotfl: bool,
    /// `PPROTRSN`: every reason why not, joined by `; `.
    pub pprotrsn: String,
    /// `STRAT1R`, `STRAT2R`, …: the stratification at randomisation.
    pub strata: Vec<String>,
    /// `ENRLDT`.
    pub enrldt: Date,
    /// `RANDDT`: randomisation (or dose level) date.
    pub randdt: Option<Date>,
    /// `TRTSDT`: day 1, when the product was given.
    pub trtsdt: Option<Date>,
    /// `INJDT`: date of injury.
    pub injdt: Date,
    /// `DAYSINJ`: days from injury to screening.
    pub daysinj: i64,
    /// `EOSSTT`: `ONGOING`, `COMPLETED` or `DISCONTINUED`.
    pub eosstt: &'static str,
    /// `EOSDT`.
    pub eosdt: Option<Date>,
    /// `DCSREAS`: why discontinued.
    pub dcsreas: String,
    /// Baseline of each parameter (`TMSBL`, …; `AISBL` and `NLIBL` as text).
    pub baselines: BTreeMap<Param, Baseline>,
    /// The van Middendorp walking prognosis of the baseline ISNCSCI exam (`WLKSCBL`,
    /// `WLKPRBL`), or why it is not computed (`WLKRSN`); none without a baseline exam.
    pub walking: Option<Result<WalkingPrognosis, PrognosisGap>>,
}

/// A participant's baseline value of a parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Baseline {
    /// The number (`BASE`).
    pub value: Option<f64>,
    /// The text (`BASEC`).
    pub text: String,
    /// The visit it was measured at.
    pub visit_id: String,
}

/// One `ADISN` record: a participant's parameter at a visit.
#[derive(Clone, Debug, PartialEq)]
pub struct AdisnRow {
    /// `USUBJID`.
    pub usubjid: String,
    /// The participant's `ADSL` record's index in [`Datasets::adsl`].
    pub subject: usize,
    /// `PARAMCD`, `PARAM`, `PARAMN`.
    pub param: Param,
    /// The visit's id in the study definition.
    pub visit_id: String,
    /// `AVISIT`: the visit's name.
    pub avisit: String,
    /// `AVISITN`: the visit's planned study day.
    pub avisitn: i32,
    /// `ADT`: the date the visit took place.
    pub adt: Option<Date>,
    /// `ADY`: its study day (day 1 is the dose; no day 0).
    pub ady: Option<i64>,
    /// `AVAL`.
    pub aval: Option<f64>,
    /// `AVALC`.
    pub avalc: String,
    /// `AVALRSN`: why `AVAL` (or, for the level, `AVALC`) is missing; empty when it is not.
    pub avalrsn: String,
    /// `BASE`.
    pub base: Option<f64>,
    /// `BASEC`.
    pub basec: String,
    /// `CHG`: `AVAL - BASE` after day 1.
    pub chg: Option<f64>,
    /// `ABLFL`: the baseline record.
    pub ablfl: bool,
    /// `WINFL`: the visit took place inside its window.
    pub winfl: Option<bool>,
    /// `ANL01FL`: the record the primary or a secondary analysis uses.
    pub anl01fl: bool,
}

/// The two datasets.
#[derive(Clone, Debug, PartialEq)]
pub struct Datasets {
    /// The study.
    pub studyid: String,
    /// The names of the stratification factors (`STRAT1R` is the first).
    pub strata: Vec<String>,
    /// The primary visit's id.
    pub primary_visit: Option<String>,
    /// One record per enrolled participant, by `USUBJID`.
    pub adsl: Vec<AdslRow>,
    /// By `USUBJID`, `PARAMN`, `AVISITN`.
    pub adisn: Vec<AdisnRow>,
}

/// The visit of the primary endpoint: the scheduled (not screening) visit whose day is nearest
/// [`PRIMARY_DAY`], the earlier on a tie.
pub fn primary_visit(study: &Study) -> Option<&VisitDef> {
    study
        .visits
        .iter()
        .filter(|v| !v.screening)
        .min_by_key(|v| (v.day - PRIMARY_DAY).abs())
}

/// The parameters an analysis uses at the primary visit (`ANL01FL`).
const ANALYSED: [Param; 5] = [
    Param::Tms,
    Param::Uems,
    Param::Lems,
    Param::Scim,
    Param::Ais,
];

/// Derives `ADSL` and `ADISN` from the enrolled participants.
pub fn derive(study: &Study, subjects: &[Subject]) -> Datasets {
    let primary = primary_visit(study).map(|v| v.id.clone());
    let strata = study
        .randomisation
        .as_ref()
        .map(|r| r.factors().iter().map(|f| f.as_str().to_owned()).collect())
        .unwrap_or_default();
    let mut ordered: Vec<&Subject> = subjects.iter().collect();
    ordered.sort_by(|a, b| a.subject_id.cmp(&b.subject_id));
    let mut adsl = Vec::new();
    let mut adisn = Vec::new();
    for s in ordered {
        let index = adsl.len();
        let row = adsl_row(study, s, primary.as_deref());
        adisn.extend(adisn_rows(study, s, &row, index, primary.as_deref()));
        adsl.push(row);
    }
    adisn.sort_by(|a, b| {
        (a.subject, a.param.number(), a.avisitn).cmp(&(b.subject, b.param.number(), b.avisitn))
    });
    Datasets {
        studyid: study.id.clone(),
        strata,
        primary_visit: primary,
        adsl,
        adisn,
    }
}

fn adsl_row(study: &Study, s: &Subject, primary: Option<&str>) -> AdslRow {
    let (arm, trt01p) = match &s.assignment {
        Assignment::None => (None, String::new()),
        Assignment::Hidden => (None, "BLINDED".to_owned()),
        Assignment::Shown(id) => {
            let name = study
                .arm(id)
                .map(|a| a.name.clone())
                .or_else(|| study.dose_level(id).map(|l| l.name.clone()))
                .unwrap_or_else(|| id.clone());
            (Some(id.clone()), name)
        }
    };
    let ittfl = s.assignment != Assignment::None;
    let saffl = ittfl && s.treated;
    let trt01a = if saffl { trt01p.clone() } else { String::new() };
    let ittrsn = if ittfl {
        String::new()
    } else if study.randomisation.is_some() {
        "not randomised".to_owned()
    } else {
        "no dose level given".to_owned()
    };
    let safrsn = if saffl {
        String::new()
    } else if !ittfl {
        ittrsn.clone()
    } else {
        "the product was not given (kit not dispensed)".to_owned()
    };
    let mut reasons = Vec::new();
    if !saffl {
        reasons.push(safrsn.clone());
    }
    if s.emergency_unblinded {
        reasons.push("unblinded in an emergency".to_owned());
    }
    if let Some(primary) = primary {
        match s.visits.iter().find(|v| v.visit_id == primary) {
            Some(v) if v.done_on.is_some() => {
                if in_window(v) == Some(false) {
                    reasons.push("primary visit outside its window".to_owned());
                }
            }
            _ => reasons.push("no primary visit".to_owned()),
        }
    }
    let pprotfl = reasons.is_empty();
    let eosstt = match s.status {
        ParticipantStatus::Completed => "COMPLETED",
        ParticipantStatus::Withdrawn => "DISCONTINUED",
        _ => "ONGOING",
    };
    let dcsreas = if s.status == ParticipantStatus::Withdrawn {
        s.end_reason.clone().unwrap_or_default()
    } else {
        String::new()
    };
    AdslRow {
        studyid: study.id.clone(),
        usubjid: format!("{}-{}", study.id, s.subject_id),
        subjid: s.subject_id.clone(),
        siteid: s.site_id.clone(),
        age: Some(crate::age_in_years(s.date_of_birth, s.screening_date) as i64)
            .filter(|a| *a >= 0),
        sex: match s.sex.as_str() {
            "male" => "M",
            "female" => "F",
            _ => "U",
        },
        arm,
        trt01p,
        trt01a,
        ittfl,
        ittrsn,
        saffl,
        safrsn,
        pprotfl,
        pprotrsn: reasons.join("; "),
        strata: s.strata.clone(),
        enrldt: s.enrolled_on,
        randdt: s.assigned_on,
        trtsdt: s.anchor_date.filter(|_| saffl),
        injdt: s.injury_date,
        daysinj: (s.screening_date - s.injury_date).whole_days(),
        eosstt,
        eosdt: s.ended_on,
        dcsreas,
        baselines: baselines(study, s),
        walking: walking(study, s),
    }
}

/// The walking prognosis of the baseline ISNCSCI exam: the exam of the last visit planned on
/// or before day 1 (the baselines' rule), for the age in whole years on the day it took place
/// (the screening date when its date is unknown).
fn walking(study: &Study, s: &Subject) -> Option<Result<WalkingPrognosis, PrognosisGap>> {
    let exam = s
        .walking
        .iter()
        .filter(|e| super::params::walking_visit(study, &e.visit_id))
        .filter_map(|e| study.visit(&e.visit_id).map(|v| (v.day, e)))
        .max_by_key(|(day, _)| *day)
        .map(|(_, e)| e)?;
    let on = s
        .visits
        .iter()
        .find(|v| v.visit_id == exam.visit_id)
        .and_then(|v| v.done_on)
        .unwrap_or(s.screening_date);
    Some(
        exam.inputs
            .prognosis(crate::age_in_years(s.date_of_birth, on)),
    )
}

/// Whether a visit that took place was inside its window.
fn in_window(v: &SubjectVisit) -> Option<bool> {
    v.done_on.map(|d| v.earliest <= d && d <= v.latest)
}

/// The planned day of a measurement's visit; none for a visit the study does not define.
fn day_of(study: &Study, m: &Measurement) -> Option<i32> {
    study.visit(&m.visit_id).map(|v| v.day)
}

/// Each parameter's baseline: the last measurement with a value at a visit on or before day 1.
fn baselines(study: &Study, s: &Subject) -> BTreeMap<Param, Baseline> {
    let mut found: BTreeMap<Param, (i32, Baseline)> = BTreeMap::new();
    for m in &s.measurements {
        let Some(day) = day_of(study, m) else {
            continue;
        };
        let has_value = match m.param {
            Param::Nli => !m.text.is_empty() && m.text != "ND",
            _ => m.value.is_some(),
        };
        if day > 1 || !has_value {
            continue;
        }
        if found.get(&m.param).is_none_or(|(d, _)| *d <= day) {
            let b = Baseline {
                value: m.value,
                text: m.text.clone(),
                visit_id: m.visit_id.clone(),
            };
            found.insert(m.param, (day, b));
        }
    }
    found.into_iter().map(|(p, (_, b))| (p, b)).collect()
}

fn adisn_rows(
    study: &Study,
    s: &Subject,
    adsl: &AdslRow,
    subject: usize,
    primary: Option<&str>,
) -> Vec<AdisnRow> {
    let mut rows = Vec::new();
    for m in &s.measurements {
        let Some(def) = study.visit(&m.visit_id) else {
            continue;
        };
        let visit = s.visits.iter().find(|v| v.visit_id == m.visit_id);
        let adt = visit.and_then(|v| v.done_on);
        let baseline = adsl.baselines.get(&m.param);
        let ablfl = baseline.is_some_and(|b| b.visit_id == m.visit_id);
        let chg = if def.day > 1 {
            m.value
                .zip(baseline.and_then(|b| b.value))
                .map(|(a, b)| a - b)
        } else {
            None
        };
        let anl01fl = adsl.ittfl
            && chg.is_some()
            && ANALYSED.contains(&m.param)
            && primary == Some(m.visit_id.as_str());
        rows.push(AdisnRow {
            usubjid: adsl.usubjid.clone(),
            subject,
            param: m.param,
            visit_id: m.visit_id.clone(),
            avisit: def.name.clone(),
            avisitn: def.day,
            adt,
            ady: adt.zip(s.anchor_date).map(|(d, anchor)| {
                let days = (d - anchor).whole_days();
                if days >= 0 {
                    days + 1
                } else {
                    days
                }
            }),
            aval: m.value,
            avalc: m.text.clone(),
            avalrsn: m.reason.clone().unwrap_or_default(),
            base: baseline.and_then(|b| b.value),
            basec: baseline.map(|b| b.text.clone()).unwrap_or_default(),
            chg,
            ablfl,
            winfl: visit.and_then(in_window),
            anl01fl,
        });
    }
    rows
}
