//! The audit trail's rows, their hash chain, and its verification.
//!
//! Each row's hash is SHA-256 over the row's content and the previous row's hash in the same
//! chain. Fields are length-prefixed, and an absent value is written differently from an empty
//! one, so that no two different rows hash alike. A changed, deleted, inserted or reordered row
//! breaks the chain at that row; rows removed from the end are caught by the chain's head.
//!
//! Every write appends its rows with [`append`] inside its own transaction (through
//! `Tx::audit`); this file also reads the trail (per record, whole as a stream), records
//! exports, and verifies every chain.

use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

use crate::db::{dialect_of, render, Store};
use crate::model::{now, Actor};
use crate::{Change, Dialect, Result, StoreError};

/// The previous hash of a chain's first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A row of the audit trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AuditRow {
    /// Its id (insertion order over all chains).
    pub id: i64,
    /// The chain: a study id, or `system`.
    pub chain: String,
    /// Its position in the chain, from 1.
    pub seq: i64,
    /// When (UTC).
    pub at: String,
    /// Who, by id (none for the system).
    pub user_id: Option<i64>,
    /// Who, by name.
    pub username: String,
    /// What was done.
    pub action: String,
    /// To what kind of record.
    pub entity: String,
    /// To which record.
    pub record_id: String,
    /// Which field.
    pub field: Option<String>,
    /// The value before.
    pub old_value: Option<String>,
    /// The value after.
    pub new_value: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// The previous row's hash.
    pub prev_hash: String,
    /// This row's hash.
    pub hash: String,
}

impl AuditRow {
    /// The CSV header of [`AuditRow::csv_line`].
    pub const CSV_HEADER: &'static str =
        "id,chain,seq,at,user_id,username,action,entity,record_id,field,old_value,new_value,reason,prev_hash,hash\n";

    /// The row as a CSV line.
    pub fn csv_line(&self) -> String {
        let cell = |s: &str| {
            if s.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        };
        let opt = |s: &Option<String>| s.as_deref().map(cell).unwrap_or_default();
        let user = self.user_id.map(|u| u.to_string()).unwrap_or_default();
        [
            self.id.to_string(),
            cell(&self.chain),
            self.seq.to_string(),
            cell(&self.at),
            user,
            cell(&self.username),
            cell(&self.action),
            cell(&self.entity),
            cell(&self.record_id),
            opt(&self.field),
            opt(&self.old_value),
            opt(&self.new_value),
            opt(&self.reason),
            self.prev_hash.clone(),
            self.hash.clone(),
        ]
        .join(",")
            + "\n"
    }

    /// The hash this row should have.
    pub fn expected_hash(&self) -> String {
        hash_row(
            &self.chain,
            self.seq,
            &self.at,
            self.user_id,
            &self.username,
            &Change {
                action: self.action.clone(),
                entity: self.entity.clone(),
                record_id: self.record_id.clone(),
                field: self.field.clone(),
                old_value: self.old_value.clone(),
                new_value: self.new_value.clone(),
                reason: self.reason.clone(),
            },
            &self.prev_hash,
        )
    }
}

/// The hash of a row.
pub(crate) fn hash_row(
    chain: &str,
    seq: i64,
    at: &str,
    user_id: Option<i64>,
    username: &str,
    change: &Change,
    prev_hash: &str,
) -> String {
    let mut h = Sha256::new();
    let mut put = |value: Option<&str>| match value {
        Some(v) => {
            h.update(format!("{}:", v.len()).as_bytes());
            h.update(v.as_bytes());
            h.update(b"|");
        }
        None => h.update(b"-|"),
    };
    put(Some("scitrial-audit-v1"));
    put(Some(chain));
    put(Some(&seq.to_string()));
    put(Some(at));
    put(user_id.map(|u| u.to_string()).as_deref());
    put(Some(username));
    put(Some(&change.action));
    put(Some(&change.entity));
    put(Some(&change.record_id));
    put(change.field.as_deref());
    put(change.old_value.as_deref());
    put(change.new_value.as_deref());
    put(change.reason.as_deref());
    put(Some(prev_hash));
    hex::encode(h.finalize())
}

/// What is wrong with a chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum AuditProblem {
    /// The row's content does not match its hash: it was changed.
    Changed,
    /// The row does not follow the previous one: one was deleted, inserted or moved.
    Broken,
    /// The chain ends before (or after) its recorded head: rows were removed from the end, or
    /// added without the application.
    Truncated,
}

/// The outcome of walking every chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum AuditReport {
    /// Every chain verifies.
    Intact {
        /// Rows checked.
        rows: u64,
        /// Chains checked.
        chains: u64,
    },
    /// The first row that does not verify.
    Tampered {
        /// The chain.
        chain: String,
        /// The row's id (0 when the problem is at the chain's end).
        id: i64,
        /// Its position in the chain.
        seq: i64,
        /// What is wrong.
        problem: AuditProblem,
    },
}

/// Walks one chain's rows in order; `None` while it verifies.
#[derive(Debug)]
pub(crate) struct ChainCheck {
    pub chain: String,
    expected_seq: i64,
    prev_hash: String,
    pub rows: u64,
}

impl ChainCheck {
    pub(crate) fn new(chain: &str) -> ChainCheck {
        ChainCheck {
            chain: chain.into(),
            expected_seq: 1,
            prev_hash: GENESIS.into(),
            rows: 0,
        }
    }

    /// Checks the next row.
    pub(crate) fn next(&mut self, row: &AuditRow) -> Option<AuditReport> {
        let fail = |problem| AuditReport::Tampered {
            chain: row.chain.clone(),
            id: row.id,
            seq: row.seq,
            problem,
        };
        if row.seq != self.expected_seq || row.prev_hash != self.prev_hash {
            return Some(fail(AuditProblem::Broken));
        }
        if row.expected_hash() != row.hash {
            return Some(fail(AuditProblem::Changed));
        }
        self.expected_seq += 1;
        self.prev_hash = row.hash.clone();
        self.rows += 1;
        None
    }

    /// Checks the end of the chain against its head.
    pub(crate) fn end(&self, head_seq: i64, head_hash: &str) -> Option<AuditReport> {
        (head_seq != self.expected_seq - 1 || head_hash != self.prev_hash).then(|| {
            AuditReport::Tampered {
                chain: self.chain.clone(),
                id: 0,
                seq: self.expected_seq,
                problem: AuditProblem::Truncated,
            }
        })
    }
}

/// The audit row's columns, in portable form: `at` reads back as exactly the text hashed.
const AUDIT_COLUMNS: &str = "id, chain, seq, at::instant, user_id, username, action, entity, \
    record_id, field, old_value, new_value, reason, prev_hash, hash";

/// Every audit row, chain by chain in order, for each database (the stream outlives a call).
static AUDIT_ALL: std::sync::LazyLock<[String; 2]> = std::sync::LazyLock::new(|| {
    let all = format!("SELECT {AUDIT_COLUMNS} FROM audit ORDER BY chain, seq");
    [
        render(Dialect::Sqlite, &all),
        render(Dialect::Postgres, &all),
    ]
});

/// Appends audit rows to a chain, inside the transaction of the change they record.
pub(crate) async fn append(
    conn: &mut AnyConnection,
    chain: &str,
    by: &Actor,
    changes: &[Change],
) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    // The chain's head, created at its first row. On PostgreSQL the upsert also locks the
    // head's row, so writers of the same chain queue here; SQLite has one writer.
    let (mut seq, mut prev): (i64, String) = sqlx::query_as(
        "INSERT INTO audit_heads (chain, seq, hash) VALUES ($1, 0, $2) \
         ON CONFLICT (chain) DO UPDATE SET seq = audit_heads.seq RETURNING seq, hash",
    )
    .bind(chain)
    .bind(GENESIS)
    .fetch_one(&mut *conn)
    .await?;
    let at = now();
    let dialect = dialect_of(conn);
    // The rows are hashed in order, then written a few dozen to a statement.
    let mut rows = Vec::with_capacity(changes.len());
    for change in changes {
        seq += 1;
        let hash = hash_row(chain, seq, &at, by.user_id, &by.username, change, &prev);
        rows.push((seq, change, prev, hash.clone()));
        prev = hash;
    }
    const COLUMNS: usize = 14;
    const PER_STATEMENT: usize = 64;
    for part in rows.chunks(PER_STATEMENT) {
        let mut sql = String::from(
            "INSERT INTO audit (chain, seq, at, user_id, username, action, entity, record_id, \
             field, old_value, new_value, reason, prev_hash, hash) VALUES ",
        );
        for i in 0..part.len() {
            sql.push_str(if i == 0 { "(" } else { ", (" });
            for c in 1..=COLUMNS {
                let n = i * COLUMNS + c;
                sql.push_str(&match c {
                    1 => format!("${n}"),
                    3 => format!(", ${n}::timestamptz"),
                    _ => format!(", ${n}"),
                });
            }
            sql.push(')');
        }
        let sql = render(dialect, &sql);
        let mut q = sqlx::query(&sql);
        for (seq, change, prev_hash, hash) in part {
            q = q
                .bind(chain)
                .bind(*seq)
                .bind(&at)
                .bind(by.user_id)
                .bind(&by.username)
                .bind(&change.action)
                .bind(&change.entity)
                .bind(&change.record_id)
                .bind(&change.field)
                .bind(&change.old_value)
                .bind(&change.new_value)
                .bind(&change.reason)
                .bind(prev_hash)
                .bind(hash);
        }
        q.execute(&mut *conn).await?;
    }
    sqlx::query("UPDATE audit_heads SET seq = $1, hash = $2 WHERE chain = $3")
        .bind(seq)
        .bind(&prev)
        .bind(chain)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

impl Store {
    /// The audit rows of one record, oldest first.
    pub async fn audit_of(&self, entity: &str, record_id: &str) -> Result<Vec<AuditRow>> {
        let sql = self.sql(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit WHERE entity = $1 AND record_id = $2 ORDER BY id"
        ));
        Ok(sqlx::query_as::<_, AuditRow>(&sql)
            .bind(entity)
            .bind(record_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Every audit row, chain by chain in order, streamed.
    pub fn audit_all(&self) -> BoxStream<'_, Result<AuditRow>> {
        let all = match self.dialect {
            Dialect::Sqlite => &AUDIT_ALL[0],
            Dialect::Postgres => &AUDIT_ALL[1],
        };
        sqlx::query_as::<_, AuditRow>(all)
            .fetch(&self.pool)
            .map_err(StoreError::from)
            .boxed()
    }

    /// Records that someone exported data (the audit trail or a dataset).
    pub async fn record_export(&self, chain: &str, what: &str, by: &Actor) -> Result<()> {
        let (chain, change, by) = (
            chain.to_string(),
            Change::new("export", what, chain),
            by.clone(),
        );
        self.write("record_export", move |mut tx| {
            Box::pin(async move { tx.audit(&chain, &by, &[change]).await })
        })
        .await
    }

    /// Walks every chain and reports the first row that does not verify.
    pub async fn verify_audit(&self) -> Result<AuditReport> {
        let heads: Vec<(String, i64, String)> =
            sqlx::query_as("SELECT chain, seq, hash FROM audit_heads ORDER BY chain")
                .fetch_all(&self.pool)
                .await?;
        let mut stream = self.audit_all();
        let (mut rows, mut chains) = (0u64, 0u64);
        let mut current: Option<ChainCheck> = None;
        let finish = |check: &ChainCheck| {
            let head = heads.iter().find(|(c, _, _)| *c == check.chain);
            match head {
                Some((_, seq, hash)) => check.end(*seq, hash),
                None => check.end(0, GENESIS),
            }
        };
        while let Some(row) = stream.next().await {
            let row = row?;
            if current.as_ref().is_none_or(|c| c.chain != row.chain) {
                if let Some(done) = current.take() {
                    if let Some(report) = finish(&done) {
                        return Ok(report);
                    }
                    rows += done.rows;
                    chains += 1;
                }
                current = Some(ChainCheck::new(&row.chain));
            }
            if let Some(report) = current.as_mut().and_then(|c| c.next(&row)) {
                return Ok(report);
            }
        }
        if let Some(done) = current.take() {
            if let Some(report) = finish(&done) {
                return Ok(report);
            }
            rows += done.rows;
            chains += 1;
        }
        // A chain whose rows are all gone.
        for (chain, seq, hash) in &heads {
            if *seq > 0 && !self.audit_has_chain(chain).await? {
                if let Some(report) = ChainCheck::new(chain).end(*seq, hash) {
                    return Ok(report);
                }
            }
        }
        Ok(AuditReport::Intact { rows, chains })
    }

    async fn audit_has_chain(&self, chain: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit WHERE chain = $1")
            .bind(chain)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }
}
