//! Dosing from the bedside and the sites' supply, on SQLite and PostgreSQL: Phase I's multiple
//! ascending doses given at the bedside without kits (the level's cells, each dose in its
//! visit's window, no fifth dose), the DLT window running from the doses given; a site's stock
//! falling to the product's minimum asks for a resupply once, until it is restocked, and
//! units expiring take it there with no write, which the expiry sweep finds (once).

use store::*;
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};
use trial::product::isbt128::Din;
use trial::product::release::{Disposition, ResultValue};
use trial::{Role, Study};

use crate::common::*;
use crate::escalation::PHASE1;

const PRODUCT: &str = include_str!("../../../../studies/xs228-product.toml");

fn unit(n: u32, placebo: bool) -> NewUnit {
    let din = format!("G123426{n:06}");
    let check_character = Din::parse(&din).unwrap().check_character().to_string();
    NewUnit {
        din,
        check_character,
        product_code: "E1234V00".into(),
        placebo,
        location_id: None,
    }
}

/// A released lot of `n` product units and one placebo unit, the first `shipped` of them
/// received at the study's first site on `received`.
async fn released_lot(
    store: &Store,
    study: &Study,
    number: &str,
    n: u32,
    shipped: usize,
    received: OffsetDateTime,
) -> Vec<Unit> {
    let expires = date!(2027 - 12 - 31);
    released_lot_expiring(store, study, number, n, shipped, received, expires).await
}

/// [`released_lot`] expiring on `expires_on`.
async fn released_lot_expiring(
    store: &Store,
    study: &Study,
    number: &str,
    n: u32,
    shipped: usize,
    received: OffsetDateTime,
    expires_on: time::Date,
) -> Vec<Unit> {
    let qc = Actor::user(&user(store, &format!("qc-{number}")).await);
    let qp = Actor::user(&user(store, &format!("qp-{number}")).await);
    let sid = &study.id;
    if store.product_definition(sid).await.unwrap().is_none() {
        store
            .load_product_definition(sid, PRODUCT, &qc)
            .await
            .unwrap();
    }
    let bank = store
        .create_bank(
            sid,
            &NewBank {
                code: format!("MCB-{number}"),
                donor: "D-0007".into(),
                hla_typing: "A*02:01".into(),
            },
            &qc,
        )
        .await
        .unwrap();
    let lot = store
        .create_lot(
            sid,
            &NewLot {
                bank_id: bank.id,
                lot_number: number.into(),
                manufacturing_site: "Suzhou".into(),
                manufactured_on: date!(2026 - 07 - 01),
                cell_count: 2_000_000_000,
                expires_on,
            },
            &qc,
        )
        .await
        .unwrap();
    let base: u32 = number.bytes().map(u32::from).sum::<u32>() * 100;
    let mut new: Vec<NewUnit> = (0..n).map(|i| unit(base + i, false)).collect();
    new.push(unit(base + n, true));
    let units = store.add_units(sid, lot.id, &new, &qc).await.unwrap();
    for (test, value) in [
        ("sterility", ResultValue::Word("negative".into())),
        ("mycoplasma", ResultValue::Word("negative".into())),
        ("endotoxin", ResultValue::Number(0.5)),
        ("viability", ResultValue::Number(86.0)),
        ("identity", ResultValue::Number(93.0)),
        ("residual_ipsc", ResultValue::Number(0.05)),
        ("karyotype", ResultValue::Word("normal".into())),
    ] {
        store
            .record_release_result(sid, lot.id, test, &value, "Dr QC", &qc)
            .await
            .unwrap();
    }
    store
        .decide_lot(sid, lot.id, &Disposition::Release, "Dr QP", &qp)
        .await
        .unwrap();
    if shipped > 0 {
        let site = study.sites[0].id.clone();
        let shipment = store
            .create_shipment(
                study,
                &NewShipment {
                    site_id: site.clone(),
                    shipper: "DS-1".into(),
                    unit_ids: units[..shipped].iter().map(|u| u.id).collect(),
                },
                received.date() - Duration::days(1),
                &qc,
            )
            .await
            .unwrap();
        let pharm = Actor::user(&user(store, &format!("pharm-{number}")).await);
        store
            .record_handover(
                &Scope::Study(sid.clone()),
                shipment.id,
                &NewHandover {
                    from: "courier".into(),
                    place: "pharmacy".into(),
                    at: received,
                    received: true,
                },
                "Pharmacist",
                &pharm,
            )
            .await
            .unwrap();
    }
    units
}

async fn enrol(store: &Store, study: &Study, n: usize, anchor: &str) -> i64 {
    let scope = Scope::Study(study.id.clone());
    let system = Actor::system();
    let p = store
        .screen(
            &scope,
            &screening(&study.sites[0].id, &format!("S-{n}")),
            &system,
        )
        .await
        .unwrap();
    store
        .enrol(
            &scope,
            study,
            &Enrolment {
                participant_id: p.id,
                subject_id: format!("P1-{n:03}"),
                enrolled_on: "2026-07-20".into(),
                anchor_date: anchor.into(),
                visits: trial::plan_visits(study, store::parse_date(anchor).unwrap())
                    .iter()
                    .filter(|v| v.day >= 1)
                    .map(|v| PlannedVisit {
                        visit_id: v.visit_id.clone(),
                        name: v.name.clone(),
                        target: store::date(v.target),
                        earliest: store::date(v.earliest),
                        latest: store::date(v.latest),
                    })
                    .collect(),
            },
            &system,
        )
        .await
        .unwrap();
    p.id
}

/// Enrols participant `n` with its first dose on `anchor`, assigns it the first single dose by
/// the sponsor's override and gives it `unit` that day at 10:00 (UTC+8).
async fn sad_dose(
    store: &Store,
    study: &Study,
    sponsor: &User,
    pharm: &Actor,
    n: usize,
    anchor: &str,
    unit: &Unit,
) {
    let scope = Scope::Study(study.id.clone());
    let p = enrol(store, study, n, anchor).await;
    let signed = DoseOverride {
        reason: "supply test",
        signer: sponsor,
    };
    store
        .assign_dose_level(
            &scope,
            study,
            p,
            Some("sad-1"),
            Some(signed),
            &Actor::user(sponsor),
        )
        .await
        .unwrap();
    let on = time::PrimitiveDateTime::new(
        store::parse_date(anchor).unwrap(),
        time::macros::time!(10:00),
    )
    .assume_offset(time::macros::offset!(+8));
    store
        .administer(study, &scope, p, &dose(unit, on, 50_000_000), pharm)
        .await
        .unwrap();
}

/// The sponsor's resupply notices so far.
async fn resupplies(store: &Store, sid: &str) -> usize {
    store
        .notifications(sid, &[Role::SponsorAdmin], &Actor::system())
        .await
        .unwrap()
        .into_iter()
        .filter(|n| n.kind == RESUPPLY)
        .count()
}

fn dose(unit: &Unit, at: OffsetDateTime, cells: i64) -> NewAdministration {
    NewAdministration {
        kit_number: None,
        unit: unit.label(),
        thawed_at: at - Duration::minutes(30),
        injected_at: at,
        dose_cells: cells,
        volume_ml: 5.0,
        weight_kg: 70.0,
        route: "intrathecal".into(),
        puncture_level: "L3-L4".into(),
    }
}

#[tokio::test]
async fn phase_one_doses_come_from_the_bedside_and_the_dlt_window_follows_them() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let name = format!("{:?}", store.dialect());
        let study = Study::from_toml(PHASE1).unwrap();
        let system = Actor::system();
        store.load_study(&study, PHASE1, &system).await.unwrap();
        let units = released_lot(
            &store,
            &study,
            "L-P1",
            6,
            0,
            datetime!(2026-08-01 09:00 +08:00),
        )
        .await;
        let scope = Scope::Study(study.id.clone());
        let p = enrol(&store, &study, 1, "2026-08-03").await;
        let sponsor = user(&store, "sponsor").await;
        let inv_user = user(&store, "inv").await;
        let pharm = Actor::user(&user(&store, "pharm").await);
        let day1 = datetime!(2026-08-03 10:00 +08:00);
        // No dose before the level is assigned.
        let e = store
            .administer(
                &study,
                &scope,
                p,
                &dose(&units[0], day1, 50_000_000),
                &pharm,
            )
            .await
            .unwrap_err();
        assert!(e.to_string().contains("no dose level yet"), "{name}: {e}");
        store
            .assign_dose_level(
                &scope,
                &study,
                p,
                Some("mad-1"),
                Some(DoseOverride {
                    reason: "the protocol's MAD cohort",
                    signer: &sponsor,
                }),
                &Actor::user(&sponsor),
            )
            .await
            .unwrap();
        // The level's cells, a product unit scanned against the participant (no kit).
        let e = store
            .administer(
                &study,
                &scope,
                p,
                &dose(&units[0], day1, 150_000_000),
                &pharm,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Invalid { field, .. } if field == "dose_cells"),
            "{name}: {e}"
        );
        let placebo = units.last().unwrap();
        let e = store
            .administer(&study, &scope, p, &dose(placebo, day1, 50_000_000), &pharm)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("is a placebo unit"), "{name}: {e}");
        let e = store
            .administer(
                &study,
                &scope,
                p,
                &NewAdministration {
                    kit_number: Some("K-1".into()),
                    ..dose(&units[0], day1, 50_000_000)
                },
                &pharm,
            )
            .await
            .unwrap_err();
        assert!(e.to_string().contains("has no kit"), "{name}: {e}");
        // Days 1, 15, 29 and 43 (the last a day late, within its window).
        let days = [
            day1,
            datetime!(2026-08-17 10:00 +08:00),
            datetime!(2026-08-31 10:00 +08:00),
            datetime!(2026-09-15 10:00 +08:00),
        ];
        for (i, at) in days.iter().enumerate() {
            if i == 1 {
                let early = datetime!(2026-08-10 10:00 +08:00);
                let e = store
                    .administer(
                        &study,
                        &scope,
                        p,
                        &dose(&units[1], early, 50_000_000),
                        &pharm,
                    )
                    .await
                    .unwrap_err();
                assert!(
                    e.to_string().contains("dose 2 of 4 is due on day 15"),
                    "{name}: {e}"
                );
            }
            let given = store
                .administer(&study, &scope, p, &dose(&units[i], *at, 50_000_000), &pharm)
                .await
                .unwrap();
            assert_eq!(given.dose_number, i as i64 + 1, "{name}");
        }
        let doses = store.doses_given(&scope, p).await.unwrap();
        let visits: Vec<Option<&str>> = doses.iter().map(|d| d.visit_id.as_deref()).collect();
        assert_eq!(
            visits,
            [
                Some("day-1"),
                Some("day-15"),
                Some("day-29"),
                Some("day-43")
            ],
            "{name}"
        );
        assert_eq!(doses[3].dosed_on, "2026-09-15", "{name}");
        // Each dosing visit is done on the day of its dose.
        let done: Vec<(String, Option<String>)> = store
            .visits(&scope, p)
            .await
            .unwrap()
            .into_iter()
            .filter(|v| ["day-1", "day-15", "day-29", "day-43"].contains(&v.visit_id.as_str()))
            .map(|v| (v.visit_id, v.done_on))
            .collect();
        assert_eq!(
            done,
            [
                ("day-1".to_string(), Some("2026-08-03".to_string())),
                ("day-15".to_string(), Some("2026-08-17".to_string())),
                ("day-29".to_string(), Some("2026-08-31".to_string())),
                ("day-43".to_string(), Some("2026-09-15".to_string())),
            ],
            "{name}"
        );
        let e = store
            .administer(
                &study,
                &scope,
                p,
                &dose(&units[4], datetime!(2026-09-29 10:00 +08:00), 50_000_000),
                &pharm,
            )
            .await
            .unwrap_err();
        assert!(e.to_string().contains("all 4 dose(s)"), "{name}: {e}");
        // The DLT window ends 28 days after the fourth dose given (2026-09-15), a day after the
        // planned one.
        let no_dlt = |on: &str| NewDlt {
            participant_id: p,
            dlt: false,
            onset_on: None,
            description: "none".into(),
            assessed_on: on.into(),
            ae_ids: vec![],
            signer: &inv_user,
        };
        let e = store
            .record_dlt(
                &scope,
                &study,
                &no_dlt("2026-10-12"),
                &Actor::user(&inv_user),
            )
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("runs until 2026-10-13"),
            "{name}: {e}"
        );
        store
            .record_dlt(
                &scope,
                &study,
                &no_dlt("2026-10-13"),
                &Actor::user(&inv_user),
            )
            .await
            .unwrap();
        // Exposure: open-label, product for every dose.
        let exposure = store
            .exposure(&scope, Some(&Actor::system()))
            .await
            .unwrap();
        assert_eq!(exposure.len(), 4, "{name}");
        assert!(
            exposure
                .iter()
                .all(|x| x.treatment.as_deref() == Some("product") && x.dose == 50_000_000),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_site_low_on_stock_asks_for_a_resupply_once_per_crossing() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let name = format!("{:?}", store.dialect());
        let study = Study::from_toml(PHASE1).unwrap();
        let system = Actor::system();
        store.load_study(&study, PHASE1, &system).await.unwrap();
        let sid = study.id.clone();
        let sponsor = user(&store, "sponsor").await;
        store
            .assign_role(
                &RoleAssignment {
                    user_id: sponsor.id,
                    study_id: sid.clone(),
                    role: Role::SponsorAdmin,
                    site_id: None,
                },
                &system,
            )
            .await
            .unwrap();
        store
            .set_user_email(sponsor.id, "sponsor@example.org", &system)
            .await
            .unwrap();
        let received = datetime!(2026-08-01 09:00 +08:00);
        // Four units received: above the minimum of 2, nothing told.
        let units = released_lot(&store, &study, "L-S1", 4, 4, received).await;
        let scope = Scope::Study(sid.clone());
        let today = date!(2026 - 08 - 02);
        let supply = store.supply(&study, &scope, today).await.unwrap();
        assert_eq!(
            (
                supply.sites[0].usable,
                supply.sites[0].minimum,
                supply.sites[0].needs_resupply
            ),
            (4, 2, false),
            "{name}"
        );
        // The placebo unit was not shipped: it is what the manufacturer may still ship, until
        // expiry − 3 days' lead − 14 days on site.
        assert_eq!(supply.shippable.len(), 1, "{name}");
        assert_eq!(
            (
                supply.shippable[0].units,
                supply.shippable[0].last_ship_date.as_str()
            ),
            (1, "2027-12-14"),
            "{name}"
        );
        assert_eq!(resupplies(&store, &sid).await, 0, "{name}");
        let pharm = Actor::user(&user(&store, "pharm").await);
        let sad = |n: usize, anchor: &'static str, unit: Unit| {
            let (store, study, sponsor, pharm) = (&store, &study, &sponsor, &pharm);
            async move { sad_dose(store, study, sponsor, pharm, n, anchor, &unit).await }
        };
        // Two doses take the stock to 2: told once; a third (1 left) tells nothing more.
        for (i, anchor) in ["2026-08-03", "2026-08-04", "2026-08-05"]
            .iter()
            .enumerate()
        {
            sad(10 + i, anchor, units[i].clone()).await;
            let expected = usize::from(i >= 1);
            assert_eq!(
                resupplies(&store, &sid).await,
                expected,
                "{name}: after dose {i}"
            );
        }
        let supply = store
            .supply(&study, &scope, date!(2026 - 08 - 06))
            .await
            .unwrap();
        assert_eq!(
            (supply.sites[0].usable, supply.sites[0].needs_resupply),
            (1, true),
            "{name}"
        );
        let mailed = store
            .outbox(&sid)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.subject.contains("resupply"))
            .count();
        assert_eq!(mailed, 1, "{name}");
        // Restocked above the minimum, then down again: told a second time.
        let more = released_lot(
            &store,
            &study,
            "L-S2",
            3,
            3,
            datetime!(2026-08-07 09:00 +08:00),
        )
        .await;
        assert_eq!(resupplies(&store, &sid).await, 1, "{name}");
        sad(20, "2026-08-08", more[0].clone()).await;
        // 1 + 3 = 4, less one given: 3, above 2, nothing told yet.
        assert_eq!(resupplies(&store, &sid).await, 1, "{name}");
        sad(21, "2026-08-09", more[1].clone()).await;
        assert_eq!(resupplies(&store, &sid).await, 2, "{name}");
    }
}

#[tokio::test]
async fn the_expiry_sweep_asks_for_a_resupply_once_when_units_expire() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let name = format!("{:?}", store.dialect());
        let study = Study::from_toml(PHASE1).unwrap();
        let system = Actor::system();
        store.load_study(&study, PHASE1, &system).await.unwrap();
        let sid = study.id.clone();
        let site = study.sites[0].id.clone();
        let sponsor = user(&store, "sponsor").await;
        store
            .assign_role(
                &RoleAssignment {
                    user_id: sponsor.id,
                    study_id: sid.clone(),
                    role: Role::SponsorAdmin,
                    site_id: None,
                },
                &system,
            )
            .await
            .unwrap();
        store
            .set_user_email(sponsor.id, "sponsor@example.org", &system)
            .await
            .unwrap();
        // Three units expiring on 20 August and one at the end of 2027, all received: 4
        // usable, above the minimum of 2.
        let received = datetime!(2026-08-01 09:00 +08:00);
        released_lot_expiring(
            &store,
            &study,
            "L-E1",
            3,
            3,
            received,
            date!(2026 - 08 - 20),
        )
        .await;
        released_lot(&store, &study, "L-E2", 1, 1, received).await;
        assert_eq!(resupplies(&store, &sid).await, 0, "{name}");
        // Before the expiry, the sweep finds nothing.
        let found = store
            .sweep_supply(&study, date!(2026 - 08 - 20))
            .await
            .unwrap();
        assert!(found.is_empty(), "{name}: {found:?}");
        assert_eq!(resupplies(&store, &sid).await, 0, "{name}");
        // The day after, three units expired with no write: 1 usable, below the minimum: told
        // once, by e-mail too.
        let found = store
            .sweep_supply(&study, date!(2026 - 08 - 21))
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "{name}: {found:?}");
        assert_eq!(
            (
                found[0].site_id.as_str(),
                found[0].stock,
                found[0].expired,
                found[0].crossing
            ),
            (site.as_str(), 1, 3, trial::product::supply::Crossing::Low),
            "{name}"
        );
        assert_eq!(resupplies(&store, &sid).await, 1, "{name}");
        let told = store
            .notifications(&sid, &[Role::SponsorAdmin], &system)
            .await
            .unwrap();
        assert!(
            told.iter()
                .any(|n| n.kind == RESUPPLY && n.message.contains("(3 expired)")),
            "{name}: {told:?}"
        );
        let mailed: Vec<String> = store
            .outbox(&sid)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.subject.contains("resupply"))
            .map(|m| m.recipient)
            .collect();
        assert_eq!(mailed, ["sponsor@example.org"], "{name}");
        // Idempotent: sweeping again, that day or the next, tells nothing more.
        for day in [date!(2026 - 08 - 21), date!(2026 - 08 - 22)] {
            let found = store.sweep_supply(&study, day).await.unwrap();
            assert!(found.is_empty(), "{name}: {day}: {found:?}");
        }
        assert_eq!(resupplies(&store, &sid).await, 1, "{name}");
        // The supply read on that date agrees.
        let supply = store
            .supply(&study, &Scope::Study(sid.clone()), date!(2026 - 08 - 21))
            .await
            .unwrap();
        assert_eq!(
            (supply.sites[0].usable, supply.sites[0].needs_resupply),
            (1, true),
            "{name}"
        );
        // The crossing is audited on the study's chain, by the system.
        let rows = store
            .audit_of("product", &format!("supply/{site}"))
            .await
            .unwrap();
        assert!(
            rows.iter().any(
                |r| r.new_value.as_deref() == Some("1 usable, minimum 2 (3 expired)")
                    && r.chain == sid
            ),
            "{name}: {rows:?}"
        );
        assert!(
            matches!(
                store.verify_audit().await.unwrap(),
                AuditReport::Intact { .. }
            ),
            "{name}"
        );
    }
}
