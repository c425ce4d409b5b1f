use crate::fixtures::{close, f, fs, load};
use stats::rubin;

#[test]
fn rubins_rules_match_numpy_and_scipy_on_statsmodels_fits() {
    let doc = load(include_str!("../fixtures/rubin.json"));
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 4);
    for case in cases {
        let what = case["name"].as_str().unwrap();
        let r = rubin(
            &fs(&case["estimates"]),
            &fs(&case["variances"]),
            f(&case["df_complete"]),
            f(&case["level"]),
        )
        .unwrap();
        assert_eq!(r.m, case["estimates"].as_array().unwrap().len(), "{what}");
        for (got, key) in [
            (r.estimate, "estimate"),
            (r.within, "within"),
            (r.between, "between"),
            (r.total, "total"),
            (r.lambda, "lambda"),
            (r.riv, "riv"),
            (r.df, "df"),
            (r.p_value, "p"),
            (r.ci_lower, "ci_lower"),
            (r.ci_upper, "ci_upper"),
        ] {
            close(got, f(&case[key]), &format!("{what}: {key}"));
        }
        close(r.se * r.se, r.total, &format!("{what}: se"));
    }
}
