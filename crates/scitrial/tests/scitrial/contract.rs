//! The API against its own contract: schemathesis (PyPI, pinned in
//! `tools/python/requirements.txt`, installed by `.ci/run`) reads `/api/openapi.json` from the
//! real binary serving the seeded demo, on SQLite and on PostgreSQL (`TEST_DATABASE_URL`), and
//! sends generated requests as several roles, checking every answer: no 5xx
//! (`not_a_server_error`), a documented status (`status_code_conformance`), the documented media
//! type (`content_type_conformance`) and a body that matches its schema
//! (`response_schema_conformance`). Any failure fails the test with schemathesis's report.
//!
//! `SCITRIAL_SCHEMATHESIS` names the `schemathesis` program (CI sets it to the venv's); without
//! it the test is skipped with a note, unless `SCITRIAL_REQUIRE_SCHEMATHESIS` is set, as CI sets
//! it. `SCITRIAL_SCHEMATHESIS_EXAMPLES` sets the generated examples per operation (default 10).
//!
//! The time it takes is bounded (about 1.5 minutes per database on two cores): every role runs
//! the fuzzing phase (random valid requests); the coordinator, who enters the data and so gets
//! past the access check of most bodies, also runs the coverage phase (about 6,400 requests:
//! each schema's boundary values and, as negative cases, every kind of wrong value; the same
//! for every role but for the access check, so it runs once).
//!
//! Left out of the role runs, and why: `logout` would end the session the run uses, and `login`
//! fuzzed with the names the run learns (`/api/me` gives them) would lock the accounts of the
//! roles still to come; both are fuzzed at the end, without a session. The sponsor
//! administrator runs last of the roles, since deactivating accounts and taking roles away is
//! what it may do.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::common::{self, bin};

/// The checks every answer must pass.
const CHECKS: &str =
    "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";

/// The demo's roles that run, by login name, with their phases: every role of the demo, the
/// administrator last.
const ROLES: &[(&str, &str)] = &[
    ("crc", "coverage,fuzzing"),
    ("investigator", "fuzzing"),
    ("monitor", "fuzzing"),
    ("data-manager", "fuzzing"),
    ("unblinded-pharmacist", "fuzzing"),
    ("dsmb-statistician", "fuzzing"),
    ("auditor", "fuzzing"),
    ("sponsor-admin", "fuzzing"),
];

/// The schemathesis program, or `None` (with a note) when it is not there and not required.
fn schemathesis() -> Option<PathBuf> {
    let required = std::env::var_os("SCITRIAL_REQUIRE_SCHEMATHESIS").is_some();
    let program = std::env::var_os("SCITRIAL_SCHEMATHESIS").map(PathBuf::from);
    match program {
        Some(p) if p.is_file() => Some(p),
        other => {
            let note = format!(
                "schemathesis not found (SCITRIAL_SCHEMATHESIS={other:?}); \
                 `.ci/run` installs it from tools/python/requirements.txt"
            );
            assert!(!required, "{note}");
            eprintln!("skipped: {note}");
            None
        }
    }
}

/// A server process, ended when dropped (also when the test fails).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The demo served on a free port over `database_url`: the process, its URL and its logins
/// (name → password).
fn demo(dir: &Path, database_url: &str) -> (Server, String, Vec<(String, String)>) {
    let mut demo = bin()
        .args(["demo", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .args(["--database-url", database_url])
        .env("SCITRIAL_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(demo.stdout.take().unwrap()).lines();
    let mut url = None;
    let mut logins = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(u) = line.strip_prefix("url: ") {
            url = Some(u.to_string());
        }
        if let Some(l) = line.strip_prefix("login: ") {
            let words: Vec<&str> = l.split(' ').collect();
            logins.push((words[0].to_string(), words[1].to_string()));
        }
        if logins.len() == 10 {
            break;
        }
    }
    // Keep reading what it prints, so that it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (Server(demo), url.expect("the demo prints its URL"), logins)
}

/// Signs in: the session cookie and the CSRF token.
async fn sign_in(base: &str, username: &str, password: &str) -> (String, String) {
    let r = reqwest::Client::new()
        .post(format!("{base}/api/login"))
        .json(&serde_json::json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK, "login {username}");
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let me: serde_json::Value = r.json().await.unwrap();
    (cookie, me["csrf_token"].as_str().unwrap().to_string())
}

/// The configuration: the values the demo has for the path parameters (its two studies, its
/// participants, visits, forms, queries and adverse events), used most of the time so that the
/// requests reach past the 404 of an unknown record; the rest are generated.
fn config(dir: &Path) -> PathBuf {
    let ids = (1..=60)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!(
        r#"[dictionaries.studies]
values = ["XS228-P2", "XS228-P1"]

[dictionaries.ids]
values = [{ids}]

[dictionaries.visits]
values = ["screening", "baseline", "week-2", "week-4", "week-12", "day-1", "day-29"]

[dictionaries.forms]
values = ["isncsci", "scim3", "wisci2", "vital-signs", "conmed"]

[parameters]
"path.study" = {{ dictionary = "studies", probability = 0.9 }}
"path.id" = {{ dictionary = "ids", probability = 0.8 }}
"path.query" = {{ dictionary = "ids", probability = 0.8 }}
"path.ae" = {{ dictionary = "ids", probability = 0.8 }}
"path.visit" = {{ dictionary = "visits", probability = 0.8 }}
"path.form" = {{ dictionary = "forms", probability = 0.8 }}
"#
    );
    let path = dir.join("schemathesis.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The totals of a run as schemathesis prints them (`N generated, …`).
fn totals(report: &str) -> String {
    report
        .lines()
        .find(|l| l.contains(" generated, "))
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Runs schemathesis; panics with its report on any failure.
fn run(program: &Path, config: &Path, base: &str, who: &str, extra: &[String]) -> String {
    let examples = std::env::var("SCITRIAL_SCHEMATHESIS_EXAMPLES").unwrap_or("10".into());
    let out = Command::new(program)
        .arg("--config-file")
        .arg(config)
        .args(["run", &format!("{base}/api/openapi.json")])
        .args(["--checks", CHECKS, "--max-examples", &examples])
        .args(["--workers", "2"])
        .args(["--request-timeout", "30", "--output-truncate", "false"])
        .args(extra)
        .env("NO_COLOR", "1")
        // Its cache (`.schemathesis/`) goes to the run's own directory, not the checkout.
        .current_dir(config.parent().unwrap_or(Path::new(".")))
        .output()
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "schemathesis found failures as {who}:\n{report}"
    );
    let totals = totals(&report);
    eprintln!("schemathesis as {who}: {totals}");
    totals
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_keeps_its_contract_under_schemathesis_as_every_role() {
    let Some(program) = schemathesis() else {
        return;
    };
    for db in common::databases("scitrial_contract").await {
        let dir = std::env::temp_dir().join(format!(
            "scitrial_schemathesis_{}_{}",
            std::process::id(),
            db.url().len()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let config = config(&dir);
        let (server, base, logins) = demo(&dir, db.url());
        let mut summary = Vec::new();
        for (role, phases) in ROLES {
            let (name, password) = logins
                .iter()
                .find(|(name, _)| name == role)
                .unwrap_or_else(|| panic!("no demo login {role}: {logins:?}"));
            let (cookie, csrf) = sign_in(&base, name, password).await;
            let extra = [
                "-H".to_string(),
                format!("Cookie: {cookie}"),
                "-H".to_string(),
                format!("X-CSRF-Token: {csrf}"),
                "--exclude-operation-id".to_string(),
                "login".to_string(),
                "--exclude-operation-id".to_string(),
                "logout".to_string(),
                "--phases".to_string(),
                phases.to_string(),
            ];
            let (program, config, base) = (program.clone(), config.clone(), base.clone());
            let who = role.to_string();
            let totals =
                tokio::task::spawn_blocking(move || run(&program, &config, &base, &who, &extra))
                    .await
                    .unwrap();
            summary.push(format!("{role}: {totals}"));
        }
        // Without a session: the public operations, the login and the logout among them.
        let extra = [
            "--include-operation-id",
            "login",
            "--include-operation-id",
            "logout",
        ]
        .into_iter()
        .chain([
            "--include-operation-id",
            "healthz",
            "--include-operation-id",
            "openapi",
        ])
        .chain(["--phases", "coverage,fuzzing"])
        .map(String::from)
        .collect::<Vec<_>>();
        let (p, c, b) = (program.clone(), config.clone(), base.clone());
        let totals = tokio::task::spawn_blocking(move || run(&p, &c, &b, "nobody", &extra))
            .await
            .unwrap();
        summary.push(format!("without a session: {totals}"));
        drop(server);
        let _ = std::fs::remove_dir_all(&dir);
        eprintln!("schemathesis on {}:\n  {}", db.name(), summary.join("\n  "));
    }
}
