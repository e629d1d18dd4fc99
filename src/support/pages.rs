//! The team's support pages: `/dashboard/support` (the tickets with
//! filters and search, a form to open one, the categories) and
//! `/dashboard/support/tickets/{id}` (the conversation with its internal
//! notes, a reply or note form, the ticket's status, priority, assignee
//! and category, and its timeline).

use super::attachments::{self, Attachment, AttachmentId};
use super::categories::Category;
use super::conversation::{self, Entry};
use super::tickets::{self, Assigned, Ticket, TicketChange, TicketFilter, TicketInput};
use super::{Priority, Status, TicketId};
use crate::error::AppError;
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level, Perm};
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

/// The list's filters, as the query string carries them.
#[derive(Debug, Clone, Default, rocket::FromForm)]
pub struct ListQuery {
    pub status: Option<String>,
    pub priority: Option<String>,
    pub category: Option<String>,
    pub tag: Option<String>,
    /// `me`, `nobody` or a member's id.
    pub assigned: Option<String>,
    pub q: Option<String>,
    pub sort: Option<String>,
}

impl ListQuery {
    /// Its query string, the filters set only, in a fixed order
    /// (`status=open&tag=vip`): what a saved view keeps.
    pub fn to_query(&self) -> String {
        use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
        self.pairs()
            .iter()
            .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, NON_ALPHANUMERIC)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The filters set, by name, in a fixed order.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let fields = [
            ("q", &self.q),
            ("status", &self.status),
            ("priority", &self.priority),
            ("category", &self.category),
            ("tag", &self.tag),
            ("assigned", &self.assigned),
            ("sort", &self.sort),
        ];
        fields
            .iter()
            .filter_map(|(k, v)| {
                let v = v.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
                Some((*k, v.to_string()))
            })
            .collect()
    }

    /// The filter it asks for (`member` says who "me" is); unknown values
    /// are ignored rather than refused.
    pub fn filter(&self, member: &Member) -> TicketFilter {
        let status = self
            .status
            .as_deref()
            .filter(|s| !s.is_empty() && *s != "open_all")
            .and_then(|s| Status::parse("status", s).ok());
        TicketFilter {
            open_only: status.is_none() && self.status.as_deref() != Some("all"),
            status,
            priority: self
                .priority
                .as_deref()
                .and_then(|p| Priority::parse("priority", p).ok()),
            category: tickets::text(&self.category),
            tag: tickets::text(&self.tag).and_then(|t| super::tags::tag(&t).ok()),
            assigned: match self.assigned.as_deref().map(str::trim) {
                None | Some("") => Assigned::Anyone,
                Some("me") => Assigned::To(member.user.id.to_string()),
                Some("nobody") => Assigned::Nobody,
                Some(id) => Assigned::To(id.to_string()),
            },
            q: tickets::text(&self.q),
            sort: tickets::text(&self.sort),
        }
    }
}

pub struct TicketRow {
    pub ticket: Ticket,
    pub updated: When,
    /// The next due time it has to meet, if any.
    pub due: Option<When>,
    /// Past a due time (first response or resolution).
    pub late: bool,
}

/// The due time a ticket has to meet next: its first response while it
/// has none, then its resolution; none once resolved or closed.
fn next_due(t: &Ticket) -> Option<i64> {
    if matches!(t.status(), Status::Resolved | Status::Closed) {
        return None;
    }
    if t.first_response_at.is_none() {
        t.first_response_due_at
    } else if t.status() == Status::PendingCustomer {
        None // the resolution clock waits with the ticket
    } else {
        t.resolution_due_at
    }
}

fn late(t: &Ticket) -> bool {
    !matches!(t.status(), Status::Resolved | Status::Closed) && (t.first_response_breached || t.resolution_breached)
}

/// A member who may be given tickets.
pub struct Agent {
    pub id: String,
    pub name: String,
}

fn agents(conn: &rusqlite::Connection, org_id: &str) -> Result<Vec<Agent>, AppError> {
    let ids = crate::orgs::team::members_who_can(conn, org_id, Perm(Area::Support, Level::Edit))?;
    let mut out = vec![];
    for id in ids {
        let name: String = conn.query_row("SELECT name FROM users WHERE id = ?1", [id.as_str()], |r| r.get(0))?;
        out.push(Agent {
            id: id.to_string(),
            name,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

#[derive(Template)]
#[template(path = "support/list.html")]
pub struct ListPage {
    ctx: PageCtx,
    shell: Shell,
    q: ListQuery,
    rows: Vec<TicketRow>,
    categories: Vec<Category>,
    agents: Vec<Agent>,
    /// The saved views this member sees, and the tags in use.
    views: Vec<super::views::View>,
    tags: Vec<String>,
    /// The query string of the filters shown.
    query: String,
    can_edit: bool,
    can_manage: bool,
    form: FormState,
    category_form: FormState,
    help_url: String,
    figures: super::overview::Overview,
    /// The figures' times in words ("2 h 05 min"): first response and resolution, median and p90.
    times: [Option<String>; 4],
}

async fn list_page(
    ctx: PageCtx,
    member: &Member,
    app: &App<'_>,
    q: ListQuery,
    form: FormState,
    category_form: FormState,
) -> Result<ListPage, AppError> {
    member.require(Area::Support, Level::View)?;
    let (org_id, filter, now) = (member.org.id.to_string(), q.filter(member), app.now());
    let reader = member.clone();
    let (rows, categories, agents, figures, views, tags) = app
        .db
        .read(move |c| {
            Ok((
                tickets::list(c, &org_id, &filter, 200)?,
                super::categories::list(c, &org_id)?,
                agents(c, &org_id)?,
                super::overview::figures(c, &org_id, now)?,
                super::views::list(c, &reader)?,
                super::tags::used(c, &org_id)?,
            ))
        })
        .await?;
    let words = |s: Option<i64>| s.map(|s| ctx.msg(&crate::web::when::duration_words(s)));
    let times = [
        words(figures.first_response.map(|t| t.0)),
        words(figures.first_response.map(|t| t.1)),
        words(figures.resolution.map(|t| t.0)),
        words(figures.resolution.map(|t| t.1)),
    ];
    let clock = member.clockface(ctx.lang, app.now());
    Ok(ListPage {
        shell: Shell::new(member, "support"),
        rows: rows
            .into_iter()
            .map(|t| TicketRow {
                updated: clock.when(t.updated_at),
                due: next_due(&t).map(|d| clock.when(d)),
                late: late(&t),
                ticket: t,
            })
            .collect(),
        categories,
        agents,
        views,
        tags,
        query: q.to_query(),
        can_edit: member.can(Area::Support, Level::Edit),
        can_manage: member.can(Area::Support, Level::Manage),
        form,
        category_form,
        help_url: format!("/help/{}", member.org.slug),
        figures,
        times,
        q,
        ctx,
    })
}

#[rocket::get("/dashboard/support?<q..>")]
async fn list(ctx: PageCtx, member: Member, q: ListQuery, app: App<'_>) -> Result<Html<ListPage>, AppError> {
    Ok(Html(
        list_page(ctx, &member, &app, q, FormState::default(), FormState::default()).await?,
    ))
}

fn ticket_values(input: &TicketInput) -> FormState {
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let (subject, description, category, priority, email, name, order) = (
        s(&input.subject),
        s(&input.description),
        s(&input.category_id),
        s(&input.priority),
        s(&input.requester_email),
        s(&input.requester_name),
        s(&input.order_ref),
    );
    FormState::with_values(&[
        ("subject", &subject),
        ("description", &description),
        ("category_id", &category),
        ("priority", &priority),
        ("requester_email", &email),
        ("requester_name", &name),
        ("order_ref", &order),
    ])
}

type Answer<P> = Either<Flash<Redirect>, Custom<Html<P>>>;

#[rocket::post("/dashboard/support/tickets", data = "<form>")]
async fn create(
    ctx: PageCtx,
    member: Member,
    form: Form<TicketInput>,
    app: App<'_>,
) -> Result<Answer<ListPage>, AppError> {
    member.require(Area::Support, Level::Edit)?;
    let input = form.into_inner();
    let refused = |errors| ticket_values(&input).with_errors(errors);
    let new = match input.parse(false) {
        Ok(new) => new,
        Err(errors) => {
            let page = list_page(
                ctx,
                &member,
                &app,
                ListQuery::default(),
                refused(errors),
                FormState::default(),
            )
            .await?;
            return Ok(Either::Right(Custom(HttpStatus::UnprocessableEntity, Html(page))));
        }
    };
    let (audit, org_id, user, base) = (
        member.audit(app.now()),
        member.org.id.to_string(),
        member.user.clone(),
        app.base_url().clone(),
    );
    let made = app
        .write(audit, move |tx| {
            tickets::create(tx, &org_id, &new, tickets::Opener::Member(&user), &base)
        })
        .await;
    match made {
        Ok(ticket) => Ok(Either::Left(Flash::success(
            Redirect::to(format!("/dashboard/support/tickets/{}", ticket.id)),
            ctx.lang.tf("support.created", &[("number", &ticket.reference())]),
        ))),
        Err(AppError::Invalid(errors)) => {
            let page = list_page(
                ctx,
                &member,
                &app,
                ListQuery::default(),
                refused(errors),
                FormState::default(),
            )
            .await?;
            Ok(Either::Right(Custom(HttpStatus::UnprocessableEntity, Html(page))))
        }
        Err(e) => Err(e),
    }
}

#[rocket::post("/dashboard/support/categories", data = "<form>")]
async fn add_category(
    ctx: PageCtx,
    member: Member,
    form: Form<super::categories::CategoryInput>,
    app: App<'_>,
) -> Result<Answer<ListPage>, AppError> {
    member.require(Area::Support, Level::Manage)?;
    let input = form.into_inner();
    let (audit, org_id, given) = (member.audit(app.now()), member.org.id.to_string(), input.clone());
    match app
        .write(audit, move |tx| super::categories::create(tx, &org_id, &given))
        .await
    {
        Ok(_) => Ok(Either::Left(Flash::success(
            Redirect::to("/dashboard/support"),
            ctx.t("support.category_saved"),
        ))),
        Err(AppError::Invalid(errors)) => {
            let name = input.name.clone().unwrap_or_default();
            let state = FormState::with_values(&[("name", &name)]).with_errors(errors);
            let page = list_page(ctx, &member, &app, ListQuery::default(), FormState::default(), state).await?;
            Ok(Either::Right(Custom(HttpStatus::UnprocessableEntity, Html(page))))
        }
        Err(e) => Err(e),
    }
}

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
    let (ticket, entries, files, events, categories, agents, canned, values) = app
        .db
        .read(move |c| {
            let ticket = tickets::get(c, &org_id, &id)?.ok_or(AppError::NotFound)?;
            let entries = conversation::list(c, &ticket, true)?;
            let files = attachments::of_ticket(c, &ticket.id, true)?;
            let events = tickets::events(c, &ticket.id)?;
            Ok((
                ticket,
                entries,
                files,
                events,
                super::categories::list(c, &org_id)?,
                agents(c, &org_id)?,
                super::canned::list(c, &org_id)?,
                super::fields::values_of(c, &id)?,
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
async fn download(member: Member, id: AttachmentId, app: App<'_>) -> Result<attachments::Download, AppError> {
    attachments::Download::for_member(&app, &member, id).await
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![list, create, add_category, show, reply, update, download]
}
