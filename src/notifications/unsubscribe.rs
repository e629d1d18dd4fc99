//! One-click unsubscribe (RFC 8058): the link in a notification mail turns
//! off that category's email for that person in that org. Mail clients POST
//! to it without cookies, so it is exempt from the CSRF check: the token in
//! the path (256 random bits, stored hashed) is the authority, and all it
//! can do is stop some mail.

use super::Category;
use crate::db::ids::hash_token;
use crate::error::AppError;
use crate::web::app::App;
use crate::web::page::{Html, PageCtx};
use askama::Template;

#[derive(Template)]
#[template(path = "notifications/unsubscribe.html")]
struct UnsubscribePage {
    ctx: PageCtx,
    /// The category's name in the reader's language.
    category: String,
    token: String,
    done: bool,
}

async fn lookup(app: &App<'_>, token: &str) -> Result<(String, String, String), AppError> {
    let hash = hash_token(token);
    app.db
        .read(move |c| super::prefs::unsubscribe_link(c, &hash))
        .await?
        .ok_or(AppError::NotFound)
}

#[rocket::get("/unsubscribe/<token>")]
async fn confirm(ctx: PageCtx, token: &str, app: App<'_>) -> Result<Html<UnsubscribePage>, AppError> {
    let (_, _, category) = lookup(&app, token).await?;
    let category = ctx.t(&format!("notifications.categories.{category}")).to_string();
    Ok(Html(UnsubscribePage {
        ctx,
        category,
        token: token.into(),
        done: false,
    }))
}

#[rocket::post("/unsubscribe/<token>")]
async fn unsubscribe(ctx: PageCtx, token: &str, app: App<'_>) -> Result<Html<UnsubscribePage>, AppError> {
    let (user_id, org_id, category) = lookup(&app, token).await?;
    Category::parse(&category).ok_or(AppError::NotFound)?;
    let (cat, now) = (category.clone(), app.now());
    let origin = crate::audit::AuditCtx::system(Some(&org_id), now);
    app.write(origin, move |tx| super::prefs::unsubscribe(tx, &user_id, &org_id, &cat))
        .await?;
    let category = ctx.t(&format!("notifications.categories.{category}")).to_string();
    Ok(Html(UnsubscribePage {
        ctx,
        category,
        token: token.into(),
        done: true,
    }))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![confirm, unsubscribe]
}
