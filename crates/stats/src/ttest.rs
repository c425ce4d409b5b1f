//! Two-sample t tests: Student's (pooled variance) and Welch's (unequal variances).
//!
//! Checked against scipy `ttest_ind(a, b, equal_var=…)` and its `confidence_interval`.

use crate::dist;
use crate::error::{at_least, finite, level as check_level, StatsError};

/// Which two-sample t test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variances {
    /// Student's t: one pooled variance, `n1 + n2 - 2` degrees of freedom.
    Equal,
    /// Welch's t: each sample its own variance, Welch–Satterthwaite degrees of freedom.
    Unequal,
}

/// A two-sample t test of `mean(a) - mean(b)`.
#[derive(Debug, Clone, PartialEq)]
pub struct TTest {
    /// `mean(a) - mean(b)`.
    pub estimate: f64,
    pub se: f64,
    pub t: f64,
    pub df: f64,
    /// Two-sided.
    pub p_value: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    pub n1: usize,
    pub n2: usize,
}

/// Mean and sample variance (divisor `n - 1`), by two passes.
pub(crate) fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var)
}

/// The two-sample t test of `mean(a) - mean(b)`, with a two-sided p-value and an interval at
/// `level`. Each sample needs two observations and the two together some spread.
pub fn t_test(a: &[f64], b: &[f64], variances: Variances, level: f64) -> Result<TTest, StatsError> {
    let level = check_level(level)?;
    finite("a", a)?;
    finite("b", b)?;
    at_least("a", a.len(), 2)?;
    at_least("b", b.len(), 2)?;
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let (m1, v1) = mean_var(a);
    let (m2, v2) = mean_var(b);
    let (se, df) = match variances {
        Variances::Equal => {
            let pooled = ((n1 - 1.0) * v1 + (n2 - 1.0) * v2) / (n1 + n2 - 2.0);
            ((pooled * (1.0 / n1 + 1.0 / n2)).sqrt(), n1 + n2 - 2.0)
        }
        Variances::Unequal => {
            let (s1, s2) = (v1 / n1, v2 / n2);
            let df = (s1 + s2).powi(2) / (s1 * s1 / (n1 - 1.0) + s2 * s2 / (n2 - 1.0));
            ((s1 + s2).sqrt(), df)
        }
    };
    if se == 0.0 || !df.is_finite() {
        return Err(StatsError::NoVariation { what: "a and b" });
    }
    let estimate = m1 - m2;
    let t = estimate / se;
    let q = dist::t_upper((1.0 - level) / 2.0, df);
    Ok(TTest {
        estimate,
        se,
        t,
        df,
        p_value: dist::t_two_sided(t, df),
        ci_lower: estimate - q * se,
        ci_upper: estimate + q * se,
        n1: a.len(),
        n2: b.len(),
    })
}
