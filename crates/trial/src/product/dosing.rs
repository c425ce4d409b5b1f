//! Dosing: which dose of a participant's schedule an administration is, and at which visit.
//!
//! A randomised study gives one dose on day 1 (its dosing visit); a dose-escalation study gives
//! its level's `dose_days` (one for a single ascending dose, days 1, 15, 29 and 43 for the
//! multiple ascending doses). The first dose falls on the anchor date (the planned first dose,
//! day 1); each later dose is counted from the first dose actually given, within the window of
//! the visit of its day. An administration beyond the schedule, outside its visit's window or,
//! in a dose escalation, of another number of cells than the level's is refused.

use time::{Date, Duration};

use crate::error::Refusal;
use crate::schedule::date_of_day;
use crate::study::Study;

/// Where an administration falls in the participant's schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DoseSlot {
    /// Its number, from 1.
    pub number: u32,
    /// Of how many doses.
    pub of: u32,
    /// The study day of the dose.
    pub day: i32,
    /// The visit it is given at (the visit of that day), if the schedule has one.
    pub visit_id: Option<String>,
}

/// The days the participant's doses fall on: the level's `dose_days` in a dose escalation
/// (a level is required), day 1 otherwise.
pub fn dose_days(study: &Study, level: Option<&str>) -> Result<Vec<i32>, Refusal> {
    if study.dose_levels.is_empty() {
        return Ok(vec![1]);
    }
    let Some(level) = level else {
        return Err(Refusal::conflict(
            "dose_level",
            "the participant has no dose level yet; a dose is given at the assigned level",
        ));
    };
    let level = study.dose_level(level).ok_or_else(|| {
        Refusal::conflict(
            "dose_level",
            format!("{level} is no longer a dose level of {}", study.id),
        )
    })?;
    Ok(if level.dose_days.is_empty() {
        vec![1]
    } else {
        level.dose_days.clone()
    })
}

/// The visit of a dose day: the visit on that day for the participant's dose schedule.
fn visit_of_day<'a>(
    study: &'a Study,
    level: Option<&str>,
    day: i32,
) -> Option<&'a crate::study::VisitDef> {
    let schedule = level.and_then(|l| study.dose_level(l)).map(|l| l.schedule);
    study.visits.iter().find(|v| {
        v.day == day && !v.screening && (v.dose_schedule.is_none() || v.dose_schedule == schedule)
    })
}

/// The administration's place in the schedule: the dose after those `given` (their dates, in
/// order), on `on` (the date of injection at the site), of `dose_cells` cells. The first dose
/// is due on `anchor` (day 1); later ones on their day counted from the first dose given, each
/// within its visit's window.
pub fn next_dose(
    study: &Study,
    level: Option<&str>,
    anchor: Date,
    given: &[Date],
    on: Date,
    dose_cells: i64,
) -> Result<DoseSlot, Refusal> {
    let days = dose_days(study, level)?;
    let of = u32::try_from(days.len()).unwrap_or(u32::MAX);
    if given.len() >= days.len() {
        return Err(Refusal::conflict(
            "unit",
            format!(
                "the participant has had all {of} dose(s) of the schedule; no further dose is \
                 given"
            ),
        ));
    }
    if let Some(cells) = level.and_then(|l| study.dose_level(l)).map(|l| l.cells) {
        // Cells are whole numbers; the definition writes them as 5.0e7.
        if (dose_cells as f64 - cells).abs() >= 0.5 {
            return Err(Refusal::invalid(
                "dose_cells",
                format!(
                    "must be the level's dose of {cells:.0} cells (given: {dose_cells})",
                    cells = cells
                ),
            ));
        }
    }
    let index = given.len();
    let day = days[index];
    let first = given.first().copied().unwrap_or(anchor);
    let target = date_of_day(first, day);
    let visit = visit_of_day(study, level, day);
    let (before, after) = visit.map_or((0, 0), |v| (v.window_before, v.window_after));
    let earliest = target - Duration::days(i64::from(before));
    let latest = target + Duration::days(i64::from(after));
    if on < earliest || on > latest {
        return Err(Refusal::conflict(
            "injected_at",
            format!(
                "dose {n} of {of} is due on day {day} ({earliest} to {latest}), not on {on}",
                n = index + 1
            ),
        ));
    }
    if let Some(last) = given.last() {
        if on <= *last {
            return Err(Refusal::conflict(
                "injected_at",
                format!("a dose was already given on {last}"),
            ));
        }
    }
    Ok(DoseSlot {
        number: u32::try_from(index + 1).unwrap_or(u32::MAX),
        of,
        day,
        visit_id: visit.map(|v| v.id.clone()),
    })
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn phase1() -> Study {
        Study::from_toml(include_str!("../../../../studies/xs228-phase1.toml")).expect("phase I")
    }

    fn phase2() -> Study {
        Study::from_toml(include_str!("../../../../studies/xs228-phase2.toml")).expect("phase II")
    }

    #[test]
    fn phase_two_gives_one_dose_at_its_dosing_visit() {
        let s = phase2();
        let anchor = date!(2026 - 03 - 02);
        let slot = next_dose(&s, None, anchor, &[], anchor, 1).unwrap();
        assert_eq!(slot.number, 1);
        assert_eq!(slot.of, 1);
        assert_eq!(slot.visit_id.as_deref(), Some("baseline"));
        let late = next_dose(&s, None, anchor, &[], date!(2026 - 03 - 03), 1).unwrap_err();
        assert_eq!(
            late.to_string(),
            "injected_at: dose 1 of 1 is due on day 1 (2026-03-02 to 2026-03-02), not on 2026-03-03"
        );
        let again = next_dose(&s, None, anchor, &[anchor], anchor, 1).unwrap_err();
        assert!(again.to_string().contains("all 1 dose(s)"));
    }

    #[test]
    fn phase_one_mad_doses_follow_the_first_dose_given() {
        let s = phase1();
        let anchor = date!(2026 - 03 - 02);
        let cells = 50_000_000;
        assert!(next_dose(&s, None, anchor, &[], anchor, cells)
            .unwrap_err()
            .to_string()
            .contains("no dose level yet"));
        let one = next_dose(&s, Some("mad-1"), anchor, &[], anchor, cells).unwrap();
        assert_eq!(
            (one.number, one.of, one.visit_id.as_deref()),
            (1, 4, Some("day-1"))
        );
        // Dose 2 on day 15 ± 1: 2026-03-16 is day 15.
        let two = next_dose(
            &s,
            Some("mad-1"),
            anchor,
            &[anchor],
            date!(2026 - 03 - 17),
            cells,
        )
        .unwrap();
        assert_eq!((two.number, two.visit_id.as_deref()), (2, Some("day-15")));
        let early = next_dose(
            &s,
            Some("mad-1"),
            anchor,
            &[anchor],
            date!(2026 - 03 - 14),
            cells,
        )
        .unwrap_err();
        assert!(early.to_string().contains("dose 2 of 4 is due on day 15"));
        let wrong = next_dose(&s, Some("mad-1"), anchor, &[], anchor, 150_000_000).unwrap_err();
        assert_eq!(
            wrong.to_string(),
            "dose_cells: must be the level's dose of 50000000 cells (given: 150000000)"
        );
        let given = [
            anchor,
            date!(2026 - 03 - 16),
            date!(2026 - 03 - 30),
            date!(2026 - 04 - 13),
        ];
        let four = next_dose(&s, Some("mad-1"), anchor, &given[..3], given[3], cells).unwrap();
        assert_eq!((four.number, four.visit_id.as_deref()), (4, Some("day-43")));
        assert!(next_dose(
            &s,
            Some("mad-1"),
            anchor,
            &given,
            date!(2026 - 04 - 27),
            cells
        )
        .is_err());
        let sad = next_dose(&s, Some("sad-1"), anchor, &[], anchor, cells).unwrap();
        assert_eq!((sad.number, sad.of), (1, 1));
    }
}
