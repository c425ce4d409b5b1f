//! The audit trail's hash chain: its rows, how each is hashed, appending rows inside a write's
//! transaction, and checking a chain row by row. (Reading, exporting and verifying the trail
//! are the `audit` feature's.)
//!
//! Each row's hash is SHA-256 over the row's content and the previous row's hash in the same
//! chain. Fields are length-prefixed, and an absent value is written differently from an empty
//! one, so that no two different rows hash alike. A changed, deleted, inserted or reordered row
//! breaks the chain at that row; rows removed from the end are caught by the chain's head.
//!
//! Every write appends its rows with [`append`] inside its own transaction (through
//! `Tx::audit`).

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

use crate::dialect::{dialect_of, render};
use crate::model::{now, Actor};
use crate::{Change, Result};

/// The previous hash of a chain's first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A row of the audit trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditRow {
    /// Its id (insertion order over all chains).
    pub id: i64,
    /// The chain: a study id, or `system`.
    pub chain: String,
    /// Its position in the chain, from 1.
    pub seq: i64,
    /// When (UTC).
    #[schema(format = DateTime)]
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

/// Takes a chain's head, creating it at the chain's first row: its position and hash. On
/// PostgreSQL the upsert also locks the head's row, so writers of the same chain queue here;
/// SQLite has one writer.
pub(crate) async fn take_head(conn: &mut AnyConnection, chain: &str) -> Result<(i64, String)> {
    Ok(sqlx::query_as(
        "INSERT INTO audit_heads (chain, seq, hash) VALUES ($1, 0, $2) \
         ON CONFLICT (chain) DO UPDATE SET seq = audit_heads.seq RETURNING seq, hash",
    )
    .bind(chain)
    .bind(GENESIS)
    .fetch_one(&mut *conn)
    .await?)
}

/// Refuses the write `op` when the study whose chain this is (a study's own, or its
/// `<study>/unblinded`) is locked and `trial::lock` does not accept it after the lock. Read
/// after the chain's head is taken: a write that waited for the lock's own write sees it.
async fn refuse_when_locked(conn: &mut AnyConnection, chain: &str, op: &str) -> Result<()> {
    if chain == "system" || trial::lock::accepts_after_lock(op) {
        return Ok(());
    }
    let study = chain.strip_suffix("/unblinded").unwrap_or(chain);
    let sql = render(
        dialect_of(conn),
        "SELECT locked_at::instant FROM study_locks WHERE study_id = $1",
    );
    let locked: Option<(String,)> = sqlx::query_as(&sql)
        .bind(study)
        .fetch_optional(&mut *conn)
        .await?;
    match locked {
        Some((at,)) => Err(trial::lock::locked_refusal(study, &at).into()),
        None => Ok(()),
    }
}

/// Appends audit rows to a chain, inside the transaction of the change they record (the write
/// named `op`), refusing it when the chain's study is locked (see [`refuse_when_locked`]).
pub(crate) async fn append(
    conn: &mut AnyConnection,
    chain: &str,
    op: &str,
    by: &Actor,
    changes: &[Change],
) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let (mut seq, mut prev) = take_head(conn, chain).await?;
    refuse_when_locked(conn, chain, op).await?;
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
