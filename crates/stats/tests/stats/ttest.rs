use crate::fixtures::{close, f, fs, load};
use stats::{t_test, Variances};

#[test]
fn student_and_welch_match_scipy() {
    let doc = load(include_str!("../fixtures/ttest.json"));
    for case in doc["cases"].as_array().unwrap() {
        let what = format!(
            "{} (equal_var={}, level {})",
            case["name"].as_str().unwrap(),
            case["equal_var"],
            case["level"]
        );
        let v = if case["equal_var"].as_bool().unwrap() {
            Variances::Equal
        } else {
            Variances::Unequal
        };
        let r = t_test(&fs(&case["a"]), &fs(&case["b"]), v, f(&case["level"])).unwrap();
        close(
            r.estimate,
            f(&case["estimate"]),
            &format!("{what}: estimate"),
        );
        close(r.t, f(&case["t"]), &format!("{what}: t"));
        close(r.df, f(&case["df"]), &format!("{what}: df"));
        close(r.p_value, f(&case["p"]), &format!("{what}: p"));
        close(r.ci_lower, f(&case["ci_lower"]), &format!("{what}: lower"));
        close(r.ci_upper, f(&case["ci_upper"]), &format!("{what}: upper"));
    }
}
