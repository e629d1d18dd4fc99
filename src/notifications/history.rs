//! The delivery history of an organisation's notifications, for its admins
//! (`settings:manage`): who was told what, in the app and by mail, with each
//! mail's state (waiting, sent, dead with its last error, attempts); dead
//! mails can be replayed.

use super::texts;
use crate::dashboard::Shell;
use crate::db::Db;
use crate::db::time::{SharedClock, rfc3339};
use crate::jobs::outbox::{self, Outbox};
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};
use crate::web::error::AppError;
use crate::web::page::{Html, PageCtx};
use askama::Template;
use rocket::State;
use rocket::response::{Flash, Redirect};
use std::sync::Arc;

/// One notification and its deliveries.
pub struct HistoryRow {
    pub at: String,
    pub recipient: String,
    pub title: String,
    pub in_app: bool,
    pub read: bool,
    pub mail: Option<MailState>,
}

pub struct MailState {
    pub outbox_id: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

#[derive(Template)]
#[template(path = "notifications/history.html")]
struct HistoryPage {
    ctx: PageCtx,
    shell: Shell,
    rows: Vec<HistoryRow>,
}

#[rocket::get("/dashboard/notifications/history")]
async fn history(ctx: PageCtx, member: Member, db: &State<Db>) -> Result<Html<HistoryPage>, AppError> {
    member.require(Area::Settings, Level::Manage)?;
    let org_id = member.org.id.clone();
    let raw = db
        .read(move |c| {
            let mut stmt = c.prepare(
                "SELECT n.created_at, u.email, n.kind, n.data, n.in_app, n.read_at IS NOT NULL, o.id, o.status, o.attempts, o.last_error
                 FROM notifications n JOIN users u ON u.id = n.user_id
                 LEFT JOIN notification_deliveries d ON d.notification_id = n.id AND d.channel = 'email'
                 LEFT JOIN outbox o ON o.id = d.outbox_id
                 WHERE n.org_id = ?1 ORDER BY n.id DESC LIMIT 200",
            )?;
            let rows = stmt.query_map([&org_id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, bool>(4)?,
                    r.get::<_, bool>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, Option<i64>>(8)?,
                    r.get::<_, Option<String>>(9)?,
                ))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await?;
    let rows = raw
        .into_iter()
        .map(
            |(at, recipient, kind, data, in_app, read, oid, status, attempts, last_error)| HistoryRow {
                at: rfc3339(at),
                recipient,
                title: texts(ctx.lang, &kind, &serde_json::from_str(&data).unwrap_or_default()).0,
                in_app,
                read,
                mail: oid.map(|outbox_id| MailState {
                    outbox_id,
                    status: status.unwrap_or_default(),
                    attempts: attempts.unwrap_or_default(),
                    last_error,
                }),
            },
        )
        .collect();
    Ok(Html(HistoryPage {
        ctx,
        shell: Shell::new(&member, "notifications"),
        rows,
    }))
}

#[rocket::post("/dashboard/notifications/history/<outbox_id>/replay")]
async fn replay(
    ctx: PageCtx,
    member: Member,
    outbox_id: &str,
    db: &State<Db>,
    clock: &State<SharedClock>,
    worker: &State<Arc<Outbox>>,
) -> Result<Flash<Redirect>, AppError> {
    member.require(Area::Settings, Level::Manage)?;
    let (audit, org_id, id, now) = (
        member.audit(clock.now()),
        member.org.id.clone(),
        outbox_id.to_string(),
        clock.now(),
    );
    db.write(move |tx| {
        // Only this org's own deliveries.
        let ours: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM outbox WHERE id = ?1 AND org_id = ?2)",
            (&id, &org_id),
            |r| r.get(0),
        )?;
        if !ours || !outbox::replay(tx, &id, now)? {
            return Err(AppError::NotFound);
        }
        crate::audit::record(
            tx,
            &audit,
            "outbox.replayed",
            Some(("outbox", &id)),
            serde_json::json!({}),
        )
    })
    .await?;
    worker.wake();
    Ok(Flash::success(
        Redirect::to("/dashboard/notifications/history"),
        ctx.t("admin.outbox.replayed"),
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![history, replay]
}
