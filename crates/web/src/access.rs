//! The access rules: which roles may do each [`Operation`], and in which [`Scope`] (every site
//! for a study-wide role, the sites of their site roles otherwise).

use std::collections::BTreeSet;

use store::{RoleAssignment, Scope};
use trial::Role;

use crate::error::ApiError;

/// What a caller may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// See participants, their visits and exams.
    ReadParticipants,
    /// Screen, enrol, record visits, correct saved data.
    EnterData,
    /// Withdraw or complete a participant.
    EndParticipation,
    /// See the audit trail of a record.
    ReadAudit,
    /// Export the whole audit trail.
    ExportAudit,
    /// Manage accounts and roles.
    ManageUsers,
    /// Source-verify a form (source data verification).
    VerifyData,
    /// Sign a visit electronically.
    Sign,
    /// Lock and unlock forms.
    Lock,
    /// Raise, close and re-open data queries.
    RaiseQuery,
    /// Generate a randomised study's concealed list (unblinded roles only).
    GenerateRandomisation,
    /// Randomise an enrolled participant.
    Randomise,
    /// See the kits to prepare and record dispensing (unblinded roles only).
    Dispense,
    /// Unblind one participant in an emergency (an investigator of the participant's site).
    EmergencyUnblind,
    /// Read the study's notifications (emergency unblindings).
    ReadNotifications,
    /// Give an enrolled participant the dose level the 3+3 rule allows.
    AssignDose,
    /// Override the 3+3 rule, with a reason and a signature.
    OverrideDose,
    /// Record and change a participant's adverse events (the site).
    RecordAdverseEvent,
    /// See adverse events and search the terms they are coded with: the site, the monitor,
    /// the study-wide roles that review safety; not the unblinded pharmacist, who does no
    /// clinical assessment.
    ReadAdverseEvents,
    /// See the safety tables (by arm or dose level for unblinded callers, pooled otherwise) and
    /// the DSMB's decisions: the same roles as adverse events.
    ReadSafetyTables,
    /// Record the DSMB's signed decision on a fired stopping rule.
    DecideDsmb,
    /// Report a serious adverse event to the sponsor (the site).
    ReportSae,
    /// See the open safety reporting clocks: the sponsor's safety roles every clock, the site
    /// its own sites' 24-hour clocks.
    ReadSafetyClocks,
    /// See a serious adverse event as a case, with both assessments (the sponsor's side).
    ReadSafetyCase,
    /// Record the sponsor's assessment of a serious adverse event.
    AssessSafetyCase,
    /// Record an expedited report submitted to an authority.
    RecordExpeditedReport,
    /// Export a SUSAR's expedited report (E2B(R3) message, narrative), which shows the actual
    /// treatment: pharmacovigilance only.
    ExportE2b,
    /// Load a study's laboratory normal ranges (the data manager).
    ManageLabRanges,
    /// Import a central lab's results file (the data manager; the site for its participants).
    ImportLabs,
    /// Accept or dismiss the adverse event a graded lab value proposes (the investigator).
    DecideLabProposal,
    /// See the cell product: its definition, banks, lots, units (placebo flag and kit only
    /// for unblinded callers), locations and shipments (site roles their sites' shipments).
    ReadProduct,
    /// Register the product's definition, banks, lots, units, locations and shipments (QC).
    ManageProduct,
    /// Enter and sign a lot's release results (QC).
    EnterReleaseResult,
    /// Release or reject a lot, and decide on a shipment's excursion (the qualified person).
    ReleaseLot,
    /// Recall a lot, signed (`trial::product::recall::RECALLERS`: the sponsor, the qualified
    /// person).
    RecallLot,
    /// Sign a shipment's hand-over, taking custody (QC, the qualified person, the site's
    /// unblinded pharmacist, whose signature is the receipt).
    HandOver,
    /// Import a shipment's temperature logger file (QC, the site's unblinded pharmacist).
    ImportLogger,
    /// Link a unit to a kit and record its administration at the bedside (the unblinded
    /// pharmacist).
    HandleUnits,
    /// Trace a lot to its recipients, or a participant back to the donor; read the study's
    /// exposure and the events the product opened.
    TraceProduct,
    /// Close an event to follow the product opened, with the follow-up's note (the
    /// investigator of the participant's site, the sponsor).
    FollowProductEvent,
    /// See whether the study is locked and what blocks its lock (site roles their sites').
    ReadLock,
    /// Lock the study's database, signed (the data manager).
    LockDatabase,
    /// Unblind the locked study, signed (the sponsor administrator).
    UnblindStudy,
    /// See the analyses' results (by arm only as `trial::lock::results_by_arm` allows).
    ReadResults,
    /// Download the submission files (ODM, SDTM, Define-XML): the data manager, and the DSMB
    /// statistician (unblinded); treatments only as `trial::lock::results_by_arm` allows.
    ExportSubmission,
}

impl Operation {
    /// The roles allowed to do it.
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Operation::ReadParticipants => &[
                SponsorAdmin,
                Investigator,
                Crc,
                Monitor,
                DataManager,
                UnblindedPharmacist,
                DsmbStatistician,
                Auditor,
                SafetyPhysician,
                Pharmacovigilance,
                DsmbMember,
            ],
            Operation::EnterData => &[Investigator, Crc],
            Operation::EndParticipation => &[Investigator],
            Operation::ReadAudit => &[SponsorAdmin, Investigator, Monitor, DataManager, Auditor],
            Operation::ExportAudit => &[SponsorAdmin, DataManager, Auditor],
            Operation::ManageUsers => &[SponsorAdmin],
            Operation::VerifyData => &[Monitor],
            Operation::Sign => &[Investigator],
            Operation::Lock => &[DataManager],
            Operation::RaiseQuery => &[Monitor, DataManager],
            Operation::GenerateRandomisation => &[DsmbStatistician],
            Operation::Randomise => &[Investigator, Crc],
            Operation::Dispense => &[UnblindedPharmacist],
            Operation::EmergencyUnblind => &[Investigator],
            Operation::ReadNotifications => &[
                SponsorAdmin,
                Investigator,
                DsmbStatistician,
                DsmbMember,
                SafetyPhysician,
                Pharmacovigilance,
            ],
            Operation::AssignDose => &[Investigator, Crc],
            Operation::OverrideDose => &[SponsorAdmin],
            Operation::RecordAdverseEvent => &[Investigator, Crc],
            Operation::DecideDsmb => &[DsmbMember],
            Operation::ReadAdverseEvents | Operation::ReadSafetyTables => &[
                SponsorAdmin,
                Investigator,
                Crc,
                Monitor,
                DataManager,
                DsmbStatistician,
                Auditor,
                SafetyPhysician,
                Pharmacovigilance,
                DsmbMember,
            ],
            Operation::ReportSae => &[Investigator, Crc],
            Operation::ReadSafetyClocks => &[
                SponsorAdmin,
                SafetyPhysician,
                Pharmacovigilance,
                Investigator,
                Crc,
            ],
            Operation::ReadSafetyCase => &[SponsorAdmin, SafetyPhysician, Pharmacovigilance],
            Operation::AssessSafetyCase => &[SafetyPhysician],
            Operation::RecordExpeditedReport => &[Pharmacovigilance],
            Operation::ExportE2b => &[Pharmacovigilance],
            Operation::ManageLabRanges => &[DataManager],
            Operation::ImportLabs => &[DataManager, Crc, Investigator],
            Operation::DecideLabProposal => &[Investigator],
            Operation::ReadProduct => &[
                SponsorAdmin,
                Investigator,
                Crc,
                Monitor,
                DataManager,
                UnblindedPharmacist,
                Auditor,
                SafetyPhysician,
                Qc,
                QualifiedPerson,
            ],
            Operation::ManageProduct | Operation::EnterReleaseResult => &[Qc],
            Operation::ReleaseLot => &[QualifiedPerson],
            Operation::RecallLot => trial::product::recall::RECALLERS,
            Operation::HandOver => &[Qc, QualifiedPerson, UnblindedPharmacist],
            Operation::ImportLogger => &[Qc, UnblindedPharmacist],
            Operation::HandleUnits => &[UnblindedPharmacist],
            Operation::FollowProductEvent => &[Investigator, SponsorAdmin],
            Operation::TraceProduct => &[
                SponsorAdmin,
                Investigator,
                Crc,
                Monitor,
                DataManager,
                UnblindedPharmacist,
                Auditor,
                SafetyPhysician,
                QualifiedPerson,
            ],
            Operation::ReadLock => &[
                SponsorAdmin,
                Investigator,
                Crc,
                Monitor,
                DataManager,
                DsmbStatistician,
                Auditor,
                DsmbMember,
            ],
            Operation::LockDatabase => &[DataManager],
            Operation::UnblindStudy => &[SponsorAdmin],
            Operation::ReadResults => &[
                SponsorAdmin,
                DataManager,
                DsmbStatistician,
                Auditor,
                DsmbMember,
            ],
            Operation::ExportSubmission => &[DataManager, DsmbStatistician],
        }
    }
}

/// The scope in which a user may do an operation in a study: every site when a study-wide role
/// allows it, the sites of the site roles that allow it otherwise; `None` when no role does.
pub fn scope_for(roles: &[RoleAssignment], study: &str, op: Operation) -> Option<Scope> {
    let allowed: Vec<&RoleAssignment> = roles
        .iter()
        .filter(|r| r.study_id == study && op.roles().contains(&r.role))
        .collect();
    if allowed.is_empty() {
        return None;
    }
    if allowed
        .iter()
        .any(|r| !r.role.is_site_scoped() || r.site_id.is_none())
    {
        return Some(Scope::Study(study.to_string()));
    }
    let sites: BTreeSet<String> = allowed.iter().filter_map(|r| r.site_id.clone()).collect();
    Some(Scope::Sites {
        study: study.to_string(),
        sites: sites.into_iter().collect(),
    })
}

/// The scope, or the right error: 404 for a study the user has no role in (it does not exist
/// for them), 403 for an operation their roles do not allow.
pub fn require(roles: &[RoleAssignment], study: &str, op: Operation) -> Result<Scope, ApiError> {
    if !roles.iter().any(|r| r.study_id == study) {
        return Err(ApiError::NotFound(format!("study {study} not found")));
    }
    scope_for(roles, study, op)
        .ok_or_else(|| ApiError::Forbidden(format!("your roles in {study} do not allow this")))
}
