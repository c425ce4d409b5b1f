//! The audit rows of a batch, sealed into their chains once per batch.
//!
//! A write that runs in a batch of the PostgreSQL writer (see [`crate::lanes`]) or of SQLite's
//! (see [`crate::group`]) does not take
//! its chain's head when it audits: [`defer`] checks the study's lock (once per study and
//! batch) and keeps the rows in the batch's [`Pending`]. When every write of the batch has run,
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
    /// Studies found not locked by a write of this batch (the check is repeated at the seal).
    unlocked: Vec<String>,
    /// The write running now: its place in the batch.
    write: usize,
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
pub(crate) struct Mark(usize, usize);

impl Pending {
    /// The write at place `write` of the batch starts: what to go back to if it fails.
    pub(crate) fn start(&mut self, write: usize) -> Mark {
        self.write = write;
        Mark(self.deferred.len(), self.unlocked.len())
    }

    /// Whether no write of the batch has audited anything yet.
    pub(crate) fn is_empty(&self) -> bool {
        self.deferred.is_empty()
    }

    /// Forgets what the failed write audited (its savepoint is rolled back).
    pub(crate) fn undo(&mut self, mark: Mark) {
        self.deferred.truncate(mark.0);
        self.unlocked.truncate(mark.1);
    }
}

/// Keeps a write's audit rows for the seal of its batch, refusing the write now if the chain's
/// study is locked (see [`chain::refuse_when_locked`]; repeated by [`seal`] under the head).
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
    let study = chain::study_of(chain);
    if !pending.unlocked.iter().any(|s| s == study) {
        chain::refuse_when_locked(conn, chain, op).await?;
        if chain != "system" && !trial::lock::accepts_after_lock(op) {
            pending.unlocked.push(study.to_string());
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
