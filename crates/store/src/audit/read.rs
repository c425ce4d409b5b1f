//! Reading the whole trail fast, in one read snapshot and in constant memory, for the
//! streamed export and the verification: every row, chain by chain in order, lent to the
//! visitor without a copy.
//!
//! The `Any` driver copies every value of every row twice (into its own row, then into the
//! record), and sqlx's SQLite driver copies each value into a row of its own and hands each row
//! from its worker thread through a channel: both cost more than hashing the row. So the trail
//! is read on a connection of its own through a direct driver: on SQLite a read-only `rusqlite`
//! connection to the same file (the same C library as sqlx's), on a blocking thread of its own
//! that also runs the visitor, one statement stepped through (`ORDER BY chain, seq` walks the
//! `UNIQUE (chain, seq)` index: no sort), each row's text borrowed from SQLite's own buffers; on
//! PostgreSQL `COPY (SELECT …) TO STDOUT` in the binary format, parsed as it arrives, each row
//! borrowed from the message that carries it (the instant arrives as microseconds and is
//! written as the store writes instants, once per distinct value).

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use futures::TryStreamExt;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection as _};

use crate::chain::AuditRowRef;
use crate::db::Store;
use crate::{Dialect, Result, StoreError};

/// Each chain's head as recorded: its row count and last hash.
pub(crate) type Heads = BTreeMap<String, (i64, String)>;

/// The columns, in the order of [`AuditRowRef`].
const COLUMNS: &str = "id, chain, seq, at, user_id, username, action, entity, record_id, \
    field, old_value, new_value, reason, prev_hash, hash";

/// What reads the trail: the heads first, then the rows, chain by chain in order, until it
/// breaks. It is sent to the thread that reads (SQLite) and handed back at the end.
pub(crate) trait Visit: Send + 'static {
    /// Each chain's head, read in the same snapshot as the rows, before them.
    fn heads(&mut self, heads: Heads);
    /// The next row.
    fn row(&mut self, row: AuditRowRef<'_>) -> ControlFlow<()>;
}

impl Store {
    /// Reads the trail in one read snapshot (see [`Visit`]); gives the visitor back.
    pub(crate) async fn read_trail<V: Visit>(&self, mut visit: V) -> Result<V> {
        match self.dialect {
            Dialect::Sqlite => {
                let path = sqlite_file(self.url())?;
                tokio::task::spawn_blocking(move || {
                    read_sqlite(&path, &mut visit)?;
                    Ok(visit)
                })
                .await
                .map_err(|e| StoreError::Database(sqlx::Error::AnyDriverError(Box::new(e))))?
            }
            Dialect::Postgres => {
                read_postgres(self.url(), &mut visit).await?;
                Ok(visit)
            }
        }
    }
}

/// The file a `sqlite:` URL names (as sqlx reads it: `sqlite:PATH`, `sqlite://PATH`, its
/// parameters after `?`).
fn sqlite_file(url: &str) -> Result<PathBuf> {
    let options = SqliteConnectOptions::from_str(url)?;
    let path = options.get_filename();
    if url.contains(":memory:") || url.contains("mode=memory") {
        return Err(StoreError::Invalid {
            field: "database url".into(),
            message: "the audit trail is read from a file: an in-memory database has none".into(),
        });
    }
    Ok(path.to_path_buf())
}

fn sqlite_error(e: rusqlite::Error) -> StoreError {
    StoreError::Database(sqlx::Error::AnyDriverError(Box::new(e)))
}

/// Reads the trail from the SQLite file at `path`: its own read-only connection, one read
/// transaction (its snapshot starts at its first read, the heads, and holds to its end), the
/// statement stepped through with each row lent to `visit`.
fn read_sqlite(path: &Path, visit: &mut impl Visit) -> Result<()> {
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite_error)?;
    // As the store's own connections wait for a writer's lock.
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(sqlite_error)?;
    let tx = conn.transaction().map_err(sqlite_error)?;
    let mut heads = Heads::new();
    {
        let mut stmt = tx
            .prepare("SELECT chain, seq, hash FROM audit_heads")
            .map_err(sqlite_error)?;
        let mut rows = stmt.query([]).map_err(sqlite_error)?;
        while let Some(row) = rows.next().map_err(sqlite_error)? {
            heads.insert(
                row.get(0).map_err(sqlite_error)?,
                (
                    row.get(1).map_err(sqlite_error)?,
                    row.get(2).map_err(sqlite_error)?,
                ),
            );
        }
    }
    visit.heads(heads);
    {
        let sql = format!("SELECT {COLUMNS} FROM audit ORDER BY chain, seq");
        let mut stmt = tx.prepare(&sql).map_err(sqlite_error)?;
        let mut rows = stmt.query([]).map_err(sqlite_error)?;
        while let Some(row) = rows.next().map_err(sqlite_error)? {
            if visit.row(sqlite_row(row)?).is_break() {
                break;
            }
        }
    }
    tx.rollback().map_err(sqlite_error)?;
    conn.close().map_err(|(_, e)| sqlite_error(e))?;
    Ok(())
}

/// What a column holding a value of a type the store never writes there reads as: a text
/// holding NUL bytes, or the smallest integer, neither of which the application writes, so the
/// row's hash (or its place in the chain) does not verify and the walk reports the row as
/// tampered with, as it does any other change, and goes on to the other chains.
const NOT_AS_WRITTEN_TEXT: &str = "\0not as written\0";
const NOT_AS_WRITTEN_INT: i64 = i64::MIN;

/// One row, borrowed from SQLite's buffers: no copy, no allocation. SQLite keeps whatever type
/// is written behind the application's back; such a value reads as [`NOT_AS_WRITTEN_TEXT`] or
/// [`NOT_AS_WRITTEN_INT`], so that the walk reports its row instead of stopping.
fn sqlite_row<'r>(row: &'r rusqlite::Row<'_>) -> Result<AuditRowRef<'r>> {
    let value = |i: usize| row.get_ref(i).map_err(sqlite_error);
    let int = |i: usize| -> Result<Option<i64>> {
        Ok(match value(i)? {
            ValueRef::Null => None,
            ValueRef::Integer(n) => Some(n),
            _ => Some(NOT_AS_WRITTEN_INT),
        })
    };
    let text = |i: usize| -> Result<Option<&'r str>> {
        Ok(match value(i)? {
            ValueRef::Null => None,
            // SQLite keeps a blob where one is written, even in a text column: its bytes are
            // what is hashed.
            ValueRef::Text(t) | ValueRef::Blob(t) => {
                Some(std::str::from_utf8(t).unwrap_or(NOT_AS_WRITTEN_TEXT))
            }
            _ => Some(NOT_AS_WRITTEN_TEXT),
        })
    };
    let required_int = |i: usize| Ok::<_, StoreError>(int(i)?.unwrap_or(NOT_AS_WRITTEN_INT));
    let required = |i: usize| Ok::<_, StoreError>(text(i)?.unwrap_or(NOT_AS_WRITTEN_TEXT));
    Ok(AuditRowRef {
        id: required_int(0)?,
        chain: required(1)?,
        seq: required_int(2)?,
        at: required(3)?,
        user_id: int(4)?,
        username: required(5)?,
        action: required(6)?,
        entity: required(7)?,
        record_id: required(8)?,
        field: text(9)?,
        old_value: text(10)?,
        new_value: text(11)?,
        reason: text(12)?,
        prev_hash: required(13)?,
        hash: required(14)?,
    })
}

async fn read_postgres(url: &str, visit: &mut impl Visit) -> Result<()> {
    let mut conn = PgConnectOptions::from_str(url)?.connect().await?;
    let mut tx = conn.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let heads: Vec<(String, i64, String)> =
        sqlx::query_as("SELECT chain, seq, hash FROM audit_heads")
            .fetch_all(&mut *tx)
            .await?;
    visit.heads(heads.into_iter().map(|(c, s, h)| (c, (s, h))).collect());
    let copy =
        format!("COPY (SELECT {COLUMNS} FROM audit ORDER BY chain, seq) TO STDOUT (FORMAT binary)");
    let mut parser = CopyParser::default();
    let mut stopped = false;
    {
        let mut chunks = tx.copy_out_raw(&copy).await?;
        while let Some(chunk) = chunks.try_next().await? {
            if parser.feed(&chunk, visit)?.is_break() {
                stopped = true;
                break;
            }
        }
    }
    if stopped {
        // A COPY left unread can only end with its connection.
        drop(tx);
        drop(conn);
        return Ok(());
    }
    parser.finish()?;
    tx.rollback().await?;
    conn.close().await?;
    Ok(())
}

fn malformed(what: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(format!(
        "the audit trail's COPY data: {what}"
    )))
}

/// The binary COPY format, parsed across the messages it arrives in.
#[derive(Default)]
struct CopyParser {
    /// The start of a row cut by the end of a message.
    carry: Vec<u8>,
    header: bool,
    trailer: bool,
    at: Instants,
}

/// The binary format's signature.
const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

impl CopyParser {
    fn feed(&mut self, chunk: &[u8], visit: &mut impl Visit) -> Result<ControlFlow<()>> {
        if self.carry.is_empty() {
            let (used, flow) = self.parse(chunk, visit)?;
            self.carry.extend_from_slice(&chunk[used..]);
            return Ok(flow);
        }
        self.carry.extend_from_slice(chunk);
        let carry = std::mem::take(&mut self.carry);
        let (used, flow) = self.parse(&carry, visit)?;
        self.carry = carry;
        self.carry.drain(..used);
        Ok(flow)
    }

    /// Parses whole rows from `data`: how many bytes they took.
    fn parse(&mut self, data: &[u8], visit: &mut impl Visit) -> Result<(usize, ControlFlow<()>)> {
        let mut at = 0;
        if !self.header {
            let fixed = SIGNATURE.len() + 8;
            if data.len() < fixed {
                return Ok((0, ControlFlow::Continue(())));
            }
            if &data[..SIGNATURE.len()] != SIGNATURE {
                return Err(malformed("no binary signature"));
            }
            let extension = be_i32(&data[SIGNATURE.len() + 4..]) as usize;
            if data.len() < fixed + extension {
                return Ok((0, ControlFlow::Continue(())));
            }
            at = fixed + extension;
            self.header = true;
        }
        while at < data.len() {
            if self.trailer {
                return Err(malformed("data after the trailer"));
            }
            let Some((fields, used)) = fields(&data[at..])? else {
                break;
            };
            at += used;
            let Some(fields) = fields else {
                self.trailer = true;
                continue;
            };
            let row = self.row(&fields)?;
            if visit.row(row).is_break() {
                return Ok((at, ControlFlow::Break(())));
            }
        }
        Ok((at, ControlFlow::Continue(())))
    }

    fn row<'a>(&'a mut self, f: &[Option<&'a [u8]>; 15]) -> Result<AuditRowRef<'a>> {
        let int = |i: usize| -> Result<i64> {
            match f[i] {
                Some(b) if b.len() == 8 => Ok(be_i64(b)),
                _ => Err(malformed("an integer column")),
            }
        };
        let micros = int(3)?;
        let user_id = match f[4] {
            None => None,
            Some(_) => Some(int(4)?),
        };
        let (id, seq) = (int(0)?, int(2)?);
        let at = self.at.text(micros);
        let text = |i: usize| -> Result<Option<&'a str>> {
            f[i].map(std::str::from_utf8)
                .transpose()
                .map_err(|_| malformed("a text column is not UTF-8"))
        };
        let required = |i: usize| text(i)?.ok_or_else(|| malformed("a NULL in a NOT NULL column"));
        Ok(AuditRowRef {
            id,
            chain: required(1)?,
            seq,
            at,
            user_id,
            username: required(5)?,
            action: required(6)?,
            entity: required(7)?,
            record_id: required(8)?,
            field: text(9)?,
            old_value: text(10)?,
            new_value: text(11)?,
            reason: text(12)?,
            prev_hash: required(13)?,
            hash: required(14)?,
        })
    }

    fn finish(&self) -> Result<()> {
        if !self.carry.is_empty() || !self.trailer {
            return Err(malformed("it ends inside a row"));
        }
        Ok(())
    }
}

/// One row's fields (`None` for the trailer) and the bytes it took, or `None` when `data`
/// ends inside it.
#[allow(clippy::type_complexity)]
fn fields(data: &[u8]) -> Result<Option<(Option<[Option<&[u8]>; 15]>, usize)>> {
    if data.len() < 2 {
        return Ok(None);
    }
    let count = i16::from_be_bytes([data[0], data[1]]);
    if count == -1 {
        return Ok(Some((None, 2)));
    }
    if count != 15 {
        return Err(malformed("a row without 15 columns"));
    }
    let mut out = [None; 15];
    let mut at = 2;
    for slot in &mut out {
        if data.len() < at + 4 {
            return Ok(None);
        }
        let len = be_i32(&data[at..]);
        at += 4;
        if len < 0 {
            continue;
        }
        let len = len as usize;
        if data.len() < at + len {
            return Ok(None);
        }
        *slot = Some(&data[at..at + len]);
        at += len;
    }
    Ok(Some((Some(out), at)))
}

fn be_i32(b: &[u8]) -> i32 {
    i32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn be_i64(b: &[u8]) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    i64::from_be_bytes(a)
}

/// PostgreSQL's binary instants (microseconds since 2000-01-01 UTC) written as the store
/// writes instants (`2026-11-22T01:29:02.000000Z`, what `col::instant` renders), the last one
/// kept: the rows of one write share it.
#[derive(Default)]
struct Instants {
    micros: Option<i64>,
    text: String,
}

/// 2000-01-01 in microseconds since 1970.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

impl Instants {
    fn text(&mut self, micros: i64) -> &str {
        if self.micros != Some(micros) {
            self.micros = Some(micros);
            self.text = crate::model::instant_from_unix_micros(
                i128::from(micros) + i128::from(PG_EPOCH_MICROS),
            );
        }
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Collect(Vec<crate::AuditRow>);

    impl Visit for Collect {
        fn heads(&mut self, _: Heads) {}
        fn row(&mut self, row: AuditRowRef<'_>) -> ControlFlow<()> {
            self.0.push(row.to_row());
            ControlFlow::Continue(())
        }
    }

    fn field(out: &mut Vec<u8>, value: Option<&[u8]>) {
        match value {
            None => out.extend_from_slice(&(-1i32).to_be_bytes()),
            Some(v) => {
                out.extend_from_slice(&(v.len() as i32).to_be_bytes());
                out.extend_from_slice(v);
            }
        }
    }

    /// A COPY stream of `n` rows, as PostgreSQL writes it.
    fn stream(n: i64) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        out.extend_from_slice(&0i32.to_be_bytes());
        out.extend_from_slice(&4i32.to_be_bytes());
        out.extend_from_slice(b"ext!");
        for i in 1..=n {
            out.extend_from_slice(&15i16.to_be_bytes());
            field(&mut out, Some(&i.to_be_bytes()));
            field(&mut out, Some(b"XS228-P2"));
            field(&mut out, Some(&i.to_be_bytes()));
            // 2026-11-22T01:29:02.000007Z and a second more per row.
            let micros = 848_626_142_000_007i64 + i * 1_000_000;
            field(&mut out, Some(&micros.to_be_bytes()));
            field(&mut out, (i % 2 == 0).then_some(&7i64.to_be_bytes()[..]));
            for text in ["chen", "update", "form", "12"] {
                field(&mut out, Some(text.as_bytes()));
            }
            field(&mut out, Some("exam.c5RightMotor".as_bytes()));
            field(&mut out, None);
            field(&mut out, Some("4, \"五\"".as_bytes()));
            field(&mut out, Some(b""));
            field(&mut out, Some(b"prev"));
            field(&mut out, Some(b"hash"));
        }
        out.extend_from_slice(&(-1i16).to_be_bytes());
        out
    }

    #[test]
    fn copy_rows_are_read_whatever_the_messages_cut_them_at() {
        let data = stream(5);
        for cut in [1, 2, 3, 7, 19, 64, data.len()] {
            let mut parser = CopyParser::default();
            let mut rows = Collect(Vec::new());
            for chunk in data.chunks(cut) {
                assert!(parser.feed(chunk, &mut rows).unwrap().is_continue());
            }
            parser.finish().unwrap();
            assert_eq!(rows.0.len(), 5, "cut at {cut}");
            let r = &rows.0[1];
            assert_eq!((r.id, r.seq, r.chain.as_str()), (2, 2, "XS228-P2"));
            assert_eq!(r.at, "2026-11-22T01:29:04.000007Z");
            assert_eq!((rows.0[0].user_id, r.user_id), (None, Some(7)));
            assert_eq!(r.old_value, None);
            assert_eq!(r.new_value.as_deref(), Some("4, \"五\""));
            assert_eq!(r.reason.as_deref(), Some(""));
            assert_eq!((r.prev_hash.as_str(), r.hash.as_str()), ("prev", "hash"));
        }
    }

    #[test]
    fn a_copy_stream_cut_short_or_malformed_is_an_error() {
        let data = stream(2);
        let mut parser = CopyParser::default();
        let mut rows = Collect(Vec::new());
        assert!(parser
            .feed(&data[..data.len() - 5], &mut rows)
            .unwrap()
            .is_continue());
        assert!(parser.finish().is_err());
        let mut bad = data.clone();
        bad[0] = b'X';
        assert!(CopyParser::default().feed(&bad, &mut rows).is_err());
    }
}
