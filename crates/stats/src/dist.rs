//! The distributions the tests refer to, from `statrs`, with each quantile polished by Newton
//! steps on the tail function so that it is as accurate as the tail function itself (statrs'
//! own inverses stop at about 1e-9 to 1e-12 relative).
//!
//! statrs' own normal distribution (`erfc`) is off by up to about 5e-11 relative in the
//! tails that matter (e.g. `P(Z > 1.96)`), so the normal tail here is written through the
//! regularised incomplete gamma function instead, which statrs computes to about 1e-15:
//! `P(Z > x) = Q(1/2, x²/2) / 2` for `x ≥ 0`.
//!
//! The callers check the parameters (degrees of freedom > 0, probabilities in (0, 1)); should a
//! parameter still be out of range, the result is NaN, never a panic.

use statrs::distribution::{Beta, ChiSquared, Continuous, ContinuousCDF, Normal, StudentsT};
use statrs::function::gamma::checked_gamma_ur;

/// Upper tail `P(T > x)` of Student's t with `df` degrees of freedom.
pub fn t_sf(x: f64, df: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |t| nan_safe(x, |x| t.sf(x)))
}

/// `f(x)`, or NaN for a NaN `x` (statrs' tails panic on one).
fn nan_safe(x: f64, f: impl Fn(f64) -> f64) -> f64 {
    if x.is_nan() {
        f64::NAN
    } else {
        f(x)
    }
}

/// Two-sided p-value of a t statistic: `2 P(T > |t|)`.
pub fn t_two_sided(t: f64, df: f64) -> f64 {
    // Not `min`, which would turn NaN into 1.
    let p = 2.0 * t_sf(t.abs(), df);
    if p > 1.0 {
        1.0
    } else {
        p
    }
}

/// The upper `tail` quantile of Student's t: `q` with `P(T > q) = tail`.
pub fn t_upper(tail: f64, df: f64) -> f64 {
    let Ok(t) = StudentsT::new(0.0, 1.0, df) else {
        return f64::NAN;
    };
    if !(tail > 0.0 && tail < 1.0) {
        return f64::NAN;
    }
    // statrs' inverse (through its inverse incomplete beta, whose loops have no bound) only
    // where it is known to converge; for many degrees of freedom t is near the normal, from
    // whose quantile (left of t's for an upper tail below ½) Newton climbs monotonically.
    let start = if df <= 1000.0 {
        t.inverse_cdf(1.0 - tail)
    } else {
        normal_upper(tail)
    };
    polish(start, tail, |x| nan_safe(x, |x| t.sf(x)), |x| t.pdf(x))
}

/// Upper tail `P(Z > x)` of the standard normal.
pub fn normal_sf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    let half = if x == 0.0 {
        0.5
    } else {
        checked_gamma_ur(0.5, x * x / 2.0).map_or(0.0, |q| 0.5 * q)
    };
    if x >= 0.0 {
        half
    } else {
        1.0 - half
    }
}

fn normal_pdf(x: f64) -> f64 {
    (-x * x / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// The upper `tail` quantile of the standard normal (`z` with `P(Z > z) = tail`).
pub fn normal_upper(tail: f64) -> f64 {
    if !(tail > 0.0 && tail < 1.0) {
        return f64::NAN;
    }
    let start = Normal::standard().inverse_cdf(1.0 - tail);
    polish(start, tail, normal_sf, normal_pdf)
}

/// Upper tail `P(X > x)` of the chi-squared distribution with `df` degrees of freedom.
pub fn chi2_sf(x: f64, df: f64) -> f64 {
    ChiSquared::new(df).map_or(f64::NAN, |c| nan_safe(x, |x| c.sf(x)))
}

/// The `p` quantile of the beta distribution (`x` with `P(X ≤ x) = p`).
pub fn beta_ppf(p: f64, a: f64, b: f64) -> f64 {
    let Ok(d) = Beta::new(a, b) else {
        return f64::NAN;
    };
    if !(p > 0.0 && p < 1.0) {
        return f64::NAN;
    }
    // Newton on the lower tail from the mean, inside [0, 1], rather than statrs' inverse,
    // whose loops have no bound and do not end for some very large shapes.
    let start = a / (a + b);
    root(
        start,
        (0.0, 1.0),
        400,
        |x| nan_safe(x, |x| d.cdf(x)) - p,
        |x| d.pdf(x),
    )
}

/// Newton steps for `sf(x) = tail` (sf decreasing, derivative `-pdf`) from `x`.
fn polish(x: f64, tail: f64, sf: impl Fn(f64) -> f64, pdf: impl Fn(f64) -> f64) -> f64 {
    let unbounded = (f64::NEG_INFINITY, f64::INFINITY);
    root(x, unbounded, 100, |x| tail - sf(x), pdf)
}

/// The root of the increasing `f` (derivative `df`) by Newton steps from `x`, kept inside the
/// bracket `(lo, hi)` narrowed as it goes (a step leaving it bisects, or ends the search while
/// the bracket is still unbounded), until a step is at the last bits or after `steps` steps.
fn root(
    mut x: f64,
    (mut lo, mut hi): (f64, f64),
    steps: usize,
    f: impl Fn(f64) -> f64,
    df: impl Fn(f64) -> f64,
) -> f64 {
    for _ in 0..steps {
        let fx = f(x);
        if fx == 0.0 {
            break;
        }
        if fx > 0.0 {
            hi = hi.min(x);
        } else {
            lo = lo.max(x);
        }
        let mut next = x - fx / df(x);
        if !(next > lo && next < hi && next.is_finite()) {
            if lo.is_finite() && hi.is_finite() {
                next = 0.5 * (lo + hi);
            } else {
                break;
            }
        }
        if (next - x).abs() <= 4.0 * f64::EPSILON * x.abs().max(f64::MIN_POSITIVE) {
            return next;
        }
        x = next;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tails and quantiles as scipy gives them (`norm.sf`, `norm.isf`, `t.isf`), to 1e-14.
    #[test]
    fn quantiles_match_scipy() {
        let cases = [
            (normal_upper(0.025), 1.959_963_984_540_054_5),
            (normal_upper(0.005), 2.575_829_303_548_901),
            (t_upper(0.025, 10.0), 2.228_138_851_986_275_3),
            (t_upper(0.025, 3.5), 2.940_088_637_982_729_6),
            (normal_sf(3.0), 0.001_349_898_031_630_093_3),
            (normal_sf(-0.5), 0.691_462_461_274_013_1),
            (normal_sf(6.0), 9.865_876_450_376_946e-10),
            (normal_sf(0.0), 0.5),
            (normal_sf(f64::INFINITY) + 1.0, 1.0),
        ];
        for (got, want) in cases {
            assert!((got - want).abs() <= 1e-14 * want, "{got} {want}");
        }
    }

    /// A NaN argument gives NaN, never statrs' panic.
    #[test]
    fn nan_in_nan_out() {
        assert!(t_sf(f64::NAN, 3.0).is_nan());
        assert!(t_two_sided(f64::NAN, 30.0).is_nan());
        assert!(chi2_sf(f64::NAN, 2.0).is_nan());
        assert!(normal_sf(f64::NAN).is_nan());
    }
}
