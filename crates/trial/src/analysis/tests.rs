//! The derivations of `ADSL` and `ADISN`, one rule a test, on the shipped Phase II study.

use serde_json::json;
use time::macros::date;
use time::{Date, Duration};

use super::*;
use crate::participants::classification_json;
use crate::{plan_visits, Study};

fn phase2() -> Study {
    Study::from_toml(include_str!("../../../../studies/xs228-phase2.toml")).unwrap()
}

const ANCHOR: Date = date!(2026 - 01 - 05);

fn value(visit: &str, param: Param, v: f64) -> Measurement {
    Measurement {
        visit_id: visit.into(),
        param,
        value: Some(v),
        text: format!("{v}"),
    }
}

/// A participant with the screening exam (TMS 40, AIS B), SCIM III at baseline (day 1) and
/// week 12, and the visits done on `done` (visit id → date).
fn subject(id: &str, assignment: Assignment, done: &[(&str, Date)]) -> Subject {
    let study = phase2();
    let visits = plan_visits(&study, ANCHOR)
        .into_iter()
        .map(|v| SubjectVisit {
            done_on: done
                .iter()
                .find(|(d, _)| *d == v.visit_id)
                .map(|(_, on)| *on),
            visit_id: v.visit_id,
            earliest: v.earliest,
            latest: v.latest,
        })
        .collect();
    Subject {
        subject_id: id.into(),
        site_id: "SYSU3".into(),
        sex: "female".into(),
        date_of_birth: date!(1980 - 06 - 30),
        injury_date: date!(2025 - 11 - 20),
        screening_date: date!(2025 - 12 - 22),
        enrolled_on: date!(2025 - 12 - 29),
        anchor_date: Some(ANCHOR),
        status: ParticipantStatus::Enrolled,
        ended_on: None,
        end_reason: None,
        assignment,
        strata: vec!["B".into(), "cervical".into(), "SYSU3".into()],
        assigned_on: Some(date!(2025 - 12 - 29)),
        treated: true,
        emergency_unblinded: false,
        visits,
        measurements: vec![
            value("screening", Param::Tms, 40.0),
            Measurement {
                visit_id: "screening".into(),
                param: Param::Ais,
                value: Some(2.0),
                text: "B".into(),
            },
            value("baseline", Param::Scim, 30.0),
            value("week-12", Param::Scim, 41.0),
            value("week-12", Param::Tms, 45.0),
            value("week-24", Param::Tms, 52.0),
            Measurement {
                visit_id: "week-24".into(),
                param: Param::Ais,
                value: Some(3.0),
                text: "C".into(),
            },
        ],
    }
}

fn on_time() -> Vec<(&'static str, Date)> {
    vec![
        ("screening", date!(2025 - 12 - 22)),
        ("baseline", ANCHOR),
        ("week-12", ANCHOR + Duration::days(84)),
        ("week-24", ANCHOR + Duration::days(170)),
    ]
}

fn row<'a>(d: &'a Datasets, param: Param, visit: &str) -> &'a AdisnRow {
    d.adisn
        .iter()
        .find(|r| r.param == param && r.visit_id == visit)
        .unwrap_or_else(|| panic!("no {param:?} at {visit}"))
}

#[test]
fn the_primary_visit_is_week_24() {
    let study = phase2();
    assert_eq!(
        primary_visit(&study).map(|v| v.id.as_str()),
        Some("week-24")
    );
}

#[test]
fn adsl_has_the_flags_strata_and_baselines() {
    let study = phase2();
    let d = derive(
        &study,
        &[subject(
            "XS228-002",
            Assignment::Shown("placebo".into()),
            &on_time(),
        )],
    );
    assert_eq!(d.strata, ["ais", "level", "site"]);
    let s = &d.adsl[0];
    assert_eq!(s.usubjid, "XS228-P2-XS228-002");
    assert_eq!((s.sex, s.age), ("F", Some(45)));
    assert_eq!(
        (s.trt01p.as_str(), s.trt01a.as_str()),
        ("Placebo (inactive solution)", "Placebo (inactive solution)")
    );
    assert!(s.ittfl && s.saffl && s.pprotfl, "{s:?}");
    assert_eq!(s.pprotrsn, "");
    assert_eq!(s.daysinj, 32);
    assert_eq!(s.trtsdt, Some(ANCHOR));
    // Baselines: the screening exam (day -14) for ISNCSCI, the baseline visit (day 1) for SCIM.
    assert_eq!(s.baselines[&Param::Tms].visit_id, "screening");
    assert_eq!(s.baselines[&Param::Scim].value, Some(30.0));
    assert_eq!(s.baselines[&Param::Ais].text, "B");
    let table = d.adsl_table();
    let strat2 = table.column("STRAT2R").unwrap();
    assert_eq!(table.rows[0][strat2], Cell::Text("cervical".into()));
    assert!(table
        .columns
        .iter()
        .all(|c| c.name.len() <= 8 && c.label.len() <= 40));
}

#[test]
fn adisn_has_change_baseline_flag_window_and_analysis_flag() {
    let study = phase2();
    let d = derive(
        &study,
        &[subject(
            "XS228-001",
            Assignment::Shown("xs228".into()),
            &on_time(),
        )],
    );
    let base = row(&d, Param::Tms, "screening");
    assert!(base.ablfl && !base.anl01fl);
    assert_eq!(base.chg, None, "no change on the baseline record");
    assert_eq!(base.ady, Some(-14));
    let w12 = row(&d, Param::Tms, "week-12");
    assert_eq!(
        (w12.base, w12.chg, w12.anl01fl),
        (Some(40.0), Some(5.0), false)
    );
    let w24 = row(&d, Param::Tms, "week-24");
    assert_eq!(
        (w24.chg, w24.anl01fl, w24.winfl),
        (Some(12.0), true, Some(true))
    );
    assert_eq!((w24.avisitn, w24.ady), (169, Some(171)));
    let ais = row(&d, Param::Ais, "week-24");
    assert_eq!(
        (ais.avalc.as_str(), ais.basec.as_str(), ais.chg),
        ("C", "B", Some(1.0))
    );
    assert!(ais.anl01fl);
    // SCIM III's baseline is the day 1 visit, which is not a change record.
    let scim = row(&d, Param::Scim, "week-12");
    assert_eq!(scim.chg, Some(11.0));
    assert!(row(&d, Param::Scim, "baseline").ablfl);
}

#[test]
fn per_protocol_names_each_reason() {
    let study = phase2();
    let mut late = on_time();
    late[3].1 = ANCHOR + Duration::days(200);
    let mut s = subject("XS228-003", Assignment::Shown("xs228".into()), &late);
    s.treated = false;
    s.emergency_unblinded = true;
    let d = derive(&study, &[s]);
    let a = &d.adsl[0];
    assert!(a.ittfl && !a.saffl && !a.pprotfl);
    assert_eq!(a.trt01a, "", "not treated: no actual treatment");
    assert_eq!(
        a.pprotrsn,
        "the product was not given (kit not dispensed); unblinded in an emergency; primary visit outside its window"
    );
    assert_eq!(row(&d, Param::Tms, "week-24").winfl, Some(false));
    let missing = subject("XS228-004", Assignment::None, &on_time()[..3]);
    let d = derive(&study, &[missing]);
    assert_eq!(
        (d.adsl[0].ittfl, d.adsl[0].ittrsn.as_str()),
        (false, "not randomised")
    );
    assert!(d.adsl[0].pprotrsn.contains("no primary visit"));
    assert!(
        d.adisn.iter().all(|r| !r.anl01fl),
        "not in ITT: nothing analysed"
    );
}

#[test]
fn hidden_assignments_give_pooled_results_and_no_arm() {
    let study = phase2();
    let subjects: Vec<Subject> = (0..4)
        .map(|i| {
            let mut s = subject(&format!("XS228-01{i}"), Assignment::Hidden, &on_time());
            s.measurements[5].value = Some(50.0 + f64::from(i) * 3.0);
            s
        })
        .collect();
    let d = derive(&study, &subjects);
    assert!(d
        .adsl
        .iter()
        .all(|s| s.trt01p == "BLINDED" && s.arm.is_none()));
    let r = analyse(&study, &d);
    assert!(!r.unblinded);
    let Outcome::Computed(ByArm::Pooled(p)) = &r.primary else {
        panic!("{:?}", r.primary)
    };
    assert_eq!((p.n, p.mean), (4, 14.5));
    let text = serde_json::to_string(&r).unwrap();
    assert!(
        !text.contains("placebo") && !text.contains("xs228"),
        "{text}"
    );
}

#[test]
fn one_arm_only_is_not_computed_with_the_reason() {
    let study = phase2();
    let subjects: Vec<Subject> = (0..5)
        .map(|i| {
            subject(
                &format!("XS228-02{i}"),
                Assignment::Shown("xs228".into()),
                &on_time(),
            )
        })
        .collect();
    let r = analyse(&study, &derive(&study, &subjects));
    let text = serde_json::to_value(&r.primary).unwrap();
    assert_eq!(
        text["not_computed"],
        "no participant of arm placebo has a change of TMS at the primary visit"
    );
    let scim = serde_json::to_value(&r.secondary.scim3).unwrap();
    assert_eq!(
        scim["not_computed"],
        "no participant of arm xs228 has a change of SCIM at the primary visit"
    );
}

#[test]
fn a_known_difference_is_estimated_with_its_sign() {
    // Active gains exactly 10 more than placebo, whatever the baseline: the ANCOVA says 10.
    let study = phase2();
    let mut subjects = Vec::new();
    for i in 0..12 {
        let arm = if i % 3 == 2 { "placebo" } else { "xs228" };
        let mut s = subject(
            &format!("XS228-1{i:02}"),
            Assignment::Shown(arm.into()),
            &on_time(),
        );
        let base = 20.0 + f64::from(i) * 2.0;
        let noise = [0.5, -0.5, 0.25, -0.25][i as usize % 4];
        s.measurements[0].value = Some(base);
        s.measurements[5].value =
            Some(base + 5.0 + noise + if arm == "xs228" { 10.0 } else { 0.0 });
        s.strata[0] = if i % 2 == 0 { "A".into() } else { "B".into() };
        subjects.push(s);
    }
    let r = analyse(&study, &derive(&study, &subjects));
    let Outcome::Computed(ByArm::Arms(e)) = &r.primary else {
        panic!("{:?}", r.primary)
    };
    assert!((e.estimate - 10.0).abs() < 0.5, "{e:?}");
    assert!(e.ci_lower < e.estimate && e.estimate < e.ci_upper && e.p_value < 1e-6);
    assert_eq!((e.n, e.n_active, e.n_control), (12, 8, 4));
    assert_eq!(
        e.model,
        "CHG ~ TREATED + BASE + STRAT1R + STRAT2R + STRAT3R"
    );
}

#[test]
fn an_isncsci_form_gives_its_seven_parameters() {
    let exam = isncsci::synth::injury_exam(&mut isncsci::synth::Rng::new(5));
    let c = exam.classify();
    let data = json!({ "exam": {}, "classification": classification_json(&c) });
    let m = measurements_from_form(crate::FormKind::Isncsci, "week-12", &data);
    let get = |p: Param| m.iter().find(|x| x.param == p).unwrap();
    let (u, l) = (c.totals.upper_motor.0, c.totals.lower_motor.0);
    assert_eq!(get(Param::Uems).value, u.map(f64::from));
    assert_eq!(
        get(Param::Tms).value,
        u.zip(l).map(|(u, l)| f64::from(u + l))
    );
    assert_eq!(get(Param::Ais).text, c.ais.to_string());
    assert_eq!(get(Param::Nli).value, None);
    assert_eq!(m.len(), 7);
    let scim = measurements_from_form(crate::FormKind::Scim3, "baseline", &json!({"total": 37}));
    assert_eq!(scim[0].value, Some(37.0));
    let open =
        json!({ "classification": { "asiaImpairmentScale": "A,B", "upperMotorTotal": "ND" } });
    let m = measurements_from_form(crate::FormKind::Isncsci, "week-12", &open);
    assert!(m.iter().all(|x| x.value.is_none()), "{m:?}");
    assert!(measurements_from_form(crate::FormKind::VitalSigns, "baseline", &json!({})).is_empty());
}

fn screened(status: ParticipantStatus, assigned: bool, reason: Option<&str>) -> Screened {
    Screened {
        status,
        eligible: status != ParticipantStatus::ScreenFailed,
        reasons: reason.map(|r| vec![r.to_owned()]).unwrap_or_default(),
        assigned,
        end_reason: None,
    }
}

/// Four randomised (one withdrawn lost to follow-up, one without the week-24 exam), two screen
/// failures, one still in screening, one enrolled but not randomised.
fn flow_subjects(shown: bool) -> (Vec<Screened>, Vec<Subject>) {
    let arm = |a: &str| {
        if shown {
            Assignment::Shown(a.into())
        } else {
            Assignment::Hidden
        }
    };
    let mut subjects = vec![
        subject("XS228-001", arm("xs228"), &on_time()),
        subject("XS228-002", arm("xs228"), &on_time()),
        subject("XS228-003", arm("placebo"), &on_time()),
        subject("XS228-004", arm("xs228"), &on_time()),
        subject("XS228-005", Assignment::None, &on_time()),
    ];
    subjects[1].status = ParticipantStatus::Withdrawn;
    subjects[1].end_reason = Some("Lost to follow-up after moving".into());
    subjects[1].measurements.retain(|m| m.visit_id != "week-24");
    subjects[3]
        .measurements
        .retain(|m| !(m.visit_id == "week-24" && m.param == Param::Tms));
    let mut screened_list = vec![
        screened(ParticipantStatus::ScreenFailed, false, Some("age")),
        screened(ParticipantStatus::ScreenFailed, false, Some("age")),
        screened(ParticipantStatus::Screening, false, None),
        screened(ParticipantStatus::Enrolled, false, None),
    ];
    for _ in 0..4 {
        screened_list.push(screened(ParticipantStatus::Enrolled, true, None));
    }
    (screened_list, subjects)
}

#[test]
fn the_consort_flow_counts_every_box_from_the_records() {
    let study = phase2();
    let (screened_list, subjects) = flow_subjects(true);
    let d = derive(&study, &subjects);
    let given: std::collections::BTreeSet<String> =
        ["XS228-001".to_owned(), "XS228-003".to_owned()].into();
    let c = consort(&study, &screened_list, &d, Some(&given));
    assert_eq!((c.assessed, c.excluded, c.randomised), (8, 4, 4));
    assert!(c.by_arm);
    assert_eq!(
        c.excluded_reasons,
        [
            Count {
                reason: "not eligible: age".into(),
                n: 2
            },
            Count {
                reason: "enrolled, not yet randomised".into(),
                n: 1
            },
            Count {
                reason: "still in screening".into(),
                n: 1
            },
        ]
    );
    let active = c.groups.iter().find(|g| g.group == "xs228").unwrap();
    assert_eq!(active.allocated, 3);
    assert_eq!((active.received, active.not_received), (Some(1), Some(2)));
    assert_eq!((active.lost_to_follow_up, active.discontinued), (1, 0));
    assert_eq!(active.analysed, 1, "{active:?}");
    assert_eq!(active.excluded_from_analysis, 2);
    let placebo = c.groups.iter().find(|g| g.group == "placebo").unwrap();
    assert_eq!((placebo.allocated, placebo.analysed), (1, 1));
    assert_eq!(
        c.groups.iter().map(|g| g.allocated).sum::<usize>(),
        c.randomised
    );
    // Without administrations recorded, "received" is not guessed.
    let unknown = consort(&study, &screened_list, &d, None);
    assert!(unknown.groups.iter().all(|g| g.received.is_none()));
    let svg = figures::consort_svg(&unknown, false);
    assert!(svg.contains("not recorded"), "{svg}");
    assert!(svg.contains("Assessed for eligibility (n = 8)"));
}

#[test]
fn a_blinded_flow_and_its_figures_name_no_arm() {
    let study = phase2();
    let (screened_list, subjects) = flow_subjects(false);
    let d = derive(&study, &subjects);
    let c = consort(&study, &screened_list, &d, None);
    assert!(!c.by_arm);
    assert_eq!(c.groups.len(), 1);
    assert_eq!(c.groups[0].allocated, 4);
    let figures = report::Figures::of(&study, &d, Some(&c), false);
    let mut results = analyse(&study, &d);
    results.consort = Some(c);
    let html = report::report_html(&study, &results, &figures, "", false);
    for text in [
        &figures.mean_change,
        &figures.waterfall,
        &figures.ais_shift,
        figures.consort.as_ref().unwrap(),
        &html,
    ] {
        // The active arm's name is the product's, which the title names too.
        assert!(!text.contains("Placebo (inactive solution)"), "{text}");
        assert!(
            !text.contains("risk difference") && !text.contains(" − "),
            "{text}"
        );
        assert!(text.contains("All participants"));
    }
    let zh = report::report_html(&study, &results, &figures, "", true);
    assert!(zh.contains("合并结果"));
}

#[test]
fn by_arm_figures_show_each_arm_and_the_report_its_effect() {
    let study = phase2();
    let (screened_list, subjects) = flow_subjects(true);
    let d = derive(&study, &subjects);
    let c = consort(&study, &screened_list, &d, None);
    let figures = report::Figures::of(&study, &d, Some(&c), false);
    for arm in &study.arms {
        assert!(figures.mean_change.contains(&arm.name), "{}", arm.name);
        assert!(figures.consort.as_ref().unwrap().contains(&arm.name));
    }
    // The waterfall: one bar per participant with a week-24 change (two here).
    assert_eq!(figures.waterfall.matches("<rect").count() - 1 - 2, 2);
    let doc = report::report_document(&study, "<p>x</p>", false);
    assert!(doc.starts_with("<!DOCTYPE html>") && doc.contains("<style>"));
}
