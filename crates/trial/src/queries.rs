//! Data queries: a monitor or data manager asks about a field, the site answers, whoever
//! raised it closes it or re-opens it with a new question.

use crate::error::Refusal;
use crate::states::named_states;
use crate::Change;

named_states! {
    /// Where a query stands.
    pub enum QueryStatus {
        /// Waiting for the site.
        Open = "open",
        /// The site answered; waiting for whoever raised it.
        Answered = "answered",
        /// Settled.
        Closed = "closed",
    }
}

/// The longest question, in bytes.
pub const MAX_QUERY_TEXT: usize = 2000;

/// A new query's question (trimmed) and field: both required.
pub fn check_new_query<'a>(text: &'a str, field: &str) -> Result<&'a str, Refusal> {
    let text = text.trim();
    if text.is_empty() || text.len() > MAX_QUERY_TEXT {
        return Err(Refusal::invalid(
            "text",
            "is required (up to 2,000 characters)",
        ));
    }
    if field.trim().is_empty() {
        return Err(Refusal::invalid(
            "field",
            "is required: the field the query is about",
        ));
    }
    Ok(text)
}

/// What happens to a query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryStep {
    /// The site answers an open query.
    Answer(String),
    /// Closed, from open or answered.
    Close,
    /// Re-opened with a new question, from answered or closed.
    Reopen(String),
}

impl QueryStep {
    /// The step with its text trimmed, refused when the text is empty.
    pub fn checked(self) -> Result<QueryStep, Refusal> {
        match self {
            QueryStep::Answer(a) if a.trim().is_empty() => {
                Err(Refusal::invalid("answer", "is required"))
            }
            QueryStep::Reopen(t) if t.trim().is_empty() => {
                Err(Refusal::invalid("text", "is required to re-open a query"))
            }
            QueryStep::Answer(a) => Ok(QueryStep::Answer(a.trim().to_string())),
            QueryStep::Reopen(t) => Ok(QueryStep::Reopen(t.trim().to_string())),
            QueryStep::Close => Ok(QueryStep::Close),
        }
    }

    /// The statuses the step starts from.
    pub fn from(&self) -> &'static [QueryStatus] {
        match self {
            QueryStep::Answer(_) => &[QueryStatus::Open],
            QueryStep::Close => &[QueryStatus::Open, QueryStatus::Answered],
            QueryStep::Reopen(_) => &[QueryStatus::Answered, QueryStatus::Closed],
        }
    }
}

/// A query after a step: its status, answer and question, and the audit row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryMove {
    /// The new status.
    pub status: QueryStatus,
    /// The answer (new when answered, else as it was).
    pub answer: Option<String>,
    /// Whether this step answered it (who and when are then recorded).
    pub answered: bool,
    /// The new question, when re-opened.
    pub text: Option<String>,
    /// The audit row.
    pub change: Change,
}

/// Moves query `id` from `status` (answer as it was) by a checked `step`.
pub fn step_query(
    id: i64,
    status: QueryStatus,
    answer: Option<&str>,
    step: &QueryStep,
) -> Result<QueryMove, Refusal> {
    let from = step.from();
    if !from.contains(&status) {
        let names: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
        return Err(Refusal::conflict(
            "status",
            format!(
                "the query is {status}; this needs it {}",
                names.join(" or ")
            ),
        ));
    }
    let change = Change::new("update", "query", id);
    Ok(match step {
        QueryStep::Answer(text) => QueryMove {
            status: QueryStatus::Answered,
            answer: Some(text.clone()),
            answered: Some(text.as_str()) != answer,
            text: None,
            change: change.set("answer", text).was(status),
        },
        QueryStep::Close => QueryMove {
            status: QueryStatus::Closed,
            answer: answer.map(String::from),
            answered: false,
            text: None,
            change: change.set("status", QueryStatus::Closed).was(status),
        },
        QueryStep::Reopen(text) => QueryMove {
            status: QueryStatus::Open,
            answer: answer.map(String::from),
            answered: false,
            text: Some(text.clone()),
            change: change
                .set("status", QueryStatus::Open)
                .was(status)
                .because(text),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use QueryStatus::*;

    #[test]
    fn the_state_machine() {
        let answered = step_query(1, Open, None, &QueryStep::Answer("fixed".into())).unwrap();
        assert_eq!((answered.status, answered.answered), (Answered, true));
        assert_eq!(answered.change.old_value.as_deref(), Some("open"));
        let closed = step_query(1, Answered, Some("fixed"), &QueryStep::Close).unwrap();
        assert_eq!(
            (closed.status, closed.answer.as_deref()),
            (Closed, Some("fixed"))
        );
        let reopened =
            step_query(1, Closed, Some("fixed"), &QueryStep::Reopen("and?".into())).unwrap();
        assert_eq!(reopened.status, Open);
        assert_eq!(reopened.text.as_deref(), Some("and?"));
        assert_eq!(
            step_query(1, Closed, None, &QueryStep::Answer("x".into()))
                .unwrap_err()
                .to_string(),
            "status: the query is closed; this needs it open"
        );
        assert!(step_query(1, Open, None, &QueryStep::Reopen("x".into())).is_err());
        assert!(step_query(1, Closed, None, &QueryStep::Close).is_err());
    }

    #[test]
    fn texts_are_required() {
        assert_eq!(check_new_query("  why? ", "pulse"), Ok("why?"));
        assert!(check_new_query("", "pulse").is_err());
        assert!(check_new_query(&"x".repeat(2001), "pulse").is_err());
        assert!(check_new_query("why", " ").is_err());
        assert!(QueryStep::Answer(" ".into()).checked().is_err());
        assert!(QueryStep::Reopen("".into()).checked().is_err());
        assert_eq!(
            QueryStep::Answer(" a ".into()).checked(),
            Ok(QueryStep::Answer("a".into()))
        );
    }
}
