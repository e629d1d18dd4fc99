//! JSON API of the catalogue: `/api/v1/products`.

use super::{ProductFilter, ProductId, ProductInput};
use crate::db::time::rfc3339;
use crate::error::AppError;
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};
use crate::web::api::{ApiJson, Created, created};
use crate::web::app::App;
use rocket::serde::json::Json;
use serde_json::{Value, json};

/// A product as the API shows it.
pub fn product_json(p: &super::Product) -> Value {
    json!({
        "id": p.id, "name": p.name, "slug": p.slug, "sku": p.sku, "description": p.description,
        "status": p.status, "price_minor": p.price_minor, "currency": p.currency,
        "production_days": p.production_days, "variants": p.variants, "print_areas": p.print_areas,
        "images": p.images,
        "created_at": rfc3339(p.created_at), "updated_at": rfc3339(p.updated_at),
    })
}

#[rocket::get("/api/v1/products?<status>&<q>")]
async fn list(
    member: Member,
    status: Option<String>,
    q: Option<String>,
    app: App<'_>,
) -> Result<Json<Value>, AppError> {
    member.require(Area::Catalog, Level::View)?;
    let (org_id, filter) = (member.org.id.to_string(), ProductFilter { status, q });
    let rows = app.db.read(move |c| super::list(c, &org_id, &filter, 500)).await?;
    Ok(Json(
        json!({ "data": rows.iter().map(product_json).collect::<Vec<_>>(), "next_cursor": null }),
    ))
}

#[rocket::post("/api/v1/products", data = "<body>")]
async fn create(member: Member, body: ApiJson<ProductInput>, app: App<'_>) -> Result<Created<Value>, AppError> {
    member.require(Area::Catalog, Level::Edit)?;
    let spec = body.0.parse().map_err(AppError::Invalid)?;
    let org_id = member.org.id.to_string();
    let product = app
        .write(member.audit(app.now()), move |tx| super::create(tx, &org_id, &spec))
        .await?;
    Ok(created(product_json(&product)))
}

#[rocket::get("/api/v1/products/<id>")]
async fn show(member: Member, id: ProductId, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Catalog, Level::View)?;
    let org_id = member.org.id.to_string();
    let product = app
        .db
        .read(move |c| super::get(c, &org_id, &id)?.ok_or(AppError::NotFound))
        .await?;
    Ok(Json(product_json(&product)))
}

#[rocket::patch("/api/v1/products/<id>", data = "<body>")]
async fn update(
    member: Member,
    id: ProductId,
    body: ApiJson<ProductInput>,
    app: App<'_>,
) -> Result<Json<Value>, AppError> {
    member.require(Area::Catalog, Level::Edit)?;
    let (org_id, patch) = (member.org.id.to_string(), body.0);
    let product = app
        .write(member.audit(app.now()), move |tx| {
            let old = super::get(tx, &org_id, &id)?.ok_or(AppError::NotFound)?;
            let spec = ProductInput::of(&old)
                .overlaid(patch)
                .parse()
                .map_err(AppError::Invalid)?;
            super::update(tx, &org_id, &id, &spec)
        })
        .await?;
    Ok(Json(product_json(&product)))
}

#[rocket::delete("/api/v1/products/<id>")]
async fn delete(member: Member, id: ProductId, app: App<'_>) -> Result<rocket::http::Status, AppError> {
    member.require(Area::Catalog, Level::Edit)?;
    let org_id = member.org.id.to_string();
    app.write(member.audit(app.now()), move |tx| super::delete(tx, &org_id, &id))
        .await?;
    Ok(rocket::http::Status::NoContent)
}

/// A photo upload: the `file` and its `alt` text.
#[derive(rocket::FromForm)]
struct ImageUpload<'r> {
    file: Option<rocket::fs::TempFile<'r>>,
    #[field(default = String::new())]
    alt: String,
}

#[rocket::post("/api/v1/products/<id>/images", data = "<form>")]
async fn add_image(
    member: Member,
    id: ProductId,
    form: rocket::form::Form<ImageUpload<'_>>,
    app: App<'_>,
) -> Result<Created<Value>, AppError> {
    member.require(Area::Catalog, Level::Edit)?;
    let org_id = member.org.id.to_string();
    let file = form
        .file
        .as_ref()
        .ok_or_else(|| AppError::invalid("file", "image.error.missing"))?;
    let stored = crate::files::images::receive(app.config, "file", file).await?;
    let alt = form.alt.clone();
    let (image, product) = app
        .write(member.audit(app.now()), move |tx| {
            let made = super::images::add(tx, &org_id, &id, &stored, &alt)?;
            let product = super::get(tx, &org_id, &id)?.ok_or(AppError::NotFound)?;
            let image = product
                .images
                .iter()
                .find(|i| i.id == made)
                .cloned()
                .ok_or(AppError::NotFound)?;
            Ok((image, product))
        })
        .await?;
    Ok(created(json!({ "image": image, "product": product_json(&product) })))
}

#[rocket::delete("/api/v1/products/<id>/images/<image_id>")]
async fn remove_image(
    member: Member,
    id: ProductId,
    image_id: &str,
    app: App<'_>,
) -> Result<rocket::http::Status, AppError> {
    member.require(Area::Catalog, Level::Edit)?;
    let (org_id, image_id) = (member.org.id.to_string(), image_id.to_string());
    app.write(member.audit(app.now()), move |tx| {
        super::images::remove(tx, &org_id, &id, &image_id)
    })
    .await?;
    Ok(rocket::http::Status::NoContent)
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![list, create, show, update, delete, add_image, remove_image]
}
