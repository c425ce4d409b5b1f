//! Laboratory results in a real browser, issue 21's "Done when", on SQLite AND on PostgreSQL:
//! npm `playwright-core` driving Debian's Chromium against the real server on port 0, with the
//! launch helpers of [`crate::browser`]. The script is `tests/browser/labs.test.js`: the
//! coordinator previews and imports a central lab's file (refused whole with a bad row; the
//! same file again changes nothing), enters a value (an implausible one refused naming the
//! test) and an MRI read, sees the low value's flag and CTCAE grade; the investigator turns it
//! into a graded adverse event; the DSMB statistician's page shows the worst grades by arm
//! (the event's term and grade, and the lab value's). What the test sets up outside the pages
//! is what no person does in a page of the walk: the accounts, the normal ranges (the data
//! manager's API call) and the participant's enrolment and randomisation. Skipped as the
//! other browser tests are when node, the script's `node_modules` or Chromium is missing.

use crate::api::{enrolled, login, spawn};
use crate::browser::{run_script, scripts};
use crate::common::{self, PASSWORD};
use crate::labs::RANGES;

#[tokio::test]
async fn lab_results_in_a_real_browser_on_both_databases() {
    let Some(dir) = scripts("labs browser test") else {
        return;
    };
    for db in common::databases("scitrial_browser_labs").await {
        let tmp = std::env::temp_dir().join(store::testing::unique("scitrial_browser_labs"));
        std::fs::create_dir_all(&tmp).unwrap();
        let app = spawn(db.url()).await;
        app.store
            .load_terms(&web::demo::demo_terms(), &store::Actor::system())
            .await
            .unwrap();
        let (sid, site) = (app.study.id.clone(), app.study.sites[0].id.clone());
        let dm = login(&app, "dm").await;
        let (status, body) = dm
            .post(
                &format!("/api/studies/{sid}/labs/ranges"),
                &serde_json::json!({ "file": RANGES }),
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::OK, "{body}");
        let crc = login(&app, "crc").await;
        let id = enrolled(&crc, &sid, &site, "B-1", "XS-B1").await;
        let (status, body) = crc
            .post(
                &format!("/api/studies/{sid}/participants/{id}/randomisation"),
                &serde_json::json!({}),
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
        let file = "participant,visit,collected_at,test,value,unit,lab_range\n\
                    XS-B1,week-2,2026-11-05T08:00:00+08:00,NEUT,0.8,10*9/L,2.0-7.5\n\
                    XS-B1,week-2,2026-11-05T08:00:00+08:00,ALT,35,U/L,7-40\n";
        let data = serde_json::json!({
            "database": db.name(),
            "crc": "crc",
            "investigator": "inv",
            "dsmb": "dsmb",
            "password": PASSWORD,
            "studyLabs": format!("/studies/{sid}/labs"),
            "participantLabs": format!("/studies/{sid}/participants/{id}/labs"),
            "mriPath": format!("/studies/{sid}/participants/{id}/visits/week-24/ecrf/mri-read"),
            "dsmbPage": format!("/studies/{sid}/safety/dsmb"),
            "arms": app.study.arms.iter().map(|a| a.name.clone()).collect::<Vec<_>>(),
            "mri": { "read_date": "2026-10-20", "reader": "Dr Wei", "lesion_length_mm": "18.5",
                     "cord_oedema": "true", "syrinx": "false", "mass_at_injection_site": "false" },
            "file": file,
            "badFile": file.replace("35,U/L", "35000000,U/L"),
            "collectedAt": "2026-11-06T09:00:00+08:00",
        });
        let data_file = tmp.join("data.json");
        std::fs::write(&data_file, data.to_string()).unwrap();

        let base = app.base.clone();
        let output = run_script(&dir, "labs.test.js", base, data_file).await;
        assert!(
            output.status.success(),
            "the browser test failed on {}",
            db.name()
        );
        std::fs::remove_dir_all(&tmp).ok();
    }
}
