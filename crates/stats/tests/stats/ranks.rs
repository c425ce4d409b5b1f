use crate::fixtures::{close, f, fs, load};
use stats::{mann_whitney, Method};

#[test]
fn mann_whitney_matches_scipy() {
    let doc = load(include_str!("../fixtures/mann_whitney.json"));
    let mut exact = 0;
    for case in doc["cases"].as_array().unwrap() {
        let method = match case["method"].as_str().unwrap() {
            "auto" => Method::Auto,
            "exact" => Method::Exact,
            "asymptotic" => Method::Asymptotic { continuity: true },
            "asymptotic-no-continuity" => Method::Asymptotic { continuity: false },
            other => panic!("unknown method {other}"),
        };
        let what = format!("{} ({})", case["name"], case["method"]);
        let r = mann_whitney(&fs(&case["a"]), &fs(&case["b"]), method).unwrap();
        exact += usize::from(r.exact);
        close(r.u, f(&case["u"]), &format!("{what}: U"));
        close(r.p_value, f(&case["p"]), &format!("{what}: p"));
    }
    assert!(exact >= 8, "the exact method was checked {exact} times");
}
