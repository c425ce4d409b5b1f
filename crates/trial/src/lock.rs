//! The database lock and the study unblinding that follows it (issue #18).
//!
//! The data manager locks a study once every saved form is signed and every query closed;
//! [`blockers`] lists exactly what stands in the way (each unsigned form of each participant,
//! each query not closed). The lock is signed, bound to the head of the study's audit chain at
//! that moment, and from then on the study accepts no write but those [`accepts_after_lock`]
//! names: the records of reading, exporting, analysing, notifying and of a refused signature,
//! never a change to the trial's data. After the lock the sponsor administrator may unblind
//! the study ([`decide_unblinding`]); from then on the blinded team sees results by arm
//! ([`results_by_arm`]).

use serde::Serialize;

use crate::change::Change;
use crate::error::Refusal;
use crate::queries::QueryStatus;
use crate::study::{Blinding, Study};
use crate::{FormStatus, Role};

/// A saved form as the lock sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockForm {
    /// The participant.
    pub participant_id: i64,
    /// Their subject id (or screening number before enrolment).
    pub subject: String,
    /// Their site.
    pub site_id: String,
    /// The visit.
    pub visit_id: String,
    /// The form.
    pub form_id: String,
    /// What it is saved as.
    pub status: FormStatus,
    /// Whether a valid signature (of its visit or of the casebook) covers it.
    pub signed: bool,
}

/// A data query as the lock sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockQuery {
    /// The query.
    pub id: i64,
    /// The participant.
    pub participant_id: i64,
    /// Their subject id.
    pub subject: String,
    /// Their site.
    pub site_id: String,
    /// Where: visit, form and field.
    pub visit_id: String,
    /// The form.
    pub form_id: String,
    /// The field.
    pub field: String,
    /// Where it stands.
    pub status: QueryStatus,
}

/// What keeps a study from being locked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Blocker {
    /// A saved form no valid signature covers.
    UnsignedForm {
        /// The participant.
        participant_id: i64,
        /// Their subject id.
        subject: String,
        /// Their site.
        site_id: String,
        /// The visit.
        visit_id: String,
        /// The form.
        form_id: String,
        /// What it is saved as (`in-progress`, `complete`).
        status: String,
    },
    /// A query that is not closed.
    OpenQuery {
        /// The query.
        query_id: i64,
        /// The participant.
        participant_id: i64,
        /// Their subject id.
        subject: String,
        /// Their site.
        site_id: String,
        /// The visit.
        visit_id: String,
        /// The form.
        form_id: String,
        /// The field.
        field: String,
        /// `open` or `answered`.
        status: String,
    },
}

impl Blocker {
    /// The site of the participant it concerns.
    pub fn site_id(&self) -> &str {
        match self {
            Blocker::UnsignedForm { site_id, .. } | Blocker::OpenQuery { site_id, .. } => site_id,
        }
    }

    /// What it is, in a sentence.
    pub fn describe(&self) -> String {
        match self {
            Blocker::UnsignedForm {
                subject,
                visit_id,
                form_id,
                status,
                ..
            } => format!("form {form_id} of {subject} at {visit_id} is not signed ({status})"),
            Blocker::OpenQuery {
                query_id,
                subject,
                visit_id,
                form_id,
                field,
                status,
                ..
            } => format!(
                "query {query_id} on {subject} {visit_id} {form_id}.{field} is {status}, not closed"
            ),
        }
    }
}

/// Everything that blocks the lock: each saved form without a valid signature, then each
/// query not closed, in the order given.
pub fn blockers(forms: &[LockForm], queries: &[LockQuery]) -> Vec<Blocker> {
    let unsigned = forms
        .iter()
        .filter(|f| !f.signed)
        .map(|f| Blocker::UnsignedForm {
            participant_id: f.participant_id,
            subject: f.subject.clone(),
            site_id: f.site_id.clone(),
            visit_id: f.visit_id.clone(),
            form_id: f.form_id.clone(),
            status: f.status.as_str().to_string(),
        });
    let open = queries
        .iter()
        .filter(|q| q.status != QueryStatus::Closed)
        .map(|q| Blocker::OpenQuery {
            query_id: q.id,
            participant_id: q.participant_id,
            subject: q.subject.clone(),
            site_id: q.site_id.clone(),
            visit_id: q.visit_id.clone(),
            form_id: q.form_id.clone(),
            field: q.field.clone(),
            status: q.status.as_str().to_string(),
        });
    unsigned.chain(open).collect()
}

/// The audit entity of a study's lock and unblinding.
pub const LOCK_ENTITY: &str = "database-lock";
/// The audit action of a database lock.
pub const LOCK_ACTION: &str = "lock-database";
/// The audit action of a study's unblinding.
pub const UNBLIND_ACTION: &str = "unblind-study";

/// Where a study stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockState {
    /// Data may be written.
    Open,
    /// Locked: no data may be written.
    Locked,
    /// Locked and unblinded.
    Unblinded,
}

/// Decides a database lock: refused when the study is locked already, or while anything blocks
/// it (the first few named, with how many in all); else the audit row, binding the lock to the
/// head of the study's chain (`chain_seq`, `chain_hash`) and naming the signer.
pub fn decide_lock(
    study_id: &str,
    state: LockState,
    blockers: &[Blocker],
    chain_seq: i64,
    chain_hash: &str,
    signer_name: &str,
) -> Result<Change, Refusal> {
    if state != LockState::Open {
        return Err(Refusal::conflict(
            "study",
            format!("study {study_id} is locked already"),
        ));
    }
    if !blockers.is_empty() {
        const SHOWN: usize = 5;
        let named: Vec<String> = blockers.iter().take(SHOWN).map(Blocker::describe).collect();
        let more = blockers.len().saturating_sub(SHOWN);
        let tail = if more > 0 {
            format!("; and {more} more (GET /api/studies/{study_id}/lock lists them)")
        } else {
            String::new()
        };
        return Err(Refusal::conflict(
            "lock",
            format!(
                "study {study_id} cannot be locked: {} thing(s) block it: {}{tail}",
                blockers.len(),
                named.join("; ")
            ),
        ));
    }
    Ok(Change::new(LOCK_ACTION, LOCK_ENTITY, study_id)
        .set("audit_head", format!("{chain_seq}:{chain_hash}"))
        .because(&format!(
            "signed by {signer_name}: the data are complete and final"
        )))
}

/// Decides a study's unblinding: only a blinded study, only once it is locked, only once; a
/// reason is required. The audit row names the signer and the reason.
pub fn decide_unblinding(
    study: &Study,
    state: LockState,
    reason: &str,
    signer_name: &str,
) -> Result<Change, Refusal> {
    if study.blinding == Blinding::OpenLabel {
        return Err(Refusal::conflict(
            "study",
            format!(
                "study {} is open-label: there is no blind to break",
                study.id
            ),
        ));
    }
    match state {
        LockState::Open => {
            return Err(Refusal::conflict(
                "study",
                format!(
                    "study {} is not locked: the data manager locks the database before the study is unblinded",
                    study.id
                ),
            ))
        }
        LockState::Unblinded => {
            return Err(Refusal::conflict(
                "study",
                format!("study {} is unblinded already", study.id),
            ))
        }
        LockState::Locked => {}
    }
    let reason = crate::required_reason(Some(reason), "to unblind the study")?;
    Ok(Change::new(UNBLIND_ACTION, LOCK_ENTITY, &study.id)
        .set("unblinded_by", signer_name)
        .because(reason))
}

/// Whether someone holding `roles` in the study sees the analyses' results by arm: the
/// unblinded roles always (the DSMB's closed report), everyone with a role in it once the
/// study is unblinded after its lock; pooled otherwise.
pub fn results_by_arm(study: &Study, roles: &[Role], state: LockState) -> bool {
    study.sees_arms(roles) || (state == LockState::Unblinded && !roles.is_empty())
}

/// The store's writes (by their operation's name) that a locked study still accepts: the
/// records of reading, exporting, analysing, notifying and delivering mail, of a refused
/// signature, and of access given or taken, as well as the lock and the unblinding themselves.
/// Every other write to a locked study (a form, a participant, a query, a signature, an
/// adverse event, a lab value, the product, an allocation, …) is refused.
pub const AFTER_LOCK: &[&str] = &[
    "lock_database",
    "unblind_study",
    "record_analysis",
    "export_submission",
    "e2b_cases",
    "reveal_case_arm",
    "read_exposure",
    "record_export",
    "record_checkpoint",
    "signature_refused",
    "dsmb_signature_refused",
    "acknowledge_notification",
    "send_safety_notices",
    "record_mail_attempt",
    "assign_role",
    "remove_role",
];

/// Whether a locked study accepts the write named `op` (see [`AFTER_LOCK`]).
pub fn accepts_after_lock(op: &str) -> bool {
    AFTER_LOCK.contains(&op)
}

/// The refusal of a write to a locked study.
pub fn locked_refusal(study_id: &str, locked_at: &str) -> Refusal {
    Refusal::conflict(
        "study",
        format!(
            "study {study_id} is locked (database lock of {locked_at}): no data can be written to it"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(signed: bool, status: FormStatus) -> LockForm {
        LockForm {
            participant_id: 1,
            subject: "S-001".into(),
            site_id: "a".into(),
            visit_id: "week-24".into(),
            form_id: "isncsci".into(),
            status,
            signed,
        }
    }

    fn query(status: QueryStatus) -> LockQuery {
        LockQuery {
            id: 9,
            participant_id: 2,
            subject: "S-002".into(),
            site_id: "b".into(),
            visit_id: "week-4".into(),
            form_id: "vitals".into(),
            field: "sbp".into(),
            status,
        }
    }

    #[test]
    fn unsigned_forms_and_queries_not_closed_block_the_lock() {
        let forms = [
            form(true, FormStatus::Complete),
            form(false, FormStatus::InProgress),
        ];
        let queries = [
            query(QueryStatus::Closed),
            query(QueryStatus::Open),
            query(QueryStatus::Answered),
        ];
        let found = blockers(&forms, &queries);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(
            matches!(&found[0], Blocker::UnsignedForm { status, .. } if status == "in-progress")
        );
        assert!(matches!(&found[1], Blocker::OpenQuery { status, .. } if status == "open"));
        assert!(matches!(&found[2], Blocker::OpenQuery { status, .. } if status == "answered"));
        assert_eq!(found[2].site_id(), "b");
        let refused = decide_lock("XS", LockState::Open, &found, 3, "ab", "Dana").unwrap_err();
        let text = refused.to_string();
        assert!(text.contains("3 thing(s)"), "{text}");
        assert!(
            text.contains("form isncsci of S-001 at week-24 is not signed"),
            "{text}"
        );
        assert!(
            text.contains("query 9 on S-002 week-4 vitals.sbp is open"),
            "{text}"
        );
    }

    #[test]
    fn a_clean_study_locks_once_bound_to_its_audit_head() {
        let none = blockers(
            &[form(true, FormStatus::Complete)],
            &[query(QueryStatus::Closed)],
        );
        assert!(none.is_empty());
        let change = decide_lock("XS", LockState::Open, &none, 41, "beef", "Dana").unwrap();
        assert_eq!(change.action, LOCK_ACTION);
        assert_eq!(change.new_value.as_deref(), Some("41:beef"));
        assert!(change.reason.unwrap().contains("Dana"));
        for state in [LockState::Locked, LockState::Unblinded] {
            let again = decide_lock("XS", state, &none, 41, "beef", "Dana").unwrap_err();
            assert!(again.to_string().contains("locked already"));
        }
    }

    #[test]
    fn many_blockers_are_counted_and_the_first_named() {
        let forms: Vec<LockForm> = (0..8)
            .map(|i| LockForm {
                participant_id: i,
                ..form(false, FormStatus::Complete)
            })
            .collect();
        let text = decide_lock("XS", LockState::Open, &blockers(&forms, &[]), 1, "a", "D")
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("8 thing(s)") && text.contains("and 3 more"),
            "{text}"
        );
    }

    #[test]
    fn only_a_locked_blinded_study_is_unblinded_once_with_a_reason() {
        let study = crate::Study::from_toml(include_str!("../../../studies/xs228-phase2.toml"))
            .expect("the Phase II study");
        let open = decide_unblinding(&study, LockState::Open, "final analysis", "Sam");
        assert!(open.unwrap_err().to_string().contains("not locked"));
        let again = decide_unblinding(&study, LockState::Unblinded, "final analysis", "Sam");
        assert!(again.unwrap_err().to_string().contains("unblinded already"));
        let no_reason = decide_unblinding(&study, LockState::Locked, "  ", "Sam");
        assert!(matches!(no_reason, Err(Refusal::Invalid { .. })));
        let done = decide_unblinding(&study, LockState::Locked, "final analysis", "Sam").unwrap();
        assert_eq!(done.action, UNBLIND_ACTION);
        assert_eq!(done.reason.as_deref(), Some("final analysis"));
        let phase1 = crate::Study::from_toml(include_str!("../../../studies/xs228-phase1.toml"))
            .expect("the Phase I study");
        let open_label = decide_unblinding(&phase1, LockState::Locked, "r", "Sam");
        assert!(open_label.unwrap_err().to_string().contains("open-label"));
    }

    #[test]
    fn results_are_by_arm_for_the_unblinded_roles_and_for_all_after_unblinding() {
        let study = crate::Study::from_toml(include_str!("../../../studies/xs228-phase2.toml"))
            .expect("the Phase II study");
        let dm = [Role::DataManager];
        let dsmb = [Role::DsmbStatistician];
        for state in [LockState::Open, LockState::Locked] {
            assert!(!results_by_arm(&study, &dm, state));
            assert!(results_by_arm(&study, &dsmb, state));
        }
        assert!(results_by_arm(&study, &dm, LockState::Unblinded));
        assert!(!results_by_arm(&study, &[], LockState::Unblinded));
    }

    #[test]
    fn a_locked_study_accepts_only_the_records_of_reading_and_the_unblinding() {
        for op in [
            "record_analysis",
            "unblind_study",
            "acknowledge_notification",
        ] {
            assert!(accepts_after_lock(op), "{op}");
        }
        for op in [
            "save_form",
            "raise_query",
            "query_step",
            "enrol",
            "screen",
            "randomise",
            "record_adverse_event",
            "record_lab_result",
            "administer",
            "create_lot",
            "sign_visit",
            "set_locked",
        ] {
            assert!(!accepts_after_lock(op), "{op}");
        }
        let refused = locked_refusal("XS", "2026-12-06T10:00:00.000000Z");
        assert!(matches!(&refused, Refusal::Conflict { field, .. } if field == "study"));
    }
}
