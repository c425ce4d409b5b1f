//! Signed audit checkpoints through the real binary, on both databases: `audit keygen`,
//! `audit checkpoint`, `audit verify --checkpoints` (intact, rows appended since, a flipped
//! byte, another key's checkpoint, a truncated chain with its head rewritten, a deleted chain),
//! and the server's checkpoints at start and at shutdown.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use store::{Actor, Scope, Store};

use crate::common::{self, bin, PHASE2};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(store::testing::unique(name));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the binary: exit code and everything it printed.
fn run(args: &[&str]) -> (i32, String) {
    let out = bin().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn keygen(dir: &Path) -> (String, String) {
    let key = dir.join("audit.key");
    let (code, said) = run(&["audit", "keygen", "--output", &key.display().to_string()]);
    assert_eq!(code, 0, "{said}");
    let public = format!("{}.pub", key.display());
    (key.display().to_string(), public)
}

fn checkpoint(url: &str, key: &str, dir: &Path) -> (i32, String) {
    run(&[
        "audit",
        "checkpoint",
        "--database-url",
        url,
        "--key",
        key,
        "--output",
        &dir.display().to_string(),
    ])
}

fn verify(url: &str, dir: &Path, public: &str) -> (i32, String) {
    run(&[
        "audit",
        "verify",
        "--database-url",
        url,
        "--checkpoints",
        &dir.display().to_string(),
        "--public-key",
        public,
    ])
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    out.sort();
    out
}

/// A study with a randomisation list (so an unblinded chain) and `n` participants screened.
async fn trail(url: &str, n: usize) -> (Store, String) {
    let (sql, study, user) = common::phase2_with_user(url).await;
    sql.generate_randomisation(
        &study,
        &store::ListRequest::new(7, 4, 8),
        &Actor::user(&user),
    )
    .await
    .unwrap();
    screen(&sql, &study.id, 0..n).await;
    (sql, study.id)
}

async fn screen(sql: &Store, study: &str, numbers: std::ops::Range<usize>) {
    for i in numbers {
        let scope = Scope::Study(study.into());
        sql.screen(&scope, &common::screening("SYSU3", i), &Actor::system())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn keygen_writes_a_private_key_for_its_owner_only_and_never_overwrites() {
    let dir = temp_dir("scitrial_keygen");
    let (key, public) = keygen(&dir);
    let text = std::fs::read_to_string(&key).unwrap();
    assert!(text.contains("secret-key: "), "{text}");
    let public_text = std::fs::read_to_string(&public).unwrap();
    assert!(public_text.contains("public-key: "), "{public_text}");
    let id = |t: &str| {
        t.lines()
            .find(|l| l.starts_with("key-id: "))
            .map(String::from)
    };
    assert_eq!(id(&text), id(&public_text));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let (code, said) = run(&["audit", "keygen", "--output", &key]);
    assert_eq!(code, 2, "{said}");
    assert!(said.contains("exists already"), "{said}");
    assert_eq!(std::fs::read_to_string(&key).unwrap(), text);
    // A second key pair is another key.
    let (_, other) = keygen(&temp_dir("scitrial_keygen"));
    assert_ne!(
        id(&std::fs::read_to_string(other).unwrap()),
        id(&public_text)
    );
}

#[tokio::test]
async fn verify_with_checkpoints_names_a_truncated_or_deleted_chain_and_an_altered_checkpoint() {
    for db in common::databases("scitrial_checkpoints").await {
        let url = db.url().to_string();
        let (sql, study) = trail(&url, 6).await;
        let keys = temp_dir("scitrial_keys");
        let (key, public) = keygen(&keys);
        let dir = temp_dir("scitrial_checkpoint_dir");

        // Without checkpoints: as before, and it says what is not covered.
        let (code, said) = run(&["audit", "verify", "--database-url", &url]);
        assert_eq!(code, 0, "{said}");
        assert!(said.starts_with("audit trail intact: "), "{said}");
        assert!(
            said.contains("not covered without signed checkpoints"),
            "{said}"
        );

        // An empty directory of checkpoints is a failure, not a pass.
        let (code, said) = verify(&url, &dir, &public);
        assert_eq!(code, 1, "{said}");
        assert!(said.contains("no checkpoint files"), "{said}");

        let (code, said) = checkpoint(&url, &key, &dir);
        assert_eq!(code, 0, "{said}");
        assert!(said.contains("checkpoint of 3 chains signed"), "{said}");
        let (code, said) = verify(&url, &dir, &public);
        assert_eq!(code, 0, "{said}");
        assert!(said.contains("matches 1 signed checkpoints"), "{said}");

        // Rows appended since (the checkpoint's own record among them) verify.
        screen(&sql, &study, 6..8).await;
        let (code, said) = checkpoint(&url, &key, &dir);
        assert_eq!(code, 0, "{said}");
        let (code, said) = verify(&url, &dir, &public);
        assert_eq!(code, 0, "{said}");
        assert!(said.contains("matches 2 signed checkpoints"), "{said}");

        // A flipped byte in a checkpoint file: refused, named.
        let first = files(&dir)[0].clone();
        let good = std::fs::read(&first).unwrap();
        let mut bad = good.clone();
        let at = bad.len() / 2;
        bad[at] ^= 0x01;
        std::fs::write(&first, &bad).unwrap();
        let (code, said) = verify(&url, &dir, &public);
        assert_eq!(code, 1, "{said}");
        let name = first.file_name().unwrap().to_string_lossy().to_string();
        assert!(
            said.lines()
                .any(|l| l.contains(&name) && l.contains("REFUSED")),
            "{said}"
        );
        std::fs::write(&first, &good).unwrap();

        // A checkpoint of another key in the directory: refused, named.
        let (other, _) = keygen(&temp_dir("scitrial_keys"));
        let foreign = temp_dir("scitrial_foreign");
        assert_eq!(checkpoint(&url, &other, &foreign).0, 0);
        let stranger = files(&foreign)[0].clone();
        let moved = dir.join("checkpoint-29991231T000000Z-1.json");
        std::fs::copy(&stranger, &moved).unwrap();
        let (code, said) = verify(&url, &dir, &public);
        assert_eq!(code, 1, "{said}");
        assert!(
            said.contains("checkpoint-29991231T000000Z-1.json") && said.contains("signed by key"),
            "{said}"
        );
        std::fs::remove_file(&moved).unwrap();

        // Rows cut off the study's chain, its head rewritten: the chains alone say intact.
        let rows: i64 = sqlx::query_scalar("SELECT seq FROM audit_heads WHERE chain = $1")
            .bind(&study)
            .fetch_one(sql.raw_pool())
            .await
            .unwrap();
        let cut = rows - 3;
        for statement in [
            format!("DELETE FROM audit WHERE chain = '{study}' AND seq > {cut}"),
            format!(
                "UPDATE audit_heads SET seq = {cut}, hash = (SELECT hash FROM audit \
                 WHERE chain = '{study}' AND seq = {cut}) WHERE chain = '{study}'"
            ),
        ] {
            store::testing::tamper(&sql, &statement).await.unwrap();
        }
        let (code, said) = run(&["audit", "verify", "--database-url", &url]);
        assert_eq!(code, 0, "the chains alone miss it: {said}");
        let (code, said) = verify(&url, &dir, &public);
        assert_eq!(code, 1, "{said}");
        assert!(
            said.contains(&format!("chain {study} is shorter than signed")),
            "{said}"
        );
        assert!(!said.contains("intact"), "{said}");
        assert!(
            said.starts_with("the hash chains verify on their own"),
            "{said}"
        );
        // And a tampered trail is not signed.
        store::testing::tamper(
            &sql,
            &format!("UPDATE audit SET new_value = 'x' WHERE chain = '{study}' AND seq = 2"),
        )
        .await
        .unwrap();
        let (code, said) = checkpoint(&url, &key, &temp_dir("scitrial_refused"));
        assert_eq!(code, 1, "{said}");
        assert!(said.contains("no checkpoint signed"), "{said}");

        // The unblinded chain deleted with its head.
        let unblinded = store::unblinded_chain(&study);
        for statement in [
            format!("DELETE FROM audit WHERE chain = '{unblinded}'"),
            format!("DELETE FROM audit_heads WHERE chain = '{unblinded}'"),
        ] {
            store::testing::tamper(&sql, &statement).await.unwrap();
        }
        let (code, said) = verify(&url, &dir, &public);
        assert_eq!(code, 1, "{said}");
        assert!(
            said.contains(&format!("chain {unblinded} is missing")),
            "{said}"
        );
    }
}

#[tokio::test]
async fn the_server_signs_a_checkpoint_at_start_and_at_shutdown_and_mails_each() {
    for db in common::databases("scitrial_serve_checkpoints").await {
        let url = db.url().to_string();
        let (key, public) = keygen(&temp_dir("scitrial_keys"));
        let dir = temp_dir("scitrial_server_checkpoints");
        let mut server = bin()
            .args([
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--database-url",
                &url,
                "--study",
                PHASE2,
            ])
            .args(["--checkpoint-key", &key, "--checkpoint-dir"])
            .arg(&dir)
            .args(["--checkpoint-mail", "qa@sponsor.example"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
        let serving = lines.next().unwrap().unwrap();
        assert!(serving.starts_with("scitrial: serving"), "{serving}");
        assert_eq!(files(&dir).len(), 1, "one at start");
        let term = std::process::Command::new("kill")
            .args(["-TERM", &server.id().to_string()])
            .status()
            .unwrap();
        assert!(term.success());
        let status = server.wait().unwrap();
        assert!(status.success(), "{status}");
        assert_eq!(files(&dir).len(), 2, "one more at shutdown");
        let (code, said) = verify(&url, &dir, &public);
        assert_eq!(code, 0, "{said}");
        let sql = store::open(&url).await.unwrap();
        let mail = sql.outbox("").await.unwrap();
        assert_eq!(mail.len(), 2);
        assert!(mail.iter().all(|m| m.recipient == "qa@sponsor.example"));
        let first = std::fs::read_to_string(&files(&dir)[0]).unwrap();
        assert!(
            mail[0].body.contains(&first),
            "the file's text is in the message"
        );
    }
}

/// Appends `rows` synthetic rows, hashed as the store hashes them, over a study's chain (90%),
/// its unblinded chain (5%) and the system chain (5%).
async fn synthetic_trail(sql: &Store, rows: usize) {
    let chains = ["SYN", "SYN/unblinded", "system"];
    let counts = [rows - rows / 10, rows / 20, rows / 10 - rows / 20];
    for (chain, count) in chains.into_iter().zip(counts) {
        let mut prev = store::GENESIS.to_string();
        let mut batch = Vec::new();
        for seq in 1..=count as i64 {
            let mut row = store::AuditRow {
                id: 0,
                chain: chain.into(),
                seq,
                at: "2026-12-06T04:00:00.000000Z".into(),
                user_id: None,
                username: "system".into(),
                action: "update".into(),
                entity: "form".into(),
                record_id: format!("{}", seq / 7),
                field: Some("exam.c5RightMotor".into()),
                old_value: Some("3".into()),
                new_value: Some("4".into()),
                reason: Some("transcription error".into()),
                prev_hash: prev.clone(),
                hash: String::new(),
            };
            row.hash = row.expected_hash();
            prev = row.hash.clone();
            batch.push(row);
            if batch.len() == 500 || seq == count as i64 {
                insert_rows(sql, &batch).await;
                batch.clear();
            }
        }
        sqlx::query("INSERT INTO audit_heads (chain, seq, hash) VALUES ($1, $2, $3)")
            .bind(chain)
            .bind(count as i64)
            .bind(&prev)
            .execute(sql.raw_pool())
            .await
            .unwrap();
    }
}

async fn insert_rows(sql: &Store, rows: &[store::AuditRow]) {
    let values: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "('{}', {}, '{}'::timestamptz, '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}')",
                r.chain,
                r.seq,
                r.at,
                r.username,
                r.action,
                r.entity,
                r.record_id,
                r.field.as_deref().unwrap_or(""),
                r.old_value.as_deref().unwrap_or(""),
                r.new_value.as_deref().unwrap_or(""),
                r.reason.as_deref().unwrap_or(""),
                r.prev_hash,
                r.hash
            )
        })
        .collect();
    let statement = sql.sql(&format!(
        "INSERT INTO audit (chain, seq, at, username, action, entity, record_id, field, \
         old_value, new_value, reason, prev_hash, hash) VALUES {}",
        values.join(", ")
    ));
    sqlx::query(&statement)
        .execute(sql.raw_pool())
        .await
        .unwrap();
}

/// Times `audit checkpoint` and `audit verify --checkpoints` (with 24 checkpoints in the
/// directory) over synthetic trails of `SCITRIAL_AUDIT_ROWS` rows (default 2,000, about the
/// demo's 1,874, and 100,000) on both databases. Run with `--ignored --nocapture` on a release
/// build.
#[tokio::test]
#[ignore]
async fn timing_of_checkpoints_and_verification() {
    let sizes: Vec<usize> = std::env::var("SCITRIAL_AUDIT_ROWS")
        .map(|s| s.split(',').map(|n| n.parse().unwrap()).collect())
        .unwrap_or(vec![2_000, 100_000]);
    for rows in sizes {
        for db in common::databases("scitrial_checkpoint_timing").await {
            let url = db.url().to_string();
            let sql = store::open(&url).await.unwrap();
            synthetic_trail(&sql, rows).await;
            let (key, public) = keygen(&temp_dir("scitrial_keys"));
            let dir = temp_dir("scitrial_timing");
            let time = |f: &dyn Fn() -> (i32, String)| {
                let mut best = f64::MAX;
                for _ in 0..3 {
                    let started = std::time::Instant::now();
                    let (code, said) = f();
                    assert_eq!(code, 0, "{said}");
                    best = best.min(started.elapsed().as_secs_f64());
                }
                best
            };
            let signing = time(&|| checkpoint(&url, &key, &dir));
            for _ in 0..21 {
                assert_eq!(checkpoint(&url, &key, &dir).0, 0);
            }
            let plain = time(&|| run(&["audit", "verify", "--database-url", &url]));
            let checked = time(&|| verify(&url, &dir, &public));
            println!(
                "{} rows on {}: checkpoint {signing:.3} s, verify {plain:.3} s, verify with {} \
                 checkpoints {checked:.3} s (best of 3, whole process)",
                rows,
                if url.starts_with("sqlite") {
                    "SQLite"
                } else {
                    "PostgreSQL"
                },
                files(&dir).len()
            );
        }
    }
}

#[test]
fn the_operator_s_commands_refuse_a_sqlite_path_with_no_database() {
    let dir = temp_dir("scitrial_no_database");
    let missing = dir.join("mistyped.db");
    let url = format!("sqlite:{}", missing.display());
    let key = dir.join("k.key");
    let (code, said) = run(&["audit", "keygen", "--output", key.to_str().unwrap()]);
    assert_eq!(code, 0, "{said}");
    let out = dir.join("checkpoints");
    for args in [
        vec!["audit", "verify", "--database-url", &url],
        vec![
            "audit",
            "checkpoint",
            "--database-url",
            &url,
            "--key",
            key.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ],
    ] {
        let (code, said) = run(&args);
        assert_ne!(code, 0, "{args:?}: {said}");
        assert!(said.contains("there is no database at"), "{said}");
        assert!(!missing.exists(), "{args:?} made a new database");
    }
}
