//! The screening exam is the screening visit's ISNCSCI form: one record, from which eligibility
//! is computed. A save of that form (a first save, or a correction with its reason) evaluates
//! eligibility again from the saved exam and the participant's screening data, and this rule
//! decides what it does to the participant:
//!
//! - before enrolment (in screening or screen-failed) the new eligibility is recorded: the
//!   status follows it (screening when eligible, else screen-failed) with the reasons;
//! - after enrolment (enrolled, withdrawn, completed) the participant was enrolled, and perhaps
//!   randomised, as eligible on this exam. A correction that keeps them eligible is saved (the
//!   source wins); one that would make them ineligible is refused, naming the reasons: an
//!   enrolled participant found ineligible is a protocol deviation that the sponsor decides,
//!   not a data change that silently rewrites who was enrolled.

use crate::error::Refusal;
use crate::participants::ParticipantStatus;
use crate::Change;

/// The participant as stored before the save: status, eligibility and its reasons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded<'a> {
    /// The participant's id.
    pub participant_id: i64,
    /// Their status.
    pub status: ParticipantStatus,
    /// Whether they were eligible.
    pub eligible: bool,
    /// Why not, as stored (JSON array of strings).
    pub reasons_json: &'a str,
}

/// What the saved exam gives: eligible or not, and why not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// Whether the criteria are met.
    pub eligible: bool,
    /// Every reason against (empty when eligible).
    pub reasons: Vec<String>,
}

/// What to write on the participant after a save of the screening exam.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The status to store.
    pub status: ParticipantStatus,
    /// Eligible or not.
    pub eligible: bool,
    /// The reasons as stored (JSON array of strings).
    pub reasons_json: String,
    /// The audit rows: each changed column of the participant (none when nothing changed).
    pub changes: Vec<Change>,
}

/// Decides what a save of the screening exam does to the participant (see the module's text).
pub fn after_screening_exam(before: &Recorded<'_>, found: &Found) -> Result<Outcome, Refusal> {
    let reasons_json = serde_json::to_string(&found.reasons).unwrap_or_else(|_| "[]".into());
    let status = match before.status {
        ParticipantStatus::Screening | ParticipantStatus::ScreenFailed => {
            ParticipantStatus::after_screening(found.eligible)
        }
        enrolled if found.eligible => enrolled,
        enrolled => {
            return Err(Refusal::conflict(
                "exam",
                format!(
                    "participant {} is {enrolled} as eligible on this screening exam; the change \
                     would make them ineligible ({}). Eligibility is not changed after enrolment: \
                     report it to the sponsor as a protocol deviation",
                    before.participant_id,
                    found.reasons.join("; ")
                ),
            ))
        }
    };
    let id = before.participant_id;
    let mut changes = Vec::new();
    let mut change = |field: &str, old: String, new: String| {
        if old != new {
            changes.push(
                Change::new("update", "participant", id)
                    .set(field, &new)
                    .was(old),
            );
        }
    };
    change(
        "status",
        before.status.as_str().to_string(),
        status.as_str().to_string(),
    );
    change(
        "eligible",
        before.eligible.to_string(),
        found.eligible.to_string(),
    );
    let old_reasons: Vec<String> = serde_json::from_str(before.reasons_json).unwrap_or_default();
    if old_reasons != found.reasons {
        change(
            "eligibility_reasons",
            before.reasons_json.to_string(),
            reasons_json.clone(),
        );
    }
    Ok(Outcome {
        status,
        eligible: found.eligible,
        reasons_json,
        changes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ParticipantStatus::*;

    fn before(status: ParticipantStatus, eligible: bool, reasons: &str) -> Recorded<'_> {
        Recorded {
            participant_id: 7,
            status,
            eligible,
            reasons_json: reasons,
        }
    }

    fn found(eligible: bool) -> Found {
        Found {
            eligible,
            reasons: if eligible {
                vec![]
            } else {
                vec!["AIS grade E is not allowed (allowed: A, B, C)".into()]
            },
        }
    }

    #[test]
    fn before_enrolment_the_status_follows_the_exam_both_ways() {
        let out = after_screening_exam(&before(Screening, true, "[]"), &found(false)).unwrap();
        assert_eq!((out.status, out.eligible), (ScreenFailed, false));
        let fields: Vec<_> = out.changes.iter().map(|c| c.field.clone()).collect();
        assert_eq!(
            fields,
            [
                Some("status".to_string()),
                Some("eligible".into()),
                Some("eligibility_reasons".into())
            ]
        );
        assert_eq!(out.changes[0].old_value.as_deref(), Some("screening"));
        assert_eq!(out.changes[0].new_value.as_deref(), Some("screen-failed"));
        let back = after_screening_exam(
            &before(ScreenFailed, false, &out.reasons_json),
            &found(true),
        )
        .unwrap();
        assert_eq!((back.status, back.eligible), (Screening, true));
        assert_eq!(back.reasons_json, "[]");
        assert_eq!(back.changes.len(), 3);
    }

    #[test]
    fn an_unchanged_eligibility_records_nothing_on_the_participant() {
        let out = after_screening_exam(&before(Screening, true, "[]"), &found(true)).unwrap();
        assert_eq!(out.status, Screening);
        assert!(out.changes.is_empty());
    }

    #[test]
    fn after_enrolment_a_correction_keeping_eligibility_is_saved() {
        for status in [Enrolled, Withdrawn, Completed] {
            let out = after_screening_exam(&before(status, true, "[]"), &found(true)).unwrap();
            assert_eq!(out.status, status);
            assert!(out.changes.is_empty());
        }
    }

    #[test]
    fn after_enrolment_a_correction_making_them_ineligible_is_refused_with_the_reasons() {
        for status in [Enrolled, Withdrawn, Completed] {
            let e = after_screening_exam(&before(status, true, "[]"), &found(false)).unwrap_err();
            let Refusal::Conflict { field, message } = e else {
                panic!("a conflict")
            };
            assert_eq!(field, "exam");
            assert!(message.contains("AIS grade E"), "{message}");
            assert!(message.contains("protocol deviation"), "{message}");
            assert!(message.contains(status.as_str()), "{message}");
        }
    }
}
