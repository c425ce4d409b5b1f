//! The data manager's exports page and its downloads, on both databases, over the demo study:
//! the page in English and Chinese, linked from the navigation of the roles that may export
//! (and refused to the others); the ODM file reads back into the study's forms, every SDTM
//! dataset is a SAS transport file (read back by pyreadstat and pandas under `SCITRIAL_PYTHON`,
//! DM's USUBJID those the store holds), define.xml is there; a blinded data manager's files
//! hold no arm and say they are blinded, the unblinded DSMB statistician's hold the arms; every
//! download is audited as an export.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use reqwest::StatusCode;
use store::Scope;

use crate::common::{self, Demo, PHASE2};

/// A client signed in with a demo account's password.
async fn demo_login(base: &str, username: &str) -> reqwest::Client {
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = http
        .post(format!("{base}/api/login"))
        .json(&serde_json::json!({ "username": username, "password": format!("demo-{username}") }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "login {username}");
    http
}

/// A GET's status, content type and bytes.
async fn fetch(http: &reqwest::Client, url: String) -> (StatusCode, String, Vec<u8>) {
    let r = http.get(url).send().await.unwrap();
    let status = r.status();
    let kind = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let length = r.content_length();
    let bytes = r.bytes().await.unwrap().to_vec();
    if status.is_success() {
        // The file is streamed in chunks after its length is announced: all of it arrives.
        assert_eq!(length, Some(bytes.len() as u64), "the announced length");
    }
    (status, kind, bytes)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

/// The Python of `SCITRIAL_PYTHON` with pyreadstat and pandas, or none (with a note) unless
/// `SCITRIAL_REQUIRE_PYTHON_TOOLS` is set.
fn python() -> Option<PathBuf> {
    let program = std::env::var_os("SCITRIAL_PYTHON").map(PathBuf::from);
    let works = program.as_ref().is_some_and(|p| {
        Command::new(p)
            .args(["-c", "import pyreadstat, pandas"])
            .status()
            .is_ok_and(|s| s.success())
    });
    if !works {
        assert!(
            std::env::var_os("SCITRIAL_REQUIRE_PYTHON_TOOLS").is_none(),
            "SCITRIAL_PYTHON ({program:?}) has no pyreadstat and pandas"
        );
        eprintln!("note: reading the downloaded XPT files back skipped: no SCITRIAL_PYTHON");
        return None;
    }
    program
}

/// The subjects of a downloaded DM dataset as pyreadstat and as pandas read them.
const READ_DM: &str = r#"
import json, sys
import pandas, pyreadstat
a, _ = pyreadstat.read_xport(sys.argv[1])
b = pandas.read_sas(sys.argv[1], format="xport", encoding="utf-8")
print(json.dumps([sorted(a["USUBJID"]), sorted(b["USUBJID"]), sorted(set(a["ARM"]))]))
"#;

#[tokio::test]
async fn the_data_manager_downloads_each_export_from_the_exports_page() {
    let python = python();
    let today = time::OffsetDateTime::now_utc().date();
    // Copies of the demo seeded once per run: the seeding below finds it and returns the
    // accounts.
    for db in common::demo_databases("scitrial_web_exports", Demo::Phase2, today).await {
        let sql = Arc::new(store::open(db.url()).await.unwrap());
        let app = web::App::new(sql.clone(), &[PHASE2.to_string()], false)
            .await
            .unwrap();
        web::demo::seed(&app, "XS228-P2", today).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(web::serve(listener, app));
        let page = format!("{base}/studies/XS228-P2/exports");
        let api = format!("{base}/api/studies/XS228-P2/exports");

        // The page in both languages, for the data manager; linked from the navigation.
        let dm = demo_login(&base, "data-manager").await;
        let (status, _, body) = fetch(&dm, page.clone()).await;
        let en = text(&body);
        assert_eq!(status, StatusCode::OK, "{en}");
        assert!(en.contains("Submission exports"), "{}", db.name());
        assert!(en.contains("data-blinding=\"blinded\""));
        assert!(en.contains("href=\"/api/studies/XS228-P2/exports/odm.xml\""));
        assert!(en.contains("href=\"/api/studies/XS228-P2/exports/sdtm/dm.xpt\""));
        assert!(en.contains("href=\"/api/studies/XS228-P2/exports/define.xml\""));
        let (_, _, home) = fetch(&dm, format!("{base}/studies/XS228-P2")).await;
        assert!(text(&home).contains("href=\"/studies/XS228-P2/exports\""));
        fetch(&dm, format!("{base}/language/zh?next=/studies")).await;
        let (status, _, body) = fetch(&dm, page.clone()).await;
        let zh = text(&body);
        assert_eq!(status, StatusCode::OK);
        assert!(
            zh.contains("递交数据导出") && zh.contains("设盲导出"),
            "{zh}"
        );
        assert!(zh.contains("人口学资料") && !zh.contains("Demographics"));

        // A coordinator has no link and no page.
        let crc = demo_login(&base, "crc").await;
        let (_, _, home) = fetch(&crc, format!("{base}/studies/XS228-P2")).await;
        assert!(!text(&home).contains("/exports\""));
        let (status, _, _) = fetch(&crc, page.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, _) = fetch(&crc, format!("{api}/odm.xml")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        let audited = |sql: Arc<store::Store>| async move {
            sql.audit_of("submission", "XS228-P2").await.unwrap().len()
        };
        let before = audited(sql.clone()).await;

        // The blinded data manager's files: ODM read back into the study's forms, no treatment.
        let study = trial::Study::from_toml(PHASE2).unwrap();
        let (status, kind, odm) = fetch(&dm, format!("{api}/odm.xml")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(kind.starts_with("application/xml"), "{kind}");
        let odm_text = text(&odm);
        assert!(odm_text.contains("casebooks, blinded: no treatment"));
        assert!(!odm_text.contains("TREATMENT"));
        let forms = export::odm::import::read(&study, odm.as_slice()).unwrap();
        assert!(forms.len() > 100, "{} forms", forms.len());

        let scope = Scope::Study("XS228-P2".into());
        let mut subjects: Vec<String> = sql
            .participants(&scope)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|p| p.subject_id)
            .map(|s| format!("XS228-P2-{s}"))
            .collect();
        subjects.sort();
        let dir = std::env::temp_dir().join(store::testing::unique("scitrial-web-exports"));
        std::fs::create_dir_all(&dir).unwrap();
        let mut found = 0;
        for domain in export::sdtm::DOMAINS {
            let file = format!("{}.xpt", domain.to_lowercase());
            let (status, kind, bytes) = fetch(&dm, format!("{api}/sdtm/{file}")).await;
            if status == StatusCode::NOT_FOUND {
                continue;
            }
            assert_eq!(status, StatusCode::OK, "{file}");
            assert_eq!(kind, "application/octet-stream");
            assert!(
                bytes.starts_with(b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!"),
                "{file} is a SAS transport file"
            );
            assert_eq!(bytes.len() % 80, 0, "{file}: 80-byte records");
            found += 1;
            std::fs::write(dir.join(&file), &bytes).unwrap();
        }
        assert!(found >= 10, "{found} datasets");
        let dm_blinded = std::fs::read(dir.join("dm.xpt")).unwrap();
        let placebo = study.arms.iter().find(|a| a.id == "placebo").unwrap();
        let has =
            |bytes: &[u8], what: &str| bytes.windows(what.len()).any(|w| w == what.as_bytes());
        assert!(
            !has(&dm_blinded, &placebo.name),
            "a blinded DM names no arm"
        );
        assert!(
            has(&dm_blinded, export::sdtm::BLINDED_DM_LABEL),
            "and says so"
        );
        let (status, _, define) = fetch(&dm, format!("{api}/define.xml")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(text(&define).contains("blinded"));
        let (status, _, _) = fetch(&dm, format!("{api}/sdtm/xx.xpt")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // Each download made an export, audited.
        assert!(audited(sql.clone()).await >= before + found + 2);

        if let Some(python) = &python {
            let out = Command::new(python)
                .args(["-c", READ_DM])
                .arg(dir.join("dm.xpt"))
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", text(&out.stderr));
            let read: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(read[0], serde_json::json!(subjects), "pyreadstat");
            assert_eq!(read[1], serde_json::json!(subjects), "pandas");
            assert_eq!(read[2], serde_json::json!([""]), "no arm in a blinded DM");
        }

        // The unblinded DSMB statistician's files hold the arms.
        let dsmb = demo_login(&base, "dsmb-statistician").await;
        let (status, _, body) = fetch(&dsmb, page.clone()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(text(&body).contains("data-blinding=\"unblinded\""));
        let (_, _, odm) = fetch(&dsmb, format!("{api}/odm.xml")).await;
        assert!(text(&odm).contains("ItemOID=\"IT.TREATMENT.ARM\""));
        let (_, _, dm_open) = fetch(&dsmb, format!("{api}/sdtm/dm.xpt")).await;
        assert!(
            has(&dm_open, &placebo.name),
            "the unblinded DM names the arms"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
