//! The binary sends its outbox over SMTP: `scitrial serve --smtp-url … --mail-from …` against a
//! real aiosmtpd started by the test (`tools/python/smtp_sink.py`), with a message the server
//! itself queues (the signed audit checkpoint it writes at start, mailed to the QA address),
//! read back from what arrived. The Python is `SCITRIAL_PYTHON`; without it the test says so and
//! passes, unless `SCITRIAL_REQUIRE_PYTHON_TOOLS` is set (as CI sets it).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{bin, PHASE2};

fn python() -> Option<PathBuf> {
    let program = std::env::var_os("SCITRIAL_PYTHON").map(PathBuf::from);
    let works = program.as_ref().is_some_and(|p| {
        Command::new(p)
            .args(["-c", "import aiosmtpd"])
            .status()
            .is_ok_and(|s| s.success())
    });
    if !works && std::env::var_os("SCITRIAL_REQUIRE_PYTHON_TOOLS").is_some() {
        panic!("SCITRIAL_REQUIRE_PYTHON_TOOLS is set but SCITRIAL_PYTHON ({program:?}) has no aiosmtpd");
    }
    works.then(|| program.unwrap_or_default())
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(store::testing::unique(name));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Ends a child process on drop (by its own id).
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What arrived at the sink: each message's JSON.
fn arrived(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| serde_json::from_str(&std::fs::read_to_string(e.path()).ok()?).ok())
        .collect()
}

#[test]
fn serve_with_an_smtp_url_sends_what_it_queues_to_a_real_smtp_server() {
    let Some(python) = python() else {
        eprintln!(
            "SKIPPED: the binary's SMTP test (set SCITRIAL_PYTHON to a Python with aiosmtpd)"
        );
        return;
    };
    let tmp = temp_dir("scitrial_bin_mail");
    let inbox = tmp.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/python");
    let _sink = Running(
        Command::new(&python)
            .env("PYTHONPATH", &tools)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "smtp_sink.Sink"])
            .arg(&inbox)
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "aiosmtpd did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let key = tmp.join("audit.key");
    let keygen = bin()
        .args(["audit", "keygen", "--output"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(keygen.status.success(), "{keygen:?}");
    let db = format!("sqlite:{}", tmp.join("trial.db").display());
    let mut server = Running(
        bin()
            .args([
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--database-url",
                &db,
                "--study",
                PHASE2,
            ])
            .args(["--smtp-url", &format!("smtp://127.0.0.1:{port}")])
            .args(["--mail-from", "scitrial <trial@sponsor.example>"])
            .arg("--checkpoint-key")
            .arg(&key)
            .arg("--checkpoint-dir")
            .arg(tmp.join("checkpoints"))
            .args(["--checkpoint-mail", "qa@sponsor.example"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(server.0.stdout.take().unwrap()).lines();
    let serving = lines.next().unwrap().unwrap();
    assert!(serving.starts_with("scitrial: serving"), "{serving}");
    // The checkpoint signed at start is queued, then sent by the server's first round.
    let started = Instant::now();
    let mail = loop {
        let mail = arrived(&inbox);
        if !mail.is_empty() {
            break mail;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "nothing arrived at the SMTP server in a minute"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(mail.len(), 1, "{mail:?}");
    let m = &mail[0];
    assert_eq!(
        m["rcpt_tos"],
        serde_json::json!(["qa@sponsor.example"]),
        "{m}"
    );
    assert_eq!(m["mail_from"], "trial@sponsor.example", "{m}");
    let text = m.to_string().to_lowercase();
    assert!(text.contains("checkpoint"), "{m}");
    drop(server);
    // The outbox says it was sent.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sent = rt.block_on(async {
        let sql = store::open(&db).await.unwrap();
        sql.outbox("").await.unwrap()
    });
    assert!(
        sent.iter()
            .any(|o| o.recipient == "qa@sponsor.example" && o.sent_at.is_some()),
        "{sent:?}"
    );
    std::fs::remove_dir_all(&tmp).ok();
}
