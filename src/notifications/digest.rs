//! Digests and retention, as scheduled jobs: people who chose a daily or
//! weekly digest get one mail listing their unread non-critical
//! notifications (instead of one mail each), and read notifications older
//! than `notification_retention_days` (config, 90 by default) are deleted.

use super::{KINDS, texts};
use crate::db::Tx;
use crate::error::AppError;
use crate::jobs::JobDef;
use crate::mail::{Action, action_mail};
use crate::web::i18n::Lang;
use rusqlite::{Connection, OptionalExtension};

/// How often a person wants their digest (`off` = one mail per notification).
pub fn frequency(conn: &Connection, user_id: &str, org_id: &str) -> Result<String, AppError> {
    Ok(conn
        .query_row(
            "SELECT frequency FROM notification_digests WHERE user_id = ?1 AND org_id = ?2",
            (user_id, org_id),
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_else(|| "off".to_string()))
}

pub fn set_frequency(tx: &Tx, user_id: &str, org_id: &str, frequency: &str) -> Result<(), AppError> {
    if !["off", "daily", "weekly"].contains(&frequency) {
        return Err(AppError::invalid("digest", "notifications.error.digest"));
    }
    tx.execute(
        "INSERT INTO notification_digests (user_id, org_id, frequency) VALUES (?1, ?2, ?3)
         ON CONFLICT (user_id, org_id) DO UPDATE SET frequency = excluded.frequency",
        (user_id, org_id, frequency),
    )?;
    Ok(())
}

/// Sends the digests that are due; returns how many mails were queued.
fn send_due(tx: &Tx, now: i64, base_url: &reqwest::Url) -> Result<usize, AppError> {
    let due: Vec<(String, String, String, i64)> = {
        let mut stmt = tx.prepare_cached(
            "SELECT d.user_id, d.org_id, d.frequency, coalesce(d.last_sent_at, -1) FROM notification_digests d
             WHERE (d.frequency = 'daily' AND coalesce(d.last_sent_at, 0) <= ?1 - 43200)
                OR (d.frequency = 'weekly' AND coalesce(d.last_sent_at, 0) <= ?1 - 561600)",
        )?;
        let rows = stmt.query_map([now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let critical: Vec<&str> = KINDS.iter().filter(|k| k.critical).map(|k| k.key).collect();
    let mut sent = 0;
    for (user_id, org_id, frequency, since) in due {
        let Some(user) = crate::auth::find_by_id(tx, &user_id)? else {
            continue;
        };
        let items: Vec<(String, serde_json::Value)> = {
            let mut stmt = tx.prepare_cached(
                "SELECT kind, data FROM notifications WHERE user_id = ?1 AND org_id = ?2 AND read_at IS NULL
                   AND archived_at IS NULL AND created_at > ?3 ORDER BY id",
            )?;
            let rows = stmt.query_map((&user_id, &org_id, since), |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    serde_json::from_str(&r.get::<_, String>(1)?).unwrap_or_default(),
                ))
            })?;
            rows.collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .filter(|(k, _)| !critical.contains(&k.as_str()))
                .collect()
        };
        tx.execute(
            "UPDATE notification_digests SET last_sent_at = ?3 WHERE user_id = ?1 AND org_id = ?2",
            (&user_id, &org_id, now),
        )?;
        if items.is_empty() {
            continue;
        }
        let lang = user.language.as_deref().and_then(Lang::parse).unwrap_or_default();
        let org_name: String = tx.query_row("SELECT name FROM orgs WHERE id = ?1", [&org_id], |r| r.get(0))?;
        let lines: Vec<String> = items
            .iter()
            .map(|(k, d)| format!("• {}", texts(lang, k, d).0))
            .collect();
        let count = items.len().to_string();
        let mail = action_mail(
            &user.email,
            lang,
            Action {
                subject: lang.tf(
                    &format!("notifications.digest.subject_{frequency}"),
                    &[("org", &org_name), ("count", &count)],
                ),
                greeting: lang.tf("mail.greeting", &[("name", &user.name)]),
                body: format!(
                    "{}\n\n{}",
                    lang.tf("notifications.digest.body", &[("count", &count), ("org", &org_name)]),
                    lines.join("\n")
                ),
                action_label: lang.t("notifications.mail.open"),
                action_url: format!(
                    "{}/dashboard/notifications?unread=true",
                    base_url.as_str().trim_end_matches('/')
                ),
                note: lang.tf("notifications.mail.why", &[("org", &org_name)]),
            },
        )?;
        crate::mail::queue(tx, Some(&org_id), &mail)?;
        sent += 1;
    }
    Ok(sent)
}

/// The jobs of notifications: digests (hourly check) and retention (nightly).
pub fn jobs(base_url: reqwest::Url, retention_days: u32) -> Vec<JobDef> {
    let retention_days = i64::from(retention_days);
    vec![
        JobDef::new("notifications.digest", "0 0 7 * * *", move |ctx| {
            let base = base_url.clone();
            async move {
                let now = ctx.clock.now();
                let sent = ctx.db.write(move |tx| send_due(tx, now, &base)).await?;
                Ok(format!("sent {sent} digests"))
            }
        }),
        JobDef::new("notifications.purge", "0 10 4 * * *", move |ctx| async move {
            let now = ctx.clock.now();
            let removed = ctx
                .db
                .write(move |tx| {
                    // Unsubscribe links of mails older than a year stop working.
                    tx.execute(
                        "DELETE FROM unsubscribe_tokens WHERE created_at < ?1",
                        [now - 365 * 86_400],
                    )?;
                    Ok(tx.execute(
                        "DELETE FROM notifications WHERE read_at IS NOT NULL AND read_at < ?1",
                        [now - retention_days * 86_400],
                    )?)
                })
                .await?;
            Ok(format!(
                "removed {removed} read notifications older than {retention_days} days"
            ))
        }),
    ]
}
