//! # trial
//!
//! The domain of a clinical trial of a cell therapy for spinal cord injury, without storage,
//! network or clock: roles, study definitions, eligibility and visit schedules.
//!
//! - [`Role`]: who does what; which roles are site-scoped.
//! - [`Study`]: a versioned study definition, read from TOML by [`Study::from_toml`] and
//!   checked as a whole; [`DefinitionError`] lists every problem with its key path. The schema
//!   is documented in `docs/study-definition.md`.
//! - [`evaluate_eligibility`]: a screening record and the screening ISNCSCI classification
//!   against the study's criteria.
//! - [`plan_visits`] and [`visit_status`]: visit dates and windows from an anchor date.
//! - The rules of the running trial, one module a feature, each a pure decision over typed
//!   states that returns what to write and the [`Change`]s to audit, or a [`Refusal`]:
//!   [`participants`] (enrolment, the end of participation, corrections), [`ecrf`] (saving,
//!   source verification, locks and electronic signatures of forms), [`queries`] (the query
//!   state machine), [`audit`] (signed checkpoints of the audit trail's chains, and how a
//!   trail departs from one), [`safety`] (adverse events, SAE and SUSAR clocks, DLT
//!   candidates, stopping rules and the DSMB's safety tables), [`product`] (the cell product:
//!   ISBT 128 identifiers).
//!
//! The crate does no I/O: callers read files and pass their text, and pass today's date and
//! the seed of every random list.
//!
//! ```
//! use time::macros::date;
//! use trial::{plan_visits, visit_status, Study, VisitStatus};
//!
//! let study = Study::from_toml(include_str!("../../../studies/xs228-phase2.toml")).unwrap();
//! let plan = plan_visits(&study, date!(2026 - 03 - 02));
//! let week12 = plan.iter().find(|v| v.visit_id == "week-12").unwrap();
//! assert_eq!(week12.target, date!(2026 - 05 - 25)); // day 85
//! assert_eq!(visit_status(week12, date!(2026 - 05 - 20), None), VisitStatus::Due);
//! ```

#![warn(missing_docs)]

pub mod accounts;
mod allocation;
pub mod analysis;
pub mod audit;
mod change;
pub mod csv;
mod definition;
pub mod ecrf;
mod eligibility;
mod error;
pub mod escalation;
mod forms;
pub mod kits;
pub mod labs;
pub mod list_check;
pub mod lock;
pub mod mail;
pub mod participants;
pub mod product;
pub mod prognosis;
pub mod queries;
mod role;
pub mod safety;
mod schedule;
pub mod screening_exam;
mod states;
mod study;

pub use allocation::{
    simulate, AllocationError, ArmCount, BlockList, Covariates, GroupImbalance, Imbalance,
    InjuryLevel, ListRng, ListStream, Minimiser, SimulationReport, Strata, Stratum,
    StratumSequence, AIS_GRADES,
};
pub use change::Change;
pub use ecrf::{FormState, FormStatus, Meaning, SignedRecord};
pub use eligibility::{
    age_in_years, evaluate_eligibility, DateConflict, Eligibility, Reason, Screening, Sex,
};
pub use error::{required_reason, DefinitionError, Problem, Refusal};
pub use escalation::{opening, three_plus_three, Decision, Escalation, LevelCount, Opening};
pub use forms::{
    fill_sourced, has_sourced_fields, score_form, score_form_text, validate_form, CrossFieldRule,
    FieldIssue, FieldSources, FieldValue, FormData, Scim3, Scim3Item, Scim3Subscale,
    Scim3Subscales, WalkingAid, Wisci2, Wisci2Level, CROSS_FIELD_RULES, MAX_TEXT_CHARS,
    SCIM3_TOTAL_KEY, WISCI2_LEVELS,
};
pub use kits::{kit_list, Kit};
pub use participants::ParticipantStatus;
pub use queries::QueryStatus;
pub use role::{Role, UnknownRole};
pub use schedule::{
    date_of_day, plan_visits, study_day, unplanned_visit_changes, visit_status, visits_not_for,
    PlannedVisit, VisitStatus,
};
pub use study::{in_language, Factor, Randomisation, RandomisationMethod, WeightedFactor};
pub use study::{
    Anchor, Arm, ArmKind, Blinding, Bounds, Criteria, Design, DoseLevel, DoseSchedule, FieldDef,
    FieldSource, FieldType, FormDef, FormKind, LevelRange, Phase, Site, Study, VisitDef,
};
