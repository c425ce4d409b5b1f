//! The 3+3 rule of Phase I dose escalation.
//!
//! Participants are enrolled in cohorts of three at a dose level, starting at the lowest. Once a
//! cohort's participants are evaluable (their dose-limiting-toxicity window has ended, or they
//! had a DLT), the level's count of DLTs decides:
//!
//! | Evaluable | DLTs | Decision |
//! |---|---|---|
//! | fewer than 3 | 0 or 1 | [`Decision::NeedMore`]: complete the cohort |
//! | any | 2 or more | [`Decision::Stop`]: the level is too toxic |
//! | 3 to 5 | 0 | [`Decision::Escalate`] |
//! | 3 to 5 | 1 | [`Decision::Expand`]: enrol three more, to six |
//! | 6 or more | 0 or 1 | [`Decision::Escalate`] |
//!
//! The maximum tolerated dose (MTD) is the highest level given to six evaluable participants
//! with at most one DLT, below the first level that stopped (or the highest level, when none
//! stopped). So when a level stops and the level below had only three participants, the level
//! below is expanded to six first; and the highest planned level, once it escalates, is
//! expanded to six before it is declared the MTD.

use serde::Serialize;
use time::Date;

use crate::participants::parse_date;
use crate::{date_of_day, Change, Refusal, Study};

/// What the 3+3 rule says about one dose level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// No DLT in three, or at most one in six: the next level may be opened. (For the highest
    /// level: it is tolerated; there is no higher level.)
    Escalate,
    /// One DLT in three to five evaluable participants: enrol more at this level, to six.
    Expand,
    /// Two or more DLTs: the level exceeds the maximum tolerated dose.
    Stop,
    /// Fewer than three evaluable participants (none, for a level not yet opened) and fewer
    /// than two DLTs: the cohort is not complete.
    NeedMore,
}

impl Decision {
    /// The decision for a level with `evaluable` evaluable participants, `dlts` of whom had a
    /// dose-limiting toxicity.
    pub fn of(evaluable: u32, dlts: u32) -> Decision {
        match (evaluable, dlts) {
            (_, 2..) => Decision::Stop,
            (0..=2, _) => Decision::NeedMore,
            (3..=5, 1) => Decision::Expand,
            _ => Decision::Escalate,
        }
    }

    /// `escalate`, `expand`, `stop` or `need-more`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Decision::Escalate => "escalate",
            Decision::Expand => "expand",
            Decision::Stop => "stop",
            Decision::NeedMore => "need-more",
        }
    }
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The state of a dose escalation under the 3+3 rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Escalation {
    /// The decision for each level, in escalation order.
    pub decisions: Vec<Decision>,
    /// The level (index) where the next participants are enrolled; `None` when escalation is
    /// over: an MTD was found, or the lowest level was too toxic.
    pub next: Option<usize>,
    /// The maximum tolerated dose (level index), once it is established.
    pub mtd: Option<usize>,
}

/// Applies the 3+3 rule to the levels' counts, `(evaluable participants, DLTs)` in escalation
/// order (levels not yet opened as `(0, 0)`).
///
/// The levels are walked from the lowest while they escalate. At the first level that does
/// not: enrolment continues there when it needs more participants or is expanded; when it
/// stops, the level below is the MTD if it had six evaluable participants, is expanded to six
/// if it had fewer, and there is no MTD if it was the lowest level. When every level
/// escalates, the highest is the MTD with six evaluable participants and is expanded to six
/// otherwise. Without levels, there is nothing to enrol and no MTD.
pub fn three_plus_three(levels: &[(u32, u32)]) -> Escalation {
    let decisions: Vec<Decision> = levels.iter().map(|&(n, d)| Decision::of(n, d)).collect();
    let six = |i: usize| levels[i].0 >= 6;
    let first_open = decisions.iter().position(|&d| d != Decision::Escalate);
    let (next, mtd) = match first_open {
        Some(i) => match decisions[i] {
            Decision::Stop if i == 0 => (None, None),
            Decision::Stop if six(i - 1) => (None, Some(i - 1)),
            Decision::Stop => (Some(i - 1), None),
            _ => (Some(i), None),
        },
        None if levels.is_empty() => (None, None),
        None => {
            let top = levels.len() - 1;
            if six(top) {
                (None, Some(top))
            } else {
                (Some(top), None)
            }
        }
    };
    Escalation {
        decisions,
        next,
        mtd,
    }
}

/// One dose level's participants: assigned to it, evaluable (assessed for DLT), with a DLT.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LevelCount {
    /// Participants assigned to the level.
    pub assigned: u32,
    /// Of them, evaluable: a DLT, or the DLT window over without one.
    pub evaluable: u32,
    /// Of them, with a DLT.
    pub dlts: u32,
}

/// Where the 3+3 rule lets the next participant be enrolled, and the cohort size there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Opening {
    /// The level (index) the rule enrols at, when escalation is not over.
    pub level: Option<usize>,
    /// The participants that level is to have (3, or 6 when expanded).
    pub target: u32,
    /// Whether a participant can be enrolled there now: fewer are assigned than the target
    /// (otherwise the cohort waits for its DLT windows).
    pub open: bool,
}

/// The level where the next participant may be enrolled under the 3+3 rule, given every
/// level's counts in escalation order. A level enrols up to three, or six when it is expanded
/// (one DLT in three, or the level below a stopped level, or the highest level before it is
/// declared the MTD); a full cohort waits until its participants are evaluable.
pub fn opening(levels: &[LevelCount]) -> Opening {
    let counts: Vec<(u32, u32)> = levels.iter().map(|l| (l.evaluable, l.dlts)).collect();
    let state = three_plus_three(&counts);
    let Some(level) = state.next else {
        return Opening {
            level: None,
            target: 0,
            open: false,
        };
    };
    let target = if state.decisions[level] == Decision::NeedMore {
        3
    } else {
        6
    };
    Opening {
        level: Some(level),
        target,
        open: levels[level].assigned < target,
    }
}

/// The level an enrolled participant is given, from every level's counts: the level the 3+3
/// rule opens (a level asked for must be it, and its cohort must have room), or any level
/// named with a sponsor's override (whose reason is required). Refusals name the allowed level.
pub fn choose_level<'a>(
    study: &'a Study,
    counts: &[LevelCount],
    requested: Option<&str>,
    override_reason: Option<&str>,
) -> Result<&'a str, Refusal> {
    let ids: Vec<&str> = study.dose_levels.iter().map(|l| l.id.as_str()).collect();
    if let Some(level) = requested {
        if !ids.contains(&level) {
            return Err(Refusal::invalid(
                "level_id",
                format!(
                    "{level:?} is not a dose level of {} (allowed: {})",
                    study.id,
                    ids.join(", ")
                ),
            ));
        }
    }
    let position = |level: &str| ids.iter().position(|id| *id == level).unwrap_or(0);
    let opening = opening(counts);
    match (override_reason, requested, opening.level) {
        (Some(reason), Some(level), _) => {
            if reason.trim().is_empty() {
                return Err(Refusal::invalid(
                    "reason",
                    "is required: why the 3+3 rule is overridden",
                ));
            }
            Ok(ids[position(level)])
        }
        (Some(_), None, _) => Err(Refusal::invalid(
            "level_id",
            format!("an override names the level (allowed: {})", ids.join(", ")),
        )),
        (None, _, None) => {
            let evaluated: Vec<(u32, u32)> = counts.iter().map(|c| (c.evaluable, c.dlts)).collect();
            let mtd = three_plus_three(&evaluated)
                .mtd
                .and_then(|i| ids.get(i).copied())
                .unwrap_or("none");
            Err(Refusal::conflict(
                "level_id",
                format!(
                    "the 3+3 rule enrols no more participants (maximum tolerated dose: {mtd}); only a sponsor override can"
                ),
            ))
        }
        (None, requested, Some(open)) => {
            let allowed = ids[open];
            if let Some(other) = requested.filter(|r| *r != allowed) {
                return Err(Refusal::conflict(
                    "level_id",
                    format!(
                        "the 3+3 rule enrols at {allowed} now, not at {other} (allowed: {allowed}); only a sponsor override can"
                    ),
                ));
            }
            if !opening.open {
                return Err(Refusal::conflict(
                    "level_id",
                    format!(
                        "the cohort at {allowed} is full ({} of {} assigned, {} evaluable): it waits for their DLT windows",
                        counts[open].assigned, opening.target, counts[open].evaluable
                    ),
                ));
            }
            Ok(allowed)
        }
    }
}

/// Only a dose-escalation study assigns dose levels.
pub fn check_escalation_study(study: &Study) -> Result<(), Refusal> {
    if study.dose_levels.is_empty() {
        return Err(Refusal::conflict(
            "level_id",
            format!(
                "study {} has no dose levels (it is not a dose escalation)",
                study.id
            ),
        ));
    }
    Ok(())
}

/// A dose level is final: a participant already at `assigned` gets no other.
pub fn check_unassigned(participant_id: i64, assigned: Option<&str>) -> Result<(), Refusal> {
    match assigned {
        None => Ok(()),
        Some(level) => Err(Refusal::conflict(
            "level_id",
            format!(
                "participant {participant_id} is already at dose level {level}; a dose level is final"
            ),
        )),
    }
}

/// The DLT window of a participant at a level: from the first dose (the anchor date, day 1)
/// to the study's DLT window (28 days by default) after the level's last dose.
pub fn dlt_window(
    study: &Study,
    level_id: &str,
    anchor: Option<&str>,
) -> Result<(Date, Date), Refusal> {
    let level = study.dose_level(level_id).ok_or_else(|| {
        Refusal::conflict(
            "level_id",
            format!("{level_id} is no longer a dose level of {}", study.id),
        )
    })?;
    let anchor = anchor.and_then(parse_date).ok_or_else(|| {
        Refusal::conflict("anchor_date", "the participant has no first-dose date")
    })?;
    let (first, last) = level.dlt_days(study.dlt_window_days.unwrap_or(28));
    Ok((date_of_day(anchor, first), date_of_day(anchor, last)))
}

/// The DLT window read from the doses given (their dates at the site, in order): from the
/// first dose given to the study's window after the level's last dose — its date once given,
/// else its planned day counted from the first dose. Before any dose is recorded, the planned
/// window from the anchor date ([`dlt_window`]).
pub fn dlt_window_given(
    study: &Study,
    level_id: &str,
    anchor: Option<&str>,
    given: &[Date],
) -> Result<(Date, Date), Refusal> {
    let Some(first) = given.first().copied() else {
        return dlt_window(study, level_id, anchor);
    };
    let level = study.dose_level(level_id).ok_or_else(|| {
        Refusal::conflict(
            "level_id",
            format!("{level_id} is no longer a dose level of {}", study.id),
        )
    })?;
    let doses = level.dose_days.len().max(1);
    let last_dose = if given.len() >= doses {
        given[doses - 1]
    } else {
        date_of_day(first, level.last_dose_day())
    };
    let window = i64::from(study.dlt_window_days.unwrap_or(28));
    Ok((first, last_dose + time::Duration::days(window)))
}

/// A DLT assessment as the investigator signs it.
#[derive(Clone, Copy, Debug)]
pub struct DltReport<'a> {
    /// The participant.
    pub participant_id: i64,
    /// Whether a dose-limiting toxicity occurred.
    pub dlt: bool,
    /// Its onset, for a DLT.
    pub onset_on: Option<&'a str>,
    /// What happened.
    pub description: &'a str,
    /// The assessment's date.
    pub assessed_on: &'a str,
}

/// Checks a DLT assessment against the participant's state (`level`: the dose level, if any;
/// `assessed`: whether one was recorded) and the DLT window (`window`, computed only once the
/// participant is known to be assessable): a DLT with its onset inside the window, assessed on
/// or after it, described; or none once the window is over.
pub fn check_dlt(
    report: &DltReport<'_>,
    level: Option<&str>,
    assessed: bool,
    window: impl FnOnce(&str) -> Result<(Date, Date), Refusal>,
) -> Result<(), Refusal> {
    let id = report.participant_id;
    let Some(level) = level else {
        return Err(Refusal::conflict(
            "level_id",
            format!("participant {id} has no dose level yet"),
        ));
    };
    if assessed {
        return Err(Refusal::conflict(
            "dlt",
            format!("participant {id} was already assessed for DLT"),
        ));
    }
    let Some(assessed_on) = parse_date(report.assessed_on) else {
        return Err(Refusal::invalid(
            "assessed_on",
            format!(
                "{:?} is not a date (expected YYYY-MM-DD)",
                report.assessed_on
            ),
        ));
    };
    let (start, end) = window(level)?;
    if !report.dlt {
        if report.onset_on.is_some() {
            return Err(Refusal::invalid("onset_on", "is given only for a DLT"));
        }
        if assessed_on < end {
            return Err(Refusal::conflict(
                "assessed_on",
                format!("the DLT window runs until {end}: without a DLT the participant is evaluable from then on"),
            ));
        }
        return Ok(());
    }
    let Some(onset) = report.onset_on else {
        return Err(Refusal::invalid(
            "onset_on",
            format!("is required for a DLT (within the window {start} to {end})"),
        ));
    };
    match parse_date(onset) {
        Some(day) if (start..=end).contains(&day) => {
            if assessed_on < day {
                return Err(Refusal::invalid(
                    "assessed_on",
                    format!("{} is before the onset {onset}", report.assessed_on),
                ));
            }
        }
        _ => {
            return Err(Refusal::invalid(
                "onset_on",
                format!("{onset:?} is outside the DLT window (allowed: {start} to {end})"),
            ))
        }
    }
    if report.description.trim().is_empty() {
        return Err(Refusal::invalid(
            "description",
            "is required for a DLT: what happened",
        ));
    }
    Ok(())
}

/// What a signed DLT assessment records.
pub fn dlt_changes(report: &DltReport<'_>, signer_name: &str, signed_at: &str) -> Vec<Change> {
    let c = || Change::new("sign", "dlt-assessment", report.participant_id);
    let mut changes = vec![
        c().set("dlt", if report.dlt { "yes" } else { "no" }),
        c().set("assessed_on", report.assessed_on),
        c().set("description", report.description.trim()),
        c().set("signer_name", signer_name),
        c().set("signed_at", signed_at),
    ];
    if let Some(onset) = report.onset_on {
        changes.push(c().set("onset_on", onset));
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_opening_follows_the_cohorts() {
        let c = |assigned, evaluable, dlts| LevelCount {
            assigned,
            evaluable,
            dlts,
        };
        let empty = c(0, 0, 0);
        // The first cohort of three at the lowest level, then it waits.
        assert_eq!(opening(&[empty, empty]).level, Some(0));
        assert!(opening(&[c(2, 0, 0), empty]).open);
        assert!(!opening(&[c(3, 2, 0), empty]).open);
        // 0/3: the next level opens.
        assert_eq!(
            opening(&[c(3, 3, 0), empty]),
            Opening {
                level: Some(1),
                target: 3,
                open: true
            }
        );
        // 1/3: expand to six.
        assert_eq!(
            opening(&[c(3, 3, 1), empty]),
            Opening {
                level: Some(0),
                target: 6,
                open: true
            }
        );
        assert!(!opening(&[c(6, 4, 1), empty]).open);
        // 2 DLTs at level 1 with three below: the level below is expanded.
        assert_eq!(
            opening(&[c(3, 3, 0), c(3, 3, 2)]),
            Opening {
                level: Some(0),
                target: 6,
                open: true
            }
        );
        // MTD found: nothing opens.
        assert_eq!(opening(&[c(6, 6, 0), c(3, 3, 2)]).level, None);
    }
    use Decision::{Escalate, Expand, NeedMore, Stop};

    #[test]
    fn every_branch_of_the_rule_for_one_level() {
        // Cohorts not complete.
        assert_eq!(Decision::of(0, 0), NeedMore);
        assert_eq!(Decision::of(1, 0), NeedMore);
        assert_eq!(Decision::of(2, 1), NeedMore);
        // 0/3: escalate.
        assert_eq!(Decision::of(3, 0), Escalate);
        // 1/3: expand to six, and go on expanding until six are evaluable.
        assert_eq!(Decision::of(3, 1), Expand);
        assert_eq!(Decision::of(4, 1), Expand);
        assert_eq!(Decision::of(5, 1), Expand);
        // ≤ 1/6: escalate.
        assert_eq!(Decision::of(6, 1), Escalate);
        assert_eq!(Decision::of(6, 0), Escalate);
        assert_eq!(Decision::of(7, 1), Escalate);
        // ≥ 2 DLTs: stop, in three, in six, or before the cohort is complete.
        assert_eq!(Decision::of(3, 2), Stop);
        assert_eq!(Decision::of(3, 3), Stop);
        assert_eq!(Decision::of(6, 2), Stop);
        assert_eq!(Decision::of(2, 2), Stop);
        assert_eq!(Decision::of(5, 2), Stop);
        // A level with no DLT among 4 or 5 (over-enrolment) escalates.
        assert_eq!(Decision::of(4, 0), Escalate);
    }

    fn run(levels: &[(u32, u32)]) -> (Vec<Decision>, Option<usize>, Option<usize>) {
        let e = three_plus_three(levels);
        (e.decisions, e.next, e.mtd)
    }

    #[test]
    fn the_first_cohort_starts_at_the_lowest_level() {
        assert_eq!(
            run(&[(0, 0), (0, 0), (0, 0)]),
            (vec![NeedMore; 3], Some(0), None)
        );
        assert_eq!(
            run(&[(2, 0), (0, 0)]),
            (vec![NeedMore, NeedMore], Some(0), None)
        );
    }

    #[test]
    fn zero_of_three_escalates_to_the_next_level() {
        assert_eq!(
            run(&[(3, 0), (0, 0), (0, 0)]),
            (vec![Escalate, NeedMore, NeedMore], Some(1), None)
        );
    }

    #[test]
    fn one_of_three_expands_the_level() {
        assert_eq!(
            run(&[(3, 0), (3, 1), (0, 0)]),
            (vec![Escalate, Expand, NeedMore], Some(1), None)
        );
        assert_eq!(
            run(&[(3, 0), (5, 1), (0, 0)]),
            (vec![Escalate, Expand, NeedMore], Some(1), None)
        );
    }

    #[test]
    fn one_of_six_escalates() {
        assert_eq!(
            run(&[(6, 1), (0, 0)]),
            (vec![Escalate, NeedMore], Some(1), None)
        );
    }

    #[test]
    fn two_of_three_stops_and_the_level_below_is_expanded_to_six() {
        assert_eq!(
            run(&[(3, 0), (3, 2), (0, 0)]),
            (vec![Escalate, Stop, NeedMore], Some(0), None)
        );
    }

    #[test]
    fn two_of_six_stops_and_the_level_below_with_six_is_the_mtd() {
        assert_eq!(
            run(&[(6, 1), (6, 2), (0, 0)]),
            (vec![Escalate, Stop, NeedMore], None, Some(0))
        );
        assert_eq!(
            run(&[(3, 0), (6, 0), (6, 2), (0, 0)]),
            (vec![Escalate, Escalate, Stop, NeedMore], None, Some(1))
        );
    }

    #[test]
    fn the_level_below_expanded_after_a_stop_becomes_the_mtd_or_stops_too() {
        // 0/3 at level 0, 2/3 at level 1: level 0 was expanded to six.
        assert_eq!(
            run(&[(6, 1), (3, 2)]),
            (vec![Escalate, Stop], None, Some(0))
        );
        // Level 0 expanded to six had a second DLT: no tolerated level.
        assert_eq!(run(&[(6, 2), (3, 2)]), (vec![Stop, Stop], None, None));
        // Level 1 expanded after a stop at level 2 had a second DLT: level 0 is expanded.
        assert_eq!(
            run(&[(3, 0), (6, 2), (3, 2)]),
            (vec![Escalate, Stop, Stop], Some(0), None)
        );
    }

    #[test]
    fn two_dlts_at_the_lowest_level_end_without_an_mtd() {
        assert_eq!(run(&[(3, 2), (0, 0)]), (vec![Stop, NeedMore], None, None));
        assert_eq!(run(&[(6, 2), (0, 0)]), (vec![Stop, NeedMore], None, None));
    }

    #[test]
    fn the_highest_level_is_expanded_to_six_before_it_is_the_mtd() {
        assert_eq!(
            run(&[(3, 0), (3, 0)]),
            (vec![Escalate, Escalate], Some(1), None)
        );
        assert_eq!(
            run(&[(3, 0), (6, 1)]),
            (vec![Escalate, Escalate], None, Some(1))
        );
        assert_eq!(
            run(&[(3, 0), (6, 0)]),
            (vec![Escalate, Escalate], None, Some(1))
        );
    }

    #[test]
    fn no_levels() {
        assert_eq!(run(&[]), (vec![], None, None));
    }

    #[test]
    fn decisions_print_and_serialise_as_words() {
        assert_eq!(NeedMore.to_string(), "need-more");
        assert_eq!(Stop.as_str(), "stop");
    }

    const PHASE1: &str = include_str!("../../../studies/xs228-phase1.toml");

    fn counts(list: &[(u32, u32, u32)]) -> Vec<LevelCount> {
        list.iter()
            .map(|&(assigned, evaluable, dlts)| LevelCount {
                assigned,
                evaluable,
                dlts,
            })
            .collect()
    }

    #[test]
    fn the_level_given_is_the_one_the_rule_opens_or_an_overridden_one() {
        let study = Study::from_toml(PHASE1).unwrap();
        let none = counts(&[(0, 0, 0), (0, 0, 0), (0, 0, 0), (0, 0, 0)]);
        assert_eq!(choose_level(&study, &none, None, None), Ok("sad-1"));
        assert_eq!(
            choose_level(&study, &none, Some("sad-1"), None),
            Ok("sad-1")
        );
        let refused = choose_level(&study, &none, Some("mad-2"), None).unwrap_err();
        assert!(refused
            .to_string()
            .contains("enrols at sad-1 now, not at mad-2 (allowed: sad-1)"));
        assert!(choose_level(&study, &none, Some("xl"), None)
            .unwrap_err()
            .to_string()
            .contains("(allowed: sad-1, sad-2, mad-1, mad-2)"));
        // A full cohort waits for its DLT windows.
        let full = counts(&[(3, 1, 0), (0, 0, 0), (0, 0, 0), (0, 0, 0)]);
        assert!(choose_level(&study, &full, None, None)
            .unwrap_err()
            .to_string()
            .contains("the cohort at sad-1 is full (3 of 3 assigned, 1 evaluable)"));
        // The sponsor may override, naming the level, with a reason.
        assert_eq!(
            choose_level(&study, &full, Some("mad-1"), Some("DSMB advice")),
            Ok("mad-1")
        );
        assert!(choose_level(&study, &full, Some("mad-1"), Some(" ")).is_err());
        assert!(choose_level(&study, &full, None, Some("why")).is_err());
        // Two DLTs at the lowest level end the escalation without an MTD.
        let stopped = counts(&[(3, 3, 2), (0, 0, 0), (0, 0, 0), (0, 0, 0)]);
        assert!(choose_level(&study, &stopped, None, None)
            .unwrap_err()
            .to_string()
            .contains("enrols no more participants (maximum tolerated dose: none)"));
        assert!(check_unassigned(4, Some("sad-1")).is_err());
        assert!(check_unassigned(4, None).is_ok());
    }

    #[test]
    fn the_dlt_window_reads_the_doses_given() {
        use time::macros::date;
        let study = Study::from_toml(PHASE1).unwrap();
        let anchor = Some("2026-03-02");
        // No dose recorded: the planned window from the anchor.
        assert_eq!(
            dlt_window_given(&study, "mad-1", anchor, &[]),
            dlt_window(&study, "mad-1", anchor)
        );
        let first = date!(2026 - 03 - 03);
        // One dose given a day after the anchor: the fourth is planned on day 43 from it.
        assert_eq!(
            dlt_window_given(&study, "mad-1", anchor, &[first]),
            Ok((first, date!(2026 - 05 - 12)))
        );
        // The fourth dose a day later than planned moves the end with it.
        let given = [
            first,
            date!(2026 - 03 - 17),
            date!(2026 - 03 - 31),
            date!(2026 - 04 - 15),
        ];
        assert_eq!(
            dlt_window_given(&study, "mad-1", anchor, &given),
            Ok((first, date!(2026 - 05 - 13)))
        );
        assert_eq!(
            dlt_window_given(&study, "sad-2", anchor, &[first]),
            Ok((first, date!(2026 - 03 - 31)))
        );
    }

    #[test]
    fn a_dlt_is_assessed_once_inside_its_window() {
        let study = Study::from_toml(PHASE1).unwrap();
        let (start, end) = dlt_window(&study, "sad-1", Some("2026-01-01")).unwrap();
        assert_eq!(start.to_string(), "2026-01-01");
        assert!(end > start);
        let (_, mad_end) = dlt_window(&study, "mad-1", Some("2026-01-01")).unwrap();
        assert!(
            mad_end > end,
            "the window runs from the last of the four doses"
        );
        assert!(dlt_window(&study, "sad-1", None).is_err());
        let window = |level: &str| dlt_window(&study, level, Some("2026-01-01"));
        let report = |dlt, onset, assessed| DltReport {
            participant_id: 9,
            dlt,
            onset_on: onset,
            description: "grade 3 headache",
            assessed_on: assessed,
        };
        let after_end = (end + time::Duration::days(1)).to_string();
        let before_end = (end - time::Duration::days(1)).to_string();
        assert_eq!(
            check_dlt(
                &report(false, None, &after_end),
                Some("sad-1"),
                false,
                window
            ),
            Ok(())
        );
        assert!(check_dlt(
            &report(false, None, &before_end),
            Some("sad-1"),
            false,
            window
        )
        .unwrap_err()
        .to_string()
        .contains("the DLT window runs until"));
        assert_eq!(
            check_dlt(
                &report(true, Some("2026-01-05"), "2026-01-06"),
                Some("sad-1"),
                false,
                window
            ),
            Ok(())
        );
        assert!(check_dlt(
            &report(true, Some("2025-12-31"), "2026-01-06"),
            Some("sad-1"),
            false,
            window
        )
        .is_err());
        assert!(check_dlt(
            &report(true, Some("2026-01-05"), "2026-01-04"),
            Some("sad-1"),
            false,
            window
        )
        .is_err());
        assert!(check_dlt(
            &report(true, None, "2026-01-06"),
            Some("sad-1"),
            false,
            window
        )
        .is_err());
        assert!(check_dlt(
            &report(false, Some("2026-01-05"), &after_end),
            Some("sad-1"),
            false,
            window
        )
        .is_err());
        assert!(check_dlt(
            &report(true, Some("2026-01-05"), "2026-01-06"),
            None,
            false,
            window
        )
        .is_err());
        assert!(check_dlt(
            &report(true, Some("2026-01-05"), "2026-01-06"),
            Some("sad-1"),
            true,
            window
        )
        .is_err());
        assert!(check_dlt(
            &report(true, Some("2026-01-05"), "6 Jan"),
            Some("sad-1"),
            false,
            window
        )
        .is_err());
        let changes = dlt_changes(
            &report(true, Some("2026-01-05"), "2026-01-06"),
            "Dr Inv",
            "t",
        );
        assert_eq!(
            changes.last().unwrap().new_value.as_deref(),
            Some("2026-01-05")
        );
    }
}
