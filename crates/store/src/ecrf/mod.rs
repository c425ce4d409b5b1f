//! The eCRF: a visit's forms saved and changed (a change needs a reason, clears the source
//! verification and voids the signatures over it, in the same transaction), source
//! verification, locks, and (in [`signatures`]) electronic signatures of a visit or of the
//! whole casebook. The rules are `trial::ecrf`; this feature loads, persists and audits.

mod import;
mod signatures;

pub use import::{FormImport, ImportCount};
pub use signatures::Signing;

use serde::Serialize;
use sqlx::AnyConnection;
use trial::ecrf::{self as rules, FormSaveRequest, SavedForm};
use trial::{FormState, FormStatus, Meaning};

use crate::db::{Store, Tx};
use crate::dialect::{dialect_of, render, Flag};
use crate::model::{now, participant_in, record_eligibility, scope_filter, Actor, Scope};
use crate::not_found;
use crate::{Dialect, Result};

/// A form's values to save for a visit.
#[derive(Clone, Debug)]
pub struct FormSave {
    /// The participant.
    pub participant_id: i64,
    /// The visit.
    pub visit_id: String,
    /// The form.
    pub form_id: String,
    /// The values as validated and normalised: a JSON object, field id to value.
    pub data: serde_json::Map<String, serde_json::Value>,
    /// What it is saved as.
    pub status: FormStatus,
    /// Why saved data changes (required when the form was saved before).
    pub reason: Option<String>,
    /// For the screening visit's ISNCSCI form (the screening exam): the eligibility the saved
    /// exam gives, recorded on the participant as `trial::screening_exam` decides.
    pub eligibility: Option<trial::screening_exam::Found>,
}

/// A save lent rather than given is copied ([`Store::save_form`] takes either: a caller that
/// has no further use for its save gives it, and its values are not copied).
impl From<&FormSave> for FormSave {
    fn from(save: &FormSave) -> FormSave {
        save.clone()
    }
}

/// A form as saved.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FormEntry {
    /// The participant.
    pub participant_id: i64,
    /// The visit.
    pub visit_id: String,
    /// The form.
    pub form_id: String,
    /// The values.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// What it is saved as (none for a planned form not saved yet, written `not-started`).
    #[serde(serialize_with = "saved_status")]
    #[schema(value_type = SavedStatus)]
    pub status: Option<FormStatus>,
    /// The state shown: locked, else signed (a valid signature covers its visit), else
    /// source-verified, else the saved status (see [`FormState::of`]).
    pub state: FormState,
    /// Who source-verified it (cleared by a later change).
    pub verified_by: Option<String>,
    /// When.
    #[schema(format = DateTime)]
    pub verified_at: Option<String>,
    /// Whether a data manager locked it (a locked form refuses changes).
    pub locked: bool,
    /// 1 when first saved, then one more at each change.
    pub version: i64,
    /// When it last changed (none for a planned form not saved yet).
    #[schema(format = DateTime)]
    pub updated_at: Option<String>,
}

/// An electronic signature of a visit, as shown with the record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Signature {
    /// Its id.
    pub id: i64,
    /// The participant.
    pub participant_id: i64,
    /// Whether it signs the whole casebook (then `visit_id` is empty) rather than one visit.
    pub casebook: bool,
    /// The visit signed (empty for a casebook signature).
    pub visit_id: String,
    /// What it means.
    pub meaning: Meaning,
    /// The signer's account.
    pub signer_user_id: i64,
    /// The signer's printed name.
    pub signer_name: String,
    /// When (UTC).
    #[schema(format = DateTime)]
    pub signed_at: String,
    /// SHA-256 of exactly the data signed: see `trial::ecrf::signed_data_hash`.
    pub data_hash: String,
    /// When a change voided it.
    #[schema(format = DateTime)]
    pub void_at: Option<String>,
    /// The change that voided it.
    pub void_reason: Option<String>,
    /// Not void, and the visit's data still hashes to `data_hash`.
    pub valid: bool,
}

/// A saved form's row as read: visit, form, data, status, version, updated_at, verified_by,
/// verified_at, locked.
type FormRow = (
    String,
    String,
    String,
    String,
    i64,
    String,
    Option<String>,
    Option<String>,
    Flag,
);

/// A signature's row as read: id, visit, meaning, signer id, signer name, signed_at, hash,
/// void_at, void_reason.
type SignatureRow = (
    i64,
    String,
    String,
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

/// A form's saved status as the API writes it: `not-started` before the first save.
fn saved_status<S: serde::Serializer>(
    status: &Option<FormStatus>,
    out: S,
) -> Result<S::Ok, S::Error> {
    out.serialize_str(status.map_or(FormState::NotStarted.as_str(), |s| s.as_str()))
}

/// The schema of a form's saved status as the API writes it: `not-started` or a [`FormStatus`].
struct SavedStatus;

impl utoipa::PartialSchema for SavedStatus {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let words = std::iter::once(FormState::NotStarted.as_str())
            .chain(FormStatus::ALL.iter().map(|s| s.as_str()));
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(words))
            .into()
    }
}

impl utoipa::ToSchema for SavedStatus {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("SavedStatus")
    }
}

/// A saved status as read (written only from `FormStatus`).
fn form_status(text: &str) -> FormStatus {
    FormStatus::parse(text).unwrap_or(FormStatus::InProgress)
}

impl Store {
    /// Saves a visit's form: the first save creates it; a change to a saved form needs a
    /// reason, and every changed field is in the audit trail with its old and new value. The
    /// form is returned as saved (unverified, unlocked, its visit's signatures void).
    pub async fn save_form(
        &self,
        scope: &Scope,
        f: impl Into<FormSave>,
        by: &Actor,
    ) -> Result<FormEntry> {
        let study = scope.study();
        // The save and its values as stored (written out here, not in the writer's queue),
        // shared with the write, which may run more than once (see `lanes::Write`): not copied
        // for each run, and once the write is done this one's again.
        let f: FormSave = f.into();
        let shared = std::sync::Arc::new((form_text(&f), f));
        let saved = {
            let (scope, shared, by) = (scope.clone(), shared.clone(), by.clone());
            self.write_in(study, "save_form", move |mut tx| {
                Box::pin(async move {
                    let (text, f) = &*shared;
                    save_form_in(&mut tx, &scope, f, text, &by).await
                })
            })
            .await?
        };
        let (_, f) = std::sync::Arc::try_unwrap(shared).unwrap_or_else(|s| (*s).clone());
        Ok(saved.entry(f))
    }

    /// A participant's saved forms, each with its shown state.
    pub async fn forms(&self, scope: &Scope, participant_id: i64) -> Result<Vec<FormEntry>> {
        let mut conn = self.pool.acquire().await?;
        participant_in(&mut conn, scope, participant_id).await?;
        Ok(casebook(&mut conn, participant_id).await?.0)
    }

    /// A participant's signatures, oldest first, each with whether it is still valid.
    pub async fn signatures(&self, scope: &Scope, participant_id: i64) -> Result<Vec<Signature>> {
        let mut conn = self.pool.acquire().await?;
        participant_in(&mut conn, scope, participant_id).await?;
        Ok(casebook(&mut conn, participant_id).await?.1)
    }

    /// Marks a complete form as checked against the source (a monitor's source data
    /// verification).
    pub async fn verify_form(
        &self,
        scope: &Scope,
        participant_id: i64,
        visit_id: &str,
        form_id: &str,
        by: &Actor,
    ) -> Result<FormEntry> {
        let key = FormKey::new(participant_id, visit_id, form_id);
        let study = scope.study();
        let (scope, by) = (scope.clone(), by.clone());
        self.write_in(study, "verify_form", move |mut tx| {
            Box::pin(async move {
                participant_in(tx.conn(), &scope, key.participant_id).await?;
                let (status, verified_by, locked) = form_flags(&mut tx, &key).await?;
                rules::check_verification(&key.form_id, status, verified_by.as_deref(), locked)?;
                sqlx::query(&tx.sql(
                    "UPDATE form_entries SET verified_by = $1, verified_at = $2::timestamptz \
                     WHERE participant_id = $3 AND visit_id = $4 AND form_id = $5",
                ))
                .bind(&by.username)
                .bind(now())
                .bind(key.participant_id)
                .bind(&key.visit_id)
                .bind(&key.form_id)
                .execute(tx.conn())
                .await?;
                let change = trial::Change::new("verify", "form", key.record())
                    .set("verified_by", &by.username);
                tx.audit(scope.study(), &by, &[change]).await?;
                form_entry(tx.conn(), &key).await
            })
        })
        .await
    }

    /// Locks a saved form: it refuses changes until unlocked.
    pub async fn lock_form(
        &self,
        scope: &Scope,
        participant_id: i64,
        visit_id: &str,
        form_id: &str,
        by: &Actor,
    ) -> Result<FormEntry> {
        let key = FormKey::new(participant_id, visit_id, form_id);
        self.set_locked(scope, key, None, by).await
    }

    /// Unlocks a locked form; the reason is required.
    pub async fn unlock_form(
        &self,
        scope: &Scope,
        participant_id: i64,
        visit_id: &str,
        form_id: &str,
        reason: &str,
        by: &Actor,
    ) -> Result<FormEntry> {
        let key = FormKey::new(participant_id, visit_id, form_id);
        self.set_locked(scope, key, Some(reason.to_string()), by)
            .await
    }

    /// Locks (no reason) or unlocks (with the reason) a saved form.
    async fn set_locked(
        &self,
        scope: &Scope,
        key: FormKey,
        unlock_reason: Option<String>,
        by: &Actor,
    ) -> Result<FormEntry> {
        if let Some(reason) = &unlock_reason {
            trial::required_reason(Some(reason), "to unlock a form")?;
        }
        let study = scope.study();
        let (scope, by) = (scope.clone(), by.clone());
        self.write_in(study, "set_locked", move |mut tx| {
            Box::pin(async move {
                participant_in(tx.conn(), &scope, key.participant_id).await?;
                let (_, _, locked) = form_flags(&mut tx, &key).await?;
                let unlock = unlock_reason.as_deref().map(Some);
                let change = rules::lock_change(&key.record(), &key.form_id, locked, unlock)?;
                sqlx::query(
                    "UPDATE form_entries SET locked = $1 \
                     WHERE participant_id = $2 AND visit_id = $3 AND form_id = $4",
                )
                .bind(!locked)
                .bind(key.participant_id)
                .bind(&key.visit_id)
                .bind(&key.form_id)
                .execute(tx.conn())
                .await?;
                tx.audit(scope.study(), &by, &[change]).await?;
                form_entry(tx.conn(), &key).await
            })
        })
        .await
    }
}

/// A form of a participant's visit.
#[derive(Clone, Debug)]
struct FormKey {
    participant_id: i64,
    visit_id: String,
    form_id: String,
}

impl FormKey {
    fn new(participant_id: i64, visit_id: &str, form_id: &str) -> FormKey {
        FormKey {
            participant_id,
            visit_id: visit_id.into(),
            form_id: form_id.into(),
        }
    }

    /// How the audit trail names it: `participant/visit/form`.
    fn record(&self) -> String {
        format!("{}/{}/{}", self.participant_id, self.visit_id, self.form_id)
    }
}

/// A form as [`save_form_in`] saved it: the rest is the save's.
struct Saved {
    version: i64,
    updated_at: String,
}

impl Saved {
    /// The saved form (unverified, unlocked).
    fn entry(self, f: FormSave) -> FormEntry {
        FormEntry {
            participant_id: f.participant_id,
            visit_id: f.visit_id,
            form_id: f.form_id,
            data: serde_json::Value::Object(f.data),
            status: Some(f.status),
            state: FormState::of(f.status, false, false, false),
            verified_by: None,
            verified_at: None,
            locked: false,
            version: self.version,
            updated_at: Some(self.updated_at),
        }
    }
}

/// A form's values as stored (a map with string keys always serialises).
fn form_text(f: &FormSave) -> String {
    serde_json::to_string(&f.data).unwrap_or_default()
}

/// The write of [`Store::save_form`], inside the caller's transaction; `data` is
/// [`form_text`] of the save.
async fn save_form_in(
    tx: &mut Tx<'_>,
    scope: &Scope,
    f: &FormSave,
    data: &str,
    by: &Actor,
) -> Result<Saved> {
    let record = format!("{}/{}/{}", f.participant_id, f.visit_id, f.form_id);
    let at = now();
    // Decided on the form as read, written only if it is still so (see `saved_form`): read
    // again otherwise, which finds it as it now is.
    let mut tries = 0;
    let (outcome, signed) = loop {
        let (before, signed) = saved_form(tx, scope, f).await?;
        let outcome = rules::decide_save(
            before.as_ref(),
            FormSaveRequest {
                record: &record,
                form_id: &f.form_id,
                data: &f.data,
                status: f.status,
                reason: f.reason.as_deref(),
            },
        )?;
        if write_form(tx, f, data, &at, &outcome, before.as_ref(), signed).await? {
            break (outcome, signed);
        }
        tries += 1;
        if tries == 3 {
            return Err(crate::StoreError::Conflict {
                field: "version".into(),
                message: format!("form {record} kept changing while it was saved: save it again"),
            });
        }
    };
    let mut changes = outcome.changes;
    if let Some(found) = &f.eligibility {
        changes.extend(
            record_eligibility(tx, f.participant_id, found, outcome.reason.as_deref()).await?,
        );
    }
    // Every signature of the visit, and the casebook's (visit_id ''), not yet void is void
    // now, with the change.
    if signed > 0 {
        let voided: Vec<(i64, String)> = sqlx::query_as(&tx.sql(
            "UPDATE signatures SET void_at = $1::timestamptz, void_reason = $2 \
             WHERE participant_id = $3 AND visit_id IN ($4, '') AND void_at IS NULL \
             RETURNING id, visit_id",
        ))
        .bind(&at)
        .bind(&outcome.what_changed)
        .bind(f.participant_id)
        .bind(&f.visit_id)
        .fetch_all(tx.conn())
        .await?;
        changes.extend(rules::void_changes(
            f.participant_id,
            voided,
            &outcome.what_changed,
            outcome.reason.as_deref(),
        ));
    }
    tx.audit(scope.study(), by, &changes).await?;
    Ok(Saved {
        version: outcome.version,
        updated_at: at,
    })
}

/// The live signatures of a form's visit and of the casebook, in a statement whose
/// participant is `$1` and visit `$2`.
const LIVE_SIGNATURES: &str = "(SELECT COUNT(*) FROM signatures s WHERE s.participant_id = $1 \
     AND s.visit_id IN ($2, '') AND s.void_at IS NULL)";

/// Writes the form as decided, if it is still as it was read (`before`, with `signed` live
/// signatures): false, and nothing written, if it changed meanwhile.
async fn write_form(
    tx: &mut Tx<'_>,
    f: &FormSave,
    data: &str,
    at: &str,
    outcome: &rules::SaveOutcome,
    before: Option<&SavedForm>,
    signed: i64,
) -> Result<bool> {
    // The same first eight parameters for a first save and a change: a change also names the
    // form as read (its version, which every change of its values or status moves on, and what
    // verification and locking change without moving it).
    let sql = match before {
        None => format!(
            "INSERT INTO form_entries (participant_id, visit_id, form_id, data, status, \
             version, updated_at) \
             SELECT $1, $2, $3, $4::json, $5, $6, $7::timestamptz \
             WHERE {LIVE_SIGNATURES} = $8 \
             ON CONFLICT (participant_id, visit_id, form_id) DO NOTHING"
        ),
        Some(_) => format!(
            "UPDATE form_entries SET data = $4::json, status = $5, version = $6, \
             updated_at = $7::timestamptz, verified_by = NULL, verified_at = NULL \
             WHERE participant_id = $1 AND visit_id = $2 AND form_id = $3 \
             AND {LIVE_SIGNATURES} = $8 AND version = $9 AND locked = $10 \
             AND verified_by IS NOT DISTINCT FROM $11"
        ),
    };
    let sql = tx.sql(&sql);
    let mut q = sqlx::query(&sql)
        .bind(f.participant_id)
        .bind(&f.visit_id)
        .bind(&f.form_id)
        .bind(data)
        .bind(f.status.as_str())
        .bind(outcome.version)
        .bind(at)
        .bind(signed);
    if let Some(before) = before {
        q = q
            .bind(before.version)
            .bind(before.locked)
            .bind(before.verified_by.as_deref());
    }
    let written = q.execute(tx.conn()).await?;
    Ok(written.rows_affected() == 1)
}

/// The form as saved before this save (none for a first save), and how many signatures not yet
/// void cover its visit (or the casebook). Refuses a participant out of scope or a visit that
/// is not planned.
///
/// On PostgreSQL the statement locks the visit's row, so that saves and signings of one visit
/// queue there and a signature never misses a change made while it was being recorded. What
/// it read of the form and the signatures is as it was when the statement began, before any
/// wait for that lock: the write (`write_form`), a statement begun once the lock is held,
/// writes only if the form and the signatures are still as read, and otherwise the form is
/// read again. (SQLite has one writer: nothing commits meanwhile.)
async fn saved_form(
    tx: &mut Tx<'_>,
    scope: &Scope,
    f: &FormSave,
) -> Result<(Option<SavedForm>, i64)> {
    let (filter, values) = scope_filter(scope, 4);
    let lock = match tx.dialect() {
        Dialect::Postgres => " FOR UPDATE OF v",
        Dialect::Sqlite => "",
    };
    let sql = format!(
        "SELECT f.data::text, f.status, f.version, f.verified_by, f.locked, {LIVE_SIGNATURES} \
         FROM participants p \
         JOIN visits v ON v.participant_id = p.id AND v.visit_id = $2 \
         LEFT JOIN form_entries f ON f.participant_id = v.participant_id \
          AND f.visit_id = v.visit_id AND f.form_id = $3 \
         WHERE p.id = $1 AND {filter}{lock}"
    );
    type Before = (
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<String>,
        Option<Flag>,
        i64,
    );
    let sql = tx.sql(&sql);
    let mut q = sqlx::query_as::<_, Before>(&sql)
        .bind(f.participant_id)
        .bind(&f.visit_id)
        .bind(&f.form_id);
    for v in &values {
        q = q.bind(v);
    }
    let Some(row) = q.fetch_optional(tx.conn()).await? else {
        // Which is missing: the participant (or not in scope), or the visit.
        participant_in(tx.conn(), scope, f.participant_id).await?;
        return Err(not_found(
            "visit",
            format!("{}/{}", f.participant_id, f.visit_id),
        ));
    };
    let (data, status, version, verified_by, locked, signed) = row;
    let before = match (status, version, locked) {
        (Some(status), Some(version), Some(locked)) => Some(SavedForm {
            data: serde_json::from_str(&data.unwrap_or_default()).unwrap_or_default(),
            status: form_status(&status),
            version,
            verified_by,
            locked: locked.0,
        }),
        _ => None,
    };
    Ok((before, signed))
}

/// A saved form's status, verifier and lock, read for a change (row-locked on PostgreSQL).
async fn form_flags(tx: &mut Tx<'_>, key: &FormKey) -> Result<(FormStatus, Option<String>, bool)> {
    let lock = tx.for_update();
    let row: Option<(String, Option<String>, Flag)> = sqlx::query_as(&format!(
        "SELECT status, verified_by, locked FROM form_entries \
         WHERE participant_id = $1 AND visit_id = $2 AND form_id = $3{lock}"
    ))
    .bind(key.participant_id)
    .bind(&key.visit_id)
    .bind(&key.form_id)
    .fetch_optional(tx.conn())
    .await?;
    let (status, verified_by, locked) = row.ok_or_else(|| not_found("form", key.record()))?;
    Ok((form_status(&status), verified_by, locked.0))
}

/// One saved form, with its shown state.
async fn form_entry(conn: &mut AnyConnection, key: &FormKey) -> Result<FormEntry> {
    casebook(conn, key.participant_id)
        .await?
        .0
        .into_iter()
        .find(|f| f.visit_id == key.visit_id && f.form_id == key.form_id)
        .ok_or_else(|| not_found("form", key.record()))
}

/// A participant's forms with their shown states, and signatures with their validity.
pub(crate) async fn casebook(
    conn: &mut AnyConnection,
    participant_id: i64,
) -> Result<(Vec<FormEntry>, Vec<Signature>)> {
    let dialect = dialect_of(conn);
    let rows: Vec<FormRow> = sqlx::query_as(&render(
        dialect,
        "SELECT visit_id, form_id, data::text, status, version, updated_at::instant, verified_by, \
         verified_at::instant, locked FROM form_entries WHERE participant_id = $1 \
         ORDER BY visit_id, form_id",
    ))
    .bind(participant_id)
    .fetch_all(&mut *conn)
    .await?;
    let sigs: Vec<SignatureRow> = sqlx::query_as(&render(
        dialect,
        "SELECT id, visit_id, meaning, signer_user_id, signer_name, signed_at::instant, data_hash, \
         void_at::instant, void_reason FROM signatures WHERE participant_id = $1 ORDER BY id",
    ))
    .bind(participant_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut forms: Vec<FormEntry> = rows
        .into_iter()
        .map(
            |(
                visit_id,
                form_id,
                data,
                status,
                version,
                updated_at,
                verified_by,
                verified_at,
                locked,
            )| {
                let status = form_status(&status);
                FormEntry {
                    participant_id,
                    visit_id,
                    form_id,
                    data: serde_json::from_str(&data).unwrap_or_default(),
                    status: Some(status),
                    state: FormState::of(status, false, false, false),
                    verified_by,
                    verified_at,
                    locked: locked.0,
                    version,
                    updated_at: Some(updated_at),
                }
            },
        )
        .collect();
    let saved: Vec<(&str, &str, &serde_json::Value)> = forms
        .iter()
        .map(|f| (f.visit_id.as_str(), f.form_id.as_str(), &f.data))
        .collect();
    let signatures: Vec<Signature> = sigs
        .into_iter()
        .map(
            |(
                id,
                visit_id,
                meaning,
                signer_user_id,
                signer_name,
                signed_at,
                data_hash,
                void_at,
                void_reason,
            )| {
                let valid =
                    void_at.is_none() && rules::covered_data_hash(&visit_id, &saved) == data_hash;
                Signature {
                    id,
                    participant_id,
                    casebook: visit_id.is_empty(),
                    visit_id,
                    meaning: Meaning::parse(&meaning).unwrap_or(Meaning::Authored),
                    signer_user_id,
                    signer_name,
                    signed_at,
                    data_hash,
                    void_at,
                    void_reason,
                    valid,
                }
            },
        )
        .collect();
    for f in &mut forms {
        let signed = signatures
            .iter()
            .any(|s| s.valid && (s.casebook || s.visit_id == f.visit_id));
        if let Some(status) = f.status {
            f.state = FormState::of(status, f.verified_by.is_some(), f.locked, signed);
        }
    }
    Ok((forms, signatures))
}
