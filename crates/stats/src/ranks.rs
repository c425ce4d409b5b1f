//! The Wilcoxon–Mann–Whitney rank-sum test of two independent samples.
//!
//! Checked against scipy `mannwhitneyu(a, b, alternative="two-sided", method=…)`.

use crate::dist;
use crate::error::{at_least, finite, StatsError};

/// How the p-value is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// As scipy's `"auto"`: exact when one sample has at most 8 observations and there are no
    /// ties, asymptotic otherwise (here also asymptotic when the exact distribution would have
    /// more than [`EXACT_LIMIT`] points).
    Auto,
    /// The exact null distribution of U (no ties allowed: it is not corrected for them).
    Exact,
    /// The normal approximation with the tie correction of the variance; `continuity` takes ½
    /// from `|U - mn/2|` (scipy's default).
    Asymptotic { continuity: bool },
}

/// The largest `n1 · n2` for which the exact distribution is enumerated.
pub const EXACT_LIMIT: usize = 1_000_000;

/// The result of the test.
#[derive(Debug, Clone, PartialEq)]
pub struct MannWhitney {
    /// `U` of the first sample: the number of pairs `(a_i, b_j)` with `a_i > b_j`, ties
    /// counting one half (scipy's `statistic`).
    pub u: f64,
    /// Two-sided.
    pub p_value: f64,
    /// Whether the p-value came from the exact distribution.
    pub exact: bool,
    /// The normal deviate, for the asymptotic method.
    pub z: Option<f64>,
}

/// Average ranks (1-based) of `values`, and the sizes of the groups of ties.
fn ranks(values: &[f64]) -> (Vec<f64>, Vec<usize>) {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
    let mut ranks = vec![0.0; values.len()];
    let mut ties = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Positions start..end share the average of ranks start+1 ..= end.
        let average = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = average;
        }
        ties.push(end - start);
        start = end;
    }
    (ranks, ties)
}

/// The Wilcoxon–Mann–Whitney test of `a` against `b`, two-sided.
pub fn mann_whitney(a: &[f64], b: &[f64], method: Method) -> Result<MannWhitney, StatsError> {
    finite("a", a)?;
    finite("b", b)?;
    at_least("a", a.len(), 1)?;
    at_least("b", b.len(), 1)?;
    let (n1, n2) = (a.len(), b.len());
    let all: Vec<f64> = a.iter().chain(b).copied().collect();
    let (r, ties) = ranks(&all);
    let r1: f64 = r[..n1].iter().sum();
    let (m, n) = (n1 as f64, n2 as f64);
    let u1 = r1 - m * (m + 1.0) / 2.0;
    let u = u1.max(m * n - u1);
    let tied = ties.iter().any(|t| *t > 1);
    let exact = match method {
        Method::Exact if tied => {
            return Err(StatsError::Invalid {
                what: "method",
                got: "exact with tied values".to_owned(),
                allowed: "exact only without ties; auto or asymptotic with ties",
            })
        }
        Method::Exact => true,
        Method::Auto => (n1 <= 8 || n2 <= 8) && !tied && n1 * n2 <= EXACT_LIMIT,
        Method::Asymptotic { .. } => false,
    };
    if exact {
        if n1 * n2 > EXACT_LIMIT {
            return Err(StatsError::TooLarge {
                what: "method",
                n1,
                n2,
            });
        }
        let counts = u_counts(n1.min(n2), n1.max(n2)).ok_or(StatsError::TooLarge {
            what: "method",
            n1,
            n2,
        })?;
        let at = u.round() as usize;
        let upper: i128 = counts[at.min(counts.len())..].iter().sum();
        let total: i128 = counts.iter().sum();
        let p = 2.0 * (upper as f64 / total as f64);
        return Ok(MannWhitney {
            u: u1,
            p_value: p.min(1.0),
            exact: true,
            z: None,
        });
    }
    let continuity = !matches!(method, Method::Asymptotic { continuity: false });
    let total = m + n;
    let tie_term: f64 = ties.iter().map(|&t| (t as f64).powi(3) - t as f64).sum();
    let s = (m * n / 12.0 * ((total + 1.0) - tie_term / (total * (total - 1.0)))).sqrt();
    if s.is_nan() || s <= 0.0 {
        return Err(StatsError::NoVariation { what: "a and b" });
    }
    let mut numerator = u - m * n / 2.0;
    if continuity {
        numerator -= 0.5;
    }
    let z = numerator / s;
    Ok(MannWhitney {
        u: u1,
        p_value: (2.0 * dist::normal_sf(z)).min(1.0),
        exact: false,
        z: Some(z),
    })
}

/// The number of arrangements of `m` and `k` distinct values giving each U = 0 ..= mk: the
/// coefficients of the Gaussian binomial `∏_{i=1..m} (1 - q^(k+i)) / (1 - q^i)`, in exact
/// integers. `None` if they do not fit in `i128`.
fn u_counts(m: usize, k: usize) -> Option<Vec<i128>> {
    let mut c = vec![0_i128; m * k + 1];
    c[0] = 1;
    let mut degree = 0;
    for i in 1..=m {
        // Multiply by (1 - q^(k+i)).
        let shift = k + i;
        degree += k;
        let top = (degree + i).min(c.len() - 1);
        for j in (shift..=top).rev() {
            c[j] = c[j].checked_sub(c[j - shift])?;
        }
        // Divide by (1 - q^i): c[j] += c[j - i].
        for j in i..=degree {
            c[j] = c[j].checked_add(c[j - i])?;
        }
        // The quotient has degree ik: the product's terms above it are spent.
        for x in c.iter_mut().skip(degree + 1).take(i) {
            *x = 0;
        }
    }
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u_counts_are_the_gaussian_binomial() {
        // [4 choose 2]_q = 1 + q + 2q² + q³ + q⁴.
        assert_eq!(u_counts(2, 2).unwrap(), vec![1, 1, 2, 1, 1]);
        let c = u_counts(5, 7).unwrap();
        assert_eq!(c.iter().sum::<i128>(), 792); // C(12, 5)
        assert!(c.iter().zip(c.iter().rev()).all(|(x, y)| x == y));
        // C(150, 75) ≈ 9e43 does not fit.
        assert!(u_counts(75, 75).is_none());
    }

    #[test]
    fn ranks_average_ties() {
        let (r, t) = ranks(&[3.0, 1.0, 3.0, 2.0]);
        assert_eq!(r, vec![3.5, 1.0, 3.5, 2.0]);
        assert_eq!(t, vec![1, 1, 2]);
    }
}
