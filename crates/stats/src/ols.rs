//! Ordinary least squares with t-distribution inference, and ANCOVA (an outcome on a
//! treatment indicator, numeric covariates and categorical factors) as a convenience over it.
//!
//! Checked against statsmodels `OLS` (`params`, `bse`, `tvalues`, `pvalues`, `conf_int`).
//! A design whose columns are linearly dependent is refused (`StatsError::Singular`), where
//! statsmodels would quietly use a pseudo-inverse.

use crate::dist;
use crate::error::{at_least, finite, level as check_level, StatsError};
use crate::linalg;

/// The columns of a regression: an intercept (unless built without), numeric covariates and
/// treatment-coded factors.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    n: usize,
    intercept: bool,
    names: Vec<String>,
    columns: Vec<Vec<f64>>,
}

impl Design {
    /// A design for `n` observations with an intercept column named `Intercept`.
    pub fn new(n: usize) -> Self {
        Design {
            n,
            intercept: true,
            names: vec!["Intercept".to_owned()],
            columns: vec![vec![1.0; n]],
        }
    }

    /// A design for `n` observations without an intercept.
    pub fn without_intercept(n: usize) -> Self {
        Design {
            n,
            intercept: false,
            names: Vec::new(),
            columns: Vec::new(),
        }
    }

    /// Adds a numeric column.
    pub fn numeric(mut self, name: &str, values: &[f64]) -> Result<Self, StatsError> {
        self.length("covariate", values.len())?;
        finite("covariate", values)?;
        self.names.push(name.to_owned());
        self.columns.push(values.to_vec());
        Ok(self)
    }

    /// Adds a categorical factor in treatment coding: its levels sorted, the first is the
    /// reference, each other level gets an indicator column named `name[T.level]` (as patsy
    /// names them). A factor with one level adds nothing.
    pub fn categorical<S: AsRef<str>>(
        mut self,
        name: &str,
        labels: &[S],
    ) -> Result<Self, StatsError> {
        self.length("factor", labels.len())?;
        let mut levels: Vec<&str> = labels.iter().map(AsRef::as_ref).collect();
        levels.sort_unstable();
        levels.dedup();
        for level in levels.iter().skip(1) {
            self.names.push(format!("{name}[T.{level}]"));
            self.columns.push(
                labels
                    .iter()
                    .map(|l| if l.as_ref() == *level { 1.0 } else { 0.0 })
                    .collect(),
            );
        }
        Ok(self)
    }

    /// The column names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    fn length(&self, what: &'static str, got: usize) -> Result<(), StatsError> {
        if got == self.n {
            Ok(())
        } else {
            Err(StatsError::Length {
                what,
                expected: self.n,
                got,
            })
        }
    }
}

/// One coefficient of a fitted model.
#[derive(Debug, Clone, PartialEq)]
pub struct Coefficient {
    pub name: String,
    pub estimate: f64,
    pub se: f64,
    pub t: f64,
    pub p_value: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
}

/// A fitted least-squares model.
#[derive(Debug, Clone, PartialEq)]
pub struct OlsFit {
    /// In the order of the design's columns.
    pub coefficients: Vec<Coefficient>,
    /// Observations used.
    pub n: usize,
    /// Residual degrees of freedom, `n - p`.
    pub df_resid: f64,
    /// Residual standard error, `sqrt(SSR / df_resid)`.
    pub sigma: f64,
    /// `1 - SSR/TSS`, TSS centred when the design has an intercept (as statsmodels).
    pub r_squared: f64,
    /// The covariance matrix of the estimates, `σ² (XᵀX)⁻¹`.
    pub covariance: Vec<Vec<f64>>,
}

impl OlsFit {
    /// The coefficient of that name.
    pub fn coefficient(&self, name: &str) -> Option<&Coefficient> {
        self.coefficients.iter().find(|c| c.name == name)
    }
}

/// Fits `y` on the design by least squares; intervals at `level` (e.g. 0.95).
pub fn ols(y: &[f64], design: &Design, level: f64) -> Result<OlsFit, StatsError> {
    let level = check_level(level)?;
    design.length("outcome", y.len())?;
    finite("outcome", y)?;
    let p = design.columns.len();
    at_least("outcome", y.len(), p + 1)?;
    if p == 0 {
        return Err(StatsError::Invalid {
            what: "design",
            got: "no columns".to_owned(),
            allowed: "an intercept or at least one column",
        });
    }
    let qr = linalg::qr(&design.columns, y).map_err(|j| StatsError::Singular {
        column: design.names[j].clone(),
    })?;
    let beta = linalg::back_solve(&qr.r, &qr.qty);
    let n = y.len();
    let ssr: f64 = (0..n)
        .map(|i| {
            let fitted: f64 = (0..p).map(|j| design.columns[j][i] * beta[j]).sum();
            (y[i] - fitted).powi(2)
        })
        .sum();
    if ssr == 0.0 {
        return Err(StatsError::NoVariation { what: "residuals" });
    }
    if !ssr.is_finite() {
        return Err(StatsError::Invalid {
            what: "outcome",
            got: "values whose squared residuals overflow".to_owned(),
            allowed: "values whose squares are finite (magnitude below about 1e150)",
        });
    }
    let df = (n - p) as f64;
    let sigma2 = ssr / df;
    let inverse = linalg::inverse_gram(&qr.r);
    let covariance: Vec<Vec<f64>> = inverse
        .iter()
        .map(|row| row.iter().map(|v| v * sigma2).collect())
        .collect();
    let q = dist::t_upper((1.0 - level) / 2.0, df);
    let coefficients = (0..p)
        .map(|j| {
            let se = covariance[j][j].sqrt();
            let t = beta[j] / se;
            Coefficient {
                name: design.names[j].clone(),
                estimate: beta[j],
                se,
                t,
                p_value: dist::t_two_sided(t, df),
                ci_lower: beta[j] - q * se,
                ci_upper: beta[j] + q * se,
            }
        })
        .collect();
    let tss = if design.intercept {
        let mean = y.iter().sum::<f64>() / n as f64;
        y.iter().map(|v| (v - mean).powi(2)).sum::<f64>()
    } else {
        y.iter().map(|v| v * v).sum::<f64>()
    };
    Ok(OlsFit {
        coefficients,
        n,
        df_resid: df,
        sigma: sigma2.sqrt(),
        r_squared: 1.0 - ssr / tss,
        covariance,
    })
}

/// The estimated difference between treated and control, adjusted by an ANCOVA.
#[derive(Debug, Clone, PartialEq)]
pub struct TreatmentEffect {
    /// Treated minus control, adjusted for the covariates and factors.
    pub estimate: f64,
    pub se: f64,
    pub t: f64,
    pub df: f64,
    pub p_value: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    /// Observations used.
    pub n: usize,
    /// The whole model, the treatment as the coefficient named [`TREATMENT`].
    pub fit: OlsFit,
}

/// The name of the treatment indicator in an ANCOVA's fit.
pub const TREATMENT: &str = "treatment";

/// ANCOVA: `outcome ~ 1 + treatment + covariates + factors` by least squares, where
/// `treated[i]` says whether observation `i` is in the treated arm (1) or the control (0);
/// covariates are numeric (e.g. the baseline score), factors categorical (e.g. the
/// stratification factors at randomisation, treatment-coded as in [`Design::categorical`]).
pub fn ancova<S: AsRef<str>>(
    outcome: &[f64],
    treated: &[bool],
    covariates: &[(&str, &[f64])],
    factors: &[(&str, &[S])],
    level: f64,
) -> Result<TreatmentEffect, StatsError> {
    let n = outcome.len();
    if treated.len() != n {
        return Err(StatsError::Length {
            what: "treated",
            expected: n,
            got: treated.len(),
        });
    }
    if treated.iter().all(|t| *t) || treated.iter().all(|t| !*t) {
        return Err(StatsError::Invalid {
            what: "treated",
            got: "one arm only".to_owned(),
            allowed: "observations in both the treated and the control arm",
        });
    }
    let indicator: Vec<f64> = treated.iter().map(|t| f64::from(u8::from(*t))).collect();
    let mut design = Design::new(n).numeric(TREATMENT, &indicator)?;
    for (name, values) in covariates {
        design = design.numeric(name, values)?;
    }
    for (name, labels) in factors {
        design = design.categorical(name, labels)?;
    }
    let fit = ols(outcome, &design, level)?;
    let c = fit.coefficients[1].clone();
    Ok(TreatmentEffect {
        estimate: c.estimate,
        se: c.se,
        t: c.t,
        df: fit.df_resid,
        p_value: c.p_value,
        ci_lower: c.ci_lower,
        ci_upper: c.ci_upper,
        n,
        fit,
    })
}
