//! The audit trail's rows, their hash chain, and its verification.
//!
//! Each row's hash is SHA-256 over the row's content and the previous row's hash in the same
//! chain. Fields are length-prefixed, and an absent value is written differently from an empty
//! one, so that no two different rows hash alike. A changed, deleted, inserted or reordered row
//! breaks the chain at that row; rows removed from the end are caught by the chain's head.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The previous hash of a chain's first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One change to record.
#[derive(Clone, Debug, Default)]
pub struct Change {
    /// `create`, `update`, `delete`, `login`, `login-failed`, `lock`, `export`, …
    pub action: String,
    /// The kind of record: `participant`, `user`, `role`, `session`, …
    pub entity: String,
    /// The record's id.
    pub record_id: String,
    /// The field, for a change of one field.
    pub field: Option<String>,
    /// The value before.
    pub old_value: Option<String>,
    /// The value after.
    pub new_value: Option<String>,
    /// Why (required for a change to saved data).
    pub reason: Option<String>,
}

impl Change {
    /// A change of one kind of record.
    pub fn new(action: &str, entity: &str, record_id: impl ToString) -> Change {
        Change {
            action: action.into(),
            entity: entity.into(),
            record_id: record_id.to_string(),
            ..Change::default()
        }
    }

    /// With the field and its new value.
    pub fn set(mut self, field: &str, value: impl ToString) -> Change {
        self.field = Some(field.into());
        self.new_value = Some(value.to_string());
        self
    }

    /// With the value before.
    pub fn was(mut self, value: impl ToString) -> Change {
        self.old_value = Some(value.to_string());
        self
    }

    /// With the reason.
    pub fn because(mut self, reason: &str) -> Change {
        self.reason = Some(reason.into());
        self
    }
}

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
