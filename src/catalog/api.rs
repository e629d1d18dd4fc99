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

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![list, create, show, update, delete]
}
