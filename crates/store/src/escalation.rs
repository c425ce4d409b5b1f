//! Dose escalation (Phase I, open-label): dose levels assigned once, as the 3+3 rule allows or
//! by a signed sponsor override, and signed DLT assessments within the DLT window, which runs
//! from the doses given at the bedside (the product's administrations) once there are any.
//!
//! Assignments of one study run one after another (the study's row is taken `FOR UPDATE` on
//! PostgreSQL; SQLite has one writer), so two participants never fill one cohort place.

use sqlx::AnyConnection;
use trial::escalation as rules;
use trial::participants;
use trial::safety::{check_dlt_events, dlt_event_change, Gated};
use trial::{LevelCount, Study};

use crate::db::{Store, Tx};
use crate::dialect::{dialect_of, render, Flag};
use crate::events::participant_events;
use crate::not_found;

/// A dose assignment's columns, in portable form (see [`crate::dialect::render`]).
const DOSE_COLUMNS: &str = "participant_id, study_id, level_id, assigned_at::instant, \
    assigned_by, override_reason, override_signer, override_signed_at::instant";
use crate::model::{now, participant_in, Actor, Scope, User};
use crate::{Change, Result};

/// A participant's dose level. Open-label: anyone who sees the participant may see it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct DoseAssignment {
    /// The participant.
    pub participant_id: i64,
    /// The study.
    pub study_id: String,
    /// The dose level's id.
    pub level_id: String,
    /// When (UTC).
    #[schema(format = DateTime)]
    pub assigned_at: String,
    /// By whom.
    pub assigned_by: String,
    /// The reason of a sponsor override, when the rule did not allow the level.
    pub override_reason: Option<String>,
    /// The printed name of the override's signer.
    pub override_signer: Option<String>,
    /// When the override was signed (UTC).
    #[schema(format = DateTime)]
    pub override_signed_at: Option<String>,
}

/// A sponsor's override of the 3+3 rule: the reason, and the signer (password checked by the
/// caller).
#[derive(Clone, Copy, Debug)]
pub struct DoseOverride<'a> {
    /// Why the rule is overridden.
    pub reason: &'a str,
    /// Who signs it.
    pub signer: &'a User,
}

/// A signed DLT assessment.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct DltAssessment {
    /// The participant.
    pub participant_id: i64,
    /// Whether a dose-limiting toxicity occurred.
    pub dlt: bool,
    /// The toxicity's onset, for a DLT.
    #[schema(format = Date)]
    pub onset_on: Option<String>,
    /// What happened (or that nothing did).
    pub description: String,
    /// The date of the assessment.
    #[schema(format = Date)]
    pub assessed_on: String,
    /// The investigator's printed name.
    pub signer_name: String,
    /// When signed (UTC).
    #[schema(format = DateTime)]
    pub signed_at: String,
    /// The adverse events that make it a DLT (none for no DLT), in id order.
    pub ae_ids: Vec<i64>,
}

/// What is asked of a dose assignment.
#[derive(Clone, Copy, Debug)]
pub struct DoseRequest<'a> {
    /// The participant.
    pub participant_id: i64,
    /// The level asked for (`None`: where the rule enrols now); required with an override.
    pub level_id: Option<&'a str>,
    /// A sponsor's signed override of the rule.
    pub sponsor_override: Option<DoseOverride<'a>>,
}

/// A new DLT assessment; the caller has checked the investigator's password.
#[derive(Clone, Debug)]
pub struct NewDlt<'a> {
    /// The participant.
    pub participant_id: i64,
    /// Whether a dose-limiting toxicity occurred.
    pub dlt: bool,
    /// Its onset (`YYYY-MM-DD`), required for a DLT.
    pub onset_on: Option<String>,
    /// What happened.
    pub description: String,
    /// The assessment's date (`YYYY-MM-DD`).
    pub assessed_on: String,
    /// The participant's adverse events that make it a DLT (required for a DLT, none
    /// otherwise).
    pub ae_ids: Vec<i64>,
    /// The investigator signing.
    pub signer: &'a User,
}

impl Store {
    /// Assigns an enrolled participant's dose level, once: where the 3+3 rule enrols now, or
    /// any level with a sponsor's signed override (reason required).
    pub async fn assign_dose_level(
        &self,
        scope: &Scope,
        study: &Study,
        participant_id: i64,
        level_id: Option<&str>,
        sponsor_override: Option<DoseOverride<'_>>,
        by: &Actor,
    ) -> Result<DoseAssignment> {
        let (scope, study, by) = (scope.clone(), study.clone(), by.clone());
        let level_id = level_id.map(String::from);
        let sponsor = sponsor_override.map(|o| (o.reason.to_string(), o.signer.clone()));
        self.write("assign_dose_level", move |mut tx| {
            Box::pin(async move {
                let request = DoseRequest {
                    participant_id,
                    level_id: level_id.as_deref(),
                    sponsor_override: sponsor
                        .as_ref()
                        .map(|(reason, signer)| DoseOverride { reason, signer }),
                };
                assign_dose(&mut tx, &scope, &study, request, &by).await
            })
        })
        .await
    }

    /// Records a signed DLT assessment, once, within the participant's DLT window.
    pub async fn record_dlt(
        &self,
        scope: &Scope,
        study: &Study,
        dlt: &NewDlt<'_>,
        by: &Actor,
    ) -> Result<DltAssessment> {
        let (scope, study, by, signer) =
            (scope.clone(), study.clone(), by.clone(), dlt.signer.clone());
        let (participant_id, is_dlt) = (dlt.participant_id, dlt.dlt);
        let (onset_on, description, assessed_on, ae_ids) = (
            dlt.onset_on.clone(),
            dlt.description.clone(),
            dlt.assessed_on.clone(),
            dlt.ae_ids.clone(),
        );
        self.write("record_dlt", move |mut tx| {
            Box::pin(async move {
                let dlt = NewDlt {
                    participant_id,
                    dlt: is_dlt,
                    onset_on,
                    description,
                    assessed_on,
                    ae_ids,
                    signer: &signer,
                };
                record_dlt_in(&mut tx, &scope, &study, &dlt, &by).await
            })
        })
        .await
    }

    pub async fn cohort_counts(&self, study: &Study) -> Result<Vec<LevelCount>> {
        let mut conn = self.pool.acquire().await?;
        let out = cohort_counts_in(&mut conn, study).await?;
        Ok(out)
    }

    pub async fn dose(
        &self,
        scope: &Scope,
        participant_id: i64,
    ) -> Result<(Option<DoseAssignment>, Option<DltAssessment>)> {
        let mut conn = self.pool.acquire().await?;
        participant_in(&mut conn, scope, participant_id).await?;
        let dose = dose_in(&mut conn, participant_id).await?;
        let dlt = dlt_in(&mut conn, participant_id).await?;
        Ok((dose, dlt))
    }

    /// The dose levels and DLT assessments of the participants in scope, by participant.
    pub async fn doses(
        &self,
        scope: &Scope,
    ) -> Result<Vec<(DoseAssignment, Option<DltAssessment>)>> {
        let (filter, values) = crate::model::scope_filter(scope, 1);
        let sql = format!(
            "SELECT {DOSE_COLUMNS} FROM dose_assignments WHERE participant_id IN \
             (SELECT id FROM participants WHERE {filter}) ORDER BY participant_id"
        );
        let sql = self.sql(&sql);
        let mut q = sqlx::query_as::<_, DoseAssignment>(&sql);
        for v in &values {
            q = q.bind(v);
        }
        let mut conn = self.pool.acquire().await?;
        let doses = q.fetch_all(&mut *conn).await?;
        let mut out = Vec::with_capacity(doses.len());
        for d in doses {
            let dlt = dlt_in(&mut conn, d.participant_id).await?;
            out.push((d, dlt));
        }
        Ok(out)
    }
}

/// Every level's counts, in escalation order.
async fn cohort_counts_in(conn: &mut AnyConnection, study: &Study) -> Result<Vec<LevelCount>> {
    let rows: Vec<(String, Option<Flag>)> = sqlx::query_as(
        "SELECT d.level_id, t.dlt FROM dose_assignments d \
         LEFT JOIN dlt_assessments t ON t.participant_id = d.participant_id \
         WHERE d.study_id = $1",
    )
    .bind(&study.id)
    .fetch_all(&mut *conn)
    .await?;
    let mut counts = vec![LevelCount::default(); study.dose_levels.len()];
    for (level, dlt) in rows {
        if let Some(i) = study.dose_levels.iter().position(|l| l.id == level) {
            counts[i].assigned += 1;
            if let Some(dlt) = dlt {
                counts[i].evaluable += 1;
                counts[i].dlts += u32::from(dlt.0);
            }
        }
    }
    Ok(counts)
}

/// Assigns an enrolled participant's dose level, once: the level the 3+3 rule opens (the
/// requested one must be it), or any level with a sponsor's signed override.
async fn assign_dose(
    tx: &mut Tx<'_>,
    scope: &Scope,
    study: &Study,
    request: DoseRequest<'_>,
    by: &Actor,
) -> Result<DoseAssignment> {
    let DoseRequest {
        participant_id,
        level_id,
        sponsor_override,
    } = request;
    rules::check_escalation_study(study)?;
    tx.lock_study(&study.id).await?;
    crate::gate::check(tx, &study.id, Gated::Dosing).await?;
    let p = participant_in(tx.conn(), scope, participant_id).await?;
    participants::check_allocatable(
        participant_id,
        p.status,
        p.eligible,
        "is given a dose level",
    )?;
    let assigned = dose_in(tx.conn(), participant_id).await?;
    rules::check_unassigned(
        participant_id,
        assigned.as_ref().map(|a| a.level_id.as_str()),
    )?;
    let counts = cohort_counts_in(tx.conn(), study).await?;
    let level = rules::choose_level(
        study,
        &counts,
        level_id,
        sponsor_override.as_ref().map(|o| o.reason),
    )?
    .to_string();
    let at = now();
    let (reason, signer) = match sponsor_override {
        Some(o) => (
            Some(o.reason.trim().to_string()),
            Some(o.signer.full_name.clone()),
        ),
        None => (None, None),
    };
    sqlx::query(&tx.sql(
        "INSERT INTO dose_assignments (participant_id, study_id, level_id, assigned_at, assigned_by, \
         override_reason, override_signer, override_signed_at) \
         VALUES ($1, $2, $3, $4::timestamptz, $5, $6, $7, $8::timestamptz)",
    ))
    .bind(participant_id)
    .bind(&study.id)
    .bind(&level)
    .bind(&at)
    .bind(&by.username)
    .bind(&reason)
    .bind(&signer)
    .bind(signer.as_ref().map(|_| at.clone()))
    .execute(tx.conn())
    .await
    .map_err(crate::conflict("level_id", "is already assigned; a dose level is final"))?;
    let mut changes =
        vec![Change::new("assign", "dose-level", participant_id).set("level_id", &level)];
    if let (Some(reason), Some(signer)) = (&reason, &signer) {
        changes[0] = changes[0].clone().because(reason);
        changes.push(
            Change::new("sign", "dose-override", participant_id)
                .set("signer_name", signer)
                .because(reason),
        );
        changes.push(
            Change::new("sign", "dose-override", participant_id)
                .set("meaning", "override of the 3+3 rule"),
        );
    }
    if let Some(schedule) = study.dose_level(&level).map(|l| l.schedule) {
        changes.extend(unplan_visits(tx, study, participant_id, schedule).await?);
    }
    tx.audit(&study.id, by, &changes).await?;
    dose_in(tx.conn(), participant_id)
        .await?
        .ok_or_else(|| not_found("dose level", participant_id))
}

/// Takes off a participant's plan the visits its dose schedule does not have (planned at
/// enrolment, before the level was known), unless one was recorded or has a form: the changes
/// to audit.
async fn unplan_visits(
    tx: &mut Tx<'_>,
    study: &Study,
    participant_id: i64,
    schedule: trial::DoseSchedule,
) -> Result<Vec<Change>> {
    let mut unplanned = Vec::new();
    for visit in trial::visits_not_for(study, schedule) {
        let removed = sqlx::query(&tx.sql(
            "DELETE FROM visits WHERE participant_id = $1 AND visit_id = $2 AND done_on IS NULL \
             AND NOT EXISTS (SELECT 1 FROM form_entries f WHERE f.participant_id = $3 \
             AND f.visit_id = $4)",
        ))
        .bind(participant_id)
        .bind(visit)
        .bind(participant_id)
        .bind(visit)
        .execute(tx.conn())
        .await?
        .rows_affected();
        if removed > 0 {
            unplanned.push(visit.to_string());
        }
    }
    Ok(trial::unplanned_visit_changes(
        participant_id,
        schedule,
        &unplanned,
    ))
}

async fn dose_in(conn: &mut AnyConnection, participant_id: i64) -> Result<Option<DoseAssignment>> {
    let sql = render(
        dialect_of(conn),
        &format!("SELECT {DOSE_COLUMNS} FROM dose_assignments WHERE participant_id = $1"),
    );
    Ok(sqlx::query_as::<_, DoseAssignment>(&sql)
        .bind(participant_id)
        .fetch_optional(&mut *conn)
        .await?)
}

async fn dlt_in(conn: &mut AnyConnection, participant_id: i64) -> Result<Option<DltAssessment>> {
    let sql = render(
        dialect_of(conn),
        "SELECT dlt, onset_on::text, description, assessed_on::text, signer_name, \
         signed_at::instant FROM dlt_assessments WHERE participant_id = $1",
    );
    let row: Option<(Flag, Option<String>, String, String, String, String)> = sqlx::query_as(&sql)
        .bind(participant_id)
        .fetch_optional(&mut *conn)
        .await?;
    let ae_ids: Vec<(i64,)> = match row {
        Some(_) => {
            sqlx::query_as("SELECT ae_id FROM dlt_events WHERE participant_id = $1 ORDER BY ae_id")
                .bind(participant_id)
                .fetch_all(&mut *conn)
                .await?
        }
        None => Vec::new(),
    };
    let ae_ids: Vec<i64> = ae_ids.into_iter().map(|(id,)| id).collect();
    Ok(row.map(
        |(dlt, onset_on, description, assessed_on, signer_name, signed_at)| DltAssessment {
            participant_id,
            dlt: dlt.0,
            onset_on,
            description,
            assessed_on,
            signer_name,
            signed_at,
            ae_ids,
        },
    ))
}

/// Records a participant's signed DLT assessment, once: a DLT with its onset inside the
/// window, or none once the window is over.
async fn record_dlt_in(
    tx: &mut Tx<'_>,
    scope: &Scope,
    study: &Study,
    new: &NewDlt<'_>,
    by: &Actor,
) -> Result<DltAssessment> {
    let id = new.participant_id;
    let p = participant_in(tx.conn(), scope, id).await?;
    let level = dose_in(tx.conn(), id).await?.map(|d| d.level_id);
    let assessed = dlt_in(tx.conn(), id).await?.is_some();
    let report = rules::DltReport {
        participant_id: id,
        dlt: new.dlt,
        onset_on: new.onset_on.as_deref(),
        description: &new.description,
        assessed_on: &new.assessed_on,
    };
    let given = crate::model::dose_dates(tx.conn(), id).await?;
    rules::check_dlt(&report, level.as_deref(), assessed, |level| {
        rules::dlt_window_given(study, level, p.anchor_date.as_deref(), &given)
    })?;
    let mut ae_ids = new.ae_ids.clone();
    ae_ids.sort_unstable();
    if let Some(level) = &level {
        let window = rules::dlt_window_given(study, level, p.anchor_date.as_deref(), &given)?;
        let events = participant_events(tx.conn(), id).await?;
        let events: Vec<(i64, &trial::safety::AdverseEvent)> =
            events.iter().map(|e| (e.id, &e.event)).collect();
        check_dlt_events(new.dlt, &new.ae_ids, &events, window)?;
    }
    let at = now();
    sqlx::query(&tx.sql(
        "INSERT INTO dlt_assessments (participant_id, study_id, dlt, onset_on, description, assessed_on, \
         signer_user_id, signer_name, signed_at) \
         VALUES ($1, $2, $3, $4::date, $5, $6::date, $7, $8, $9::timestamptz)",
    ))
    .bind(id)
    .bind(&study.id)
    .bind(new.dlt)
    .bind(&new.onset_on)
    .bind(new.description.trim())
    .bind(&new.assessed_on)
    .bind(new.signer.id)
    .bind(&new.signer.full_name)
    .bind(&at)
    .execute(tx.conn())
    .await
    .map_err(crate::conflict("dlt", "was already assessed"))?;
    for ae_id in &ae_ids {
        sqlx::query("INSERT INTO dlt_events (participant_id, ae_id) VALUES ($1, $2)")
            .bind(id)
            .bind(ae_id)
            .execute(tx.conn())
            .await?;
    }
    let mut changes = rules::dlt_changes(&report, &new.signer.full_name, &at);
    if !ae_ids.is_empty() {
        changes.push(dlt_event_change(id, &ae_ids));
    }
    tx.audit(&study.id, by, &changes).await?;
    dlt_in(tx.conn(), id)
        .await?
        .ok_or_else(|| not_found("DLT assessment", id))
}
