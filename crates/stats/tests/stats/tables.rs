use crate::fixtures::{close, f, load, u};
use serde_json::Value;
use stats::{cmh, fisher_exact, Table};

fn table(v: &Value) -> Table {
    [[u(&v[0][0]), u(&v[0][1])], [u(&v[1][0]), u(&v[1][1])]]
}

#[test]
fn fisher_matches_scipy() {
    let doc = load(include_str!("../fixtures/fisher.json"));
    for case in doc["cases"].as_array().unwrap() {
        let t = table(&case["table"]);
        let r = fisher_exact(t).unwrap();
        close(
            r.odds_ratio,
            f(&case["odds_ratio"]),
            &format!("{t:?}: odds ratio"),
        );
        close(r.p_value, f(&case["p"]), &format!("{t:?}: p"));
    }
}

#[test]
fn cmh_matches_statsmodels() {
    let doc = load(include_str!("../fixtures/cmh.json"));
    for case in doc["cases"].as_array().unwrap() {
        let what = format!("{} (correction {})", case["name"], case["correction"]);
        let tables: Vec<Table> = case["tables"]
            .as_array()
            .unwrap()
            .iter()
            .map(table)
            .collect();
        let correction = case["correction"].as_bool().unwrap();
        let r = cmh(&tables, correction, f(&case["level"])).unwrap();
        close(
            r.statistic,
            f(&case["statistic"]),
            &format!("{what}: statistic"),
        );
        close(r.p_value, f(&case["p"]), &format!("{what}: p"));
        close(
            r.odds_ratio,
            f(&case["odds_ratio"]),
            &format!("{what}: odds ratio"),
        );
        close(
            r.log_odds_ratio_se.unwrap(),
            f(&case["log_se"]),
            &format!("{what}: se"),
        );
        let (lo, hi) = r.ci.unwrap();
        close(lo, f(&case["ci_lower"]), &format!("{what}: lower"));
        close(hi, f(&case["ci_upper"]), &format!("{what}: upper"));
    }
}
