//! Custody and condition: shipments of released units from the manufacturer to a site in a
//! dry shipper, every hand-over signed by the party taking custody, the temperature logger's
//! file of a shipment (read by `trial::product::logger`; refused whole naming the line, or
//! stored with its readings, excursions and gaps, once per file), the qualified person's
//! documented decision on each excursion or gap (until then the shipment's units are held),
//! and the unblinded pharmacist's kit ↔ unit link.

use serde::Serialize;
use sqlx::{AnyConnection, Row};
use time::{OffsetDateTime, UtcOffset};
use trial::product::custody::{
    check_handover, check_link, decide_condition, ConditionDecision, LinkFacts, UnitStatus,
};
use trial::product::logger::{read_logger_csv, DateOrder, LoggerOptions};
use trial::product::supply::last_ship_date;
use trial::{ArmKind, Change, Study};

use super::{audit_both, definition, lot, unit, unit_by_label, Unit, ENTITY};
use crate::db::Store;
use crate::dialect::{dialect_of, render};
use crate::model::{instant, now, parse_date, participant_in, Actor, Scope};
use crate::{conflict, not_found, Result, StoreError};

/// A shipment to create.
#[derive(Clone, Debug)]
pub struct NewShipment {
    /// The site it goes to.
    pub site_id: String,
    /// The dry shipper's id.
    pub shipper: String,
    /// The units it carries.
    pub unit_ids: Vec<i64>,
}

/// A shipment.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ShipmentRecord {
    /// Its id.
    pub id: i64,
    /// The site it goes to.
    pub site_id: String,
    /// The dry shipper.
    pub shipper: String,
    /// `in_transit` or `received`.
    pub state: String,
    /// The units it carries.
    pub unit_ids: Vec<i64>,
    /// Whether an excursion or gap awaits a decision (its units are held).
    pub condition_hold: bool,
    /// Every hand-over, in order.
    pub handovers: Vec<HandoverRecord>,
    /// What its logger files showed.
    pub excursions: Vec<ExcursionRecord>,
    /// Who created it.
    pub created_by: String,
    /// When.
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// A hand-over to record.
#[derive(Clone, Debug)]
pub struct NewHandover {
    /// Who hands it over.
    pub from: String,
    /// Where.
    pub place: String,
    /// When.
    pub at: OffsetDateTime,
    /// Whether this is the site's receipt, which ends the journey.
    pub received: bool,
}

/// A hand-over, signed by the party taking custody.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HandoverRecord {
    /// Who handed it over.
    pub from: String,
    /// Where.
    pub place: String,
    /// When.
    #[schema(format = DateTime)]
    pub handed_at: String,
    /// Who took custody and signed.
    pub signed_by: String,
    /// The signer's printed name.
    pub signer_name: String,
    /// When signed.
    #[schema(format = DateTime)]
    pub signed_at: String,
}

/// An excursion above the limit, or a gap in the readings.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ExcursionRecord {
    /// Its id.
    pub id: i64,
    /// `excursion` or `gap`.
    pub kind: String,
    /// When it started.
    #[schema(format = DateTime)]
    pub started_at: String,
    /// When it ended (none when the file ends above the limit).
    #[schema(format = DateTime)]
    pub ended_at: Option<String>,
    /// How long, in minutes.
    pub minutes: i64,
    /// The highest reading, °C (excursions).
    pub peak_c: Option<f64>,
    /// The file's line where it starts.
    pub line: i64,
    /// `use` or `reject`, once decided.
    pub decision: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// Who decided.
    pub decided_by: Option<String>,
}

/// What importing a logger file did.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LoggerImport {
    /// The file's id.
    pub file_id: i64,
    /// True when the same file was imported before: nothing was written.
    pub already: bool,
    /// Readings stored.
    pub readings: i64,
    /// The shipment's excursions and gaps after it.
    pub excursions: Vec<ExcursionRecord>,
}

async fn excursions_of(conn: &mut AnyConnection, shipment: i64) -> Result<Vec<ExcursionRecord>> {
    let sql = render(
        dialect_of(conn),
        "SELECT id, kind, started_at::instant, ended_at::instant, minutes, peak_c, line, \
         decision, reason, decided_by FROM product_excursions WHERE shipment_id = $1 ORDER BY id",
    );
    let rows = sqlx::query(&sql)
        .bind(shipment)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            let peak: Option<String> = r.try_get("peak_c")?;
            Ok(ExcursionRecord {
                id: r.try_get("id")?,
                kind: r.try_get("kind")?,
                started_at: r.try_get("started_at")?,
                ended_at: r.try_get("ended_at")?,
                minutes: r.try_get("minutes")?,
                peak_c: peak.and_then(|p| p.parse().ok()),
                line: r.try_get("line")?,
                decision: r.try_get("decision")?,
                reason: r.try_get("reason")?,
                decided_by: r.try_get("decided_by")?,
            })
        })
        .collect()
}

pub(super) async fn shipment(
    conn: &mut AnyConnection,
    study: &str,
    id: i64,
) -> Result<ShipmentRecord> {
    let sql = render(
        dialect_of(conn),
        "SELECT id, site_id, shipper, state, created_by, created_at::instant \
         FROM product_shipments WHERE id = $1 AND study_id = $2",
    );
    let row = sqlx::query(&sql)
        .bind(id)
        .bind(study)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| not_found("shipment", id))?;
    let units: Vec<(i64,)> =
        sqlx::query_as("SELECT id FROM product_units WHERE shipment_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    let sql = render(
        dialect_of(conn),
        "SELECT from_party, place, handed_at::instant, signed_by, signer_name, \
         signed_at::instant FROM product_handovers WHERE shipment_id = $1 ORDER BY id",
    );
    let handovers = sqlx::query(&sql)
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok(HandoverRecord {
                from: r.try_get("from_party")?,
                place: r.try_get("place")?,
                handed_at: r.try_get("handed_at")?,
                signed_by: r.try_get("signed_by")?,
                signer_name: r.try_get("signer_name")?,
                signed_at: r.try_get("signed_at")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let excursions = excursions_of(conn, id).await?;
    Ok(ShipmentRecord {
        id,
        site_id: row.try_get("site_id")?,
        shipper: row.try_get("shipper")?,
        state: row.try_get("state")?,
        unit_ids: units.into_iter().map(|(u,)| u).collect(),
        condition_hold: excursions.iter().any(|e| e.decision.is_none()),
        handovers,
        excursions,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Whether a unit's shipment has an excursion or gap awaiting a decision.
pub(super) async fn condition_hold(conn: &mut AnyConnection, unit: &Unit) -> Result<bool> {
    let Some(shipment) = unit.shipment_id else {
        return Ok(false);
    };
    let (open,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM product_excursions WHERE shipment_id = $1 AND decision IS NULL",
    )
    .bind(shipment)
    .fetch_one(&mut *conn)
    .await?;
    Ok(open > 0)
}

/// A shipment in the caller's scope (a site role sees its sites' shipments only).
async fn shipment_in(conn: &mut AnyConnection, scope: &Scope, id: i64) -> Result<ShipmentRecord> {
    let s = shipment(conn, scope.study(), id).await?;
    if scope.includes_site(&s.site_id) {
        Ok(s)
    } else {
        Err(not_found("shipment", id))
    }
}

impl Store {
    /// Ships units of released (or conditionally released) lots to a site: each available,
    /// in no other shipment, and shipped no later than its lot's last ship date (expiry less
    /// the shipping lead time and the minimum time on site).
    pub async fn create_shipment(
        &self,
        study: &Study,
        new: &NewShipment,
        today: time::Date,
        by: &Actor,
    ) -> Result<ShipmentRecord> {
        if !study.sites.iter().any(|s| s.id == new.site_id) {
            let ids: Vec<&str> = study.sites.iter().map(|s| s.id.as_str()).collect();
            return Err(trial::Refusal::not_allowed("site_id", &new.site_id, &ids).into());
        }
        let shipper = super::check_text("shipper", &new.shipper)?;
        if new.unit_ids.is_empty() {
            return Err(StoreError::Invalid {
                field: "unit_ids".into(),
                message: "must name at least one unit".into(),
            });
        }
        let (study, new, by) = (study.id.clone(), new.clone(), by.clone());
        self.write("create_shipment", move |mut tx| {
            Box::pin(async move {
                let product = definition(tx.conn(), &study).await?;
                let mut units = Vec::new();
                for (i, id) in new.unit_ids.iter().enumerate() {
                    let field = format!("unit_ids[{i}]");
                    let u = unit(tx.conn(), &study, *id).await.map_err(|_| {
                        StoreError::Invalid {
                            field: field.clone(),
                            message: format!("{id} is not a unit of the study"),
                        }
                    })?;
                    if u.shipment_id.is_some() || u.status != UnitStatus::Available.as_str() {
                        return Err(StoreError::Conflict {
                            field,
                            message: format!(
                                "unit {} is shipped already or not available",
                                u.label()
                            ),
                        });
                    }
                    let l = lot(tx.conn(), &study, u.lot_id).await?;
                    if !l.lot_state().usable() {
                        return Err(StoreError::Conflict {
                            field,
                            message: format!(
                                "unit {}'s lot is {}, not released",
                                u.label(),
                                l.state
                            ),
                        });
                    }
                    let expires = parse_date(&l.expires_on).unwrap_or(today);
                    let last = last_ship_date(
                        expires,
                        product.shipping_lead_days,
                        product.min_days_on_site,
                    );
                    if today > last {
                        return Err(StoreError::Conflict {
                            field,
                            message: format!(
                                "unit {}'s lot expires on {}: the last day it could ship was {}",
                                u.label(),
                                l.expires_on,
                                crate::model::date(last)
                            ),
                        });
                    }
                    units.push(u);
                }
                let at = now();
                let id: i64 = sqlx::query(&tx.sql(
                    "INSERT INTO product_shipments (study_id, site_id, shipper, state, \
                     created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6::timestamptz) \
                     RETURNING id",
                ))
                .bind(&study)
                .bind(&new.site_id)
                .bind(&shipper)
                .bind("in_transit")
                .bind(&by.username)
                .bind(&at)
                .fetch_one(tx.conn())
                .await?
                .try_get("id")?;
                for u in &units {
                    sqlx::query(
                        "UPDATE product_units SET shipment_id = $1, location_id = NULL WHERE id = $2",
                    )
                    .bind(id)
                    .bind(u.id)
                    .execute(tx.conn())
                    .await?;
                }
                let labels: Vec<String> = units.iter().map(Unit::label).collect();
                let record = format!("shipment/{id}");
                let changes = [
                    Change::new("create", ENTITY, &record).set("site", &new.site_id),
                    Change::new("create", ENTITY, &record).set("shipper", &shipper),
                    Change::new("create", ENTITY, &record).set("units", labels.join(" ")),
                ];
                tx.audit(&study, &by, &changes).await?;
                shipment(tx.conn(), &study, id).await
            })
        })
        .await
    }

    /// A shipment in the caller's scope.
    pub async fn shipment(&self, scope: &Scope, id: i64) -> Result<ShipmentRecord> {
        let mut conn = self.pool.acquire().await?;
        shipment_in(&mut conn, scope, id).await
    }

    /// The shipments in the caller's scope.
    pub async fn shipments(&self, scope: &Scope) -> Result<Vec<ShipmentRecord>> {
        let mut conn = self.pool.acquire().await?;
        let ids: Vec<(i64,)> =
            sqlx::query_as("SELECT id FROM product_shipments WHERE study_id = $1 ORDER BY id")
                .bind(scope.study())
                .fetch_all(&mut *conn)
                .await?;
        let mut out = Vec::new();
        for (id,) in ids {
            let s = shipment(&mut conn, scope.study(), id).await?;
            if scope.includes_site(&s.site_id) {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// Records a hand-over of a shipment, signed by the caller, who takes custody (the
    /// password checked by the caller of this). The site's receipt ends the journey.
    pub async fn record_handover(
        &self,
        scope: &Scope,
        shipment_id: i64,
        new: &NewHandover,
        signer_name: &str,
        by: &Actor,
    ) -> Result<ShipmentRecord> {
        let (scope, new, signer, by) = (
            scope.clone(),
            new.clone(),
            signer_name.to_string(),
            by.clone(),
        );
        self.write("record_handover", move |mut tx| {
            Box::pin(async move {
                let s = shipment_in(tx.conn(), &scope, shipment_id).await?;
                if s.state == "received" {
                    return Err(StoreError::Conflict {
                        field: "shipment".into(),
                        message: format!("shipment {shipment_id} was received already"),
                    });
                }
                let previous = s
                    .handovers
                    .last()
                    .and_then(|h| crate::model::parse_instant(&h.handed_at));
                check_handover(
                    &new.from,
                    &new.place,
                    new.at,
                    previous,
                    OffsetDateTime::now_utc(),
                )?;
                sqlx::query(&tx.sql(
                    "INSERT INTO product_handovers (shipment_id, from_party, place, handed_at, \
                     signed_by, signer_name, signed_at) VALUES ($1, $2, $3, $4::timestamptz, $5, \
                     $6, $7::timestamptz)",
                ))
                .bind(shipment_id)
                .bind(new.from.trim())
                .bind(new.place.trim())
                .bind(instant(new.at))
                .bind(&by.username)
                .bind(&signer)
                .bind(now())
                .execute(tx.conn())
                .await?;
                let record = format!("shipment/{shipment_id}");
                let mut changes = vec![Change::new("sign", ENTITY, &record).set(
                    "handover",
                    format!(
                        "from {} to {} at {} ({})",
                        new.from.trim(),
                        by.username,
                        new.place.trim(),
                        instant(new.at)
                    ),
                )];
                if new.received {
                    sqlx::query("UPDATE product_shipments SET state = $1 WHERE id = $2")
                        .bind("received")
                        .bind(shipment_id)
                        .execute(tx.conn())
                        .await?;
                    changes.push(
                        Change::new("update", ENTITY, &record)
                            .set("state", "received")
                            .was("in_transit"),
                    );
                }
                tx.audit(scope.study(), &by, &changes).await?;
                if new.received {
                    let today = new.at.date();
                    super::supply::look_at_site(&mut tx, scope.study(), &s.site_id, today).await?;
                }
                shipment(tx.conn(), scope.study(), shipment_id).await
            })
        })
        .await
    }

    /// Imports a shipment's temperature logger file: read against the product's storage limit
    /// and allowed gap (refused whole naming line and column; nothing stored), its readings,
    /// excursions and gaps stored in one write; the same file again changes nothing.
    pub async fn import_logger_file(
        &self,
        scope: &Scope,
        shipment_id: i64,
        text: &str,
        offset: Option<UtcOffset>,
        date_order: Option<DateOrder>,
        by: &Actor,
    ) -> Result<LoggerImport> {
        let digest = trial::labs::import::digest(text);
        let (scope, text, by) = (scope.clone(), text.to_string(), by.clone());
        self.write("import_logger_file", move |mut tx| {
            Box::pin(async move {
                shipment_in(tx.conn(), &scope, shipment_id).await?;
                let study = scope.study().to_string();
                let product = definition(tx.conn(), &study).await?;
                let earlier: Option<(i64, i64)> = sqlx::query_as(
                    "SELECT id, readings FROM product_logger_files \
                     WHERE shipment_id = $1 AND digest = $2",
                )
                .bind(shipment_id)
                .bind(&digest)
                .fetch_optional(tx.conn())
                .await?;
                if let Some((file_id, readings)) = earlier {
                    return Ok(LoggerImport {
                        file_id,
                        already: true,
                        readings,
                        excursions: excursions_of(tx.conn(), shipment_id).await?,
                    });
                }
                let options = LoggerOptions {
                    limit_c: product.storage_max_c,
                    max_gap: product.max_logger_gap,
                    offset,
                    date_order,
                };
                let file = read_logger_csv(&text, &options).map_err(|e| StoreError::Invalid {
                    field: "file".into(),
                    message: e.to_string(),
                })?;
                let file_id: i64 = sqlx::query(&tx.sql(
                    "INSERT INTO product_logger_files (shipment_id, digest, readings, \
                     imported_by, imported_at) VALUES ($1, $2, $3, $4, $5::timestamptz) \
                     RETURNING id",
                ))
                .bind(shipment_id)
                .bind(&digest)
                .bind(file.readings.len() as i64)
                .bind(&by.username)
                .bind(now())
                .fetch_one(tx.conn())
                .await?
                .try_get("id")?;
                let insert = tx.sql(
                    "INSERT INTO product_logger_readings (file_id, line, read_at, celsius) \
                     VALUES ($1, $2, $3::timestamptz, $4)",
                );
                for r in &file.readings {
                    sqlx::query(&insert)
                        .bind(file_id)
                        .bind(r.line as i64)
                        .bind(instant(r.at))
                        .bind(format!("{}", r.celsius))
                        .execute(tx.conn())
                        .await
                        .map_err(conflict("file", "two readings of the file share a line"))?;
                }
                let excursion = tx.sql(
                    "INSERT INTO product_excursions (shipment_id, file_id, kind, started_at, \
                     ended_at, minutes, peak_c, line) VALUES ($1, $2, $3, $4::timestamptz, \
                     $5::timestamptz, $6, $7, $8)",
                );
                let mut changes =
                    vec![
                        Change::new("import", ENTITY, format!("shipment/{shipment_id}")).set(
                            "logger_file",
                            format!(
                                "{} readings, {} excursions, {} gaps, sha256 {digest}",
                                file.readings.len(),
                                file.excursions.len(),
                                file.gaps.len()
                            ),
                        ),
                    ];
                for e in &file.excursions {
                    sqlx::query(&excursion)
                        .bind(shipment_id)
                        .bind(file_id)
                        .bind("excursion")
                        .bind(instant(e.start))
                        .bind(e.end.map(instant))
                        .bind(e.duration.whole_minutes())
                        .bind(Some(format!("{}", e.peak_c)))
                        .bind(e.line as i64)
                        .execute(tx.conn())
                        .await?;
                    changes.push(
                        Change::new("hold", ENTITY, format!("shipment/{shipment_id}")).set(
                            "excursion",
                            format!(
                                "from {} for {} min, peak {} °C",
                                instant(e.start),
                                e.duration.whole_minutes(),
                                e.peak_c
                            ),
                        ),
                    );
                }
                for g in &file.gaps {
                    sqlx::query(&excursion)
                        .bind(shipment_id)
                        .bind(file_id)
                        .bind("gap")
                        .bind(instant(g.from))
                        .bind(Some(instant(g.to)))
                        .bind((g.to - g.from).whole_minutes())
                        .bind(None::<String>)
                        .bind(g.line as i64)
                        .execute(tx.conn())
                        .await?;
                    changes.push(
                        Change::new("hold", ENTITY, format!("shipment/{shipment_id}")).set(
                            "gap",
                            format!("from {} to {}", instant(g.from), instant(g.to)),
                        ),
                    );
                }
                tx.audit(&study, &by, &changes).await?;
                Ok(LoggerImport {
                    file_id,
                    already: false,
                    readings: file.readings.len() as i64,
                    excursions: excursions_of(tx.conn(), shipment_id).await?,
                })
            })
        })
        .await
    }

    /// The qualified person's documented decision on an excursion or gap (the password
    /// checked by the caller): `use` lifts its hold, `reject` rejects the shipment's units
    /// not yet given.
    pub async fn decide_excursion(
        &self,
        study: &str,
        excursion_id: i64,
        decision: &str,
        reason: &str,
        by: &Actor,
    ) -> Result<ShipmentRecord> {
        let (study, decision, reason, by) = (
            study.to_string(),
            decision.to_string(),
            reason.to_string(),
            by.clone(),
        );
        self.write("decide_excursion", move |mut tx| {
            Box::pin(async move {
                let row: Option<(i64, Option<String>)> = sqlx::query_as(
                    "SELECT e.shipment_id, e.decision FROM product_excursions e \
                     JOIN product_shipments s ON s.id = e.shipment_id \
                     WHERE e.id = $1 AND s.study_id = $2",
                )
                .bind(excursion_id)
                .bind(&study)
                .fetch_optional(tx.conn())
                .await?;
                let Some((shipment_id, earlier)) = row else {
                    return Err(not_found("excursion", excursion_id));
                };
                let decided = decide_condition(earlier.as_deref(), &decision, &reason)?;
                sqlx::query(&tx.sql(
                    "UPDATE product_excursions SET decision = $1, reason = $2, decided_by = $3, \
                     decided_at = $4::timestamptz WHERE id = $5",
                ))
                .bind(decided.as_str())
                .bind(reason.trim())
                .bind(&by.username)
                .bind(now())
                .bind(excursion_id)
                .execute(tx.conn())
                .await?;
                let record = format!("shipment/{shipment_id}");
                let mut changes = vec![Change::new("sign", ENTITY, &record)
                    .set(&format!("excursion.{excursion_id}"), decided.as_str())
                    .because(reason.trim())];
                if decided == ConditionDecision::Reject {
                    let n = sqlx::query(
                        "UPDATE product_units SET status = $1 WHERE shipment_id = $2 \
                         AND status = $3",
                    )
                    .bind(UnitStatus::Rejected.as_str())
                    .bind(shipment_id)
                    .bind(UnitStatus::Available.as_str())
                    .execute(tx.conn())
                    .await?
                    .rows_affected();
                    changes.push(
                        Change::new("update", ENTITY, &record)
                            .set("units", format!("{n} rejected")),
                    );
                }
                tx.audit(&study, &by, &changes).await?;
                let s = shipment(tx.conn(), &study, shipment_id).await?;
                let today = time::OffsetDateTime::now_utc().date();
                super::supply::look_at_site(&mut tx, &study, &s.site_id, today).await?;
                Ok(s)
            })
        })
        .await
    }

    /// Links a unit (scanned: DIN and check character) to a participant's kit in the
    /// caller's scope: the unit received at the participant's site, available, of the
    /// treatment the kit was allocated; audited on the unblinded chain.
    pub async fn link_unit(
        &self,
        study: &Study,
        scope: &Scope,
        kit_number: &str,
        label: &str,
        by: &Actor,
    ) -> Result<Unit> {
        let placebo_arms: Vec<String> = study
            .arms
            .iter()
            .filter(|a| a.kind == ArmKind::Placebo)
            .map(|a| a.id.clone())
            .collect();
        let (scope, kit_number, label, by) = (
            scope.clone(),
            kit_number.trim().to_string(),
            label.to_string(),
            by.clone(),
        );
        self.write("link_unit", move |mut tx| {
            Box::pin(async move {
                let study = scope.study().to_string();
                let kit: Option<(String, Option<i64>)> = sqlx::query_as(
                    "SELECT arm_id, participant_id FROM kits \
                     WHERE study_id = $1 AND kit_number = $2",
                )
                .bind(&study)
                .bind(&kit_number)
                .fetch_optional(tx.conn())
                .await?;
                let (arm, participant) = match kit {
                    Some((arm, Some(p))) => (arm, p),
                    _ => return Err(not_found("kit", &kit_number)),
                };
                // A kit of a participant out of the caller's sites is not found.
                let person = participant_in(tx.conn(), &scope, participant)
                    .await
                    .map_err(|_| not_found("kit", &kit_number))?;
                let u = unit_by_label(tx.conn(), &study, &label).await?;
                let held: Option<(String, String)> = sqlx::query_as(
                    "SELECT din, check_character FROM product_units \
                     WHERE study_id = $1 AND kit_number = $2",
                )
                .bind(&study)
                .bind(&kit_number)
                .fetch_optional(tx.conn())
                .await?;
                let held = held.map(|(d, c)| format!("{d}{c}"));
                let received = match u.shipment_id {
                    Some(s) => {
                        let sh = shipment(tx.conn(), &study, s).await?;
                        (sh.state == "received").then_some(sh.site_id)
                    }
                    None => None,
                };
                let label = u.label();
                check_link(&LinkFacts {
                    label: &label,
                    unit_placebo: u.placebo,
                    unit_kit: u.kit_number.as_deref(),
                    status: UnitStatus::parse(&u.status).unwrap_or(UnitStatus::Rejected),
                    kit: &kit_number,
                    kit_placebo: placebo_arms.contains(&arm),
                    kit_unit: held.as_deref(),
                    unit_site: received.as_deref(),
                    kit_site: &person.site_id,
                })?;
                sqlx::query("UPDATE product_units SET kit_number = $1 WHERE id = $2")
                    .bind(&kit_number)
                    .bind(u.id)
                    .execute(tx.conn())
                    .await?;
                let blind = [
                    Change::new("link", ENTITY, format!("unit/{}", u.id)).set("kit", &kit_number)
                ];
                audit_both(&mut tx, &study, &by, &[], &blind).await?;
                unit(tx.conn(), &study, u.id).await
            })
        })
        .await
    }
}
