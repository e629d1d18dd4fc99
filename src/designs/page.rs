//! The customer's private link, `/d/{token}`: the design as it stands
//! (its preview on every print area, its state), with no account needed.
//! The token is the whole credential: 192 random bits, never listed.
//! (The editor of part 2 opens from here.)

use super::outputs::{self, Output};
use super::{Design, RenderInput};
use crate::catalog::Product;
use crate::error::AppError;
use crate::orgs::Org;
use crate::web::app::App;
use crate::web::page::{Html, PageCtx};
use askama::Template;

#[derive(Template)]
#[template(path = "designs/private.html")]
pub struct PrivatePage {
    ctx: PageCtx,
    org: Org,
    design: Design,
    product: Product,
    token: String,
}

async fn by_token(app: &App<'_>, token: &str) -> Result<(Org, RenderInput), AppError> {
    let (token, config) = (token.to_string(), app.config.clone());
    app.db
        .read(move |c| {
            let (org_id, design) = super::by_token(c, &token)?.ok_or(AppError::NotFound)?;
            let org = crate::orgs::org(c, &org_id)?.ok_or(AppError::NotFound)?;
            let input = super::render_input(c, &config, &org_id, &design.id, None)?;
            Ok((org, input))
        })
        .await
}

#[rocket::get("/d/<token>")]
async fn show(ctx: PageCtx, token: &str, app: App<'_>) -> Result<Html<PrivatePage>, AppError> {
    let (org, input) = by_token(&app, token).await?;
    Ok(Html(PrivatePage {
        ctx,
        org,
        design: input.design,
        product: input.product,
        token: token.to_string(),
    }))
}

#[rocket::get("/d/<token>/preview.png?<area>&<width>")]
async fn preview(
    token: &str,
    area: Option<String>,
    width: Option<u32>,
    app: App<'_>,
) -> Result<crate::files::Private, AppError> {
    let (_, input) = by_token(&app, token).await?;
    let width = width.unwrap_or(800).clamp(16, crate::render::svg::MAX_PREVIEW_WIDTH);
    let config = app.config.clone();
    let png = tokio::task::spawn_blocking(move || {
        outputs::render(&config, &input, area.as_deref(), Output::Preview { width })
    })
    .await
    .map_err(|e| AppError::internal(format!("render: {e}")))??;
    Ok(crate::files::Private::inline(png, "image/png", "preview.png"))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![show, preview]
}
