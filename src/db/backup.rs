//! Consistent backups through SQLite's online backup API (safe while the
//! server runs) and restores that check the copy before replacing anything.

use super::{DataDirLock, migrate};
use rusqlite::backup::Backup;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

/// Copies the live database at `db_path` into `dest` in one consistent step.
pub fn backup(db_path: &Path, dest: &Path) -> Result<(), String> {
    if dest.exists() {
        return Err(format!("{} already exists; choose a new file name", dest.display()));
    }
    let src = Connection::open_with_flags(db_path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("cannot open {}: {e}", db_path.display()))?;
    src.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(|e| e.to_string())?;
    let tmp = sibling(dest, "partial");
    let result = (|| {
        let mut out = Connection::open(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
        {
            let copy = Backup::new(&src, &mut out).map_err(|e| e.to_string())?;
            // -1 copies every page in one step under one read transaction: a
            // consistent snapshot that concurrent writers (WAL) cannot restart.
            copy.step(-1).map_err(|e| format!("backup failed: {e}"))?;
        }
        out.close().map_err(|(_, e)| e.to_string())?;
        std::fs::rename(&tmp, dest).map_err(|e| format!("cannot write {}: {e}", dest.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Checks that `file` is a healthy Luneo database this binary can run.
pub fn check(file: &Path) -> Result<i64, String> {
    let conn = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("cannot open {}: {e}", file.display()))?;
    let verdict: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| format!("{} is not a SQLite database: {e}", file.display()))?;
    if verdict != "ok" {
        return Err(format!("{} failed the integrity check: {verdict}", file.display()));
    }
    let version: i64 = conn
        .query_row("SELECT coalesce(max(version), 0) FROM schema_migrations", [], |r| {
            r.get(0)
        })
        .map_err(|_| {
            format!(
                "{} is not a Luneo database (no schema_migrations table)",
                file.display()
            )
        })?;
    if version > migrate::latest() {
        return Err(format!(
            "{} comes from a newer Luneo (schema {version}, this binary knows {}); install that version to restore it",
            file.display(),
            migrate::latest()
        ));
    }
    Ok(version)
}

/// Replaces the database in `data_dir` with the backup `file`, after checking
/// it; refuses while a server holds the data directory.
pub fn restore(data_dir: &Path, file: &Path) -> Result<(), String> {
    let _lock = DataDirLock::acquire(data_dir)?;
    check(file)?;
    let db_path = data_dir.join("luneo.db");
    let tmp = sibling(&db_path, "restoring");
    let _ = std::fs::remove_file(&tmp);
    {
        let src = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|e| e.to_string())?;
        let mut out = Connection::open(&tmp).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
        Backup::new(&src, &mut out)
            .and_then(|b| b.step(-1).map(|_| ()))
            .map_err(|e| format!("copy failed: {e}"))?;
        out.close().map_err(|(_, e)| e.to_string())?;
    }
    // A WAL left by a killed server belongs to the old file: drop it first.
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db_path.display()));
    }
    std::fs::rename(&tmp, &db_path).map_err(|e| format!("cannot replace {}: {e}", db_path.display()))
}

fn sibling(path: &Path, tag: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{tag}"));
    path.with_file_name(name)
}
