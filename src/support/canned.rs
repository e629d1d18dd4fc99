//! Canned replies: the answers a team gives again and again ("Where is my
//! order?"), kept by title, with variables filled in for the ticket at
//! hand — `{{ requester_name }}`, `{{ ticket_number }}`, `{{ subject }}`,
//! `{{ agent_name }}`, `{{ org }}` — in the same sandboxed template
//! language as the notification mails (`{% if %}` only, unknown variables
//! refused when saved). Support managers keep them at
//! `/dashboard/support/replies`; whoever answers picks one above the reply
//! form, which fills the reply (still to be read and sent).

use super::tickets::Ticket;
use crate::db::Tx;
use crate::error::{AppError, FieldError, Message};
use crate::notifications::mail_templates;
use rusqlite::{Connection, OptionalExtension};
use serde::Deserialize;
use serde_json::{Value, json};

crate::typed_id!(
    /// The id of a canned reply (`cnd_…`).
    CannedId,
    "cnd"
);

/// The longest body kept.
pub const MAX_BODY: usize = 5_000;

/// A canned reply as kept.
#[derive(Debug, Clone)]
pub struct Canned {
    pub id: CannedId,
    pub title: String,
    pub body: String,
    pub updated_at: i64,
}

/// What a form or the API sends.
#[derive(Debug, Clone, Default, Deserialize, rocket::FromForm)]
#[serde(deny_unknown_fields)]
pub struct CannedInput {
    pub title: Option<String>,
    pub body: Option<String>,
}

/// The variables of a reply to `ticket` written by `agent` for `org`.
pub fn vars(ticket: &Ticket, agent: &str, org: &str) -> Value {
    json!({
        "requester_name": ticket.requester_label(),
        "ticket_number": ticket.reference(),
        "subject": ticket.subject,
        "agent_name": agent,
        "org": org,
    })
}

fn sample_vars(agent: &str, org: &str) -> Value {
    json!({ "requester_name": "Ana Client", "ticket_number": "#12", "subject": "Where is my mug?",
            "agent_name": agent, "org": org })
}

/// Checks a reply: a title of 1 to 100 characters, a body of 1 to
/// [`MAX_BODY`] that renders (the error says the line). `for_page` words
/// the template error for a page ("Line 2: …") or the API ("line 2: …").
pub fn check(input: &CannedInput, agent: &str, org: &str, for_page: bool) -> Result<(String, String), AppError> {
    let (title, body) = (
        input.title.as_deref().unwrap_or_default().trim().to_string(),
        input.body.as_deref().unwrap_or_default().trim().to_string(),
    );
    let mut errors = vec![];
    if title.is_empty() || title.chars().count() > 100 {
        errors.push(FieldError {
            field: "title".into(),
            message: Message::new("support.error.canned_title"),
        });
    }
    if body.is_empty() || body.len() > MAX_BODY {
        errors.push(FieldError {
            field: "body".into(),
            message: Message::new("support.error.canned_body"),
        });
    } else if let Err(e) = mail_templates::render(&body, &sample_vars(agent, org)) {
        let key = if for_page {
            "notifications.templates.error_at"
        } else {
            "notifications.templates.error_at_api"
        };
        errors.push(FieldError {
            field: "body".into(),
            message: Message::new(key).with("line", e.line).with("reason", &e.reason),
        });
    }
    if errors.is_empty() {
        Ok((title, body))
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// The body of `canned` for `ticket`.
pub fn fill(canned: &Canned, ticket: &Ticket, agent: &str, org: &str) -> Result<String, AppError> {
    mail_templates::render(&canned.body, &vars(ticket, agent, org))
        .map_err(|e| AppError::internal(format!("canned reply {}: {e}", canned.id)))
}

fn canned_at(r: &rusqlite::Row<'_>) -> rusqlite::Result<Canned> {
    Ok(Canned {
        id: CannedId::from_text(r.get::<_, String>(0)?),
        title: r.get(1)?,
        body: r.get(2)?,
        updated_at: r.get(3)?,
    })
}

/// The org's canned replies by title.
pub fn list(conn: &Connection, org_id: &str) -> Result<Vec<Canned>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, title, body, updated_at FROM support_canned_replies WHERE org_id = ?1 ORDER BY title COLLATE NOCASE",
    )?;
    let rows = stmt.query_map([org_id], canned_at)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn get(conn: &Connection, org_id: &str, id: &str) -> Result<Option<Canned>, AppError> {
    Ok(conn
        .query_row(
            "SELECT id, title, body, updated_at FROM support_canned_replies WHERE org_id = ?1 AND id = ?2",
            [org_id, id],
            canned_at,
        )
        .optional()?)
}

fn title_taken(tx: &Tx, org_id: &str, title: &str, except: Option<&str>) -> Result<bool, AppError> {
    Ok(tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM support_canned_replies WHERE org_id = ?1 AND title = ?2 AND id IS NOT ?3)",
        rusqlite::params![org_id, title, except],
        |r| r.get(0),
    )?)
}

/// Saves a checked reply: a new one (`id` none) or an edit. Audited.
pub fn save(tx: &Tx, org_id: &str, id: Option<&str>, title: &str, body: &str) -> Result<Canned, AppError> {
    if title_taken(tx, org_id, title, id)? {
        return Err(AppError::invalid("title", "support.error.canned_taken"));
    }
    let now = tx.now();
    let id = match id {
        Some(id) => {
            let n = tx.execute(
                "UPDATE support_canned_replies SET title = ?3, body = ?4, updated_at = ?5 WHERE org_id = ?1 AND id = ?2",
                rusqlite::params![org_id, id, title, body, now],
            )?;
            if n == 0 {
                return Err(AppError::NotFound);
            }
            crate::audit::record(
                tx,
                "support.canned_changed",
                Some(("canned", id)),
                json!({ "title": title }),
            )?;
            id.to_string()
        }
        None => {
            let id = CannedId::generate();
            tx.execute(
                "INSERT INTO support_canned_replies (id, org_id, title, body, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                rusqlite::params![id.as_str(), org_id, title, body, now],
            )?;
            crate::audit::record(
                tx,
                "support.canned_added",
                Some(("canned", &id)),
                json!({ "title": title }),
            )?;
            id.to_string()
        }
    };
    get(tx, org_id, &id)?.ok_or(AppError::NotFound)
}

pub fn delete(tx: &Tx, org_id: &str, id: &str) -> Result<(), AppError> {
    let canned = get(tx, org_id, id)?.ok_or(AppError::NotFound)?;
    tx.execute("DELETE FROM support_canned_replies WHERE id = ?1", [id])?;
    crate::audit::record(
        tx,
        "support.canned_deleted",
        Some(("canned", id)),
        json!({ "title": canned.title }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_is_checked_when_saved_and_unknown_variables_are_named() {
        let ok = CannedInput {
            title: Some("Shipping".into()),
            body: Some("Hello {{ requester_name }}, {{ ticket_number }} ships today. — {{ agent_name }}".into()),
        };
        assert!(check(&ok, "Olivia", "Atelier", true).is_ok());
        let typo = CannedInput {
            title: Some("Typo".into()),
            body: Some("Hello\n{{ customer }}".into()),
        };
        let Err(AppError::Invalid(errors)) = check(&typo, "Olivia", "Atelier", true) else {
            panic!("an unknown variable is refused")
        };
        assert_eq!(errors[0].field, "body");
        assert_eq!(errors[0].message.arg("line"), Some("2"));
        let empty = CannedInput::default();
        let Err(AppError::Invalid(errors)) = check(&empty, "Olivia", "Atelier", true) else {
            panic!("empty is refused")
        };
        assert_eq!(errors.len(), 2);
    }
}
