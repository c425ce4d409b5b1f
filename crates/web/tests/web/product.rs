//! The cell product through the API, on both databases, as the roles that do each step: QC
//! loads the product definition and registers a bank, a lot and its units (active and placebo,
//! labelled alike), enters the release results signed with the password; the qualified person
//! releases the lot conditionally; QC ships it, the site's pharmacist signs the receipt and
//! imports the logger file whose excursion holds the units until the qualified person decides;
//! the pharmacist links a unit to the participant's kit and gives it at the bedside; a late
//! sterility failure notifies the sponsor; the trace runs both ways. Blinded roles never see a
//! placebo flag or which unit went into which kit; each role may do only its own steps.

use reqwest::StatusCode;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};
use trial::product::isbt128::Din;

use crate::allocation::{enrolled, spawn_with};
use crate::common::{self, login, Client, TestApp, PASSWORD, PHASE2};
use crate::labs::fields;

pub(crate) const PRODUCT: &str = include_str!("../../../../studies/xs228-product.toml");

/// A unit's body: DIN of facility G1234, year 26, sequence `n`, with its check character.
pub(crate) fn unit(n: u32, placebo: bool) -> Value {
    let din = format!("G123426{n:06}");
    let check = Din::parse(&din).unwrap().check_character().to_string();
    json!({ "din": din, "check_character": check, "product_code": "E1234V00", "placebo": placebo })
}

fn label(u: &Value) -> String {
    format!(
        "{}{}",
        u["din"].as_str().unwrap(),
        u["check_character"].as_str().unwrap()
    )
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// A logger file: six readings five minutes apart, ending 30 minutes ago, one above −150 °C.
fn warm_file() -> String {
    let end = OffsetDateTime::now_utc() - Duration::minutes(30);
    let mut text = String::from("Timestamp,Temperature (°C)\n");
    for i in 0..6 {
        let c = if i == 3 { "-141.5" } else { "-180.0" };
        text.push_str(&format!(
            "{},{c}\n",
            rfc3339(end - Duration::minutes(5 * (5 - i)))
        ));
    }
    text
}

/// What [`seed`] made.
pub(crate) struct Seeded {
    pub lot: i64,
    pub shipment: i64,
    pub excursion: i64,
    /// The units' bodies as answered to QC (with `placebo`).
    pub units: Vec<Value>,
    /// The unit given, and to whom.
    pub given: Option<(Value, i64)>,
}

fn ok(what: &str, (status, body): (StatusCode, Value)) -> Value {
    assert!(status.is_success(), "{what}: {status} {body}");
    body
}

/// QC loads the product definition and registers bank `MCB-01` (donor `D-0042`), lot `L-001`
/// and `units` in study `sid`: the lot's id and the units as answered to QC.
pub(crate) async fn labelled_lot(qc: &Client, sid: &str, units: &[Value]) -> (i64, Vec<Value>) {
    let base = format!("/api/studies/{sid}/product");
    ok(
        "definition",
        qc.post(&format!("{base}/definition"), &json!({ "source": PRODUCT }))
            .await,
    );
    let bank = ok(
        "bank",
        qc.post(
            &format!("{base}/banks"),
            &json!({ "code": "MCB-01", "donor": "D-0042", "hla_typing": "A*02:01 B*07:02" }),
        )
        .await,
    );
    let lot = ok(
        "lot",
        qc.post(
            &format!("{base}/lots"),
            &json!({
                "bank_id": bank["id"], "lot_number": "L-001", "manufacturing_site": "Suzhou",
                "manufactured_on": "2026-11-01", "cell_count": 2_000_000_000_i64,
                "expires_on": "2027-06-30"
            }),
        )
        .await,
    );
    let lot_id = lot["id"].as_i64().unwrap();
    let units = ok(
        "units",
        qc.post(
            &format!("{base}/lots/{lot_id}/units"),
            &json!({ "units": units }),
        )
        .await,
    );
    (lot_id, units.as_array().unwrap().clone())
}

/// A product history over `app` (a Phase II study with its list, and a kit dispensed to
/// `participant` at site A): a lot released conditionally, its four units (two placebo)
/// shipped to site A and received, a logger file with an excursion decided `use`, and the
/// unit of the participant's kit given. The people of `crate::allocation` act.
pub(crate) async fn seed(app: &TestApp, participant: Option<(i64, &str)>) -> Seeded {
    let sid = &app.study.id;
    let (qc, qp, pharm) = (
        login(app, "qc").await,
        login(app, "qp").await,
        login(app, "pharm").await,
    );
    let base = format!("/api/studies/{sid}/product");
    let (lot_id, units) = labelled_lot(
        &qc,
        sid,
        &[unit(1, false), unit(2, false), unit(3, true), unit(4, true)],
    )
    .await;
    for (test, value) in [
        ("mycoplasma", json!("negative")),
        ("endotoxin", json!(0.5)),
        ("viability", json!(86)),
        ("identity", json!(93)),
        ("residual_ipsc", json!(0.05)),
        ("karyotype", json!("normal")),
    ] {
        ok(
            test,
            qc.post(
                &format!("{base}/lots/{lot_id}/results"),
                &json!({ "test_id": test, "value": value, "password": PASSWORD }),
            )
            .await,
        );
    }
    let released = ok(
        "release",
        qp.post(
            &format!("{base}/lots/{lot_id}/decision"),
            &json!({ "decision": "release_conditionally", "pending": ["sterility"], "password": PASSWORD }),
        )
        .await,
    );
    assert_eq!(released["state"], "conditionally_released", "{released}");
    let ids: Vec<i64> = units.iter().map(|u| u["id"].as_i64().unwrap()).collect();
    let shipment = ok(
        "shipment",
        qc.post(
            &format!("{base}/shipments"),
            &json!({ "site_id": app.study.sites[0].id, "shipper": "DS-7", "unit_ids": ids }),
        )
        .await,
    );
    let shipment_id = shipment["id"].as_i64().unwrap();
    let at = OffsetDateTime::now_utc() - Duration::hours(2);
    ok(
        "dispatch",
        qc.post(
            &format!("{base}/shipments/{shipment_id}/handovers"),
            &json!({ "from": "Suzhou dispatch", "place": "Suzhou", "at": rfc3339(at), "password": PASSWORD }),
        )
        .await,
    );
    let received = ok(
        "receipt",
        pharm
            .post(
                &format!("{base}/shipments/{shipment_id}/handovers"),
                &json!({ "from": "Courier Wang", "place": "Pharmacy", "at": rfc3339(at + Duration::hours(1)), "password": PASSWORD }),
            )
            .await,
    );
    assert_eq!(received["state"], "received", "{received}");
    let imported = ok(
        "logger",
        pharm
            .post(
                &format!("{base}/shipments/{shipment_id}/logger"),
                &json!({ "file": warm_file() }),
            )
            .await,
    );
    let excursion = imported["excursions"][0]["id"].as_i64().unwrap();
    ok(
        "excursion",
        qp.post(
            &format!("{base}/excursions/{excursion}/decision"),
            &json!({ "decision": "use", "reason": "5 minutes at -141.5 °C; stability data cover it", "password": PASSWORD }),
        )
        .await,
    );
    let mut given = None;
    if let Some((p, kit)) = participant {
        let (_, kits) = pharm.get(&format!("/api/studies/{sid}/kits")).await;
        let arm = kits
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kit_number"] == kit)
            .unwrap()["arm_id"]
            .clone();
        let placebo = app
            .study
            .arms
            .iter()
            .any(|a| a.id == arm && a.kind == trial::ArmKind::Placebo);
        let mine = units
            .iter()
            .find(|u| u["placebo"] == placebo)
            .unwrap()
            .clone();
        ok(
            "link",
            pharm
                .post(
                    &format!("{base}/kits/{kit}/unit"),
                    &json!({ "unit": label(&mine) }),
                )
                .await,
        );
        // On the participant's day 1 (the anchor date of `enrolment`), at the site's clock.
        let now = time::macros::datetime!(2026-10-24 10:00 +08:00);
        ok(
            "administration",
            pharm
                .post(
                    &format!("/api/studies/{sid}/participants/{p}/administrations"),
                    &json!({
                        "kit_number": kit, "unit": label(&mine),
                        "thawed_at": rfc3339(now - Duration::minutes(40)),
                        "injected_at": rfc3339(now - Duration::minutes(5)),
                        "dose_cells": 10_000_000, "volume_ml": 5.0, "weight_kg": 70.0,
                        "route": "intrathecal", "puncture_level": "L3-L4"
                    }),
                )
                .await,
        );
        given = Some((mine, p));
    }
    Seeded {
        lot: lot_id,
        shipment: shipment_id,
        excursion,
        units,
        given,
    }
}

/// A participant randomised at site A by the coordinator, its kit dispensed by the
/// pharmacist: its id and kit.
pub(crate) async fn dosable(app: &TestApp, crc: &Client) -> (i64, String) {
    let sid = &app.study.id;
    let p = enrolled(app, crc, 0, "P1", false).await;
    let (status, a) = crc
        .post(
            &format!("/api/studies/{sid}/participants/{p}/randomisation"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let kit = a["kit_number"].as_str().unwrap().to_string();
    let pharm = login(app, "pharm").await;
    let (status, body) = pharm
        .post(
            &format!("/api/studies/{sid}/participants/{p}/dispensing"),
            &json!({ "kit_number": kit }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (p, kit)
}

#[tokio::test]
async fn a_unit_goes_from_lot_release_to_an_injection_and_the_blind_holds() {
    for db in common::databases("scitrial_product_api").await {
        let app = common::with_list(spawn_with(db.url(), PHASE2).await).await;
        let sid = app.study.id.clone();
        let base = format!("/api/studies/{sid}/product");
        let (crc, qc, qp, pharm, inv, admin) = (
            login(&app, "crc").await,
            login(&app, "qc").await,
            login(&app, "qp").await,
            login(&app, "pharm").await,
            login(&app, "inv").await,
            login(&app, "admin").await,
        );
        // Only QC loads the definition; a bad one is refused at its key path.
        let (status, _) = crc
            .post(&format!("{base}/definition"), &json!({ "source": PRODUCT }))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, err) = qc
            .post(
                &format!("{base}/definition"),
                &json!({ "source": PRODUCT.replace("storage_max_c = -150", "storage_max_c = 50") }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(fields(&err), ["storage_max_c"], "{err}");
        let (status, _) = crc.get(&format!("{base}/definition")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let (p, kit) = dosable(&app, &crc).await;
        let seeded = seed(&app, Some((p, &kit))).await;
        let (mine, _) = seeded.given.clone().unwrap();
        // QC, who labels them, sees which units are placebo.
        let placebo = seeded.units.iter().filter(|u| u["placebo"] == true);
        assert_eq!(placebo.count(), 2, "{:?}", seeded.units);
        let (status, definition) = crc.get(&format!("{base}/definition")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(definition["thaw_to_administration_minutes"], 60);

        // A wrong check character is refused naming the unit's field; a wrong password too.
        let mut bad = unit(9, false);
        bad["check_character"] = json!(if bad["check_character"] == "A" {
            "B"
        } else {
            "A"
        });
        let (status, err) = qc
            .post(
                &format!("{base}/lots/{}/units", seeded.lot),
                &json!({ "units": [bad] }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(fields(&err), ["units[0].check_character"], "{err}");
        let (status, err) = qc
            .post(
                &format!("{base}/lots/{}/results", seeded.lot),
                &json!({ "test_id": "sterility", "value": "positive", "password": "wrong" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{err}");
        // Each role its own steps.
        for (client, path, body) in [
            (
                &qp,
                format!("{base}/lots/{}/results", seeded.lot),
                json!({ "test_id": "sterility", "value": "negative", "password": PASSWORD }),
            ),
            (
                &qc,
                format!("{base}/lots/{}/decision", seeded.lot),
                json!({ "decision": "release", "password": PASSWORD }),
            ),
            (
                &qc,
                format!("{base}/excursions/{}/decision", seeded.excursion),
                json!({ "decision": "use", "reason": "r", "password": PASSWORD }),
            ),
            (
                &crc,
                format!("{base}/kits/{kit}/unit"),
                json!({ "unit": label(&mine) }),
            ),
            (
                &inv,
                format!("/api/studies/{sid}/participants/{p}/administrations"),
                json!({}),
            ),
        ] {
            let (status, body) = client.post(&path, &body).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        }
        // The bedside refuses a used unit, naming it.
        let now = time::macros::datetime!(2026-10-24 10:30 +08:00);
        let (status, err) = pharm
            .post(
                &format!("/api/studies/{sid}/participants/{p}/administrations"),
                &json!({
                    "kit_number": kit, "unit": label(&mine),
                    "thawed_at": rfc3339(now - Duration::minutes(20)),
                    "injected_at": rfc3339(now - Duration::minutes(1)),
                    "dose_cells": 10_000_000, "volume_ml": 5.0, "weight_kg": 70.0,
                    "route": "intrathecal", "puncture_level": "L3-L4"
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert!(err.to_string().contains("already used"), "{err}");

        // Blinded roles see units alike, and recipients without their unit.
        let units_path = format!("{base}/lots/{}/units", seeded.lot);
        let (_, seen) = crc.get(&units_path).await;
        for u in seen.as_array().unwrap() {
            assert!(
                u.get("placebo").is_none() && u.get("kit_number").is_none(),
                "{u}"
            );
        }
        let (_, seen) = pharm.get(&units_path).await;
        let placebos = seen
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["placebo"] == true)
            .count();
        assert_eq!(placebos, 2, "{seen}");
        let trace_path = format!("{base}/lots/{}/trace", seeded.lot);
        let (status, trace) = inv.get(&trace_path).await;
        assert_eq!(status, StatusCode::OK, "{trace}");
        assert_eq!(trace["recipients"][0]["participant_id"], p, "{trace}");
        assert!(trace["recipients"][0].get("unit_id").is_none(), "{trace}");
        assert_eq!(trace["sites"], json!([app.study.sites[0].id]), "{trace}");
        let (_, trace) = pharm.get(&trace_path).await;
        assert_eq!(trace["recipients"][0]["unit_id"], mine["id"], "{trace}");
        let back = format!("/api/studies/{sid}/participants/{p}/product");
        let (status, traced) = inv.get(&back).await;
        assert_eq!(status, StatusCode::OK, "{traced}");
        let a = &traced["administrations"][0];
        assert_eq!(
            (&a["lot_number"], &a["bank"]["donor"], &a["puncture_level"]),
            (&json!("L-001"), &json!("D-0042"), &json!("L3-L4")),
            "{traced}"
        );
        assert!(a.get("unit_label").is_none(), "{traced}");
        let (_, traced) = pharm.get(&back).await;
        assert_eq!(traced["administrations"][0]["unit_label"], label(&mine));
        // The dose as the dosing visit shows it, alike for either treatment; the exposure with
        // its treatment only for the unblinded.
        let doses_path = format!("/api/studies/{sid}/participants/{p}/doses");
        let (status, doses) = crc.get(&doses_path).await;
        assert_eq!(status, StatusCode::OK, "{doses}");
        assert_eq!(
            (
                &doses[0]["dose_number"],
                &doses[0]["visit_id"],
                &doses[0]["dosed_on"]
            ),
            (&json!(1), &json!("baseline"), &json!("2026-10-24")),
            "{doses}"
        );
        assert!(doses[0].get("unit_id").is_none(), "{doses}");
        let exposure_path = format!("{base}/exposure");
        let (status, exposure) = inv.get(&exposure_path).await;
        assert_eq!(status, StatusCode::OK, "{exposure}");
        assert_eq!(
            (
                &exposure[0]["participant_id"],
                &exposure[0]["dose"],
                &exposure[0]["dose_unit"]
            ),
            (&json!(p), &json!(10_000_000), &json!("cells")),
            "{exposure}"
        );
        assert!(exposure[0].get("treatment").is_none(), "{exposure}");
        let (_, exposure) = pharm.get(&exposure_path).await;
        let treatment = if mine["placebo"] == true {
            "placebo"
        } else {
            "product"
        };
        assert_eq!(exposure[0]["treatment"], treatment, "{exposure}");
        // The site's stock: the three units left at site A.
        let (status, supply) = pharm.get(&format!("{base}/supply")).await;
        assert_eq!(status, StatusCode::OK, "{supply}");
        assert_eq!(supply["sites"][0]["usable"], 3, "{supply}");
        // Another site's coordinator does not reach the participant or the shipment.
        let crcb = login(&app, "crcb").await;
        assert_eq!(crcb.get(&back).await.0, StatusCode::NOT_FOUND);
        let (status, _) = crcb
            .get(&format!("{base}/shipments/{}", seeded.shipment))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, trace) = crcb.get(&trace_path).await;
        assert_eq!(trace["recipients"], json!([]), "{trace}");

        // The 14-day sterility fails after the injection: the lot is rejected and the sponsor
        // told.
        let (status, lot) = qc
            .post(
                &format!("{base}/lots/{}/results", seeded.lot),
                &json!({ "test_id": "sterility", "value": "positive", "password": PASSWORD }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{lot}");
        assert_eq!(lot["state"], "rejected", "{lot}");
        assert!(lot["late_failure"].is_string(), "{lot}");
        let (_, notes) = admin
            .get(&format!("/api/studies/{sid}/notifications"))
            .await;
        assert!(
            notes
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["message"].as_str().unwrap_or("").contains("L-001")),
            "{notes}"
        );
        // The recipient's investigator is told too, and follows the event up; another site's
        // investigator neither sees it nor closes it.
        let (status, notes) = inv.get(&format!("/api/studies/{sid}/notifications")).await;
        assert_eq!(status, StatusCode::OK, "{notes}");
        assert!(
            notes
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["participant_id"] == p),
            "{notes}"
        );
        let invb = login(&app, "invb").await;
        let (_, notes) = invb.get(&format!("/api/studies/{sid}/notifications")).await;
        assert!(
            !notes
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["participant_id"] == p),
            "{notes}"
        );
        let (_, events) = inv.get(&format!("{base}/events")).await;
        assert_eq!(events[0]["participant_id"], p, "{events}");
        assert_eq!(events[0]["state"], "open", "{events}");
        let event = events[0]["id"].as_i64().unwrap();
        let close = format!("{base}/events/{event}/close");
        let (status, _) = invb.post(&close, &json!({ "note": "called" })).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = crc.post(&close, &json!({ "note": "called" })).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, err) = inv.post(&close, &json!({ "note": " " })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(fields(&err), ["note"], "{err}");
        let (status, closed) = inv
            .post(
                &close,
                &json!({ "note": "Called; cultures taken, no fever" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{closed}");
        assert_eq!(closed["state"], "closed", "{closed}");
        // Bad input: malformed ids are 404, bodies name their fields.
        assert_eq!(
            crc.get(&format!("{base}/lots/x")).await.0,
            StatusCode::NOT_FOUND
        );
        let (status, err) = qc
            .post(&format!("{base}/lots"), &json!({ "bank_id": 1 }))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
        assert_eq!(fields(&err), ["lot_number"], "{err}");
        let (status, err) = qc
            .post(
                &format!("{base}/lots"),
                &json!({
                    "bank_id": 1, "lot_number": "l 1", "manufacturing_site": "x",
                    "manufactured_on": "2026-11-01", "cell_count": 1, "expires_on": "2027-01-01"
                }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(fields(&err), ["lot_number"], "{err}");
        let (status, err) = pharm
            .post(
                &format!("{base}/shipments/{}/logger", seeded.shipment),
                &json!({ "file": "Timestamp,Temperature (°C)\n2026-03-02T08:00:00Z,cold\n" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(err.to_string().contains("line 2"), "{err}");
        assert!(matches!(
            app.store.verify_audit().await.unwrap(),
            store::AuditReport::Intact { .. }
        ));
    }
}

/// The immunogenicity form's donor HLA typing comes from the study's master cell bank, not
/// from the site: typed, it is refused naming the field and what the bank holds; left out, the
/// save fills it in; it is the same for participants of both arms, so it tells nothing of the
/// allocation; the form's page shows it read-only.
#[tokio::test]
async fn the_donor_hla_typing_comes_from_the_master_cell_bank_for_every_arm() {
    for db in common::databases("scitrial_donor_hla").await {
        let app = common::with_list(spawn_with(db.url(), PHASE2).await).await;
        let sid = app.study.id.clone();
        let (crc, qc) = (login(&app, "crc").await, login(&app, "qc").await);
        let mut ids = Vec::new();
        for n in ["P1", "P2", "P3", "P4"] {
            let id = enrolled(&app, &crc, 0, n, false).await;
            let (status, a) = crc
                .post(
                    &format!("/api/studies/{sid}/participants/{id}/randomisation"),
                    &json!({}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{a}");
            ids.push(id);
        }
        let form = |id: i64| {
            format!("/api/studies/{sid}/participants/{id}/visits/week-4/forms/immunogenicity")
        };
        let body = |donor: Option<&str>| {
            let mut values = json!({
                "sample_date": "2026-11-20", "recipient_hla": "A*01:01 B*08:01",
                "dsa_specificity": "none", "dsa_mfi": 300, "mfi_cutoff": 1000,
                "dsa_positive": false
            });
            if let Some(d) = donor {
                values["donor_hla"] = json!(d);
            }
            json!({ "values": values, "status": "complete" })
        };
        // No bank yet: a typed typing is refused at its field; left out, the form saves without.
        let (status, err) = crc.post(&form(ids[0]), &body(Some("A*03:01"))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(fields(&err), ["values.donor_hla"], "{err}");
        assert!(err.to_string().contains("no bank is recorded yet"), "{err}");
        let (status, saved) = crc.post(&form(ids[0]), &body(None)).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert!(saved["data"]["donor_hla"].is_null(), "{saved}");

        // QC registers the study's bank.
        let base = format!("/api/studies/{sid}/product");
        let (status, b) = qc
            .post(&format!("{base}/definition"), &json!({ "source": PRODUCT }))
            .await;
        assert!(status.is_success(), "{b}");
        let (status, b) = qc
            .post(
                &format!("{base}/banks"),
                &json!({ "code": "MCB-01", "donor": "D-0042", "hla_typing": "A*02:01 B*07:02" }),
            )
            .await;
        assert!(status.is_success(), "{b}");
        let held = "MCB-01: A*02:01 B*07:02";

        // Typed otherwise, refused naming what the bank holds; sent back as held, accepted.
        let (status, err) = crc.post(&form(ids[1]), &body(Some("A*03:01"))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(fields(&err), ["values.donor_hla"], "{err}");
        assert!(err.to_string().contains(held), "{err}");
        let (status, saved) = crc.post(&form(ids[1]), &body(Some(held))).await;
        assert_eq!(
            (status, saved["data"]["donor_hla"].as_str()),
            (StatusCode::OK, Some(held))
        );
        // Left out, filled in — for every participant alike, whichever arm.
        for &id in &ids[2..] {
            let (status, saved) = crc.post(&form(id), &body(None)).await;
            assert_eq!(
                (status, saved["data"]["donor_hla"].as_str()),
                (StatusCode::OK, Some(held)),
                "{saved}"
            );
        }
        let mut arms = Vec::new();
        for &id in &ids {
            let scope = store::Scope::Study(sid.clone());
            let a = app.store.allocation(&scope, id).await.unwrap().unwrap();
            arms.push(a.arm_id);
        }
        arms.sort();
        arms.dedup();
        assert_eq!(
            arms.len(),
            2,
            "the four participants fall in both arms: {arms:?}"
        );

        // The form's page shows the bank's typing read-only, with nothing to type.
        let (status, page) = crc
            .text(
                "get",
                &format!(
                    "/studies/{sid}/participants/{}/visits/week-4/ecrf/immunogenicity",
                    ids[2]
                ),
                &Value::Null,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let at = page.find("id=\"f-donor_hla\"").expect("the field is shown");
        let tag = &page[page[..at].rfind('<').unwrap()..];
        let tag = &tag[..tag.find('>').unwrap()];
        assert!(tag.contains("readonly") && !tag.contains("name="), "{tag}");
        assert!(page.contains(held), "the page shows the bank's typing");
    }
}
