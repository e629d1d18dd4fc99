//! The catalogue's part of `luneo demo`: three products a personalisation
//! shop sells — a T-shirt printed front and back in three sizes, a mug
//! with a wrap-around area, an engraved bracelet (text only).

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
    for p in &products {
        let input: ProductInput =
            serde_json::from_value(p.clone()).map_err(|e| AppError::internal(format!("demo product: {e}")))?;
        let spec = input.parse().map_err(AppError::Invalid)?;
        super::create(tx, org, &spec)?;
    }
    Ok(format!("{} products with variants and print areas", products.len()))
}
