//! The catalogue (`/api/v1/products`): an organisation's products that
//! customers personalise — name, slug (unique in the org, the storefront's
//! address), SKU (unique when given), description, status (draft, active,
//! archived), price in integer minor units of an ISO 4217 currency, and
//! production time. Searched through FTS5 by name, SKU and description.
//! Table: `catalog_products` (with `catalog_products_search`).
//!
//! Files: `parts` (variants and print areas), `images` (photos), `api`,
//! `form` and `pages` (the dashboard pages), `csv_pages` (import with a
//! dry run, export), `demo`.

mod api;
mod csv_pages;
mod demo;
pub mod form;
pub mod images;
mod pages;
pub mod parts;

use crate::db::Tx;
use crate::error::{AppError, FieldError, Message};
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

crate::typed_id!(
    /// The id of a product (`prd_…`).
    ProductId,
    "prd"
);

/// The highest price accepted, in minor units (100 million in major units).
pub const MAX_PRICE_MINOR: i64 = 10_000_000_000;

/// Where a product is in its life.
pub const STATUSES: [&str; 3] = ["draft", "active", "archived"];

/// A product as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Product {
    pub id: ProductId,
    pub name: String,
    pub slug: String,
    pub sku: String,
    pub description: String,
    pub status: String,
    pub price_minor: i64,
    pub currency: String,
    pub production_days: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub variants: Vec<parts::Variant>,
    pub print_areas: Vec<parts::PrintArea>,
    pub images: Vec<images::ProductImage>,
}

const COLUMNS: &str = "p.id, p.name, p.slug, p.sku, p.description, p.status, p.price_minor, p.currency, p.production_days, p.created_at, p.updated_at";

fn product_at(r: &Row<'_>) -> rusqlite::Result<Product> {
    Ok(Product {
        id: ProductId::from_text(r.get::<_, String>(0)?),
        name: r.get(1)?,
        slug: r.get(2)?,
        sku: r.get(3)?,
        description: r.get(4)?,
        status: r.get(5)?,
        price_minor: r.get(6)?,
        currency: r.get(7)?,
        production_days: r.get(8)?,
        created_at: r.get(9)?,
        updated_at: r.get(10)?,
        variants: vec![],
        print_areas: vec![],
        images: vec![],
    })
}

/// What the API sends; absent fields keep their value on an edit (the
/// variants and print areas, when sent, replace the lists: `parts`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub sku: Option<String>,
    pub description: Option<String>,
    pub status: Option<String>,
    pub price_minor: Option<i64>,
    pub currency: Option<String>,
    pub production_days: Option<i64>,
    #[serde(default)]
    pub variants: Option<Vec<parts::Variant>>,
    #[serde(default)]
    pub print_areas: Option<Vec<parts::PrintArea>>,
}

/// A product to store, checked.
#[derive(Debug, Clone)]
pub struct ProductSpec {
    pub name: String,
    pub slug: String,
    pub sku: String,
    pub description: String,
    pub status: &'static str,
    pub price_minor: i64,
    pub currency: String,
    pub production_days: i64,
    /// The lists to set (none: kept as they are).
    pub variants: Option<Vec<parts::Variant>>,
    pub print_areas: Option<Vec<parts::PrintArea>>,
}

impl ProductInput {
    /// The input of an existing product (what an edit starts from).
    pub fn of(p: &Product) -> ProductInput {
        ProductInput {
            name: Some(p.name.clone()),
            slug: Some(p.slug.clone()),
            sku: Some(p.sku.clone()),
            description: Some(p.description.clone()),
            status: Some(p.status.clone()),
            price_minor: Some(p.price_minor),
            currency: Some(p.currency.clone()),
            production_days: Some(p.production_days),
            variants: None,
            print_areas: None,
        }
    }

    /// `self` with what `patch` sends laid over it.
    pub fn overlaid(self, patch: ProductInput) -> ProductInput {
        ProductInput {
            name: patch.name.or(self.name),
            slug: patch.slug.or(self.slug),
            sku: patch.sku.or(self.sku),
            description: patch.description.or(self.description),
            status: patch.status.or(self.status),
            price_minor: patch.price_minor.or(self.price_minor),
            currency: patch.currency.or(self.currency),
            production_days: patch.production_days.or(self.production_days),
            variants: patch.variants.or(self.variants),
            print_areas: patch.print_areas.or(self.print_areas),
        }
    }

    /// Checks every field at once; each error names its field.
    pub fn parse(&self) -> Result<ProductSpec, Vec<FieldError>> {
        let mut errors = vec![];
        let mut refuse = |field: &str, key: &str| {
            errors.push(FieldError {
                field: field.into(),
                message: Message::new(key),
            })
        };
        let text = |v: &Option<String>| v.as_deref().unwrap_or_default().trim().to_string();
        let name = text(&self.name);
        if name.is_empty() || name.chars().count() > 120 {
            refuse("name", "catalog.error.name");
        }
        let slug = match text(&self.slug) {
            s if s.is_empty() => crate::orgs::slug_of(&name, 80),
            s => s,
        };
        let slug_ok = !slug.is_empty()
            && slug.len() <= 80
            && slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !slug.starts_with('-')
            && !slug.ends_with('-');
        if !slug_ok && !name.is_empty() {
            refuse("slug", "catalog.error.slug");
        }
        let sku = text(&self.sku);
        if sku.chars().count() > 64 || sku.chars().any(|c| c.is_control() || c.is_whitespace()) {
            refuse("sku", "catalog.error.sku");
        }
        let description = text(&self.description);
        if description.chars().count() > 10_000 {
            refuse("description", "catalog.error.description");
        }
        let status = STATUSES
            .into_iter()
            .find(|s| *s == text(&self.status).as_str() || (text(&self.status).is_empty() && *s == "draft"));
        if status.is_none() {
            refuse("status", "catalog.error.status");
        }
        let price = self.price_minor;
        if !price.is_some_and(|p| (0..=MAX_PRICE_MINOR).contains(&p)) {
            refuse("price_minor", "catalog.error.price");
        }
        let currency = text(&self.currency).to_ascii_uppercase();
        if !crate::web::pickers::is_currency(&currency) {
            refuse("currency", "catalog.error.currency");
        }
        let days = self.production_days.unwrap_or(3);
        if !(0..=365).contains(&days) {
            refuse("production_days", "catalog.error.production_days");
        }
        if let Err(more) = parts::check(
            self.variants.as_deref().unwrap_or_default(),
            self.print_areas.as_deref().unwrap_or_default(),
        ) {
            errors.extend(more);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ProductSpec {
            variants: self.variants.clone(),
            print_areas: self.print_areas.clone(),
            name,
            slug,
            sku,
            description,
            status: status.unwrap_or("draft"),
            price_minor: price.unwrap_or_default(),
            currency,
            production_days: days,
        })
    }
}

/// The field a taken slug or SKU of `org_id` makes refused, if any.
fn taken(tx: &Tx, org_id: &str, spec: &ProductSpec, except: Option<&str>) -> Result<Option<FieldError>, AppError> {
    let clash = |column: &str, value: &str| -> Result<bool, AppError> {
        Ok(tx.query_row(
            &format!(
                "SELECT EXISTS (SELECT 1 FROM catalog_products WHERE org_id = ?1 AND {column} = ?2 AND id IS NOT ?3)"
            ),
            rusqlite::params![org_id, value, except],
            |r| r.get(0),
        )?)
    };
    let refuse = |field: &str, key: &str| FieldError {
        field: field.into(),
        message: Message::new(key),
    };
    if clash("slug", &spec.slug)? {
        return Ok(Some(refuse("slug", "catalog.error.slug_taken")));
    }
    if !spec.sku.is_empty() && clash("sku", &spec.sku)? {
        return Ok(Some(refuse("sku", "catalog.error.sku_taken")));
    }
    Ok(None)
}

/// Adds a product to `org_id`, audited.
pub fn create(tx: &Tx, org_id: &str, spec: &ProductSpec) -> Result<Product, AppError> {
    if let Some(e) = taken(tx, org_id, spec, None)? {
        return Err(AppError::Invalid(vec![e]));
    }
    let (id, now) = (ProductId::generate(), tx.now());
    tx.execute(
        "INSERT INTO catalog_products (id, org_id, name, slug, sku, description, status, price_minor, currency,
           production_days, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
        rusqlite::params![
            id.as_str(),
            org_id,
            spec.name,
            spec.slug,
            spec.sku,
            spec.description,
            spec.status,
            spec.price_minor,
            spec.currency,
            spec.production_days,
            now
        ],
    )?;
    set_parts(tx, &id, spec)?;
    crate::audit::record(
        tx,
        "catalog.product_created",
        Some(("product", &id)),
        serde_json::json!({ "name": spec.name }),
    )?;
    get(tx, org_id, &id)?.ok_or(AppError::NotFound)
}

/// Changes product `id` of `org_id` to `spec`, audited.
pub fn update(tx: &Tx, org_id: &str, id: &str, spec: &ProductSpec) -> Result<Product, AppError> {
    get(tx, org_id, id)?.ok_or(AppError::NotFound)?;
    if let Some(e) = taken(tx, org_id, spec, Some(id))? {
        return Err(AppError::Invalid(vec![e]));
    }
    tx.execute(
        "UPDATE catalog_products SET name = ?3, slug = ?4, sku = ?5, description = ?6, status = ?7, price_minor = ?8,
           currency = ?9, production_days = ?10, updated_at = ?11 WHERE org_id = ?1 AND id = ?2",
        rusqlite::params![
            org_id,
            id,
            spec.name,
            spec.slug,
            spec.sku,
            spec.description,
            spec.status,
            spec.price_minor,
            spec.currency,
            spec.production_days,
            tx.now()
        ],
    )?;
    set_parts(tx, id, spec)?;
    crate::audit::record(
        tx,
        "catalog.product_updated",
        Some(("product", id)),
        serde_json::json!({ "name": spec.name }),
    )?;
    get(tx, org_id, id)?.ok_or(AppError::NotFound)
}

fn set_parts(tx: &Tx, id: &str, spec: &ProductSpec) -> Result<(), AppError> {
    if let Some(v) = &spec.variants {
        parts::set_variants(tx, id, v)?;
    }
    if let Some(a) = &spec.print_areas {
        parts::set_areas(tx, id, a)?;
    }
    Ok(())
}

/// A product with its variants, print areas and photos.
fn with_parts(conn: &Connection, mut p: Product) -> Result<Product, AppError> {
    p.variants = parts::variants(conn, &p.id)?;
    p.print_areas = parts::areas(conn, &p.id)?;
    p.images = images::of_product(conn, &p.id)?;
    Ok(p)
}

/// Removes product `id` of `org_id`, audited.
pub fn delete(tx: &Tx, org_id: &str, id: &str) -> Result<(), AppError> {
    let product = get(tx, org_id, id)?.ok_or(AppError::NotFound)?;
    tx.execute("DELETE FROM catalog_products WHERE id = ?1", [id])?;
    crate::audit::record(
        tx,
        "catalog.product_deleted",
        Some(("product", id)),
        serde_json::json!({ "name": product.name }),
    )
}

/// The product of `org_id` at address `slug` (the storefront's).
pub fn by_slug(conn: &Connection, org_id: &str, slug: &str) -> Result<Option<Product>, AppError> {
    let found = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM catalog_products p WHERE p.org_id = ?1 AND p.slug = ?2"
        ))?
        .query_row([org_id, slug], product_at)
        .optional()?;
    found.map(|p| with_parts(conn, p)).transpose()
}

/// One product of `org_id` (another org's is not found).
pub fn get(conn: &Connection, org_id: &str, id: &str) -> Result<Option<Product>, AppError> {
    let found = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM catalog_products p WHERE p.org_id = ?1 AND p.id = ?2"
        ))?
        .query_row([org_id, id], product_at)
        .optional()?;
    found.map(|p| with_parts(conn, p)).transpose()
}

/// What the list is filtered by.
#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    pub status: Option<String>,
    /// Words (each a prefix) of the name, SKU or description.
    pub q: Option<String>,
}

/// The products of `org_id` matching `f` (best first when searched, else by name), at most `limit`.
pub fn list(conn: &Connection, org_id: &str, f: &ProductFilter, limit: i64) -> Result<Vec<Product>, AppError> {
    let status = f.status.as_deref().filter(|s| STATUSES.contains(s));
    let rows = match f.q.as_deref().and_then(crate::db::fts_query) {
        Some(words) => {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM catalog_products_search s CROSS JOIN catalog_products p ON p.rowid = s.rowid
                 WHERE catalog_products_search MATCH ?1 AND p.org_id = ?2 AND (?3 IS NULL OR p.status = ?3)
                 ORDER BY s.rank LIMIT ?4"
            ))?;
            stmt.query_map(rusqlite::params![words, org_id, status, limit], product_at)?
                .collect::<Result<Vec<_>, _>>()?
        }
        None => {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM catalog_products p WHERE p.org_id = ?1 AND (?2 IS NULL OR p.status = ?2)
                 ORDER BY p.name COLLATE NOCASE LIMIT ?3"
            ))?;
            stmt.query_map(rusqlite::params![org_id, status, limit], product_at)?
                .collect::<Result<Vec<_>, _>>()?
        }
    };
    rows.into_iter().map(|p| with_parts(conn, p)).collect()
}

/// Its part of `luneo demo`.
pub fn demo_step() -> crate::demo::DemoStep {
    demo::step()
}

pub fn routes() -> Vec<rocket::Route> {
    let mut routes = api::routes();
    routes.extend(pages::routes());
    routes.extend(csv_pages::routes());
    routes
}

/// The catalogue's entry in the sidebar.
pub const NAV: crate::web::shell::NavEntry = crate::web::shell::NavEntry {
    key: "catalog",
    href: "/dashboard/products",
    label_key: "dashboard.section.products",
    area: Some(crate::orgs::perms::Area::Catalog),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_product_is_checked_field_by_field_and_its_slug_comes_from_its_name() {
        let input = ProductInput {
            name: Some("T-shirt « Été »".into()),
            price_minor: Some(1990),
            currency: Some("eur".into()),
            ..ProductInput::default()
        };
        let spec = input.parse().unwrap();
        assert_eq!(
            (spec.slug.as_str(), spec.status, spec.currency.as_str()),
            ("t-shirt-ete", "draft", "EUR")
        );
        let bad = ProductInput {
            name: Some(" ".into()),
            sku: Some("A B".into()),
            status: Some("sold".into()),
            price_minor: Some(-1),
            currency: Some("XYZ".into()),
            production_days: Some(400),
            ..ProductInput::default()
        };
        let fields: Vec<String> = bad.parse().unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["name", "sku", "status", "price_minor", "currency", "production_days"]
        );
    }
}
