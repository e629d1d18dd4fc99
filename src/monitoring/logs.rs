//! The structured log kept in SQLite: one line per request (time, request
//! id, method, route, path, status, duration, who and which org, IP) and
//! the application's errors, linked to their request by its id. Written off
//! the request path: the request only offers its line to a bounded channel
//! (dropped and counted when full, never waiting), and a writer task stores
//! what came in batches, one transaction each. The application's own
//! warnings and errors (`tracing` events of Luneo's modules) reach it
//! through the [`Forward`] layer of the process's log subscriber. Kept
//! `log_retention_days` (14 by default).

use crate::db::Db;
use crate::error::AppError;
use rusqlite::Connection;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;

/// Lines waiting to be written, at most (then they are dropped and counted).
pub const CHANNEL: usize = 10_000;
/// Lines written per transaction, at most.
const BATCH: usize = 500;

/// One line of the log.
#[derive(Debug, Clone, Default)]
pub struct LogLine {
    pub at: i64,
    /// `info`, `warn` or `error`.
    pub level: &'static str,
    /// `request` or `app`.
    pub kind: &'static str,
    pub request_id: String,
    pub method: Option<String>,
    pub route: Option<String>,
    pub path: Option<String>,
    pub status: Option<i64>,
    pub duration_ms: Option<f64>,
    pub user_id: Option<String>,
    pub org_id: Option<String>,
    pub ip: Option<String>,
    pub message: String,
}

/// Where requests offer their lines (Rocket state).
pub struct LogSink {
    sender: mpsc::Sender<LogLine>,
    receiver: Mutex<Option<mpsc::Receiver<LogLine>>>,
    dropped: AtomicU64,
}

impl Default for LogSink {
    fn default() -> Self {
        let (sender, receiver) = mpsc::channel(CHANNEL);
        LogSink {
            sender,
            receiver: Mutex::new(Some(receiver)),
            dropped: AtomicU64::new(0),
        }
    }
}

impl LogSink {
    /// Offers a line; never waits (a full channel drops it and counts it).
    pub fn offer(&self, line: LogLine) {
        if self.sender.try_send(line).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Lines dropped since start because the writer was behind.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Writes what is waiting now, in batches (tests, and at shutdown).
    pub async fn flush(&self, db: &Db) -> Result<usize, AppError> {
        let mut lines = vec![];
        if let Some(receiver) = self.receiver.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            while let Ok(line) = receiver.try_recv() {
                lines.push(line);
            }
        }
        let n = lines.len();
        for chunk in lines.chunks(BATCH) {
            write(db, chunk.to_vec()).await?;
        }
        Ok(n)
    }

    /// The writer task: stores lines as they come, a batch at a time, until
    /// shutdown (then what is left). Started once; a second call returns at once.
    pub async fn run(&self, db: Db, mut shutdown: rocket::Shutdown) {
        let Some(mut receiver) = self.receiver.lock().unwrap_or_else(|p| p.into_inner()).take() else {
            return;
        };
        loop {
            let mut batch = Vec::with_capacity(BATCH);
            tokio::select! {
                n = receiver.recv_many(&mut batch, BATCH) => if n == 0 { break },
                _ = &mut shutdown => break,
            }
            if let Err(e) = write(&db, batch).await {
                tracing::warn!(error = %e, "cannot write log lines");
            }
        }
        let mut rest = vec![];
        while let Ok(line) = receiver.try_recv() {
            rest.push(line);
        }
        let _ = write(&db, rest).await;
    }
}

/// A layer of the log subscriber that offers Luneo's own warnings and
/// errors to the stored log (as `app` lines; a `request_id` field links
/// one to its request). Rocket's lines stay in the process log only, and
/// so do this module's (a failing writer must not feed itself) and the
/// failed requests, which `AppError` offers with their request already.
pub struct Forward(pub std::sync::Arc<LogSink>);

/// The message and the other fields of an event, as one line.
#[derive(Default)]
struct Fields {
    message: String,
    request_id: String,
    rest: Vec<String>,
}

impl tracing::field::Visit for Fields {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        match field.name() {
            "message" => self.message = value.to_string(),
            "request_id" => self.request_id = value.to_string(),
            name => self.rest.push(format!("{name}={value}")),
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "message" => self.message = format!("{value:?}"),
            "request_id" => self.request_id = format!("{value:?}"),
            name => self.rest.push(format!("{name}={value:?}")),
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Forward {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let meta = event.metadata();
        let target = meta.target();
        if *meta.level() > tracing::Level::WARN
            || !(target == "luneo" || target.starts_with("luneo::"))
            || target.starts_with(module_path!())
            || target == "luneo::web::error"
        {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        let mut message = fields.message;
        for extra in fields.rest {
            message.push(' ');
            message.push_str(&extra);
        }
        let at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        self.0.offer(LogLine {
            at,
            level: if *meta.level() == tracing::Level::ERROR {
                "error"
            } else {
                "warn"
            },
            kind: "app",
            request_id: fields.request_id,
            route: Some(target.to_string()),
            message,
            ..Default::default()
        });
    }
}

async fn write(db: &Db, lines: Vec<LogLine>) -> Result<(), AppError> {
    if lines.is_empty() {
        return Ok(());
    }
    db.write(move |tx| {
        tx.changes_no_identity();
        let mut stmt = tx.prepare_cached(
            "INSERT INTO monitoring_logs (at, level, kind, request_id, method, route, path, status, duration_ms, user_id,
               org_id, ip, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        for l in &lines {
            stmt.execute(rusqlite::params![
                l.at, l.level, l.kind, l.request_id, l.method, l.route, l.path, l.status, l.duration_ms, l.user_id,
                l.org_id, l.ip, l.message
            ])?;
        }
        Ok(())
    })
    .await
}

/// What the log is searched by; all optional.
#[derive(Debug, Default, Clone)]
pub struct LogFilter {
    /// Text in the path, the message or the request id.
    pub q: Option<String>,
    pub level: Option<String>,
    pub status: Option<i64>,
    pub route: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// The slowest first, instead of the newest.
    pub slowest: bool,
}

/// A stored line.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoredLine {
    pub id: i64,
    pub at: i64,
    pub level: String,
    pub kind: String,
    pub request_id: String,
    pub method: Option<String>,
    pub route: Option<String>,
    pub path: Option<String>,
    pub status: Option<i64>,
    pub duration_ms: Option<f64>,
    pub user_id: Option<String>,
    pub org_id: Option<String>,
    pub ip: Option<String>,
    pub message: String,
}

/// The lines matching `f`, newest (or slowest) first, at most `limit`.
pub fn search(conn: &Connection, f: &LogFilter, limit: i64) -> Result<Vec<StoredLine>, AppError> {
    let like = f.q.as_ref().map(|q| crate::db::like_anywhere(q));
    let order = if f.slowest { "duration_ms DESC" } else { "id DESC" };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id, at, level, kind, request_id, method, route, path, status, duration_ms, user_id, org_id, ip, message
         FROM monitoring_logs
         WHERE (?1 IS NULL OR path LIKE ?1 ESCAPE '\\' OR message LIKE ?1 ESCAPE '\\' OR request_id = ?2)
           AND (?3 IS NULL OR level = ?3) AND (?4 IS NULL OR status = ?4) AND (?5 IS NULL OR route = ?5)
           AND (?6 IS NULL OR at >= ?6) AND (?7 IS NULL OR at < ?7) AND (?8 = 0 OR duration_ms IS NOT NULL)
         ORDER BY {order} LIMIT ?9"
    ))?;
    let rows = stmt.query_map(
        rusqlite::params![like, f.q, f.level, f.status, f.route, f.from, f.to, f.slowest, limit],
        |r| {
            Ok(StoredLine {
                id: r.get(0)?,
                at: r.get(1)?,
                level: r.get(2)?,
                kind: r.get(3)?,
                request_id: r.get(4)?,
                method: r.get(5)?,
                route: r.get(6)?,
                path: r.get(7)?,
                status: r.get(8)?,
                duration_ms: r.get(9)?,
                user_id: r.get(10)?,
                org_id: r.get(11)?,
                ip: r.get(12)?,
                message: r.get(13)?,
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::{Forward, LogSink};
    use std::sync::Arc;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn luneos_warnings_and_errors_reach_the_stored_log_and_nothing_else_does() {
        let sink = Arc::new(LogSink::default());
        let subscriber = tracing_subscriber::registry().with(Forward(sink.clone()));
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(target: "luneo::jobs::outbox", kind = "mail", "delivery failed, will retry");
            tracing::error!(target: "luneo::monitoring::probe", request_id = "req-7", "cannot record a result");
            tracing::info!(target: "luneo::jobs", "an ordinary run");
            tracing::warn!(target: "rocket::server", "Remote left");
            tracing::warn!(target: "luneo::monitoring::logs", "cannot write log lines");
        });
        let mut receiver = sink.receiver.lock().unwrap().take().unwrap();
        let mut lines = vec![];
        while let Ok(line) = receiver.try_recv() {
            lines.push(line);
        }
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(
            (lines[0].level, lines[0].kind, lines[0].message.as_str()),
            ("warn", "app", "delivery failed, will retry kind=mail")
        );
        assert_eq!(lines[0].route.as_deref(), Some("luneo::jobs::outbox"));
        assert_eq!((lines[1].level, lines[1].request_id.as_str()), ("error", "req-7"));
    }
}
