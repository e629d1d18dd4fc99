//! The instance's own metrics, for its operators: every 10 s the job
//! `monitoring.sample` measures the process (CPU, RSS), the host (CPU,
//! memory, free disk where DATA_DIR lives), the requests since the last
//! sample (rate, error rate, p50/p95/p99 latency per route group), the
//! database (size, WAL), the outbox (waiting, dead), the scheduler (how
//! late the latest due job is), the live streams open, and now and then
//! whether the SMTP server answers and how many days the base URL's TLS
//! certificate has left. Samples are kept raw for a day and rolled
//! up into minutes (30 days) and hours (13 months), so a month of 10 s
//! samples never makes the database large or the page slow.

use crate::db::{Db, Tx};
use crate::error::AppError;
use crate::ops::metrics::Metrics;
use rusqlite::Connection;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// How long monitoring keeps what it measured (the `*_retention_*`
/// settings); seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Raw 10 s samples (a day by default).
    pub raw_s: i64,
    /// Minute rollups (30 days).
    pub minute_s: i64,
    /// Hour rollups (13 months).
    pub hour_s: i64,
    /// Lines of the stored log (14 days).
    pub log_s: i64,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            raw_s: 86_400,
            minute_s: 30 * 86_400,
            hour_s: 396 * 86_400,
            log_s: 14 * 86_400,
        }
    }
}

/// Every metric sampled, in the order the page shows them.
pub const NAMES: &[&str] = &[
    "requests_per_s",
    "error_rate_percent",
    "latency_p50_ms_pages",
    "latency_p95_ms_pages",
    "latency_p99_ms_pages",
    "latency_p50_ms_api",
    "latency_p95_ms_api",
    "latency_p99_ms_api",
    "latency_p95_ms_assets",
    "process_cpu_percent",
    "process_rss_bytes",
    "host_cpu_percent",
    "host_memory_percent",
    "disk_free_percent",
    "db_size_bytes",
    "wal_size_bytes",
    "outbox_pending",
    "outbox_dead",
    "outbox_oldest_pending_s",
    "job_lag_s",
    "sse_connections",
    "smtp_reachable",
    "tls_days_left",
];

/// How often (seconds) the SMTP server is asked whether it answers.
const SMTP_EVERY: i64 = 60;
/// How often (seconds) the base URL's certificate is looked at.
const TLS_EVERY: i64 = 3_600;

/// The latest answers of the slow probes (SMTP, the base URL's TLS
/// certificate), which run on their own task now and then; every sample
/// repeats the latest, so rules over a window see them all along.
#[derive(Default)]
struct Slow {
    /// When each was asked last (the clock's seconds), and its answer.
    smtp: Option<(i64, f64)>,
    tls: Option<(i64, Option<i64>)>,
    running: bool,
}

/// Measures the instance; one per process, kept by the sampling job.
pub struct Sampler {
    metrics: Arc<Metrics>,
    data_dir: PathBuf,
    db_path: PathBuf,
    system: Mutex<Option<sysinfo::System>>,
    last_at: Mutex<Option<std::time::Instant>>,
    base_url: Option<reqwest::Url>,
    mailer: Option<Arc<crate::mail::Mailer>>,
    slow: Arc<Mutex<Slow>>,
}

fn percentile(sorted: &[f32], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(f64::from(sorted[rank - 1]))
}

impl Sampler {
    pub fn new(metrics: Arc<Metrics>, data_dir: PathBuf, db_path: PathBuf) -> Sampler {
        Sampler {
            metrics,
            data_dir,
            db_path,
            system: Mutex::new(sysinfo::System::new().ok()),
            last_at: Mutex::new(None),
            base_url: None,
            mailer: None,
            slow: Arc::default(),
        }
    }

    /// Also watches the SMTP server of `mailer` (when mail goes by SMTP)
    /// and the certificate of `base_url` (when it is https).
    pub fn watching(mut self, base_url: reqwest::Url, mailer: Option<Arc<crate::mail::Mailer>>) -> Sampler {
        self.base_url = Some(base_url).filter(|u| u.scheme() == "https");
        self.mailer = mailer;
        self
    }

    /// The latest answers of the slow probes; starts them again, off this
    /// task, when they are due.
    fn slow_values(&self, now: i64) -> Vec<(&'static str, f64)> {
        let mut slow = self.slow.lock().unwrap_or_else(|p| p.into_inner());
        let stale = |at: Option<i64>, every| at.is_none_or(|at| now - at >= every);
        let smtp_due = self.mailer.is_some() && stale(slow.smtp.map(|s| s.0), SMTP_EVERY);
        let tls_due = self.base_url.is_some() && stale(slow.tls.map(|t| t.0), TLS_EVERY);
        if (smtp_due || tls_due) && !slow.running {
            slow.running = true;
            let (shared, mailer, base) = (self.slow.clone(), self.mailer.clone(), self.base_url.clone());
            tokio::spawn(async move {
                let smtp = match mailer.filter(|_| smtp_due) {
                    Some(m) => tokio::time::timeout(std::time::Duration::from_secs(15), m.reachable())
                        .await
                        .unwrap_or(Some(false)),
                    None => None,
                };
                let tls = match base.filter(|_| tls_due) {
                    Some(url) => Some(super::probe::expiry_at(&url).await),
                    None => None,
                };
                let mut slow = shared.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(ok) = smtp {
                    slow.smtp = Some((now, if ok { 1.0 } else { 0.0 }));
                }
                if let Some(expires) = tls {
                    slow.tls = Some((now, expires));
                }
                slow.running = false;
            });
        }
        let mut out = vec![];
        if let Some((_, v)) = slow.smtp {
            out.push(("smtp_reachable", v));
        }
        if let Some((_, Some(expires))) = slow.tls {
            out.push(("tls_days_left", ((expires - now) as f64 / 86_400.0).floor()));
        }
        out
    }

    /// What the process and the host look like now (no database).
    fn machine(&self) -> Vec<(&'static str, f64)> {
        let mut out = vec![];
        let mut guard = self.system.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(system) = guard.as_mut() {
            system.refresh_cpu_usage();
            system.refresh_memory();
            out.push(("host_cpu_percent", f64::from(system.global_cpu_usage())));
            if system.total_memory() > 0 {
                out.push((
                    "host_memory_percent",
                    system.used_memory() as f64 * 100.0 / system.total_memory() as f64,
                ));
            }
            if let Ok(pid) = sysinfo::get_current_pid() {
                system.refresh_processes(sysinfo::ProcessesToUpdate::Some(&[pid]), false);
                if let Some(me) = system.process(pid) {
                    out.push(("process_cpu_percent", f64::from(me.cpu_usage())));
                    out.push(("process_rss_bytes", me.memory() as f64));
                }
            }
        }
        drop(guard);
        if let Ok(disks) = sysinfo::Disks::new_with_refreshed_list() {
            let dir = std::fs::canonicalize(&self.data_dir).unwrap_or_else(|_| self.data_dir.clone());
            // The disk whose mount point is the longest prefix of DATA_DIR.
            let disk = disks
                .iter()
                .filter(|d| dir.starts_with(d.mount_point()))
                .max_by_key(|d| d.mount_point().as_os_str().len());
            if let Some(d) = disk.filter(|d| d.total_space() > 0) {
                out.push((
                    "disk_free_percent",
                    d.available_space() as f64 * 100.0 / d.total_space() as f64,
                ));
            }
        }
        let size = |p: &PathBuf| std::fs::metadata(p).map(|m| m.len() as f64).unwrap_or(0.0);
        out.push(("db_size_bytes", size(&self.db_path)));
        let mut wal = self.db_path.clone().into_os_string();
        wal.push("-wal");
        out.push(("wal_size_bytes", size(&PathBuf::from(wal))));
        out
    }

    /// The requests since the last sample.
    fn traffic(&self) -> Vec<(&'static str, f64)> {
        let window = self.metrics.take_window();
        let now = std::time::Instant::now();
        let elapsed = self
            .last_at
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .replace(now)
            .map_or(10.0, |last| now.duration_since(last).as_secs_f64().max(0.001));
        let mut out = vec![("requests_per_s", window.requests as f64 / elapsed)];
        if window.requests > 0 {
            out.push((
                "error_rate_percent",
                window.errors as f64 * 100.0 / window.requests as f64,
            ));
        }
        for (group, mut durations) in window.durations {
            durations.sort_by(f32::total_cmp);
            for (p, name) in [(0.5, "p50"), (0.95, "p95"), (0.99, "p99")] {
                let key = format!("latency_{name}_ms_{group}");
                if let (Some(&known), Some(v)) = (NAMES.iter().find(|n| **n == key), percentile(&durations, p)) {
                    out.push((known, v));
                }
            }
        }
        out
    }

    /// Takes one sample and stores it with its rollups; returns how many values.
    pub async fn sample(&self, db: &Db) -> Result<usize, AppError> {
        let mut values = self.traffic();
        values.extend(self.machine());
        values.extend(self.slow_values(db.now()));
        values.push(("sse_connections", self.metrics.open_streams() as f64));
        db.write(move |tx| {
            tx.changes_no_identity();
            let now = tx.now();
            let (pending, dead): (i64, i64) = tx.query_row(
                "SELECT count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'dead') FROM outbox",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let oldest: i64 = tx.query_row(
                "SELECT coalesce(?1 - min(created_at), 0) FROM outbox WHERE status = 'pending'",
                [now],
                |r| r.get(0),
            )?;
            let lag: i64 = tx.query_row(
                "SELECT coalesce(max(?1 - next_run_at), 0) FROM jobs WHERE next_run_at <= ?1",
                [now],
                |r| r.get(0),
            )?;
            values.push(("outbox_pending", pending as f64));
            values.push(("outbox_dead", dead as f64));
            values.push(("outbox_oldest_pending_s", oldest.max(0) as f64));
            values.push(("job_lag_s", lag.max(0) as f64));
            store(tx, now, &values)?;
            tx.announce(super::live::INSTANCE_TOPIC);
            Ok(values.len())
        })
        .await
    }
}

fn store(tx: &Tx, now: i64, values: &[(&str, f64)]) -> Result<(), AppError> {
    let mut raw = tx.prepare_cached("INSERT INTO monitoring_samples (at, name, value) VALUES (?1, ?2, ?3)")?;
    let mut rollup = tx.prepare_cached(
        "INSERT INTO monitoring_rollups (resolution, bucket, name, count, sum, min, max) VALUES (?1, ?2, ?3, 1, ?4, ?4, ?4)
         ON CONFLICT (resolution, bucket, name) DO UPDATE SET count = count + 1, sum = sum + excluded.sum,
           min = min(min, excluded.min), max = max(max, excluded.max)",
    )?;
    for (name, value) in values {
        raw.execute(rusqlite::params![now, name, value])?;
        rollup.execute(rusqlite::params![60, now - now % 60, name, value])?;
        rollup.execute(rusqlite::params![3_600, now - now % 3_600, name, value])?;
    }
    Ok(())
}

/// Forgets what each resolution no longer keeps.
pub fn purge(tx: &Tx, now: i64, keep: &Retention) -> Result<usize, AppError> {
    let mut removed = tx.execute("DELETE FROM monitoring_samples WHERE at < ?1", [now - keep.raw_s])?;
    removed += tx.execute(
        "DELETE FROM monitoring_rollups WHERE (resolution = 60 AND bucket < ?1) OR (resolution = 3600 AND bucket < ?2)",
        [now - keep.minute_s, now - keep.hour_s],
    )?;
    Ok(removed)
}

/// The resolution that draws `[from, to)` in a few hundred points at most,
/// among those still kept for that range: 10 s (raw), 60 s or 3600 s.
pub fn resolution(from: i64, to: i64, now: i64, step: Option<i64>, keep: &Retention) -> i64 {
    let wanted = step.unwrap_or((to - from) / 300);
    if wanted < 60 && from >= now - keep.raw_s {
        10
    } else if wanted < 3_600 && from >= now - keep.minute_s {
        60
    } else {
        3_600
    }
}

/// One point of a series: the bucket's start and its mean (min and max beside).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Point {
    pub at: i64,
    pub avg: f64,
    pub min: f64,
    pub max: f64,
}

/// The series of `name` over `[from, to)` at `resolution` seconds.
pub fn series(conn: &Connection, name: &str, from: i64, to: i64, resolution: i64) -> Result<Vec<Point>, AppError> {
    let mut stmt = if resolution == 10 {
        conn.prepare_cached(
            "SELECT at, value, value, value FROM monitoring_samples WHERE name = ?1 AND at >= ?2 AND at < ?3 ORDER BY at",
        )?
    } else {
        conn.prepare_cached(&format!(
            "SELECT bucket, sum / count, min, max FROM monitoring_rollups
             WHERE resolution = {resolution} AND name = ?1 AND bucket >= ?2 AND bucket < ?3 ORDER BY bucket"
        ))?
    };
    let rows = stmt.query_map(rusqlite::params![name, from, to], |r| {
        Ok(Point {
            at: r.get(0)?,
            avg: r.get(1)?,
            min: r.get(2)?,
            max: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn percentiles_and_resolutions() {
        let sorted = [1.0, 2.0, 3.0, 4.0, 100.0];
        assert_eq!(super::percentile(&sorted, 0.5), Some(3.0));
        assert_eq!(super::percentile(&sorted, 0.99), Some(100.0));
        assert_eq!(super::percentile(&[], 0.5), None);
        let now = 10_000_000;
        let keep = super::Retention::default();
        assert_eq!(
            super::resolution(now - 3_600, now, now, None, &keep),
            10,
            "an hour: raw samples"
        );
        assert_eq!(
            super::resolution(now - 86_400, now, now, None, &keep),
            60,
            "a day: minutes"
        );
        assert_eq!(
            super::resolution(now - 30 * 86_400, now, now, None, &keep),
            3_600,
            "a month: hours"
        );
        assert_eq!(
            super::resolution(now - 40 * 86_400, now - 39 * 86_400, now, None, &keep),
            3_600,
            "minutes are gone by then"
        );
    }
}
