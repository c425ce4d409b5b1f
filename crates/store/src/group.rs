//! Group commit on SQLite.
//!
//! A durable SQLite commit costs one `fsync` of the write-ahead log, and the disk allows only
//! so many a second. Writes that arrive while a commit is under way therefore wait in a queue,
//! and the writer task runs all of them in the next transaction, each inside its own savepoint:
//! a write that fails is rolled back to its savepoint alone and gets its own error, the others
//! go on. Each caller hears back only after the transaction that holds its write has committed,
//! so an acknowledged write is as durable as if it had committed alone.
//!
//! As in a PostgreSQL batch ([`crate::lanes`]), the writes' audit rows wait in the batch's
//! [`Pending`] and are sealed into their chains once, after the last write ([`seal::seal`]: each
//! chain's head read and moved once, its rows written a few dozen to a statement), instead of
//! three statements for every write. A write that takes a chain's head itself
//! ([`Store::write_alone`](crate::Store), the database lock) runs with nothing pending: the rows
//! of the writes before it are sealed first, outside its savepoint, so the chain holds them
//! before its own and a lock it commits refuses the writes after it when they audit.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use sqlx::{AnyConnection, AnyPool, Executor};
use tokio::sync::{mpsc, oneshot};

use crate::seal::{self, Pending, Unsealed};
use crate::{lanes, Result, StoreError};

/// A write waiting for the writer.
pub(crate) struct Job {
    /// It takes a chain's head itself ([`Store::write_alone`](crate::Store)): the rows pending
    /// before it are sealed first, and its closure is given none (see [`job`]).
    alone: bool,
    /// The write, which can run more than once (the same as a PostgreSQL lane's).
    write: lanes::Job,
}

/// The most writes one transaction takes, so that one commit never holds back too many answers.
const MAX_BATCH: usize = 256;

pub(crate) fn writer_failed(why: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(format!(
        "the write was not committed: {why}"
    )))
}

/// Wraps a write as a [`Job`] and gives the receiver of its result. `alone`: it takes a chain's
/// head itself, and its closure must then not keep rows in the batch's pending ones.
pub(crate) fn job<T, F>(alone: bool, work: F) -> (Job, oneshot::Receiver<Result<T>>)
where
    T: Send + 'static,
    F: lanes::BatchWork<T>,
{
    let (write, receive) = lanes::job(work);
    (Job { alone, write }, receive)
}

/// The answer of a write sent to the writer.
pub(crate) async fn answer<T>(receive: oneshot::Receiver<Result<T>>) -> Result<T> {
    receive
        .await
        .unwrap_or_else(|_| Err(writer_failed("the writer stopped")))
}

/// What the writer has done: transactions committed, and the writes they held.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    commits: AtomicU64,
    writes: AtomicU64,
}

impl Counts {
    /// One transaction committed, holding `writes` writes.
    pub(crate) fn add(&self, writes: u64) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.writes.fetch_add(writes, Ordering::Relaxed);
    }

    /// Transactions committed and writes committed in them.
    pub(crate) fn get(&self) -> (u64, u64) {
        (
            self.commits.load(Ordering::Relaxed),
            self.writes.load(Ordering::Relaxed),
        )
    }
}

/// Starts the writer on a thread of its own: its turns between statements then never wait
/// behind the server's other tasks (request parsing, classification), which would stretch every
/// transaction and so every caller's wait.
pub(crate) fn spawn(pool: AnyPool, queue: mpsc::UnboundedReceiver<Job>, counts: Arc<Counts>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let spawned = runtime.and_then(|runtime| {
        std::thread::Builder::new()
            .name("scitrial-writer".into())
            .spawn(move || runtime.block_on(run(pool, queue, counts)))
    });
    if let Err(e) = spawned {
        // Without its thread the writer cannot run: every write then fails with "the writer
        // stopped", which the caller reports.
        tracing::error!(error = %e, "the database writer could not start");
    }
}

/// The writer task: takes the writes queued, runs them in one transaction, commits, answers.
pub(crate) async fn run(
    pool: AnyPool,
    mut queue: mpsc::UnboundedReceiver<Job>,
    counts: Arc<Counts>,
) {
    let mut batch = Vec::new();
    while let Some(first) = queue.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // A write that panicked (a bug) fails its batch, not the writer: the transaction it
        // left open is rolled back and the next batch starts clean.
        let outcome = AssertUnwindSafe(commit(&pool, &mut batch))
            .catch_unwind()
            .await;
        let error = match outcome {
            Ok(Ok(())) => {
                counts.add(batch.len() as u64);
                None
            }
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => {
                if let Ok(mut conn) = pool.acquire().await {
                    let _ = conn.execute("ROLLBACK").await;
                }
                Some("a write of the batch failed unexpectedly".to_string())
            }
        };
        // Writes not reached (the transaction failed before them) hear why.
        for job in batch.drain(..) {
            job.write.finish(error.as_deref().map(writer_failed));
        }
    }
}

/// Runs a batch and commits it.
///
/// The writes first run one after another with no savepoint between them (each savepoint and
/// its release is a round trip to the database's thread). If one of them fails, the whole
/// transaction is rolled back and the batch runs again with each write in its own savepoint,
/// so that a write that fails is rolled back alone with its own error and the others go on. A
/// batch holding a write of its own (`alone`: an export's writer of files must not run twice)
/// takes the savepoints at once.
async fn commit(pool: &AnyPool, batch: &mut [Job]) -> std::result::Result<(), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let mut savepoints = batch.iter().any(|job| job.alone);
    let result = async {
        'batch: loop {
            let mut pending = Pending::default();
            // With savepoints, the statements between the writes go to the database together:
            // the savepoint of one write is released and the next one's taken at once.
            let (first, next, last) = if savepoints {
                (
                    "BEGIN IMMEDIATE; SAVEPOINT write",
                    "RELEASE write; SAVEPOINT write",
                    "RELEASE write; COMMIT",
                )
            } else {
                ("BEGIN IMMEDIATE", "", "COMMIT")
            };
            let mut between = first;
            for (i, job) in batch.iter_mut().enumerate() {
                if job.alone && !pending.is_empty() {
                    // Inside the savepoint of the write before, whose fate is settled.
                    seal_now(&mut conn, &pending).await?;
                    pending = Pending::default();
                }
                if !between.is_empty() {
                    conn.execute(sqlx::raw_sql(between)).await?;
                }
                let mark = pending.start(i);
                if job.write.run(&mut conn, &mut pending).await != lanes::Ran::Done {
                    if !savepoints {
                        conn.execute("ROLLBACK").await?;
                        savepoints = true;
                        continue 'batch;
                    }
                    conn.execute("ROLLBACK TO write").await?;
                    pending.undo(mark);
                }
                between = next;
            }
            if !pending.is_empty() {
                seal_now(&mut conn, &pending).await?;
            }
            return conn.execute(sqlx::raw_sql(last)).await.map(drop);
        }
    }
    .await;
    if result.is_err() {
        // Leave the connection clean for the next batch; the error reported is the first one.
        let _ = conn.execute("ROLLBACK").await;
    }
    result
}

/// Seals the pending rows into their chains. SQLite has one writer and a lock is taken only by
/// a write of its own, before which the rows are sealed: no lock can come between a write's
/// check and the seal, and a failure here fails the batch.
async fn seal_now(
    conn: &mut AnyConnection,
    pending: &Pending,
) -> std::result::Result<(), sqlx::Error> {
    // One writer: no head is kept between batches.
    let why = match seal::seal(conn, pending, None).await {
        Ok(_) => return Ok(()),
        Err(Unsealed::Failed(StoreError::Database(e))) => return Err(e),
        Err(Unsealed::Failed(e) | Unsealed::Refused(_, e)) => e.to_string(),
    };
    Err(sqlx::Error::Protocol(format!(
        "the audit rows of the batch could not be sealed: {why}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::any::AnyPoolOptions;

    /// A pool of one connection to a fresh SQLite file.
    async fn scratch() -> AnyPool {
        sqlx::any::install_default_drivers();
        let dir = std::env::temp_dir().join(crate::testing::unique("scitrial_group"));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite:{}?mode=rwc", dir.join("g.db").display());
        AnyPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .unwrap()
    }

    /// Three writes queued together run in one transaction; the middle one writes a row and
    /// then fails: the batch runs again with a savepoint a write, the failing one is rolled
    /// back to its savepoint alone and gets its own error, and the other two are committed once.
    #[tokio::test]
    async fn a_failing_write_in_a_group_is_rolled_back_alone() {
        let pool = scratch().await;
        pool.execute("CREATE TABLE t (v TEXT NOT NULL)")
            .await
            .unwrap();
        let insert = |v: &'static str, fail: bool| {
            job(false, move |conn: &mut AnyConnection, _: &mut Pending| {
                Box::pin(async move {
                    sqlx::query("INSERT INTO t (v) VALUES ($1)")
                        .bind(v)
                        .execute(&mut *conn)
                        .await?;
                    if fail {
                        return Err(StoreError::Invalid {
                            field: v.into(),
                            message: "refused after writing".into(),
                        });
                    }
                    Ok(v)
                })
            })
        };
        let (queue, jobs) = mpsc::unbounded_channel();
        let mut answers = Vec::new();
        for (v, fail) in [("a", false), ("b", true), ("c", false)] {
            let (job, answer) = insert(v, fail);
            queue.send(job).ok().unwrap();
            answers.push(answer);
        }
        drop(queue);
        let counts = Arc::new(Counts::default());
        run(pool.clone(), jobs, counts.clone()).await;
        let mut results = Vec::new();
        for a in answers {
            results.push(answer(a).await.map_err(|e| e.to_string()));
        }
        assert_eq!(
            results,
            [
                Ok("a"),
                Err("b: refused after writing".to_string()),
                Ok("c")
            ]
        );
        let rows: Vec<(String,)> = sqlx::query_as("SELECT v FROM t ORDER BY v")
            .fetch_all(&pool)
            .await
            .unwrap();
        assert_eq!(rows, [("a".to_string(),), ("c".to_string(),)]);
        assert_eq!(counts.get(), (1, 3));
    }

    /// A write that panics fails its own batch; the writer goes on, and the next write is
    /// committed in a clean transaction.
    #[tokio::test]
    async fn a_panicking_write_fails_its_batch_and_the_writer_goes_on() {
        let pool = scratch().await;
        pool.execute("CREATE TABLE t (v TEXT NOT NULL)")
            .await
            .unwrap();
        let (queue, jobs) = mpsc::unbounded_channel();
        let counts = Arc::new(Counts::default());
        let writer = tokio::spawn(run(pool.clone(), jobs, counts.clone()));
        let (bad, bad_answer) = job(false, |conn: &mut AnyConnection, _: &mut Pending| {
            Box::pin(async move {
                sqlx::query("INSERT INTO t (v) VALUES ('lost')")
                    .execute(&mut *conn)
                    .await?;
                if std::hint::black_box(true) {
                    panic!("a bug in a write (this panic is the test)");
                }
                Ok(())
            })
        });
        queue.send(bad).ok().unwrap();
        assert!(answer(bad_answer).await.is_err());
        let (good, good_answer) = job(false, |conn: &mut AnyConnection, _: &mut Pending| {
            Box::pin(async move {
                sqlx::query("INSERT INTO t (v) VALUES ('kept')")
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            })
        });
        queue.send(good).ok().unwrap();
        answer(good_answer).await.unwrap();
        drop(queue);
        writer.await.unwrap();
        let rows: Vec<(String,)> = sqlx::query_as("SELECT v FROM t")
            .fetch_all(&pool)
            .await
            .unwrap();
        assert_eq!(rows, [("kept".to_string(),)]);
        assert_eq!(counts.get(), (1, 1));
    }

    /// The audit rows of a batch's writes are sealed once, in the order of the writes; a failed
    /// write's rows are dropped with it; a write that takes the head itself (`alone`) finds the
    /// rows of the writes before it already in the chain, and the writes after it come after it.
    #[tokio::test]
    async fn a_batch_seals_its_rows_once_and_a_write_alone_finds_the_earlier_ones_sealed() {
        let pool = scratch().await;
        crate::db::SQLITE_MIGRATIONS.run(&pool).await.unwrap();
        let by = crate::Actor::system();
        let audit = |name: &'static str, alone: bool, fail: bool| {
            let by = by.clone();
            job(
                alone,
                move |conn: &mut AnyConnection, pending: &mut Pending| {
                    Box::pin(async move {
                        let change = [crate::Change::new("update", "thing", name)];
                        if alone {
                            crate::chain::append(conn, "s", "lock_database", &by, &change).await?
                        } else {
                            seal::defer(conn, pending, "s", "save_form", &by, &change).await?
                        }
                        if fail {
                            return Err(StoreError::Invalid {
                                field: name.into(),
                                message: "refused after auditing".into(),
                            });
                        }
                        Ok(())
                    })
                },
            )
        };
        let (queue, jobs) = mpsc::unbounded_channel();
        let mut answers = Vec::new();
        for (name, alone, fail) in [
            ("a", false, false),
            ("failed", false, true),
            ("b", false, false),
            ("alone", true, false),
            ("c", false, false),
        ] {
            let (job, answer) = audit(name, alone, fail);
            queue.send(job).ok().unwrap();
            answers.push(answer);
        }
        drop(queue);
        run(pool.clone(), jobs, Arc::new(Counts::default())).await;
        let outcomes: Vec<bool> = futures::future::join_all(answers.into_iter().map(answer))
            .await
            .iter()
            .map(Result::is_ok)
            .collect();
        assert_eq!(outcomes, [true, false, true, true, true]);
        let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT seq, record_id, prev_hash, hash FROM audit WHERE chain = 's' ORDER BY seq",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let ids: Vec<(i64, &str)> = rows.iter().map(|r| (r.0, r.1.as_str())).collect();
        assert_eq!(ids, [(1, "a"), (2, "b"), (3, "alone"), (4, "c")]);
        for pair in rows.windows(2) {
            assert_eq!(pair[1].2, pair[0].3, "each row links to the one before");
        }
        let head: (i64, String) =
            sqlx::query_as("SELECT seq, hash FROM audit_heads WHERE chain = 's'")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(head, (4, rows[3].3.clone()));
    }
}
