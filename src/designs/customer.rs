//! What a customer does without an account, through the design's private
//! link (the token is the whole credential): start a design from the
//! storefront's product page, read and save its document (what the design
//! editor calls), upload a photo to place, load the shop's fonts, and
//! send the design to the shop. Every write is rate-limited (per address
//! to start one, per link to save) and checked exactly as the shop's are;
//! a customer edits drafts only.

use super::document::Document;
use super::{Design, NewDesign};
use crate::auth::ClientInfo;
use crate::error::{AppError, Message};
use crate::web::api::ApiJson;
use crate::web::app::App;
use crate::web::page::PageCtx;
use crate::web::ratelimit::Limit;
use rocket::response::Redirect;
use rocket::serde::json::Json;
use serde_json::{Value, json};

/// The design behind `token`, with its org's id.
async fn by_token(app: &App<'_>, token: &str) -> Result<(String, Design), AppError> {
    let token = token.to_string();
    app.db
        .read(move |c| super::by_token(c, &token)?.ok_or(AppError::NotFound))
        .await
}

fn origin(client: &ClientInfo, org_id: &str, app: &App<'_>) -> crate::db::AuditCtx {
    crate::db::AuditCtx {
        org_id: Some(org_id.to_string()),
        ..client.anonymous(app.now())
    }
}

#[rocket::post("/s/<slug>/p/<product>/design")]
async fn start(slug: &str, product: &str, client: ClientInfo, app: App<'_>) -> Result<Redirect, AppError> {
    app.limits
        .check(Limit::DesignsPerIp, client.ip.as_deref().unwrap_or("unknown"))?;
    let (slug, product) = (slug.to_string(), product.to_string());
    let (org_id, product) = app
        .db
        .read(move |c| {
            let org = crate::orgs::by_slug(c, &slug)?.ok_or(AppError::NotFound)?;
            let product = crate::catalog::by_slug(c, &org.id, &product)?
                .filter(|p| p.status == "active")
                .ok_or(AppError::NotFound)?;
            Ok((org.id.to_string(), product))
        })
        .await?;
    let new = NewDesign {
        product_id: product.id.to_string(),
        variant_id: None,
        name: product.name.clone(),
        document: Document::empty(),
    };
    let org = org_id.clone();
    let (design, _) = app
        .write(origin(&client, &org_id, &app), move |tx| super::create(tx, &org, &new))
        .await?;
    Ok(Redirect::to(format!("/d/{}", design.token)))
}

#[rocket::get("/d/<token>/document")]
async fn read(token: &str, ctx: PageCtx, app: App<'_>) -> Result<Json<Value>, AppError> {
    let (org_id, design) = by_token(&app, token).await?;
    let org = org_id.clone();
    let (design, product, fonts, report) = app
        .db
        .read(move |c| {
            let product = crate::catalog::get(c, &org, &design.product_id)?.ok_or(AppError::NotFound)?;
            let fonts = crate::fonts::list(c, &org)?;
            let report = super::check(c, &org, &product, &design.document, false)?;
            Ok((design, product, fonts, report))
        })
        .await?;
    let fonts: Vec<Value> = fonts
        .iter()
        .map(|f| {
            let url = match &f.id {
                Some(id) => format!("/d/{token}/fonts/{id}"),
                None => f.url.clone(),
            };
            json!({ "name": f.name, "url": url })
        })
        .collect();
    Ok(Json(json!({
        "name": design.name, "state": design.state, "version": design.version, "document": design.document,
        "product": { "name": product.name, "print_areas": product.print_areas,
                     "mockup": product.images.first().map(|i| json!({ "url": i.preview_url, "width": i.width, "height": i.height })) },
        "fonts": fonts,
        "validation": super::report_json(&report, ctx.lang),
    })))
}

#[rocket::put("/d/<token>/document", data = "<body>")]
async fn save(
    token: &str,
    body: ApiJson<Document>,
    client: ClientInfo,
    ctx: PageCtx,
    app: App<'_>,
) -> Result<Json<Value>, AppError> {
    app.limits.check(Limit::DesignWritesPerLink, token)?;
    let (org_id, design) = by_token(&app, token).await?;
    if design.state != "draft" {
        return Err(AppError::Conflict(Message::new("designs.error.sent")));
    }
    let (org, doc) = (org_id.clone(), body.0);
    let (saved, report) = app
        .write(origin(&client, &org_id, &app), move |tx| {
            super::save(tx, &org, &design.id, &doc)
        })
        .await?;
    Ok(Json(json!({
        "version": saved.version, "document": saved.document,
        "validation": super::report_json(&report, ctx.lang),
    })))
}

#[rocket::post("/d/<token>/submit")]
async fn submit(
    token: &str,
    client: ClientInfo,
    ctx: PageCtx,
    app: App<'_>,
) -> Result<rocket::response::Flash<Redirect>, AppError> {
    app.limits.check(Limit::DesignWritesPerLink, token)?;
    let (org_id, design) = by_token(&app, token).await?;
    let org = org_id.clone();
    let to = format!("/d/{token}");
    match app
        .write(origin(&client, &org_id, &app), move |tx| {
            super::set_state(tx, &org, &design.id, "submitted")
        })
        .await
    {
        Ok(_) => Ok(rocket::response::Flash::success(
            Redirect::to(to),
            ctx.t("designs.private.sent"),
        )),
        Err(AppError::Invalid(errors)) => {
            let first = errors.first().map(|e| ctx.msg(&e.message)).unwrap_or_default();
            Ok(rocket::response::Flash::error(Redirect::to(to), first))
        }
        Err(e) => Err(e),
    }
}

/// A photo to place: `file`.
#[derive(rocket::FromForm)]
struct ImageUpload<'r> {
    file: Option<rocket::fs::TempFile<'r>>,
}

#[rocket::post("/d/<token>/images", data = "<form>")]
async fn upload(
    token: &str,
    form: rocket::form::Form<ImageUpload<'_>>,
    client: ClientInfo,
    app: App<'_>,
) -> Result<crate::web::api::Created<Value>, AppError> {
    app.limits.check(Limit::DesignWritesPerLink, token)?;
    let (org_id, design) = by_token(&app, token).await?;
    if design.state != "draft" {
        return Err(AppError::Conflict(Message::new("designs.error.sent")));
    }
    let file = form
        .file
        .as_ref()
        .ok_or_else(|| AppError::invalid("file", "image.error.missing"))?;
    let stored = crate::files::images::receive(app.config, "file", file).await?;
    let (org, image) = (org_id.clone(), stored.clone());
    app.write(origin(&client, &org_id, &app), move |tx| {
        crate::files::images::record(tx, &org, &image)
    })
    .await?;
    Ok(crate::web::api::created(json!({
        "hash": stored.hash, "width": stored.width, "height": stored.height,
        "preview_url": format!("/files/{}", stored.preview_hash),
    })))
}

#[rocket::get("/d/<token>/fonts/<id>")]
async fn font(token: &str, id: &str, app: App<'_>) -> Result<crate::files::Private, AppError> {
    let (org_id, _) = by_token(&app, token).await?;
    let id = id.to_string();
    let font = app
        .db
        .read(move |c| {
            crate::fonts::list(c, &org_id)?
                .into_iter()
                .find(|f| f.id.as_deref() == Some(id.as_str()))
                .ok_or(AppError::NotFound)
        })
        .await?;
    let body = crate::files::read(app.config, &font.hash).await?;
    let mime = if font.format == "otf" { "font/otf" } else { "font/ttf" };
    Ok(crate::files::Private::inline(
        body,
        mime,
        &format!("{}.{}", font.name, font.format),
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![start, read, save, submit, upload, font]
}
