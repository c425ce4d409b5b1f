//! The one error type: what was wrong with the input, naming the argument and what is allowed.

use thiserror::Error;

/// Why a statistic could not be computed. Every variant names the argument (`what`) it is about.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StatsError {
    /// Fewer observations than the method needs.
    #[error("{what}: at least {needed} observations are needed, {got} given")]
    TooFew {
        what: &'static str,
        needed: usize,
        got: usize,
    },
    /// A value that is NaN or infinite.
    #[error("{what}[{index}]: {value} is not a finite number; allowed: finite numbers")]
    NotFinite {
        what: &'static str,
        index: usize,
        value: f64,
    },
    /// Two arguments that must have the same length do not.
    #[error("{what}: length {got}, expected {expected} (one value per observation)")]
    Length {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    /// A confidence level outside (0, 1).
    #[error("level: {0} is not a confidence level; allowed: greater than 0 and less than 1")]
    Level(f64),
    /// The design matrix has a column that is a combination of the others (or is all zero).
    #[error("design: column {column} is a linear combination of the columns before it (singular design); allowed: linearly independent columns")]
    Singular { column: String },
    /// No spread where the method divides by it (all values equal, nothing at risk, …).
    #[error("{what}: no variation in the data, the statistic is undefined")]
    NoVariation { what: &'static str },
    /// A count that does not fit with the others (e.g. more successes than trials).
    #[error("{what}: {got} is not allowed; allowed: {allowed}")]
    Invalid {
        what: &'static str,
        got: String,
        allowed: &'static str,
    },
    /// An exact distribution too large to enumerate.
    #[error("{what}: the exact distribution for sizes {n1} and {n2} is too large; allowed: the asymptotic method")]
    TooLarge {
        what: &'static str,
        n1: usize,
        n2: usize,
    },
}

/// `Err(NotFinite)` for the first value that is NaN or infinite.
pub(crate) fn finite(what: &'static str, values: &[f64]) -> Result<(), StatsError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(StatsError::NotFinite {
            what,
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

/// `Err(TooFew)` unless `values` has at least `needed` elements.
pub(crate) fn at_least(what: &'static str, got: usize, needed: usize) -> Result<(), StatsError> {
    if got < needed {
        Err(StatsError::TooFew { what, needed, got })
    } else {
        Ok(())
    }
}

/// `Err(Level)` unless `0 < level < 1`.
pub(crate) fn level(level: f64) -> Result<f64, StatsError> {
    if level > 0.0 && level < 1.0 {
        Ok(level)
    } else {
        Err(StatsError::Level(level))
    }
}
