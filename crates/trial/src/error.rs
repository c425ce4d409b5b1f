//! Why a study definition was rejected.

use std::fmt;

/// One problem in a study definition: where it is and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The key path of the offending value, as `schedule.visits[2].window_before`: table keys
    /// joined by dots, array elements by their index counted from 0. For a problem with the
    /// definition as a whole it is the key under which the missing or conflicting part belongs.
    pub path: String,
    /// What is wrong, with the allowed values or range.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// A study definition that could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DefinitionError {
    /// The text is not valid TOML. Parsing stops at the first such error.
    #[error("line {line}, column {column}: invalid TOML: {message}")]
    Syntax {
        /// Line of the error, from 1.
        line: usize,
        /// Column of the error in characters, from 1.
        column: usize,
        /// What the parser expected or found.
        message: String,
    },
    /// The TOML is well formed but does not define a valid study. Every problem found is
    /// listed: those of each part in the order the parts are read (the order of
    /// `docs/study-definition.md`), then those of the checks that relate parts, such as visits
    /// naming forms. `Display` prints one line per problem.
    #[error("{}", Lines(.0))]
    Invalid(Vec<Problem>),
}

impl DefinitionError {
    /// The problems of an [`Invalid`](DefinitionError::Invalid) definition (empty for a syntax
    /// error).
    pub fn problems(&self) -> &[Problem] {
        match self {
            DefinitionError::Syntax { .. } => &[],
            DefinitionError::Invalid(problems) => problems,
        }
    }
}

struct Lines<'a>(&'a [Problem]);

impl fmt::Display for Lines<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            problem.fmt(f)?;
        }
        Ok(())
    }
}

/// Why a rule of the running trial refuses a write: a value it does not take, or a record in a
/// state that does not allow it. Each names the field at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A value that is not allowed (the message names the allowed ones).
    #[error("{field}: {message}")]
    Invalid {
        /// The field at fault.
        field: String,
        /// What is wrong, with the allowed values.
        message: String,
    },
    /// The record is in a state that does not allow the write.
    #[error("{field}: {message}")]
    Conflict {
        /// The field whose state refuses.
        field: String,
        /// What is wrong.
        message: String,
    },
}

impl Refusal {
    /// A value that is not allowed.
    pub fn invalid(field: &str, message: impl Into<String>) -> Refusal {
        Refusal::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A state that does not allow the write.
    pub fn conflict(field: &str, message: impl Into<String>) -> Refusal {
        Refusal::Conflict {
            field: field.into(),
            message: message.into(),
        }
    }

    /// `"x" is not allowed (allowed: a, b)`.
    pub fn not_allowed(field: &str, value: &str, allowed: &[impl fmt::Display]) -> Refusal {
        let allowed: Vec<String> = allowed.iter().map(|a| a.to_string()).collect();
        Refusal::invalid(
            field,
            format!("{value:?} is not allowed (allowed: {})", allowed.join(", ")),
        )
    }
}

/// The reason given, trimmed, or a refusal saying it is required (`"is required {what}"`).
pub fn required_reason<'a>(reason: Option<&'a str>, what: &str) -> Result<&'a str, Refusal> {
    match reason.map(str::trim) {
        Some(r) if !r.is_empty() => Ok(r),
        _ => Err(Refusal::invalid(
            "reason",
            if what.is_empty() {
                "is required".to_string()
            } else {
                format!("is required {what}")
            },
        )),
    }
}
