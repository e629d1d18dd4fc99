//! A product's variants and print areas. Each list is sent whole (a form
//! or the API): an item with the `id` of one of the product's keeps its id
//! (designs refer to print areas by id), one without is new, and those not
//! sent are removed. Every item is checked; an error names the list, the
//! item's place and the field (`print_areas[1].width_mm`).
//! Tables: `catalog_variants`, `catalog_print_areas`.

use crate::db::Tx;
use crate::error::{AppError, FieldError, Message};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

crate::typed_id!(
    /// The id of a product variant (`var_…`).
    VariantId,
    "var"
);
crate::typed_id!(
    /// The id of a print area (`pa_…`).
    AreaId,
    "pa"
);

/// The element kinds a print area may hold.
pub const KINDS: [&str; 3] = ["text", "image", "shape"];
/// The most variants and print areas on one product.
pub const MAX_VARIANTS: usize = 100;
pub const MAX_AREAS: usize = 12;

/// A variant as stored and sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub sku: String,
    #[serde(default)]
    pub price_delta_minor: i64,
    #[serde(default)]
    pub stock: Option<i64>,
}

fn default_bleed() -> f64 {
    3.0
}
fn default_dpi() -> i64 {
    300
}
fn default_x() -> f64 {
    0.25
}
fn default_width() -> f64 {
    0.5
}
fn default_kinds() -> Vec<String> {
    KINDS.iter().map(|k| k.to_string()).collect()
}

/// A print area as stored and sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrintArea {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    pub width_mm: f64,
    pub height_mm: f64,
    #[serde(default = "default_bleed")]
    pub bleed_mm: f64,
    #[serde(default = "default_bleed")]
    pub safe_mm: f64,
    #[serde(default = "default_dpi")]
    pub dpi: i64,
    /// Over the mockup image, as fractions of it: left, top, width.
    #[serde(default = "default_x")]
    pub mockup_x: f64,
    #[serde(default = "default_x")]
    pub mockup_y: f64,
    #[serde(default = "default_width")]
    pub mockup_width: f64,
    #[serde(default = "default_kinds")]
    pub kinds: Vec<String>,
    /// Fonts allowed by name (empty: any).
    #[serde(default)]
    pub fonts: Vec<String>,
    /// Colours allowed as `#rrggbb` (empty: any).
    #[serde(default)]
    pub colours: Vec<String>,
    #[serde(default)]
    pub max_text_length: Option<i64>,
    #[serde(default)]
    pub required: bool,
}

struct Errors(Vec<FieldError>);

impl Errors {
    fn check(&mut self, ok: bool, field: String, key: &str) {
        if !ok {
            self.0.push(FieldError {
                field,
                message: Message::new(key),
            });
        }
    }
}

fn colour_ok(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|h| h.is_ascii_hexdigit())
}

/// Checks the lists; every error names its item and field.
pub fn check(variants: &[Variant], areas: &[PrintArea]) -> Result<(), Vec<FieldError>> {
    let mut e = Errors(vec![]);
    e.check(
        variants.len() <= MAX_VARIANTS,
        "variants".into(),
        "catalog.error.variants_count",
    );
    e.check(
        areas.len() <= MAX_AREAS,
        "print_areas".into(),
        "catalog.error.areas_count",
    );
    for (i, v) in variants.iter().enumerate() {
        let f = |name: &str| format!("variants[{i}].{name}");
        e.check(
            !v.name.trim().is_empty() && v.name.chars().count() <= 80,
            f("name"),
            "catalog.error.variant_name",
        );
        e.check(
            v.sku.chars().count() <= 64 && !v.sku.chars().any(char::is_whitespace),
            f("sku"),
            "catalog.error.sku",
        );
        e.check(
            v.price_delta_minor.abs() <= super::MAX_PRICE_MINOR,
            f("price_delta_minor"),
            "catalog.error.price_delta",
        );
        e.check(v.stock.is_none_or(|s| s >= 0), f("stock"), "catalog.error.stock");
    }
    for (i, a) in areas.iter().enumerate() {
        let f = |name: &str| format!("print_areas[{i}].{name}");
        let size = |mm: f64| mm.is_finite() && mm > 0.0 && mm <= 5_000.0;
        let margin = |mm: f64| mm.is_finite() && (0.0..=50.0).contains(&mm);
        let fraction = |x: f64| x.is_finite() && (0.0..=1.0).contains(&x);
        e.check(
            !a.name.trim().is_empty() && a.name.chars().count() <= 60,
            f("name"),
            "catalog.error.area_name",
        );
        e.check(size(a.width_mm), f("width_mm"), "catalog.error.area_size");
        e.check(size(a.height_mm), f("height_mm"), "catalog.error.area_size");
        e.check(margin(a.bleed_mm), f("bleed_mm"), "catalog.error.margin");
        e.check(
            margin(a.safe_mm) && a.safe_mm * 2.0 < a.width_mm.min(a.height_mm),
            f("safe_mm"),
            "catalog.error.safe",
        );
        e.check((72..=2400).contains(&a.dpi), f("dpi"), "catalog.error.dpi");
        e.check(
            fraction(a.mockup_x) && fraction(a.mockup_y) && fraction(a.mockup_width) && a.mockup_width > 0.0,
            f("mockup_x"),
            "catalog.error.mockup",
        );
        e.check(
            !a.kinds.is_empty() && a.kinds.iter().all(|k| KINDS.contains(&k.as_str())),
            f("kinds"),
            "catalog.error.kinds",
        );
        e.check(a.fonts.len() <= 50, f("fonts"), "catalog.error.fonts");
        e.check(
            a.colours.len() <= 100 && a.colours.iter().all(|c| colour_ok(c)),
            f("colours"),
            "catalog.error.colours",
        );
        e.check(
            a.max_text_length.is_none_or(|n| (1..=10_000).contains(&n)),
            f("max_text_length"),
            "catalog.error.max_text_length",
        );
    }
    if e.0.is_empty() { Ok(()) } else { Err(e.0) }
}

/// The variants of `product_id`, in order.
pub fn variants(conn: &Connection, product_id: &str) -> Result<Vec<Variant>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, sku, price_delta_minor, stock FROM catalog_variants WHERE product_id = ?1 ORDER BY position",
    )?;
    let rows = stmt.query_map([product_id], |r| {
        Ok(Variant {
            id: Some(r.get(0)?),
            name: r.get(1)?,
            sku: r.get(2)?,
            price_delta_minor: r.get(3)?,
            stock: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The print areas of `product_id`, in order.
pub fn areas(conn: &Connection, product_id: &str) -> Result<Vec<PrintArea>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, width_mm, height_mm, bleed_mm, safe_mm, dpi, mockup_x, mockup_y, mockup_width, kinds, fonts,
           colours, max_text_length, required FROM catalog_print_areas WHERE product_id = ?1 ORDER BY position",
    )?;
    let rows = stmt.query_map([product_id], |r| {
        let list = |i: usize| -> rusqlite::Result<Vec<String>> {
            Ok(serde_json::from_str(&r.get::<_, String>(i)?).unwrap_or_default())
        };
        Ok(PrintArea {
            id: Some(r.get(0)?),
            name: r.get(1)?,
            width_mm: r.get(2)?,
            height_mm: r.get(3)?,
            bleed_mm: r.get(4)?,
            safe_mm: r.get(5)?,
            dpi: r.get(6)?,
            mockup_x: r.get(7)?,
            mockup_y: r.get(8)?,
            mockup_width: r.get(9)?,
            kinds: list(10)?,
            fonts: list(11)?,
            colours: list(12)?,
            max_text_length: r.get(13)?,
            required: r.get(14)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The id an item keeps: its own when it is one of the product's, else a new one.
fn keep_or_new(sent: &Option<String>, existing: &[String], new: impl Fn() -> String) -> String {
    match sent {
        Some(id) if existing.contains(id) => id.clone(),
        _ => new(),
    }
}

/// Gives `product_id` exactly `list` as its variants (checked before).
pub fn set_variants(tx: &Tx, product_id: &str, list: &[Variant]) -> Result<(), AppError> {
    let existing: Vec<String> = variants(tx, product_id)?.into_iter().filter_map(|v| v.id).collect();
    let ids: Vec<String> = list
        .iter()
        .map(|v| keep_or_new(&v.id, &existing, || VariantId::generate().to_string()))
        .collect();
    for gone in existing.iter().filter(|e| !ids.contains(e)) {
        tx.execute("DELETE FROM catalog_variants WHERE id = ?1", [gone])?;
    }
    for (i, (v, id)) in list.iter().zip(&ids).enumerate() {
        tx.execute(
            "INSERT INTO catalog_variants (id, product_id, name, sku, price_delta_minor, stock, position)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, sku = excluded.sku,
               price_delta_minor = excluded.price_delta_minor, stock = excluded.stock, position = excluded.position",
            rusqlite::params![
                id,
                product_id,
                v.name.trim(),
                v.sku.trim(),
                v.price_delta_minor,
                v.stock,
                i as i64
            ],
        )?;
    }
    Ok(())
}

/// Gives `product_id` exactly `list` as its print areas (checked before).
pub fn set_areas(tx: &Tx, product_id: &str, list: &[PrintArea]) -> Result<(), AppError> {
    let existing: Vec<String> = areas(tx, product_id)?.into_iter().filter_map(|a| a.id).collect();
    let ids: Vec<String> = list
        .iter()
        .map(|a| keep_or_new(&a.id, &existing, || AreaId::generate().to_string()))
        .collect();
    for gone in existing.iter().filter(|e| !ids.contains(e)) {
        tx.execute("DELETE FROM catalog_print_areas WHERE id = ?1", [gone])?;
    }
    let json = |l: &[String]| serde_json::to_string(l).unwrap_or_else(|_| "[]".into());
    for (i, (a, id)) in list.iter().zip(&ids).enumerate() {
        tx.execute(
            "INSERT INTO catalog_print_areas (id, product_id, name, width_mm, height_mm, bleed_mm, safe_mm, dpi,
               mockup_x, mockup_y, mockup_width, kinds, fonts, colours, max_text_length, required, position)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, width_mm = excluded.width_mm,
               height_mm = excluded.height_mm, bleed_mm = excluded.bleed_mm, safe_mm = excluded.safe_mm,
               dpi = excluded.dpi, mockup_x = excluded.mockup_x, mockup_y = excluded.mockup_y,
               mockup_width = excluded.mockup_width, kinds = excluded.kinds, fonts = excluded.fonts,
               colours = excluded.colours, max_text_length = excluded.max_text_length,
               required = excluded.required, position = excluded.position",
            rusqlite::params![
                id,
                product_id,
                a.name.trim(),
                a.width_mm,
                a.height_mm,
                a.bleed_mm,
                a.safe_mm,
                a.dpi,
                a.mockup_x,
                a.mockup_y,
                a.mockup_width,
                json(&a.kinds),
                json(&a.fonts),
                json(&a.colours),
                a.max_text_length,
                a.required,
                i as i64
            ],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(name: &str) -> PrintArea {
        serde_json::from_value(serde_json::json!({ "name": name, "width_mm": 280, "height_mm": 350 })).unwrap()
    }

    #[test]
    fn an_area_gets_print_defaults_and_each_bad_value_is_named_by_its_place() {
        let front = area("Front");
        assert_eq!((front.bleed_mm, front.dpi, front.kinds.len()), (3.0, 300, 3));
        assert!(check(&[], std::slice::from_ref(&front)).is_ok());
        let bad = PrintArea {
            width_mm: -1.0,
            dpi: 10,
            kinds: vec!["video".into()],
            colours: vec!["red".into()],
            ..area("Back")
        };
        let fields: Vec<String> = check(&[], &[front, bad])
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "print_areas[1].width_mm",
                "print_areas[1].safe_mm",
                "print_areas[1].dpi",
                "print_areas[1].kinds",
                "print_areas[1].colours"
            ]
        );
    }
}
