use crate::fixtures::{close, f, load, u};
use stats::{clopper_pearson, newcombe, wilson};

#[test]
fn clopper_pearson_and_wilson_match_statsmodels() {
    let doc = load(include_str!("../fixtures/proportions.json"));
    for case in doc["cases"]["single"].as_array().unwrap() {
        let (k, n, level) = (u(&case["count"]), u(&case["n"]), f(&case["level"]));
        let what = format!("{k}/{n} at {level}");
        let cp = clopper_pearson(k, n, level).unwrap();
        close(
            cp.lower,
            f(&case["cp"][0]),
            &format!("{what}: Clopper-Pearson lower"),
        );
        close(
            cp.upper,
            f(&case["cp"][1]),
            &format!("{what}: Clopper-Pearson upper"),
        );
        let w = wilson(k, n, level).unwrap();
        close(
            w.lower,
            f(&case["wilson"][0]),
            &format!("{what}: Wilson lower"),
        );
        close(
            w.upper,
            f(&case["wilson"][1]),
            &format!("{what}: Wilson upper"),
        );
    }
}

#[test]
fn newcombe_matches_statsmodels() {
    let doc = load(include_str!("../fixtures/proportions.json"));
    for case in doc["cases"]["difference"].as_array().unwrap() {
        let (k1, n1, k2, n2) = (
            u(&case["count1"]),
            u(&case["n1"]),
            u(&case["count2"]),
            u(&case["n2"]),
        );
        let level = f(&case["level"]);
        let what = format!("{k1}/{n1} - {k2}/{n2} at {level}");
        let d = newcombe(k1, n1, k2, n2, level).unwrap();
        close(
            d.estimate,
            f(&case["estimate"]),
            &format!("{what}: estimate"),
        );
        close(d.lower, f(&case["lower"]), &format!("{what}: lower"));
        close(d.upper, f(&case["upper"]), &format!("{what}: upper"));
    }
}
