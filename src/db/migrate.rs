//! Numbered SQL migrations (`migrations/NNNN_name.sql`), embedded in the
//! binary and applied in order, all pending ones in one transaction, with
//! each applied version recorded in `schema_migrations`.

use super::DbError;
use rusqlite::{Connection, TransactionBehavior};

#[derive(rust_embed::RustEmbed)]
#[folder = "migrations/"]
struct Files;

/// One embedded migration.
pub struct Migration {
    pub version: i64,
    pub name: String,
    pub sql: String,
}

/// All embedded migrations, in order.
pub fn all() -> Vec<Migration> {
    let mut list: Vec<Migration> = Files::iter()
        .filter(|f| f.ends_with(".sql"))
        .map(|file| {
            let name = file.trim_end_matches(".sql").to_string();
            let version = name
                .split('_')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("migration {file} must start with a number"));
            let sql = String::from_utf8(Files::get(&file).expect("listed file").data.into_owned())
                .expect("migrations are UTF-8");
            Migration { version, name, sql }
        })
        .collect();
    list.sort_by_key(|m| m.version);
    list
}

/// Highest version this binary knows.
pub fn latest() -> i64 {
    all().last().map(|m| m.version).unwrap_or(0)
}

/// Highest version recorded in the database (0 when none).
pub fn current(conn: &Connection) -> rusqlite::Result<i64> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    )?;
    conn.query_row("SELECT coalesce(max(version), 0) FROM schema_migrations", [], |r| {
        r.get(0)
    })
}

/// Applies every pending migration; returns the names applied.
pub fn apply(conn: &mut Connection) -> Result<Vec<String>, DbError> {
    let found = current(conn)?;
    let known = latest();
    if found > known {
        return Err(DbError::TooNew { found, known });
    }
    let pending: Vec<Migration> = all().into_iter().filter(|m| m.version > found).collect();
    if pending.is_empty() {
        return Ok(vec![]);
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut names = vec![];
    for m in pending {
        tx.execute_batch(&m.sql)
            .and_then(|_| {
                tx.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                    (m.version, &m.name, now),
                )
            })
            .map_err(|source| DbError::Migration {
                name: m.name.clone(),
                source,
            })?;
        tracing::info!(migration = %m.name, "applied migration");
        names.push(m.name);
    }
    tx.commit()?;
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_unique_and_increasing() {
        let list = all();
        assert!(!list.is_empty());
        for pair in list.windows(2) {
            assert!(pair[0].version < pair[1].version, "{} / {}", pair[0].name, pair[1].name);
        }
    }

    #[test]
    fn applies_once_and_refuses_a_newer_database() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(apply(&mut conn).unwrap().len(), all().len());
        assert!(apply(&mut conn).unwrap().is_empty());
        conn.execute("INSERT INTO schema_migrations VALUES (9999, '9999_future', 0)", [])
            .unwrap();
        assert!(matches!(apply(&mut conn), Err(DbError::TooNew { found: 9999, .. })));
    }
}
