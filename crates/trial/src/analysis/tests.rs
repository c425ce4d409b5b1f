//! The derivations of `ADSL` and `ADISN`, one rule a test, on the shipped Phase II study.

use serde_json::json;
use time::macros::date;
use time::{Date, Duration};

use super::*;
use crate::participants::classification_json;
use crate::{plan_visits, Study};

pub(super) fn phase2() -> Study {
    Study::from_toml(include_str!("../../../../studies/xs228-phase2.toml")).unwrap()
}

const ANCHOR: Date = date!(2026 - 01 - 05);

pub(super) fn value(visit: &str, param: Param, v: f64) -> Measurement {
    Measurement {
        visit_id: visit.into(),
        param,
        value: Some(v),
        text: format!("{v}"),
        reason: None,
    }
}

/// A participant with the screening exam (TMS 40, AIS B), SCIM III at baseline (day 1) and
/// week 12, and the visits done on `done` (visit id → date).
pub(super) fn subject(id: &str, assignment: Assignment, done: &[(&str, Date)]) -> Subject {
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
                reason: None,
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
                reason: None,
            },
        ],
        walking: Vec::new(),
    }
}

pub(super) fn on_time() -> Vec<(&'static str, Date)> {
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

/// What the walking prognosis reads, both sides alike: L3 and S1 motor, L3 and S1 light touch.
fn walking_exam(visit: &str, l3: u8, s1: u8, lt: u8) -> WalkingExam {
    WalkingExam {
        visit_id: visit.into(),
        inputs: crate::prognosis::WalkingInputs {
            l3_motor: [Some(l3); 2],
            s1_motor: [Some(s1); 2],
            l3_touch: [Some(lt); 2],
            s1_touch: [Some(lt); 2],
        },
    }
}

#[test]
fn adsl_has_the_walking_prognosis_of_the_baseline_exam() {
    let study = phase2();
    let mut s = subject("XS228-005", Assignment::Hidden, &on_time());
    // The screening exam (day -14) is the baseline; week 12's is after day 1.
    s.walking = vec![
        walking_exam("week-12", 5, 5, 2),
        walking_exam("screening", 3, 1, 1),
    ];
    let d = derive(&study, std::slice::from_ref(&s));
    // Born 1980-06-30, screened 2025-12-22: 45, no age points; 2 × (3 + 1) + 5 × (1 + 1).
    let w = d.adsl[0].walking.clone().unwrap().unwrap();
    assert_eq!(w.score, 18);
    assert_eq!(w.probability, crate::prognosis::probability(18));
    let table = d.adsl_table();
    let cell = |name: &str| table.rows[0][table.column(name).unwrap()].clone();
    assert_eq!(cell("WLKSCBL"), Cell::Number(Some(18.0)));
    assert_eq!(cell("WLKPRBL"), Cell::Number(Some(w.probability)));
    assert_eq!(cell("WLKRSN"), Cell::Text(String::new()));
    // 65 at the exam: ten points less.
    let mut old = s.clone();
    old.date_of_birth = date!(1960 - 12 - 01);
    let d = derive(&study, &[old]);
    assert_eq!(d.adsl[0].walking.clone().unwrap().unwrap().score, 8);
    // A value the better side needs, not testable: no score, and the reason.
    let mut gap = s.clone();
    gap.walking[1].inputs.s1_touch = [None, Some(1)];
    let d = derive(&study, &[gap]);
    let table = d.adsl_table();
    let cell = |name: &str| table.rows[0][table.column(name).unwrap()].clone();
    assert_eq!(cell("WLKSCBL"), Cell::Number(None));
    assert_eq!(
        cell("WLKRSN"),
        Cell::Text("S1 light touch not testable".into())
    );
    // No exam on or before day 1: nothing to compute from.
    let mut late = s;
    late.walking.remove(1);
    let d = derive(&study, &[late]);
    assert_eq!(d.adsl[0].walking, None);
    let table = d.adsl_table();
    assert_eq!(
        table.rows[0][table.column("WLKRSN").unwrap()],
        Cell::Text("no baseline ISNCSCI exam".into())
    );
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

/// Twenty-four participants, 2:1, the active arm gaining 10 more, noise from a fixed pattern;
/// the week-24 score of every participant in `missing` not recorded.
fn imputation_subjects(shown: bool, missing: &[usize]) -> Vec<Subject> {
    (0..24usize)
        .map(|i| {
            let arm = if i % 3 == 2 { "placebo" } else { "xs228" };
            let assignment = if shown {
                Assignment::Shown(arm.into())
            } else {
                Assignment::Hidden
            };
            let mut s = subject(&format!("XS228-2{i:02}"), assignment, &on_time());
            let base = 20.0 + (i % 7) as f64 * 4.0;
            let noise = [1.5, -2.0, 0.5, 3.0, -1.0, -2.5][(i / 3) % 6];
            s.measurements[0].value = Some(base);
            s.measurements[5].value = if missing.contains(&i) {
                None
            } else {
                Some(base * 1.1 + 5.0 + noise + if arm == "xs228" { 10.0 } else { 0.0 })
            };
            s.strata[0] = if i % 2 == 0 { "A".into() } else { "B".into() };
            s
        })
        .collect()
}

fn imputed_effect(r: &imputation::MultipleImputation) -> &imputation::ImputedEffect {
    match r {
        Outcome::Computed(ByArm::Arms(e)) => e,
        other => panic!("{other:?}"),
    }
}

#[test]
fn multiple_imputation_is_reproducible_from_its_seed() {
    let study = phase2();
    let d = derive(&study, &imputation_subjects(true, &[1, 4, 5, 9, 14, 20]));
    let first = imputation::multiple_imputation(&study, &d, true);
    assert_eq!(first, imputation::multiple_imputation(&study, &d, true));
    let e = imputed_effect(&first);
    assert_eq!((e.plan.seed, e.plan.imputations), (imputation::SEED, 20));
    assert_eq!(
        (e.plan.observed, e.plan.imputed, e.plan.no_baseline),
        (18, 6, 0)
    );
    assert_eq!((e.result.n, e.n_active, e.n_control), (24, 16, 8));
    // The missing changes are drawn anew in each data set: the estimates vary between them.
    assert!(e.result.between_variance > 0.0, "{e:?}");
    assert!(e.result.total_variance > e.result.within_variance);
    assert!(e.result.df > 0.0 && e.result.df.is_finite());
    let f = e.result.fraction_missing_information;
    assert!(f > 0.0 && f < 1.0, "{f}");
    // The effect of 10 is found, its interval wider than the complete cases' one.
    assert!((e.result.estimate - 10.0).abs() < 2.0, "{e:?}");
    assert!(e.result.ci_lower < e.result.estimate && e.result.estimate < e.result.ci_upper);
    // Another seed: other draws, another estimate; the same seed again: the same one.
    let other = imputation::multiple_imputation_seeded(&study, &d, true, 7, 20);
    assert_ne!(imputed_effect(&other).result.estimate, e.result.estimate);
    let again = imputation::multiple_imputation_seeded(&study, &d, true, imputation::SEED, 20);
    assert_eq!(again, first);
    // It is in the results, under sensitivity.
    let r = analyse(&study, &d);
    assert_eq!(r.sensitivity.multiple_imputation, first);
    let json = serde_json::to_value(&r).unwrap();
    let mi = &json["sensitivity"]["multiple_imputation"];
    for key in [
        "estimate", "ci_lower", "ci_upper", "p_value", "df", "seed", "imputed",
    ] {
        assert!(mi.get(key).is_some(), "{key}: {mi}");
    }
}

#[test]
fn without_missing_scores_the_imputation_is_the_primary_analysis() {
    let study = phase2();
    let d = derive(&study, &imputation_subjects(true, &[]));
    let r = analyse(&study, &d);
    let Outcome::Computed(ByArm::Arms(primary)) = &r.primary else {
        panic!("{:?}", r.primary)
    };
    let e = imputed_effect(&r.sensitivity.multiple_imputation);
    assert_eq!(e.plan.imputed, 0);
    assert_eq!(e.result.between_variance, 0.0);
    assert!(
        (e.result.estimate - primary.estimate).abs() < 1e-9,
        "{e:?} {primary:?}"
    );
    assert!((e.result.se - primary.se).abs() < 1e-9, "{e:?} {primary:?}");
    // Rubin's rules with no between-imputation variance: Barnard–Rubin's observed-data df.
    let nu = primary.df;
    assert!((e.result.df - (nu + 1.0) / (nu + 3.0) * nu).abs() < 1e-9);
}

#[test]
fn a_pooled_imputation_names_no_arm_and_imputes_everyone_together() {
    let study = phase2();
    let d = derive(&study, &imputation_subjects(false, &[0, 3, 7]));
    let r = analyse(&study, &d);
    let Outcome::Computed(ByArm::Pooled(p)) = &r.sensitivity.multiple_imputation else {
        panic!("{:?}", r.sensitivity.multiple_imputation)
    };
    assert!(p.pooled);
    assert_eq!((p.plan.observed, p.plan.imputed, p.n), (21, 3, 24));
    assert!(p.ci_lower < p.mean && p.mean < p.ci_upper && p.df > 0.0);
    assert!(p.plan.method.contains("all participants together"));
    let text = serde_json::to_string(&r).unwrap();
    assert!(
        !text.contains("placebo") && !text.contains("xs228"),
        "{text}"
    );
    // Too few observed in an arm: not computed, with the reason.
    let few: Vec<usize> = (0..24).filter(|i| i % 3 == 2 && *i > 5).collect();
    let d = derive(&study, &imputation_subjects(true, &few));
    let why = serde_json::to_value(imputation::multiple_imputation(&study, &d, true)).unwrap();
    assert!(
        why["not_computed"]
            .as_str()
            .unwrap()
            .contains("at least 3 participants with a change in each group"),
        "{why}"
    );
}

fn phase1_study() -> Study {
    Study::from_toml(include_str!("../../../../studies/xs228-phase1.toml")).unwrap()
}

/// A Phase I participant at `level`, with total motor scores at screening and day 29.
fn escalated(n: usize, level: &str, scores: [f64; 2]) -> Subject {
    let study = phase1_study();
    let visits = plan_visits(&study, ANCHOR)
        .into_iter()
        .map(|v| SubjectVisit {
            done_on: ["screening", "day-29"]
                .contains(&v.visit_id.as_str())
                .then_some(v.target),
            visit_id: v.visit_id,
            earliest: v.earliest,
            latest: v.latest,
        })
        .collect();
    let mut s = subject(
        &format!("XS228-P1-{n:02}"),
        Assignment::Shown(level.into()),
        &[],
    );
    s.strata.clear();
    s.visits = visits;
    s.measurements = vec![
        value("screening", Param::Tms, scores[0]),
        value("day-29", Param::Tms, scores[1]),
    ];
    s
}

fn event(grade: u8, serious: bool, related: bool) -> crate::safety::AdverseEvent {
    use crate::safety::{ActionTaken, Causality, Outcome as Ended, PartialDate, Seriousness};
    crate::safety::AdverseEvent {
        verbatim: "headache".into(),
        term: "Headache".into(),
        meddra_code: "10019211".into(),
        soc: "Nervous system disorders".into(),
        onset: PartialDate::parse("2026-01-10").unwrap(),
        end: None,
        grade,
        seriousness: if serious {
            vec![Seriousness::Hospitalisation]
        } else {
            Vec::new()
        },
        causality_product: if related {
            Causality::Probable
        } else {
            Causality::NotRelated
        },
        causality_procedure: Causality::NotRelated,
        action: ActionTaken::NotApplicable,
        outcome: Ended::Recovered,
    }
}

#[test]
fn phase1_counts_dlts_and_events_by_level_and_takes_the_mtd_from_the_rule() {
    let study = phase1_study();
    // Three at SAD 1 (no DLT), six at SAD 2 (one DLT), one at MAD 1 not yet assessed.
    let mut subjects = Vec::new();
    let mut dlts = std::collections::BTreeMap::new();
    for n in 0..10 {
        let level = match n {
            0..=2 => "sad-1",
            3..=8 => "sad-2",
            _ => "mad-1",
        };
        let s = escalated(n, level, [30.0 + n as f64, 33.0 + n as f64]);
        if n < 9 {
            dlts.insert(s.subject_id.clone(), n == 4);
        }
        subjects.push(s);
    }
    let d = derive(&study, &subjects);
    let events = vec![
        ("XS228-P1-00".to_owned(), event(1, false, false)),
        ("XS228-P1-00".to_owned(), event(2, false, true)),
        ("XS228-P1-04".to_owned(), event(3, true, true)),
        ("XS228-P1-05".to_owned(), event(1, false, false)),
        // A participant of no level: left out.
        ("XS228-P1-99".to_owned(), event(5, true, true)),
    ];
    let p = phase1::phase1(&study, &d, &dlts, &events);
    let row = |id: &str| p.levels.iter().find(|l| l.level == id).unwrap();
    let sad1 = row("sad-1");
    assert_eq!(
        (sad1.participants, sad1.evaluable, sad1.dlts, sad1.decision),
        (3, 3, 0, crate::Decision::Escalate)
    );
    assert_eq!(
        (sad1.events, sad1.with_any_ae, sad1.related_events),
        (2, 1, 1)
    );
    assert_eq!(sad1.events_by_grade, [1, 1, 0, 0, 0]);
    assert_eq!(sad1.participants_by_worst_grade, [0, 1, 0, 0, 0]);
    let sad2 = row("sad-2");
    assert_eq!((sad2.participants, sad2.evaluable, sad2.dlts), (6, 6, 1));
    assert_eq!(
        (sad2.serious_events, sad2.with_sae, sad2.with_any_ae),
        (1, 1, 2)
    );
    assert_eq!(sad2.participants_by_worst_grade, [1, 0, 1, 0, 0]);
    let mad1 = row("mad-1");
    assert_eq!(
        (mad1.participants, mad1.evaluable, mad1.decision),
        (1, 0, crate::Decision::NeedMore)
    );
    assert_eq!(p.escalation, phase1::EscalationState::Ongoing);
    assert_eq!((p.mtd, p.next_level.as_deref()), (None, Some("mad-1")));
    // The trajectories: SAD 1's mean total motor score at screening and day 29.
    let t = &p.trajectories[0];
    assert_eq!(t.level, "sad-1");
    let days: Vec<(i32, usize, f64)> = t.visits.iter().map(|v| (v.day, v.n, v.mean)).collect();
    assert_eq!(days, [(-14, 3, 31.0), (29, 3, 34.0)]);
    // Two DLTs of three at MAD 1 stop it: SAD 2, with six, is the MTD.
    for n in 10..12 {
        subjects.push(escalated(n, "mad-1", [20.0, 21.0]));
    }
    for id in ["XS228-P1-09", "XS228-P1-10", "XS228-P1-11"] {
        dlts.insert(id.to_owned(), id != "XS228-P1-11");
    }
    let d = derive(&study, &subjects);
    let p = phase1::phase1(&study, &d, &dlts, &[]);
    assert_eq!(row_decision(&p, "mad-1"), crate::Decision::Stop);
    assert_eq!(p.escalation, phase1::EscalationState::MtdEstablished);
    assert_eq!(
        (p.mtd.as_deref(), p.next_level.as_deref()),
        (Some("sad-2"), None)
    );
    // The report says so, in both languages, with the trajectories' figure.
    let mut r = analyse(&study, &d);
    r.phase1 = Some(p);
    for zh in [false, true] {
        let figures = report::Figures::of(&study, &d, None, zh);
        let svg = figures
            .trajectories
            .clone()
            .expect("dose levels: trajectories");
        assert!(svg.starts_with("<svg") && svg.contains(if zh { "第 29 天" } else { "Day 29" }));
        assert!(svg.contains(study.dose_levels[1].name_in(zh)));
        let html = report::report_html(&study, &r, &figures, "", zh);
        assert!(
            html.contains("data-escalation=\"mtd-established\""),
            "{html}"
        );
        assert!(html.contains(if zh {
            "最大耐受剂量"
        } else {
            "Maximum tolerated dose"
        }));
        assert!(html.contains("data-figure=\"trajectories\""));
        assert!(html.contains("data-decision=\"stop\""));
    }
}

fn row_decision(p: &phase1::Phase1, level: &str) -> crate::Decision {
    p.levels.iter().find(|l| l.level == level).unwrap().decision
}
