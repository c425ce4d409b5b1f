//! The server's logs as JSON lines (`--log-format json`): every request has an id (sent back
//! in `X-Request-Id`) carried by every line logged while it runs, writes have spans of their
//! own, and no line carries a participant's data.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{bin, PHASE2 as STUDY};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_request_ids_and_no_participant_data() {
    let dir = std::env::temp_dir().join(store::testing::unique("scitrial_logs"));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite:{}", dir.join("logs.db").display());
    let mut add = bin()
        .args(["users", "add", "--database-url", &url, "--study", STUDY])
        .args([
            "--username",
            "crc-logs",
            "--full-name",
            "Log CRC",
            "--role",
            "crc",
        ])
        .args(["--site", "SYSU3"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = add.stdin.take().unwrap();
    writeln!(&stdin, "a password for logs").unwrap();
    drop(stdin);
    assert!(add.wait().unwrap().success());

    let log_path = dir.join("server.log");
    let mut server = bin()
        .args(["serve", "--log-format", "json", "--bind", "127.0.0.1:0"])
        .args(["--database-url", &url, "--study", STUDY])
        .env("SCITRIAL_LOG", "info,store=debug")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line.trim().rsplit(' ').next().unwrap().to_string();
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let login = http
        .post(format!("{base}/api/login"))
        .header("x-request-id", "given-id-42")
        .json(&json!({ "username": "crc-logs", "password": "a password for logs" }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.headers()["x-request-id"], "given-id-42");
    let csrf = login.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    // A screening with values to look for in the logs; then one refused for a bad date.
    let mut exam = serde_json::Map::new();
    for (k, v) in isncsci::flat::fields(&isncsci::Exam::normal()) {
        exam.insert(k, Value::String(v.into()));
    }
    let screening = |dob: &str| {
        json!({
            "site_id": "SYSU3", "screening_number": "LOGCHECK-77", "sex": "female",
            "date_of_birth": dob, "injury_date": "2026-10-01",
            "consent_date": "2026-10-20", "screening_date": "2026-10-21", "exam": exam
        })
    };
    let post = |body: Value| {
        http.post(format!("{base}/api/studies/XS228-P2/participants"))
            .header("x-csrf-token", &csrf)
            .json(&body)
            .send()
    };
    let created = post(screening("1971-07-17")).await.unwrap();
    assert_eq!(created.status(), reqwest::StatusCode::CREATED);
    let screening_id = created.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let refused = post(screening("1971-13-45")).await.unwrap();
    assert_eq!(refused.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    server.kill().unwrap();
    server.wait().unwrap();

    let text = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let in_request = |l: &Value, id: &str| {
        l["spans"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s["name"] == "request" && s["id"] == id))
    };
    // The login's line carries the id it was given; the screening's write ran in a span
    // inside its request, whose route is the template, not the path sent.
    let done = |id: &str| {
        lines
            .iter()
            .find(|l| l["fields"]["message"] == "request done" && l["span"]["id"] == id)
    };
    assert_eq!(done("given-id-42").unwrap()["fields"]["status"], 200);
    let screened = done(&screening_id).unwrap();
    assert_eq!(
        screened["span"]["route"],
        "/api/studies/{study}/participants"
    );
    assert!(
        lines.iter().any(|l| in_request(l, &screening_id)
            && l["spans"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["name"] == "write" && s["op"] == "screen")),
        "no write span inside the screening's request:\n{text}"
    );
    for secret in [
        "LOGCHECK",
        "1971-07-17",
        "1971-13-45",
        "a password for logs",
    ] {
        assert!(!text.contains(secret), "{secret:?} is in the logs:\n{text}");
    }
}
