//! The adverse events graded lab values propose: accepted by the investigator (the event is
//! recorded through the one insert of adverse events, `crate::events::insert_event`, in the
//! same write, and the stopping rules' gate runs as for any event) or dismissed with a reason.

use serde::Serialize;
use sqlx::AnyConnection;
use trial::labs::{decide_accept, decide_dismiss, EventSummary, Proposal, ProposalState};
use trial::safety::AdverseEvent;

use crate::db::Store;
use crate::dialect::{dialect_of, render};
use crate::model::{now, participant_in, Actor, Scope};
use crate::{not_found, Result};

/// The audit entity of a proposal.
pub(super) const PROPOSAL_ENTITY: &str = "lab-ae-proposal";

/// An adverse event proposed by a graded value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LabProposal {
    /// Its id.
    pub id: i64,
    /// The lab value.
    pub result_id: i64,
    /// The participant.
    pub participant_id: i64,
    /// The CTCAE term the value graded.
    pub term: String,
    /// The grade.
    pub grade: u8,
    /// Open, accepted or dismissed.
    pub state: ProposalState,
    /// The adverse event recorded on acceptance.
    pub adverse_event_id: Option<i64>,
    /// Why it was dismissed.
    pub reason: Option<String>,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When.
    #[schema(format = DateTime)]
    pub decided_at: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ProposalRow {
    id: i64,
    result_id: i64,
    participant_id: i64,
    term: String,
    grade: i64,
    state: String,
    adverse_event_id: Option<i64>,
    reason: Option<String>,
    decided_by: Option<String>,
    decided_at: Option<String>,
}

impl From<ProposalRow> for LabProposal {
    fn from(r: ProposalRow) -> LabProposal {
        LabProposal {
            id: r.id,
            result_id: r.result_id,
            participant_id: r.participant_id,
            term: r.term,
            grade: u8::try_from(r.grade).unwrap_or(0),
            // Written only from `ProposalState`.
            state: ProposalState::parse(&r.state).unwrap_or(ProposalState::Open),
            adverse_event_id: r.adverse_event_id,
            reason: r.reason,
            decided_by: r.decided_by,
            decided_at: r.decided_at,
        }
    }
}

const PROPOSAL_COLUMNS: &str = "id, result_id, participant_id, term, grade, state, \
    adverse_event_id, reason, decided_by, decided_at::instant";

/// The proposals of a participant, in the order made.
pub(super) async fn of_participant(
    conn: &mut AnyConnection,
    participant_id: i64,
) -> Result<Vec<LabProposal>> {
    let sql = render(
        dialect_of(conn),
        &format!(
            "SELECT {PROPOSAL_COLUMNS} FROM lab_ae_proposals WHERE participant_id = $1 ORDER BY id"
        ),
    );
    let rows: Vec<ProposalRow> = sqlx::query_as(&sql)
        .bind(participant_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.into_iter().map(LabProposal::from).collect())
}

/// One proposal of a participant, its row taken for the write on PostgreSQL.
async fn proposal_for_update(
    conn: &mut AnyConnection,
    participant_id: i64,
    id: i64,
    lock: &str,
) -> Result<LabProposal> {
    let sql = render(
        dialect_of(conn),
        &format!(
            "SELECT {PROPOSAL_COLUMNS} FROM lab_ae_proposals WHERE id = $1 AND participant_id = $2{lock}"
        ),
    );
    sqlx::query_as::<_, ProposalRow>(&sql)
        .bind(id)
        .bind(participant_id)
        .fetch_optional(&mut *conn)
        .await?
        .map(LabProposal::from)
        .ok_or_else(|| not_found("proposal", id))
}

fn rule(p: &LabProposal) -> Proposal {
    Proposal {
        id: p.id,
        term: p.term.clone(),
        grade: p.grade,
        state: p.state,
    }
}

impl Store {
    /// The investigator accepts a proposal of a participant in scope: the adverse event (its
    /// term and grade those the value graded, not serious; checked by
    /// `trial::labs::decide_accept`) is recorded and the proposal closed, in one write.
    pub async fn accept_lab_proposal(
        &self,
        scope: &Scope,
        participant_id: i64,
        proposal_id: i64,
        event: &AdverseEvent,
        by: &Actor,
    ) -> Result<LabProposal> {
        let (scope, event, by) = (scope.clone(), event.clone(), by.clone());
        self.write("accept_lab_proposal", move |mut tx| {
            Box::pin(async move {
                let participant = participant_in(tx.conn(), &scope, participant_id).await?;
                trial::safety::check_event_participant(participant.status)?;
                let lock = tx.for_update();
                let proposal =
                    proposal_for_update(tx.conn(), participant_id, proposal_id, lock).await?;
                let summary = EventSummary {
                    term: &event.term,
                    grade: event.grade,
                    serious: event.is_serious(),
                };
                trial::labs::check_event(&rule(&proposal), summary)?;
                let ae_id = crate::events::insert_event(
                    &mut tx,
                    scope.study(),
                    participant_id,
                    &event,
                    &by,
                )
                .await?;
                let changes = decide_accept(&rule(&proposal), summary, ae_id)?;
                sqlx::query(&tx.sql(
                    "UPDATE lab_ae_proposals SET state = $1, adverse_event_id = $2, \
                     decided_by = $3, decided_at = $4::timestamptz WHERE id = $5",
                ))
                .bind(ProposalState::Accepted.as_str())
                .bind(ae_id)
                .bind(&by.username)
                .bind(now())
                .bind(proposal_id)
                .execute(tx.conn())
                .await?;
                tx.audit(scope.study(), &by, &changes).await?;
                crate::gate::evaluate_after_event_save(&mut tx, scope.study(), &by).await?;
                proposal_for_update(tx.conn(), participant_id, proposal_id, "").await
            })
        })
        .await
    }

    /// The investigator dismisses a proposal of a participant in scope, with a reason.
    pub async fn dismiss_lab_proposal(
        &self,
        scope: &Scope,
        participant_id: i64,
        proposal_id: i64,
        reason: Option<&str>,
        by: &Actor,
    ) -> Result<LabProposal> {
        let (scope, by) = (scope.clone(), by.clone());
        let reason = reason.map(String::from);
        self.write("dismiss_lab_proposal", move |mut tx| {
            Box::pin(async move {
                participant_in(tx.conn(), &scope, participant_id).await?;
                let lock = tx.for_update();
                let proposal =
                    proposal_for_update(tx.conn(), participant_id, proposal_id, lock).await?;
                let changes = decide_dismiss(&rule(&proposal), reason.as_deref())?;
                sqlx::query(&tx.sql(
                    "UPDATE lab_ae_proposals SET state = $1, reason = $2, decided_by = $3, \
                     decided_at = $4::timestamptz WHERE id = $5",
                ))
                .bind(ProposalState::Dismissed.as_str())
                .bind(changes.first().and_then(|c| c.reason.as_deref()))
                .bind(&by.username)
                .bind(now())
                .bind(proposal_id)
                .execute(tx.conn())
                .await?;
                tx.audit(scope.study(), &by, &changes).await?;
                proposal_for_update(tx.conn(), participant_id, proposal_id, "").await
            })
        })
        .await
    }
}
