//! Adverse events, first part: the terms they are coded with, and each participant's adverse
//! events, recorded and changed with a reason. The rules are `trial::safety`; this file loads,
//! persists and audits.
//!
//! The terms are one list for the whole installation (see the migration): the CTCAE is a
//! published dictionary shared by every study, and an event copies its term's name, code and
//! system organ class, so loading the terms again never changes a recorded event. Loading is
//! audited in the `system` chain; an event's rows go to its study's chain.

mod cases;
mod e2b;
mod notices;

pub use cases::{ClockRecord, ExpeditedReport, SafetyCase, SponsorAssessmentRecord, SponsorInput};
pub use e2b::E2B_EXPORT;
pub use notices::{CLOCK_NOTIFICATION, SAFETY_NOTIFIED};

use sha2::{Digest, Sha256};
use sqlx::AnyConnection;
use trial::safety::{
    check_event_participant, decide_event_save, event_record, AdverseEvent, Term, TermTable,
};

mod dsmb;
mod event_signatures;

pub use dsmb::{NewDsmbDecision, TableGrouping, UNASSIGNED};
pub use event_signatures::{EventSignature, EventSigning};

use crate::db::Store;
use crate::dialect::{dialect_of, render};
pub use crate::events::AdverseEventRecord;
use crate::events::{bind_event, EventRow, EVENT_COLUMNS, EVENT_VALUES};
use crate::model::{now, participant_in, scope_filter, Actor, Scope};
use crate::{conflict, not_found};
use crate::{Change, Result};

/// The audit entity of a load of the terms.
const TERMS_ENTITY: &str = "ae-terms";

/// SHA-256 (hex) over the terms as loaded: each term's code, name, system organ class, grade
/// definitions and definition, fields separated by `\u{1f}` and terms by `\u{1e}`.
fn terms_digest(terms: &[Term]) -> String {
    let mut hash = Sha256::new();
    for t in terms {
        let mut fields = vec![t.code.as_str(), t.name.as_str(), t.soc.as_str()];
        fields.extend(t.grades.iter().map(|g| g.as_deref().unwrap_or("")));
        fields.push(t.definition.as_deref().unwrap_or(""));
        hash.update(fields.join("\u{1f}").as_bytes());
        hash.update("\u{1e}".as_bytes());
    }
    hex::encode(hash.finalize())
}

#[derive(sqlx::FromRow)]
struct TermRow {
    code: String,
    name: String,
    soc: String,
    grade_1: Option<String>,
    grade_2: Option<String>,
    grade_3: Option<String>,
    grade_4: Option<String>,
    grade_5: Option<String>,
    definition: Option<String>,
}

impl Store {
    /// Replaces the terms adverse events are coded with by `terms`, in their order: one write,
    /// audited as one row naming the count and the SHA-256 of the terms. A name given twice
    /// (ignoring case) is a conflict naming it, and nothing is written.
    pub async fn load_terms(&self, terms: &[Term], by: &Actor) -> Result<usize> {
        self.load_dictionary("ctcae", terms, by).await
    }

    /// [`Store::load_terms`] from a named dictionary (`ctcae`, `meddra`), which the audit row
    /// names.
    pub async fn load_dictionary(
        &self,
        dictionary: &str,
        terms: &[Term],
        by: &Actor,
    ) -> Result<usize> {
        let (terms, by, dictionary) = (terms.to_vec(), by.clone(), dictionary.to_string());
        self.write("load_terms", move |mut tx| {
            Box::pin(async move {
                sqlx::query("DELETE FROM ae_terms")
                    .execute(tx.conn())
                    .await?;
                for (position, t) in terms.iter().enumerate() {
                    let [g1, g2, g3, g4, g5] = &t.grades;
                    sqlx::query(
                        "INSERT INTO ae_terms (position, code, name, name_key, soc, grade_1, \
                         grade_2, grade_3, grade_4, grade_5, definition) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    )
                    .bind(position as i64)
                    .bind(&t.code)
                    .bind(&t.name)
                    .bind(t.name.to_lowercase())
                    .bind(&t.soc)
                    .bind(g1)
                    .bind(g2)
                    .bind(g3)
                    .bind(g4)
                    .bind(g5)
                    .bind(&t.definition)
                    .execute(tx.conn())
                    .await
                    .map_err(conflict(
                        "terms",
                        &format!("the term {:?} appears twice (ignoring case)", t.name),
                    ))?;
                }
                let change = Change::new("load", TERMS_ENTITY, &dictionary).set(
                    "terms",
                    format!("{} terms, sha256 {}", terms.len(), terms_digest(&terms)),
                );
                tx.audit("system", &by, &[change]).await?;
                Ok(terms.len())
            })
        })
        .await
    }

    /// The terms adverse events may be coded with, in the order loaded.
    pub async fn terms(&self) -> Result<TermTable> {
        let rows: Vec<TermRow> = sqlx::query_as(
            "SELECT code, name, soc, grade_1, grade_2, grade_3, grade_4, grade_5, definition \
             FROM ae_terms ORDER BY position",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(TermTable::new(
            rows.into_iter()
                .map(|r| Term {
                    code: r.code,
                    name: r.name,
                    soc: r.soc,
                    grades: [r.grade_1, r.grade_2, r.grade_3, r.grade_4, r.grade_5],
                    definition: r.definition,
                })
                .collect(),
        ))
    }

    /// Records an adverse event (checked by `trial::safety::AdverseEventForm::read`) of an
    /// enrolled (or ended) participant in scope, every field audited.
    pub async fn record_adverse_event(
        &self,
        scope: &Scope,
        participant_id: i64,
        event: &AdverseEvent,
        by: &Actor,
    ) -> Result<AdverseEventRecord> {
        let (scope, event, by) = (scope.clone(), event.clone(), by.clone());
        self.write("record_adverse_event", move |mut tx| {
            Box::pin(async move {
                let participant = participant_in(tx.conn(), &scope, participant_id).await?;
                check_event_participant(participant.status)?;
                let id = crate::events::insert_event(
                    &mut tx,
                    scope.study(),
                    participant_id,
                    &event,
                    &by,
                )
                .await?;
                cases::event_saved(&mut tx, &scope, id, &by).await?;
                crate::gate::evaluate_after_event_save(&mut tx, scope.study(), &by).await?;
                event_in(tx.conn(), &scope, participant_id, id).await
            })
        })
        .await
    }

    /// Changes a recorded adverse event, with a reason: each changed field is audited with its
    /// old and new value. Refused without a reason or when nothing changed.
    pub async fn change_adverse_event(
        &self,
        scope: &Scope,
        participant_id: i64,
        ae_id: i64,
        event: &AdverseEvent,
        reason: Option<&str>,
        by: &Actor,
    ) -> Result<AdverseEventRecord> {
        let (scope, event, by) = (scope.clone(), event.clone(), by.clone());
        let reason = reason.map(String::from);
        self.write("change_adverse_event", move |mut tx| {
            Box::pin(async move {
                let participant = participant_in(tx.conn(), &scope, participant_id).await?;
                check_event_participant(participant.status)?;
                let before = event_in(tx.conn(), &scope, participant_id, ae_id).await?;
                let save = decide_event_save(
                    &event_record(participant_id, ae_id),
                    Some(&before.event),
                    &event,
                    reason.as_deref(),
                )?;
                let sets: Vec<String> = EVENT_VALUES
                    .split(", ")
                    .enumerate()
                    .map(|(i, column)| format!("{column} = ${}", i + 1))
                    .collect();
                let sql = tx.sql(&format!(
                    "UPDATE adverse_events SET {}, updated_at = $13::timestamptz WHERE id = $14",
                    sets.join(", ")
                ));
                bind_event(sqlx::query(&sql), &event)
                    .bind(now())
                    .bind(ae_id)
                    .execute(tx.conn())
                    .await?;
                let mut changes = save.changes;
                changes.extend(
                    event_signatures::void_event_signatures(
                        &mut tx,
                        participant_id,
                        ae_id,
                        &save.what_changed,
                        save.reason.as_deref(),
                    )
                    .await?,
                );
                tx.audit(scope.study(), &by, &changes).await?;
                cases::event_saved(&mut tx, &scope, ae_id, &by).await?;
                crate::gate::evaluate_after_event_save(&mut tx, scope.study(), &by).await?;
                event_in(tx.conn(), &scope, participant_id, ae_id).await
            })
        })
        .await
    }

    /// The adverse events of a participant in scope, in the order recorded.
    pub async fn adverse_events_of(
        &self,
        scope: &Scope,
        participant_id: i64,
    ) -> Result<Vec<AdverseEventRecord>> {
        let mut conn = self.pool.acquire().await?;
        participant_in(&mut conn, scope, participant_id).await?;
        let mut events = crate::events::participant_events(&mut conn, participant_id).await?;
        event_signatures::attach_signatures(&mut conn, &mut events).await?;
        Ok(events)
    }

    /// One adverse event of a participant in scope.
    pub async fn adverse_event(
        &self,
        scope: &Scope,
        participant_id: i64,
        ae_id: i64,
    ) -> Result<AdverseEventRecord> {
        event_in(
            &mut *self.pool.acquire().await?,
            scope,
            participant_id,
            ae_id,
        )
        .await
    }
}

/// One adverse event, if it is the participant's and the participant is in scope.
async fn event_in(
    conn: &mut AnyConnection,
    scope: &Scope,
    participant_id: i64,
    ae_id: i64,
) -> Result<AdverseEventRecord> {
    let (filter, values) = scope_filter(scope, 3);
    let sql = render(
        dialect_of(conn),
        &format!(
            "SELECT {EVENT_COLUMNS} FROM adverse_events WHERE id = $1 AND participant_id = $2 \
             AND participant_id IN (SELECT id FROM participants WHERE {filter})"
        ),
    );
    let mut q = sqlx::query_as::<_, EventRow>(&sql)
        .bind(ae_id)
        .bind(participant_id);
    for v in &values {
        q = q.bind(v);
    }
    let mut event = q
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| not_found("adverse event", ae_id))?
        .record()?;
    event_signatures::attach_signatures(conn, std::slice::from_mut(&mut event)).await?;
    Ok(event)
}
