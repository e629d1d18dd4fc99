//! Accounts: users, passwords, sessions, one-time mail links, personal API
//! tokens, and the pages to set up the instance, register, verify an
//! address, sign in and out. Other features identify people through
//! [`Identity`] (or the `orgs::Member` guard built on it).

pub mod api_tokens;
pub mod device;
pub mod email_change;
mod guard;
mod identity_cache;
pub mod mail_tokens;
pub mod mails;
mod mfa_login;
pub mod pages;
pub mod password;
mod reset;
pub mod session;
pub mod setup;
pub mod two_factor;

pub use guard::{ClientInfo, Identity, MaybeIdentity, Via, client_ip, identified, user_agent};
pub use identity_cache::IdentityCache;

use crate::db::Tx;
use crate::error::AppError;
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

/// A person with an account.
#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub language: Option<String>,
    pub email_verified: bool,
    pub is_instance_admin: bool,
    #[serde(skip)]
    pub password_hash: Option<String>,
    /// Two-factor authentication is on.
    pub two_factor: bool,
    /// Their own time zone for pages; `None` = the organisation's.
    pub time_zone: Option<String>,
}

pub(crate) const USER_COLUMNS: &str = "u.id, u.email, u.name, u.language, u.email_verified_at IS NOT NULL, u.is_instance_admin, u.password_hash, u.totp_enabled_at IS NOT NULL, nullif(u.time_zone, '')";

/// Reads a [`User`] from `USER_COLUMNS` starting at column `at`.
pub(crate) fn user_at(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(at)?,
        email: r.get(at + 1)?,
        name: r.get(at + 2)?,
        language: r.get(at + 3)?,
        email_verified: r.get(at + 4)?,
        is_instance_admin: r.get(at + 5)?,
        password_hash: r.get(at + 6)?,
        two_factor: r.get(at + 7)?,
        time_zone: r.get(at + 8)?,
    })
}

pub fn find_by_email(conn: &Connection, email: &str) -> Result<Option<User>, AppError> {
    Ok(conn
        .query_row(
            &format!("SELECT {USER_COLUMNS} FROM users u WHERE u.email = ?1"),
            [email.trim()],
            |r| user_at(r, 0),
        )
        .optional()?)
}

pub fn find_by_id(conn: &Connection, id: &str) -> Result<Option<User>, AppError> {
    Ok(conn
        .query_row(
            &format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = ?1"),
            [id],
            |r| user_at(r, 0),
        )
        .optional()?)
}

/// Whether any account exists (the instance is set up).
pub fn any_user(conn: &Connection) -> Result<bool, AppError> {
    Ok(conn.query_row("SELECT EXISTS (SELECT 1 FROM users)", [], |r| r.get(0))?)
}

crate::typed_id!(
    /// The id of a person's account (`usr_…`).
    UserId,
    "usr"
);

/// What a new account is made of.
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: Option<String>,
    pub language: Option<&'a str>,
    pub verified: bool,
    pub instance_admin: bool,
}

/// Keeps a person's language (pages and mails follow it), audited.
pub fn set_language(tx: &Tx, user_id: &str, lang: &str) -> Result<(), AppError> {
    tx.execute("UPDATE users SET language = ?2 WHERE id = ?1", (user_id, lang))?;
    let meta = serde_json::json!({ "language": lang });
    crate::audit::record(tx, "user.language_changed", Some(("user", user_id)), meta)
}

/// Renames a person (1 to 100 characters, trimmed by the caller), audited
/// with the name it replaced.
pub fn set_name(tx: &Tx, user: &User, name: &str) -> Result<(), AppError> {
    tx.execute("UPDATE users SET name = ?2 WHERE id = ?1", (&user.id, name))?;
    let meta = serde_json::json!({ "from": user.name, "to": name });
    crate::audit::record(tx, "user.name_changed", Some(("user", &user.id)), meta)
}

/// Sets a new password hash and ends every session of the person but
/// `keep`, audited; returns how many sessions ended.
pub fn set_password(tx: &Tx, user_id: &str, hash: &str, keep: Option<&str>) -> Result<usize, AppError> {
    tx.execute("UPDATE users SET password_hash = ?2 WHERE id = ?1", (user_id, hash))?;
    let ended = session::revoke_others(tx, user_id, keep)?;
    let meta = serde_json::json!({ "sessions_ended": ended });
    crate::audit::record(tx, "user.password_changed", Some(("user", user_id)), meta)?;
    Ok(ended)
}

/// Keeps a person's own time zone (`""`: follow the org's), audited.
pub fn set_time_zone(tx: &Tx, user_id: &str, zone: &str) -> Result<(), AppError> {
    tx.execute("UPDATE users SET time_zone = ?2 WHERE id = ?1", (user_id, zone))?;
    let meta = serde_json::json!({ "time_zone": zone });
    crate::audit::record(tx, "user.time_zone_changed", Some(("user", user_id)), meta)
}

/// Makes `user_id` an instance admin, audited.
pub fn make_instance_admin(tx: &Tx, user_id: &str) -> Result<(), AppError> {
    tx.execute("UPDATE users SET is_instance_admin = 1 WHERE id = ?1", [user_id])?;
    crate::audit::record(
        tx,
        "user.made_instance_admin",
        Some(("user", user_id)),
        serde_json::json!({}),
    )
}

/// A person left an org: their sessions stop acting for it and their API
/// tokens for it end.
pub fn leave_org(tx: &Tx, org_id: &str, user_id: &str) -> Result<(), AppError> {
    tx.execute(
        "UPDATE sessions SET org_id = NULL WHERE org_id = ?1 AND user_id = ?2",
        (org_id, user_id),
    )?;
    tx.execute(
        "DELETE FROM api_tokens WHERE org_id = ?1 AND user_id = ?2",
        (org_id, user_id),
    )?;
    Ok(())
}

/// Whether anyone may create an account (instance setting, on by default).
pub fn registration_open(conn: &rusqlite::Connection) -> Result<bool, AppError> {
    use rusqlite::OptionalExtension;
    let value: Option<String> = conn
        .query_row(
            "SELECT value FROM instance_settings WHERE key = 'registration_open'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(value.as_deref() != Some("false"))
}

/// Opens or closes self-service registration on the instance, audited.
pub fn set_registration_open(tx: &Tx, open: bool) -> Result<(), AppError> {
    tx.execute(
        "INSERT INTO instance_settings (key, value) VALUES ('registration_open', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [if open { "true" } else { "false" }],
    )?;
    crate::audit::record(
        tx,
        "instance.registration_changed",
        None,
        serde_json::json!({ "open": open }),
    )
}

/// Makes `user_id` an instance admin when the instance has none (a demo
/// run on a fresh instance would otherwise leave nobody to run it).
pub fn make_instance_admin_if_none(tx: &Tx, user_id: &str) -> Result<bool, AppError> {
    let changed = tx.execute(
        "UPDATE users SET is_instance_admin = 1 WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM users WHERE is_instance_admin = 1)",
        [user_id],
    )?;
    if changed == 1 {
        crate::audit::record(
            tx,
            "user.made_instance_admin",
            Some(("user", user_id)),
            serde_json::json!({}),
        )?;
    }
    Ok(changed == 1)
}

/// Creates an account; the caller checked that the address is free.
pub fn create_user(tx: &Tx, new: &NewUser<'_>, now: i64) -> Result<User, AppError> {
    let id = UserId::generate();
    tx.execute(
        "INSERT INTO users (id, email, name, password_hash, language, email_verified_at, is_instance_admin, created_at, time_zone)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, '')",
        rusqlite::params![
            id,
            new.email.trim(),
            new.name.trim(),
            new.password_hash,
            new.language,
            new.verified.then_some(now),
            new.instance_admin,
            now
        ],
    )?;
    Ok(User {
        id,
        email: new.email.trim().to_string(),
        name: new.name.trim().to_string(),
        language: new.language.map(str::to_string),
        email_verified: new.verified,
        is_instance_admin: new.instance_admin,
        password_hash: new.password_hash.clone(),
        two_factor: false,
        time_zone: None,
    })
}

/// Marks the address of an account as verified.
pub fn mark_verified(tx: &Tx, user_id: &str, now: i64) -> Result<(), AppError> {
    tx.execute(
        "UPDATE users SET email_verified_at = coalesce(email_verified_at, ?2) WHERE id = ?1",
        (user_id, now),
    )?;
    Ok(())
}

/// Checks an email address's shape (the mail server has the last word).
pub fn valid_email(email: &str) -> bool {
    let email = email.trim();
    email.len() <= 254 && email.parse::<lettre::Address>().is_ok()
}

/// An email address of a valid shape, trimmed: parsed once at the edge,
/// so code that holds one need not check it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// The address typed in `field`, or the field's error.
    pub fn parse(field: &str, text: &str) -> Result<Email, AppError> {
        if valid_email(text) {
            Ok(Email(text.trim().to_string()))
        } else {
            Err(AppError::invalid(field, "auth.error.email_invalid"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Email {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

pub fn routes() -> Vec<rocket::Route> {
    let mut all = pages::routes();
    all.extend(reset::routes());
    all.extend(mfa_login::routes());
    all
}

/// Housekeeping of accounts: expired sessions, used or expired mail links,
/// browsers not seen for a year.
pub fn jobs() -> Vec<crate::jobs::JobDef> {
    vec![crate::jobs::JobDef::new(
        "auth.purge",
        "0 0 4 * * *",
        |ctx| async move {
            let now = ctx.clock.now();
            let (sessions, links, browsers) = ctx
                .db
                .write(move |tx| {
                    let browsers = device::purge(tx, now)?;
                    email_change::purge(tx, now)?;
                    let sessions = tx.execute(
                        "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at <= ?1 - ?2",
                        (now, session::IDLE_SECONDS),
                    )?;
                    let links = tx.execute(
                        "DELETE FROM mail_tokens WHERE used_at IS NOT NULL OR expires_at <= ?1",
                        [now],
                    )?;
                    Ok((sessions, links, browsers))
                })
                .await?;
            Ok(format!(
                "removed {sessions} ended sessions, {links} spent mail links and {browsers} browsers unseen for a year"
            ))
        },
    )]
}
