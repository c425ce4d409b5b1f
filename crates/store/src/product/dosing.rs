//! Dosing read from the administrations: a participant's doses (what the dosing visit shows,
//! the same for a placebo unit as for the product) and the study's exposure (what an SDTM EX
//! domain reads), with the treatment — product or placebo — for unblinded callers only.

use serde::Serialize;
use sqlx::Row;
use time::Date;
use trial::Change;

use super::ENTITY;
use crate::db::{Store, Tx};
use crate::dialect::{dialect_of, render};
use crate::model::{date, participant_in, scope_filter, Actor, Scope};
use crate::{unblinded_chain, Result};

/// The write that reads (and audits) the exposure with the treatment: `trial::lock::AFTER_LOCK`
/// keeps it allowed after the database lock.
pub const READ_EXPOSURE: &str = "read_exposure";

/// The scope of a read in words, for its audit row.
fn scope_words(scope: &Scope) -> String {
    match scope {
        Scope::Study(study) => format!("study {study}"),
        Scope::Sites { sites, .. } => format!("sites {}", sites.join(", ")),
    }
}

/// The exposure in scope, with the treatment when `unblinded`.
async fn exposure_of(
    conn: &mut sqlx::AnyConnection,
    scope: &Scope,
    unblinded: bool,
) -> Result<Vec<Exposure>> {
    let (filter, values) = scope_filter(scope, 1);
    let placebo = if unblinded { ", u.placebo" } else { "" };
    let sql = render(
        dialect_of(conn),
        &format!(
            "SELECT {DOSE_COLUMNS}, p.id AS participant_id, p.subject_id, p.site_id{placebo} \
             FROM product_administrations a JOIN product_units u ON u.id = a.unit_id \
             JOIN (SELECT id, subject_id, site_id FROM participants WHERE {filter}) p \
             ON p.id = a.participant_id ORDER BY p.id, a.injected_at, a.id"
        ),
    );
    let mut q = sqlx::query(&sql);
    for v in &values {
        q = q.bind(v);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| {
            let d = dose_of(r)?;
            let treatment = if unblinded {
                let flag: crate::dialect::Flag = r.try_get("placebo")?;
                Some(if flag.0 { "placebo" } else { "product" }.to_string())
            } else {
                None
            };
            Ok(Exposure {
                participant_id: r.try_get("participant_id")?,
                subject_id: r.try_get("subject_id")?,
                site_id: r.try_get("site_id")?,
                dose_number: d.dose_number,
                visit_id: d.visit_id,
                dosed_on: d.dosed_on,
                injected_at: d.injected_at,
                dose: d.dose_cells,
                dose_unit: "cells".into(),
                volume_ml: d.volume_ml,
                route: d.route,
                puncture_level: d.puncture_level,
                treatment,
            })
        })
        .collect()
}

/// A dose given, as the participant's dosing visit shows it: nothing tells a placebo unit.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DoseGiven {
    /// The administration's id.
    pub administration_id: i64,
    /// Which dose of the schedule, from 1.
    pub dose_number: i64,
    /// The visit it was given at.
    pub visit_id: Option<String>,
    /// The date at the site.
    #[schema(format = Date)]
    pub dosed_on: String,
    /// When it was injected (UTC).
    #[schema(format = DateTime)]
    pub injected_at: String,
    /// The dose in cells.
    pub dose_cells: i64,
    /// The volume, mL.
    pub volume_ml: f64,
    /// The route.
    pub route: String,
    /// The lumbar puncture level.
    pub puncture_level: String,
}

/// One administration of the study's exposure (SDTM EX): participant, time, dose, unit, route,
/// level, and the treatment for unblinded callers.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Exposure {
    /// The participant.
    pub participant_id: i64,
    /// The subject id.
    pub subject_id: Option<String>,
    /// The site.
    pub site_id: String,
    /// Which dose of the schedule, from 1.
    pub dose_number: i64,
    /// The visit it was given at.
    pub visit_id: Option<String>,
    /// The date at the site.
    #[schema(format = Date)]
    pub dosed_on: String,
    /// When it was injected (UTC).
    #[schema(format = DateTime)]
    pub injected_at: String,
    /// The dose.
    pub dose: i64,
    /// Its unit (`cells`).
    pub dose_unit: String,
    /// The volume, mL.
    pub volume_ml: f64,
    /// The route (`intrathecal`).
    pub route: String,
    /// The lumbar puncture level.
    pub puncture_level: String,
    /// `product` or `placebo`, for unblinded callers only (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub treatment: Option<String>,
}

/// Marks the dosing visit done on the day of the dose, unless it was recorded already: the
/// changes to audit.
pub(super) async fn mark_visit_done(
    tx: &mut Tx<'_>,
    participant: i64,
    visit: &str,
    on: Date,
) -> Result<Vec<Change>> {
    let done = sqlx::query(&tx.sql(
        "UPDATE visits SET done_on = $1::date WHERE participant_id = $2 AND visit_id = $3 \
         AND done_on IS NULL",
    ))
    .bind(date(on))
    .bind(participant)
    .bind(visit)
    .execute(tx.conn())
    .await?
    .rows_affected();
    Ok(if done > 0 {
        vec![
            Change::new("update", "visit", format!("{participant}/{visit}"))
                .set("done_on", date(on)),
        ]
    } else {
        Vec::new()
    })
}

fn number(row: &sqlx::any::AnyRow, column: &str) -> Result<f64> {
    Ok(row
        .try_get::<String, _>(column)?
        .parse()
        .unwrap_or(f64::NAN))
}

const DOSE_COLUMNS: &str = "a.id, a.dose_number, a.visit_id, a.dosed_on::text, \
    a.injected_at::instant, a.dose_cells, a.volume_ml, a.route, a.puncture_level";

fn dose_of(r: &sqlx::any::AnyRow) -> Result<DoseGiven> {
    let injected_at: String = r.try_get("injected_at")?;
    let dosed_on: Option<String> = r.try_get("dosed_on")?;
    Ok(DoseGiven {
        administration_id: r.try_get("id")?,
        dose_number: r.try_get::<Option<i64>, _>("dose_number")?.unwrap_or(1),
        visit_id: r.try_get("visit_id")?,
        dosed_on: dosed_on.unwrap_or_else(|| injected_at.chars().take(10).collect()),
        injected_at,
        dose_cells: r.try_get("dose_cells")?,
        volume_ml: number(r, "volume_ml")?,
        route: r.try_get("route")?,
        puncture_level: r.try_get("puncture_level")?,
    })
}

impl Store {
    /// The doses given to a participant in scope, in order: what the dosing visits show,
    /// without the unit (a placebo unit's record reads as the product's).
    pub async fn doses_given(&self, scope: &Scope, participant_id: i64) -> Result<Vec<DoseGiven>> {
        let mut conn = self.pool.acquire().await?;
        let p = participant_in(&mut conn, scope, participant_id).await?;
        let sql = render(
            dialect_of(&conn),
            &format!(
                "SELECT {DOSE_COLUMNS} FROM product_administrations a \
                 WHERE a.participant_id = $1 ORDER BY a.injected_at, a.id"
            ),
        );
        let rows = sqlx::query(&sql).bind(p.id).fetch_all(&mut *conn).await?;
        rows.iter().map(dose_of).collect()
    }

    /// The study's exposure: every administration to a participant in scope, by participant
    /// and time. With `unblinded` (the reader, who must be allowed to see arms) it adds the
    /// treatment (product or placebo), and the read is audited on the study's unblinded chain
    /// (who read how many administrations' treatment, in which scope), as other unblinded
    /// reads are; it stays allowed after the database lock.
    pub async fn exposure(
        &self,
        scope: &Scope,
        unblinded: Option<&Actor>,
    ) -> Result<Vec<Exposure>> {
        let Some(by) = unblinded else {
            let mut conn = self.pool.acquire().await?;
            return exposure_of(&mut conn, scope, false).await;
        };
        let (scope, by) = (scope.clone(), by.clone());
        self.write(READ_EXPOSURE, move |mut tx| {
            Box::pin(async move {
                let rows = exposure_of(tx.conn(), &scope, true).await?;
                let placebo = rows
                    .iter()
                    .filter(|e| e.treatment.as_deref() == Some("placebo"))
                    .count();
                let change = Change::new("read", ENTITY, "exposure")
                    .set(
                        "treatment",
                        format!(
                            "{} administration(s), {placebo} placebo, {}",
                            rows.len(),
                            scope_words(&scope)
                        ),
                    )
                    .because("exposure read with the treatment");
                tx.audit(&unblinded_chain(scope.study()), &by, &[change])
                    .await?;
                Ok(rows)
            })
        })
        .await
    }
}
