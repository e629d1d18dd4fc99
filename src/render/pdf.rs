//! The vector print file of one print area, with krilla: one page whose
//! MediaBox is the BleedBox (the area plus its bleed on each side) and
//! whose TrimBox is the area. Fonts are subset and embedded; every text —
//! curved text too, drawn glyph by glyph along its arc — stays real text
//! (a tagged span carries the whole string as ActualText, so it extracts in
//! order); JPEG photos are embedded as they are, at full resolution.
//!
//! With crop marks (`marks`), the page grows by [`MARKS_MARGIN_MM`] on each
//! side: the BleedBox and TrimBox keep their size (offset by the margin),
//! the artwork is clipped to the BleedBox and the marks sit outside it.

use super::{Affine, Item, MM_PER_PT, Sheet, TextRun};
use crate::designs::document::ShapeKind;
use crate::error::AppError;
use krilla::color::rgb;
use krilla::geom::{Path, PathBuilder, Point, Rect, Size, Transform};
use krilla::image::Image;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, LineCap, Stroke};
use krilla::surface::Surface;
use krilla::tagging::{ContentTag, SpanTag};
use krilla::text::{Font, GlyphId, KrillaGlyph};
use std::collections::HashMap;

/// The margin added around the bleed for crop marks.
pub const MARKS_MARGIN_MM: f64 = 12.0;
/// How long a crop mark is, and its gap from the bleed.
const MARK_LENGTH_MM: f64 = 6.0;
const MARK_GAP_MM: f64 = 2.0;

fn pt(mm: f64) -> f32 {
    (mm / MM_PER_PT) as f32
}

fn krilla_transform(t: Affine) -> Transform {
    let [a, b, c, d, e, f] = t.0.map(|v| v as f32);
    Transform::from_row(a, b, c, d, e, f)
}

fn colour((r, g, b): (u8, u8, u8)) -> krilla::paint::Paint {
    rgb::Color::new(r, g, b).into()
}

fn rect_path(x: f64, y: f64, w: f64, h: f64) -> Option<Path> {
    let mut p = PathBuilder::new();
    p.push_rect(Rect::from_xywh(x as f32, y as f32, w as f32, h as f32)?);
    p.finish()
}

fn ellipse_path(w: f64, h: f64) -> Option<Path> {
    // Four cubic Béziers: the usual circle approximation.
    const K: f64 = 0.552_284_749_8;
    let (rx, ry, cx, cy) = (w / 2.0, h / 2.0, w / 2.0, h / 2.0);
    let f = |v: f64| v as f32;
    let mut p = PathBuilder::new();
    p.move_to(f(cx + rx), f(cy));
    p.cubic_to(
        f(cx + rx),
        f(cy + K * ry),
        f(cx + K * rx),
        f(cy + ry),
        f(cx),
        f(cy + ry),
    );
    p.cubic_to(
        f(cx - K * rx),
        f(cy + ry),
        f(cx - rx),
        f(cy + K * ry),
        f(cx - rx),
        f(cy),
    );
    p.cubic_to(
        f(cx - rx),
        f(cy - K * ry),
        f(cx - K * rx),
        f(cy - ry),
        f(cx),
        f(cy - ry),
    );
    p.cubic_to(
        f(cx + K * rx),
        f(cy - ry),
        f(cx + rx),
        f(cy - K * ry),
        f(cx + rx),
        f(cy),
    );
    p.close();
    p.finish()
}

/// The print PDF of one area: `items` laid out by [`super::layout`],
/// `images` the original bytes of the photos by hash.
pub fn print_pdf(
    items: &[Item],
    sheet: Sheet,
    images: &super::svg::Images,
    marks: bool,
    title: &str,
) -> Result<Vec<u8>, AppError> {
    let b = sheet.bleed_mm;
    let (bleed_w, bleed_h) = (sheet.width_mm + 2.0 * b, sheet.height_mm + 2.0 * b);
    let margin = if marks { MARKS_MARGIN_MM } else { 0.0 };
    let (page_w, page_h) = (bleed_w + 2.0 * margin, bleed_h + 2.0 * margin);
    let boxes = |x: f64, y: f64, w: f64, h: f64| Rect::from_xywh(pt(x), pt(y), pt(w), pt(h));
    let settings = PageSettings::from_wh(pt(page_w), pt(page_h))
        .ok_or_else(|| AppError::internal("empty page"))?
        .with_bleed_box(boxes(margin, margin, bleed_w, bleed_h))
        .with_trim_box(boxes(margin + b, margin + b, sheet.width_mm, sheet.height_mm));
    let mut document = krilla::Document::new();
    document.set_metadata(
        krilla::metadata::Metadata::new()
            .title(title.to_string())
            .creator("Luneo".into()),
    );
    let mut page = document.start_page_with(settings);
    let mut surface = page.surface();
    // Millimetres from the area's top-left corner, from here on.
    let area = Affine::scale(1.0 / MM_PER_PT, 1.0 / MM_PER_PT).then(Affine::translate(margin + b, margin + b));
    surface.push_transform(&krilla_transform(area));
    let clip = rect_path(-b, -b, bleed_w, bleed_h).ok_or_else(|| AppError::internal("empty area"))?;
    surface.push_clip_path(&clip, &FillRule::NonZero);
    let mut fonts: HashMap<String, Font> = HashMap::new();
    for item in items {
        draw(&mut surface, item, images, &mut fonts)?;
    }
    surface.pop();
    surface.pop();
    if marks {
        crop_marks(&mut surface, margin, b, sheet);
    }
    surface.finish();
    page.finish();
    document
        .finish()
        .map_err(|e| AppError::internal(format!("print pdf: {e:?}")))
}

fn draw(
    surface: &mut Surface<'_>,
    item: &Item,
    images: &super::svg::Images,
    fonts: &mut HashMap<String, Font>,
) -> Result<(), AppError> {
    match item {
        Item::Text(run) => {
            let font = match fonts.get(&run.font_name) {
                Some(f) => f.clone(),
                None => {
                    let f = Font::new(run.font.clone().into(), 0)
                        .ok_or_else(|| AppError::internal(format!("font {} unreadable", run.font_name)))?;
                    fonts.insert(run.font_name.clone(), f.clone());
                    f
                }
            };
            draw_run(surface, run, font);
        }
        Item::Image {
            hash,
            transform,
            width_mm,
            height_mm,
            crop,
        } => {
            let Some(bytes) = images.get(hash) else {
                return Ok(());
            };
            let data: krilla::Data = bytes.clone().into();
            let image = match crate::files::sniff(bytes) {
                Some("image/jpeg") => Image::from_jpeg(data, true),
                Some("image/png") => Image::from_png(data, true),
                Some("image/webp") => Image::from_webp(data, true),
                _ => return Ok(()),
            }
            .map_err(|e| AppError::internal(format!("image {hash}: {e}")))?;
            let (w, h) = (width_mm / crop.width, height_mm / crop.height);
            surface.push_transform(&krilla_transform(*transform));
            if let Some(clip) = rect_path(0.0, 0.0, *width_mm, *height_mm) {
                surface.push_clip_path(&clip, &FillRule::NonZero);
                surface.push_transform(&Transform::from_translate((-crop.x * w) as f32, (-crop.y * h) as f32));
                if let Some(size) = Size::from_wh(w as f32, h as f32) {
                    surface.draw_image(image, size);
                }
                surface.pop();
                surface.pop();
            }
            surface.pop();
        }
        Item::Shape {
            shape,
            transform,
            width_mm,
            height_mm,
            fill,
            stroke,
            stroke_width_mm,
        } => {
            let path = match shape {
                ShapeKind::Rectangle => rect_path(0.0, 0.0, *width_mm, *height_mm),
                ShapeKind::Ellipse => ellipse_path(*width_mm, *height_mm),
                ShapeKind::Line => {
                    let mut p = PathBuilder::new();
                    p.move_to(0.0, (*height_mm / 2.0) as f32);
                    p.line_to(*width_mm as f32, (*height_mm / 2.0) as f32);
                    p.finish()
                }
            };
            let Some(path) = path else {
                return Ok(());
            };
            surface.push_transform(&krilla_transform(*transform));
            surface.set_fill(fill.filter(|_| *shape != ShapeKind::Line).map(|c| Fill {
                paint: colour(c),
                opacity: NormalizedF32::ONE,
                rule: FillRule::NonZero,
            }));
            surface.set_stroke(stroke.map(|c| Stroke {
                paint: colour(c),
                width: *stroke_width_mm as f32,
                ..Default::default()
            }));
            surface.draw_path(&path);
            surface.set_stroke(None);
            surface.pop();
        }
    }
    Ok(())
}

fn draw_run(surface: &mut Surface<'_>, run: &TextRun, font: Font) {
    surface.set_fill(Some(Fill {
        paint: colour(run.colour),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }));
    surface.set_stroke(None);
    let size = run.size_mm as f32;
    let glyph = |g: &super::PlacedGlyph, range| {
        KrillaGlyph::new(
            GlyphId::new(u32::from(g.id)),
            g.advance,
            g.x_offset,
            g.y_offset,
            0.0,
            range,
            None,
        )
    };
    surface.start_tagged(ContentTag::Span(SpanTag {
        actual_text: Some(&run.text),
        ..SpanTag::empty()
    }));
    match run.line {
        Some(start) => {
            let glyphs: Vec<KrillaGlyph> = run.glyphs.iter().map(|g| glyph(g, g.text.clone())).collect();
            surface.push_transform(&krilla_transform(start));
            surface.draw_glyphs(Point::from_xy(0.0, 0.0), &glyphs, font, &run.text, size, false);
            surface.pop();
        }
        None => {
            for g in &run.glyphs {
                surface.push_transform(&krilla_transform(g.transform));
                let one = [glyph(g, g.text.clone())];
                surface.draw_glyphs(Point::from_xy(0.0, 0.0), &one, font.clone(), &run.text, size, false);
                surface.pop();
            }
        }
    }
    surface.end_tagged();
}

/// Marks at the four trim corners, outside the bleed, in registration black.
fn crop_marks(surface: &mut Surface<'_>, margin: f64, bleed: f64, sheet: Sheet) {
    let (left, top) = (margin + bleed, margin + bleed);
    let (right, bottom) = (left + sheet.width_mm, top + sheet.height_mm);
    let (outer_l, outer_t) = (margin - MARK_GAP_MM, margin - MARK_GAP_MM);
    let (outer_r, outer_b) = (right + bleed + MARK_GAP_MM, bottom + bleed + MARK_GAP_MM);
    let mut p = PathBuilder::new();
    let mut line = |x1: f64, y1: f64, x2: f64, y2: f64| {
        p.move_to(pt(x1), pt(y1));
        p.line_to(pt(x2), pt(y2));
    };
    for x in [left, right] {
        line(x, outer_t, x, outer_t - MARK_LENGTH_MM);
        line(x, outer_b, x, outer_b + MARK_LENGTH_MM);
    }
    for y in [top, bottom] {
        line(outer_l, y, outer_l - MARK_LENGTH_MM, y);
        line(outer_r, y, outer_r + MARK_LENGTH_MM, y);
    }
    if let Some(path) = p.finish() {
        surface.set_fill(None);
        surface.set_stroke(Some(Stroke {
            paint: rgb::Color::new(0, 0, 0).into(),
            width: 0.25,
            line_cap: LineCap::Butt,
            ..Default::default()
        }));
        surface.draw_path(&path);
    }
}
