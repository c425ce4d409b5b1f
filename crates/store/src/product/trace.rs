//! Traceability: from a lot to every unit, shipment, site and participant, and from a
//! participant back to the unit, lot, master cell bank and donor; each a handful of indexed
//! queries (units by lot, administrations by unit and by participant). The lot's units are
//! read once, each with its shipment and administration: the shipments, sites and recipients
//! are gathered from that one pass rather than read again.

use sqlx::Row;

use super::units::{UnitRow, UNIT_COLUMNS};
use super::{lot, AdministrationRecord, Bank, Lot, Unit};
use crate::db::Store;
use crate::dialect::{dialect_of, render};
use crate::model::{participant_in, Scope};
use crate::Result;

/// Someone who received a unit of a lot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    /// The participant.
    pub participant_id: i64,
    /// The subject id.
    pub subject_id: Option<String>,
    /// The site.
    pub site_id: String,
    /// When the unit was injected.
    pub injected_at: String,
    /// The unit given (shown to unblinded roles only).
    pub unit_id: i64,
}

/// A lot traced forward.
#[derive(Clone, Debug, PartialEq)]
pub struct LotTrace {
    /// The lot.
    pub lot: Lot,
    /// Its bank.
    pub bank: Bank,
    /// Its units.
    pub units: Vec<Unit>,
    /// The shipments that carried them: id, site, state.
    pub shipments: Vec<(i64, String, String)>,
    /// The sites they went to.
    pub sites: Vec<String>,
    /// The participants in the caller's scope who received one, by time of injection.
    pub recipients: Vec<Recipient>,
}

/// One administration traced back.
#[derive(Clone, Debug, PartialEq)]
pub struct TracedAdministration {
    /// The record.
    pub administration: AdministrationRecord,
    /// The unit's label (shown to unblinded roles only).
    pub unit_label: String,
    /// The lot's number.
    pub lot_number: String,
    /// The lot's state now.
    pub lot_state: String,
    /// The bank.
    pub bank: Bank,
    /// The shipment that brought the unit.
    pub shipment_id: Option<i64>,
}

/// A participant traced back.
#[derive(Clone, Debug, PartialEq)]
pub struct ParticipantTrace {
    /// The participant.
    pub participant_id: i64,
    /// The subject id.
    pub subject_id: Option<String>,
    /// The site.
    pub site_id: String,
    /// What they were given, in order.
    pub administrations: Vec<TracedAdministration>,
}

fn bank_of(row: &sqlx::any::AnyRow) -> Result<Bank> {
    Ok(Bank {
        id: row.try_get("bank_id")?,
        code: row.try_get("bank_code")?,
        donor: row.try_get("donor")?,
        hla_typing: row.try_get("hla_typing")?,
        created_by: row.try_get("bank_created_by")?,
        created_at: row.try_get("bank_created_at")?,
    })
}

/// A unit of a traced lot, with its shipment's state and its administration.
#[derive(sqlx::FromRow)]
struct TraceRow {
    #[sqlx(flatten)]
    unit: UnitRow,
    shipment_state: Option<String>,
    administration_id: Option<i64>,
    injected_at: Option<String>,
    subject_id: Option<String>,
    participant_site: Option<String>,
}

const BANK_COLUMNS: &str = "b.id AS bank_id, b.code AS bank_code, b.donor, b.hla_typing, \
    b.created_by AS bank_created_by, b.created_at::instant AS bank_created_at";

impl Store {
    /// A lot traced to its units, shipments, sites and the recipients in the caller's scope:
    /// the lot (with its results and decisions), its bank, and one pass over its units (by the
    /// index `product_units_lot`) that brings each unit's shipment and administration with it.
    pub async fn trace_lot(&self, scope: &Scope, lot_id: i64) -> Result<LotTrace> {
        let mut conn = self.pool.acquire().await?;
        let study = scope.study();
        let lot = lot(&mut conn, study, lot_id).await?;
        let sql = render(
            dialect_of(&conn),
            &format!("SELECT {BANK_COLUMNS} FROM product_banks b WHERE b.id = $1"),
        );
        let row = sqlx::query(&sql)
            .bind(lot.bank_id)
            .fetch_one(&mut *conn)
            .await?;
        let bank = bank_of(&row)?;
        let sql = render(
            dialect_of(&conn),
            &format!(
                "SELECT {UNIT_COLUMNS}, s.state AS shipment_state, a.id AS administration_id, \
                 a.injected_at::instant, p.subject_id, p.site_id AS participant_site \
                 FROM product_units u \
                 LEFT JOIN product_shipments s ON s.id = u.shipment_id \
                 LEFT JOIN product_administrations a ON a.unit_id = u.id \
                 LEFT JOIN participants p ON p.id = a.participant_id \
                 WHERE u.study_id = $1 AND u.lot_id = $2 ORDER BY u.id"
            ),
        );
        let rows: Vec<TraceRow> = sqlx::query_as(&sql)
            .bind(study)
            .bind(lot_id)
            .fetch_all(&mut *conn)
            .await?;
        let mut shipments: Vec<(i64, String, String)> = Vec::new();
        let mut given: Vec<(String, i64, Recipient)> = Vec::new();
        let mut units = Vec::with_capacity(rows.len());
        for r in rows {
            let unit = Unit::from(r.unit);
            if let (Some(id), Some(site), Some(state)) =
                (unit.shipment_id, &unit.site_id, r.shipment_state)
            {
                if let Err(at) = shipments.binary_search_by_key(&id, |s| s.0) {
                    shipments.insert(at, (id, site.clone(), state));
                }
            }
            if let (Some(participant_id), Some(administration), Some(injected_at), Some(site)) = (
                unit.participant_id,
                r.administration_id,
                r.injected_at,
                r.participant_site,
            ) {
                if scope.includes_site(&site) {
                    let recipient = Recipient {
                        participant_id,
                        subject_id: r.subject_id,
                        site_id: site,
                        injected_at: injected_at.clone(),
                        unit_id: unit.id,
                    };
                    given.push((injected_at, administration, recipient));
                }
            }
            units.push(unit);
        }
        given.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        let mut sites: Vec<String> = shipments.iter().map(|(_, s, _)| s.clone()).collect();
        sites.sort();
        sites.dedup();
        Ok(LotTrace {
            lot,
            bank,
            units,
            shipments,
            sites,
            recipients: given.into_iter().map(|(_, _, r)| r).collect(),
        })
    }

    /// A participant in scope traced back to each unit given, its lot, bank and donor.
    pub async fn trace_participant(
        &self,
        scope: &Scope,
        participant_id: i64,
    ) -> Result<ParticipantTrace> {
        let mut conn = self.pool.acquire().await?;
        let participant = participant_in(&mut conn, scope, participant_id).await?;
        let sql = render(
            dialect_of(&conn),
            &format!(
                "SELECT a.id, a.unit_id, u.lot_id, a.thawed_at::instant, a.injected_at::instant, \
                 a.dose_cells, a.volume_ml, a.weight_kg, a.route, a.puncture_level, \
                 a.recorded_by, a.dose_number, a.visit_id, a.dosed_on::text, u.din, \
                 u.check_character, u.shipment_id, l.lot_number, \
                 l.state, {BANK_COLUMNS} \
                 FROM product_administrations a JOIN product_units u ON u.id = a.unit_id \
                 JOIN product_lots l ON l.id = u.lot_id JOIN product_banks b ON b.id = l.bank_id \
                 WHERE a.participant_id = $1 ORDER BY a.injected_at, a.id"
            ),
        );
        let rows = sqlx::query(&sql)
            .bind(participant.id)
            .fetch_all(&mut *conn)
            .await?;
        let mut administrations = Vec::new();
        for r in rows {
            let number = |c: &str| -> Result<f64> {
                Ok(r.try_get::<String, _>(c)?.parse().unwrap_or(f64::NAN))
            };
            let din: String = r.try_get("din")?;
            let check: String = r.try_get("check_character")?;
            administrations.push(TracedAdministration {
                administration: AdministrationRecord {
                    id: r.try_get("id")?,
                    participant_id: participant.id,
                    unit_id: r.try_get("unit_id")?,
                    lot_id: r.try_get("lot_id")?,
                    thawed_at: r.try_get("thawed_at")?,
                    injected_at: r.try_get("injected_at")?,
                    dose_cells: r.try_get("dose_cells")?,
                    volume_ml: number("volume_ml")?,
                    weight_kg: number("weight_kg")?,
                    route: r.try_get("route")?,
                    puncture_level: r.try_get("puncture_level")?,
                    dose_number: r.try_get::<Option<i64>, _>("dose_number")?.unwrap_or(1),
                    visit_id: r.try_get("visit_id")?,
                    dosed_on: r
                        .try_get::<Option<String>, _>("dosed_on")?
                        .unwrap_or_default(),
                    recorded_by: r.try_get("recorded_by")?,
                },
                unit_label: format!("{din}{check}"),
                lot_number: r.try_get("lot_number")?,
                lot_state: r.try_get("state")?,
                bank: bank_of(&r)?,
                shipment_id: r.try_get("shipment_id")?,
            });
        }
        Ok(ParticipantTrace {
            participant_id: participant.id,
            subject_id: participant.subject_id,
            site_id: participant.site_id,
            administrations,
        })
    }
}
