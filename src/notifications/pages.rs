//! The inbox (`/dashboard/notifications`: filters, mark read, mark all
//! read), the preferences (`/dashboard/settings/notifications`: category ×
//! channel, digest, web push on this browser) and the org's defaults
//! (`/dashboard/settings/notifications/defaults`, for org admins).

use super::prefs::{Channel, PrefRow, org_defaults, preferences, save_org_defaults, save_preferences};
use super::{Category, InboxFilter, Notification, archive, inbox, mark_read, texts};
use crate::db::time::SharedClock;
use crate::error::AppError;
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};
use crate::web::api::ListResponse;
use crate::web::app::App;
use crate::web::page::{Html, PageCtx};
use crate::web::shell::Shell;
use crate::web::when::When;
use askama::Template;
use rocket::State;
use rocket::form::Form;
use rocket::response::{Flash, Redirect};
use std::collections::HashMap;

/// A notification as the page shows it.
pub struct NotificationView {
    pub n: Notification,
    pub title: String,
    pub body: String,
    pub at: When,
}

#[derive(Template)]
#[template(path = "notifications/inbox.html")]
struct InboxPage {
    ctx: PageCtx,
    shell: Shell,
    items: Vec<NotificationView>,
    unread_only: bool,
    category: String,
    categories: [Category; 7],
    /// The link to older notifications, if there are more.
    older: Option<String>,
}

/// Notifications shown per page.
const PAGE_SIZE: i64 = 50;

#[rocket::get("/dashboard/notifications?<unread>&<category>&<before>")]
async fn list(
    ctx: PageCtx,
    member: Member,
    unread: Option<bool>,
    category: Option<&str>,
    before: Option<String>,
    app: App<'_>,
    time: &State<SharedClock>,
) -> Result<Html<InboxPage>, AppError> {
    let category = category.and_then(Category::parse);
    let unread_only = unread.unwrap_or(false);
    let filter = InboxFilter {
        unread_only,
        category: category.map(|c| c.key()),
        before,
    };
    let (org_id, user_id) = (member.org.id.clone(), member.user.id.clone());
    let rows = app
        .db
        .read(move |c| inbox(c, &org_id, &user_id, &filter, PAGE_SIZE + 1))
        .await?;
    let page = ListResponse::from_rows(rows, PAGE_SIZE, |n| n.id.clone());
    let older = page.next_cursor.map(|id| {
        format!(
            "/dashboard/notifications?unread={unread_only}&category={}&before={id}",
            category.map(|c| c.key()).unwrap_or("")
        )
    });
    let rows = page.data;
    let clock = member.clockface(ctx.lang, time.now());
    let items = rows
        .into_iter()
        .map(|n| {
            let (title, body) = texts(ctx.lang, &n.kind, &n.data);
            NotificationView {
                at: clock.when(n.created_at),
                title,
                body,
                n,
            }
        })
        .collect();
    Ok(Html(InboxPage {
        ctx,
        shell: Shell::new(&member, "notifications"),
        items,
        unread_only,
        category: category.map(|c| c.key().to_string()).unwrap_or_default(),
        categories: Category::ALL,
        older,
    }))
}

#[rocket::post("/dashboard/notifications/<id>/read")]
async fn read_one(member: Member, id: &str, app: App<'_>) -> Result<Redirect, AppError> {
    let (org_id, user_id, key) = (member.org.id.clone(), member.user.id.clone(), id.to_string());
    let link = app
        .db
        .write(move |tx| super::read_one(tx, &org_id, &user_id, &key))
        .await?;
    // Reading a notification opens what it is about.
    Ok(Redirect::to(crate::web::safe_next(
        link.as_deref().or(Some("/dashboard/notifications")),
    )))
}

#[rocket::post("/dashboard/notifications/<id>/archive")]
async fn archive_one(ctx: PageCtx, member: Member, id: &str, app: App<'_>) -> Result<Flash<Redirect>, AppError> {
    let (org_id, user_id, key) = (member.org.id.clone(), member.user.id.clone(), id.to_string());
    if !app.db.write(move |tx| archive(tx, &org_id, &user_id, &key)).await? {
        return Err(AppError::NotFound);
    }
    Ok(Flash::success(
        Redirect::to("/dashboard/notifications"),
        ctx.t("notifications.archived"),
    ))
}

#[rocket::post("/dashboard/notifications/read-all")]
async fn read_all(ctx: PageCtx, member: Member, app: App<'_>) -> Result<Flash<Redirect>, AppError> {
    let (org_id, user_id) = (member.org.id.clone(), member.user.id.clone());
    app.db.write(move |tx| mark_read(tx, &org_id, &user_id, None)).await?;
    Ok(Flash::success(
        Redirect::to("/dashboard/notifications"),
        ctx.t("notifications.all_read"),
    ))
}

#[derive(Template)]
#[template(path = "notifications/preferences.html")]
struct PrefsPage {
    ctx: PageCtx,
    shell: Shell,
    rows: Vec<PrefRow>,
    channels: [Channel; 3],
    digest: String,
    push_enabled: bool,
    push_devices: String,
    can_set_defaults: bool,
}

#[rocket::get("/dashboard/settings/notifications")]
async fn prefs(ctx: PageCtx, member: Member, app: App<'_>) -> Result<Html<PrefsPage>, AppError> {
    let (user_id, org_id) = (member.user.id.clone(), member.org.id.clone());
    let (rows, digest, push_devices) = app
        .db
        .read(move |c| {
            Ok((
                preferences(c, &user_id, &org_id)?,
                super::digest::frequency(c, &user_id, &org_id)?,
                super::push::subscriptions_of(c, &user_id)?.len(),
            ))
        })
        .await?;
    let push_devices = ctx
        .lang
        .tf("notifications.push.devices", &[("count", &push_devices.to_string())]);
    Ok(Html(PrefsPage {
        ctx,
        shell: Shell::new(&member, "notifications"),
        rows,
        channels: Channel::ALL,
        digest,
        push_enabled: app.config.vapid.is_some(),
        push_devices,
        can_set_defaults: member.can(Area::Settings, Level::Manage),
    }))
}

#[derive(rocket::FromForm)]
struct PrefsForm {
    on: HashMap<String, bool>,
    #[field(default = String::from("off"))]
    digest: String,
}

#[rocket::post("/dashboard/settings/notifications", data = "<form>")]
async fn save_prefs(
    ctx: PageCtx,
    member: Member,
    form: Form<PrefsForm>,
    app: App<'_>,
) -> Result<Flash<Redirect>, AppError> {
    let now = app.now();
    let (audit, user_id, org_id) = (member.audit(now), member.user.id.clone(), member.org.id.clone());
    let PrefsForm { on, digest } = form.into_inner();
    app.write(audit, move |tx| {
        save_preferences(tx, &user_id, &org_id, &on)?;
        super::digest::set_frequency(tx, &user_id, &org_id, &digest)?;
        let meta = serde_json::json!({ "channels": on, "digest": digest });
        crate::audit::record(tx, "notifications.preferences_changed", Some(("user", &user_id)), meta)
    })
    .await?;
    Ok(Flash::success(
        Redirect::to("/dashboard/settings/notifications"),
        ctx.t("notifications.prefs_saved"),
    ))
}

#[derive(Template)]
#[template(path = "notifications/org_defaults.html")]
struct DefaultsPage {
    ctx: PageCtx,
    shell: Shell,
    rows: Vec<PrefRow>,
    channels: [Channel; 3],
    push_enabled: bool,
}

#[rocket::get("/dashboard/settings/notifications/defaults")]
async fn defaults(ctx: PageCtx, member: Member, app: App<'_>) -> Result<Html<DefaultsPage>, AppError> {
    member.require(Area::Settings, Level::Manage)?;
    let org_id = member.org.id.clone();
    let rows = app.db.read(move |c| org_defaults(c, &org_id)).await?;
    Ok(Html(DefaultsPage {
        ctx,
        shell: Shell::new(&member, "settings"),
        rows,
        channels: Channel::ALL,
        push_enabled: app.config.vapid.is_some(),
    }))
}

#[derive(rocket::FromForm)]
struct DefaultsForm {
    on: HashMap<String, bool>,
}

#[rocket::post("/dashboard/settings/notifications/defaults", data = "<form>")]
async fn save_defaults(
    ctx: PageCtx,
    member: Member,
    form: Form<DefaultsForm>,
    app: App<'_>,
) -> Result<Flash<Redirect>, AppError> {
    member.require(Area::Settings, Level::Manage)?;
    let (audit, org_id, on) = (member.audit(app.now()), member.org.id.clone(), form.into_inner().on);
    app.write(audit, move |tx| {
        save_org_defaults(tx, &org_id, &on)?;
        crate::audit::record(
            tx,
            "notifications.org_defaults_changed",
            None,
            serde_json::json!({ "channels": on }),
        )
    })
    .await?;
    Ok(Flash::success(
        Redirect::to("/dashboard/settings/notifications/defaults"),
        ctx.t("notifications.defaults.saved"),
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        list,
        read_one,
        archive_one,
        read_all,
        prefs,
        save_prefs,
        defaults,
        save_defaults
    ]
}
