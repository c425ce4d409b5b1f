//! The adverse event record: its coded term, dates, grade, seriousness, causality, action and
//! outcome; reading it from the form with every problem at once; and saving it (a change needs
//! a reason, is audited field by field and voids the investigator's signature).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::Date;

use super::date::PartialDate;
use super::terms::{TermTable, MAX_GRADE};
use crate::ecrf::signed_data_hash;
use crate::error::{required_reason, Problem, Refusal};
use crate::states::named_states;
use crate::Change;

named_states! {
    /// A criterion that makes an adverse event serious (ICH E2A).
    pub enum Seriousness {
        /// It resulted in death.
        Death = "death",
        /// It was life-threatening.
        LifeThreatening = "life-threatening",
        /// It required hospitalisation or prolonged one.
        Hospitalisation = "hospitalisation",
        /// It resulted in persistent or significant disability or incapacity.
        Disability = "disability",
        /// It is a congenital anomaly or birth defect.
        CongenitalAnomaly = "congenital-anomaly",
        /// It is otherwise medically important.
        MedicallyImportant = "medically-important",
    }
}

named_states! {
    /// How likely an event is caused by the product (or by the procedure), from least to most.
    pub enum Causality {
        /// Not related.
        NotRelated = "not-related",
        /// Unlikely related.
        Unlikely = "unlikely",
        /// Possibly related.
        Possible = "possible",
        /// Probably related.
        Probable = "probable",
        /// Definitely related.
        Definite = "definite",
    }
}

impl Causality {
    /// Its place on the scale, from 0 (not related).
    pub fn rank(self) -> usize {
        Causality::ALL.iter().position(|c| *c == self).unwrap_or(0)
    }

    /// Whether it is at least `other` on the scale.
    pub fn at_least(self, other: Causality) -> bool {
        self.rank() >= other.rank()
    }

    /// Related: possible, probable or definite.
    pub fn is_related(self) -> bool {
        self.at_least(Causality::Possible)
    }
}

named_states! {
    /// Whether an event is listed in the reference safety information.
    pub enum Expectedness {
        /// Listed: expected.
        Expected = "expected",
        /// Not listed: unexpected.
        Unexpected = "unexpected",
    }
}

named_states! {
    /// What was done with the product because of the event.
    pub enum ActionTaken {
        /// Dose not changed.
        DoseNotChanged = "dose-not-changed",
        /// Dose reduced.
        DoseReduced = "dose-reduced",
        /// Dosing delayed or interrupted.
        DoseDelayed = "dose-delayed",
        /// Product withdrawn: no further dosing (a discontinuation for the event).
        DrugWithdrawn = "drug-withdrawn",
        /// Not applicable (no further dose was planned).
        NotApplicable = "not-applicable",
        /// Unknown.
        Unknown = "unknown",
    }
}

named_states! {
    /// The event's outcome.
    pub enum Outcome {
        /// Recovered or resolved.
        Recovered = "recovered",
        /// Recovering or resolving.
        Recovering = "recovering",
        /// Not recovered or not resolved.
        NotRecovered = "not-recovered",
        /// Recovered or resolved with sequelae.
        RecoveredWithSequelae = "recovered-with-sequelae",
        /// Fatal.
        Fatal = "fatal",
        /// Unknown.
        Unknown = "unknown",
    }
}

impl Outcome {
    /// Whether the event is over, so its end date is known: recovered (with or without
    /// sequelae) or fatal.
    pub fn has_ended(self) -> bool {
        matches!(
            self,
            Outcome::Recovered | Outcome::RecoveredWithSequelae | Outcome::Fatal
        )
    }

    /// Whether the event is still going on, so it has no end date.
    pub fn is_ongoing(self) -> bool {
        matches!(self, Outcome::Recovering | Outcome::NotRecovered)
    }
}

/// An adverse event as recorded by the site and assessed by the investigator, checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AdverseEvent {
    /// The event in the reporter's words.
    pub verbatim: String,
    /// The coded term, as the term table names it (`Headache`).
    pub term: String,
    /// The term's MedDRA code.
    pub meddra_code: String,
    /// The term's system organ class.
    pub soc: String,
    /// When it began.
    #[schema(value_type = String, pattern = r"^\d{4}(-\d{2}(-\d{2})?)?$")]
    pub onset: PartialDate,
    /// When it ended, once it has.
    #[schema(value_type = Option<String>, pattern = r"^\d{4}(-\d{2}(-\d{2})?)?$")]
    pub end: Option<PartialDate>,
    /// The CTCAE grade, 1 to 5.
    #[schema(minimum = 1, maximum = 5)]
    pub grade: u8,
    /// The seriousness criteria met, in the order of [`Seriousness::ALL`], each once.
    pub seriousness: Vec<Seriousness>,
    /// Causality to the product, by the investigator.
    pub causality_product: Causality,
    /// Causality to the procedure (lumbar puncture), by the investigator.
    pub causality_procedure: Causality,
    /// What was done with the product.
    pub action: ActionTaken,
    /// The outcome.
    pub outcome: Outcome,
}

impl AdverseEvent {
    /// Serious when any seriousness criterion is met.
    pub fn is_serious(&self) -> bool {
        !self.seriousness.is_empty()
    }

    /// Whether it meets `criterion`.
    pub fn meets(&self, criterion: Seriousness) -> bool {
        self.seriousness.contains(&criterion)
    }

    /// Fatal or life-threatening: the cases of the 7-day SUSAR report.
    pub fn is_fatal_or_life_threatening(&self) -> bool {
        self.outcome == Outcome::Fatal
            || self.meets(Seriousness::Death)
            || self.meets(Seriousness::LifeThreatening)
    }

    /// The fields as the audit trail writes them, in a fixed order (absent values as `None`).
    pub fn fields(&self) -> Vec<(&'static str, Option<String>)> {
        let criteria: Vec<&str> = self.seriousness.iter().map(|s| s.as_str()).collect();
        vec![
            ("verbatim", Some(self.verbatim.clone())),
            ("term", Some(self.term.clone())),
            ("meddra_code", Some(self.meddra_code.clone())),
            ("soc", Some(self.soc.clone())),
            ("onset", Some(self.onset.to_string())),
            ("end", self.end.map(|d| d.to_string())),
            ("grade", Some(self.grade.to_string())),
            ("serious", Some(self.is_serious().to_string())),
            ("seriousness", Some(criteria.join(","))),
            (
                "causality_product",
                Some(self.causality_product.to_string()),
            ),
            (
                "causality_procedure",
                Some(self.causality_procedure.to_string()),
            ),
            ("action", Some(self.action.to_string())),
            ("outcome", Some(self.outcome.to_string())),
        ]
    }

    /// The hash an investigator's signature of the assessment binds: SHA-256 of the canonical
    /// JSON of the event, as [`signed_data_hash`] computes for forms. A signature is valid while
    /// the event's hash equals the one it was signed with.
    pub fn signed_hash(&self) -> String {
        let value = serde_json::to_value(self).unwrap_or(Value::Null);
        signed_data_hash([("adverse-event", &value)])
    }
}

/// An adverse event as the form sends it: every value as text, read by
/// [`AdverseEventForm::read`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdverseEventForm {
    /// The event in the reporter's words.
    pub verbatim: String,
    /// The coded term's name.
    pub term: String,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub onset: String,
    /// The same forms, or empty.
    #[serde(default)]
    pub end: Option<String>,
    /// 1 to 5.
    pub grade: Option<i64>,
    /// The seriousness criteria met (empty: not serious).
    #[serde(default)]
    pub seriousness: Vec<String>,
    /// A [`Causality`].
    pub causality_product: String,
    /// A [`Causality`].
    pub causality_procedure: String,
    /// An [`ActionTaken`].
    pub action: String,
    /// An [`Outcome`].
    pub outcome: String,
}

/// What an adverse event is checked against: the terms it may be coded with, the
/// participant's consent date, and today's date (an event is not recorded before it happens).
#[derive(Clone, Copy, Debug)]
pub struct EventContext<'a> {
    /// The terms.
    pub terms: &'a TermTable,
    /// The date the participant consented.
    pub consent: Date,
    /// Today, in UTC (the caller's clock; `trial` has none).
    pub today: Date,
}

fn problem(path: &str, message: impl Into<String>) -> Problem {
    Problem {
        path: path.into(),
        message: message.into(),
    }
}

/// The value, or `None` with the refusal added to the problems.
fn take<T>(problems: &mut Vec<Problem>, result: Result<T, Refusal>) -> Option<T> {
    result.map_err(|r| problems.push(refusal_problem(r))).ok()
}

fn refusal_problem(refusal: Refusal) -> Problem {
    match refusal {
        Refusal::Invalid { field, message } | Refusal::Conflict { field, message } => Problem {
            path: field,
            message,
        },
    }
}

impl AdverseEventForm {
    /// Reads and checks the form: every value, then every rule across fields, each problem
    /// naming its field; all the problems at once, or the event with its term coded from the
    /// table.
    ///
    /// The rules: the term is in the table and defines the grade; the end is not before the
    /// onset and the onset not before consent (compared on what partial dates know); neither
    /// the onset nor the end is after today (a partial date only when its first possible day
    /// is); grade 5,
    /// outcome fatal and the death criterion go together; an event that recovered (with or
    /// without sequelae) or was fatal has an end date, one that is recovering or not recovered
    /// has none.
    pub fn read(&self, context: EventContext<'_>) -> Result<AdverseEvent, Vec<Problem>> {
        let mut problems = Vec::new();
        let p = &mut problems;
        let verbatim = self.verbatim.trim();
        if verbatim.is_empty() {
            p.push(problem(
                "verbatim",
                "is required: the event in the reporter's words",
            ));
        }
        let term = if self.term.trim().is_empty() {
            p.push(problem("term", "is required: a CTCAE term"));
            None
        } else {
            let found = context.terms.find(&self.term);
            if found.is_none() {
                p.push(problem(
                    "term",
                    format!("{:?} is not a term of the loaded terms", self.term.trim()),
                ));
            }
            found
        };
        let onset = take(p, PartialDate::parse_field("onset", &self.onset));
        let end = match self.end.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => take(p, PartialDate::parse_field("end", text)),
        };
        let grade = match self.grade {
            None => take(
                p,
                Err(Refusal::invalid("grade", "is required (allowed: 1 to 5)")),
            ),
            Some(g) => match u8::try_from(g) {
                Ok(g) if (1..=MAX_GRADE).contains(&g) => Some(g),
                _ => take(
                    p,
                    Err(Refusal::invalid(
                        "grade",
                        format!("{g} is not a grade (allowed: 1 to 5)"),
                    )),
                ),
            },
        };
        let mut seriousness = Vec::new();
        for (i, text) in self.seriousness.iter().enumerate() {
            let field = format!("seriousness[{i}]");
            if let Some(s) = take(p, Seriousness::parse_field(&field, text.trim())) {
                seriousness.push(s);
            }
        }
        seriousness.sort_by_key(|s| Seriousness::ALL.iter().position(|a| a == s));
        seriousness.dedup();
        let causality_product = take(
            p,
            Causality::parse_field("causality_product", self.causality_product.trim()),
        );
        let causality_procedure = take(
            p,
            Causality::parse_field("causality_procedure", self.causality_procedure.trim()),
        );
        let action = take(p, ActionTaken::parse_field("action", self.action.trim()));
        let outcome = take(p, Outcome::parse_field("outcome", self.outcome.trim()));

        // Rules across fields, on what could be read.
        if let (Some(term), Some(grade)) = (term, grade) {
            if !term.defines(grade) {
                let allowed: Vec<String> =
                    term.defined_grades().iter().map(u8::to_string).collect();
                problems.push(problem(
                    "grade",
                    format!(
                        "{} does not define grade {grade} (allowed: {})",
                        term.name,
                        allowed.join(", ")
                    ),
                ));
            }
        }
        if let Some(onset) = onset {
            if onset.is_before(PartialDate::from(context.consent)) {
                problems.push(problem(
                    "onset",
                    format!(
                        "{onset} is before consent on {}: an event before consent is medical history",
                        context.consent
                    ),
                ));
            }
            if let Some(end) = end.filter(|end| end.is_before(onset)) {
                problems.push(problem("end", format!("{end} is before the onset {onset}")));
            }
        }
        for (field, date) in [("onset", onset), ("end", end)] {
            if let Some(date) = date.filter(|d| d.earliest() > context.today) {
                problems.push(problem(
                    field,
                    format!(
                        "{date} is after today ({}): an event is recorded once it happened",
                        context.today
                    ),
                ));
            }
        }
        let death = seriousness.contains(&Seriousness::Death);
        let fatal = outcome == Some(Outcome::Fatal);
        if let Some(grade) = grade {
            let grade_text = format!("grade {grade}");
            if let Some(outcome) = outcome.filter(|_| (grade == 5) != fatal) {
                let message = format!(
                    "grade 5, outcome fatal and the criterion death go together: {grade_text} \
                     contradicts outcome {outcome}"
                );
                problems.push(problem("grade", message.clone()));
                problems.push(problem("outcome", message));
            }
            if (grade == 5) != death {
                let message = format!(
                    "grade 5, outcome fatal and the criterion death go together: {grade_text} \
                     contradicts {}",
                    if death {
                        "the criterion death"
                    } else {
                        "the absence of the criterion death"
                    }
                );
                problems.push(problem("grade", message.clone()));
                problems.push(problem("seriousness", message));
            }
        }
        if let Some(outcome) = outcome {
            if grade.is_none() && fatal != death {
                let message = "outcome fatal and the criterion death go together";
                problems.push(problem("outcome", message));
                problems.push(problem("seriousness", message));
            }
            if outcome.has_ended() && end.is_none() && self.end_is_blank() {
                problems.push(problem(
                    "end",
                    format!("is required when the outcome is {outcome}"),
                ));
            }
            if outcome.is_ongoing() && end.is_some() {
                problems.push(problem(
                    "end",
                    format!("must be empty while the outcome is {outcome}"),
                ));
            }
        }

        match (
            problems.is_empty(),
            term,
            onset,
            grade,
            causality_product,
            causality_procedure,
            action,
            outcome,
        ) {
            (
                true,
                Some(term),
                Some(onset),
                Some(grade),
                Some(causality_product),
                Some(causality_procedure),
                Some(action),
                Some(outcome),
            ) => Ok(AdverseEvent {
                verbatim: verbatim.to_string(),
                term: term.name.clone(),
                meddra_code: term.code.clone(),
                soc: term.soc.clone(),
                onset,
                end,
                grade,
                seriousness,
                causality_product,
                causality_procedure,
                action,
                outcome,
            }),
            _ => Err(problems),
        }
    }

    fn end_is_blank(&self) -> bool {
        self.end.as_deref().is_none_or(|e| e.trim().is_empty())
    }
}

/// What a save of an adverse event writes.
#[derive(Clone, Debug, PartialEq)]
pub struct EventSave {
    /// The audit rows of the event (the voided signatures are added by
    /// [`void_signature_changes`]).
    pub changes: Vec<Change>,
    /// The change in words, kept with every signature it voids.
    pub what_changed: String,
    /// The reason, trimmed (none for the first save).
    pub reason: Option<String>,
}

/// Whether a participant in `status` may have adverse events recorded or changed: once enrolled
/// (and after the participation ended, since an event may be reported late). Before enrolment
/// what happens is screening data or medical history, and a screen failure never entered the
/// trial.
pub fn check_event_participant(status: crate::ParticipantStatus) -> Result<(), Refusal> {
    use crate::ParticipantStatus as S;
    match status {
        S::Enrolled | S::Withdrawn | S::Completed => Ok(()),
        S::Screening | S::ScreenFailed => Err(Refusal::conflict(
            "participant",
            format!(
                "is {status}: adverse events are recorded from enrolment on (allowed: enrolled, \
                 withdrawn, completed)"
            ),
        )),
    }
}

/// The audit entity of adverse events.
pub const ENTITY: &str = "adverse-event";

/// How the audit trail names an adverse event: `participant/ae/id`.
pub fn event_record(participant_id: i64, ae_id: i64) -> String {
    format!("{participant_id}/ae/{ae_id}")
}

/// Decides a save of an adverse event (`record`: its id in the audit trail, from
/// [`event_record`]): the first save
/// records every field; a change needs a reason, must change something, and records each field
/// that changed with its old and new value.
pub fn decide_event_save(
    record: &str,
    before: Option<&AdverseEvent>,
    after: &AdverseEvent,
    reason: Option<&str>,
) -> Result<EventSave, Refusal> {
    let Some(before) = before else {
        let (changes, _) = field_changes(ENTITY, record, None, after.fields(), None);
        return Ok(EventSave {
            changes,
            what_changed: format!("adverse event {} recorded", after.term),
            reason: None,
        });
    };
    let reason = required_reason(reason, "to change a recorded adverse event")?;
    let (changes, described) = field_changes(
        ENTITY,
        record,
        Some(before.fields()),
        after.fields(),
        Some(reason),
    );
    if changes.is_empty() {
        return Err(Refusal::conflict("values", "nothing changed"));
    }
    Ok(EventSave {
        changes,
        what_changed: format!(
            "adverse event {record} changed: {} ({reason})",
            described.join(", ")
        ),
        reason: Some(reason.to_string()),
    })
}

/// A field of a record as the audit trail writes it: its name and value (`None`: empty).
pub(super) type Field = (&'static str, Option<String>);

/// The audit rows of a record's `entity`: without `before`, a `create` row for every value of
/// `after`; otherwise an `update` row, with the reason, for each field whose value differs,
/// and each such change in words (`grade 2 → 3`). The fields come in the same order.
pub(super) fn field_changes(
    entity: &str,
    record: &str,
    before: Option<Vec<Field>>,
    after: Vec<Field>,
    reason: Option<&str>,
) -> (Vec<Change>, Vec<String>) {
    let Some(before) = before else {
        let changes = after
            .into_iter()
            .filter_map(|(field, value)| {
                value.map(|v| Change::new("create", entity, record).set(field, v))
            })
            .collect();
        return (changes, Vec::new());
    };
    let mut changes = Vec::new();
    let mut described = Vec::new();
    for ((field, was), (_, now)) in before.into_iter().zip(after) {
        if was == now {
            continue;
        }
        described.push(format!(
            "{field} {} → {}",
            was.as_deref().unwrap_or("(empty)"),
            now.as_deref().unwrap_or("(empty)")
        ));
        changes.push(Change {
            field: Some(field.to_string()),
            old_value: was,
            new_value: now,
            ..Change::new("update", entity, record).because_of(reason)
        });
    }
    (changes, described)
}

/// The audit rows of the investigator's signatures of an event voided by a change (`voided`:
/// the signatures' ids), in order of id: the same rows as a form's voided signatures, on
/// record `event-record/signature-id`. A store voids every valid signature of the event on
/// any change, since [`AdverseEvent::signed_hash`] no longer matches.
pub fn void_signature_changes(
    record: &str,
    mut voided: Vec<i64>,
    what_changed: &str,
    reason: Option<&str>,
) -> Vec<Change> {
    voided.sort_unstable();
    voided
        .into_iter()
        .map(|id| {
            Change::new("void", "signature", format!("{record}/{id}"))
                .set("void_reason", what_changed)
                .because_of(reason)
        })
        .collect()
}

/// Whether the investigator may sign an event's assessment: not while a signature of the
/// event as it stands is valid (`valid_signer`: its signer's printed name), since that one
/// already binds it; a change voids it and the event may be signed again.
pub fn check_event_signable(record: &str, valid_signer: Option<&str>) -> Result<(), Refusal> {
    match valid_signer {
        None => Ok(()),
        Some(signer) => Err(Refusal::conflict(
            "signature",
            format!(
                "adverse event {record} is already signed by {signer}; a change voids the \
                 signature"
            ),
        )),
    }
}

/// The expectedness of a term under the reference safety information (`expected_terms`, as
/// the study definition lists them): expected when listed, ignoring case.
pub fn reference_expectedness(expected_terms: &[String], term: &str) -> Expectedness {
    if expected_terms
        .iter()
        .any(|t| t.trim().eq_ignore_ascii_case(term.trim()))
    {
        Expectedness::Expected
    } else {
        Expectedness::Unexpected
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::safety::terms::Term;
    use time::macros::date;

    fn terms() -> TermTable {
        TermTable::new(vec![Term {
            code: "10016558".into(),
            name: "Fever".into(),
            soc: "General disorders".into(),
            grades: [1, 2, 3, 4, 5].map(|g| Some(format!("grade {g}"))),
            definition: None,
        }])
    }

    fn form(
        grade: i64,
        outcome: &str,
        seriousness: &[&str],
        end: Option<&str>,
    ) -> AdverseEventForm {
        AdverseEventForm {
            verbatim: "fever".into(),
            term: "Fever".into(),
            onset: "2026-03-05".into(),
            end: end.map(String::from),
            grade: Some(grade),
            seriousness: seriousness.iter().map(|s| s.to_string()).collect(),
            causality_product: "possible".into(),
            causality_procedure: "not-related".into(),
            action: "unknown".into(),
            outcome: outcome.into(),
        }
    }

    fn problems(form: &AdverseEventForm) -> Vec<String> {
        let terms = terms();
        let context = EventContext {
            terms: &terms,
            consent: date!(2026 - 03 - 01),
            today: date!(2026 - 04 - 01),
        };
        match form.read(context) {
            Ok(_) => Vec::new(),
            Err(problems) => problems.into_iter().map(|p| p.path).collect(),
        }
    }

    #[test]
    fn only_participants_in_the_trial_have_adverse_events() {
        use crate::ParticipantStatus as S;
        let allowed: Vec<bool> = S::ALL
            .iter()
            .map(|s| check_event_participant(*s).is_ok())
            .collect();
        let words: Vec<&str> = S::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            words,
            [
                "screening",
                "screen-failed",
                "enrolled",
                "withdrawn",
                "completed"
            ]
        );
        assert_eq!(allowed, [false, false, true, true, true]);
        assert!(matches!(
            check_event_participant(S::ScreenFailed),
            Err(Refusal::Conflict { field, .. }) if field == "participant"
        ));
    }

    #[test]
    fn causality_is_a_scale_and_related_starts_at_possible() {
        let related: Vec<bool> = Causality::ALL.iter().map(|c| c.is_related()).collect();
        assert_eq!(related, [false, false, true, true, true]);
        assert!(Causality::Definite.at_least(Causality::Probable));
        assert!(!Causality::Unlikely.at_least(Causality::Possible));
    }

    #[test]
    fn the_outcome_decides_whether_there_is_an_end_date() {
        let ended: Vec<&str> = Outcome::ALL
            .iter()
            .filter(|o| o.has_ended())
            .map(|o| o.as_str())
            .collect();
        assert_eq!(ended, ["recovered", "recovered-with-sequelae", "fatal"]);
        // Unknown outcome: the end date may or may not be known.
        assert!(problems(&form(2, "unknown", &[], None)).is_empty());
        assert!(problems(&form(2, "unknown", &[], Some("2026-03-06"))).is_empty());
        assert_eq!(
            problems(&form(2, "recovered-with-sequelae", &[], None)),
            ["end"]
        );
        assert_eq!(
            problems(&form(2, "not-recovered", &[], Some("2026-03-06"))),
            ["end"]
        );
    }

    #[test]
    fn grade_5_fatal_and_death_go_together_every_way() {
        assert!(problems(&form(5, "fatal", &["death"], Some("2026-03-06"))).is_empty());
        assert_eq!(
            problems(&form(5, "fatal", &[], Some("2026-03-06"))),
            ["grade", "seriousness"]
        );
        assert_eq!(
            problems(&form(4, "fatal", &["death"], Some("2026-03-06"))),
            ["grade", "outcome", "grade", "seriousness"]
        );
        let mut no_grade = form(4, "fatal", &[], Some("2026-03-06"));
        no_grade.grade = None;
        assert_eq!(problems(&no_grade), ["grade", "outcome", "seriousness"]);
    }

    #[test]
    fn onset_and_end_after_today_are_refused_partial_dates_by_their_first_day() {
        // Today is 2026-04-01 in these tests.
        let on = |onset: &str, end: Option<&str>| {
            let mut f = form(2, "unknown", &[], end);
            f.onset = onset.into();
            problems(&f)
        };
        assert!(on("2026-04-01", Some("2026-04-01")).is_empty());
        assert_eq!(on("2026-04-02", None), ["onset"]);
        assert_eq!(on("2026-03-05", Some("2026-04-02")), ["end"]);
        assert_eq!(on("2026-05", Some("2027")), ["onset", "end"]);
        // A partial date that may still be today or before is not refused.
        assert!(on("2026-04", Some("2026")).is_empty());
        assert!(on("2026", None).is_empty());
        let terms = terms();
        let context = EventContext {
            terms: &terms,
            consent: date!(2026 - 03 - 01),
            today: date!(2026 - 04 - 01),
        };
        let mut f = form(2, "unknown", &[], None);
        f.onset = "2026-04-02".into();
        let message = f.read(context).unwrap_err().remove(0).message;
        assert_eq!(
            message,
            "2026-04-02 is after today (2026-04-01): an event is recorded once it happened"
        );
    }

    #[test]
    fn seriousness_is_kept_in_order_once_each() {
        let terms = terms();
        let context = EventContext {
            terms: &terms,
            consent: date!(2026 - 03 - 01),
            today: date!(2026 - 04 - 01),
        };
        let event = form(
            3,
            "recovering",
            &["medically-important", "hospitalisation", "hospitalisation"],
            None,
        )
        .read(context)
        .unwrap();
        assert_eq!(
            event.seriousness,
            [
                Seriousness::Hospitalisation,
                Seriousness::MedicallyImportant
            ]
        );
        let fields = event.fields();
        assert_eq!(
            fields[8],
            (
                "seriousness",
                Some("hospitalisation,medically-important".into())
            )
        );
        assert_eq!(fields[5], ("end", None));
        // The record as saved and read back is the same, and hashes the same.
        let json = serde_json::to_string(&event).unwrap();
        let back: AdverseEvent = serde_json::from_str(&json).unwrap();
        assert_eq!(back.signed_hash(), event.signed_hash());
    }

    #[test]
    fn an_event_is_signed_once_until_a_change_voids_the_signature() {
        assert!(check_event_signable("7/ae/3", None).is_ok());
        let refused = check_event_signable("7/ae/3", Some("Dr Li")).unwrap_err();
        assert!(matches!(
            &refused,
            Refusal::Conflict { field, message }
                if field == "signature" && message.contains("7/ae/3") && message.contains("Dr Li")
        ));
        let voids = void_signature_changes("7/ae/3", vec![5, 2], "grade 2 → 3", Some("typo"));
        let records: Vec<&str> = voids.iter().map(|c| c.record_id.as_str()).collect();
        assert_eq!(records, ["7/ae/3/2", "7/ae/3/5"]);
        assert!(voids
            .iter()
            .all(|c| c.action == "void" && c.entity == "signature"));
    }

    #[test]
    fn expectedness_follows_the_reference_list_ignoring_case() {
        let listed = vec!["Headache".to_string(), " Back pain".to_string()];
        assert_eq!(
            reference_expectedness(&listed, "back PAIN"),
            Expectedness::Expected
        );
        assert_eq!(
            reference_expectedness(&listed, "Fever"),
            Expectedness::Unexpected
        );
        assert_eq!(
            reference_expectedness(&[], "Fever"),
            Expectedness::Unexpected
        );
    }
}
