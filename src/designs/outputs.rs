//! What a design becomes: the preview PNG over the product's mockup, and
//! the print files of each area (vector PDF, PNG at the area's DPI), all
//! drawn by `render` from one layout. Previews are cached on disk by the
//! hash of everything they are drawn from (`DATA_DIR/cache/previews`), so
//! an unchanged design is never drawn twice.

use super::RenderInput;
use crate::catalog::parts::PrintArea;
use crate::config::Config;
use crate::error::{AppError, Message};
use crate::render::svg::{Images, Mockup};
use crate::render::{Sheet, layout, pdf, svg};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// What to draw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Output {
    Preview { width: u32 },
    PrintPng,
    PrintPdf { marks: bool },
}

/// The print area `area_id` of the design's product (its first area when
/// `None`).
pub fn area<'a>(input: &'a RenderInput, area_id: Option<&str>) -> Result<&'a PrintArea, AppError> {
    let areas = &input.product.print_areas;
    match area_id {
        None => areas
            .first()
            .ok_or_else(|| AppError::invalid("area", "designs.error.no_area")),
        Some(id) => areas
            .iter()
            .find(|a| a.id.as_deref() == Some(id))
            .ok_or_else(|| AppError::invalid("area", Message::new("designs.error.area"))),
    }
}

fn load_images(config: &Config, input: &RenderInput, originals: bool) -> Result<Images, AppError> {
    let mut images = Images::new();
    for image in &input.images {
        let hash = if originals { &image.hash } else { &image.preview_hash };
        images.insert(image.hash.clone(), Arc::new(crate::files::read_now(config, hash)?));
    }
    Ok(images)
}

/// Draws `output` of area `area_id` (blocking: call off the async threads).
pub fn render(
    config: &Config,
    input: &RenderInput,
    area_id: Option<&str>,
    output: Output,
) -> Result<Vec<u8>, AppError> {
    let area = area(input, area_id)?;
    let area_key = area.id.clone().unwrap_or_default();
    let elements = input.design.document.elements_of(&area_key);
    let sheet = Sheet::of(area);
    match output {
        Output::Preview { width } => {
            let mockup = input.product.images.first().map(|m| Mockup {
                hash: format!("mockup-{}", m.image.preview_hash),
                width: m.width,
                height: m.height,
                x: area.mockup_x,
                y: area.mockup_y,
                area_width: area.mockup_width,
            });
            let key = cache_key(area, elements, mockup.as_ref().map(|m| m.hash.as_str()), width);
            let path = config
                .data_dir
                .join("cache")
                .join("previews")
                .join(format!("{key}.png"));
            if let Ok(png) = std::fs::read(&path) {
                return Ok(png);
            }
            let items = layout(elements, &input.fonts)?;
            let mut images = load_images(config, input, false)?;
            if let (Some(m), Some(photo)) = (&mockup, input.product.images.first()) {
                images.insert(
                    m.hash.clone(),
                    Arc::new(crate::files::read_now(config, &photo.image.preview_hash)?),
                );
            }
            let png = svg::preview(&items, sheet, mockup.as_ref(), width, images)?;
            keep(&path, &png);
            Ok(png)
        }
        Output::PrintPng => {
            let items = layout(elements, &input.fonts)?;
            svg::print_png(&items, sheet, load_images(config, input, true)?)
        }
        Output::PrintPdf { marks } => {
            let items = layout(elements, &input.fonts)?;
            let title = format!("{} — {}", input.design.name, area.name);
            pdf::print_pdf(&items, sheet, &load_images(config, input, true)?, marks, &title)
        }
    }
}

/// Everything a preview is drawn from, hashed: the area's rules and
/// place, its elements, the mockup and the width (the layout code's
/// version too, so a new release draws anew).
fn cache_key(area: &PrintArea, elements: &[super::document::Element], mockup: Option<&str>, width: u32) -> String {
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION"));
    h.update(serde_json::to_vec(area).unwrap_or_default());
    h.update(serde_json::to_vec(elements).unwrap_or_default());
    h.update(mockup.unwrap_or_default());
    h.update(width.to_le_bytes());
    hex::encode(h.finalize())
}

/// Writes a cached preview (atomically; a failure only costs a redraw).
fn keep(path: &std::path::Path, png: &[u8]) {
    if let Some(dir) = path.parent()
        && std::fs::create_dir_all(dir).is_ok()
    {
        let tmp = path.with_extension("partial");
        if std::fs::write(&tmp, png).is_ok() {
            let _ = std::fs::rename(&tmp, path);
        }
    }
}
