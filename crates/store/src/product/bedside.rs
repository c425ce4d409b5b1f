//! At the bedside: the unblinded pharmacist scans the participant's kit (in an open-label study,
//! which has no kits, the unit is scanned against the participant directly) and the unit; the
//! unit is checked by `trial::product::bedside::check_unit` over what is stored (its kit, lot
//! state, expiry, shipment's condition, use, thaw, the lot's endotoxin per kilogram of this
//! recipient), the dose placed in the participant's schedule by
//! `trial::product::dosing::next_dose` (its number and visit, the dose of the level in a dose
//! escalation), and in one write the administration record stored, the unit marked used, the
//! dosing visit marked done and the site's supply looked at.

use serde::Serialize;
use sqlx::Row;
use time::OffsetDateTime;
use trial::product::bedside::{check_unit, Administration, UnitFacts};
use trial::product::custody::{check_record, UnitStatus};
use trial::product::dosing::next_dose;
use trial::product::release::Criterion;
use trial::safety::Gated;
use trial::Change;

use super::{audit_both, definition, lot, unit_by_label, ENTITY};
use crate::db::Store;
use crate::model::{date, instant, now, parse_date, participant_in, Actor, Scope};
use crate::{not_found, Result, StoreError};

/// What the pharmacist records.
#[derive(Clone, Debug)]
pub struct NewAdministration {
    /// The kit scanned (none in an open-label study, which has no kits).
    pub kit_number: Option<String>,
    /// The unit scanned: DIN and check character.
    pub unit: String,
    /// When the unit was thawed.
    pub thawed_at: OffsetDateTime,
    /// When it was injected, in the site's offset: its date is the date of the dose.
    pub injected_at: OffsetDateTime,
    /// The dose in cells (a placebo unit's record carries its label's dose).
    pub dose_cells: i64,
    /// The volume injected, mL.
    pub volume_ml: f64,
    /// The participant's weight, kg.
    pub weight_kg: f64,
    /// `intrathecal`.
    pub route: String,
    /// The lumbar puncture level (`L3-L4`).
    pub puncture_level: String,
}

/// An administration.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AdministrationRecord {
    /// Its id.
    pub id: i64,
    /// The participant.
    pub participant_id: i64,
    /// The unit given (shown to unblinded roles only).
    pub unit_id: i64,
    /// The unit's lot.
    pub lot_id: i64,
    /// When the unit was thawed.
    #[schema(format = DateTime)]
    pub thawed_at: String,
    /// When it was injected.
    #[schema(format = DateTime)]
    pub injected_at: String,
    /// The dose in cells.
    pub dose_cells: i64,
    /// The volume, mL.
    pub volume_ml: f64,
    /// The participant's weight, kg.
    pub weight_kg: f64,
    /// The route.
    pub route: String,
    /// The lumbar puncture level.
    pub puncture_level: String,
    /// Which dose of the participant's schedule it is, from 1.
    pub dose_number: i64,
    /// The visit it was given at.
    pub visit_id: Option<String>,
    /// The date of the dose at the site.
    #[schema(format = Date)]
    pub dosed_on: String,
    /// Who recorded it.
    pub recorded_by: String,
}

/// The lot's endotoxin in EU/mL, when its result is in: the result of the test measured in
/// EU/mL.
fn endotoxin(
    product: &trial::product::release::ProductDefinition,
    lot: &super::Lot,
) -> Option<f64> {
    let test = product.release_tests.iter().find(|t| {
        matches!(&t.criterion,
            Criterion::AtMost { unit, .. } | Criterion::Below { unit, .. } if unit == "EU/mL")
    })?;
    lot.results
        .iter()
        .find(|r| r.test_id == test.id)
        .and_then(|r| r.value.parse().ok())
}

impl Store {
    /// Records a unit given to a participant in the caller's scope, after the bedside check;
    /// each refusal names its reason and nothing is written. The record is audited on the
    /// study's chain, the unit given on the unblinded chain.
    pub async fn administer(
        &self,
        study_def: &trial::Study,
        scope: &Scope,
        participant_id: i64,
        new: &NewAdministration,
        by: &Actor,
    ) -> Result<AdministrationRecord> {
        check_record(&new.route, &new.puncture_level, new.dose_cells)?;
        if new.injected_at > OffsetDateTime::now_utc() {
            return Err(StoreError::Invalid {
                field: "injected_at".into(),
                message: "is in the future".into(),
            });
        }
        let (study_def, scope, new, by) =
            (study_def.clone(), scope.clone(), new.clone(), by.clone());
        self.write("administer", move |mut tx| {
            Box::pin(async move {
                let study = scope.study().to_string();
                crate::gate::check(&mut tx, &study, Gated::Dosing).await?;
                let participant = participant_in(tx.conn(), &scope, participant_id).await?;
                let product = definition(tx.conn(), &study).await?;
                let kit: Option<(String,)> =
                    sqlx::query_as("SELECT kit_number FROM allocations WHERE participant_id = $1")
                        .bind(participant.id)
                        .fetch_optional(tx.conn())
                        .await?;
                let scanned = new
                    .kit_number
                    .as_deref()
                    .map(str::trim)
                    .filter(|k| !k.is_empty());
                let kit = match (kit, scanned) {
                    (Some((kit,)), Some(scanned)) if scanned == kit => Some(kit),
                    (Some(_), Some(scanned)) => {
                        return Err(StoreError::Conflict {
                            field: "kit_number".into(),
                            message: format!("kit {scanned} is not this participant's kit"),
                        })
                    }
                    (Some(_), None) => {
                        return Err(StoreError::Invalid {
                            field: "kit_number".into(),
                            message: "is required: scan the participant's kit".into(),
                        })
                    }
                    // Open-label dose escalation has no kits: the unit is scanned against the
                    // participant.
                    (None, None) if !study_def.dose_levels.is_empty() => None,
                    (None, _) => {
                        return Err(StoreError::Conflict {
                            field: "kit_number".into(),
                            message: format!("participant {participant_id} has no kit"),
                        })
                    }
                };
                let u = unit_by_label(tx.conn(), &study, &new.unit).await?;
                let l = lot(tx.conn(), &study, u.lot_id).await?;
                let facts = UnitFacts {
                    label: u.label(),
                    kit: u.kit_number.clone(),
                    placebo: u.placebo,
                    lot: l.lot_state(),
                    expires_on: parse_date(&l.expires_on).ok_or_else(|| not_found("lot", l.id))?,
                    condition_hold: super::custody::condition_hold(tx.conn(), &u).await?,
                    used: u.status != UnitStatus::Available.as_str(),
                    thawed_at: Some(new.thawed_at),
                    endotoxin_eu_per_ml: endotoxin(&product, &l),
                };
                check_unit(
                    &facts,
                    &Administration {
                        participant_kit: kit.as_deref(),
                        at: new.injected_at,
                        volume_ml: new.volume_ml,
                        weight_kg: new.weight_kg,
                    },
                    product.thaw_to_administration,
                )?;
                let level: Option<(String,)> = sqlx::query_as(
                    "SELECT level_id FROM dose_assignments WHERE participant_id = $1",
                )
                .bind(participant.id)
                .fetch_optional(tx.conn())
                .await?;
                let given = crate::model::dose_dates(tx.conn(), participant.id).await?;
                let anchor = participant
                    .anchor_date
                    .as_deref()
                    .and_then(parse_date)
                    .ok_or_else(|| StoreError::Conflict {
                        field: "anchor_date".into(),
                        message: format!(
                            "participant {participant_id} is not enrolled with a first-dose date"
                        ),
                    })?;
                let dosed_on = new.injected_at.date();
                let slot = next_dose(
                    &study_def,
                    level.as_ref().map(|(l,)| l.as_str()),
                    anchor,
                    &given,
                    dosed_on,
                    new.dose_cells,
                )?;
                let id: i64 = sqlx::query(&tx.sql(
                    "INSERT INTO product_administrations (unit_id, participant_id, thawed_at, \
                     injected_at, dose_cells, volume_ml, weight_kg, route, puncture_level, \
                     recorded_by, created_at, dose_number, visit_id, dosed_on) VALUES ($1, $2, \
                     $3::timestamptz, $4::timestamptz, $5, $6, $7, $8, $9, $10, $11::timestamptz, \
                     $12, $13, $14::date) RETURNING id",
                ))
                .bind(u.id)
                .bind(participant.id)
                .bind(instant(new.thawed_at))
                .bind(instant(new.injected_at))
                .bind(new.dose_cells)
                .bind(format!("{}", new.volume_ml))
                .bind(format!("{}", new.weight_kg))
                .bind(&new.route)
                .bind(&new.puncture_level)
                .bind(&by.username)
                .bind(now())
                .bind(i64::from(slot.number))
                .bind(&slot.visit_id)
                .bind(date(dosed_on))
                .fetch_one(tx.conn())
                .await?
                .try_get("id")?;
                sqlx::query("UPDATE product_units SET status = $1 WHERE id = $2")
                    .bind(UnitStatus::Used.as_str())
                    .bind(u.id)
                    .execute(tx.conn())
                    .await?;
                let record = format!("administration/{id}");
                let mut open = vec![
                    Change::new("create", ENTITY, &record).set("participant", participant.id),
                    Change::new("create", ENTITY, &record).set("lot", l.id),
                    Change::new("create", ENTITY, &record).set("thawed_at", instant(new.thawed_at)),
                    Change::new("create", ENTITY, &record)
                        .set("injected_at", instant(new.injected_at)),
                    Change::new("create", ENTITY, &record).set(
                        "dose",
                        format!(
                            "{} cells in {} mL, {} at {}",
                            new.dose_cells, new.volume_ml, new.route, new.puncture_level
                        ),
                    ),
                    Change::new("create", ENTITY, &record)
                        .set("dose_number", format!("{} of {}", slot.number, slot.of)),
                ];
                if let Some(visit) = &slot.visit_id {
                    open.extend(
                        super::dosing::mark_visit_done(&mut tx, participant.id, visit, dosed_on)
                            .await?,
                    );
                }
                let site = participant.site_id.clone();
                super::supply::look_at_site(&mut tx, &study, &site, dosed_on).await?;
                let blind = [Change::new("create", ENTITY, &record).set("unit", u.label())];
                audit_both(&mut tx, &study, &by, &open, &blind).await?;
                Ok(AdministrationRecord {
                    id,
                    participant_id: participant.id,
                    unit_id: u.id,
                    lot_id: l.id,
                    thawed_at: instant(new.thawed_at),
                    injected_at: instant(new.injected_at),
                    dose_cells: new.dose_cells,
                    volume_ml: new.volume_ml,
                    weight_kg: new.weight_kg,
                    route: new.route.clone(),
                    puncture_level: new.puncture_level.clone(),
                    dose_number: i64::from(slot.number),
                    visit_id: slot.visit_id.clone(),
                    dosed_on: date(dosed_on),
                    recorded_by: by.username.clone(),
                })
            })
        })
        .await
    }
}
