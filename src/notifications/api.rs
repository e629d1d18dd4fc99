//! JSON API of notifications: the inbox, marking read, preferences.

use super::prefs::{complete, grid_json, org_defaults, parse_grid, preferences, save_org_defaults, save_preferences};
use super::{Category, InboxFilter, inbox, mark_read};
use crate::db::time::rfc3339;
use crate::error::AppError;
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};
use crate::web::api::{ApiJson, ListResponse, PageParams};
use crate::web::app::App;
use rocket::http::Status;
use rocket::serde::json::Json;
use serde_json::{Value, json};
use std::collections::HashMap;

#[rocket::get("/api/v1/notifications?<unread>&<category>&<page..>")]
async fn list(
    member: Member,
    unread: Option<bool>,
    category: Option<&str>,
    page: PageParams,
    app: App<'_>,
) -> Result<Json<Value>, AppError> {
    let category = match category {
        Some(c) => {
            Some(Category::parse(c).ok_or_else(|| AppError::invalid("category", "notifications.error.category"))?)
        }
        None => None,
    };
    let limit = page.limit()?;
    let filter = InboxFilter {
        unread_only: unread.unwrap_or(false),
        category: category.map(|c| c.key()),
        before: page.cursor.clone(),
    };
    let (org_id, user_id) = (member.org.id.clone(), member.user.id.clone());
    let rows = app
        .db
        .read(move |c| inbox(c, &org_id, &user_id, &filter, limit + 1))
        .await?;
    let rows = ListResponse::from_rows(rows, limit, |n| n.id.clone());
    let lang = member
        .user
        .language
        .as_deref()
        .and_then(crate::web::i18n::Lang::parse)
        .unwrap_or_default();
    let data: Vec<Value> = rows
        .data
        .iter()
        .map(|n| {
            let (title, body) = super::texts(lang, &n.kind, &n.data);
            json!({ "id": n.id, "kind": n.kind, "category": n.category, "title": title, "body": body, "data": n.data,
                    "link": n.link, "created_at": rfc3339(n.created_at), "read_at": n.read_at.map(rfc3339) })
        })
        .collect();
    Ok(Json(json!({ "data": data, "next_cursor": rows.next_cursor })))
}

#[rocket::post("/api/v1/notifications/<id>/read")]
async fn read_one(member: Member, id: &str, app: App<'_>) -> Result<Status, AppError> {
    let (org_id, user_id, key) = (member.org.id.clone(), member.user.id.clone(), id.to_string());
    app.db
        .write(move |tx| super::read_one(tx, &org_id, &user_id, &key))
        .await?;
    Ok(Status::NoContent)
}

#[rocket::post("/api/v1/notifications/<id>/archive")]
async fn archive_one(member: Member, id: &str, app: App<'_>) -> Result<Status, AppError> {
    let (org_id, user_id, key) = (member.org.id.clone(), member.user.id.clone(), id.to_string());
    if app
        .db
        .write(move |tx| super::archive(tx, &org_id, &user_id, &key))
        .await?
    {
        Ok(Status::NoContent)
    } else {
        Err(AppError::NotFound)
    }
}

#[rocket::post("/api/v1/notifications/read-all")]
async fn read_all(member: Member, app: App<'_>) -> Result<Json<Value>, AppError> {
    let (org_id, user_id) = (member.org.id.clone(), member.user.id.clone());
    let changed = app.db.write(move |tx| mark_read(tx, &org_id, &user_id, None)).await?;
    Ok(Json(json!({ "marked_read": changed })))
}

fn current(c: &rusqlite::Connection, user_id: &str, org_id: &str) -> Result<Value, AppError> {
    Ok(json!({
        "categories": grid_json(&preferences(c, user_id, org_id)?),
        "digest": super::digest::frequency(c, user_id, org_id)?,
    }))
}

#[rocket::get("/api/v1/notifications/preferences")]
async fn get_prefs(member: Member, app: App<'_>) -> Result<Json<Value>, AppError> {
    let (user_id, org_id) = (member.user.id.clone(), member.org.id.clone());
    Ok(Json(app.db.read(move |c| current(c, &user_id, &org_id)).await?))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PrefsBody {
    #[serde(default)]
    categories: HashMap<String, HashMap<String, bool>>,
    /// `off`, `daily` or `weekly`; absent keeps the current choice.
    digest: Option<String>,
}

#[rocket::put("/api/v1/notifications/preferences", data = "<body>")]
async fn put_prefs(member: Member, body: ApiJson<PrefsBody>, app: App<'_>) -> Result<Json<Value>, AppError> {
    let mut on = parse_grid(&body.0.categories)?;
    let (user_id, org_id, digest) = (member.user.id.clone(), member.org.id.clone(), body.0.digest);
    let value = app
        .db
        .write(move |tx| {
            // Channels not sent keep their current value.
            complete(&mut on, &preferences(tx, &user_id, &org_id)?);
            save_preferences(tx, &user_id, &org_id, &on)?;
            if let Some(d) = &digest {
                super::digest::set_frequency(tx, &user_id, &org_id, d)?;
            }
            current(tx, &user_id, &org_id)
        })
        .await?;
    Ok(Json(value))
}

#[rocket::get("/api/v1/notifications/org-defaults")]
async fn get_org_defaults(member: Member, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Settings, Level::View)?;
    let org_id = member.org.id.clone();
    let rows = app.db.read(move |c| org_defaults(c, &org_id)).await?;
    Ok(Json(json!({ "categories": grid_json(&rows) })))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DefaultsBody {
    categories: HashMap<String, HashMap<String, bool>>,
}

#[rocket::put("/api/v1/notifications/org-defaults", data = "<body>")]
async fn put_org_defaults(member: Member, body: ApiJson<DefaultsBody>, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Settings, Level::Manage)?;
    let mut on = parse_grid(&body.0.categories)?;
    let (audit, org_id) = (member.audit(app.now()), member.org.id.clone());
    let rows = app
        .write(audit, move |tx| {
            complete(&mut on, &org_defaults(tx, &org_id)?);
            save_org_defaults(tx, &org_id, &on)?;
            crate::audit::record(
                tx,
                "notifications.org_defaults_changed",
                None,
                json!({ "channels": on }),
            )?;
            org_defaults(tx, &org_id)
        })
        .await?;
    Ok(Json(json!({ "categories": grid_json(&rows) })))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        list,
        read_one,
        archive_one,
        read_all,
        get_prefs,
        put_prefs,
        get_org_defaults,
        put_org_defaults
    ]
}
