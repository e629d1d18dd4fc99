//! A ticket's conversation: the requester's messages (through their
//! private link), the members' replies (mailed to the requester) and
//! internal notes (members only: never listed for the requester, never
//! mailed). Every mail of a ticket carries threading headers (the ticket
//! opens the thread; each reply answers the last mail) so mail clients
//! keep the conversation together.

use super::tickets::{self, Ticket};
use super::{MessageId, Status};
use crate::auth::User;
use crate::db::Tx;
use crate::error::AppError;
use crate::mail::{self, Action, Thread};
use crate::notifications::{self, Notice};
use rusqlite::Connection;
use serde::Serialize;

/// One message of a ticket.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: MessageId,
    /// `requester` or `member`.
    pub author: String,
    /// The member's name, or the requester's.
    pub author_name: String,
    pub body: String,
    pub internal: bool,
    pub created_at: i64,
}

/// The messages of `ticket`, oldest first; internal notes only when
/// `with_notes` (members).
pub fn list(conn: &Connection, ticket: &Ticket, with_notes: bool) -> Result<Vec<Entry>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.id, m.author, coalesce(u.name, ''), m.body, m.internal, m.created_at FROM support_messages m
         LEFT JOIN users u ON u.id = m.user_id
         WHERE m.ticket_id = ?1 AND (?2 OR m.internal = 0) ORDER BY m.created_at, m.rowid",
    )?;
    let rows = stmt.query_map(rusqlite::params![ticket.id.as_str(), with_notes], |r| {
        let author: String = r.get(1)?;
        let name: String = r.get(2)?;
        Ok(Entry {
            id: MessageId::from_text(r.get::<_, String>(0)?),
            author_name: if author == "requester" {
                ticket.requester_label()
            } else {
                name
            },
            author,
            body: r.get(3)?,
            internal: r.get(4)?,
            created_at: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The message `id` of `ticket`, if it is one of its.
pub fn of_ticket(conn: &Connection, ticket: &Ticket, id: &str) -> Result<Option<MessageId>, AppError> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row(
            "SELECT id FROM support_messages WHERE id = ?1 AND ticket_id = ?2",
            [id, ticket.id.as_str()],
            |r| r.get::<_, String>(0),
        )
        .optional()?
        .map(MessageId::from_text))
}

/// The text of a message, checked: 1 to 20 000 characters.
pub fn body(text: &str) -> Result<String, AppError> {
    let body = text.trim();
    if body.is_empty() || body.chars().count() > 20_000 {
        return Err(AppError::invalid("body", "support.error.body"));
    }
    Ok(body.to_string())
}

/// The address of the requester's own page of `ticket`.
pub fn private_link(tx: &Connection, ticket: &Ticket, base: &reqwest::Url) -> Result<String, AppError> {
    let slug: String = tx.query_row("SELECT slug FROM orgs WHERE id = ?1", [&ticket.org_id], |r| r.get(0))?;
    Ok(format!(
        "{}/help/{slug}/tickets/{}",
        base.as_str().trim_end_matches('/'),
        ticket.access_token
    ))
}

/// The thread a new mail of `ticket` joins: it answers the latest mail,
/// and references the whole conversation.
pub(super) fn thread(conn: &Connection, ticket: &Ticket, own: &str) -> Result<Thread, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT mail_id FROM support_messages WHERE ticket_id = ?1 AND mail_id IS NOT NULL AND mail_id <> ?2
         ORDER BY created_at, rowid",
    )?;
    let mut references = vec![ticket.id.to_string()];
    for id in stmt.query_map([ticket.id.as_str(), own], |r| r.get::<_, String>(0))? {
        references.push(id?);
    }
    Ok(Thread {
        message_id: own.to_string(),
        in_reply_to: references.last().cloned(),
        references,
    })
}

/// Gives a mail about `ticket` its org's reply address (if set) and
/// queues it.
pub(super) fn send(tx: &Tx, ticket: &Ticket, mut mail: mail::OutgoingMail) -> Result<(), AppError> {
    mail.reply_to =
        super::inbound::reply_pattern(tx, &ticket.org_id)?.map(|p| super::inbound::reply_address(&p, ticket.number));
    mail::queue(tx, Some(&ticket.org_id), &mail).map(|_| ())
}

/// Mails the requester that their request is in, with its private link.
pub(super) fn mail_opened(tx: &Tx, ticket: &Ticket, base: &reqwest::Url) -> Result<(), AppError> {
    let lang = ticket.lang();
    let link = private_link(tx, ticket, base)?;
    let (number, subject, name) = (ticket.reference(), ticket.subject.clone(), ticket.requester_label());
    let args = [
        ("number", number.as_str()),
        ("subject", subject.as_str()),
        ("name", name.as_str()),
    ];
    let mut mail = mail::action_mail(
        &ticket.requester_email,
        lang,
        Action {
            subject: lang.tf("support.mail.opened_subject", &args),
            greeting: lang.tf("support.mail.greeting", &args),
            body: lang.tf("support.mail.opened_body", &args),
            action_label: lang.t("support.mail.action"),
            action_url: link,
            note: lang.t("support.mail.note").to_string(),
        },
    )?;
    mail.thread = Some(Thread {
        message_id: ticket.id.to_string(),
        in_reply_to: None,
        references: vec![],
    });
    send(tx, ticket, mail)
}

/// What a member writes on a ticket.
#[derive(Debug, Clone, Copy)]
pub struct Reply<'a> {
    pub text: &'a str,
    /// An internal note (members only), not a reply.
    pub internal: bool,
    /// The status the ticket takes after it (the usual one when `None`).
    pub then: Option<Status>,
    /// Mail a reply to the requester (the demo's customers have no mailbox).
    pub mail_requester: bool,
    /// How many messages the writer had in front of them: when someone
    /// else wrote since, the reply is refused (`support.error.collision`)
    /// so they read it first. `None`: no check (the API, a confirmed send).
    pub seen: Option<usize>,
}

impl<'a> Reply<'a> {
    /// A reply or a note as a member sends it from a page or the API.
    pub fn new(text: &'a str, internal: bool, then: Option<Status>) -> Reply<'a> {
        Reply {
            text,
            internal,
            then,
            mail_requester: true,
            seen: None,
        }
    }
}

/// Whether someone other than `by` (the requester, another member) wrote
/// on `ticket` after its first `seen` messages.
pub fn written_since(conn: &Connection, ticket: &Ticket, seen: usize, by: &str) -> Result<bool, AppError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM (SELECT author, user_id FROM support_messages WHERE ticket_id = ?1
                                       ORDER BY created_at, rowid LIMIT -1 OFFSET ?2)
                        WHERE author = 'requester' OR user_id IS NOT ?3)",
        rusqlite::params![ticket.id.as_str(), seen as i64, by],
        |r| r.get(0),
    )?)
}

/// A member answers `ticket`: a reply (mailed to the requester; the first
/// one is the ticket's first response; the ticket then waits for the
/// customer unless `then` says otherwise) or an internal note (kept among
/// members). Audited.
pub fn member_reply(
    tx: &Tx,
    ticket: &Ticket,
    by: &User,
    reply: &Reply<'_>,
    base: &reqwest::Url,
) -> Result<MessageId, AppError> {
    let Reply {
        text,
        internal,
        then,
        mail_requester,
        seen,
    } = *reply;
    let body = body(text)?;
    if let Some(seen) = seen
        && written_since(tx, ticket, seen, &by.id)?
    {
        return Err(AppError::conflict("support.error.collision"));
    }
    if ticket.status() == Status::Closed && !internal {
        return Err(AppError::Conflict("support.error.closed".into()));
    }
    let (id, now) = (MessageId::generate(), tx.now());
    tx.execute(
        "INSERT INTO support_messages (id, ticket_id, author, user_id, body, internal, mail_id, created_at)
         VALUES (?1, ?2, 'member', ?3, ?4, ?5, ?6, ?7)",
        rusqlite::params![
            id.as_str(),
            ticket.id.as_str(),
            by.id.as_str(),
            body,
            internal,
            (!internal).then_some(id.as_str()),
            now
        ],
    )?;
    tx.execute(
        "UPDATE support_tickets SET updated_at = ?2,
           first_response_at = CASE WHEN ?3 THEN first_response_at ELSE coalesce(first_response_at, ?2) END
         WHERE id = ?1",
        rusqlite::params![ticket.id.as_str(), now, internal],
    )?;
    let action = if internal { "support.noted" } else { "support.replied" };
    crate::audit::record(
        tx,
        action,
        Some(("ticket", &ticket.id)),
        serde_json::json!({ "number": ticket.number }),
    )?;
    if internal {
        if let Some(next) = then {
            tickets::set_status(tx, ticket, next, Some(&by.id))?;
        }
        return Ok(id);
    }
    let next = then.unwrap_or(Status::PendingCustomer);
    if ticket.status() != Status::Resolved || next != Status::PendingCustomer {
        tickets::set_status(tx, ticket, next, Some(&by.id))?;
    }
    if !mail_requester {
        return Ok(id);
    }
    let lang = ticket.lang();
    let (number, subject, name) = (ticket.reference(), ticket.subject.clone(), ticket.requester_label());
    let args = [
        ("number", number.as_str()),
        ("subject", subject.as_str()),
        ("name", name.as_str()),
        ("member", by.name.as_str()),
    ];
    let mut mail = mail::action_mail(
        &ticket.requester_email,
        lang,
        Action {
            subject: lang.tf("support.mail.reply_subject", &args),
            greeting: lang.tf("support.mail.greeting", &args),
            body: if next == Status::Resolved {
                let rate = super::closing::rating_paragraph(tx, ticket, base)?;
                format!("{}\n\n— {}\n\n{rate}", body, by.name)
            } else {
                format!("{}\n\n— {}", body, by.name)
            },
            action_label: lang.t("support.mail.action"),
            action_url: private_link(tx, ticket, base)?,
            note: lang.t("support.mail.note").to_string(),
        },
    )?;
    mail.thread = Some(thread(tx, ticket, &id)?);
    send(tx, ticket, mail)?;
    Ok(id)
}

/// The requester writes again through their private link: the ticket is
/// open again if it waited for them or was resolved (never once closed);
/// its assignee (or the team) is told.
/// `mail_id` is the Message-ID it came with by mail (none through the link).
pub fn requester_reply(
    tx: &Tx,
    ticket: &Ticket,
    text: &str,
    mail_id: Option<&str>,
    base: &reqwest::Url,
) -> Result<MessageId, AppError> {
    let body = body(text)?;
    if ticket.status() == Status::Closed {
        return Err(AppError::Conflict("support.error.closed".into()));
    }
    let (id, now) = (MessageId::generate(), tx.now());
    tx.execute(
        "INSERT INTO support_messages (id, ticket_id, author, body, mail_id, created_at)
         VALUES (?1, ?2, 'requester', ?3, ?4, ?5)",
        rusqlite::params![id.as_str(), ticket.id.as_str(), body, mail_id, now],
    )?;
    tx.execute(
        "UPDATE support_tickets SET updated_at = ?2 WHERE id = ?1",
        rusqlite::params![ticket.id.as_str(), now],
    )?;
    if matches!(ticket.status(), Status::PendingCustomer | Status::Resolved) {
        tickets::set_status(tx, ticket, Status::Open, None)?;
    }
    crate::audit::record_in(
        tx,
        &ticket.org_id,
        "support.requester_replied",
        Some(("ticket", &ticket.id)),
        serde_json::json!({ "number": ticket.number }),
    )?;
    let recipients = tickets::answerers(tx, ticket)?;
    let link = format!("/dashboard/support/tickets/{}", ticket.id);
    let notice = Notice {
        kind: &notifications::SUPPORT_TICKET_REPLIED,
        data: serde_json::json!({ "number": ticket.reference(), "subject": ticket.subject,
            "requester": ticket.requester_label() }),
        link: Some(&link),
    };
    notifications::notify(tx, &ticket.org_id, &recipients, notice, base)?;
    Ok(id)
}
