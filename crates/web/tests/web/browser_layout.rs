//! The layout and the Chinese pages in a real browser, in one walk (`tests/browser/layout.test.js`,
//! launched as the other browser tests are), over the demo's two studies. Layout: every page
//! that each demo account reaches by its links, in both languages, at 390 and 1024 px — no
//! sideways scrolling, a compact header, instants in the one style — and the worksheet's live
//! classification in view at 1024 px while the last row is typed. Chinese: every demo account,
//! in Chinese, walks every page it reaches from its start by the pages' own links; a page with
//! an English word outside the rule of `tests/browser/chinese.js` fails, naming the page and the
//! text; then a refused save of a vital signs form is shown in Chinese. Skipped as the other
//! browser tests are.
//!
//! `screenshots` (ignored; run on demand) takes a picture of every kind of page at both widths
//! into `docs/screenshots/` with its index, through `tests/browser/screenshots.js`:
//! `cargo test -p web --test web screenshots -- --ignored`.

use std::path::{Path, PathBuf};

use store::Scope;

use crate::browser::{chromium, run_script, scripts};
use crate::common::{self, Demo};

/// The server over a SQLite copy of the demo's two studies; returns its URL and the data file the
/// scripts read (accounts, where to start, the words that are data, the form to refuse a save
/// of).
async fn serve_demo(tmp: &Path) -> (String, PathBuf) {
    std::fs::create_dir_all(tmp).unwrap();
    let today = time::OffsetDateTime::now_utc().date();
    // A copy of the demo seeded once per run: the seeding below finds it and returns the
    // accounts.
    let url = common::demo_sqlite("scitrial_browser_layout", Demo::BothStudies, today).await;
    let (sql, app, accounts) = common::demo_app(&url, today).await;
    let mut list: Vec<serde_json::Value> = Vec::new();
    for a in &accounts {
        if !list.iter().any(|v| v["username"] == a.username.as_str()) {
            list.push(serde_json::json!({
                "username": a.username,
                "password": a.password,
                "role": a.role.as_str(),
            }));
        }
    }
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
    let data = serde_json::json!({
        "accounts": list,
        // Where the English crawl starts (one page of each kind, at most 80 an account).
        "starts": [
            "/studies",
            "/studies/XS228-P2/start",
            "/studies/XS228-P1/start",
            "/studies/XS228-P2",
            "/studies/XS228-P1",
            "/account",
            "/isncsci",
        ],
        // Where the Chinese crawl starts, after the landing page (pages of one shape twice at
        // most, at most `max_pages` an account).
        "zh_starts": ["/studies", "/studies/XS228-P1/start", "/studies/XS228-P2/start", "/account"],
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
    (base, data_file)
}

#[tokio::test]
async fn every_page_at_phone_and_tablet_widths_and_none_in_chinese_with_english() {
    let Some(dir) = scripts("layout and Chinese pages browser test") else {
        return;
    };
    let tmp = std::env::temp_dir().join(store::testing::unique("scitrial_browser_layout"));
    let (base, data_file) = serve_demo(&tmp).await;
    let output = run_script(&dir, "layout.test.js", base, data_file).await;
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(
        output.status.success(),
        "the layout and Chinese pages browser test failed"
    );
}

/// Pictures of every kind of page at 1024 and 390 px into `docs/screenshots/`, with their
/// index (`docs/screenshots/README.md`). On demand only: CI never rewrites `docs/`.
#[tokio::test]
#[ignore = "writes docs/screenshots; run on demand"]
async fn screenshots() {
    let Some(dir) = scripts("screenshots") else {
        return;
    };
    let tmp = std::env::temp_dir().join(store::testing::unique("scitrial_screenshots"));
    let (base, data_file) = serve_demo(&tmp).await;
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&out).unwrap();
    let script = dir.join("screenshots.js");
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(&script)
            .env("BASE_URL", &base)
            .env("DATA_FILE", &data_file)
            .env("OUT_DIR", &out)
            .env("CHROMIUM", chromium())
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    println!("{}", String::from_utf8_lossy(&output.stdout));
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(output.status.success(), "the screenshots script failed");
}
