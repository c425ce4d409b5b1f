//! The rules over a study's adverse events: DLT candidates in Phase I, and the stopping rules
//! with the gate they put on dosing and enrolment until the DSMB decides.

use serde::Serialize;
use time::Date;

use super::date::PartialDate;
use super::event::{reference_expectedness, AdverseEvent, Causality, Expectedness};
use crate::error::Refusal;
use crate::states::named_states;
use crate::Change;

/// The safety part of a study definition (the `[safety]` table).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SafetyDefinition {
    /// The reference safety information: the terms expected with the product, as adverse
    /// events name them.
    pub expected_terms: Vec<String>,
    /// What makes an adverse event a DLT candidate (dose escalation).
    pub dlt_criteria: DltCriteria,
    /// The stopping rules, in the order given.
    pub stopping_rules: Vec<StoppingRule>,
}

impl SafetyDefinition {
    /// The expectedness of `term` under the reference safety information.
    pub fn expectedness(&self, term: &str) -> Expectedness {
        reference_expectedness(&self.expected_terms, term)
    }
}

/// What makes an adverse event a DLT candidate: its grade and causality to the product, with
/// its onset within the DLT window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DltCriteria {
    /// The lowest grade (default 3).
    pub min_grade: u8,
    /// The lowest causality to the product (default possible).
    pub min_causality: Causality,
}

impl Default for DltCriteria {
    fn default() -> DltCriteria {
        DltCriteria {
            min_grade: 3,
            min_causality: Causality::Possible,
        }
    }
}

/// An adverse event of the study with whose it is: the unit the study-wide rules read.
#[derive(Clone, Copy, Debug)]
pub struct StudyEvent<'a> {
    /// The event's id.
    pub ae_id: i64,
    /// The participant's id.
    pub participant_id: i64,
    /// The event.
    pub event: &'a AdverseEvent,
    /// The sponsor's causality to the product, once assessed.
    pub sponsor_causality: Option<Causality>,
}

impl StudyEvent<'_> {
    /// Related to the product (possible or more) by the investigator or the sponsor.
    pub fn is_related(&self) -> bool {
        self.event.causality_product.is_related()
            || self.sponsor_causality.is_some_and(Causality::is_related)
    }
}

/// An adverse event proposed as a DLT for the investigator to confirm.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DltCandidate {
    /// The event's id.
    pub ae_id: i64,
    /// Its term.
    pub term: String,
    /// Its grade.
    pub grade: u8,
    /// Its onset.
    #[schema(value_type = String, pattern = r"^\d{4}(-\d{2}(-\d{2})?)?$")]
    pub onset: PartialDate,
    /// Whether the onset, known only to the month or year, may also fall outside the window.
    pub onset_uncertain: bool,
}

/// The DLT candidates among a participant's events (`(id, event)`): grade and causality to the
/// product at least the criteria's, with an onset that may fall within the DLT window
/// (`window`, from [`crate::escalation::dlt_window`]: first dose to the window's last day,
/// both included). In the order given.
pub fn dlt_candidates(
    criteria: DltCriteria,
    window: (Date, Date),
    events: &[(i64, &AdverseEvent)],
) -> Vec<DltCandidate> {
    let (start, end) = window;
    events
        .iter()
        .filter(|(_, e)| {
            e.grade >= criteria.min_grade
                && e.causality_product.at_least(criteria.min_causality)
                && e.onset.may_fall_within(start, end)
        })
        .map(|(id, e)| DltCandidate {
            ae_id: *id,
            term: e.term.clone(),
            grade: e.grade,
            onset: e.onset,
            onset_uncertain: e.onset.earliest() < start || e.onset.latest() > end,
        })
        .collect()
}

/// Checks the adverse events a DLT assessment points at (`ae_ids`) against the participant's
/// events (`events`, `(id, event)`) and the DLT window: a DLT names at least one of the
/// participant's events, each once, each with an onset that may fall within the window; an
/// assessment of no DLT names none.
pub fn check_dlt_events(
    dlt: bool,
    ae_ids: &[i64],
    events: &[(i64, &AdverseEvent)],
    window: (Date, Date),
) -> Result<(), Refusal> {
    if !dlt {
        if ae_ids.is_empty() {
            return Ok(());
        }
        return Err(Refusal::invalid(
            "ae_ids",
            "are given only for a DLT: an assessment of no DLT names no adverse event",
        ));
    }
    if ae_ids.is_empty() {
        return Err(Refusal::invalid(
            "ae_ids",
            "a DLT names the adverse event(s) that make it one",
        ));
    }
    let allowed: Vec<String> = events.iter().map(|(id, _)| id.to_string()).collect();
    for (i, id) in ae_ids.iter().enumerate() {
        if ae_ids[..i].contains(id) {
            return Err(Refusal::invalid(
                "ae_ids",
                format!("adverse event {id} is named twice"),
            ));
        }
        let Some((_, event)) = events.iter().find(|(e, _)| e == id) else {
            return Err(Refusal::not_allowed("ae_ids", &id.to_string(), &allowed));
        };
        if !event.onset.may_fall_within(window.0, window.1) {
            return Err(Refusal::invalid(
                "ae_ids",
                format!(
                    "adverse event {id} began on {}, outside the DLT window ({} to {})",
                    event.onset, window.0, window.1
                ),
            ));
        }
    }
    Ok(())
}

/// The audit row linking a DLT assessment of `participant_id` to its adverse events.
pub fn dlt_event_change(participant_id: i64, ae_ids: &[i64]) -> Change {
    let ids: Vec<String> = ae_ids.iter().map(i64::to_string).collect();
    Change::new("sign", "dlt-assessment", participant_id).set("ae_ids", ids.join(","))
}

/// What makes a stopping rule fire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum StoppingKind {
    /// Any related adverse event of at least this grade (`kind = "related-ae-grade"`).
    RelatedAeGrade {
        /// The lowest grade.
        min_grade: u8,
    },
    /// At least `count` of the first `first` participants dosed had a related serious adverse
    /// event (`kind = "related-sae-among-first"`).
    RelatedSaeAmongFirst {
        /// Participants with a related SAE that fire it.
        count: u32,
        /// Among how many participants, in dosing order.
        first: u32,
    },
}

impl StoppingRule {
    /// The name, in Chinese when `zh` and given.
    pub fn name_in(&self, zh: bool) -> &str {
        crate::study::in_language(&self.name, self.name_zh.as_deref(), zh)
    }
}

impl StoppingKind {
    /// The kinds' words in the study definition.
    pub const NAMES: [&'static str; 2] = ["related-ae-grade", "related-sae-among-first"];
}

/// A stopping rule of the study definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoppingRule {
    /// Its id, as decisions name it.
    pub id: String,
    /// What it says, in words (generated from the kind when not given).
    pub name: String,
    /// What it says in Chinese (`name_zh`; generated from the kind when neither name is given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_zh: Option<String>,
    /// What makes it fire.
    #[serde(flatten)]
    pub kind: StoppingKind,
}

impl StoppingKind {
    /// The rule in words.
    pub fn describe(self) -> String {
        match self {
            StoppingKind::RelatedAeGrade { min_grade } => {
                format!("any related adverse event of grade {min_grade} or higher")
            }
            StoppingKind::RelatedSaeAmongFirst { count, first } => format!(
                "{count} or more of the first {first} participants dosed with a related serious adverse event"
            ),
        }
    }

    /// The rule in Chinese words.
    pub fn describe_zh(self) -> String {
        match self {
            StoppingKind::RelatedAeGrade { min_grade } => {
                format!("任何与研究产品相关的 {min_grade} 级及以上不良事件")
            }
            StoppingKind::RelatedSaeAmongFirst { count, first } => {
                format!("前 {first} 名已给药受试者中有 {count} 名或以上发生与研究产品相关的严重不良事件")
            }
        }
    }
}

/// A stopping rule that fired, with the events that fire it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FiredRule {
    /// The rule's id.
    pub rule_id: String,
    /// What happened, in words, naming the rule.
    pub message: String,
    /// The events that fire it, in order of id.
    pub ae_ids: Vec<i64>,
}

/// Evaluates the stopping rules over the study's events, with its participants in dosing
/// order (`dosing_order`: first dosed first; participants not yet dosed are absent). Returns
/// the rules that fire, in the definition's order. "Related" is to the product, possible or
/// more, by the investigator or the sponsor.
pub fn evaluate_stopping_rules(
    rules: &[StoppingRule],
    dosing_order: &[i64],
    events: &[StudyEvent<'_>],
) -> Vec<FiredRule> {
    let mut fired = Vec::new();
    for rule in rules {
        let (mut ae_ids, message) = match rule.kind {
            StoppingKind::RelatedAeGrade { min_grade } => {
                let ids: Vec<i64> = events
                    .iter()
                    .filter(|e| e.is_related() && e.event.grade >= min_grade)
                    .map(|e| e.ae_id)
                    .collect();
                let message = format!(
                    "stopping rule {} ({}) fired: {} related adverse event(s) of grade {min_grade} or higher",
                    rule.id,
                    rule.name,
                    ids.len()
                );
                (ids, message)
            }
            StoppingKind::RelatedSaeAmongFirst { count, first } => {
                let first_ids: Vec<i64> = dosing_order
                    .iter()
                    .take(usize::try_from(first).unwrap_or(usize::MAX))
                    .copied()
                    .collect();
                let mut ids = Vec::new();
                let mut participants = Vec::new();
                for e in events {
                    if first_ids.contains(&e.participant_id)
                        && e.event.is_serious()
                        && e.is_related()
                    {
                        ids.push(e.ae_id);
                        if !participants.contains(&e.participant_id) {
                            participants.push(e.participant_id);
                        }
                    }
                }
                if participants.len() < usize::try_from(count).unwrap_or(usize::MAX) {
                    ids.clear();
                }
                let message = format!(
                    "stopping rule {} ({}) fired: {} of the first {first} participants dosed had a related serious adverse event",
                    rule.id,
                    rule.name,
                    participants.len()
                );
                (ids, message)
            }
        };
        if !ae_ids.is_empty() {
            ae_ids.sort_unstable();
            ae_ids.dedup();
            fired.push(FiredRule {
                rule_id: rule.id.clone(),
                message,
                ae_ids,
            });
        }
    }
    fired
}

/// The latest firing of each rule among the recorded ones (oldest first), in the order the
/// rules first fired: what the gate holds dosing and enrolment on.
pub fn latest_firings(recorded: impl IntoIterator<Item = FiredRule>) -> Vec<FiredRule> {
    let mut latest: Vec<FiredRule> = Vec::new();
    for rule in recorded {
        match latest.iter_mut().find(|r| r.rule_id == rule.rule_id) {
            Some(r) => *r = rule,
            None => latest.push(rule),
        }
    }
    latest
}

/// The rules that fire now (`fired`, from [`evaluate_stopping_rules`]) to record as new
/// firings: those whose latest recorded firing (`latest`, from [`latest_firings`]) did not
/// already name every event they fire on. Saving the same events again records nothing; a
/// new event records the rule again, so a decision that did not review it no longer covers it.
pub fn firings_to_record(fired: Vec<FiredRule>, latest: &[FiredRule]) -> Vec<FiredRule> {
    fired
        .into_iter()
        .filter(|rule| {
            !latest.iter().any(|known| {
                known.rule_id == rule.rule_id
                    && rule.ae_ids.iter().all(|id| known.ae_ids.contains(id))
            })
        })
        .collect()
}

named_states! {
    /// What the DSMB decided about a fired stopping rule.
    pub enum DsmbOutcome {
        /// Continue as planned.
        Continue = "continue",
        /// Continue with changes to the protocol.
        ContinueWithChanges = "continue-with-changes",
        /// Keep dosing and enrolment paused.
        Pause = "pause",
        /// Stop the study.
        Terminate = "terminate",
    }
}

impl DsmbOutcome {
    /// Whether dosing and enrolment may resume.
    pub fn resumes(self) -> bool {
        matches!(
            self,
            DsmbOutcome::Continue | DsmbOutcome::ContinueWithChanges
        )
    }
}

/// A DSMB decision on a stopping rule, as the gate needs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DsmbDecision {
    /// The rule decided on.
    pub rule_id: String,
    /// The events the DSMB reviewed (the fired rule's events when it decided).
    pub ae_ids: Vec<i64>,
    /// What it decided.
    pub outcome: DsmbOutcome,
    /// Whether the decision carries a valid electronic signature.
    pub signed: bool,
}

named_states! {
    /// What a fired stopping rule holds back.
    pub enum Gated {
        /// Dosing a participant.
        Dosing = "dosing",
        /// Enrolling a participant.
        Enrolment = "enrolment",
    }
}

/// Refuses dosing or enrolment while a fired rule has no signed DSMB decision that reviewed
/// all its events and lets the study resume (`decisions` oldest first: the latest covering
/// decision counts). The refusal names the rule.
pub fn check_gate(
    action: Gated,
    fired: &[FiredRule],
    decisions: &[DsmbDecision],
) -> Result<(), Refusal> {
    for rule in fired {
        let covering = decisions.iter().rev().find(|d| {
            d.signed
                && d.rule_id == rule.rule_id
                && rule.ae_ids.iter().all(|id| d.ae_ids.contains(id))
        });
        match covering {
            Some(decision) if decision.outcome.resumes() => continue,
            Some(decision) => {
                return Err(Refusal::conflict(
                    "stopping_rule",
                    format!(
                        "{action} is refused: the DSMB decided to {} under stopping rule {}",
                        decision.outcome, rule.rule_id
                    ),
                ))
            }
            None => {
                return Err(Refusal::conflict(
                    "stopping_rule",
                    format!(
                        "{action} is refused until the DSMB records a signed decision: {}",
                        rule.message
                    ),
                ))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fired(rule: &str, ids: &[i64]) -> FiredRule {
        FiredRule {
            rule_id: rule.into(),
            message: format!("stopping rule {rule} fired"),
            ae_ids: ids.to_vec(),
        }
    }

    #[test]
    fn a_rule_is_recorded_again_only_on_an_event_its_latest_firing_did_not_name() {
        let latest = latest_firings([fired("a", &[1]), fired("b", &[2]), fired("a", &[1, 3])]);
        assert_eq!(latest, [fired("a", &[1, 3]), fired("b", &[2])]);
        assert!(firings_to_record(vec![fired("a", &[1, 3])], &latest).is_empty());
        assert!(firings_to_record(vec![fired("a", &[3])], &latest).is_empty());
        assert_eq!(
            firings_to_record(vec![fired("a", &[1, 3, 4]), fired("b", &[2])], &latest),
            [fired("a", &[1, 3, 4])]
        );
        assert_eq!(
            firings_to_record(vec![fired("c", &[1])], &latest),
            [fired("c", &[1])]
        );
        assert!(latest_firings([]).is_empty());
    }

    #[test]
    fn only_continuing_outcomes_resume() {
        let resumes: Vec<&str> = DsmbOutcome::ALL
            .iter()
            .filter(|o| o.resumes())
            .map(|o| o.as_str())
            .collect();
        assert_eq!(resumes, ["continue", "continue-with-changes"]);
    }
}
