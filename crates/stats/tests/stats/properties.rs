//! Properties that hold for any data, over generated samples.

use proptest::prelude::*;
use stats::{
    ancova, clopper_pearson, cmh, fisher_exact, kaplan_meier, mann_whitney, newcombe, t_test,
    Method, Variances,
};

fn sample(len: std::ops::Range<usize>) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-100.0..100.0_f64, len)
}

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// With equal sizes, Welch's statistic is Student's; with equal variances too (one sample
    /// a shift of the other), the whole test is.
    #[test]
    fn welch_is_student_when_sizes_and_variances_are_equal(
        a in sample(2..30), shift in -50.0..50.0_f64, b in sample(2..30)
    ) {
        let same_size = &b[..b.len().min(a.len())];
        let a2 = &a[..same_size.len()];
        if let (Ok(s), Ok(w)) = (
            t_test(a2, same_size, Variances::Equal, 0.95),
            t_test(a2, same_size, Variances::Unequal, 0.95),
        ) {
            prop_assert!(near(s.t, w.t));
        }
        let shifted: Vec<f64> = a.iter().map(|v| v + shift).collect();
        if let (Ok(s), Ok(w)) = (
            t_test(&a, &shifted, Variances::Equal, 0.95),
            t_test(&a, &shifted, Variances::Unequal, 0.95),
        ) {
            prop_assert!(near(s.df, w.df), "df {} {}", s.df, w.df);
            prop_assert!(near(s.p_value, w.p_value));
            prop_assert!(near(s.ci_lower, w.ci_lower) && near(s.ci_upper, w.ci_upper));
        }
    }

    /// Every interval contains its estimate, and a p-value is a probability.
    #[test]
    fn intervals_contain_their_estimates(
        a in sample(2..25), b in sample(2..25), level in 0.5..0.999_f64,
        k1 in 0u64..40, n1 in 1u64..40, k2 in 0u64..40, n2 in 1u64..40,
    ) {
        for v in [Variances::Equal, Variances::Unequal] {
            if let Ok(t) = t_test(&a, &b, v, level) {
                prop_assert!(t.ci_lower <= t.estimate && t.estimate <= t.ci_upper);
                prop_assert!((0.0..=1.0).contains(&t.p_value));
            }
        }
        let y: Vec<f64> = a.iter().chain(&b).copied().collect();
        let treated: Vec<bool> = (0..y.len()).map(|i| i < a.len()).collect();
        let base: Vec<f64> = (0..y.len()).map(|i| (i * 7 % 11) as f64).collect();
        let none: &[(&str, &[&str])] = &[];
        if let Ok(e) = ancova(&y, &treated, &[("base", &base)], none, level) {
            prop_assert!(e.ci_lower <= e.estimate && e.estimate <= e.ci_upper);
        }
        let (k1, k2) = (k1.min(n1), k2.min(n2));
        let cp = clopper_pearson(k1, n1, level).unwrap();
        prop_assert!(0.0 <= cp.lower && cp.lower <= cp.estimate);
        prop_assert!(cp.estimate <= cp.upper && cp.upper <= 1.0);
        let d = newcombe(k1, n1, k2, n2, level).unwrap();
        prop_assert!(-1.0 <= d.lower && d.lower <= d.estimate + 1e-15);
        prop_assert!(d.estimate <= d.upper + 1e-15 && d.upper <= 1.0);
        let tables = [[[k1, n1 - k1], [k2, n2 - k2]], [[k2, n2 - k2], [k1, n1 - k1]]];
        if let Ok(c) = cmh(&tables[..1], false, level) {
            prop_assert!((0.0..=1.0).contains(&c.p_value));
            if let Some((lo, hi)) = c.ci {
                prop_assert!(lo <= c.odds_ratio && c.odds_ratio <= hi);
            }
        }
    }

    /// Fisher's p-value does not depend on which way the table is read.
    #[test]
    fn fisher_is_the_same_transposed_or_with_rows_swapped(
        a in 0u64..30, b in 0u64..30, c in 0u64..30, d in 0u64..30
    ) {
        let p = fisher_exact([[a, b], [c, d]]).unwrap().p_value;
        prop_assert!((0.0..=1.0).contains(&p));
        prop_assert!(near(p, fisher_exact([[a, c], [b, d]]).unwrap().p_value));
        prop_assert!(near(p, fisher_exact([[c, d], [a, b]]).unwrap().p_value));
    }

    /// Swapping the samples turns U into n1·n2 - U and keeps the two-sided p-value.
    #[test]
    fn mann_whitney_is_symmetric(a in sample(1..12), b in sample(1..12)) {
        for method in [Method::Auto, Method::Asymptotic { continuity: true }] {
            if let (Ok(x), Ok(y)) = (mann_whitney(&a, &b, method), mann_whitney(&b, &a, method)) {
                prop_assert!(near(x.u + y.u, (a.len() * b.len()) as f64));
                prop_assert!(near(x.p_value, y.p_value));
                prop_assert!(x.p_value > 0.0 && x.p_value <= 1.0);
            }
        }
    }

    /// The Kaplan–Meier curve starts at or below 1, never rises, never falls below 0.
    #[test]
    fn kaplan_meier_never_rises(
        data in prop::collection::vec((0u32..20, any::<bool>()), 1..40)
    ) {
        let times: Vec<f64> = data.iter().map(|(t, _)| f64::from(*t)).collect();
        let events: Vec<bool> = data.iter().map(|(_, e)| *e).collect();
        let steps = kaplan_meier(&times, &events).unwrap();
        let mut last = 1.0;
        for s in &steps {
            prop_assert!(s.survival <= last && s.survival >= 0.0);
            last = s.survival;
        }
        prop_assert_eq!(steps.iter().map(|s| s.events).sum::<usize>(),
                        events.iter().filter(|e| **e).count());
    }

    /// No input makes any function panic: NaN, infinities, empty and tiny samples are refused.
    #[test]
    fn no_input_panics(
        a in prop::collection::vec(prop_oneof![any::<f64>(), Just(f64::NAN), Just(1.0)], 0..8),
        b in prop::collection::vec(prop_oneof![any::<f64>(), Just(f64::INFINITY), Just(1.0)], 0..8),
        level in any::<f64>(), k in any::<u64>(), n in any::<u64>(),
    ) {
        let _ = t_test(&a, &b, Variances::Unequal, level);
        let _ = t_test(&a, &b, Variances::Equal, level);
        let _ = mann_whitney(&a, &b, Method::Auto);
        let _ = mann_whitney(&a, &b, Method::Exact);
        let _ = clopper_pearson(k, n, level);
        let _ = newcombe(k, n, n, k, level);
        let _ = fisher_exact([[k % 1000, n % 1000], [k % 7, n % 13]]);
        let _ = fisher_exact([[k, n], [n, k]]);
        let _ = cmh(&[[[k, n], [n, k]]], false, level);
        let _ = cmh(&[[[k % 1000, n % 1000], [k % 7, n % 13]]], true, level);
        let events: Vec<bool> = a.iter().map(|v| *v > 0.0).collect();
        let _ = kaplan_meier(&a, &events);
        let groups: Vec<&str> = a.iter().map(|v| if *v > 0.5 { "x" } else { "y" }).collect();
        let _ = stats::log_rank(&a, &events, &groups, None);
        let treated: Vec<bool> = (0..a.len()).map(|i| i % 2 == 0).collect();
        let none: &[(&str, &[&str])] = &[];
        let _ = ancova(&a, &treated, &[("b", &b)], none, level);
    }
}
