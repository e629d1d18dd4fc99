//! Sessions: a random token in an HttpOnly, SameSite=Lax cookie (Secure
//! behind https), stored only as its hash, with an idle and an absolute
//! expiry. A new session is made at every sign-in (so a token planted
//! before sign-in is worthless) and the old one is revoked.

use super::User;
use crate::db::Tx;
use crate::db::ids::{hash_token, new_id, random_token};
use crate::error::AppError;
use rocket::http::{Cookie, CookieJar};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

pub const COOKIE: &str = "luneo_session";
/// A session unused this long ends.
pub const IDLE_SECONDS: i64 = 7 * 86_400;
/// A session ends this long after sign-in, used or not.
pub const ABSOLUTE_SECONDS: i64 = 30 * 86_400;
/// `last_seen_at` is written at most this often.
const TOUCH_EVERY: i64 = 60;

/// A session as stored.
#[derive(Debug, Clone, Serialize)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub org_id: Option<String>,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Creates a session; returns (session id, token for the cookie).
pub fn create(
    tx: &Tx,
    user_id: &str,
    org_id: Option<&str>,
    now: i64,
    ip: Option<&str>,
    user_agent: Option<&str>,
) -> Result<(String, String), AppError> {
    let id = new_id("ses");
    let token = random_token(32);
    tx.execute(
        "INSERT INTO sessions (id, token_hash, user_id, org_id, created_at, last_seen_at, expires_at, ip, user_agent)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8)",
        rusqlite::params![
            id,
            hash_token(&token),
            user_id,
            org_id,
            now,
            now + ABSOLUTE_SECONDS,
            ip,
            user_agent
        ],
    )?;
    Ok((id, token))
}

/// Puts the session token in the cookie jar.
pub fn set_cookie(jar: &CookieJar<'_>, token: String, secure: bool) {
    let cookie =
        crate::web::cookies::build(COOKIE, token, secure).max_age(rocket::time::Duration::seconds(ABSOLUTE_SECONDS));
    jar.add(cookie);
}

pub fn clear_cookie(jar: &CookieJar<'_>) {
    jar.remove(Cookie::build(COOKIE).path("/"));
}

fn session_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SessionRow> {
    Ok(SessionRow {
        id: r.get(0)?,
        user_id: r.get(1)?,
        org_id: r.get(2)?,
        created_at: r.get(3)?,
        last_seen_at: r.get(4)?,
        expires_at: r.get(5)?,
        ip: r.get(6)?,
        user_agent: r.get(7)?,
    })
}

const COLUMNS: &str = "s.id, s.user_id, s.org_id, s.created_at, s.last_seen_at, s.expires_at, s.ip, s.user_agent";

/// The live session and user for a cookie token, if any.
pub fn find(conn: &Connection, token: &str, now: i64) -> Result<Option<(SessionRow, User)>, AppError> {
    let row = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS}, {} FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND s.last_seen_at > ?3",
            super::USER_COLUMNS
        ))?
        .query_row(rusqlite::params![hash_token(token), now, now - IDLE_SECONDS], |r| {
            Ok((session_row(r)?, super::user_at(r, 8)?))
        })
        .optional()?;
    Ok(row)
}

/// Whether the session's `last_seen_at` is old enough to be written again.
pub fn needs_touch(session: &SessionRow, now: i64) -> bool {
    now - session.last_seen_at >= TOUCH_EVERY
}

/// Records activity on a session (and on the user and membership).
pub fn touch(tx: &Tx, session: &SessionRow, now: i64, ip: Option<&str>) -> Result<(), AppError> {
    tx.execute(
        "UPDATE sessions SET last_seen_at = ?2, ip = coalesce(?3, ip) WHERE id = ?1",
        (&session.id, now, ip),
    )?;
    tx.execute(
        "UPDATE users SET last_active_at = ?2 WHERE id = ?1",
        (&session.user_id, now),
    )?;
    if let Some(org) = &session.org_id {
        tx.execute(
            "UPDATE memberships SET last_active_at = ?3 WHERE org_id = ?1 AND user_id = ?2",
            (org, &session.user_id, now),
        )?;
    }
    Ok(())
}

/// Ends one session of a user.
pub fn revoke(tx: &Tx, user_id: &str, session_id: &str) -> Result<bool, AppError> {
    Ok(tx.execute(
        "DELETE FROM sessions WHERE id = ?1 AND user_id = ?2",
        (session_id, user_id),
    )? == 1)
}

/// Ends every session of a user but `keep` (if any); returns how many ended.
pub fn revoke_others(tx: &Tx, user_id: &str, keep: Option<&str>) -> Result<usize, AppError> {
    Ok(tx.execute(
        "DELETE FROM sessions WHERE user_id = ?1 AND (?2 IS NULL OR id <> ?2)",
        (user_id, keep),
    )?)
}

/// Ends the session a cookie token belongs to, if it still exists.
pub fn revoke_token(tx: &Tx, token: &str) -> Result<(), AppError> {
    tx.execute("DELETE FROM sessions WHERE token_hash = ?1", [hash_token(token)])?;
    Ok(())
}

/// Moves a session to another organisation.
pub fn set_org(tx: &Tx, session_id: &str, org_id: &str) -> Result<(), AppError> {
    tx.execute("UPDATE sessions SET org_id = ?2 WHERE id = ?1", (session_id, org_id))?;
    Ok(())
}

/// A user's live sessions, most recent first.
pub fn list_for_user(conn: &Connection, user_id: &str, now: i64) -> Result<Vec<SessionRow>, AppError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM sessions s WHERE s.user_id = ?1 AND s.expires_at > ?2 AND s.last_seen_at > ?3
         ORDER BY s.last_seen_at DESC"
    ))?;
    let rows = stmt.query_map((user_id, now, now - IDLE_SECONDS), session_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}
