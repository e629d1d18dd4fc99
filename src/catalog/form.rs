//! The product form of the pages, as typed: every value a string (prices
//! in major units, the mockup place in percent), variants and print areas
//! as rows (`variants[0].name`, `print_areas[1].width_mm`) with a blank row
//! to add one and a box to remove one — so it works without JavaScript.
//! [`ProductForm::input`] turns it into the API's [`ProductInput`], naming
//! the field of every number that is not one; the same checks then apply.

use super::parts::{PrintArea, Variant};
use super::{Product, ProductInput};
use crate::error::{FieldError, Message};
use crate::web::money;

/// One variant row.
#[derive(Debug, Clone, Default, rocket::FromForm)]
pub struct VariantRow {
    #[field(default = String::new())]
    pub id: String,
    #[field(default = String::new())]
    pub name: String,
    #[field(default = String::new())]
    pub sku: String,
    #[field(default = String::new())]
    pub price_delta: String,
    #[field(default = String::new())]
    pub stock: String,
    #[field(default = false)]
    pub remove: bool,
}

/// One print area row.
#[derive(Debug, Clone, Default, rocket::FromForm)]
pub struct AreaRow {
    #[field(default = String::new())]
    pub id: String,
    #[field(default = String::new())]
    pub name: String,
    #[field(default = String::new())]
    pub width_mm: String,
    #[field(default = String::new())]
    pub height_mm: String,
    #[field(default = String::new())]
    pub bleed_mm: String,
    #[field(default = String::new())]
    pub safe_mm: String,
    #[field(default = String::new())]
    pub dpi: String,
    /// Over the mockup, in percent of its width and height.
    #[field(default = String::new())]
    pub mockup_x: String,
    #[field(default = String::new())]
    pub mockup_y: String,
    #[field(default = String::new())]
    pub mockup_width: String,
    #[field(default = Vec::new())]
    pub kinds: Vec<String>,
    #[field(default = Vec::new())]
    pub fonts: Vec<String>,
    /// `#rrggbb` colours separated by commas or spaces.
    #[field(default = String::new())]
    pub colours: String,
    #[field(default = String::new())]
    pub max_text_length: String,
    #[field(default = false)]
    pub required: bool,
    #[field(default = false)]
    pub remove: bool,
}

impl AreaRow {
    /// A new area's row, with the defaults filled in.
    pub fn blank() -> AreaRow {
        AreaRow {
            bleed_mm: "3".into(),
            safe_mm: "3".into(),
            dpi: "300".into(),
            mockup_x: "25".into(),
            mockup_y: "25".into(),
            mockup_width: "50".into(),
            kinds: super::parts::KINDS.iter().map(|k| k.to_string()).collect(),
            ..AreaRow::default()
        }
    }

    fn is_blank(&self) -> bool {
        self.id.is_empty()
            && self.name.trim().is_empty()
            && self.width_mm.trim().is_empty()
            && self.height_mm.trim().is_empty()
    }

    pub fn allows_kind(&self, kind: &&str) -> bool {
        self.kinds.iter().any(|k| k == kind)
    }

    pub fn allows_font(&self, font: &str) -> bool {
        self.fonts.iter().any(|f| f == font)
    }
}

/// The whole form.
#[derive(Debug, Clone, Default, rocket::FromForm)]
pub struct ProductForm {
    #[field(default = String::new())]
    pub name: String,
    #[field(default = String::new())]
    pub slug: String,
    #[field(default = String::new())]
    pub sku: String,
    #[field(default = String::new())]
    pub description: String,
    #[field(default = String::new())]
    pub status: String,
    #[field(default = String::new())]
    pub price: String,
    #[field(default = String::new())]
    pub currency: String,
    #[field(default = String::new())]
    pub production_days: String,
    #[field(default = Vec::new())]
    pub variants: Vec<VariantRow>,
    #[field(default = Vec::new())]
    pub print_areas: Vec<AreaRow>,
}

fn mm(v: f64) -> String {
    let rounded = (v * 1000.0).round() / 1000.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded}")
    }
}

impl ProductForm {
    /// A new product's form (draft, EUR, 3 days), with a blank area row.
    pub fn blank(currency: &str) -> ProductForm {
        ProductForm {
            status: "draft".into(),
            currency: currency.into(),
            production_days: "3".into(),
            ..ProductForm::default()
        }
        .with_blank_rows()
    }

    /// The form of an existing product.
    pub fn of(p: &Product) -> ProductForm {
        let percent = |f: f64| mm(f * 100.0);
        ProductForm {
            name: p.name.clone(),
            slug: p.slug.clone(),
            sku: p.sku.clone(),
            description: p.description.clone(),
            status: p.status.clone(),
            price: money::format_minor(p.price_minor, &p.currency),
            currency: p.currency.clone(),
            production_days: p.production_days.to_string(),
            variants: p
                .variants
                .iter()
                .map(|v| VariantRow {
                    id: v.id.clone().unwrap_or_default(),
                    name: v.name.clone(),
                    sku: v.sku.clone(),
                    price_delta: money::format_minor(v.price_delta_minor, &p.currency),
                    stock: v.stock.map(|s| s.to_string()).unwrap_or_default(),
                    remove: false,
                })
                .collect(),
            print_areas: p
                .print_areas
                .iter()
                .map(|a| AreaRow {
                    id: a.id.clone().unwrap_or_default(),
                    name: a.name.clone(),
                    width_mm: mm(a.width_mm),
                    height_mm: mm(a.height_mm),
                    bleed_mm: mm(a.bleed_mm),
                    safe_mm: mm(a.safe_mm),
                    dpi: a.dpi.to_string(),
                    mockup_x: percent(a.mockup_x),
                    mockup_y: percent(a.mockup_y),
                    mockup_width: percent(a.mockup_width),
                    kinds: a.kinds.clone(),
                    fonts: a.fonts.clone(),
                    colours: a.colours.join(", "),
                    max_text_length: a.max_text_length.map(|m| m.to_string()).unwrap_or_default(),
                    required: a.required,
                    remove: false,
                })
                .collect(),
        }
        .with_blank_rows()
    }

    /// The form as typed, ready to show again, with one blank row of each.
    pub fn with_blank_rows(mut self) -> ProductForm {
        self.variants.retain(|v| !(v.id.is_empty() && v.name.trim().is_empty()));
        self.print_areas.retain(|a| !a.is_blank());
        self.variants.push(VariantRow::default());
        self.print_areas.push(AreaRow::blank());
        self
    }

    /// The API input this form stands for (with the map from its fields
    /// back to the form's), or the fields whose numbers are not numbers.
    pub fn input(&self) -> Result<(ProductInput, FieldMap), Vec<FieldError>> {
        let mut map = FieldMap::default();
        let mut errors = vec![];
        let currency = self.currency.trim().to_ascii_uppercase();
        let mut bad = |field: String, key: &str| {
            errors.push(FieldError {
                field,
                message: Message::new(key),
            })
        };
        let price = money::parse_major(&self.price, &currency);
        if price.is_none() {
            bad("price".into(), "catalog.form.price_error");
        }
        let days = self.production_days.trim().parse::<i64>().ok();
        if days.is_none() {
            bad("production_days".into(), "catalog.error.production_days");
        }
        let mut variants = vec![];
        for (i, v) in self.variants.iter().enumerate() {
            if v.remove || (v.id.is_empty() && v.name.trim().is_empty()) {
                continue;
            }
            let delta = if v.price_delta.trim().is_empty() {
                Some(0)
            } else {
                money::parse_major(&v.price_delta, &currency)
            };
            if delta.is_none() {
                bad(format!("variants[{i}].price_delta"), "catalog.form.price_error");
            }
            let stock = match v.stock.trim() {
                "" => Some(None),
                s => s.parse::<i64>().ok().map(Some),
            };
            if stock.is_none() {
                bad(format!("variants[{i}].stock"), "catalog.error.stock");
            }
            map.variants.push(i);
            variants.push(Variant {
                id: Some(v.id.clone()).filter(|id| !id.is_empty()),
                name: v.name.trim().to_string(),
                sku: v.sku.trim().to_string(),
                price_delta_minor: delta.unwrap_or_default(),
                stock: stock.flatten(),
            });
        }
        let mut areas = vec![];
        for (i, a) in self.print_areas.iter().enumerate() {
            if a.remove || a.is_blank() {
                continue;
            }
            let mut num = |name: &str, text: &str, default: Option<f64>, key: &str| -> f64 {
                let text = text.trim().replace(',', ".");
                match (text.parse::<f64>(), default) {
                    (Ok(v), _) if v.is_finite() => v,
                    (_, Some(d)) if text.is_empty() => d,
                    _ => {
                        bad(format!("print_areas[{i}].{name}"), key);
                        0.0
                    }
                }
            };
            let width_mm = num("width_mm", &a.width_mm, None, "catalog.error.area_size");
            let height_mm = num("height_mm", &a.height_mm, None, "catalog.error.area_size");
            let bleed_mm = num("bleed_mm", &a.bleed_mm, Some(3.0), "catalog.error.margin");
            let safe_mm = num("safe_mm", &a.safe_mm, Some(3.0), "catalog.error.safe");
            let dpi = num("dpi", &a.dpi, Some(300.0), "catalog.error.dpi");
            let mockup_x = num("mockup_x", &a.mockup_x, Some(25.0), "catalog.form.mockup_error") / 100.0;
            let mockup_y = num("mockup_y", &a.mockup_y, Some(25.0), "catalog.form.mockup_error") / 100.0;
            let mockup_width = num("mockup_width", &a.mockup_width, Some(50.0), "catalog.form.mockup_error") / 100.0;
            let max_text_length = match a.max_text_length.trim() {
                "" => None,
                t => match t.parse::<i64>() {
                    Ok(v) => Some(v),
                    Err(_) => {
                        bad(
                            format!("print_areas[{i}].max_text_length"),
                            "catalog.error.max_text_length",
                        );
                        None
                    }
                },
            };
            map.areas.push(i);
            areas.push(PrintArea {
                id: Some(a.id.clone()).filter(|id| !id.is_empty()),
                name: a.name.trim().to_string(),
                width_mm,
                height_mm,
                bleed_mm,
                safe_mm,
                dpi: dpi.round() as i64,
                mockup_x,
                mockup_y,
                mockup_width,
                kinds: a.kinds.clone(),
                fonts: a.fonts.clone(),
                colours: a
                    .colours
                    .split([',', ' ', ';'])
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_lowercase)
                    .collect(),
                max_text_length,
                required: a.required,
            });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok((
            ProductInput {
                name: Some(self.name.clone()),
                slug: Some(self.slug.clone()),
                sku: Some(self.sku.clone()),
                description: Some(self.description.clone()),
                status: Some(self.status.clone()),
                price_minor: price,
                currency: Some(currency),
                production_days: days,
                variants: Some(variants),
                print_areas: Some(areas),
            },
            map,
        ))
    }
}

/// Which form row each sent variant and area came from (blank and removed
/// rows are not sent), to put the checks' errors back on the form.
#[derive(Debug, Default)]
pub struct FieldMap {
    variants: Vec<usize>,
    areas: Vec<usize>,
}

impl FieldMap {
    /// The checks' errors, named and worded as the form has them.
    pub fn errors(&self, errors: Vec<FieldError>) -> Vec<FieldError> {
        errors
            .into_iter()
            .map(|mut e| {
                let row = |list: &str, rows: &[usize], field: &str| -> Option<String> {
                    let rest = field.strip_prefix(list)?.strip_prefix('[')?;
                    let (index, tail) = rest.split_once(']')?;
                    let row = rows.get(index.parse::<usize>().ok()?)?;
                    Some(format!("{list}[{row}]{tail}"))
                };
                if let Some(f) =
                    row("variants", &self.variants, &e.field).or_else(|| row("print_areas", &self.areas, &e.field))
                {
                    e.field = f;
                }
                if e.field == "price_minor" {
                    e.field = "price".into();
                    e.message = Message::new("catalog.form.price_error");
                }
                if let Some(row) = e.field.strip_suffix(".price_delta_minor") {
                    e.field = format!("{row}.price_delta");
                }
                if e.message.key == "catalog.error.mockup" {
                    e.message = Message::new("catalog.form.mockup_error");
                }
                e
            })
            .collect()
    }
}
