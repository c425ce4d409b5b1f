//! The distributions the tests refer to, from `statrs`, with each quantile polished by Newton
//! steps on the tail function so that it is as accurate as the tail function itself (statrs'
//! own inverses stop at about 1e-9 to 1e-12 relative).
//!
//! The callers check the parameters (degrees of freedom > 0, probabilities in (0, 1)); should a
//! parameter still be out of range, the result is NaN, never a panic.

use statrs::distribution::{Beta, ChiSquared, Continuous, ContinuousCDF, Normal, StudentsT};

/// Upper tail `P(T > x)` of Student's t with `df` degrees of freedom.
pub fn t_sf(x: f64, df: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |t| t.sf(x))
}

/// Two-sided p-value of a t statistic: `2 P(T > |t|)`.
pub fn t_two_sided(t: f64, df: f64) -> f64 {
    (2.0 * t_sf(t.abs(), df)).min(1.0)
}

/// The upper `tail` quantile of Student's t: `q` with `P(T > q) = tail`.
pub fn t_upper(tail: f64, df: f64) -> f64 {
    let Ok(t) = StudentsT::new(0.0, 1.0, df) else {
        return f64::NAN;
    };
    if !(tail > 0.0 && tail < 1.0) {
        return f64::NAN;
    }
    let start = t.inverse_cdf(1.0 - tail);
    polish(start, tail, |x| t.sf(x), |x| t.pdf(x))
}

/// Upper tail `P(Z > x)` of the standard normal.
pub fn normal_sf(x: f64) -> f64 {
    Normal::standard().sf(x)
}

/// The upper `tail` quantile of the standard normal (`z` with `P(Z > z) = tail`).
pub fn normal_upper(tail: f64) -> f64 {
    let n = Normal::standard();
    if !(tail > 0.0 && tail < 1.0) {
        return f64::NAN;
    }
    polish(n.inverse_cdf(1.0 - tail), tail, |x| n.sf(x), |x| n.pdf(x))
}

/// Upper tail `P(X > x)` of the chi-squared distribution with `df` degrees of freedom.
pub fn chi2_sf(x: f64, df: f64) -> f64 {
    ChiSquared::new(df).map_or(f64::NAN, |c| c.sf(x))
}

/// The `p` quantile of the beta distribution (`x` with `P(X ≤ x) = p`).
pub fn beta_ppf(p: f64, a: f64, b: f64) -> f64 {
    let Ok(d) = Beta::new(a, b) else {
        return f64::NAN;
    };
    if !(p > 0.0 && p < 1.0) {
        return f64::NAN;
    }
    // Newton on the upper tail, which decreases: the same step as for an upper quantile with
    // tail 1 - p, but written with the lower tail to keep small p exact.
    let mut x = d.inverse_cdf(p);
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    for _ in 0..100 {
        let f = d.cdf(x) - p;
        if f == 0.0 {
            break;
        }
        if f > 0.0 {
            hi = hi.min(x);
        } else {
            lo = lo.max(x);
        }
        let density = d.pdf(x);
        let mut next = x - f / density;
        if !(next > lo && next < hi) || !next.is_finite() {
            next = 0.5 * (lo + hi);
        }
        if (next - x).abs() <= 4.0 * f64::EPSILON * x.abs() {
            x = next;
            break;
        }
        x = next;
    }
    x
}

/// Newton steps for `sf(x) = tail` (sf decreasing, derivative `-pdf`) from `x`, kept inside the
/// bracket found so far, until the step is at the last bits.
fn polish(mut x: f64, tail: f64, sf: impl Fn(f64) -> f64, pdf: impl Fn(f64) -> f64) -> f64 {
    let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
    for _ in 0..100 {
        let f = sf(x) - tail;
        if f == 0.0 {
            break;
        }
        if f > 0.0 {
            lo = lo.max(x);
        } else {
            hi = hi.min(x);
        }
        let mut next = x + f / pdf(x);
        if !(next > lo && next < hi) || !next.is_finite() {
            if lo.is_finite() && hi.is_finite() {
                next = 0.5 * (lo + hi);
            } else {
                break;
            }
        }
        if (next - x).abs() <= 4.0 * f64::EPSILON * x.abs().max(f64::MIN_POSITIVE) {
            x = next;
            break;
        }
        x = next;
    }
    x
}
