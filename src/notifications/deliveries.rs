//! The delivery history of an org's notifications (the domain of
//! `history.rs`): each notification with its recipient and the state of its
//! mail and web-push deliveries in the outbox, newest first, paged by id.

use crate::db::Tx;
use crate::error::AppError;
use rusqlite::Connection;
use std::collections::HashMap;

/// Where one outbox delivery stands.
pub struct DeliveryState {
    pub outbox_id: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// One notification and its deliveries.
pub struct Delivered {
    pub id: String,
    pub created_at: i64,
    pub recipient: String,
    pub kind: String,
    pub data: serde_json::Value,
    pub in_app: bool,
    pub read: bool,
    pub mail: Option<DeliveryState>,
    /// One per browser the person had subscribed.
    pub push: Vec<DeliveryState>,
}

/// At most `limit` of the org's notifications older than the id `before`,
/// newest first, each with its deliveries.
pub fn history(conn: &Connection, org_id: &str, before: Option<&str>, limit: i64) -> Result<Vec<Delivered>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT n.id, n.created_at, u.email, n.kind, n.data, n.in_app, n.read_at IS NOT NULL, o.id, o.status, o.attempts, o.last_error
         FROM notifications n JOIN users u ON u.id = n.user_id
         LEFT JOIN notification_deliveries d ON d.notification_id = n.id AND d.channel = 'email'
         LEFT JOIN outbox o ON o.id = d.outbox_id
         WHERE n.org_id = ?1 AND (?2 IS NULL OR n.id < ?2) ORDER BY n.id DESC LIMIT ?3",
    )?;
    let rows = stmt.query_map(rusqlite::params![org_id, before, limit], |r| {
        let data: String = r.get("data")?;
        let mail = r.get::<_, Option<String>>(7)?.map(|outbox_id| -> rusqlite::Result<_> {
            Ok(DeliveryState {
                outbox_id,
                status: r.get(8)?,
                attempts: r.get(9)?,
                last_error: r.get(10)?,
            })
        });
        Ok(Delivered {
            id: r.get("id")?,
            created_at: r.get("created_at")?,
            recipient: r.get("email")?,
            kind: r.get("kind")?,
            data: serde_json::from_str(&data).unwrap_or_default(),
            in_app: r.get("in_app")?,
            read: r.get(6)?,
            mail: mail.transpose()?,
            push: vec![],
        })
    })?;
    let mut rows = rows.collect::<Result<Vec<_>, _>>()?;
    let mut push = push_deliveries(conn, org_id, before, limit)?;
    for row in &mut rows {
        row.push = push.remove(&row.id).unwrap_or_default();
    }
    Ok(rows)
}

/// The web-push deliveries of the same page of notifications, by notification.
fn push_deliveries(
    conn: &Connection,
    org_id: &str,
    before: Option<&str>,
    limit: i64,
) -> Result<HashMap<String, Vec<DeliveryState>>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT d.notification_id, o.id, o.status, o.attempts, o.last_error
         FROM notification_deliveries d JOIN outbox o ON o.id = d.outbox_id
         WHERE d.channel = 'push' AND d.notification_id IN
           (SELECT id FROM notifications WHERE org_id = ?1 AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3)
         ORDER BY o.id",
    )?;
    let mut push: HashMap<String, Vec<DeliveryState>> = HashMap::new();
    let rows = stmt.query_map(rusqlite::params![org_id, before, limit], |r| {
        Ok((
            r.get::<_, String>(0)?,
            DeliveryState {
                outbox_id: r.get(1)?,
                status: r.get(2)?,
                attempts: r.get(3)?,
                last_error: r.get(4)?,
            },
        ))
    })?;
    for row in rows {
        let (id, state) = row?;
        push.entry(id).or_default().push(state);
    }
    Ok(push)
}

/// Puts one of the org's dead deliveries back in the queue (audited);
/// another org's, or one not dead, is not found.
pub fn replay(tx: &Tx, org_id: &str, outbox_id: &str) -> Result<(), AppError> {
    let ours: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE id = ?1 AND org_id = ?2)",
        (outbox_id, org_id),
        |r| r.get(0),
    )?;
    if !ours || !crate::jobs::outbox::replay(tx, outbox_id)? {
        return Err(AppError::NotFound);
    }
    crate::audit::record(
        tx,
        "outbox.replayed",
        Some(("outbox", outbox_id)),
        serde_json::json!({}),
    )
}
