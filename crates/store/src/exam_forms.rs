//! One home for an ISNCSCI exam: its visit's ISNCSCI form. Databases made before kept exams
//! (the screening exam among them) in a table of their own, `exams`, beside the forms, so that
//! the screening visit's form opened empty while eligibility had been computed from the other
//! record. [`Store::move_exams_to_forms`] moves each such exam into its visit's ISNCSCI form
//! (saved complete, audited as a create with the reason) and marks it `moved_to` that form
//! (audited), in one transaction per study; an exam whose form was saved since is superseded by
//! the form and only marked. Nothing reads an exam from `exams` any more; its rows stay so that
//! their audit rows still belong to their participant (migration `0017_exam_home`).

use trial::{FormKind, Study};

use crate::db::Store;
use crate::model::{now, Actor};
use crate::{Change, Result};

/// Why an exam's row moves, as its audit rows say.
const REASON: &str =
    "one home for the exam: moved from the exams table into its visit's ISNCSCI form";

/// An exam row as read: id, participant, visit, raw, classification, screening date.
type ExamRow = (i64, i64, String, String, String, String);

impl Store {
    /// Moves the study's exams kept outside the forms into their visits' ISNCSCI forms (a
    /// screening visit not recorded yet is recorded on the screening date). Does nothing, and
    /// audits nothing, when there are none; exams of a visit without an ISNCSCI form stay.
    pub async fn move_exams_to_forms(&self, study: &Study, by: &Actor) -> Result<()> {
        let (study, by) = (study.clone(), by.clone());
        self.write("move_exams_to_forms", move |mut tx| {
            Box::pin(async move {
                // The latest exam of a visit first: it is the one kept.
                let rows: Vec<ExamRow> = sqlx::query_as(&tx.sql(
                    "SELECT e.id, e.participant_id, e.visit_id, e.raw::text, \
                     e.classification::text, p.screening_date::text FROM exams e \
                     JOIN participants p ON p.id = e.participant_id \
                     WHERE p.study_id = $1 AND e.moved_to IS NULL ORDER BY e.id DESC",
                ))
                .bind(&study.id)
                .fetch_all(tx.conn())
                .await?;
                let mut changes = Vec::new();
                for (exam_id, participant, visit_id, raw, classification, screening_date) in rows
                {
                    let Some((visit, form)) = study.visit(&visit_id).and_then(|v| {
                        let form = v.forms.iter().find(|f| {
                            study.form(f).is_some_and(|d| d.kind == FormKind::Isncsci)
                        })?;
                        Some((v, form.clone()))
                    }) else {
                        continue;
                    };
                    let saved: i64 = sqlx::query_scalar(&tx.sql(
                        "SELECT COUNT(*) FROM form_entries \
                         WHERE participant_id = $1 AND visit_id = $2 AND form_id = $3",
                    ))
                    .bind(participant)
                    .bind(&visit_id)
                    .bind(&form)
                    .fetch_one(tx.conn())
                    .await?;
                    if saved == 0 {
                        if visit.screening {
                            let sql = tx.sql(
                                "INSERT INTO visits (participant_id, visit_id, name, target, \
                                 earliest, latest, done_on) VALUES ($1, $2, $3, $4::date, \
                                 $4::date, $4::date, $4::date) \
                                 ON CONFLICT (participant_id, visit_id) DO NOTHING",
                            );
                            let added = sqlx::query(&sql)
                                .bind(participant)
                                .bind(&visit_id)
                                .bind(&visit.name)
                                .bind(&screening_date)
                                .execute(tx.conn())
                                .await?
                                .rows_affected();
                            if added > 0 {
                                changes.push(
                                    Change::new("update", "visit", format!("{participant}/{visit_id}"))
                                        .set("done_on", &screening_date)
                                        .because(REASON),
                                );
                            }
                        }
                        let visit_rows: i64 = sqlx::query_scalar(&tx.sql(
                            "SELECT COUNT(*) FROM visits WHERE participant_id = $1 AND visit_id = $2",
                        ))
                        .bind(participant)
                        .bind(&visit_id)
                        .fetch_one(tx.conn())
                        .await?;
                        if visit_rows == 0 {
                            continue;
                        }
                        let data = crate::model::exam_form_data(&raw, &classification);
                        let record = format!("{participant}/{visit_id}/{form}");
                        let outcome = trial::ecrf::decide_save(
                            None,
                            trial::ecrf::FormSaveRequest {
                                record: &record,
                                form_id: &form,
                                data: &data,
                                status: trial::FormStatus::Complete,
                                reason: None,
                            },
                        )?;
                        sqlx::query(&tx.sql(
                            "INSERT INTO form_entries (participant_id, visit_id, form_id, data, \
                             status, version, updated_at) \
                             VALUES ($1, $2, $3, $4::json, $5, 1, $6::timestamptz)",
                        ))
                        .bind(participant)
                        .bind(&visit_id)
                        .bind(&form)
                        .bind(serde_json::Value::Object(data).to_string())
                        .bind(trial::FormStatus::Complete.as_str())
                        .bind(now())
                        .execute(tx.conn())
                        .await?;
                        changes.extend(outcome.changes.into_iter().map(|c| c.because(REASON)));
                    }
                    let to = format!("{participant}/{visit_id}/{form}");
                    sqlx::query(&tx.sql("UPDATE exams SET moved_to = $1 WHERE id = $2"))
                        .bind(&to)
                        .bind(exam_id)
                        .execute(tx.conn())
                        .await?;
                    changes.push(
                        Change::new("update", "exam", exam_id)
                            .set("moved_to", to)
                            .because(REASON),
                    );
                }
                if !changes.is_empty() {
                    tx.audit(&study.id, &by, &changes).await?;
                }
                Ok(())
            })
        })
        .await
    }
}
