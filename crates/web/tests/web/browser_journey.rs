//! The participant's journey in a real browser: npm `playwright-core` driving Debian's Chromium
//! against the real server on port 0 over a fresh SQLite database, with the launch helpers of
//! [`crate::browser`]. The script is `tests/browser/journey.test.js`: the DSMB statistician
//! generates the randomisation list; the coordinator screens (the screening form with its
//! exam), enrols, randomises with the confirmation and corrects the screening data; the
//! pharmacist dispenses the kit; the investigator unblinds once. Skipped as the other browser
//! tests are when node, the script's `node_modules` or Chromium is missing.

use crate::allocation::{enrolled, spawn_with};
use crate::browser::{run_script, scripts};
use crate::common::{login, PASSWORD, PHASE1, PHASE2};

#[tokio::test]
async fn the_journey_in_a_real_browser() {
    let Some(dir) = scripts("journey browser test") else {
        return;
    };
    let tmp = std::env::temp_dir().join(store::testing::unique("scitrial_browser_journey"));
    std::fs::create_dir_all(&tmp).unwrap();
    let url = format!("sqlite:{}", tmp.join("test.db").display());
    // No list yet: the DSMB statistician generates it from its page.
    let app = spawn_with(&url, PHASE2).await;
    // An eligible exam: a complete C6 injury with sacral sparing (AIS B).
    let mut exam = isncsci::Exam::normal();
    exam.anal_contraction = isncsci::Anal::No;
    exam.anal_sensation = isncsci::Anal::Yes;
    for side in [&mut exam.right, &mut exam.left] {
        for m in isncsci::MotorLevel::ALL
            .into_iter()
            .filter(|m| *m > isncsci::MotorLevel::C6)
        {
            side.motor[m.index()] = isncsci::MotorValue::parse("0").unwrap();
        }
        for l in isncsci::Level::DERMATOMES
            .into_iter()
            .filter(|l| *l > isncsci::Level::C6 && *l < isncsci::Level::S4_5)
        {
            side.set_touch(l, isncsci::SensoryValue::parse("0").unwrap());
            side.set_prick(l, isncsci::SensoryValue::parse("0").unwrap());
        }
    }
    let flat: serde_json::Map<String, serde_json::Value> = isncsci::flat::fields(&exam)
        .filter(|(k, _)| isncsci::flat::Field::parse(k).is_some_and(|f| f.is_required()))
        .map(|(k, v)| (k, serde_json::Value::String(v.into())))
        .collect();
    // A Phase I participant, enrolled with the first dose on 2026-10-24: its DLT window is over.
    let url1 = format!("sqlite:{}", tmp.join("phase1.db").display());
    let phase1 = spawn_with(&url1, PHASE1).await;
    let crc1 = login(&phase1, "crc").await;
    let dosed = enrolled(&phase1, &crc1, 0, "P1", false).await;
    let data = serde_json::json!({
        "phase1": { "base": phase1.base, "study": phase1.study.id, "participant": dosed },
        "study": app.study.id,
        "title": app.study.title,
        "site": app.study.sites[0].id,
        "password": PASSWORD,
        "crc": "crc",
        "pharmacist": "pharm",
        "investigator": "inv",
        "statistician": "dsmb",
        "arms": app.study.arms.iter().map(|a| a.name.clone()).collect::<Vec<_>>(),
        "exam": flat,
    });
    let data_file = tmp.join("data.json");
    std::fs::write(&data_file, data.to_string()).unwrap();

    let base = app.base.clone();
    let output = run_script(&dir, "journey.test.js", base, data_file).await;
    assert!(output.status.success(), "the browser test failed");
    std::fs::remove_dir_all(&tmp).ok();
}
