//! The delivery history of an organisation's notifications, for its admins
//! (`settings:manage`): who was told what, in the app, by mail and by web
//! push, with each delivery's state (waiting, sent, dead with its last
//! error, attempts); dead deliveries can be replayed.

use super::deliveries::{self, DeliveryState};
use super::texts;
use crate::error::AppError;
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};
use crate::web::app::App;
use crate::web::page::{Html, PageCtx};
use crate::web::shell::Shell;
use crate::web::when::When;
use askama::Template;
use rocket::response::{Flash, Redirect};

/// One notification and its deliveries, as shown.
pub struct HistoryRow {
    pub at: When,
    pub recipient: String,
    pub title: String,
    pub in_app: bool,
    pub read: bool,
    pub mail: Option<DeliveryState>,
    pub push: Vec<DeliveryState>,
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
) -> Result<Html<HistoryPage>, AppError> {
    member.require(Area::Settings, Level::Manage)?;
    let org_id = member.org.id.clone();
    let found = app
        .db
        .read(move |c| deliveries::history(c, &org_id, before.as_deref(), PAGE_SIZE + 1))
        .await?;
    let page = crate::web::api::ListResponse::from_rows(found, PAGE_SIZE, |d| d.id.clone());
    let older = page
        .next_cursor
        .map(|id| format!("/dashboard/notifications/history?before={id}"));
    let clock = member.clockface(ctx.lang, app.now());
    let rows = page
        .data
        .into_iter()
        .map(|d| HistoryRow {
            at: clock.when(d.created_at),
            recipient: d.recipient,
            title: texts(ctx.lang, &d.kind, &d.data).0,
            in_app: d.in_app,
            read: d.read,
            mail: d.mail,
            push: d.push,
        })
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
    app.write(audit, move |tx| deliveries::replay(tx, &org_id, &id)).await?;
    Ok(Flash::success(
        Redirect::to("/dashboard/notifications/history"),
        ctx.t("admin.outbox.replayed"),
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![history, replay]
}
