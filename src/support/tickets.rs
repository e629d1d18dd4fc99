//! Tickets: what a form or the API sends, checked once ([`TicketInput`] →
//! [`NewTicket`]); their numbering per organisation (`#1`, `#2`, …);
//! storage and lists with filters. What changes a ticket afterwards is in
//! `changes` (re-exported here).

use super::{CategoryId, Priority, Status, TicketId};
use crate::auth::{User, UserId};
use crate::db::Tx;
use crate::db::ids::random_token;
use crate::error::{AppError, FieldError};
use crate::notifications::{self, Notice};
use crate::orgs::perms::{Area, Level, Perm};
use crate::web::forms::Checks;
use crate::web::i18n::Lang;
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A ticket as stored, with its category's and assignee's names.
#[derive(Debug, Clone, Serialize)]
pub struct Ticket {
    pub id: TicketId,
    #[serde(skip)]
    pub org_id: String,
    pub number: i64,
    pub subject: String,
    pub description: String,
    pub category_id: Option<String>,
    pub category_name: Option<String>,
    pub priority: String,
    pub status: String,
    pub requester_email: String,
    pub requester_name: String,
    #[serde(skip)]
    pub requester_user_id: Option<String>,
    #[serde(skip)]
    pub requester_lang: String,
    pub assignee_id: Option<String>,
    pub assignee_name: Option<String>,
    pub order_ref: Option<String>,
    #[serde(skip)]
    pub access_token: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub first_response_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub first_response_due_at: Option<i64>,
    pub resolution_due_at: Option<i64>,
    pub first_response_breached: bool,
    pub resolution_breached: bool,
    /// Sorted.
    pub tags: Vec<String>,
    /// The requester's rating once resolved: `good` or `bad`, and their comment.
    pub satisfaction: Option<String>,
    pub satisfaction_comment: Option<String>,
}

const COLUMNS: &str = "t.id, t.org_id, t.number, t.subject, t.description, t.category_id, c.name, t.priority,
    t.status, t.requester_email, t.requester_name, t.requester_user_id, t.requester_lang, t.assignee_id, u.name,
    t.order_ref, t.access_token, t.created_at, t.updated_at, t.first_response_at, t.resolved_at, t.closed_at,
    t.first_response_due_at, t.resolution_due_at, t.first_response_breached, t.resolution_breached,
    (SELECT group_concat(tag, ',') FROM (SELECT g.tag FROM support_ticket_tags g WHERE g.ticket_id = t.id ORDER BY g.tag)),
    t.satisfaction, t.satisfaction_comment";
const FROM: &str = "support_tickets t LEFT JOIN support_categories c ON c.id = t.category_id
    LEFT JOIN users u ON u.id = t.assignee_id";

fn ticket_at(r: &Row<'_>) -> rusqlite::Result<Ticket> {
    Ok(Ticket {
        id: TicketId::from_text(r.get::<_, String>(0)?),
        org_id: r.get(1)?,
        number: r.get(2)?,
        subject: r.get(3)?,
        description: r.get(4)?,
        category_id: r.get(5)?,
        category_name: r.get(6)?,
        priority: r.get(7)?,
        status: r.get(8)?,
        requester_email: r.get(9)?,
        requester_name: r.get(10)?,
        requester_user_id: r.get(11)?,
        requester_lang: r.get(12)?,
        assignee_id: r.get(13)?,
        assignee_name: r.get(14)?,
        order_ref: r.get(15)?,
        access_token: r.get(16)?,
        created_at: r.get(17)?,
        updated_at: r.get(18)?,
        first_response_at: r.get(19)?,
        resolved_at: r.get(20)?,
        closed_at: r.get(21)?,
        first_response_due_at: r.get(22)?,
        resolution_due_at: r.get(23)?,
        first_response_breached: r.get(24)?,
        resolution_breached: r.get(25)?,
        tags: r
            .get::<_, Option<String>>(26)?
            .map(|t| t.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        satisfaction: r.get(27)?,
        satisfaction_comment: r.get(28)?,
    })
}

impl Ticket {
    pub fn status(&self) -> Status {
        Status::parse("status", &self.status).unwrap_or(Status::Open)
    }

    /// The language of the requester's mails and pages.
    pub fn lang(&self) -> Lang {
        Lang::parse(&self.requester_lang).unwrap_or_default()
    }

    /// "#12".
    pub fn reference(&self) -> String {
        format!("#{}", self.number)
    }

    /// The requester as people read them: their name, else their address.
    pub fn requester_label(&self) -> String {
        if self.requester_name.is_empty() {
            self.requester_email.clone()
        } else {
            self.requester_name.clone()
        }
    }
}

/// What a form or the API sends to open a ticket.
#[derive(Debug, Clone, Default, Deserialize, rocket::FromForm)]
#[serde(deny_unknown_fields)]
pub struct TicketInput {
    pub subject: Option<String>,
    pub description: Option<String>,
    pub category_id: Option<String>,
    pub priority: Option<String>,
    /// The customer it is for; a member's own ticket when absent.
    pub requester_email: Option<String>,
    pub requester_name: Option<String>,
    pub order_ref: Option<String>,
    /// The category's extra fields, by field id (`fields[fld_…]` in a form).
    #[serde(default)]
    #[field(default = HashMap::new())]
    pub fields: HashMap<String, String>,
}

/// A ticket to open, checked.
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub subject: String,
    pub description: String,
    pub category: Option<CategoryId>,
    pub priority: Priority,
    pub requester_email: Option<String>,
    pub requester_name: String,
    pub order_ref: Option<String>,
    /// Mail the requester their private link (the demo's customers have no mailbox).
    pub mail_requester: bool,
    /// The extra fields' values, checked against the category when stored.
    pub fields: HashMap<String, String>,
}

pub(super) fn text(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl TicketInput {
    /// Checks every field; `email_required` for a customer's own request.
    pub fn parse(&self, email_required: bool) -> Result<NewTicket, Vec<FieldError>> {
        let mut c = Checks::default();
        let subject = text(&self.subject).unwrap_or_default();
        c.check(
            !subject.is_empty() && subject.chars().count() <= 200,
            "subject",
            "support.error.subject",
        );
        let description = text(&self.description).unwrap_or_default();
        c.check(
            !description.is_empty() && description.chars().count() <= 20_000,
            "description",
            "support.error.description",
        );
        let priority = match text(&self.priority) {
            None => Some(Priority::Medium),
            Some(p) => Priority::parse("priority", &p).ok(),
        };
        c.check(priority.is_some(), "priority", "support.error.priority");
        let requester_email = text(&self.requester_email);
        c.check(
            requester_email.as_deref().map_or(!email_required, |e| {
                crate::auth::Email::parse("requester_email", e).is_ok()
            }),
            "requester_email",
            "auth.error.email_invalid",
        );
        let requester_name = text(&self.requester_name).unwrap_or_default();
        c.check(
            requester_name.chars().count() <= 100,
            "requester_name",
            "support.error.name",
        );
        let order_ref = text(&self.order_ref);
        c.check(
            order_ref.as_ref().is_none_or(|o| o.chars().count() <= 100),
            "order_ref",
            "support.error.order_ref",
        );
        c.into_result()?;
        Ok(NewTicket {
            subject,
            description,
            category: text(&self.category_id).map(CategoryId::from_text),
            priority: priority.unwrap_or(Priority::Medium),
            requester_email,
            requester_name,
            order_ref,
            mail_requester: true,
            fields: self.fields.clone(),
        })
    }
}

/// Who opens a ticket.
pub enum Opener<'a> {
    /// A customer through the help centre, in their language.
    Customer(Lang),
    /// A member of the organisation (for themselves or for a customer).
    Member(&'a User),
}

/// Opens a ticket in `org_id`: numbered, audited, told to the team (or the
/// category's default assignee) and mailed to the requester with their
/// private link.
pub fn create(
    tx: &Tx,
    org_id: &str,
    new: &NewTicket,
    opener: Opener<'_>,
    base: &reqwest::Url,
) -> Result<Ticket, AppError> {
    let assignee: Option<String> = match &new.category {
        None => None,
        Some(cat) => tx
            .query_row(
                "SELECT default_assignee FROM support_categories WHERE org_id = ?1 AND id = ?2",
                [org_id, cat.as_str()],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?
            .ok_or_else(|| AppError::invalid("category_id", "support.error.category"))?,
    };
    let org_lang: String = tx.query_row("SELECT default_language FROM orgs WHERE id = ?1", [org_id], |r| {
        r.get(0)
    })?;
    let (email, name, user_id, lang) = match (&opener, &new.requester_email) {
        (Opener::Member(user), None) => (
            user.email.clone(),
            user.name.clone(),
            Some(user.id.to_string()),
            user.language.clone().unwrap_or(org_lang),
        ),
        (Opener::Customer(lang), Some(email)) => (email.clone(), new.requester_name.clone(), None, lang.code().into()),
        (Opener::Member(_), Some(email)) => (email.clone(), new.requester_name.clone(), None, org_lang),
        (Opener::Customer(_), None) => return Err(AppError::invalid("requester_email", "auth.error.email_invalid")),
    };
    let (id, now) = (TicketId::generate(), tx.now());
    let number: i64 = tx.query_row(
        "SELECT coalesce(max(number), 0) + 1 FROM support_tickets WHERE org_id = ?1",
        [org_id],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO support_tickets (id, org_id, number, subject, description, category_id, priority, requester_email,
           requester_name, requester_user_id, requester_lang, assignee_id, order_ref, access_token, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15)",
        rusqlite::params![
            id.as_str(),
            org_id,
            number,
            new.subject,
            new.description,
            new.category.as_deref(),
            new.priority.key(),
            email,
            name,
            user_id,
            lang,
            assignee,
            new.order_ref,
            random_token(24),
            now
        ],
    )?;
    crate::audit::record_in(
        tx,
        org_id,
        "support.ticket_created",
        Some(("ticket", &id)),
        serde_json::json!({ "number": number, "subject": new.subject }),
    )?;
    let from_customer = matches!(opener, Opener::Customer(_));
    super::fields::save_values(tx, &id, new.category.as_ref(), &new.fields, from_customer)?;
    super::sla::set_due(tx, &get(tx, org_id, &id)?.ok_or(AppError::NotFound)?)?;
    let ticket = get(tx, org_id, &id)?.ok_or(AppError::NotFound)?;
    let opened_by = match &opener {
        Opener::Member(user) => Some(user.id.to_string()),
        Opener::Customer(_) => None,
    };
    let recipients: Vec<UserId> = answerers(tx, &ticket)?
        .into_iter()
        .filter(|u| Some(u.to_string()) != opened_by)
        .collect();
    let link = format!("/dashboard/support/tickets/{id}");
    let data = serde_json::json!({ "number": ticket.reference(), "subject": ticket.subject,
        "requester": ticket.requester_label() });
    let notice = Notice {
        kind: &notifications::SUPPORT_TICKET_CREATED,
        data,
        link: Some(&link),
    };
    notifications::notify(tx, org_id, &recipients, notice, base)?;
    if ticket.requester_user_id.is_none() && new.mail_requester {
        super::conversation::mail_opened(tx, &ticket, base)?;
    }
    Ok(ticket)
}

/// Who is told about `ticket`: its assignee, else every member who may
/// work on support.
pub fn answerers(conn: &Connection, ticket: &Ticket) -> Result<Vec<UserId>, AppError> {
    match &ticket.assignee_id {
        Some(a) => Ok(vec![UserId::from_text(a.clone())]),
        None => crate::orgs::team::members_who_can(conn, &ticket.org_id, Perm(Area::Support, Level::Edit)),
    }
}

/// One ticket of `org_id` (another org's is not found).
pub fn get(conn: &Connection, org_id: &str, id: &str) -> Result<Option<Ticket>, AppError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE t.org_id = ?1 AND t.id = ?2"
        ))?
        .query_row([org_id, id], ticket_at)
        .optional()?)
}

/// The ticket of `org_id` whose private link carries `token`.
pub fn by_token(conn: &Connection, org_id: &str, token: &str) -> Result<Option<Ticket>, AppError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE t.org_id = ?1 AND t.access_token = ?2"
        ))?
        .query_row([org_id, token], ticket_at)
        .optional()?)
}

/// Whose tickets a list shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Assigned {
    #[default]
    Anyone,
    Nobody,
    To(String),
}

/// What the list of tickets is filtered by; all optional.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub status: Option<Status>,
    /// Without a status: only those not resolved or closed.
    pub open_only: bool,
    pub priority: Option<Priority>,
    pub category: Option<String>,
    pub tag: Option<String>,
    pub assigned: Assigned,
    /// Past a due time (`Some(None)`), or due before this time (`Some(Some(t))`);
    /// either way among the unresolved ones.
    pub due: Option<Option<i64>>,
    /// `#12`, a part of the requester's address, or words of the subject,
    /// the description or any message (notes included).
    pub q: Option<String>,
    /// `updated` (default), `created` or `priority`.
    pub sort: Option<String>,
}

/// The tickets of `org_id` matching `f`, at most `limit`.
pub fn list(conn: &Connection, org_id: &str, f: &TicketFilter, limit: i64) -> Result<Vec<Ticket>, AppError> {
    use rusqlite::types::Value;
    // Only the filters asked for are in the statement, so each shape keeps
    // its own plan and the indexes on (org, status, …) serve it; the few
    // shapes there are stay in the statement cache.
    let mut sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE t.org_id = ?");
    let mut args: Vec<Value> = vec![org_id.to_string().into()];
    match f.status {
        Some(status) => {
            sql.push_str(" AND t.status = ?");
            args.push(status.key().to_string().into());
        }
        None if f.open_only => sql.push_str(" AND t.status IN ('open', 'pending_customer', 'in_progress')"),
        None => {}
    }
    if let Some(p) = f.priority {
        sql.push_str(" AND t.priority = ?");
        args.push(p.key().to_string().into());
    }
    if let Some(c) = &f.category {
        sql.push_str(" AND t.category_id = ?");
        args.push(c.clone().into());
    }
    match f.due {
        None => {}
        Some(None) => sql.push_str(
            " AND t.status IN ('open', 'pending_customer', 'in_progress')
              AND (t.first_response_breached = 1 OR t.resolution_breached = 1)",
        ),
        Some(Some(until)) => {
            sql.push_str(
                " AND t.status IN ('open', 'pending_customer', 'in_progress')
                  AND t.first_response_breached = 0 AND t.resolution_breached = 0
                  AND ((t.first_response_at IS NULL AND t.first_response_due_at <= ?) OR t.resolution_due_at <= ?)",
            );
            args.push(until.into());
            args.push(until.into());
        }
    }
    if let Some(tag) = &f.tag {
        sql.push_str(" AND t.id IN (SELECT ticket_id FROM support_ticket_tags WHERE tag = ?)");
        args.push(tag.clone().into());
    }
    match &f.assigned {
        Assigned::Anyone => {}
        Assigned::Nobody => sql.push_str(" AND t.assignee_id IS NULL"),
        Assigned::To(id) => {
            sql.push_str(" AND t.assignee_id = ?");
            args.push(id.clone().into());
        }
    }
    if let Some(q) = &f.q {
        // `#12` or `12`, a part of the requester's address, or words
        // (prefixes, all required) of the subject, description or any
        // message, internal notes included: only members search.
        let number = q.trim().trim_start_matches('#').parse::<i64>().ok();
        sql.push_str(" AND (t.number = ? OR t.requester_email LIKE ? ESCAPE '\\'");
        args.push(number.map_or(Value::Null, Value::Integer));
        args.push(crate::db::like_anywhere(q).into());
        if let Some(words) = crate::db::fts_query(q) {
            sql.push_str(
                " OR t.rowid IN (SELECT rowid FROM support_tickets_search WHERE support_tickets_search MATCH ?)
                  OR t.id IN (SELECT m.ticket_id FROM support_messages_search s
                              JOIN support_messages m ON m.rowid = s.rowid WHERE support_messages_search MATCH ?)",
            );
            args.push(words.clone().into());
            args.push(words.into());
        }
        sql.push(')');
    }
    sql.push_str(match f.sort.as_deref() {
        Some("created") => " ORDER BY t.created_at DESC",
        Some("priority") => " ORDER BY t.priority_rank, t.updated_at DESC",
        _ => " ORDER BY t.updated_at DESC",
    });
    sql.push_str(", t.number DESC LIMIT ?");
    args.push(limit.into());
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args), ticket_at)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) use super::changes::assignable;
pub use super::changes::{Event, TicketChange, change, events, record_event, set_status};
