//! The safety pages in a real browser (`tests/browser/safety.test.js`, Chromium through npm
//! `playwright-core`, launched as `browser.rs` does) over the seeded demo on a fresh SQLite
//! database: the safety physician sees the clocks with the overdue SUSAR first and records an
//! assessment; pharmacovigilance opens the case and sees the arm; a coordinator cannot reach
//! it. Skipped like `browser.rs` when node, `node_modules` or Chromium is missing, unless
//! `SCITRIAL_REQUIRE_BROWSER` is set.

use std::sync::Arc;

use crate::browser::{run_script, scripts};
use crate::common::{self, Demo, PHASE2};

#[tokio::test]
async fn the_safety_pages_in_a_real_browser() {
    let Some(dir) = scripts("safety browser test") else {
        return;
    };
    let tmp = std::env::temp_dir().join(store::testing::unique("scitrial_browser_safety"));
    std::fs::create_dir_all(&tmp).unwrap();
    let now = time::OffsetDateTime::now_utc();
    // A copy of the demo seeded once per run: the seeding below finds it.
    let url = common::demo_sqlite("scitrial_browser_safety", Demo::Phase2, now.date()).await;
    let sql = Arc::new(store::open(&url).await.unwrap());
    let app = web::App::new(sql.clone(), &[PHASE2.to_string()], false)
        .await
        .unwrap();
    let study = app.studies.values().next().unwrap().clone();
    web::demo::seed(&app, &study.id, now.date()).await.unwrap();
    let scope = store::Scope::Study(study.id.clone());
    let clocks = sql.safety_clocks(&study, &scope, false, now).await.unwrap();
    let overdue = clocks
        .first()
        .filter(|c| c.overdue)
        .expect("an overdue clock");
    let data = serde_json::json!({
        "study": study.id,
        "overdue": overdue.ae_id,
        "arms": study.arms.iter().map(|a| a.name.clone()).collect::<Vec<_>>(),
        "secretArms": study
            .arms
            .iter()
            .map(|a| a.name.clone())
            .filter(|n| {
                let public = format!("{} {}", study.id, study.title).to_lowercase();
                !public.contains(&n.to_lowercase())
            })
            .collect::<Vec<_>>(),
    });
    let data_file = tmp.join("data.json");
    std::fs::write(&data_file, data.to_string()).unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(web::serve(listener, app));
    let output = run_script(&dir, "safety.test.js", base, data_file).await;
    assert!(output.status.success(), "the safety browser test failed");
}
