//! The multiple imputation of missing changes in total motor score at the primary visit: a
//! sensitivity analysis of the primary one under "missing at random" (given the baseline
//! score, within each arm).
//!
//! Every participant in ITT with a baseline total motor score takes part; the change of one
//! without it at the primary visit is imputed. For each group (each of the two compared arms
//! in a by-arm run, everyone together in a pooled run) the regression `CHG ~ BASE` is fitted
//! on the participants observed; each of the [`IMPUTATIONS`] imputations draws the
//! regression's parameters from their posterior under the usual noninformative prior
//! (`σ*² = SSR / χ²(n − 2)`, `β* ~ N(β̂, σ*² (XᵀX)⁻¹)`: "proper" imputation) and each missing
//! change as `β*₀ + β*₁ BASE + σ* z`. Each completed data set is analysed as the primary
//! analysis is (the ANCOVA on arm, baseline and the strata; pooled: the mean change and its
//! squared standard error), and the results are pooled by Rubin's rules
//! ([`stats::rubin`], Barnard–Rubin degrees of freedom).
//!
//! The draws come from ChaCha20 seeded with [`SEED`] (Box–Muller normals; a chi-squared as a
//! sum of squared normals): the same data give the same results on every machine.

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::Serialize;

use super::results::{arms, Outcome, CONFIDENCE};
use super::{AdslRow, Datasets, Param};
use crate::study::Study;

/// The number of imputations.
pub const IMPUTATIONS: usize = 20;
/// The seed of the draws.
pub const SEED: u64 = 2_280_024;

/// How the imputation was made, in both kinds of result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Plan {
    /// The imputation model, in words.
    pub method: &'static str,
    /// The seed of the draws.
    pub seed: u64,
    /// Completed data sets.
    pub imputations: usize,
    /// Participants whose change was observed.
    pub observed: usize,
    /// Participants whose change was imputed.
    pub imputed: usize,
    /// Participants in ITT left out: no baseline total motor score to impute from.
    pub no_baseline: usize,
}

/// Rubin's rules' result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rubin {
    /// The pooled estimate.
    pub estimate: f64,
    /// Lower end of its 95% interval.
    pub ci_lower: f64,
    /// Upper end.
    pub ci_upper: f64,
    /// Two-sided p-value of no effect (by arm) or of no mean change (pooled).
    pub p_value: f64,
    /// Participants analysed (observed and imputed).
    pub n: usize,
    /// The square root of the total variance.
    pub se: f64,
    /// The total variance.
    pub total_variance: f64,
    /// The mean within-imputation variance.
    pub within_variance: f64,
    /// The between-imputation variance.
    pub between_variance: f64,
    /// Barnard–Rubin degrees of freedom.
    pub df: f64,
    /// The proportion of the variance due to the missing data (λ).
    pub fraction_missing_information: f64,
}

/// The imputation by arm: active minus control.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ImputedEffect {
    /// The pooled effect.
    #[serde(flatten)]
    pub result: Rubin,
    /// The active arm's id.
    pub active: String,
    /// Its participants (observed and imputed).
    pub n_active: usize,
    /// The control arm's id.
    pub control: String,
    /// Its participants.
    pub n_control: usize,
    /// The analysis model of each completed data set.
    pub model: String,
    /// How it was imputed.
    #[serde(flatten)]
    pub plan: Plan,
}

/// The imputation of all participants together: the mean change (no effect, no p-value:
/// nothing is compared).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ImputedMean {
    /// Always true: no arm is read.
    pub pooled: bool,
    /// The pooled mean change.
    pub mean: f64,
    /// Lower end of its 95% interval.
    pub ci_lower: f64,
    /// Upper end.
    pub ci_upper: f64,
    /// Participants (observed and imputed).
    pub n: usize,
    /// The square root of the total variance.
    pub se: f64,
    /// Barnard–Rubin degrees of freedom.
    pub df: f64,
    /// The proportion of the variance due to the missing data (λ).
    pub fraction_missing_information: f64,
    /// How it was imputed.
    #[serde(flatten)]
    pub plan: Plan,
}

/// The multiple imputation's result.
pub type MultipleImputation = Outcome<super::ByArm<ImputedEffect, ImputedMean>>;

/// A participant taking part: the ADSL record, the baseline and the change when observed.
struct Row<'a> {
    subject: &'a AdslRow,
    base: f64,
    chg: Option<f64>,
}

/// The multiple imputation of the primary analysis's missing changes, with [`SEED`].
pub fn multiple_imputation(study: &Study, data: &Datasets, unblinded: bool) -> MultipleImputation {
    multiple_imputation_seeded(study, data, unblinded, SEED, IMPUTATIONS)
}

/// [`multiple_imputation`] with another seed and number of imputations.
pub fn multiple_imputation_seeded(
    study: &Study,
    data: &Datasets,
    unblinded: bool,
    seed: u64,
    imputations: usize,
) -> MultipleImputation {
    let mut chg: Vec<Option<f64>> = vec![None; data.adsl.len()];
    for r in data
        .adisn
        .iter()
        .filter(|r| r.anl01fl && r.param == Param::Tms)
    {
        if let Some(slot) = chg.get_mut(r.subject) {
            *slot = r.chg;
        }
    }
    let compared = if unblinded {
        match arms(study) {
            Some(pair) => Some(pair),
            None => return Outcome::not("the study has no active and placebo arms to compare"),
        }
    } else {
        None
    };
    let in_analysis = |s: &AdslRow| {
        s.ittfl
            && compared
                .as_ref()
                .is_none_or(|(a, c)| s.arm.as_deref().is_some_and(|arm| arm == a || arm == c))
    };
    let mut rows = Vec::new();
    let mut no_baseline = 0;
    for (i, s) in data.adsl.iter().enumerate() {
        if !in_analysis(s) {
            continue;
        }
        match s.baselines.get(&Param::Tms).and_then(|b| b.value) {
            Some(base) => rows.push(Row {
                subject: s,
                base,
                chg: chg[i],
            }),
            None => no_baseline += 1,
        }
    }
    let plan = Plan {
        method: if unblinded {
            "regression of CHG on BASE within each arm (missing at random), parameters drawn from their posterior"
        } else {
            "regression of CHG on BASE, all participants together (missing at random), parameters drawn from their posterior"
        },
        seed,
        imputations,
        observed: rows.iter().filter(|r| r.chg.is_some()).count(),
        imputed: rows.iter().filter(|r| r.chg.is_none()).count(),
        no_baseline,
    };
    let groups: Vec<Vec<usize>> = match &compared {
        Some((active, control)) => [active, control]
            .iter()
            .map(|arm| {
                (0..rows.len())
                    .filter(|i| rows[*i].subject.arm.as_ref() == Some(*arm))
                    .collect()
            })
            .collect(),
        None => vec![(0..rows.len()).collect()],
    };
    let mut models = Vec::new();
    for group in &groups {
        match Model::fit(&rows, group) {
            Ok(m) => models.push(m),
            Err(why) => return Outcome::not(why),
        }
    }
    let mut rng = Draws(ChaCha20Rng::seed_from_u64(seed));
    let (mut estimates, mut variances, mut df_complete) = (Vec::new(), Vec::new(), 0.0);
    for _ in 0..imputations {
        let mut completed: Vec<f64> = rows.iter().map(|r| r.chg.unwrap_or(0.0)).collect();
        for (group, model) in groups.iter().zip(&models) {
            let (b0, b1, sigma) = model.draw(&mut rng);
            for &i in group {
                if rows[i].chg.is_none() {
                    completed[i] = b0 + b1 * rows[i].base + sigma * rng.normal();
                }
            }
        }
        let analysed = match &compared {
            Some((active, _)) => effect(data, &rows, &completed, active),
            None => mean(&completed),
        };
        match analysed {
            Ok((q, u, df)) => {
                estimates.push(q);
                variances.push(u);
                df_complete = df;
            }
            Err(why) => return Outcome::not(why),
        }
    }
    let pooled = match stats::rubin(&estimates, &variances, df_complete, CONFIDENCE) {
        Ok(p) => p,
        Err(e) => return Outcome::not(e.to_string()),
    };
    let result = Rubin {
        estimate: pooled.estimate,
        ci_lower: pooled.ci_lower,
        ci_upper: pooled.ci_upper,
        p_value: pooled.p_value,
        n: rows.len(),
        se: pooled.se,
        total_variance: pooled.total,
        within_variance: pooled.within,
        between_variance: pooled.between,
        df: pooled.df,
        fraction_missing_information: pooled.lambda,
    };
    Outcome::Computed(match compared {
        Some((active, control)) => {
            let n_active = groups[0].len();
            let mut model = "CHG ~ TREATED + BASE".to_owned();
            for i in 1..=data.strata.len() {
                model.push_str(&format!(" + STRAT{i}R"));
            }
            super::ByArm::Arms(ImputedEffect {
                result,
                active,
                n_active,
                control,
                n_control: rows.len() - n_active,
                model,
                plan,
            })
        }
        None => super::ByArm::Pooled(ImputedMean {
            pooled: true,
            mean: result.estimate,
            ci_lower: result.ci_lower,
            ci_upper: result.ci_upper,
            n: result.n,
            se: result.se,
            df: result.df,
            fraction_missing_information: result.fraction_missing_information,
            plan,
        }),
    })
}

/// The ANCOVA of a completed data set: the effect, its squared standard error and the residual
/// degrees of freedom.
fn effect(
    data: &Datasets,
    rows: &[Row<'_>],
    completed: &[f64],
    active: &str,
) -> Result<(f64, f64, f64), String> {
    let treated: Vec<bool> = rows
        .iter()
        .map(|r| r.subject.arm.as_deref() == Some(active))
        .collect();
    let base: Vec<f64> = rows.iter().map(|r| r.base).collect();
    let names: Vec<String> = (1..=data.strata.len())
        .map(|i| format!("STRAT{i}R"))
        .collect();
    let levels: Vec<Vec<&str>> = (0..data.strata.len())
        .map(|i| {
            rows.iter()
                .map(|r| r.subject.strata.get(i).map_or("", String::as_str))
                .collect()
        })
        .collect();
    let factors: Vec<(&str, &[&str])> = names
        .iter()
        .zip(&levels)
        .map(|(n, l)| (n.as_str(), l.as_slice()))
        .collect();
    stats::ancova(
        completed,
        &treated,
        &[("BASE", &base)],
        &factors,
        CONFIDENCE,
    )
    .map(|e| (e.estimate, e.se * e.se, e.df))
    .map_err(|e| e.to_string())
}

/// The mean of a completed data set, its squared standard error and `n − 1`.
fn mean(values: &[f64]) -> Result<(f64, f64, f64), String> {
    let n = values.len();
    if n < 2 {
        return Err(format!(
            "at least 2 participants with a baseline are needed, {n} given"
        ));
    }
    let nf = n as f64;
    let m = values.iter().sum::<f64>() / nf;
    let var = values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (nf - 1.0);
    Ok((m, var / nf, nf - 1.0))
}

/// The imputation model of one group: `CHG ~ BASE` fitted on the observed.
struct Model {
    beta: [f64; 2],
    /// The Cholesky factor (lower) of `(XᵀX)⁻¹`.
    chol: [[f64; 2]; 2],
    ssr: f64,
    df: usize,
}

impl Model {
    fn fit(rows: &[Row<'_>], group: &[usize]) -> Result<Model, String> {
        let observed: Vec<(f64, f64)> = group
            .iter()
            .filter_map(|&i| rows[i].chg.map(|c| (rows[i].base, c)))
            .collect();
        let n = observed.len();
        if n < 3 {
            return Err(format!(
                "the imputation model needs at least 3 participants with a change in each group, {n} given"
            ));
        }
        let x: Vec<f64> = observed.iter().map(|(b, _)| *b).collect();
        let y: Vec<f64> = observed.iter().map(|(_, c)| *c).collect();
        let design = stats::Design::new(n)
            .numeric("BASE", &x)
            .map_err(|e| e.to_string())?;
        let fit = stats::ols(&y, &design, CONFIDENCE).map_err(|e| e.to_string())?;
        let s2 = fit.sigma * fit.sigma;
        let inv = |i: usize, j: usize| fit.covariance[i][j] / s2;
        let l00 = inv(0, 0).sqrt();
        let l10 = inv(1, 0) / l00;
        let l11 = (inv(1, 1) - l10 * l10).max(0.0).sqrt();
        Ok(Model {
            beta: [fit.coefficients[0].estimate, fit.coefficients[1].estimate],
            chol: [[l00, 0.0], [l10, l11]],
            ssr: s2 * fit.df_resid,
            df: n - 2,
        })
    }

    /// Intercept, slope and residual standard deviation drawn from their posterior.
    fn draw(&self, rng: &mut Draws) -> (f64, f64, f64) {
        let chi2: f64 = (0..self.df).map(|_| rng.normal().powi(2)).sum();
        let sigma = (self.ssr / chi2).sqrt();
        let (z0, z1) = (rng.normal(), rng.normal());
        let b0 = self.beta[0] + sigma * self.chol[0][0] * z0;
        let b1 = self.beta[1] + sigma * (self.chol[1][0] * z0 + self.chol[1][1] * z1);
        (b0, b1, sigma)
    }
}

/// Standard normal draws from ChaCha20 (Box–Muller, one value of each pair).
struct Draws(ChaCha20Rng);

impl Draws {
    /// A uniform draw in (0, 1].
    fn uniform(&mut self) -> f64 {
        ((self.0.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_draws_have_mean_zero_and_variance_one() {
        let mut rng = Draws(ChaCha20Rng::seed_from_u64(7));
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        // Standard errors: 1/√n ≈ 0.0022 for the mean, √(2/n) ≈ 0.0032 for the variance.
        assert!(mean.abs() < 0.01, "{mean}");
        assert!((var - 1.0).abs() < 0.015, "{var}");
        let mut again = Draws(ChaCha20Rng::seed_from_u64(7));
        assert_eq!(again.normal(), xs[0]);
        assert!((0..10_000).all(|_| {
            let u = rng.uniform();
            u > 0.0 && u <= 1.0
        }));
    }
}
