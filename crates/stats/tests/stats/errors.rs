//! Bad input is refused with an error naming the argument and what is allowed.

use stats::{
    ancova, clopper_pearson, cmh, kaplan_meier, log_rank, mann_whitney, ols, t_test, Design,
    Method, StatsError, Variances,
};

#[test]
fn not_a_number_is_refused_by_position() {
    let e = t_test(&[1.0, f64::NAN, 3.0], &[1.0, 2.0], Variances::Equal, 0.95).unwrap_err();
    assert!(matches!(
        e,
        StatsError::NotFinite {
            what: "a",
            index: 1,
            ..
        }
    ));
    assert!(e.to_string().contains("a[1]") && e.to_string().contains("finite"));
}

#[test]
fn too_few_observations() {
    let e = t_test(&[1.0], &[1.0, 2.0], Variances::Unequal, 0.95).unwrap_err();
    assert_eq!(
        e,
        StatsError::TooFew {
            what: "a",
            needed: 2,
            got: 1
        }
    );
    assert_eq!(
        e.to_string(),
        "a: at least 2 observations are needed, 1 given"
    );
    let d = Design::new(2).numeric("x", &[1.0, 2.0]).unwrap();
    assert!(matches!(
        ols(&[1.0, 2.0], &d, 0.95),
        Err(StatsError::TooFew { needed: 3, .. })
    ));
}

#[test]
fn a_singular_design_names_the_column() {
    let x = [1.0, 2.0, 3.0, 4.0, 5.0];
    let d = Design::new(5)
        .numeric("x", &x)
        .unwrap()
        .numeric("twice x", &x.map(|v| 2.0 * v))
        .unwrap();
    let e = ols(&[1.0, 3.0, 2.0, 5.0, 4.0], &d, 0.95).unwrap_err();
    assert_eq!(
        e,
        StatsError::Singular {
            column: "twice x".to_owned()
        }
    );
    assert!(e.to_string().contains("twice x"));
    // A stratum that coincides with the arm.
    let treated = [true, true, false, false, true];
    let stratum = ["a", "a", "b", "b", "a"];
    let e = ancova(
        &[1.0, 2.0, 3.0, 4.0, 5.0],
        &treated,
        &[],
        &[("site", &stratum[..])],
        0.95,
    )
    .unwrap_err();
    assert_eq!(
        e,
        StatsError::Singular {
            column: "site[T.b]".to_owned()
        }
    );
}

#[test]
fn one_arm_only_and_lengths_that_differ() {
    let none: &[(&str, &[&str])] = &[];
    let e = ancova(&[1.0, 2.0, 3.0], &[true; 3], &[], none, 0.95).unwrap_err();
    assert!(matches!(
        e,
        StatsError::Invalid {
            what: "treated",
            ..
        }
    ));
    let e = ancova(&[1.0, 2.0, 3.0], &[true, false], &[], none, 0.95).unwrap_err();
    assert_eq!(
        e,
        StatsError::Length {
            what: "treated",
            expected: 3,
            got: 2
        }
    );
    let e = kaplan_meier(&[1.0, 2.0], &[true]).unwrap_err();
    assert!(matches!(e, StatsError::Length { what: "events", .. }));
}

/// Values so large that the residuals' squares overflow are refused, not fitted into NaN
/// (found by `properties::no_input_panics`: statrs panicked on the NaN statistic).
#[test]
fn values_whose_squares_overflow() {
    let none: &[(&str, &[&str])] = &[];
    let y = [0.0, -8.7e141, 1.0, 0.0];
    let base = [1.0, 1.0, 0.0, 1.05e179];
    let treated = [true, false, true, false];
    let e = ancova(&y, &treated, &[("base", &base)], none, 0.95).unwrap_err();
    assert!(
        matches!(
            e,
            StatsError::Invalid {
                what: "outcome",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn levels_counts_and_methods_out_of_range() {
    for level in [0.0, 1.0, 1.5, -0.1, f64::NAN] {
        let e = clopper_pearson(1, 2, level).unwrap_err();
        assert!(matches!(e, StatsError::Level(_)));
        assert!(e
            .to_string()
            .contains("allowed: greater than 0 and less than 1"));
    }
    let e = clopper_pearson(3, 2, 0.95).unwrap_err();
    assert!(e
        .to_string()
        .contains("count: 3 of 2 is not allowed; allowed: 0 to n"));
    let e = mann_whitney(&[1.0, 2.0], &[2.0, 3.0], Method::Exact).unwrap_err();
    assert!(matches!(e, StatsError::Invalid { what: "method", .. }));
    let big: Vec<f64> = (0..1001).map(f64::from).collect();
    let other: Vec<f64> = (0..1000).map(|v| f64::from(v) + 0.5).collect();
    assert!(matches!(
        mann_whitney(&big, &other, Method::Exact),
        Err(StatsError::TooLarge { .. })
    ));
    assert!(mann_whitney(&big, &other, Method::Auto).is_ok());
}

#[test]
fn a_table_too_large_for_fisher() {
    let e = stats::fisher_exact([[u64::MAX, 1], [1, 1]]).unwrap_err();
    assert!(e
        .to_string()
        .contains("allowed: a total of at most 10,000,000"));
    // At the limit, with margins that leave two tables possible.
    assert!(stats::fisher_exact([[9_999_998, 1], [1, 0]]).is_ok());
    assert!(stats::fisher_exact([[9_999_999, 1], [1, 0]]).is_err());
}

#[test]
fn nothing_to_compare() {
    assert_eq!(
        t_test(&[2.0, 2.0], &[2.0, 2.0], Variances::Equal, 0.95).unwrap_err(),
        StatsError::NoVariation { what: "a and b" }
    );
    assert!(matches!(
        mann_whitney(&[1.0, 1.0], &[1.0], Method::Auto),
        Err(StatsError::NoVariation { .. })
    ));
    assert!(matches!(
        cmh(&[[[3, 0], [4, 0]]], false, 0.95),
        Err(StatsError::NoVariation { .. })
    ));
    // No events at all: the log-rank test has nothing to test.
    let e = log_rank(&[1.0, 2.0, 3.0], &[false; 3], &["a", "b", "a"], None).unwrap_err();
    assert!(matches!(e, StatsError::NoVariation { .. }));
    let e = log_rank(&[1.0, 2.0], &[true; 2], &["a", "a"], None).unwrap_err();
    assert!(matches!(e, StatsError::Invalid { what: "groups", .. }));
}
