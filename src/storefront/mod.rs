//! The storefront (`/s/{org_slug}`): a shop's active products with their
//! photos and prices, and each product's page (`/s/{org_slug}/p/{slug}`)
//! with its variants and what can be personalised. Public, server-rendered,
//! themed with the org's logo, in the visitor's language; drafts and
//! archived products are not there (404). No tables of its own: it reads
//! the catalogue. (Issue "The product, part 2" adds the design editor the
//! product page opens, part 3 the cart.)

use crate::catalog::{Product, ProductFilter};
use crate::error::AppError;
use crate::orgs::Org;
use crate::web::app::App;
use crate::web::money;
use crate::web::page::{Html, PageCtx};
use askama::Template;

/// A product as the storefront shows it, with its price written out.
pub struct Card {
    pub product: Product,
    pub price: String,
}

impl Card {
    fn of(product: Product) -> Card {
        Card {
            price: price(product.price_minor, &product.currency),
            product,
        }
    }

    /// A variant's own price, when it differs from the product's.
    pub fn variant_price(&self, delta: &i64) -> Option<String> {
        (*delta != 0).then(|| price(self.product.price_minor + delta, &self.product.currency))
    }
}

fn price(minor: i64, currency: &str) -> String {
    format!("{} {currency}", money::format_minor(minor, currency))
}

#[derive(Template)]
#[template(path = "storefront/shop.html")]
pub struct ShopPage {
    ctx: PageCtx,
    org: Org,
    cards: Vec<Card>,
}

#[derive(Template)]
#[template(path = "storefront/product.html")]
pub struct ProductPage {
    ctx: PageCtx,
    org: Org,
    card: Card,
}

async fn shop_of(app: &App<'_>, slug: &str) -> Result<Org, AppError> {
    let slug = slug.to_string();
    app.db
        .read(move |c| crate::orgs::by_slug(c, &slug)?.ok_or(AppError::NotFound))
        .await
}

#[rocket::get("/s/<slug>")]
async fn shop(ctx: PageCtx, slug: &str, app: App<'_>) -> Result<Html<ShopPage>, AppError> {
    let org = shop_of(&app, slug).await?;
    let org_id = org.id.to_string();
    let filter = ProductFilter {
        status: Some("active".into()),
        q: None,
    };
    let products = app
        .db
        .read(move |c| crate::catalog::list(c, &org_id, &filter, 500))
        .await?;
    Ok(Html(ShopPage {
        ctx,
        org,
        cards: products.into_iter().map(Card::of).collect(),
    }))
}

#[rocket::get("/s/<slug>/p/<product>")]
async fn product(ctx: PageCtx, slug: &str, product: &str, app: App<'_>) -> Result<Html<ProductPage>, AppError> {
    let org = shop_of(&app, slug).await?;
    let (org_id, product) = (org.id.to_string(), product.to_string());
    let found = app
        .db
        .read(move |c| crate::catalog::by_slug(c, &org_id, &product))
        .await?
        .filter(|p| p.status == "active")
        .ok_or(AppError::NotFound)?;
    Ok(Html(ProductPage {
        ctx,
        org,
        card: Card::of(found),
    }))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![shop, product]
}
