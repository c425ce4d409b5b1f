//! The DSMB's page in a real browser (`tests/browser/dsmb.test.js`, launched as the other
//! browser test is, with its helpers): the demo's two studies; the DSMB member sees the Phase II
//! tables by arm and signs a decision on the Phase I stopping rule the demo fired; the safety
//! physician (blinded) sees pooled tables only. Skipped as the other browser test is.

use store::Scope;

use crate::browser::{run_script, scripts};
use crate::common::{self, Demo};

#[tokio::test]
async fn the_dsmb_page_in_a_real_browser() {
    let Some(dir) = scripts("DSMB browser test") else {
        return;
    };
    let tmp = std::env::temp_dir().join(store::testing::unique("scitrial_browser_dsmb"));
    std::fs::create_dir_all(&tmp).unwrap();
    let today = time::OffsetDateTime::now_utc().date();
    // A copy of the demo seeded once per run: the seeding below finds it and returns the
    // accounts.
    let url = common::demo_sqlite("scitrial_browser_dsmb", Demo::BothStudies, today).await;
    let (sql, app, _) = common::demo_app(&url, today).await;
    let holding = sql.stopping_rules_holding("XS228-P1").await.unwrap();
    assert_eq!(holding.len(), 1, "the demo fired one rule in Phase I");
    // The newest Phase I participant's grade 4 event is a DLT candidate to confirm.
    let phase1 = &app.studies["XS228-P1"];
    let p1 = Scope::Study(phase1.id.clone());
    let mut candidate = None;
    for (dose, assessment) in sql.doses(&p1).await.unwrap() {
        let found = sql
            .dlt_candidates(&p1, phase1, dose.participant_id)
            .await
            .unwrap();
        if assessment.is_none() && !found.is_empty() {
            candidate = Some((dose.participant_id, found[0].ae_id));
        }
    }
    let (candidate, candidate_ae) = candidate.expect("the demo has a DLT candidate to confirm");
    let phase2 = &app.studies["XS228-P2"];
    let data = serde_json::json!({
        "phase2Path": "/studies/XS228-P2/safety/dsmb",
        "phase1Path": "/studies/XS228-P1/safety/dsmb",
        "rule": holding[0].0,
        "dltPath": format!("/studies/XS228-P1/participants/{candidate}/dlt"),
        "candidate": candidate_ae,
        "today": store::date(today),
        "title": phase2.title,
        "arms": phase2.arms.iter().map(|a| a.name.clone()).collect::<Vec<_>>(),
    });
    let data_file = tmp.join("data.json");
    std::fs::write(&data_file, data.to_string()).unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(web::serve(listener, app));

    let output = run_script(&dir, "dsmb.test.js", base, data_file).await;
    assert!(output.status.success(), "the DSMB browser test failed");
    // The decision is recorded, signed, and the rule no longer holds.
    assert!(sql
        .stopping_rules_holding("XS228-P1")
        .await
        .unwrap()
        .is_empty());
    assert_eq!(sql.dsmb_decisions("XS228-P1").await.unwrap().len(), 1);
    // The investigator's confirmation on the page is the DLT, naming its event.
    let (_, assessment) = sql.dose(&p1, candidate).await.unwrap();
    let assessment = assessment.expect("the DLT was signed on the page");
    assert_eq!(
        (assessment.dlt, assessment.ae_ids),
        (true, vec![candidate_ae])
    );
}
