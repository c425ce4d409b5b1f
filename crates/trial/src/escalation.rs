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

/// What the 3+3 rule says about one dose level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
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
}
