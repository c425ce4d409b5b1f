//! Group commit on PostgreSQL: lanes of batched writes, each batch sealed into the audit chains
//! once.
//!
//! Every write to a study appends to the study's audit chain, whose head is one row: writes that
//! each take it in their own transaction queue there, one commit at a time. Here a write is
//! queued on a *route* (a study's, or the shared one for writes that name no study), and each
//! route has [`LANES`] lanes, each a task with a connection of its own. A lane takes every write
//! queued on its route (up to [`MAX_BATCH`]) and runs them in one transaction; when one fails,
//! the batch runs again with each write in its own savepoint, so that a write that fails is
//! rolled back to its savepoint alone and gets its own error (see [`write`]).
//! The writes' audit rows wait in the batch's [`Pending`]; once all have run the batch is sealed
//! into its chains ([`seal::seal`]: each head taken once, the rows hashed in order) and
//! committed, so a head is held from the seal to the commit of a batch, not for every write,
//! and one commit (one flush of the write-ahead log) serves the whole batch. While one lane
//! seals and commits, the others of the route run their batches. Each caller hears back only
//! after the commit of the transaction that holds its write.
//!
//! The lanes run on a thread of their own (as SQLite's writer does), with a pool of their own.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::future::Either;
use futures::FutureExt;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Executor};
use tokio::sync::{mpsc, oneshot, Mutex, Semaphore, SemaphorePermit};

use crate::group::{writer_failed, Counts};
use crate::seal::{self, Heads, Pending, Unsealed};
use crate::{Result, StoreError};

/// Lanes per route in the lanes' tests: batches of one study that run at once.
#[cfg(test)]
pub(crate) const LANES: usize = 4;

/// Lanes per route when `SCITRIAL_PG_LANES` does not say.
pub(crate) const DEFAULT_LANES: usize = 4;

/// Lanes per route as configured: `SCITRIAL_PG_LANES` when set to a number (0: each write
/// commits in a transaction of its own, appending to its chain under the chain's head), else
/// [`DEFAULT_LANES`]. A batch holds the row locks of all its writes, so a batch of a study's
/// route and one of the shared route can wait on each other; PostgreSQL then aborts one of
/// them, which runs again ([`RETRIES`]).
pub(crate) fn configured() -> usize {
    std::env::var("SCITRIAL_PG_LANES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .map_or(DEFAULT_LANES, |n: usize| n.min(16))
}

/// Turns to write that the routes share, beside each route's own. A batch's write phase holds
/// a turn: its route's own, or, while another batch of its route writes and no other study's
/// batch does, a shared one. While batches write, their route's queue fills for the next (a
/// lane waiting for its turn holds the queue), and each seals and commits on its own. So a
/// study written alone has two batches writing at a time (its round trips to the server
/// overlap, and the two cores are kept busy), and studies written at once one each, with
/// batches as large as that allows (each batch costs its transaction's statements: measured,
/// two turns a route for four studies made batches of 2.5 writes and 1,937–1,947 saves/s, one
/// turn batches of 3.7 and 2,082–2,103 saves/s; one study alone did better with two). A route
/// never waits for another: its own turn is its own.
pub(crate) const SHARED_TURNS: usize = 1;

/// The most writes one batch takes.
pub(crate) const MAX_BATCH: usize = 64;

/// How a write's run in a batch went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ran {
    /// It did its work: it stands or falls with its batch.
    Done,
    /// It failed with its own error: it is rolled back to its savepoint alone.
    Failed,
    /// The database aborted it on a deadlock or a serialization failure
    /// ([`StoreError::is_retryable`]): the whole batch is rolled back and run again.
    Again,
}

/// A write waiting for a lane. It can run more than once: a batch that the database aborts on
/// a deadlock is rolled back and its writes run again (each run on a fresh copy of the
/// write's closure). Its result is delivered once its batch's fate is known.
pub(crate) trait Write: Send {
    /// Runs the write inside the batch's transaction, its audit rows into the batch's pending
    /// rows, and keeps its result.
    fn run<'c>(
        &'c mut self,
        conn: &'c mut AnyConnection,
        pending: &'c mut Pending,
    ) -> BoxFuture<'c, Ran>;
    /// Delivers the result of the last run (`Some`: why the batch was not committed, for a
    /// write that itself succeeded, or that never ran).
    fn finish(self: Box<Self>, batch_error: Option<StoreError>);
}

/// A write queued on a lane.
pub(crate) type Job = Box<dyn Write>;

/// A write's closure as a batch runs it: over the batch's connection and pending audit rows,
/// and `Clone`, so that it can run again.
pub(crate) trait BatchWork<T>:
    for<'c> FnOnce(&'c mut AnyConnection, &'c mut Pending) -> BoxFuture<'c, Result<T>>
    + Clone
    + Send
    + 'static
{
}
impl<T, F> BatchWork<T> for F where
    F: for<'c> FnOnce(&'c mut AnyConnection, &'c mut Pending) -> BoxFuture<'c, Result<T>>
        + Clone
        + Send
        + 'static
{
}

/// A write's closure, its last result and where the result goes.
struct Queued<T, F> {
    work: F,
    out: Option<Result<T>>,
    send: oneshot::Sender<Result<T>>,
}

impl<T, F> Write for Queued<T, F>
where
    T: Send + 'static,
    F: BatchWork<T>,
{
    fn run<'c>(
        &'c mut self,
        conn: &'c mut AnyConnection,
        pending: &'c mut Pending,
    ) -> BoxFuture<'c, Ran> {
        let work = self.work.clone();
        Box::pin(async move {
            let out = work(conn, pending).await;
            let ran = match &out {
                Ok(_) => Ran::Done,
                Err(e) if e.is_retryable() => Ran::Again,
                Err(_) => Ran::Failed,
            };
            self.out = Some(out);
            ran
        })
    }

    fn finish(self: Box<Self>, batch_error: Option<StoreError>) {
        let Queued { work, out, send } = *self;
        // Let go of the closure (and what it shares with the caller) before the caller hears.
        drop(work);
        let result = match (out, batch_error) {
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(value)), None) => Ok(value),
            (_, Some(e)) => Err(e),
            (None, None) => Err(writer_failed("the write was not run")),
        };
        // The caller may have gone away; its write stands or falls with the batch.
        let _ = send.send(result);
    }
}

/// Wraps a write as a [`Job`] and gives the receiver of its result.
pub(crate) fn job<T, F>(work: F) -> (Job, oneshot::Receiver<Result<T>>)
where
    T: Send + 'static,
    F: BatchWork<T>,
{
    let (send, receive) = oneshot::channel();
    let job: Job = Box::new(Queued {
        work,
        out: None,
        send,
    });
    (job, receive)
}

/// How often a batch aborted on a deadlock or a serialization failure is run again before its
/// writes are told so.
pub(crate) const RETRIES: u32 = 5;

/// The PostgreSQL writer: its thread, its pool, and a queue per route.
pub(crate) struct Lanes {
    runtime: tokio::runtime::Handle,
    pool: AnyPool,
    routes: std::sync::Mutex<HashMap<String, mpsc::UnboundedSender<Job>>>,
    /// Lanes per route.
    width: usize,
    counts: Arc<Counts>,
    /// Each chain's head as the lanes last committed it.
    heads: Arc<Heads>,
    /// The turns to write that the routes share ([`SHARED_TURNS`]).
    shared: Arc<Semaphore>,
    /// Study routes whose own turn is taken now.
    writing: Arc<AtomicUsize>,
    /// Dropped with the store: the thread then ends.
    _stop: oneshot::Sender<()>,
}

impl std::fmt::Debug for Lanes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lanes").finish_non_exhaustive()
    }
}

impl Lanes {
    /// Starts the writer's thread, with `width` lanes a route; `pool` is used by the lanes only.
    pub(crate) fn start(
        pool: AnyPool,
        width: usize,
        counts: Arc<Counts>,
    ) -> std::io::Result<Lanes> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("scitrial-pg-writer".into())
            .spawn(move || {
                runtime.block_on(async {
                    let _ = stopped.await;
                })
            })?;
        Ok(Lanes {
            runtime: handle,
            pool,
            routes: std::sync::Mutex::new(HashMap::new()),
            width,
            counts,
            heads: Arc::default(),
            shared: Arc::new(Semaphore::new(SHARED_TURNS)),
            writing: Arc::default(),
            _stop: stop,
        })
    }

    /// Queues a write on a route (its lanes start with the route's first write); `false` when
    /// the writer has stopped.
    pub(crate) fn send(&self, route: &str, job: Job) -> bool {
        let mut routes = self
            .routes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let queue = match routes.get(route) {
            Some(queue) => queue,
            None => {
                let (queue, jobs) = mpsc::unbounded_channel();
                let jobs = Arc::new(Mutex::new(jobs));
                let turns = Turns {
                    own: Arc::new(Semaphore::new(1)),
                    shared: self.shared.clone(),
                    writing: self.writing.clone(),
                    counted: !route.is_empty(),
                };
                for _ in 0..self.width {
                    self.runtime.spawn(lane(
                        self.pool.clone(),
                        jobs.clone(),
                        turns.clone(),
                        self.counts.clone(),
                        self.heads.clone(),
                    ));
                }
                routes.entry(route.to_string()).or_insert(queue)
            }
        };
        queue.send(job).is_ok()
    }
}

/// Takes what is queued, up to a batch.
fn take_queued(queue: &mut mpsc::UnboundedReceiver<Job>, batch: &mut Vec<Job>) {
    while batch.len() < MAX_BATCH {
        match queue.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
}

/// A route's turns to write: its own, and those the routes share ([`SHARED_TURNS`]).
#[derive(Clone)]
struct Turns {
    own: Arc<Semaphore>,
    shared: Arc<Semaphore>,
    /// Study routes whose own turn is taken now.
    writing: Arc<AtomicUsize>,
    /// Whether this route counts there: a study's route does, the shared route (whose writes
    /// are few and small: sessions kept alive, accounts) does not.
    counted: bool,
}

/// A turn to write, given back when dropped.
pub(crate) struct Turn<'a> {
    _permit: SemaphorePermit<'a>,
    /// The count of study routes writing, for a study route's own turn.
    own: Option<&'a AtomicUsize>,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        if let Some(writing) = self.own {
            writing.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl Turns {
    /// The route's own turn when free; else, while no other study's route writes, the first
    /// free of its own and a shared one; else its own when free (the semaphores are never
    /// closed).
    async fn take(&self) -> Option<Turn<'_>> {
        let own = |permit| {
            if self.counted {
                self.writing.fetch_add(1, Ordering::Relaxed);
            }
            Turn {
                _permit: permit,
                own: self.counted.then_some(&*self.writing),
            }
        };
        if let Ok(permit) = self.own.try_acquire() {
            return Some(own(permit));
        }
        // Another batch of this route holds the route's own turn (and is counted, if the
        // route is).
        let others =
            (self.writing.load(Ordering::Relaxed)).saturating_sub(usize::from(self.counted));
        if others > 0 {
            return self.own.acquire().await.ok().map(own);
        }
        let mine = std::pin::pin!(self.own.acquire());
        let shared = std::pin::pin!(self.shared.acquire());
        match futures::future::select(mine, shared).await {
            Either::Left((permit, _)) => permit.ok().map(own),
            Either::Right((permit, _)) => permit.ok().map(|permit| Turn {
                _permit: permit,
                own: None,
            }),
        }
    }
}

/// A lane: waits for writes on its route, runs them as a batch, again. A batch's write phase
/// (its writes, up to the seal) holds a turn ([`Turns`]); a lane waiting for a
/// turn holds the route's queue, and takes what has come meanwhile into its batch when its turn
/// comes. Batches seal and commit after their turn: the next batches write meanwhile. A sealing
/// batch waits only for chain heads (taken in order); two batches writing at once wait on each
/// other only when their writes take the same rows in opposite orders, a deadlock that
/// PostgreSQL breaks, and the batch it aborts runs again ([`write`]). The lane keeps its
/// connection while there is work, and gives it back to the pool when its route is idle.
async fn lane(
    pool: AnyPool,
    jobs: Arc<Mutex<mpsc::UnboundedReceiver<Job>>>,
    turns: Turns,
    counts: Arc<Counts>,
    heads: Arc<Heads>,
) {
    let mut kept: Option<PoolConnection<Any>> = None;
    loop {
        let mut batch = Vec::new();
        let mut held = None;
        if kept.is_some() {
            // Another lane waiting on the queue means nothing is queued: the connection goes
            // back before this lane waits its turn.
            if let Ok(mut queue) = jobs.try_lock() {
                take_queued(&mut queue, &mut batch);
                if !batch.is_empty() {
                    held = Some(queue);
                }
            }
            if batch.is_empty() {
                kept = None;
            }
        }
        let mut queue = match held {
            Some(queue) => queue,
            None => {
                let mut queue = jobs.lock().await;
                match queue.recv().await {
                    Some(job) => batch.push(job),
                    None => return,
                }
                take_queued(&mut queue, &mut batch);
                queue
            }
        };
        let mut conn = match begin(&pool, kept.take()).await {
            Ok(conn) => conn,
            Err(e) => {
                // Each write is told: a server that does not answer stays such an error (503:
                // look, then send again).
                tracing::error!(error = %e, "the database writer has no connection");
                for job in batch {
                    job.finish(Some(batch_failed(&e)));
                }
                continue;
            }
        };
        // The route's queue is held until this batch's turn to write comes, and what came
        // meanwhile joins the batch.
        let turn = turns.take().await;
        take_queued(&mut queue, &mut batch);
        drop(queue);
        let outcome = run(&mut conn, &mut batch, turn, &heads).await;
        kept = answer(conn, outcome, batch, &counts).await;
    }
}

/// A connection with a transaction begun on it: the lane's kept one, else one from the pool.
///
/// The lanes' pool hands out its idle connections without first checking that they still
/// answer (that check is a round trip to the server, and a lane takes a connection for nearly
/// every batch): the BEGIN checks instead. A connection on which it fails (its server
/// went away or restarted since it was last used, or a failover moved the writes elsewhere)
/// has done nothing, so it is closed and another taken, up to one more than the pool holds;
/// after that, the last error is the batch's.
async fn begin(pool: &AnyPool, kept: Option<PoolConnection<Any>>) -> Result<PoolConnection<Any>> {
    let mut next = kept;
    let mut tries = pool.options().get_max_connections() + 1;
    loop {
        let mut conn = match next.take() {
            Some(conn) => conn,
            None => pool.acquire().await?,
        };
        match conn.execute("BEGIN").await {
            Ok(_) => return Ok(conn),
            Err(e) => {
                tries -= 1;
                tracing::warn!(error = %e, "a connection of the database writer is closed");
                // Not returned to the pool.
                drop(conn.detach());
                if tries == 0 {
                    return Err(e.into());
                }
            }
        }
    }
}

/// Runs a batch, seals and commits it, and answers its writes (what a lane does, in one go).
/// Gives the connection back for the next batch, or `None` when it could not be left clean.
#[cfg(test)]
pub(crate) async fn commit(
    mut conn: PoolConnection<Any>,
    mut batch: Vec<Job>,
    counts: &Counts,
    heads: &Heads,
) -> Option<PoolConnection<Any>> {
    conn.execute("BEGIN").await.ok()?;
    let outcome = run(&mut conn, &mut batch, None, heads).await;
    answer(conn, outcome, batch, counts).await
}

/// Runs a batch in the transaction begun on `conn`: its writes (holding the route's `turn`, let
/// go before the seal), the seal and the commit.
///
/// The writes are first run without checking their studies' locks
/// ([`Pending::unchecked`]: a study is locked once in its life, and a read of its lock in every
/// batch cost a round trip to the server); the seal reads the lock of every chain with a write
/// that the lock refuses, under the chain's head, in the statement that writes its rows. When
/// it finds one locked, the batch is rolled back and runs again with the checks: the writes the
/// lock refuses are then refused one by one, each rolled back to its savepoint alone, and the
/// others commit. A lock committed during that second run refuses the batch at its seal.
async fn run(
    conn: &mut AnyConnection,
    batch: &mut [Job],
    turn: Option<Turn<'_>>,
    heads: &Heads,
) -> Outcome {
    let mut pending = Pending::unchecked();
    let written = AssertUnwindSafe(write(conn, batch, &mut pending, true))
        .catch_unwind()
        .await;
    drop(turn);
    let outcome = match written {
        Ok(Ok(())) => seal_and_commit(conn, &pending, heads).await,
        failed => return failed,
    };
    let Ok(Err(Unsealed::Refused(..))) = outcome else {
        return outcome;
    };
    if let Err(e) = conn.execute("ROLLBACK").await {
        return Ok(Err(Unsealed::Failed(e.into())));
    }
    let mut pending = Pending::default();
    match AssertUnwindSafe(write(conn, batch, &mut pending, false))
        .catch_unwind()
        .await
    {
        Ok(Ok(())) => seal_and_commit(conn, &pending, heads).await,
        failed => failed,
    }
}

/// How a batch ended: a panic (a bug in a write) is caught, and fails the batch, not the lane.
type Outcome = std::thread::Result<std::result::Result<(), Unsealed>>;

/// Answers the writes of a batch once its fate is known. Gives the connection back for the
/// next batch, or `None` when it could not be left clean.
async fn answer(
    mut conn: PoolConnection<Any>,
    outcome: Outcome,
    batch: Vec<Job>,
    counts: &Counts,
) -> Option<PoolConnection<Any>> {
    match outcome {
        Ok(Ok(())) => {
            counts.add(batch.len() as u64);
            for job in batch {
                job.finish(None);
            }
            return Some(conn);
        }
        Ok(Err(Unsealed::Refused(writes, refusal))) => {
            let copy = |e: &StoreError| match e {
                StoreError::Conflict { field, message } => StoreError::Conflict {
                    field: field.clone(),
                    message: message.clone(),
                },
                other => writer_failed(&other.to_string()),
            };
            let why = format!(
                "{refusal}, before a write committed in the same batch as this one; nothing was \
                 written, send it again"
            );
            for (i, job) in batch.into_iter().enumerate() {
                job.finish(Some(if writes.contains(&i) {
                    copy(&refusal)
                } else {
                    writer_failed(&why)
                }));
            }
        }
        Ok(Err(Unsealed::Failed(e))) => {
            for job in batch {
                job.finish(Some(batch_failed(&e)));
            }
        }
        Err(_) => {
            for job in batch {
                job.finish(Some(writer_failed(
                    "a write of the batch failed unexpectedly",
                )));
            }
        }
    }
    match conn.execute("ROLLBACK").await {
        Ok(_) => Some(conn),
        Err(_) => {
            // Not returned to the pool: closed.
            drop(conn.detach());
            None
        }
    }
}

/// The error told to every write of a batch that failed as a whole. A server that went away
/// stays such an error (the API answers 503: the outcome may be unknown, look before sending
/// again).
fn batch_failed(e: &StoreError) -> StoreError {
    if e.is_unavailable() {
        StoreError::Database(sqlx::Error::Io(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            format!("the write was not committed: {e}"),
        )))
    } else {
        writer_failed(&e.to_string())
    }
}

/// The write phase: every write of the batch runs, its audit rows kept in `pending`; `begun`:
/// the transaction is begun already (else the first statement begins it).
///
/// The writes first run one after another with no savepoint between them (a savepoint and its
/// release cost a round trip to the server for every write). If one of them fails, the whole
/// batch is rolled back and runs again with each write in its own savepoint: a write that fails
/// then is rolled back to its savepoint alone, with its own error, and the others go on. A
/// write thus may run twice; what it did in the run rolled back is gone with that run.
///
/// A write that the database aborts on a deadlock or a serialization failure ([`Ran::Again`])
/// rolls the whole batch back, which lets go of every row it held (so the other transaction of
/// the cycle goes on), and the batch runs again from its first write, up to [`RETRIES`] times;
/// after that such a write fails alone, with the database's error.
async fn write(
    conn: &mut AnyConnection,
    batch: &mut [Job],
    pending: &mut Pending,
    mut begun: bool,
) -> std::result::Result<(), Unsealed> {
    let failed = |e: sqlx::Error| Unsealed::Failed(e.into());
    let mut attempt = 0;
    let mut savepoints = false;
    'batch: loop {
        // With savepoints, the statements between the writes go to the server together: one
        // write's savepoint is released and the next one's taken in one round trip.
        let (first, next) = match (savepoints, begun) {
            (true, true) => ("SAVEPOINT w", "RELEASE SAVEPOINT w; SAVEPOINT w"),
            (true, false) => ("BEGIN; SAVEPOINT w", "RELEASE SAVEPOINT w; SAVEPOINT w"),
            (false, true) => ("", ""),
            (false, false) => ("BEGIN", ""),
        };
        // Each run after this one follows a rollback.
        begun = false;
        let mut between = first;
        for (i, job) in batch.iter_mut().enumerate() {
            if !between.is_empty() {
                conn.execute(sqlx::raw_sql(between)).await.map_err(failed)?;
            }
            let mark = pending.start(i);
            match job.run(conn, pending).await {
                Ran::Done => {}
                Ran::Again if attempt < RETRIES => {
                    conn.execute("ROLLBACK").await.map_err(failed)?;
                    pending.clear();
                    attempt += 1;
                    tokio::time::sleep(backoff(attempt)).await;
                    continue 'batch;
                }
                Ran::Failed | Ran::Again if !savepoints => {
                    conn.execute("ROLLBACK").await.map_err(failed)?;
                    pending.clear();
                    savepoints = true;
                    continue 'batch;
                }
                Ran::Failed | Ran::Again => {
                    conn.execute("ROLLBACK TO SAVEPOINT w")
                        .await
                        .map_err(failed)?;
                    pending.undo(mark);
                }
            }
            between = next;
        }
        return Ok(());
    }
}

/// How long a write aborted on a deadlock waits before its `attempt`-th run: long enough for
/// the other transaction of the cycle to commit, growing with each attempt.
pub(crate) fn backoff(attempt: u32) -> std::time::Duration {
    std::time::Duration::from_millis(5 * u64::from(attempt))
}

/// The seal and the commit (see [`seal::seal`]); a panic is caught.
async fn seal_and_commit(conn: &mut AnyConnection, pending: &Pending, heads: &Heads) -> Outcome {
    AssertUnwindSafe(async {
        let sealed = seal::seal(conn, pending, Some(heads)).await?;
        conn.execute("COMMIT")
            .await
            .map_err(|e| Unsealed::Failed(e.into()))?;
        sealed.committed();
        Ok(())
    })
    .catch_unwind()
    .await
}

#[cfg(test)]
#[path = "lanes_tests.rs"]
mod tests;
