//! Site supply: each site's stock (units received there that can still be given, judged by
//! `trial::product::supply::usable`), the lots still at the manufacturer with the last day
//! each may ship, and the resupply notice: when a site's stock falls to the product's minimum
//! (`min_units_on_site`) the sponsor is told in the application and the sponsor's and the
//! site's pharmacists' addresses by e-mail, once per crossing (`product_site_supply` keeps
//! which side of the minimum the site was on). Stock is looked at in the writes that change
//! it: an administration, a receipt, an excursion decided, a recall; units that expire lower
//! it with no write, so a sweep (`Store::sweep_supply`) looks at every site as of a date.

use serde::Serialize;
use sqlx::AnyConnection;
use time::Date;
use trial::product::custody::UnitStatus;
use trial::product::release::ProductDefinition;
use trial::product::supply::{
    crossing, expiry_sweep, last_ship_date, needs_resupply, usable, Crossing, SiteUnits, StockUnit,
    SweepCrossing,
};
use trial::{Change, Role, Study};

use super::{split_pending, state_of, ENTITY};
use crate::db::{Store, Tx};
use crate::dialect::{dialect_of, render};
use crate::model::{date, now, parse_date, Actor, Scope};
use crate::Result;

/// The kind of notification of a site's low stock.
pub const RESUPPLY: &str = "product-resupply";

/// A lot's units in a place.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StockLot {
    /// The lot.
    pub lot_id: i64,
    /// Its number.
    pub lot_number: String,
    /// Its expiry.
    #[schema(format = Date)]
    pub expires_on: String,
    /// The last day a unit of it may ship (expiry − shipping lead time − minimum time on site).
    #[schema(format = Date)]
    pub last_ship_date: String,
    /// Its units there that can be given (at a site) or shipped (at the manufacturer).
    pub units: u32,
}

/// A site's stock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SiteStock {
    /// The site.
    pub site_id: String,
    /// Units received there that can be given today.
    pub usable: u32,
    /// The product's minimum.
    pub minimum: u32,
    /// At or below the minimum: a resupply is due.
    pub needs_resupply: bool,
    /// The usable units by lot.
    pub lots: Vec<StockLot>,
}

/// The study's supply: each site's stock and what the manufacturer can still ship.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Supply {
    /// Today, the date the stock is judged on.
    #[schema(format = Date)]
    pub on: String,
    /// The sites in the caller's scope.
    pub sites: Vec<SiteStock>,
    /// Lots with units not yet shipped that may still ship today (sponsor-wide callers only).
    pub shippable: Vec<StockLot>,
}

#[derive(sqlx::FromRow)]
struct StockRow {
    lot_id: i64,
    lot_number: String,
    expires_on: String,
    state: String,
    pending: Option<String>,
    reason: Option<String>,
    status: String,
    shipment_state: Option<String>,
    held: i64,
}

/// The units of the study at a site (`$2`), or not shipped (`site` none), with what judges
/// them.
async fn stock_rows(
    conn: &mut AnyConnection,
    study: &str,
    site: Option<&str>,
) -> Result<Vec<StockRow>> {
    let place = if site.is_some() {
        "s.site_id = $2"
    } else {
        "u.shipment_id IS NULL AND $2 = ''"
    };
    let sql = render(
        dialect_of(conn),
        &format!(
            "SELECT u.lot_id, l.lot_number, l.expires_on::text, l.state, l.pending, l.reason, \
             u.status, s.state AS shipment_state, \
             (SELECT COUNT(*) FROM product_excursions e WHERE e.shipment_id = u.shipment_id \
              AND e.decision IS NULL) AS held \
             FROM product_units u JOIN product_lots l ON l.id = u.lot_id \
             LEFT JOIN product_shipments s ON s.id = u.shipment_id \
             WHERE u.study_id = $1 AND u.status = $3 AND {place} ORDER BY l.expires_on, u.lot_id"
        ),
    );
    Ok(sqlx::query_as(&sql)
        .bind(study)
        .bind(site.unwrap_or(""))
        .bind(UnitStatus::Available.as_str())
        .fetch_all(&mut *conn)
        .await?)
}

/// Groups the rows that pass `keep` by lot.
fn by_lot(
    rows: &[StockRow],
    product: &trial::product::release::ProductDefinition,
    keep: impl Fn(&StockRow, Date) -> bool,
) -> Vec<StockLot> {
    let mut lots: Vec<StockLot> = Vec::new();
    for r in rows {
        let Some(expires) = parse_date(&r.expires_on) else {
            continue;
        };
        if !keep(r, expires) {
            continue;
        }
        match lots.iter_mut().find(|l| l.lot_id == r.lot_id) {
            Some(l) => l.units += 1,
            None => lots.push(StockLot {
                lot_id: r.lot_id,
                lot_number: r.lot_number.clone(),
                expires_on: r.expires_on.clone(),
                last_ship_date: date(last_ship_date(
                    expires,
                    product.shipping_lead_days,
                    product.min_days_on_site,
                )),
                units: 1,
            }),
        }
    }
    lots
}

fn stock_unit(r: &StockRow, expires_on: Date) -> StockUnit {
    StockUnit {
        lot: state_of(
            &r.state,
            split_pending(r.pending.as_deref()),
            r.reason.clone(),
        ),
        expires_on,
        condition_hold: r.held > 0,
        available: r.status == UnitStatus::Available.as_str(),
        received: r.shipment_state.as_deref() == Some("received"),
    }
}

/// A site's usable stock by lot, judged on `today`.
async fn site_lots(
    conn: &mut AnyConnection,
    study: &str,
    site: &str,
    product: &trial::product::release::ProductDefinition,
    today: Date,
) -> Result<Vec<StockLot>> {
    let rows = stock_rows(conn, study, Some(site)).await?;
    Ok(by_lot(&rows, product, |r, expires| {
        usable(&stock_unit(r, expires), today)
    }))
}

/// Looks at a site's stock after a write that changed it: when it crosses the product's
/// minimum downwards, the sponsor is told (in the application, and by e-mail with the site's
/// pharmacists), once until it rises above again. Nothing happens without a product
/// definition.
pub(super) async fn look_at_site(
    tx: &mut Tx<'_>,
    study: &str,
    site: &str,
    today: Date,
) -> Result<()> {
    let product = match super::definition(tx.conn(), study).await {
        Ok(p) => p,
        Err(crate::StoreError::Conflict { .. }) => return Ok(()),
        Err(e) => return Err(e),
    };
    let lots = site_lots(tx.conn(), study, site, &product, today).await?;
    let stock: u32 = lots.iter().map(|l| l.units).sum();
    let was_low = was_low(tx.conn(), study, site).await?;
    let Some(change) = crossing(was_low, stock, product.min_units_on_site) else {
        return Ok(());
    };
    record_crossing(tx, study, site, &product, stock, change, None).await
}

/// Whether the site was low when last looked at.
async fn was_low(conn: &mut AnyConnection, study: &str, site: &str) -> Result<bool> {
    let was: Option<(i64,)> =
        sqlx::query_as("SELECT low FROM product_site_supply WHERE study_id = $1 AND site_id = $2")
            .bind(study)
            .bind(site)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(was.is_some_and(|(low,)| low != 0))
}

/// Records a site's crossing of the minimum (`expired`: the units the sweep found expired)
/// and, when it fell, tells the sponsor and mails the sponsor and the site's pharmacists.
async fn record_crossing(
    tx: &mut Tx<'_>,
    study: &str,
    site: &str,
    product: &ProductDefinition,
    stock: u32,
    change: Crossing,
    expired: Option<u32>,
) -> Result<()> {
    let low = change == Crossing::Low;
    let at = now();
    let upsert = tx.sql(
        "INSERT INTO product_site_supply (study_id, site_id, low, stock, changed_at) \
         VALUES ($1, $2, $3, $4, $5::timestamptz) ON CONFLICT (study_id, site_id) \
         DO UPDATE SET low = $6, stock = $7, changed_at = $8::timestamptz",
    );
    sqlx::query(&upsert)
        .bind(study)
        .bind(site)
        .bind(i64::from(low))
        .bind(i64::from(stock))
        .bind(&at)
        .bind(i64::from(low))
        .bind(i64::from(stock))
        .bind(&at)
        .execute(tx.conn())
        .await?;
    let record = format!("supply/{site}");
    let expiry = match expired {
        Some(n) => format!(" ({n} expired)"),
        None => String::new(),
    };
    let mut changes = vec![Change::new("update", ENTITY, &record).set(
        "stock",
        format!(
            "{stock} usable, minimum {}{expiry}",
            product.min_units_on_site
        ),
    )];
    if low {
        let message = format!(
            "Site {site} has {stock} usable unit(s) of {}, at or below its minimum of {}{expiry}: \
             ship a resupply",
            product.id, product.min_units_on_site
        );
        sqlx::query(&tx.sql(
            "INSERT INTO notifications (study_id, role, kind, participant_id, message, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6::timestamptz)",
        ))
        .bind(study)
        .bind(Role::SponsorAdmin.as_str())
        .bind(RESUPPLY)
        .bind(None::<i64>)
        .bind(&message)
        .bind(&at)
        .execute(tx.conn())
        .await?;
        let subject = format!("{study}: resupply site {site}");
        let mailed = super::release::mail_roles(
            tx,
            study,
            &[
                (Role::SponsorAdmin, None),
                (Role::UnblindedPharmacist, Some(site)),
            ],
            &subject,
            &message,
        )
        .await?;
        changes.push(
            Change::new("notify", ENTITY, &record)
                .set("resupply", format!("{message} ({mailed} e-mail(s))")),
        );
    }
    tx.audit(study, &Actor::system(), &changes).await?;
    Ok(())
}

impl Store {
    /// The study's supply on `today`: each site in scope with its usable stock by lot against
    /// the product's minimum, and, for a study-wide caller, the lots whose unshipped units may
    /// still ship.
    pub async fn supply(&self, study: &Study, scope: &Scope, today: Date) -> Result<Supply> {
        let mut conn = self.pool.acquire().await?;
        let product = super::definition(&mut conn, &study.id).await?;
        let mut sites = Vec::new();
        for site in &study.sites {
            if !scope.includes_site(&site.id) {
                continue;
            }
            let lots = site_lots(&mut conn, &study.id, &site.id, &product, today).await?;
            let stock: u32 = lots.iter().map(|l| l.units).sum();
            sites.push(SiteStock {
                site_id: site.id.clone(),
                usable: stock,
                minimum: product.min_units_on_site,
                needs_resupply: needs_resupply(stock, product.min_units_on_site),
                lots,
            });
        }
        let shippable = if matches!(scope, Scope::Study(_)) {
            let rows = stock_rows(&mut conn, &study.id, None).await?;
            by_lot(&rows, &product, |r, expires| {
                let unit = stock_unit(r, expires);
                unit.lot.usable()
                    && today
                        <= last_ship_date(
                            expires,
                            product.shipping_lead_days,
                            product.min_days_on_site,
                        )
            })
        } else {
            Vec::new()
        };
        Ok(Supply {
            on: date(today),
            sites,
            shippable,
        })
    }

    /// The expiry sweep of the study's sites on `today` (`trial::product::supply::expiry_sweep`):
    /// each site whose usable stock crossed the product's minimum since it was last looked at
    /// — units expire with no write to notice them — is recorded, and a fall asks for a resupply
    /// once (the sponsor told, the sponsor and the site's pharmacists mailed). Idempotent:
    /// sweeping again finds nothing new. Nothing is done for a study without a product
    /// definition or with its database locked. Returns the crossings recorded.
    pub async fn sweep_supply(&self, study: &Study, today: Date) -> Result<Vec<SweepCrossing>> {
        let (study, sites): (String, Vec<String>) = (
            study.id.clone(),
            study.sites.iter().map(|s| s.id.clone()).collect(),
        );
        self.write("sweep_supply", move |mut tx| {
            Box::pin(async move {
                let product = match super::definition(tx.conn(), &study).await {
                    Ok(p) => p,
                    Err(crate::StoreError::Conflict { .. }) => return Ok(Vec::new()),
                    Err(e) => return Err(e),
                };
                let locked: Option<(String,)> =
                    sqlx::query_as("SELECT study_id FROM study_locks WHERE study_id = $1")
                        .bind(&study)
                        .fetch_optional(tx.conn())
                        .await?;
                if locked.is_some() {
                    return Ok(Vec::new());
                }
                let mut looked = Vec::with_capacity(sites.len());
                for site in &sites {
                    let rows = stock_rows(tx.conn(), &study, Some(site)).await?;
                    let units = rows
                        .iter()
                        .filter_map(|r| parse_date(&r.expires_on).map(|e| stock_unit(r, e)))
                        .collect();
                    looked.push(SiteUnits {
                        site_id: site.clone(),
                        was_low: was_low(tx.conn(), &study, site).await?,
                        units,
                    });
                }
                let found = expiry_sweep(&looked, today, product.min_units_on_site);
                for c in &found {
                    record_crossing(
                        &mut tx,
                        &study,
                        &c.site_id,
                        &product,
                        c.stock,
                        c.crossing,
                        Some(c.expired),
                    )
                    .await?;
                }
                Ok(found)
            })
        })
        .await
    }
}
