//! Single-use links sent by mail (address verification, password reset):
//! a random token in the link, its hash in `mail_tokens`, an expiry.

use crate::db::Tx;
use crate::db::ids::{hash_token, random_token};
use crate::error::AppError;
use rusqlite::{Connection, OptionalExtension};

/// What a link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Verify,
    Reset,
}

impl Purpose {
    fn key(self) -> &'static str {
        match self {
            Purpose::Verify => "verify",
            Purpose::Reset => "reset",
        }
    }

    /// How long a link stays valid.
    pub fn lifetime(self) -> i64 {
        match self {
            Purpose::Verify => 3 * 86_400,
            Purpose::Reset => 3_600,
        }
    }
}

/// Issues a token for `user_id`; returns the secret for the link.
pub fn issue(tx: &Tx, user_id: &str, purpose: Purpose, now: i64) -> Result<String, AppError> {
    let token = random_token(32);
    tx.execute(
        "INSERT INTO mail_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        rusqlite::params![
            hash_token(&token),
            user_id,
            purpose.key(),
            now,
            now + purpose.lifetime()
        ],
    )?;
    Ok(token)
}

/// The user a still-valid, unused token belongs to (without using it).
pub fn peek(conn: &Connection, token: &str, purpose: Purpose, now: i64) -> Result<Option<String>, AppError> {
    Ok(conn
        .query_row(
            "SELECT user_id FROM mail_tokens WHERE token_hash = ?1 AND purpose = ?2 AND used_at IS NULL AND expires_at > ?3",
            rusqlite::params![hash_token(token), purpose.key(), now],
            |r| r.get(0),
        )
        .optional()?)
}

/// Uses a token once: returns its user, or `None` if it is unknown, used or expired.
pub fn consume(tx: &Tx, token: &str, purpose: Purpose, now: i64) -> Result<Option<String>, AppError> {
    Ok(tx
        .query_row(
            "UPDATE mail_tokens SET used_at = ?4
             WHERE token_hash = ?1 AND purpose = ?2 AND used_at IS NULL AND expires_at > ?3
             RETURNING user_id",
            rusqlite::params![hash_token(token), purpose.key(), now, now],
            |r| r.get(0),
        )
        .optional()?)
}
