//! A participant's path through the trial: screening, enrolment, the end of participation,
//! corrections of screening data and visits done. The rules that refuse or shape each step.

use isncsci::flat::{parse_key, ExamBuilder, Key};
use isncsci::Classification;
use serde_json::{Map, Value};
use time::macros::format_description;
use time::Date;

use crate::error::{required_reason, Refusal};
use crate::states::named_states;
use crate::{Anchor, Change, Problem, Screening, Sex, Study};

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

/// A problem with a field of a form: its name and what is wrong.
fn problem(field: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        path: field.into(),
        message: message.into(),
    }
}

/// A `YYYY-MM-DD` date field, or a problem naming it.
pub fn date_field(field: &str, value: &str, problems: &mut Vec<Problem>) -> Option<Date> {
    let parsed = parse_date(value);
    if parsed.is_none() {
        problems.push(problem(
            field,
            format!("{value:?} is not a date (expected YYYY-MM-DD)"),
        ));
    }
    parsed
}

/// An ISNCSCI exam read from its flat-layout fields, with the engine's classification.
#[derive(Clone, Debug)]
pub struct ClassifiedExam {
    /// The exam.
    pub exam: isncsci::Exam,
    /// As stored: the flat layout as JSON.
    pub raw: String,
    /// The engine's results.
    pub classification: Classification,
}

/// The 25 results as a JSON object (the conformance file's names and strings).
pub fn classification_json(c: &Classification) -> Value {
    let map: Map<String, Value> = Classification::KEYS
        .iter()
        .zip(c.values())
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect();
    Value::Object(map)
}

/// Reads an exam from a JSON object of flat-layout fields, every problem named `exam.<key>`
/// with the allowed values; a required field left out is missing.
pub fn read_exam(fields: &Map<String, Value>) -> Result<ClassifiedExam, Vec<Problem>> {
    let (exam, classification) = read_and_classify(fields)?;
    let mut raw = String::new();
    isncsci::flat::json::write_exam(&exam, None, &mut raw);
    Ok(ClassifiedExam {
        exam,
        raw,
        classification,
    })
}

/// [`read_exam`] without the stored text.
fn read_and_classify(
    fields: &Map<String, Value>,
) -> Result<(isncsci::Exam, Classification), Vec<Problem>> {
    let mut builder = ExamBuilder::new();
    let mut problems = Vec::new();
    for (key, value) in fields {
        let number;
        let text = match value {
            Value::String(s) => s.as_str(),
            Value::Null if matches!(parse_key(key), Some(Key::Field(f)) if !f.is_required()) => "0",
            other => {
                number = other.to_string();
                number.as_str()
            }
        };
        if let Err(e) = builder.set(key, text) {
            let message = e.to_string();
            let message = message
                .split_once(": ")
                .map_or(message.clone(), |(_, m)| m.to_string());
            problems.push(problem(format!("exam.{key}"), message));
        }
    }
    match builder.finish() {
        Ok(exam) if problems.is_empty() => {
            let classification = exam.classify();
            Ok((exam, classification))
        }
        // The exam is whole only when every required field was given: name those left out.
        Ok(_) => Err(problems),
        Err(_) => {
            for field in isncsci::flat::Field::all().filter(|f| f.is_required()) {
                if !fields.contains_key(&field.name()) {
                    problems.push(problem(format!("exam.{field}"), "is missing"));
                }
            }
            Err(problems)
        }
    }
}

/// The longest comment an ISNCSCI form keeps.
pub const MAX_COMMENTS: usize = 4000;

/// An ISNCSCI form as stored from what was entered: the exam's fields as entered (an optional
/// muscle left "Not entered", absent or empty, stays absent), the engine's classification,
/// and the worksheet's free-text `comments` beside them. Problems are named `exam.<key>` or
/// `values.comments`.
pub fn isncsci_form_data(values: &Map<String, Value>) -> Result<Value, Vec<Problem>> {
    let (exam, classification) = read_and_classify(values)?;
    let flat: Map<String, Value> = isncsci::flat::Field::all()
        .filter(|&f| f.is_required() || optional_entered(values, f))
        .map(|f| {
            (
                field_name(f).to_string(),
                Value::String(isncsci::flat::value_of(&exam, f).to_string()),
            )
        })
        .collect();
    let mut data = Map::new();
    data.insert("exam".into(), Value::Object(flat));
    data.insert(
        "classification".into(),
        classification_json(&classification),
    );
    if let Some(Value::String(comments)) = values.get("comments") {
        if comments.chars().count() > MAX_COMMENTS {
            return Err(vec![problem(
                "values.comments",
                format!("is too long (at most {MAX_COMMENTS} characters)"),
            )]);
        }
        if !comments.trim().is_empty() {
            data.insert("comments".into(), Value::String(comments.clone()));
        }
    }
    Ok(Value::Object(data))
}

/// A field's key in the flat layout, written once for all saves.
fn field_name(field: isncsci::flat::Field) -> &'static str {
    static NAMES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        let mut names = vec![String::new(); isncsci::flat::Field::all().count()];
        for f in isncsci::flat::Field::all() {
            names[f.index()] = f.name();
        }
        names
    });
    &NAMES[field.index()]
}

/// Whether an optional field of the exam (a lowest non-key muscle) was entered: one left "Not
/// entered" (absent or empty) stays absent, where the exam's model reads it as "none" (`0`,
/// itself a value the examiner may choose).
fn optional_entered(values: &Map<String, Value>, field: isncsci::flat::Field) -> bool {
    values
        .get(field_name(field))
        .and_then(Value::as_str)
        .is_some_and(|v| !v.trim().is_empty())
}

/// A screening as entered: the participant's data and the screening exam's fields.
#[derive(Clone, Copy, Debug)]
pub struct ScreeningForm<'a> {
    /// The site.
    pub site_id: &'a str,
    /// The screening number.
    pub screening_number: &'a str,
    /// `male`, `female` or `other`.
    pub sex: &'a str,
    /// `YYYY-MM-DD`.
    pub date_of_birth: &'a str,
    /// `YYYY-MM-DD`.
    pub injury_date: &'a str,
    /// `YYYY-MM-DD`.
    pub consent_date: &'a str,
    /// `YYYY-MM-DD`.
    pub screening_date: &'a str,
    /// The exam in the flat layout.
    pub exam: &'a Map<String, Value>,
}

/// Checks every field of a screening at once (a site of the study, a screening number, the
/// sex, four dates, the exam): the screening record and the classified exam, or every problem.
pub fn check_screening(
    study: &Study,
    form: &ScreeningForm<'_>,
) -> Result<(Screening, ClassifiedExam), Vec<Problem>> {
    let mut problems = Vec::new();
    if study.site(form.site_id).is_none() {
        let sites: Vec<&str> = study.sites.iter().map(|s| s.id.as_str()).collect();
        problems.push(problem(
            "site_id",
            format!(
                "{:?} is not a site of {} (sites: {})",
                form.site_id,
                study.id,
                sites.join(", ")
            ),
        ));
    }
    if form.screening_number.trim().is_empty() || form.screening_number.len() > 32 {
        problems.push(problem(
            "screening_number",
            "is required (1 to 32 characters)",
        ));
    }
    let sex = Sex::parse(form.sex);
    if sex.is_none() {
        problems.push(problem(
            "sex",
            format!(
                "{:?} is not allowed (allowed: male, female, other)",
                form.sex
            ),
        ));
    }
    let dob = date_field("date_of_birth", form.date_of_birth, &mut problems);
    let injury = date_field("injury_date", form.injury_date, &mut problems);
    let consent = date_field("consent_date", form.consent_date, &mut problems);
    let screening_date = date_field("screening_date", form.screening_date, &mut problems);
    let exam = read_exam(form.exam).map_err(|p| problems.extend(p)).ok();
    match (sex, dob, injury, consent, screening_date, exam) {
        (Some(sex), Some(dob), Some(injury), Some(consent), Some(screening_date), Some(exam))
            if problems.is_empty() =>
        {
            let screening = Screening {
                date_of_birth: dob,
                sex,
                injury_date: injury,
                consent_date: consent,
                screening_date,
            };
            Ok((screening, exam))
        }
        _ => Err(problems),
    }
}

/// Checks an enrolment as entered (a subject id, the date, and the date visits are scheduled
/// from: the injury date for an injury anchor, else given): the anchor date, or every problem.
pub fn check_enrolment_form(
    study: &Study,
    injury_date: &str,
    subject_id: &str,
    enrolled_on: &str,
    anchor_date: Option<&str>,
) -> Result<Date, Vec<Problem>> {
    let mut problems = Vec::new();
    if subject_id.trim().is_empty() || subject_id.len() > 32 {
        problems.push(problem("subject_id", "is required (1 to 32 characters)"));
    }
    let enrolled = date_field("enrolled_on", enrolled_on, &mut problems);
    let anchor = match (study.anchor, anchor_date) {
        (Anchor::Injury, _) => parse_date(injury_date),
        (_, Some(a)) => date_field("anchor_date", a, &mut problems),
        (_, None) => {
            problems.push(problem(
                "anchor_date",
                "is required: visits are scheduled from the first dose",
            ));
            None
        }
    };
    match (enrolled, anchor) {
        (Some(_), Some(anchor)) if problems.is_empty() => Ok(anchor),
        _ => Err(problems),
    }
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

/// A randomised study enrols only once its concealed list exists (`generated`): otherwise the
/// first participants could be enrolled, and so known, before the list that allocates them.
pub fn check_list_ready(study: &Study, generated: bool) -> Result<(), Refusal> {
    if study.randomisation.is_none() || generated {
        return Ok(());
    }
    Err(Refusal::conflict(
        "randomisation",
        format!(
            "study {} randomises from a concealed list, which has not been generated yet: the DSMB \
             statistician generates it (Randomisation, or POST /api/studies/{}/randomisation) \
             before the first participant is enrolled",
            study.id, study.id
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

/// The checks of an ending that need no record: its date, the status asked for is an ending,
/// and the reason is given. Returns the status.
pub fn check_ending_request(
    to: &str,
    on: &str,
    reason: &str,
) -> Result<ParticipantStatus, Refusal> {
    if parse_date(on).is_none() {
        return Err(Refusal::invalid(
            "on",
            format!("{on:?} is not a date (expected YYYY-MM-DD)"),
        ));
    }
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

/// The latest date that is not in the future anywhere at instant `now`: the date in the
/// earliest time zone (UTC+14). A visit recorded at a site east of UTC may fall on the UTC
/// date of tomorrow; a later date has not begun anywhere.
pub fn latest_date_anywhere(now: time::OffsetDateTime) -> Date {
    (now.to_offset(time::UtcOffset::UTC) + time::Duration::hours(14)).date()
}

/// The date a visit took place: a date, not in the future (`latest`: see
/// [`latest_date_anywhere`]), recorded once (a later change is a correction).
pub fn check_visit_date(on: &str, latest: Date) -> Result<Date, Refusal> {
    let date = parse_date(on)
        .ok_or_else(|| Refusal::invalid("done_on", format!("{on:?} is not a date YYYY-MM-DD")))?;
    if date > latest {
        return Err(Refusal::invalid(
            "done_on",
            format!("{on} is in the future (allowed: a date up to {latest})"),
        ));
    }
    Ok(date)
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
    fn a_randomised_study_enrols_only_once_its_list_exists() {
        let phase2 = Study::from_toml(include_str!("../../../studies/xs228-phase2.toml")).unwrap();
        let phase1 = Study::from_toml(include_str!("../../../studies/xs228-phase1.toml")).unwrap();
        let refused = check_list_ready(&phase2, false).unwrap_err();
        assert!(matches!(&refused, Refusal::Conflict { field, .. } if field == "randomisation"));
        assert!(refused
            .to_string()
            .contains("DSMB statistician generates it"));
        assert_eq!(check_list_ready(&phase2, true), Ok(()));
        // Dose escalation allocates by level, from no list.
        assert_eq!(check_list_ready(&phase1, false), Ok(()));
    }

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
            check_ending_request("withdrawn", "2026-01-02", "moved away"),
            Ok(Withdrawn)
        );
        let bad = check_ending_request("enrolled", "2026-01-02", "x").unwrap_err();
        assert_eq!(
            bad.to_string(),
            "status: \"enrolled\" is not allowed (allowed: withdrawn, completed)"
        );
        assert_eq!(
            check_ending_request("completed", "2026-01-02", "  ")
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
    fn a_screening_names_every_problem_at_once() {
        let study = Study::from_toml(include_str!("../../../studies/xs228-phase2.toml")).unwrap();
        let mut exam = Map::new();
        for (k, v) in isncsci::flat::fields(&isncsci::Exam::normal()) {
            exam.insert(k, Value::String(v.into()));
        }
        let form = ScreeningForm {
            site_id: &study.sites[0].id,
            screening_number: "S-1",
            sex: "female",
            date_of_birth: "1990-04-02",
            injury_date: "2026-10-01",
            consent_date: "2026-10-20",
            screening_date: "2026-10-21",
            exam: &exam,
        };
        let (screening, classified) = check_screening(&study, &form).unwrap();
        assert_eq!(screening.sex, Sex::Female);
        assert_eq!(classified.classification.ais.to_string(), "E");
        let mut bad_exam = exam.clone();
        bad_exam.insert("c5RightMotor".into(), Value::String("7".into()));
        bad_exam.remove("analContraction");
        let bad = ScreeningForm {
            site_id: "NOWHERE",
            sex: "x",
            injury_date: "2026-13-01",
            exam: &bad_exam,
            ..form
        };
        let problems = check_screening(&study, &bad).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            fields,
            [
                "site_id",
                "sex",
                "injury_date",
                "exam.c5RightMotor",
                "exam.analContraction"
            ]
        );
        assert!(
            problems[3].message.contains("allowed"),
            "{}",
            problems[3].message
        );
    }

    #[test]
    fn an_enrolment_form_needs_a_subject_id_and_its_dates() {
        let study = Study::from_toml(include_str!("../../../studies/xs228-phase2.toml")).unwrap();
        let anchored = check_enrolment_form(
            &study,
            "2026-10-01",
            "XS-001",
            "2026-10-22",
            Some("2026-10-25"),
        );
        assert!(anchored.is_ok(), "{anchored:?}");
        let problems = check_enrolment_form(&study, "2026-10-01", " ", "22 Oct", None).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert!(
            fields.starts_with(&["subject_id", "enrolled_on"]),
            "{fields:?}"
        );
    }

    #[test]
    fn a_visit_date_is_a_date_not_in_the_future_recorded_once() {
        let latest = time::macros::date!(2026 - 05 - 02);
        assert!(check_visit_date("2026-05-01", latest).is_ok());
        assert!(check_visit_date("2026-05-02", latest).is_ok());
        assert!(check_visit_date("1 May", latest).is_err());
        let refused = check_visit_date("2026-05-03", latest).unwrap_err();
        assert!(
            matches!(&refused, Refusal::Invalid { field, .. } if field == "done_on"),
            "{refused:?}"
        );
        assert!(refused.to_string().contains("future"), "{refused}");
        assert!(refused.to_string().contains("2026-05-02"), "{refused}");
        // In the earliest time zone the date turns 14 hours before it does in UTC.
        let evening = time::macros::datetime!(2026-05-01 10:00 UTC);
        assert_eq!(
            latest_date_anywhere(evening),
            time::macros::date!(2026 - 05 - 02)
        );
        let morning = time::macros::datetime!(2026-05-01 09:59 UTC);
        assert_eq!(
            latest_date_anywhere(morning),
            time::macros::date!(2026 - 05 - 01)
        );
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
