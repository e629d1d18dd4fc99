//! The requester's side, public and without an account: the help
//! centre's form to open a request
//! (`/help/{org_slug}/new`: rate-limited per IP, with a field people never
//! see that only bots fill in), and the private page of a request
//! (`/help/{org_slug}/tickets/{token}`: the conversation without the
//! team's internal notes, and a form to write again).

use super::attachments::{self, Attachment, AttachmentId};
use super::categories::Category;
use super::conversation::{self, Entry};
use super::tickets::{self, Ticket, TicketInput};
use crate::auth::ClientInfo;
use crate::error::AppError;
use crate::orgs::Org;
use crate::web::app::App;
use crate::web::forms::FormState;
use crate::web::page::{Html, PageCtx};
use crate::web::ratelimit::Limit;
use crate::web::when::{Clockface, When};
use askama::Template;
use rocket::Either;
use rocket::form::Form;
use rocket::fs::TempFile;
use rocket::http::Status as HttpStatus;
use rocket::response::status::Custom;
use rocket::response::{Flash, Redirect};

/// The organisation of a help centre's address; 404 when there is none.
pub(super) async fn org(app: &App<'_>, slug: &str) -> Result<Org, AppError> {
    let slug = slug.to_string();
    app.db
        .read(move |c| crate::orgs::by_slug(c, &slug)?.ok_or(AppError::NotFound))
        .await
}

#[derive(Template)]
#[template(path = "support/help_new.html")]
pub struct NewPage {
    ctx: PageCtx,
    org: Org,
    categories: Vec<Category>,
    /// The chosen category's extra fields.
    fields: Vec<super::fields::Field>,
    form: FormState,
}

/// The form, with the extra fields of the category in `form` (chosen in
/// the form, or by the help centre's `?category=` link).
async fn new_page(ctx: PageCtx, app: &App<'_>, slug: &str, form: FormState) -> Result<NewPage, AppError> {
    let org = org(app, slug).await?;
    let (org_id, chosen) = (org.id.to_string(), form.value("category_id").to_string());
    let (categories, fields) = app
        .db
        .read(move |c| {
            let categories = super::categories::list(c, &org_id)?;
            let fields = match categories.iter().find(|cat| cat.id.as_str() == chosen) {
                Some(cat) => super::fields::of_category(c, &cat.id)?,
                None => vec![],
            };
            Ok((categories, fields))
        })
        .await?;
    Ok(NewPage {
        ctx,
        org,
        categories,
        fields,
        form,
    })
}

#[rocket::get("/help/<slug>/new?<category>")]
async fn new(ctx: PageCtx, slug: &str, category: Option<&str>, app: App<'_>) -> Result<Html<NewPage>, AppError> {
    let form = FormState::with_values(&[("category_id", category.unwrap_or_default())]);
    Ok(Html(new_page(ctx, &app, slug, form).await?))
}

/// What the public form sends.
#[derive(Debug, rocket::FromForm)]
pub struct HelpForm<'r> {
    pub name: String,
    pub email: String,
    pub subject: String,
    pub description: String,
    pub category_id: Option<String>,
    pub order_ref: Option<String>,
    /// Hidden from people (and from assistive technology): only a bot types here.
    #[field(default = String::new())]
    pub website: String,
    #[field(default = Vec::new())]
    pub files: Vec<TempFile<'r>>,
    /// The category's extra fields, by field id.
    #[field(default = std::collections::HashMap::new())]
    pub fields: std::collections::HashMap<String, String>,
}

#[derive(Template)]
#[template(path = "support/help_sent.html")]
pub struct SentPage {
    ctx: PageCtx,
    org: Org,
    email: String,
}

#[rocket::post("/help/<slug>/new", data = "<form>")]
async fn open(
    ctx: PageCtx,
    slug: &str,
    form: Form<HelpForm<'_>>,
    client: ClientInfo,
    app: App<'_>,
) -> Result<Either<Html<SentPage>, Custom<Html<NewPage>>>, AppError> {
    app.limits
        .check(Limit::SupportFormPerIp, client.ip.as_deref().unwrap_or("unknown"))?;
    let form = form.into_inner();
    let org = org(&app, slug).await?;
    let input = TicketInput {
        subject: Some(form.subject.clone()),
        description: Some(form.description.clone()),
        category_id: form.category_id.clone(),
        priority: None,
        requester_email: Some(form.email.clone()),
        requester_name: Some(form.name.clone()),
        order_ref: form.order_ref.clone(),
        fields: form.fields.clone(),
    };
    let values = || {
        let (category, order) = (
            form.category_id.clone().unwrap_or_default(),
            form.order_ref.clone().unwrap_or_default(),
        );
        let extra: Vec<(String, &str)> = form
            .fields
            .iter()
            .map(|(k, v)| (format!("fields[{k}]"), v.as_str()))
            .collect();
        let mut all = vec![
            ("name", form.name.as_str()),
            ("email", form.email.as_str()),
            ("subject", form.subject.as_str()),
            ("description", form.description.as_str()),
            ("category_id", category.as_str()),
            ("order_ref", order.as_str()),
        ];
        all.extend(extra.iter().map(|(k, v)| (k.as_str(), *v)));
        FormState::with_values(&all)
    };
    // The form's fields are named for people; the ticket's errors name its own.
    let renamed = |errors: Vec<crate::error::FieldError>| {
        errors
            .into_iter()
            .map(|mut e| {
                e.field = match e.field.as_str() {
                    "requester_email" => "email".into(),
                    "requester_name" => "name".into(),
                    other => other.into(),
                };
                e
            })
            .collect::<Vec<_>>()
    };
    let new = match input.parse(true) {
        Ok(new) => new,
        Err(errors) => {
            let page = new_page(ctx, &app, slug, values().with_errors(renamed(errors))).await?;
            return Ok(Either::Right(Custom(HttpStatus::UnprocessableEntity, Html(page))));
        }
    };
    let email = form.email.trim().to_string();
    if !form.website.trim().is_empty() {
        // A bot: it is told what a person would be told, and nothing is kept.
        return Ok(Either::Left(Html(SentPage { ctx, org, email })));
    }
    let files = match attachments::receive(app.config, "files", &form.files).await {
        Ok(files) => files,
        Err(AppError::Invalid(errors)) => {
            let page = new_page(ctx, &app, slug, values().with_errors(errors)).await?;
            return Ok(Either::Right(Custom(HttpStatus::UnprocessableEntity, Html(page))));
        }
        Err(e) => return Err(e),
    };
    let (org_id, lang, base) = (org.id.to_string(), ctx.lang, app.base_url().clone());
    let origin = crate::db::AuditCtx {
        org_id: Some(org_id.clone()),
        ..client.anonymous(app.now())
    };
    let made = app
        .write(origin, move |tx| {
            let ticket = tickets::create(tx, &org_id, &new, tickets::Opener::Customer(lang), &base)?;
            attachments::attach(tx, &ticket.id, None, &files)
        })
        .await;
    match made {
        Ok(_) => Ok(Either::Left(Html(SentPage { ctx, org, email }))),
        Err(AppError::Invalid(errors)) => {
            let page = new_page(ctx, &app, slug, values().with_errors(renamed(errors))).await?;
            Ok(Either::Right(Custom(HttpStatus::UnprocessableEntity, Html(page))))
        }
        Err(e) => Err(e),
    }
}

pub struct PublicEntry {
    pub entry: Entry,
    pub at: When,
    pub files: Vec<Attachment>,
}

#[derive(Template)]
#[template(path = "support/help_ticket.html")]
pub struct RequestPage {
    ctx: PageCtx,
    org: Org,
    ticket: Ticket,
    created: When,
    entries: Vec<PublicEntry>,
    /// The files sent with the request itself.
    opening_files: Vec<Attachment>,
    /// Where its files download from (under the private link).
    files_base: String,
    form: FormState,
    /// The page's own address (the form posts back to it).
    action: String,
}

async fn request_page(
    ctx: PageCtx,
    app: &App<'_>,
    slug: &str,
    token: &str,
    form: FormState,
) -> Result<RequestPage, AppError> {
    let org = org(app, slug).await?;
    let (org_id, token_owned) = (org.id.to_string(), token.to_string());
    let (ticket, entries, files) = app
        .db
        .read(move |c| {
            let ticket = tickets::by_token(c, &org_id, &token_owned)?.ok_or(AppError::NotFound)?;
            // The requester never sees the team's internal notes, nor their files.
            let entries = conversation::list(c, &ticket, false)?;
            let files = attachments::of_ticket(c, &ticket.id, false)?;
            Ok((ticket, entries, files))
        })
        .await?;
    let clock = Clockface::new(&org.time_zone, ctx.lang, app.now());
    Ok(RequestPage {
        created: clock.when(ticket.created_at),
        entries: entries
            .into_iter()
            .map(|e| PublicEntry {
                at: clock.when(e.created_at),
                files: attachments::on(&files, Some(&e.id)).into_iter().cloned().collect(),
                entry: e,
            })
            .collect(),
        opening_files: attachments::on(&files, None).into_iter().cloned().collect(),
        files_base: format!("/help/{}/tickets/{token}/attachments", org.slug),
        action: format!("/help/{}/tickets/{token}", org.slug),
        ticket,
        org,
        form,
        ctx,
    })
}

#[rocket::get("/help/<slug>/tickets/<token>")]
async fn request(ctx: PageCtx, slug: &str, token: &str, app: App<'_>) -> Result<Html<RequestPage>, AppError> {
    Ok(Html(request_page(ctx, &app, slug, token, FormState::default()).await?))
}

/// What the requester writes, with its files.
#[derive(Debug, rocket::FromForm)]
pub struct RequesterReply<'r> {
    pub body: String,
    #[field(default = Vec::new())]
    pub files: Vec<TempFile<'r>>,
}

#[rocket::post("/help/<slug>/tickets/<token>", data = "<form>")]
async fn write_again(
    ctx: PageCtx,
    slug: &str,
    token: &str,
    form: Form<RequesterReply<'_>>,
    client: ClientInfo,
    app: App<'_>,
) -> Result<Either<Flash<Redirect>, Custom<Html<RequestPage>>>, AppError> {
    let org = org(&app, slug).await?;
    app.limits.check(Limit::SupportReplyPerTicket, token)?;
    let refused = |errors| FormState::with_values(&[("body", &form.body)]).with_errors(errors);
    let files = match attachments::receive(app.config, "files", &form.files).await {
        Ok(files) => files,
        Err(AppError::Invalid(errors)) => {
            let page = request_page(ctx, &app, slug, token, refused(errors)).await?;
            return Ok(Either::Right(Custom(HttpStatus::UnprocessableEntity, Html(page))));
        }
        Err(e) => return Err(e),
    };
    let (org_id, token_owned, body, base) = (
        org.id.to_string(),
        token.to_string(),
        form.body.clone(),
        app.base_url().clone(),
    );
    let origin = crate::db::AuditCtx {
        org_id: Some(org_id.clone()),
        ..client.anonymous(app.now())
    };
    let done = app
        .write(origin, move |tx| {
            let ticket = tickets::by_token(tx, &org_id, &token_owned)?.ok_or(AppError::NotFound)?;
            let made = conversation::requester_reply(tx, &ticket, &body, None, &base)?;
            attachments::attach(tx, &ticket.id, Some(&made), &files)
        })
        .await;
    match done {
        Ok(_) => Ok(Either::Left(Flash::success(
            Redirect::to(format!("/help/{}/tickets/{token}", org.slug)),
            ctx.t("support.help.sent_again"),
        ))),
        Err(AppError::Invalid(errors)) => {
            let page = request_page(ctx, &app, slug, token, refused(errors)).await?;
            Ok(Either::Right(Custom(HttpStatus::UnprocessableEntity, Html(page))))
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "support/help_rate.html")]
pub struct RatePage {
    ctx: PageCtx,
    org: Org,
    ticket: Ticket,
    /// The score chosen so far (from the mail's link, or the last rating).
    score: String,
    form: FormState,
    action: String,
}

async fn rate_page(
    ctx: PageCtx,
    app: &App<'_>,
    slug: &str,
    token: &str,
    score: Option<&str>,
    form: FormState,
) -> Result<RatePage, AppError> {
    let org = org(app, slug).await?;
    let (org_id, token_owned) = (org.id.to_string(), token.to_string());
    let ticket = app
        .db
        .read(move |c| tickets::by_token(c, &org_id, &token_owned)?.ok_or(AppError::NotFound))
        .await?;
    let score = score
        .filter(|s| matches!(*s, "good" | "bad"))
        .map(str::to_string)
        .or_else(|| ticket.satisfaction.clone())
        .unwrap_or_default();
    Ok(RatePage {
        action: format!("/help/{}/tickets/{token}/rate", org.slug),
        score,
        ticket,
        org,
        form,
        ctx,
    })
}

/// The rating form (the mail's links land here; nothing is kept until sent).
#[rocket::get("/help/<slug>/tickets/<token>/rate?<score>")]
async fn rate_form(
    ctx: PageCtx,
    slug: &str,
    token: &str,
    score: Option<&str>,
    app: App<'_>,
) -> Result<Html<RatePage>, AppError> {
    Ok(Html(
        rate_page(ctx, &app, slug, token, score, FormState::default()).await?,
    ))
}

#[derive(Debug, Clone, rocket::FromForm)]
pub struct RateForm {
    #[field(default = String::new())]
    pub score: String,
    #[field(default = String::new())]
    pub comment: String,
}

#[rocket::post("/help/<slug>/tickets/<token>/rate", data = "<form>")]
async fn rate(
    ctx: PageCtx,
    slug: &str,
    token: &str,
    form: Form<RateForm>,
    client: ClientInfo,
    app: App<'_>,
) -> Result<Either<Flash<Redirect>, Custom<Html<RatePage>>>, AppError> {
    let org = org(&app, slug).await?;
    app.limits.check(Limit::SupportReplyPerTicket, token)?;
    let (org_id, token_owned, form) = (org.id.to_string(), token.to_string(), form.into_inner());
    let origin = crate::db::AuditCtx {
        org_id: Some(org_id.clone()),
        ..client.anonymous(app.now())
    };
    let (score, comment) = (form.score.clone(), form.comment.clone());
    let done = app
        .write(origin, move |tx| {
            let ticket = tickets::by_token(tx, &org_id, &token_owned)?.ok_or(AppError::NotFound)?;
            super::closing::rate(tx, &ticket, &score, &comment)
        })
        .await;
    match done {
        Ok(()) => Ok(Either::Left(Flash::success(
            Redirect::to(format!("/help/{}/tickets/{token}", org.slug)),
            ctx.t("support.help.rated"),
        ))),
        Err(AppError::Invalid(errors)) => {
            let state = FormState::with_values(&[("comment", &form.comment)]).with_errors(errors);
            let page = rate_page(ctx, &app, slug, token, Some(&form.score), state).await?;
            Ok(Either::Right(Custom(HttpStatus::UnprocessableEntity, Html(page))))
        }
        Err(e) => Err(e),
    }
}

/// A file of a request, for the holder of its private link: never one of
/// an internal note.
#[rocket::get("/help/<slug>/tickets/<token>/attachments/<id>")]
async fn download(slug: &str, token: &str, id: AttachmentId, app: App<'_>) -> Result<crate::files::Private, AppError> {
    let org = org(&app, slug).await?;
    let (org_id, token) = (org.id.to_string(), token.to_string());
    let file = app
        .db
        .read(move |c| {
            let ticket = tickets::by_token(c, &org_id, &token)?.ok_or(AppError::NotFound)?;
            let file = attachments::of_org(c, &org_id, &id)?.ok_or(AppError::NotFound)?;
            if file.ticket_id != ticket.id || file.internal {
                return Err(AppError::NotFound);
            }
            Ok(file)
        })
        .await?;
    attachments::Download::of(app.config, &file).await
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![new, open, request, write_again, download, rate_form, rate]
}
