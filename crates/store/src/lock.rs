//! The database lock of a study and its unblinding after the lock (migration
//! `0021_database_lock`). The rules are `trial::lock`'s; this feature reads what blocks a lock
//! (the saved forms with whether a valid signature covers each, the queries), persists the
//! signed lock and unblinding and audits them. That a locked study refuses every other write
//! is kept by the core, where every write appends its audit rows (`chain::append`).

use serde::Serialize;
use sqlx::AnyConnection;
use trial::lock::{self as rules, Blocker, LockForm, LockQuery, LockState};
use trial::{FormStatus, QueryStatus, Study};

use crate::db::Store;
use crate::dialect::{dialect_of, render};
use crate::model::{now, Actor, Scope, User};
use crate::Result;

/// A study's lock, and its unblinding once done.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StudyLock {
    /// The study.
    pub study_id: String,
    /// When it was locked (UTC).
    #[schema(format = DateTime)]
    pub locked_at: String,
    /// Who signed the lock: the account.
    pub locked_by: i64,
    /// And the printed name.
    pub locker_name: String,
    /// The position of the study's audit chain's head when the lock was signed.
    pub audit_seq: i64,
    /// Its hash: what the lock is bound to.
    pub audit_hash: String,
    /// When the study was unblinded (UTC).
    #[schema(format = DateTime)]
    pub unblinded_at: Option<String>,
    /// Who signed the unblinding.
    pub unblinded_by: Option<i64>,
    /// The printed name.
    pub unblinder_name: Option<String>,
    /// Why.
    pub unblind_reason: Option<String>,
}

impl StudyLock {
    /// Where the study stands.
    pub fn state(lock: Option<&StudyLock>) -> LockState {
        match lock {
            None => LockState::Open,
            Some(l) if l.unblinded_at.is_some() => LockState::Unblinded,
            Some(_) => LockState::Locked,
        }
    }
}

type LockRow = (
    String,
    String,
    i64,
    String,
    i64,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
);

async fn lock_of(conn: &mut AnyConnection, study: &str) -> Result<Option<StudyLock>> {
    let sql = render(
        dialect_of(conn),
        "SELECT study_id, locked_at::instant, locked_by, locker_name, audit_seq, audit_hash, \
         unblinded_at::instant, unblinded_by, unblinder_name, unblind_reason \
         FROM study_locks WHERE study_id = $1",
    );
    let row: Option<LockRow> = sqlx::query_as(&sql)
        .bind(study)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(
        |(
            study_id,
            locked_at,
            locked_by,
            locker_name,
            audit_seq,
            audit_hash,
            unblinded_at,
            unblinded_by,
            unblinder_name,
            unblind_reason,
        )| StudyLock {
            study_id,
            locked_at,
            locked_by,
            locker_name,
            audit_seq,
            audit_hash,
            unblinded_at,
            unblinded_by,
            unblinder_name,
            unblind_reason,
        },
    ))
}

/// A saved form's row: participant, subject, site, visit, form, data, status.
type FormRow = (i64, String, String, String, String, String, String);
/// A signature's row: participant, visit (empty for the casebook), hash, void.
type SignatureRow = (i64, String, String, Option<String>);
/// A query's row: id, participant, subject, site, visit, form, field, status.
type QueryRow = (i64, i64, String, String, String, String, String, String);

/// Everything that blocks the study's lock, in subject order.
async fn blockers_in(conn: &mut AnyConnection, study: &str) -> Result<Vec<Blocker>> {
    let dialect = dialect_of(conn);
    let subject = "COALESCE(p.subject_id, p.screening_number)";
    let forms: Vec<FormRow> = sqlx::query_as(&render(
        dialect,
        &format!(
            "SELECT p.id, {subject}, p.site_id, f.visit_id, f.form_id, f.data::text, f.status \
             FROM form_entries f JOIN participants p ON p.id = f.participant_id \
             WHERE p.study_id = $1 ORDER BY {subject}, p.id, f.visit_id, f.form_id"
        ),
    ))
    .bind(study)
    .fetch_all(&mut *conn)
    .await?;
    let signatures: Vec<SignatureRow> = sqlx::query_as(&render(
        dialect,
        "SELECT s.participant_id, s.visit_id, s.data_hash, s.void_at::instant \
         FROM signatures s JOIN participants p ON p.id = s.participant_id \
         WHERE p.study_id = $1 AND s.void_at IS NULL",
    ))
    .bind(study)
    .fetch_all(&mut *conn)
    .await?;
    let queries: Vec<QueryRow> = sqlx::query_as(&render(
        dialect,
        &format!(
            "SELECT q.id, p.id, {subject}, p.site_id, q.visit_id, q.form_id, q.field, q.status \
             FROM queries q JOIN participants p ON p.id = q.participant_id \
             WHERE p.study_id = $1 AND q.status <> 'closed' ORDER BY {subject}, q.id"
        ),
    ))
    .bind(study)
    .fetch_all(&mut *conn)
    .await?;
    let data: Vec<serde_json::Value> = forms
        .iter()
        .map(|f| serde_json::from_str(&f.5).unwrap_or_default())
        .collect();
    // A signature is valid while its visit's (or the casebook's) forms still hash to what was
    // signed, as `trial::ecrf::covered_data_hash` computes it from the participant's forms.
    let mut lock_forms = Vec::with_capacity(forms.len());
    let mut start = 0;
    while start < forms.len() {
        let participant = forms[start].0;
        let end = start + forms[start..].partition_point(|f| f.0 == participant);
        let saved: Vec<(&str, &str, &serde_json::Value)> = (start..end)
            .map(|i| (forms[i].3.as_str(), forms[i].4.as_str(), &data[i]))
            .collect();
        let valid: Vec<&str> = signatures
            .iter()
            .filter(|s| s.0 == participant && s.3.is_none())
            .filter(|s| trial::ecrf::covered_data_hash(&s.1, &saved) == s.2)
            .map(|s| s.1.as_str())
            .collect();
        for f in &forms[start..end] {
            lock_forms.push(LockForm {
                participant_id: f.0,
                subject: f.1.clone(),
                site_id: f.2.clone(),
                visit_id: f.3.clone(),
                form_id: f.4.clone(),
                status: FormStatus::parse(&f.6).unwrap_or(FormStatus::InProgress),
                signed: valid.iter().any(|v| v.is_empty() || *v == f.3),
            });
        }
        start = end;
    }
    let lock_queries: Vec<LockQuery> = queries
        .into_iter()
        .map(
            |(id, participant_id, subject, site_id, visit_id, form_id, field, status)| LockQuery {
                id,
                participant_id,
                subject,
                site_id,
                visit_id,
                form_id,
                field,
                status: QueryStatus::parse(&status).unwrap_or(QueryStatus::Open),
            },
        )
        .collect();
    Ok(rules::blockers(&lock_forms, &lock_queries))
}

impl Store {
    /// The study's lock, when it is locked.
    pub async fn study_lock(&self, study: &str) -> Result<Option<StudyLock>> {
        let mut conn = self.pool.acquire().await?;
        lock_of(&mut conn, study).await
    }

    /// What blocks the study's lock, within the caller's scope (a site user sees their sites'
    /// participants only).
    pub async fn lock_blockers(&self, scope: &Scope) -> Result<Vec<Blocker>> {
        let mut conn = self.pool.acquire().await?;
        let all = blockers_in(&mut conn, scope.study()).await?;
        Ok(all
            .into_iter()
            .filter(|b| scope.includes_site(b.site_id()))
            .collect())
    }

    /// Locks the study, signed by `signer` (whose password the caller checked): refused while
    /// anything blocks it or when locked already. The lock is bound to the head of the study's
    /// audit chain, taken first, so no write to the study can slip in between the check and
    /// the lock; from its commit on the study refuses every write but the records of reading.
    pub async fn lock_database(&self, study: &str, signer: &User, by: &Actor) -> Result<StudyLock> {
        let (study, signer, by) = (study.to_string(), signer.clone(), by.clone());
        self.write_alone("lock_database", move |mut tx| {
            Box::pin(async move {
                let (seq, hash) = tx.take_head(&study).await?;
                let state = StudyLock::state(lock_of(tx.conn(), &study).await?.as_ref());
                let blockers = blockers_in(tx.conn(), &study).await?;
                let change =
                    rules::decide_lock(&study, state, &blockers, seq, &hash, &signer.full_name)?;
                sqlx::query(&tx.sql(
                    "INSERT INTO study_locks (study_id, locked_at, locked_by, locker_name, \
                     audit_seq, audit_hash) VALUES ($1, $2::timestamptz, $3, $4, $5, $6)",
                ))
                .bind(&study)
                .bind(now())
                .bind(signer.id)
                .bind(&signer.full_name)
                .bind(seq)
                .bind(&hash)
                .execute(tx.conn())
                .await?;
                tx.audit(&study, &by, &[change]).await?;
                lock_of(tx.conn(), &study)
                    .await?
                    .ok_or_else(|| crate::not_found("database lock", &study))
            })
        })
        .await
    }

    /// Unblinds the locked study, signed by `signer` with a reason: audited on the study's
    /// chain; from then on everyone with a role in it sees the results by arm.
    pub async fn unblind_study(
        &self,
        study: &Study,
        signer: &User,
        reason: &str,
        by: &Actor,
    ) -> Result<StudyLock> {
        let (study, signer, reason, by) = (
            study.clone(),
            signer.clone(),
            reason.to_string(),
            by.clone(),
        );
        self.write("unblind_study", move |mut tx| {
            Box::pin(async move {
                let lock = tx.for_update();
                let sql = tx.sql(&format!(
                    "SELECT study_id FROM study_locks WHERE study_id = $1{lock}"
                ));
                sqlx::query(&sql)
                    .bind(&study.id)
                    .fetch_optional(tx.conn())
                    .await?;
                let state = StudyLock::state(lock_of(tx.conn(), &study.id).await?.as_ref());
                let change = rules::decide_unblinding(&study, state, &reason, &signer.full_name)?;
                sqlx::query(&tx.sql(
                    "UPDATE study_locks SET unblinded_at = $1::timestamptz, unblinded_by = $2, \
                     unblinder_name = $3, unblind_reason = $4 WHERE study_id = $5",
                ))
                .bind(now())
                .bind(signer.id)
                .bind(&signer.full_name)
                .bind(reason.trim())
                .bind(&study.id)
                .execute(tx.conn())
                .await?;
                tx.audit(&study.id, &by, &[change]).await?;
                lock_of(tx.conn(), &study.id)
                    .await?
                    .ok_or_else(|| crate::not_found("database lock", &study.id))
            })
        })
        .await
    }
}
