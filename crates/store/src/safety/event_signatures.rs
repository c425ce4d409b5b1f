//! The investigator's electronic signature of an adverse event's assessment (21 CFR 11.50,
//! 11.70), bound to the SHA-256 of the event as signed (`AdverseEvent::signed_hash`): signing,
//! voiding on a change (inside the change's own write), and each event's signature state.
//! The password is checked by the caller; a wrong one is recorded by
//! `Store::signature_refused` with `SignedRecord::AdverseEvent`.

use sqlx::AnyConnection;
use trial::ecrf::SignatureRecord;
use trial::safety::{check_event_participant, check_event_signable, event_record};
use trial::Meaning;

use super::{event_in, AdverseEventRecord};
use crate::db::{Store, Tx};
use crate::dialect::{dialect_of, render};
pub use crate::events::EventSignature;
use crate::model::{now, participant_in, Actor, Scope, User};
use crate::{Change, Result, StoreError};

/// A signing of an adverse event by the investigator (whose password the caller has checked).
#[derive(Clone, Debug)]
pub struct EventSigning<'a> {
    /// The participant.
    pub participant_id: i64,
    /// The adverse event.
    pub ae_id: i64,
    /// `authored`, `reviewed` or `approved` (checked by `trial::Meaning`).
    pub meaning: String,
    /// The signer.
    pub signer: &'a User,
}

#[derive(sqlx::FromRow)]
struct SignatureRow {
    id: i64,
    adverse_event_id: i64,
    meaning: String,
    signer_user_id: i64,
    signer_name: String,
    signed_at: String,
    data_hash: String,
    void_at: Option<String>,
    void_reason: Option<String>,
}

impl Store {
    /// Signs an adverse event's assessment: the signature keeps the signer's printed name, the
    /// UTC time, the meaning and the hash of the event as it stands. Refused while a signature
    /// of the event as it stands is valid. Returns the event with its signature.
    pub async fn sign_adverse_event(
        &self,
        scope: &Scope,
        signing: &EventSigning<'_>,
        by: &Actor,
    ) -> Result<AdverseEventRecord> {
        let meaning = Meaning::parse_field("meaning", &signing.meaning)?;
        let (scope, by, signer) = (scope.clone(), by.clone(), signing.signer.clone());
        let (participant_id, ae_id) = (signing.participant_id, signing.ae_id);
        self.write("sign_adverse_event", move |mut tx| {
            Box::pin(async move {
                let participant = participant_in(tx.conn(), &scope, participant_id).await?;
                check_event_participant(participant.status)?;
                // A change of the event queues behind this signing on PostgreSQL (row lock).
                let lock = tx.for_update();
                sqlx::query(&format!(
                    "SELECT id FROM adverse_events WHERE id = $1{lock}"
                ))
                .bind(ae_id)
                .fetch_optional(tx.conn())
                .await?;
                let event = event_in(tx.conn(), &scope, participant_id, ae_id).await?;
                let record = event_record(participant_id, ae_id);
                let valid = event.signature.as_ref().filter(|s| s.valid);
                check_event_signable(&record, valid.map(|s| s.signer_name.as_str()))?;
                let data_hash = event.event.signed_hash();
                let at = now();
                let id: i64 = sqlx::query_scalar(&tx.sql(
                    "INSERT INTO ae_signatures (adverse_event_id, meaning, signer_user_id, \
                     signer_name, signed_at, data_hash) \
                     VALUES ($1, $2, $3, $4, $5::timestamptz, $6) RETURNING id",
                ))
                .bind(ae_id)
                .bind(meaning.as_str())
                .bind(signer.id)
                .bind(&signer.full_name)
                .bind(&at)
                .bind(&data_hash)
                .fetch_one(tx.conn())
                .await?;
                let signed = SignatureRecord {
                    record: &format!("{record}/{id}"),
                    what: &format!("adverse event {record} ({})", event.event.term),
                    meaning,
                    signer_id: signer.id,
                    signer_name: &signer.full_name,
                    at: &at,
                    data_hash: &data_hash,
                };
                tx.audit(scope.study(), &by, &signed.changes()).await?;
                event_in(tx.conn(), &scope, participant_id, ae_id).await
            })
        })
        .await
    }
}

/// Voids every signature of an adverse event not yet void, inside the write that changed it:
/// the audit rows of the voided signatures (`trial::safety::void_signature_changes`).
pub(super) async fn void_event_signatures(
    tx: &mut Tx<'_>,
    participant_id: i64,
    ae_id: i64,
    what_changed: &str,
    reason: Option<&str>,
) -> Result<Vec<Change>> {
    let voided: Vec<i64> = sqlx::query_scalar(&tx.sql(
        "UPDATE ae_signatures SET void_at = $1::timestamptz, void_reason = $2 \
         WHERE adverse_event_id = $3 AND void_at IS NULL RETURNING id",
    ))
    .bind(now())
    .bind(what_changed)
    .bind(ae_id)
    .fetch_all(tx.conn())
    .await?;
    Ok(trial::safety::void_signature_changes(
        &event_record(participant_id, ae_id),
        voided,
        what_changed,
        reason,
    ))
}

/// Sets each event's signature state: its latest signature, valid when not void and the event
/// still hashes to what was signed.
pub(super) async fn attach_signatures(
    conn: &mut AnyConnection,
    events: &mut [AdverseEventRecord],
) -> Result<()> {
    let Some(first) = events.iter().map(|e| e.id).min() else {
        return Ok(());
    };
    let last = events.iter().map(|e| e.id).max().unwrap_or(first);
    let sql = render(
        dialect_of(conn),
        "SELECT id, adverse_event_id, meaning, signer_user_id, signer_name, \
         signed_at::instant, data_hash, void_at::instant, void_reason FROM ae_signatures \
         WHERE adverse_event_id BETWEEN $1 AND $2 ORDER BY id",
    );
    let rows: Vec<SignatureRow> = sqlx::query_as(&sql)
        .bind(first)
        .bind(last)
        .fetch_all(&mut *conn)
        .await?;
    for row in rows {
        let Some(event) = events.iter_mut().find(|e| e.id == row.adverse_event_id) else {
            continue;
        };
        let meaning = Meaning::parse(&row.meaning).ok_or_else(|| StoreError::Invalid {
            field: "meaning".into(),
            message: format!("signature {}: {:?} is not a meaning", row.id, row.meaning),
        })?;
        let valid = row.void_at.is_none() && row.data_hash == event.event.signed_hash();
        event.signed = valid;
        event.signature = Some(EventSignature {
            id: row.id,
            meaning,
            signer_user_id: row.signer_user_id,
            signer_name: row.signer_name,
            signed_at: row.signed_at,
            data_hash: row.data_hash,
            void_at: row.void_at,
            void_reason: row.void_reason,
            valid,
        });
    }
    Ok(())
}
