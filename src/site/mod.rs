//! The public face of the instance before any shop exists: the home page
//! (what Luneo is; how to finish the setup on a fresh instance; the way to
//! the dashboard or to sign in) and the language choice every visitor can make.

use crate::auth::MaybeIdentity;
use crate::error::AppError;
use crate::web::app::App;
use crate::web::i18n::{LANG_COOKIE, Lang};
use crate::web::page::{Html, PageCtx};
use askama::Template;
use rocket::form::Form;
use rocket::http::CookieJar;
use rocket::response::{Flash, Redirect};

#[derive(Template)]
#[template(path = "site/home.html")]
struct HomePage {
    ctx: PageCtx,
    /// Nobody has an account yet: say where the setup link is.
    setup_pending: bool,
    registration_open: bool,
}

#[rocket::get("/")]
async fn home(
    ctx: PageCtx,
    setup: &rocket::State<crate::auth::setup::SetupToken>,
    app: App<'_>,
) -> Result<Html<HomePage>, AppError> {
    let setup_pending = setup.get().is_some();
    let registration_open = !setup_pending && !ctx.signed_in && app.db.read(crate::auth::registration_open).await?;
    Ok(Html(HomePage {
        ctx,
        setup_pending,
        registration_open,
    }))
}

#[derive(rocket::FromForm)]
struct LanguageForm<'r> {
    lang: &'r str,
    next: Option<&'r str>,
}

#[rocket::post("/language", data = "<form>")]
async fn set_language(
    form: Form<LanguageForm<'_>>,
    jar: &CookieJar<'_>,
    me: MaybeIdentity,
    app: App<'_>,
) -> Result<Flash<Redirect>, AppError> {
    let next = crate::web::safe_next(form.next);
    let Some(lang) = Lang::parse(form.lang) else {
        return Ok(Flash::error(Redirect::to(next), Lang::En.t("language.unknown")));
    };
    // Signed in, the choice is kept with the account (pages and mails follow it).
    if let Some(identity) = me.0 {
        let now = app.now();
        let origin = crate::audit::AuditCtx::by_user(&identity.user, identity.org_id.clone(), None, None, now);
        app.write(origin, move |tx| {
            crate::auth::set_language(tx, &identity.user.id, lang.code())
        })
        .await?;
    }
    let cookie = crate::web::cookies::build(LANG_COOKIE, lang.code().to_string(), app.config.https())
        .max_age(rocket::time::Duration::days(365));
    jar.add(cookie);
    Ok(Flash::success(Redirect::to(next), lang.t("language.changed")))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![home, set_language]
}
