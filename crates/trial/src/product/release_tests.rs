use super::*;
use crate::error::DefinitionError;

fn product() -> ProductDefinition {
    ProductDefinition::from_toml(include_str!("../../../../studies/xs228-product.toml")).unwrap()
}

fn all_pass(p: &ProductDefinition) -> Verdicts {
    p.release_tests
        .iter()
        .map(|t| (t.id.clone(), Verdict::Pass))
        .collect()
}

#[test]
fn the_shipped_product_definition_reads() {
    let p = product();
    assert_eq!(p.id, "XS228-NPC");
    assert_eq!(p.storage_max_c, -150.0);
    assert_eq!(p.thaw_to_administration, Duration::minutes(60));
    assert_eq!(p.release_tests.len(), 7);
    assert!(p.test("sterility").unwrap().may_be_pending);
    assert!(!p.test("mycoplasma").unwrap().may_be_pending);
}

#[test]
fn every_problem_is_named_by_its_key_path() {
    let text = r#"
schema_version = 2
id = "x"
name = "N"
storage_max_c = 20
max_logger_gap_minutes = 0
thaw_to_administration_minutes = 60
shipping_lead_days = 3
colour = "blue"

[[release_tests]]
id = "a"
name = "A"
method = "m"
criterion = "between"

[[release_tests]]
id = "b"
name = "B"
method = "m"
criterion = "one_of"
accepted = ["clean"]
allowed = ["negative", "positive"]
unit = "%"

[[release_tests]]
id = "b"
name = "B2"
method = "m"
criterion = "at_least"
max = 3
"#;
    let Err(DefinitionError::Invalid(problems)) = ProductDefinition::from_toml(text) else {
        panic!("accepted");
    };
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    for expected in [
        "schema_version",
        "id",
        "storage_max_c",
        "max_logger_gap_minutes",
        "min_days_on_site",
        "colour",
        "release_tests[0].criterion",
        "release_tests[1].unit",
        "release_tests[1].accepted[0]",
        "release_tests[2].max",
        "release_tests[2].min",
        "release_tests[2].unit",
    ] {
        assert!(paths.contains(&expected), "{expected} not in {paths:?}");
    }
    let criterion = &problems[paths
        .iter()
        .position(|p| *p == "release_tests[0].criterion")
        .unwrap()];
    assert!(criterion
        .message
        .contains("\"at_least\", \"at_most\", \"below\", \"one_of\""));
}

#[test]
fn judging_results_against_each_kind_of_criterion() {
    let p = product();
    let t = |id| p.test(id).unwrap();
    let n = ResultValue::Number;
    let w = |s: &str| ResultValue::Word(s.into());
    assert_eq!(judge(t("viability"), &n(70.0)), Ok(Verdict::Pass));
    assert_eq!(judge(t("viability"), &n(69.9)), Ok(Verdict::Fail));
    assert_eq!(judge(t("endotoxin"), &n(2.0)), Ok(Verdict::Pass));
    assert_eq!(judge(t("endotoxin"), &n(2.01)), Ok(Verdict::Fail));
    assert_eq!(judge(t("residual_ipsc"), &n(0.99)), Ok(Verdict::Pass));
    assert_eq!(judge(t("residual_ipsc"), &n(1.0)), Ok(Verdict::Fail));
    assert_eq!(judge(t("sterility"), &w("negative")), Ok(Verdict::Pass));
    assert_eq!(judge(t("sterility"), &w("positive")), Ok(Verdict::Fail));
    assert_eq!(
        judge(t("sterility"), &w("clean")).unwrap_err().to_string(),
        "results.sterility: \"clean\" is not allowed (allowed: negative, positive)"
    );
    assert_eq!(
        judge(t("viability"), &w("good")).unwrap_err().to_string(),
        "results.viability: Viability after thaw takes a finite number in %"
    );
    assert!(judge(t("viability"), &n(f64::NAN)).is_err());
    assert!(judge(t("karyotype"), &n(1.0)).is_err());
}

#[test]
fn release_needs_every_result_passed() {
    let p = product();
    let q = LotState::Quarantined;
    let mut v = all_pass(&p);
    assert_eq!(
        decide_release(&p, &q, &v, &Disposition::Release),
        Ok(LotState::Released)
    );
    v.remove("sterility");
    let err = decide_release(&p, &q, &v, &Disposition::Release).unwrap_err();
    assert_eq!(
        err.to_string(),
        "results: no result yet for sterility; release conditionally naming them, or wait"
    );
    v.insert("viability".into(), Verdict::Fail);
    let err = decide_release(&p, &q, &v, &Disposition::Release).unwrap_err();
    assert!(err.to_string().contains("failed: viability"), "{err}");
    let err = decide_release(
        &p,
        &q,
        &v,
        &Disposition::ReleaseConditionally {
            pending: vec!["sterility".into()],
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("failed: viability"), "{err}");
    assert_eq!(
        decide_release(
            &p,
            &q,
            &v,
            &Disposition::Reject {
                reason: " viability 65 % ".into()
            }
        ),
        Ok(LotState::Rejected {
            reason: "viability 65 %".into()
        })
    );
    assert!(decide_release(&p, &q, &v, &Disposition::Reject { reason: " ".into() }).is_err());
    let err = decide_release(
        &p,
        &LotState::Released,
        &all_pass(&p),
        &Disposition::Release,
    )
    .unwrap_err();
    assert!(err.to_string().contains("the lot is released"), "{err}");
}

#[test]
fn conditional_release_names_tests_that_may_be_pending() {
    let p = product();
    let q = LotState::Quarantined;
    let mut v = all_pass(&p);
    v.remove("sterility");
    v.remove("karyotype");
    let cond = |ids: &[&str]| Disposition::ReleaseConditionally {
        pending: ids.iter().map(|s| s.to_string()).collect(),
    };
    assert_eq!(
        decide_release(&p, &q, &v, &cond(&["sterility", "karyotype"])),
        Ok(LotState::ConditionallyReleased {
            pending: vec!["karyotype".into(), "sterility".into()]
        })
    );
    let err = decide_release(&p, &q, &v, &cond(&["sterility"])).unwrap_err();
    assert!(
        err.to_string()
            .contains("no result yet for karyotype, and not named"),
        "{err}"
    );
    let mut v2 = v.clone();
    v2.remove("mycoplasma");
    let err = decide_release(
        &p,
        &q,
        &v2,
        &cond(&["sterility", "karyotype", "mycoplasma"]),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("Mycoplasma must pass before release"),
        "{err}"
    );
    let err = decide_release(&p, &q, &all_pass(&p), &cond(&["sterility"])).unwrap_err();
    assert!(err.to_string().contains("already has a result"), "{err}");
    let err = decide_release(&p, &q, &v, &cond(&["purity"])).unwrap_err();
    assert!(
        err.to_string().contains("\"purity\" is not allowed"),
        "{err}"
    );
    assert!(decide_release(&p, &q, &v, &cond(&[])).is_err());
}

#[test]
fn a_late_result_completes_the_release_or_rejects_the_lot() {
    let p = product();
    let sterility = p.test("sterility").unwrap();
    let karyotype = p.test("karyotype").unwrap();
    let cond = LotState::ConditionallyReleased {
        pending: vec!["karyotype".into(), "sterility".into()],
    };
    let after = record_result(&cond, karyotype, Verdict::Pass, false, 2).unwrap();
    assert_eq!(
        after,
        ResultOutcome {
            state: LotState::ConditionallyReleased {
                pending: vec!["sterility".into()]
            },
            late_failure: false
        }
    );
    let done = record_result(&after.state, sterility, Verdict::Pass, false, 2).unwrap();
    assert_eq!(done.state, LotState::Released);
    // The 14-day sterility fails after two units were given: the lot is rejected and its
    // recipients are to be told.
    let failed = record_result(&after.state, sterility, Verdict::Fail, false, 2).unwrap();
    assert_eq!(
        failed,
        ResultOutcome {
            state: LotState::Rejected {
                reason: "Sterility (14-day culture) failed after release".into()
            },
            late_failure: true
        }
    );
    // Before any unit was given it is a rejection, not a late failure.
    let unused = record_result(&after.state, sterility, Verdict::Fail, false, 0).unwrap();
    assert!(!unused.late_failure);
    // Quarantined lots keep their state: the qualified person decides.
    let q = record_result(&LotState::Quarantined, sterility, Verdict::Fail, false, 0).unwrap();
    assert_eq!(q.state, LotState::Quarantined);
    assert!(record_result(&cond, sterility, Verdict::Pass, true, 0).is_err());
}
