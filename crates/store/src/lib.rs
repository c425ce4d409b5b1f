//! # store
//!
//! The system of record of a trial: studies, sites, people and their roles, participants,
//! visits and exams, forms and signatures, queries, allocation, dose escalation,
//! notifications, adverse events and their terms, the cell product, and the audit trail, kept in SQLite (the
//! embedded default: one file, WAL, `synchronous=FULL`) or PostgreSQL (for many sites and
//! studies).
//!
//! [`Store`] is the one type the rest of the platform uses: its operations are grouped by
//! feature, one file each with the same name as in `trial` and `web` (`participants`, `ecrf`,
//! `queries`, `allocation`, …). The database core (`db`: opening either database, the one
//! write path, the transaction a write runs in), the shared records (`model`: who acts, the
//! caller's scope, the participant) and the audit trail (`audit`) sit below the features; no
//! feature file uses another. The rules that refuse or shape a write are `trial`'s; a feature
//! here loads what they need, persists what they decide and appends the audit rows.
//!
//! Every write runs through `Store::write`, one transaction together with its audit rows. The
//! audit trail is append-only (triggers on both databases refuse UPDATE and DELETE) and
//! tamper-evident: each row carries a SHA-256 over its content and the previous row's hash, one
//! chain per study (and one, `system`, for accounts and logins), and [`Store::verify_audit`]
//! walks the chains. [`Store::audit_walk`] gives what signed checkpoints (`trial::audit`),
//! kept outside the database, are compared with.
//!
//! Site users see only their site's participants: every participant query takes a [`Scope`]
//! and filters in SQL.

mod accounts;
mod allocation;
mod analysis;
mod audit;
mod backup;
mod chain;
mod credentials;
mod db;
mod dialect;
mod ecrf;
mod escalation;
mod events;
mod exam_forms;
mod failover;
mod gate;
mod group;
mod grouping;
mod labs;
mod lanes;
mod lock;
mod mail;
mod model;
mod notifications;
mod participants;
pub mod password;
mod product;
mod queries;
mod safety;
mod scratch;
mod seal;
mod signed_in;
mod studies;
mod submission;
pub mod testing;

pub use accounts::{LoginAttempt, NewUser, RoleAssignment, Session, SignedIn};
pub use allocation::{
    is_unblinded_chain, minimisation_rng, unblinded_chain, Allocation, ListCheck, ListRequest,
    RandomisationList, UNBLINDING_NOTIFIED,
};
pub use analysis::{Analysis, EscalationRecords, ANALYSIS_POOLED, ANALYSIS_UNBLINDED};
pub use audit::{AuditFilter, AuditPage, AuditWalk, CheckpointRecord};
pub use backup::{backup_sqlite, postgres_is_empty};
pub use chain::{reads_chain, AuditProblem, AuditReport, AuditRow, AuditRowRef, GENESIS};
pub use credentials::{reset_token_hash, ResetRequest};
pub use db::Store;
pub use ecrf::{FormEntry, FormImport, FormSave, ImportCount, Signature, Signing};
pub use escalation::{DltAssessment, DoseAssignment, DoseOverride, NewDlt};
pub use gate::{DsmbDecisionRecord, StoppingRuleFiring, STOPPING_RULE_NOTIFIED};
pub use labs::{ImportOutcome, ImportPreviewRow, LabProposal, LabResult, NewLabResult};
pub use lock::StudyLock;
pub use mail::MailToSend;
pub use model::{date, instant, now, parse_date, parse_instant, Actor, Participant, Scope, User};
pub use notifications::{Notification, OutboxMessage};
pub use participants::{
    Correction, Ending, Enrolment, ExamRecord, NewScreening, PlannedVisit, Visit,
};
pub use product::{
    AdministrationRecord, Bank, DoseGiven, ExcursionRecord, Exposure, HandoverRecord, Location,
    LoggerImport, Lot, LotDecisionRecord, LotTrace, NewAdministration, NewBank, NewHandover,
    NewLocation, NewLot, NewShipment, NewUnit, ParticipantTrace, ProductEvent, RecallContacts,
    RecallParticipant, RecallPerson, RecallSite, Recipient, ReleaseResultRecord, ShipmentRecord,
    SiteStock, StockLot, Supply, TracedAdministration, Unit, LATE_FAILURE, RECALL, RESUPPLY,
};
pub use queries::{NewQuery, Query};
pub use safety::{
    AdverseEventRecord, ClockRecord, EventSignature, EventSigning, ExpeditedReport,
    NewDsmbDecision, SafetyCase, SponsorAssessmentRecord, SponsorInput, TableGrouping,
    CLOCK_NOTIFICATION, E2B_EXPORT, SAFETY_NOTIFIED, UNASSIGNED,
};
pub use scratch::{create_database, drop_database, probe_commit_rate};
pub use studies::StudyRecord;
pub use submission::{
    Casebook, CasebookPart, Exported, SubmissionData, SubmissionSink, SubmittedDose, SubmittedForm,
    SubmittedSignature, SubmittedVisit, Treatment, SUBMISSION_ENTITY,
};
pub use trial::Change;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such record (or not visible in the caller's scope).
    #[error("{entity} {id} not found")]
    NotFound {
        /// The kind of record.
        entity: &'static str,
        /// Its identifier.
        id: String,
    },
    /// The write would break a rule of the data: a duplicate, a wrong state.
    #[error("{field}: {message}")]
    Conflict {
        /// The field at fault.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A value the store refuses.
    #[error("{field}: {message}")]
    Invalid {
        /// The field at fault.
        field: String,
        /// What is wrong, with the allowed values.
        message: String,
    },
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// The kind of error, for logs (which never carry its message: it may quote a
    /// participant's data).
    pub fn kind(&self) -> &'static str {
        match self {
            StoreError::NotFound { .. } => "not-found",
            StoreError::Conflict { .. } => "conflict",
            StoreError::Invalid { .. } => "invalid",
            StoreError::Database(_) => "database",
            StoreError::Migrate(_) => "migration",
        }
    }

    /// Whether the database could not take the request: its server is unreachable, went away
    /// during it, or is read-only (a standby, as during a failover). A write that failed so
    /// was not acknowledged and may be sent again.
    pub fn is_unavailable(&self) -> bool {
        let StoreError::Database(e) = self else {
            return false;
        };
        match e {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => true,
            // Connection exceptions (08…), a read-only transaction (25006), the server shutting
            // down or starting (57P01–57P03).
            sqlx::Error::Database(d) => d.code().is_some_and(|code| {
                code.starts_with("08") || matches!(&*code, "25006" | "57P01" | "57P02" | "57P03")
            }),
            _ => false,
        }
    }
}

impl StoreError {
    /// Whether the database gave up on the transaction for a reason that running it again can
    /// cure: a deadlock it broke by aborting this transaction (SQLSTATE 40P01), or a
    /// serialization failure (40001). Only PostgreSQL reports them (SQLite has one writer).
    pub fn is_retryable(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(d)) => d
                .code()
                .is_some_and(|code| matches!(&*code, "40P01" | "40001")),
            _ => false,
        }
    }
}

/// Maps a unique-key violation to a conflict on `field`.
pub(crate) fn conflict(field: &str, message: &str) -> impl FnOnce(sqlx::Error) -> StoreError {
    let (field, message) = (field.to_string(), message.to_string());
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict { field, message }
        }
        _ => StoreError::Database(e),
    }
}

/// A record that is not there (or not in the caller's scope).
pub(crate) fn not_found(entity: &'static str, id: impl ToString) -> StoreError {
    StoreError::NotFound {
        entity,
        id: id.to_string(),
    }
}

impl From<trial::Refusal> for StoreError {
    fn from(refusal: trial::Refusal) -> StoreError {
        match refusal {
            trial::Refusal::Invalid { field, message } => StoreError::Invalid { field, message },
            trial::Refusal::Conflict { field, message } => StoreError::Conflict { field, message },
        }
    }
}

/// A result of the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The database behind a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// Opens the store at `url` (`sqlite:PATH` or `postgres://…`), creating the SQLite file if
/// needed, and applies the migrations.
pub async fn open(url: &str) -> Result<Store> {
    Store::open(url).await
}
