//! Group commit on SQLite.
//!
//! A durable SQLite commit costs one `fsync` of the write-ahead log, and the disk allows only
//! so many a second. Writes that arrive while a commit is under way therefore wait in a queue,
//! and the writer task runs all of them in the next transaction, each inside its own savepoint:
//! a write that fails is rolled back to its savepoint alone and gets its own error, the others
//! go on. Each caller hears back only after the transaction that holds its write has committed,
//! so an acknowledged write is as durable as if it had committed alone.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use std::panic::AssertUnwindSafe;

use futures::future::BoxFuture;
use futures::FutureExt;
use sqlx::{AnyConnection, AnyPool, Executor};
use tokio::sync::{mpsc, oneshot};

use crate::{Result, StoreError};

/// Delivers a write's result once its transaction's fate is known (`Some` holds why the commit
/// failed).
type Finish = Box<dyn FnOnce(Option<&str>) + Send>;

/// A write waiting for the writer: it runs on the writer's connection inside the batch's
/// transaction, says whether it failed, and leaves its result to be delivered after the commit.
pub(crate) type Job =
    Box<dyn for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, (bool, Finish)> + Send>;

/// The most writes one transaction takes, so that one commit never holds back too many answers.
const MAX_BATCH: usize = 256;

pub(crate) fn writer_failed(why: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(format!(
        "the write was not committed: {why}"
    )))
}

/// Wraps a write as a [`Job`] and gives the receiver of its result.
pub(crate) fn job<T, F>(work: F) -> (Job, oneshot::Receiver<Result<T>>)
where
    T: Send + 'static,
    F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T>> + Send + 'static,
{
    let (send, receive) = oneshot::channel();
    let job: Job = Box::new(move |conn| {
        Box::pin(async move {
            let out = work(conn).await;
            let failed = out.is_err();
            let finish: Finish = Box::new(move |commit_error| {
                let result = match (out, commit_error) {
                    (Err(e), _) => Err(e),
                    (Ok(value), None) => Ok(value),
                    (Ok(_), Some(why)) => Err(writer_failed(why)),
                };
                // The caller may have gone away; its write stands or falls with the batch.
                let _ = send.send(result);
            });
            (failed, finish)
        })
    });
    (job, receive)
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
    let mut finishes = Vec::new();
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
        let outcome = AssertUnwindSafe(commit(&pool, &mut batch, &mut finishes))
            .catch_unwind()
            .await;
        let error = match outcome {
            Ok(Ok(())) => {
                counts.add(finishes.len() as u64);
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
        for finish in finishes.drain(..) {
            finish(error.as_deref());
        }
        // Writes not reached (the transaction failed before them) are dropped: their callers
        // hear that the writer could not take them.
        batch.clear();
    }
}

async fn commit(
    pool: &AnyPool,
    batch: &mut Vec<Job>,
    finishes: &mut Vec<Finish>,
) -> std::result::Result<(), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    // Statements between the writes go to the database together (one round trip to its
    // thread): the savepoint of one write is released and the next one's taken at once.
    let result = async {
        let mut between = "BEGIN IMMEDIATE; SAVEPOINT write";
        for job in batch.drain(..) {
            conn.execute(sqlx::raw_sql(between)).await?;
            let (failed, finish) = job(&mut conn).await;
            finishes.push(finish);
            if failed {
                conn.execute("ROLLBACK TO write").await?;
            }
            between = "RELEASE write; SAVEPOINT write";
        }
        conn.execute(sqlx::raw_sql("RELEASE write; COMMIT"))
            .await
            .map(drop)
    }
    .await;
    if result.is_err() {
        // Leave the connection clean for the next batch; the error reported is the first one.
        let _ = conn.execute("ROLLBACK").await;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::any::AnyPoolOptions;

    /// Three writes queued together run in one transaction; the middle one writes a row and
    /// then fails: it is rolled back to its savepoint alone and gets its own error, and the
    /// other two are committed.
    #[tokio::test]
    async fn a_failing_write_in_a_group_is_rolled_back_alone() {
        sqlx::any::install_default_drivers();
        let dir = std::env::temp_dir().join(crate::testing::unique("scitrial_group"));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite:{}?mode=rwc", dir.join("g.db").display());
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .unwrap();
        pool.execute("CREATE TABLE t (v TEXT NOT NULL)")
            .await
            .unwrap();
        let insert = |v: &'static str, fail: bool| {
            job(move |conn: &mut AnyConnection| {
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
        sqlx::any::install_default_drivers();
        let dir = std::env::temp_dir().join(crate::testing::unique("scitrial_group"));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite:{}?mode=rwc", dir.join("g.db").display());
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .unwrap();
        pool.execute("CREATE TABLE t (v TEXT NOT NULL)")
            .await
            .unwrap();
        let (queue, jobs) = mpsc::unbounded_channel();
        let counts = Arc::new(Counts::default());
        let writer = tokio::spawn(run(pool.clone(), jobs, counts.clone()));
        let (bad, bad_answer) = job(|conn: &mut AnyConnection| {
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
        let (good, good_answer) = job(|conn: &mut AnyConnection| {
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
}
