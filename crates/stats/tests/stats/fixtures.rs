//! Reading the fixtures and comparing to them.

use serde_json::Value;

/// Relative tolerance against the references.
pub const RELATIVE: f64 = 1e-9;
/// Absolute tolerance for values near zero (where the references' own `1 - cdf` loses the
/// relative digits).
pub const ABSOLUTE: f64 = 1e-14;

pub fn load(text: &str) -> Value {
    serde_json::from_str(text).expect("fixture is JSON")
}

/// A number as the fixtures write it: a JSON number, or "inf", "-inf", "nan".
pub fn f(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().expect("a number"),
        Value::String(s) => match s.as_str() {
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            "nan" => f64::NAN,
            other => panic!("not a number: {other}"),
        },
        other => panic!("not a number: {other}"),
    }
}

pub fn fs(v: &Value) -> Vec<f64> {
    v.as_array().expect("an array").iter().map(f).collect()
}

pub fn u(v: &Value) -> u64 {
    v.as_u64().expect("a count")
}

pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|s| s.as_str().expect("a string").to_owned())
        .collect()
}

pub fn bools(v: &Value) -> Vec<bool> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|b| b.as_bool().expect("a boolean"))
        .collect()
}

/// Asserts `got` is within the tolerance of `want` (NaN equals NaN, infinities exactly).
#[track_caller]
pub fn close(got: f64, want: f64, what: &str) {
    let ok = if want.is_nan() {
        got.is_nan()
    } else if want.is_infinite() {
        got == want
    } else {
        (got - want).abs() <= RELATIVE * want.abs() || (got - want).abs() <= ABSOLUTE
    };
    assert!(
        ok,
        "{what}: got {got:e}, scipy/statsmodels {want:e} (relative difference {:e})",
        ((got - want) / want).abs()
    );
}

#[track_caller]
pub fn close_all(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        close(*g, *w, &format!("{what}[{i}]"));
    }
}
