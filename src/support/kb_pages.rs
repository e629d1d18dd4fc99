//! The team's knowledge-base pages: `/dashboard/support/kb` (every article,
//! drafts and members-only ones too, a search, a form to write one) and
//! `/dashboard/support/kb/{id}` (its form and a preview as the help centre
//! shows it).

use super::categories::{self, Category};
use super::kb::{self, Article, ArticleId, ArticleInput, Audience};
use crate::error::AppError;
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};
use crate::web::app::App;
use crate::web::forms::FormState;
use crate::web::page::{Html, PageCtx};
use crate::web::shell::Shell;
use askama::Template;
use rocket::Either;
use rocket::form::Form;
use rocket::http::Status as HttpStatus;
use rocket::response::status::Custom;
use rocket::response::{Flash, Redirect};

type Answer<P> = Either<Flash<Redirect>, Custom<Html<P>>>;

fn values(input: &ArticleInput) -> FormState {
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let (title, body, category, lang, status, visibility, slug) = (
        s(&input.title),
        s(&input.body),
        s(&input.category_id),
        s(&input.lang),
        s(&input.status),
        s(&input.visibility),
        s(&input.slug),
    );
    FormState::with_values(&[
        ("title", &title),
        ("body", &body),
        ("category_id", &category),
        ("lang", &lang),
        ("status", &status),
        ("visibility", &visibility),
        ("slug", &slug),
    ])
}

#[derive(Template)]
#[template(path = "support/kb_list.html")]
pub struct KbPage {
    ctx: PageCtx,
    shell: Shell,
    q: String,
    articles: Vec<Article>,
    categories: Vec<Category>,
    can_edit: bool,
    form: FormState,
    help_url: String,
}

async fn kb_page(
    ctx: PageCtx,
    member: &Member,
    app: &App<'_>,
    q: Option<String>,
    form: FormState,
) -> Result<KbPage, AppError> {
    member.require(Area::Support, Level::View)?;
    let (org_id, typed) = (member.org.id.to_string(), q.clone().unwrap_or_default());
    let (articles, categories) = app
        .db
        .read(move |c| {
            let articles = if typed.trim().is_empty() {
                kb::list(c, &org_id, None, None)?
            } else {
                kb::search(c, &org_id, &typed, None, Audience::Members, 100)?
                    .into_iter()
                    .map(|h| h.article)
                    .collect()
            };
            Ok((articles, categories::list(c, &org_id)?))
        })
        .await?;
    Ok(KbPage {
        shell: Shell::new(member, "support"),
        q: q.unwrap_or_default(),
        articles,
        categories,
        can_edit: member.can(Area::Support, Level::Edit),
        form,
        help_url: format!("/help/{}", member.org.slug),
        ctx,
    })
}

#[rocket::get("/dashboard/support/kb?<q>")]
async fn list(ctx: PageCtx, member: Member, q: Option<String>, app: App<'_>) -> Result<Html<KbPage>, AppError> {
    Ok(Html(kb_page(ctx, &member, &app, q, FormState::default()).await?))
}

#[rocket::post("/dashboard/support/kb", data = "<form>")]
async fn create(
    ctx: PageCtx,
    member: Member,
    form: Form<ArticleInput>,
    app: App<'_>,
) -> Result<Answer<KbPage>, AppError> {
    member.require(Area::Support, Level::Edit)?;
    let input = form.into_inner();
    let refused = |errors| values(&input).with_errors(errors);
    let spec = match input.parse() {
        Ok(spec) => spec,
        Err(errors) => {
            let page = kb_page(ctx, &member, &app, None, refused(errors)).await?;
            return Ok(Either::Right(Custom(HttpStatus::UnprocessableEntity, Html(page))));
        }
    };
    let (audit, org_id) = (member.audit(app.now()), member.org.id.to_string());
    match app.write(audit, move |tx| kb::create(tx, &org_id, &spec)).await {
        Ok(article) => Ok(Either::Left(Flash::success(
            Redirect::to(format!("/dashboard/support/kb/{}", article.id)),
            ctx.t("support.kb.saved"),
        ))),
        Err(AppError::Invalid(errors)) => {
            let page = kb_page(ctx, &member, &app, None, refused(errors)).await?;
            Ok(Either::Right(Custom(HttpStatus::UnprocessableEntity, Html(page))))
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "support/kb_article.html")]
pub struct EditPage {
    ctx: PageCtx,
    shell: Shell,
    article: Article,
    categories: Vec<Category>,
    can_edit: bool,
    form: FormState,
    preview_html: String,
    public_url: Option<String>,
}

async fn edit_page(
    ctx: PageCtx,
    member: &Member,
    app: &App<'_>,
    id: &ArticleId,
    form: Option<FormState>,
) -> Result<EditPage, AppError> {
    member.require(Area::Support, Level::View)?;
    let (org_id, id) = (member.org.id.to_string(), id.clone());
    let (article, categories) = app
        .db
        .read(move |c| {
            let article = kb::get(c, &org_id, &id)?.ok_or(AppError::NotFound)?;
            Ok((article, categories::list(c, &org_id)?))
        })
        .await?;
    let public = article.status == "published" && article.visibility == "public";
    Ok(EditPage {
        shell: Shell::new(member, "support"),
        form: form.unwrap_or_else(|| values(&ArticleInput::of(&article))),
        preview_html: kb::render(&article.body),
        public_url: public.then(|| format!("/help/{}/articles/{}", member.org.slug, article.slug)),
        article,
        categories,
        can_edit: member.can(Area::Support, Level::Edit),
        ctx,
    })
}

#[rocket::get("/dashboard/support/kb/<id>")]
async fn show(ctx: PageCtx, member: Member, id: ArticleId, app: App<'_>) -> Result<Html<EditPage>, AppError> {
    Ok(Html(edit_page(ctx, &member, &app, &id, None).await?))
}

#[rocket::post("/dashboard/support/kb/<id>", data = "<form>")]
async fn save(
    ctx: PageCtx,
    member: Member,
    id: ArticleId,
    form: Form<ArticleInput>,
    app: App<'_>,
) -> Result<Answer<EditPage>, AppError> {
    member.require(Area::Support, Level::Edit)?;
    let input = form.into_inner();
    let spec = match input.parse() {
        Ok(spec) => spec,
        Err(errors) => {
            let page = edit_page(ctx, &member, &app, &id, Some(values(&input).with_errors(errors))).await?;
            return Ok(Either::Right(Custom(HttpStatus::UnprocessableEntity, Html(page))));
        }
    };
    let (audit, org_id, aid) = (member.audit(app.now()), member.org.id.to_string(), id.clone());
    match app.write(audit, move |tx| kb::update(tx, &org_id, &aid, &spec)).await {
        Ok(_) => Ok(Either::Left(Flash::success(
            Redirect::to(format!("/dashboard/support/kb/{id}")),
            ctx.t("support.kb.saved"),
        ))),
        Err(AppError::Invalid(errors)) => {
            let page = edit_page(ctx, &member, &app, &id, Some(values(&input).with_errors(errors))).await?;
            Ok(Either::Right(Custom(HttpStatus::UnprocessableEntity, Html(page))))
        }
        Err(e) => Err(e),
    }
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![list, create, show, save]
}
