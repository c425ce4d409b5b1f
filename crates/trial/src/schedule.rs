//! Visit dates: a participant's planned visits from the anchor date, and where each stands.

use std::fmt;

use serde::Serialize;
use time::{Date, Duration};

use crate::study::{DoseSchedule, Study};
use crate::Change;

/// A visit planned for one participant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedVisit {
    /// The visit's id in the study definition.
    pub visit_id: String,
    /// The visit's name.
    pub name: String,
    /// The study day of the target date (day 1 is the anchor date).
    pub day: i32,
    /// The target date.
    pub target: Date,
    /// The first date of the window.
    pub earliest: Date,
    /// The last date of the window.
    pub latest: Date,
}

/// Where a planned visit stands on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VisitStatus {
    /// Not done, and its window has not opened.
    Upcoming,
    /// Not done, and its window is open.
    Due,
    /// Not done, and its window has closed: a protocol deviation.
    Overdue,
    /// Done within its window.
    Done,
    /// Done outside its window: a protocol deviation.
    DoneOutOfWindow,
}

impl VisitStatus {
    /// `upcoming`, `due`, `overdue`, `done` or `done-out-of-window`.
    pub const fn as_str(self) -> &'static str {
        match self {
            VisitStatus::Upcoming => "upcoming",
            VisitStatus::Due => "due",
            VisitStatus::Overdue => "overdue",
            VisitStatus::Done => "done",
            VisitStatus::DoneOutOfWindow => "done-out-of-window",
        }
    }
}

impl fmt::Display for VisitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Adds days to a date, staying within the dates `time` can represent.
fn shift(date: Date, days: i64) -> Date {
    date.checked_add(Duration::days(days))
        .unwrap_or(if days < 0 { Date::MIN } else { Date::MAX })
}

/// The date of a study day: day 1 is the anchor date, day −1 the day before (there is no
/// day 0, as in SDTM study days).
pub fn date_of_day(anchor: Date, day: i32) -> Date {
    let offset = if day >= 1 {
        i64::from(day) - 1
    } else {
        i64::from(day)
    };
    shift(anchor, offset)
}

/// The study day of a date: the inverse of [`date_of_day`].
pub fn study_day(anchor: Date, date: Date) -> i32 {
    let diff = (date - anchor).whole_days();
    let day = if diff >= 0 { diff + 1 } else { diff };
    i32::try_from(day).unwrap_or(if day < 0 { i32::MIN } else { i32::MAX })
}

/// Every visit of the study, with its target date and window for a participant whose anchor
/// date (injury or first dose, as the study's schedule says) is `anchor`.
pub fn plan_visits(study: &Study, anchor: Date) -> Vec<PlannedVisit> {
    study
        .visits
        .iter()
        .map(|visit| {
            let target = date_of_day(anchor, visit.day);
            PlannedVisit {
                visit_id: visit.id.clone(),
                name: visit.name.clone(),
                day: visit.day,
                target,
                earliest: shift(target, -i64::from(visit.window_before)),
                latest: shift(target, i64::from(visit.window_after)),
            }
        })
        .collect()
}

/// The visits of `study` that a participant given a dose level of `schedule` is not planned
/// for: those the definition gives to the other dose schedule only.
pub fn visits_not_for(study: &Study, schedule: DoseSchedule) -> Vec<&str> {
    study
        .visits
        .iter()
        .filter(|v| v.dose_schedule.is_some_and(|s| s != schedule))
        .map(|v| v.id.as_str())
        .collect()
}

/// What taking visits off a participant's plan records: one change per visit, naming the dose
/// schedule that has no such visit.
pub fn unplanned_visit_changes(
    participant_id: i64,
    schedule: DoseSchedule,
    visit_ids: &[String],
) -> Vec<Change> {
    visit_ids
        .iter()
        .map(|v| {
            Change::new("unplan", "visit", format!("{participant_id}/{v}"))
                .set("dose_schedule", schedule.as_str())
        })
        .collect()
}

/// Where a planned visit stands on `today`, given the date it was done, if it was. The window
/// includes both its first and its last date.
pub fn visit_status(planned: &PlannedVisit, today: Date, done_on: Option<Date>) -> VisitStatus {
    match done_on {
        Some(date) if planned.earliest <= date && date <= planned.latest => VisitStatus::Done,
        Some(_) => VisitStatus::DoneOutOfWindow,
        None if today < planned.earliest => VisitStatus::Upcoming,
        None if today <= planned.latest => VisitStatus::Due,
        None => VisitStatus::Overdue,
    }
}

#[cfg(test)]
mod dose_schedule_tests {
    use super::*;

    #[test]
    fn single_dose_participants_have_no_multiple_dose_visits() {
        let study = Study::from_toml(include_str!("../../../studies/xs228-phase1.toml")).unwrap();
        assert_eq!(
            visits_not_for(&study, DoseSchedule::Single),
            ["day-15", "day-43", "day-71"]
        );
        assert!(visits_not_for(&study, DoseSchedule::Multiple).is_empty());
        let phase2 = Study::from_toml(include_str!("../../../studies/xs228-phase2.toml")).unwrap();
        assert!(visits_not_for(&phase2, DoseSchedule::Single).is_empty());
        let changes = unplanned_visit_changes(4, DoseSchedule::Single, &["day-15".to_string()]);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].record_id, "4/day-15");
        assert_eq!(changes[0].action, "unplan");
    }

    #[test]
    fn a_dose_schedule_is_for_dose_levels_and_never_for_screening() {
        let phase1 = include_str!("../../../studies/xs228-phase1.toml");
        let screening = phase1.replacen(
            "forms = [\"isncsci\", \"vital-signs\", \"conmed\"]\n",
            "forms = [\"isncsci\", \"vital-signs\", \"conmed\"]\ndose_schedule = \"single\"\n",
            1,
        );
        let e = Study::from_toml(&screening).unwrap_err().to_string();
        assert!(
            e.contains("dose_schedule") && e.contains("screening"),
            "{e}"
        );
        let phase2 = include_str!("../../../studies/xs228-phase2.toml").replacen(
            "window_after = 13\n",
            "window_after = 13\ndose_schedule = \"single\"\n",
            1,
        );
        let e = Study::from_toml(&phase2).unwrap_err().to_string();
        assert!(
            e.contains("dose_schedule") && e.contains("dose levels"),
            "{e}"
        );
        let wrong = phase1.replacen(
            "dose_schedule = \"multiple\"",
            "dose_schedule = \"often\"",
            1,
        );
        let e = Study::from_toml(&wrong).unwrap_err().to_string();
        assert!(e.contains("often") && e.contains("multiple"), "{e}");
    }
}
