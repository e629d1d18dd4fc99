//! The canned replies' pages (`/dashboard/support/replies`: the list, a
//! form to add one, each one's edit form; support managers) and API
//! (`/api/v1/support/canned-replies`, and one filled in for a ticket).

use super::TicketId;
use super::canned::{self, Canned, CannedInput};
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
use rocket::serde::json::Json;
use serde_json::{Value, json};

#[derive(Template)]
#[template(path = "support/replies.html")]
pub struct RepliesPage {
    ctx: PageCtx,
    shell: Shell,
    replies: Vec<Canned>,
    /// The reply being edited (none: the form adds one).
    editing: Option<Canned>,
    form: FormState,
}

async fn page(
    ctx: PageCtx,
    member: &Member,
    app: &App<'_>,
    editing: Option<&str>,
    form: Option<FormState>,
) -> Result<RepliesPage, AppError> {
    member.require(Area::Support, Level::Manage)?;
    let (org_id, editing) = (member.org.id.to_string(), editing.map(str::to_string));
    let (replies, editing) = app
        .db
        .read(move |c| {
            let editing = match editing {
                Some(id) => Some(canned::get(c, &org_id, &id)?.ok_or(AppError::NotFound)?),
                None => None,
            };
            Ok((canned::list(c, &org_id)?, editing))
        })
        .await?;
    let form = form.unwrap_or_else(|| match &editing {
        Some(c) => FormState::with_values(&[("title", &c.title), ("body", &c.body)]),
        None => FormState::default(),
    });
    Ok(RepliesPage {
        shell: Shell::new(member, "support"),
        replies,
        editing,
        form,
        ctx,
    })
}

#[rocket::get("/dashboard/support/replies")]
async fn list(ctx: PageCtx, member: Member, app: App<'_>) -> Result<Html<RepliesPage>, AppError> {
    Ok(Html(page(ctx, &member, &app, None, None).await?))
}

#[rocket::get("/dashboard/support/replies/<id>")]
async fn edit(ctx: PageCtx, member: Member, id: &str, app: App<'_>) -> Result<Html<RepliesPage>, AppError> {
    Ok(Html(page(ctx, &member, &app, Some(id), None).await?))
}

type Answer = Either<Flash<Redirect>, Custom<Html<RepliesPage>>>;

async fn save(
    ctx: PageCtx,
    member: &Member,
    app: &App<'_>,
    id: Option<&str>,
    input: CannedInput,
) -> Result<Answer, AppError> {
    member.require(Area::Support, Level::Manage)?;
    let typed = |errors| {
        let (t, b) = (
            input.title.clone().unwrap_or_default(),
            input.body.clone().unwrap_or_default(),
        );
        FormState::with_values(&[("title", &t), ("body", &b)]).with_errors(errors)
    };
    let done = match canned::check(&input, &member.user.name, &member.org.name, true) {
        Ok((title, body)) => {
            let (org_id, owned) = (member.org.id.to_string(), id.map(str::to_string));
            app.write(member.audit(app.now()), move |tx| {
                canned::save(tx, &org_id, owned.as_deref(), &title, &body)
            })
            .await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(c) => Ok(Either::Left(Flash::success(
            Redirect::to("/dashboard/support/replies"),
            ctx.lang.tf("support.canned.saved", &[("title", &c.title)]),
        ))),
        Err(AppError::Invalid(errors)) => {
            let page = page(ctx, member, app, id, Some(typed(errors))).await?;
            Ok(Either::Right(Custom(HttpStatus::UnprocessableEntity, Html(page))))
        }
        Err(e) => Err(e),
    }
}

#[rocket::post("/dashboard/support/replies", data = "<form>")]
async fn add(ctx: PageCtx, member: Member, form: Form<CannedInput>, app: App<'_>) -> Result<Answer, AppError> {
    save(ctx, &member, &app, None, form.into_inner()).await
}

#[rocket::post("/dashboard/support/replies/<id>", data = "<form>")]
async fn change(
    ctx: PageCtx,
    member: Member,
    id: &str,
    form: Form<CannedInput>,
    app: App<'_>,
) -> Result<Answer, AppError> {
    save(ctx, &member, &app, Some(id), form.into_inner()).await
}

#[rocket::post("/dashboard/support/replies/<id>/delete")]
async fn remove(ctx: PageCtx, member: Member, id: &str, app: App<'_>) -> Result<Flash<Redirect>, AppError> {
    member.require(Area::Support, Level::Manage)?;
    let (org_id, id) = (member.org.id.to_string(), id.to_string());
    app.write(member.audit(app.now()), move |tx| canned::delete(tx, &org_id, &id))
        .await?;
    Ok(Flash::success(
        Redirect::to("/dashboard/support/replies"),
        ctx.t("support.canned.deleted"),
    ))
}

fn canned_json(c: &Canned) -> Value {
    json!({ "id": c.id, "title": c.title, "body": c.body, "updated_at": crate::db::time::rfc3339(c.updated_at) })
}

#[rocket::get("/api/v1/support/canned-replies")]
async fn list_api(member: Member, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Support, Level::View)?;
    let org_id = member.org.id.to_string();
    let all = app.db.read(move |c| canned::list(c, &org_id)).await?;
    Ok(Json(json!({ "data": all.iter().map(canned_json).collect::<Vec<_>>() })))
}

async fn save_api(member: &Member, app: &App<'_>, id: Option<&str>, input: CannedInput) -> Result<Canned, AppError> {
    member.require(Area::Support, Level::Manage)?;
    let (org_id, owned) = (member.org.id.to_string(), id.map(str::to_string));
    // A PATCH keeps what it does not send.
    let input = match &owned {
        Some(id) => {
            let (org_id, id) = (org_id.clone(), id.clone());
            let old = app
                .db
                .read(move |c| canned::get(c, &org_id, &id)?.ok_or(AppError::NotFound))
                .await?;
            CannedInput {
                title: input.title.or(Some(old.title)),
                body: input.body.or(Some(old.body)),
            }
        }
        None => input,
    };
    let (title, body) = canned::check(&input, &member.user.name, &member.org.name, false)?;
    app.write(member.audit(app.now()), move |tx| {
        canned::save(tx, &org_id, owned.as_deref(), &title, &body)
    })
    .await
}

#[rocket::post("/api/v1/support/canned-replies", data = "<body>")]
async fn add_api(member: Member, body: ApiJson<CannedInput>, app: App<'_>) -> Result<Created<Value>, AppError> {
    Ok(created(canned_json(&save_api(&member, &app, None, body.0).await?)))
}

#[rocket::patch("/api/v1/support/canned-replies/<id>", data = "<body>")]
async fn change_api(
    member: Member,
    id: &str,
    body: ApiJson<CannedInput>,
    app: App<'_>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(canned_json(&save_api(&member, &app, Some(id), body.0).await?)))
}

#[rocket::delete("/api/v1/support/canned-replies/<id>")]
async fn delete_api(member: Member, id: &str, app: App<'_>) -> Result<HttpStatus, AppError> {
    member.require(Area::Support, Level::Manage)?;
    let (org_id, id) = (member.org.id.to_string(), id.to_string());
    app.write(member.audit(app.now()), move |tx| canned::delete(tx, &org_id, &id))
        .await?;
    Ok(HttpStatus::NoContent)
}

/// A canned reply filled in for a ticket, by the member asking.
#[rocket::get("/api/v1/support/tickets/<ticket>/canned-replies/<id>")]
async fn filled_api(member: Member, ticket: TicketId, id: &str, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Support, Level::Edit)?;
    let body = filled(&member, &app, ticket, id).await?;
    Ok(Json(json!({ "body": body })))
}

/// The text of canned reply `id` for `ticket`, as `member` would send it.
pub async fn filled(member: &Member, app: &App<'_>, ticket: TicketId, id: &str) -> Result<String, AppError> {
    let (org_id, id, agent, org) = (
        member.org.id.to_string(),
        id.to_string(),
        member.user.name.clone(),
        member.org.name.clone(),
    );
    app.db
        .read(move |c| {
            let t = super::tickets::get(c, &org_id, &ticket)?.ok_or(AppError::NotFound)?;
            let canned = canned::get(c, &org_id, &id)?.ok_or(AppError::NotFound)?;
            canned::fill(&canned, &t, &agent, &org)
        })
        .await
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        list, edit, add, change, remove, list_api, add_api, change_api, delete_api, filled_api
    ]
}
