//! Electronic signatures of a visit or of the whole casebook (21 CFR 11.50, 11.70, 11.200),
//! and the record of a signature refused for a wrong password.

use trial::ecrf::{self as rules, SignatureRecord, CASEBOOK};
use trial::{FormStatus, Meaning, SignedRecord};

use super::{form_status, Signature};
use crate::db::Store;
use crate::model::{now, participant_in, Actor, Scope, User};
use crate::not_found;
use crate::Result;

/// A signing of a visit by its signer (whose password the caller has checked).
#[derive(Clone, Debug)]
pub struct Signing<'a> {
    /// The participant.
    pub participant_id: i64,
    /// The visit signed, or `None` for the whole casebook (every saved form of every visit).
    pub visit_id: Option<String>,
    /// `authored`, `reviewed` or `approved` (checked by `trial::ecrf::Meaning`).
    pub meaning: String,
    /// The signer.
    pub signer: &'a User,
}

impl Store {
    /// Signs a visit, or the whole casebook (`visit_id: None`), electronically: every saved
    /// form signed must be complete; the signature keeps the signer's printed name, the UTC
    /// time, the meaning and the hash of exactly the data signed. A later change to any form
    /// it covers voids it. The caller has checked the signer's password.
    pub async fn sign_visit(
        &self,
        scope: &Scope,
        signing: &Signing<'_>,
        by: &Actor,
    ) -> Result<Signature> {
        let meaning = Meaning::parse_field("meaning", &signing.meaning)?;
        let (scope, by) = (scope.clone(), by.clone());
        let (participant_id, visit) = (signing.participant_id, signing.visit_id.clone());
        let signer = signing.signer.clone();
        self.write("sign_visit", move |mut tx| {
            Box::pin(async move {
                let what = visit
                    .as_deref()
                    .map_or_else(|| "the casebook".to_string(), |v| format!("visit {v}"));
                let lock = tx.for_update();
                participant_in(tx.conn(), &scope, participant_id).await?;
                let wanted = visit.clone().unwrap_or_default();
                let all = i64::from(visit.is_none());
                // Saves of the visits signed queue behind this signing on PostgreSQL (row locks).
                let visits: Vec<(String,)> = sqlx::query_as(&format!(
                    "SELECT visit_id FROM visits WHERE participant_id = $1 \
                     AND (visit_id = $2 OR $3 = 1) ORDER BY visit_id{lock}"
                ))
                .bind(participant_id)
                .bind(&wanted)
                .bind(all)
                .fetch_all(tx.conn())
                .await?;
                if let (Some(visit_id), true) = (&visit, visits.is_empty()) {
                    return Err(not_found("visit", format!("{participant_id}/{visit_id}")));
                }
                let rows: Vec<(String, String, String, String)> =
                    sqlx::query_as(&tx.sql(&format!(
                        "SELECT visit_id, form_id, data::text, status FROM form_entries \
                     WHERE participant_id = $1 AND (visit_id = $2 OR $3 = 1) \
                     ORDER BY visit_id, form_id{lock}"
                    )))
                    .bind(participant_id)
                    .bind(&wanted)
                    .bind(all)
                    .fetch_all(tx.conn())
                    .await?;
                // A visit's forms are named by form; a casebook's by visit and form.
                let named: Vec<(String, FormStatus, serde_json::Value)> = rows
                    .into_iter()
                    .map(|(visit_id, form_id, data, status)| {
                        let name = match visit {
                            Some(_) => form_id,
                            None => format!("{visit_id}/{form_id}"),
                        };
                        (
                            name,
                            form_status(&status),
                            serde_json::from_str(&data).unwrap_or_default(),
                        )
                    })
                    .collect();
                rules::check_signable(&what, named.iter().map(|(n, s, _)| (n.as_str(), *s)))?;
                let data_hash =
                    rules::signed_data_hash(named.iter().map(|(n, _, d)| (n.as_str(), d)));
                let at = now();
                let id: i64 = sqlx::query_scalar(&tx.sql(
                    "INSERT INTO signatures (participant_id, visit_id, meaning, signer_user_id, \
                     signer_name, signed_at, data_hash) \
                     VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7) RETURNING id",
                ))
                .bind(participant_id)
                .bind(&wanted)
                .bind(meaning.as_str())
                .bind(signer.id)
                .bind(&signer.full_name)
                .bind(&at)
                .bind(&data_hash)
                .fetch_one(tx.conn())
                .await?;
                let record = format!(
                    "{participant_id}/{}/{id}",
                    visit.as_deref().unwrap_or(CASEBOOK)
                );
                let signed = SignatureRecord {
                    record: &record,
                    what: &what,
                    meaning,
                    signer_id: signer.id,
                    signer_name: &signer.full_name,
                    at: &at,
                    data_hash: &data_hash,
                };
                tx.audit(scope.study(), &by, &signed.changes()).await?;
                Ok(Signature {
                    id,
                    participant_id,
                    casebook: visit.is_none(),
                    visit_id: wanted,
                    meaning,
                    signer_user_id: signer.id,
                    signer_name: signer.full_name,
                    signed_at: at,
                    data_hash,
                    void_at: None,
                    void_reason: None,
                    valid: true,
                })
            })
        })
        .await
    }

    /// Records a signature refused for a wrong password: of a visit, the casebook, an
    /// unblinding, a dose override or a DLT assessment of a participant in scope.
    pub async fn signature_refused(
        &self,
        scope: &Scope,
        participant_id: i64,
        what: &SignedRecord,
        by: &Actor,
    ) -> Result<()> {
        let (scope, change, by) = (scope.clone(), what.refused(participant_id), by.clone());
        self.write("signature_refused", move |mut tx| {
            Box::pin(async move {
                participant_in(tx.conn(), &scope, participant_id).await?;
                tx.audit(scope.study(), &by, &[change]).await
            })
        })
        .await
    }
}
