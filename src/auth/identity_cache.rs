//! Signed-in identities kept in memory between requests, so a page does not
//! read the session, the person, their organisations and their bell count
//! from the database each time. An entry is good while the database's
//! [`crate::db::Db::identity_generation`] stays the one it was read under
//! (any committed change that is not bookkeeping, or a write by another
//! process, moves it on) and while the session is live by the clock.

use super::User;
use super::guard::Prefetched;
use super::session::{IDLE_SECONDS, SessionRow};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// At most this many sessions are kept; past it the cache starts again empty.
const MAX_ENTRIES: usize = 10_000;

#[derive(Clone)]
struct Entry {
    generation: u64,
    session: SessionRow,
    user: User,
    prefetched: Arc<Prefetched>,
}

/// What a session token (by its hash) was found to be, under a generation.
#[derive(Default)]
pub struct IdentityCache(Mutex<HashMap<String, Entry>>);

impl IdentityCache {
    /// The session, person and prefetched memberships of `token_hash`, if
    /// they were read under `generation` and the session is still live at `now`.
    pub fn get(&self, token_hash: &str, generation: u64, now: i64) -> Option<(SessionRow, User, Arc<Prefetched>)> {
        let entries = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let e = entries.get(token_hash)?;
        let live = e.session.expires_at > now && e.session.last_seen_at > now - IDLE_SECONDS;
        (e.generation == generation && live).then(|| (e.session.clone(), e.user.clone(), e.prefetched.clone()))
    }

    /// Keeps what was read for `token_hash` under `generation` (taken before the read).
    pub fn put(
        &self,
        token_hash: String,
        generation: u64,
        session: SessionRow,
        user: User,
        prefetched: Arc<Prefetched>,
    ) {
        let mut entries = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            token_hash,
            Entry {
                generation,
                session,
                user,
                prefetched,
            },
        );
    }
}
