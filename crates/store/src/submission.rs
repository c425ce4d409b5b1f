//! Submission exports (SDTM and ODM, issue 19): everything a submission is mapped from, read in
//! one transaction together with the audit rows of what the export included. The mapping is
//! the `export` crate's, run inside the transaction, so that what is audited is exactly what
//! was read and mapped, and an export refused by the mapping is not audited as made: given
//! the whole study at once to [`Store::export_submission`], a batch of participants at a time
//! to [`Store::export_submission_batches`] (the SDTM export, whose memory then stays flat),
//! one casebook at a time to [`Store::export_casebooks`] (ODM).
//!
//! The treatment each participant was given (the allocated arm, or the dose level) is read
//! only for an export that includes it; the audit row says whether it did, never which arm.

use sqlx::AnyConnection;

use crate::db::Store;
use crate::dialect::{dialect_of, render};
use crate::events::{study_events, AdverseEventRecord, EventRow, EVENT_COLUMNS};
use crate::model::{scope_filter, Actor, Participant, ParticipantRow, Scope, PARTICIPANT_COLUMNS};
use crate::{Change, Result};

/// The audit entity of a submission export (the action is `export`, the record the study).
pub const SUBMISSION_ENTITY: &str = "submission";

/// A saved form, as a submission reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct SubmittedForm {
    /// The participant.
    pub participant_id: i64,
    /// The visit.
    pub visit_id: String,
    /// The form.
    pub form_id: String,
    /// The values as saved (JSON object; an ISNCSCI form holds `exam` and `classification`).
    pub data: serde_json::Value,
    /// The saved status (`in-progress`, `complete`).
    pub status: String,
}

/// A planned visit of a participant, and when it took place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmittedVisit {
    /// The participant.
    pub participant_id: i64,
    /// The visit's id in the study definition.
    pub visit_id: String,
    /// Its target date.
    pub target: String,
    /// When it took place.
    pub done_on: Option<String>,
}

impl From<(i64, String, String, Option<String>)> for SubmittedVisit {
    /// A visit from its row: participant, visit, target date, date done.
    fn from(
        (participant_id, visit_id, target, done_on): (i64, String, String, Option<String>),
    ) -> Self {
        SubmittedVisit {
            participant_id,
            visit_id,
            target,
            done_on,
        }
    }
}

/// The treatment a participant was given: the allocated arm of a randomised study, or the
/// dose level of a dose escalation (the id in the study definition).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Treatment {
    /// The participant.
    pub participant_id: i64,
    /// The arm's or the dose level's id.
    pub id: String,
}

/// A dose given at the bedside, as EX reads it (the product's administration record).
#[derive(Clone, Debug, PartialEq)]
pub struct SubmittedDose {
    /// The participant.
    pub participant_id: i64,
    /// Which dose of the schedule, from 1 (none for a record made before doses were numbered).
    pub dose_number: Option<i64>,
    /// The visit it was given at.
    pub visit_id: Option<String>,
    /// When it was injected (UTC, RFC 3339).
    pub injected_at: String,
    /// The dose in cells, as the label states it (the same for a placebo unit).
    pub dose_cells: i64,
    /// The volume, mL, as recorded.
    pub volume_ml: String,
    /// The route (`intrathecal`).
    pub route: String,
    /// The lumbar puncture level (`L3-L4`).
    pub puncture_level: String,
    /// Whether the unit was placebo: only when the export includes treatments.
    pub placebo: Option<bool>,
}

/// Everything of a study (in the caller's scope) that a submission is mapped from.
#[derive(Clone, Debug, PartialEq)]
pub struct SubmissionData {
    /// Every participant, screened or enrolled, by id.
    pub participants: Vec<Participant>,
    /// Every planned visit of them, by participant then target date.
    pub visits: Vec<SubmittedVisit>,
    /// Every saved form of them, by participant, visit and form.
    pub forms: Vec<SubmittedForm>,
    /// Their adverse events, in the order recorded.
    pub adverse_events: Vec<AdverseEventRecord>,
    /// The treatment of each participant given one, only when the export includes it.
    pub treatments: Option<Vec<Treatment>>,
    /// The doses given, by participant and injection time.
    pub doses: Vec<SubmittedDose>,
}

/// What a mapping made of the data, and what the audit row says it included.
#[derive(Clone, Debug, PartialEq)]
pub struct Exported<T> {
    /// The mapped files (or whatever the caller writes).
    pub output: T,
    /// What it included, audited field by field (e.g. `datasets`: `AE 9, DM 36`).
    pub contents: Vec<(String, String)>,
}

/// What a submission export read in batches ([`Store::export_submission_batches`]) hands each
/// batch to, and asks at the end for what it made.
pub trait SubmissionSink: Send + 'static {
    /// What the export made (the files, or whatever the caller writes).
    type Output: Send + 'static;
    /// Why the export refuses the data.
    type Error: Send + 'static;
    /// One batch: participants consecutive by id (every batch after the ones before), each
    /// with all that is theirs, in the orders [`SubmissionData`] gives.
    fn batch(&mut self, data: SubmissionData) -> std::result::Result<(), Self::Error>;
    /// After the last batch: what was made, and what the audit row says it includes.
    fn finish(self) -> std::result::Result<Exported<Self::Output>, Self::Error>;
}

impl Store {
    /// Reads a study's data for a submission export (with each participant's treatment when
    /// `with_treatments`), hands it to `map`, and when `map` succeeds appends the audit rows of
    /// the export (format, whether treatments were included, and what `map` says the output
    /// holds) on the study's chain, in the same transaction as the reads. When `map` refuses,
    /// nothing is audited and its error is returned inside `Ok`.
    pub async fn export_submission<T, E, F>(
        &self,
        scope: &Scope,
        format: &str,
        with_treatments: bool,
        by: &Actor,
        map: F,
    ) -> Result<std::result::Result<T, E>>
    where
        T: Send + 'static,
        E: Send + 'static,
        F: FnOnce(SubmissionData) -> std::result::Result<Exported<T>, E> + Send + 'static,
    {
        let (scope, format, by) = (scope.clone(), format.to_string(), by.clone());
        let map = crate::db::Once::new(map);
        self.write_alone("export_submission", move |mut tx| {
            Box::pin(async move {
                let map = map.take()?;
                let data = load(tx.conn(), &scope, with_treatments, None).await?;
                let exported = match map(data) {
                    Ok(e) => e,
                    Err(e) => return Ok(Err(e)),
                };
                let changes = export_changes(&scope, &format, with_treatments, &exported);
                tx.audit(scope.study(), &by, &changes).await?;
                Ok(Ok(exported.output))
            })
        })
        .await
    }

    /// [`Store::export_submission`] a batch at a time: reads the participants in scope `batch`
    /// at a time (by id; at least one), each batch with everything of its participants, and
    /// hands each to `sink` as it is read, so that the export holds one batch at a time; then
    /// asks `sink` for what it made and audits the export as [`Store::export_submission`]
    /// does, all in one transaction. When `sink` refuses, nothing is audited and its error is
    /// returned inside `Ok`.
    pub async fn export_submission_batches<S: SubmissionSink>(
        &self,
        scope: &Scope,
        format: &str,
        with_treatments: bool,
        by: &Actor,
        batch: usize,
        sink: S,
    ) -> Result<std::result::Result<S::Output, S::Error>> {
        let (scope, format, by) = (scope.clone(), format.to_string(), by.clone());
        let sink = crate::db::Once::new(sink);
        self.write_alone("export_submission", move |mut tx| {
            Box::pin(async move {
                let mut sink = sink.take()?;
                let conn = tx.conn();
                let (filter, values) = scope_filter(&scope, 1);
                let sql = format!("SELECT id FROM participants WHERE {filter} ORDER BY id");
                let mut q = sqlx::query_scalar::<_, i64>(&sql);
                for v in &values {
                    q = q.bind(v);
                }
                let ids = q.fetch_all(&mut *conn).await?;
                for part in ids.chunks(batch.max(1)) {
                    let range = (part[0], part[part.len() - 1]);
                    let data = load(&mut *conn, &scope, with_treatments, Some(range)).await?;
                    if let Err(e) = sink.batch(data) {
                        return Ok(Err(e));
                    }
                }
                let exported = match sink.finish() {
                    Ok(e) => e,
                    Err(e) => return Ok(Err(e)),
                };
                let changes = export_changes(&scope, &format, with_treatments, &exported);
                tx.audit(scope.study(), &by, &changes).await?;
                Ok(Ok(exported.output))
            })
        })
        .await
    }
}

/// The audit rows of a submission export: the format, whether treatments were included, and
/// what the mapping says the output holds.
fn export_changes<T>(
    scope: &Scope,
    format: &str,
    with_treatments: bool,
    exported: &Exported<T>,
) -> Vec<Change> {
    let study = scope.study();
    let row = |field: &str, value: &str| {
        Change::new("export", SUBMISSION_ENTITY, study).set(field, value)
    };
    let blinding = if with_treatments {
        "unblinded: treatments included"
    } else {
        "blinded: no treatment"
    };
    let mut changes = vec![row("format", format), row("blinding", blinding)];
    changes.extend(exported.contents.iter().map(|(f, v)| row(f, v)));
    changes
}

/// The participants in scope, for the statements below: `participant_id IN (…)` and its values;
/// with a range, only those whose id is within it (the range's two ids, made by the store,
/// are written into the statement as numbers).
fn in_scope(scope: &Scope, range: Option<(i64, i64)>) -> (String, Vec<String>) {
    let (filter, values) = scope_filter(scope, 1);
    let members = match range {
        None => format!("participant_id IN (SELECT id FROM participants WHERE {filter})"),
        Some((first, last)) => format!(
            "participant_id BETWEEN {first} AND {last} AND participant_id IN \
             (SELECT id FROM participants WHERE {filter} AND id BETWEEN {first} AND {last})"
        ),
    };
    (members, values)
}

/// Everything a submission is mapped from, of the participants in scope (with ids within
/// `range` when one is given).
async fn load(
    conn: &mut AnyConnection,
    scope: &Scope,
    with_treatments: bool,
    range: Option<(i64, i64)>,
) -> Result<SubmissionData> {
    let dialect = dialect_of(conn);
    let (mut filter, values) = scope_filter(scope, 1);
    if let Some((first, last)) = range {
        filter.push_str(&format!(" AND id BETWEEN {first} AND {last}"));
    }
    let sql = render(
        dialect,
        &format!("SELECT {PARTICIPANT_COLUMNS} FROM participants WHERE {filter} ORDER BY id"),
    );
    let mut q = sqlx::query_as::<_, ParticipantRow>(&sql);
    for v in &values {
        q = q.bind(v);
    }
    let participants: Vec<Participant> = q
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(Participant::from)
        .collect();

    let (members, values) = in_scope(scope, range);
    let sql = render(
        dialect,
        &format!(
            "SELECT participant_id, visit_id, target::text, done_on::text FROM visits \
             WHERE {members} ORDER BY participant_id, target, visit_id"
        ),
    );
    let mut q = sqlx::query_as::<_, (i64, String, String, Option<String>)>(&sql);
    for v in &values {
        q = q.bind(v);
    }
    let visits = q
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(SubmittedVisit::from)
        .collect();

    let sql = render(
        dialect,
        &format!(
            "SELECT participant_id, visit_id, form_id, data::text, status FROM form_entries \
             WHERE {members} ORDER BY participant_id, visit_id, form_id"
        ),
    );
    let mut q = sqlx::query_as::<_, (i64, String, String, String, String)>(&sql);
    for v in &values {
        q = q.bind(v);
    }
    let mut forms = Vec::new();
    for (participant_id, visit_id, form_id, data, status) in q.fetch_all(&mut *conn).await? {
        let data = serde_json::from_str(&data).map_err(|_| {
            let form = format!("form {form_id} of participant {participant_id} at {visit_id}");
            crate::StoreError::Invalid {
                field: "data".into(),
                message: format!("{form:?} is not a stored value"),
            }
        })?;
        forms.push(SubmittedForm {
            participant_id,
            visit_id,
            form_id,
            data,
            status,
        });
    }

    let adverse_events = if range.is_some() {
        let sql = render(
            dialect,
            &format!("SELECT {EVENT_COLUMNS} FROM adverse_events WHERE {members} ORDER BY id"),
        );
        let mut q = sqlx::query_as::<_, EventRow>(&sql);
        for v in &values {
            q = q.bind(v);
        }
        let rows = q.fetch_all(&mut *conn).await?;
        rows.into_iter()
            .map(EventRow::record)
            .collect::<Result<Vec<_>>>()?
    } else {
        let ids: std::collections::BTreeSet<i64> = participants.iter().map(|p| p.id).collect();
        study_events(conn, scope.study())
            .await?
            .into_iter()
            .filter(|e| ids.contains(&e.participant_id))
            .collect()
    };

    let treatments = if with_treatments {
        let mut out = Vec::new();
        for table in [
            "SELECT participant_id, arm_id FROM allocations",
            "SELECT participant_id, level_id FROM dose_assignments",
        ] {
            let sql = format!("{table} WHERE {members} ORDER BY participant_id");
            let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
            for v in &values {
                q = q.bind(v);
            }
            out.extend(
                q.fetch_all(&mut *conn)
                    .await?
                    .into_iter()
                    .map(|(participant_id, id)| Treatment { participant_id, id }),
            );
        }
        Some(out)
    } else {
        None
    };
    let placebo = if with_treatments { "u.placebo" } else { "NULL" };
    let sql = render(
        dialect,
        &format!(
            "SELECT a.participant_id, a.dose_number, a.visit_id, a.injected_at::instant, \
             a.dose_cells, a.volume_ml, a.route, a.puncture_level, {placebo} AS placebo \
             FROM product_administrations a JOIN product_units u ON u.id = a.unit_id \
             WHERE a.{members} ORDER BY a.participant_id, a.injected_at, a.id"
        ),
    );
    let mut q = sqlx::query(&sql);
    for v in &values {
        q = q.bind(v);
    }
    let mut doses = Vec::new();
    for r in q.fetch_all(&mut *conn).await? {
        use sqlx::Row;
        let placebo: Option<crate::dialect::Flag> = if with_treatments {
            Some(r.try_get("placebo")?)
        } else {
            None
        };
        doses.push(SubmittedDose {
            participant_id: r.try_get("participant_id")?,
            dose_number: r.try_get("dose_number")?,
            visit_id: r.try_get("visit_id")?,
            injected_at: r.try_get("injected_at")?,
            dose_cells: r.try_get("dose_cells")?,
            volume_ml: r.try_get("volume_ml")?,
            route: r.try_get("route")?,
            puncture_level: r.try_get("puncture_level")?,
            placebo: placebo.map(|f| f.0),
        });
    }
    Ok(SubmissionData {
        participants,
        visits,
        forms,
        adverse_events,
        treatments,
        doses,
    })
}

/// A signature of a participant's visit (or, with an empty visit, of the whole casebook), as
/// an ODM export reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmittedSignature {
    /// The visit signed (empty for the casebook).
    pub visit_id: String,
    /// What it means (`trial::Meaning`'s name).
    pub meaning: String,
    /// The signer's account.
    pub username: String,
    /// The signer's printed name.
    pub signer_name: String,
    /// When (UTC).
    pub signed_at: String,
    /// When a later change voided it.
    pub void_at: Option<String>,
}

/// One participant's casebook for an ODM export: the participant, the treatment when the
/// export includes it, the visits, the saved forms, the audit trail of those forms (every
/// row of entity `form`, oldest first) and the signatures.
#[derive(Clone, Debug, PartialEq)]
pub struct Casebook {
    /// The participant.
    pub participant: Participant,
    /// The arm's or dose level's id, only when the export includes treatments.
    pub treatment: Option<String>,
    /// The planned visits, by target date.
    pub visits: Vec<SubmittedVisit>,
    /// The saved forms, by visit and form.
    pub forms: Vec<SubmittedForm>,
    /// The audit rows of the forms, oldest first.
    pub trail: Vec<crate::AuditRow>,
    /// The signatures, oldest first.
    pub signatures: Vec<SubmittedSignature>,
}

/// What an ODM export is given, in order: first the accounts that may appear in it
/// (username and full name), then each participant's casebook, then the end (still inside
/// the transaction: a file finished there is finished before the export is audited).
#[derive(Clone, Debug, PartialEq)]
pub enum CasebookPart {
    /// Every account with a role in the study, and the system.
    Users(Vec<(String, String)>),
    /// One participant's casebook.
    Casebook(Box<Casebook>),
    /// Every casebook was given.
    End,
}

/// The audit row's columns for the casebooks' trails.
const TRAIL_COLUMNS: &str = "id, chain, seq, at::instant, user_id, username, action, entity, \
    record_id, field, old_value, new_value, reason, prev_hash, hash";

impl Store {
    /// Reads a study's casebooks (in the caller's scope) one participant at a time and hands
    /// each to `each` as it is read (after the accounts), so that an export of any size holds
    /// one casebook at a time; when every one was taken, appends the audit rows of the export
    /// (format `odm`, whether treatments were included, and how many participants, forms,
    /// audit records and signatures it holds), all in one transaction. When `each` refuses,
    /// nothing is audited and its error is returned inside `Ok`.
    pub async fn export_casebooks<E, F>(
        &self,
        scope: &Scope,
        with_treatments: bool,
        by: &Actor,
        each: F,
    ) -> Result<std::result::Result<(), E>>
    where
        E: Send + 'static,
        F: FnMut(CasebookPart) -> std::result::Result<(), E> + Send + 'static,
    {
        let (scope, by) = (scope.clone(), by.clone());
        let each = crate::db::Once::new(each);
        self.write_alone("export_casebooks", move |mut tx| {
            Box::pin(async move {
                let mut each = each.take()?;
                let conn = tx.conn();
                let users: Vec<(String, String)> = sqlx::query_as(
                    "SELECT username, full_name FROM users u WHERE EXISTS (SELECT 1 FROM \
                     role_assignments r WHERE r.user_id = u.id AND r.study_id = $1) \
                     ORDER BY username",
                )
                .bind(scope.study())
                .fetch_all(&mut *conn)
                .await?;
                if let Err(e) = each(CasebookPart::Users(users)) {
                    return Ok(Err(e));
                }
                let (filter, values) = scope_filter(&scope, 1);
                let sql = format!("SELECT id FROM participants WHERE {filter} ORDER BY id");
                let mut q = sqlx::query_scalar::<_, i64>(&sql);
                for v in &values {
                    q = q.bind(v);
                }
                let ids = q.fetch_all(&mut *conn).await?;
                let mut counts = [0usize; 4];
                for id in ids {
                    let book = casebook(&mut *conn, id, with_treatments).await?;
                    counts[0] += 1;
                    counts[1] += book.forms.len();
                    counts[2] += book.trail.len();
                    counts[3] += book.signatures.len();
                    if let Err(e) = each(CasebookPart::Casebook(Box::new(book))) {
                        return Ok(Err(e));
                    }
                }
                if let Err(e) = each(CasebookPart::End) {
                    return Ok(Err(e));
                }
                let study = scope.study().to_string();
                let row = |field: &str, value: &str| {
                    Change::new("export", SUBMISSION_ENTITY, &study).set(field, value)
                };
                let blinding = if with_treatments {
                    "unblinded: treatments included"
                } else {
                    "blinded: no treatment"
                };
                let [people, forms, trail, signatures] = counts;
                let changes = [
                    row("format", "odm"),
                    row("blinding", blinding),
                    row(
                        "casebooks",
                        &format!(
                            "{people} participants, {forms} forms, {trail} audit records, \
                             {signatures} signatures"
                        ),
                    ),
                ];
                tx.audit(&study, &by, &changes).await?;
                Ok(Ok(()))
            })
        })
        .await
    }
}

/// One participant's casebook, read by its id.
async fn casebook(conn: &mut AnyConnection, id: i64, with_treatments: bool) -> Result<Casebook> {
    let dialect = dialect_of(conn);
    let sql = render(
        dialect,
        &format!("SELECT {PARTICIPANT_COLUMNS} FROM participants WHERE id = $1"),
    );
    let participant: Participant = sqlx::query_as::<_, ParticipantRow>(&sql)
        .bind(id)
        .fetch_one(&mut *conn)
        .await?
        .into();
    let sql = render(
        dialect,
        "SELECT participant_id, visit_id, target::text, done_on::text FROM visits \
         WHERE participant_id = $1 ORDER BY target, visit_id",
    );
    let visits = sqlx::query_as::<_, (i64, String, String, Option<String>)>(&sql)
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(SubmittedVisit::from)
        .collect();
    let sql = render(
        dialect,
        "SELECT visit_id, form_id, data::text, status FROM form_entries \
         WHERE participant_id = $1 ORDER BY visit_id, form_id",
    );
    let rows = sqlx::query_as::<_, (String, String, String, String)>(&sql)
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    let mut forms = Vec::with_capacity(rows.len());
    for (visit_id, form_id, data, status) in rows {
        let data = serde_json::from_str(&data).map_err(|_| crate::StoreError::Invalid {
            field: "data".into(),
            message: format!(
                "form {form_id} of participant {id} at {visit_id} is not a stored value"
            ),
        })?;
        forms.push(SubmittedForm {
            participant_id: id,
            visit_id,
            form_id,
            data,
            status,
        });
    }
    let mut trail = Vec::new();
    if !forms.is_empty() {
        let marks: Vec<String> = (0..forms.len()).map(|i| format!("${}", i + 1)).collect();
        let sql = render(
            dialect,
            &format!(
                "SELECT {TRAIL_COLUMNS} FROM audit WHERE entity = 'form' AND record_id IN ({}) \
                 ORDER BY id",
                marks.join(", ")
            ),
        );
        let mut q = sqlx::query_as::<_, crate::AuditRow>(&sql);
        for f in &forms {
            q = q.bind(format!("{id}/{}/{}", f.visit_id, f.form_id));
        }
        trail = q.fetch_all(&mut *conn).await?;
    }
    let sql = render(
        dialect,
        "SELECT s.visit_id, s.meaning, u.username, s.signer_name, s.signed_at::instant, \
         s.void_at::instant FROM signatures s JOIN users u ON u.id = s.signer_user_id \
         WHERE s.participant_id = $1 ORDER BY s.id",
    );
    let signatures =
        sqlx::query_as::<_, (String, String, String, String, String, Option<String>)>(&sql)
            .bind(id)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(
                |(visit_id, meaning, username, signer_name, signed_at, void_at)| {
                    SubmittedSignature {
                        visit_id,
                        meaning,
                        username,
                        signer_name,
                        signed_at,
                        void_at,
                    }
                },
            )
            .collect();
    let treatment = if with_treatments {
        let mut found = None;
        for table in [
            "SELECT arm_id FROM allocations WHERE participant_id = $1",
            "SELECT level_id FROM dose_assignments WHERE participant_id = $1",
        ] {
            if found.is_none() {
                found = sqlx::query_scalar::<_, String>(table)
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?;
            }
        }
        found
    } else {
        None
    };
    Ok(Casebook {
        participant,
        treatment,
        visits,
        forms,
        trail,
        signatures,
    })
}
