//! Designs (`/api/v1/designs`): a customer's personalisation of a product
//! (and a variant), as a versioned [`document::Document`]. Each save that
//! changes the document keeps the previous one ([`MAX_VERSIONS`] at most),
//! for undo across sessions and for the shop to compare; an order pins the
//! version it was placed with, which later saves do not change. A design
//! has a private link (an unguessable token) for the customer and a state:
//! draft → submitted (checked strictly: required areas filled) → approved
//! for production; approved designs are frozen until reopened.
//! Tables: `designs`, `design_versions`.
//!
//! Files: `document` (the format and its validation), `outputs` (preview
//! and print files, drawn by `render`), `api`, `page` (the private link),
//! `customer` (what the customer does through it), `demo`.

mod api;
mod customer;
pub mod demo;
pub mod document;
pub mod outputs;
mod page;

use crate::catalog::{Product, ProductId};
use crate::config::Config;
use crate::db::Tx;
use crate::error::{AppError, FieldError, Message};
use document::{Document, Report, Rules};
use rusqlite::{Connection, OptionalExtension, Row};
use serde::Serialize;

crate::typed_id!(
    /// The id of a design (`dsg_…`).
    DesignId,
    "dsg"
);

/// The versions kept per design (the oldest go first).
pub const MAX_VERSIONS: i64 = 200;

/// Where a design is in its life.
pub const STATES: [&str; 3] = ["draft", "submitted", "approved"];

/// A design as stored (with its current document).
#[derive(Debug, Clone, Serialize)]
pub struct Design {
    pub id: DesignId,
    pub product_id: ProductId,
    pub variant_id: Option<String>,
    pub name: String,
    pub state: String,
    pub version: i64,
    #[serde(skip)]
    pub token: String,
    pub document: Document,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, product_id, variant_id, name, state, version, token, document, created_at, updated_at";

fn design_at(r: &Row<'_>) -> rusqlite::Result<Design> {
    let doc: String = r.get(7)?;
    Ok(Design {
        id: DesignId::from_text(r.get::<_, String>(0)?),
        product_id: ProductId::from_text(r.get::<_, String>(1)?),
        variant_id: r.get(2)?,
        name: r.get(3)?,
        state: r.get(4)?,
        version: r.get(5)?,
        token: r.get(6)?,
        document: serde_json::from_str(&doc).unwrap_or_else(|_| Document::empty()),
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
    })
}

/// The rules of `product` for org `org_id`, as [`document::check`] needs them.
pub fn check(
    conn: &Connection,
    org_id: &str,
    product: &Product,
    doc: &Document,
    submitting: bool,
) -> Result<Report, AppError> {
    let fonts = crate::fonts::names(conn, org_id)?;
    let image = |hash: &str| crate::files::images::get(conn, org_id, hash).ok().flatten();
    Ok(document::check(
        doc,
        &Rules {
            product,
            fonts: &fonts,
            image: &image,
            submitting,
        },
    ))
}

fn refuse_errors(report: &Report) -> Result<(), AppError> {
    if report.errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(report.errors.clone()))
    }
}

/// What a new design starts from.
pub struct NewDesign {
    pub product_id: String,
    pub variant_id: Option<String>,
    pub name: String,
    pub document: Document,
}

/// Creates a design of one of `org_id`'s products, checked; answers it
/// with the warnings its document has.
pub fn create(tx: &Tx, org_id: &str, new: &NewDesign) -> Result<(Design, Report), AppError> {
    let product = crate::catalog::get(tx, org_id, &new.product_id)?
        .ok_or_else(|| AppError::invalid("product_id", "designs.error.product"))?;
    if let Some(v) = &new.variant_id
        && !product.variants.iter().any(|pv| pv.id.as_deref() == Some(v.as_str()))
    {
        return Err(AppError::invalid("variant_id", "designs.error.variant"));
    }
    let name = new.name.trim();
    if name.chars().count() > 120 {
        return Err(AppError::invalid("name", "designs.error.name"));
    }
    // Named as sent: the document is a field of the new design.
    let mut report = check(tx, org_id, &product, &new.document, false)?;
    for item in report.errors.iter_mut().chain(report.warnings.iter_mut()) {
        item.field = format!("document.{}", item.field);
    }
    refuse_errors(&report)?;
    let id = DesignId::generate();
    let doc = serde_json::to_string(&new.document).expect("a document serialises");
    let name = if name.is_empty() {
        product.name.clone()
    } else {
        name.to_string()
    };
    tx.execute(
        &format!("INSERT INTO designs (org_id, {COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, 'draft', 1, ?6, ?7, ?8, ?8)"),
        rusqlite::params![
            org_id,
            id,
            product.id,
            new.variant_id,
            name,
            crate::db::ids::random_token(24),
            doc,
            tx.now()
        ],
    )?;
    keep_version(tx, &id, 1, &doc)?;
    crate::audit::record(
        tx,
        "designs.created",
        Some(("design", &id)),
        serde_json::json!({ "name": name }),
    )?;
    Ok((get(tx, org_id, &id)?.ok_or(AppError::NotFound)?, report))
}

fn keep_version(tx: &Tx, id: &DesignId, version: i64, doc: &str) -> Result<(), AppError> {
    let by = tx.origin().actor.parts().2.to_string();
    tx.execute(
        "INSERT INTO design_versions (design_id, version, document, saved_at, saved_by) VALUES (?1, ?2, ?3, ?4, ?5)",
        rusqlite::params![id, version, doc, tx.now(), by],
    )?;
    tx.execute(
        "DELETE FROM design_versions WHERE design_id = ?1 AND version <= ?2 AND frozen = 0",
        rusqlite::params![id, version - MAX_VERSIONS],
    )?;
    Ok(())
}

/// Saves `doc` as design `id`'s new version (a document equal to the
/// current one saves nothing). Approved designs are frozen (409).
pub fn save(tx: &Tx, org_id: &str, id: &str, doc: &Document) -> Result<(Design, Report), AppError> {
    let design = get(tx, org_id, id)?.ok_or(AppError::NotFound)?;
    if design.state == "approved" {
        return Err(AppError::Conflict(Message::new("designs.error.frozen")));
    }
    let product = crate::catalog::get(tx, org_id, &design.product_id)?.ok_or(AppError::NotFound)?;
    let report = check(tx, org_id, &product, doc, design.state == "submitted")?;
    refuse_errors(&report)?;
    if *doc == design.document {
        return Ok((design, report));
    }
    let text = serde_json::to_string(doc).expect("a document serialises");
    let version = design.version + 1;
    tx.execute(
        "UPDATE designs SET document = ?2, version = ?3, updated_at = ?4 WHERE id = ?1",
        rusqlite::params![id, text, version, tx.now()],
    )?;
    keep_version(tx, &design.id, version, &text)?;
    crate::audit::record(
        tx,
        "designs.saved",
        Some(("design", id)),
        serde_json::json!({ "name": design.name, "version": version }),
    )?;
    Ok((get(tx, org_id, id)?.ok_or(AppError::NotFound)?, report))
}

/// Freezes design `id`'s current version (what an order does when it is
/// placed): that version is kept whatever later saves do, never pruned,
/// and its files are drawn from it (`at_version`). Answers the version.
pub fn freeze(tx: &Tx, org_id: &str, id: &str) -> Result<i64, AppError> {
    let design = get(tx, org_id, id)?.ok_or(AppError::NotFound)?;
    tx.execute(
        "UPDATE design_versions SET frozen = 1 WHERE design_id = ?1 AND version = ?2",
        rusqlite::params![id, design.version],
    )?;
    Ok(design.version)
}

/// Moves design `id` to `state` along draft → submitted → approved (and
/// back to draft to reopen it); submitting checks it strictly.
pub fn set_state(tx: &Tx, org_id: &str, id: &str, state: &str) -> Result<Design, AppError> {
    let design = get(tx, org_id, id)?.ok_or(AppError::NotFound)?;
    let allowed: &[&str] = match design.state.as_str() {
        "draft" => &["submitted"],
        "submitted" => &["approved", "draft"],
        _ => &["draft"],
    };
    if !STATES.contains(&state) {
        return Err(AppError::invalid("state", "designs.error.state"));
    }
    if state == design.state {
        return Ok(design);
    }
    if !allowed.contains(&state) {
        return Err(AppError::Conflict(
            Message::new("designs.error.transition")
                .with("from", &design.state)
                .with("to", state)
                .with("allowed", allowed.join(", ")),
        ));
    }
    if state == "submitted" {
        let product = crate::catalog::get(tx, org_id, &design.product_id)?.ok_or(AppError::NotFound)?;
        refuse_errors(&check(tx, org_id, &product, &design.document, true)?)?;
    }
    tx.execute(
        "UPDATE designs SET state = ?2, updated_at = ?3 WHERE id = ?1",
        rusqlite::params![id, state, tx.now()],
    )?;
    crate::audit::record(
        tx,
        "designs.state_changed",
        Some(("design", id)),
        serde_json::json!({ "name": design.name, "from": design.state, "to": state }),
    )?;
    get(tx, org_id, id)?.ok_or(AppError::NotFound)
}

/// One design of `org_id` (another org's is not found).
pub fn get(conn: &Connection, org_id: &str, id: &str) -> Result<Option<Design>, AppError> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM designs WHERE org_id = ?1 AND id = ?2"),
            [org_id, id],
            design_at,
        )
        .optional()?)
}

/// The design behind a private link, with its org's id.
pub fn by_token(conn: &Connection, token: &str) -> Result<Option<(String, Design)>, AppError> {
    Ok(conn
        .query_row(
            &format!("SELECT org_id, {COLUMNS} FROM designs WHERE token = ?1"),
            [token],
            |r| {
                let org: String = r.get(0)?;
                // The columns after org_id, read as a design.
                let doc: String = r.get(8)?;
                Ok((
                    org,
                    Design {
                        id: DesignId::from_text(r.get::<_, String>(1)?),
                        product_id: ProductId::from_text(r.get::<_, String>(2)?),
                        variant_id: r.get(3)?,
                        name: r.get(4)?,
                        state: r.get(5)?,
                        version: r.get(6)?,
                        token: r.get(7)?,
                        document: serde_json::from_str(&doc).unwrap_or_else(|_| Document::empty()),
                        created_at: r.get(9)?,
                        updated_at: r.get(10)?,
                    },
                ))
            },
        )
        .optional()?)
}

/// The designs of `org_id`, newest first, optionally of one product or state.
pub fn list(
    conn: &Connection,
    org_id: &str,
    product: Option<&str>,
    state: Option<&str>,
) -> Result<Vec<Design>, AppError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM designs WHERE org_id = ?1 AND (?2 IS NULL OR product_id = ?2)
         AND (?3 IS NULL OR state = ?3) ORDER BY updated_at DESC, id DESC LIMIT 500"
    ))?;
    let rows = stmt.query_map(rusqlite::params![org_id, product, state], design_at)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A kept version of a design.
#[derive(Debug, Clone, Serialize)]
pub struct Version {
    pub version: i64,
    pub saved_at: i64,
    pub saved_by: String,
    #[serde(skip)]
    pub document: Document,
}

/// The kept versions of design `id` (checked to be `org_id`'s), newest first.
pub fn versions(conn: &Connection, org_id: &str, id: &str) -> Result<Vec<Version>, AppError> {
    get(conn, org_id, id)?.ok_or(AppError::NotFound)?;
    let mut stmt = conn.prepare_cached(
        "SELECT version, saved_at, saved_by, document FROM design_versions WHERE design_id = ?1 ORDER BY version DESC",
    )?;
    let rows = stmt.query_map([id], |r| {
        let doc: String = r.get(3)?;
        Ok(Version {
            version: r.get(0)?,
            saved_at: r.get(1)?,
            saved_by: r.get(2)?,
            document: serde_json::from_str(&doc).unwrap_or_else(|_| Document::empty()),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Design `id` as it was at `version` (the current one when `None`): what
/// previews and print files are drawn from, and what an order pins.
pub fn at_version(conn: &Connection, org_id: &str, id: &str, version: Option<i64>) -> Result<Design, AppError> {
    let mut design = get(conn, org_id, id)?.ok_or(AppError::NotFound)?;
    if let Some(v) = version.filter(|v| *v != design.version) {
        let doc: String = conn
            .query_row(
                "SELECT document FROM design_versions WHERE design_id = ?1 AND version = ?2",
                rusqlite::params![id, v],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(AppError::NotFound)?;
        design.document = serde_json::from_str(&doc).map_err(|e| AppError::internal(format!("version {v}: {e}")))?;
        design.version = v;
    }
    Ok(design)
}

/// Everything a render of `design` needs, loaded in one read.
pub struct RenderInput {
    pub design: Design,
    pub product: Product,
    pub fonts: crate::fonts::FontBook,
    pub images: Vec<crate::files::images::StoredImage>,
}

/// Loads what rendering design `id` of `org_id` at `version` needs.
pub fn render_input(
    conn: &Connection,
    config: &Config,
    org_id: &str,
    id: &str,
    version: Option<i64>,
) -> Result<RenderInput, AppError> {
    let design = at_version(conn, org_id, id, version)?;
    let product = crate::catalog::get(conn, org_id, &design.product_id)?.ok_or(AppError::NotFound)?;
    let fonts = crate::fonts::FontBook::load(conn, config, org_id, &design.document.fonts())?;
    let mut images = vec![];
    for hash in design.document.images() {
        images.extend(crate::files::images::get(conn, org_id, hash)?);
    }
    Ok(RenderInput {
        design,
        product,
        fonts,
        images,
    })
}

/// A check's report for the API, worded in `lang`.
pub fn report_json(report: &Report, lang: crate::web::i18n::Lang) -> serde_json::Value {
    let list = |items: &[FieldError]| {
        items
            .iter()
            .map(|w| serde_json::json!({ "field": w.field, "code": w.message.key, "message": lang.msg(&w.message) }))
            .collect::<Vec<_>>()
    };
    serde_json::json!({ "errors": list(&report.errors), "warnings": list(&report.warnings) })
}

pub fn routes() -> Vec<rocket::Route> {
    let mut routes = api::routes();
    routes.extend(page::routes());
    routes.extend(customer::routes());
    routes
}
