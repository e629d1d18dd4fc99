//! The inbox (`/dashboard/notifications`: filters, mark read, mark all
//! read) and the preferences (`/dashboard/settings/notifications`:
//! category × channel).

use super::{Category, Notification, inbox, mark_read, texts};
use crate::dashboard::Shell;
use crate::db::Db;
use crate::db::time::{SharedClock, rfc3339};
use crate::orgs::Member;
use crate::web::error::AppError;
use crate::web::page::{Html, PageCtx};
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
    pub at: String,
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
}

#[rocket::get("/dashboard/notifications?<unread>&<category>")]
async fn list(
    ctx: PageCtx,
    member: Member,
    unread: Option<bool>,
    category: Option<&str>,
    db: &State<Db>,
) -> Result<Html<InboxPage>, AppError> {
    let category = category.and_then(Category::parse);
    let (org_id, user_id, unread_only) = (member.org.id.clone(), member.user.id.clone(), unread.unwrap_or(false));
    let rows = db
        .read(move |c| inbox(c, &org_id, &user_id, unread_only, category.map(|c| c.key()), 100))
        .await?;
    let items = rows
        .into_iter()
        .map(|n| {
            let (title, body) = texts(ctx.lang, &n.kind, &n.data);
            NotificationView {
                at: rfc3339(n.created_at),
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
    }))
}

#[rocket::post("/dashboard/notifications/<id>/read")]
async fn read_one(member: Member, id: &str, db: &State<Db>, clock: &State<SharedClock>) -> Result<Redirect, AppError> {
    let (org_id, user_id, key, now) = (
        member.org.id.clone(),
        member.user.id.clone(),
        id.to_string(),
        clock.now(),
    );
    let link: Option<String> = db
        .write(move |tx| {
            mark_read(tx, &org_id, &user_id, Some(&key), now)?;
            use rusqlite::OptionalExtension;
            Ok(tx
                .query_row(
                    "SELECT link FROM notifications WHERE id = ?1 AND org_id = ?2 AND user_id = ?3",
                    (&key, &org_id, &user_id),
                    |r| r.get::<_, Option<String>>(0),
                )
                .optional()?)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    // Reading a notification opens what it is about.
    Ok(Redirect::to(crate::web::safe_next(
        link.as_deref().or(Some("/dashboard/notifications")),
    )))
}

#[rocket::post("/dashboard/notifications/read-all")]
async fn read_all(
    ctx: PageCtx,
    member: Member,
    db: &State<Db>,
    clock: &State<SharedClock>,
) -> Result<Flash<Redirect>, AppError> {
    let (org_id, user_id, now) = (member.org.id.clone(), member.user.id.clone(), clock.now());
    db.write(move |tx| mark_read(tx, &org_id, &user_id, None, now)).await?;
    Ok(Flash::success(
        Redirect::to("/dashboard/notifications"),
        ctx.t("notifications.all_read"),
    ))
}

/// One row of the preferences grid.
pub struct PrefRow {
    pub category: &'static str,
    pub in_app: bool,
    pub email: bool,
}

#[derive(Template)]
#[template(path = "notifications/preferences.html")]
struct PrefsPage {
    ctx: PageCtx,
    shell: Shell,
    rows: Vec<PrefRow>,
    digest: String,
}

/// The person's preferences: for each category, in-app and email on or off.
pub fn preferences(conn: &rusqlite::Connection, user_id: &str, org_id: &str) -> Result<Vec<PrefRow>, AppError> {
    Category::ALL
        .into_iter()
        .map(|c| {
            let email_default =
                super::KINDS.iter().any(|k| k.category == c && k.email_by_default) || c == Category::Security;
            Ok(PrefRow {
                category: c.key(),
                in_app: super::wants(conn, user_id, org_id, c, "in_app", true)?,
                email: super::wants(conn, user_id, org_id, c, "email", email_default)?,
            })
        })
        .collect()
}

/// Saves the preferences from `enabled` ("category.channel" → on).
pub fn save_preferences(
    tx: &rusqlite::Transaction,
    user_id: &str,
    org_id: &str,
    enabled: &HashMap<String, bool>,
) -> Result<(), AppError> {
    for c in Category::ALL {
        for channel in ["in_app", "email"] {
            let on = enabled.get(&format!("{}.{channel}", c.key())).copied().unwrap_or(false);
            tx.execute(
                "INSERT INTO notification_prefs (user_id, org_id, category, channel, enabled) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (user_id, org_id, category, channel) DO UPDATE SET enabled = excluded.enabled",
                rusqlite::params![user_id, org_id, c.key(), channel, on],
            )?;
        }
    }
    Ok(())
}

#[rocket::get("/dashboard/settings/notifications")]
async fn prefs(ctx: PageCtx, member: Member, db: &State<Db>) -> Result<Html<PrefsPage>, AppError> {
    let (user_id, org_id) = (member.user.id.clone(), member.org.id.clone());
    let (rows, digest) = db
        .read(move |c| {
            Ok((
                preferences(c, &user_id, &org_id)?,
                super::digest::frequency(c, &user_id, &org_id)?,
            ))
        })
        .await?;
    Ok(Html(PrefsPage {
        ctx,
        shell: Shell::new(&member, "notifications"),
        rows,
        digest,
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
    db: &State<Db>,
    clock: &State<SharedClock>,
) -> Result<Flash<Redirect>, AppError> {
    let now = clock.now();
    let (audit, user_id, org_id) = (member.audit(now), member.user.id.clone(), member.org.id.clone());
    let PrefsForm { on, digest } = form.into_inner();
    db.write(move |tx| {
        save_preferences(tx, &user_id, &org_id, &on)?;
        super::digest::set_frequency(tx, &user_id, &org_id, &digest)?;
        let meta = serde_json::json!({ "channels": on, "digest": digest });
        crate::audit::record(
            tx,
            &audit,
            "notifications.preferences_changed",
            Some(("user", &user_id)),
            meta,
        )
    })
    .await?;
    Ok(Flash::success(
        Redirect::to("/dashboard/settings/notifications"),
        ctx.t("notifications.prefs_saved"),
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![list, read_one, read_all, prefs, save_prefs]
}
