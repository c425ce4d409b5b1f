//! Lock → unblind → final report in a real browser (`tests/browser/lock.test.js`), on a fresh
//! SQLite file and a fresh PostgreSQL database: the data manager sees what blocks the lock,
//! closes the last query, signs the lock (a wrong password refused on the page); the blinded
//! sponsor administrator reads the pooled report, the DSMB statistician the report by arm;
//! the sponsor administrator unblinds the study, signing, and then reads the final report by
//! arm, in English and in Chinese. Skipped as the other browser tests are.

use serde_json::json;

use crate::api::{enrolled, login, spawn};
use crate::browser::{run_script, scripts};
use crate::common::{databases, PASSWORD};

#[tokio::test]
async fn lock_unblind_and_the_final_report_in_a_real_browser() {
    let Some(dir) = scripts("lock browser test") else {
        return;
    };
    for db in databases("scitrial_browser_lock").await {
        let app = spawn(db.url()).await;
        let sid = app.study.id.clone();
        let site = app.study.sites[0].id.clone();
        let crc = login(&app, "crc").await;
        let inv = login(&app, "inv").await;
        let dm = login(&app, "dm").await;
        for i in 0..3 {
            let id = enrolled(
                &crc,
                &sid,
                &site,
                &format!("L-{i}"),
                &format!("XS228-10{i}"),
            )
            .await;
            let (status, body) = crc
                .post(
                    &format!("/api/studies/{sid}/participants/{id}/randomisation"),
                    &json!({}),
                )
                .await;
            assert_eq!(status.as_u16(), 201, "{body}");
            let (status, body) = inv
                .post(
                    &format!("/api/studies/{sid}/participants/{id}/signature"),
                    &json!({ "password": PASSWORD, "meaning": "approved" }),
                )
                .await;
            assert_eq!(status.as_u16(), 201, "{body}");
            if i == 0 {
                // One query left open: it blocks the lock until the data manager closes it.
                let (status, body) = dm
                    .post(
                        &format!("/api/studies/{sid}/participants/{id}/queries"),
                        &json!({ "visit_id": "screening", "form_id": "isncsci", "field": "c5RightMotor", "text": "Please confirm against the source" }),
                    )
                    .await;
                assert_eq!(status.as_u16(), 201, "{body}");
            }
        }
        let tmp = std::env::temp_dir().join(store::testing::unique("scitrial_browser_lock"));
        std::fs::create_dir_all(&tmp).unwrap();
        let data = json!({
            "study": sid,
            "password": PASSWORD,
            "title": app.study.title,
            "arms": app.study.arms.iter().map(|a| a.name.clone()).collect::<Vec<_>>(),
            "database": format!("{:?}", app.store.dialect()),
        });
        let data_file = tmp.join("data.json");
        std::fs::write(&data_file, data.to_string()).unwrap();
        let output = run_script(&dir, "lock.test.js", app.base.clone(), data_file).await;
        assert!(
            output.status.success(),
            "the lock browser test failed on {:?}",
            app.store.dialect()
        );
        let lock = app.store.study_lock(&sid).await.unwrap().expect("locked");
        assert_eq!(lock.locker_name, "Test dm");
        assert_eq!(lock.unblinder_name.as_deref(), Some("Test admin"));
    }
}
