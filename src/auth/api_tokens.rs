//! Personal API tokens: `luneo_` + 256 random bits, shown once, stored as
//! a hash, each for one user in one organisation, with a name, an optional
//! expiry and the time it was last used.

use super::User;
use crate::db::Tx;
use crate::db::ids::{hash_token, new_id, random_token};
use crate::error::AppError;
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

/// Prefix that makes a Luneo token recognisable (secret scanners, logs).
pub const PREFIX: &str = "luneo_";

#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

/// Creates a token; returns it with the secret, which is never shown again.
pub fn create(
    tx: &Tx,
    user_id: &str,
    org_id: &str,
    name: &str,
    expires_at: Option<i64>,
    now: i64,
) -> Result<(ApiToken, String), AppError> {
    let id = new_id("tok");
    let secret = format!("{PREFIX}{}", random_token(32));
    tx.execute(
        "INSERT INTO api_tokens (id, token_hash, user_id, org_id, name, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        rusqlite::params![id, hash_token(&secret), user_id, org_id, name.trim(), now, expires_at],
    )?;
    let token = ApiToken {
        id,
        org_id: org_id.into(),
        name: name.trim().into(),
        created_at: now,
        expires_at,
        last_used_at: None,
    };
    Ok((token, secret))
}

/// The live token and its user for a bearer secret; records the use. The
/// user must still be a member of the token's organisation.
pub fn authenticate(tx: &Tx, secret: &str, now: i64) -> Result<Option<(ApiToken, User)>, AppError> {
    let found = tx
        .query_row(
            &format!(
                "SELECT t.id, t.org_id, t.name, t.created_at, t.expires_at, t.last_used_at, {}
                 FROM api_tokens t JOIN users u ON u.id = t.user_id
                 JOIN memberships m ON m.user_id = t.user_id AND m.org_id = t.org_id
                 WHERE t.token_hash = ?1 AND (t.expires_at IS NULL OR t.expires_at > ?2)",
                super::USER_COLUMNS
            ),
            rusqlite::params![hash_token(secret), now],
            |r| Ok((token_row(r)?, super::user_at(r, 6)?)),
        )
        .optional()?;
    if let Some((token, _)) = &found
        && token.last_used_at.is_none_or(|t| now - t >= 60)
    {
        tx.execute(
            "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1",
            (&token.id, now),
        )?;
    }
    Ok(found)
}

/// Reads a token from its first six columns (id, org_id, name, created_at, expires_at, last_used_at).
fn token_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ApiToken> {
    Ok(ApiToken {
        id: r.get(0)?,
        org_id: r.get(1)?,
        name: r.get(2)?,
        created_at: r.get(3)?,
        expires_at: r.get(4)?,
        last_used_at: r.get(5)?,
    })
}

/// A user's tokens in one organisation.
pub fn list(conn: &Connection, user_id: &str, org_id: &str) -> Result<Vec<ApiToken>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, org_id, name, created_at, expires_at, last_used_at FROM api_tokens
         WHERE user_id = ?1 AND org_id = ?2 ORDER BY created_at DESC",
    )?;
    let rows = stmt.query_map((user_id, org_id), token_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Deletes one of a user's tokens; false if there is no such token of theirs.
pub fn revoke(tx: &Tx, user_id: &str, id: &str) -> Result<bool, AppError> {
    Ok(tx.execute("DELETE FROM api_tokens WHERE id = ?1 AND user_id = ?2", (id, user_id))? == 1)
}

/// Deletes every token of a user, in every organisation (after a password
/// reset: whoever knew the old password may have made some); returns how many.
pub fn revoke_all(tx: &Tx, user_id: &str) -> Result<usize, AppError> {
    Ok(tx.execute("DELETE FROM api_tokens WHERE user_id = ?1", [user_id])?)
}
