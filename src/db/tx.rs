//! The write context: every change runs in one [`Tx`], which carries the
//! transaction, who makes the change and when ([`AuditCtx`]), and the work
//! to do only once it commits (announce a live-update topic, wake the
//! outbox). Nothing is announced or woken for a change that rolls back.

use rusqlite::Transaction;
use serde::Serialize;
use std::cell::{Ref, RefCell};

/// Who made a change.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    User { id: String, label: String },
    ApiToken { id: String, label: String },
    System,
}

impl Actor {
    /// `(actor_type, actor_id, actor_label)` as the audit log stores them.
    pub fn parts(&self) -> (&'static str, Option<&str>, &str) {
        match self {
            Actor::User { id, label } => ("user", Some(id), label),
            Actor::ApiToken { id, label } => ("api_token", Some(id), label),
            Actor::System => ("system", None, "system"),
        }
    }
}

/// Where a change comes from: the org it is made in, the actor, the
/// request's IP and user agent, and the time of the change.
#[derive(Debug, Clone)]
pub struct AuditCtx {
    pub org_id: Option<String>,
    pub actor: Actor,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub now: i64,
}

impl AuditCtx {
    /// A change made by the system itself (jobs, CLI).
    pub fn system(org_id: Option<&str>, now: i64) -> AuditCtx {
        AuditCtx {
            org_id: org_id.map(str::to_string),
            actor: Actor::System,
            ip: None,
            user_agent: None,
            now,
        }
    }
}

/// Work that runs once the transaction has committed.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum AfterCommit {
    /// Wake the live views listening to this topic (e.g. `user:<id>`).
    Announce(String),
    /// Ask the outbox worker to look at its queue now.
    WakeOutbox,
}

/// One write transaction with its origin and its after-commit work. It
/// dereferences to the [`Transaction`], so queries read `tx.execute(…)`.
pub struct Tx<'c> {
    tx: Transaction<'c>,
    origin: RefCell<AuditCtx>,
    after: RefCell<Vec<AfterCommit>>,
    /// See [`Tx::changes_no_identity`].
    bookkeeping: std::cell::Cell<bool>,
}

impl<'c> Tx<'c> {
    pub(super) fn new(tx: Transaction<'c>, origin: AuditCtx) -> Tx<'c> {
        Tx {
            tx,
            origin: RefCell::new(origin),
            after: RefCell::new(Vec::new()),
            bookkeeping: std::cell::Cell::new(false),
        }
    }

    /// Commits; returns the after-commit work and whether the change was
    /// only bookkeeping (see [`Tx::changes_no_identity`]).
    pub(super) fn commit(self) -> rusqlite::Result<(Vec<AfterCommit>, bool)> {
        self.tx.commit()?;
        Ok((self.after.into_inner(), self.bookkeeping.get()))
    }

    /// Declares that this change leaves alone everything a signed-in
    /// request's identity is made of (sessions, people, organisations,
    /// roles, memberships, bell counts): the outbox's and the scheduler's
    /// own bookkeeping. Any other committed change makes the in-memory
    /// identities (see [`super::Db::identity_generation`]) be read again.
    pub fn changes_no_identity(&self) {
        self.bookkeeping.set(true);
    }

    /// The time of the change (unix seconds).
    pub fn now(&self) -> i64 {
        self.origin.borrow().now
    }

    /// Who makes the change, from where, in which org.
    pub fn origin(&self) -> Ref<'_, AuditCtx> {
        self.origin.borrow()
    }

    /// From here on, the change is made by `origin` (e.g. the person who
    /// just created their account in this transaction).
    pub fn act_as(&self, origin: AuditCtx) {
        *self.origin.borrow_mut() = origin;
    }

    /// Announces `topic` to [`super::Db::signals`] listeners once this
    /// transaction commits (once, however often it is asked for).
    pub fn announce(&self, topic: impl Into<String>) {
        self.after_commit(AfterCommit::Announce(topic.into()));
    }

    /// Wakes the outbox worker once this transaction commits.
    pub fn wake_outbox(&self) {
        self.after_commit(AfterCommit::WakeOutbox);
    }

    fn after_commit(&self, action: AfterCommit) {
        let mut after = self.after.borrow_mut();
        if !after.contains(&action) {
            after.push(action);
        }
    }
}

impl<'c> std::ops::Deref for Tx<'c> {
    type Target = Transaction<'c>;

    fn deref(&self) -> &Transaction<'c> {
        &self.tx
    }
}
