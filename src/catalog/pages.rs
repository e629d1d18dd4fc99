//! The catalogue's pages: `/dashboard/products` (the list, searched and
//! filtered), the product form (fields, variants, print areas drawn over
//! the mockup photo as they are typed) and its photos. The CSV import and
//! export are in `csv_pages`.

use super::form::{AreaRow, ProductForm};
use super::{Product, ProductFilter, ProductId};
use crate::error::AppError;
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};
use crate::web::app::App;
use crate::web::forms::FormState;
use crate::web::page::{Html, PageCtx};
use crate::web::pickers::{CURRENCIES, CurrencyChoice};
use crate::web::shell::Shell;
use askama::Template;
use rocket::Either;
use rocket::form::Form;
use rocket::http::Status as HttpStatus;
use rocket::response::status::Custom;
use rocket::response::{Flash, Redirect};

/// A product as the list shows it.
pub struct Row {
    pub product: Product,
    pub price: String,
}

#[derive(Template)]
#[template(path = "catalog/list.html")]
pub struct ListPage {
    ctx: PageCtx,
    shell: Shell,
    rows: Vec<Row>,
    q: String,
    status: String,
    can_edit: bool,
}

#[rocket::get("/dashboard/products?<q>&<status>")]
async fn list(
    ctx: PageCtx,
    member: Member,
    q: Option<String>,
    status: Option<String>,
    app: App<'_>,
) -> Result<Html<ListPage>, AppError> {
    member.require(Area::Catalog, Level::View)?;
    let filter = ProductFilter {
        status: status.clone().filter(|s| super::STATUSES.contains(&s.as_str())),
        q: q.clone().filter(|q| !q.trim().is_empty()),
    };
    let org_id = member.org.id.to_string();
    let products = app.db.read(move |c| super::list(c, &org_id, &filter, 500)).await?;
    Ok(Html(ListPage {
        shell: Shell::new(&member, "catalog"),
        rows: products
            .into_iter()
            .map(|p| Row {
                price: format!(
                    "{} {}",
                    crate::web::money::format_minor(p.price_minor, &p.currency),
                    p.currency
                ),
                product: p,
            })
            .collect(),
        q: q.unwrap_or_default(),
        status: status.unwrap_or_default(),
        can_edit: member.can(Area::Catalog, Level::Edit),
        ctx,
    }))
}

#[derive(Template)]
#[template(path = "catalog/product.html")]
pub struct ProductPage {
    ctx: PageCtx,
    shell: Shell,
    /// None: the form adds a product.
    product: Option<Product>,
    values: ProductForm,
    form: FormState,
    currencies: &'static [CurrencyChoice],
    fonts: Vec<String>,
    kinds: [&'static str; 3],
    /// The photo the areas are drawn over (the product's first).
    mockup: Option<super::images::ProductImage>,
    can_edit: bool,
    image_form: FormState,
    /// The product's designs, newest first.
    designs: Vec<crate::designs::Design>,
}

/// The width of the mockup drawing's viewBox (its height follows the photo).
pub const VIEW_WIDTH: f64 = 1000.0;

impl ProductPage {
    /// The height of the mockup drawing's viewBox (square without a photo).
    pub fn view_height(&self) -> f64 {
        self.mockup.as_ref().map_or(VIEW_WIDTH, |m| {
            VIEW_WIDTH * f64::from(m.height) / f64::from(m.width.max(1))
        })
    }

    /// The outline of an area over the mockup, in the drawing's units:
    /// left, top, width and height (from the area's proportions).
    pub fn outline(&self, row: &AreaRow) -> [String; 4] {
        let n = |s: &str| s.trim().replace(',', ".").parse::<f64>().unwrap_or(0.0);
        let (w, h) = (n(&row.width_mm), n(&row.height_mm));
        let width = n(&row.mockup_width) / 100.0 * VIEW_WIDTH;
        let height = if w > 0.0 { width * h / w } else { 0.0 };
        [
            n(&row.mockup_x) / 100.0 * VIEW_WIDTH,
            n(&row.mockup_y) / 100.0 * self.view_height(),
            width,
            height,
        ]
        .map(|v| format!("{:.1}", v.max(0.0)))
    }
}

async fn product_page(
    ctx: PageCtx,
    member: &Member,
    app: &App<'_>,
    id: Option<ProductId>,
    values: Option<ProductForm>,
    form: FormState,
    image_form: FormState,
) -> Result<ProductPage, AppError> {
    member.require(Area::Catalog, Level::View)?;
    let org_id = member.org.id.to_string();
    let (product, fonts, designs) = app
        .db
        .read(move |c| {
            let product = match id {
                Some(id) => Some(super::get(c, &org_id, &id)?.ok_or(AppError::NotFound)?),
                None => None,
            };
            let designs = match &product {
                Some(p) => crate::designs::list(c, &org_id, Some(&p.id), None)?,
                None => vec![],
            };
            Ok((product, crate::fonts::names(c, &org_id)?, designs))
        })
        .await?;
    let currency = member.org.currency.clone();
    let values = values.unwrap_or_else(|| match &product {
        Some(p) => ProductForm::of(p),
        None => ProductForm::blank(&currency),
    });
    Ok(ProductPage {
        shell: Shell::new(member, "catalog"),
        mockup: product.as_ref().and_then(|p| p.images.first().cloned()),
        product,
        values,
        form,
        currencies: &CURRENCIES,
        fonts,
        kinds: super::parts::KINDS,
        can_edit: member.can(Area::Catalog, Level::Edit),
        image_form,
        designs,
        ctx,
    })
}

#[rocket::get("/dashboard/products/new")]
async fn new(ctx: PageCtx, member: Member, app: App<'_>) -> Result<Html<ProductPage>, AppError> {
    member.require(Area::Catalog, Level::Edit)?;
    let page = product_page(
        ctx,
        &member,
        &app,
        None,
        None,
        FormState::default(),
        FormState::default(),
    )
    .await?;
    Ok(Html(page))
}

#[rocket::get("/dashboard/products/<id>")]
async fn edit(ctx: PageCtx, member: Member, id: ProductId, app: App<'_>) -> Result<Html<ProductPage>, AppError> {
    let page = product_page(
        ctx,
        &member,
        &app,
        Some(id),
        None,
        FormState::default(),
        FormState::default(),
    )
    .await?;
    Ok(Html(page))
}

type Answer = Either<Flash<Redirect>, Custom<Html<ProductPage>>>;

async fn save(
    ctx: PageCtx,
    member: &Member,
    app: &App<'_>,
    id: Option<ProductId>,
    typed: ProductForm,
) -> Result<Answer, AppError> {
    member.require(Area::Catalog, Level::Edit)?;
    let done = match typed.input() {
        Err(errors) => Err(errors),
        Ok((input, map)) => match input.parse() {
            Err(errors) => Err(map.errors(errors)),
            Ok(spec) => {
                let (org_id, id) = (member.org.id.to_string(), id.clone());
                let saved = app
                    .write(member.audit(app.now()), move |tx| match id {
                        Some(id) => super::update(tx, &org_id, &id, &spec),
                        None => super::create(tx, &org_id, &spec),
                    })
                    .await;
                match saved {
                    Ok(p) => Ok(p),
                    Err(AppError::Invalid(errors)) => Err(map.errors(errors)),
                    Err(e) => return Err(e),
                }
            }
        },
    };
    match done {
        Ok(p) => Ok(Either::Left(Flash::success(
            Redirect::to(format!("/dashboard/products/{}", p.id)),
            ctx.lang.tf("catalog.form.saved", &[("name", &p.name)]),
        ))),
        Err(errors) => {
            let values = typed.with_blank_rows();
            let form = FormState::default().with_errors(errors);
            let page = product_page(ctx, member, app, id, Some(values), form, FormState::default()).await?;
            Ok(Either::Right(Custom(HttpStatus::UnprocessableEntity, Html(page))))
        }
    }
}

#[rocket::post("/dashboard/products", data = "<form>")]
async fn create(ctx: PageCtx, member: Member, form: Form<ProductForm>, app: App<'_>) -> Result<Answer, AppError> {
    save(ctx, &member, &app, None, form.into_inner()).await
}

#[rocket::post("/dashboard/products/<id>", data = "<form>")]
async fn update(
    ctx: PageCtx,
    member: Member,
    id: ProductId,
    form: Form<ProductForm>,
    app: App<'_>,
) -> Result<Answer, AppError> {
    save(ctx, &member, &app, Some(id), form.into_inner()).await
}

#[rocket::post("/dashboard/products/<id>/delete")]
async fn delete(ctx: PageCtx, member: Member, id: ProductId, app: App<'_>) -> Result<Flash<Redirect>, AppError> {
    member.require(Area::Catalog, Level::Edit)?;
    let org_id = member.org.id.to_string();
    let name = app
        .write(member.audit(app.now()), move |tx| {
            let name = super::get(tx, &org_id, &id)?.ok_or(AppError::NotFound)?.name;
            super::delete(tx, &org_id, &id)?;
            Ok(name)
        })
        .await?;
    Ok(Flash::success(
        Redirect::to("/dashboard/products"),
        ctx.lang.tf("catalog.form.deleted", &[("name", &name)]),
    ))
}

/// A photo added from the product page.
#[derive(rocket::FromForm)]
pub struct PhotoForm<'r> {
    file: Option<rocket::fs::TempFile<'r>>,
    #[field(default = String::new())]
    alt: String,
}

#[rocket::post("/dashboard/products/<id>/images", data = "<form>")]
async fn add_photo(
    ctx: PageCtx,
    member: Member,
    id: ProductId,
    form: Form<PhotoForm<'_>>,
    app: App<'_>,
) -> Result<Either<Flash<Redirect>, Custom<Html<ProductPage>>>, AppError> {
    member.require(Area::Catalog, Level::Edit)?;
    let stored = match form.file.as_ref() {
        Some(file) => crate::files::images::receive(app.config, "file", file).await,
        None => Err(AppError::invalid("file", "image.error.missing")),
    };
    let (org_id, alt, pid) = (member.org.id.to_string(), form.alt.clone(), id.clone());
    let done = match stored {
        Ok(stored) => {
            app.write(member.audit(app.now()), move |tx| {
                super::images::add(tx, &org_id, &pid, &stored, &alt)
            })
            .await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(_) => Ok(Either::Left(Flash::success(
            Redirect::to(format!("/dashboard/products/{id}#photos")),
            ctx.t("catalog.photos.added"),
        ))),
        Err(AppError::Invalid(errors)) => {
            let image_form = FormState::with_values(&[("alt", &form.alt)]).with_errors(errors);
            let page = product_page(ctx, &member, &app, Some(id), None, FormState::default(), image_form).await?;
            Ok(Either::Right(Custom(HttpStatus::UnprocessableEntity, Html(page))))
        }
        Err(e) => Err(e),
    }
}

#[rocket::post("/dashboard/products/<id>/images/<image>/delete")]
async fn remove_photo(
    ctx: PageCtx,
    member: Member,
    id: ProductId,
    image: &str,
    app: App<'_>,
) -> Result<Flash<Redirect>, AppError> {
    member.require(Area::Catalog, Level::Edit)?;
    let (org_id, pid, image) = (member.org.id.to_string(), id.clone(), image.to_string());
    app.write(member.audit(app.now()), move |tx| {
        super::images::remove(tx, &org_id, &pid, &image)
    })
    .await?;
    Ok(Flash::success(
        Redirect::to(format!("/dashboard/products/{id}#photos")),
        ctx.t("catalog.photos.removed"),
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![list, new, edit, create, update, delete, add_photo, remove_photo]
}
