//! Visit plans from the anchor date, and each status at the edges of a window.

use time::macros::date;
use time::{Date, Duration};
use trial::{date_of_day, plan_visits, study_day, visit_status, PlannedVisit, VisitStatus};

use crate::common::{phase1, phase2};

#[test]
fn phase2_plan_from_the_first_dose() {
    let plan = plan_visits(&phase2(), date!(2026 - 03 - 02));
    let rows: Vec<(&str, i32, Date, Date, Date)> = plan
        .iter()
        .map(|v| (v.visit_id.as_str(), v.day, v.earliest, v.target, v.latest))
        .collect();
    assert_eq!(
        rows,
        [
            // Day -14 to day -1.
            (
                "screening",
                -14,
                date!(2026 - 02 - 16),
                date!(2026 - 02 - 16),
                date!(2026 - 03 - 01)
            ),
            (
                "baseline",
                1,
                date!(2026 - 03 - 02),
                date!(2026 - 03 - 02),
                date!(2026 - 03 - 02)
            ),
            (
                "week-2",
                15,
                date!(2026 - 03 - 13),
                date!(2026 - 03 - 16),
                date!(2026 - 03 - 19)
            ),
            (
                "week-4",
                29,
                date!(2026 - 03 - 27),
                date!(2026 - 03 - 30),
                date!(2026 - 04 - 02)
            ),
            (
                "week-12",
                85,
                date!(2026 - 05 - 18),
                date!(2026 - 05 - 25),
                date!(2026 - 06 - 01)
            ),
            (
                "week-24",
                169,
                date!(2026 - 08 - 03),
                date!(2026 - 08 - 17),
                date!(2026 - 08 - 31)
            ),
            (
                "week-36",
                253,
                date!(2026 - 10 - 26),
                date!(2026 - 11 - 09),
                date!(2026 - 11 - 23)
            ),
            (
                "week-52",
                365,
                date!(2027 - 02 - 15),
                date!(2027 - 03 - 01),
                date!(2027 - 03 - 15)
            ),
        ]
    );
    assert_eq!(plan[4].name, "Week 12");
}

#[test]
fn phase1_dosing_visits_fall_on_the_dose_days() {
    let study = phase1();
    let first_dose = date!(2025 - 12 - 29);
    let plan = plan_visits(&study, first_dose);
    let mad = study.dose_level("mad-1").unwrap();
    for day in &mad.dose_days {
        let visit = plan.iter().find(|v| v.day == *day).unwrap();
        assert_eq!(
            visit.target,
            first_dose + Duration::days(i64::from(*day) - 1)
        );
    }
    let day43 = plan.iter().find(|v| v.visit_id == "day-43").unwrap();
    assert_eq!(day43.target, date!(2026 - 02 - 09));
    // The MAD DLT assessment: 28 days after the fourth dose.
    let day71 = plan.iter().find(|v| v.visit_id == "day-71").unwrap();
    assert_eq!(day71.target, day43.target + Duration::days(28));
    assert_eq!(
        (day71.earliest, day71.latest),
        (day71.target, date!(2026 - 03 - 12))
    );
}

#[test]
fn study_days_have_no_day_0() {
    let anchor = date!(2026 - 01 - 01);
    assert_eq!(date_of_day(anchor, 1), anchor);
    assert_eq!(date_of_day(anchor, 2), date!(2026 - 01 - 02));
    assert_eq!(date_of_day(anchor, -1), date!(2025 - 12 - 31));
    assert_eq!(date_of_day(anchor, -14), date!(2025 - 12 - 18));
    assert_eq!(study_day(anchor, anchor), 1);
    assert_eq!(study_day(anchor, date!(2025 - 12 - 31)), -1);
    for day in (-400..=400).filter(|d| *d != 0) {
        assert_eq!(study_day(anchor, date_of_day(anchor, day)), day);
    }
}

#[test]
fn dates_beyond_the_calendar_saturate() {
    let plan = plan_visits(&phase2(), Date::MAX);
    assert_eq!(plan.last().unwrap().latest, Date::MAX);
    let plan = plan_visits(&phase2(), Date::MIN);
    assert_eq!(plan[0].earliest, Date::MIN);
}

fn week12() -> PlannedVisit {
    plan_visits(&phase2(), date!(2026 - 03 - 02))
        .into_iter()
        .find(|v| v.visit_id == "week-12")
        .unwrap()
}

#[test]
fn status_when_not_done() {
    // Window 2026-05-18 to 2026-06-01.
    let visit = week12();
    let status = |today| visit_status(&visit, today, None);
    assert_eq!(status(date!(2026 - 03 - 02)), VisitStatus::Upcoming);
    assert_eq!(status(date!(2026 - 05 - 17)), VisitStatus::Upcoming);
    assert_eq!(status(date!(2026 - 05 - 18)), VisitStatus::Due);
    assert_eq!(status(date!(2026 - 05 - 25)), VisitStatus::Due);
    assert_eq!(status(date!(2026 - 06 - 01)), VisitStatus::Due);
    assert_eq!(status(date!(2026 - 06 - 02)), VisitStatus::Overdue);
    assert_eq!(status(date!(2027 - 01 - 01)), VisitStatus::Overdue);
}

#[test]
fn status_when_done() {
    let visit = week12();
    let today = date!(2026 - 07 - 01);
    let status = |done| visit_status(&visit, today, Some(done));
    assert_eq!(status(date!(2026 - 05 - 17)), VisitStatus::DoneOutOfWindow);
    assert_eq!(status(date!(2026 - 05 - 18)), VisitStatus::Done);
    assert_eq!(status(date!(2026 - 05 - 25)), VisitStatus::Done);
    assert_eq!(status(date!(2026 - 06 - 01)), VisitStatus::Done);
    assert_eq!(status(date!(2026 - 06 - 02)), VisitStatus::DoneOutOfWindow);
    // Whether done in the window does not depend on today.
    let early = date!(2026 - 05 - 20);
    assert_eq!(visit_status(&visit, early, Some(early)), VisitStatus::Done);
}

#[test]
fn a_zero_width_window_is_one_day() {
    let plan = plan_visits(&phase2(), date!(2026 - 03 - 02));
    let baseline = &plan[1];
    assert_eq!(
        visit_status(baseline, date!(2026 - 03 - 01), None),
        VisitStatus::Upcoming
    );
    assert_eq!(
        visit_status(baseline, date!(2026 - 03 - 02), None),
        VisitStatus::Due
    );
    assert_eq!(
        visit_status(baseline, date!(2026 - 03 - 03), None),
        VisitStatus::Overdue
    );
    assert_eq!(
        visit_status(baseline, date!(2026 - 03 - 03), Some(date!(2026 - 03 - 03))),
        VisitStatus::DoneOutOfWindow
    );
}

#[test]
fn status_names() {
    let all = [
        (VisitStatus::Upcoming, "upcoming"),
        (VisitStatus::Due, "due"),
        (VisitStatus::Overdue, "overdue"),
        (VisitStatus::Done, "done"),
        (VisitStatus::DoneOutOfWindow, "done-out-of-window"),
    ];
    for (status, name) in all {
        assert_eq!(status.as_str(), name);
        assert_eq!(status.to_string(), name);
        assert_eq!(
            serde_json::to_string(&status).unwrap(),
            format!("\"{name}\"")
        );
    }
}
