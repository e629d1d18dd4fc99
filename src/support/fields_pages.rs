//! A category's page for support managers (`/dashboard/support/categories/{id}`:
//! its extra fields, a form to add one, a button to remove each) and the
//! fields' API.

use super::categories::Category;
use super::fields::{self, Field, FieldInput};
use crate::error::AppError;
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};
use crate::web::api::{ApiJson, Created, created};
use crate::web::app::App;
use crate::web::forms::FormState;
use crate::web::page::{Html, PageCtx};
use crate::web::shell::Shell;
use askama::Template;
use rocket::Either;
use rocket::form::Form;
use rocket::http::Status as HttpStatus;
use rocket::response::status::Custom;
use rocket::response::{Flash, Redirect};
use serde_json::{Value, json};

#[derive(Template)]
#[template(path = "support/category.html")]
pub struct CategoryPage {
    ctx: PageCtx,
    shell: Shell,
    category: Category,
    fields: Vec<Field>,
    form: FormState,
    /// The help centre's form for this category.
    help_url: String,
}

async fn page(
    ctx: PageCtx,
    member: &Member,
    app: &App<'_>,
    id: &str,
    form: FormState,
) -> Result<CategoryPage, AppError> {
    member.require(Area::Support, Level::Manage)?;
    let (org_id, id) = (member.org.id.to_string(), id.to_string());
    let (category, fields) = app
        .db
        .read(move |c| {
            let category = super::categories::list(c, &org_id)?
                .into_iter()
                .find(|cat| cat.id.as_str() == id)
                .ok_or(AppError::NotFound)?;
            let fields = fields::of_category(c, &category.id)?;
            Ok((category, fields))
        })
        .await?;
    Ok(CategoryPage {
        help_url: format!("/help/{}/new?category={}", member.org.slug, category.id),
        shell: Shell::new(member, "support"),
        category,
        fields,
        form,
        ctx,
    })
}

#[rocket::get("/dashboard/support/categories/<id>")]
async fn show(ctx: PageCtx, member: Member, id: &str, app: App<'_>) -> Result<Html<CategoryPage>, AppError> {
    Ok(Html(page(ctx, &member, &app, id, FormState::default()).await?))
}

#[rocket::post("/dashboard/support/categories/<id>/fields", data = "<form>")]
async fn add(
    ctx: PageCtx,
    member: Member,
    id: &str,
    form: Form<FieldInput>,
    app: App<'_>,
) -> Result<Either<Flash<Redirect>, Custom<Html<CategoryPage>>>, AppError> {
    member.require(Area::Support, Level::Manage)?;
    let input = form.into_inner();
    let (org_id, cat, typed) = (member.org.id.to_string(), id.to_string(), input.clone());
    let done = app
        .write(member.audit(app.now()), move |tx| {
            fields::add(tx, &org_id, &cat, &typed)
        })
        .await;
    match done {
        Ok(f) => Ok(Either::Left(Flash::success(
            Redirect::to(format!("/dashboard/support/categories/{id}")),
            ctx.lang.tf("support.fields.added", &[("label", &f.label)]),
        ))),
        Err(AppError::Invalid(errors)) => {
            let options = input.options.map(|o| o.0.join("\n")).unwrap_or_default();
            let state = FormState::with_values(&[
                ("label", input.label.as_deref().unwrap_or_default()),
                ("kind", input.kind.as_deref().unwrap_or_default()),
                ("options", &options),
            ])
            .with_errors(errors);
            let page = page(ctx, &member, &app, id, state).await?;
            Ok(Either::Right(Custom(HttpStatus::UnprocessableEntity, Html(page))))
        }
        Err(e) => Err(e),
    }
}

#[rocket::post("/dashboard/support/fields/<id>/delete")]
async fn remove(ctx: PageCtx, member: Member, id: &str, app: App<'_>) -> Result<Flash<Redirect>, AppError> {
    member.require(Area::Support, Level::Manage)?;
    let (org_id, owned) = (member.org.id.to_string(), id.to_string());
    let category: String = app
        .write(member.audit(app.now()), move |tx| {
            let cat: Option<String> = rusqlite::OptionalExtension::optional(tx.query_row(
                "SELECT category_id FROM support_category_fields WHERE id = ?1",
                [&owned],
                |r| r.get(0),
            ))?;
            fields::delete(tx, &org_id, &owned)?;
            Ok(cat.unwrap_or_default())
        })
        .await?;
    Ok(Flash::success(
        Redirect::to(format!("/dashboard/support/categories/{category}")),
        ctx.t("support.fields.removed"),
    ))
}

/// A field as the API shows it.
pub fn field_json(f: &Field) -> Value {
    json!({ "id": f.id, "label": f.label, "kind": f.kind, "options": f.options, "required": f.required })
}

#[rocket::post("/api/v1/support/categories/<id>/fields", data = "<body>")]
async fn add_api(
    member: Member,
    id: &str,
    body: ApiJson<FieldInput>,
    app: App<'_>,
) -> Result<Created<Value>, AppError> {
    member.require(Area::Support, Level::Manage)?;
    let (org_id, cat, input) = (member.org.id.to_string(), id.to_string(), body.0);
    let field = app
        .write(member.audit(app.now()), move |tx| {
            fields::add(tx, &org_id, &cat, &input)
        })
        .await?;
    Ok(created(field_json(&field)))
}

#[rocket::delete("/api/v1/support/fields/<id>")]
async fn delete_api(member: Member, id: &str, app: App<'_>) -> Result<HttpStatus, AppError> {
    member.require(Area::Support, Level::Manage)?;
    let (org_id, id) = (member.org.id.to_string(), id.to_string());
    app.write(member.audit(app.now()), move |tx| fields::delete(tx, &org_id, &id))
        .await?;
    Ok(HttpStatus::NoContent)
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![show, add, remove, add_api, delete_api]
}
