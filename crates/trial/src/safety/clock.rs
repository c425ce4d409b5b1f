//! Serious adverse events and SUSARs: the sponsor's assessment beside the investigator's, the
//! classification, and the reporting clocks.
//!
//! A serious event starts the site's 24-hour clock to the sponsor, from when the site became
//! aware of it. A SUSAR (serious, related by the investigator or the sponsor, unexpected) starts
//! the sponsor's expedited report clock from its first knowledge of the case (day 0): 7
//! calendar days when fatal or life-threatening, then a follow-up within 8 more days (day 15);
//! 15 calendar days otherwise (FDA 21 CFR 312.32; China CDE 2018).

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime, Time};

use super::event::{field_changes, AdverseEvent, Causality, Expectedness, Field};
use crate::error::{required_reason, Refusal};
use crate::states::named_states;
use crate::Change;

named_states! {
    /// What a clock counts down to.
    pub enum ClockKind {
        /// The site reports a serious event to the sponsor within 24 hours.
        SiteReport = "site-report-24h",
        /// The initial expedited report of a fatal or life-threatening SUSAR, within 7 days.
        Susar7Day = "susar-7-day",
        /// Its follow-up report, within 8 more days.
        SusarFollowUp = "susar-follow-up",
        /// The expedited report of any other SUSAR, within 15 days.
        Susar15Day = "susar-15-day",
    }
}

/// A reporting deadline: when it started and when it is due.
///
/// Clocks order by deadline (then kind and start), which lists overdue clocks first and then
/// the soonest due, whatever the time now: an overdue clock's deadline has passed, so it is
/// earlier than any clock still running.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Clock {
    /// The instant it is overdue from (UTC): the end of the due date for calendar-day clocks.
    pub deadline: OffsetDateTime,
    /// What it counts down to.
    pub kind: ClockKind,
    /// When it started (UTC).
    pub started: OffsetDateTime,
    /// The last day to report (UTC).
    pub due: Date,
}

impl Clock {
    /// A clock of `hours` from `started`.
    pub fn hours(kind: ClockKind, started: OffsetDateTime, hours: i64) -> Clock {
        let started = started.to_offset(time::UtcOffset::UTC);
        let deadline = started.saturating_add(Duration::hours(hours));
        Clock {
            deadline,
            kind,
            started,
            due: deadline.date(),
        }
    }

    /// A clock of `days` calendar days from day 0, the (UTC) date of `started`: due on day
    /// `days`, overdue from the start of the day after.
    pub fn calendar_days(kind: ClockKind, started: OffsetDateTime, days: i64) -> Clock {
        let started = started.to_offset(time::UtcOffset::UTC);
        let due = started
            .date()
            .checked_add(Duration::days(days))
            .unwrap_or(Date::MAX);
        let deadline = due
            .next_day()
            .map_or(OffsetDateTime::new_utc(Date::MAX, Time::MAX), |d| {
                d.midnight().assume_utc()
            });
        Clock {
            deadline,
            kind,
            started,
            due,
        }
    }

    /// Calendar days from `today` to the due date: 0 on the due date, negative once overdue.
    pub fn days_left(&self, today: Date) -> i64 {
        (self.due - today).whole_days()
    }

    /// Whether it is overdue at `now`.
    pub fn is_overdue(&self, now: OffsetDateTime) -> bool {
        now >= self.deadline
    }

    /// When to remind that 2 days remain: for calendar-day clocks, the start (UTC) of the day
    /// when [`Clock::days_left`] is 2; for the 24-hour clock, 48 hours before the deadline.
    /// `None` when that is not after the start (the clock is shorter than the reminder).
    pub fn remind_at(&self) -> Option<OffsetDateTime> {
        let at = if self.kind == ClockKind::SiteReport {
            self.deadline.checked_sub(Duration::days(2))?
        } else {
            self.due
                .checked_sub(Duration::days(2))?
                .midnight()
                .assume_utc()
        };
        (at > self.started).then_some(at)
    }
}

impl PartialOrd for Clock {
    fn partial_cmp(&self, other: &Clock) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Clock {
    fn cmp(&self, other: &Clock) -> Ordering {
        self.deadline
            .cmp(&other.deadline)
            .then_with(|| {
                let rank = |k: ClockKind| ClockKind::ALL.iter().position(|x| *x == k);
                rank(self.kind).cmp(&rank(other.kind))
            })
            .then_with(|| self.started.cmp(&other.started))
            .then_with(|| self.due.cmp(&other.due))
    }
}

/// The site's 24-hour clock to report a serious event to the sponsor, from when the site
/// became aware of it; none for an event that is not serious.
pub fn site_clock(event: &AdverseEvent, site_aware: OffsetDateTime) -> Option<Clock> {
    event
        .is_serious()
        .then(|| Clock::hours(ClockKind::SiteReport, site_aware, 24))
}

/// The sponsor's safety physician's assessment of a serious event, kept beside the
/// investigator's (which it never changes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SponsorAssessment {
    /// Causality to the product, by the sponsor.
    pub causality: Causality,
    /// Expectedness against the reference safety information, by the sponsor.
    pub expectedness: Expectedness,
    /// When the sponsor first knew of the case (UTC): day 0 of the SUSAR clock.
    pub first_knowledge: OffsetDateTime,
}

/// The audit entity of sponsor assessments.
pub const SPONSOR_ENTITY: &str = "sponsor-assessment";

/// Decides a save of the sponsor's assessment of event `record`: the first records each
/// field; a change needs a reason and records what changed. The first knowledge is fixed once
/// recorded (the clock runs from it).
pub fn decide_sponsor_assessment(
    record: &str,
    before: Option<&SponsorAssessment>,
    after: &SponsorAssessment,
    reason: Option<&str>,
) -> Result<Vec<Change>, Refusal> {
    let fields = |a: &SponsorAssessment| -> Vec<Field> {
        vec![
            ("causality", Some(a.causality.to_string())),
            ("expectedness", Some(a.expectedness.to_string())),
            ("first_knowledge", Some(instant(a.first_knowledge))),
        ]
    };
    let Some(before) = before else {
        return Ok(field_changes(SPONSOR_ENTITY, record, None, fields(after), None).0);
    };
    if before.first_knowledge != after.first_knowledge {
        return Err(Refusal::conflict(
            "first_knowledge",
            format!(
                "is fixed once recorded ({}): the SUSAR clock runs from it",
                instant(before.first_knowledge)
            ),
        ));
    }
    let reason = required_reason(reason, "to change the sponsor's assessment")?;
    let (changes, _) = field_changes(
        SPONSOR_ENTITY,
        record,
        Some(fields(before)),
        fields(after),
        Some(reason),
    );
    if changes.is_empty() {
        return Err(Refusal::conflict("values", "nothing changed"));
    }
    Ok(changes)
}

/// An instant as the audit trail writes it: RFC 3339 in UTC.
fn instant(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}

named_states! {
    /// Whose expectedness a classification used.
    pub enum ExpectednessSource {
        /// The sponsor's assessment.
        Sponsor = "sponsor",
        /// The study's reference safety information.
        ReferenceSafetyInformation = "reference-safety-information",
    }
}

/// What an event is for expedited reporting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = SafetyClassification)]
pub struct Classification {
    /// Any seriousness criterion met.
    pub serious: bool,
    /// Related to the product by the investigator.
    pub related_by_investigator: bool,
    /// Related to the product by the sponsor, once assessed.
    pub related_by_sponsor: Option<bool>,
    /// The expectedness used.
    pub expectedness: Expectedness,
    /// Whose it is.
    pub expectedness_source: ExpectednessSource,
    /// Serious, related (by either) and unexpected: a suspected unexpected serious adverse
    /// reaction.
    pub susar: bool,
}

/// Classifies an event: SUSAR when serious, related to the product by the investigator or the
/// sponsor, and unexpected by the sponsor's assessment when given, else by the reference
/// safety information (`reference`, from [`super::reference_expectedness`]). Causality to
/// the procedure does not make an event a reaction to the product.
pub fn classify(
    event: &AdverseEvent,
    sponsor: Option<&SponsorAssessment>,
    reference: Expectedness,
) -> Classification {
    let serious = event.is_serious();
    let related_by_investigator = event.causality_product.is_related();
    let related_by_sponsor = sponsor.map(|s| s.causality.is_related());
    let (expectedness, expectedness_source) = match sponsor {
        Some(s) => (s.expectedness, ExpectednessSource::Sponsor),
        None => (reference, ExpectednessSource::ReferenceSafetyInformation),
    };
    Classification {
        serious,
        related_by_investigator,
        related_by_sponsor,
        expectedness,
        expectedness_source,
        susar: serious
            && (related_by_investigator || related_by_sponsor == Some(true))
            && expectedness == Expectedness::Unexpected,
    }
}

/// The expedited report clocks of a SUSAR from the sponsor's first knowledge (day 0): the
/// 7-day report and its follow-up by day 15 when fatal or life-threatening, else the 15-day
/// report.
pub fn susar_clocks(event: &AdverseEvent, first_knowledge: OffsetDateTime) -> Vec<Clock> {
    if event.is_fatal_or_life_threatening() {
        vec![
            Clock::calendar_days(ClockKind::Susar7Day, first_knowledge, 7),
            Clock::calendar_days(ClockKind::SusarFollowUp, first_knowledge, 15),
        ]
    } else {
        vec![Clock::calendar_days(
            ClockKind::Susar15Day,
            first_knowledge,
            15,
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn calendar_days_count_from_the_utc_date_of_day_0() {
        let late = datetime!(2026 - 03 - 10 23:59 UTC);
        let clock = Clock::calendar_days(ClockKind::Susar15Day, late, 15);
        assert_eq!(clock.due, date!(2026 - 03 - 25));
        assert_eq!(clock.deadline, datetime!(2026 - 03 - 26 00:00 UTC));
        assert_eq!(clock.days_left(date!(2026 - 03 - 10)), 15);
        assert_eq!(clock.remind_at(), Some(datetime!(2026 - 03 - 23 00:00 UTC)));
        assert_eq!(clock.days_left(date!(2026 - 03 - 23)), 2);
    }

    #[test]
    fn the_24_hour_clock_has_no_2_day_reminder() {
        let clock = Clock::hours(
            ClockKind::SiteReport,
            datetime!(2026 - 03 - 10 08:00 +08:00),
            24,
        );
        assert_eq!(clock.started, datetime!(2026 - 03 - 10 00:00 UTC));
        assert_eq!(clock.deadline, datetime!(2026 - 03 - 11 00:00 UTC));
        assert_eq!(clock.remind_at(), None);
        assert!(!clock.is_overdue(datetime!(2026 - 03 - 10 23:59:59 UTC)));
        assert!(clock.is_overdue(clock.deadline));
    }

    #[test]
    fn clocks_of_the_same_deadline_order_by_kind() {
        let start = datetime!(2026 - 03 - 10 00:00 UTC);
        let follow_up = Clock::calendar_days(ClockKind::SusarFollowUp, start, 15);
        let fifteen = Clock::calendar_days(ClockKind::Susar15Day, start, 15);
        let mut clocks = [fifteen, follow_up];
        clocks.sort();
        assert_eq!(clocks, [follow_up, fifteen]);
    }
}
