//! A central lab's results file (read by `trial::labs::import::read_results`): resolved
//! against the study (each participant by subject id, a value already recorded refused),
//! assessed as a site's entry is, and shown as a preview; imported all or nothing in one
//! write, audited as an import and value by value; the same file again (by its SHA-256)
//! changes nothing.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;
use trial::labs::import::{at_line, problem, ImportRow};
use trial::labs::{proposes_event, Assessment, Entered, Flag};
use trial::{Problem, Study};

use super::{assess_for, insert_result, ranges_of, NewLabResult};
use crate::db::Store;
use crate::dialect::{dialect_of, render};
use crate::model::{instant, now, participant_in, Actor, Participant, Scope};
use crate::{Change, Result, StoreError};

/// The audit entity of an import.
const IMPORT_ENTITY: &str = "lab-import";

/// A row of a file as it would be imported.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ImportPreviewRow {
    /// Its line in the file.
    pub line: usize,
    /// The participant's id.
    pub participant_id: i64,
    /// The subject id, as written.
    pub subject_id: String,
    /// The visit.
    pub visit_id: String,
    /// The test.
    pub test: String,
    /// When the sample was taken (UTC).
    #[schema(format = DateTime)]
    pub collected_at: String,
    /// The value and unit as written.
    pub entered: String,
    /// The value in the test's unit.
    pub value: f64,
    /// The test's unit.
    pub unit: String,
    /// The normal range that applies, when one does.
    pub range_low: Option<f64>,
    /// The normal range that applies, when one does.
    pub range_high: Option<f64>,
    /// The flag.
    pub flag: Flag,
    /// The CTCAE term, when graded.
    pub term: Option<String>,
    /// The CTCAE grade, when graded.
    pub grade: Option<u8>,
    /// Whether it will propose an adverse event.
    pub proposes_event: bool,
}

/// What an import did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImportOutcome {
    /// The import's id.
    pub import_id: i64,
    /// True when this file was imported before: nothing was written.
    pub already: bool,
    /// The values the import recorded.
    pub results: usize,
    /// The adverse events they propose.
    pub proposals: usize,
}

struct Resolved {
    row: ImportRow,
    participant: Participant,
    assessment: Assessment,
}

/// Resolves every row, or gives every problem (each naming its line and column).
async fn resolve(
    conn: &mut AnyConnection,
    study: &Study,
    scope: &Scope,
    mut rows: Vec<ImportRow>,
) -> Result<Result<Vec<Resolved>, Vec<Problem>>> {
    rows.sort_by_key(|r| (r.collected_at, r.line));
    let ranges = ranges_of(conn, &study.id, "").await?;
    let mut participants: HashMap<String, Option<Participant>> = HashMap::new();
    // The first value of each participant's test: in the database, then in the file.
    let mut first: HashMap<(i64, &'static str), Option<(OffsetDateTime, f64)>> = HashMap::new();
    let mut problems = Vec::new();
    let mut out = Vec::new();
    let find = render(
        dialect_of(conn),
        "SELECT id FROM participants WHERE study_id = $1 AND subject_id = $2",
    );
    let exists = render(
        dialect_of(conn),
        "SELECT id FROM lab_results WHERE participant_id = $1 AND test = $2 \
         AND collected_at = $3::timestamptz",
    );
    for row in rows {
        if !participants.contains_key(&row.participant) {
            let id: Option<i64> = sqlx::query(&find)
                .bind(&study.id)
                .bind(&row.participant)
                .fetch_optional(&mut *conn)
                .await?
                .map(|r| r.try_get("id"))
                .transpose()?;
            // A participant out of the caller's scope (another site's) is not found.
            let participant = match id {
                Some(id) => match participant_in(conn, scope, id).await {
                    Ok(p) => Some(p),
                    Err(StoreError::NotFound { .. }) => None,
                    Err(e) => return Err(e),
                },
                None => None,
            };
            participants.insert(row.participant.clone(), participant);
        }
        let Some(Some(participant)) = participants.get(&row.participant).cloned() else {
            problems.push(problem(
                row.line,
                "participant",
                format!(
                    "{:?} is not the subject id of a participant of {}",
                    row.participant, study.id
                ),
            ));
            continue;
        };
        let found: Option<i64> = sqlx::query(&exists)
            .bind(participant.id)
            .bind(row.test.code)
            .bind(instant(row.collected_at))
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| r.try_get("id"))
            .transpose()?;
        if let Some(id) = found {
            problems.push(problem(
                row.line,
                "collected_at",
                format!(
                    "a value of {} collected at this time is recorded already (lab result {id})",
                    row.test.code
                ),
            ));
            continue;
        }
        let key = (participant.id, row.test.code);
        if let std::collections::hash_map::Entry::Vacant(slot) = first.entry(key) {
            let earliest = super::baseline(
                conn,
                participant.id,
                row.test.code,
                OffsetDateTime::now_utc() + time::Duration::days(36_500),
            )
            .await?;
            slot.insert(earliest);
        }
        let baseline = first
            .get(&key)
            .copied()
            .flatten()
            .filter(|(t, _)| *t < row.collected_at)
            .map(|(_, v)| v);
        let entered = Entered {
            value: &row.value,
            unit: &row.unit,
        };
        match assess_for(
            &participant,
            row.test,
            entered,
            row.collected_at,
            &ranges,
            baseline,
        ) {
            Ok(assessment) => {
                let slot = first.entry(key).or_insert(None);
                if slot.is_none_or(|(t, _)| row.collected_at < t) {
                    *slot = Some((row.collected_at, assessment.value));
                }
                out.push(Resolved {
                    row,
                    participant,
                    assessment,
                });
            }
            Err(
                StoreError::Invalid { field, message } | StoreError::Conflict { field, message },
            ) => {
                problems.push(at_line(row.line, trial::Refusal::invalid(&field, message)));
            }
            Err(e) => return Err(e),
        }
    }
    if problems.is_empty() {
        out.sort_by_key(|r| r.row.line);
        Ok(Ok(out))
    } else {
        problems.sort_by_key(|p| line_of(&p.path));
        Ok(Err(trial::labs::csv::capped(problems)))
    }
}

fn line_of(path: &str) -> usize {
    path.strip_prefix("line ")
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn preview_row(r: &Resolved, threshold: u8) -> ImportPreviewRow {
    ImportPreviewRow {
        line: r.row.line,
        participant_id: r.participant.id,
        subject_id: r.row.participant.clone(),
        visit_id: r.row.visit.clone(),
        test: r.row.test.code.to_string(),
        collected_at: instant(r.row.collected_at),
        entered: format!("{} {}", r.row.value, r.row.unit),
        value: r.assessment.value,
        unit: r.assessment.unit.to_string(),
        range_low: r.assessment.low,
        range_high: r.assessment.high,
        flag: r.assessment.flag,
        term: r.assessment.term.map(String::from),
        grade: r.assessment.grade,
        proposes_event: proposes_event(&r.assessment, threshold),
    }
}

impl Store {
    /// What importing the rows would record, without writing: each row resolved and assessed,
    /// or every problem naming its line and column.
    pub async fn preview_lab_import(
        &self,
        study: &Study,
        scope: &Scope,
        rows: Vec<ImportRow>,
    ) -> Result<Result<Vec<ImportPreviewRow>, Vec<Problem>>> {
        let mut conn = self.pool.acquire().await?;
        Ok(resolve(&mut conn, study, scope, rows)
            .await?
            .map(|resolved| {
                resolved
                    .iter()
                    .map(|r| preview_row(r, study.labs.ae_threshold))
                    .collect()
            }))
    }

    /// Imports a file's rows all or nothing, in one write: audited as the import (its count
    /// and SHA-256) and value by value; proposals opened as for an entry. A file imported
    /// before (the same `digest`) changes nothing and answers the earlier import.
    pub async fn import_lab_results(
        &self,
        study: &Study,
        scope: &Scope,
        rows: Vec<ImportRow>,
        digest: &str,
        by: &Actor,
    ) -> Result<Result<ImportOutcome, Vec<Problem>>> {
        let (study, scope, digest, by) =
            (study.clone(), scope.clone(), digest.to_string(), by.clone());
        self.write("import_lab_results", move |mut tx| {
            Box::pin(async move {
                tx.lock_study(&study.id).await?;
                let earlier = sqlx::query(&tx.sql(
                    "SELECT id, row_count FROM lab_imports WHERE study_id = $1 AND digest = $2",
                ))
                .bind(&study.id)
                .bind(&digest)
                .fetch_optional(tx.conn())
                .await?;
                if let Some(row) = earlier {
                    let import_id: i64 = row.try_get("id")?;
                    let count: i64 = row.try_get("row_count")?;
                    return Ok(Ok(ImportOutcome {
                        import_id,
                        already: true,
                        results: usize::try_from(count).unwrap_or(0),
                        proposals: 0,
                    }));
                }
                let resolved = match resolve(tx.conn(), &study, &scope, rows).await? {
                    Ok(resolved) => resolved,
                    Err(problems) => return Ok(Err(problems)),
                };
                let at = now();
                let import_id: i64 = sqlx::query(&tx.sql(
                    "INSERT INTO lab_imports (study_id, digest, row_count, imported_by, \
                     imported_at) VALUES ($1, $2, $3, $4, $5::timestamptz) RETURNING id",
                ))
                .bind(&study.id)
                .bind(&digest)
                .bind(resolved.len() as i64)
                .bind(&by.username)
                .bind(&at)
                .fetch_one(tx.conn())
                .await?
                .try_get("id")?;
                let mut changes = vec![Change::new("import", IMPORT_ENTITY, import_id).set(
                    "file",
                    format!("{} results, sha256 {digest}", resolved.len()),
                )];
                let mut proposals = 0;
                // In collection order, so each value's baseline is the one the preview used.
                let mut in_order: Vec<&Resolved> = resolved.iter().collect();
                in_order.sort_by_key(|r| (r.row.collected_at, r.row.line));
                for r in in_order {
                    let new = NewLabResult {
                        visit_id: r.row.visit.clone(),
                        test: r.row.test.code.to_string(),
                        collected_at: r.row.collected_at,
                        value: r.row.value.clone(),
                        unit: r.row.unit.clone(),
                        lab_range: Some(r.row.lab_range.clone()),
                    };
                    let (_, more) = insert_result(
                        &mut tx,
                        &study,
                        &r.participant,
                        &new,
                        r.row.test,
                        &r.assessment,
                        Some(import_id),
                        &by,
                    )
                    .await?;
                    if proposes_event(&r.assessment, study.labs.ae_threshold) {
                        proposals += 1;
                    }
                    changes.extend(more);
                }
                tx.audit(&study.id, &by, &changes).await?;
                Ok(Ok(ImportOutcome {
                    import_id,
                    already: false,
                    results: resolved.len(),
                    proposals,
                }))
            })
        })
        .await
    }
}
