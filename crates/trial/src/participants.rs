//! A participant's path through the trial: screening, enrolment, the end of participation,
//! corrections of screening data and visits done. The rules that refuse or shape each step.

use time::macros::format_description;
use time::Date;

use crate::error::{required_reason, Refusal};
use crate::states::named_states;
use crate::Change;

named_states! {
    /// Where a participant is on the path.
    pub enum ParticipantStatus {
        /// Screened and eligible, not yet enrolled.
        Screening = "screening",
        /// Screened and not eligible.
        ScreenFailed = "screen-failed",
        /// In the trial.
        Enrolled = "enrolled",
        /// Left before the end.
        Withdrawn = "withdrawn",
        /// Finished the follow-up.
        Completed = "completed",
    }
}

impl ParticipantStatus {
    /// The status a screening leaves: in screening when eligible, else screen-failed.
    pub fn after_screening(eligible: bool) -> ParticipantStatus {
        if eligible {
            ParticipantStatus::Screening
        } else {
            ParticipantStatus::ScreenFailed
        }
    }

    /// The ways a participation ends.
    pub const ENDINGS: [ParticipantStatus; 2] =
        [ParticipantStatus::Withdrawn, ParticipantStatus::Completed];
}

/// A `YYYY-MM-DD` date.
pub fn parse_date(text: &str) -> Option<Date> {
    Date::parse(text, format_description!("[year]-[month]-[day]")).ok()
}

/// Only an eligible participant in screening can be enrolled.
pub fn check_enrolment(status: ParticipantStatus, eligible: bool) -> Result<(), Refusal> {
    if status == ParticipantStatus::Screening && eligible {
        return Ok(());
    }
    Err(Refusal::conflict(
        "status",
        format!(
            "only an eligible participant in screening can be enrolled; this one is {status}{}",
            if eligible { "" } else { " (not eligible)" }
        ),
    ))
}

/// Only an eligible, enrolled participant is allocated (randomised, given a dose level): `what`
/// says which, as in "can be randomised".
pub fn check_allocatable(
    participant_id: i64,
    status: ParticipantStatus,
    eligible: bool,
    what: &str,
) -> Result<(), Refusal> {
    if status == ParticipantStatus::Enrolled && eligible {
        return Ok(());
    }
    Err(Refusal::conflict(
        "status",
        format!(
            "only an eligible, enrolled participant {what}; participant {participant_id} is {status}{}",
            if eligible { "" } else { " (not eligible)" }
        ),
    ))
}

/// What an enrolment records: the status, the subject id, the dates and each planned visit
/// (`(visit id, target date)`).
pub fn enrolment_changes<'a>(
    participant_id: i64,
    before: ParticipantStatus,
    subject_id: &str,
    enrolled_on: &str,
    anchor_date: &str,
    visits: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<Change> {
    let p = || Change::new("update", "participant", participant_id);
    let mut changes = vec![
        p().set("status", ParticipantStatus::Enrolled).was(before),
        p().set("subject_id", subject_id),
        p().set("enrolled_on", enrolled_on),
        p().set("anchor_date", anchor_date),
    ];
    for (visit_id, target) in visits {
        let record = format!("{participant_id}/{visit_id}");
        changes.push(Change::new("create", "visit", record).set("target", target));
    }
    changes
}

/// The checks of an ending that need no record: the status asked for is an ending, and the
/// reason is given. Returns the status.
pub fn check_ending_request(to: &str, reason: &str) -> Result<ParticipantStatus, Refusal> {
    let status = ParticipantStatus::parse(to)
        .filter(|s| ParticipantStatus::ENDINGS.contains(s))
        .ok_or_else(|| Refusal::not_allowed("status", to, &ParticipantStatus::ENDINGS))?;
    required_reason(Some(reason), "")?;
    Ok(status)
}

/// Ends an enrolled participant's participation: what it records.
pub fn end_participation(
    participant_id: i64,
    current: ParticipantStatus,
    to: ParticipantStatus,
    on: &str,
    reason: &str,
) -> Result<Vec<Change>, Refusal> {
    if current != ParticipantStatus::Enrolled {
        return Err(Refusal::conflict(
            "status",
            format!("only an enrolled participant can be {to}; this one is {current}"),
        ));
    }
    let p = || Change::new("update", "participant", participant_id);
    Ok(vec![
        p().set("status", to).was(current).because(reason),
        p().set("ended_on", on).because(reason),
    ])
}

named_states! {
    /// The screening data that can be corrected after the fact, with a reason.
    pub enum CorrectableField {
        /// `male`, `female` or `other`.
        Sex = "sex",
        /// A date.
        DateOfBirth = "date_of_birth",
        /// A date.
        InjuryDate = "injury_date",
        /// A date.
        ConsentDate = "consent_date",
        /// A date.
        ScreeningDate = "screening_date",
    }
}

/// The values `sex` takes.
pub const SEXES: [&str; 3] = ["male", "female", "other"];

/// Checks a correction: a correctable field, a reason, a value the field takes.
pub fn check_correction(
    field: &str,
    value: &str,
    reason: &str,
) -> Result<CorrectableField, Refusal> {
    let field = CorrectableField::parse(field).ok_or_else(|| {
        let allowed: Vec<&str> = CorrectableField::ALL.iter().map(|f| f.as_str()).collect();
        Refusal::invalid(
            "field",
            format!(
                "{field:?} cannot be corrected (allowed: {})",
                allowed.join(", ")
            ),
        )
    })?;
    required_reason(Some(reason), "to change saved data")?;
    let (valid, allowed) = match field {
        CorrectableField::Sex => (SEXES.contains(&value), "male, female, other"),
        _ => (parse_date(value).is_some(), "a date YYYY-MM-DD"),
    };
    if !valid {
        return Err(Refusal::invalid(
            field.as_str(),
            format!("{value:?} is not allowed (allowed: {allowed})"),
        ));
    }
    Ok(field)
}

/// The date a visit took place: a date, recorded once (a later change is a correction).
pub fn check_visit_date(on: &str) -> Result<Date, Refusal> {
    parse_date(on)
        .ok_or_else(|| Refusal::invalid("done_on", format!("{on:?} is not a date YYYY-MM-DD")))
}

/// A visit's date is recorded once.
pub fn check_visit_not_done(done_on: Option<&str>) -> Result<(), Refusal> {
    match done_on {
        None => Ok(()),
        Some(_) => Err(Refusal::conflict(
            "done_on",
            "is already recorded; correct it with a reason",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ParticipantStatus::*;

    #[test]
    fn only_an_eligible_participant_in_screening_is_enrolled() {
        assert_eq!(check_enrolment(Screening, true), Ok(()));
        let refused = check_enrolment(Screening, false).unwrap_err();
        assert!(refused
            .to_string()
            .contains("this one is screening (not eligible)"));
        for status in [ScreenFailed, Enrolled, Withdrawn, Completed] {
            assert!(matches!(
                check_enrolment(status, true),
                Err(Refusal::Conflict { .. })
            ));
        }
    }

    #[test]
    fn an_ending_is_withdrawn_or_completed_with_a_reason_from_enrolled() {
        assert_eq!(
            check_ending_request("withdrawn", "moved away"),
            Ok(Withdrawn)
        );
        let bad = check_ending_request("enrolled", "x").unwrap_err();
        assert_eq!(
            bad.to_string(),
            "status: \"enrolled\" is not allowed (allowed: withdrawn, completed)"
        );
        assert_eq!(
            check_ending_request("completed", "  ")
                .unwrap_err()
                .to_string(),
            "reason: is required"
        );
        let changes = end_participation(7, Enrolled, Completed, "2026-01-02", "done").unwrap();
        assert_eq!(changes[0].old_value.as_deref(), Some("enrolled"));
        assert_eq!(changes[0].new_value.as_deref(), Some("completed"));
        assert_eq!(changes[1].reason.as_deref(), Some("done"));
        assert!(end_participation(7, Screening, Withdrawn, "2026-01-02", "r").is_err());
    }

    #[test]
    fn corrections_name_the_field_and_the_allowed_values() {
        assert_eq!(
            check_correction("sex", "female", "typo"),
            Ok(CorrectableField::Sex)
        );
        assert_eq!(
            check_correction("injury_date", "2026-02-30", "typo")
                .unwrap_err()
                .to_string(),
            "injury_date: \"2026-02-30\" is not allowed (allowed: a date YYYY-MM-DD)"
        );
        assert!(check_correction("subject_id", "X", "typo")
            .unwrap_err()
            .to_string()
            .starts_with("field: \"subject_id\" cannot be corrected (allowed: sex, date_of_birth"));
        assert_eq!(
            check_correction("sex", "male", "").unwrap_err().to_string(),
            "reason: is required to change saved data"
        );
    }

    #[test]
    fn only_an_eligible_enrolled_participant_is_allocated() {
        assert!(check_allocatable(1, Enrolled, true, "can be randomised").is_ok());
        assert_eq!(
            check_allocatable(1, Enrolled, false, "can be randomised")
                .unwrap_err()
                .to_string(),
            "status: only an eligible, enrolled participant can be randomised; participant 1 is enrolled (not eligible)"
        );
        assert!(check_allocatable(1, Screening, true, "is given a dose level").is_err());
        assert!(check_allocatable(1, Withdrawn, true, "is given a dose level").is_err());
    }

    #[test]
    fn a_visit_date_is_a_date_recorded_once() {
        assert!(check_visit_date("2026-05-01").is_ok());
        assert!(check_visit_date("1 May").is_err());
        assert!(check_visit_not_done(None).is_ok());
        assert!(matches!(
            check_visit_not_done(Some("2026-05-01")),
            Err(Refusal::Conflict { .. })
        ));
    }

    #[test]
    fn statuses_are_words() {
        for s in ParticipantStatus::ALL {
            assert_eq!(ParticipantStatus::parse(s.as_str()), Some(*s));
            assert_eq!(
                serde_json::to_string(s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        assert_eq!(ParticipantStatus::after_screening(false), ScreenFailed);
    }
}
