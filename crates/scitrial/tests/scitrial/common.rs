//! What the program's tests share: the built binary, the shipped study definitions, and
//! databases that name themselves when a test fails on them.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

/// The built `scitrial` binary, ready to be given arguments.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_scitrial"))
}

/// The path of a shipped study definition (a file of `studies/`).
pub fn study(file: &str) -> String {
    format!("{}/../../studies/{file}", env!("CARGO_MANIFEST_DIR"))
}

/// The path of the Phase II study definition.
pub const PHASE2: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../studies/xs228-phase2.toml"
);

pub use store::testing::{Database, Databases};

/// The Python of `SCITRIAL_PYTHON` when it imports `modules` (e.g. `pyreadstat, pandas`), or
/// `None` with a note that `what` is skipped; a failure instead when
/// `SCITRIAL_REQUIRE_PYTHON_TOOLS` is set (as CI sets it).
pub fn python(modules: &str, what: &str) -> Option<std::path::PathBuf> {
    let required = std::env::var_os("SCITRIAL_REQUIRE_PYTHON_TOOLS").is_some();
    let program = std::env::var_os("SCITRIAL_PYTHON").map(std::path::PathBuf::from);
    let works = program.as_ref().is_some_and(|p| {
        Command::new(p)
            .args(["-c", &format!("import {modules}")])
            .status()
            .is_ok_and(|s| s.success())
    });
    match (works, required) {
        (true, _) => program,
        (false, true) => panic!(
            "SCITRIAL_REQUIRE_PYTHON_TOOLS is set but SCITRIAL_PYTHON ({program:?}) is not a \
             Python with {modules} (pip install -r tools/python/requirements.txt)"
        ),
        (false, false) => {
            eprintln!(
                "note: {what} skipped: set SCITRIAL_PYTHON to a Python with \
                 tools/python/requirements.txt installed"
            );
            None
        }
    }
}

/// A fresh SQLite file and, from `TEST_DATABASE_URL`, a fresh PostgreSQL database, one at a
/// time, each naming itself when a test fails on it (see `store::testing::databases`).
pub async fn databases(prefix: &str) -> Databases {
    store::testing::databases(prefix).await.unwrap()
}

/// The Phase II study loaded into a store opened at `url`, with an account `stat` (no
/// password) to act as.
pub async fn phase2_with_user(url: &str) -> (store::Store, trial::Study, store::User) {
    let source = std::fs::read_to_string(PHASE2).unwrap();
    let study = trial::Study::from_toml(&source).unwrap();
    let sql = store::open(url).await.unwrap();
    sql.load_study(&study, &source, &store::Actor::system())
        .await
        .unwrap();
    let user = sql
        .create_user(
            &store::NewUser {
                username: "stat".into(),
                full_name: "Statistician".into(),
                password_hash: "not used".into(),
                language: "en".into(),
            },
            &store::Actor::system(),
        )
        .await
        .unwrap();
    (sql, study, user)
}

/// Screens an eligible participant `S{i}` at a site and enrols them as `subject`, enrolled on
/// 2026-10-22 with the anchor the day after; returns their id.
pub async fn enrolled(
    sql: &store::Store,
    study: &trial::Study,
    site: &str,
    i: usize,
    subject: &str,
    by: &store::Actor,
) -> i64 {
    let scope = store::Scope::Study(study.id.clone());
    let p = sql.screen(&scope, &screening(site, i), by).await.unwrap();
    sql.enrol(
        &scope,
        study,
        &store::Enrolment {
            participant_id: p.id,
            subject_id: subject.into(),
            enrolled_on: "2026-10-22".into(),
            anchor_date: "2026-10-23".into(),
            visits: vec![],
        },
        by,
    )
    .await
    .unwrap();
    p.id
}

/// The screening of an eligible participant, `S{i}`, at a site.
pub fn screening(site: &str, i: usize) -> store::NewScreening {
    store::NewScreening {
        site_id: site.into(),
        screening_number: format!("S{i}"),
        sex: "male".into(),
        date_of_birth: "1980-01-01".into(),
        injury_date: "2026-10-01".into(),
        consent_date: "2026-10-20".into(),
        screening_date: "2026-10-21".into(),
        eligible: true,
        eligibility_reasons: vec![],
        exam_visit: "screening".into(),
        exam_visit_name: "Screening".into(),
        exam_form: "isncsci".into(),
        exam_raw: "{}".into(),
        classification: "{}".into(),
    }
}

/// Runs `scitrial export KIND` over a study into `output`, blinded or not: the exit status and
/// what it printed.
pub fn export(kind: &str, url: &str, study: &str, output: &Path, unblinded: bool) -> (i32, String) {
    let mut cmd = bin();
    cmd.args(["export", kind, "--database-url", url, "--study", study])
        .arg("--output")
        .arg(output);
    if unblinded {
        cmd.arg("--unblinded");
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// Runs a Python `script` under `python` with `arg` and reads the JSON it prints.
pub fn python_json(python: &Path, script: &str, arg: &Path) -> serde_json::Value {
    let out = Command::new(python)
        .args(["-c", script])
        .arg(arg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        arg.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Starts `scitrial serve` over the Phase II study on a free port; returns the child and its
/// base URL.
pub fn serve(url: &str) -> (Child, String) {
    let mut child = bin()
        .args(["serve", "--bind", "127.0.0.1:0", "--database-url", url])
        .args(["--study", PHASE2])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(base.starts_with("http://"), "{line}");
    (child, base)
}

/// Signs in to the server at `base`: a client keeping the session's cookie, and the session's
/// CSRF token.
pub async fn login(base: &str, username: &str, password: &str) -> (reqwest::Client, String) {
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let me = json_of(
        http.post(format!("{base}/api/login"))
            .json(&json!({ "username": username, "password": password })),
    )
    .await;
    (http, me["csrf_token"].as_str().unwrap().to_string())
}

/// Adds a CRC of site SYSU3 in the Phase II study with `scitrial users add` (the password
/// given on standard input).
pub fn add_crc(url: &str, username: &str, password: &str) {
    let mut add = bin()
        .args(["users", "add", "--database-url", url, "--study", PHASE2])
        .args(["--username", username, "--full-name", "Test CRC"])
        .args(["--role", "crc", "--site", "SYSU3"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    assert!(add.wait().unwrap().success(), "users add {username}");
}

/// The screening numbers of the Phase II participants the server at `base` lists, signed in
/// as `username`.
pub async fn screening_numbers(base: &str, username: &str, password: &str) -> HashSet<String> {
    let (http, _) = login(base, username, password).await;
    let listed = json_of(http.get(format!("{base}/api/studies/XS228-P2/participants"))).await;
    listed
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["screening_number"].as_str().unwrap().to_string())
        .collect()
}

/// Runs `scitrial audit verify` on `url`, which must pass; gives what it printed.
pub fn audit_verify(url: &str) -> String {
    let verify = bin()
        .args(["audit", "verify", "--database-url", url])
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&verify.stdout).trim().to_string();
    assert_eq!(
        verify.status.code(),
        Some(0),
        "audit verify on {url}: {printed}{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    printed
}

/// Screens participant `number` at site SYSU3 of the Phase II study through the API, with
/// `exam` as the screening exam: the server's answer, or why none came.
pub async fn screen(
    http: &reqwest::Client,
    base: &str,
    csrf: &str,
    number: &str,
    exam: &serde_json::Map<String, Value>,
) -> reqwest::Result<reqwest::Response> {
    let body = json!({
        "site_id": "SYSU3", "screening_number": number, "sex": "female",
        "date_of_birth": "1990-01-01", "injury_date": "2026-10-01",
        "consent_date": "2026-10-20", "screening_date": "2026-10-21", "exam": exam
    });
    http.post(format!("{base}/api/studies/XS228-P2/participants"))
        .header("x-csrf-token", csrf)
        .json(&body)
        .send()
        .await
}

/// Sends a request and reads its answer's JSON.
async fn json_of(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// The demos seeded once per test run (see [`demo_databases`]).
static DEMOS: store::testing::Templates = store::testing::Templates::new();

/// A SQLite file and, from `TEST_DATABASE_URL`, a PostgreSQL database, each a test's own copy
/// of the demo as of `today` over the Phase II study (`with_phase1`: and the Phase I study with
/// its escalation), as `scitrial serve --demo` seeds it: seeded once per test run and database
/// kind, and copied for each test. `web::demo::seed` on a copy finds it seeded and only returns
/// the accounts.
pub async fn demo_databases(prefix: &str, with_phase1: bool, today: time::Date) -> Databases {
    let seed = |url: String| async move {
        let sql = std::sync::Arc::new(store::open(&url).await.map_err(|e| e.to_string())?);
        let mut definitions = vec![std::fs::read_to_string(PHASE2).map_err(|e| e.to_string())?];
        if with_phase1 {
            definitions.push(
                std::fs::read_to_string(study("xs228-phase1.toml")).map_err(|e| e.to_string())?,
            );
        }
        let app = web::App::new(sql, &definitions, false)
            .await
            .map_err(|e| e.to_string())?;
        let accounts = web::demo::seed(&app, "XS228-P2", today).await?;
        if with_phase1 {
            web::demo::seed_escalation(&app, "XS228-P1", &accounts, today).await?;
        }
        Ok::<(), String>(())
    };
    DEMOS
        .databases(&format!("phase1 {with_phase1} {today}"), prefix, seed)
        .await
        .unwrap()
}
