//! Adverse events as rows: the record every feature reads them as. The safety feature writes
//! them; the rules that span features (the stopping-rule gate on dosing and enrolment, the DLT
//! assessment's events) read them here, below the features.

use serde::Serialize;
use sqlx::{AnyConnection, Row};
use trial::safety::{
    decide_event_save, event_record, ActionTaken, AdverseEvent, Causality, Outcome, PartialDate,
    Seriousness,
};
use trial::Meaning;

use crate::db::Tx;
use crate::dialect::{dialect_of, render};
use crate::model::{now, Actor};
use crate::Result;

/// A stored adverse event: the event, its ids, who recorded it and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AdverseEventRecord {
    /// Its id.
    pub id: i64,
    /// The participant.
    pub participant_id: i64,
    /// The event.
    #[serde(flatten)]
    pub event: AdverseEvent,
    /// Who recorded it.
    pub recorded_by: String,
    /// When it was recorded.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it last changed.
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// Whether the investigator's signature of the event as it stands is valid.
    pub signed: bool,
    /// The latest signature of the event (valid, or void with the change that voided it).
    pub signature: Option<EventSignature>,
}

/// An investigator's signature of an adverse event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EventSignature {
    /// Its id.
    pub id: i64,
    /// What it means.
    pub meaning: Meaning,
    /// The signer's account.
    pub signer_user_id: i64,
    /// The signer's printed name.
    pub signer_name: String,
    /// When it was signed (UTC).
    #[schema(format = DateTime)]
    pub signed_at: String,
    /// The SHA-256 of the event signed.
    pub data_hash: String,
    /// When a change voided it.
    #[schema(format = DateTime)]
    pub void_at: Option<String>,
    /// The change that voided it.
    pub void_reason: Option<String>,
    /// Not void, and the event still hashes to `data_hash`.
    pub valid: bool,
}

/// The columns of an event's values, in the order [`bind_event`] binds them (12 values).
pub(crate) const EVENT_VALUES: &str =
    "verbatim, term, meddra_code, soc, onset_partial, end_partial, \
    grade, seriousness, causality_product, causality_procedure, action, outcome";

/// Binds an event's values as `$1` to `$12`, in the order of [`EVENT_VALUES`].
pub(crate) fn bind_event<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    event: &'q AdverseEvent,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    q.bind(&event.verbatim)
        .bind(&event.term)
        .bind(&event.meddra_code)
        .bind(&event.soc)
        .bind(event.onset.to_string())
        .bind(event.end.map(|d| d.to_string()))
        .bind(i64::from(event.grade))
        .bind(criteria(event))
        .bind(event.causality_product.as_str())
        .bind(event.causality_procedure.as_str())
        .bind(event.action.as_str())
        .bind(event.outcome.as_str())
}

/// The seriousness criteria as stored: their words, comma-separated, in order.
fn criteria(event: &AdverseEvent) -> String {
    let words: Vec<&str> = event.seriousness.iter().map(|s| s.as_str()).collect();
    words.join(",")
}

/// Inserts a checked adverse event of a participant (the caller has checked the participant
/// is in scope and may have events) and audits its creation field by field on `chain`; the
/// one insert of an event, for the safety feature's record and for an accepted lab value's.
pub(crate) async fn insert_event(
    tx: &mut Tx<'_>,
    chain: &str,
    participant_id: i64,
    event: &AdverseEvent,
    by: &Actor,
) -> Result<i64> {
    let at = now();
    let sql = tx.sql(&format!(
        "INSERT INTO adverse_events ({EVENT_VALUES}, participant_id, recorded_by, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         $11, $12, $13, $14, $15::timestamptz, $16::timestamptz) RETURNING id"
    ));
    let id: i64 = bind_event(sqlx::query(&sql), event)
        .bind(participant_id)
        .bind(&by.username)
        .bind(&at)
        .bind(&at)
        .fetch_one(tx.conn())
        .await?
        .try_get("id")?;
    let save = decide_event_save(&event_record(participant_id, id), None, event, None)?;
    tx.audit(chain, by, &save.changes).await?;
    Ok(id)
}

/// An event's columns, in portable form (see [`crate::dialect::render`]).
pub(crate) const EVENT_COLUMNS: &str = "id, participant_id, verbatim, term, meddra_code, soc, \
    onset_partial, end_partial, grade, seriousness, causality_product, causality_procedure, \
    action, outcome, recorded_by, created_at::instant, updated_at::instant";

/// An event's row as stored.
#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    id: i64,
    participant_id: i64,
    verbatim: String,
    term: String,
    meddra_code: String,
    soc: String,
    onset_partial: String,
    end_partial: Option<String>,
    grade: i64,
    seriousness: String,
    causality_product: String,
    causality_procedure: String,
    action: String,
    outcome: String,
    recorded_by: String,
    created_at: String,
    updated_at: String,
}

impl EventRow {
    /// The record; a value the store did not write (it writes only checked events) is an
    /// error naming the column.
    pub(crate) fn record(self) -> Result<AdverseEventRecord> {
        let bad = |column: &str, value: &str| crate::StoreError::Invalid {
            field: column.to_string(),
            message: format!("adverse event {}: {value:?} is not a stored value", self.id),
        };
        let date =
            |column: &str, text: &str| PartialDate::parse(text).ok_or_else(|| bad(column, text));
        let mut seriousness = Vec::new();
        for word in self.seriousness.split(',').filter(|w| !w.is_empty()) {
            seriousness.push(Seriousness::parse(word).ok_or_else(|| bad("seriousness", word))?);
        }
        let event = AdverseEvent {
            onset: date("onset_partial", &self.onset_partial)?,
            end: self
                .end_partial
                .as_deref()
                .map(|t| date("end_partial", t))
                .transpose()?,
            grade: u8::try_from(self.grade).map_err(|_| bad("grade", &self.grade.to_string()))?,
            seriousness,
            causality_product: Causality::parse(&self.causality_product)
                .ok_or_else(|| bad("causality_product", &self.causality_product))?,
            causality_procedure: Causality::parse(&self.causality_procedure)
                .ok_or_else(|| bad("causality_procedure", &self.causality_procedure))?,
            action: ActionTaken::parse(&self.action).ok_or_else(|| bad("action", &self.action))?,
            outcome: Outcome::parse(&self.outcome).ok_or_else(|| bad("outcome", &self.outcome))?,
            verbatim: self.verbatim,
            term: self.term,
            meddra_code: self.meddra_code,
            soc: self.soc,
        };
        Ok(AdverseEventRecord {
            id: self.id,
            participant_id: self.participant_id,
            event,
            recorded_by: self.recorded_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
            signed: false,
            signature: None,
        })
    }
}

/// The adverse events of a study's participants, in the order recorded.
pub(crate) async fn study_events(
    conn: &mut AnyConnection,
    study: &str,
) -> Result<Vec<AdverseEventRecord>> {
    let sql = render(
        dialect_of(conn),
        &format!(
            "SELECT {EVENT_COLUMNS} FROM adverse_events WHERE participant_id IN \
             (SELECT id FROM participants WHERE study_id = $1) ORDER BY id"
        ),
    );
    let rows: Vec<EventRow> = sqlx::query_as(&sql)
        .bind(study)
        .fetch_all(&mut *conn)
        .await?;
    rows.into_iter().map(EventRow::record).collect()
}

/// The adverse events of one participant, in the order recorded (the caller has checked the
/// participant is in scope).
pub(crate) async fn participant_events(
    conn: &mut AnyConnection,
    participant_id: i64,
) -> Result<Vec<AdverseEventRecord>> {
    let sql = render(
        dialect_of(conn),
        &format!(
            "SELECT {EVENT_COLUMNS} FROM adverse_events WHERE participant_id = $1 ORDER BY id"
        ),
    );
    let rows: Vec<EventRow> = sqlx::query_as(&sql)
        .bind(participant_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.into_iter().map(EventRow::record).collect()
}
