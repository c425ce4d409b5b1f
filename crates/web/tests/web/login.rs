//! The login under abuse, through the real server on port 0 over a fresh SQLite file and a
//! fresh PostgreSQL database: over-long names and passwords refused before anything is stored,
//! unknown names kept in the audit only as a bounded escaped prefix, one answer for every
//! refusal (the lock told to the owner by e-mail), and the limits on failed logins per client
//! address and per name. Clients come from different loopback addresses (`127.0.0.N`), so the
//! server sees them as different peers.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use store::Actor;
use trial::accounts::{PER_ADDRESS, PER_NAME};
use trial::Role;

use crate::common::{self, plain_name, Databases, TestApp, PASSWORD, PHASE2};

async fn databases() -> Databases {
    common::databases("scitrial_login").await
}

const PEOPLE: &[common::Person] = &[
    ("crc", Role::Crc, Some(0)),
    ("mon", Role::Monitor, Some(0)),
    ("inv", Role::Investigator, Some(0)),
    ("dm", Role::DataManager, None),
    ("aud", Role::Auditor, None),
];

async fn spawn(url: &str) -> TestApp {
    common::spawn_with(url, PHASE2, PEOPLE, plain_name).await
}

/// A client whose connections come from `127.0.0.{n}`.
fn from(n: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)))
        .build()
        .unwrap()
}

/// A login's status, `Retry-After` and body text.
async fn attempt(
    http: &reqwest::Client,
    app: &TestApp,
    username: &str,
    password: &str,
) -> (StatusCode, Option<String>, String) {
    let r = http
        .post(format!("{}/api/login", app.base))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (r.status(), retry, r.text().await.unwrap())
}

/// Every audit row, each as its CSV line without the line's end.
async fn audit(app: &TestApp) -> Vec<String> {
    let rows: Vec<store::AuditRow> = app.store.audit_all().try_collect().await.unwrap();
    rows.iter()
        .map(|r| r.csv_line().trim_end_matches('\n').to_string())
        .collect()
}

/// The JSON error shape, with the fields it names.
fn error_fields(text: &str, status: StatusCode) -> Vec<(String, String)> {
    let body: Value = serde_json::from_str(text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    assert_eq!(body["error"]["status"], status.as_u16(), "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
    body["error"]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no fields: {body}"))
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_over_long_name_or_password_is_refused_before_anything_is_stored() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        let http = from(1);
        let before = audit(&app).await;
        // The probe's request: a 1.9 MB name.
        let huge = "A".repeat(1_900_000);
        let (status, _, text) = attempt(&http, &app, &huge, "x").await;
        assert_eq!(
            status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{}",
            &text[..text.len().min(300)]
        );
        let fields = error_fields(&text, status);
        assert_eq!(fields.len(), 1, "{fields:?}");
        assert_eq!(fields[0].0, "body");
        assert!(fields[0].1.contains("16384"), "{fields:?}");
        // Within the body limit, each field is named with its maximum.
        let (status, _, text) = attempt(&http, &app, &"é".repeat(65), &"p".repeat(257)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
        assert_eq!(
            error_fields(&text, status),
            [
                (
                    "username".into(),
                    "is too long (at most 64 characters)".into()
                ),
                (
                    "password".into(),
                    "is too long (at most 256 characters)".into()
                )
            ]
        );
        // The login form of the pages refuses them too.
        let r = http
            .post(format!("{}/login", app.base))
            .form(&[("username", huge.as_str()), ("password", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let page = r.text().await.unwrap();
        assert!(page.contains("longer than any account"), "{page}");
        let r = http
            .post(format!("{}/login", app.base))
            .form(&[("username", "u".repeat(65).as_str()), ("password", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(audit(&app).await, before, "the audit trail did not grow");
        // The longest name and password an account may have are still taken.
        let (status, _, _) = attempt(&http, &app, &"n".repeat(64), &"p".repeat(256)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn an_unknown_name_is_kept_in_the_audit_only_as_a_bounded_escaped_prefix() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        let before = audit(&app).await.len();
        // A NUL is refused before anything is stored (no database keeps one in text).
        let (status, _, _) = attempt(&from(1), &app, "crc\u{0}", "x").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(audit(&app).await.len(), before);
        // 64 characters, with a line break, a right-to-left override and a backslash.
        let odd = format!("evil\n\u{202e}\\{}", "z".repeat(57));
        assert_eq!(odd.chars().count(), 64);
        let (status, _, _) = attempt(&from(1), &app, &odd, "x").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let after = audit(&app).await;
        let new = &after[before..];
        assert_eq!(new.len(), 1, "{new:?}");
        let kept = format!("evil\\u{{a}}\\u{{202e}}\\\\{}…", "z".repeat(25));
        assert_eq!(kept, trial::accounts::audit_name(&odd));
        assert!(new[0].contains(&kept), "{}", new[0]);
        assert!(
            !new[0].contains('\u{202e}') && !new[0].contains("\n"),
            "{:?}",
            new[0]
        );
        assert!(!new[0].contains(&"z".repeat(26)), "{}", new[0]);
        assert!(new[0].len() < 400, "{} bytes", new[0].len());
    }
}

#[tokio::test]
async fn unknown_wrong_inactive_and_locked_get_one_answer_and_the_owner_gets_the_lock() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        let http = from(1);
        let aud = app.store.user_by_name("aud").await.unwrap().unwrap();
        app.store
            .set_active(aud.id, false, "left the study", &Actor::system())
            .await
            .unwrap();
        let unknown = attempt(&http, &app, "ghost", "x").await;
        let wrong = attempt(&http, &app, "mon", "wrong").await;
        let inactive = attempt(&http, &app, "aud", PASSWORD).await;
        for _ in 0..4 {
            assert_eq!(attempt(&http, &app, "dm", "wrong").await, wrong);
        }
        // The fifth failure sets the lock; the right password during the lock is refused the
        // same way.
        assert_eq!(attempt(&http, &app, "dm", "wrong").await, wrong);
        let locked = attempt(&http, &app, "dm", PASSWORD).await;
        assert_eq!(unknown.0, StatusCode::UNAUTHORIZED);
        assert_eq!(
            error_fields(&unknown.2, unknown.0),
            Vec::<(String, String)>::new()
        );
        assert!(
            unknown.2.contains("wrong username or password"),
            "{}",
            unknown.2
        );
        for (what, answer) in [
            ("wrong", &wrong),
            ("inactive", &inactive),
            ("locked", &locked),
        ] {
            assert_eq!(answer, &unknown, "{what}");
        }
        let dm = app.store.user_by_name("dm").await.unwrap().unwrap();
        assert!(dm.locked_until.is_some());
        // The owner is told, once, until when and from where.
        let mail = app.store.account_outbox().await.unwrap();
        assert_eq!(mail.len(), 1, "{mail:?}");
        let m = &mail[0];
        assert_eq!(
            (m.recipient_user_id, m.recipient.as_str()),
            (Some(dm.id), "dm")
        );
        assert_eq!(m.study_id, "");
        let until = dm.locked_until.as_deref().unwrap();
        assert!(m.subject.contains(until), "{}", m.subject);
        assert!(
            m.body.contains("127.0.0.1") && m.body.contains(until),
            "{}",
            m.body
        );
        assert!(m.body.contains("5 failed logins"), "{}", m.body);
        // Timing: each refusal checks one password and writes once (printed, not asserted: the
        // host's speed varies).
        let mut times = Vec::new();
        for (n, (name, password)) in [
            ("ghost", "x"),
            ("mon", "wrong"),
            ("aud", PASSWORD),
            ("dm", PASSWORD),
        ]
        .into_iter()
        .enumerate()
        {
            let client = from(20 + n as u8);
            // The first request opens the connection: not timed.
            assert_eq!(attempt(&client, &app, name, password).await, unknown);
            let mut spent = Duration::ZERO;
            for _ in 0..3 {
                let start = Instant::now();
                let answer = attempt(&client, &app, name, password).await;
                spent += start.elapsed();
                assert_eq!(answer, unknown, "{name}");
            }
            times.push(format!(
                "{name}: {:.1} ms",
                spent.as_secs_f64() * 1000.0 / 3.0
            ));
        }
        eprintln!(
            "{}: mean time of a refused login: {}",
            db.name(),
            times.join(", ")
        );
    }
}

#[tokio::test]
async fn failed_logins_are_limited_per_address_and_other_addresses_are_not() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        let flooder = from(2);
        for i in 0..PER_ADDRESS.failures {
            // Distinct names (below their own limit), and a forwarded address that the server,
            // which trusts no proxy, ignores.
            let r = flooder
                .post(format!("{}/api/login", app.base))
                .header("x-forwarded-for", format!("198.51.100.{i}"))
                .json(&json!({ "username": format!("guess{i}"), "password": "x" }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
        }
        let before = audit(&app).await;
        for (name, password) in [("another", "x"), ("crc", PASSWORD)] {
            let (status, retry, text) = attempt(&flooder, &app, name, password).await;
            assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{name}: {text}");
            let retry: i64 = retry.expect("Retry-After").parse().unwrap();
            assert!((1..=900).contains(&retry), "{retry}");
            assert!(error_fields(&text, status).is_empty());
        }
        assert_eq!(audit(&app).await, before, "refused without a write");
        // Another address is not limited.
        let (status, _, _) = attempt(&from(3), &app, "crc", PASSWORD).await;
        assert_eq!(status, StatusCode::OK);
        // Below the limit, a right password still signs in, and is not counted.
        let office = from(4);
        for i in 0..PER_ADDRESS.failures - 1 {
            let (status, _, _) = attempt(&office, &app, &format!("typo{i}"), "x").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
        for name in ["mon", "inv"] {
            let (status, _, text) = attempt(&office, &app, name, PASSWORD).await;
            assert_eq!(status, StatusCode::OK, "{name}: {text}");
        }
        let (status, _, _) = attempt(&office, &app, "typo", "x").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _, _) = attempt(&office, &app, "typo", "x").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    }
}

#[tokio::test]
async fn failed_logins_are_limited_per_name_across_addresses_whether_or_not_it_exists() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        for name in ["ghost", "inv"] {
            for n in 0..PER_NAME.failures {
                let spelled = if n % 2 == 0 {
                    name.to_string()
                } else {
                    name.to_uppercase()
                };
                let (status, _, _) = attempt(&from(100 + n as u8), &app, &spelled, "x").await;
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{name} {n}");
            }
            let (status, retry, text) = attempt(&from(200), &app, name, "x").await;
            assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{name}: {text}");
            assert!(retry.is_some());
        }
        // The address itself is not limited: another name from it still gets through.
        let (status, _, _) = attempt(&from(200), &app, "crc", PASSWORD).await;
        assert_eq!(status, StatusCode::OK);
    }
}

/// The message of the login page, and its status.
async fn page_message(
    http: &reqwest::Client,
    app: &TestApp,
    username: &str,
    password: &str,
) -> (StatusCode, Option<String>, String) {
    let r = http
        .post(format!("{}/login", app.base))
        .form(&[("username", username), ("password", password)])
        .send()
        .await
        .unwrap();
    let (status, retry) = (r.status(), r.headers().get("retry-after").cloned());
    let body = r.text().await.unwrap();
    let message = body
        .split(r#"id="login-error">"#)
        .nth(1)
        .and_then(|s| s.split("</p>").next())
        .unwrap_or_else(|| panic!("no message: {body}"))
        .to_string();
    (
        status,
        retry.map(|v| v.to_str().unwrap().to_string()),
        message,
    )
}

#[tokio::test]
async fn the_login_page_shows_one_message_for_unknown_wrong_and_locked() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        let http = from(1);
        let unknown = page_message(&http, &app, "ghost", "x").await;
        assert_eq!(unknown.0, StatusCode::UNAUTHORIZED);
        assert_eq!(unknown.2, "Wrong username or password.");
        for _ in 0..5 {
            assert_eq!(page_message(&http, &app, "mon", "wrong").await, unknown);
        }
        assert_eq!(page_message(&http, &app, "mon", PASSWORD).await, unknown);
        assert_eq!(app.store.account_outbox().await.unwrap().len(), 1);
        // Beyond the limit of the address: how long to wait.
        let flooder = from(2);
        for i in 0..PER_ADDRESS.failures {
            let (status, _, _) = page_message(&flooder, &app, &format!("g{i}"), "x").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
        let (status, retry, message) = page_message(&flooder, &app, "crc", PASSWORD).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(retry.is_some());
        assert!(message.contains("Try again in 15 minutes"), "{message}");
    }
}
