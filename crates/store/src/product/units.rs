//! The units of a lot (active and placebo, labelled alike) and the storage locations.

use serde::Serialize;
use sqlx::{AnyConnection, Row};
use trial::product::custody::UnitStatus;
use trial::product::isbt128::{passes, Din};
use trial::Change;

use super::{check_text, lot, ENTITY};
use crate::db::Store;
use crate::dialect::{dialect_of, render, Flag};
use crate::model::{now, Actor};
use crate::{conflict, not_found, unblinded_chain, Result, StoreError};

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

pub(super) const UNIT_COLUMNS: &str = "u.id, u.lot_id, u.din, u.check_character, u.product_code, \
    u.placebo, u.location_id, u.shipment_id, s.site_id, u.kit_number, u.status, \
    a.participant_id";

#[derive(sqlx::FromRow)]
pub(super) struct UnitRow {
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
