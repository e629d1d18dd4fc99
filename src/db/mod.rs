//! The database: one writer connection (`BEGIN IMMEDIATE`) behind a mutex and
//! an r2d2 pool of readers over `DATA_DIR/luneo.db`. All work runs on the
//! blocking pool through [`Db::read`] and [`Db::write`]; a write gets a
//! [`Tx`] (see [`tx`]) whose after-commit work runs only if it commits.

pub mod backup;
pub mod ids;
pub mod migrate;
pub mod time;
pub mod tx;

pub use tx::{Actor, AuditCtx, Tx};

use crate::error::AppError;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::SharedClock;

/// Errors met while opening the database; each message tells the operator what to do.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(
        "{path} is not a usable Luneo database ({source}). Restore a backup with `luneo restore FILE`, or move the file away to start empty."
    )]
    Corrupt { path: String, source: rusqlite::Error },
    #[error("cannot open the database {path}: {source}")]
    Open { path: String, source: rusqlite::Error },
    #[error("migration {name} failed: {source}. The database was left as it was.")]
    Migration { name: String, source: rusqlite::Error },
    #[error(
        "the database is at schema version {found}, newer than this Luneo knows ({known}). Install the newer Luneo, or restore a backup made by this version."
    )]
    TooNew { found: i64, known: i64 },
    #[error("cannot open read connections: {0}")]
    Pool(String),
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: r2d2::Pool<SqliteConnectionManager>,
    /// Topics announced after commits (see [`Tx::announce`]).
    signals: tokio::sync::broadcast::Sender<Arc<str>>,
    /// Woken after commits that queued outbox rows (see [`Tx::wake_outbox`]).
    outbox: Arc<tokio::sync::Notify>,
    /// The time of a change made without an [`AuditCtx`] of its own.
    clock: SharedClock,
    /// Bumped by every committed change that is not bookkeeping, and when
    /// another process has written (see [`Db::identity_generation`]).
    generation: std::sync::atomic::AtomicU64,
    /// The WAL file as this process's last commit left it: (length, mtime).
    wal_after_own_commit: Mutex<Option<(u64, std::time::SystemTime)>>,
    /// When the WAL file was last looked at (µs since `opened`).
    wal_checked_at: std::sync::atomic::AtomicU64,
    opened: std::time::Instant,
}

/// The WAL file is looked at (a system call) at most this often, so a write
/// by another process shows within this long.
const WAL_CHECK_EVERY: std::time::Duration = std::time::Duration::from_millis(5);

/// Handle to the database, cheap to clone.
#[derive(Clone)]
pub struct Db(Arc<Inner>);

const BUSY_TIMEOUT_MS: u64 = 5_000;

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // Every query of the app fits, so none is compiled twice on a connection.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // Without the query planner stability guarantee, binding a new value to
    // a parameter the planner looked at (a `LIMIT ?`, any indexed `= ?` with
    // STAT4, which the bundled SQLite has) makes SQLite compile the statement
    // again at its next step: a cached statement would be re-parsed at every
    // use. With it, a statement keeps its plan.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(())
}

/// Prepared statements kept per connection (`prepare_cached`).
const STATEMENT_CACHE: usize = 256;

impl Db {
    /// Opens (creating if needed) the database at `path`, applies pending
    /// migrations; changes are timed by the system clock.
    pub fn open(path: &Path, readers: u32) -> Result<Db, DbError> {
        Db::open_with_clock(path, readers, time::system_clock())
    }

    /// [`Db::open`] with the clock that times changes (tests move it).
    pub fn open_with_clock(path: &Path, readers: u32, clock: SharedClock) -> Result<Db, DbError> {
        let shown = path.display().to_string();
        let writer = Connection::open(path).map_err(|source| DbError::Open {
            path: shown.clone(),
            source,
        })?;
        let corrupt = |source| DbError::Corrupt {
            path: shown.clone(),
            source,
        };
        writer
            .busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS))
            .map_err(corrupt)?;
        let mode: String = writer
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(corrupt)?;
        if mode != "wal" {
            tracing::warn!(mode, "SQLite refused WAL mode");
        }
        configure(&writer).map_err(corrupt)?;
        writer
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0))
            .map_err(corrupt)?;
        let mut writer = writer;
        migrate::apply(&mut writer)?;
        let manager = SqliteConnectionManager::file(path)
            .with_flags(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI)
            .with_init(|c| configure(c));
        let readers = r2d2::Pool::builder()
            .max_size(readers)
            .min_idle(Some(1))
            .build(manager)
            .map_err(|e| DbError::Pool(e.to_string()))?;
        Ok(Db(Arc::new(Inner {
            path: path.to_path_buf(),
            writer: Mutex::new(writer),
            readers,
            signals: tokio::sync::broadcast::Sender::new(1024),
            outbox: Arc::new(tokio::sync::Notify::new()),
            clock,
            generation: std::sync::atomic::AtomicU64::new(0),
            wal_after_own_commit: Mutex::new(None),
            wal_checked_at: std::sync::atomic::AtomicU64::new(0),
            opened: std::time::Instant::now(),
        })))
    }

    /// The topics announced by committed writes (live updates: SSE streams).
    pub fn signals(&self) -> tokio::sync::broadcast::Receiver<Arc<str>> {
        self.0.signals.subscribe()
    }

    /// What the outbox worker waits on between its ticks.
    pub fn outbox_signal(&self) -> Arc<tokio::sync::Notify> {
        self.0.outbox.clone()
    }

    /// The time now, by the clock that times changes.
    pub fn now(&self) -> i64 {
        self.0.clock.now()
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.0.path
    }

    /// Runs `f` on a reader connection, off the async workers.
    pub async fn read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, AppError> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.read_blocking(f)).await?
    }

    /// Runs `f` inside one `BEGIN IMMEDIATE` transaction on the writer, off
    /// the async workers, as a change made by the system now; commits when
    /// `f` returns `Ok`, rolls back otherwise.
    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Tx) -> Result<T, AppError> + Send + 'static,
    {
        let origin = AuditCtx::system(None, self.now());
        self.write_as(origin, f).await
    }

    /// [`Db::write`] for a change whose origin (actor, org, time) is `origin`.
    pub async fn write_as<T, F>(&self, origin: AuditCtx, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Tx) -> Result<T, AppError> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.write_blocking_as(origin, f)).await?
    }

    /// [`Db::read`] for code already on a blocking thread (CLI, tools).
    /// The closure runs in one read transaction, so the queries it makes
    /// all see the same moment of the database.
    pub fn read_blocking<T>(&self, f: impl FnOnce(&Connection) -> Result<T, AppError>) -> Result<T, AppError> {
        let mut conn = self
            .0
            .readers
            .get()
            .map_err(|e| AppError::internal(format!("reader pool: {e}")))?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        f(&tx)
    }

    /// [`Db::write`] for code already on a blocking thread (CLI, tools).
    pub fn write_blocking<T>(&self, f: impl FnOnce(&Tx) -> Result<T, AppError>) -> Result<T, AppError> {
        self.write_blocking_as(AuditCtx::system(None, self.now()), f)
    }

    /// [`Db::write_as`] for code already on a blocking thread.
    pub fn write_blocking_as<T>(
        &self,
        origin: AuditCtx,
        f: impl FnOnce(&Tx) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        let mut conn = self.0.writer.lock().unwrap_or_else(|p| p.into_inner());
        let tx = Tx::new(conn.transaction_with_behavior(TransactionBehavior::Immediate)?, origin);
        // Holding the write lock, nobody else writes until the commit: a WAL
        // that changed since this process last looked is another process's
        // write, which the state recorded after the commit would hide.
        let foreign = self.wal_state() != *self.0.wal_after_own_commit.lock().unwrap_or_else(|p| p.into_inner());
        let out = f(&tx)?;
        let (after, bookkeeping) = tx.commit()?;
        if !bookkeeping || foreign {
            self.0.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        *self.0.wal_after_own_commit.lock().unwrap_or_else(|p| p.into_inner()) = self.wal_state();
        drop(conn);
        for action in after {
            match action {
                // No listener is not an error.
                tx::AfterCommit::Announce(topic) => drop(self.0.signals.send(Arc::from(topic))),
                tx::AfterCommit::WakeOutbox => self.0.outbox.notify_one(),
            }
        }
        Ok(out)
    }

    /// A number that changes whenever data a signed-in request's identity
    /// is read from may have changed: after this process commits a change
    /// that is not bookkeeping ([`Tx::changes_no_identity`]), and when
    /// another process (the CLI) has written to the database, which the
    /// WAL file's length and time show (looked at every
    /// [`WAL_CHECK_EVERY`] at most). Whatever was read under one
    /// generation is good while the generation stays the same.
    pub fn identity_generation(&self) -> u64 {
        use std::sync::atomic::Ordering;
        let now_us = self.0.opened.elapsed().as_micros() as u64;
        let last = self.0.wal_checked_at.load(Ordering::Relaxed);
        let due = now_us.saturating_sub(last) >= WAL_CHECK_EVERY.as_micros() as u64;
        if !due
            || self
                .0
                .wal_checked_at
                .compare_exchange(last, now_us, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return self.0.generation.load(Ordering::SeqCst);
        }
        let mut seen = self.0.wal_after_own_commit.lock().unwrap_or_else(|p| p.into_inner());
        let now = self.wal_state();
        if now != *seen {
            *seen = now;
            self.0.generation.fetch_add(1, Ordering::SeqCst);
        }
        self.0.generation.load(Ordering::SeqCst)
    }

    fn wal_state(&self) -> Option<(u64, std::time::SystemTime)> {
        let meta = std::fs::metadata(format!("{}-wal", self.0.path.display())).ok()?;
        Some((meta.len(), meta.modified().ok()?))
    }

    /// Size of the database on disk (main file and WAL), in bytes.
    pub fn size_bytes(&self) -> u64 {
        let wal = PathBuf::from(format!("{}-wal", self.0.path.display()));
        [&self.0.path, &wal]
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum()
    }
}

/// A `LIKE … ESCAPE '\\'` pattern that finds `text` anywhere, its own `%`,
/// `_` and `\\` taken literally.
pub fn like_anywhere(text: &str) -> String {
    format!(
        "%{}%",
        text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
    )
}

/// The FTS5 query of what someone typed: every word a prefix, all of them
/// required; `None` when nothing searchable is left.
pub fn fts_query(typed: &str) -> Option<String> {
    let words: Vec<String> = typed
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(10)
        .map(|w| format!("\"{}\"*", w.to_lowercase()))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// Exclusive lock on `DATA_DIR/luneo.lock`, held by a running server so that
/// a second server or a restore cannot use the same data directory.
pub struct DataDirLock {
    _file: std::fs::File,
}

impl DataDirLock {
    /// Takes the lock, or says who holds it.
    pub fn acquire(data_dir: &Path) -> Result<DataDirLock, String> {
        let path = data_dir.join("luneo.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(DataDirLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(format!(
                "another Luneo process is using {} (it holds {}); stop it first",
                data_dir.display(),
                path.display()
            )),
            Err(std::fs::TryLockError::Error(e)) => Err(format!("cannot lock {}: {e}", path.display())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Db;

    #[test]
    fn the_queries_of_one_read_see_the_same_moment() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("luneo.db"), 2).unwrap();
        let count =
            |c: &rusqlite::Connection| -> i64 { c.query_row("SELECT count(*) FROM orgs", [], |r| r.get(0)).unwrap() };
        let (before, after) = db
            .read_blocking(|c| {
                let before = count(c);
                // Another connection commits a change in the middle of the read.
                db.write_blocking(|tx| {
                    tx.execute(
                        "INSERT INTO orgs (id, slug, name, default_language, created_at) VALUES ('org_x', 'x', 'X', 'en', 0)",
                        [],
                    )?;
                    Ok(())
                })?;
                Ok((before, count(c)))
            })
            .unwrap();
        assert_eq!(before, after, "the read does not see the change half-way");
        assert_eq!(
            db.read_blocking(|c| Ok(count(c))).unwrap(),
            before + 1,
            "the next read does"
        );
    }

    #[test]
    fn after_commit_work_runs_only_for_a_change_that_commits() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("luneo.db"), 1).unwrap();
        let mut signals = db.signals();
        let outbox = db.outbox_signal();
        let failed: Result<(), _> = db.write_blocking(|tx| {
            tx.announce("user:a");
            tx.wake_outbox();
            Err(crate::error::AppError::NotFound)
        });
        assert!(failed.is_err());
        assert!(signals.try_recv().is_err(), "a rolled-back change announces nothing");
        let woken = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(async {
                tokio::time::timeout(std::time::Duration::from_millis(20), outbox.notified())
                    .await
                    .is_ok()
            });
        assert!(!woken, "nor wakes the outbox");

        db.write_blocking(|tx| {
            tx.announce("user:a");
            tx.announce("user:a");
            tx.wake_outbox();
            Ok(())
        })
        .unwrap();
        assert_eq!(&*signals.try_recv().unwrap(), "user:a");
        assert!(signals.try_recv().is_err(), "a topic is announced once per change");
        let woken = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(async {
                tokio::time::timeout(std::time::Duration::from_millis(1000), outbox.notified())
                    .await
                    .is_ok()
            });
        assert!(woken, "a committed change wakes the outbox");
    }

    #[test]
    fn a_cached_statement_is_not_compiled_again_when_its_values_change() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("luneo.db"), 1).unwrap();
        let reprepared = db
            .read_blocking(|c| {
                for limit in 1..=5i64 {
                    let mut stmt = c.prepare_cached("SELECT id FROM orgs WHERE id = ?1 LIMIT ?2")?;
                    let rows = stmt.query_map(rusqlite::params![format!("org_{limit}"), limit], |r| {
                        r.get::<_, String>(0)
                    })?;
                    rows.collect::<Result<Vec<_>, _>>()?;
                }
                let stmt = c.prepare_cached("SELECT id FROM orgs WHERE id = ?1 LIMIT ?2")?;
                Ok(stmt.get_status(rusqlite::StatementStatus::RePrepare))
            })
            .unwrap();
        assert_eq!(reprepared, 0, "the plan is kept whatever the bound values");
    }

    #[test]
    fn another_processs_write_is_noticed_even_when_a_bookkeeping_write_of_ours_comes_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("luneo.db");
        let db = Db::open(&path, 1).unwrap();
        let bookkeeping = |db: &Db| {
            db.write_blocking(|tx| {
                tx.changes_no_identity();
                tx.execute("UPDATE schema_migrations SET version = version WHERE 0", [])?;
                Ok(())
            })
            .unwrap()
        };
        bookkeeping(&db);
        std::thread::sleep(super::WAL_CHECK_EVERY * 2);
        let before = db.identity_generation();
        // Another process (the CLI) writes...
        let other = rusqlite::Connection::open(&path).unwrap();
        other
            .execute_batch("CREATE TABLE cli_wrote (x INTEGER); INSERT INTO cli_wrote VALUES (1);")
            .unwrap();
        // ...and this process commits bookkeeping before it looks again.
        bookkeeping(&db);
        std::thread::sleep(super::WAL_CHECK_EVERY * 2);
        assert_ne!(db.identity_generation(), before, "the other process's write is seen");
    }
}
