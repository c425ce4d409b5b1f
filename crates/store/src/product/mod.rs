//! The cell product (issue #17): the product definition of a study, master cell banks, lots
//! and their units (active and placebo, labelled alike), storage locations; release results
//! and the qualified person's decisions (`release.rs`); shipments, hand-overs, logger files and
//! the decisions on a shipment's condition, and the kit ↔ unit link (`custody.rs`); the
//! bedside check and the administration record (`bedside.rs`), which is the participant's dose
//! (`dosing.rs`: the doses a dosing visit shows, the study's exposure); the trace from a lot to
//! its recipients and from a participant back to the donor (`trace.rs`); the events to follow
//! a late release failure opens (`events.rs`); each site's stock and the resupply notice
//! (`supply.rs`).
//!
//! The rules are `trial::product`'s. What reveals the blind — a unit's placebo flag, the kit a
//! unit is linked to, the unit a participant was given — is audited on the study's unblinded
//! chain; the records carry it, and the API shows it to unblinded callers only.

mod bedside;
mod custody;
mod dosing;
mod events;
mod release;
mod supply;
mod trace;

pub use bedside::{AdministrationRecord, NewAdministration};
pub use custody::{
    ExcursionRecord, HandoverRecord, LoggerImport, NewHandover, NewShipment, ShipmentRecord,
};
pub use dosing::{DoseGiven, Exposure};
pub use events::ProductEvent;
pub use release::{LotDecisionRecord, ReleaseResultRecord, LATE_FAILURE};
pub use supply::{SiteStock, StockLot, Supply, RESUPPLY};
pub use trace::{LotTrace, ParticipantTrace, Recipient, TracedAdministration};

use serde::Serialize;
use sqlx::{AnyConnection, Row};
use time::Date;
use trial::product::custody::UnitStatus;
use trial::product::isbt128::{passes, Din};
use trial::product::release::{LotState, ProductDefinition};
use trial::Change;

use crate::db::{Store, Tx};
use crate::dialect::{dialect_of, render, Flag};
use crate::model::{date, now, Actor};
use crate::{conflict, not_found, unblinded_chain, Result, StoreError};

/// The audit entity of the product's records.
pub(crate) const ENTITY: &str = "product";

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
    /// `quarantined`, `released`, `conditionally_released` or `rejected`.
    pub state: String,
    /// The tests awaited, when conditionally released.
    pub pending: Vec<String>,
    /// Why it was rejected.
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
        _ => LotState::Quarantined,
    }
}

/// A unit to register in a lot.
#[derive(Clone, Debug)]
pub struct NewUnit {
    /// The DIN's 13 characters (spaces ignored).
    pub din: String,
    /// The check character printed beside it.
    pub check_character: String,
    /// The ISBT 128 product code.
    pub product_code: String,
    /// Whether it is a placebo unit.
    pub placebo: bool,
    /// Where it is kept.
    pub location_id: Option<i64>,
}

/// A unit, with what reveals the blind (`placebo`, `kit_number`, `participant_id`): the API
/// shows those to unblinded callers only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unit {
    /// Its id.
    pub id: i64,
    /// Its lot.
    pub lot_id: i64,
    /// The DIN.
    pub din: String,
    /// The check character.
    pub check_character: String,
    /// The product code.
    pub product_code: String,
    /// Whether it is a placebo unit.
    pub placebo: bool,
    /// Where it is kept.
    pub location_id: Option<i64>,
    /// The shipment that carries or carried it.
    pub shipment_id: Option<i64>,
    /// The site it was shipped to.
    pub site_id: Option<String>,
    /// The kit it is linked to.
    pub kit_number: Option<String>,
    /// `available`, `used` or `rejected`.
    pub status: String,
    /// The participant who received it.
    pub participant_id: Option<i64>,
}

impl Unit {
    /// The label: DIN and check character.
    pub fn label(&self) -> String {
        format!("{}{}", self.din, self.check_character)
    }
}

/// A storage location.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Location {
    /// Its id.
    pub id: i64,
    /// Its code (`LN2-A/rack 3/box 2`).
    pub code: String,
    /// The site it is at; none at the manufacturer.
    pub site_id: Option<String>,
    /// What it is.
    pub description: String,
}

/// A location to register.
#[derive(Clone, Debug)]
pub struct NewLocation {
    /// Its code.
    pub code: String,
    /// The site; none at the manufacturer.
    pub site_id: Option<String>,
    /// What it is.
    pub description: String,
}

/// A code of `[A-Z0-9-]`, 1–32 characters, or a refusal naming the field.
pub(crate) fn check_code(field: &str, code: &str) -> Result<String> {
    let code = code.trim();
    if (1..=32).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
    {
        Ok(code.to_string())
    } else {
        Err(StoreError::Invalid {
            field: field.into(),
            message: "must be 1 to 32 of A-Z, 0-9 and -".into(),
        })
    }
}

/// A required text of at most 200 characters.
pub(crate) fn check_text(field: &str, text: &str) -> Result<String> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 200 {
        return Err(StoreError::Invalid {
            field: field.into(),
            message: "is required (1 to 200 characters)".into(),
        });
    }
    Ok(text.to_string())
}

/// The product definition loaded for a study, or a conflict naming the step that loads it.
pub(crate) async fn definition(conn: &mut AnyConnection, study: &str) -> Result<ProductDefinition> {
    let source: Option<(String,)> =
        sqlx::query_as("SELECT source FROM product_definitions WHERE study_id = $1")
            .bind(study)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((source,)) = source else {
        return Err(StoreError::Conflict {
            field: "product".into(),
            message: format!("study {study} has no product definition loaded yet"),
        });
    };
    ProductDefinition::from_toml(&source).map_err(|e| StoreError::Conflict {
        field: "product".into(),
        message: e.to_string(),
    })
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

const UNIT_COLUMNS: &str = "u.id, u.lot_id, u.din, u.check_character, u.product_code, \
    u.placebo, u.location_id, u.shipment_id, s.site_id, u.kit_number, u.status, \
    a.participant_id";

#[derive(sqlx::FromRow)]
struct UnitRow {
    id: i64,
    lot_id: i64,
    din: String,
    check_character: String,
    product_code: String,
    #[sqlx(try_from = "Flag")]
    placebo: bool,
    location_id: Option<i64>,
    shipment_id: Option<i64>,
    site_id: Option<String>,
    kit_number: Option<String>,
    status: String,
    participant_id: Option<i64>,
}

impl From<UnitRow> for Unit {
    fn from(r: UnitRow) -> Unit {
        Unit {
            id: r.id,
            lot_id: r.lot_id,
            din: r.din,
            check_character: r.check_character,
            product_code: r.product_code,
            placebo: r.placebo,
            location_id: r.location_id,
            shipment_id: r.shipment_id,
            site_id: r.site_id,
            kit_number: r.kit_number,
            status: r.status,
            participant_id: r.participant_id,
        }
    }
}

/// The study's units matching `condition` (on `$2`), by id.
pub(crate) async fn units_where<T>(
    conn: &mut AnyConnection,
    study: &str,
    condition: &str,
    value: T,
) -> Result<Vec<Unit>>
where
    T: for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send + 'static,
{
    let sql = render(
        dialect_of(conn),
        &format!(
            "SELECT {UNIT_COLUMNS} FROM product_units u \
             LEFT JOIN product_shipments s ON s.id = u.shipment_id \
             LEFT JOIN product_administrations a ON a.unit_id = u.id \
             WHERE u.study_id = $1 AND {condition} ORDER BY u.id"
        ),
    );
    let rows: Vec<UnitRow> = sqlx::query_as(&sql)
        .bind(study)
        .bind(value)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.into_iter().map(Unit::from).collect())
}

/// A unit of the study by its id, or not found.
pub(crate) async fn unit(conn: &mut AnyConnection, study: &str, id: i64) -> Result<Unit> {
    units_where(conn, study, "u.id = $2", id)
        .await?
        .pop()
        .ok_or_else(|| not_found("unit", id))
}

/// A unit of the study by its label (DIN and check character, spaces ignored), or not found.
pub(crate) async fn unit_by_label(
    conn: &mut AnyConnection,
    study: &str,
    label: &str,
) -> Result<Unit> {
    let compact: String = label.chars().filter(|c| *c != ' ').collect();
    let din: String = compact.chars().take(13).collect();
    let found = units_where(conn, study, "u.din = $2", din).await?.pop();
    match found {
        Some(u) if u.label() == compact => Ok(u),
        _ => Err(not_found("unit", compact)),
    }
}

/// Reads one unit to register: its DIN well formed, its check character the DIN's.
fn read_unit(index: usize, new: &NewUnit) -> Result<(String, String, String)> {
    let field = |name: &str| format!("units[{index}].{name}");
    let din = Din::parse(&new.din).map_err(|e| StoreError::Invalid {
        field: field("din"),
        message: e.to_string(),
    })?;
    let check = new.check_character.trim();
    if !passes(&format!("{}{check}", din.as_str())) {
        return Err(StoreError::Invalid {
            field: field("check_character"),
            message: format!(
                "{check:?} is not the check character of DIN {din} (a label misread or mistyped)"
            ),
        });
    }
    let code = new.product_code.trim();
    if !(code.len() == 8
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()))
    {
        return Err(StoreError::Invalid {
            field: field("product_code"),
            message: "must be an ISBT 128 product code: 8 of A-Z and 0-9 (E1234V00)".into(),
        });
    }
    Ok((
        din.as_str().to_string(),
        check.to_string(),
        code.to_string(),
    ))
}

impl Store {
    /// Loads (or replaces) a study's product definition from its TOML text, checked whole
    /// (every problem named by its key path) and audited with its SHA-256.
    pub async fn load_product_definition(
        &self,
        study: &str,
        source: &str,
        by: &Actor,
    ) -> Result<ProductDefinition> {
        let product = ProductDefinition::from_toml(source).map_err(|e| StoreError::Invalid {
            field: "definition".into(),
            message: e.to_string(),
        })?;
        let digest = trial::labs::import::digest(source);
        let (study, source, by, out) = (
            study.to_string(),
            source.to_string(),
            by.clone(),
            product.clone(),
        );
        self.write("load_product_definition", move |mut tx| {
            Box::pin(async move {
                sqlx::query(&tx.sql("DELETE FROM product_definitions WHERE study_id = $1"))
                    .bind(&study)
                    .execute(tx.conn())
                    .await?;
                sqlx::query(&tx.sql(
                    "INSERT INTO product_definitions (study_id, product_id, source, digest, \
                     loaded_by, loaded_at) VALUES ($1, $2, $3, $4, $5, $6::timestamptz)",
                ))
                .bind(&study)
                .bind(&product.id)
                .bind(&source)
                .bind(&digest)
                .bind(&by.username)
                .bind(now())
                .execute(tx.conn())
                .await
                .map_err(|e| match e {
                    sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                        not_found("study", &study)
                    }
                    e => e.into(),
                })?;
                let change = Change::new("load", ENTITY, format!("definition/{study}"))
                    .set("definition", format!("{} sha256 {digest}", product.id));
                tx.audit(&study, &by, &[change]).await?;
                Ok(out)
            })
        })
        .await
    }

    /// The study's product definition, when one is loaded.
    pub async fn product_definition(&self, study: &str) -> Result<Option<ProductDefinition>> {
        let mut conn = self.pool.acquire().await?;
        match definition(&mut conn, study).await {
            Ok(p) => Ok(Some(p)),
            Err(StoreError::Conflict { field, .. }) if field == "product" => Ok(None),
            Err(e) => Err(e),
        }
    }

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

    /// Registers units of a lot, all or none: each DIN well formed and unique, its check
    /// character right, its product code an ISBT 128 code. The placebo flags are audited on
    /// the unblinded chain.
    pub async fn add_units(
        &self,
        study: &str,
        lot_id: i64,
        units: &[NewUnit],
        by: &Actor,
    ) -> Result<Vec<Unit>> {
        if units.is_empty() || units.len() > 10_000 {
            return Err(StoreError::Invalid {
                field: "units".into(),
                message: "must list 1 to 10000 units".into(),
            });
        }
        let mut read: Vec<(String, String, String, bool, Option<i64>)> =
            Vec::with_capacity(units.len());
        for (i, u) in units.iter().enumerate() {
            let (din, check, code) = read_unit(i, u)?;
            if read.iter().any(|(d, ..)| *d == din) {
                return Err(StoreError::Invalid {
                    field: format!("units[{i}].din"),
                    message: format!("DIN {din} is listed twice"),
                });
            }
            read.push((din, check, code, u.placebo, u.location_id));
        }
        let (study, by) = (study.to_string(), by.clone());
        self.write("add_units", move |mut tx| {
            Box::pin(async move {
                lot(tx.conn(), &study, lot_id).await?;
                let sql = tx.sql(
                    "INSERT INTO product_units (study_id, lot_id, din, check_character, \
                     product_code, placebo, location_id, status, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::timestamptz) RETURNING id",
                );
                let at = now();
                let (mut open, mut blind) = (Vec::new(), Vec::new());
                for (i, (din, check, code, placebo, location)) in read.iter().enumerate() {
                    if let Some(loc) = location {
                        let found: Option<(i64,)> = sqlx::query_as(
                            "SELECT id FROM product_locations WHERE id = $1 AND study_id = $2",
                        )
                        .bind(*loc)
                        .bind(&study)
                        .fetch_optional(tx.conn())
                        .await?;
                        if found.is_none() {
                            return Err(StoreError::Invalid {
                                field: format!("units[{i}].location_id"),
                                message: format!("{loc} is not a location of the study"),
                            });
                        }
                    }
                    let id: i64 = sqlx::query(&sql)
                        .bind(&study)
                        .bind(lot_id)
                        .bind(din)
                        .bind(check)
                        .bind(code)
                        .bind(*placebo)
                        .bind(*location)
                        .bind(UnitStatus::Available.as_str())
                        .bind(&by.username)
                        .bind(&at)
                        .fetch_one(tx.conn())
                        .await
                        .map_err(conflict(
                            &format!("units[{i}].din"),
                            &format!("DIN {din} is registered already"),
                        ))?
                        .try_get("id")?;
                    let record = format!("unit/{id}");
                    open.push(
                        Change::new("create", ENTITY, &record)
                            .set("label", format!("{din}{check} {code} lot {lot_id}")),
                    );
                    blind.push(Change::new("create", ENTITY, &record).set("placebo", placebo));
                }
                tx.audit(&study, &by, &open).await?;
                tx.audit(&unblinded_chain(&study), &by, &blind).await?;
                units_where(tx.conn(), &study, "u.lot_id = $2", lot_id).await
            })
        })
        .await
    }

    /// The units of a lot.
    pub async fn units_of_lot(&self, study: &str, lot_id: i64) -> Result<Vec<Unit>> {
        let mut conn = self.pool.acquire().await?;
        lot(&mut conn, study, lot_id).await?;
        units_where(&mut conn, study, "u.lot_id = $2", lot_id).await
    }

    /// Registers a storage location.
    pub async fn create_location(
        &self,
        study: &trial::Study,
        new: &NewLocation,
        by: &Actor,
    ) -> Result<Location> {
        let code = check_text("code", &new.code)?;
        let description = check_text("description", &new.description)?;
        if let Some(site) = &new.site_id {
            if !study.sites.iter().any(|s| s.id == *site) {
                let ids: Vec<&str> = study.sites.iter().map(|s| s.id.as_str()).collect();
                return Err(trial::Refusal::not_allowed("site_id", site, &ids).into());
            }
        }
        let (study, site, by) = (study.id.clone(), new.site_id.clone(), by.clone());
        self.write("create_location", move |mut tx| {
            Box::pin(async move {
                let id: i64 = sqlx::query(&tx.sql(
                    "INSERT INTO product_locations (study_id, code, site_id, description, \
                     created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6::timestamptz) \
                     RETURNING id",
                ))
                .bind(&study)
                .bind(&code)
                .bind(&site)
                .bind(&description)
                .bind(&by.username)
                .bind(now())
                .fetch_one(tx.conn())
                .await
                .map_err(conflict("code", "a location with this code exists already"))?
                .try_get("id")?;
                let change = Change::new("create", ENTITY, format!("location/{id}")).set(
                    "location",
                    format!(
                        "{code} at {}",
                        site.as_deref().unwrap_or("the manufacturer")
                    ),
                );
                tx.audit(&study, &by, &[change]).await?;
                Ok(Location {
                    id,
                    code,
                    site_id: site,
                    description,
                })
            })
        })
        .await
    }

    /// The study's storage locations.
    pub async fn locations(&self, study: &str) -> Result<Vec<Location>> {
        let rows = sqlx::query(
            "SELECT id, code, site_id, description FROM product_locations \
             WHERE study_id = $1 ORDER BY id",
        )
        .bind(study)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Location {
                    id: r.try_get("id")?,
                    code: r.try_get("code")?,
                    site_id: r.try_get("site_id")?,
                    description: r.try_get("description")?,
                })
            })
            .collect()
    }
}

/// Appends the product's audit rows: `open` on the study's chain, `blind` on its unblinded
/// chain.
pub(crate) async fn audit_both(
    tx: &mut Tx<'_>,
    study: &str,
    by: &Actor,
    open: &[Change],
    blind: &[Change],
) -> Result<()> {
    if !open.is_empty() {
        tx.audit(study, by, open).await?;
    }
    if !blind.is_empty() {
        tx.audit(&unblinded_chain(study), by, blind).await?;
    }
    Ok(())
}
