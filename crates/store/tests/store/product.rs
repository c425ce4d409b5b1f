//! The cell product in the system of record, on SQLite and PostgreSQL: a lot from its master
//! cell bank through QC's results and the qualified person's conditional release, a shipment
//! with its hand-overs and a logger file whose excursion holds the units until a decision, the
//! kit ↔ unit link, the bedside check refusing each fault and storing the administration, a
//! late sterility failure that rejects the lot and notifies, and the trace both ways; refusals
//! write nothing; what reveals the blind is audited on the unblinded chain only.

use isncsci::{Grade, Level};
use store::*;
use time::{Duration, OffsetDateTime};
use trial::product::isbt128::Din;
use trial::product::release::{Disposition, ResultValue};
use trial::{ArmKind, Covariates, Role, Study};

use crate::common::*;

const PHASE2: &str = include_str!("../../../../studies/xs228-phase2.toml");
const PRODUCT: &str = include_str!("../../../../studies/xs228-product.toml");

/// A DIN of facility G1234, year 26, sequence `n`, with its check character.
fn din(n: u32) -> (String, String) {
    let text = format!("G123426{n:06}");
    let check = Din::parse(&text).unwrap().check_character().to_string();
    (text, check)
}

fn unit(n: u32, placebo: bool) -> NewUnit {
    let (din, check_character) = din(n);
    NewUnit {
        din,
        check_character,
        product_code: "E1234V00".into(),
        placebo,
        location_id: None,
    }
}

async fn phase2(store: &Store) -> Study {
    let study = Study::from_toml(PHASE2).unwrap();
    let system = Actor::system();
    store.load_study(&study, PHASE2, &system).await.unwrap();
    store
        .generate_randomisation(&study, &ListRequest::new(7, 12, 40), &system)
        .await
        .unwrap();
    study
}

/// A randomised participant at the first site: its id and allocation.
async fn randomised(store: &Store, study: &Study, n: &str) -> (i64, Allocation) {
    let site = &study.sites[0].id;
    let p = crate::labs::participant(store, study, 0, n).await;
    let c = Covariates::new(study, Grade::B, Level::C6, site).unwrap();
    let scope = Scope::Study(study.id.clone());
    let a = store
        .randomise(&scope, study, p, &c, &Actor::system())
        .await
        .unwrap();
    (p, a)
}

fn lot_input(bank_id: i64, number: &str) -> NewLot {
    NewLot {
        bank_id,
        lot_number: number.into(),
        manufacturing_site: "Suzhou GMP suite 2".into(),
        manufactured_on: time::macros::date!(2026 - 11 - 01),
        cell_count: 2_000_000_000,
        expires_on: time::macros::date!(2027 - 06 - 30),
    }
}

async fn result(
    store: &Store,
    study: &str,
    lot: i64,
    test: &str,
    value: ResultValue,
    by: &Actor,
) -> Result<Lot> {
    store
        .record_release_result(study, lot, test, &value, "Dr QC", by)
        .await
}

fn word(w: &str) -> ResultValue {
    ResultValue::Word(w.into())
}

/// A logger file of the shipment: readings every 5 minutes ending 30 minutes ago, one of them
/// above −150 °C when `warm`.
fn logger_file(warm: bool) -> String {
    let end = OffsetDateTime::now_utc() - Duration::minutes(30);
    let mut text = String::from("Timestamp,Temperature (°C)\n");
    for i in 0..6 {
        let at = end - Duration::minutes(5 * (5 - i));
        let c = if warm && i == 3 { "-141.5" } else { "-180.0" };
        text.push_str(&format!(
            "{},{c}\n",
            at.format(&time::format_description::well_known::Rfc3339)
                .unwrap()
        ));
    }
    text
}

#[tokio::test]
async fn a_unit_travels_from_its_bank_to_a_participant_and_is_traced_back() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let name = format!("{:?}", store.dialect());
        let study = phase2(&store).await;
        let sid = study.id.clone();
        let site = study.sites[0].id.clone();
        let qc = Actor::user(&user(&store, "qc").await);
        let qp = Actor::user(&user(&store, "qp").await);
        let pharm = Actor::user(&user(&store, "pharm").await);
        let inv = Actor::user(&user(&store, "inv").await);
        // Who is mailed a late failure: the sponsor, and the investigators of the recipients'
        // sites (not another site's).
        for (name, role, at, email) in [
            ("sponsor", Role::SponsorAdmin, None, "sponsor@example.org"),
            (
                "inv-a",
                Role::Investigator,
                Some(site.clone()),
                "inv-a@example.org",
            ),
            (
                "inv-b",
                Role::Investigator,
                Some(study.sites[1].id.clone()),
                "inv-b@example.org",
            ),
        ] {
            let u = user(&store, name).await;
            let system = Actor::system();
            let grant = RoleAssignment {
                user_id: u.id,
                study_id: sid.clone(),
                role,
                site_id: at,
            };
            store.assign_role(&grant, &system).await.unwrap();
            store.set_user_email(u.id, email, &system).await.unwrap();
        }
        // Without a product definition nothing is released.
        let bank = store
            .create_bank(
                &sid,
                &NewBank {
                    code: "MCB-01".into(),
                    donor: "D-0042".into(),
                    hla_typing: "A*02:01 B*07:02 DRB1*15:01".into(),
                },
                &qc,
            )
            .await
            .unwrap();
        let lot = store
            .create_lot(&sid, &lot_input(bank.id, "L-001"), &qc)
            .await
            .unwrap();
        assert_eq!(lot.state, "quarantined", "{name}");
        let e = result(
            &store,
            &sid,
            lot.id,
            "viability",
            ResultValue::Number(85.0),
            &qc,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&e, StoreError::Conflict { field, .. } if field == "product"),
            "{name}: {e}"
        );
        store
            .load_product_definition(&sid, PRODUCT, &qc)
            .await
            .unwrap();
        // Units: a wrong check character refuses the whole list.
        let mut bad = vec![unit(1, false), unit(2, false), unit(3, true)];
        bad[1].check_character = if bad[1].check_character == "A" {
            "B".into()
        } else {
            "A".into()
        };
        let e = store.add_units(&sid, lot.id, &bad, &qc).await.unwrap_err();
        assert!(
            matches!(&e, StoreError::Invalid { field, .. } if field == "units[1].check_character"),
            "{name}: {e}"
        );
        assert!(
            store.units_of_lot(&sid, lot.id).await.unwrap().is_empty(),
            "{name}"
        );
        let units = store
            .add_units(
                &sid,
                lot.id,
                &[unit(1, false), unit(2, false), unit(3, true), unit(4, true)],
                &qc,
            )
            .await
            .unwrap();
        assert_eq!(units.len(), 4, "{name}");
        let e = store
            .add_units(&sid, lot.id, &[unit(1, false)], &qc)
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Conflict { .. }), "{name}: {e}");
        // Release: every result but the 14-day sterility and the karyotype.
        for (test, value) in [
            ("mycoplasma", word("negative")),
            ("endotoxin", ResultValue::Number(0.5)),
            ("viability", ResultValue::Number(86.0)),
            ("identity", ResultValue::Number(93.0)),
            ("residual_ipsc", ResultValue::Number(0.05)),
        ] {
            result(&store, &sid, lot.id, test, value, &qc)
                .await
                .unwrap();
        }
        let e = result(&store, &sid, lot.id, "sterility", word("maybe"), &qc)
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("\"maybe\" is not allowed (allowed: negative, positive)"),
            "{name}: {e}"
        );
        let e = result(
            &store,
            &sid,
            lot.id,
            "viability",
            ResultValue::Number(90.0),
            &qc,
        )
        .await
        .unwrap_err();
        assert!(
            e.to_string().contains("already has a result"),
            "{name}: {e}"
        );
        let e = store
            .decide_lot(&sid, lot.id, &Disposition::Release, "Dr QP", &qp)
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("no result yet for sterility, karyotype"),
            "{name}: {e}"
        );
        let pending = Disposition::ReleaseConditionally {
            pending: vec!["sterility".into(), "karyotype".into()],
        };
        let lot_now = store
            .decide_lot(&sid, lot.id, &pending, "Dr QP", &qp)
            .await
            .unwrap();
        assert_eq!(lot_now.state, "conditionally_released", "{name}");
        assert_eq!(lot_now.pending, ["karyotype", "sterility"], "{name}");
        assert_eq!(lot_now.decisions.len(), 1, "{name}");
        assert_eq!(lot_now.decisions[0].signer_name, "Dr QP", "{name}");
        // The karyotype passes: still pending sterility.
        let lot_now = result(&store, &sid, lot.id, "karyotype", word("normal"), &qc)
            .await
            .unwrap();
        assert_eq!(lot_now.pending, ["sterility"], "{name}");

        // A shipment to the first site, handed over twice; the site's receipt ends it.
        let today = OffsetDateTime::now_utc().date();
        let ids: Vec<i64> = units.iter().map(|u| u.id).collect();
        let shipment = store
            .create_shipment(
                &study,
                &NewShipment {
                    site_id: site.clone(),
                    shipper: "DS-7".into(),
                    unit_ids: ids.clone(),
                },
                today,
                &qc,
            )
            .await
            .unwrap();
        assert_eq!(
            (shipment.state.as_str(), shipment.unit_ids.len()),
            ("in_transit", 4),
            "{name}"
        );
        let e = store
            .create_shipment(
                &study,
                &NewShipment {
                    site_id: site.clone(),
                    shipper: "DS-8".into(),
                    unit_ids: vec![ids[0]],
                },
                today,
                &qc,
            )
            .await
            .unwrap_err();
        assert!(e.to_string().contains("shipped already"), "{name}: {e}");
        let whole = Scope::Study(sid.clone());
        let at = OffsetDateTime::now_utc() - Duration::hours(2);
        store
            .record_handover(
                &whole,
                shipment.id,
                &NewHandover {
                    from: "Suzhou dispatch".into(),
                    place: "Suzhou".into(),
                    at,
                    received: false,
                },
                "Courier Wang",
                &qc,
            )
            .await
            .unwrap();
        let e = store
            .record_handover(
                &whole,
                shipment.id,
                &NewHandover {
                    from: "courier".into(),
                    place: "site".into(),
                    at: at - Duration::hours(1),
                    received: true,
                },
                "Pharmacist",
                &pharm,
            )
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("before the shipment's previous hand-over"),
            "{name}: {e}"
        );
        let received = store
            .record_handover(
                &whole,
                shipment.id,
                &NewHandover {
                    from: "Courier Wang".into(),
                    place: "SYSU3 pharmacy".into(),
                    at: at + Duration::hours(1),
                    received: true,
                },
                "Pharmacist Li",
                &pharm,
            )
            .await
            .unwrap();
        assert_eq!(received.state, "received", "{name}");
        assert_eq!(received.handovers.len(), 2, "{name}");
        assert_eq!(received.handovers[1].signed_by, "pharm", "{name}");
        // Another site's user does not see the shipment.
        let elsewhere = Scope::Sites {
            study: sid.clone(),
            sites: vec![study.sites[1].id.clone()],
        };
        assert!(
            matches!(
                store.shipment(&elsewhere, shipment.id).await,
                Err(StoreError::NotFound { .. })
            ),
            "{name}"
        );

        // The logger: a bad file is refused naming the line, nothing stored; then an excursion.
        let e = store
            .import_logger_file(
                &whole,
                shipment.id,
                "Timestamp,Temperature (°C)\n2026-03-02T08:00:00Z,cold\n",
                None,
                None,
                &qc,
            )
            .await
            .unwrap_err();
        assert!(e.to_string().contains("line 2"), "{name}: {e}");
        assert!(
            store
                .shipment(&whole, shipment.id)
                .await
                .unwrap()
                .excursions
                .is_empty(),
            "{name}"
        );
        let warm = logger_file(true);
        let imported = store
            .import_logger_file(&whole, shipment.id, &warm, None, None, &qc)
            .await
            .unwrap();
        assert_eq!(
            (
                imported.already,
                imported.readings,
                imported.excursions.len()
            ),
            (false, 6, 1),
            "{name}"
        );
        let excursion = &imported.excursions[0];
        assert_eq!(
            (excursion.kind.as_str(), excursion.minutes, excursion.peak_c),
            ("excursion", 5, Some(-141.5)),
            "{name}"
        );
        let again = store
            .import_logger_file(&whole, shipment.id, &warm, None, None, &qc)
            .await
            .unwrap();
        assert!(again.already && again.excursions.len() == 1, "{name}");

        // The participant's kit gets a unit of its own treatment.
        let (p, allocation) = randomised(&store, &study, "001").await;
        let placebo_kit = study
            .arms
            .iter()
            .any(|a| a.id == allocation.arm_id && a.kind == ArmKind::Placebo);
        let (mine, other) = if placebo_kit {
            (&units[2], &units[0])
        } else {
            (&units[0], &units[2])
        };
        let kit = allocation.kit_number.clone();
        let pharm_scope = Scope::Sites {
            study: sid.clone(),
            sites: vec![site.clone()],
        };
        let e = store
            .link_unit(&study, &pharm_scope, &kit, &other.label(), &pharm)
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("is not of the treatment kit"),
            "{name}: {e}"
        );
        let linked = store
            .link_unit(&study, &pharm_scope, &kit, &mine.label(), &pharm)
            .await
            .unwrap();
        assert_eq!(linked.kit_number.as_deref(), Some(kit.as_str()), "{name}");
        let e = store
            .link_unit(&study, &elsewhere, &kit, &units[1].label(), &pharm)
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::NotFound { .. }), "{name}: {e}");

        // At the bedside: held by the excursion until the qualified person decides. The dose
        // is given on the participant's day 1 (the anchor date), at the site's clock.
        let now = time::macros::datetime!(2026-11-01 10:00 +08:00);
        let given = NewAdministration {
            kit_number: Some(kit.clone()),
            unit: mine.label(),
            thawed_at: now - Duration::minutes(40),
            injected_at: now - Duration::minutes(5),
            dose_cells: 10_000_000,
            volume_ml: 5.0,
            weight_kg: 70.0,
            route: "intrathecal".into(),
            puncture_level: "L3-L4".into(),
        };
        let e = store
            .administer(&study, &pharm_scope, p, &given, &pharm)
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("temperature excursion"),
            "{name}: {e}"
        );
        let e = store
            .administer(
                &study,
                &pharm_scope,
                p,
                &NewAdministration {
                    unit: other.label(),
                    ..given.clone()
                },
                &pharm,
            )
            .await
            .unwrap_err();
        assert!(e.to_string().contains("linked to no kit"), "{name}: {e}");
        let e = store
            .administer(
                &study,
                &pharm_scope,
                p,
                &NewAdministration {
                    kit_number: Some("K000000".into()),
                    ..given.clone()
                },
                &pharm,
            )
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("is not this participant's kit"),
            "{name}: {e}"
        );
        let e = store
            .administer(
                &study,
                &pharm_scope,
                p,
                &NewAdministration {
                    puncture_level: "T12-L1".into(),
                    ..given.clone()
                },
                &pharm,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Invalid { field, .. } if field == "puncture_level"),
            "{name}: {e}"
        );
        let e = store
            .decide_excursion(&sid, excursion.id, "use", " ", &qp)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Invalid { field, .. } if field == "reason"),
            "{name}: {e}"
        );
        let decided = store
            .decide_excursion(
                &sid,
                excursion.id,
                "use",
                "5 minutes at -141.5 °C, below the glass transition; stability data cover it",
                &qp,
            )
            .await
            .unwrap();
        assert!(!decided.condition_hold, "{name}");
        let e = store
            .administer(
                &study,
                &pharm_scope,
                p,
                &NewAdministration {
                    thawed_at: now - Duration::minutes(70),
                    ..given.clone()
                },
                &pharm,
            )
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("over the product's limit of 60 minutes"),
            "{name}: {e}"
        );
        let record = store
            .administer(&study, &pharm_scope, p, &given, &pharm)
            .await
            .unwrap();
        assert_eq!(
            (record.participant_id, record.unit_id, record.dose_cells),
            (p, mine.id, 10_000_000),
            "{name}"
        );
        let e = store
            .administer(&study, &pharm_scope, p, &given, &pharm)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("already used"), "{name}: {e}");

        // The administration is the dosing visit's dose: dose 1 at "baseline", on the site's
        // date; its record reads alike for either treatment.
        assert_eq!(
            (
                record.dose_number,
                record.visit_id.as_deref(),
                record.dosed_on.as_str()
            ),
            (1, Some("baseline"), "2026-11-01"),
            "{name}"
        );
        let doses = store.doses_given(&pharm_scope, p).await.unwrap();
        assert_eq!(doses.len(), 1, "{name}");
        assert_eq!(
            (
                doses[0].dose_cells,
                doses[0].route.as_str(),
                doses[0].puncture_level.as_str()
            ),
            (10_000_000, "intrathecal", "L3-L4"),
            "{name}"
        );
        let shown = serde_json::to_value(&doses).unwrap().to_string();
        assert!(
            !shown.contains("placebo") && !shown.contains(&mine.label()),
            "{name}: {shown}"
        );
        // Exposure: the treatment only for an unblinded reader.
        let blinded = store.exposure(&whole, None).await.unwrap();
        assert_eq!(blinded.len(), 1, "{name}");
        assert_eq!(
            (
                blinded[0].participant_id,
                blinded[0].dose,
                blinded[0].dose_unit.as_str()
            ),
            (p, 10_000_000, "cells"),
            "{name}"
        );
        assert_eq!(blinded[0].treatment, None, "{name}");
        assert!(
            !serde_json::to_value(&blinded)
                .unwrap()
                .to_string()
                .contains("treatment"),
            "{name}"
        );
        // The blinded read leaves no audit row; the unblinded one is audited on the
        // unblinded chain: who read it, how many administrations, in what scope.
        assert!(
            store
                .audit_of("product", "exposure")
                .await
                .unwrap()
                .is_empty(),
            "{name}"
        );
        let open = store.exposure(&whole, Some(&pharm)).await.unwrap();
        let expected = if placebo_kit { "placebo" } else { "product" };
        assert_eq!(open[0].treatment.as_deref(), Some(expected), "{name}");
        let read = store.audit_of("product", "exposure").await.unwrap();
        assert_eq!(read.len(), 1, "{name}: {read:?}");
        assert!(read[0].chain.ends_with("/unblinded"), "{name}: {read:?}");
        assert_eq!(
            (read[0].action.as_str(), read[0].username.as_str()),
            ("read", "pharm"),
            "{name}"
        );
        let placebos = usize::from(placebo_kit);
        assert_eq!(
            read[0].new_value.as_deref(),
            Some(format!("1 administration(s), {placebos} placebo, study {sid}").as_str()),
            "{name}"
        );
        assert!(
            store.exposure(&elsewhere, None).await.unwrap().is_empty(),
            "{name}"
        );

        // The trace, both ways.
        let trace = store.trace_lot(&whole, lot.id).await.unwrap();
        assert_eq!(
            (
                trace.units.len(),
                trace.sites.clone(),
                trace.shipments.len()
            ),
            (4, vec![site.clone()], 1),
            "{name}"
        );
        assert_eq!(trace.recipients.len(), 1, "{name}");
        assert_eq!(
            (
                trace.recipients[0].participant_id,
                trace.recipients[0].unit_id
            ),
            (p, mine.id),
            "{name}"
        );
        assert_eq!(trace.bank.donor, "D-0042", "{name}");
        assert!(
            store
                .trace_lot(&elsewhere, lot.id)
                .await
                .unwrap()
                .recipients
                .is_empty(),
            "{name}"
        );
        let back = store.trace_participant(&whole, p).await.unwrap();
        assert_eq!(back.administrations.len(), 1, "{name}");
        let a = &back.administrations[0];
        assert_eq!(
            (
                a.lot_number.as_str(),
                a.bank.code.as_str(),
                a.bank.donor.as_str()
            ),
            ("L-001", "MCB-01", "D-0042"),
            "{name}"
        );
        assert_eq!(a.unit_label, mine.label(), "{name}");
        assert!(
            matches!(
                store.trace_participant(&elsewhere, p).await,
                Err(StoreError::NotFound { .. })
            ),
            "{name}"
        );

        // The 14-day sterility comes back positive after the unit was given.
        let failed = result(&store, &sid, lot.id, "sterility", word("positive"), &qc)
            .await
            .unwrap();
        assert_eq!(failed.state, "rejected", "{name}");
        assert!(
            failed
                .late_failure
                .as_deref()
                .unwrap_or("")
                .contains("failed after units were given"),
            "{name}"
        );
        let told = store
            .notifications(&sid, &[Role::SponsorAdmin], &inv)
            .await
            .unwrap();
        assert!(
            told.iter()
                .any(|n| n.kind == LATE_FAILURE && n.message.contains("L-001")),
            "{name}: {told:?}"
        );
        let told = store
            .notifications(&sid, &[Role::Investigator], &inv)
            .await
            .unwrap();
        assert!(
            told.iter()
                .any(|n| n.kind == LATE_FAILURE && n.participant_id == Some(p)),
            "{name}: {told:?}"
        );
        let mailed: Vec<String> = store
            .outbox(&sid)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.subject.contains("L-001 failed"))
            .map(|m| m.recipient)
            .collect();
        assert_eq!(
            mailed,
            ["sponsor@example.org", "inv-a@example.org"],
            "{name}"
        );
        // An investigator of another site is not told of this participant.
        let theirs = store
            .notifications_in(&elsewhere, &[Role::Investigator], &inv)
            .await
            .unwrap();
        assert!(
            !theirs.iter().any(|n| n.participant_id == Some(p)),
            "{name}: {theirs:?}"
        );
        // An event to follow is open for the recipient, closed with a note by the site.
        let events = store.product_events(&whole).await.unwrap();
        assert_eq!(events.len(), 1, "{name}: {events:?}");
        assert_eq!(
            (
                events[0].participant_id,
                events[0].state.as_str(),
                events[0].lot_number.as_str()
            ),
            (Some(p), "open", "L-001"),
            "{name}"
        );
        assert!(
            store.product_events(&elsewhere).await.unwrap().is_empty(),
            "{name}"
        );
        let e = store
            .close_product_event(&elsewhere, events[0].id, "called", &inv)
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::NotFound { .. }), "{name}: {e}");
        let closed = store
            .close_product_event(
                &pharm_scope,
                events[0].id,
                "Called; blood cultures taken",
                &inv,
            )
            .await
            .unwrap();
        assert_eq!(closed.state, "closed", "{name}");
        let e = store
            .close_product_event(&pharm_scope, events[0].id, "again", &inv)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("closed already"), "{name}: {e}");

        // What reveals the blind is on the unblinded chain only.
        let blind = store
            .audit_of("product", &format!("unit/{}", units[2].id))
            .await
            .unwrap();
        assert!(
            blind.iter().any(|r| r.field.as_deref() == Some("placebo")),
            "{name}"
        );
        for row in store
            .audit_of("product", &format!("unit/{}", units[2].id))
            .await
            .unwrap()
        {
            let reveals = matches!(row.field.as_deref(), Some("placebo" | "kit"));
            assert_eq!(
                reveals,
                row.chain.ends_with("/unblinded"),
                "{name}: {row:?}"
            );
        }
        let given_row = store
            .audit_of("product", &format!("administration/{}", record.id))
            .await
            .unwrap();
        for row in &given_row {
            assert_eq!(
                row.field.as_deref() == Some("unit"),
                row.chain.ends_with("/unblinded"),
                "{name}: {row:?}"
            );
        }
        assert!(
            matches!(
                store.verify_audit().await.unwrap(),
                AuditReport::Intact { .. }
            ),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_lot_with_a_failed_test_is_only_rejected_and_its_units_do_not_ship() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let name = format!("{:?}", store.dialect());
        let study = phase2(&store).await;
        let sid = study.id.clone();
        let qc = Actor::user(&user(&store, "qc").await);
        let qp = Actor::user(&user(&store, "qp").await);
        store
            .load_product_definition(&sid, PRODUCT, &qc)
            .await
            .unwrap();
        let bank = store
            .create_bank(
                &sid,
                &NewBank {
                    code: "MCB-02".into(),
                    donor: "D-7".into(),
                    hla_typing: "A*01:01".into(),
                },
                &qc,
            )
            .await
            .unwrap();
        let e = store
            .create_bank(
                &sid,
                &NewBank {
                    code: "MCB-02".into(),
                    donor: "D-8".into(),
                    hla_typing: "x".into(),
                },
                &qc,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Conflict { field, .. } if field == "code"),
            "{name}: {e}"
        );
        let e = store
            .create_lot(
                &sid,
                &NewLot {
                    expires_on: time::macros::date!(2026 - 10 - 01),
                    ..lot_input(bank.id, "L-2")
                },
                &qc,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Invalid { field, .. } if field == "expires_on"),
            "{name}: {e}"
        );
        let lot = store
            .create_lot(&sid, &lot_input(bank.id, "L-2"), &qc)
            .await
            .unwrap();
        let units = store
            .add_units(&sid, lot.id, &[unit(50, false)], &qc)
            .await
            .unwrap();
        // A quarantined lot's units do not ship.
        let today = OffsetDateTime::now_utc().date();
        let ship = NewShipment {
            site_id: study.sites[0].id.clone(),
            shipper: "DS-1".into(),
            unit_ids: vec![units[0].id],
        };
        let e = store
            .create_shipment(&study, &ship, today, &qc)
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("lot is quarantined, not released"),
            "{name}: {e}"
        );
        let lot_now = result(
            &store,
            &sid,
            lot.id,
            "identity",
            ResultValue::Number(40.0),
            &qc,
        )
        .await
        .unwrap();
        assert_eq!(lot_now.results[0].verdict, "fail", "{name}");
        let pending = Disposition::ReleaseConditionally {
            pending: vec!["sterility".into()],
        };
        let e = store
            .decide_lot(&sid, lot.id, &pending, "Dr QP", &qp)
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("can only be rejected"),
            "{name}: {e}"
        );
        let rejected = store
            .decide_lot(
                &sid,
                lot.id,
                &Disposition::Reject {
                    reason: "identity 40 %".into(),
                },
                "Dr QP",
                &qp,
            )
            .await
            .unwrap();
        assert_eq!(
            (rejected.state.as_str(), rejected.reason.as_deref()),
            ("rejected", Some("identity 40 %")),
            "{name}"
        );
        let e = store
            .create_shipment(&study, &ship, today, &qc)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("lot is rejected"), "{name}: {e}");
        // A released lot past its last ship date does not ship either.
        let late = store
            .create_lot(
                &sid,
                &NewLot {
                    expires_on: today + Duration::days(10),
                    ..lot_input(bank.id, "L-3")
                },
                &qc,
            )
            .await
            .unwrap();
        let late_units = store
            .add_units(&sid, late.id, &[unit(60, false)], &qc)
            .await
            .unwrap();
        for (test, value) in [
            ("sterility", word("negative")),
            ("mycoplasma", word("negative")),
            ("endotoxin", ResultValue::Number(0.5)),
            ("viability", ResultValue::Number(86.0)),
            ("identity", ResultValue::Number(93.0)),
            ("residual_ipsc", ResultValue::Number(0.05)),
            ("karyotype", word("normal")),
        ] {
            result(&store, &sid, late.id, test, value, &qc)
                .await
                .unwrap();
        }
        let released = store
            .decide_lot(&sid, late.id, &Disposition::Release, "Dr QP", &qp)
            .await
            .unwrap();
        assert_eq!(released.state, "released", "{name}");
        let e = store
            .create_shipment(
                &study,
                &NewShipment {
                    unit_ids: vec![late_units[0].id],
                    ..ship.clone()
                },
                today,
                &qc,
            )
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("the last day it could ship was"),
            "{name}: {e}"
        );
        assert!(
            store
                .shipments(&Scope::Study(sid.clone()))
                .await
                .unwrap()
                .is_empty(),
            "{name}"
        );
        assert_eq!(store.lots(&sid).await.unwrap().len(), 2, "{name}");
    }
}
