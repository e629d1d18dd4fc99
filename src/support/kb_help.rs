//! The public help centre's knowledge base: `/help/{org_slug}` (search with
//! ranked results and marked snippets, the categories, the latest
//! articles), an article at `/help/{org_slug}/articles/{article_slug}`
//! (in the reader's language when it exists in it, "was this helpful?",
//! related articles), a category at `/help/{org_slug}/categories/{slug}`,
//! and the suggestions the new-request form shows while a subject is typed
//! (`/help/{org_slug}/suggest?q=`, JSON).

use super::categories::{self, Category};
use super::help::org;
use super::kb::{self, Article, Audience};
use crate::error::AppError;
use crate::orgs::Org;
use crate::web::app::App;
use crate::web::page::{Html, PageCtx};
use askama::Template;
use rocket::form::Form;
use rocket::response::{Flash, Redirect};
use rocket::serde::json::Json;
use serde_json::{Value, json};

/// A search result as the page shows it.
pub struct Found {
    pub article: Article,
    /// Escaped text with `<mark>` around the matched words.
    pub snippet_html: String,
}

#[derive(Template)]
#[template(path = "support/help.html")]
pub struct HelpPage {
    ctx: PageCtx,
    org: Org,
    q: String,
    found: Option<Vec<Found>>,
    categories: Vec<(Category, usize)>,
    latest: Vec<Article>,
}

#[rocket::get("/help/<slug>?<q>")]
async fn home(ctx: PageCtx, slug: &str, q: Option<String>, app: App<'_>) -> Result<Html<HelpPage>, AppError> {
    let org = org(&app, slug).await?;
    let (org_id, lang, typed) = (org.id.to_string(), ctx.lang.code(), q.clone().unwrap_or_default());
    let (found, categories, latest) = app
        .db
        .read(move |c| {
            let found = if typed.trim().is_empty() {
                None
            } else {
                Some(kb::search(c, &org_id, &typed, Some(lang), Audience::Public, 20)?)
            };
            let articles = kb::list(c, &org_id, Some(lang), None)?;
            let categories: Vec<(Category, usize)> = categories::list(c, &org_id)?
                .into_iter()
                .map(|cat| {
                    let n = articles
                        .iter()
                        .filter(|a| a.category_id.as_deref() == Some(cat.id.as_str()))
                        .count();
                    (cat, n)
                })
                .filter(|(_, n)| *n > 0)
                .collect();
            let mut latest = articles;
            latest.sort_by_key(|a| std::cmp::Reverse(a.updated_at));
            latest.truncate(8);
            Ok((found, categories, latest))
        })
        .await?;
    Ok(Html(HelpPage {
        found: found.map(|hits| {
            hits.into_iter()
                .map(|h| Found {
                    snippet_html: kb::snippet_html(&h.snippet),
                    article: h.article,
                })
                .collect()
        }),
        q: q.unwrap_or_default(),
        categories,
        latest,
        org,
        ctx,
    }))
}

#[derive(Template)]
#[template(path = "support/help_article.html")]
pub struct ArticlePage {
    ctx: PageCtx,
    org: Org,
    article: Article,
    body_html: String,
    related: Vec<Article>,
    /// Opened from the new request form's suggestions.
    from_request: bool,
}

/// An article; `from=request` when opened from the suggestions of the new
/// request form (then it asks whether it answered the question).
#[rocket::get("/help/<slug>/articles/<article>?<from>")]
async fn article(
    ctx: PageCtx,
    slug: &str,
    article: &str,
    from: Option<&str>,
    app: App<'_>,
) -> Result<Html<ArticlePage>, AppError> {
    let org = org(&app, slug).await?;
    let (org_id, wanted, lang) = (org.id.to_string(), article.to_string(), ctx.lang.code());
    let (found, related) = app
        .db
        .read(move |c| {
            let found = kb::public_by_slug(c, &org_id, &wanted, lang)?.ok_or(AppError::NotFound)?;
            let related: Vec<Article> = match &found.category_id {
                Some(cat) => kb::list(c, &org_id, Some(&found.lang), Some(cat))?
                    .into_iter()
                    .filter(|a| a.id != found.id)
                    .take(5)
                    .collect(),
                None => vec![],
            };
            Ok((found, related))
        })
        .await?;
    let id = found.id.to_string();
    app.db.write(move |tx| kb::viewed(tx, &id)).await?;
    Ok(Html(ArticlePage {
        from_request: from == Some("request"),
        body_html: kb::render(&found.body),
        article: found,
        related,
        org,
        ctx,
    }))
}

#[derive(Template)]
#[template(path = "support/help_category.html")]
pub struct CategoryPage {
    ctx: PageCtx,
    org: Org,
    category: Category,
    articles: Vec<Article>,
}

#[rocket::get("/help/<slug>/categories/<category>")]
async fn category(ctx: PageCtx, slug: &str, category: &str, app: App<'_>) -> Result<Html<CategoryPage>, AppError> {
    let org = org(&app, slug).await?;
    let (org_id, wanted, lang) = (org.id.to_string(), category.to_string(), ctx.lang.code());
    let (category, articles) = app
        .db
        .read(move |c| {
            let category = categories::list(c, &org_id)?
                .into_iter()
                .find(|cat| cat.slug == wanted)
                .ok_or(AppError::NotFound)?;
            let articles = kb::list(c, &org_id, Some(lang), Some(&category.id))?;
            Ok((category, articles))
        })
        .await?;
    Ok(Html(CategoryPage {
        ctx,
        org,
        category,
        articles,
    }))
}

/// A "was this helpful?" answer; `from` is `request` when the article was
/// suggested while writing a request (a "yes" is then a request deflected).
#[derive(Debug, rocket::FromForm)]
pub struct Vote {
    pub helpful: bool,
    #[field(default = String::new())]
    pub from: String,
}

#[rocket::post("/help/<slug>/articles/<article>/vote", data = "<form>")]
async fn vote(
    ctx: PageCtx,
    slug: &str,
    article: &str,
    form: Form<Vote>,
    app: App<'_>,
) -> Result<Flash<Redirect>, AppError> {
    let org = org(&app, slug).await?;
    let (org_id, wanted, lang, helpful) = (org.id.to_string(), article.to_string(), ctx.lang.code(), form.helpful);
    let deflected = helpful && form.from == "request";
    app.db
        .write(move |tx| {
            let found = kb::public_by_slug(tx, &org_id, &wanted, lang)?.ok_or(AppError::NotFound)?;
            kb::voted(tx, &found.id, helpful)?;
            if deflected {
                tx.execute(
                    "INSERT INTO support_deflections (org_id, article_id, at) VALUES (?1, ?2, ?3)",
                    rusqlite::params![org_id, found.id.as_str(), tx.now()],
                )?;
            }
            Ok(())
        })
        .await?;
    if !helpful && form.from == "request" {
        // Not answered: back to writing the request.
        return Ok(Flash::success(
            Redirect::to(format!("/help/{}/new", org.slug)),
            ctx.t("support.kb.write_then"),
        ));
    }
    let to = if deflected {
        format!("/help/{}", org.slug)
    } else {
        format!("/help/{}/articles/{article}", org.slug)
    };
    Ok(Flash::success(
        Redirect::to(to),
        ctx.t(if deflected {
            "support.kb.glad"
        } else {
            "support.kb.thanks"
        }),
    ))
}

#[rocket::get("/help/<slug>/suggest?<q>")]
async fn suggest(ctx: PageCtx, slug: &str, q: Option<String>, app: App<'_>) -> Result<Json<Value>, AppError> {
    let org = org(&app, slug).await?;
    let (org_id, typed, lang) = (org.id.to_string(), q.unwrap_or_default(), ctx.lang.code());
    let hits = app
        .db
        .read(move |c| kb::search(c, &org_id, &typed, Some(lang), Audience::Public, 5))
        .await?;
    let data: Vec<Value> = hits
        .iter()
        .map(|h| {
            json!({ "title": h.article.title,
                    "url": format!("/help/{}/articles/{}?from=request", org.slug, h.article.slug) })
        })
        .collect();
    Ok(Json(json!({ "data": data })))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![home, article, category, vote, suggest]
}
