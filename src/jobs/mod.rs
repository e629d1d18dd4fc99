//! Background work: the [`Scheduler`] of named cron jobs (one row each in
//! `jobs`, with `next_run_at` and a lease so a run happens once even across
//! restarts) and the [`outbox`] worker. Time comes from the injectable clock.

pub mod builtin;
pub mod outbox;
pub mod schedule_words;

use crate::db::Db;
use crate::db::time::SharedClock;
use crate::error::AppError;
use crate::ops::metrics::Metrics;
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Proof of life of a background loop, read by `/readyz`.
pub struct Heartbeat {
    origin: Instant,
    last_ms: AtomicU64,
}

impl Default for Heartbeat {
    fn default() -> Self {
        Heartbeat {
            origin: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }
}

impl Heartbeat {
    pub fn beat(&self) {
        self.last_ms
            .store(self.origin.elapsed().as_millis() as u64 + 1, Ordering::Relaxed);
    }
    /// Time since the last beat; `None` if it never beat.
    pub fn age(&self) -> Option<Duration> {
        match self.last_ms.load(Ordering::Relaxed) {
            0 => None,
            ms => Some(self.origin.elapsed().saturating_sub(Duration::from_millis(ms - 1))),
        }
    }
    /// Beat within the last `within`.
    pub fn alive(&self, within: Duration) -> bool {
        self.age().is_some_and(|a| a <= within)
    }
}

/// What a job gets to do its work.
#[derive(Clone)]
pub struct JobContext {
    pub db: Db,
    pub clock: SharedClock,
}

pub type JobFuture = Pin<Box<dyn Future<Output = Result<String, AppError>> + Send>>;

/// A named job and its six-field cron expression (seconds first).
#[derive(Clone)]
pub struct JobDef {
    pub name: &'static str,
    pub cron: &'static str,
    pub run: Arc<dyn Fn(JobContext) -> JobFuture + Send + Sync>,
}

impl JobDef {
    pub fn new<F, Fut>(name: &'static str, cron: &'static str, f: F) -> JobDef
    where
        F: Fn(JobContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, AppError>> + Send + 'static,
    {
        JobDef {
            name,
            cron,
            run: Arc::new(move |ctx| Box::pin(f(ctx))),
        }
    }
}

/// The outcome of one run.
#[derive(Debug, Clone, Serialize)]
pub struct JobRun {
    pub name: String,
    pub ok: bool,
    pub duration_ms: i64,
    pub message: String,
}

/// A job as stored, for the jobs list.
#[derive(Debug, Clone, Serialize)]
pub struct JobRow {
    pub name: String,
    pub cron: String,
    pub next_run_at: i64,
    pub last_run_at: Option<i64>,
    pub last_outcome: Option<String>,
    pub last_duration_ms: Option<i64>,
    pub last_message: Option<String>,
    pub runs: i64,
    pub running: bool,
}

/// How long a claimed run may take before another node may take it over.
const LEASE_SECONDS: i64 = 15 * 60;

pub struct Scheduler {
    db: Db,
    clock: SharedClock,
    metrics: Arc<Metrics>,
    jobs: Vec<(JobDef, cron::Schedule)>,
    node: String,
    pub heartbeat: Heartbeat,
}

fn next_after(schedule: &cron::Schedule, now: i64) -> i64 {
    let at = chrono::DateTime::from_timestamp(now, 0).unwrap_or_default();
    schedule.after(&at).next().map(|t| t.timestamp()).unwrap_or(i64::MAX)
}

impl Scheduler {
    /// Registers `jobs`, creating or updating their rows (blocking).
    pub fn new(db: Db, clock: SharedClock, metrics: Arc<Metrics>, jobs: Vec<JobDef>) -> Result<Scheduler, AppError> {
        let mut parsed = vec![];
        for job in jobs {
            let schedule = cron::Schedule::from_str(job.cron)
                .map_err(|e| AppError::internal(format!("job {}: bad cron {:?}: {e}", job.name, job.cron)))?;
            parsed.push((job, schedule));
        }
        let now = clock.now();
        let rows: Vec<(String, String, i64)> = parsed
            .iter()
            .map(|(j, s)| (j.name.to_string(), j.cron.to_string(), next_after(s, now)))
            .collect();
        db.write_blocking(move |tx| {
            for (name, cron, next) in rows {
                tx.execute(
                    "INSERT INTO jobs (name, cron, next_run_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (name) DO UPDATE SET cron = excluded.cron,
                       next_run_at = CASE WHEN jobs.cron <> excluded.cron THEN excluded.next_run_at ELSE jobs.next_run_at END",
                    (name, cron, next),
                )?;
            }
            Ok(())
        })?;
        let node = format!("{}-{}", std::process::id(), ulid::Ulid::generate());
        Ok(Scheduler {
            db,
            clock,
            metrics,
            jobs: parsed,
            node,
            heartbeat: Heartbeat::default(),
        })
    }

    /// Claims and runs, one after the other, every job that is due now.
    pub async fn run_due(&self) -> Vec<JobRun> {
        let mut runs = vec![];
        for (job, schedule) in &self.jobs {
            let now = self.clock.now();
            let (name, node) = (job.name, self.node.clone());
            let claimed = self
                .db
                .write(move |tx| {
                    tx.changes_no_identity();
                    Ok(tx.execute(
                        "UPDATE jobs SET locked_by = ?1, lease_until = ?2
                         WHERE name = ?3 AND next_run_at <= ?4 AND (lease_until IS NULL OR lease_until < ?4)",
                        (node, now + LEASE_SECONDS, name, now),
                    )? == 1)
                })
                .await;
            match claimed {
                Ok(true) => runs.push(self.run_claimed(job, schedule).await),
                Ok(false) => {}
                Err(e) => tracing::error!(job = job.name, error = %e, "cannot claim job"),
            }
        }
        runs
    }

    async fn run_claimed(&self, job: &JobDef, schedule: &cron::Schedule) -> JobRun {
        let started = Instant::now();
        let ctx = JobContext {
            db: self.db.clone(),
            clock: self.clock.clone(),
        };
        let result = (job.run)(ctx).await;
        let duration_ms = started.elapsed().as_millis() as i64;
        let (ok, message) = match result {
            Ok(m) => (true, m),
            Err(e) => (false, e.to_string()),
        };
        let now = self.clock.now();
        let next = next_after(schedule, now);
        let (name, node, msg) = (job.name, self.node.clone(), message.clone());
        let outcome = if ok { "ok" } else { "failed" };
        let saved = self
            .db
            .write(move |tx| {
                tx.changes_no_identity();
                tx.execute(
                    "UPDATE jobs SET locked_by = NULL, lease_until = NULL, next_run_at = ?1, last_run_at = ?2,
                       last_outcome = ?3, last_duration_ms = ?4, last_message = ?5, runs = runs + 1
                     WHERE name = ?6 AND locked_by = ?7",
                    (next, now, outcome, duration_ms, msg, name, node),
                )?;
                Ok(())
            })
            .await;
        if let Err(e) = saved {
            tracing::error!(job = job.name, error = %e, "cannot record job run");
        }
        self.metrics.observe_job(job.name, outcome);
        if ok {
            tracing::info!(job = job.name, duration_ms, %message, "job ran");
        } else {
            tracing::error!(job = job.name, duration_ms, %message, "job failed");
        }
        JobRun {
            name: job.name.to_string(),
            ok,
            duration_ms,
            message,
        }
    }

    /// Runs due jobs every second until shutdown; a job already running is
    /// let finish.
    pub async fn run(self: Arc<Self>, mut shutdown: rocket::Shutdown) {
        loop {
            self.heartbeat.beat();
            self.run_due().await;
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
        tracing::info!("scheduler stopped");
    }
}

/// Every job with its last run, for operators.
pub fn list(conn: &rusqlite::Connection, now: i64) -> Result<Vec<JobRow>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, cron, next_run_at, last_run_at, last_outcome, last_duration_ms, last_message, runs, lease_until
         FROM jobs ORDER BY name",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(JobRow {
            name: r.get(0)?,
            cron: r.get(1)?,
            next_run_at: r.get(2)?,
            last_run_at: r.get(3)?,
            last_outcome: r.get(4)?,
            last_duration_ms: r.get(5)?,
            last_message: r.get(6)?,
            runs: r.get(7)?,
            running: r.get::<_, Option<i64>>(8)?.is_some_and(|until| until >= now),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
