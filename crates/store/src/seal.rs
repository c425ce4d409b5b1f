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
//! audit to its commit: the writes of other batches run meanwhile. On PostgreSQL the lanes keep
//! each chain's head as they last committed it ([`Heads`]), so a seal need not read the head
//! first: it moves the head from the one it knows, and takes it only when another transaction
//! has moved it since.
//!
//! The rows and their hashes are the same as if each write had appended its own (the chain
//! does not record which rows were written together), so verifying, exporting and the signed
//! checkpoints read them as before.

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::AnyConnection;
use tokio::sync::OwnedMutexGuard;

use crate::chain::{self, Entry, Written};
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

/// Each chain's head as this process's seals last committed it (PostgreSQL's lanes), behind a
/// lock per chain that a seal holds until its batch's commit is known.
///
/// A seal that knows its chain's head does not take it with a read of its own (a round trip
/// while the head is held): it moves the head only from the one it knows, in the statement that
/// writes the rows ([`chain::write_rows`]), which fails to move it when another transaction
/// (a write of its own, another process) has moved it since; the seal then takes the head and
/// writes again. Only a commit puts a head here; a seal takes it out until then, so a batch
/// rolled back or whose commit is in doubt leaves the chain's head unknown.
#[derive(Debug, Default)]
pub(crate) struct Heads {
    chains: std::sync::Mutex<HashMap<String, Arc<Known>>>,
}

/// A chain's head (position and hash) if known, locked by the seal that uses it.
type Known = tokio::sync::Mutex<Option<Head>>;

impl Heads {
    /// The lock of `chain`'s known head.
    fn of(&self, chain: &str) -> Arc<Known> {
        let mut chains = self
            .chains
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Looked up without a copy of the name: a copy only for a chain's first seal.
        if let Some(known) = chains.get(chain) {
            return known.clone();
        }
        chains.entry(chain.to_string()).or_default().clone()
    }

    /// The head of `chain` known now (none while a seal holds it).
    #[cfg(test)]
    pub(crate) fn known(&self, chain: &str) -> Option<Head> {
        self.of(chain).try_lock().ok().and_then(|head| head.clone())
    }
}

/// A chain's head: its position and hash.
type Head = (i64, String);

/// The heads a sealed batch moved, held until its commit (see [`Heads`]).
#[derive(Debug, Default)]
pub(crate) struct Sealed {
    /// Each chain's lock, and the head to know once committed.
    held: Vec<(OwnedMutexGuard<Option<Head>>, Head)>,
}

impl Sealed {
    /// The batch is committed: its heads are known from now on.
    pub(crate) fn committed(self) {
        for (mut known, head) in self.held {
            *known = Some(head);
        }
    }
}

/// Seals the batch's rows into their chains (see the module's documentation). Called once every
/// write of the batch has run, before the commit; with `known`, each chain's head is taken
/// from there when it is known, and held there until [`Sealed::committed`] (or the seal's
/// drop).
///
/// The chains are sealed in their order, each at the instant its head was held: a chain whose
/// head had to be taken (or was known stale) gets the instant after it was, so that each
/// chain's instants never go back.
pub(crate) async fn seal(
    conn: &mut AnyConnection,
    pending: &Pending,
    known: Option<&Heads>,
) -> std::result::Result<Sealed, Unsealed> {
    let mut chains: Vec<&str> = pending.deferred.iter().map(|d| d.chain.as_str()).collect();
    chains.sort_unstable();
    chains.dedup();
    // The known heads' locks, taken in the chains' order (so two seals never wait on each
    // other in a cycle).
    let mut guards = Vec::with_capacity(chains.len());
    if let Some(known) = known {
        for chain in &chains {
            guards.push(known.of(chain).lock_owned().await);
        }
    }
    let mut sealed = Sealed::default();
    let mut guards = guards.into_iter();
    let mut at = now();
    for chain in &chains {
        let mut guard = guards.next();
        // Taken out until the commit.
        let mut head = guard.as_mut().and_then(|known| known.take());
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
        let moved = loop {
            let (from, taken) = match head.take() {
                Some(known) => (known, false),
                None => {
                    let taken = chain::take_head(conn, chain)
                        .await
                        .map_err(Unsealed::Failed)?;
                    // Under the head: the instant of the rows, and the study's lock as
                    // committed now (read with the chain's rows, see `chain::write_rows`).
                    at = now();
                    (taken, true)
                }
            };
            match chain::write_rows(conn, chain, from, &at, &entries, lock_of)
                .await
                .map_err(Unsealed::Failed)?
            {
                Written::Moved(seq, hash) => break (seq, hash),
                Written::Locked(locked_at) => {
                    let writes = mine().filter(refused).map(|d| d.write).collect();
                    let refusal = trial::lock::locked_refusal(study, &locked_at).into();
                    return Err(Unsealed::Refused(writes, refusal));
                }
                // Moved since it was known: taken now, and written again.
                Written::Stale if !taken => {}
                Written::Stale => {
                    return Err(Unsealed::Failed(chain::moved_under_us(chain)));
                }
            }
        };
        if let Some(guard) = guard {
            sealed.held.push((guard, moved));
        }
    }
    Ok(sealed)
}
