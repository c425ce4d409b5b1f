//! The groups of the safety tables: each participant in scope who was enrolled (or ended
//! after enrolment) with their arm, dose level, or the one pooled group. Shared by the
//! adverse events' tables (`safety`) and the laboratory tables (`labs`); which grouping a
//! reader may see is the web's blinding rule (`trial::Study::sees_arms`).

use sqlx::AnyConnection;
use trial::safety::pooled;
use trial::{ParticipantStatus, Study};

use crate::dialect::{dialect_of, render};
use crate::model::{scope_filter, Scope};
use crate::Result;

/// How the safety tables group participants. The store groups as asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableGrouping {
    /// By randomised arm (unblinded readers only); participants not randomised apart.
    Arm,
    /// By dose level (Phase I); participants without a level apart.
    DoseLevel,
    /// One group of every participant.
    Pooled,
}

/// The group of participants not (yet) randomised or given a dose level.
pub const UNASSIGNED: &str = "not assigned";

/// The participants in scope (enrolled, or ended after enrolment) with their group: groups in
/// the definition's order, then the unassigned; pooled in the order of their ids.
pub(crate) async fn participant_groups(
    conn: &mut AnyConnection,
    scope: &Scope,
    study: &Study,
    grouping: TableGrouping,
) -> Result<Vec<(i64, String)>> {
    let (filter, values) = scope_filter(scope, 1);
    let statuses = [
        ParticipantStatus::Enrolled,
        ParticipantStatus::Withdrawn,
        ParticipantStatus::Completed,
    ];
    let group_sql = match grouping {
        TableGrouping::Arm => {
            "(SELECT arm_id FROM allocations a WHERE a.participant_id = participants.id)"
        }
        TableGrouping::DoseLevel => {
            "(SELECT level_id FROM dose_assignments d WHERE d.participant_id = participants.id)"
        }
        TableGrouping::Pooled => "NULL",
    };
    let n = values.len();
    let sql = render(
        dialect_of(conn),
        &format!(
            "SELECT id, {group_sql} AS grp FROM participants WHERE {filter} \
             AND status IN (${}, ${}, ${}) ORDER BY id",
            n + 1,
            n + 2,
            n + 3
        ),
    );
    let mut q = sqlx::query_as::<_, (i64, Option<String>)>(&sql);
    for v in &values {
        q = q.bind(v);
    }
    for s in statuses {
        q = q.bind(s.as_str());
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    Ok(match grouping {
        TableGrouping::Pooled => pooled(&ids)
            .into_iter()
            .map(|(p, g)| (p, g.to_string()))
            .collect(),
        TableGrouping::Arm | TableGrouping::DoseLevel => {
            let order: Vec<&str> = if grouping == TableGrouping::Arm {
                study.arms.iter().map(|a| a.id.as_str()).collect()
            } else {
                study.dose_levels.iter().map(|l| l.id.as_str()).collect()
            };
            let mut sorted: Vec<(usize, i64, String)> = rows
                .into_iter()
                .map(|(id, g)| {
                    let g = g.unwrap_or_else(|| UNASSIGNED.to_string());
                    let rank = order.iter().position(|o| *o == g).unwrap_or(order.len());
                    (rank, id, g)
                })
                .collect();
            sorted.sort();
            sorted.into_iter().map(|(_, id, g)| (id, g)).collect()
        }
    })
}
