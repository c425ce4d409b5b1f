//! The outbox sent over SMTP to a real server: aiosmtpd, started by the test with
//! `tools/python/smtp_sink.py`, which writes each message that arrives to a directory the test
//! reads back. The Python is `SCITRIAL_PYTHON` (CI: `target/ci-venv/bin/python` with
//! `tools/python/requirements.txt`); without it the test says so and passes, unless
//! `SCITRIAL_REQUIRE_PYTHON_TOOLS` is set (as CI sets it), when it fails.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use store::{Actor, CheckpointRecord, LoginAttempt, NewUser, Store};
use time::macros::datetime;
use time::OffsetDateTime;
use trial::mail::RetryPolicy;
use web::mail::{MailConfig, Mailer, Round};

use crate::common::{databases, login, plain_name, spawn_with, PHASE2};

const NOW: OffsetDateTime = datetime!(2026-12-06 10:00 UTC);

/// The Python with aiosmtpd, or `None` (skip) when it is not configured and not required.
pub fn python() -> Option<PathBuf> {
    let required = std::env::var_os("SCITRIAL_REQUIRE_PYTHON_TOOLS").is_some();
    let program = std::env::var_os("SCITRIAL_PYTHON").map(PathBuf::from);
    let works = program.as_ref().is_some_and(|p| {
        Command::new(p)
            .args(["-c", "import aiosmtpd"])
            .status()
            .is_ok_and(|s| s.success())
    });
    match (works, required) {
        (true, _) => program,
        (false, true) => panic!(
            "SCITRIAL_REQUIRE_PYTHON_TOOLS is set but SCITRIAL_PYTHON ({program:?}) is not a \
             Python with aiosmtpd (pip install -r tools/python/requirements.txt)"
        ),
        (false, false) => {
            eprintln!(
                "note: the outbox is not sent to a real SMTP server: set SCITRIAL_PYTHON to a \
                 Python with tools/python/requirements.txt installed"
            );
            None
        }
    }
}

/// A free port on the loopback (bound, then let go for the server to take).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A real SMTP server on the loopback writing what arrives to a directory; stopped on drop.
pub struct Sink {
    child: Child,
    pub dir: PathBuf,
    pub port: u16,
}

impl Sink {
    pub async fn start(python: &Path) -> Sink {
        let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/python");
        let dir = std::env::temp_dir().join(format!(
            "scitrial-smtp-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        let mut child = Command::new(python)
            .env("PYTHONPATH", &tools)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "smtp_sink.Sink"])
            .arg(&dir)
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Sink { child, dir, port };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("aiosmtpd did not listen on {port}");
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Forgets what has arrived so far.
    pub fn clear(&self) {
        for entry in std::fs::read_dir(&self.dir).unwrap().flatten() {
            let _ = std::fs::remove_file(entry.path());
        }
    }

    /// What has arrived, sorted by recipient then subject.
    pub fn arrived(&self) -> Vec<Value> {
        let mut out: Vec<Value> = std::fs::read_dir(&self.dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .map(|e| serde_json::from_slice(&std::fs::read(e.path()).unwrap()).unwrap())
            .collect();
        out.sort_by_key(|m| (m["rcpt_tos"].to_string(), m["subject"].to_string()));
        out
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0);
    h.finish()
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 2,
        first_delay: Duration::from_secs(60),
        max_delay: Duration::from_secs(600),
    }
}

pub fn mailer(url: &str) -> Mailer {
    let mut config = MailConfig::new(url, "scitrial <trial@sponsor.example>");
    config.retry = policy();
    config.timeout = Duration::from_secs(10);
    Mailer::new(config).unwrap()
}

async fn account(store: &Store, name: &str, email: Option<&str>) -> i64 {
    let user = store
        .create_user(
            &NewUser {
                username: name.into(),
                full_name: format!("Dr {name}"),
                password_hash: "not used".into(),
                language: "en".into(),
            },
            &Actor::system(),
        )
        .await
        .unwrap();
    if let Some(email) = email {
        store
            .set_user_email(user.id, email, &Actor::system())
            .await
            .unwrap();
    }
    user.id
}

/// Five failed logins lock the account, which queues one e-mail to its owner.
async fn lock(store: &Store, name: &str, id: i64) {
    for _ in 0..5 {
        let attempt = LoginAttempt {
            username: name.into(),
            user_id: Some(id),
            success: false,
            at: "2026-12-06T09:00:00.000000Z".into(),
            from: "192.0.2.7".into(),
        };
        store.record_login(&attempt).await.unwrap();
    }
}

#[tokio::test]
async fn the_outbox_arrives_at_a_real_smtp_server_and_failures_are_retried_then_failed() {
    let Some(python) = python() else { return };
    let sink = Sink::start(&python).await;
    for db in databases("scitrial_web_mail").await {
        sink.clear();
        let store = store::testing::Backend::open(db).await.unwrap();
        let inv = account(&store, "inv", Some("inv@site.example")).await;
        let gone = account(&store, "gone", Some("refused-gone@site.example")).await;
        lock(&store, "inv", inv).await;
        lock(&store, "gone", gone).await;
        store
            .record_checkpoint(&CheckpointRecord {
                file: "checkpoint-1.json".into(),
                key_id: "0011223344556677".into(),
                chains: 1,
                sha256: "ab".repeat(32),
                text: "{\"checkpoint\":{}}\n".into(),
                mail_to: Some("qa@sponsor.example".into()),
            })
            .await
            .unwrap();

        // Delivered: each to its recipient, with its subject and body.
        let mail = mailer(&sink.url());
        let round = mail.send_due(&store, NOW).await.unwrap();
        assert_eq!(
            round,
            Round {
                sent: 2,
                not_sent: 1
            }
        );
        let arrived = sink.arrived();
        let new: Vec<&Value> = arrived.iter().collect();
        assert_eq!(arrived.len(), 2, "{arrived:?}");
        let outbox = store.account_outbox().await.unwrap();
        let by_to = |to: &str| {
            new.iter()
                .find(|m| m["rcpt_tos"] == serde_json::json!([to]))
                .unwrap_or_else(|| panic!("nothing to {to}: {new:?}"))
        };
        let locked = by_to("inv@site.example");
        assert_eq!(locked["mail_from"], "trial@sponsor.example");
        assert_eq!(locked["from"], "scitrial <trial@sponsor.example>");
        assert_eq!(locked["to"], "inv@site.example");
        assert_eq!(locked["subject"], outbox[0].subject.as_str());
        assert_eq!(
            // SMTP carries lines ending CRLF.
            locked["body"]
                .as_str()
                .unwrap()
                .replace("\r\n", "\n")
                .trim_end(),
            outbox[0].body.trim_end()
        );
        assert!(locked["body"].as_str().unwrap().contains("192.0.2.7"));
        let qa = by_to("qa@sponsor.example");
        assert!(qa["subject"].as_str().unwrap().contains("0011223344556677"));
        assert!(qa["body"].as_str().unwrap().contains("{\"checkpoint\":{}}"));
        assert!(outbox[0].sent_at.is_some() && outbox[0].attempts == 1);

        // The refused recipient: pending with the server's answer and a later attempt, not
        // tried before it, then failed for good after the last attempt.
        let refused = &store.account_outbox().await.unwrap()[1];
        assert_eq!((refused.sent_at.as_deref(), refused.attempts), (None, 1));
        assert!(
            refused.last_error.as_deref().unwrap().contains("550"),
            "{refused:?}"
        );
        assert_eq!(
            refused.next_attempt_at.as_deref(),
            Some("2026-12-06T10:01:00.000000Z")
        );
        let early = NOW + Duration::from_secs(59);
        assert_eq!(
            mail.send_due(&store, early).await.unwrap(),
            Round::default()
        );
        let later = NOW + Duration::from_secs(60);
        let round = mail.send_due(&store, later).await.unwrap();
        assert_eq!(
            round,
            Round {
                sent: 0,
                not_sent: 1
            }
        );
        let refused = &store.account_outbox().await.unwrap()[1];
        assert_eq!(refused.attempts, 2);
        assert_eq!(
            refused.failed_at.as_deref(),
            Some("2026-12-06T10:01:00.000000Z")
        );
        let far = NOW + Duration::from_secs(86_400);
        assert_eq!(mail.send_due(&store, far).await.unwrap(), Round::default());
        assert_eq!(sink.arrived().len(), 2, "nothing sent twice");

        // A server that is down: pending with the connection's error, then failed; an
        // account without an address likewise, saying so.
        let nobody = account(&store, "nobody", None).await;
        lock(&store, "nobody", nobody).await;
        let other = account(&store, "other", Some("other@site.example")).await;
        lock(&store, "other", other).await;
        let down = mailer(&format!("smtp://127.0.0.1:{}", free_port()));
        let round = down.send_due(&store, far).await.unwrap();
        assert_eq!(
            round,
            Round {
                sent: 0,
                not_sent: 2
            }
        );
        let rows = store.account_outbox().await.unwrap();
        // (The checkpoint's message, to no account, shares the outbox of no study.)
        let row = |name: &str| rows.iter().find(|r| r.recipient == name).unwrap();
        let (no_address, unreachable) = (row("nobody"), row("other"));
        assert!(no_address
            .last_error
            .as_deref()
            .unwrap()
            .contains("no e-mail address"));
        assert!(unreachable.last_error.is_some(), "{unreachable:?}");
        assert!(unreachable.next_attempt_at.is_some() && unreachable.failed_at.is_none());
        let round = down
            .send_due(&store, far + Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(
            round,
            Round {
                sent: 0,
                not_sent: 2
            }
        );
        let rows = store.account_outbox().await.unwrap();
        assert_eq!(rows.len(), 5);
        assert!(rows[3..]
            .iter()
            .all(|r| r.failed_at.is_some() && r.attempts == 2));
        let to: BTreeSet<String> = sink
            .arrived()
            .iter()
            .map(|m| m["rcpt_tos"][0].as_str().unwrap().to_string())
            .collect();
        assert!(!to.contains("other@site.example"));
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            store::AuditReport::Intact { .. }
        ));
    }
}

#[tokio::test]
async fn the_sponsor_administrator_sets_an_accounts_address() {
    use reqwest::StatusCode;
    use serde_json::json;
    use trial::Role;
    for db in databases("scitrial_web_mail_api").await {
        let people = [
            ("admin", Role::SponsorAdmin, None),
            ("aud", Role::Auditor, None),
        ];
        let app = spawn_with(db.url(), PHASE2, &people, plain_name).await;
        let aud = app.store.user_by_name("aud").await.unwrap().unwrap();
        let admin = login(&app, "admin").await;
        let path = format!("/api/users/{}/email", aud.id);
        let (status, body) = admin
            .post(&path, &json!({ "email": " aud@sponsor.example " }))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body,
            json!({ "user_id": aud.id, "email": "aud@sponsor.example" })
        );
        let (status, body) = admin.post(&path, &json!({ "email": "aud" })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.to_string().contains("email"), "{body}");
        let (status, _) = login(&app, "aud")
            .await
            .post(&path, &json!({ "email": "x@sponsor.example" }))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // A new account may carry its address from the start.
        let (status, created) = admin
            .post(
                "/api/users",
                &json!({ "username": "pv-one", "full_name": "P V", "password": "a good password",
                         "email": "pv@sponsor.example" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let (status, body) = admin
            .post(
                "/api/users",
                &json!({ "username": "pv-two", "full_name": "P V", "password": "a good password",
                         "email": "not an address" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        for (id, want) in [
            (aud.id, "aud@sponsor.example"),
            (created["id"].as_i64().unwrap(), "pv@sponsor.example"),
        ] {
            let trail = app.store.audit_of("user", &id.to_string()).await.unwrap();
            let set: Vec<_> = trail
                .iter()
                .filter(|r| r.field.as_deref() == Some("email"))
                .map(|r| r.new_value.as_deref().unwrap_or(""))
                .collect();
            assert_eq!(set, [want]);
        }
    }
}
