//! JSON API of the fonts: `GET/POST /api/v1/fonts` and the file of an
//! uploaded font for the editor.

use super::FontId;
use crate::error::AppError;
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};
use crate::web::api::{Created, created};
use crate::web::app::App;
use rocket::serde::json::Json;
use serde_json::{Value, json};

/// A font upload: the `file` and, optionally, the `name` to use it by
/// (else the font's own full name).
#[derive(rocket::FromForm)]
struct FontUpload<'r> {
    file: Option<rocket::fs::TempFile<'r>>,
    name: Option<String>,
}

#[rocket::get("/api/v1/fonts")]
async fn list(member: Member, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Catalog, Level::View)?;
    let org_id = member.org.id.to_string();
    let fonts = app.db.read(move |c| super::list(c, &org_id)).await?;
    Ok(Json(json!({ "data": fonts })))
}

/// Reads, checks, stores and records an uploaded font for `member`'s org,
/// named `name` (else the font's own full name); what the API and the page
/// both do.
pub async fn receive(
    app: &App<'_>,
    member: &Member,
    file: &rocket::fs::TempFile<'_>,
    name: Option<String>,
) -> Result<super::Font, AppError> {
    if file.len() == 0 {
        return Err(AppError::invalid("file", "fonts.error.missing"));
    }
    let bytes = crate::files::read_upload(file, super::MAX_BYTES)
        .await?
        .ok_or_else(|| {
            AppError::invalid(
                "file",
                crate::error::Message::new("fonts.error.large").with("max", "10 MB"),
            )
        })?;
    let facts = super::check(&bytes).map_err(|m| AppError::invalid("file", m))?;
    let name = name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| facts.full_name.clone());
    let config = app.config.clone();
    let size = bytes.len();
    let hash = tokio::task::spawn_blocking(move || crate::files::store(&config, &bytes))
        .await
        .map_err(|e| AppError::internal(format!("storing a font: {e}")))??;
    let org_id = member.org.id.to_string();
    app.write(member.audit(app.now()), move |tx| {
        super::add(tx, &org_id, &name, &facts, &hash, size)
    })
    .await
}

#[rocket::post("/api/v1/fonts", data = "<form>")]
async fn upload(
    member: Member,
    form: rocket::form::Form<FontUpload<'_>>,
    app: App<'_>,
) -> Result<Created<Value>, AppError> {
    member.require(Area::Catalog, Level::Edit)?;
    let file = form
        .file
        .as_ref()
        .ok_or_else(|| AppError::invalid("file", "fonts.error.missing"))?;
    let font = receive(&app, &member, file, form.name.clone()).await?;
    Ok(created(json!(font)))
}

#[rocket::get("/api/v1/fonts/<id>/file")]
async fn file(member: Member, id: FontId, app: App<'_>) -> Result<crate::files::Private, AppError> {
    member.require(Area::Catalog, Level::View)?;
    let org_id = member.org.id.to_string();
    let font = app
        .db
        .read(move |c| {
            super::list(c, &org_id)?
                .into_iter()
                .find(|f| f.id.as_ref() == Some(&id))
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
    rocket::routes![list, upload, file]
}
