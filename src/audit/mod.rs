//! The audit log: every state change of every feature records one row, in
//! the transaction of the change, with [`record`]. Who did it ([`Actor`]),
//! from where (IP, user agent), what (`action` such as `member.invited`),
//! to what (target), and any detail as JSON.

mod api;
mod pages;
pub mod words;

/// The audit log page, its export and its API.
pub fn routes() -> Vec<rocket::Route> {
    let mut all = pages::routes();
    all.extend(api::routes());
    all
}

use crate::db::Tx;
use crate::db::ids::new_id;
use crate::error::AppError;
use serde::Serialize;

pub use crate::db::{Actor, AuditCtx};

impl AuditCtx {
    /// A change made by `user` from a request with this IP and user agent.
    pub fn by_user(
        user: &crate::auth::User,
        org_id: Option<String>,
        ip: Option<String>,
        user_agent: Option<String>,
        now: i64,
    ) -> AuditCtx {
        AuditCtx {
            org_id,
            actor: Actor::User {
                id: user.id.to_string(),
                label: user.email.clone(),
            },
            ip,
            user_agent,
            now,
        }
    }
}

/// Records one audit row for the change `tx` makes, by its origin (actor,
/// org, time): `record(tx, "member.invited", Some(("invitation", &id)), json!({...}))`.
pub fn record(
    tx: &Tx,
    action: &str,
    target: Option<(&str, &str)>,
    metadata: serde_json::Value,
) -> Result<(), AppError> {
    let org_id = tx.origin().org_id.clone();
    write_row(tx, org_id.as_deref(), action, target, metadata)
}

/// [`record`] in the org `org_id` (e.g. the org the change just created or joined).
pub fn record_in(
    tx: &Tx,
    org_id: &str,
    action: &str,
    target: Option<(&str, &str)>,
    metadata: serde_json::Value,
) -> Result<(), AppError> {
    write_row(tx, Some(org_id), action, target, metadata)
}

fn write_row(
    tx: &Tx,
    org_id: Option<&str>,
    action: &str,
    target: Option<(&str, &str)>,
    metadata: serde_json::Value,
) -> Result<(), AppError> {
    let origin = tx.origin();
    let (actor_type, actor_id, actor_label) = origin.actor.parts();
    tx.prepare_cached(
        "INSERT INTO audit_log (id, org_id, occurred_at, actor_type, actor_id, actor_label, action, target_type, target_id, ip, user_agent, metadata)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(rusqlite::params![
        new_id("aud"),
        org_id,
        origin.now,
        actor_type,
        actor_id,
        actor_label,
        action,
        target.map(|t| t.0),
        target.map(|t| t.1),
        origin.ip,
        origin.user_agent,
        metadata.to_string(),
    ])?;
    Ok(())
}

/// One audit row as shown and exported.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: String,
    pub occurred_at: i64,
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub actor_label: String,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub metadata: serde_json::Value,
}

/// Filters of the audit log; all optional.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Rows strictly older than this id (the cursor).
    pub before: Option<String>,
}

/// The org's audit rows matching `filter`, newest first, at most `limit`.
pub fn list(
    conn: &rusqlite::Connection,
    org_id: &str,
    filter: &AuditFilter,
    limit: i64,
) -> Result<Vec<AuditEntry>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, occurred_at, actor_type, actor_id, actor_label, action, target_type, target_id, ip, user_agent, metadata
         FROM audit_log
         WHERE org_id = ?1
           AND (?2 IS NULL OR actor_id = ?2 OR actor_label = ?2)
           AND (?3 IS NULL OR action = ?3 OR action LIKE ?3 || '.%')
           AND (?4 IS NULL OR occurred_at >= ?4)
           AND (?5 IS NULL OR occurred_at < ?5)
           AND (?6 IS NULL OR id < ?6)
         ORDER BY id DESC LIMIT ?7",
    )?;
    let rows = stmt.query_map(
        rusqlite::params![
            org_id,
            filter.actor,
            filter.action,
            filter.from,
            filter.to,
            filter.before,
            limit
        ],
        |r| {
            Ok(AuditEntry {
                id: r.get(0)?,
                occurred_at: r.get(1)?,
                actor_type: r.get(2)?,
                actor_id: r.get(3)?,
                actor_label: r.get(4)?,
                action: r.get(5)?,
                target_type: r.get(6)?,
                target_id: r.get(7)?,
                ip: r.get(8)?,
                user_agent: r.get(9)?,
                metadata: serde_json::from_str(&r.get::<_, String>(10)?).unwrap_or_default(),
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The audit log's scheduled job: rows older than their org's retention
/// (`orgs.audit_retention_days`, 365 for instance-level rows) are deleted.
pub fn jobs() -> Vec<crate::jobs::JobDef> {
    vec![crate::jobs::JobDef::new(
        "audit.purge",
        "0 30 3 * * *",
        |ctx| async move {
            let now = ctx.clock.now();
            let removed = ctx
                .db
                .write(move |tx| {
                    Ok(tx.execute(
                        "DELETE FROM audit_log WHERE occurred_at < ?1 - 86400 * coalesce(
                       (SELECT audit_retention_days FROM orgs WHERE orgs.id = audit_log.org_id), 365)",
                        [now],
                    )?)
                })
                .await?;
            Ok(format!("removed {removed} audit rows past retention"))
        },
    )]
}
