//! Raster outputs, drawn from the layout as an SVG rendered by resvg:
//! glyphs as their outlines (the same glyphs, at the same places, as the
//! PDF), images resolved only from our own store (never a local file or a
//! URL), shapes. [`preview`] places the design over the product's mockup;
//! [`print_png`] draws the print area with its bleed at the area's DPI on a
//! transparent background.

use super::{Affine, Item, Sheet, TextRun};
use crate::designs::document::ShapeKind;
use crate::error::{AppError, Message};
use resvg::{tiny_skia, usvg};
use rustybuzz::ttf_parser::{self, OutlineBuilder};
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;

/// The widest preview drawn.
pub const MAX_PREVIEW_WIDTH: u32 = 2000;
/// The most pixels a print PNG may have (larger areas: use the PDF).
pub const MAX_PRINT_PIXELS: u64 = 50_000_000;

/// Image bytes an SVG may use, by hash.
pub type Images = HashMap<String, Arc<Vec<u8>>>;

/// The product photo the preview is drawn on, and where the area sits on it.
pub struct Mockup {
    pub hash: String,
    pub width: u32,
    pub height: u32,
    /// Left, top and width of the print area, as fractions of the photo.
    pub x: f64,
    pub y: f64,
    pub area_width: f64,
}

fn matrix(t: Affine) -> String {
    let [a, b, c, d, e, f] = t.0;
    format!("matrix({a:.6} {b:.6} {c:.6} {d:.6} {e:.4} {f:.4})")
}

fn hex((r, g, b): (u8, u8, u8)) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// An outline as SVG path data, in font units.
struct PathData(String);

impl OutlineBuilder for PathData {
    fn move_to(&mut self, x: f32, y: f32) {
        let _ = write!(self.0, "M{x} {y}");
    }
    fn line_to(&mut self, x: f32, y: f32) {
        let _ = write!(self.0, "L{x} {y}");
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let _ = write!(self.0, "Q{x1} {y1} {x} {y}");
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let _ = write!(self.0, "C{x1} {y1} {x2} {y2} {x} {y}");
    }
    fn close(&mut self) {
        self.0.push('Z');
    }
}

/// Builds the SVG body of `items` (in area millimetres), its glyph
/// definitions going to `defs`.
/// `fast`: photos resampled bilinearly (previews), else bicubically (print).
fn draw_items(
    items: &[Item],
    fast: bool,
    defs: &mut String,
    body: &mut String,
    glyph_ids: &mut HashMap<(usize, u16), String>,
) {
    let rendering = if fast { "smooth" } else { "optimizeQuality" };
    let mut fonts: Vec<String> = vec![];
    for (n, item) in items.iter().enumerate() {
        match item {
            Item::Text(run) => draw_run(run, &mut fonts, defs, body, glyph_ids),
            Item::Image {
                hash,
                transform,
                width_mm,
                height_mm,
                crop,
            } => {
                let (w, h) = (width_mm / crop.width, height_mm / crop.height);
                let _ = write!(
                    defs,
                    r#"<clipPath id="c{n}"><rect width="{width_mm:.4}" height="{height_mm:.4}"/></clipPath>"#
                );
                let _ = write!(
                    body,
                    r#"<g transform="{}"><g clip-path="url(#c{n})"><image x="{:.4}" y="{:.4}" width="{w:.4}" height="{h:.4}" preserveAspectRatio="none" image-rendering="{rendering}" xlink:href="luneo:{hash}"/></g></g>"#,
                    matrix(*transform),
                    -crop.x * w,
                    -crop.y * h
                );
            }
            Item::Shape {
                shape,
                transform,
                width_mm: w,
                height_mm: h,
                fill,
                stroke,
                stroke_width_mm,
            } => {
                let paint = format!(
                    r#"fill="{}" stroke="{}" stroke-width="{stroke_width_mm:.4}""#,
                    fill.map(hex).unwrap_or_else(|| "none".into()),
                    stroke.map(hex).unwrap_or_else(|| "none".into()),
                );
                let outline = match shape {
                    ShapeKind::Rectangle => format!(r#"<rect width="{w:.4}" height="{h:.4}" {paint}/>"#),
                    ShapeKind::Ellipse => format!(
                        r#"<ellipse cx="{:.4}" cy="{:.4}" rx="{:.4}" ry="{:.4}" {paint}/>"#,
                        w / 2.0,
                        h / 2.0,
                        w / 2.0,
                        h / 2.0
                    ),
                    ShapeKind::Line => format!(
                        r#"<line x1="0" y1="{:.4}" x2="{w:.4}" y2="{:.4}" {paint}/>"#,
                        h / 2.0,
                        h / 2.0
                    ),
                };
                let _ = write!(body, r#"<g transform="{}">{outline}</g>"#, matrix(*transform));
            }
        }
    }
}

fn draw_run(
    run: &TextRun,
    fonts: &mut Vec<String>,
    defs: &mut String,
    body: &mut String,
    glyph_ids: &mut HashMap<(usize, u16), String>,
) {
    let font_index = fonts.iter().position(|f| *f == run.font_name).unwrap_or_else(|| {
        fonts.push(run.font_name.clone());
        fonts.len() - 1
    });
    let Ok(face) = ttf_parser::Face::parse(&run.font, 0) else {
        return;
    };
    let unit = run.size_mm / f64::from(face.units_per_em());
    let _ = write!(body, r#"<g fill="{}">"#, hex(run.colour));
    for glyph in &run.glyphs {
        let id = glyph_ids.entry((font_index, glyph.id)).or_insert_with(|| {
            let name = format!("f{font_index}g{}", glyph.id);
            let mut path = PathData(String::new());
            if face.outline_glyph(ttf_parser::GlyphId(glyph.id), &mut path).is_some() {
                let _ = write!(defs, r#"<path id="{name}" d="{}"/>"#, path.0);
            } else {
                let _ = write!(defs, r#"<path id="{name}" d=""/>"#);
            }
            name
        });
        let t = glyph.transform.then(Affine::scale(unit, -unit));
        let _ = write!(body, r##"<use xlink:href="#{id}" transform="{}"/>"##, matrix(t));
    }
    body.push_str("</g>");
}

fn svg_document(width: u32, height: u32, defs: &str, body: &str) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="{width}" height="{height}" viewBox="0 0 {width} {height}"><defs>{defs}</defs>{body}</svg>"#
    )
}

/// Renders an SVG to PNG, resolving `luneo:{hash}` images from `images`.
fn rasterise(svg: &str, width: u32, height: u32, images: Images, dpi: Option<f64>) -> Result<Vec<u8>, AppError> {
    let resolve = move |href: &str, _: &usvg::Options| -> Option<usvg::ImageKind> {
        let bytes = images.get(href.strip_prefix("luneo:")?)?.clone();
        match crate::files::sniff(&bytes)? {
            "image/jpeg" => Some(usvg::ImageKind::JPEG(bytes)),
            "image/png" => Some(usvg::ImageKind::PNG(bytes)),
            "image/webp" => Some(usvg::ImageKind::WEBP(bytes)),
            _ => None,
        }
    };
    let options = usvg::Options {
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: Box::new(|_, _, _| None),
            resolve_string: Box::new(resolve),
        },
        ..Default::default()
    };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| AppError::internal(format!("preview svg: {e}")))?;
    let mut pixmap = tiny_skia::Pixmap::new(width, height).ok_or_else(|| AppError::internal("empty picture"))?;
    resvg::render(&tree, tiny_skia::Transform::identity(), &mut pixmap.as_mut());
    encode_png(&pixmap, dpi)
}

/// PNG of a pixmap, compressed for speed (a preview is drawn while someone
/// waits; tiny-skia's own encoder takes several times longer), with its
/// resolution written in (pHYs) when it is a print file.
fn encode_png(pixmap: &tiny_skia::Pixmap, dpi: Option<f64>) -> Result<Vec<u8>, AppError> {
    let mut rgba = Vec::with_capacity(pixmap.data().len());
    for p in pixmap.pixels() {
        let c = p.demultiply();
        rgba.extend_from_slice(&[c.red(), c.green(), c.blue(), c.alpha()]);
    }
    let fail = |e: png::EncodingError| AppError::internal(format!("png: {e}"));
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, pixmap.width(), pixmap.height());
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    encoder.set_filter(png::Filter::Adaptive);
    if let Some(dpi) = dpi {
        let per_metre = (dpi / 0.0254).round() as u32;
        encoder.set_pixel_dims(Some(png::PixelDimensions {
            xppu: per_metre,
            yppu: per_metre,
            unit: png::Unit::Meter,
        }));
    }
    let mut writer = encoder.write_header().map_err(fail)?;
    writer.write_image_data(&rgba).map_err(fail)?;
    writer.finish().map_err(fail)?;
    Ok(out)
}

/// A PNG of a standalone SVG (no images): the demo's mockups.
pub fn svg_to_png(svg: &str, width: u32, height: u32) -> Result<Vec<u8>, AppError> {
    rasterise(svg, width, height, Images::new(), None)
}

/// The SVG of a preview `width` px wide: the mockup (or a plain
/// background with the area as a sheet), and the design clipped to the
/// print area's trim.
pub fn preview_svg(items: &[Item], sheet: Sheet, mockup: Option<&Mockup>, width: u32) -> (String, u32, u32) {
    let mut defs = String::new();
    let mut body = String::new();
    let w = f64::from(width);
    let (height, place) = match mockup {
        Some(m) => {
            let h = (w * f64::from(m.height) / f64::from(m.width)).round().max(1.0);
            let _ = write!(
                body,
                r#"<image width="{w}" height="{h}" preserveAspectRatio="none" image-rendering="smooth" xlink:href="luneo:{}"/>"#,
                m.hash
            );
            let scale = m.area_width * w / sheet.width_mm;
            (h, Affine::translate(m.x * w, m.y * h).then(Affine::scale(scale, scale)))
        }
        None => {
            let scale = 0.8 * w / sheet.width_mm.max(sheet.height_mm);
            let (dx, dy) = ((w - sheet.width_mm * scale) / 2.0, (w - sheet.height_mm * scale) / 2.0);
            let _ = write!(body, r##"<rect width="{w}" height="{w}" fill="#eef0f3"/>"##);
            let place = Affine::translate(dx, dy).then(Affine::scale(scale, scale));
            let _ = write!(
                body,
                r##"<rect transform="{}" width="{:.4}" height="{:.4}" fill="#ffffff" stroke="#c5cad3" stroke-width="{:.4}"/>"##,
                matrix(place),
                sheet.width_mm,
                sheet.height_mm,
                1.0 / scale
            );
            (w, place)
        }
    };
    let _ = write!(
        defs,
        r#"<clipPath id="trim"><rect width="{:.4}" height="{:.4}"/></clipPath>"#,
        sheet.width_mm, sheet.height_mm
    );
    let _ = write!(body, r#"<g transform="{}"><g clip-path="url(#trim)">"#, matrix(place));
    draw_items(items, true, &mut defs, &mut body, &mut HashMap::new());
    body.push_str("</g></g>");
    (svg_document(width, height as u32, &defs, &body), width, height as u32)
}

/// The preview PNG.
pub fn preview(
    items: &[Item],
    sheet: Sheet,
    mockup: Option<&Mockup>,
    width: u32,
    images: Images,
) -> Result<Vec<u8>, AppError> {
    let (svg, w, h) = preview_svg(items, sheet, mockup, width.clamp(16, MAX_PREVIEW_WIDTH));
    rasterise(&svg, w, h, images, None)
}

/// The print PNG: the area and its bleed at the area's DPI, transparent
/// where nothing is printed. Refused past [`MAX_PRINT_PIXELS`].
pub fn print_png(items: &[Item], sheet: Sheet, images: Images) -> Result<Vec<u8>, AppError> {
    let px_per_mm = sheet.dpi / 25.4;
    let b = sheet.bleed_mm;
    let width = ((sheet.width_mm + 2.0 * b) * px_per_mm).round() as u64;
    let height = ((sheet.height_mm + 2.0 * b) * px_per_mm).round() as u64;
    if width * height > MAX_PRINT_PIXELS {
        return Err(AppError::invalid(
            "area",
            Message::new("designs.error.print_png_size")
                .with("pixels", width * height / 1_000_000)
                .with("max", MAX_PRINT_PIXELS / 1_000_000),
        ));
    }
    let mut defs = String::new();
    let mut body = String::new();
    let place = Affine::scale(px_per_mm, px_per_mm).then(Affine::translate(b, b));
    let _ = write!(
        defs,
        r#"<clipPath id="bleed"><rect x="{:.4}" y="{:.4}" width="{:.4}" height="{:.4}"/></clipPath>"#,
        -b,
        -b,
        sheet.width_mm + 2.0 * b,
        sheet.height_mm + 2.0 * b
    );
    let _ = write!(body, r#"<g transform="{}"><g clip-path="url(#bleed)">"#, matrix(place));
    draw_items(items, false, &mut defs, &mut body, &mut HashMap::new());
    body.push_str("</g></g>");
    rasterise(
        &svg_document(width as u32, height as u32, &defs, &body),
        width as u32,
        height as u32,
        images,
        Some(sheet.dpi),
    )
}
