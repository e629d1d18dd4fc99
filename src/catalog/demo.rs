//! The catalogue's part of `luneo demo`: three products a personalisation
//! shop sells — a T-shirt printed front and back in three sizes, a mug
//! with a wrap-around area, an engraved bracelet (text only) — each with a
//! mockup photo (a plain drawing, rendered on the spot) under its areas.

use super::{ProductFilter, ProductInput};
use crate::db::Tx;
use crate::demo::{DemoCtx, DemoStep};
use crate::error::AppError;
use serde_json::json;

pub fn step() -> DemoStep {
    DemoStep {
        name: "catalog",
        run: seed,
    }
}

fn seed(tx: &Tx, demo: &DemoCtx) -> Result<String, AppError> {
    let org = demo.org.id.as_str();
    if !super::list(tx, org, &ProductFilter::default(), 1)?.is_empty() {
        return Ok("there already".into());
    }
    let products = [
        json!({ "name": "Organic T-shirt", "sku": "TS-ORG", "status": "active", "price_minor": 2490, "currency": "EUR",
                "description": "Organic cotton, printed front and back in our workshop.", "production_days": 3,
                "variants": [{ "name": "S", "sku": "TS-ORG-S" }, { "name": "M", "sku": "TS-ORG-M", "stock": 40 },
                             { "name": "L", "sku": "TS-ORG-L", "price_delta_minor": 200 }],
                "print_areas": [
                    { "name": "Front", "width_mm": 280, "height_mm": 350, "mockup_x": 0.3, "mockup_y": 0.22, "mockup_width": 0.4, "required": true },
                    { "name": "Back", "width_mm": 300, "height_mm": 400, "mockup_x": 0.28, "mockup_y": 0.2, "mockup_width": 0.44 }
                ] }),
        json!({ "name": "Ceramic mug", "sku": "MUG-330", "status": "active", "price_minor": 1490, "currency": "EUR",
                "description": "330 ml, dishwasher safe; the design wraps around.", "production_days": 2,
                "print_areas": [{ "name": "Wrap", "width_mm": 200, "height_mm": 80, "bleed_mm": 2, "safe_mm": 4,
                                  "mockup_x": 0.15, "mockup_y": 0.3, "mockup_width": 0.7, "required": true }] }),
        json!({ "name": "Engraved bracelet", "sku": "BR-ENG", "status": "draft", "price_minor": 3900, "currency": "EUR",
                "description": "Sterling silver bar, engraved with your words.", "production_days": 5,
                "print_areas": [{ "name": "Bar", "width_mm": 40, "height_mm": 6, "bleed_mm": 0, "safe_mm": 0.5, "dpi": 1200,
                                  "kinds": ["text"], "max_text_length": 30, "required": true }] }),
    ];
    for (p, mockup) in products.iter().zip(MOCKUPS) {
        let input: ProductInput =
            serde_json::from_value(p.clone()).map_err(|e| AppError::internal(format!("demo product: {e}")))?;
        let spec = input.parse().map_err(AppError::Invalid)?;
        let product = super::create(tx, org, &spec)?;
        let png = crate::render::svg::svg_to_png(&format!("{MOCKUP_OPEN}{mockup}</svg>"), 1200, 1200)?;
        let checked = crate::files::images::check(png).map_err(|m| AppError::internal(format!("demo mockup: {m}")))?;
        let stored = crate::files::images::store(&demo.config, &checked)?;
        super::images::add(tx, org, &product.id, &stored, &format!("{} (mockup)", product.name))?;
    }
    Ok(format!(
        "{} products with variants, print areas and mockup photos",
        products.len()
    ))
}

/// The start of every mockup drawing (1200 × 1200, a light background).
const MOCKUP_OPEN: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="1200" viewBox="0 0 1200 1200"><rect width="1200" height="1200" fill="#eef1f5"/>"##;

/// Plain drawings standing for product photos, each under its print areas.
const MOCKUPS: [&str; 3] = [
    // A T-shirt: the front area (30 %, 22 %, 40 % wide) sits on the chest.
    r##"<path d="M420 140 L300 180 L120 380 L250 500 L320 440 L320 1080 L880 1080 L880 440 L950 500 L1080 380 L900 180 L780 140 C760 220 680 260 600 260 C520 260 440 220 420 140 Z" fill="#ffffff" stroke="#c9ced8" stroke-width="6"/>"##,
    // A mug: the wrap area across its body, the handle on the right.
    r##"<path d="M1040 420 C1180 420 1180 660 1040 660" fill="none" stroke="#ffffff" stroke-width="56"/><rect x="160" y="300" width="880" height="480" rx="30" fill="#ffffff" stroke="#c9ced8" stroke-width="6"/><ellipse cx="600" cy="300" rx="440" ry="40" fill="#f7f8fa" stroke="#c9ced8" stroke-width="6"/>"##,
    // A bracelet: the engraved bar on its chain.
    r##"<path d="M260 345 C40 345 40 920 600 920 C1160 920 1160 345 940 345" fill="none" stroke="#9aa1ad" stroke-width="14"/><rect x="260" y="280" width="680" height="130" rx="65" fill="#dde1e7" stroke="#9aa1ad" stroke-width="6"/>"##,
];
