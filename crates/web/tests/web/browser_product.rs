//! The cell product in a real browser, issue 17's "Done when", on SQLite AND on PostgreSQL:
//! npm `playwright-core` driving Debian's Chromium against the real server on port 0, with the
//! launch helpers of [`crate::browser`]. The script is `tests/browser/product.test.js`: QC
//! labels units on the lot's page, enters and signs every release result; the qualified person
//! releases the lot, signed (a wrong password refused); QC ships the units and signs the
//! dispatch; the site's pharmacist signs the receipt and imports the dry shipper's logger file
//! (`tests/browser/fixtures/dry-shipper.csv`; a bad copy refused naming its line), whose
//! excursion shows with start, duration and peak until the qualified person's signed decision;
//! at the bedside the pharmacist scans the kit and a unit of the wrong treatment (refused with
//! the reason in Chinese), then the right one, and records thaw, preparation and injection; a
//! blinded investigator walks the product's pages and never learns which units are placebo;
//! the trace from the lot lists the participant. What the test sets up outside the pages is
//! what no person does in a page of this walk: the accounts, the participant's randomisation
//! and dispensed kit, the product definition, the bank, the lot and its first two units.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::allocation::spawn_with;
use crate::browser::{run_script, scripts};
use crate::common::{self, login, PASSWORD, PHASE2};
use crate::product::{dosable, labelled_lot, unit};

#[tokio::test]
async fn a_unit_from_lot_release_to_an_injection_in_a_real_browser_on_both_databases() {
    let Some(dir) = scripts("product browser test") else {
        return;
    };
    for db in common::databases("scitrial_browser_product").await {
        let tmp = std::env::temp_dir().join(store::testing::unique("scitrial_browser_product"));
        std::fs::create_dir_all(&tmp).unwrap();
        let app = common::with_list(spawn_with(db.url(), PHASE2).await).await;
        let sid = app.study.id.clone();
        let crc = login(&app, "crc").await;
        let (participant, kit) = dosable(&app, &crc).await;
        let qc = login(&app, "qc").await;
        let (lot_id, _) = labelled_lot(&qc, &sid, &[unit(1, false), unit(2, true)]).await;
        // The participant's kit names the treatment its unit must hold (the pharmacist, who
        // is unblinded, sees it on the kits page and on the units' rows).
        let pharm = login(&app, "pharm").await;
        let (_, kits) = pharm.get(&format!("/api/studies/{sid}/kits")).await;
        let arm = kits
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kit_number"] == kit.as_str())
            .unwrap()["arm_id"]
            .clone();
        let placebo = app
            .study
            .arms
            .iter()
            .any(|a| a.id == arm && a.kind == trial::ArmKind::Placebo);
        // The two units QC labels on the page: one of each treatment.
        let (third, fourth) = (unit(3, false), unit(4, true));
        let label = |u: &Value| {
            format!(
                "{}{}",
                u["din"].as_str().unwrap(),
                u["check_character"].as_str().unwrap()
            )
        };
        let (right, wrong) = if placebo {
            (label(&fourth), label(&third))
        } else {
            (label(&third), label(&fourth))
        };
        let logger = std::fs::read_to_string(dir.join("fixtures/dry-shipper.csv")).unwrap();
        let data = json!({
            "database": db.name(),
            "password": PASSWORD,
            "qc": "qc", "qp": "qp", "pharmacist": "pharm", "blinded": ["inv", "mon"],
            "product": format!("/studies/{sid}/product"),
            "lot": format!("/studies/{sid}/product/lots/{lot_id}"),
            "trace": format!("/studies/{sid}/product/lots/{lot_id}/trace"),
            "bedside": format!("/studies/{sid}/product/bedside"),
            "recipient": format!("/studies/{sid}/participants/{participant}/product"),
            "participant": participant,
            "kit": kit,
            // Day 1 of the participant (the anchor date `enrolment` gives).
            "dosingDay": "2026-10-24",
            "newUnits": [third, fourth],
            "results": [
                ["sterility", "negative"], ["mycoplasma", "negative"], ["endotoxin", "0.5"],
                ["viability", "86"], ["identity", "93"], ["residual_ipsc", "0.05"],
                ["karyotype", "normal"]
            ],
            "rightUnit": right,
            "wrongUnit": wrong,
            "loggerFile": dir.join("fixtures/dry-shipper.csv"),
            "badLogger": logger.replace("-146.2", "warm"),
        });
        let data_file = tmp.join("data.json");
        std::fs::write(&data_file, data.to_string()).unwrap();
        let output = run_script(&dir, "product.test.js", app.base.clone(), data_file).await;
        assert!(
            output.status.success(),
            "the browser test failed on {}",
            db.name()
        );
        // What the pages did is in the store: the unit given to the participant, traced.
        let inv = login(&app, "inv").await;
        let (status, trace) = inv
            .get(&format!("/api/studies/{sid}/product/lots/{lot_id}/trace"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            trace["recipients"][0]["participant_id"], participant,
            "{trace}"
        );
        assert_eq!(trace["lot"]["state"], "released", "{trace}");
        std::fs::remove_dir_all(&tmp).ok();
    }
}
