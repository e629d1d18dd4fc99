//! Changes to a ticket after it opened: a member's change of status,
//! priority, assignee, category or tags ([`TicketChange`], checked against
//! the workflow and the org), the status moves the conversation makes, and
//! the timeline that keeps each of them with who and when.

use super::tickets::{Ticket, get, text};
use super::{Priority, Status, TicketId};
use crate::auth::{User, UserId};
use crate::db::Tx;
use crate::error::{AppError, Message};
use crate::notifications::{self, Notice};
use crate::orgs::perms::{Area, Level, Perm};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

/// What a member changes on a ticket; absent fields stay as they are
/// (an empty assignee or category: none).
#[derive(Debug, Clone, Default, Deserialize, rocket::FromForm)]
#[serde(deny_unknown_fields)]
pub struct TicketChange {
    pub status: Option<String>,
    pub priority: Option<String>,
    pub assignee_id: Option<String>,
    pub category_id: Option<String>,
    /// The ticket's tags, all of them (what is not listed is taken off).
    pub tags: Option<super::tags::TagList>,
    /// Values of the category's extra fields, by field id (`fields[fld_…]`
    /// in a form); those not sent stay.
    #[serde(default)]
    pub fields: Option<std::collections::HashMap<String, String>>,
}

/// One change in the timeline; `by` is the member who made it (none: the requester or the system).
struct Change<'a> {
    by: Option<&'a str>,
    field: &'a str,
    old: Option<&'a str>,
    new: Option<&'a str>,
}

fn event(tx: &Tx, ticket: &Ticket, c: Change<'_>) -> Result<(), AppError> {
    let Change { by, field, old, new } = c;
    tx.execute(
        "INSERT INTO support_events (ticket_id, at, user_id, field, old_value, new_value) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![ticket.id.as_str(), tx.now(), by, field, old, new],
    )?;
    Ok(())
}

/// A line of `ticket`'s timeline: `field` went from `old` to `new`, by
/// member `by` (none: the requester or the system).
pub fn record_event(
    tx: &Tx,
    ticket: &Ticket,
    by: Option<&str>,
    field: &str,
    old: Option<&str>,
    new: Option<&str>,
) -> Result<(), AppError> {
    event(tx, ticket, Change { by, field, old, new })
}

/// Moves `ticket` to `status` (along the workflow only: 409 otherwise),
/// with the timeline entry and the times it sets.
pub fn set_status(tx: &Tx, ticket: &Ticket, status: Status, by: Option<&str>) -> Result<(), AppError> {
    let from = ticket.status();
    if from == status {
        return Ok(());
    }
    if !from.next().contains(&status) {
        return Err(AppError::Conflict(
            Message::new("support.error.transition")
                .with("from", from.key())
                .with("to", status.key()),
        ));
    }
    tx.execute(
        "UPDATE support_tickets SET status = ?2, updated_at = ?3,
           resolved_at = CASE WHEN ?2 = 'resolved' THEN ?3 WHEN ?2 = 'closed' THEN resolved_at ELSE NULL END,
           closed_at = CASE WHEN ?2 = 'closed' THEN ?3 ELSE NULL END
         WHERE id = ?1",
        rusqlite::params![ticket.id.as_str(), status.key(), tx.now()],
    )?;
    super::sla::on_status(tx, ticket, from, status)?;
    event(
        tx,
        ticket,
        Change {
            by,
            field: "status",
            old: Some(from.key()),
            new: Some(status.key()),
        },
    )
}

/// Applies a member's change to a ticket of `org_id`: each field that
/// changes is in the timeline and the audit; a new assignee must be a
/// member who may work on support, and is told.
pub fn change(
    tx: &Tx,
    org_id: &str,
    id: &TicketId,
    change: &TicketChange,
    by: &User,
    base: &reqwest::Url,
) -> Result<Ticket, AppError> {
    let ticket = get(tx, org_id, id)?.ok_or(AppError::NotFound)?;
    let mut changed = vec![];
    if let Some(p) = text(&change.priority) {
        let p = Priority::parse("priority", &p)?;
        if p.key() != ticket.priority {
            tx.execute(
                "UPDATE support_tickets SET priority = ?2, updated_at = ?3 WHERE id = ?1",
                rusqlite::params![ticket.id.as_str(), p.key(), tx.now()],
            )?;
            let c = Change {
                by: Some(&by.id),
                field: "priority",
                old: Some(&ticket.priority),
                new: Some(p.key()),
            };
            event(tx, &ticket, c)?;
            changed.push("priority");
            super::sla::set_due(tx, &get(tx, org_id, id)?.ok_or(AppError::NotFound)?)?;
        }
    }
    if let Some(cat) = &change.category_id {
        let cat = text(&Some(cat.clone()));
        if cat != ticket.category_id {
            if let Some(c) = &cat {
                let known: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM support_categories WHERE org_id = ?1 AND id = ?2)",
                    [org_id, c],
                    |r| r.get(0),
                )?;
                if !known {
                    return Err(AppError::invalid("category_id", "support.error.category"));
                }
            }
            tx.execute(
                "UPDATE support_tickets SET category_id = ?2, updated_at = ?3 WHERE id = ?1",
                rusqlite::params![ticket.id.as_str(), cat, tx.now()],
            )?;
            let new_name = category_name(tx, cat.as_deref())?;
            let c = Change {
                by: Some(&by.id),
                field: "category",
                old: ticket.category_name.as_deref(),
                new: new_name.as_deref(),
            };
            event(tx, &ticket, c)?;
            changed.push("category");
        }
    }
    if let Some(a) = &change.assignee_id {
        let a = text(&Some(a.clone()));
        if a != ticket.assignee_id {
            let name = match &a {
                None => None,
                Some(user) => Some(assignable(tx, org_id, user)?),
            };
            tx.execute(
                "UPDATE support_tickets SET assignee_id = ?2, updated_at = ?3 WHERE id = ?1",
                rusqlite::params![ticket.id.as_str(), a, tx.now()],
            )?;
            let c = Change {
                by: Some(&by.id),
                field: "assignee",
                old: ticket.assignee_name.as_deref(),
                new: name.as_deref(),
            };
            event(tx, &ticket, c)?;
            changed.push("assignee");
            if let Some(user) = a.filter(|u| *u != *by.id) {
                let link = format!("/dashboard/support/tickets/{}", ticket.id);
                let notice = Notice {
                    kind: &notifications::SUPPORT_TICKET_ASSIGNED,
                    data: serde_json::json!({ "number": ticket.reference(), "subject": ticket.subject, "name": by.name }),
                    link: Some(&link),
                };
                notifications::notify(tx, org_id, &[UserId::from_text(user)], notice, base)?;
            }
        }
    }
    if let Some(list) = &change.tags {
        let tags = super::tags::parse(list)?;
        if let Some((old, new)) = super::tags::set(tx, &ticket, &tags)? {
            let c = Change {
                by: Some(&by.id),
                field: "tags",
                old: Some(&old),
                new: Some(&new),
            };
            event(tx, &ticket, c)?;
            changed.push("tags");
        }
    }
    if let Some(sent) = &change.fields {
        let category = get(tx, org_id, id)?.and_then(|t| t.category_id);
        if let Some((old, new)) = super::fields::update_values(tx, &ticket.id, category.as_deref(), sent)? {
            let c = Change {
                by: Some(&by.id),
                field: "fields",
                old: Some(&old),
                new: Some(&new),
            };
            event(tx, &ticket, c)?;
            changed.push("fields");
        }
    }
    if let Some(s) = text(&change.status) {
        let status = Status::parse("status", &s)?;
        if status.key() != ticket.status {
            set_status(tx, &ticket, status, Some(&by.id))?;
            changed.push("status");
            if status == Status::Resolved {
                super::closing::mail_resolved(tx, &ticket, base)?;
            }
        }
    }
    if !changed.is_empty() {
        crate::audit::record(
            tx,
            "support.ticket_updated",
            Some(("ticket", &ticket.id)),
            serde_json::json!({ "number": ticket.number, "changed": changed.join(", ") }),
        )?;
    }
    get(tx, org_id, id)?.ok_or(AppError::NotFound)
}

fn category_name(conn: &Connection, id: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(id) = id else { return Ok(None) };
    Ok(conn
        .query_row("SELECT name FROM support_categories WHERE id = ?1", [id], |r| r.get(0))
        .optional()?)
}

/// The name of `user_id` if they are a member of `org_id` who may work on
/// support; the field's error otherwise.
pub(super) fn assignable(conn: &Connection, org_id: &str, user_id: &str) -> Result<String, AppError> {
    let can = crate::orgs::team::members_who_can(conn, org_id, Perm(Area::Support, Level::Edit))?;
    if !can.iter().any(|u| **u == *user_id) {
        return Err(AppError::invalid("assignee_id", "support.error.assignee"));
    }
    Ok(conn.query_row("SELECT name FROM users WHERE id = ?1", [user_id], |r| r.get(0))?)
}

/// One change of the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub at: i64,
    pub by: Option<String>,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

/// The timeline of `ticket_id`, oldest first.
pub fn events(conn: &Connection, ticket_id: &str) -> Result<Vec<Event>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.at, u.name, e.field, e.old_value, e.new_value FROM support_events e
         LEFT JOIN users u ON u.id = e.user_id WHERE e.ticket_id = ?1 ORDER BY e.at, e.rowid",
    )?;
    let rows = stmt.query_map([ticket_id], |r| {
        Ok(Event {
            at: r.get(0)?,
            by: r.get(1)?,
            field: r.get(2)?,
            old_value: r.get(3)?,
            new_value: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
