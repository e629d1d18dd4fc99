//! Who gets what where: the channels, each person's choice per category ×
//! channel, the org's defaults (set by its admins) and the built-in
//! defaults under them. A person's choice wins over the org default, which
//! wins over the built-in one.

use super::{Category, KINDS};
use crate::db::Tx;
use crate::error::AppError;
use rusqlite::{Connection, OptionalExtension};
use std::collections::HashMap;

/// Where a notification can reach someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    InApp,
    Email,
    Push,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::InApp, Channel::Email, Channel::Push];

    pub fn key(self) -> &'static str {
        match self {
            Channel::InApp => "in_app",
            Channel::Email => "email",
            Channel::Push => "push",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.key() == s)
    }

    /// The built-in default for `category` when neither the person nor the org chose.
    pub fn builtin_default(self, category: Category) -> bool {
        match self {
            Channel::InApp | Channel::Push => true,
            Channel::Email => {
                category == Category::Security || KINDS.iter().any(|k| k.category == category && k.email_by_default)
            }
        }
    }
}

/// The org's default for `category` × `channel`, if its admins set one.
fn org_default(
    conn: &Connection,
    org_id: &str,
    category: Category,
    channel: Channel,
) -> Result<Option<bool>, AppError> {
    Ok(conn
        .query_row(
            "SELECT enabled FROM org_notification_defaults WHERE org_id = ?1 AND category = ?2 AND channel = ?3",
            (org_id, category.key(), channel.key()),
            |r| r.get(0),
        )
        .optional()?)
}

/// Whether `user` gets `category` on `channel`: their choice, else the
/// org's default, else `builtin`.
pub fn wants(
    conn: &Connection,
    user_id: &str,
    org_id: &str,
    category: Category,
    channel: Channel,
    builtin: bool,
) -> Result<bool, AppError> {
    let chosen: Option<bool> = conn
        .query_row(
            "SELECT enabled FROM notification_prefs WHERE user_id = ?1 AND org_id = ?2 AND category = ?3 AND channel = ?4",
            (user_id, org_id, category.key(), channel.key()),
            |r| r.get(0),
        )
        .optional()?;
    match chosen {
        Some(on) => Ok(on),
        None => Ok(org_default(conn, org_id, category, channel)?.unwrap_or(builtin)),
    }
}

/// One row of a preferences grid: a category and, per channel, on or off.
pub struct PrefRow {
    pub category: &'static str,
    pub cells: Vec<(Channel, bool)>,
}

/// A person's preferences in one org (what applies to them now).
pub fn preferences(conn: &Connection, user_id: &str, org_id: &str) -> Result<Vec<PrefRow>, AppError> {
    grid(|category, channel| {
        wants(
            conn,
            user_id,
            org_id,
            category,
            channel,
            channel.builtin_default(category),
        )
    })
}

/// The org's defaults for people who have not chosen.
pub fn org_defaults(conn: &Connection, org_id: &str) -> Result<Vec<PrefRow>, AppError> {
    grid(|category, channel| {
        Ok(org_default(conn, org_id, category, channel)?.unwrap_or(channel.builtin_default(category)))
    })
}

fn grid(mut value: impl FnMut(Category, Channel) -> Result<bool, AppError>) -> Result<Vec<PrefRow>, AppError> {
    Category::ALL
        .into_iter()
        .map(|category| {
            let cells = Channel::ALL
                .into_iter()
                .map(|ch| Ok((ch, value(category, ch)?)))
                .collect::<Result<_, AppError>>()?;
            Ok(PrefRow {
                category: category.key(),
                cells,
            })
        })
        .collect()
}

/// Checks a `category → channel → on` map from the API; the error names the field.
pub fn parse_grid(body: &HashMap<String, HashMap<String, bool>>) -> Result<HashMap<String, bool>, AppError> {
    let mut on = HashMap::new();
    for (category, channels) in body {
        if Category::parse(category).is_none() {
            return Err(AppError::invalid(
                &format!("categories.{category}"),
                "notifications.error.category",
            ));
        }
        for (channel, enabled) in channels {
            if Channel::parse(channel).is_none() {
                return Err(AppError::invalid(
                    &format!("categories.{category}.{channel}"),
                    "notifications.error.channel",
                ));
            }
            on.insert(format!("{category}.{channel}"), *enabled);
        }
    }
    Ok(on)
}

/// Fills the cells `on` ("category.channel") does not name from `current`.
pub fn complete(on: &mut HashMap<String, bool>, current: &[PrefRow]) {
    for r in current {
        for (ch, v) in &r.cells {
            on.entry(format!("{}.{}", r.category, ch.key())).or_insert(*v);
        }
    }
}

/// Grid as JSON: `{"team": {"in_app": true, "email": true, "push": true}, …}`.
pub fn grid_json(rows: &[PrefRow]) -> serde_json::Value {
    rows.iter()
        .map(|r| {
            let cells: serde_json::Map<String, serde_json::Value> = r
                .cells
                .iter()
                .map(|(c, on)| (c.key().to_string(), (*on).into()))
                .collect();
            (r.category.to_string(), serde_json::Value::Object(cells))
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// Each cell of the grid with its value in `enabled` ("category.channel" → on; absent = off).
fn cells(enabled: &HashMap<String, bool>) -> impl Iterator<Item = (Category, Channel, bool)> + '_ {
    Category::ALL.into_iter().flat_map(move |c| {
        Channel::ALL.into_iter().map(move |ch| {
            (
                c,
                ch,
                enabled
                    .get(&format!("{}.{}", c.key(), ch.key()))
                    .copied()
                    .unwrap_or(false),
            )
        })
    })
}

/// Saves a person's grid from `enabled` ("category.channel" → on; absent = off).
/// Whose mail an unsubscribe link (by its token's hash) is for: (user, org, category).
pub fn unsubscribe_link(conn: &Connection, token_hash: &str) -> Result<Option<(String, String, String)>, AppError> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row(
            "SELECT user_id, org_id, category FROM unsubscribe_tokens WHERE token_hash = ?1",
            [token_hash],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?)
}

/// Turns one category's email off for a person, from an unsubscribe link (audited).
pub fn unsubscribe(tx: &Tx, user_id: &str, org_id: &str, category: &str) -> Result<(), AppError> {
    tx.execute(
        "INSERT INTO notification_prefs (user_id, org_id, category, channel, enabled) VALUES (?1, ?2, ?3, 'email', 0)
         ON CONFLICT (user_id, org_id, category, channel) DO UPDATE SET enabled = 0",
        (user_id, org_id, category),
    )?;
    let meta = serde_json::json!({ "category": category, "channel": "email", "via": "unsubscribe link" });
    crate::audit::record(tx, "notifications.unsubscribed", Some(("user", user_id)), meta)
}

pub fn save_preferences(tx: &Tx, user_id: &str, org_id: &str, enabled: &HashMap<String, bool>) -> Result<(), AppError> {
    for (c, ch, on) in cells(enabled) {
        tx.execute(
            "INSERT INTO notification_prefs (user_id, org_id, category, channel, enabled) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (user_id, org_id, category, channel) DO UPDATE SET enabled = excluded.enabled",
            rusqlite::params![user_id, org_id, c.key(), ch.key(), on],
        )?;
    }
    Ok(())
}

/// Saves the org's defaults from `enabled` ("category.channel" → on; absent = off).
pub fn save_org_defaults(tx: &Tx, org_id: &str, enabled: &HashMap<String, bool>) -> Result<(), AppError> {
    for (c, ch, on) in cells(enabled) {
        tx.execute(
            "INSERT INTO org_notification_defaults (org_id, category, channel, enabled) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (org_id, category, channel) DO UPDATE SET enabled = excluded.enabled",
            rusqlite::params![org_id, c.key(), ch.key(), on],
        )?;
    }
    Ok(())
}
