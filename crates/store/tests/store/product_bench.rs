//! The trace benchmark (issue 17: "answered in under 100 ms over 100,000 units"), on SQLite
//! and PostgreSQL: 100 lots of 1,000 units each registered through `add_units` (audited, as in
//! use), shipped to the sites, 1,000 of them given to 200 participants; then each of 100 lots
//! traced forward (units, shipments, sites, recipients) and each of 200 participants traced
//! back (unit, lot, bank, donor), beside a single-row primary-key read of a unit measured in
//! the same run on the same database. Ignored in the normal run; the README's figures come from
//!
//! ```text
//! cargo test -p store --test store -- --ignored --nocapture trace_benchmark
//! ```

use std::time::{Duration, Instant};

use store::*;
use trial::product::isbt128::Din;
use trial::Study;

use crate::common::*;
use crate::escalation::PHASE1;

const PRODUCT: &str = include_str!("../../../../studies/xs228-product.toml");
const LOTS: u32 = 100;
const PER_LOT: u32 = 1_000;
const PARTICIPANTS: usize = 200;
const DOSES_PER_LOT: u32 = 10;

fn percentile(times: &mut [Duration], p: f64) -> Duration {
    times.sort();
    let i = ((times.len() as f64 - 1.0) * p).round() as usize;
    times[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::test]
#[ignore = "a benchmark: run with --ignored --nocapture"]
async fn trace_benchmark() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let name = format!("{:?}", store.dialect());
        let study = Study::from_toml(PHASE1).unwrap();
        let system = Actor::system();
        store.load_study(&study, PHASE1, &system).await.unwrap();
        let sid = study.id.clone();
        let site = study.sites[0].id.clone();
        store
            .load_product_definition(&sid, PRODUCT, &system)
            .await
            .unwrap();
        let bank = store
            .create_bank(
                &sid,
                &NewBank {
                    code: "MCB-01".into(),
                    donor: "D-0001".into(),
                    hla_typing: "A*02:01".into(),
                },
                &system,
            )
            .await
            .unwrap();
        let seeding = Instant::now();
        let mut lots = Vec::new();
        for l in 0..LOTS {
            let lot = store
                .create_lot(
                    &sid,
                    &NewLot {
                        bank_id: bank.id,
                        lot_number: format!("L-{l:03}"),
                        manufacturing_site: "Suzhou".into(),
                        manufactured_on: time::macros::date!(2026 - 01 - 01),
                        cell_count: 4_000_000_000,
                        expires_on: time::macros::date!(2028 - 12 - 31),
                    },
                    &system,
                )
                .await
                .unwrap();
            let units: Vec<NewUnit> = (0..PER_LOT)
                .map(|u| {
                    let din = format!("G1234{:02}{:06}", 26 + l / 100, (l % 100) * PER_LOT + u);
                    let check_character = Din::parse(&din).unwrap().check_character().to_string();
                    NewUnit {
                        din,
                        check_character,
                        product_code: "E1234V00".into(),
                        placebo: u % 3 == 2,
                        location_id: None,
                    }
                })
                .collect();
            let units = store
                .add_units(&sid, lot.id, &units, &system)
                .await
                .unwrap();
            lots.push((lot.id, units));
        }
        // Shipments (one per 250 units) and administrations, written directly: their rules
        // are tested elsewhere; the trace reads what they leave.
        let scope = Scope::Study(sid.clone());
        let mut participants = Vec::new();
        for n in 0..PARTICIPANTS {
            let p = store
                .screen(&scope, &screening(&site, &format!("B-{n}")), &system)
                .await
                .unwrap();
            participants.push(p.id);
        }
        let pool = store.raw_pool();
        let postgres = matches!(store.dialect(), Dialect::Postgres);
        let (ship_sql, admin_sql) = if postgres {
            (
                "INSERT INTO product_shipments (study_id, site_id, shipper, state, created_by, \
                 created_at) VALUES ($1, $2, 'DS', 'received', 'bench', now()) RETURNING id",
                "INSERT INTO product_administrations (unit_id, participant_id, thawed_at, \
                 injected_at, dose_cells, volume_ml, weight_kg, route, puncture_level, \
                 recorded_by, created_at, dose_number, visit_id, dosed_on) VALUES ($1, $2, \
                 now(), now(), 50000000, '5', '70', 'intrathecal', 'L3-L4', 'bench', now(), 1, \
                 'day-1', CURRENT_DATE)",
            )
        } else {
            (
                "INSERT INTO product_shipments (study_id, site_id, shipper, state, created_by, \
                 created_at) VALUES ($1, $2, 'DS', 'received', 'bench', \
                 '2026-12-01T00:00:00.000000Z') RETURNING id",
                "INSERT INTO product_administrations (unit_id, participant_id, thawed_at, \
                 injected_at, dose_cells, volume_ml, weight_kg, route, puncture_level, \
                 recorded_by, created_at, dose_number, visit_id, dosed_on) VALUES ($1, $2, \
                 '2026-12-01T01:00:00.000000Z', '2026-12-01T01:30:00.000000Z', 50000000, '5', \
                 '70', 'intrathecal', 'L3-L4', 'bench', '2026-12-01T01:30:00.000000Z', 1, \
                 'day-1', '2026-12-01')",
            )
        };
        let mut given = 0usize;
        for (_, units) in &lots {
            for chunk in units.chunks(250) {
                let (id,): (i64,) = sqlx::query_as(ship_sql)
                    .bind(&sid)
                    .bind(&site)
                    .fetch_one(pool)
                    .await
                    .unwrap();
                let ids: Vec<String> = chunk.iter().map(|u| u.id.to_string()).collect();
                sqlx::query(&format!(
                    "UPDATE product_units SET shipment_id = {id} WHERE id IN ({})",
                    ids.join(",")
                ))
                .execute(pool)
                .await
                .unwrap();
            }
            for u in units.iter().take(DOSES_PER_LOT as usize) {
                sqlx::query(admin_sql)
                    .bind(u.id)
                    .bind(participants[given % PARTICIPANTS])
                    .execute(pool)
                    .await
                    .unwrap();
                given += 1;
            }
        }
        if postgres {
            sqlx::query("ANALYZE").execute(pool).await.unwrap();
        }
        let seeded = seeding.elapsed();
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM product_units")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(count, i64::from(LOTS * PER_LOT), "{name}");

        // Warm up, then measure: every lot forward, every participant back, and the reference.
        store.trace_lot(&scope, lots[0].0).await.unwrap();
        let mut forward = Vec::new();
        for (lot, _) in &lots {
            let t = Instant::now();
            let trace = store.trace_lot(&scope, *lot).await.unwrap();
            forward.push(t.elapsed());
            assert_eq!(trace.units.len(), PER_LOT as usize, "{name}");
            assert_eq!(trace.recipients.len(), DOSES_PER_LOT as usize, "{name}");
            assert_eq!(trace.shipments.len(), (PER_LOT / 250) as usize, "{name}");
        }
        let mut back = Vec::new();
        for p in &participants {
            let t = Instant::now();
            let trace = store.trace_participant(&scope, *p).await.unwrap();
            back.push(t.elapsed());
            assert_eq!(trace.administrations.len(), 5, "{name}");
        }
        let mut reference = Vec::new();
        for (_, units) in &lots {
            let id = units[500].id;
            let t = Instant::now();
            let (din,): (String,) = sqlx::query_as("SELECT din FROM product_units WHERE id = $1")
                .bind(id)
                .fetch_one(pool)
                .await
                .unwrap();
            reference.push(t.elapsed());
            assert_eq!(din, units[500].din, "{name}");
        }
        println!(
            "{name}: {} units, {} administrations, seeded in {:.1} s; trace a lot of {PER_LOT} \
             units forward: median {} p95 {} max {}; a participant back: median {} p95 {} max \
             {}; reference single-row primary-key read: median {} p95 {}",
            count,
            given,
            seeded.as_secs_f64(),
            ms(percentile(&mut forward, 0.5)),
            ms(percentile(&mut forward, 0.95)),
            ms(percentile(&mut forward, 1.0)),
            ms(percentile(&mut back, 0.5)),
            ms(percentile(&mut back, 0.95)),
            ms(percentile(&mut back, 1.0)),
            ms(percentile(&mut reference, 0.5)),
            ms(percentile(&mut reference, 0.95)),
        );
    }
}
