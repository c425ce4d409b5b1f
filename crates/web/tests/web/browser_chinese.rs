//! No English on a Chinese page, in a real browser (`tests/browser/chinese.test.js`, launched as
//! the other browser tests are): the demo's two studies; every demo role signs in, chooses
//! Chinese and walks every page it can reach from its start by the pages' own links; a page
//! with an English word outside the script's rule fails, naming the page and the text. Then a
//! refused save of a vital signs form is shown in Chinese. Skipped as the other browser tests
//! are.

use std::sync::Arc;

use store::Scope;

use crate::browser::{run_script, scripts};
use crate::common::{PHASE1, PHASE2};

#[tokio::test]
async fn no_english_on_any_chinese_page_in_a_real_browser() {
    let Some(dir) = scripts("Chinese pages browser test") else {
        return;
    };
    let tmp = std::env::temp_dir().join(store::testing::unique("scitrial_browser_chinese"));
    std::fs::create_dir_all(&tmp).unwrap();
    let sql = Arc::new(
        store::open(&format!("sqlite:{}", tmp.join("test.db").display()))
            .await
            .unwrap(),
    );
    let app = web::App::new(
        sql.clone(),
        &[PHASE2.to_string(), PHASE1.to_string()],
        false,
    )
    .await
    .unwrap();
    let today = time::OffsetDateTime::now_utc().date();
    let accounts = web::demo::seed(&app, "XS228-P2", today).await.unwrap();
    web::demo::seed_escalation(&app, "XS228-P1", &accounts, today)
        .await
        .unwrap();
    let phase2 = &app.studies["XS228-P2"];
    let site = phase2.sites[0].id.clone();
    let participants = sql
        .participants(&Scope::Study(phase2.id.clone()))
        .await
        .unwrap();
    let participant = participants
        .iter()
        .find(|p| p.site_id == site && p.subject_id.is_some())
        .expect("the demo has enrolled participants at the first site")
        .id;
    // What is data, not text of the pages: login names and people's names; and the product's
    // own name.
    let mut words: Vec<String> = vec!["scitrial".to_string()];
    for user in sql.users().await.unwrap() {
        words.push(user.username.clone());
        words.push(user.full_name.clone());
    }
    // What people typed in the demo inside a sentence of the rules (an unblinding's reason in
    // its notification), and the identifiers of stopping rules, codes the sentences name.
    words.push(
        "suspected anaphylaxis after dosing: the treating physician must know the product".into(),
    );
    // The terms of the English-only dictionaries (CTCAE, MedDRA) the demo's adverse events
    // are coded with, named inside the sentences of the reporting clocks.
    for term in ["Fever", "Meningitis", "Vomiting"] {
        words.push(term.into());
    }
    for study in app.studies.values() {
        for rule in &study.safety.stopping_rules {
            words.push(rule.id.clone());
        }
    }
    let users: Vec<String> = accounts.iter().map(|a| a.username.clone()).collect();
    let data = serde_json::json!({
        "users": users,
        "starts": ["/studies", "/studies/XS228-P1/start", "/studies/XS228-P2/start", "/account"],
        "max_pages": 120,
        "data": words,
        "refusal": {
            "user": "crc",
            "form": format!("/studies/XS228-P2/participants/{participant}/visits/week-12/ecrf/vital-signs"),
        },
    });
    let data_file = tmp.join("data.json");
    std::fs::write(&data_file, data.to_string()).unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(web::serve(listener, app));

    let output = run_script(&dir, "chinese.test.js", base, data_file).await;
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(
        output.status.success(),
        "the Chinese pages browser test failed"
    );
}
