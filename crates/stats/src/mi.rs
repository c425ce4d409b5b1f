//! Rubin's rules: the estimates of one quantity from `m` completed (imputed) data sets, each
//! with its squared standard error, pooled into one estimate with its total variance, the
//! Barnard–Rubin degrees of freedom, the interval and the p-value of no effect.
//!
//! With `Q̄` the mean of the estimates, `Ū` the mean of their variances and `B` the variance
//! of the estimates (divisor `m − 1`): the total variance is `T = Ū + (1 + 1/m) B`; the
//! fraction of the variance due to the missing data is `λ = (1 + 1/m) B / T`; the degrees of
//! freedom are Barnard and Rubin's (Biometrika 1999;86:948), `ν = ν_old ν_obs / (ν_old +
//! ν_obs)` with `ν_old = (m − 1) / λ²` and `ν_obs = (ν_com + 1) / (ν_com + 3) ν_com (1 − λ)`,
//! `ν_com` the complete-data degrees of freedom (an infinite `ν_com` gives Rubin's original
//! `ν_old`). When the estimates agree exactly (`B = 0`), `ν = ν_obs`.
//!
//! Checked against numpy and scipy on estimates and variances from statsmodels OLS fits
//! (`tools/python/stats_fixtures.py`, `rubin.json`).

use crate::dist;
use crate::error::{at_least, finite, level as check_level, StatsError};

/// The pooled result of `m` completed-data analyses.
#[derive(Debug, Clone, PartialEq)]
pub struct Pooled {
    /// The mean of the estimates, `Q̄`.
    pub estimate: f64,
    /// The mean of the within-imputation variances, `Ū`.
    pub within: f64,
    /// The between-imputation variance, `B`.
    pub between: f64,
    /// The total variance, `T = Ū + (1 + 1/m) B`.
    pub total: f64,
    /// `√T`.
    pub se: f64,
    /// The proportion of the total variance due to the missing data, `λ`.
    pub lambda: f64,
    /// The relative increase in variance due to the missing data, `(1 + 1/m) B / Ū`.
    pub riv: f64,
    /// Barnard–Rubin degrees of freedom.
    pub df: f64,
    /// `Q̄ / √T`.
    pub t: f64,
    /// Two-sided p-value of `Q = 0`, from Student's t with `df`.
    pub p_value: f64,
    /// Lower end of the interval.
    pub ci_lower: f64,
    /// Upper end.
    pub ci_upper: f64,
    /// The number of imputations.
    pub m: usize,
}

/// Pools `estimates` and their `variances` (squared standard errors), one per completed data
/// set, by Rubin's rules with the Barnard–Rubin degrees of freedom for complete-data degrees
/// of freedom `df_complete` (`f64::INFINITY` for a large-sample statistic); the interval at
/// `level` (e.g. 0.95).
pub fn rubin(
    estimates: &[f64],
    variances: &[f64],
    df_complete: f64,
    level: f64,
) -> Result<Pooled, StatsError> {
    let level = check_level(level)?;
    let m = estimates.len();
    at_least("estimates", m, 2)?;
    if variances.len() != m {
        return Err(StatsError::Length {
            what: "variances",
            expected: m,
            got: variances.len(),
        });
    }
    finite("estimates", estimates)?;
    finite("variances", variances)?;
    if let Some(v) = variances.iter().find(|v| **v < 0.0) {
        return Err(StatsError::Invalid {
            what: "variances",
            got: v.to_string(),
            allowed: "squared standard errors, 0 or more",
        });
    }
    if df_complete.is_nan() || df_complete <= 0.0 {
        return Err(StatsError::Invalid {
            what: "df_complete",
            got: df_complete.to_string(),
            allowed: "degrees of freedom greater than 0, or infinity",
        });
    }
    let mf = m as f64;
    let estimate = estimates.iter().sum::<f64>() / mf;
    let within = variances.iter().sum::<f64>() / mf;
    let between = estimates
        .iter()
        .map(|q| (q - estimate).powi(2))
        .sum::<f64>()
        / (mf - 1.0);
    let inflated = (1.0 + 1.0 / mf) * between;
    let total = within + inflated;
    if total == 0.0 || within == 0.0 {
        return Err(StatsError::NoVariation { what: "variances" });
    }
    let lambda = inflated / total;
    let riv = inflated / within;
    let df_observed = if df_complete.is_infinite() {
        f64::INFINITY
    } else {
        (df_complete + 1.0) / (df_complete + 3.0) * df_complete * (1.0 - lambda)
    };
    let df = if between == 0.0 {
        df_observed
    } else {
        let df_old = (mf - 1.0) / (lambda * lambda);
        if df_observed.is_infinite() {
            df_old
        } else {
            df_old * df_observed / (df_old + df_observed)
        }
    };
    let se = total.sqrt();
    let t = estimate / se;
    let (q, p_value) = if df.is_infinite() {
        (
            dist::normal_upper((1.0 - level) / 2.0),
            (2.0 * dist::normal_sf(t.abs())).min(1.0),
        )
    } else {
        (
            dist::t_upper((1.0 - level) / 2.0, df),
            dist::t_two_sided(t, df),
        )
    };
    Ok(Pooled {
        estimate,
        within,
        between,
        total,
        se,
        lambda,
        riv,
        df,
        t,
        p_value,
        ci_lower: estimate - q * se,
        ci_upper: estimate + q * se,
        m,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_estimates_keep_the_complete_data_variance_and_the_observed_df() {
        let r = rubin(&[2.0, 2.0, 2.0], &[0.25, 0.25, 0.25], 30.0, 0.95).unwrap();
        assert_eq!(
            (r.estimate, r.between, r.total, r.lambda),
            (2.0, 0.0, 0.25, 0.0)
        );
        assert!((r.df - 31.0 / 33.0 * 30.0).abs() < 1e-12, "{}", r.df);
        assert!((r.ci_upper - r.estimate - dist::t_upper(0.025, r.df) * 0.5).abs() < 1e-12);
    }

    #[test]
    fn bad_input_is_named() {
        assert!(matches!(
            rubin(&[1.0], &[1.0], 10.0, 0.95),
            Err(StatsError::TooFew {
                what: "estimates",
                ..
            })
        ));
        assert!(matches!(
            rubin(&[1.0, 2.0], &[1.0], 10.0, 0.95),
            Err(StatsError::Length {
                what: "variances",
                ..
            })
        ));
        assert!(matches!(
            rubin(&[1.0, 2.0], &[1.0, -1.0], 10.0, 0.95),
            Err(StatsError::Invalid {
                what: "variances",
                ..
            })
        ));
        assert!(matches!(
            rubin(&[1.0, 2.0], &[1.0, 1.0], 0.0, 0.95),
            Err(StatsError::Invalid {
                what: "df_complete",
                ..
            })
        ));
        assert!(matches!(
            rubin(&[1.0, 1.0], &[0.0, 0.0], 10.0, 0.95),
            Err(StatsError::NoVariation { .. })
        ));
        assert!(rubin(&[1.0, f64::NAN], &[1.0, 1.0], 10.0, 0.95).is_err());
        assert!(rubin(&[1.0, 2.0], &[1.0, 1.0], 10.0, 1.0).is_err());
    }
}
