//! The analyses of `trial::analysis` against statsmodels and scipy on the same rows: the
//! participants of `tests/fixtures/analysis.json` (written by `tools/python/stats_fixtures.py`)
//! go through `derive` and `analyse`, by arm and pooled, and every number must agree with the
//! reference to 1e-9 relative.

use serde_json::Value;
use time::macros::date;
use time::Duration;
use trial::analysis::{
    analyse, derive, Assignment, ByArm, Measurement, Outcome, Param, Subject, SubjectVisit,
};
use trial::{plan_visits, ParticipantStatus};

use crate::common::phase2;

const FIXTURE: &str = include_str!("../fixtures/analysis.json");

fn close(got: f64, want: &Value, what: &str) {
    let want = match want {
        Value::Number(n) => n.as_f64().unwrap(),
        other => panic!("{what}: not a number in the fixture: {other}"),
    };
    let tolerance = 1e-9 * want.abs().max(1e-5);
    assert!(
        (got - want).abs() <= tolerance,
        "{what}: got {got}, statsmodels {want}"
    );
}

fn exam(visit: &str, e: &Value) -> Vec<Measurement> {
    let (u, l) = (e["uems"].as_f64().unwrap(), e["lems"].as_f64().unwrap());
    let ais = e["ais"].as_str().unwrap();
    let grade = "ABCDE".find(ais).unwrap() as f64 + 1.0;
    [
        (Param::Tms, Some(u + l), format!("{}", u + l)),
        (Param::Uems, Some(u), format!("{u}")),
        (Param::Lems, Some(l), format!("{l}")),
        (Param::Ais, Some(grade), ais.to_owned()),
    ]
    .into_iter()
    .map(|(param, value, text)| Measurement {
        visit_id: visit.to_owned(),
        param,
        value,
        text,
        reason: None,
    })
    .collect()
}

/// The fixture's participants as the store would load them, arms shown or hidden.
fn subjects(case: &Value, shown: bool) -> Vec<Subject> {
    let study = phase2();
    let anchor = date!(2026 - 01 - 05);
    let plan = plan_visits(&study, anchor);
    case["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let week24 = &s["week24"];
            let visits = plan
                .iter()
                .map(|v| {
                    let done_on = match v.visit_id.as_str() {
                        "screening" => Some(v.target),
                        "week-24" if !week24.is_null() => {
                            if week24["in_window"].as_bool().unwrap() {
                                Some(v.target)
                            } else {
                                Some(v.latest + Duration::days(3))
                            }
                        }
                        _ => None,
                    };
                    SubjectVisit {
                        visit_id: v.visit_id.clone(),
                        earliest: v.earliest,
                        latest: v.latest,
                        done_on,
                    }
                })
                .collect();
            let mut measurements = exam("screening", &s["baseline"]);
            if !week24.is_null() {
                measurements.extend(exam("week-24", week24));
            }
            let arm = s["arm"].as_str().unwrap().to_owned();
            Subject {
                subject_id: s["subject_id"].as_str().unwrap().to_owned(),
                site_id: s["strata"][2].as_str().unwrap().to_owned(),
                sex: "male".into(),
                date_of_birth: date!(1990 - 03 - 01),
                injury_date: anchor - Duration::days(40),
                screening_date: anchor - Duration::days(14),
                enrolled_on: anchor - Duration::days(7),
                anchor_date: Some(anchor),
                status: ParticipantStatus::Enrolled,
                ended_on: None,
                end_reason: None,
                assignment: if shown {
                    Assignment::Shown(arm)
                } else {
                    Assignment::Hidden
                },
                strata: s["strata"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_owned())
                    .collect(),
                assigned_on: Some(anchor - Duration::days(7)),
                treated: s["dispensed"].as_bool().unwrap(),
                emergency_unblinded: s["unblinded"].as_bool().unwrap(),
                visits,
                measurements,
                walking: Vec::new(),
            }
        })
        .collect()
}

fn effect<'a>(got: &'a trial::analysis::ChangeAnalysis, what: &str) -> &'a trial::analysis::Effect {
    match got {
        Outcome::Computed(ByArm::Arms(e)) => e,
        other => panic!("{what}: expected an effect by arm, got {other:?}"),
    }
}

fn check_effect(got: &trial::analysis::ChangeAnalysis, want: &Value, what: &str) {
    let e = effect(got, what);
    close(e.estimate, &want["estimate"], &format!("{what} estimate"));
    close(e.ci_lower, &want["ci_lower"], &format!("{what} ci_lower"));
    close(e.ci_upper, &want["ci_upper"], &format!("{what} ci_upper"));
    close(e.p_value, &want["p_value"], &format!("{what} p_value"));
    close(e.se, &want["se"], &format!("{what} se"));
    close(e.df, &want["df"], &format!("{what} df"));
    assert_eq!(e.n as u64, want["n"].as_u64().unwrap(), "{what} n");
    assert_eq!(
        e.n_active as u64,
        want["n_active"].as_u64().unwrap(),
        "{what} n_active"
    );
    assert_eq!(
        (e.active.as_str(), e.control.as_str()),
        ("xs228", "placebo")
    );
}

#[test]
fn the_analyses_by_arm_agree_with_statsmodels_on_the_same_rows() {
    let study = phase2();
    let doc: Value = serde_json::from_str(FIXTURE).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 2);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let data = derive(&study, &subjects(case, true));
        let results = analyse(&study, &data);
        assert!(results.unblinded, "{name}");
        check_effect(
            &results.primary,
            &case["primary"],
            &format!("{name}: primary"),
        );
        check_effect(
            &results.secondary.uems,
            &case["uems"],
            &format!("{name}: UEMS"),
        );
        check_effect(
            &results.secondary.lems,
            &case["lems"],
            &format!("{name}: LEMS"),
        );
        check_effect(
            &results.sensitivity.per_protocol,
            &case["per_protocol"],
            &format!("{name}: per protocol"),
        );
        let want = &case["ais_conversion"];
        let Outcome::Computed(ByArm::Arms(c)) = &results.secondary.ais_conversion else {
            panic!(
                "{name}: no conversion by arm: {:?}",
                results.secondary.ais_conversion
            );
        };
        for (got, key) in [
            (c.responders_active, "responders_active"),
            (c.n_active, "n_active"),
            (c.responders_control, "responders_control"),
            (c.n_control, "n_control"),
        ] {
            assert_eq!(got, want[key].as_u64().unwrap(), "{name}: {key}");
        }
        close(
            c.risk_difference,
            &want["risk_difference"],
            "risk difference",
        );
        close(c.ci_lower, &want["ci_lower"], "Newcombe lower");
        close(c.ci_upper, &want["ci_upper"], "Newcombe upper");
        let Outcome::Computed(cmh) = &c.cmh else {
            panic!("{name}: no CMH: {:?}", c.cmh);
        };
        close(cmh.statistic, &want["cmh_statistic"], "CMH statistic");
        close(cmh.p_value, &want["cmh_p"], "CMH p");
        assert_eq!(cmh.strata as u64, want["strata"].as_u64().unwrap());
        match &want["odds_ratio"] {
            Value::Number(_) => {
                close(
                    cmh.odds_ratio.unwrap(),
                    &want["odds_ratio"],
                    "MH odds ratio",
                );
                close(cmh.ci_lower.unwrap(), &want["or_lower"], "MH OR lower");
                close(cmh.ci_upper.unwrap(), &want["or_upper"], "MH OR upper");
            }
            other => {
                // Infinite (no discordant control responders): no ratio and no interval.
                assert_eq!(other, "inf", "{name}");
                assert_eq!((cmh.odds_ratio, cmh.ci_lower), (None, None), "{name}");
            }
        }
    }
}

#[test]
fn the_pooled_analyses_agree_with_scipy_and_show_no_arm() {
    let study = phase2();
    let doc: Value = serde_json::from_str(FIXTURE).unwrap();
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let data = derive(&study, &subjects(case, false));
        assert!(data
            .adsl
            .iter()
            .all(|s| s.arm.is_none() && s.trt01p == "BLINDED"));
        let results = analyse(&study, &data);
        assert!(!results.unblinded, "{name}");
        let want = &case["primary"]["pooled"];
        let Outcome::Computed(ByArm::Pooled(p)) = &results.primary else {
            panic!("{name}: primary not pooled: {:?}", results.primary);
        };
        assert_eq!(p.n as u64, want["n"].as_u64().unwrap());
        close(p.mean, &want["mean"], "pooled mean");
        close(p.sd, &want["sd"], "pooled sd");
        close(p.ci_lower, &want["ci_lower"], "pooled lower");
        close(p.ci_upper, &want["ci_upper"], "pooled upper");
        let want = &case["ais_conversion"]["pooled"];
        let Outcome::Computed(ByArm::Pooled(r)) = &results.secondary.ais_conversion else {
            panic!("{name}: conversion not pooled");
        };
        assert_eq!(r.responders, want["responders"].as_u64().unwrap());
        assert_eq!(r.n, want["n"].as_u64().unwrap());
        close(r.ci_lower, &want["ci_lower"], "Wilson lower");
        close(r.ci_upper, &want["ci_upper"], "Wilson upper");
        let json = serde_json::to_string(&results).unwrap();
        for word in ["xs228", "placebo", "active", "control", "estimate"] {
            assert!(
                !json.contains(word),
                "{name}: pooled results name {word}: {json}"
            );
        }
    }
}
