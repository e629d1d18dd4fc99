//! A category's extra fields: what the team needs to know about a request
//! of that kind (the engraving text, the size, the order number), asked on
//! the help centre's form when the category is chosen. A field is a short
//! text, a choice among options, or an order reference; a required one
//! must be given by customers (members and the API may leave it for
//! later). Values are kept per ticket and shown on its page and in the API.

use super::{CategoryId, TicketId};
use crate::db::Tx;
use crate::error::{AppError, FieldError, Message};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

crate::typed_id!(
    /// The id of a category's extra field (`fld_…`).
    FieldId,
    "fld"
);

/// The most fields on one category.
pub const MAX_FIELDS: usize = 10;

/// An extra field of a category.
#[derive(Debug, Clone, Serialize)]
pub struct Field {
    pub id: FieldId,
    pub category_id: CategoryId,
    pub label: String,
    /// `text`, `select` or `order_ref`.
    pub kind: String,
    /// The choices of a `select`.
    pub options: Vec<String>,
    pub required: bool,
}

impl Field {
    /// The name of its input in a form: `fields[fld_…]`.
    pub fn key(&self) -> String {
        format!("fields[{}]", self.id)
    }

    fn longest(&self) -> usize {
        if self.kind == "order_ref" { 100 } else { 500 }
    }
}

/// What a form or the API sends for a new field.
#[derive(Debug, Clone, Default, Deserialize, rocket::FromForm)]
#[serde(deny_unknown_fields)]
pub struct FieldInput {
    pub label: Option<String>,
    pub kind: Option<String>,
    /// A select's choices: a list, or one per line from a form.
    #[serde(default)]
    pub options: Option<super::tags::LineList>,
    #[serde(default)]
    #[field(default = false)]
    pub required: bool,
}

fn field_at(r: &rusqlite::Row<'_>) -> rusqlite::Result<Field> {
    let options: String = r.get(4)?;
    Ok(Field {
        id: FieldId::from_text(r.get::<_, String>(0)?),
        category_id: CategoryId::from_text(r.get::<_, String>(1)?),
        label: r.get(2)?,
        kind: r.get(3)?,
        options: options.lines().map(str::to_string).filter(|o| !o.is_empty()).collect(),
        required: r.get(5)?,
    })
}

/// The fields of `category_id`, in the order they were added.
pub fn of_category(conn: &Connection, category_id: &str) -> Result<Vec<Field>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, category_id, label, kind, options, required FROM support_category_fields
         WHERE category_id = ?1 ORDER BY position, rowid",
    )?;
    let rows = stmt.query_map([category_id], field_at)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every field of `org_id`'s categories.
pub fn of_org(conn: &Connection, org_id: &str) -> Result<Vec<Field>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT f.id, f.category_id, f.label, f.kind, f.options, f.required FROM support_category_fields f
         JOIN support_categories c ON c.id = f.category_id WHERE c.org_id = ?1 ORDER BY f.position, f.rowid",
    )?;
    let rows = stmt.query_map([org_id], field_at)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Adds a field to `category_id` of `org_id`, audited.
pub fn add(tx: &Tx, org_id: &str, category_id: &str, input: &FieldInput) -> Result<Field, AppError> {
    let known: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM support_categories WHERE org_id = ?1 AND id = ?2)",
        [org_id, category_id],
        |r| r.get(0),
    )?;
    if !known {
        return Err(AppError::NotFound);
    }
    let label = input.label.as_deref().unwrap_or_default().trim().to_string();
    let kind = input.kind.as_deref().unwrap_or("text").trim().to_string();
    // A form sends the options one per line, the API a list.
    let options: Vec<String> = input
        .options
        .as_ref()
        .map(|l| {
            l.0.iter()
                .map(|o| o.trim().to_string())
                .filter(|o| !o.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let mut errors = vec![];
    let mut refuse = |field: &str, key: &str| {
        errors.push(FieldError {
            field: field.into(),
            message: Message::new(key),
        })
    };
    if label.is_empty() || label.chars().count() > 80 {
        refuse("label", "support.error.field_label");
    }
    if !matches!(kind.as_str(), "text" | "select" | "order_ref") {
        refuse("kind", "support.error.field_kind");
    }
    if kind == "select" && (options.len() < 2 || options.len() > 30 || options.iter().any(|o| o.chars().count() > 80)) {
        refuse("options", "support.error.field_options");
    }
    if of_category(tx, category_id)?.len() >= MAX_FIELDS {
        refuse("label", "support.error.field_count");
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let id = FieldId::generate();
    let options = if kind == "select" {
        options.join("\n")
    } else {
        String::new()
    };
    tx.execute(
        "INSERT INTO support_category_fields (id, category_id, label, kind, options, required, position, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, (SELECT coalesce(max(position), 0) + 1 FROM support_category_fields
                                          WHERE category_id = ?2), ?7)",
        rusqlite::params![id.as_str(), category_id, label, kind, options, input.required, tx.now()],
    )?;
    crate::audit::record(
        tx,
        "support.field_added",
        Some(("support_category", category_id)),
        serde_json::json!({ "label": label }),
    )?;
    of_category(tx, category_id)?
        .into_iter()
        .find(|f| f.id == id)
        .ok_or(AppError::NotFound)
}

/// Removes field `id` of `org_id` (tickets lose its values), audited.
pub fn delete(tx: &Tx, org_id: &str, id: &str) -> Result<(), AppError> {
    let found: Option<(String, String)> = rusqlite::OptionalExtension::optional(tx.query_row(
        "SELECT f.category_id, f.label FROM support_category_fields f JOIN support_categories c ON c.id = f.category_id
         WHERE f.id = ?1 AND c.org_id = ?2",
        [id, org_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    ))?;
    let (category_id, label) = found.ok_or(AppError::NotFound)?;
    tx.execute("DELETE FROM support_category_fields WHERE id = ?1", [id])?;
    crate::audit::record(
        tx,
        "support.field_removed",
        Some(("support_category", &category_id)),
        serde_json::json!({ "label": label }),
    )
}

/// Keeps the values `sent` (by field id) for the fields of `category` on
/// `ticket_id`: each checked (a choice among the options, at most 500
/// characters, 100 for an order reference); the required ones must be
/// there when `enforce_required` (a customer's request). Keys of other
/// categories' fields are ignored.
pub fn save_values(
    tx: &Tx,
    ticket_id: &TicketId,
    category: Option<&CategoryId>,
    sent: &HashMap<String, String>,
    enforce_required: bool,
) -> Result<(), AppError> {
    let Some(category) = category else { return Ok(()) };
    let mut errors = vec![];
    let mut keep = vec![];
    for field in of_category(tx, category)? {
        let value = sent.get(field.id.as_str()).map(|v| v.trim()).unwrap_or_default();
        let problem = if value.is_empty() {
            (field.required && enforce_required).then_some("support.error.field_required")
        } else if field.kind == "select" && !field.options.iter().any(|o| o == value) {
            Some("support.error.field_option")
        } else if value.chars().count() > field.longest() {
            Some("support.error.field_long")
        } else {
            None
        };
        match problem {
            Some(key) => errors.push(FieldError {
                field: field.key(),
                message: Message::new(key).with("field", &field.label),
            }),
            None if !value.is_empty() => keep.push((field.id.clone(), value.to_string())),
            None => {}
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    for (field, value) in keep {
        tx.execute(
            "INSERT INTO support_ticket_values (ticket_id, field_id, value) VALUES (?1, ?2, ?3)",
            [ticket_id.as_str(), field.as_str(), &value],
        )?;
    }
    Ok(())
}

/// The values of `ticket_id` by field id.
pub fn by_field(conn: &Connection, ticket_id: &TicketId) -> Result<HashMap<String, String>, AppError> {
    let mut stmt = conn.prepare_cached("SELECT field_id, value FROM support_ticket_values WHERE ticket_id = ?1")?;
    let rows = stmt.query_map([ticket_id.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A member's change of the values of `ticket_id` (of `category`): each
/// field sent is checked as when opening (required ones may stay empty: an
/// empty value takes it off); returns the values before and after, as
/// text for the timeline, when something changed.
pub fn update_values(
    tx: &Tx,
    ticket_id: &TicketId,
    category: Option<&str>,
    sent: &HashMap<String, String>,
) -> Result<Option<(String, String)>, AppError> {
    let Some(category) = category else { return Ok(None) };
    let current = by_field(tx, ticket_id)?;
    let (mut before, mut after, mut errors) = (vec![], vec![], vec![]);
    for field in of_category(tx, category)? {
        let Some(value) = sent.get(field.id.as_str()).map(|v| v.trim()) else {
            continue;
        };
        let old = current.get(field.id.as_str()).map(String::as_str).unwrap_or_default();
        if value == old {
            continue;
        }
        if !value.is_empty() && field.kind == "select" && !field.options.iter().any(|o| o == value) {
            errors.push(FieldError {
                field: field.key(),
                message: Message::new("support.error.field_option").with("field", &field.label),
            });
            continue;
        }
        if value.chars().count() > field.longest() {
            errors.push(FieldError {
                field: field.key(),
                message: Message::new("support.error.field_long").with("field", &field.label),
            });
            continue;
        }
        tx.execute(
            "DELETE FROM support_ticket_values WHERE ticket_id = ?1 AND field_id = ?2",
            [ticket_id.as_str(), field.id.as_str()],
        )?;
        if !value.is_empty() {
            tx.execute(
                "INSERT INTO support_ticket_values (ticket_id, field_id, value) VALUES (?1, ?2, ?3)",
                [ticket_id.as_str(), field.id.as_str(), value],
            )?;
        }
        before.push(format!("{}: {}", field.label, if old.is_empty() { "—" } else { old }));
        after.push(format!(
            "{}: {}",
            field.label,
            if value.is_empty() { "—" } else { value }
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok((!after.is_empty()).then(|| (before.join("; "), after.join("; "))))
}

/// The values of a ticket: (label, kind, value), in the fields' order.
pub fn values_of(conn: &Connection, ticket_id: &TicketId) -> Result<Vec<(String, String, String)>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT f.label, f.kind, v.value FROM support_ticket_values v JOIN support_category_fields f ON f.id = v.field_id
         WHERE v.ticket_id = ?1 ORDER BY f.position, f.rowid",
    )?;
    let rows = stmt.query_map([ticket_id.as_str()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
