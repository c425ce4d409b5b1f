//! 2×2 tables: Fisher's exact test, and the Cochran–Mantel–Haenszel test with the
//! Mantel–Haenszel common odds ratio across strata.
//!
//! A table is `[[a, b], [c, d]]`: rows are the groups (e.g. treated, control), columns the
//! outcome (e.g. converted, not converted). Checked against scipy `fisher_exact` and
//! statsmodels `StratifiedTable` (`test_null_odds`, `oddsratio_pooled`, `logodds_pooled_se`,
//! `oddsratio_pooled_confint`).

use crate::dist;
use crate::error::{level as check_level, StatsError};

/// A 2×2 table of counts, `[[a, b], [c, d]]`.
pub type Table = [[u64; 2]; 2];

/// Fisher's exact test of a 2×2 table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fisher {
    /// The sample odds ratio `ad / bc`: infinite when `b` or `c` is 0, NaN when a row or a
    /// column is empty (as scipy).
    pub odds_ratio: f64,
    /// Two-sided: the probability, given the margins, of a table no more likely than the one
    /// observed (relative tolerance 1e-14 in "no more likely", as scipy).
    pub p_value: f64,
}

/// The largest table total [`fisher_exact`] enumerates (its distribution has at most this
/// many points plus one).
pub const FISHER_LIMIT: u64 = 10_000_000;

/// Fisher's exact test, two-sided as scipy `fisher_exact` computes it. A table whose total is
/// over [`FISHER_LIMIT`] is refused (a chi-squared or CMH test serves there).
pub fn fisher_exact(table: Table) -> Result<Fisher, StatsError> {
    let [[a, b], [c, d]] = table;
    let total = [a, b, c, d]
        .iter()
        .try_fold(0_u64, |s, v| s.checked_add(*v))
        .filter(|t| *t <= FISHER_LIMIT)
        .ok_or_else(|| StatsError::Invalid {
            what: "table",
            got: format!("{table:?}"),
            allowed: "a total of at most 10,000,000",
        })?;
    let (row1, row2, col1, col2) = (a + b, c + d, a + c, b + d);
    if row1 == 0 || row2 == 0 || col1 == 0 || col2 == 0 {
        return Ok(Fisher {
            odds_ratio: f64::NAN,
            p_value: 1.0,
        });
    }
    let odds_ratio = if b > 0 && c > 0 {
        (a as f64 * d as f64) / (b as f64 * c as f64)
    } else {
        f64::INFINITY
    };
    // The hypergeometric distribution of the top-left cell given the margins, up to a
    // constant, from the mode outwards by the ratio of successive terms.
    let (lo, hi) = (col1.saturating_sub(row2), col1.min(row1));
    let mode = (((col1 + 1) as f64 * (row1 + 1) as f64) / (total + 2) as f64) as u64;
    let mode = mode.clamp(lo, hi);
    let len = (hi - lo + 1) as usize;
    let mut w = vec![0.0_f64; len];
    w[(mode - lo) as usize] = 1.0;
    for x in mode..hi {
        // f(x+1)/f(x) = (row1 - x)(col1 - x) / ((x + 1)(row2 - col1 + x + 1))
        let ratio = ((row1 - x) as f64 * (col1 - x) as f64)
            / ((x + 1) as f64 * (row2 + x + 1 - col1) as f64);
        w[(x + 1 - lo) as usize] = w[(x - lo) as usize] * ratio;
    }
    for x in (lo + 1..=mode).rev() {
        let ratio =
            ((row1 - x + 1) as f64 * (col1 - x + 1) as f64) / (x as f64 * (row2 + x - col1) as f64);
        w[(x - 1 - lo) as usize] = w[(x - lo) as usize] / ratio;
    }
    let observed = w[(a - lo) as usize];
    let at_mode = w[(mode - lo) as usize];
    if (observed - at_mode).abs() / observed.max(at_mode) <= 1e-14 {
        return Ok(Fisher {
            odds_ratio,
            p_value: 1.0,
        });
    }
    let bound = observed * (1.0 + 1e-14);
    let mut tail: Vec<f64> = w.iter().copied().filter(|v| *v <= bound).collect();
    let mut all = w;
    // Smallest first, for the sums' accuracy.
    tail.sort_by(f64::total_cmp);
    all.sort_by(f64::total_cmp);
    let p = tail.iter().sum::<f64>() / all.iter().sum::<f64>();
    Ok(Fisher {
        odds_ratio,
        p_value: p.min(1.0),
    })
}

/// The Cochran–Mantel–Haenszel test across strata, with the Mantel–Haenszel common odds ratio.
#[derive(Debug, Clone, PartialEq)]
pub struct Cmh {
    /// `(|Σ(a - E a)| - k)² / Σ Var a`, chi-squared with one degree of freedom under the null
    /// of a common odds ratio of 1 (`k` the continuity correction, 0 or ½).
    pub statistic: f64,
    pub p_value: f64,
    /// Mantel–Haenszel: `Σ(ad/n) / Σ(bc/n)`; 0 or infinite when one sum is 0, NaN when both are.
    pub odds_ratio: f64,
    /// Standard error of its logarithm (Robins, Breslow and Greenland 1986); `None` when the
    /// odds ratio is 0, infinite or NaN.
    pub log_odds_ratio_se: Option<f64>,
    /// The interval `exp(log OR ∓ z se)` at the level asked; `None` as the standard error.
    pub ci: Option<(f64, f64)>,
    /// Strata that count (those with at least two observations).
    pub strata: usize,
}

/// The Cochran–Mantel–Haenszel test of `tables`, one per stratum. With `correction`, the
/// continuity correction of ½ is applied when `|Σ(a - E a)| ≥ ½` (as R's `mantelhaen.test`;
/// statsmodels subtracts ½ always, which is the same whenever the fixtures exercise it).
/// Strata of fewer than two observations carry no information and are left out.
pub fn cmh(tables: &[Table], correction: bool, level: f64) -> Result<Cmh, StatsError> {
    let level = check_level(level)?;
    let used: Vec<[f64; 4]> = tables
        .iter()
        .map(|[[a, b], [c, d]]| [*a as f64, *b as f64, *c as f64, *d as f64])
        .filter(|[a, b, c, d]| a + b + c + d >= 2.0)
        .collect();
    if used.is_empty() {
        return Err(StatsError::TooFew {
            what: "tables",
            needed: 1,
            got: 0,
        });
    }
    let (mut delta, mut var, mut r, mut s) = (0.0, 0.0, 0.0, 0.0);
    let (mut pr, mut ps_qr, mut qs) = (0.0, 0.0, 0.0);
    for [a, b, c, d] in &used {
        let n = a + b + c + d;
        delta += a - (a + b) * (a + c) / n;
        var += (a + b) * (a + c) * (b + d) * (c + d) / (n * n * (n - 1.0));
        let (ad, bc) = (a * d / n, b * c / n);
        let (p, q) = ((a + d) / n, (b + c) / n);
        r += ad;
        s += bc;
        pr += p * ad;
        ps_qr += p * bc + q * ad;
        qs += q * bc;
    }
    if var == 0.0 {
        return Err(StatsError::NoVariation { what: "tables" });
    }
    let k = if correction && delta.abs() >= 0.5 {
        0.5
    } else {
        0.0
    };
    let statistic = (delta.abs() - k).powi(2) / var;
    let odds_ratio = r / s;
    let (log_odds_ratio_se, ci) = if r > 0.0 && s > 0.0 {
        let v = (pr / (r * r) + ps_qr / (r * s) + qs / (s * s)) / 2.0;
        let se = v.sqrt();
        let z = dist::normal_upper((1.0 - level) / 2.0);
        let log = odds_ratio.ln();
        (Some(se), Some(((log - z * se).exp(), (log + z * se).exp())))
    } else {
        (None, None)
    };
    Ok(Cmh {
        statistic,
        p_value: dist::chi2_sf(statistic, 1.0),
        odds_ratio,
        log_odds_ratio_se,
        ci,
        strata: used.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_correction_is_skipped_when_the_difference_is_below_a_half() {
        // One stratum, a = E a exactly: no correction can make the statistic positive.
        let t = cmh(&[[[2, 2], [2, 2]]], true, 0.95).unwrap();
        assert_eq!(t.statistic, 0.0);
        assert_eq!(t.p_value, 1.0);
    }

    #[test]
    fn empty_or_single_observation_strata_are_refused_or_left_out() {
        assert!(matches!(
            cmh(&[[[0, 0], [0, 0]], [[1, 0], [0, 0]]], false, 0.95),
            Err(StatsError::TooFew { .. })
        ));
        let with = cmh(&[[[3, 1], [1, 3]], [[1, 0], [0, 0]]], false, 0.95).unwrap();
        let without = cmh(&[[[3, 1], [1, 3]]], false, 0.95).unwrap();
        assert_eq!(with.statistic, without.statistic);
        assert_eq!(with.strata, 1);
    }
}
