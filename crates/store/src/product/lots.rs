//! Master cell banks and their lots: registering them, and reading a lot with its release
//! results and decisions.

use serde::Serialize;
use sqlx::{AnyConnection, Row};
use time::Date;
use trial::product::release::LotState;
use trial::Change;

use super::{check_code, check_text, release, LotDecisionRecord, ReleaseResultRecord, ENTITY};
use crate::db::Store;
use crate::dialect::{dialect_of, render};
use crate::model::{date, now, Actor};
use crate::{conflict, not_found, Result, StoreError};

/// A master cell bank.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Bank {
    /// Its id.
    pub id: i64,
    /// The bank's code (`MCB-01`).
    pub code: String,
    /// The donor's code (never a name).
    pub donor: String,
    /// The donor's HLA typing as reported.
    pub hla_typing: String,
    /// Who registered it.
    pub created_by: String,
    /// When.
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// A bank to register.
#[derive(Clone, Debug)]
pub struct NewBank {
    /// `[A-Z0-9-]`, 1–32.
    pub code: String,
    /// The donor's code.
    pub donor: String,
    /// The HLA typing.
    pub hla_typing: String,
}

/// A lot to register (quarantined).
#[derive(Clone, Debug)]
pub struct NewLot {
    /// Its bank.
    pub bank_id: i64,
    /// `[A-Z0-9-]`, 1–32.
    pub lot_number: String,
    /// Where it was made.
    pub manufacturing_site: String,
    /// When.
    pub manufactured_on: Date,
    /// Cells in the lot.
    pub cell_count: i64,
    /// Its expiry.
    pub expires_on: Date,
}

/// A lot, with its results and decisions.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Lot {
    /// Its id.
    pub id: i64,
    /// Its bank.
    pub bank_id: i64,
    /// The bank's code.
    pub bank_code: String,
    /// The lot number.
    pub lot_number: String,
    /// Where it was made.
    pub manufacturing_site: String,
    /// When.
    #[schema(format = Date)]
    pub manufactured_on: String,
    /// Cells in the lot.
    pub cell_count: i64,
    /// Its expiry.
    #[schema(format = Date)]
    pub expires_on: String,
    /// `quarantined`, `released`, `conditionally_released`, `rejected` or `recalled`.
    pub state: String,
    /// The tests awaited, when conditionally released.
    pub pending: Vec<String>,
    /// Why it was rejected or recalled.
    pub reason: Option<String>,
    /// A failure after units were given: who is to be told is its trace's recipients.
    pub late_failure: Option<String>,
    /// Its units.
    pub units: i64,
    /// The release results entered.
    pub results: Vec<ReleaseResultRecord>,
    /// The qualified person's decisions, in order.
    pub decisions: Vec<LotDecisionRecord>,
    /// Who registered it.
    pub created_by: String,
    /// When.
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl Lot {
    /// The lot's state as the rules know it.
    pub fn lot_state(&self) -> LotState {
        state_of(&self.state, self.pending.clone(), self.reason.clone())
    }
}

pub(crate) fn state_of(name: &str, pending: Vec<String>, reason: Option<String>) -> LotState {
    match name {
        "released" => LotState::Released,
        "conditionally_released" => LotState::ConditionallyReleased { pending },
        "rejected" => LotState::Rejected {
            reason: reason.unwrap_or_default(),
        },
        "recalled" => LotState::Recalled {
            reason: reason.unwrap_or_default(),
        },
        _ => LotState::Quarantined,
    }
}

const LOT_COLUMNS: &str = "l.id, l.bank_id, b.code AS bank_code, l.lot_number, \
    l.manufacturing_site, l.manufactured_on::text, l.cell_count, l.expires_on::text, l.state, \
    l.pending, l.reason, l.late_failure, l.created_by, l.created_at::instant, \
    (SELECT COUNT(*) FROM product_units u WHERE u.lot_id = l.id) AS units";

#[derive(sqlx::FromRow)]
struct LotRow {
    id: i64,
    bank_id: i64,
    bank_code: String,
    lot_number: String,
    manufacturing_site: String,
    manufactured_on: String,
    cell_count: i64,
    expires_on: String,
    state: String,
    pending: Option<String>,
    reason: Option<String>,
    late_failure: Option<String>,
    created_by: String,
    created_at: String,
    units: i64,
}

pub(crate) fn split_pending(pending: Option<&str>) -> Vec<String> {
    pending
        .unwrap_or("")
        .split(',')
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect()
}

/// The study's lots matching `condition` (on `$2`), with their results and decisions.
pub(crate) async fn lots_where(
    conn: &mut AnyConnection,
    study: &str,
    condition: &str,
    value: i64,
) -> Result<Vec<Lot>> {
    let sql = render(
        dialect_of(conn),
        &format!(
            "SELECT {LOT_COLUMNS} FROM product_lots l JOIN product_banks b ON b.id = l.bank_id \
             WHERE l.study_id = $1 AND {condition} ORDER BY l.id"
        ),
    );
    let rows: Vec<LotRow> = sqlx::query_as(&sql)
        .bind(study)
        .bind(value)
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let results = release::results_of(conn, r.id).await?;
        let decisions = release::decisions_of(conn, r.id).await?;
        out.push(Lot {
            id: r.id,
            bank_id: r.bank_id,
            bank_code: r.bank_code,
            lot_number: r.lot_number,
            manufacturing_site: r.manufacturing_site,
            manufactured_on: r.manufactured_on,
            cell_count: r.cell_count,
            expires_on: r.expires_on,
            state: r.state,
            pending: split_pending(r.pending.as_deref()),
            reason: r.reason,
            late_failure: r.late_failure,
            units: r.units,
            results,
            decisions,
            created_by: r.created_by,
            created_at: r.created_at,
        });
    }
    Ok(out)
}

/// One lot of the study, or not found.
pub(crate) async fn lot(conn: &mut AnyConnection, study: &str, id: i64) -> Result<Lot> {
    lots_where(conn, study, "l.id = $2", id)
        .await?
        .pop()
        .ok_or_else(|| not_found("lot", id))
}

impl Store {
    /// Registers a master cell bank.
    pub async fn create_bank(&self, study: &str, new: &NewBank, by: &Actor) -> Result<Bank> {
        let code = check_code("code", &new.code)?;
        let donor = check_code("donor", &new.donor)?;
        let hla = check_text("hla_typing", &new.hla_typing)?;
        let (study, by) = (study.to_string(), by.clone());
        self.write("create_bank", move |mut tx| {
            Box::pin(async move {
                let at = now();
                let id: i64 = sqlx::query(&tx.sql(
                    "INSERT INTO product_banks (study_id, code, donor, hla_typing, created_by, \
                     created_at) VALUES ($1, $2, $3, $4, $5, $6::timestamptz) RETURNING id",
                ))
                .bind(&study)
                .bind(&code)
                .bind(&donor)
                .bind(&hla)
                .bind(&by.username)
                .bind(&at)
                .fetch_one(tx.conn())
                .await
                .map_err(conflict("code", "a bank with this code exists already"))?
                .try_get("id")?;
                let record = format!("bank/{id}");
                let changes = [
                    Change::new("create", ENTITY, &record).set("code", &code),
                    Change::new("create", ENTITY, &record).set("donor", &donor),
                    Change::new("create", ENTITY, &record).set("hla_typing", &hla),
                ];
                tx.audit(&study, &by, &changes).await?;
                Ok(Bank {
                    id,
                    code,
                    donor,
                    hla_typing: hla,
                    created_by: by.username.clone(),
                    created_at: at,
                })
            })
        })
        .await
    }

    /// The study's banks.
    pub async fn banks(&self, study: &str) -> Result<Vec<Bank>> {
        let sql = self.sql(
            "SELECT id, code, donor, hla_typing, created_by, created_at::instant \
             FROM product_banks WHERE study_id = $1 ORDER BY id",
        );
        let rows = sqlx::query(&sql).bind(study).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(Bank {
                    id: r.try_get("id")?,
                    code: r.try_get("code")?,
                    donor: r.try_get("donor")?,
                    hla_typing: r.try_get("hla_typing")?,
                    created_by: r.try_get("created_by")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Registers a lot of a bank, quarantined.
    pub async fn create_lot(&self, study: &str, new: &NewLot, by: &Actor) -> Result<Lot> {
        let number = check_code("lot_number", &new.lot_number)?;
        let site = check_text("manufacturing_site", &new.manufacturing_site)?;
        if new.expires_on <= new.manufactured_on {
            return Err(StoreError::Invalid {
                field: "expires_on".into(),
                message: "must be after the date of manufacture".into(),
            });
        }
        if new.cell_count < 1 {
            return Err(StoreError::Invalid {
                field: "cell_count".into(),
                message: "must be a count of cells of at least 1".into(),
            });
        }
        let (study, new, by) = (study.to_string(), new.clone(), by.clone());
        self.write("create_lot", move |mut tx| {
            Box::pin(async move {
                let bank: Option<(i64,)> =
                    sqlx::query_as("SELECT id FROM product_banks WHERE id = $1 AND study_id = $2")
                        .bind(new.bank_id)
                        .bind(&study)
                        .fetch_optional(tx.conn())
                        .await?;
                if bank.is_none() {
                    return Err(not_found("bank", new.bank_id));
                }
                let id: i64 = sqlx::query(&tx.sql(
                    "INSERT INTO product_lots (study_id, bank_id, lot_number, manufacturing_site, \
                     manufactured_on, cell_count, expires_on, state, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5::date, $6, $7::date, $8, $9, $10::timestamptz) \
                     RETURNING id",
                ))
                .bind(&study)
                .bind(new.bank_id)
                .bind(&number)
                .bind(&site)
                .bind(date(new.manufactured_on))
                .bind(new.cell_count)
                .bind(date(new.expires_on))
                .bind(LotState::Quarantined.name())
                .bind(&by.username)
                .bind(now())
                .fetch_one(tx.conn())
                .await
                .map_err(conflict(
                    "lot_number",
                    "a lot with this number exists already",
                ))?
                .try_get("id")?;
                let record = format!("lot/{id}");
                let changes = [
                    Change::new("create", ENTITY, &record).set("bank", new.bank_id),
                    Change::new("create", ENTITY, &record).set("lot_number", &number),
                    Change::new("create", ENTITY, &record).set("manufacturing_site", &site),
                    Change::new("create", ENTITY, &record)
                        .set("manufactured_on", date(new.manufactured_on)),
                    Change::new("create", ENTITY, &record).set("cell_count", new.cell_count),
                    Change::new("create", ENTITY, &record).set("expires_on", date(new.expires_on)),
                    Change::new("create", ENTITY, &record)
                        .set("state", LotState::Quarantined.name()),
                ];
                tx.audit(&study, &by, &changes).await?;
                lot(tx.conn(), &study, id).await
            })
        })
        .await
    }

    /// The study's lots, with their results and decisions.
    pub async fn lots(&self, study: &str) -> Result<Vec<Lot>> {
        let mut conn = self.pool.acquire().await?;
        lots_where(&mut conn, study, "l.id > $2", 0).await
    }

    /// One lot of the study.
    pub async fn lot(&self, study: &str, id: i64) -> Result<Lot> {
        let mut conn = self.pool.acquire().await?;
        lot(&mut conn, study, id).await
    }
}
