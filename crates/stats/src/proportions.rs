//! Intervals for proportions: Clopper–Pearson (exact) and Wilson score for one proportion,
//! Newcombe's hybrid Wilson score interval for the difference of two.
//!
//! Checked against statsmodels `proportion_confint(method="beta" | "wilson")` and
//! `confint_proportions_2indep(method="newcomb", compare="diff")`.

use crate::dist;
use crate::error::{level as check_level, StatsError};

/// An interval for a proportion or a difference of proportions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// The observed proportion (or difference).
    pub estimate: f64,
    pub lower: f64,
    pub upper: f64,
}

fn counts(count: u64, n: u64) -> Result<(), StatsError> {
    if n == 0 {
        return Err(StatsError::TooFew {
            what: "n",
            needed: 1,
            got: 0,
        });
    }
    if count > n {
        return Err(StatsError::Invalid {
            what: "count",
            got: format!("{count} of {n}"),
            allowed: "0 to n",
        });
    }
    Ok(())
}

/// The Clopper–Pearson interval for `count` successes of `n`: the beta quantiles, with 0 as
/// the lower bound when `count = 0` and 1 as the upper when `count = n`.
pub fn clopper_pearson(count: u64, n: u64, level: f64) -> Result<Interval, StatsError> {
    let level = check_level(level)?;
    counts(count, n)?;
    let tail = (1.0 - level) / 2.0;
    let (k, n_f) = (count as f64, n as f64);
    let lower = if count == 0 {
        0.0
    } else {
        dist::beta_ppf(tail, k, n_f - k + 1.0)
    };
    let upper = if count == n {
        1.0
    } else {
        // The upper tail quantile of Beta(k + 1, n - k) is 1 - the lower one of Beta(n - k, k + 1).
        1.0 - dist::beta_ppf(tail, n_f - k, k + 1.0)
    };
    Ok(Interval {
        estimate: k / n_f,
        lower,
        upper,
    })
}

/// The Wilson score interval for `count` successes of `n`.
pub fn wilson(count: u64, n: u64, level: f64) -> Result<Interval, StatsError> {
    let level = check_level(level)?;
    counts(count, n)?;
    let z = dist::normal_upper((1.0 - level) / 2.0);
    Ok(wilson_z(count as f64, n as f64, z))
}

fn wilson_z(k: f64, n: f64, z: f64) -> Interval {
    let p = k / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    // At none and at all the bound is exactly 0 or 1 (the formula's terms cancel); elsewhere
    // clipped to [0, 1] against rounding, as statsmodels does.
    Interval {
        estimate: p,
        lower: if k == 0.0 {
            0.0
        } else {
            (centre - half).clamp(0.0, 1.0)
        },
        upper: if k == n {
            1.0
        } else {
            (centre + half).clamp(0.0, 1.0)
        },
    }
}

/// Newcombe's hybrid score interval (his method 10) for `count1/n1 - count2/n2`, from the two
/// Wilson intervals.
pub fn newcombe(
    count1: u64,
    n1: u64,
    count2: u64,
    n2: u64,
    level: f64,
) -> Result<Interval, StatsError> {
    let level = check_level(level)?;
    counts(count1, n1)?;
    counts(count2, n2)?;
    let z = dist::normal_upper((1.0 - level) / 2.0);
    let one = wilson_z(count1 as f64, n1 as f64, z);
    let two = wilson_z(count2 as f64, n2 as f64, z);
    let (p1, p2) = (one.estimate, two.estimate);
    let d = p1 - p2;
    Ok(Interval {
        estimate: d,
        // Within [-1, 1] in exact arithmetic; clipped against rounding.
        lower: (d - ((p1 - one.lower).powi(2) + (two.upper - p2).powi(2)).sqrt()).max(-1.0),
        upper: (d + ((one.upper - p1).powi(2) + (p2 - two.lower).powi(2)).sqrt()).min(1.0),
    })
}
