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
//! `Tx::audit`); in a PostgreSQL batch the rows of all its writes are appended together by
//! `crate::seal::seal`, through the same [`write_rows`], before the batch commits.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use crate::dialect::{dialect_of, render};
use crate::model::{now, Actor};
use crate::{Change, Dialect, Result};

/// The previous hash of a chain's first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A row of the audit trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditRow {
    /// Its id (insertion order over all chains).
    pub id: i64,
    /// The chain: a study id, `<study>/unblinded`, `<study>/reads`, or `system`.
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

    /// The row, borrowed.
    pub fn as_ref(&self) -> AuditRowRef<'_> {
        AuditRowRef {
            id: self.id,
            chain: &self.chain,
            seq: self.seq,
            at: &self.at,
            user_id: self.user_id,
            username: &self.username,
            action: &self.action,
            entity: &self.entity,
            record_id: &self.record_id,
            field: self.field.as_deref(),
            old_value: self.old_value.as_deref(),
            new_value: self.new_value.as_deref(),
            reason: self.reason.as_deref(),
            prev_hash: &self.prev_hash,
            hash: &self.hash,
        }
    }

    /// The row as a CSV line.
    pub fn csv_line(&self) -> String {
        let mut out = Vec::with_capacity(256);
        self.as_ref().write_csv(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// The hash this row should have.
    pub fn expected_hash(&self) -> String {
        hex::encode(self.as_ref().digest(&mut Vec::new()))
    }
}

/// A row of the audit trail borrowed from a reader's buffer: what the streamed export and
/// verification read (see `Store::audit_each`), without a copy per row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct AuditRowRef<'a> {
    /// Its id (insertion order over all chains).
    pub id: i64,
    /// The chain.
    pub chain: &'a str,
    /// Its position in the chain, from 1.
    pub seq: i64,
    /// When (UTC), as hashed.
    pub at: &'a str,
    /// Who, by id.
    pub user_id: Option<i64>,
    /// Who, by name.
    pub username: &'a str,
    /// What was done.
    pub action: &'a str,
    /// To what kind of record.
    pub entity: &'a str,
    /// To which record.
    pub record_id: &'a str,
    /// Which field.
    pub field: Option<&'a str>,
    /// The value before.
    pub old_value: Option<&'a str>,
    /// The value after.
    pub new_value: Option<&'a str>,
    /// Why.
    pub reason: Option<&'a str>,
    /// The previous row's hash.
    pub prev_hash: &'a str,
    /// This row's hash.
    pub hash: &'a str,
}

impl AuditRowRef<'_> {
    /// The row, owned.
    pub fn to_row(&self) -> AuditRow {
        let own = |s: Option<&str>| s.map(str::to_string);
        AuditRow {
            id: self.id,
            chain: self.chain.into(),
            seq: self.seq,
            at: self.at.into(),
            user_id: self.user_id,
            username: self.username.into(),
            action: self.action.into(),
            entity: self.entity.into(),
            record_id: self.record_id.into(),
            field: own(self.field),
            old_value: own(self.old_value),
            new_value: own(self.new_value),
            reason: own(self.reason),
            prev_hash: self.prev_hash.into(),
            hash: self.hash.into(),
        }
    }

    /// Appends the row as a CSV line (the columns of [`AuditRow::CSV_HEADER`]) to `out`.
    pub fn write_csv(&self, out: &mut Vec<u8>) {
        fn cell(out: &mut Vec<u8>, s: &str) {
            if s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
                out.push(b'"');
                for part in s.split_inclusive('"') {
                    out.extend_from_slice(part.as_bytes());
                    if part.ends_with('"') {
                        out.push(b'"');
                    }
                }
                out.push(b'"');
            } else {
                out.extend_from_slice(s.as_bytes());
            }
        }
        let mut digits = [0u8; 20];
        out.extend_from_slice(decimal(self.id, &mut digits));
        out.push(b',');
        cell(out, self.chain);
        out.push(b',');
        out.extend_from_slice(decimal(self.seq, &mut digits));
        out.push(b',');
        cell(out, self.at);
        out.push(b',');
        if let Some(user) = self.user_id {
            out.extend_from_slice(decimal(user, &mut digits));
        }
        for text in [self.username, self.action, self.entity, self.record_id] {
            out.push(b',');
            cell(out, text);
        }
        for text in [self.field, self.old_value, self.new_value, self.reason] {
            out.push(b',');
            if let Some(text) = text {
                cell(out, text);
            }
        }
        out.push(b',');
        out.extend_from_slice(self.prev_hash.as_bytes());
        out.push(b',');
        out.extend_from_slice(self.hash.as_bytes());
        out.push(b'\n');
    }

    /// The SHA-256 this row should have (over its content and `prev_hash`), with `buf` as
    /// scratch space for what is hashed: fields length-prefixed, an absent one written
    /// differently from an empty one (see the module's documentation).
    pub(crate) fn digest(&self, buf: &mut Vec<u8>) -> [u8; 32] {
        buf.clear();
        let mut digits = [0u8; 20];
        let mut put = |value: Option<&[u8]>| match value {
            Some(v) => {
                let mut len = [0u8; 20];
                buf.extend_from_slice(decimal(v.len() as i64, &mut len));
                buf.push(b':');
                buf.extend_from_slice(v);
                buf.push(b'|');
            }
            None => buf.extend_from_slice(b"-|"),
        };
        fn text(s: Option<&str>) -> Option<&[u8]> {
            s.map(str::as_bytes)
        }
        put(Some(b"scitrial-audit-v1"));
        put(Some(self.chain.as_bytes()));
        put(Some(decimal(self.seq, &mut digits)));
        put(Some(self.at.as_bytes()));
        match self.user_id {
            Some(user) => put(Some(decimal(user, &mut digits))),
            None => put(None),
        }
        put(Some(self.username.as_bytes()));
        put(Some(self.action.as_bytes()));
        put(Some(self.entity.as_bytes()));
        put(Some(self.record_id.as_bytes()));
        put(text(self.field));
        put(text(self.old_value));
        put(text(self.new_value));
        put(text(self.reason));
        put(Some(self.prev_hash.as_bytes()));
        Sha256::digest(&buf[..]).into()
    }

    /// Whether the row's stored hash is the one its content gives (`buf`: scratch space).
    pub(crate) fn hash_matches(&self, buf: &mut Vec<u8>) -> bool {
        let digest = self.digest(buf);
        let mut hex = [0u8; 64];
        // Lower-case hex, as the hash was written.
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        for (i, b) in digest.iter().enumerate() {
            hex[2 * i] = DIGITS[usize::from(b >> 4)];
            hex[2 * i + 1] = DIGITS[usize::from(b & 15)];
        }
        self.hash.as_bytes() == hex
    }
}

/// `n` in decimal, as `i64::to_string` writes it, in `buf`.
fn decimal(n: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    let mut rest = n.unsigned_abs();
    loop {
        at -= 1;
        buf[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if n < 0 {
        at -= 1;
        buf[at] = b'-';
    }
    &buf[at..]
}

/// The hash of a row as the writer computes it.
fn hash_of(row: &AuditRowRef<'_>) -> String {
    hex::encode(row.digest(&mut Vec::with_capacity(256)))
}

/// The row of `change` by `entry`'s author at `seq` of `chain`, after `prev_hash` (its id and
/// its own hash not yet known).
fn row_of<'a>(
    chain: &'a str,
    at: &'a str,
    entry: &Entry<'a>,
    change: &'a Change,
    seq: i64,
    prev_hash: &'a str,
) -> AuditRowRef<'a> {
    AuditRowRef {
        id: 0,
        chain,
        seq,
        at,
        user_id: entry.user_id,
        username: entry.username,
        action: &change.action,
        entity: &change.entity,
        record_id: &change.record_id,
        field: change.field.as_deref(),
        old_value: change.old_value.as_deref(),
        new_value: change.new_value.as_deref(),
        reason: change.reason.as_deref(),
        prev_hash,
        hash: "",
    }
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
    /// Scratch space for what is hashed.
    buf: Vec<u8>,
}

impl ChainCheck {
    pub(crate) fn new(chain: &str) -> ChainCheck {
        ChainCheck {
            chain: chain.into(),
            expected_seq: 1,
            prev_hash: GENESIS.into(),
            rows: 0,
            buf: Vec::with_capacity(512),
        }
    }

    /// Checks the next row.
    pub(crate) fn next(&mut self, row: &AuditRowRef<'_>) -> Option<AuditReport> {
        let fail = |problem| AuditReport::Tampered {
            chain: row.chain.to_string(),
            id: row.id,
            seq: row.seq,
            problem,
        };
        if row.seq != self.expected_seq || row.prev_hash != self.prev_hash {
            return Some(fail(AuditProblem::Broken));
        }
        if !row.hash_matches(&mut self.buf) {
            return Some(fail(AuditProblem::Changed));
        }
        self.expected_seq += 1;
        self.prev_hash.clear();
        self.prev_hash.push_str(row.hash);
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
/// PostgreSQL the head's row is locked until the commit, so appenders of the same chain (seals
/// of batches, writes of their own) queue here (a seal that knows the head from its last
/// commit locks it with its move instead, see `crate::seal::Heads`); SQLite has one writer.
pub(crate) async fn take_head(conn: &mut AnyConnection, chain: &str) -> Result<(i64, String)> {
    if dialect_of(conn) == Dialect::Postgres {
        // A lock on the row, not a new version of it (the seal moves it): the head exists
        // from the chain's first row on.
        let head = sqlx::query_as("SELECT seq, hash FROM audit_heads WHERE chain = $1 FOR UPDATE")
            .bind(chain)
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(head) = head {
            return Ok(head);
        }
    }
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
/// after the chain's head is taken: a write that waited for the lock sees it. (A write of a
/// PostgreSQL batch is checked here when it audits, and again for the whole batch when the batch
/// is sealed into its chains under their heads: see `crate::seal`.)
pub(crate) async fn refuse_when_locked(
    conn: &mut AnyConnection,
    chain: &str,
    op: &str,
) -> Result<()> {
    if chain == "system" || trial::lock::accepts_after_lock(op) {
        return Ok(());
    }
    let study = study_of(chain);
    match lock_instant(conn, study).await? {
        Some(at) => Err(trial::lock::locked_refusal(study, &at).into()),
        None => Ok(()),
    }
}

/// When `study` was locked, if it is.
pub(crate) async fn lock_instant(conn: &mut AnyConnection, study: &str) -> Result<Option<String>> {
    let sql = render(
        dialect_of(conn),
        "SELECT locked_at::instant FROM study_locks WHERE study_id = $1",
    );
    let locked: Option<(String,)> = sqlx::query_as(&sql)
        .bind(study)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(locked.map(|(at,)| at))
}

/// On SQLite, [`take_head`] and [`refuse_when_locked`] in one statement (a study chain's write
/// that is refused after the lock): SQLite has one writer, so nothing can commit between the
/// two reads, and the write costs one statement less.
async fn take_head_unless_locked(conn: &mut AnyConnection, chain: &str) -> Result<(i64, String)> {
    let study = study_of(chain);
    let (seq, hash, locked): (i64, String, Option<String>) = sqlx::query_as(
        "INSERT INTO audit_heads (chain, seq, hash) VALUES ($1, 0, $2) \
         ON CONFLICT (chain) DO UPDATE SET seq = audit_heads.seq \
         RETURNING seq, hash, (SELECT locked_at FROM study_locks WHERE study_id = $3)",
    )
    .bind(chain)
    .bind(GENESIS)
    .bind(study)
    .fetch_one(&mut *conn)
    .await?;
    match locked {
        Some(at) => Err(trial::lock::locked_refusal(study, &at).into()),
        None => Ok((seq, hash)),
    }
}

/// The study of a chain: a study's own chain, its `<study>/unblinded` or its `<study>/reads`.
pub(crate) fn study_of(chain: &str) -> &str {
    chain
        .strip_suffix("/unblinded")
        .or_else(|| chain.strip_suffix(READS))
        .unwrap_or(chain)
}

/// The suffix of a study's chain of reads.
const READS: &str = "/reads";

/// The chain of a study's records of reading its results (`<study>/reads`): the pooled
/// analysis runs of the results API, the report page and the command line. It is apart from the
/// study's own chain so that recording a read never queues behind the study's saves on the
/// chain's head; whoever reads the study's chain reads this one too (nothing in it names an
/// arm: an unblinded run is recorded on `<study>/unblinded`).
pub fn reads_chain(study: &str) -> String {
    format!("{study}{READS}")
}

/// One write's rows for a chain: who, and the changes in order.
pub(crate) struct Entry<'a> {
    pub user_id: Option<i64>,
    pub username: &'a str,
    pub changes: &'a [Change],
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
    let (seq, prev) = match dialect_of(conn) {
        // One writer: the head and the lock are read in one statement.
        Dialect::Sqlite if !(chain == "system" || trial::lock::accepts_after_lock(op)) => {
            take_head_unless_locked(conn, chain).await?
        }
        _ => {
            let head = take_head(conn, chain).await?;
            refuse_when_locked(conn, chain, op).await?;
            head
        }
    };
    let entry = Entry {
        user_id: by.user_id,
        username: &by.username,
        changes,
    };
    match write_rows(conn, chain, (seq, prev), &now(), &[entry], None).await? {
        Written::Moved(..) => Ok(()),
        // No lock was asked for, and the head was taken in this transaction.
        _ => Err(moved_under_us(chain)),
    }
}

/// The error of a head taken in this transaction that [`write_rows`] found moved: a defect,
/// reported rather than written past.
pub(crate) fn moved_under_us(chain: &str) -> crate::StoreError {
    crate::StoreError::Database(sqlx::Error::Protocol(format!(
        "the head of the audit chain {chain} moved while this transaction held it"
    )))
}

/// What [`write_rows`] did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Written {
    /// The rows are written and the head moved to this position and hash.
    Moved(i64, String),
    /// The study is locked (since this instant): the caller refuses what the lock refuses, and
    /// its transaction is rolled back (on PostgreSQL the rows were written with the read).
    Locked(String),
    /// PostgreSQL: the head was not the one given (it was known from an earlier transaction,
    /// and another has moved it since): nothing was written.
    Stale,
}

/// Writes the rows of `entries` after the head `(seq, hash)` of `chain`, all at the instant
/// `at`, and moves the head to the last of them. The head is one the caller has taken in this
/// transaction, or on PostgreSQL one it knows from an earlier one: the move is made only from
/// that very head (which also locks it), and the rows are written only if it was made; else
/// nothing is, and [`Written::Stale`] says so.
///
/// With `lock_of`, the study's lock is read too, in a statement begun once the head was taken
/// or known (so it sees a lock committed while the head was waited for: the lock moves the
/// study chain's head), and [`Written::Locked`] gives its instant. On PostgreSQL the rows, the
/// head's move and that read are one statement (one round trip while the head is held); SQLite
/// reads the lock first, and writes nothing when the study is locked.
pub(crate) async fn write_rows(
    conn: &mut AnyConnection,
    chain: &str,
    head: (i64, String),
    at: &str,
    entries: &[Entry<'_>],
    lock_of: Option<&str>,
) -> Result<Written> {
    let dialect = dialect_of(conn);
    if let (Dialect::Sqlite, Some(study)) = (dialect, lock_of) {
        if let Some(locked) = lock_instant(conn, study).await? {
            return Ok(Written::Locked(locked));
        }
    }
    // The rows are hashed in order, then borrowed for the statement.
    let changes = || {
        entries
            .iter()
            .flat_map(|e| e.changes.iter().map(move |c| (e, c)))
    };
    let (first, genesis) = (head.0 + 1, head.1.as_str());
    let mut hashes: Vec<String> = Vec::new();
    for (k, (entry, change)) in changes().enumerate() {
        let prev = hashes.last().map_or(genesis, String::as_str);
        hashes.push(hash_of(&row_of(
            chain,
            at,
            entry,
            change,
            first + k as i64,
            prev,
        )));
    }
    let rows: Vec<AuditRowRef<'_>> = changes()
        .enumerate()
        .map(|(k, (entry, change))| {
            let prev = if k == 0 { genesis } else { &hashes[k - 1] };
            AuditRowRef {
                hash: &hashes[k],
                ..row_of(chain, at, entry, change, first + k as i64, prev)
            }
        })
        .collect();
    let Some(last) = hashes.last() else {
        return Ok(Written::Moved(head.0, head.1));
    };
    let moved = (head.0 + hashes.len() as i64, last.as_str());
    match dialect {
        Dialect::Postgres => {
            let from = (head.0, head.1.as_str());
            let (done, locked) =
                rows_postgres(conn, chain, from, moved, at, &rows, lock_of).await?;
            Ok(match (done, locked) {
                (false, _) => Written::Stale,
                (true, Some(locked)) => Written::Locked(locked),
                (true, None) => Written::Moved(moved.0, moved.1.to_string()),
            })
        }
        Dialect::Sqlite => {
            rows_sqlite(conn, chain, at, &rows).await?;
            sqlx::query("UPDATE audit_heads SET seq = $1, hash = $2 WHERE chain = $3")
                .bind(moved.0)
                .bind(moved.1)
                .bind(chain)
                .execute(&mut *conn)
                .await?;
            Ok(Written::Moved(moved.0, moved.1.to_string()))
        }
    }
}

/// PostgreSQL: the head's move from `from` to `to` (only from `from`: under PostgreSQL's read
/// committed, an update that waited for another transaction's move finds the head moved and
/// moves nothing), the rows if it moved (as one JSON parameter, so that the statement's text,
/// and its prepared plan, are the same for any number of rows; the keys it does not name, `id`,
/// `chain` and `at`, are ignored) and the read of `lock_of`'s lock, in one statement. Gives
/// whether the head moved, and the lock's instant.
async fn rows_postgres(
    conn: &mut AnyConnection,
    chain: &str,
    from: (i64, &str),
    to: (i64, &str),
    at: &str,
    rows: &[AuditRowRef<'_>],
    lock_of: Option<&str>,
) -> Result<(bool, Option<String>)> {
    // Rendered once (the instant's text form), not for every batch.
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        render(
            Dialect::Postgres,
            "WITH moved AS (UPDATE audit_heads SET seq = $1, hash = $2 \
             WHERE chain = $3 AND seq = $8 AND hash = $9 RETURNING 1), \
             added AS (INSERT INTO audit (chain, seq, at, user_id, username, action, entity, \
             record_id, field, old_value, new_value, reason, prev_hash, hash) \
             SELECT $3, r.seq, $4::timestamptz, r.user_id, r.username, r.action, r.entity, \
             r.record_id, r.field, r.old_value, r.new_value, r.reason, r.prev_hash, r.hash \
             FROM json_to_recordset($5::json) AS r(seq bigint, user_id bigint, username text, \
             action text, entity text, record_id text, field text, old_value text, \
             new_value text, reason text, prev_hash text, hash text) \
             WHERE EXISTS (SELECT FROM moved)) \
             SELECT EXISTS (SELECT FROM moved), \
             (SELECT locked_at::instant FROM study_locks WHERE study_id = $6 AND $7)",
        )
    });
    let json = serde_json::to_string(rows).map_err(|e| crate::StoreError::Invalid {
        field: "audit".into(),
        message: e.to_string(),
    })?;
    let row = sqlx::query(SQL.as_str())
        .bind(to.0)
        .bind(to.1)
        .bind(chain)
        .bind(at)
        .bind(json)
        .bind(lock_of.unwrap_or_default())
        .bind(lock_of.is_some())
        .bind(from.0)
        .bind(from.1)
        .fetch_one(&mut *conn)
        .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

/// SQLite: the rows, a few dozen to a statement.
async fn rows_sqlite(
    conn: &mut AnyConnection,
    chain: &str,
    at: &str,
    rows: &[AuditRowRef<'_>],
) -> Result<()> {
    const COLUMNS: usize = 14;
    const PER_STATEMENT: usize = 64;
    for part in rows.chunks(PER_STATEMENT) {
        let mut sql = String::from(
            "INSERT INTO audit (chain, seq, at, user_id, username, action, entity, record_id, \
             field, old_value, new_value, reason, prev_hash, hash) VALUES ",
        );
        // Anonymous parameters, bound in order: SQLite finds the name of a numbered one (`$n`)
        // by walking the list of all names, so binding the hundreds of a batch's rows by
        // number would cost time in the square of their count.
        let row = format!("({})", vec!["?"; COLUMNS].join(", "));
        sql.push_str(&vec![row; part.len()].join(", "));
        let mut q = sqlx::query(&sql);
        for r in part {
            q = q
                .bind(chain)
                .bind(r.seq)
                .bind(at)
                .bind(r.user_id)
                .bind(r.username)
                .bind(r.action)
                .bind(r.entity)
                .bind(r.record_id)
                .bind(r.field)
                .bind(r.old_value)
                .bind(r.new_value)
                .bind(r.reason)
                .bind(r.prev_hash)
                .bind(r.hash);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "chain_tests.rs"]
mod tests;
