//! The layout in a real browser (`tests/browser/layout.test.js`, launched as the other browser
//! tests are): every page that each demo account reaches by its links, over the demo's two
//! studies, in both languages, at 390 and 1024 px — no sideways scrolling, a compact header,
//! instants in the one style — and the worksheet's live classification in view at 1024 px
//! while the last row is typed. Skipped as the other browser tests are.
//!
//! `screenshots` (ignored; run on demand) takes a picture of every kind of page at both widths
//! into `docs/screenshots/` with its index, through `tests/browser/screenshots.js`:
//! `cargo test -p web --test web screenshots -- --ignored`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::browser::{chromium, run_script, scripts};
use crate::common::{PHASE1, PHASE2};

/// The server over a fresh SQLite file seeded with the demo's two studies; returns its URL and
/// the data file the scripts read (accounts and where to start).
async fn serve_demo(tmp: &Path) -> (String, PathBuf) {
    std::fs::create_dir_all(tmp).unwrap();
    let sql = Arc::new(
        store::open(&format!("sqlite:{}", tmp.join("test.db").display()))
            .await
            .unwrap(),
    );
    let app = web::App::new(sql, &[PHASE2.to_string(), PHASE1.to_string()], false)
        .await
        .unwrap();
    let today = time::OffsetDateTime::now_utc().date();
    let accounts = web::demo::seed(&app, "XS228-P2", today).await.unwrap();
    web::demo::seed_escalation(&app, "XS228-P1", &accounts, today)
        .await
        .unwrap();
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
    let data = serde_json::json!({
        "accounts": list,
        "starts": [
            "/studies",
            "/studies/XS228-P2/start",
            "/studies/XS228-P1/start",
            "/studies/XS228-P2",
            "/studies/XS228-P1",
            "/account",
            "/isncsci",
        ],
    });
    let data_file = tmp.join("data.json");
    std::fs::write(&data_file, data.to_string()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(web::serve(listener, app));
    (base, data_file)
}

#[tokio::test]
async fn every_page_at_phone_and_tablet_widths_in_a_real_browser() {
    let Some(dir) = scripts("layout browser test") else {
        return;
    };
    let tmp = std::env::temp_dir().join(store::testing::unique("scitrial_browser_layout"));
    let (base, data_file) = serve_demo(&tmp).await;
    let output = run_script(&dir, "layout.test.js", base, data_file).await;
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(output.status.success(), "the layout browser test failed");
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
