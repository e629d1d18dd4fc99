//! The design document (format version 1, docs/DESIGN_FORMAT.md): per print
//! area, an ordered list of elements (text, image, shape) placed in
//! millimetres from the area's top-left corner. [`check`] validates a
//! document completely against its product's rules and answers errors
//! (nothing is saved) and warnings (saved, shown: a photo that would print
//! under 150 DPI, text crossing the safe zone, a required area still empty
//! while in draft).

use crate::catalog::Product;
use crate::catalog::parts::PrintArea;
use crate::error::{FieldError, Message};
use crate::files::images::StoredImage;
use serde::{Deserialize, Serialize};

/// The format version this server reads and writes.
pub const VERSION: u32 = 1;
/// The most elements on one print area.
pub const MAX_ELEMENTS_PER_AREA: usize = 200;
/// The most elements in a whole design.
pub const MAX_ELEMENTS: usize = 500;
/// The longest text when the area sets no cap.
pub const MAX_TEXT: usize = 1000;
/// Under this many dots per inch a placed photo gets a warning.
pub const LOW_DPI: f64 = 150.0;

/// A whole design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub version: u32,
    #[serde(default)]
    pub areas: Vec<AreaDesign>,
}

impl Document {
    /// An empty design of the current version.
    pub fn empty() -> Document {
        Document {
            version: VERSION,
            areas: vec![],
        }
    }

    /// The elements on print area `area_id` (none when it has none).
    pub fn elements_of(&self, area_id: &str) -> &[Element] {
        self.areas
            .iter()
            .find(|a| a.area_id == area_id)
            .map(|a| a.elements.as_slice())
            .unwrap_or_default()
    }

    /// Every font name the design uses.
    pub fn fonts(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .areas
            .iter()
            .flat_map(|a| &a.elements)
            .filter(|e| e.kind == Kind::Text)
            .map(|e| e.font.as_deref().unwrap_or(crate::fonts::DEFAULT))
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// Every image hash the design uses.
    pub fn images(&self) -> Vec<&str> {
        let mut hashes: Vec<&str> = self
            .areas
            .iter()
            .flat_map(|a| &a.elements)
            .filter_map(|e| e.image.as_deref())
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        hashes
    }
}

/// The elements of one print area, bottom first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaDesign {
    pub area_id: String,
    #[serde(default)]
    pub elements: Vec<Element>,
}

/// What an element is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Text,
    Image,
    Shape,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Image => "image",
            Kind::Shape => "shape",
        }
    }
}

/// How the lines of a text sit in its box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Align {
    Left,
    #[default]
    Center,
    Right,
}

/// Which way curved text bends: `up` along the top of a circle (a badge's
/// arch), `down` along its bottom (a smile).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Up,
    Down,
}

/// Text set along an arc.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Curve {
    pub radius_mm: f64,
    pub direction: Direction,
}

/// The part of an image shown, as fractions of its width and height.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crop {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl Crop {
    pub const WHOLE: Crop = Crop {
        x: 0.0,
        y: 0.0,
        width: 1.0,
        height: 1.0,
    };
}

/// A shape's outline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShapeKind {
    Rectangle,
    Ellipse,
    Line,
}

/// One element: its box (millimetres from the area's top-left corner,
/// rotated clockwise in degrees about its centre), then what its kind
/// needs. Fields of another kind are refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Element {
    pub kind: Kind,
    /// The editor's own name for the element (kept, not interpreted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub x_mm: f64,
    pub y_mm: f64,
    pub width_mm: f64,
    pub height_mm: f64,
    #[serde(default)]
    pub rotation: f64,
    #[serde(default)]
    pub locked: bool,
    // text
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_pt: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub align: Option<Align>,
    /// Extra space after each letter, in points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub letter_spacing: Option<f64>,
    /// The distance between baselines, as a multiple of the size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_height: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curve: Option<Curve>,
    // image
    /// The SHA-256 of an image uploaded to the org.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crop: Option<Crop>,
    // shape
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<ShapeKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fill: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stroke: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stroke_width_mm: Option<f64>,
}

impl Element {
    pub fn font_name(&self) -> &str {
        self.font.as_deref().unwrap_or(crate::fonts::DEFAULT)
    }
    pub fn size_pt(&self) -> f64 {
        self.size_pt.unwrap_or(24.0)
    }
    pub fn colour(&self) -> &str {
        self.colour.as_deref().unwrap_or("#000000")
    }
    pub fn line_height(&self) -> f64 {
        self.line_height.unwrap_or(1.2)
    }
    pub fn crop(&self) -> Crop {
        self.crop.unwrap_or(Crop::WHOLE)
    }
    pub fn stroke_width_mm(&self) -> f64 {
        self.stroke_width_mm.unwrap_or(0.5)
    }

    /// The smallest upright rectangle holding the rotated box:
    /// (left, top, right, bottom) in millimetres.
    pub fn bounds(&self) -> (f64, f64, f64, f64) {
        let (cx, cy) = (self.x_mm + self.width_mm / 2.0, self.y_mm + self.height_mm / 2.0);
        let t = self.rotation.to_radians();
        let (c, s) = (t.cos().abs(), t.sin().abs());
        let half_w = (self.width_mm * c + self.height_mm * s) / 2.0;
        let half_h = (self.width_mm * s + self.height_mm * c) / 2.0;
        (cx - half_w, cy - half_h, cx + half_w, cy + half_h)
    }
}

/// What [`check`] found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub errors: Vec<FieldError>,
    pub warnings: Vec<FieldError>,
}

impl Report {
    fn error(&mut self, field: String, message: impl Into<Message>) {
        self.errors.push(FieldError {
            field,
            message: message.into(),
        });
    }
    fn warn(&mut self, field: String, message: impl Into<Message>) {
        self.warnings.push(FieldError {
            field,
            message: message.into(),
        });
    }
}

/// What a document is checked against besides itself.
pub struct Rules<'a> {
    pub product: &'a Product,
    /// The names of the fonts the org has.
    pub fonts: &'a [String],
    /// The org's image of a hash (another org's is `None`).
    pub image: &'a dyn Fn(&str) -> Option<StoredImage>,
    /// Submitting: a required area left empty is an error, not a warning.
    pub submitting: bool,
}

fn colour_ok(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|h| h.is_ascii_hexdigit())
}

/// Validates `doc` completely.
pub fn check(doc: &Document, rules: &Rules<'_>) -> Report {
    let mut r = Report::default();
    if doc.version != VERSION {
        r.error(
            "version".into(),
            Message::new("designs.error.version").with("version", VERSION),
        );
    }
    let total: usize = doc.areas.iter().map(|a| a.elements.len()).sum();
    if total > MAX_ELEMENTS {
        r.error(
            "areas".into(),
            Message::new("designs.error.too_many").with("max", MAX_ELEMENTS),
        );
        return r;
    }
    for (i, area) in doc.areas.iter().enumerate() {
        let at = format!("areas[{i}]");
        let Some(rules_area) = rules
            .product
            .print_areas
            .iter()
            .find(|p| p.id.as_deref() == Some(area.area_id.as_str()))
        else {
            r.error(format!("{at}.area_id"), "designs.error.area");
            continue;
        };
        if doc.areas[..i].iter().any(|a| a.area_id == area.area_id) {
            r.error(format!("{at}.area_id"), "designs.error.area_twice");
        }
        if area.elements.len() > MAX_ELEMENTS_PER_AREA {
            r.error(
                format!("{at}.elements"),
                Message::new("designs.error.too_many_here").with("max", MAX_ELEMENTS_PER_AREA),
            );
            continue;
        }
        for (j, e) in area.elements.iter().enumerate() {
            check_element(&mut r, &format!("{at}.elements[{j}]"), e, rules_area, rules);
        }
    }
    for (i, area) in rules.product.print_areas.iter().enumerate() {
        let id = area.id.as_deref().unwrap_or_default();
        if area.required && doc.elements_of(id).is_empty() {
            let message = Message::new("designs.error.required").with("area", &area.name);
            if rules.submitting {
                r.error(format!("print_areas[{i}]"), message);
            } else {
                r.warn(format!("print_areas[{i}]"), message);
            }
        }
    }
    r
}

fn check_element(r: &mut Report, at: &str, e: &Element, area: &PrintArea, rules: &Rules<'_>) {
    let f = |name: &str| format!("{at}.{name}");
    if !area.kinds.iter().any(|k| k == e.kind.as_str()) {
        r.error(
            f("kind"),
            Message::new("designs.error.kind")
                .with("kind", e.kind.as_str())
                .with("area", &area.name),
        );
    }
    if e.id.as_ref().is_some_and(|id| id.chars().count() > 64) {
        r.error(f("id"), "designs.error.id");
    }
    let numbers = [e.x_mm, e.y_mm, e.width_mm, e.height_mm, e.rotation];
    if numbers.iter().any(|n| !n.is_finite()) || !(-360.0..=360.0).contains(&e.rotation) {
        r.error(at.to_string(), "designs.error.number");
        return;
    }
    let flat_line = e.shape == Some(ShapeKind::Line) && e.height_mm >= 0.0;
    if e.width_mm <= 0.0 || (e.height_mm <= 0.0 && !flat_line) {
        r.error(f("width_mm"), "designs.error.size");
        return;
    }
    // Inside the area: the box may reach into the bleed, not beyond it.
    let (left, top, right, bottom) = e.bounds();
    let (b, eps) = (area.bleed_mm, 0.01);
    if left < -b - eps || top < -b - eps || right > area.width_mm + b + eps || bottom > area.height_mm + b + eps {
        r.error(
            at.to_string(),
            Message::new("designs.error.outside").with("area", &area.name),
        );
        return;
    }
    let s = area.safe_mm;
    let in_safe =
        left >= s - eps && top >= s - eps && right <= area.width_mm - s + eps && bottom <= area.height_mm - s + eps;
    let foreign = |present: bool, name: &str, r: &mut Report| {
        if present {
            r.error(
                f(name),
                Message::new("designs.error.foreign").with("kind", e.kind.as_str()),
            );
        }
    };
    let colour_allowed = |c: &str| area.colours.is_empty() || area.colours.iter().any(|a| a.eq_ignore_ascii_case(c));
    let colour = |name: &str, c: Option<&str>, r: &mut Report| {
        if let Some(c) = c {
            if !colour_ok(c) {
                r.error(f(name), "designs.error.colour");
            } else if !colour_allowed(c) {
                r.error(f(name), Message::new("designs.error.colour_palette").with("colour", c));
            }
        }
    };
    if e.kind != Kind::Text {
        foreign(e.text.is_some(), "text", r);
        foreign(e.font.is_some(), "font", r);
        foreign(e.size_pt.is_some(), "size_pt", r);
        foreign(e.colour.is_some(), "colour", r);
        foreign(e.align.is_some(), "align", r);
        foreign(e.letter_spacing.is_some(), "letter_spacing", r);
        foreign(e.line_height.is_some(), "line_height", r);
        foreign(e.curve.is_some(), "curve", r);
    }
    if e.kind != Kind::Image {
        foreign(e.image.is_some(), "image", r);
        foreign(e.crop.is_some(), "crop", r);
    }
    if e.kind != Kind::Shape {
        foreign(e.shape.is_some(), "shape", r);
        foreign(e.fill.is_some(), "fill", r);
        foreign(e.stroke.is_some(), "stroke", r);
        foreign(e.stroke_width_mm.is_some(), "stroke_width_mm", r);
    }
    match e.kind {
        Kind::Text => {
            let text = e.text.as_deref().unwrap_or_default();
            let cap = area.max_text_length.map_or(MAX_TEXT, |m| m as usize);
            if text.trim().is_empty() {
                r.error(f("text"), "designs.error.text_empty");
            } else if text.chars().count() > cap {
                r.error(f("text"), Message::new("designs.error.text_long").with("max", cap));
            }
            let font = e.font_name();
            if !rules.fonts.iter().any(|n| n == font) {
                r.error(f("font"), Message::new("designs.error.font").with("font", font));
            } else if !area.fonts.is_empty() && !area.fonts.iter().any(|n| n == font) {
                r.error(
                    f("font"),
                    Message::new("designs.error.font_area")
                        .with("font", font)
                        .with("area", &area.name),
                );
            }
            if !(4.0..=400.0).contains(&e.size_pt()) {
                r.error(f("size_pt"), "designs.error.font_size");
            }
            colour("colour", Some(e.colour()), r);
            if !e.letter_spacing.unwrap_or(0.0).is_finite()
                || !(-20.0..=100.0).contains(&e.letter_spacing.unwrap_or(0.0))
            {
                r.error(f("letter_spacing"), "designs.error.letter_spacing");
            }
            if !(0.5..=4.0).contains(&e.line_height()) {
                r.error(f("line_height"), "designs.error.line_height");
            }
            if let Some(curve) = e.curve {
                if !curve.radius_mm.is_finite() || !(5.0..=10_000.0).contains(&curve.radius_mm) {
                    r.error(f("curve.radius_mm"), "designs.error.radius");
                }
                if text.contains('\n') {
                    r.error(f("text"), "designs.error.curve_lines");
                }
            }
            if !in_safe {
                r.warn(
                    at.to_string(),
                    Message::new("designs.warning.safe").with("area", &area.name),
                );
            }
        }
        Kind::Image => {
            let hash = e.image.as_deref().unwrap_or_default();
            let crop = e.crop();
            let crop_ok = [crop.x, crop.y, crop.width, crop.height].iter().all(|n| n.is_finite())
                && crop.x >= 0.0
                && crop.y >= 0.0
                && crop.width > 0.0
                && crop.height > 0.0
                && crop.x + crop.width <= 1.0 + 1e-9
                && crop.y + crop.height <= 1.0 + 1e-9;
            if !crop_ok {
                r.error(f("crop"), "designs.error.crop");
            }
            match (rules.image)(hash) {
                None => r.error(f("image"), "designs.error.image"),
                Some(img) if crop_ok => {
                    let dpi = effective_dpi(e, &img);
                    if dpi < LOW_DPI {
                        r.warn(
                            f("image"),
                            Message::new("designs.warning.low_dpi")
                                .with("dpi", dpi.floor() as i64)
                                .with("min", LOW_DPI as i64),
                        );
                    }
                }
                Some(_) => {}
            }
        }
        Kind::Shape => {
            if e.shape.is_none() {
                r.error(f("shape"), "designs.error.shape");
            }
            colour("fill", e.fill.as_deref(), r);
            colour("stroke", e.stroke.as_deref(), r);
            if e.fill.is_none() && e.stroke.is_none() {
                r.error(f("fill"), "designs.error.paint");
            }
            let w = e.stroke_width_mm();
            if !w.is_finite() || !(0.05..=50.0).contains(&w) {
                r.error(f("stroke_width_mm"), "designs.error.stroke_width");
            }
        }
    }
}

/// The dots per inch `img` prints at in element `e` (the lower of the two
/// directions).
pub fn effective_dpi(e: &Element, img: &StoredImage) -> f64 {
    let crop = e.crop();
    let across = crop.width * f64::from(img.width) / (e.width_mm / 25.4);
    let down = crop.height * f64::from(img.height) / (e.height_mm.max(1e-6) / 25.4);
    across.min(down)
}
