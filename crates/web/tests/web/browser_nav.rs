//! Navigation, administration and the audit trail in a real browser
//! (`tests/browser/nav.test.js`, launched as the other browser tests are): the demo's two
//! studies; each role's landing and the study switcher; the sponsor administrator adds a user
//! with an e-mail, gives a role and deactivates the account (whose session ends); the password
//! change and the reset request; the audit trail paged, filtered and downloaded. Skipped as
//! the other browser tests are.

use store::Scope;

use crate::browser::{run_script, scripts};
use crate::common::{self, Demo};

#[tokio::test]
async fn navigation_administration_and_the_audit_trail_in_a_real_browser() {
    let Some(dir) = scripts("navigation browser test") else {
        return;
    };
    let tmp = std::env::temp_dir().join(store::testing::unique("scitrial_browser_nav"));
    std::fs::create_dir_all(&tmp).unwrap();
    let today = time::OffsetDateTime::now_utc().date();
    // A copy of the demo seeded once per run: the seeding below finds it and returns the
    // accounts.
    let url = common::demo_sqlite("scitrial_browser_nav", Demo::BothStudies, today).await;
    let (sql, app, _) = common::demo_app(&url, today).await;
    let phase2 = &app.studies["XS228-P2"];
    let site = phase2.sites[0].id.clone();
    let participant = sql
        .participants(&Scope::Study(phase2.id.clone()))
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.site_id == site)
        .expect("the demo has participants at the first site")
        .id;
    let p2 = "/studies/XS228-P2";
    let data = serde_json::json!({
        "phase1": "XS228-P1",
        "phase2": "XS228-P2",
        "site": site,
        "participant": participant,
        "landings": [
            ["sponsor-admin", p2],
            ["crc", format!("{p2}/participants")],
            ["monitor", format!("{p2}/queries?status=open")],
            ["dsmb-member", format!("{p2}/safety/dsmb")],
            ["safety-physician", format!("{p2}/safety")],
            ["auditor", format!("{p2}/audit")],
        ],
    });
    let data_file = tmp.join("data.json");
    std::fs::write(&data_file, data.to_string()).unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(web::serve(listener, app));

    let output = run_script(&dir, "nav.test.js", base, data_file).await;
    assert!(
        output.status.success(),
        "the navigation browser test failed"
    );
    // What the pages did is in the store: the account, deactivated, with its e-mail's reset
    // request only for the administrator who asked.
    let nurse = sql.user_by_name("new-nurse").await.unwrap().unwrap();
    assert!(!nurse.active);
    assert!(store::password::verify(
        "a long second password",
        &nurse.password_hash
    ));
    let outbox = sql.account_outbox().await.unwrap();
    assert!(outbox
        .iter()
        .any(|m| m.body.contains("/password-reset/confirm?token=")));
}
