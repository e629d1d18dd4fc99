//! The team's ticket list, `/dashboard/support`: the overview's figures,
//! saved views, filters and search, bulk changes, a form to open a ticket,
//! and the categories. A ticket's own page is `ticket_pages`.

use super::categories::Category;
use super::tickets::{self, Assigned, Ticket, TicketFilter, TicketInput};
use super::{Priority, Status};
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
    /// `late` (past a due time) or `soon` (due within the overview's hours).
    pub due: Option<String>,
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
            ("due", &self.due),
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
    pub fn filter(&self, member: &Member, now: i64) -> TicketFilter {
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
            due: match self.due.as_deref() {
                Some("late") => Some(None),
                Some("soon") => Some(Some(now + super::overview::SOON)),
                _ => None,
            },
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

pub(super) fn agents(conn: &rusqlite::Connection, org_id: &str) -> Result<Vec<Agent>, AppError> {
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
    let (org_id, filter, now) = (member.org.id.to_string(), q.filter(member, app.now()), app.now());
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

pub(super) type Answer<P> = Either<Flash<Redirect>, Custom<Html<P>>>;

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

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![list, create, add_category]
}
