//! Time to event with right censoring: the Kaplan–Meier estimate with Greenwood's standard
//! error, and the (stratified) log-rank test of two or more groups.
//!
//! Checked against statsmodels `SurvfuncRight` (`surv_times`, `n_risk`, `n_events`,
//! `surv_prob`, `surv_prob_se`) and `survdiff` (`chisq`, `pvalue`).

use crate::dist;
use crate::error::{at_least, finite, StatsError};
use crate::linalg;

/// The estimate at one time at which at least one event happened.
#[derive(Debug, Clone, PartialEq)]
pub struct KmStep {
    pub time: f64,
    /// At risk just before `time` (censored at `time` count as at risk).
    pub at_risk: usize,
    pub events: usize,
    /// `S(time)`, the product of `1 - events/at_risk` so far.
    pub survival: f64,
    /// Greenwood's standard error of `S(time)`; `None` once every one at risk has had the
    /// event (it is undefined from then on).
    pub se: Option<f64>,
}

fn check(times: &[f64], events: &[bool]) -> Result<(), StatsError> {
    finite("times", times)?;
    at_least("times", times.len(), 1)?;
    if events.len() != times.len() {
        return Err(StatsError::Length {
            what: "events",
            expected: times.len(),
            got: events.len(),
        });
    }
    if let Some(index) = times.iter().position(|t| *t < 0.0) {
        return Err(StatsError::Invalid {
            what: "times",
            got: format!("{} at index {index}", times[index]),
            allowed: "times of 0 or more",
        });
    }
    Ok(())
}

/// For each distinct time, ascending: (time, at risk, events), counting only the observations
/// that `keep` selects.
fn table(times: &[f64], events: &[bool], keep: impl Fn(usize) -> bool) -> Vec<(f64, usize, usize)> {
    let mut order: Vec<usize> = (0..times.len()).filter(|&i| keep(i)).collect();
    order.sort_by(|&i, &j| times[i].total_cmp(&times[j]));
    let mut rows = Vec::new();
    let mut remaining = order.len();
    let mut i = 0;
    while i < order.len() {
        let t = times[order[i]];
        let (mut leaving, mut d) = (0, 0);
        while i < order.len() && times[order[i]] == t {
            leaving += 1;
            d += usize::from(events[order[i]]);
            i += 1;
        }
        rows.push((t, remaining, d));
        remaining -= leaving;
    }
    rows
}

/// The Kaplan–Meier estimate of the survival function from `times` (event or censoring) and
/// `events` (true for an event, false for censoring), at each time with an event.
pub fn kaplan_meier(times: &[f64], events: &[bool]) -> Result<Vec<KmStep>, StatsError> {
    check(times, events)?;
    let mut survival = 1.0;
    let mut greenwood = Some(0.0);
    let mut steps = Vec::new();
    for (time, n, d) in table(times, events, |_| true) {
        if d == 0 {
            continue;
        }
        let (n_f, d_f) = (n as f64, d as f64);
        survival *= 1.0 - d_f / n_f;
        greenwood = greenwood.and_then(|g| (n > d).then(|| g + d_f / (n_f * (n_f - d_f))));
        steps.push(KmStep {
            time,
            at_risk: n,
            events: d,
            survival,
            se: greenwood.map(|g| survival * g.sqrt()),
        });
    }
    Ok(steps)
}

/// The `p` quantile of the time to event from a Kaplan–Meier curve (`p = 0.5`: the median):
/// the first time at which the survival is below `1 - p` (strictly, as SAS and statsmodels);
/// `None` when the curve never gets there or `p` is not in (0, 1).
pub fn survival_quantile(steps: &[KmStep], p: f64) -> Option<f64> {
    if !(p > 0.0 && p < 1.0) {
        return None;
    }
    steps.iter().find(|s| s.survival < 1.0 - p).map(|s| s.time)
}

/// Observed and expected events of one group in a log-rank test.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupEvents {
    pub group: String,
    pub observed: f64,
    pub expected: f64,
}

/// The log-rank test.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRank {
    /// `(O - E)ᵀ V⁻¹ (O - E)` over all groups but the first (in sorted order).
    pub statistic: f64,
    /// Number of groups less one.
    pub df: f64,
    pub p_value: f64,
    /// Each group in sorted order, summed over the times with more than one at risk (the only
    /// times that carry information) and over the strata.
    pub groups: Vec<GroupEvents>,
}

/// The log-rank test that the groups have one survival function, stratified when `strata` is
/// given (observed minus expected and its covariance summed over the strata).
pub fn log_rank<S: AsRef<str>>(
    times: &[f64],
    events: &[bool],
    groups: &[S],
    strata: Option<&[S]>,
) -> Result<LogRank, StatsError> {
    check(times, events)?;
    let labels = |what: &'static str, v: &[S]| -> Result<Vec<String>, StatsError> {
        if v.len() != times.len() {
            return Err(StatsError::Length {
                what,
                expected: times.len(),
                got: v.len(),
            });
        }
        let mut u: Vec<String> = v.iter().map(|s| s.as_ref().to_owned()).collect();
        u.sort_unstable();
        u.dedup();
        Ok(u)
    };
    let names = labels("groups", groups)?;
    if names.len() < 2 {
        return Err(StatsError::Invalid {
            what: "groups",
            got: format!("{} group", names.len()),
            allowed: "two or more groups",
        });
    }
    let stratum_names = match strata {
        Some(s) => labels("strata", s)?,
        None => vec![String::new()],
    };
    let k = names.len();
    let group_of: Vec<usize> = groups
        .iter()
        .map(|g| names.iter().position(|n| n == g.as_ref()).unwrap_or(0))
        .collect();
    let mut observed = vec![0.0; k];
    let mut expected = vec![0.0; k];
    let mut var = vec![vec![0.0; k - 1]; k - 1];
    for stratum in &stratum_names {
        let in_stratum = |i: usize| strata.is_none_or(|s| s[i].as_ref() == stratum);
        let all = table(times, events, in_stratum);
        let per: Vec<Vec<(f64, usize, usize)>> = (0..k)
            .map(|g| table(times, events, |i| in_stratum(i) && group_of[i] == g))
            .collect();
        // Walk the stratum's times; each group's rows are a subsequence of them.
        let mut at = vec![0usize; k];
        for &(t, n, d) in &all {
            let mut n_g = vec![0.0; k];
            let mut d_g = vec![0.0; k];
            for g in 0..k {
                let rows = &per[g];
                while at[g] < rows.len() && rows[at[g]].0 < t {
                    at[g] += 1;
                }
                if let Some(&(tg, ng, dg)) = rows.get(at[g]) {
                    n_g[g] = ng as f64;
                    if tg == t {
                        d_g[g] = dg as f64;
                    }
                }
            }
            if n < 2 {
                continue;
            }
            let (n, d) = (n as f64, d as f64);
            let scale = d * (n - d) / (n - 1.0);
            for g in 0..k {
                observed[g] += d_g[g];
                expected[g] += n_g[g] / n * d;
            }
            for g in 1..k {
                for h in 1..k {
                    let delta = if g == h { 1.0 } else { 0.0 };
                    var[g - 1][h - 1] += scale * n_g[g] / n * (delta - n_g[h] / n);
                }
            }
        }
    }
    let diff: Vec<f64> = (1..k).map(|g| observed[g] - expected[g]).collect();
    let columns: Vec<Vec<f64>> = (0..k - 1)
        .map(|j| (0..k - 1).map(|i| var[i][j]).collect())
        .collect();
    let qr = linalg::qr(&columns, &diff).map_err(|_| StatsError::NoVariation { what: "events" })?;
    let solved = linalg::back_solve(&qr.r, &qr.qty);
    let statistic: f64 = diff.iter().zip(&solved).map(|(a, b)| a * b).sum();
    let df = (k - 1) as f64;
    Ok(LogRank {
        statistic,
        df,
        p_value: dist::chi2_sf(statistic, df),
        groups: names
            .into_iter()
            .enumerate()
            .map(|(g, group)| GroupEvents {
                group,
                observed: observed[g],
                expected: expected[g],
            })
            .collect(),
    })
}
