//! The fonts page, `/dashboard/products/fonts`: the fonts every design of
//! the shop may use (the built-in ones and the shop's own) and the form to
//! upload one.

use crate::error::AppError;
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};
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

#[derive(Template)]
#[template(path = "fonts/list.html")]
pub struct FontsPage {
    ctx: PageCtx,
    shell: Shell,
    fonts: Vec<super::Font>,
    form: FormState,
    can_edit: bool,
}

async fn page(ctx: PageCtx, member: &Member, app: &App<'_>, form: FormState) -> Result<FontsPage, AppError> {
    member.require(Area::Catalog, Level::View)?;
    let org_id = member.org.id.to_string();
    let fonts = app.db.read(move |c| super::list(c, &org_id)).await?;
    Ok(FontsPage {
        shell: Shell::new(member, "catalog"),
        fonts,
        form,
        can_edit: member.can(Area::Catalog, Level::Edit),
        ctx,
    })
}

#[rocket::get("/dashboard/products/fonts")]
async fn list(ctx: PageCtx, member: Member, app: App<'_>) -> Result<Html<FontsPage>, AppError> {
    Ok(Html(page(ctx, &member, &app, FormState::default()).await?))
}

/// A font uploaded from the page.
#[derive(rocket::FromForm)]
pub struct FontForm<'r> {
    file: Option<rocket::fs::TempFile<'r>>,
    #[field(default = String::new())]
    name: String,
}

#[rocket::post("/dashboard/products/fonts", data = "<form>")]
async fn upload(
    ctx: PageCtx,
    member: Member,
    form: Form<FontForm<'_>>,
    app: App<'_>,
) -> Result<Either<Flash<Redirect>, Custom<Html<FontsPage>>>, AppError> {
    member.require(Area::Catalog, Level::Edit)?;
    let done = match form.file.as_ref() {
        Some(file) => super::api::receive(&app, &member, file, Some(form.name.clone())).await,
        None => Err(AppError::invalid("file", "fonts.error.missing")),
    };
    match done {
        Ok(font) => Ok(Either::Left(Flash::success(
            Redirect::to("/dashboard/products/fonts"),
            ctx.lang.tf("fonts.page.added", &[("name", &font.name)]),
        ))),
        Err(AppError::Invalid(errors)) => {
            let state = FormState::with_values(&[("name", &form.name)]).with_errors(errors);
            let page = page(ctx, &member, &app, state).await?;
            Ok(Either::Right(Custom(HttpStatus::UnprocessableEntity, Html(page))))
        }
        Err(e) => Err(e),
    }
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![list, upload]
}
