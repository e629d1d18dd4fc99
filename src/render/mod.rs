//! Rendering a design, in the binary: [`layout`] turns one print area of a
//! design into placed items (glyphs shaped with rustybuzz and placed one by
//! one — along an arc for curved text —, images with their crop, shapes),
//! in millimetres from the area's top-left corner. Both outputs draw that
//! same list, so they never disagree: `svg` (an SVG rendered by resvg: the
//! preview PNG over the mockup, and the print PNG at the area's DPI) and
//! `pdf` (the vector print file, with krilla: fonts subset and embedded,
//! text kept as text, JPEG passed through).

pub mod pdf;
pub mod svg;

use crate::catalog::parts::PrintArea;
use crate::designs::document::{Align, Crop, Direction, Element, Kind, ShapeKind};
use crate::error::AppError;
use crate::fonts::FontBook;
use std::sync::Arc;

/// Millimetres in one PDF point.
pub const MM_PER_PT: f64 = 25.4 / 72.0;

/// A 2-D affine transform `[a c e; b d f]` (x' = a·x + c·y + e,
/// y' = b·x + d·y + f), y pointing down, as SVG and krilla read it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine(pub [f64; 6]);

impl Affine {
    pub const IDENTITY: Affine = Affine([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);

    pub fn translate(x: f64, y: f64) -> Affine {
        Affine([1.0, 0.0, 0.0, 1.0, x, y])
    }
    pub fn scale(sx: f64, sy: f64) -> Affine {
        Affine([sx, 0.0, 0.0, sy, 0.0, 0.0])
    }
    /// A clockwise rotation (on a y-down page) by `radians`.
    pub fn rotate(radians: f64) -> Affine {
        let (s, c) = radians.sin_cos();
        Affine([c, s, -s, c, 0.0, 0.0])
    }
    /// `self` after `inner`: applies `inner` first.
    pub fn then(self, inner: Affine) -> Affine {
        let [a, b, c, d, e, f] = self.0;
        let [a2, b2, c2, d2, e2, f2] = inner.0;
        Affine([
            a * a2 + c * b2,
            b * a2 + d * b2,
            a * c2 + c * d2,
            b * c2 + d * d2,
            a * e2 + c * f2 + e,
            b * e2 + d * f2 + f,
        ])
    }
    /// Where the point (x, y) goes.
    pub fn apply(self, x: f64, y: f64) -> (f64, f64) {
        let [a, b, c, d, e, f] = self.0;
        (a * x + c * y + e, b * x + d * y + f)
    }
}

/// An `#rrggbb` colour as its three channels (black when unreadable).
pub fn rgb(colour: &str) -> (u8, u8, u8) {
    let channel = |i: usize| u8::from_str_radix(colour.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0);
    (channel(1), channel(3), channel(5))
}

/// One glyph placed: `transform` maps the glyph's own space (origin on the
/// baseline, x along it, in millimetres at the run's size) onto the area.
#[derive(Debug, Clone)]
pub struct PlacedGlyph {
    pub id: u16,
    pub transform: Affine,
    /// Normalised by the size (as krilla wants): advance and offsets.
    pub advance: f32,
    pub x_offset: f32,
    pub y_offset: f32,
    /// The bytes of the run's text this glyph stands for.
    pub text: std::ops::Range<usize>,
}

/// A run of glyphs of one font, size and colour: a line of text, or a
/// whole curved text.
#[derive(Debug, Clone)]
pub struct TextRun {
    pub font: Arc<Vec<u8>>,
    pub font_name: String,
    pub size_mm: f64,
    pub colour: (u8, u8, u8),
    pub text: String,
    pub glyphs: Vec<PlacedGlyph>,
    /// A straight line's start on its baseline (glyphs then follow by
    /// their advances); `None` for curved text, placed glyph by glyph.
    pub line: Option<Affine>,
}

/// One thing to draw, bottom first.
#[derive(Debug, Clone)]
pub enum Item {
    Text(TextRun),
    /// `transform` maps the element's box (0..width, 0..height) onto the area.
    Image {
        hash: String,
        transform: Affine,
        width_mm: f64,
        height_mm: f64,
        crop: Crop,
    },
    Shape {
        shape: ShapeKind,
        transform: Affine,
        width_mm: f64,
        height_mm: f64,
        fill: Option<(u8, u8, u8)>,
        stroke: Option<(u8, u8, u8)>,
        stroke_width_mm: f64,
    },
}

/// The box transform of an element: its top-left corner at (x, y),
/// rotated about its centre.
fn box_transform(e: &Element) -> Affine {
    let (w, h) = (e.width_mm, e.height_mm);
    Affine::translate(e.x_mm + w / 2.0, e.y_mm + h / 2.0)
        .then(Affine::rotate(e.rotation.to_radians()))
        .then(Affine::translate(-w / 2.0, -h / 2.0))
}

/// Lays out the elements of one print area.
pub fn layout(elements: &[Element], fonts: &FontBook) -> Result<Vec<Item>, AppError> {
    let mut items = vec![];
    for e in elements {
        let frame = box_transform(e);
        match e.kind {
            Kind::Text => items.extend(text_runs(e, frame, fonts)?.into_iter().map(Item::Text)),
            Kind::Image => items.push(Item::Image {
                hash: e.image.clone().unwrap_or_default(),
                transform: frame,
                width_mm: e.width_mm,
                height_mm: e.height_mm,
                crop: e.crop(),
            }),
            Kind::Shape => items.push(Item::Shape {
                shape: e.shape.unwrap_or(ShapeKind::Rectangle),
                transform: frame,
                width_mm: e.width_mm,
                height_mm: e.height_mm,
                fill: e.fill.as_deref().map(rgb),
                stroke: e.stroke.as_deref().map(rgb),
                stroke_width_mm: e.stroke_width_mm(),
            }),
        }
    }
    Ok(items)
}

/// A line shaped: glyph ids, advances and offsets in millimetres, and the
/// byte range of the text each glyph stands for.
struct Shaped {
    glyphs: Vec<(u16, f64, f64, f64, std::ops::Range<usize>)>,
    width: f64,
}

fn shape(face: &rustybuzz::Face<'_>, line: &str, mm_per_unit: f64, spacing_mm: f64) -> Shaped {
    let mut buffer = rustybuzz::UnicodeBuffer::new();
    buffer.push_str(line);
    let out = rustybuzz::shape(face, &[], buffer);
    let (infos, positions) = (out.glyph_infos(), out.glyph_positions());
    let mut glyphs = Vec::with_capacity(infos.len());
    let mut width = 0.0;
    for (i, (info, pos)) in infos.iter().zip(positions).enumerate() {
        let start = info.cluster as usize;
        let end = infos
            .iter()
            .skip(i + 1)
            .map(|n| n.cluster as usize)
            .find(|c| *c > start)
            .unwrap_or(line.len());
        let advance = f64::from(pos.x_advance) * mm_per_unit + spacing_mm;
        glyphs.push((
            info.glyph_id as u16,
            advance,
            f64::from(pos.x_offset) * mm_per_unit,
            f64::from(pos.y_offset) * mm_per_unit,
            start..end.max(start),
        ));
        width += advance;
    }
    if !glyphs.is_empty() {
        width -= spacing_mm; // no spacing after the last letter
    }
    Shaped { glyphs, width }
}

fn text_runs(e: &Element, frame: Affine, fonts: &FontBook) -> Result<Vec<TextRun>, AppError> {
    let name = e.font_name();
    let data = fonts
        .get(name)
        .ok_or_else(|| AppError::internal(format!("font {name} not loaded")))?
        .clone();
    let face =
        rustybuzz::Face::from_slice(&data, 0).ok_or_else(|| AppError::internal(format!("font {name} unreadable")))?;
    let size_mm = e.size_pt() * MM_PER_PT;
    let mm_per_unit = size_mm / f64::from(face.units_per_em());
    let ascent = f64::from(face.ascender()) * mm_per_unit;
    let descent = -f64::from(face.descender()) * mm_per_unit;
    let spacing = e.letter_spacing.unwrap_or(0.0) * MM_PER_PT;
    let colour = rgb(e.colour());
    let text = e.text.as_deref().unwrap_or_default();
    let norm = |mm: f64| (mm / size_mm) as f32;
    let run = |line: &str, glyphs, start| TextRun {
        font: data.clone(),
        font_name: name.to_string(),
        size_mm,
        colour,
        text: line.to_string(),
        glyphs,
        line: start,
    };
    if let Some(curve) = e.curve {
        let shaped = shape(&face, text, mm_per_unit, spacing);
        let r = curve.radius_mm;
        let (w, h) = (e.width_mm, e.height_mm);
        let mut pen = -shaped.width / 2.0;
        let mut glyphs = vec![];
        for (id, advance, dx, dy, range) in shaped.glyphs {
            let middle = pen + advance / 2.0;
            let angle = middle / r;
            let placed = match curve.direction {
                // The baseline's top at the box's top (less the ascent).
                Direction::Up => {
                    let (cx, cy) = (w / 2.0, ascent + r);
                    Affine::translate(cx + r * angle.sin(), cy - r * angle.cos()).then(Affine::rotate(angle))
                }
                // The baseline's bottom at the box's bottom (less the descent).
                Direction::Down => {
                    let (cx, cy) = (w / 2.0, h - descent - r);
                    Affine::translate(cx + r * angle.sin(), cy + r * angle.cos()).then(Affine::rotate(-angle))
                }
            };
            let advance_core = advance - spacing;
            glyphs.push(PlacedGlyph {
                id,
                transform: frame
                    .then(placed)
                    .then(Affine::translate(-advance_core / 2.0 + dx, -dy)),
                advance: norm(advance_core),
                x_offset: 0.0,
                y_offset: 0.0,
                text: range,
            });
            pen += advance;
        }
        return Ok(vec![run(text, glyphs, None)]);
    }
    let mut runs = vec![];
    let line_gap = e.line_height() * size_mm;
    for (k, line) in text.split('\n').enumerate() {
        let shaped = shape(&face, line, mm_per_unit, spacing);
        let x0 = match e.align.unwrap_or_default() {
            Align::Left => 0.0,
            Align::Center => (e.width_mm - shaped.width) / 2.0,
            Align::Right => e.width_mm - shaped.width,
        };
        let start = frame.then(Affine::translate(x0, ascent + k as f64 * line_gap));
        let mut pen = 0.0;
        let mut glyphs = vec![];
        for (id, advance, dx, dy, range) in shaped.glyphs {
            glyphs.push(PlacedGlyph {
                id,
                transform: start.then(Affine::translate(pen + dx, -dy)),
                advance: norm(advance),
                x_offset: norm(dx),
                y_offset: norm(dy),
                text: range,
            });
            pen += advance;
        }
        if !glyphs.is_empty() {
            runs.push(run(line, glyphs, Some(start)));
        }
    }
    Ok(runs)
}

/// The page of a print area: its size and bleed in millimetres.
#[derive(Debug, Clone, Copy)]
pub struct Sheet {
    pub width_mm: f64,
    pub height_mm: f64,
    pub bleed_mm: f64,
    pub dpi: f64,
}

impl Sheet {
    pub fn of(area: &PrintArea) -> Sheet {
        Sheet {
            width_mm: area.width_mm,
            height_mm: area.height_mm,
            bleed_mm: area.bleed_mm,
            dpi: area.dpi as f64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transforms_compose_inner_first() {
        let t = Affine::translate(10.0, 0.0).then(Affine::rotate(std::f64::consts::FRAC_PI_2));
        let (x, y) = t.apply(1.0, 0.0);
        assert!((x - 10.0).abs() < 1e-9 && (y - 1.0).abs() < 1e-9, "({x}, {y})");
    }

    #[test]
    fn colours_read_as_channels() {
        assert_eq!(rgb("#ff8000"), (255, 128, 0));
    }
}
