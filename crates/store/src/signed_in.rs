//! The sessions lately read, so that a request does not read its session, user and roles
//! again from the database each time (one statement a request, a third of a save's on
//! PostgreSQL).
//!
//! An entry is used for at most [`FRESH`], and not at all once this store has changed any
//! account, role or session since it was read: every such write ends with [`Recent::forget`]
//! (`accounts.rs`, `credentials.rs`), which moves the generation on. A change made by another
//! process (a second server, the CLI) is therefore seen within [`FRESH`]; one made through this
//! store, at once. Only sessions found are kept: a token not found is looked up every time.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::accounts::SignedIn;

/// How long a session read is used.
pub(crate) const FRESH: Duration = Duration::from_secs(1);

/// Past this many entries, those no longer fresh are dropped as a new one is kept.
const TIDY_ABOVE: usize = 4096;

#[derive(Debug, Default)]
pub(crate) struct Recent {
    /// Moved on by every change to an account, a role or a session.
    generation: AtomicU64,
    entries: Mutex<HashMap<String, Entry>>,
}

#[derive(Debug)]
struct Entry {
    generation: u64,
    read_at: Instant,
    signed_in: SignedIn,
}

impl Recent {
    /// The generation to read under: a read kept with it is dropped if anything changes
    /// meanwhile.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The session of `token_hash` as lately read, if still good.
    pub(crate) fn get(&self, token_hash: &str) -> Option<SignedIn> {
        let generation = self.generation();
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(token_hash)?;
        (entry.generation == generation && entry.read_at.elapsed() < FRESH)
            .then(|| entry.signed_in.clone())
    }

    /// Keeps a session read under `generation` (see [`Recent::generation`]).
    pub(crate) fn keep(&self, generation: u64, signed_in: &SignedIn) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= TIDY_ABOVE {
            let now = self.generation();
            entries.retain(|_, e| e.generation == now && e.read_at.elapsed() < FRESH);
        }
        entries.insert(
            signed_in.session.token_hash.clone(),
            Entry {
                generation,
                read_at: Instant::now(),
                signed_in: signed_in.clone(),
            },
        );
    }

    /// A session was marked as used at `at`: its entry says so too.
    pub(crate) fn touched(&self, token_hash: &str, at: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = entries.get_mut(token_hash) {
            entry.signed_in.session.last_seen = at.to_string();
        }
    }

    /// An account, a role or a session changed: nothing read before is used again.
    pub(crate) fn forget(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::Session;
    use crate::model::User;

    fn signed_in(token: &str) -> SignedIn {
        SignedIn {
            session: Session {
                token_hash: token.into(),
                user_id: 1,
                csrf_token: "csrf".into(),
                created_at: "2026-12-07T09:00:00Z".into(),
                last_seen: "2026-12-07T09:00:00Z".into(),
            },
            user: User {
                id: 1,
                username: "u".into(),
                full_name: "U".into(),
                password_hash: String::new(),
                active: true,
                failed_logins: 0,
                locked_until: None,
                language: "en".into(),
                created_at: "2026-12-07T09:00:00Z".into(),
            },
            roles: Vec::new(),
        }
    }

    #[test]
    fn a_kept_session_is_used_until_anything_changes() {
        let recent = Recent::default();
        assert!(recent.get("a").is_none());
        recent.keep(recent.generation(), &signed_in("a"));
        assert_eq!(recent.get("a").unwrap().session.token_hash, "a");
        assert!(recent.get("b").is_none());
        recent.touched("a", "2026-12-07T09:05:00Z");
        assert_eq!(
            recent.get("a").unwrap().session.last_seen,
            "2026-12-07T09:05:00Z"
        );
        recent.forget();
        assert!(recent.get("a").is_none());
    }

    #[test]
    fn a_session_read_before_a_change_is_not_used() {
        let recent = Recent::default();
        // Read under one generation, kept after a change: never used.
        let generation = recent.generation();
        recent.forget();
        recent.keep(generation, &signed_in("a"));
        assert!(recent.get("a").is_none());
    }

    #[test]
    fn a_session_is_read_again_once_no_longer_fresh() {
        let recent = Recent::default();
        recent.keep(recent.generation(), &signed_in("a"));
        let mut entries = recent.entries.lock().unwrap();
        entries.get_mut("a").unwrap().read_at -= FRESH;
        drop(entries);
        assert!(recent.get("a").is_none());
    }
}
