//! The database core every feature stands on: opening the database (either dialect), the one
//! write path, and the transaction a write runs in.
//!
//! Every write of the store is a closure over a [`Tx`] given to [`Store::write`]: on SQLite the
//! writes that arrive while a commit is under way share the next transaction (see
//! [`crate::group`]), on PostgreSQL each runs in its own. Nothing else begins a transaction.
//!
//! The two databases keep instants, dates, flags and JSON differently: SQLite as text and
//! integers, PostgreSQL in its own types (`timestamptz`, `date`, `boolean`, `jsonb`), which
//! sqlx's `Any` driver can neither decode nor bind from a Rust string. Every statement that
//! touches such a column is written once, in PostgreSQL's cast syntax, and rendered for the
//! database by [`render`] (through `Store::sql` or `Tx::sql`):
//!
//! - a parameter written into a typed column carries its type: `$3::timestamptz`, `$4::date`,
//!   `$5::jsonb` (a cast on PostgreSQL; SQLite drops it);
//! - a typed column that is read is cast to text: `col::instant` (an instant, in the store's
//!   text form `2026-11-22T01:29:02.000000Z`, keeping the column's name), `col::text` (a date
//!   or JSON); SQLite drops the cast;
//! - flags are booleans: bound as Rust `bool`, tested as `WHERE active` / `NOT locked`, written
//!   as `TRUE`/`FALSE`, and read into a `bool` through [`Flag`] (SQLite keeps 0/1).

use std::str::FromStr;

use futures::future::BoxFuture;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Executor};
use tracing::Instrument;

use crate::model::Actor;
use crate::{group, Change, Dialect, Result, StoreError};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The system of record over SQLite or PostgreSQL, reached with sqlx's `Any` driver. Its
/// operations are grouped by feature, one file each (`participants.rs`, `ecrf/`, …).
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) dialect: Dialect,
    /// Reads.
    pub(crate) pool: AnyPool,
    /// Writes: for SQLite a single connection, since SQLite has one writer at a time.
    writer: AnyPool,
    /// SQLite: the queue of the group-committing writer (see [`group`]).
    group: Option<tokio::sync::mpsc::UnboundedSender<group::Job>>,
    /// What the group-committing writer has done.
    group_counts: std::sync::Arc<group::Counts>,
}

/// The transaction a write runs in, with the dialect for the few statements that differ.
pub(crate) struct Tx<'c> {
    conn: &'c mut AnyConnection,
    dialect: Dialect,
}

impl Tx<'_> {
    /// The connection, inside the transaction.
    pub(crate) fn conn(&mut self) -> &mut AnyConnection {
        self.conn
    }

    /// Which database this is.
    pub(crate) fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// A statement for this database (see [`render`]).
    pub(crate) fn sql(&self, portable: &str) -> String {
        render(self.dialect, portable)
    }

    /// ` FOR UPDATE` on PostgreSQL (SQLite has one writer).
    pub(crate) fn for_update(&self) -> &'static str {
        match self.dialect {
            Dialect::Postgres => " FOR UPDATE",
            Dialect::Sqlite => "",
        }
    }

    /// Appends audit rows to a chain, inside this transaction (see [`crate::audit::append`]).
    pub(crate) async fn audit(
        &mut self,
        chain: &str,
        by: &Actor,
        changes: &[Change],
    ) -> Result<()> {
        crate::audit::append(self.conn, chain, by, changes).await
    }

    /// Takes a study's row for the rest of the transaction on PostgreSQL (SQLite has one
    /// writer): the study-wide steps that must not interleave (enrolment, generating the
    /// randomisation list, assigning a dose level) take it before they check anything.
    pub(crate) async fn lock_study(&mut self, study: &str) -> Result<()> {
        let lock = self.for_update();
        sqlx::query(&format!("SELECT id FROM studies WHERE id = $1{lock}"))
            .bind(study)
            .fetch_optional(self.conn())
            .await?;
        Ok(())
    }
}

/// The work of a write: a closure over the transaction.
pub(crate) trait Work<T>:
    for<'c> FnOnce(Tx<'c>) -> BoxFuture<'c, Result<T>> + Send + 'static
{
}
impl<T, F> Work<T> for F where F: for<'c> FnOnce(Tx<'c>) -> BoxFuture<'c, Result<T>> + Send + 'static
{}

impl Store {
    /// Opens the database at `url` and applies the migrations: `sqlite:PATH` (the file is
    /// created if missing) or `postgres://…`.
    pub async fn open(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Dialect::Postgres
        } else {
            return Err(StoreError::Invalid {
                field: "database url".into(),
                message: format!("{url:?} is neither sqlite:PATH nor postgres://…"),
            });
        };
        let url = match dialect {
            Dialect::Sqlite if !url.contains('?') => format!("{url}?mode=rwc"),
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pools = |max: u32| {
            AnyPoolOptions::new()
                .max_connections(max)
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        if dialect == Dialect::Sqlite {
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = FULL").await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                        }
                        Ok(())
                    })
                })
                .connect_with(options.clone())
        };
        let (pool, writer) = match dialect {
            Dialect::Sqlite => {
                let writer = pools(1).await?;
                (pools(4).await?, writer)
            }
            Dialect::Postgres => {
                let pool = pools(16).await?;
                (pool.clone(), pool)
            }
        };
        let migrator = match dialect {
            Dialect::Sqlite => &SQLITE_MIGRATIONS,
            Dialect::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&writer).await?;
        let group_counts = std::sync::Arc::new(group::Counts::default());
        let group = (dialect == Dialect::Sqlite).then(|| {
            let (queue, jobs) = tokio::sync::mpsc::unbounded_channel();
            group::spawn(writer.clone(), jobs, group_counts.clone());
            queue
        });
        Ok(Store {
            dialect,
            pool,
            writer,
            group,
            group_counts,
        })
    }

    /// Which database this is.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// On SQLite, the group commits so far: transactions committed by the writer and the
    /// writes they held (`None` on PostgreSQL, where each write commits on its own).
    pub fn group_commits(&self) -> Option<(u64, u64)> {
        self.group.as_ref().map(|_| self.group_counts.get())
    }

    /// A statement for this database, from its portable form: PostgreSQL's casts to and from
    /// the typed columns (`$1::timestamptz`, `col::instant`, `col::text`; see the module's
    /// documentation). For tests and tools that write SQL of their own too.
    pub fn sql(&self, portable: &str) -> String {
        render(self.dialect, portable)
    }

    /// The pool, for tests and tools that need to reach the tables directly.
    pub fn raw_pool(&self) -> &AnyPool {
        &self.writer
    }

    /// The one write path: runs `work` in a transaction and answers once it is committed (an
    /// error from `work` rolls back everything it wrote). On SQLite the writes that arrive
    /// together share one transaction and one commit, each in its own savepoint (see
    /// [`group`]); on PostgreSQL each has its own transaction. `op` names the write in the
    /// logs (a span per write; no values are logged).
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        op: &'static str,
        work: impl Work<T>,
    ) -> Result<T> {
        let span = tracing::debug_span!("write", op, db = ?self.dialect);
        let started = std::time::Instant::now();
        async {
            let out = match &self.group {
                Some(queue) => {
                    let (job, answer) = group::job(move |conn| {
                        work(Tx {
                            conn,
                            dialect: Dialect::Sqlite,
                        })
                    });
                    if queue.send(job).is_err() {
                        return Err(StoreError::Database(sqlx::Error::PoolClosed));
                    }
                    group::answer(answer).await
                }
                None => {
                    let mut tx = self.writer.begin().await?;
                    let out = work(Tx {
                        conn: &mut tx,
                        dialect: self.dialect,
                    })
                    .await?;
                    tx.commit().await?;
                    Ok(out)
                }
            };
            let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            match &out {
                Ok(_) => tracing::debug!(micros, "write committed"),
                // The kind only: a refusal's message may quote a participant's data.
                Err(e) => tracing::debug!(error = e.kind(), micros, "write refused or failed"),
            }
            out
        }
        .instrument(span)
        .await
    }
}

/// Maps a unique-key violation to a conflict on `field`.
pub(crate) fn conflict(field: &str, message: &str) -> impl FnOnce(sqlx::Error) -> StoreError {
    let (field, message) = (field.to_string(), message.to_string());
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict { field, message }
        }
        _ => StoreError::Database(e),
    }
}

/// Which database a connection reaches.
pub(crate) fn dialect_of(conn: &AnyConnection) -> Dialect {
    if conn.backend_name() == <sqlx::Postgres as sqlx::Database>::NAME {
        Dialect::Postgres
    } else {
        Dialect::Sqlite
    }
}

/// A record that is not there (or not in the caller's scope).
pub(crate) fn not_found(entity: &'static str, id: impl ToString) -> StoreError {
    StoreError::NotFound {
        entity,
        id: id.to_string(),
    }
}

/// How PostgreSQL writes an instant as the store's text (`model::instant`).
const PG_INSTANT: &str = "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'";

/// Renders a statement for a database from its portable form, PostgreSQL's cast syntax:
/// SQLite drops every cast (`::word`); PostgreSQL keeps them, but for the pseudo-cast
/// `col::instant`, which becomes `to_char(col AT TIME ZONE 'UTC', …) AS col` (without the
/// `AS col` when the statement names the column itself with `AS`).
pub(crate) fn render(dialect: Dialect, portable: &str) -> String {
    let mut out = String::with_capacity(portable.len() + 64);
    let mut rest = portable;
    while let Some(at) = rest.find("::") {
        let (before, after) = rest.split_at(at);
        let after = &after[2..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let (cast, tail) = after.split_at(len);
        match (dialect, cast) {
            (Dialect::Sqlite, _) => out.push_str(before),
            (Dialect::Postgres, "instant") => {
                let start = before
                    .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                    .map_or(0, |i| i + 1);
                let column = &before[start..];
                out.push_str(&before[..start]);
                out.push_str(&format!(
                    "to_char({column} AT TIME ZONE 'UTC', {PG_INSTANT})"
                ));
                let named = tail
                    .trim_start()
                    .get(..3)
                    .is_some_and(|w| w.eq_ignore_ascii_case("as "));
                if !named {
                    let name = column.rsplit('.').next().unwrap_or(column);
                    out.push_str(&format!(" AS {name}"));
                }
            }
            (Dialect::Postgres, _) => {
                out.push_str(before);
                out.push_str("::");
                out.push_str(cast);
            }
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// A flag as either database reads it: PostgreSQL's `boolean`, SQLite's 0/1. Row structs read
/// a flag into a `bool` with `#[sqlx(try_from = "Flag")]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Flag(pub bool);

impl From<Flag> for bool {
    fn from(flag: Flag) -> bool {
        flag.0
    }
}

impl sqlx::Type<sqlx::Any> for Flag {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <bool as sqlx::Type<sqlx::Any>>::type_info()
    }

    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <bool as sqlx::Type<sqlx::Any>>::compatible(ty)
            || <i64 as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for Flag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Flag, sqlx::error::BoxDynError> {
        use sqlx::{Decode, ValueRef};
        if value.type_info().kind() == sqlx::any::AnyTypeInfoKind::Bool {
            Ok(Flag(<bool as Decode<sqlx::Any>>::decode(value)?))
        } else {
            Ok(Flag(<i64 as Decode<sqlx::Any>>::decode(value)? != 0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_for_each_database() {
        let portable = "SELECT a.at::instant, s.created_at::instant AS session_created_at, \
                        data::text FROM t WHERE d = $1::date AND NOT locked";
        assert_eq!(
            render(Dialect::Sqlite, portable),
            "SELECT a.at, s.created_at AS session_created_at, \
             data FROM t WHERE d = $1 AND NOT locked"
        );
        assert_eq!(
            render(Dialect::Postgres, portable),
            "SELECT to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS at, \
             to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') \
             AS session_created_at, data::text FROM t WHERE d = $1::date AND NOT locked"
        );
    }
}
