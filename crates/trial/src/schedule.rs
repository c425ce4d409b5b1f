//! Visit dates: a participant's planned visits from the anchor date, and where each stands.

use std::fmt;

use serde::Serialize;
use time::{Date, Duration};

use crate::study::Study;

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
