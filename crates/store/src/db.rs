//! The database core every feature stands on: opening the database (either dialect), the one
//! write path, and the transaction a write runs in.
//!
//! Every write of the store is a closure over a [`Tx`] given to [`Store::write`] (or
//! [`Store::write_in`], naming its study): on SQLite the writes that arrive while a commit is
//! under way share the next transaction (see [`crate::group`]); on PostgreSQL the writes queued
//! on a study's lanes share a batch whose audit rows are sealed into the chains once (see
//! [`crate::lanes`]). Nothing else begins a write transaction (the audit walk reads in a
//! read-only snapshot of its own, the analysis in [`Store::snapshot`]'s; [`Store::write_alone`]
//! is the one write path's own transaction for the rare write that must hold a chain's head).
//!
//! How a statement is written for either database is in [`crate::dialect`]; a PostgreSQL URL
//! naming several hosts is read by [`crate::failover`], which keeps the pools on the one that
//! takes writes.

use std::str::FromStr;

use futures::future::BoxFuture;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Executor};
use tracing::Instrument;

use crate::dialect::render;
use crate::model::Actor;
use crate::seal::Pending;
use crate::{failover, group, lanes, Change, Dialect, Result, StoreError};

pub(crate) static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The system of record over SQLite or PostgreSQL, reached with sqlx's `Any` driver. Its
/// operations are grouped by feature, one file each (`participants.rs`, `ecrf/`, …).
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) dialect: Dialect,
    /// Reads.
    pub(crate) pool: AnyPool,
    /// Writes: for SQLite a single connection, since SQLite has one writer at a time; for
    /// PostgreSQL the lanes' own pool, or without the lanes the pool of the writes' own
    /// transactions (reads never wait for a connection a queued writer holds).
    writer: AnyPool,
    /// SQLite: the queue of the group-committing writer (see [`group`]).
    group: Option<tokio::sync::mpsc::UnboundedSender<group::Job>>,
    /// PostgreSQL: the lanes of batched writes (see [`lanes`]).
    lanes: Option<std::sync::Arc<lanes::Lanes>>,
    /// What the group-committing writer (or the lanes) have done.
    group_counts: std::sync::Arc<group::Counts>,
    /// Where the database is, for the connections of the trail's readers (`audit/read.rs`).
    url: Url,
    /// PostgreSQL with several hosts (or `target_session_attrs`): the watcher that chooses the
    /// host the pools connect to (see [`failover`]).
    failover: Option<std::sync::Arc<failover::Watch>>,
    /// The sessions lately read (see [`signed_in`](crate::signed_in)).
    pub(crate) recent: std::sync::Arc<crate::signed_in::Recent>,
}

/// A database URL, kept out of `Debug` (it may carry a password).
#[derive(Clone)]
struct Url(std::sync::Arc<str>);

impl std::fmt::Debug for Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Url(…)")
    }
}

/// The transaction a write runs in, with the dialect for the few statements that differ.
pub(crate) struct Tx<'c> {
    conn: &'c mut AnyConnection,
    dialect: Dialect,
    /// The write's name (`Store::write`'s `op`): a locked study accepts only the writes
    /// `trial::lock::accepts_after_lock` names.
    op: &'static str,
    /// In a batch (SQLite's writer, PostgreSQL's lanes): the audit rows waiting for the batch's seal.
    pending: Option<&'c mut Pending>,
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

    /// Appends audit rows to a chain, inside this transaction (see [`crate::chain::append`];
    /// in a batch they are kept for the batch's seal, [`crate::seal::defer`]).
    /// Every write to a study appends to its chain, so this is where a locked study refuses
    /// every write but those `trial::lock::AFTER_LOCK` names: the whole write is rolled back.
    pub(crate) async fn audit(
        &mut self,
        chain: &str,
        by: &Actor,
        changes: &[Change],
    ) -> Result<()> {
        match self.pending.as_deref_mut() {
            Some(pending) => {
                crate::seal::defer(self.conn, pending, chain, self.op, by, changes).await
            }
            None => crate::chain::append(self.conn, chain, self.op, by, changes).await,
        }
    }

    /// Takes the head of a chain for the rest of the transaction (on PostgreSQL its row is
    /// locked, so every other write to the chain waits until this one ends) and gives its
    /// position and hash. Only in a write of its own ([`Store::write_alone`]): a batch's rows
    /// are not in the chain before its seal.
    pub(crate) async fn take_head(&mut self, chain: &str) -> Result<(i64, String)> {
        if self.pending.is_some() {
            return Err(StoreError::Database(sqlx::Error::Protocol(
                "a chain's head is taken only by a write of its own (Store::write_alone)".into(),
            )));
        }
        crate::chain::take_head(self.conn, chain).await
    }

    /// Takes a study's row for the rest of the transaction on PostgreSQL (SQLite has one
    /// writer): the study-wide steps that must not interleave (enrolment, generating the
    /// randomisation list, assigning a dose level) take it before they check anything. `FOR NO
    /// KEY UPDATE`: they wait for each other, not for the writes that only refer to the study
    /// (whose foreign keys take the row `FOR KEY SHARE` until their batch commits).
    pub(crate) async fn lock_study(&mut self, study: &str) -> Result<()> {
        let lock = match self.dialect {
            Dialect::Postgres => " FOR NO KEY UPDATE",
            Dialect::Sqlite => "",
        };
        sqlx::query(&format!("SELECT id FROM studies WHERE id = $1{lock}"))
            .bind(study)
            .fetch_optional(self.conn())
            .await?;
        Ok(())
    }
}

/// The work of a write: a closure over the transaction. It is `Clone` so that a write the
/// database aborts on a deadlock can run again from the start (see [`StoreError::is_retryable`]).
pub(crate) trait Work<T>:
    for<'c> FnOnce(Tx<'c>) -> BoxFuture<'c, Result<T>> + Clone + Send + 'static
{
}
impl<T, F> Work<T> for F where
    F: for<'c> FnOnce(Tx<'c>) -> BoxFuture<'c, Result<T>> + Clone + Send + 'static
{
}

/// A part of a write that must not run twice (an export's writer of files), kept so that the
/// write's closure stays `Clone`: a write run again after a deadlock finds it taken and fails
/// with an error saying so, instead of writing the files twice.
pub(crate) struct Once<F>(std::sync::Arc<std::sync::Mutex<Option<F>>>);

impl<F> Clone for Once<F> {
    fn clone(&self) -> Self {
        Once(self.0.clone())
    }
}

impl<F> Once<F> {
    pub(crate) fn new(f: F) -> Once<F> {
        Once(std::sync::Arc::new(std::sync::Mutex::new(Some(f))))
    }

    /// The part, the first time; an error after that.
    pub(crate) fn take(&self) -> Result<F> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
            .ok_or_else(|| {
                StoreError::Database(sqlx::Error::Protocol(
                    "the export was interrupted by the database (a deadlock) and cannot be \
                     run again by itself: nothing was written, run it again"
                        .into(),
                ))
            })
    }
}

impl Store {
    /// Opens the database at `url` and applies the migrations: `sqlite:PATH` (the file is
    /// created if missing) or `postgres://…`.
    pub async fn open(url: &str) -> Result<Store> {
        Store::open_with_lanes(url, lanes::configured()).await
    }

    /// [`Store::open`] with `lanes` lanes per route on PostgreSQL (0: each write in a
    /// transaction of its own; SQLite ignores it).
    pub async fn open_with_lanes(url: &str, lanes: usize) -> Result<Store> {
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
        let hosts = match dialect {
            Dialect::Postgres => failover::parse(&url)?.map(std::sync::Arc::new),
            Dialect::Sqlite => None,
        };
        let options = match &hosts {
            Some(hosts) => {
                hosts.select().await?;
                AnyConnectOptions::from_str(hosts.current_url())?
            }
            None => AnyConnectOptions::from_str(&url)?,
        };
        // `generic`: PostgreSQL plans each prepared statement once (the writer's statements
        // look rows up by their keys; a plan for each run's values gains nothing).
        let pool_options = |max: u32, generic: bool| {
            let hosts = hosts.clone();
            AnyPoolOptions::new()
                .max_connections(max)
                .after_connect(move |conn, _| {
                    let hosts = hosts.clone();
                    Box::pin(async move {
                        if dialect == Dialect::Sqlite {
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = FULL").await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                        }
                        if dialect == Dialect::Postgres && generic {
                            conn.execute("SET plan_cache_mode = force_generic_plan")
                                .await?;
                        }
                        if let Some(hosts) = hosts.filter(|h| h.read_write()) {
                            failover::refuse_read_only(conn, &hosts).await?;
                        }
                        Ok(())
                    })
                })
        };
        let pools = |max: u32| pool_options(max, false).connect_with(options.clone());
        let (pool, writer) = match dialect {
            Dialect::Sqlite => {
                let writer = pools(1).await?;
                (pools(4).await?, writer)
            }
            Dialect::Postgres => {
                // The lanes' pool connects from the lanes' thread, as they need it. The lanes
                // check a connection with their BEGIN (see `lanes::begin`), not with a ping of
                // the pool's; without them, the pool pings.
                let writer = pool_options(16, true)
                    .test_before_acquire(lanes == 0)
                    .connect_lazy_with(options.clone());
                (pools(16).await?, writer)
            }
        };
        let failover = hosts.map(|hosts| {
            std::sync::Arc::new(failover::watch(hosts, vec![pool.clone(), writer.clone()]))
        });
        let (migrator, migrated) = match dialect {
            Dialect::Sqlite => (&SQLITE_MIGRATIONS, &writer),
            Dialect::Postgres => (&POSTGRES_MIGRATIONS, &pool),
        };
        migrator.run(migrated).await?;
        let group_counts = std::sync::Arc::new(group::Counts::default());
        let (group, lanes) = match dialect {
            Dialect::Sqlite => {
                let (queue, jobs) = tokio::sync::mpsc::unbounded_channel();
                group::spawn(writer.clone(), jobs, group_counts.clone());
                (Some(queue), None)
            }
            Dialect::Postgres => match lanes.min(16) {
                0 => (None, None),
                width => {
                    let lanes = lanes::Lanes::start(writer.clone(), width, group_counts.clone())
                        .map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
                    (None, Some(std::sync::Arc::new(lanes)))
                }
            },
        };
        Ok(Store {
            dialect,
            pool,
            writer,
            group,
            lanes,
            group_counts,
            url: Url(url.into()),
            failover,
            recent: Default::default(),
        })
    }

    /// The database's URL (as opened: `?mode=rwc` added to a SQLite one; of the host in use
    /// when the URL names several).
    pub(crate) fn url(&self) -> &str {
        match &self.failover {
            Some(watch) => watch.hosts.current_url(),
            None => &self.url.0,
        }
    }

    /// Which database this is.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The group commits so far: transactions committed by SQLite's writer or PostgreSQL's
    /// lanes, and the writes they held (writes of their own, [`Store::write_alone`], apart;
    /// `None` when the lanes are turned off, `SCITRIAL_PG_LANES=0`).
    pub fn group_commits(&self) -> Option<(u64, u64)> {
        (self.group.is_some() || self.lanes.is_some()).then(|| self.group_counts.get())
    }

    /// A statement for this database, from its portable form: PostgreSQL's casts to and from
    /// the typed columns (`$1::timestamptz`, `col::instant`, `col::text`; see the module's
    /// documentation). For tests and tools that write SQL of their own too.
    pub fn sql(&self, portable: &str) -> String {
        render(self.dialect, portable)
    }

    /// A read snapshot on the reads' pool, for a read of several statements that must agree
    /// with each other (the analysis): on PostgreSQL a `REPEATABLE READ, READ ONLY`
    /// transaction, on SQLite a deferred one (in WAL, its snapshot is taken at its first read).
    /// It writes nothing and waits for no write; drop it (or roll it back) when done.
    pub(crate) async fn snapshot(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        let mut tx = self.pool.begin().await?;
        if self.dialect == Dialect::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// The pool, for tests and tools that need to reach the tables directly.
    pub fn raw_pool(&self) -> &AnyPool {
        match self.dialect {
            Dialect::Sqlite => &self.writer,
            Dialect::Postgres => &self.pool,
        }
    }

    /// The one write path: runs `work` in a transaction and answers once it is committed (an
    /// error from `work` rolls back everything it wrote). On SQLite the writes that arrive
    /// together share one transaction and one commit, each in its own savepoint (see
    /// [`group`]); on PostgreSQL the writes that name no study share the lanes of the shared
    /// route (see [`lanes`]). `op` names the write in the logs (a span per write; no values are
    /// logged).
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        op: &'static str,
        work: impl Work<T>,
    ) -> Result<T> {
        self.write_routed(Route::Shared, op, work).await
    }

    /// [`Store::write`] for a write of one study: on PostgreSQL it runs in the study's own
    /// lanes, so that the writes of different studies never wait on each other.
    pub(crate) async fn write_in<T: Send + 'static>(
        &self,
        study: &str,
        op: &'static str,
        work: impl Work<T>,
    ) -> Result<T> {
        self.write_routed(Route::Study(study), op, work).await
    }

    /// [`Store::write`] for the rare write that takes a chain's head itself (the database
    /// lock, bound to the head), or that must not run again because another write of its batch
    /// met a deadlock (an export, whose files are written as it reads: see [`Once`]): on
    /// PostgreSQL in a transaction of its own, outside the batches; on SQLite in the writer's
    /// batch, after the rows of the writes before it are sealed into their chains.
    pub(crate) async fn write_alone<T: Send + 'static>(
        &self,
        op: &'static str,
        work: impl Work<T>,
    ) -> Result<T> {
        self.write_routed(Route::Alone, op, work).await
    }

    async fn write_routed<T: Send + 'static>(
        &self,
        route: Route<'_>,
        op: &'static str,
        work: impl Work<T>,
    ) -> Result<T> {
        let span = tracing::debug_span!("write", op, db = ?self.dialect);
        let started = std::time::Instant::now();
        async {
            let out = match (&self.group, &self.lanes, route) {
                (Some(queue), _, route) => {
                    let alone = matches!(route, Route::Alone);
                    let (job, answer) = group::job(alone, move |conn, pending| {
                        work(Tx {
                            conn,
                            dialect: Dialect::Sqlite,
                            op,
                            // A write of its own takes the head and appends its rows itself.
                            pending: (!alone).then_some(pending),
                        })
                    });
                    if queue.send(job).is_err() {
                        return Err(StoreError::Database(sqlx::Error::PoolClosed));
                    }
                    group::answer(answer).await
                }
                (None, Some(lanes), Route::Shared | Route::Study(_)) => {
                    let (job, answer) = lanes::job(move |conn, pending| {
                        work(Tx {
                            conn,
                            dialect: Dialect::Postgres,
                            op,
                            pending: Some(pending),
                        })
                    });
                    let name = match route {
                        Route::Study(study) => study,
                        _ => "",
                    };
                    if !lanes.send(name, job) {
                        return Err(StoreError::Database(sqlx::Error::PoolClosed));
                    }
                    group::answer(answer).await
                }
                // An inner block, so that a failure is seen below (logged, and waking the
                // failover watcher) rather than returned from here by `?`. Without the lanes,
                // PostgreSQL's writes take their connections from the writer's pool, so that
                // writers queued on a chain's head never hold every connection the reads need.
                _ => {
                    let pool = match (self.dialect, &self.lanes) {
                        (Dialect::Postgres, None) => &self.writer,
                        _ => &self.pool,
                    };
                    // A transaction that PostgreSQL aborts on a deadlock or a serialization
                    // failure is run again on a fresh copy of the write, up to
                    // `lanes::RETRIES` times.
                    let mut attempt = 0;
                    loop {
                        let work = work.clone();
                        let out: Result<T> = async {
                            let mut tx = pool.begin().await?;
                            let out = work(Tx {
                                conn: &mut tx,
                                dialect: self.dialect,
                                op,
                                pending: None,
                            })
                            .await?;
                            tx.commit().await?;
                            Ok(out)
                        }
                        .await;
                        match out {
                            Err(e) if e.is_retryable() && attempt < lanes::RETRIES => {
                                attempt += 1;
                                tokio::time::sleep(lanes::backoff(attempt)).await;
                            }
                            out => break out,
                        }
                    }
                }
            };
            let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            if let (Some(watch), Err(e)) = (&self.failover, &out) {
                if e.is_unavailable() {
                    watch.hosts.wake();
                }
            }
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

/// Where a write runs on PostgreSQL.
#[derive(Clone, Copy)]
enum Route<'a> {
    /// The shared lanes.
    Shared,
    /// The study's lanes.
    Study(&'a str),
    /// A transaction of its own.
    Alone,
}
