//! Phase I's analyses (open-label dose escalation): per dose level, the participants, the DLT
//! assessments and the 3+3 rule's decision, the adverse events (counts, participants with at
//! least one, by CTCAE grade, serious, related to the product), the maximum tolerated dose as
//! the escalation decided it ([`crate::escalation::three_plus_three`] on the levels' evaluable
//! participants and DLTs), and the total motor score by visit per level (the trajectories; the
//! figure is [`super::figures::trajectories_svg`]).
//!
//! The dose level is the participant's `ADSL` treatment (`TRT01P`): an open-label study's
//! levels are always read.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Datasets, Param};
use crate::escalation::{three_plus_three, Decision};
use crate::safety::AdverseEvent;
use crate::study::Study;

/// One dose level's summary.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LevelSummary {
    /// The level's id.
    pub level: String,
    /// Its name.
    pub name: String,
    /// Participants given the level.
    pub participants: u32,
    /// Of them, assessed for DLT (a signed assessment: a DLT, or the window over without one).
    pub evaluable: u32,
    /// Of them, with a DLT.
    pub dlts: u32,
    /// The 3+3 rule's decision for the level.
    pub decision: Decision,
    /// Adverse events of the level's participants.
    pub events: u32,
    /// Participants with at least one adverse event.
    pub with_any_ae: u32,
    /// Serious adverse events.
    pub serious_events: u32,
    /// Participants with at least one serious adverse event.
    pub with_sae: u32,
    /// Events at least possibly related to the product.
    pub related_events: u32,
    /// Events by CTCAE grade, 1 to 5 (index 0 is grade 1).
    pub events_by_grade: [u32; 5],
    /// Participants by their worst CTCAE grade, 1 to 5.
    pub participants_by_worst_grade: [u32; 5],
}

/// The mean total motor score of a level's participants at a visit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VisitMean {
    /// The visit's id.
    pub visit: String,
    /// Its planned study day.
    pub day: i32,
    /// Participants with a score.
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// The smallest score.
    pub min: f64,
    /// The largest.
    pub max: f64,
}

/// A level's total motor scores by visit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Trajectory {
    /// The level's id.
    pub level: String,
    /// By visit, in study-day order.
    pub visits: Vec<VisitMean>,
}

/// Where the escalation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EscalationState {
    /// A maximum tolerated dose is established.
    MtdEstablished,
    /// Enrolment goes on at a level.
    Ongoing,
    /// The lowest level was too toxic: no dose is tolerated.
    NoTolerableDose,
    /// The study defines no dose levels.
    NoLevels,
}

/// Phase I's results.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Phase1 {
    /// Each dose level, in escalation order.
    pub levels: Vec<LevelSummary>,
    /// Where the escalation stands.
    pub escalation: EscalationState,
    /// The maximum tolerated dose's level id, once established.
    pub mtd: Option<String>,
    /// The level where the rule enrols next, while the escalation goes on.
    pub next_level: Option<String>,
    /// The total motor score by visit, per level.
    pub trajectories: Vec<Trajectory>,
}

/// Phase I's results from the datasets (each participant's dose level as `ADSL` shows it),
/// the signed DLT assessments (subject id → whether a DLT occurred) and the adverse events
/// (subject id, event). Events and assessments of participants without a level are left out.
pub fn phase1(
    study: &Study,
    data: &Datasets,
    dlts: &BTreeMap<String, bool>,
    events: &[(String, AdverseEvent)],
) -> Phase1 {
    let mut levels: Vec<LevelSummary> = study
        .dose_levels
        .iter()
        .map(|l| LevelSummary {
            level: l.id.clone(),
            name: l.name.clone(),
            participants: 0,
            evaluable: 0,
            dlts: 0,
            decision: Decision::NeedMore,
            events: 0,
            with_any_ae: 0,
            serious_events: 0,
            with_sae: 0,
            related_events: 0,
            events_by_grade: [0; 5],
            participants_by_worst_grade: [0; 5],
        })
        .collect();
    let mut by_subject: BTreeMap<&str, Vec<&AdverseEvent>> = BTreeMap::new();
    for (subject, e) in events {
        by_subject.entry(subject.as_str()).or_default().push(e);
    }
    for s in &data.adsl {
        let Some(level) = s
            .arm
            .as_deref()
            .and_then(|a| levels.iter_mut().find(|l| l.level == a))
        else {
            continue;
        };
        level.participants += 1;
        if let Some(dlt) = dlts.get(&s.subjid) {
            level.evaluable += 1;
            level.dlts += u32::from(*dlt);
        }
        let own = by_subject.get(s.subjid.as_str()).map_or(&[][..], |v| v);
        let grade = |e: &AdverseEvent| usize::from(e.grade.clamp(1, 5) - 1);
        level.events += own.len() as u32;
        level.with_any_ae += u32::from(!own.is_empty());
        level.serious_events += own.iter().filter(|e| e.is_serious()).count() as u32;
        level.with_sae += u32::from(own.iter().any(|e| e.is_serious()));
        level.related_events += own
            .iter()
            .filter(|e| e.causality_product.is_related())
            .count() as u32;
        for e in own {
            level.events_by_grade[grade(e)] += 1;
        }
        if let Some(worst) = own.iter().map(|e| grade(e)).max() {
            level.participants_by_worst_grade[worst] += 1;
        }
    }
    let counts: Vec<(u32, u32)> = levels.iter().map(|l| (l.evaluable, l.dlts)).collect();
    let rule = three_plus_three(&counts);
    for (level, decision) in levels.iter_mut().zip(&rule.decisions) {
        level.decision = *decision;
    }
    let id = |i: Option<usize>| i.and_then(|i| levels.get(i)).map(|l| l.level.clone());
    let escalation = match (rule.mtd, rule.next) {
        _ if levels.is_empty() => EscalationState::NoLevels,
        (Some(_), _) => EscalationState::MtdEstablished,
        (None, Some(_)) => EscalationState::Ongoing,
        (None, None) => EscalationState::NoTolerableDose,
    };
    let trajectories = levels
        .iter()
        .map(|l| Trajectory {
            level: l.level.clone(),
            visits: trajectory(data, &l.level),
        })
        .collect();
    Phase1 {
        escalation,
        mtd: id(rule.mtd),
        next_level: id(rule.next),
        levels,
        trajectories,
    }
}

/// The total motor scores of a level's participants by visit.
fn trajectory(data: &Datasets, level: &str) -> Vec<VisitMean> {
    let mut by_visit: BTreeMap<(i32, &str), Vec<f64>> = BTreeMap::new();
    for r in data.adisn.iter().filter(|r| r.param == Param::Tms) {
        let Some(value) = r.aval else { continue };
        if data
            .adsl
            .get(r.subject)
            .is_some_and(|s| s.arm.as_deref() == Some(level))
        {
            by_visit
                .entry((r.avisitn, r.visit_id.as_str()))
                .or_default()
                .push(value);
        }
    }
    by_visit
        .into_iter()
        .map(|((day, visit), values)| VisitMean {
            visit: visit.to_owned(),
            day,
            n: values.len(),
            mean: values.iter().sum::<f64>() / values.len() as f64,
            min: values.iter().copied().fold(f64::INFINITY, f64::min),
            max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        })
        .collect()
}
