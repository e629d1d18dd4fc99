//! A ticket's page for the team (`/dashboard/support/tickets/{id}`): the
//! conversation with its internal notes and files, who else has it open,
//! a reply or note form (canned replies, files, the collision check), the
//! ticket's status, priority, assignee, category, tags and extra fields,
//! and its timeline; and the download of its files.

use super::attachments::{self, Attachment, AttachmentId};
use super::categories::Category;
use super::conversation::{self, Entry};
use super::pages::{Agent, Answer, agents};
use super::tickets::{self, Ticket, TicketChange};
use super::{Status, TicketId};
use crate::error::AppError;
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};
use crate::web::app::App;
use crate::web::forms::FormState;
use crate::web::page::{Html, PageCtx};
use crate::web::shell::Shell;
use crate::web::when::When;
use askama::Template;
use rocket::Either;
use rocket::form::Form;
use rocket::fs::TempFile;
use rocket::http::Status as HttpStatus;
use rocket::response::status::Custom;
use rocket::response::{Flash, Redirect};

pub struct EntryRow {
    pub entry: Entry,
    pub at: When,
    pub files: Vec<Attachment>,
}

pub struct EventRow {
    pub event: tickets::Event,
    pub at: When,
}

#[derive(Template)]
#[template(path = "support/ticket.html")]
pub struct TicketPage {
    ctx: PageCtx,
    shell: Shell,
    ticket: Ticket,
    created: When,
    first_response: Option<When>,
    /// Due times while they matter (first response until given, resolution until resolved).
    first_due: Option<When>,
    resolve_due: Option<When>,
    entries: Vec<EntryRow>,
    /// The files sent with the ticket itself.
    opening_files: Vec<Attachment>,
    /// Where its files download from.
    files_base: &'static str,
    events: Vec<EventRow>,
    categories: Vec<Category>,
    agents: Vec<Agent>,
    /// The statuses it may move to now.
    next: Vec<&'static str>,
    can_edit: bool,
    reply: FormState,
    /// How many messages the page shows (the reply form sends it back).
    seen: usize,
    /// Someone else wrote since the reply was begun: it waits for a confirmation.
    collision: bool,
    /// The other members who have the ticket open.
    others: Vec<String>,
    /// The canned replies to pick from.
    canned: Vec<super::canned::Canned>,
    /// The category's extra fields as answered: (label, kind, value).
    values: Vec<(String, String, String)>,
    /// The category's extra fields with their current values, to edit.
    field_inputs: Vec<(super::fields::Field, String)>,
}

async fn ticket_page(
    ctx: PageCtx,
    member: &Member,
    app: &App<'_>,
    id: &TicketId,
    reply: FormState,
) -> Result<TicketPage, AppError> {
    member.require(Area::Support, Level::View)?;
    let (org_id, id) = (member.org.id.to_string(), id.clone());
    let (ticket, entries, files, events, categories, agents, canned, values, field_inputs) = app
        .db
        .read(move |c| {
            let ticket = tickets::get(c, &org_id, &id)?.ok_or(AppError::NotFound)?;
            let entries = conversation::list(c, &ticket, true)?;
            let files = attachments::of_ticket(c, &ticket.id, true)?;
            let events = tickets::events(c, &ticket.id)?;
            let field_inputs = {
                let current = super::fields::by_field(c, &ticket.id)?;
                let fields = match &ticket.category_id {
                    Some(cat) => super::fields::of_category(c, cat)?,
                    None => vec![],
                };
                fields
                    .into_iter()
                    .map(|f| {
                        let v = current.get(f.id.as_str()).cloned().unwrap_or_default();
                        (f, v)
                    })
                    .collect::<Vec<_>>()
            };
            Ok((
                ticket,
                entries,
                files,
                events,
                super::categories::list(c, &org_id)?,
                agents(c, &org_id)?,
                super::canned::list(c, &org_id)?,
                super::fields::values_of(c, &id)?,
                field_inputs,
            ))
        })
        .await?;
    let clock = member.clockface(ctx.lang, app.now());
    Ok(TicketPage {
        seen: entries.len(),
        collision: false,
        others: vec![],
        canned,
        values,
        field_inputs,
        shell: Shell::new(member, "support"),
        created: clock.when(ticket.created_at),
        first_response: clock.maybe(&ticket.first_response_at),
        first_due: clock.maybe(
            &ticket
                .first_response_due_at
                .filter(|_| ticket.first_response_at.is_none()),
        ),
        resolve_due: clock.maybe(&ticket.resolution_due_at.filter(|_| {
            !matches!(
                ticket.status(),
                Status::Resolved | Status::Closed | Status::PendingCustomer
            )
        })),
        entries: entries
            .into_iter()
            .map(|e| EntryRow {
                at: clock.when(e.created_at),
                files: attachments::on(&files, Some(&e.id)).into_iter().cloned().collect(),
                entry: e,
            })
            .collect(),
        opening_files: attachments::on(&files, None).into_iter().cloned().collect(),
        files_base: "/dashboard/support/attachments",
        events: events
            .into_iter()
            .map(|e| EventRow {
                at: clock.when(e.at),
                event: e,
            })
            .collect(),
        next: ticket.status().next().iter().map(|s| s.key()).collect(),
        ticket,
        categories,
        agents,
        can_edit: member.can(Area::Support, Level::Edit),
        reply,
        ctx,
    })
}

/// A ticket's page; `canned` fills the reply form with that canned reply.
#[rocket::get("/dashboard/support/tickets/<id>?<canned>")]
async fn show(
    ctx: PageCtx,
    member: Member,
    id: TicketId,
    canned: Option<&str>,
    presence: &rocket::State<super::presence::Presence>,
    app: App<'_>,
) -> Result<Html<TicketPage>, AppError> {
    let reply = match canned.filter(|c| !c.is_empty()) {
        Some(c) => {
            let text = super::canned_pages::filled(&member, &app, id.clone(), c).await?;
            FormState::with_values(&[("body", &text)])
        }
        None => FormState::default(),
    };
    let mut page = ticket_page(ctx, &member, &app, &id, reply).await?;
    page.others = presence.look(id.as_str(), member.user.id.as_str(), &member.user.name, app.now());
    Ok(Html(page))
}

/// A reply or a note typed by a member, with its files.
#[derive(Debug, rocket::FromForm)]
pub struct ReplyForm<'r> {
    pub body: String,
    /// `reply` (to the requester) or `note` (members only).
    #[field(default = String::from("reply"))]
    pub kind: String,
    /// The status the ticket takes after it (empty: the usual one).
    #[field(default = String::new())]
    pub then: String,
    #[field(default = Vec::new())]
    pub files: Vec<TempFile<'r>>,
    /// How many messages the page showed when the reply was begun.
    pub seen: Option<usize>,
    /// Sent anyway, after the warning that someone else wrote meanwhile.
    #[field(default = false)]
    pub confirm: bool,
}

#[rocket::post("/dashboard/support/tickets/<id>/messages", data = "<form>")]
async fn reply(
    ctx: PageCtx,
    member: Member,
    id: TicketId,
    form: Form<ReplyForm<'_>>,
    app: App<'_>,
) -> Result<Answer<TicketPage>, AppError> {
    member.require(Area::Support, Level::Edit)?;
    let form = form.into_inner();
    let internal = form.kind == "note";
    let refused = |errors| FormState::with_values(&[("body", &form.body)]).with_errors(errors);
    let files = match attachments::receive(app.config, "files", &form.files).await {
        Ok(files) => files,
        Err(AppError::Invalid(errors)) => {
            let page = ticket_page(ctx, &member, &app, &id, refused(errors)).await?;
            return Ok(Either::Right(Custom(HttpStatus::UnprocessableEntity, Html(page))));
        }
        Err(e) => return Err(e),
    };
    let then = match form.then.trim() {
        "" => None,
        s => Some(Status::parse("then", s)?),
    };
    let (audit, org_id, user, base, tid, body) = (
        member.audit(app.now()),
        member.org.id.to_string(),
        member.user.clone(),
        app.base_url().clone(),
        id.clone(),
        form.body.clone(),
    );
    let (seen, confirm) = (form.seen, form.confirm);
    let done = app
        .write(audit, move |tx| {
            let ticket = tickets::get(tx, &org_id, &tid)?.ok_or(AppError::NotFound)?;
            let made = conversation::member_reply(
                tx,
                &ticket,
                &user,
                &conversation::Reply {
                    seen: if confirm { None } else { seen },
                    ..conversation::Reply::new(&body, internal, then)
                },
                &base,
            )?;
            attachments::attach(tx, &ticket.id, Some(&made), &files)
        })
        .await;
    match done {
        Ok(_) => Ok(Either::Left(Flash::success(
            Redirect::to(format!("/dashboard/support/tickets/{id}")),
            ctx.t(if internal { "support.noted" } else { "support.replied" }),
        ))),
        Err(AppError::Invalid(errors)) => {
            let page = ticket_page(ctx, &member, &app, &id, refused(errors)).await?;
            Ok(Either::Right(Custom(HttpStatus::UnprocessableEntity, Html(page))))
        }
        // Someone wrote meanwhile: the page shows it, keeps the text, and
        // the same button then sends it anyway. (Files are sent again.)
        Err(AppError::Conflict(m)) if m.key == "support.error.collision" => {
            let mut page = ticket_page(ctx, &member, &app, &id, refused(vec![])).await?;
            page.collision = true;
            Ok(Either::Right(Custom(HttpStatus::Conflict, Html(page))))
        }
        Err(e) => Err(e),
    }
}

#[rocket::post("/dashboard/support/tickets/<id>", data = "<form>")]
async fn update(
    ctx: PageCtx,
    member: Member,
    id: TicketId,
    form: Form<TicketChange>,
    app: App<'_>,
) -> Result<Flash<Redirect>, AppError> {
    member.require(Area::Support, Level::Edit)?;
    let (audit, org_id, user, base, tid, change) = (
        member.audit(app.now()),
        member.org.id.to_string(),
        member.user.clone(),
        app.base_url().clone(),
        id.clone(),
        form.into_inner(),
    );
    app.write(audit, move |tx| {
        tickets::change(tx, &org_id, &tid, &change, &user, &base)
    })
    .await?;
    Ok(Flash::success(
        Redirect::to(format!("/dashboard/support/tickets/{id}")),
        ctx.t("support.updated_flash"),
    ))
}

/// A file of one of the org's tickets, for its members.
#[rocket::get("/dashboard/support/attachments/<id>")]
async fn download(member: Member, id: AttachmentId, app: App<'_>) -> Result<crate::files::Private, AppError> {
    attachments::Download::for_member(&app, &member, id).await
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![show, reply, update, download]
}
