//! Laboratory results: the tests a study measures (panels from the [`catalogue`], chosen by
//! the study definition's `[labs]` table), normal ranges per site, sex and age band with their
//! validity dates ([`ranges`], loaded as data), each value converted to its test's unit,
//! flagged against its range and its critical limits, refused when implausible, and graded by
//! CTCAE v5.0 ([`grading`]); a grade at or above the study's threshold proposes an adverse
//! event, which the investigator accepts (the event is recorded) or dismisses with a reason.
//! [`import`] reads a central lab's results file, all or nothing.

pub mod catalogue;
pub mod csv;
pub mod grading;
pub mod import;
pub mod ranges;
pub mod tables;

use serde::Serialize;

pub use catalogue::{Panel, TestDef};
pub use grading::{grade, Graded, Limits};
pub use ranges::{pick, read_ranges, NormalRange};
pub use tables::{lab_tables, LabTables, TableValue};

use crate::error::{required_reason, Refusal};
use crate::states::named_states;
use crate::Change;

named_states! {
    /// A value against its normal range and its test's critical limits.
    pub enum Flag {
        /// Within the normal range.
        Normal = "normal",
        /// Below the lower limit of normal.
        Low = "low",
        /// Above the upper limit of normal.
        High = "high",
        /// Below the test's critical low limit.
        CriticalLow = "critical-low",
        /// Above the test's critical high limit.
        CriticalHigh = "critical-high",
        /// No normal range applies (and the value is not critical).
        NoRange = "no-range",
    }
}

impl Flag {
    /// The shift category against a baseline: `low`, `normal` or `high` (`None` without a
    /// range).
    pub fn shift_class(self) -> Option<&'static str> {
        match self {
            Flag::Low | Flag::CriticalLow => Some("low"),
            Flag::High | Flag::CriticalHigh => Some("high"),
            Flag::Normal => Some("normal"),
            Flag::NoRange => None,
        }
    }
}

named_states! {
    /// Where an adverse event proposed by a graded value stands.
    pub enum ProposalState {
        /// Waiting for the investigator.
        Open = "open",
        /// Accepted: the adverse event was recorded.
        Accepted = "accepted",
        /// Dismissed, with a reason.
        Dismissed = "dismissed",
    }
}

named_states! {
    /// A drug level against the target range the protocol sets for it (an immunosuppressant's
    /// trough).
    pub enum TargetFlag {
        /// Below the target range.
        Below = "below",
        /// Within it (bounds included).
        Within = "within",
        /// Above it.
        Above = "above",
    }
}

/// A target range of the study definition (`[[labs.targets]]`), in the test's unit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TargetRange {
    /// The test's code (`TACRO`).
    pub test: String,
    /// The lowest level within the target.
    pub low: f64,
    /// The highest level within the target.
    pub high: f64,
}

impl TargetRange {
    /// Where a value (in the test's unit) stands against the target.
    pub fn flag(&self, value: f64) -> TargetFlag {
        if value < self.low {
            TargetFlag::Below
        } else if value > self.high {
            TargetFlag::Above
        } else {
            TargetFlag::Within
        }
    }
}

/// The grade at which a lab value proposes an adverse event when the study does not say.
pub const DEFAULT_AE_THRESHOLD: u8 = 3;

/// A panel of a study: the tests it measures and the visits it is collected at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PanelDef {
    /// Which panel.
    pub panel: Panel,
    /// The codes of its tests (from the catalogue; each test in one panel of the study).
    pub tests: Vec<String>,
    /// The visits it is collected at (visit ids of the schedule).
    pub visits: Vec<String>,
}

/// The study definition's `[labs]` table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LabsDefinition {
    /// A graded value at or above this grade (1 to 5) proposes an adverse event.
    pub ae_threshold: u8,
    /// The panels, in order.
    pub panels: Vec<PanelDef>,
    /// The target ranges of drug levels (where the protocol uses immunosuppression).
    pub targets: Vec<TargetRange>,
}

impl Default for LabsDefinition {
    fn default() -> Self {
        LabsDefinition {
            ae_threshold: DEFAULT_AE_THRESHOLD,
            panels: Vec::new(),
            targets: Vec::new(),
        }
    }
}

impl LabsDefinition {
    /// The codes of every test the study measures, in panel order.
    pub fn test_codes(&self) -> Vec<&str> {
        self.panels
            .iter()
            .flat_map(|p| p.tests.iter().map(String::as_str))
            .collect()
    }

    /// The study's test of a code (any case), or a refusal naming `field` and the codes.
    pub fn test(&self, field: &str, code: &str) -> Result<&'static TestDef, Refusal> {
        let codes = self.test_codes();
        catalogue::test(code)
            .filter(|t| codes.contains(&t.code))
            .ok_or_else(|| Refusal::not_allowed(field, code, &codes))
    }

    /// Where a value of a test (in the test's unit) stands against the study's target range
    /// for it, when the study sets one.
    pub fn target_flag(&self, test: &str, value: f64) -> Option<TargetFlag> {
        let target = self.targets.iter().find(|t| t.test == test)?;
        value.is_finite().then(|| target.flag(value))
    }

    /// The panels collected at a visit.
    pub fn panels_at(&self, visit: &str) -> Vec<&PanelDef> {
        self.panels
            .iter()
            .filter(|p| p.visits.iter().any(|v| v == visit))
            .collect()
    }
}

/// A value as entered or imported: the text of the number and its unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entered<'a> {
    /// The number as written.
    pub value: &'a str,
    /// Its UCUM unit.
    pub unit: &'a str,
}

/// A value assessed: converted, flagged, graded.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assessment {
    /// The value in the test's unit.
    pub value: f64,
    /// The test's unit.
    pub unit: &'static str,
    /// Its flag.
    pub flag: Flag,
    /// The normal range that applied, in the test's unit.
    pub low: Option<f64>,
    /// The normal range that applied, in the test's unit.
    pub high: Option<f64>,
    /// The CTCAE term and grade, when graded.
    pub term: Option<&'static str>,
    /// The CTCAE grade, when graded.
    pub grade: Option<u8>,
}

/// Converts, flags and grades a value of `test` against the range that applies (if any) and
/// the participant's baseline (in the test's unit). Refused, naming the test, when the value
/// is not a number, its unit is not one the test takes, or it is not plausible.
pub fn assess(
    test: &TestDef,
    entered: Entered<'_>,
    range: Option<Limits>,
    baseline: Option<f64>,
) -> Result<Assessment, Refusal> {
    let number = csv::decimal(entered.value).ok_or_else(|| {
        Refusal::invalid(
            "value",
            format!("{:?} is not a number ({})", entered.value, test.code),
        )
    })?;
    let factor = test.factor(entered.unit).ok_or_else(|| {
        Refusal::invalid(
            "unit",
            format!(
                "{:?} is not a unit of {} (allowed: {})",
                entered.unit,
                test.code,
                test.units().join(", ")
            ),
        )
    })?;
    let value = number * factor;
    let (lo, hi) = test.plausible;
    if !(lo..=hi).contains(&value) {
        return Err(Refusal::invalid(
            "value",
            format!(
                "{} {} is not a plausible value of {} ({}: {lo} to {hi} {})",
                entered.value.trim(),
                entered.unit.trim(),
                test.code,
                test.name,
                test.unit
            ),
        ));
    }
    let flag = if test.critical_low.is_some_and(|c| value < c) {
        Flag::CriticalLow
    } else if test.critical_high.is_some_and(|c| value > c) {
        Flag::CriticalHigh
    } else {
        match range {
            None => Flag::NoRange,
            Some(r) if value < r.lln => Flag::Low,
            Some(r) if value > r.uln => Flag::High,
            Some(_) => Flag::Normal,
        }
    };
    let graded = range.and_then(|r| grading::grade(test, value, r, baseline));
    Ok(Assessment {
        value,
        unit: test.unit,
        flag,
        low: range.map(|r| r.lln),
        high: range.map(|r| r.uln),
        term: graded.map(|g| g.term),
        grade: graded.map(|g| g.grade),
    })
}

/// Whether an assessed value proposes an adverse event: graded at or above the threshold.
pub fn proposes_event(assessment: &Assessment, threshold: u8) -> bool {
    assessment.grade.is_some_and(|g| g >= threshold)
}

/// A proposal as a rule needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// Its id.
    pub id: i64,
    /// The CTCAE term the value graded.
    pub term: String,
    /// The grade.
    pub grade: u8,
    /// Where it stands.
    pub state: ProposalState,
}

const PROPOSAL: &str = "lab-ae-proposal";

fn check_open(proposal: &Proposal) -> Result<(), Refusal> {
    if proposal.state == ProposalState::Open {
        Ok(())
    } else {
        Err(Refusal::conflict(
            "state",
            format!(
                "the proposal is {} already; only an open one is accepted or dismissed",
                proposal.state
            ),
        ))
    }
}

/// Accepting a proposal: the event must be the term and grade the value graded (computed,
/// never typed) and not serious (a serious event is marked so by a change of the event, which
/// starts the site's reporting clock). The changes audit the proposal's decision and the
/// event's id.
pub fn decide_accept(
    proposal: &Proposal,
    event: EventSummary<'_>,
    ae_id: i64,
) -> Result<Vec<Change>, Refusal> {
    check_event(proposal, event)?;
    Ok(vec![Change::new("accept", PROPOSAL, proposal.id)
        .set("state", ProposalState::Accepted)
        .was(ProposalState::Open)
        .because(&format!("adverse event {ae_id}"))])
}

/// What the acceptance checks of the adverse event the investigator fills in.
#[derive(Clone, Copy, Debug)]
pub struct EventSummary<'a> {
    /// Its coded term.
    pub term: &'a str,
    /// Its grade.
    pub grade: u8,
    /// Whether any seriousness criterion is met.
    pub serious: bool,
}

/// The checks of [`decide_accept`] that come before the event is written.
pub fn check_event(proposal: &Proposal, event: EventSummary<'_>) -> Result<(), Refusal> {
    check_open(proposal)?;
    if !event.term.eq_ignore_ascii_case(&proposal.term) {
        return Err(Refusal::not_allowed("term", event.term, &[&proposal.term]));
    }
    if event.grade != proposal.grade {
        return Err(Refusal::not_allowed(
            "grade",
            &event.grade.to_string(),
            &[proposal.grade],
        ));
    }
    if event.serious {
        return Err(Refusal::invalid(
            "seriousness",
            "a lab value's event is recorded not serious; mark it serious by changing the \
             adverse event, which starts the site's reporting clock",
        ));
    }
    Ok(())
}

/// Dismissing a proposal, with a reason.
pub fn decide_dismiss(proposal: &Proposal, reason: Option<&str>) -> Result<Vec<Change>, Refusal> {
    check_open(proposal)?;
    let reason = required_reason(reason, "to dismiss a proposed adverse event")?;
    Ok(vec![Change::new("dismiss", PROPOSAL, proposal.id)
        .set("state", ProposalState::Dismissed)
        .was(ProposalState::Open)
        .because(reason)])
}

#[cfg(test)]
mod tests;
