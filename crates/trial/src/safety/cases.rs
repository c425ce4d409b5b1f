//! The serious adverse event as a case: the site's report to the sponsor (which stops the site's
//! 24-hour clock and fixes the sponsor's first knowledge), the sponsor's assessment, the
//! expedited reports pharmacovigilance submits (which close the SUSAR clock they answer), the
//! open clocks of a case, their notices, and the one exception to blinding: pharmacovigilance
//! sees the arm of a SUSAR case.
//!
//! The rules:
//! - The site became aware that an event is serious when it is first saved serious, or first
//!   changed to serious ([`site_awareness`]); that instant starts the site's 24-hour clock and
//!   stays, whatever later changes.
//! - Only a serious event is reported to the sponsor, once ([`decide_site_report`]); the
//!   report sets the sponsor's first knowledge unless the safety physician recorded an earlier
//!   one.
//! - The safety physician assesses serious events only; the first assessment may record a
//!   first knowledge earlier than the site's report, never later and never in the future
//!   ([`assessment_first_knowledge`]); after that it is fixed.
//! - An expedited report goes to an [`Authority`]: the first to each is the initial report,
//!   every later one a follow-up (a new version of the case), any time. Only a SUSAR with a
//!   first knowledge is reported ([`decide_expedited_report`]); follow-ups stay allowed once
//!   an initial report was sent, even if the case is no longer a SUSAR (the downgrade is
//!   reported too).
//! - A SUSAR clock is open until a report of its kind went to every authority
//!   ([`open_clocks`]): the initial report answers the 7- or 15-day clock, a follow-up the
//!   follow-up clock of a fatal or life-threatening case.

use serde::Serialize;
use time::OffsetDateTime;

use super::clock::{site_clock, susar_clocks, Classification, Clock, ClockKind};
use super::event::AdverseEvent;
use crate::error::Refusal;
use crate::states::named_states;
use crate::{Change, Role, Study};

named_states! {
    /// A regulatory authority an expedited report goes to.
    pub enum Authority {
        /// The U.S. Food and Drug Administration.
        Fda = "fda",
        /// China's Center for Drug Evaluation (NMPA).
        Cde = "cde",
    }
}

named_states! {
    /// Which report of a case to an authority.
    pub enum ReportKind {
        /// The first report.
        Initial = "initial",
        /// Any later report: a new version of the case.
        FollowUp = "follow-up",
    }
}

named_states! {
    /// A notice about a clock, sent once.
    pub enum Notice {
        /// The clock started.
        Started = "started",
        /// Two days remain.
        Reminder = "reminder",
    }
}

/// The audit entity of a case's reporting state (site awareness, site report, first
/// knowledge).
pub const CASE_ENTITY: &str = "safety-case";

/// The audit entity of expedited reports.
pub const REPORT_ENTITY: &str = "expedited-report";

/// What the store keeps of a case besides its event and assessments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CaseState {
    /// When the site became aware that the event is serious.
    pub site_aware: Option<OffsetDateTime>,
    /// When the site reported it to the sponsor.
    pub site_reported: Option<OffsetDateTime>,
    /// The sponsor's first knowledge of the case (day 0 of a SUSAR clock).
    pub first_knowledge: Option<OffsetDateTime>,
}

/// An instant as the audit trail writes it: RFC 3339 in UTC.
pub fn audit_instant(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}

/// When a save of `event` makes the site aware that it is serious: `now` when it is serious
/// and the site was not aware yet (`aware`); `None` otherwise (not serious, or already aware:
/// the first awareness stays).
pub fn site_awareness(
    event: &AdverseEvent,
    aware: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Option<OffsetDateTime> {
    (event.is_serious() && aware.is_none()).then_some(now)
}

/// The audit row of the site's awareness of case `record` at `at`.
pub fn site_awareness_change(record: &str, at: OffsetDateTime) -> Change {
    Change::new("aware", CASE_ENTITY, record).set("site_aware_at", audit_instant(at))
}

/// What the site's report of a serious event writes.
#[derive(Clone, Debug, PartialEq)]
pub struct SiteReport {
    /// The sponsor's first knowledge after the report.
    pub first_knowledge: OffsetDateTime,
    /// The audit rows.
    pub changes: Vec<Change>,
}

/// Decides the site's report to the sponsor of case `record` at `now`: refused for an event
/// that is not serious (naming `seriousness`) and when already reported (`site_report`). The
/// report fixes the sponsor's first knowledge unless an earlier one was recorded.
pub fn decide_site_report(
    record: &str,
    event: &AdverseEvent,
    state: &CaseState,
    now: OffsetDateTime,
) -> Result<SiteReport, Refusal> {
    if !event.is_serious() {
        return Err(Refusal::conflict(
            "seriousness",
            "the event meets no seriousness criterion: only a serious adverse event is \
             reported to the sponsor (allowed: an event with at least one of death, \
             life-threatening, hospitalisation, disability, congenital-anomaly, \
             medically-important)",
        ));
    }
    if let Some(at) = state.site_reported {
        return Err(Refusal::conflict(
            "site_report",
            format!(
                "the event was reported to the sponsor at {}: a change of the event is its \
                 follow-up",
                audit_instant(at)
            ),
        ));
    }
    let mut changes = vec![
        Change::new("report", CASE_ENTITY, record).set("site_reported_at", audit_instant(now))
    ];
    let first_knowledge = match state.first_knowledge {
        Some(known) => known,
        None => {
            changes.push(
                Change::new("report", CASE_ENTITY, record)
                    .set("first_knowledge", audit_instant(now)),
            );
            now
        }
    };
    Ok(SiteReport {
        first_knowledge,
        changes,
    })
}

/// Whether the sponsor may assess the event: serious events only (naming `seriousness`).
pub fn check_assessable(event: &AdverseEvent) -> Result<(), Refusal> {
    if event.is_serious() {
        Ok(())
    } else {
        Err(Refusal::conflict(
            "seriousness",
            "the event meets no seriousness criterion: the sponsor assesses serious adverse \
             events only",
        ))
    }
}

/// The first knowledge a sponsor's assessment carries: once an assessment exists, the one it
/// fixed (a different `given` is refused by [`super::decide_sponsor_assessment`]); for the
/// first assessment, `given` when it is not in the future and not after the site's report
/// (the sponsor knew from then), else the case's first knowledge, else `now`.
pub fn assessment_first_knowledge(
    state: &CaseState,
    before: Option<OffsetDateTime>,
    given: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Result<OffsetDateTime, Refusal> {
    if let Some(fixed) = before {
        return Ok(given.unwrap_or(fixed));
    }
    let Some(given) = given else {
        return Ok(state.first_knowledge.unwrap_or(now));
    };
    if given > now {
        return Err(Refusal::invalid(
            "first_knowledge",
            format!(
                "{} is in the future (allowed: an instant up to now)",
                audit_instant(given)
            ),
        ));
    }
    match state.first_knowledge {
        Some(known) if given > known => Err(Refusal::invalid(
            "first_knowledge",
            format!(
                "{} is after the sponsor's first knowledge from the site's report ({}): \
                 only an earlier instant may be recorded",
                audit_instant(given),
                audit_instant(known)
            ),
        )),
        _ => Ok(given),
    }
}

/// An expedited report as recorded: to whom, which, and when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReportSent {
    /// The authority.
    pub authority: Authority,
    /// Initial or follow-up.
    pub kind: ReportKind,
}

/// What recording an expedited report writes.
#[derive(Clone, Debug, PartialEq)]
pub struct NewReport {
    /// Its version for the authority: 1 for the initial report, then 2, 3, ….
    pub version: i64,
    /// The clock it answers, if any is of its kind.
    pub answers: Option<ClockKind>,
    /// The audit rows.
    pub changes: Vec<Change>,
}

/// The clock a report of `kind` answers for `event`: the initial report the 7-day (fatal or
/// life-threatening) or 15-day clock, a follow-up the follow-up clock of a fatal or
/// life-threatening case (none otherwise).
pub fn answered_clock(event: &AdverseEvent, kind: ReportKind) -> Option<ClockKind> {
    let grave = event.is_fatal_or_life_threatening();
    match (kind, grave) {
        (ReportKind::Initial, true) => Some(ClockKind::Susar7Day),
        (ReportKind::Initial, false) => Some(ClockKind::Susar15Day),
        (ReportKind::FollowUp, true) => Some(ClockKind::SusarFollowUp),
        (ReportKind::FollowUp, false) => None,
    }
}

/// The report kind that closes a SUSAR clock (none for the site's clock).
fn closing_kind(kind: ClockKind) -> Option<ReportKind> {
    match kind {
        ClockKind::SiteReport => None,
        ClockKind::Susar7Day | ClockKind::Susar15Day => Some(ReportKind::Initial),
        ClockKind::SusarFollowUp => Some(ReportKind::FollowUp),
    }
}

/// What a new expedited report is checked against.
#[derive(Clone, Copy, Debug)]
pub struct ReportContext<'a> {
    /// The case's audit record.
    pub record: &'a str,
    /// The event.
    pub event: &'a AdverseEvent,
    /// Its classification now.
    pub classification: &'a Classification,
    /// The case's state.
    pub state: &'a CaseState,
    /// The reports recorded before.
    pub earlier: &'a [ReportSent],
    /// Now.
    pub now: OffsetDateTime,
}

/// Decides the recording of an expedited report of `kind` to `authority`, submitted at
/// `submitted`: the case must be a SUSAR with a first knowledge (or, for a follow-up, already
/// reported to that authority); the first report to an authority is the initial one, the later
/// ones follow-ups; the submission is not in the future and not before the first knowledge.
pub fn decide_expedited_report(
    context: ReportContext<'_>,
    authority: Authority,
    kind: ReportKind,
    submitted: OffsetDateTime,
) -> Result<NewReport, Refusal> {
    let ReportContext {
        record,
        event,
        classification,
        state,
        earlier,
        now,
    } = context;
    let before = earlier.iter().filter(|r| r.authority == authority).count() as i64;
    let follows_up = kind == ReportKind::FollowUp && before > 0;
    if !(classification.susar || follows_up) {
        return Err(Refusal::conflict(
            "case",
            "is not a SUSAR (serious, related by the investigator or the sponsor, and \
             unexpected): it has no expedited report",
        ));
    }
    let Some(first_knowledge) = state.first_knowledge else {
        return Err(Refusal::conflict(
            "first_knowledge",
            "the sponsor has no first knowledge of the case yet: the site reports it, or the \
             safety physician records when the sponsor learnt of it",
        ));
    };
    if submitted > now {
        return Err(Refusal::invalid(
            "submitted_at",
            format!(
                "{} is in the future (allowed: an instant up to now)",
                audit_instant(submitted)
            ),
        ));
    }
    if submitted < first_knowledge {
        return Err(Refusal::invalid(
            "submitted_at",
            format!(
                "{} is before the sponsor's first knowledge of the case ({})",
                audit_instant(submitted),
                audit_instant(first_knowledge)
            ),
        ));
    }
    match (kind, before) {
        (ReportKind::Initial, n) if n > 0 => {
            return Err(Refusal::conflict(
                "kind",
                format!(
                    "the initial report to {authority} was recorded: the next is a follow-up \
                     (allowed: follow-up)"
                ),
            ))
        }
        (ReportKind::FollowUp, 0) => {
            return Err(Refusal::conflict(
                "kind",
                format!(
                "no report to {authority} yet: the first is the initial report (allowed: initial)"
            ),
            ))
        }
        _ => {}
    }
    let version = before + 1;
    let id = format!("{record}/{authority}/{version}");
    let changes = vec![
        Change::new("create", REPORT_ENTITY, &id).set("kind", kind),
        Change::new("create", REPORT_ENTITY, &id).set("submitted_at", audit_instant(submitted)),
    ];
    Ok(NewReport {
        version,
        answers: answered_clock(event, kind),
        changes,
    })
}

/// A clock that is still open, with the authorities whose report it awaits (none for the
/// site's clock, which awaits the site's report).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OpenClock {
    /// The clock.
    pub clock: Clock,
    /// The authorities not yet reported to.
    pub awaiting: Vec<Authority>,
}

/// The open clocks of a case: the site's 24-hour clock of a serious event until the site
/// reports it; the SUSAR clocks from the first knowledge, each until a report of its kind went
/// to every authority. In the order of [`Clock`]'s `Ord`.
pub fn open_clocks(
    event: &AdverseEvent,
    classification: &Classification,
    state: &CaseState,
    reports: &[ReportSent],
) -> Vec<OpenClock> {
    let mut open = Vec::new();
    if let (Some(aware), None) = (state.site_aware, state.site_reported) {
        if let Some(clock) = site_clock(event, aware) {
            open.push(OpenClock {
                clock,
                awaiting: Vec::new(),
            });
        }
    }
    if let (true, Some(known)) = (classification.susar, state.first_knowledge) {
        for clock in susar_clocks(event, known) {
            let Some(kind) = closing_kind(clock.kind) else {
                continue;
            };
            let awaiting: Vec<Authority> = Authority::ALL
                .iter()
                .copied()
                .filter(|a| !reports.iter().any(|r| r.authority == *a && r.kind == kind))
                .collect();
            if !awaiting.is_empty() {
                open.push(OpenClock { clock, awaiting });
            }
        }
    }
    open.sort_by_key(|o| o.clock);
    open
}

/// The notices of an open clock due at `now` that were not `sent`: that it started, and that
/// two days remain once [`Clock::remind_at`] has come (not once it is overdue).
pub fn notices_due(clock: &Clock, sent: &[Notice], now: OffsetDateTime) -> Vec<Notice> {
    let mut due = Vec::new();
    if !sent.contains(&Notice::Started) {
        due.push(Notice::Started);
    }
    let reminding = clock
        .remind_at()
        .is_some_and(|at| at <= now && !clock.is_overdue(now));
    if reminding && !sent.contains(&Notice::Reminder) {
        due.push(Notice::Reminder);
    }
    due
}

/// The subject and text of a notice about a clock of participant `participant`'s event `term`
/// (site `site`). Built from these only, so it cannot carry an arm.
pub fn notice_text(
    notice: Notice,
    clock: &Clock,
    participant: &str,
    site: &str,
    term: &str,
) -> (String, String) {
    let what = match clock.kind {
        ClockKind::SiteReport => "the site's 24-hour report to the sponsor",
        ClockKind::Susar7Day => "the 7-day expedited report of a fatal or life-threatening SUSAR",
        ClockKind::SusarFollowUp => "the follow-up report of a fatal or life-threatening SUSAR",
        ClockKind::Susar15Day => "the 15-day expedited report of a SUSAR",
    };
    let subject = match notice {
        Notice::Started => format!("Safety clock started: {term}, participant {participant}"),
        Notice::Reminder => format!("2 days left: {term}, participant {participant}"),
    };
    let body = format!(
        "{what} ({}) for {term} of participant {participant} (site {site}): started {}, due {} \
         (overdue from {}).",
        clock.kind,
        audit_instant(clock.started),
        clock.due,
        audit_instant(clock.deadline)
    );
    (subject, body)
}

/// Whether someone holding `roles` in `study` is shown the arm of a case: only the
/// pharmacovigilance role, for a SUSAR (its expedited report names the actual treatment),
/// and only when no other role they hold is blinded (an investigator who is also
/// pharmacovigilance stays blinded).
pub fn case_shows_arm(study: &Study, roles: &[Role], susar: bool) -> bool {
    susar
        && roles.contains(&Role::Pharmacovigilance)
        && roles
            .iter()
            .all(|r| *r == Role::Pharmacovigilance || !study.is_blinded(*r))
}

#[cfg(test)]
mod tests;
