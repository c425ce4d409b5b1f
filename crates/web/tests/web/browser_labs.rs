//! Laboratory results in a real browser: npm `playwright-core` driving Debian's Chromium
//! against the real server on port 0 over a fresh SQLite database, with the launch helpers of
//! [`crate::browser`]. The script is `tests/browser/labs.test.js`: the coordinator previews and
//! imports a central lab's file (refused whole with a bad row; the same file again changes
//! nothing), enters a value (an implausible one refused naming the test), sees the low value's
//! flag and CTCAE grade, and the investigator turns it into a graded adverse event. Skipped as
//! the other browser tests are when node, the script's `node_modules` or Chromium is missing.

use crate::api::{enrolled, login, spawn};
use crate::browser::{run_script, scripts};
use crate::common::PASSWORD;
use crate::labs::RANGES;

#[tokio::test]
async fn lab_results_in_a_real_browser() {
    let Some(dir) = scripts("labs browser test") else {
        return;
    };
    let tmp = std::env::temp_dir().join(store::testing::unique("scitrial_browser_labs"));
    std::fs::create_dir_all(&tmp).unwrap();
    let app = spawn(&format!("sqlite:{}", tmp.join("test.db").display())).await;
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
    let file = "participant,visit,collected_at,test,value,unit,lab_range\n\
                XS-B1,week-2,2026-11-05T08:00:00+08:00,NEUT,0.8,10*9/L,2.0-7.5\n\
                XS-B1,week-2,2026-11-05T08:00:00+08:00,ALT,35,U/L,7-40\n";
    let data = serde_json::json!({
        "crc": "crc",
        "investigator": "inv",
        "password": PASSWORD,
        "studyLabs": format!("/studies/{sid}/labs"),
        "participantLabs": format!("/studies/{sid}/participants/{id}/labs"),
        "file": file,
        "badFile": file.replace("35,U/L", "35000000,U/L"),
        "collectedAt": "2026-11-06T09:00:00+08:00",
    });
    let data_file = tmp.join("data.json");
    std::fs::write(&data_file, data.to_string()).unwrap();

    let base = app.base.clone();
    let output = run_script(&dir, "labs.test.js", base, data_file).await;
    assert!(output.status.success(), "the browser test failed");
    std::fs::remove_dir_all(&tmp).ok();
}
