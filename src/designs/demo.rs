//! The designs of `luneo demo`: a T-shirt with curved text over a shape
//! on its front, and an engraved bracelet, so the demo shop shows previews
//! and print files at once.

use crate::db::Tx;
use crate::demo::{DemoCtx, DemoStep};
use crate::error::AppError;

pub fn step() -> DemoStep {
    DemoStep {
        name: "designs",
        run: seed,
    }
}

/// Adds a sample design per product when the org has none.
fn seed(tx: &Tx, demo: &DemoCtx) -> Result<String, AppError> {
    let org_id = demo.org.id.as_str();
    let has: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM designs WHERE org_id = ?1)",
        [org_id],
        |r| r.get(0),
    )?;
    if has {
        return Ok("there already".into());
    }
    let products = crate::catalog::list(tx, org_id, &crate::catalog::ProductFilter::default(), 50)?;
    let mut made = 0;
    for product in &products {
        let Some(area) = product.print_areas.first() else {
            continue;
        };
        let (w, h) = (area.width_mm, area.height_mm);
        let text = if area.kinds.iter().any(|k| k == "shape") {
            let d = w.min(h) * 0.5;
            let size = (h * 0.2 / crate::render::MM_PER_PT * 0.7).min(40.0);
            serde_json::json!([
                { "kind": "shape", "shape": "ellipse", "x_mm": (w - d) / 2.0, "y_mm": (h - d) / 2.0, "width_mm": d, "height_mm": d, "fill": "#f4c542" },
                { "kind": "text", "text": "Luneo Summer Camp", "font": "DejaVu Sans Bold", "size_pt": 28, "colour": "#1f2a44",
                  "x_mm": w * 0.1, "y_mm": h * 0.05, "width_mm": w * 0.8, "height_mm": h * 0.4,
                  "curve": { "radius_mm": (w * 0.4).max(5.0), "direction": "up" } },
                { "kind": "text", "text": "2026", "font": "DejaVu Serif", "size_pt": size, "colour": "#1f2a44",
                  "x_mm": w * 0.25, "y_mm": h * 0.72, "width_mm": w * 0.5, "height_mm": h * 0.2 }
            ])
        } else {
            let font = area
                .fonts
                .first()
                .cloned()
                .unwrap_or_else(|| crate::fonts::DEFAULT.into());
            serde_json::json!([
                { "kind": "text", "text": "Always with you", "font": font, "size_pt": 10, "colour": "#333333",
                  "x_mm": area.safe_mm, "y_mm": area.safe_mm, "width_mm": w - 2.0 * area.safe_mm, "height_mm": h - 2.0 * area.safe_mm }
            ])
        };
        let document = serde_json::from_value(serde_json::json!({
            "version": 1,
            "areas": [{ "area_id": area.id, "elements": text }]
        }))
        .map_err(|e| AppError::internal(format!("demo design: {e}")))?;
        let new = super::NewDesign {
            product_id: product.id.to_string(),
            variant_id: None,
            name: format!("{} — sample", product.name),
            document,
        };
        super::create(tx, org_id, &new)?;
        made += 1;
    }
    Ok(format!("{made} sample designs"))
}
