//! The delivery history of an organisation's notifications, for its admins
//! (`settings:manage`): who was told what, in the app, by mail and by web
//! push, with each delivery's state (waiting, sent, dead with its last
//! error, attempts); dead deliveries can be replayed.

use super::texts;
use crate::db::time::SharedClock;
use crate::error::AppError;
use crate::jobs::outbox::{self};
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};
use crate::web::app::App;
use crate::web::page::{Html, PageCtx};
use crate::web::shell::Shell;
use crate::web::when::When;
use askama::Template;
use rocket::State;
use rocket::response::{Flash, Redirect};
use std::collections::HashMap;

/// One notification and its deliveries.
pub struct HistoryRow {
    pub at: When,
    pub recipient: String,
    pub title: String,
    pub in_app: bool,
    pub read: bool,
    pub mail: Option<DeliveryState>,
    /// One per browser the person had subscribed.
    pub push: Vec<DeliveryState>,
}

/// Where one outbox delivery stands.
pub struct DeliveryState {
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
    /// The link to older notifications, if there are more.
    older: Option<String>,
}

/// Notifications shown per page.
const PAGE_SIZE: i64 = 100;

#[rocket::get("/dashboard/notifications/history?<before>")]
async fn history(
    ctx: PageCtx,
    member: Member,
    before: Option<String>,
    app: App<'_>,
    time: &State<SharedClock>,
) -> Result<Html<HistoryPage>, AppError> {
    member.require(Area::Settings, Level::Manage)?;
    let org_id = member.org.id.clone();
    let raw = app.db.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT n.id, n.created_at, u.email, n.kind, n.data, n.in_app, n.read_at IS NOT NULL, o.id, o.status, o.attempts, o.last_error
                 FROM notifications n JOIN users u ON u.id = n.user_id
                 LEFT JOIN notification_deliveries d ON d.notification_id = n.id AND d.channel = 'email'
                 LEFT JOIN outbox o ON o.id = d.outbox_id
                 WHERE n.org_id = ?1 AND (?2 IS NULL OR n.id < ?2) ORDER BY n.id DESC LIMIT ?3",
            )?;
            let rows = stmt.query_map(rusqlite::params![&org_id, &before, PAGE_SIZE + 1], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    (
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, bool>(5)?,
                        r.get::<_, bool>(6)?,
                        r.get::<_, Option<String>>(7)?,
                        r.get::<_, Option<String>>(8)?,
                        r.get::<_, Option<i64>>(9)?,
                        r.get::<_, Option<String>>(10)?,
                    ),
                ))
            })?;
            let rows = rows.collect::<Result<Vec<_>, _>>()?;
            let mut stmt = c.prepare(
                "SELECT d.notification_id, o.id, o.status, o.attempts, o.last_error
                 FROM notification_deliveries d JOIN outbox o ON o.id = d.outbox_id
                 WHERE d.channel = 'push' AND d.notification_id IN
                   (SELECT id FROM notifications WHERE org_id = ?1 AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3)
                 ORDER BY o.id",
            )?;
            let mut push: HashMap<String, Vec<DeliveryState>> = HashMap::new();
            for row in stmt.query_map(rusqlite::params![&org_id, &before, PAGE_SIZE + 1], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    DeliveryState {
                        outbox_id: r.get(1)?,
                        status: r.get(2)?,
                        attempts: r.get(3)?,
                        last_error: r.get(4)?,
                    },
                ))
            })? {
                let (id, state) = row?;
                push.entry(id).or_default().push(state);
            }
            Ok((rows, push))
        })
        .await?;
    let (raw, mut push) = raw;
    let page = crate::web::api::ListResponse::from_rows(raw, PAGE_SIZE, |(id, _)| id.clone());
    let older = page
        .next_cursor
        .map(|id| format!("/dashboard/notifications/history?before={id}"));
    let raw = page.data;
    let clock = member.clockface(ctx.lang, time.now());
    let rows = raw
        .into_iter()
        .map(
            |(id, (at, recipient, kind, data, in_app, read, oid, status, attempts, last_error))| HistoryRow {
                push: push.remove(&id).unwrap_or_default(),
                at: clock.when(at),
                recipient,
                title: texts(ctx.lang, &kind, &serde_json::from_str(&data).unwrap_or_default()).0,
                in_app,
                read,
                mail: oid.map(|outbox_id| DeliveryState {
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
        older,
    }))
}

#[rocket::post("/dashboard/notifications/history/<outbox_id>/replay")]
async fn replay(ctx: PageCtx, member: Member, outbox_id: &str, app: App<'_>) -> Result<Flash<Redirect>, AppError> {
    member.require(Area::Settings, Level::Manage)?;
    let (audit, org_id, id) = (member.audit(app.now()), member.org.id.clone(), outbox_id.to_string());
    app.write(audit, move |tx| {
        // Only this org's own deliveries.
        let ours: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM outbox WHERE id = ?1 AND org_id = ?2)",
            (&id, &org_id),
            |r| r.get(0),
        )?;
        if !ours || !outbox::replay(tx, &id)? {
            return Err(AppError::NotFound);
        }
        crate::audit::record(tx, "outbox.replayed", Some(("outbox", &id)), serde_json::json!({}))
    })
    .await?;
    Ok(Flash::success(
        Redirect::to("/dashboard/notifications/history"),
        ctx.t("admin.outbox.replayed"),
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![history, replay]
}
