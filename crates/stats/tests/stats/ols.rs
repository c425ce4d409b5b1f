use crate::fixtures::{bools, close, close_all, f, fs, load, strings};
use serde_json::Value;
use stats::{ancova, ols, Design};

type Numeric = Vec<(String, Vec<f64>)>;
type Factors = Vec<(String, Vec<String>)>;

fn columns(case: &Value) -> (Numeric, Factors) {
    let numeric = case["numeric"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c[0].as_str().unwrap().to_owned(), fs(&c[1])))
        .collect();
    let factors = case["factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c[0].as_str().unwrap().to_owned(), strings(&c[1])))
        .collect();
    (numeric, factors)
}

#[test]
fn ols_matches_statsmodels() {
    let doc = load(include_str!("../fixtures/ols.json"));
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let y = fs(&case["y"]);
        let (numeric, factors) = columns(case);
        let mut design = if case["intercept"].as_bool().unwrap() {
            Design::new(y.len())
        } else {
            Design::without_intercept(y.len())
        };
        if !case["treated"].is_null() {
            let t: Vec<f64> = bools(&case["treated"])
                .iter()
                .map(|t| if *t { 1.0 } else { 0.0 })
                .collect();
            design = design.numeric("treatment", &t).unwrap();
        }
        for (n, v) in &numeric {
            design = design.numeric(n, v).unwrap();
        }
        for (n, l) in &factors {
            design = design.categorical(n, l).unwrap();
        }
        let fit = ols(&y, &design, f(&case["level"])).unwrap();
        let c = &fit.coefficients;
        let get = |g: fn(&stats::Coefficient) -> f64| c.iter().map(g).collect::<Vec<_>>();
        close_all(
            &get(|c| c.estimate),
            &fs(&case["params"]),
            &format!("{name}: params"),
        );
        close_all(&get(|c| c.se), &fs(&case["bse"]), &format!("{name}: bse"));
        close_all(&get(|c| c.t), &fs(&case["tvalues"]), &format!("{name}: t"));
        close_all(
            &get(|c| c.p_value),
            &fs(&case["pvalues"]),
            &format!("{name}: p"),
        );
        close_all(
            &get(|c| c.ci_lower),
            &fs(&case["ci_lower"]),
            &format!("{name}: lower"),
        );
        close_all(
            &get(|c| c.ci_upper),
            &fs(&case["ci_upper"]),
            &format!("{name}: upper"),
        );
        close(fit.df_resid, f(&case["df_resid"]), &format!("{name}: df"));
        close(fit.r_squared, f(&case["rsquared"]), &format!("{name}: R²"));
        close(fit.sigma, f(&case["sigma"]), &format!("{name}: sigma"));
    }
}

#[test]
fn ancova_is_the_treatment_coefficient_of_the_fit() {
    let doc = load(include_str!("../fixtures/ols.json"));
    let mut seen = 0;
    for case in doc["cases"].as_array().unwrap() {
        if case["treated"].is_null() {
            continue;
        }
        seen += 1;
        let name = case["name"].as_str().unwrap();
        let y = fs(&case["y"]);
        let treated = bools(&case["treated"]);
        let (numeric, factors) = columns(case);
        let covariates: Vec<(&str, &[f64])> = numeric
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect();
        let factors: Vec<(&str, &[String])> = factors
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect();
        let e = ancova(&y, &treated, &covariates, &factors, f(&case["level"])).unwrap();
        // The treatment is the design's second column.
        close(
            e.estimate,
            f(&case["params"][1]),
            &format!("{name}: estimate"),
        );
        close(e.se, f(&case["bse"][1]), &format!("{name}: se"));
        close(e.p_value, f(&case["pvalues"][1]), &format!("{name}: p"));
        close(
            e.ci_lower,
            f(&case["ci_lower"][1]),
            &format!("{name}: lower"),
        );
        close(
            e.ci_upper,
            f(&case["ci_upper"][1]),
            &format!("{name}: upper"),
        );
        assert_eq!(e.n, y.len());
        assert_eq!(e.fit.coefficients[1].name, stats::TREATMENT);
    }
    assert!(seen >= 4);
}

#[test]
fn ancova_with_the_arm_alone_is_the_difference_of_means() {
    let y = [3.0, 5.0, 4.0, 6.0, 9.0, 8.0, 10.0];
    let treated = [false, false, false, true, true, true, true];
    let none: &[(&str, &[String])] = &[];
    let e = ancova(&y, &treated, &[], none, 0.95).unwrap();
    let t = stats::t_test(&y[3..], &y[..3], stats::Variances::Equal, 0.95).unwrap();
    close(e.estimate, t.estimate, "estimate");
    close(e.p_value, t.p_value, "p");
    close(e.ci_lower, t.ci_lower, "lower");
}
