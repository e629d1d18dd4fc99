//! The outbox: everything that leaves the process (mail now; webhooks and
//! push later) is a row written in the same transaction as the change that
//! caused it. The worker delivers due rows through the [`Deliver`]er of their
//! kind, retries with exponential backoff (capped at an hour) for the
//! outbox's lifetime (`outbox_retry_hours`, 3 days by default, as mail
//! servers do), then marks a row `dead`; dead rows can be replayed.

use super::Heartbeat;
use crate::db::ids::new_id;
use crate::db::time::SharedClock;
use crate::db::{Db, Tx};
use crate::error::AppError;
use crate::ops::metrics::Metrics;
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// How long a row is retried by default (3 days).
pub const DEFAULT_LIFETIME: i64 = 72 * 3_600;
/// How long a worker holds a row it is delivering.
const CLAIM_SECONDS: i64 = 120;
const BATCH: i64 = 20;

/// Seconds to wait after the `attempts`-th failure: 5 s, 10 s, 20 s, … capped at 1 h.
pub fn backoff(attempts: i64) -> i64 {
    let exp = attempts.clamp(1, 20) - 1;
    (5i64 << exp).min(3_600)
}

/// Why a delivery did not go out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Worth another try later (the server is down, busy, …).
    Retry(String),
    /// Trying again cannot help (the address is gone, the payload is bad):
    /// the row is dead at once.
    Permanent(String),
}

impl Failure {
    pub fn message(&self) -> &str {
        match self {
            Failure::Retry(m) | Failure::Permanent(m) => m,
        }
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure::Retry(message)
    }
}

/// Delivers the payload of one kind of outbox row.
#[rocket::async_trait]
pub trait Deliver: Send + Sync {
    /// `id` is the outbox row's id (stable across retries).
    async fn deliver(&self, id: &str, payload: &str) -> Result<(), Failure>;
}

/// Writes a row to the outbox inside the caller's transaction.
/// The worker is woken once the transaction commits.
pub fn enqueue(tx: &Tx, org_id: Option<&str>, kind: &str, payload: &impl Serialize) -> Result<String, AppError> {
    let id = new_id("obx");
    let payload = serde_json::to_string(payload).map_err(|e| AppError::internal(e.to_string()))?;
    tx.execute(
        "INSERT INTO outbox (id, org_id, kind, payload, next_attempt_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        (&id, org_id, kind, payload, tx.now()),
    )?;
    tx.wake_outbox();
    Ok(id)
}

/// An outbox row, for operators.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxRow {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

const COLUMNS: &str = "id, kind, status, attempts, next_attempt_at, last_error, created_at, sent_at";

fn outbox_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.get(0)?,
        kind: r.get(1)?,
        status: r.get(2)?,
        attempts: r.get(3)?,
        next_attempt_at: r.get(4)?,
        last_error: r.get(5)?,
        created_at: r.get(6)?,
        sent_at: r.get(7)?,
    })
}

/// Rows with `status` (all when `None`), newest first.
pub fn list(conn: &Connection, status: Option<&str>, limit: i64) -> Result<Vec<OutboxRow>, AppError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM outbox WHERE ?1 IS NULL OR status = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2"
    ))?;
    let rows = stmt.query_map((status, limit), outbox_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Puts a dead row back in the queue; false if there is no such dead row.
/// The worker is woken once the transaction commits.
pub fn replay(tx: &Tx, id: &str) -> Result<bool, AppError> {
    let replayed = tx.execute(
        "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?2, retry_since = ?2, locked_until = NULL
         WHERE id = ?1 AND status = 'dead'",
        (id, tx.now()),
    )? == 1;
    if replayed {
        tx.wake_outbox();
    }
    Ok(replayed)
}

/// Number of rows waiting to go out.
pub fn pending_count(conn: &Connection) -> Result<i64, AppError> {
    Ok(conn.query_row("SELECT count(*) FROM outbox WHERE status = 'pending'", [], |r| r.get(0))?)
}

struct Claimed {
    id: String,
    kind: String,
    payload: String,
    attempts: i64,
    retry_since: i64,
}

/// The delivery worker.
pub struct Outbox {
    db: Db,
    clock: SharedClock,
    metrics: Arc<Metrics>,
    deliverers: HashMap<&'static str, Arc<dyn Deliver>>,
    wake: Arc<Notify>,
    /// Seconds a row is retried before it is dead.
    lifetime: i64,
    pub heartbeat: Heartbeat,
}

impl Outbox {
    pub fn new(db: Db, clock: SharedClock, metrics: Arc<Metrics>) -> Outbox {
        Outbox {
            wake: db.outbox_signal(),
            db,
            clock,
            metrics,
            deliverers: HashMap::new(),
            lifetime: DEFAULT_LIFETIME,
            heartbeat: Heartbeat::default(),
        }
    }

    /// Retries a row for `seconds` (from its creation or replay) before it is dead.
    pub fn retrying_for(mut self, seconds: i64) -> Outbox {
        self.lifetime = seconds;
        self
    }

    /// Asks the worker to look at the queue now (after the clock moved, say);
    /// a committed [`enqueue`] or [`replay`] wakes it by itself.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Registers the deliverer of one kind of row (`mail`, …).
    pub fn with(mut self, kind: &'static str, deliverer: Arc<dyn Deliver>) -> Outbox {
        self.deliverers.insert(kind, deliverer);
        self
    }

    /// Delivers every row due now; returns how many were sent.
    pub async fn deliver_due(&self) -> Result<usize, AppError> {
        let now = self.clock.now();
        let claimed = self
            .db
            .write(move |tx| {
                tx.changes_no_identity();
                let mut stmt = tx.prepare_cached(
                    "UPDATE outbox SET locked_until = ?1 WHERE id IN (
                       SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?2
                         AND (locked_until IS NULL OR locked_until < ?2)
                       ORDER BY next_attempt_at LIMIT ?3)
                     RETURNING id, kind, payload, attempts, coalesce(retry_since, created_at)",
                )?;
                let rows = stmt.query_map((now + CLAIM_SECONDS, now, BATCH), |r| {
                    Ok(Claimed {
                        id: r.get(0)?,
                        kind: r.get(1)?,
                        payload: r.get(2)?,
                        attempts: r.get(3)?,
                        retry_since: r.get(4)?,
                    })
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await?;
        let mut sent = 0;
        for row in claimed {
            let started = Instant::now();
            let result = match self.deliverers.get(row.kind.as_str()) {
                Some(d) => d.deliver(&row.id, &row.payload).await,
                None => Err(Failure::Retry(format!("no deliverer for kind {:?}", row.kind))),
            };
            let ms = started.elapsed().as_millis() as i64;
            let now = self.clock.now();
            let attempts = row.attempts + 1;
            let outcome = match &result {
                Ok(()) => "sent",
                Err(Failure::Permanent(_)) => "dead",
                Err(_) if now - row.retry_since >= self.lifetime => "dead",
                Err(_) => "retry",
            };
            let error = result.as_ref().err().map(|f| f.message().to_string());
            let id = row.id.clone();
            self.db
                .write(move |tx| {
                    tx.changes_no_identity();
                    match outcome {
                        "sent" => tx.execute(
                            "UPDATE outbox SET status = 'sent', attempts = ?2, sent_at = ?3, locked_until = NULL, last_error = NULL WHERE id = ?1",
                            (&id, attempts, now),
                        )?,
                        "dead" => tx.execute(
                            "UPDATE outbox SET status = 'dead', attempts = ?2, last_error = ?3, locked_until = NULL WHERE id = ?1",
                            (&id, attempts, &error),
                        )?,
                        _ => tx.execute(
                            "UPDATE outbox SET attempts = ?2, last_error = ?3, next_attempt_at = ?4, locked_until = NULL WHERE id = ?1",
                            (&id, attempts, &error, now + backoff(attempts)),
                        )?,
                    };
                    tx.execute(
                        "INSERT INTO outbox_attempts (outbox_id, attempted_at, outcome, error, duration_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                        (&id, now, if outcome == "sent" { "sent" } else { "failed" }, &error, ms),
                    )?;
                    Ok(())
                })
                .await?;
            self.metrics.observe_delivery(&row.kind, outcome);
            match (outcome, &result) {
                ("sent", _) => {
                    sent += 1;
                    tracing::info!(id = %row.id, kind = %row.kind, attempts, "outbox row delivered");
                }
                (_, Err(e)) => {
                    tracing::warn!(id = %row.id, kind = %row.kind, attempts, outcome, error = %e.message(), "outbox delivery failed")
                }
                _ => {}
            }
        }
        Ok(sent)
    }

    /// Delivers due rows every second (or when woken) until shutdown; a
    /// batch in progress is finished first.
    pub async fn run(self: Arc<Self>, mut shutdown: rocket::Shutdown) {
        loop {
            self.heartbeat.beat();
            if let Err(e) = self.deliver_due().await {
                tracing::error!(error = %e, "outbox pass failed");
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
        tracing::info!("outbox worker stopped");
    }
}

/// The attempts made for one row, oldest first: (at, outcome, error).
pub fn attempts(conn: &Connection, id: &str) -> Result<Vec<(i64, String, Option<String>)>, AppError> {
    let mut stmt = conn
        .prepare_cached("SELECT attempted_at, outcome, error FROM outbox_attempts WHERE outbox_id = ?1 ORDER BY id")?;
    let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The row with `id`, if any.
pub fn get(conn: &Connection, id: &str) -> Result<Option<OutboxRow>, AppError> {
    Ok(conn
        .query_row(&format!("SELECT {COLUMNS} FROM outbox WHERE id = ?1"), [id], outbox_row)
        .optional()?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_starts_within_ten_seconds_and_is_capped() {
        assert!(super::backoff(1) <= 10);
        assert_eq!(super::backoff(2), 10);
        assert_eq!(super::backoff(11), 3_600);
        assert_eq!(super::backoff(50), 3_600);
    }
}
