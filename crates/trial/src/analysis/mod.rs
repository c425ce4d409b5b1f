//! The analysis datasets and the analyses of a trial (issue #18), pure: typed inputs as the
//! store loads them ([`Subject`]) become the ADaM-shaped datasets ([`derive`]: `ADSL`, one
//! record per participant, and `ADISN`, one per participant × parameter × visit), and the
//! datasets become the results ([`analyse`]: the primary ANCOVA of the change in total motor
//! score at week 24 and the secondary analyses), by arm or pooled.
//!
//! Every derivation is documented in `docs/analysis.md`; the statistics are the `stats`
//! crate's. Blinding is in the inputs: a blinded load carries no arm ([`Assignment::Hidden`]),
//! so nothing derived from it can show one; the results of such datasets are pooled.
//!
//! - `params.rs`: the parameters (`TMS`, `UEMS`, …) and reading them from the saved forms.
//! - `datasets.rs`: `ADSL` and `ADISN`.
//! - `results.rs`: the analyses.
//! - `table.rs`: the datasets as named columns of text and numbers, for CSV and XPT.
//! - `consort.rs`: the CONSORT flow's counts; `figures.rs`: the figures as SVG
//!   (`consort_figure.rs`: the flow diagram), their text measured and wrapped by `text.rs`.
//! - `phase1.rs`: Phase I's dose levels, DLTs, adverse events, MTD and trajectories.
//! - `imputation.rs`: the multiple imputation of missing primary changes (sensitivity).

mod consort;
mod consort_figure;
mod datasets;
#[cfg(test)]
mod figure_tests;
pub mod figures;
pub mod imputation;
mod params;
pub mod phase1;
pub mod report;
mod results;
mod table;
#[cfg(test)]
mod tests;
pub mod text;

pub use consort::{consort, is_lost_to_follow_up, Consort, ConsortGroup, Count, Screened};
pub use datasets::{derive, primary_visit, AdisnRow, AdslRow, Baseline, Datasets, PRIMARY_DAY};
pub use params::{measurements_from_form, walking_exam_from_form, walking_visit, Param};
pub use results::{
    analyse, ByArm, ChangeAnalysis, CmhResult, Conversion, Effect, Outcome, Pooled, PooledRate,
    Populations, Results, Secondary, Sensitivity, CONFIDENCE,
};
pub use table::{Cell, Column, Kind, Table};

use time::Date;

use crate::participants::ParticipantStatus;

/// A participant as the analysis reads them: enrolled (screen failures and those still in
/// screening are not in the analysis datasets).
#[derive(Clone, Debug, PartialEq)]
pub struct Subject {
    /// The subject id given at enrolment.
    pub subject_id: String,
    /// The site.
    pub site_id: String,
    /// `male`, `female` or `other`.
    pub sex: String,
    /// Date of birth.
    pub date_of_birth: Date,
    /// Date of injury.
    pub injury_date: Date,
    /// Date of screening.
    pub screening_date: Date,
    /// Date of enrolment.
    pub enrolled_on: Date,
    /// Day 1 of the schedule (the dose), when set.
    pub anchor_date: Option<Date>,
    /// Where the participant is on the path.
    pub status: ParticipantStatus,
    /// Date of withdrawal or completion.
    pub ended_on: Option<Date>,
    /// Why it ended.
    pub end_reason: Option<String>,
    /// The treatment assigned (randomised arm or dose level).
    pub assignment: Assignment,
    /// The stratification at randomisation, one value per factor of the study's
    /// randomisation, in the definition's order (empty when not randomised).
    pub strata: Vec<String>,
    /// When randomised (or given a dose level).
    pub assigned_on: Option<Date>,
    /// Whether the participant received the product (the allocated kit dispensed, or a dose
    /// level given in an open-label study).
    pub treated: bool,
    /// Whether the participant's allocation was unblinded in an emergency.
    pub emergency_unblinded: bool,
    /// The visits planned, with the date each took place.
    pub visits: Vec<SubjectVisit>,
    /// The values measured at the visits.
    pub measurements: Vec<Measurement>,
    /// What the walking prognosis reads of each complete ISNCSCI exam, by visit.
    pub walking: Vec<WalkingExam>,
}

/// The values of an ISNCSCI exam the walking prognosis reads ([`crate::prognosis`]), at a
/// visit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalkingExam {
    /// The visit.
    pub visit_id: String,
    /// The L3 and S1 values of each side.
    pub inputs: crate::prognosis::WalkingInputs,
}

/// The treatment of a participant, as the reader of the datasets may see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Assignment {
    /// Neither randomised nor given a dose level.
    None,
    /// Assigned, the treatment not read (a blinded run).
    Hidden,
    /// Assigned to this arm or dose level (its id).
    Shown(String),
}

/// A planned visit of a participant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubjectVisit {
    /// The visit's id in the study definition.
    pub visit_id: String,
    /// First day of its window.
    pub earliest: Date,
    /// Last day of its window.
    pub latest: Date,
    /// When it took place.
    pub done_on: Option<Date>,
}

/// One value of a parameter at a visit: a number (`AVAL`) and its text (`AVALC`), either
/// missing when not determinable.
#[derive(Clone, Debug, PartialEq)]
pub struct Measurement {
    /// The visit.
    pub visit_id: String,
    /// The parameter.
    pub param: Param,
    /// The value as a number (`AVAL`).
    pub value: Option<f64>,
    /// The value as printed (`AVALC`): the AIS grade or the level, a total's digits, `ND`.
    pub text: String,
    /// Why the value is missing (`AVALRSN`): not determinable from the exam, or not
    /// classified; `None` when it is there (and for the level, a text parameter, once printed).
    pub reason: Option<String>,
}
