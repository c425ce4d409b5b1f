//! Safety: adverse events graded by CTCAE v5.0, serious adverse events and SUSARs with their
//! reporting clocks, DLT candidates, stopping rules and the DSMB's safety tables.
//!
//! - [`terms`]: the CTCAE and MedDRA term files, read from their text.
//! - [`PartialDate`]: onset and end dates as sites record them.
//! - [`AdverseEventForm::read`] checks an event with every problem at once, each naming its
//!   field; [`decide_event_save`] audits a change field by field (a reason is required) and
//!   [`void_signature_changes`] voids the investigator's signature of the assessment.
//! - [`classify`], [`site_clock`] and [`susar_clocks`]: expedited reporting, with the sponsor's
//!   assessment ([`SponsorAssessment`]) kept beside the investigator's.
//! - [`dlt_candidates`] and [`check_dlt_events`]: DLTs from adverse events (Phase I).
//! - [`evaluate_stopping_rules`] and [`check_gate`]: the study's stopping rules and what they
//!   hold back until the DSMB decides.
//! - [`safety_tables`]: counts by group for the DSMB, or pooled for blinded readers.
//! - [`icsr_xml`] and [`narrative_html`]: a SUSAR's expedited report as an ICH E2B(R3) ICSR
//!   and its narrative in English and Chinese, from one [`Case`].

mod cases;
mod clock;
mod date;
mod e2b;
mod event;
mod narrative;
mod rules;
mod tables;
pub mod terms;

pub use cases::{
    answered_clock, assessment_first_knowledge, audit_instant, case_shows_arm, check_assessable,
    decide_expedited_report, decide_site_report, notice_text, notices_due, open_clocks,
    site_awareness, site_awareness_change, Authority, CaseState, NewReport, Notice, OpenClock,
    ReportContext, ReportKind, ReportSent, SiteReport, CASE_ENTITY, REPORT_ENTITY,
};
pub use clock::{
    classify, decide_sponsor_assessment, site_clock, susar_clocks, Classification, Clock,
    ClockKind, ExpectednessSource, SponsorAssessment, SPONSOR_ENTITY,
};
pub use date::PartialDate;
pub use e2b::{
    action_code, escape_xml, hl7_instant, hl7_partial, icsr_xml, outcome_code, receiver_id,
    report_cases, seriousness_code, Case, CaseFacts, CasePatient, CaseStudy, PrimarySource,
    ReportVersion, Sender, SuspectProduct, ASSESSMENT_METHOD, CTCAE_MEDDRA_VERSION,
    INVESTIGATOR_SOURCE, SPONSOR_SOURCE,
};
pub use event::{
    check_event_participant, check_event_signable, decide_event_save, event_record,
    reference_expectedness, void_signature_changes, ActionTaken, AdverseEvent, AdverseEventForm,
    Causality, EventContext, EventSave, Expectedness, Outcome, Seriousness, ENTITY,
};
pub use narrative::{narrative_html, narrative_text, Language};
pub use rules::{
    check_dlt_events, check_gate, dlt_candidates, dlt_event_change, evaluate_stopping_rules,
    firings_to_record, latest_firings, DltCandidate, DltCriteria, DsmbDecision, DsmbOutcome,
    FiredRule, Gated, SafetyDefinition, StoppingKind, StoppingRule, StudyEvent,
};
pub use tables::{pooled, safety_tables, GroupSummary, SafetyTables, TermRow, POOLED};
pub use terms::{Term, TermFileError, TermTable};
