//! The audit rows of a batch, sealed into their chains once per batch.
//!
//! A write that runs in a batch of the PostgreSQL writer (see [`crate::lanes`]) or of SQLite's
//! (see [`crate::group`]) does not take
//! its chain's head when it audits: [`defer`] checks the study's lock (read once per study and
//! batch; not at all on a lane's first run of a batch, see [`Pending::unchecked`]) and keeps the
//! rows in the batch's [`Pending`]. When every write of the batch has run,
//! [`seal`] takes the head of each chain the batch touched (in the chains' order, so two batches
//! never wait on each other in a cycle), checks the lock again under the heads, hashes the rows
//! in the order of the writes and moves each head once; the batch then commits. A chain's head
//! is thus held only from the seal to the commit, once a batch, instead of from each write's
//! audit to its commit: the writes of other batches run meanwhile.
//!
//! The rows and their hashes are the same as if each write had appended its own (the chain
//! does not record which rows were written together), so verifying, exporting and the signed
//! checkpoints read them as before.

use sqlx::AnyConnection;

use crate::chain::{self, Entry};
use crate::model::{now, Actor};
use crate::{Change, Result, StoreError};

/// The rows the writes of a batch have audited so far, in order.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    deferred: Vec<Deferred>,
    /// Studies whose lock this batch has read, and the lock's instant if locked (read again at
    /// the seal, under the chain's head).
    locks: Vec<(String, Option<String>)>,
    /// The write running now: its place in the batch.
    write: usize,
    /// Whether [`defer`] leaves the lock to the seal.
    unchecked: bool,
}

#[derive(Debug)]
struct Deferred {
    write: usize,
    chain: String,
    op: &'static str,
    user_id: Option<i64>,
    username: String,
    changes: Vec<Change>,
}

/// Where a batch's pending rows stood before a write: [`Pending::undo`] goes back to it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mark(usize);

impl Pending {
    /// The write at place `write` of the batch starts: what to go back to if it fails.
    pub(crate) fn start(&mut self, write: usize) -> Mark {
        self.write = write;
        Mark(self.deferred.len())
    }

    /// Rows whose writes are not checked against their studies' locks when they audit: the
    /// seal checks every chain with a write that the lock refuses, and a batch it refuses runs
    /// again checked (see `lanes::run`).
    pub(crate) fn unchecked() -> Pending {
        Pending {
            unchecked: true,
            ..Pending::default()
        }
    }

    /// Forgets every write's rows and the locks read (the batch is rolled back to run again).
    pub(crate) fn clear(&mut self) {
        self.deferred.clear();
        self.locks.clear();
    }

    /// Whether no write of the batch has audited anything yet.
    pub(crate) fn is_empty(&self) -> bool {
        self.deferred.is_empty()
    }

    /// Forgets what the failed write audited (its savepoint is rolled back; the locks read
    /// stay known).
    pub(crate) fn undo(&mut self, mark: Mark) {
        self.deferred.truncate(mark.0);
    }
}

/// Keeps a write's audit rows for the seal of its batch, refusing the write now if the chain's
/// study is locked and the lock refuses its op (as [`chain::refuse_when_locked`]; repeated by
/// [`seal`] under the head).
pub(crate) async fn defer(
    conn: &mut AnyConnection,
    pending: &mut Pending,
    chain: &str,
    op: &'static str,
    by: &Actor,
    changes: &[Change],
) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    if !pending.unchecked && chain != "system" && !trial::lock::accepts_after_lock(op) {
        let study = chain::study_of(chain);
        let known = pending.locks.iter().find(|(s, _)| s == study);
        let locked_at = match known {
            Some((_, at)) => at.clone(),
            None => {
                let at = chain::lock_instant(conn, study).await?;
                pending.locks.push((study.to_string(), at.clone()));
                at
            }
        };
        if let Some(at) = locked_at {
            return Err(trial::lock::locked_refusal(study, &at).into());
        }
    }
    pending.deferred.push(Deferred {
        write: pending.write,
        chain: chain.to_string(),
        op,
        user_id: by.user_id,
        username: by.username.clone(),
        changes: changes.to_vec(),
    });
    Ok(())
}

/// Why a batch could not be sealed.
#[derive(Debug)]
pub(crate) enum Unsealed {
    /// The database failed.
    Failed(StoreError),
    /// A study was locked after its writes in this batch were checked: those writes are
    /// refused (the places in the batch, and the refusal); nothing of the batch is written.
    Refused(Vec<usize>, StoreError),
}

/// Seals the batch's rows into their chains (see the module's documentation). Called once every
/// write of the batch has run, before the commit.
pub(crate) async fn seal(
    conn: &mut AnyConnection,
    pending: &Pending,
) -> std::result::Result<(), Unsealed> {
    let mut chains: Vec<&str> = pending.deferred.iter().map(|d| d.chain.as_str()).collect();
    chains.sort_unstable();
    chains.dedup();
    let mut heads = Vec::with_capacity(chains.len());
    for chain in &chains {
        heads.push(
            chain::take_head(conn, chain)
                .await
                .map_err(Unsealed::Failed)?,
        );
    }
    // Under every head: the instant of the rows, and the study's lock as committed now (read
    // with the chain's rows, see `chain::write_rows`).
    let at = now();
    for (chain, head) in chains.iter().zip(heads) {
        let mine = || pending.deferred.iter().filter(|d| d.chain == *chain);
        let refused = |d: &&Deferred| !trial::lock::accepts_after_lock(d.op);
        let study = chain::study_of(chain);
        let lock_of = (*chain != "system" && mine().any(|d| refused(&d))).then_some(study);
        let entries: Vec<Entry<'_>> = mine()
            .map(|d| Entry {
                user_id: d.user_id,
                username: &d.username,
                changes: &d.changes,
            })
            .collect();
        let locked = chain::write_rows(conn, chain, head, &at, &entries, lock_of)
            .await
            .map_err(Unsealed::Failed)?;
        if let Some(locked_at) = locked {
            let writes = mine().filter(refused).map(|d| d.write).collect();
            let refusal = trial::lock::locked_refusal(study, &locked_at).into();
            return Err(Unsealed::Refused(writes, refusal));
        }
    }
    Ok(())
}
