//! Adverse events in a real browser: npm `playwright-core` driving Debian's Chromium against the
//! real server on port 0 over a fresh SQLite database, with the launch helpers of
//! [`crate::browser`]. The script is `tests/browser/adverse-events.test.js`: a coordinator records
//! an event (searching the term, seeing the grade's definition), a bad date is shown next to its
//! field, the investigator signs it, and a change with a reason voids the signature. Skipped as
//! the other browser test is when node, the script's `node_modules` or Chromium is missing.

use crate::api::{enrolled, login, spawn};
use crate::browser::{run_script, scripts};
use crate::common::PASSWORD;

#[tokio::test]
async fn adverse_events_in_a_real_browser() {
    let Some(dir) = scripts("adverse events browser test") else {
        return;
    };
    let tmp = std::env::temp_dir().join(store::testing::unique("scitrial_browser_ae"));
    std::fs::create_dir_all(&tmp).unwrap();
    let app = spawn(&format!("sqlite:{}", tmp.join("test.db").display())).await;
    app.store
        .load_terms(&web::demo::demo_terms(), &store::Actor::system())
        .await
        .unwrap();
    let (sid, site) = (app.study.id.clone(), app.study.sites[0].id.clone());
    let crc = login(&app, "crc").await;
    let id = enrolled(&crc, &sid, &site, "B-1", "XS-B1").await;
    let terms = app.store.terms().await.unwrap();
    let headache = terms.find("Headache").unwrap();
    let tomorrow = time::OffsetDateTime::now_utc().date() + time::Duration::days(1);
    let data = serde_json::json!({
        "title": app.study.title,
        "participantPath": format!("/studies/{sid}/participants/{id}"),
        "crc": "crc",
        "investigator": "inv",
        "investigatorName": crate::common::plain_name("inv"),
        "password": PASSWORD,
        "term": headache.name,
        "grade2": headache.grade_definition(2).unwrap(),
        "grade3": headache.grade_definition(3).unwrap(),
        "onset": "2026-11",
        "tomorrow": store::date(tomorrow),
    });
    let data_file = tmp.join("data.json");
    std::fs::write(&data_file, data.to_string()).unwrap();

    let base = app.base.clone();
    let output = run_script(&dir, "adverse-events.test.js", base, data_file).await;
    assert!(output.status.success(), "the browser test failed");
    std::fs::remove_dir_all(&tmp).ok();
}
