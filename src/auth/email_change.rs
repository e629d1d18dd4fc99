//! Changing a person's address: the change waits in `email_changes` until
//! the link mailed to the new address is used (valid three days, one
//! pending change per person), then the address is swapped, marked
//! verified, and the old address is told.

use super::User;
use crate::db::Tx;
use crate::db::ids::{hash_token, random_token};
use crate::error::AppError;
use crate::mail::{Action, action_mail};
use crate::web::i18n::Lang;
use rusqlite::{Connection, OptionalExtension};

/// How long the confirmation link stays valid.
pub const LIFETIME: i64 = 3 * 86_400;

/// A change waiting for its confirmation.
#[derive(Debug, Clone)]
pub struct Pending {
    pub new_email: String,
    pub expires_at: i64,
}

/// A change confirmed: the address it replaced.
#[derive(Debug, Clone)]
pub struct Confirmed {
    pub user: User,
    pub old_email: String,
}

/// Whether `email` already names an account (addresses compare without case).
pub fn address_taken(conn: &Connection, email: &str) -> Result<bool, AppError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM users WHERE email = ?1)",
        [email.trim()],
        |r| r.get(0),
    )?)
}

/// Records the change of `user`'s address to `new_email` (replacing any
/// pending one), audited, and queues the confirmation link to the new
/// address. Returns when the link expires.
pub fn request(
    tx: &Tx,
    user: &User,
    new_email: &super::Email,
    lang: Lang,
    base_url: &reqwest::Url,
) -> Result<i64, AppError> {
    let (now, token) = (tx.now(), random_token(32));
    tx.execute(
        "INSERT INTO email_changes (token_hash, user_id, new_email, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, new_email = excluded.new_email,
           created_at = excluded.created_at, expires_at = excluded.expires_at",
        rusqlite::params![hash_token(&token), user.id, new_email.as_str(), now, now + LIFETIME],
    )?;
    crate::audit::record(
        tx,
        "user.email_change_requested",
        Some(("user", &user.id)),
        serde_json::json!({ "to": new_email.as_str() }),
    )?;
    let mail = action_mail(
        new_email,
        lang,
        Action {
            subject: lang.t("mail.email_change.subject").into(),
            greeting: lang.tf("mail.greeting", &[("name", &user.name)]),
            body: lang.tf("mail.email_change.body", &[("old", &user.email)]),
            action_label: lang.t("mail.email_change.action"),
            action_url: format!(
                "{}/account/email/confirm/{token}",
                base_url.as_str().trim_end_matches('/')
            ),
            note: lang.t("mail.email_change.note").into(),
        },
    )?;
    crate::mail::queue(tx, None, &mail)?;
    Ok(now + LIFETIME)
}

/// The change `user_id` is waiting to confirm, if any is still valid.
pub fn pending(conn: &Connection, user_id: &str, now: i64) -> Result<Option<Pending>, AppError> {
    Ok(conn
        .query_row(
            "SELECT new_email, expires_at FROM email_changes WHERE user_id = ?1 AND expires_at > ?2",
            rusqlite::params![user_id, now],
            |r| {
                Ok(Pending {
                    new_email: r.get(0)?,
                    expires_at: r.get(1)?,
                })
            },
        )
        .optional()?)
}

/// Drops the pending change of `user_id`, audited; false if there was none.
pub fn cancel(tx: &Tx, user_id: &str) -> Result<bool, AppError> {
    let dropped = tx.execute("DELETE FROM email_changes WHERE user_id = ?1", [user_id])? == 1;
    if dropped {
        let meta = serde_json::json!({});
        crate::audit::record(tx, "user.email_change_cancelled", Some(("user", user_id)), meta)?;
    }
    Ok(dropped)
}

/// The new address a still-valid link would set (without using it).
pub fn peek(conn: &Connection, token: &str, now: i64) -> Result<Option<String>, AppError> {
    Ok(conn
        .query_row(
            "SELECT new_email FROM email_changes WHERE token_hash = ?1 AND expires_at > ?2",
            rusqlite::params![hash_token(token), now],
            |r| r.get(0),
        )
        .optional()?)
}

/// What using a link came to.
pub enum Outcome {
    Changed(Confirmed),
    /// Unknown, used, replaced or expired.
    Invalid,
    /// Someone else took the address since the link was sent.
    Taken,
}

/// Uses a link once: swaps the address, marks it verified, and queues the
/// notice to the old address. The caller audits and notifies (it knows who acts).
pub fn confirm(tx: &Tx, token: &str, base_url: &reqwest::Url) -> Result<Outcome, AppError> {
    let now = tx.now();
    let Some((user_id, new_email)) = tx
        .query_row(
            "DELETE FROM email_changes WHERE token_hash = ?1 AND expires_at > ?2 RETURNING user_id, new_email",
            rusqlite::params![hash_token(token), now],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
        )
        .optional()?
    else {
        return Ok(Outcome::Invalid);
    };
    let user = super::find_by_id(tx, &user_id)?.ok_or(AppError::NotFound)?;
    if !user.email.eq_ignore_ascii_case(&new_email) && address_taken(tx, &new_email)? {
        return Ok(Outcome::Taken);
    }
    tx.execute(
        "UPDATE users SET email = ?2, email_verified_at = ?3 WHERE id = ?1",
        rusqlite::params![user_id, new_email, now],
    )?;
    let lang = user.language.as_deref().and_then(Lang::parse).unwrap_or_default();
    let old_email = user.email.clone();
    let mail = action_mail(
        &old_email,
        lang,
        Action {
            subject: lang.t("mail.email_changed.subject").into(),
            greeting: lang.tf("mail.greeting", &[("name", &user.name)]),
            body: lang.tf("mail.email_changed.body", &[("new", &new_email)]),
            action_label: lang.t("mail.email_changed.action"),
            action_url: format!("{}/login", base_url.as_str().trim_end_matches('/')),
            note: lang.t("mail.email_changed.note").into(),
        },
    )?;
    crate::mail::queue(tx, None, &mail)?;
    let user = User {
        email: new_email,
        email_verified: true,
        ..user
    };
    Ok(Outcome::Changed(Confirmed { user, old_email }))
}

/// Drops the links that expired (the accounts' housekeeping job).
pub fn purge(tx: &Tx, now: i64) -> Result<usize, AppError> {
    Ok(tx.execute("DELETE FROM email_changes WHERE expires_at <= ?1", [now])?)
}
