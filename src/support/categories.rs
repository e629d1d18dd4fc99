//! Ticket categories: an organisation's list (each with the slug of its
//! page in the help centre and an optional default assignee for its new
//! tickets), shared by tickets and knowledge-base articles.

use super::CategoryId;
use super::tickets::{assignable, text};
use crate::db::Tx;
use crate::error::AppError;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

/// A category of tickets.
#[derive(Debug, Clone, Serialize)]
pub struct Category {
    pub id: CategoryId,
    pub name: String,
    pub slug: String,
    pub default_assignee: Option<String>,
}

/// The categories of `org_id`, by name.
pub fn list(conn: &Connection, org_id: &str) -> Result<Vec<Category>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, slug, default_assignee FROM support_categories WHERE org_id = ?1 ORDER BY name",
    )?;
    let rows = stmt.query_map([org_id], |r| {
        Ok(Category {
            id: CategoryId::from_text(r.get::<_, String>(0)?),
            name: r.get(1)?,
            slug: r.get(2)?,
            default_assignee: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// What a form or the API sends for a new category.
#[derive(Debug, Clone, Default, Deserialize, rocket::FromForm)]
#[serde(deny_unknown_fields)]
pub struct CategoryInput {
    pub name: Option<String>,
    pub default_assignee: Option<String>,
}

/// Adds a category to `org_id`, audited; its name is unique in the org.
pub fn create(tx: &Tx, org_id: &str, input: &CategoryInput) -> Result<Category, AppError> {
    let name = text(&input.name).unwrap_or_default();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(AppError::invalid("name", "support.error.category_name"));
    }
    let slug = crate::orgs::slug_of(&name, 80);
    let taken: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM support_categories WHERE org_id = ?1 AND (name = ?2 OR slug = ?3))",
        [org_id, &name, &slug],
        |r| r.get(0),
    )?;
    if taken {
        return Err(AppError::invalid("name", "support.error.category_taken"));
    }
    if slug.is_empty() {
        return Err(AppError::invalid("name", "support.error.category_name"));
    }
    let assignee = text(&input.default_assignee);
    if let Some(a) = &assignee {
        assignable(tx, org_id, a).map_err(|_| AppError::invalid("default_assignee", "support.error.assignee"))?;
    }
    let id = CategoryId::generate();
    tx.execute(
        "INSERT INTO support_categories (id, org_id, name, slug, default_assignee, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![id.as_str(), org_id, name, slug, assignee, tx.now()],
    )?;
    crate::audit::record(
        tx,
        "support.category_created",
        Some(("support_category", &id)),
        serde_json::json!({ "name": name }),
    )?;
    Ok(Category {
        id,
        name,
        slug,
        default_assignee: assignee,
    })
}
