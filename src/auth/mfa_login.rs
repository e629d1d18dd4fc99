//! The second step of signing in for people with two-factor on: after the
//! password, an encrypted cookie remembers who is halfway (5 minutes), and
//! `/login/2fa` takes a code from their app or a recovery code.

use super::{ClientInfo, session, two_factor};
use crate::error::AppError;
use crate::web::app::App;
use crate::web::forms::FormState;
use crate::web::page::{Html, PageCtx};
use crate::web::ratelimit::Limit;
use askama::Template;
use rocket::Either;
use rocket::form::Form;
use rocket::http::{Cookie, CookieJar, Status};
use rocket::response::Redirect;
use rocket::response::status::Custom;
use serde::{Deserialize, Serialize};

const COOKIE: &str = "luneo_mfa";
const WINDOW: i64 = 300;

#[derive(Serialize, Deserialize)]
struct Pending {
    user: String,
    next: String,
    until: i64,
}

/// Remembers that `user_id` gave the right password and still owes a code.
pub(super) fn start(jar: &CookieJar<'_>, user_id: &str, next: &str, now: i64, secure: bool) {
    let pending = Pending {
        user: user_id.into(),
        next: next.into(),
        until: now + WINDOW,
    };
    let value = serde_json::to_string(&pending).expect("serializable");
    jar.add_private(crate::web::cookies::build(COOKIE, value, secure));
}

fn pending(jar: &CookieJar<'_>, now: i64) -> Option<Pending> {
    let p: Pending = serde_json::from_str(jar.get_private(COOKIE)?.value()).ok()?;
    (p.until > now).then_some(p)
}

#[derive(Template)]
#[template(path = "auth/two_factor_login.html")]
struct CodePage {
    ctx: PageCtx,
    form: FormState,
}

#[rocket::get("/login/2fa")]
fn code_page(ctx: PageCtx, jar: &CookieJar<'_>, app: App<'_>) -> Either<Html<CodePage>, Redirect> {
    match pending(jar, app.now()) {
        Some(_) => Either::Left(Html(CodePage {
            ctx,
            form: FormState::default(),
        })),
        None => Either::Right(Redirect::to("/login")),
    }
}

#[derive(rocket::FromForm)]
struct CodeForm {
    #[field(default = String::new())]
    code: String,
}

#[rocket::post("/login/2fa", data = "<form>")]
async fn code_submit(
    ctx: PageCtx,
    form: Form<CodeForm>,
    jar: &CookieJar<'_>,
    app: App<'_>,
    client: ClientInfo,
) -> Result<Either<Redirect, Custom<Html<CodePage>>>, AppError> {
    let (config, limits) = (app.config, app.limits);
    let now = app.now();
    let Some(p) = pending(jar, now) else {
        return Ok(Either::Left(Redirect::to("/login")));
    };
    limits.check(Limit::LoginPerAccount, &p.user)?;
    let (code, user_id) = (form.code.trim().to_string(), p.user.clone());
    let old = jar.get(session::COOKIE).map(|c| c.value().to_string());
    let base = config.base_url.clone();
    let token = app
        .write(client.anonymous(now), move |tx| {
            let user = super::find_by_id(tx, &user_id)?.ok_or(AppError::NotFound)?;
            let secret = two_factor::secret_of(tx, &user.id)?.unwrap_or_default();
            let ok = (user.two_factor && two_factor::accept_code(tx, &user.id, &secret, &code, now)?)
                || two_factor::use_recovery_code(tx, &user.id, &code, now)?;
            if !ok {
                return Ok(None);
            }
            Ok(Some(super::pages::sign_in(tx, &user, old.as_deref(), &client, &base)?))
        })
        .await?;
    let Some(token) = token else {
        let form = FormState::default().error_on("code", "auth.two_factor.wrong_code");
        return Ok(Either::Right(Custom(
            Status::UnprocessableEntity,
            Html(CodePage { ctx, form }),
        )));
    };
    jar.remove_private(Cookie::build(COOKIE).path("/"));
    session::set_cookie(jar, token, config.https());
    super::device::remember(jar, &p.user, config.https());
    Ok(Either::Left(Redirect::to(if p.next == "/" {
        "/dashboard".to_string()
    } else {
        p.next
    })))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![code_page, code_submit]
}
