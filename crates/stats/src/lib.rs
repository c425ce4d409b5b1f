//! The statistics of a trial's analyses, and nothing else: pure functions from numbers to
//! estimates, intervals and p-values. No I/O, no state, no `unsafe`, no panics on any input
//! (bad input is a [`StatsError`] naming the argument and what is allowed).
//!
//! - [`ols`] and [`ancova`]: least squares with t-distribution inference; ANCOVA of an outcome
//!   on a treatment indicator, covariates (e.g. the baseline score) and stratification factors.
//! - [`t_test`]: Student's and Welch's two-sample t tests.
//! - [`fisher_exact`] and [`cmh`]: 2×2 tables, alone and across strata.
//! - [`clopper_pearson`], [`wilson`], [`newcombe`]: intervals for proportions and their
//!   difference.
//! - [`mann_whitney`]: the Wilcoxon–Mann–Whitney test, exact for small samples without ties.
//! - [`kaplan_meier`], [`survival_quantile`] and [`log_rank`]: time to event with censoring.
//! - [`rubin`]: Rubin's rules pooling the analyses of multiply imputed data sets, with the
//!   Barnard–Rubin degrees of freedom.
//!
//! ```
//! // The primary analysis's shape: change at week 24 on arm, baseline and a stratum.
//! let change = [4.0, 7.5, 2.0, 9.0, 3.5, 1.0, 6.0, 8.5, 0.5, 2.5];
//! let xs228 = [true, true, false, true, false, false, true, true, false, false];
//! let baseline = [20.0, 35.0, 28.0, 40.0, 22.0, 31.0, 26.0, 38.0, 24.0, 30.0];
//! let level = ["C", "T", "C", "T", "T", "C", "C", "T", "C", "T"];
//! let effect = stats::ancova(&change, &xs228, &[("baseline", &baseline)], &[("level", &level)], 0.95)?;
//! assert!(effect.ci_lower < effect.estimate && effect.estimate < effect.ci_upper);
//! assert_eq!(effect.n, 10);
//! # Ok::<(), stats::StatsError>(())
//! ```
//!
//! Every function is checked against scipy or statsmodels on recorded fixtures
//! (`tests/fixtures/`, written by `tools/python/stats_fixtures.py`) to 1e-9 relative.
//! Distributions come from `statrs`, their quantiles polished here by Newton steps; the normal
//! tail goes through statrs' incomplete gamma function, its `erfc` being off by up to about
//! 5e-11 relative (see [`distributions`]).
#![forbid(unsafe_code)]

mod dist;
mod error;
mod linalg;
mod mi;
mod ols;
mod proportions;
mod ranks;
mod survival;
mod tables;
mod ttest;

pub use error::StatsError;
pub use mi::{rubin, Pooled as RubinPooled};
pub use ols::{ancova, ols, Coefficient, Design, OlsFit, TreatmentEffect, TREATMENT};
pub use proportions::{clopper_pearson, newcombe, wilson, Interval};
pub use ranks::{mann_whitney, MannWhitney, Method, EXACT_LIMIT};
pub use survival::{kaplan_meier, log_rank, survival_quantile, GroupEvents, KmStep, LogRank};
pub use tables::{cmh, fisher_exact, Cmh, Fisher, Table, FISHER_LIMIT};
pub use ttest::{t_test, TTest, Variances};

/// The distribution functions the tests use, for callers that need the same ones (e.g. a
/// report's critical values): Student's t, the standard normal, chi-squared and beta.
pub mod distributions {
    pub use crate::dist::{beta_ppf, chi2_sf, normal_sf, normal_upper, t_sf, t_two_sided, t_upper};
}
