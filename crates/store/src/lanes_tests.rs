//! The PostgreSQL lanes on a fresh PostgreSQL database (`TEST_DATABASE_URL`; skipped with a
//! message without it, unless `SCITRIAL_REQUIRE_POSTGRES` is set): batches run in one
//! transaction, a failing or panicking write is rolled back alone or fails its batch only, a
//! study locked while a batch runs refuses that batch's writes to it with nothing written, and
//! the writes of one study go on while another study's chain is held.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::{AnyConnection, AnyPool, Executor};

use super::*;
use crate::db::Tx;
use crate::model::Actor;
use crate::seal::defer;
use crate::{Change, Store};

/// A store on a fresh PostgreSQL database with a scratch table `lane_t`, or `None` when there
/// is no server to test on.
async fn postgres() -> Option<Store> {
    let urls = crate::testing::fresh_databases("scitrial_lanes")
        .await
        .unwrap();
    let url = urls.into_iter().find(|u| u.starts_with("postgres"))?;
    let store = Store::open_with_lanes(&url, crate::lanes::LANES)
        .await
        .unwrap();
    store
        .raw_pool()
        .execute("CREATE TABLE lane_t (v TEXT NOT NULL)")
        .await
        .unwrap();
    Some(store)
}

fn change(v: &str) -> Change {
    Change {
        action: "create".into(),
        entity: "lane".into(),
        record_id: v.into(),
        field: None,
        old_value: None,
        new_value: Some(v.into()),
        reason: None,
    }
}

async fn insert(conn: &mut AnyConnection, v: &str) -> Result<()> {
    sqlx::query("INSERT INTO lane_t (v) VALUES ($1)")
        .bind(v)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn values(pool: &AnyPool) -> Vec<String> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT v FROM lane_t ORDER BY v")
        .fetch_all(pool)
        .await
        .unwrap();
    rows.into_iter().map(|(v,)| v).collect()
}

/// The audit rows' record ids of a chain, in the chain's order.
async fn chain_records(pool: &AnyPool, chain: &str) -> Vec<String> {
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT seq, record_id FROM audit WHERE chain = $1 ORDER BY seq")
            .bind(chain)
            .fetch_all(pool)
            .await
            .unwrap();
    for (i, (seq, _)) in rows.iter().enumerate() {
        assert_eq!(*seq, i as i64 + 1, "{chain}: {rows:?}");
    }
    rows.into_iter().map(|(_, r)| r).collect()
}

async fn assert_intact(store: &Store) {
    match store.verify_audit().await.unwrap() {
        crate::AuditReport::Intact { .. } => {}
        other => panic!("the chains do not verify: {other:?}"),
    }
}

/// A job that inserts `v`, audits it on `chain` as the write `op`, and then fails when asked.
fn write_job(
    v: &'static str,
    chain: &'static str,
    op: &'static str,
    fail: bool,
) -> (Job, oneshot::Receiver<Result<&'static str>>) {
    job(move |conn, pending| {
        Box::pin(async move {
            insert(conn, v).await?;
            defer(conn, pending, chain, op, &Actor::system(), &[change(v)]).await?;
            if fail {
                return Err(StoreError::Invalid {
                    field: v.into(),
                    message: "refused after writing".into(),
                });
            }
            Ok(v)
        })
    })
}

async fn results(
    answers: Vec<oneshot::Receiver<Result<&'static str>>>,
) -> Vec<std::result::Result<&'static str, String>> {
    let mut out = Vec::new();
    for a in answers {
        out.push(crate::group::answer(a).await.map_err(|e| e.to_string()));
    }
    out
}

/// Three writes of one batch; the middle one writes a row, audits it and then fails: the
/// batch, first run without savepoints, runs again with one per write, and the failing write is
/// rolled back to its savepoint alone (its row and its audit row are gone) and gets its own
/// error; the other two are committed once, their audit rows one after the other in the chain.
#[tokio::test]
async fn a_failing_write_in_a_batch_is_rolled_back_alone() {
    let Some(store) = postgres().await else {
        return;
    };
    let pool = store.raw_pool().clone();
    let (mut jobs, mut answers) = (Vec::new(), Vec::new());
    for (v, fail) in [("a", false), ("b", true), ("c", false)] {
        let (job, answer) = write_job(v, "LANE-A", "lane_test", fail);
        jobs.push(job);
        answers.push(answer);
    }
    let counts = Counts::default();
    let conn = pool.acquire().await.unwrap();
    assert!(commit(conn, jobs, &counts, &Heads::default())
        .await
        .is_some());
    assert_eq!(
        results(answers).await,
        [
            Ok("a"),
            Err("b: refused after writing".to_string()),
            Ok("c")
        ]
    );
    assert_eq!(values(&pool).await, ["a", "c"]);
    assert_eq!(chain_records(&pool, "LANE-A").await, ["a", "c"]);
    assert_eq!(counts.get(), (1, 3));
    assert_intact(&store).await;
}

/// A write to `LANE-A` that panics once it has written and audited.
fn panicking_job() -> (Job, oneshot::Receiver<Result<&'static str>>) {
    job(|conn: &mut AnyConnection, pending: &mut Pending| {
        Box::pin(async move {
            insert(conn, "lost too").await?;
            defer(
                conn,
                pending,
                "LANE-A",
                "lane_test",
                &Actor::system(),
                &[change("x")],
            )
            .await?;
            if std::hint::black_box(true) {
                panic!("a bug in a write (this panic is the test)");
            }
            Ok("never")
        })
    })
}

/// A write that panics fails its own batch: nothing of it is written; the connection is left
/// clean and the next batch on it commits.
#[tokio::test]
async fn a_panicking_write_fails_its_batch_and_the_lane_goes_on() {
    let Some(store) = postgres().await else {
        return;
    };
    let pool = store.raw_pool().clone();
    let (first, first_answer) = write_job("lost", "LANE-A", "lane_test", false);
    let (bad, bad_answer) = panicking_job();
    let counts = Counts::default();
    let conn = pool.acquire().await.unwrap();
    let conn = commit(conn, vec![first, bad], &counts, &Heads::default())
        .await
        .unwrap();
    assert!(crate::group::answer(first_answer).await.is_err());
    assert!(crate::group::answer(bad_answer).await.is_err());
    let (good, good_answer) = write_job("kept", "LANE-A", "lane_test", false);
    assert!(commit(conn, vec![good], &counts, &Heads::default())
        .await
        .is_some());
    assert_eq!(crate::group::answer(good_answer).await.unwrap(), "kept");
    assert_eq!(values(&pool).await, ["kept"]);
    assert_eq!(chain_records(&pool, "LANE-A").await, ["kept"]);
    assert_eq!(counts.get(), (1, 1));
    assert_intact(&store).await;
}

/// Users and two studies, `RACE-A` and `RACE-B`, for the lock tests.
async fn two_studies(pool: &AnyPool) {
    pool.execute(
        "INSERT INTO studies (id, title, definition, loaded_at) \
         VALUES ('RACE-A', 't', 'd', now()), ('RACE-B', 't', 'd', now()); \
         INSERT INTO users (username, full_name, password_hash, created_at) \
         VALUES ('locker', 'Dr Locker', 'h', now())",
    )
    .await
    .unwrap();
}

/// Commits the lock of `study` (once) from a connection of its own.
async fn lock_study(pool: &AnyPool, study: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO study_locks (study_id, locked_at, locked_by, locker_name, audit_seq, \
         audit_hash) SELECT $1, now(), id, full_name, 0, '' FROM users \
         WHERE username = 'locker' ON CONFLICT DO NOTHING",
    )
    .bind(study)
    .execute(pool)
    .await?;
    Ok(())
}

fn assert_locked(answer: std::result::Result<&'static str, StoreError>, study: &str) {
    match answer {
        Err(StoreError::Conflict { field, message }) => {
            assert_eq!(field, "study");
            assert!(message.contains(&format!("{study} is locked")), "{message}");
        }
        other => panic!("not refused as locked: {other:?}"),
    }
}

/// A study locked while a batch runs. The batch's writes are first run without reading the
/// lock; the seal finds it under the chain's head, and the batch runs again, checked: the write
/// to the locked study `RACE-A` is refused alone when it audits, the others go on. A second
/// study, `RACE-B`, locked during that second run (after its write was checked) is found by
/// that run's seal: its write is refused as any write to a locked study, the bystander is told
/// it was not committed, and nothing is written.
#[tokio::test]
async fn a_study_locked_while_a_batch_runs_refuses_its_writes_at_the_seal() {
    let Some(store) = postgres().await else {
        return;
    };
    let pool = store.raw_pool().clone();
    two_studies(&pool).await;
    let (a, a_answer) = write_job("a", "RACE-A", "save_form", false);
    let (b, b_answer) = write_job("b", "RACE-B", "save_form", false);
    // Locks RACE-A on its first run, RACE-B on its second, each committed from another
    // connection while the batch is open.
    let (locker, runs) = (pool.clone(), std::sync::Arc::new(AtomicUsize::new(0)));
    let seen = runs.clone();
    let (lock, lock_answer) = job(move |conn: &mut AnyConnection, pending: &mut Pending| {
        Box::pin(async move {
            let run = runs.fetch_add(1, Ordering::SeqCst);
            lock_study(&locker, if run == 0 { "RACE-A" } else { "RACE-B" }).await?;
            insert(conn, "bystander").await?;
            defer(
                conn,
                pending,
                "OTHER",
                "lane_test",
                &Actor::system(),
                &[change("o")],
            )
            .await?;
            Ok("bystander")
        })
    });
    let counts = Counts::default();
    let conn = pool.acquire().await.unwrap();
    assert!(commit(conn, vec![a, b, lock], &counts, &Heads::default())
        .await
        .is_some());
    assert_eq!(seen.load(Ordering::SeqCst), 2, "the batch ran twice");
    assert_locked(crate::group::answer(a_answer).await, "RACE-A");
    assert_locked(crate::group::answer(b_answer).await, "RACE-B");
    let bystander = crate::group::answer(lock_answer).await.unwrap_err();
    assert!(
        bystander.to_string().contains("send it again"),
        "{bystander}"
    );
    assert!(values(&pool).await.is_empty());
    for chain in ["RACE-A", "RACE-B", "OTHER"] {
        assert!(chain_records(&pool, chain).await.is_empty());
    }
    assert_eq!(counts.get(), (0, 0));
}

/// A study locked before a batch: its first run, unchecked, is refused at the seal; its second
/// refuses the write to the locked study alone, and the batch's write to another chain commits.
#[tokio::test]
async fn a_study_locked_before_a_batch_refuses_its_write_alone() {
    let Some(store) = postgres().await else {
        return;
    };
    let pool = store.raw_pool().clone();
    two_studies(&pool).await;
    lock_study(&pool, "RACE-A").await.unwrap();
    let (refused, refused_answer) = write_job("refused", "RACE-A", "save_form", false);
    let (other, other_answer) = write_job("kept", "OTHER", "save_form", false);
    let counts = Counts::default();
    let conn = pool.acquire().await.unwrap();
    assert!(
        commit(conn, vec![refused, other], &counts, &Heads::default())
            .await
            .is_some()
    );
    assert_locked(crate::group::answer(refused_answer).await, "RACE-A");
    assert_eq!(crate::group::answer(other_answer).await.unwrap(), "kept");
    assert_eq!(values(&pool).await, ["kept"]);
    assert!(chain_records(&pool, "RACE-A").await.is_empty());
    assert_eq!(chain_records(&pool, "OTHER").await, ["kept"]);
    assert_eq!(counts.get(), (1, 2));
    assert_intact(&store).await;
}

/// A write of the store on a study's lanes: inserts `v` and audits it on the study's chain,
/// after waiting `wait` inside the batch.
async fn store_write(store: &Store, study: &'static str, v: &'static str, wait: Duration) {
    store
        .write_in(study, "lane_test", move |mut tx: Tx<'_>| {
            Box::pin(async move {
                tokio::time::sleep(wait).await;
                insert(tx.conn(), v).await?;
                tx.audit(study, &Actor::system(), &[change(v)]).await
            })
        })
        .await
        .unwrap();
}

/// Writes queued while a batch of their study runs its writes wait for the next batches, many
/// to a batch: the 4 slow writes and the 40 queued behind them commit in far fewer transactions
/// than writes, and the chain holds each write's row once.
#[tokio::test]
async fn writes_queued_together_share_a_batch() {
    let Some(store) = postgres().await else {
        return;
    };
    const QUEUED: [&str; 40] = [
        "q00", "q01", "q02", "q03", "q04", "q05", "q06", "q07", "q08", "q09", "q10", "q11", "q12",
        "q13", "q14", "q15", "q16", "q17", "q18", "q19", "q20", "q21", "q22", "q23", "q24", "q25",
        "q26", "q27", "q28", "q29", "q30", "q31", "q32", "q33", "q34", "q35", "q36", "q37", "q38",
        "q39",
    ];
    let before = store.group_commits().unwrap();
    let slow = ["s0", "s1", "s2", "s3"]
        .map(|v| store_write(&store, "BATCH", v, Duration::from_millis(400)));
    let queued = async {
        // The slow writes are running by now.
        tokio::time::sleep(Duration::from_millis(100)).await;
        futures::future::join_all(QUEUED.map(|v| store_write(&store, "BATCH", v, Duration::ZERO)))
            .await
    };
    futures::future::join(futures::future::join_all(slow), queued).await;
    let after = store.group_commits().unwrap();
    let (commits, writes) = (after.0 - before.0, after.1 - before.1);
    assert_eq!(writes, 44);
    assert!(commits <= 8, "{commits} transactions for {writes} writes");
    let pool = store.raw_pool();
    let mut records = chain_records(pool, "BATCH").await;
    records.sort();
    let mut expected: Vec<String> = QUEUED.iter().map(|v| v.to_string()).collect();
    expected.extend(["s0", "s1", "s2", "s3"].map(String::from));
    expected.sort();
    assert_eq!(records, expected);
    assert_eq!(values(pool).await, expected);
    assert_intact(&store).await;
}

/// While another transaction holds study A's chain head, A's write waits at its seal, and a
/// write of study B, in B's lanes, commits meanwhile; A's write commits once the head is let go.
#[tokio::test]
async fn a_study_held_does_not_hold_another_study() {
    let Some(store) = postgres().await else {
        return;
    };
    store_write(&store, "STUDY-A", "a1", Duration::ZERO).await;
    let pool = store.raw_pool().clone();
    let mut holder = pool.begin().await.unwrap();
    sqlx::query("SELECT seq FROM audit_heads WHERE chain = 'STUDY-A' FOR UPDATE")
        .fetch_one(&mut *holder)
        .await
        .unwrap();
    let a = tokio::spawn({
        let store = store.clone();
        async move { store_write(&store, "STUDY-A", "a2", Duration::ZERO).await }
    });
    tokio::time::timeout(
        Duration::from_secs(10),
        store_write(&store, "STUDY-B", "b1", Duration::ZERO),
    )
    .await
    .expect("study B's write waited for study A's chain");
    assert!(!a.is_finished(), "study A's write went past its held head");
    assert_eq!(chain_records(&pool, "STUDY-B").await, ["b1"]);
    holder.rollback().await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), a)
        .await
        .expect("study A's write never committed")
        .unwrap();
    assert_eq!(chain_records(&pool, "STUDY-A").await, ["a1", "a2"]);
    assert_intact(&store).await;
}

/// A write that updates `first` then `second` of `lane_rows` (waiting at `barrier` between the
/// two on its first run only), audits on `chain`, and counts its runs.
fn crossing(
    first: &'static str,
    second: &'static str,
    chain: &'static str,
    barrier: std::sync::Arc<tokio::sync::Barrier>,
    runs: std::sync::Arc<std::sync::atomic::AtomicU32>,
) -> impl for<'c> FnOnce(Tx<'c>) -> futures::future::BoxFuture<'c, Result<()>> + Clone + Send + 'static
{
    move |mut tx: Tx<'_>| {
        Box::pin(async move {
            let run = runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            for (i, k) in [first, second].into_iter().enumerate() {
                sqlx::query("UPDATE lane_rows SET n = n + 1 WHERE k = $1")
                    .bind(k)
                    .execute(tx.conn())
                    .await?;
                if i == 0 && run < 2 {
                    // Both writes hold their first row before either asks for its second.
                    barrier.wait().await;
                }
            }
            tx.audit(chain, &Actor::system(), &[change(first)]).await
        })
    }
}

/// Two writes that lock two rows in opposite orders, one on a study's route and one on the
/// shared route (or each in a transaction of its own, without the lanes): PostgreSQL breaks the
/// deadlock by aborting one of them, which is run again and commits. Neither caller sees an
/// error, each row is updated once by each write, and the chains verify.
#[tokio::test]
async fn a_write_aborted_on_a_deadlock_runs_again() {
    for lanes in [crate::lanes::LANES, 0] {
        let Some(store) = postgres().await else {
            return;
        };
        let store = if lanes == 0 {
            let url = store.url().to_string();
            Store::open_with_lanes(&url, 0).await.unwrap()
        } else {
            store
        };
        let pool = store.raw_pool().clone();
        pool.execute(
            "CREATE TABLE lane_rows (k TEXT PRIMARY KEY, n INTEGER NOT NULL); \
             INSERT INTO lane_rows VALUES ('x', 0), ('y', 0)",
        )
        .await
        .unwrap();
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2));
        let runs = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let one = store.write_in(
            "DEADLOCK-A",
            "lane_test",
            crossing("x", "y", "DEADLOCK-A", barrier.clone(), runs.clone()),
        );
        let other = store.write(
            "lane_test",
            crossing("y", "x", "DEADLOCK-B", barrier.clone(), runs.clone()),
        );
        let (one, other) =
            tokio::time::timeout(Duration::from_secs(30), futures::future::join(one, other))
                .await
                .expect("the deadlocked writes never finished");
        one.unwrap_or_else(|e| panic!("lanes {lanes}: {e}"));
        other.unwrap_or_else(|e| panic!("lanes {lanes}: {e}"));
        assert!(
            runs.load(std::sync::atomic::Ordering::SeqCst) >= 3,
            "lanes {lanes}: no write was aborted and run again"
        );
        let rows: Vec<(String, i32)> = sqlx::query_as("SELECT k, n FROM lane_rows ORDER BY k")
            .fetch_all(&pool)
            .await
            .unwrap();
        assert_eq!(
            rows,
            [("x".to_string(), 2), ("y".to_string(), 2)],
            "lanes {lanes}"
        );
        assert_eq!(chain_records(&pool, "DEADLOCK-A").await, ["x"]);
        assert_eq!(chain_records(&pool, "DEADLOCK-B").await, ["y"]);
        assert_intact(&store).await;
    }
}

/// The head of `chain` as the table holds it.
async fn head_row(pool: &AnyPool, chain: &str) -> (i64, String) {
    sqlx::query_as("SELECT seq, hash FROM audit_heads WHERE chain = $1")
        .bind(chain)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A chain's head is known after a batch commits; a batch that fails before its seal leaves it
/// known, one sealed but not committed leaves it unknown. A head known but moved since by another transaction (a write of its own) is taken
/// again at the seal: the rows follow the other transaction's, and the chain verifies.
#[tokio::test]
async fn a_known_head_moved_by_another_transaction_is_taken_again() {
    let Some(store) = postgres().await else {
        return;
    };
    let pool = store.raw_pool().clone();
    let (heads, counts) = (Heads::default(), Counts::default());
    let (a, a_answer) = write_job("a", "LANE-A", "lane_test", false);
    let conn = commit(pool.acquire().await.unwrap(), vec![a], &counts, &heads).await;
    assert_eq!(crate::group::answer(a_answer).await.unwrap(), "a");
    assert_eq!(heads.known("LANE-A"), Some(head_row(&pool, "LANE-A").await));

    // Another transaction appends to the chain: the known head is stale.
    let mut other = pool.begin().await.unwrap();
    insert(&mut other, "outside").await.unwrap();
    crate::chain::append(
        &mut other,
        "LANE-A",
        "lane_test",
        &Actor::system(),
        &[change("outside")],
    )
    .await
    .unwrap();
    other.commit().await.unwrap();
    assert_ne!(heads.known("LANE-A"), Some(head_row(&pool, "LANE-A").await));

    let (b, b_answer) = write_job("b", "LANE-A", "lane_test", false);
    let conn = commit(conn.unwrap(), vec![b], &counts, &heads).await;
    assert_eq!(crate::group::answer(b_answer).await.unwrap(), "b");
    assert_eq!(chain_records(&pool, "LANE-A").await, ["a", "outside", "b"]);
    assert_eq!(heads.known("LANE-A"), Some(head_row(&pool, "LANE-A").await));

    // A batch that fails before its seal leaves the head as it was committed.
    let (bad, bad_answer) = panicking_job();
    let conn = commit(conn.unwrap(), vec![bad], &counts, &heads).await;
    assert!(crate::group::answer(bad_answer).await.is_err());
    assert_eq!(heads.known("LANE-A"), Some(head_row(&pool, "LANE-A").await));

    // A seal that does not commit leaves the head unknown: here one refused by a lock.
    two_studies(&pool).await;
    let (r1, r1_answer) = write_job("r1", "RACE-A", "save_form", false);
    let conn = commit(conn.unwrap(), vec![r1], &counts, &heads).await;
    assert_eq!(crate::group::answer(r1_answer).await.unwrap(), "r1");
    assert!(heads.known("RACE-A").is_some());
    lock_study(&pool, "RACE-A").await.unwrap();
    let (r2, r2_answer) = write_job("r2", "RACE-A", "save_form", false);
    let (c, c_answer) = write_job("c", "LANE-A", "lane_test", false);
    assert!(commit(conn.unwrap(), vec![r2, c], &counts, &heads)
        .await
        .is_some());
    assert_locked(crate::group::answer(r2_answer).await, "RACE-A");
    assert_eq!(heads.known("RACE-A"), None);
    assert_eq!(crate::group::answer(c_answer).await.unwrap(), "c");
    assert_eq!(
        chain_records(&pool, "LANE-A").await,
        ["a", "outside", "b", "c"]
    );
    assert_eq!(chain_records(&pool, "RACE-A").await, ["r1"]);
    assert_eq!(heads.known("LANE-A"), Some(head_row(&pool, "LANE-A").await));
    assert_intact(&store).await;
}

/// Two servers on one database, each with its lanes and the heads it knows, write the same
/// study's chain, in turn (each write finds the head the other moved) and then all at once:
/// every write is in the chain once, and the chain verifies.
#[tokio::test]
async fn two_servers_write_one_chain() {
    let Some(one) = postgres().await else {
        return;
    };
    let two = Store::open_with_lanes(one.url(), crate::lanes::LANES)
        .await
        .unwrap();
    const IN_TURN: [&str; 6] = ["t0", "t1", "t2", "t3", "t4", "t5"];
    for (i, v) in IN_TURN.into_iter().enumerate() {
        let store = if i % 2 == 0 { &one } else { &two };
        store_write(store, "TWO", v, Duration::ZERO).await;
    }
    const AT_ONCE: [&str; 24] = [
        "c00", "c01", "c02", "c03", "c04", "c05", "c06", "c07", "c08", "c09", "c10", "c11", "c12",
        "c13", "c14", "c15", "c16", "c17", "c18", "c19", "c20", "c21", "c22", "c23",
    ];
    let writes = AT_ONCE.into_iter().enumerate().map(|(i, v)| {
        let store = if i % 2 == 0 { &one } else { &two };
        store_write(store, "TWO", v, Duration::ZERO)
    });
    tokio::time::timeout(Duration::from_secs(30), futures::future::join_all(writes))
        .await
        .expect("the two servers' writes never finished");
    let records = chain_records(one.raw_pool(), "TWO").await;
    assert_eq!(records[..6], IN_TURN);
    let mut rest = records[6..].to_vec();
    rest.sort();
    assert_eq!(rest, AT_ONCE);
    assert_intact(&one).await;
}

/// A study's route whose own turn is taken takes the shared one while no other study's route
/// writes (the shared route's writes do not count), and waits for its own while another does.
#[tokio::test]
async fn a_second_turn_only_while_no_other_study_writes() {
    let shared = Arc::new(Semaphore::new(SHARED_TURNS));
    let writing = Arc::new(AtomicUsize::new(0));
    let route = |counted| Turns {
        own: Arc::new(Semaphore::new(1)),
        shared: shared.clone(),
        writing: writing.clone(),
        counted,
    };
    let (a, b, accounts) = (route(true), route(true), route(false));
    let soon = Duration::from_millis(200);
    let a1 = a.take().await.unwrap();
    let second = tokio::time::timeout(soon, a.take()).await;
    drop(second.expect("a study written alone has a second turn"));
    let s1 = accounts.take().await.unwrap();
    let second = tokio::time::timeout(soon, a.take()).await;
    drop(second.expect("the shared route's write took the second turn away"));
    let b1 = b.take().await.unwrap();
    let mut waiting = std::pin::pin!(a.take());
    assert!(
        tokio::time::timeout(soon, &mut waiting).await.is_err(),
        "a second turn while another study writes"
    );
    drop(a1);
    let again = tokio::time::timeout(soon, waiting).await;
    assert!(again.expect("the route's own turn came back").is_some());
    drop((b1, s1));
}

/// The lanes' pool hands out idle connections unchecked (see `begin`): after the server ended
/// every connection of the database (as a restart does), the next writes find their lane's
/// connections closed at their BEGIN, take new ones, and commit; none is told of it.
#[tokio::test]
async fn a_write_on_a_connection_the_server_closed_takes_another() {
    let Some(store) = postgres().await else {
        return;
    };
    store_write(&store, "GONE", "before", Duration::ZERO).await;
    let mut admin = store.raw_pool().acquire().await.unwrap();
    let ended: Vec<(bool,)> = sqlx::query_as(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_all(&mut *admin)
    .await
    .unwrap();
    drop(admin.detach());
    assert!(!ended.is_empty(), "the lanes' connection was not found");
    // Each ended backend has gone by now.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for v in ["after-1", "after-2", "after-3"] {
        store_write(&store, "GONE", v, Duration::ZERO).await;
    }
    assert_eq!(
        chain_records(store.raw_pool(), "GONE").await,
        ["before", "after-1", "after-2", "after-3"]
    );
    assert_intact(&store).await;
}
