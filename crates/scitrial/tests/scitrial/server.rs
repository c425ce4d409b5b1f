//! The server commands through the real binary: `demo` serves and prints its logins,
//! `audit verify` answers 0 on an intact trail and 1 naming the row after tampering, `users add`
//! creates an account with a role.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use sqlx::Executor;

use crate::common::{bin, study, Database, PHASE2};

fn temp_dir(name: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("scitrial_{name}_{}_{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn demo_serves_and_prints_a_login_for_every_role_then_the_trail_verifies_until_tampered() {
    let dir = temp_dir("demo");
    let mut demo = bin()
        .args(["demo", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(&dir)
        .stdout(Stdio::piped())
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
            logins.push(l.split(' ').map(String::from).collect::<Vec<_>>());
        }
        if logins.len() == 13 {
            break;
        }
    }
    let url = url.expect("the demo prints its URL");
    let roles: Vec<&str> = logins.iter().map(|l| l[2].as_str()).collect();
    for role in [
        "sponsor_admin",
        "investigator",
        "crc",
        "monitor",
        "data_manager",
        "unblinded_pharmacist",
        "dsmb_statistician",
        "auditor",
        "safety_physician",
        "pharmacovigilance",
        "dsmb_member",
        "qc",
        "qualified_person",
    ] {
        assert!(
            roles.contains(&role),
            "no demo login for {role}: {logins:?}"
        );
    }
    assert!(
        logins.iter().all(|l| l.len() == 4),
        "login: USERNAME PASSWORD ROLE SITE: {logins:?}"
    );
    // The server answers.
    let addr = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    demo.kill().unwrap();
    demo.wait().unwrap();

    let db = format!("sqlite:{}", dir.join("scitrial.db").display());
    let verify = bin()
        .args(["audit", "verify", "--database-url", &db])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&verify.stdout);
    assert_eq!(verify.status.code(), Some(0), "{said}");
    assert!(said.starts_with("audit trail intact: "), "{said}");

    // The export leaves out the unblinded chains unless asked for them.
    let chains = |extra: &[&str]| -> Vec<String> {
        let export = bin()
            .args(["audit", "export", "--database-url", &db])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(export.status.code(), Some(0));
        let mut csv = csv::Reader::from_reader(export.stdout.as_slice());
        let chain = csv.headers().unwrap().iter().position(|h| h == "chain");
        let chain = chain.expect("a chain column");
        csv.records()
            .map(|r| r.expect("a CSV row")[chain].to_string())
            .collect()
    };
    let blinded = chains(&[]);
    assert!(blinded.len() > 40, "{} rows", blinded.len());
    assert!(!blinded.iter().any(|c| c.ends_with("/unblinded")));
    let all = chains(&["--include-unblinded"]);
    assert!(
        all.iter().any(|c| c.ends_with("/unblinded")),
        "the demo randomises"
    );
    assert!(all.len() > blinded.len());

    let rt = tokio_runtime();
    rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&db).await.unwrap();
        pool.execute("DROP TRIGGER audit_no_update").await.unwrap();
        pool.execute("UPDATE audit SET new_value = 'forged' WHERE id = 40")
            .await
            .unwrap();
    });
    let verify = bin()
        .args(["audit", "verify", "--database-url", &db])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&verify.stdout);
    assert_eq!(verify.status.code(), Some(1), "{said}");
    assert!(
        said.contains("row id 40") && said.contains("changed"),
        "{said}"
    );
}

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn users_add_reads_the_password_from_standard_input() {
    let dir = temp_dir("users");
    let db = format!("sqlite:{}", dir.join("u.db").display());
    let study = PHASE2;
    let add_with =
        |name: &str, role: &str, site: Option<&str>, password: &str, email: Option<&str>| {
            let mut cmd = bin();
            cmd.args([
                "users",
                "add",
                "--database-url",
                &db,
                "--study",
                study,
                "--username",
                name,
                "--full-name",
                "Dr Test",
                "--role",
                role,
            ]);
            if let Some(s) = site {
                cmd.args(["--site", s]);
            }
            if let Some(e) = email {
                cmd.args(["--email", e]);
            }
            let mut child = cmd
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(format!("{password}\n").as_bytes())
                .unwrap();
            child.wait_with_output().unwrap()
        };
    let add = |name: &str, role: &str, site: Option<&str>, password: &str| {
        add_with(name, role, site, password, None)
    };
    let ok = add(
        "newinv",
        "investigator",
        Some("SYSU3"),
        "long enough password",
    );
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let bad_role = add("x1", "boss", None, "long enough password");
    assert_eq!(bad_role.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("not a role (roles: sponsor_admin"));
    let short = add("x2", "auditor", None, "short");
    assert!(
        String::from_utf8_lossy(&short.stderr).contains("password: needs at least 8 characters")
    ); // An account may be given its e-mail address; a text that is none is refused.
    let mailed = add_with(
        "pv1",
        "auditor",
        None,
        "long enough password",
        Some("pv1@sponsor.example"),
    );
    assert_eq!(
        mailed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&mailed.stderr)
    );
    let bad = add_with("pv2", "auditor", None, "long enough password", Some("pv2"));
    assert_ne!(bad.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not an e-mail address"));
    let export = bin()
        .args(["audit", "export", "--database-url", &db])
        .output()
        .unwrap();
    let csv = String::from_utf8_lossy(&export.stdout);
    assert!(
        csv.lines()
            .any(|l| l.contains(",email,") && l.contains("pv1@sponsor.example")),
        "{csv}"
    );
    assert!(
        !csv.contains("pv2"),
        "nothing of a refused account is written"
    );
}

#[test]
fn randomization_simulate_reports_balance_and_predictability() {
    let phase2 = study("xs228-phase2.toml");
    let simulate = || {
        bin()
            .args([
                "randomization",
                "simulate",
                "--study",
                &phase2,
                "--n",
                "60",
                "--runs",
                "500",
                "--seed",
                "3",
                "--json",
            ])
            .output()
            .unwrap()
    };
    let run = simulate();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(
        (report["participants"].as_u64(), report["runs"].as_u64()),
        (Some(60), Some(500))
    );
    let predictability = report["predictability"].as_f64().unwrap();
    assert!((0.5..1.0).contains(&predictability), "{predictability}");
    // Stratified blocks balance the arms better than simple randomisation.
    assert!(
        report["overall"]["mean"].as_f64().unwrap()
            < report["simple_overall"]["mean"].as_f64().unwrap()
    );
    // The same seed gives the same report.
    assert_eq!(simulate().stdout, run.stdout);
    // A dose-escalation study has no randomisation.
    let phase1 = bin()
        .args([
            "randomization",
            "simulate",
            "--study",
            &study("xs228-phase1.toml"),
            "--n",
            "12",
            "--runs",
            "10",
        ])
        .output()
        .unwrap();
    assert_eq!(phase1.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&phase1.stderr).contains("3+3"));
}

/// The load test's figures from a short run (`--clients 4 --seconds 1`, two studies written at
/// once, PostgreSQL with its lanes, the default): parsed from its report.
fn short_load_test(database: &str) -> String {
    let out = bin()
        .args([
            "load-test",
            "--clients",
            "4",
            "--participants",
            "1",
            "--studies",
            "2",
            "--readers",
            "5",
            "--seconds",
            "1",
            "--database",
            database,
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

fn figure(report: &str, label: &str) -> f64 {
    let line = report
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} in\n{report}"));
    line.trim()
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .find(|w| !w.is_empty())
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("no number after {label:?} in {line:?}"))
}

#[test]
fn load_test_saves_exams_over_http_and_measures_the_disk_in_the_same_run() {
    let mut databases = vec!["sqlite".to_string()];
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) => databases.push(url),
        Err(_) if std::env::var_os("SCITRIAL_REQUIRE_POSTGRES").is_some() => {
            panic!("TEST_DATABASE_URL is required (SCITRIAL_REQUIRE_POSTGRES is set)")
        }
        Err(_) => eprintln!("SKIPPED: the PostgreSQL run (set TEST_DATABASE_URL)"),
    }
    for database in databases.into_iter().map(Database::new) {
        let report = short_load_test(database.url());
        assert!(report.contains(", 2 studies, "), "{report}");
        assert!(figure(&report, "saves:") > 0.0, "{report}");
        // Both databases commit writes in groups (SQLite's writer, PostgreSQL's lanes).
        assert!(figure(&report, "group commit:") > 0.0, "{report}");
        assert!(report.contains(", 0 failed"), "{report}");
        let p50 = figure(&report, "latency: p50");
        assert!(p50 > 0.0, "{report}");
        // The processor time a save, told apart: the server's and the clients' (on threads of
        // their own).
        let cpu = report
            .lines()
            .find(|l| l.starts_with("processor time:"))
            .unwrap_or_else(|| panic!("{report}"));
        assert!(
            cpu.contains(": server ") && cpu.contains(", clients "),
            "{report}"
        );
        assert!(
            figure(&report, "single-row durable commits:") > 0.0,
            "{report}"
        );
        // Every save left its audit rows, and the chains verify.
        assert!(
            figure(&report, "audit trail:") > figure(&report, "saves:"),
            "{report}"
        );
        assert!(report.contains("every chain verifies"), "{report}");
        // Readers asked for the dashboard, the participant list and the report meanwhile,
        // each answer timed (measured, not asserted: no bound on the figures here).
        assert!(figure(&report, "reads while saving:") == 5.0, "{report}");
        assert!(
            report.contains(" answers (") && report.contains("/s), 0 failed"),
            "{report}"
        );
        let mut answers = 0.0;
        for kind in [
            "dashboard page",
            "participants page",
            "participants API",
            "report page",
            "results API",
        ] {
            let label = format!("reads, {kind}: ");
            let line = report
                .lines()
                .find_map(|l| l.strip_prefix(&label))
                .unwrap_or_else(|| panic!("no {label:?} in\n{report}"));
            // `p50 4.1 ms, p99 20.3 ms, max 31.0 ms, 160 answers`
            let number = |tag: &str| -> f64 {
                line.split(", ")
                    .find_map(|part| part.strip_prefix(tag))
                    .and_then(|rest| rest.split(' ').next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("no {tag:?} in {line:?}"))
            };
            let (p50, p99, max) = (number("p50 "), number("p99 "), number("max "));
            assert!(p50 <= p99 && p99 <= max, "{line}");
            let count: f64 = line
                .rsplit(", ")
                .next()
                .and_then(|l| l.strip_suffix(" answers"))
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("no count of answers in {line:?}"));
            answers += count;
        }
        assert!(answers > 0.0, "{report}");
    }
}
