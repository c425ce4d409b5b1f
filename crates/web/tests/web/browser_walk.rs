//! The walk of issue 16's "Done when", in Chromium, on SQLite AND on PostgreSQL, through the
//! pages only and as the roles that do each step (`tests/browser/walk.test.js`): a Phase II
//! participant from screening to the week-24 visit (the screening form and its exam, which the
//! screening visit's ISNCSCI form then shows; eligibility; enrolment; randomisation; dispensing
//! by the pharmacist; every form of every visit; a query raised by the monitor, answered by the
//! site and closed; source verification; the investigator's signatures; the data manager's lock)
//! and a Phase I participant given a dose level, dosed and with a DLT assessment signed by the
//! investigator. The servers are the real ones on port 0 over fresh databases; what the test
//! sets up outside the pages is what no person does in a page of the walk: the accounts, the
//! randomisation list (the DSMB statistician's, before enrolment) and, in Phase I, a
//! participant screened and enrolled (screening and enrolment are walked in Phase II).

use crate::allocation::{enrolled, exam, spawn_with};
use crate::browser::{run_script, scripts};
use crate::common::{self, login, PASSWORD, PHASE1, PHASE2};

#[tokio::test]
async fn the_walk_from_screening_to_week_24_on_both_databases() {
    let Some(dir) = scripts("walk browser test") else {
        return;
    };
    let phase1_databases: Vec<_> = common::databases("scitrial_walk1").await.collect();
    let mut phase1_databases = phase1_databases.into_iter();
    for db in common::databases("scitrial_walk2").await {
        let db1 = phase1_databases
            .next()
            .expect("a Phase I database beside each");
        // No randomisation list: the DSMB statistician generates it in the walk.
        let app = spawn_with(db.url(), PHASE2).await;
        let phase1 = spawn_with(db1.url(), PHASE1).await;
        let crc1 = login(&phase1, "crc").await;
        let dosed = enrolled(&phase1, &crc1, 0, "P1", false).await;
        // The exam of every visit: a complete C6 injury with sacral sparing (AIS B, eligible).
        let flat = exam(false);
        let exam: serde_json::Map<String, serde_json::Value> = flat
            .into_iter()
            .filter(|(k, _)| isncsci::flat::Field::parse(k).is_some_and(|f| f.is_required()))
            .collect();
        let data = serde_json::json!({
            "database": db.name(),
            "phase1": { "base": phase1.base, "study": phase1.study.id, "participant": dosed },
            "study": app.study.id,
            "title": app.study.title,
            "site": app.study.sites[0].id,
            "password": PASSWORD,
            "arms": app.study.arms.iter().map(|a| a.name.clone()).collect::<Vec<_>>(),
            "exam": exam,
            // Screening 18 days after the injury; the first dose 24 days after it, so that the
            // week-24 visit (day 169) is in the past.
            "dates": {
                "injury": "2026-05-01", "consent": "2026-05-18", "screening": "2026-05-19",
                "enrolled": "2026-05-20", "dose": "2026-05-25",
                "baseline": "2026-05-25", "week-2": "2026-06-08", "week-4": "2026-06-22",
                "week-12": "2026-08-17", "week-24": "2026-11-09",
            },
            "visits": ["screening", "baseline", "week-2", "week-4", "week-12", "week-24"],
            "forms": app.study.visits.iter().map(|v| (v.id.clone(), v.forms.clone())).collect::<std::collections::BTreeMap<_, _>>(),
            "values": {
                "systolic_bp": "118", "diastolic_bp": "76", "heart_rate": "70",
                "respiratory_rate": "14", "temperature": "36.7", "spo2": "98", "weight": "71",
                "medication": "Baclofen", "indication": "Spasticity", "dose": "10",
                "frequency": "three times a day",
            },
        });
        let tmp = std::env::temp_dir().join(store::testing::unique("scitrial_browser_walk"));
        std::fs::create_dir_all(&tmp).unwrap();
        let data_file = tmp.join("data.json");
        std::fs::write(&data_file, data.to_string()).unwrap();
        let output = run_script(&dir, "walk.test.js", app.base.clone(), data_file).await;
        std::fs::remove_dir_all(&tmp).ok();
        assert!(output.status.success(), "the walk failed on {}", db.name());
    }
}
