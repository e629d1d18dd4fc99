//! The catalogue as CSV: `/dashboard/products/export.csv`, and the import
//! at `/dashboard/products/import`. An import is checked row by row with
//! the very code that saves it, inside a savepoint: a dry run (or any row
//! with a problem) rolls the whole file back and reports every row's
//! problems; only a file whose rows are all valid is kept, in one
//! transaction. A row whose SKU names an existing product updates it
//! (its variants and print areas stay); any other row adds a product.
//! Columns: name, slug, sku, description, status, price, currency,
//! production_days (name, price and currency required; `;` or `,`).

use super::{ProductFilter, ProductInput};
use crate::db::Tx;
use crate::error::{AppError, Message};
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};
use crate::web::app::App;
use crate::web::csv::{CsvExport, CsvFile};
use crate::web::money;
use crate::web::page::{Html, PageCtx};
use crate::web::shell::Shell;
use askama::Template;
use rocket::form::Form;

/// The columns, in export order.
pub const COLUMNS: [&str; 8] = [
    "name",
    "slug",
    "sku",
    "description",
    "status",
    "price",
    "currency",
    "production_days",
];
const REQUIRED: [&str; 3] = ["name", "price", "currency"];
/// The most rows one file may have.
pub const MAX_ROWS: usize = 5000;
const MAX_BYTES: usize = 5 << 20;

/// One problem: the file's line, the column, what is wrong.
pub struct Problem {
    pub line: usize,
    pub column: String,
    pub message: Message,
}

/// What an import did, or would do.
#[derive(Default)]
pub struct Report {
    pub created: usize,
    pub updated: usize,
    pub problems: Vec<Problem>,
    /// The rows were kept (not a dry run, and no problem).
    pub applied: bool,
}

/// A row of the file: its line number, and its cells by column.
pub type CsvRow = (usize, Vec<(String, String)>);

/// A file's rows, or the file's own problem (line 1: the header).
pub fn read_rows(bytes: &[u8]) -> Result<Vec<CsvRow>, Problem> {
    let problem = |line, column: &str, key: &str| Problem {
        line,
        column: column.into(),
        message: Message::new(key),
    };
    let text = std::str::from_utf8(bytes).map_err(|_| problem(1, "", "catalog.csv.not_utf8"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|_| problem(1, "", "catalog.csv.unreadable"))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    if let Some(unknown) = header.iter().find(|h| !COLUMNS.contains(&h.as_str())) {
        return Err(Problem {
            line: 1,
            column: unknown.clone(),
            message: Message::new("catalog.csv.unknown_column").with("columns", COLUMNS.join(", ")),
        });
    }
    if let Some(missing) = REQUIRED.iter().find(|r| !header.iter().any(|h| h == *r)) {
        return Err(problem(1, missing, "catalog.csv.missing_column"));
    }
    let mut rows = vec![];
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|_| problem(line, "", "catalog.csv.unreadable"))?;
        if rows.len() == MAX_ROWS {
            return Err(Problem {
                line,
                column: String::new(),
                message: Message::new("catalog.csv.too_many").with("max", MAX_ROWS),
            });
        }
        // A cell the export neutralised ('=…) reads back as written.
        let cells = header
            .iter()
            .zip(record.iter())
            .map(|(h, c)| {
                let c = c
                    .strip_prefix('\'')
                    .filter(|r| r.starts_with(['=', '+', '-', '@']))
                    .unwrap_or(c);
                (h.clone(), c.to_string())
            })
            .collect();
        rows.push((line, cells));
    }
    Ok(rows)
}

/// Imports `rows` into `org_id` (only when `apply` and every row is valid).
pub fn import(tx: &Tx, org_id: &str, rows: &[CsvRow], apply: bool) -> Result<Report, AppError> {
    tx.execute_batch("SAVEPOINT catalog_import")?;
    let mut report = Report::default();
    for (line, cells) in rows {
        let cell = |name: &str| cells.iter().find(|(h, _)| h == name).map(|(_, c)| c.clone());
        let currency = cell("currency").unwrap_or_default().to_ascii_uppercase();
        let existing = match cell("sku").filter(|s| !s.is_empty()) {
            Some(sku) => {
                let id: Option<String> = rusqlite::OptionalExtension::optional(tx.query_row(
                    "SELECT id FROM catalog_products WHERE org_id = ?1 AND sku = ?2",
                    [org_id, sku.as_str()],
                    |r| r.get(0),
                ))?;
                match id {
                    Some(id) => super::get(tx, org_id, &id)?,
                    None => None,
                }
            }
            None => None,
        };
        let price = cell("price").map(|p| money::parse_major(&p, &currency));
        if let Some(None) = price {
            report.problems.push(Problem {
                line: *line,
                column: "price".into(),
                message: Message::new("catalog.form.price_error"),
            });
            continue;
        }
        let days = match cell("production_days").filter(|d| !d.is_empty()) {
            None => None,
            Some(d) => match d.parse::<i64>() {
                Ok(d) => Some(d),
                Err(_) => {
                    report.problems.push(Problem {
                        line: *line,
                        column: "production_days".into(),
                        message: Message::new("catalog.error.production_days"),
                    });
                    continue;
                }
            },
        };
        let sent = ProductInput {
            name: cell("name"),
            slug: cell("slug").filter(|s| !s.is_empty()),
            sku: cell("sku"),
            description: cell("description"),
            status: cell("status").filter(|s| !s.is_empty()),
            price_minor: price.flatten(),
            currency: Some(currency),
            production_days: days,
            variants: None,
            print_areas: None,
        };
        let input = match &existing {
            Some(p) => ProductInput::of(p).overlaid(sent),
            None => sent,
        };
        let saved = input
            .parse()
            .map_err(AppError::Invalid)
            .and_then(|spec| match &existing {
                Some(p) => super::update(tx, org_id, &p.id, &spec).map(|_| false),
                None => super::create(tx, org_id, &spec).map(|_| true),
            });
        match saved {
            Ok(true) => report.created += 1,
            Ok(false) => report.updated += 1,
            Err(AppError::Invalid(errors)) => report.problems.extend(errors.into_iter().map(|e| Problem {
                line: *line,
                column: if e.field == "price_minor" {
                    "price".into()
                } else {
                    e.field
                },
                message: if e.message.key == "catalog.error.price" {
                    Message::new("catalog.form.price_error")
                } else {
                    e.message
                },
            })),
            Err(e) => {
                tx.execute_batch("ROLLBACK TO catalog_import; RELEASE catalog_import")?;
                return Err(e);
            }
        }
    }
    report.applied = apply && report.problems.is_empty();
    if report.applied {
        tx.execute_batch("RELEASE catalog_import")?;
    } else {
        tx.execute_batch("ROLLBACK TO catalog_import; RELEASE catalog_import")?;
    }
    Ok(report)
}

#[derive(Template)]
#[template(path = "catalog/import.html")]
pub struct ImportPage {
    ctx: PageCtx,
    shell: Shell,
    report: Option<Report>,
    columns: [&'static str; 8],
}

#[rocket::get("/dashboard/products/import")]
async fn form(ctx: PageCtx, member: Member) -> Result<Html<ImportPage>, AppError> {
    member.require(Area::Catalog, Level::Edit)?;
    Ok(Html(ImportPage {
        shell: Shell::new(&member, "catalog"),
        report: None,
        columns: COLUMNS,
        ctx,
    }))
}

/// The file, and which button sent it: `check` (a dry run) or `import`.
#[derive(rocket::FromForm)]
pub struct ImportForm<'r> {
    file: Option<rocket::fs::TempFile<'r>>,
    #[field(default = String::from("check"))]
    mode: String,
}

#[rocket::post("/dashboard/products/import", data = "<form>")]
async fn run(
    ctx: PageCtx,
    member: Member,
    form: Form<ImportForm<'_>>,
    app: App<'_>,
) -> Result<rocket::response::status::Custom<Html<ImportPage>>, AppError> {
    member.require(Area::Catalog, Level::Edit)?;
    let apply = form.mode == "import";
    let bytes = match form.file.as_ref().filter(|f| f.len() > 0) {
        Some(f) => crate::files::read_upload(f, MAX_BYTES).await?,
        None => Some(vec![]),
    };
    let report = match bytes.as_deref() {
        None => Report {
            problems: vec![Problem {
                line: 0,
                column: String::new(),
                message: Message::new("catalog.csv.too_large").with("max", "5 MB"),
            }],
            ..Report::default()
        },
        Some([]) => Report {
            problems: vec![Problem {
                line: 0,
                column: String::new(),
                message: Message::new("catalog.csv.missing"),
            }],
            ..Report::default()
        },
        Some(bytes) => match read_rows(bytes) {
            Err(problem) => Report {
                problems: vec![problem],
                ..Report::default()
            },
            Ok(rows) => {
                let org_id = member.org.id.to_string();
                app.write(member.audit(app.now()), move |tx| import(tx, &org_id, &rows, apply))
                    .await?
            }
        },
    };
    let status = if report.problems.is_empty() {
        rocket::http::Status::Ok
    } else {
        rocket::http::Status::UnprocessableEntity
    };
    Ok(rocket::response::status::Custom(
        status,
        Html(ImportPage {
            shell: Shell::new(&member, "catalog"),
            report: Some(report),
            columns: COLUMNS,
            ctx,
        }),
    ))
}

#[rocket::get("/dashboard/products/export.csv")]
async fn export(member: Member, app: App<'_>) -> Result<CsvFile, AppError> {
    member.require(Area::Catalog, Level::View)?;
    let org_id = member.org.id.to_string();
    let products = app
        .db
        .read(move |c| super::list(c, &org_id, &ProductFilter::default(), i64::MAX))
        .await?;
    let mut out = CsvExport::new(&COLUMNS)?;
    for p in &products {
        let (price, days) = (
            money::format_minor(p.price_minor, &p.currency),
            p.production_days.to_string(),
        );
        out.row([
            p.name.as_str(),
            &p.slug,
            &p.sku,
            &p.description,
            &p.status,
            &price,
            &p.currency,
            &days,
        ])?;
    }
    out.download(&format!("products-{}.csv", member.org.slug))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![form, run, export]
}
