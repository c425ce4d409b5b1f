//! The audit trail as its readers filter it, shared by the API's CSV download and the audit
//! page: the query (participant, user, action, days, page) checked into a
//! [`store::AuditFilter`] within the caller's scope and blinding.
//!
//! A study's trail is its chain and its chain of reads (`<study>/reads`). A site-scoped reader
//! reads only one participant of their sites at a time; a blinded reader reads neither the
//! chain that names arms (`<study>/unblinded`) nor, in the study's chain, the rows whose entity
//! or field could name an allocation (filtered in SQL, and again by
//! [`crate::blinding::reveals_allocation`]).

use serde::Deserialize;
use store::{AuditFilter, Scope};
use time::macros::format_description;
use trial::Study;

use crate::app::App;
use crate::auth::CurrentUser;
use crate::blinding::{reveals_allocation, unblinded};
use crate::error::{ApiError, FieldProblem};

/// Rows on one page of the trail.
pub const PAGE_ROWS: i64 = 50;

/// The words whose rows a blinded reader does not get (entity or field containing them).
const ALLOCATION_WORDS: [&str; 6] = ["kit", "volume", "allocation", "randomi", "unblind", "arm"];

/// The filters of the trail, as a query string gives them (every one optional).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TrailQuery {
    /// One participant's records, by id.
    pub participant: Option<String>,
    /// Rows by this username.
    pub user: Option<String>,
    /// Rows of this action.
    pub action: Option<String>,
    /// From this day (UTC, `YYYY-MM-DD`).
    pub from: Option<String>,
    /// Up to this day (UTC, `YYYY-MM-DD`), included.
    pub to: Option<String>,
    /// The page, from 1 (the audit page only).
    pub page: Option<String>,
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn day(field: &str, value: &Option<String>) -> Result<Option<time::Date>, FieldProblem> {
    given(value)
        .map(|v| {
            time::Date::parse(v, format_description!("[year]-[month]-[day]")).map_err(|_| {
                FieldProblem::new(field, format!("{v:?} is not a date (allowed: YYYY-MM-DD)"))
            })
        })
        .transpose()
}

impl TrailQuery {
    /// The page asked for, from 1.
    pub fn page(&self) -> Result<i64, ApiError> {
        match given(&self.page) {
            None => Ok(1),
            Some(p) => p
                .parse::<i64>()
                .ok()
                .filter(|p| (1..=1_000_000).contains(p))
                .ok_or_else(|| {
                    ApiError::field("page", format!("{p:?} is not a page (allowed: 1 or more)"))
                }),
        }
    }

    /// The participant asked for.
    pub fn participant(&self) -> Result<Option<i64>, ApiError> {
        given(&self.participant)
            .map(|p| {
                p.parse::<i64>().map_err(|_| {
                    ApiError::field(
                        "participant",
                        format!("{p:?} is not a participant id (allowed: a number)"),
                    )
                })
            })
            .transpose()
    }

    /// The filter within the caller's scope and blinding: every problem of the query at once
    /// (400), another site's or an unknown participant as not found (404), a site reader
    /// without a participant refused (403).
    pub async fn filter(
        &self,
        app: &App,
        me: &CurrentUser,
        study: &Study,
        scope: &Scope,
    ) -> Result<AuditFilter, ApiError> {
        let mut problems = Vec::new();
        let (from, to) = (day("from", &self.from), day("to", &self.to));
        let (from, to) = match (from, to) {
            (Ok(f), Ok(t)) => (f, t),
            (f, t) => {
                problems.extend(f.err());
                problems.extend(t.err());
                (None, None)
            }
        };
        if let (Some(f), Some(t)) = (from, to) {
            if t < f {
                problems.push(FieldProblem::new("to", "is before from"));
            }
        }
        let participant = match self.participant() {
            Ok(p) => p,
            Err(ApiError::Invalid(mut p)) => {
                problems.append(&mut p);
                None
            }
            Err(e) => return Err(e),
        };
        if !problems.is_empty() {
            return Err(ApiError::Invalid(problems));
        }
        match (participant, scope) {
            (Some(id), _) => {
                app.store.participant(scope, id).await?;
            }
            (None, Scope::Sites { .. }) => {
                return Err(ApiError::Forbidden(
                    "a site role reads the trail one participant at a time".into(),
                ))
            }
            (None, Scope::Study(_)) => {}
        }
        let sees = unblinded(me, study);
        // The study's chain and its chain of reads (the pooled analysis runs) for everyone who
        // reads the trail; the chain that names arms only for the unblinded.
        let mut chains = vec![study.id.clone(), store::reads_chain(&study.id)];
        if sees {
            chains.push(store::unblinded_chain(&study.id));
        }
        Ok(AuditFilter {
            chains,
            participant,
            username: given(&self.user).map(str::to_string),
            action: given(&self.action).map(str::to_string),
            from,
            to,
            hide_containing: if sees {
                Vec::new()
            } else {
                ALLOCATION_WORDS.iter().map(|w| w.to_string()).collect()
            },
        })
    }

    /// The filters as a query string (without the page), for links and the download.
    pub fn query_string(&self) -> String {
        let mut parts = Vec::new();
        for (name, value) in [
            ("participant", &self.participant),
            ("user", &self.user),
            ("action", &self.action),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if let Some(v) = given(value) {
                parts.push(format!("{name}={}", crate::pages::encode(v)));
            }
        }
        parts.join("&")
    }
}

/// The rows a reader gets of what the store found: for a blinded reader, none that could name
/// an allocation (the store's filter already left them out; this is the rule itself).
pub fn visible(rows: Vec<store::AuditRow>, filter: &AuditFilter) -> Vec<store::AuditRow> {
    if filter.hide_containing.is_empty() {
        rows
    } else {
        rows.into_iter()
            .filter(|r| !reveals_allocation(r))
            .collect()
    }
}
