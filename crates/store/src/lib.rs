//! # store
//!
//! The system of record of a trial: studies, sites, people and their roles, participants,
//! visits and exams, and the audit trail, kept in SQLite (the embedded default: one file, WAL,
//! `synchronous=FULL`) or PostgreSQL (for many sites and studies).
//!
//! [`Store`] is the boundary the rest of the platform uses. [`SqlStore`] implements it once
//! over both databases (sqlx's `Any` driver, runtime queries with bound parameters); each
//! database has its own migrations folder, applied at start, and the few statements that differ
//! are chosen by [`Dialect`].
//!
//! Every write is one transaction together with its audit rows. The audit trail is
//! append-only (triggers on both databases refuse UPDATE and DELETE) and tamper-evident: each
//! row carries a SHA-256 over its content and the previous row's hash, one chain per study (and
//! one, `system`, for accounts and logins), and [`Store::verify_audit`] walks the chains.
//!
//! Site users see only their site's participants: every participant query takes a [`Scope`]
//! and filters in SQL.

mod allocation;
mod audit;
mod escalation;
mod group;
mod model;
pub mod password;
mod scratch;
mod sql;
pub mod testing;

pub use allocation::{
    is_unblinded_chain, minimisation_rng, unblinded_chain, Allocation, ListCheck, Notification,
    OutboxMessage, RandomisationList, UNBLINDING_NOTIFIED,
};
pub use audit::{AuditProblem, AuditReport, AuditRow, Change, GENESIS};
pub use escalation::{DltAssessment, DoseAssignment, DoseOverride, NewDlt};
pub use model::*;
pub use scratch::{create_database, drop_database, probe_commit_rate};
pub use sql::SqlStore;

use async_trait::async_trait;
use futures::stream::BoxStream;

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

/// The system of record.
#[async_trait]
pub trait Store: Send + Sync {
    /// Which database this is.
    fn dialect(&self) -> Dialect;

    /// Loads (or reloads) a study definition and its sites.
    async fn load_study(&self, study: &trial::Study, source: &str, by: &Actor) -> Result<()>;
    /// The studies, with their definitions as loaded.
    async fn studies(&self) -> Result<Vec<StudyRecord>>;

    /// Creates a user account.
    async fn create_user(&self, user: &NewUser, by: &Actor) -> Result<User>;
    /// A user by name.
    async fn user_by_name(&self, username: &str) -> Result<Option<User>>;
    /// A user by id.
    async fn user(&self, id: i64) -> Result<Option<User>>;
    /// Every user.
    async fn users(&self) -> Result<Vec<User>>;
    /// Gives a user a role in a study, at a site for site roles.
    async fn assign_role(&self, assignment: &RoleAssignment, by: &Actor) -> Result<()>;
    /// A user's roles.
    async fn roles(&self, user_id: i64) -> Result<Vec<RoleAssignment>>;
    /// Takes a role away.
    async fn remove_role(
        &self,
        assignment: &RoleAssignment,
        reason: &str,
        by: &Actor,
    ) -> Result<()>;
    /// Deactivates or reactivates an account (accounts are never deleted: the trail names them);
    /// deactivation also ends its sessions.
    async fn set_active(
        &self,
        user_id: i64,
        active: bool,
        reason: &str,
        by: &Actor,
    ) -> Result<User>;
    /// Records a login attempt (audited, both outcomes): a failure counts towards the lock, a
    /// success clears the count.
    async fn record_login(&self, attempt: &LoginAttempt) -> Result<()>;

    /// Opens a session.
    async fn create_session(&self, session: &Session) -> Result<()>;
    /// A session by the hash of its token.
    async fn session(&self, token_hash: &str) -> Result<Option<Session>>;
    /// A session by the hash of its token, with its user and the user's roles (one read).
    async fn signed_in(&self, token_hash: &str) -> Result<Option<SignedIn>>;
    /// Marks a session as used now.
    async fn touch_session(&self, token_hash: &str, at: &str) -> Result<()>;
    /// Ends a session.
    async fn delete_session(&self, token_hash: &str) -> Result<()>;

    /// Screens a new participant with the screening exam.
    async fn screen(
        &self,
        scope: &Scope,
        screening: &NewScreening,
        by: &Actor,
    ) -> Result<Participant>;
    /// The participants in scope.
    async fn participants(&self, scope: &Scope) -> Result<Vec<Participant>>;
    /// One participant, if in scope.
    async fn participant(&self, scope: &Scope, id: i64) -> Result<Participant>;
    /// Enrols an eligible participant in screening, with the visits planned for them.
    async fn enrol(&self, scope: &Scope, enrolment: &Enrolment, by: &Actor) -> Result<Participant>;
    /// Ends an enrolled participant's participation (withdrawn or completed).
    async fn end_participation(
        &self,
        scope: &Scope,
        end: &Ending,
        by: &Actor,
    ) -> Result<Participant>;
    /// Changes a saved field of a participant: the reason is required.
    async fn correct_participant(
        &self,
        scope: &Scope,
        correction: &Correction,
        by: &Actor,
    ) -> Result<Participant>;
    /// A participant's visits, in schedule order.
    async fn visits(&self, scope: &Scope, participant_id: i64) -> Result<Vec<Visit>>;
    /// Records the date a visit took place.
    async fn record_visit(
        &self,
        scope: &Scope,
        participant_id: i64,
        visit_id: &str,
        on: &str,
        by: &Actor,
    ) -> Result<Visit>;
    /// A participant's ISNCSCI exams.
    async fn exams(&self, scope: &Scope, participant_id: i64) -> Result<Vec<ExamRecord>>;
    /// Saves an ISNCSCI exam of a visit: the exam as entered and the engine's classification.
    async fn add_exam(&self, scope: &Scope, exam: &NewExam, by: &Actor) -> Result<ExamRecord>;

    /// Saves a visit's form: the first save creates it; a change to a saved form needs a
    /// reason, and every changed field is in the audit trail with its old and new value.
    async fn save_form(&self, scope: &Scope, form: &FormSave, by: &Actor) -> Result<FormEntry>;
    /// A participant's saved forms, each with its shown state (locked, signed,
    /// source-verified, complete, in progress).
    ///
    /// A saved form changes only while unlocked; a change clears its source verification and
    /// voids every signature of its visit, with the change, in the same transaction.
    async fn forms(&self, scope: &Scope, participant_id: i64) -> Result<Vec<FormEntry>>;
    /// Marks a complete form as checked against the source (a monitor's source data
    /// verification).
    async fn verify_form(
        &self,
        scope: &Scope,
        participant_id: i64,
        visit_id: &str,
        form_id: &str,
        by: &Actor,
    ) -> Result<FormEntry>;
    /// Signs a visit, or the whole casebook (`visit_id: None`), electronically: every saved
    /// form signed must be complete; the signature keeps the signer's printed name, the UTC
    /// time, the meaning and the hash of exactly the data signed. A later change to any form it
    /// covers voids it. The caller has checked the signer's password.
    async fn sign_visit(
        &self,
        scope: &Scope,
        signing: &Signing<'_>,
        by: &Actor,
    ) -> Result<Signature>;
    /// Records a failed signing attempt (a wrong password) of a visit or (`None`) the casebook
    /// in the audit trail.
    async fn sign_failed(
        &self,
        scope: &Scope,
        participant_id: i64,
        visit_id: Option<&str>,
        by: &Actor,
    ) -> Result<()>;
    /// A participant's signatures, oldest first, each with whether it is still valid.
    async fn signatures(&self, scope: &Scope, participant_id: i64) -> Result<Vec<Signature>>;
    /// Locks a saved form: it refuses changes until unlocked.
    async fn lock_form(
        &self,
        scope: &Scope,
        participant_id: i64,
        visit_id: &str,
        form_id: &str,
        by: &Actor,
    ) -> Result<FormEntry>;
    /// Unlocks a locked form; the reason is required.
    async fn unlock_form(
        &self,
        scope: &Scope,
        participant_id: i64,
        visit_id: &str,
        form_id: &str,
        reason: &str,
        by: &Actor,
    ) -> Result<FormEntry>;

    /// Raises a query on a field of a participant's visit form.
    async fn raise_query(&self, scope: &Scope, query: &NewQuery, by: &Actor) -> Result<Query>;
    /// The site's answer to an open query.
    async fn answer_query(&self, scope: &Scope, id: i64, answer: &str, by: &Actor)
        -> Result<Query>;
    /// Closes an open or answered query.
    async fn close_query(&self, scope: &Scope, id: i64, by: &Actor) -> Result<Query>;
    /// Re-opens an answered or closed query with a new question.
    async fn reopen_query(&self, scope: &Scope, id: i64, text: &str, by: &Actor) -> Result<Query>;
    /// The queries in scope, of one participant when given, in one status when given.
    async fn queries(
        &self,
        scope: &Scope,
        participant_id: Option<i64>,
        status: Option<&str>,
    ) -> Result<Vec<Query>>;

    /// The audit rows of one record, oldest first.
    async fn audit_of(&self, entity: &str, record_id: &str) -> Result<Vec<AuditRow>>;
    /// Every audit row, chain by chain in order, streamed.
    fn audit_all(&self) -> BoxStream<'_, Result<AuditRow>>;
    /// Records that someone exported data (the audit trail or a dataset).
    async fn record_export(&self, chain: &str, what: &str, by: &Actor) -> Result<()>;
    /// Walks every chain and reports the first row that does not verify.
    async fn verify_audit(&self) -> Result<AuditReport>;

    // --- Allocation (crates/store/src/allocation.rs) ---

    /// Generates a randomised study's concealed list from a recorded seed, before the first
    /// enrolment: for permuted blocks `per_stratum` slots in each stratum, for minimisation the
    /// seed of the random source only; and a scrambled list of `kits` kits. Never replaced.
    async fn generate_randomisation(
        &self,
        study: &trial::Study,
        seed: u64,
        per_stratum: usize,
        kits: usize,
        by: &Actor,
    ) -> Result<RandomisationList>;
    /// A study's list (no seed, no arm), once generated.
    async fn randomisation_list(&self, study: &str) -> Result<Option<RandomisationList>>;
    /// Randomises an eligible, enrolled participant exactly once, with a kit; the arm is kept
    /// out of the study's audit chain (it goes to `<study>/unblinded`).
    async fn randomise(
        &self,
        scope: &Scope,
        study: &trial::Study,
        participant_id: i64,
        covariates: &trial::Covariates,
        by: &Actor,
    ) -> Result<Allocation>;
    /// A participant's allocation, if in scope and randomised.
    async fn allocation(&self, scope: &Scope, participant_id: i64) -> Result<Option<Allocation>>;
    /// The allocations in scope, in randomisation order.
    async fn allocations(&self, scope: &Scope) -> Result<Vec<Allocation>>;
    /// Records that the participant's (allocated) kit was dispensed.
    async fn dispense_kit(
        &self,
        scope: &Scope,
        participant_id: i64,
        kit_number: &str,
        by: &Actor,
    ) -> Result<Allocation>;
    /// Emergency unblinding of one participant (the caller checked the password): recorded,
    /// marked, the sponsor and DSMB notified in the application and through the outbox.
    async fn emergency_unblind(
        &self,
        scope: &Scope,
        participant_id: i64,
        reason: &str,
        by: &Actor,
    ) -> Result<Allocation>;
    /// Records an unblinding refused for a wrong password.
    async fn unblind_failed(&self, scope: &Scope, participant_id: i64, by: &Actor) -> Result<()>;
    /// A study's notifications for any of these roles, newest first, each with when `reader`
    /// acknowledged it.
    async fn notifications(
        &self,
        study: &str,
        roles: &[trial::Role],
        reader: &Actor,
    ) -> Result<Vec<Notification>>;
    /// Records that `by`, holding one of `roles`, has read one of the study's notifications
    /// addressed to one of them (audited the first time; reading again changes nothing).
    async fn acknowledge_notification(
        &self,
        study: &str,
        roles: &[trial::Role],
        id: i64,
        by: &Actor,
    ) -> Result<Notification>;
    /// A study's e-mail outbox, oldest first.
    async fn outbox(&self, study: &str) -> Result<Vec<OutboxMessage>>;
    /// Compares a study's stored list, kits and allocations with what the recorded seed
    /// gives (`None` when no list was generated); the problems never name an arm.
    async fn check_randomisation(&self, study: &trial::Study) -> Result<Option<ListCheck>>;

    // --- Dose escalation (crates/store/src/escalation.rs) ---

    /// Every dose level's participants (assigned, evaluable, with a DLT), in escalation order.
    async fn cohort_counts(&self, study: &trial::Study) -> Result<Vec<trial::LevelCount>>;
    /// Assigns an enrolled participant's dose level, once: where the 3+3 rule enrols now, or
    /// any level with a sponsor's signed override (reason required).
    async fn assign_dose_level(
        &self,
        scope: &Scope,
        study: &trial::Study,
        participant_id: i64,
        level_id: Option<&str>,
        sponsor_override: Option<DoseOverride<'_>>,
        by: &Actor,
    ) -> Result<DoseAssignment>;
    /// The dose levels and DLT assessments of the participants in scope.
    async fn doses(&self, scope: &Scope) -> Result<Vec<(DoseAssignment, Option<DltAssessment>)>>;
    /// A participant's dose level and DLT assessment, if any.
    async fn dose(
        &self,
        scope: &Scope,
        participant_id: i64,
    ) -> Result<(Option<DoseAssignment>, Option<DltAssessment>)>;
    /// Records a signed DLT assessment, once, within the participant's DLT window.
    async fn record_dlt(
        &self,
        scope: &Scope,
        study: &trial::Study,
        dlt: &NewDlt<'_>,
        by: &Actor,
    ) -> Result<DltAssessment>;
    /// Records a signature refused for a wrong password (`what`: the record to be signed).
    async fn signature_refused(
        &self,
        scope: &Scope,
        participant_id: i64,
        what: &str,
        by: &Actor,
    ) -> Result<()>;
}

/// Opens the store at `url` (`sqlite:PATH` or `postgres://…`), creating the SQLite file if
/// needed, and applies the migrations.
pub async fn open(url: &str) -> Result<SqlStore> {
    SqlStore::open(url).await
}
