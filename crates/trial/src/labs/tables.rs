//! The laboratory part of the DSMB's safety tables: per test, the shift of each participant
//! from their baseline class (low, normal, high) to the class of their worst value after it;
//! per CTCAE term, the participants by their worst grade; per group, the participants by their
//! worst grade of any lab term. Groups are the caller's (arms or dose levels for readers who
//! see them, one pooled group otherwise): these rules never learn what a group is.
//!
//! The baseline is the participant's first value of the test (as for grading). The worst
//! value after it is the one furthest from normal: a critical value before a low or high one,
//! a low or high one before a normal one; among equals the latest. Values without a normal
//! range have no class and are left out of the shifts (a baseline without one leaves the
//! participant out of that test's shift).

use serde::Serialize;
use time::OffsetDateTime;

use super::Flag;

/// The classes of a shift table, in the order of its rows and columns.
pub const SHIFT_CLASSES: [&str; 3] = ["low", "normal", "high"];

/// One recorded value, as the tables need it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TableValue<'a> {
    /// The participant.
    pub participant: i64,
    /// The test's code.
    pub test: &'a str,
    /// When the sample was taken.
    pub collected_at: OffsetDateTime,
    /// Its flag.
    pub flag: Flag,
    /// The CTCAE term it graded, when graded.
    pub term: Option<&'a str>,
    /// Its grade, when graded.
    pub grade: Option<u8>,
}

/// One group's participants.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LabGroup {
    /// The group: an arm, a dose level, or the pooled group.
    pub group: String,
    /// Participants in the group.
    pub participants: u32,
    /// Participants by their worst CTCAE grade of any lab term: index 0 counts those with no
    /// graded value, 1 to 4 those whose worst grade is that.
    #[schema(value_type = Vec<u32>)]
    pub by_worst_grade: [u32; 5],
}

/// One test's shifts, per group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ShiftRow {
    /// The test's code.
    pub test: String,
    /// Per group (in the order of [`LabTables::groups`]): participants by baseline class (the
    /// outer index, [`SHIFT_CLASSES`]) and the class of the worst value after it (the inner).
    #[schema(value_type = Vec<Vec<Vec<u32>>>)]
    pub shifts: Vec<[[u32; 3]; 3]>,
}

/// One CTCAE term's row: per group, the participants with the term by their worst grade.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct GradeRow {
    /// The CTCAE v5.0 term.
    pub term: String,
    /// Per group: participants whose worst grade of the term is 1 to 4 (index 0 is grade 1).
    #[schema(value_type = Vec<Vec<u32>>)]
    pub by_worst_grade: Vec<[u32; 4]>,
}

/// The laboratory safety tables.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LabTables {
    /// Each group, in the order first given.
    pub groups: Vec<LabGroup>,
    /// Each test with a shift, in the order of the study's tests.
    pub shifts: Vec<ShiftRow>,
    /// Each term graded, by name.
    pub grades: Vec<GradeRow>,
}

/// The shift class of a flag, and how far from normal it is (critical 2, low or high 1,
/// normal 0).
fn class(flag: Flag) -> Option<(usize, u8)> {
    let index = SHIFT_CLASSES
        .iter()
        .position(|c| Some(*c) == flag.shift_class())?;
    let severity = match flag {
        Flag::CriticalLow | Flag::CriticalHigh => 2,
        Flag::Low | Flag::High => 1,
        Flag::Normal | Flag::NoRange => 0,
    };
    Some((index, severity))
}

/// A participant's shift of one test: the baseline class and the worst class after it, or
/// `None` without a classed baseline or a classed value after it. `values` are the
/// participant's values of the test.
pub fn shift(values: &[TableValue<'_>]) -> Option<(usize, usize)> {
    let mut sorted: Vec<&TableValue<'_>> = values.iter().collect();
    sorted.sort_by_key(|v| v.collected_at);
    let (first, after) = sorted.split_first()?;
    let (baseline, _) = class(first.flag)?;
    // `max_by_key` keeps the last of equals: the latest of the worst.
    let (worst, _) = after
        .iter()
        .filter_map(|v| class(v.flag))
        .max_by_key(|(_, severity)| *severity)?;
    Some((baseline, worst))
}

/// Makes the tables from each participant's group (`(participant, group)`; participants
/// without values count too), the study's tests in order, and the values. Values of
/// participants not in `groups`, or of tests not in `tests`, are left out.
pub fn lab_tables(groups: &[(i64, &str)], tests: &[&str], values: &[TableValue<'_>]) -> LabTables {
    let mut out = LabTables::default();
    for (_, group) in groups {
        if !out.groups.iter().any(|g| g.group == *group) {
            out.groups.push(LabGroup {
                group: group.to_string(),
                ..LabGroup::default()
            });
        }
    }
    let index = |participant: i64| {
        let (_, group) = groups.iter().find(|(p, _)| *p == participant)?;
        out.groups.iter().position(|g| g.group == *group)
    };
    let mut participants: Vec<(i64, usize)> = groups
        .iter()
        .filter_map(|(p, _)| Some((*p, index(*p)?)))
        .collect();
    participants.sort_unstable();
    participants.dedup_by_key(|(p, _)| *p);
    let n = out.groups.len();
    let mut shifts: Vec<ShiftRow> = tests
        .iter()
        .map(|t| ShiftRow {
            test: t.to_string(),
            shifts: vec![[[0; 3]; 3]; n],
        })
        .collect();
    let mut terms: Vec<&str> = values
        .iter()
        .filter(|v| v.grade.is_some() && tests.contains(&v.test))
        .filter(|v| index(v.participant).is_some())
        .filter_map(|v| v.term)
        .collect();
    terms.sort_unstable();
    terms.dedup();
    let mut grades: Vec<GradeRow> = terms
        .iter()
        .map(|t| GradeRow {
            term: t.to_string(),
            by_worst_grade: vec![[0; 4]; n],
        })
        .collect();
    let mut counts = vec![(0u32, [0u32; 5]); n];
    for (participant, g) in participants {
        let own: Vec<TableValue<'_>> = values
            .iter()
            .filter(|v| v.participant == participant && tests.contains(&v.test))
            .copied()
            .collect();
        for row in &mut shifts {
            let of_test: Vec<TableValue<'_>> =
                own.iter().filter(|v| v.test == row.test).copied().collect();
            if let Some((from, to)) = shift(&of_test) {
                row.shifts[g][from][to] += 1;
            }
        }
        let mut worst_any = 0u8;
        for row in &mut grades {
            let worst = own
                .iter()
                .filter(|v| v.term == Some(row.term.as_str()))
                .filter_map(|v| v.grade)
                .filter(|grade| (1..=4).contains(grade))
                .max();
            if let Some(grade) = worst {
                row.by_worst_grade[g][usize::from(grade - 1)] += 1;
                worst_any = worst_any.max(grade);
            }
        }
        counts[g].0 += 1;
        counts[g].1[usize::from(worst_any)] += 1;
    }
    for (group, (participants, by_worst_grade)) in out.groups.iter_mut().zip(counts) {
        group.participants = participants;
        group.by_worst_grade = by_worst_grade;
    }
    out.shifts = shifts
        .into_iter()
        .filter(|row| row.shifts.iter().flatten().flatten().any(|c| *c > 0))
        .collect();
    out.grades = grades;
    out
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;
    use time::Duration;

    use super::*;

    fn value(participant: i64, test: &str, day: i64, flag: Flag) -> TableValue<'_> {
        TableValue {
            participant,
            test,
            collected_at: datetime!(2026-03-01 08:00 UTC) + Duration::days(day),
            flag,
            term: None,
            grade: None,
        }
    }

    fn graded<'a>(mut v: TableValue<'a>, term: &'a str, grade: u8) -> TableValue<'a> {
        v.term = Some(term);
        v.grade = Some(grade);
        v
    }

    #[test]
    fn a_shift_is_from_the_first_value_to_the_worst_after_it() {
        use Flag::*;
        // Normal at baseline, then high, critical low, normal: the critical low is worst.
        let values = [
            value(1, "NEUT", 0, Normal),
            value(1, "NEUT", 14, High),
            value(1, "NEUT", 28, CriticalLow),
            value(1, "NEUT", 56, Normal),
        ];
        assert_eq!(shift(&values), Some((1, 0)));
        // Given out of order, the same.
        let mut reversed = values;
        reversed.reverse();
        assert_eq!(shift(&reversed), Some((1, 0)));
        // Low then high, equally far from normal: the latest.
        let values = [
            value(1, "NEUT", 0, Low),
            value(1, "NEUT", 14, Low),
            value(1, "NEUT", 28, High),
        ];
        assert_eq!(shift(&values), Some((0, 2)));
        // Normal throughout: normal to normal.
        let values = [value(1, "K", 0, Normal), value(1, "K", 9, Normal)];
        assert_eq!(shift(&values), Some((1, 1)));
        // No value after the baseline, a baseline without a range, or only unranged values
        // after it: no shift.
        assert_eq!(shift(&[value(1, "K", 0, Normal)]), None);
        assert_eq!(
            shift(&[value(1, "K", 0, NoRange), value(1, "K", 9, High)]),
            None
        );
        assert_eq!(
            shift(&[value(1, "K", 0, Normal), value(1, "K", 9, NoRange)]),
            None
        );
        assert_eq!(shift(&[]), None);
    }

    #[test]
    fn tables_count_shifts_and_worst_grades_per_group() {
        use Flag::*;
        let groups = [(1, "active"), (2, "control"), (3, "active"), (4, "control")];
        let values = [
            // 1 (active): NEUT normal → low grade 2, then grade 3; ALT normal → normal.
            value(1, "NEUT", 0, Normal),
            graded(value(1, "NEUT", 14, Low), "Neutrophil count decreased", 2),
            graded(value(1, "NEUT", 28, Low), "Neutrophil count decreased", 3),
            value(1, "ALT", 0, Normal),
            value(1, "ALT", 14, Normal),
            // 2 (control): ALT normal → high grade 1.
            value(2, "ALT", 0, Normal),
            graded(
                value(2, "ALT", 14, High),
                "Alanine aminotransferase increased",
                1,
            ),
            // 3 (active): a baseline only.
            value(3, "NEUT", 0, Normal),
            // 5 is in no group; GLUC is not a test of the tables.
            graded(value(5, "NEUT", 14, Low), "Neutrophil count decreased", 4),
            graded(value(1, "GLUC", 14, Low), "Hypoglycemia", 4),
        ];
        let tables = lab_tables(&groups, &["NEUT", "ALT", "K"], &values);
        let groups: Vec<(&str, u32, [u32; 5])> = tables
            .groups
            .iter()
            .map(|g| (g.group.as_str(), g.participants, g.by_worst_grade))
            .collect();
        assert_eq!(
            groups,
            [
                ("active", 2, [1, 0, 0, 1, 0]),
                ("control", 2, [1, 1, 0, 0, 0])
            ]
        );
        // K has no shift at all and is left out; tests in the given order.
        let tests: Vec<&str> = tables.shifts.iter().map(|s| s.test.as_str()).collect();
        assert_eq!(tests, ["NEUT", "ALT"]);
        let neut = &tables.shifts[0].shifts;
        assert_eq!(neut[0], [[0, 0, 0], [1, 0, 0], [0, 0, 0]]);
        assert_eq!(neut[1], [[0; 3]; 3]);
        let alt = &tables.shifts[1].shifts;
        assert_eq!(alt[0], [[0, 0, 0], [0, 1, 0], [0, 0, 0]]);
        assert_eq!(alt[1], [[0, 0, 0], [0, 0, 1], [0, 0, 0]]);
        let grades: Vec<(&str, Vec<[u32; 4]>)> = tables
            .grades
            .iter()
            .map(|g| (g.term.as_str(), g.by_worst_grade.clone()))
            .collect();
        assert_eq!(
            grades,
            [
                (
                    "Alanine aminotransferase increased",
                    vec![[0; 4], [1, 0, 0, 0]]
                ),
                ("Neutrophil count decreased", vec![[0, 0, 1, 0], [0; 4]]),
            ]
        );
        // Pooled: one group of all four.
        let pooled = [(1, "all"), (2, "all"), (3, "all"), (4, "all")];
        let tables = lab_tables(&pooled, &["NEUT", "ALT"], &values);
        assert_eq!(tables.groups.len(), 1);
        assert_eq!(tables.groups[0].by_worst_grade, [2, 1, 0, 1, 0]);
        assert_eq!(tables.shifts[1].shifts[0][1], [0, 1, 1]);
        assert_eq!(lab_tables(&[], &["NEUT"], &values), LabTables::default());
    }
}
