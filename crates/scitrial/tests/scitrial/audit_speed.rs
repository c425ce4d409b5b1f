//! The speed of `audit verify` and `audit export` over a large trail, on both databases, with
//! the databases' own reading of the same rows as the reference, measured in the same run:
//! `sqlite3` running the export's query to /dev/null, `psql` copying it to /dev/null, and
//! `sha256sum` over the exported bytes. Run on a release build:
//!
//! `cargo test --release -p scitrial --test scitrial audit_speed -- --ignored --nocapture`
//!
//! `SCITRIAL_AUDIT_ROWS` sets the trail's size (default 1,000,000). Each figure is the best of
//! three runs of the whole process, with its peak resident memory (from `/usr/bin/time`).

use std::process::{Command, Stdio};
use std::time::Instant;

use sqlx::{Connection, Executor};

use crate::common;

/// The columns every reader reads, in the export's order.
const QUERY: &str = "SELECT id, chain, seq, at, user_id, username, action, entity, record_id, \
    field, old_value, new_value, reason, prev_hash, hash FROM audit ORDER BY chain, seq";

/// A synthetic trail of `rows` rows as a running trial writes it: four study chains, their
/// unblinded chains and the system chain, interleaved; a write of 1 to 25 rows shares its
/// instant and its author; fields, values and reasons as a form's save records them. Each
/// row hashed as the store hashes it.
fn trail(rows: usize) -> (Vec<store::AuditRow>, Vec<(String, i64, String)>) {
    let chains: Vec<String> = (1..=4)
        .flat_map(|s| [format!("SYN-{s}"), format!("SYN-{s}/unblinded")])
        .chain(["system".to_string()])
        .collect();
    let mut heads: Vec<(i64, String)> = vec![(0, store::GENESIS.to_string()); chains.len()];
    let mut out = Vec::with_capacity(rows);
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    let fields = [
        "c5RightMotor",
        "t4LeftTouch",
        "s4_5LeftPrick",
        "analContraction",
    ];
    let mut micros = 0u64;
    while out.len() < rows {
        let pick = next(100);
        let c = match pick {
            0..=3 => 8,
            4..=7 => 1 + 2 * (pick as usize % 4),
            _ => 2 * (pick as usize % 4),
        };
        micros += 1 + next(2_000_000);
        let at = format!(
            "2026-12-{:02}T{:02}:{:02}:{:02}.{:06}Z",
            1 + micros / 86_400_000_000 % 28,
            micros / 3_600_000_000 % 24,
            micros / 60_000_000 % 60,
            micros / 1_000_000 % 60,
            micros % 1_000_000
        );
        let user = 1 + next(40) as i64;
        let record = next(5_000);
        for _ in 0..(1 + next(25)).min((rows - out.len()) as u64) {
            let (seq, prev) = &mut heads[c];
            *seq += 1;
            let field = fields[next(4) as usize];
            let mut row = store::AuditRow {
                id: out.len() as i64 + 1,
                chain: chains[c].clone(),
                seq: *seq,
                at: at.clone(),
                user_id: Some(user),
                username: format!("investigator{user}"),
                action: "update".into(),
                entity: "form".into(),
                record_id: format!("{record}/screening/isncsci"),
                field: Some(format!("exam.{field}")),
                old_value: Some(next(6).to_string()),
                new_value: Some(next(6).to_string()),
                reason: (next(3) == 0).then(|| "transcription error, see source".to_string()),
                prev_hash: prev.clone(),
                hash: String::new(),
            };
            row.hash = row.expected_hash();
            *prev = row.hash.clone();
            out.push(row);
        }
    }
    let heads = chains
        .into_iter()
        .zip(heads)
        .filter(|(_, (seq, _))| *seq > 0)
        .map(|(c, (seq, hash))| (c, seq, hash))
        .collect();
    (out, heads)
}

/// The rows as COPY's text format (no value of the synthetic trail needs escaping).
fn copy_text(rows: &[store::AuditRow]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows.len() * 300);
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "\\N".into());
    for r in rows {
        let line = [
            r.id.to_string(),
            r.chain.clone(),
            r.seq.to_string(),
            r.at.clone(),
            r.user_id.map_or("\\N".into(), |u| u.to_string()),
            r.username.clone(),
            r.action.clone(),
            r.entity.clone(),
            r.record_id.clone(),
            opt(&r.field),
            opt(&r.old_value),
            opt(&r.new_value),
            opt(&r.reason),
            r.prev_hash.clone(),
            r.hash.clone(),
        ]
        .join("\t");
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out
}

/// Writes the trail straight into the tables (the store's migrations made them).
async fn load(url: &str, rows: &[store::AuditRow], heads: &[(String, i64, String)]) {
    let columns = "id, chain, seq, at, user_id, username, action, entity, record_id, field, \
        old_value, new_value, reason, prev_hash, hash";
    if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        conn.execute("PRAGMA synchronous = OFF").await.unwrap();
        let mut tx = conn.begin().await.unwrap();
        let insert = format!(
            "INSERT INTO audit ({columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
             $11, $12, $13, $14, $15)"
        );
        for r in rows {
            sqlx::query(&insert)
                .bind(r.id)
                .bind(&r.chain)
                .bind(r.seq)
                .bind(&r.at)
                .bind(r.user_id)
                .bind(&r.username)
                .bind(&r.action)
                .bind(&r.entity)
                .bind(&r.record_id)
                .bind(&r.field)
                .bind(&r.old_value)
                .bind(&r.new_value)
                .bind(&r.reason)
                .bind(&r.prev_hash)
                .bind(&r.hash)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        for (chain, seq, hash) in heads {
            sqlx::query("INSERT INTO audit_heads (chain, seq, hash) VALUES ($1, $2, $3)")
                .bind(chain)
                .bind(seq)
                .bind(hash)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        let mut copy = conn
            .copy_in_raw(&format!("COPY audit ({columns}) FROM STDIN"))
            .await
            .unwrap();
        for part in rows.chunks(10_000) {
            copy.send(copy_text(part)).await.unwrap();
        }
        copy.finish().await.unwrap();
        for (chain, seq, hash) in heads {
            sqlx::query("INSERT INTO audit_heads (chain, seq, hash) VALUES ($1, $2, $3)")
                .bind(chain)
                .bind(seq)
                .bind(hash)
                .execute(&mut conn)
                .await
                .unwrap();
        }
        conn.execute("VACUUM ANALYZE audit").await.unwrap();
    }
}

/// Runs `program args` with standard output to `out` (a file, or /dev/null) under
/// `/usr/bin/time`: seconds and peak RSS in MB, best of three (the RSS of the fastest run).
fn best_of_3(program: &str, args: &[&str], out: &str) -> (f64, f64) {
    let mut best = (f64::MAX, 0.0);
    for _ in 0..3 {
        let started = Instant::now();
        let done = Command::new("/usr/bin/time")
            .args(["-f", "%M"])
            .arg(program)
            .args(args)
            .stdout(std::fs::File::create(out).unwrap())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let secs = started.elapsed().as_secs_f64();
        let said = String::from_utf8_lossy(&done.stderr);
        assert!(done.status.success(), "{program} {args:?}: {said}");
        let kb: f64 = said
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or(0.0);
        if secs < best.0 {
            best = (secs, kb / 1024.0);
        }
    }
    best
}

#[tokio::test]
#[ignore]
async fn audit_speed() {
    let rows: usize = std::env::var("SCITRIAL_AUDIT_ROWS")
        .map(|s| s.parse().unwrap())
        .unwrap_or(1_000_000);
    let started = Instant::now();
    let (trail, heads) = trail(rows);
    println!(
        "{rows} rows over {} chains built in {:.1} s",
        heads.len(),
        started.elapsed().as_secs_f64()
    );
    let bin = env!("CARGO_BIN_EXE_scitrial");
    let dir = std::env::temp_dir().join(store::testing::unique("scitrial_audit_speed"));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("audit.csv").display().to_string();
    for db in common::databases("scitrial_audit_speed").await {
        let url = db.url().to_string();
        let sqlite = url.starts_with("sqlite:");
        drop(store::open(&url).await.unwrap());
        let started = Instant::now();
        load(&url, &trail, &heads).await;
        println!(
            "\n{}: loaded in {:.1} s",
            if sqlite { "SQLite" } else { "PostgreSQL" },
            started.elapsed().as_secs_f64()
        );
        let rate = |(secs, mb): (f64, f64)| {
            format!(
                "{:.3} s, {:>9.0} rows/s, peak RSS {mb:.1} MB",
                secs,
                rows as f64 / secs
            )
        };
        let verify = best_of_3(
            bin,
            &["audit", "verify", "--database-url", &url],
            "/dev/null",
        );
        println!("  scitrial audit verify:            {}", rate(verify));
        let export = best_of_3(bin, &["audit", "export", "--database-url", &url], &csv);
        println!("  scitrial audit export:            {}", rate(export));
        let bytes = std::fs::metadata(&csv).unwrap().len();
        let lines = std::fs::read_to_string(&csv).unwrap().lines().count();
        assert!(lines > rows, "the export has {lines} lines");
        let hash = best_of_3("sha256sum", &[&csv], "/dev/null");
        println!(
            "  reference: sha256sum over the export ({} MB): {}",
            bytes / 1_000_000,
            rate(hash)
        );
        if sqlite {
            let file = url.trim_start_matches("sqlite:");
            let read = best_of_3("sqlite3", &[file, QUERY], "/dev/null");
            println!("  reference: sqlite3, the same query:   {}", rate(read));
        } else {
            let copy = format!("\\copy ({QUERY}) TO '/dev/null' (FORMAT binary)");
            let read = best_of_3("psql", &[&url, "-q", "-c", &copy], "/dev/null");
            println!("  reference: psql \\copy, the same query: {}", rate(read));
        }
    }
}
