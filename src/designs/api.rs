//! JSON API of the designs: `/api/v1/designs` (create, list, read, save
//! the document, state, versions), the images placed in them, and their
//! outputs (preview PNG, print PDF and PNG per area).

use super::document::Document;
use super::outputs::{self, Output};
use super::{Design, DesignId, NewDesign};
use crate::db::time::rfc3339;
use crate::error::AppError;
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};
use crate::web::api::{ApiJson, Created, created};
use crate::web::app::App;
use crate::web::page::PageCtx;
use rocket::serde::json::Json;
use serde::Deserialize;
use serde_json::{Value, json};

/// A design as the API shows it (with its document).
pub fn design_json(d: &Design, base_url: &reqwest::Url) -> Value {
    json!({
        "id": d.id, "product_id": d.product_id, "variant_id": d.variant_id, "name": d.name,
        "state": d.state, "version": d.version, "document": d.document,
        "private_url": format!("{}/d/{}", base_url.as_str().trim_end_matches('/'), d.token),
        "created_at": rfc3339(d.created_at), "updated_at": rfc3339(d.updated_at),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    product_id: String,
    #[serde(default)]
    variant_id: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    document: Option<Document>,
}

#[rocket::get("/api/v1/designs?<product_id>&<state>")]
async fn list(
    member: Member,
    product_id: Option<String>,
    state: Option<String>,
    app: App<'_>,
) -> Result<Json<Value>, AppError> {
    member.require(Area::Catalog, Level::View)?;
    let org_id = member.org.id.to_string();
    let rows = app
        .db
        .read(move |c| super::list(c, &org_id, product_id.as_deref(), state.as_deref()))
        .await?;
    let base = app.base_url();
    Ok(Json(
        json!({ "data": rows.iter().map(|d| design_json(d, base)).collect::<Vec<_>>(), "next_cursor": null }),
    ))
}

#[rocket::post("/api/v1/designs", data = "<body>")]
async fn create(
    member: Member,
    body: ApiJson<CreateBody>,
    ctx: PageCtx,
    app: App<'_>,
) -> Result<Created<Value>, AppError> {
    member.require(Area::Catalog, Level::Edit)?;
    let body = body.0;
    let new = NewDesign {
        product_id: body.product_id,
        variant_id: body.variant_id.filter(|v| !v.is_empty()),
        name: body.name,
        document: body.document.unwrap_or_else(Document::empty),
    };
    let org_id = member.org.id.to_string();
    let (design, report) = app
        .write(member.audit(app.now()), move |tx| super::create(tx, &org_id, &new))
        .await?;
    let mut out = design_json(&design, app.base_url());
    out["validation"] = super::report_json(&report, ctx.lang);
    Ok(created(out))
}

#[rocket::get("/api/v1/designs/<id>")]
async fn show(member: Member, id: DesignId, ctx: PageCtx, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Catalog, Level::View)?;
    let org_id = member.org.id.to_string();
    let (design, report) = app
        .db
        .read(move |c| {
            let design = super::get(c, &org_id, &id)?.ok_or(AppError::NotFound)?;
            let product = crate::catalog::get(c, &org_id, &design.product_id)?.ok_or(AppError::NotFound)?;
            let report = super::check(c, &org_id, &product, &design.document, design.state != "draft")?;
            Ok((design, report))
        })
        .await?;
    let mut out = design_json(&design, app.base_url());
    out["validation"] = super::report_json(&report, ctx.lang);
    Ok(Json(out))
}

#[rocket::put("/api/v1/designs/<id>", data = "<body>")]
async fn save(
    member: Member,
    id: DesignId,
    body: ApiJson<Document>,
    ctx: PageCtx,
    app: App<'_>,
) -> Result<Json<Value>, AppError> {
    member.require(Area::Catalog, Level::Edit)?;
    let (org_id, doc) = (member.org.id.to_string(), body.0);
    let (design, report) = app
        .write(member.audit(app.now()), move |tx| super::save(tx, &org_id, &id, &doc))
        .await?;
    let mut out = design_json(&design, app.base_url());
    out["validation"] = super::report_json(&report, ctx.lang);
    Ok(Json(out))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StateBody {
    state: String,
}

#[rocket::post("/api/v1/designs/<id>/state", data = "<body>")]
async fn state(member: Member, id: DesignId, body: ApiJson<StateBody>, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Catalog, Level::Edit)?;
    let (org_id, to) = (member.org.id.to_string(), body.0.state);
    let design = app
        .write(member.audit(app.now()), move |tx| {
            super::set_state(tx, &org_id, &id, &to)
        })
        .await?;
    Ok(Json(design_json(&design, app.base_url())))
}

#[rocket::get("/api/v1/designs/<id>/versions")]
async fn versions(member: Member, id: DesignId, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Catalog, Level::View)?;
    let org_id = member.org.id.to_string();
    let rows = app.db.read(move |c| super::versions(c, &org_id, &id)).await?;
    let data: Vec<Value> = rows
        .iter()
        .map(|v| json!({ "version": v.version, "saved_at": rfc3339(v.saved_at), "saved_by": v.saved_by }))
        .collect();
    Ok(Json(json!({ "data": data })))
}

#[rocket::get("/api/v1/designs/<id>/versions/<version>")]
async fn version(member: Member, id: DesignId, version: i64, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Catalog, Level::View)?;
    let org_id = member.org.id.to_string();
    let design = app
        .db
        .read(move |c| super::at_version(c, &org_id, &id, Some(version)))
        .await?;
    Ok(Json(json!({ "version": design.version, "document": design.document })))
}

/// An image to place in designs: `file`.
#[derive(rocket::FromForm)]
struct ImageUpload<'r> {
    file: Option<rocket::fs::TempFile<'r>>,
}

#[rocket::post("/api/v1/designs/images", data = "<form>")]
async fn upload_image(
    member: Member,
    form: rocket::form::Form<ImageUpload<'_>>,
    app: App<'_>,
) -> Result<Created<Value>, AppError> {
    member.require(Area::Catalog, Level::Edit)?;
    let file = form
        .file
        .as_ref()
        .ok_or_else(|| AppError::invalid("file", "image.error.missing"))?;
    let stored = crate::files::images::receive(app.config, "file", file).await?;
    let org_id = member.org.id.to_string();
    let image = stored.clone();
    app.write(member.audit(app.now()), move |tx| {
        crate::files::images::record(tx, &org_id, &image)
    })
    .await?;
    Ok(created(json!({
        "hash": stored.hash, "mime": stored.mime, "width": stored.width, "height": stored.height,
        "preview_url": format!("/files/{}", stored.preview_hash),
    })))
}

/// Draws `output` of design `id` for `member` (off the async threads).
pub async fn draw(
    app: &App<'_>,
    org_id: String,
    id: DesignId,
    version: Option<i64>,
    area: Option<String>,
    output: Output,
) -> Result<Vec<u8>, AppError> {
    let config = app.config.clone();
    let input = app
        .db
        .read(move |c| super::render_input(c, &config, &org_id, &id, version))
        .await?;
    let config = app.config.clone();
    tokio::task::spawn_blocking(move || outputs::render(&config, &input, area.as_deref(), output))
        .await
        .map_err(|e| AppError::internal(format!("render: {e}")))?
}

#[rocket::get("/api/v1/designs/<id>/preview.png?<area>&<width>&<version>")]
async fn preview(
    member: Member,
    id: DesignId,
    area: Option<String>,
    width: Option<u32>,
    version: Option<i64>,
    app: App<'_>,
) -> Result<crate::files::Private, AppError> {
    member.require(Area::Catalog, Level::View)?;
    let width = width.unwrap_or(1000);
    if !(16..=crate::render::svg::MAX_PREVIEW_WIDTH).contains(&width) {
        return Err(AppError::invalid(
            "width",
            crate::error::Message::new("designs.error.width").with("max", crate::render::svg::MAX_PREVIEW_WIDTH),
        ));
    }
    let name = format!("{id}-preview.png");
    let png = draw(
        &app,
        member.org.id.to_string(),
        id,
        version,
        area,
        Output::Preview { width },
    )
    .await?;
    Ok(crate::files::Private::inline(png, "image/png", &name))
}

#[rocket::get("/api/v1/designs/<id>/print/<file>?<marks>&<version>")]
async fn print(
    member: Member,
    id: DesignId,
    file: &str,
    marks: Option<u8>,
    version: Option<i64>,
    app: App<'_>,
) -> Result<crate::files::Private, AppError> {
    member.require(Area::Catalog, Level::View)?;
    let (area, kind) = file.rsplit_once('.').ok_or(AppError::NotFound)?;
    let (output, mime) = match kind {
        "pdf" => (
            Output::PrintPdf {
                marks: marks == Some(1),
            },
            "application/pdf",
        ),
        "png" => (Output::PrintPng, "image/png"),
        _ => return Err(AppError::NotFound),
    };
    let name = format!("{id}-{file}");
    let bytes = draw(
        &app,
        member.org.id.to_string(),
        id,
        version,
        Some(area.to_string()),
        output,
    )
    .await?;
    Ok(crate::files::Private::inline(bytes, mime, &name))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        list,
        create,
        show,
        save,
        state,
        versions,
        version,
        upload_image,
        preview,
        print
    ]
}
