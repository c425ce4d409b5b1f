use crate::fixtures::{bools, close, close_all, f, fs, load, strings};
use stats::{kaplan_meier, log_rank, survival_quantile};

#[test]
fn kaplan_meier_matches_statsmodels() {
    let doc = load(include_str!("../fixtures/survival.json"));
    for case in doc["cases"]["kaplan_meier"].as_array().unwrap() {
        let what = case["name"].as_str().unwrap();
        let steps = kaplan_meier(&fs(&case["times"]), &bools(&case["events"])).unwrap();
        let times: Vec<f64> = steps.iter().map(|s| s.time).collect();
        close_all(&times, &fs(&case["surv_times"]), &format!("{what}: times"));
        let at_risk: Vec<f64> = steps.iter().map(|s| s.at_risk as f64).collect();
        close_all(&at_risk, &fs(&case["n_risk"]), &format!("{what}: at risk"));
        let events: Vec<f64> = steps.iter().map(|s| s.events as f64).collect();
        close_all(&events, &fs(&case["n_events"]), &format!("{what}: events"));
        let s: Vec<f64> = steps.iter().map(|s| s.survival).collect();
        close_all(&s, &fs(&case["surv_prob"]), &format!("{what}: survival"));
        let se: Vec<f64> = steps.iter().map(|s| s.se.unwrap_or(f64::NAN)).collect();
        close_all(&se, &fs(&case["surv_prob_se"]), &format!("{what}: se"));
        for q in case["quantiles"].as_array().unwrap() {
            let got = survival_quantile(&steps, f(&q[0])).unwrap_or(f64::NAN);
            close(got, f(&q[1]), &format!("{what}: quantile {}", q[0]));
        }
    }
}

#[test]
fn log_rank_matches_statsmodels() {
    let doc = load(include_str!("../fixtures/survival.json"));
    for case in doc["cases"]["log_rank"].as_array().unwrap() {
        let what = case["name"].as_str().unwrap();
        let groups = strings(&case["groups"]);
        let strata = (!case["strata"].is_null()).then(|| strings(&case["strata"]));
        let r = log_rank(
            &fs(&case["times"]),
            &bools(&case["events"]),
            &groups,
            strata.as_deref(),
        )
        .unwrap();
        close(
            r.statistic,
            f(&case["statistic"]),
            &format!("{what}: statistic"),
        );
        close(r.p_value, f(&case["p"]), &format!("{what}: p"));
        let observed: f64 = r.groups.iter().map(|g| g.observed).sum();
        let expected: f64 = r.groups.iter().map(|g| g.expected).sum();
        close(
            observed,
            expected,
            &format!("{what}: Σ observed = Σ expected"),
        );
    }
}
