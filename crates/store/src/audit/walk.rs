//! Verifying every chain in one read of the trail, and the streamed export: both read the
//! rows through [`read`](super::read), lent without a copy.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;

use trial::audit::{ChainHead, ChainNow};

use super::read::{Heads, Visit};
use super::AuditWalk;
use crate::chain::{AuditReport, AuditRowRef, ChainCheck, GENESIS};
use crate::db::Store;
use crate::Result;

impl Store {
    /// Walks every chain and reports the first row that does not verify.
    pub async fn verify_audit(&self) -> Result<AuditReport> {
        Ok(self.audit_walk(&BTreeMap::new()).await?.report)
    }

    /// Walks every chain in one read snapshot (so writes committed meanwhile are not half
    /// seen), in constant memory: the first row that does not verify, each chain's head as
    /// recorded (what a checkpoint signs), and each chain as found, with the stored hashes at
    /// the positions asked for (what checkpoints are compared with; see `trial::audit`).
    pub async fn audit_walk(&self, wanted: &BTreeMap<String, BTreeSet<i64>>) -> Result<AuditWalk> {
        let walk = self.read_trail(Walk::new(wanted.clone())).await?;
        Ok(walk.finish())
    }

    /// Every audit row, chain by chain in order, in one read snapshot and constant memory,
    /// each lent to `each` with `state` until it breaks; gives `state` back at the end: the
    /// streamed export. (`each` runs on a thread of its own on SQLite, hence `Send + 'static`;
    /// [`Store::audit_all`] gives owned rows, for smaller needs.)
    pub async fn audit_each<S, F>(&self, state: S, each: F) -> Result<S>
    where
        S: Send + 'static,
        F: FnMut(&mut S, AuditRowRef<'_>) -> ControlFlow<()> + Send + 'static,
    {
        struct Each<S, F>(S, F);
        impl<S, F> Visit for Each<S, F>
        where
            S: Send + 'static,
            F: FnMut(&mut S, AuditRowRef<'_>) -> ControlFlow<()> + Send + 'static,
        {
            fn heads(&mut self, _: Heads) {}
            fn row(&mut self, row: AuditRowRef<'_>) -> ControlFlow<()> {
                (self.1)(&mut self.0, row)
            }
        }
        Ok(self.read_trail(Each(state, each)).await?.0)
    }
}

/// The walk over the rows, chain by chain.
struct Walk {
    heads: Heads,
    /// The positions whose hashes are asked for, by chain.
    wanted: BTreeMap<String, BTreeSet<i64>>,
    first: Option<AuditReport>,
    /// The chain being walked, its check (`false` once a row failed), and what was found.
    current: Option<(ChainCheck, bool, ChainNow)>,
    chains: BTreeMap<String, ChainNow>,
    rows: u64,
}

impl Visit for Walk {
    fn heads(&mut self, heads: Heads) {
        self.heads = heads;
    }

    fn row(&mut self, row: AuditRowRef<'_>) -> ControlFlow<()> {
        if self
            .current
            .as_ref()
            .is_none_or(|(c, _, _)| c.chain != row.chain)
        {
            self.end_chain();
            self.current = Some((ChainCheck::new(row.chain), true, ChainNow::default()));
        }
        let Some((check, ok, found)) = self.current.as_mut() else {
            return ControlFlow::Continue(());
        };
        found.rows += 1;
        if self
            .wanted
            .get(row.chain)
            .is_some_and(|w| w.contains(&row.seq))
        {
            found.hashes.insert(row.seq, row.hash.to_string());
        }
        if *ok {
            match check.next(&row) {
                None => found.verified += 1,
                Some(report) => {
                    *ok = false;
                    self.first.get_or_insert(report);
                }
            }
        }
        ControlFlow::Continue(())
    }
}

impl Walk {
    fn new(wanted: BTreeMap<String, BTreeSet<i64>>) -> Walk {
        Walk {
            heads: Heads::new(),
            wanted,
            first: None,
            current: None,
            chains: BTreeMap::new(),
            rows: 0,
        }
    }

    fn end_chain(&mut self) {
        let Some((check, ok, found)) = self.current.take() else {
            return;
        };
        if ok {
            let (seq, hash) = self.head(&check.chain);
            if let Some(report) = check.end(seq, &hash) {
                self.first.get_or_insert(report);
            }
        }
        self.rows += check.rows;
        self.chains.insert(check.chain, found);
    }

    fn head(&self, chain: &str) -> (i64, String) {
        self.heads
            .get(chain)
            .cloned()
            .unwrap_or_else(|| (0, GENESIS.into()))
    }

    fn finish(mut self) -> AuditWalk {
        self.end_chain();
        // A chain whose rows are all gone while its head remains.
        for (chain, (seq, hash)) in &self.heads {
            if *seq > 0 && !self.chains.contains_key(chain) {
                if let Some(report) = ChainCheck::new(chain).end(*seq, hash) {
                    self.first.get_or_insert(report);
                }
            }
        }
        let report = self.first.unwrap_or(AuditReport::Intact {
            rows: self.rows,
            chains: self.chains.len() as u64,
        });
        let heads = self
            .heads
            .iter()
            .filter(|(_, (seq, _))| *seq > 0)
            .map(|(chain, (seq, hash))| ChainHead {
                chain: chain.clone(),
                rows: *seq,
                head: hash.clone(),
            })
            .collect();
        AuditWalk {
            report,
            heads,
            chains: self.chains,
        }
    }
}
