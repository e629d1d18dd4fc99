//! Password reset: `/password/forgot` mails a single-use link valid one
//! hour (the answer never says whether the address has an account), and
//! `/password/reset/<token>` sets a new password, signs out every other
//! session and signs in.

use super::mail_tokens::{self, Purpose};
use super::{ClientInfo, mails, password, session};
use crate::audit;
use crate::error::AppError;
use crate::web::app::App;
use crate::web::forms::FormState;
use crate::web::i18n::Lang;
use crate::web::page::{Html, PageCtx};
use crate::web::ratelimit::Limit;
use askama::Template;
use rocket::Either;
use rocket::form::Form;
use rocket::http::{CookieJar, Status};
use rocket::response::status::Custom;
use rocket::response::{Flash, Redirect};

#[derive(Template)]
#[template(path = "auth/forgot.html")]
struct ForgotPage {
    ctx: PageCtx,
    form: FormState,
    sent: bool,
}

#[derive(Template)]
#[template(path = "auth/reset.html")]
struct ResetPage {
    ctx: PageCtx,
    form: FormState,
    token: String,
    valid: bool,
}

#[rocket::get("/password/forgot")]
fn forgot_page(ctx: PageCtx) -> Html<ForgotPage> {
    Html(ForgotPage {
        ctx,
        form: FormState::default(),
        sent: false,
    })
}

#[derive(rocket::FromForm)]
struct ForgotForm {
    #[field(default = String::new())]
    email: String,
}

#[rocket::post("/password/forgot", data = "<form>")]
async fn forgot_submit(
    ctx: PageCtx,
    form: Form<ForgotForm>,
    app: App<'_>,
    client: ClientInfo,
) -> Result<Custom<Html<ForgotPage>>, AppError> {
    let limits = app.limits;
    limits.check(Limit::ResetPerIp, client.ip.as_deref().unwrap_or("unknown"))?;
    let email = form.email.trim().to_string();
    if !super::valid_email(&email) {
        let state = FormState::with_values(&[("email", &email)]).error_on("email", "auth.error.email_invalid");
        let page = ForgotPage {
            ctx,
            form: state,
            sent: false,
        };
        return Ok(Custom(Status::UnprocessableEntity, Html(page)));
    }
    // Past the per-account limit nothing more is sent, and the answer stays the same.
    if limits.check(Limit::ResetPerAccount, &email).is_ok() {
        let (now, lang, base) = (app.now(), ctx.lang, app.base_url().clone());
        app.write(client.anonymous(now), move |tx| {
            let Some(user) = super::find_by_email(tx, &email)? else {
                return Ok(());
            };
            let token = mail_tokens::issue(tx, &user.id, Purpose::Reset, now)?;
            let user_lang = user.language.as_deref().and_then(Lang::parse).unwrap_or(lang);
            let mail = mails::password_reset(&user.email, &user.name, user_lang, &base, &token)?;
            crate::mail::queue(tx, None, &mail).map(|_| ())
        })
        .await?;
    }
    let page = ForgotPage {
        ctx,
        form: FormState::default(),
        sent: true,
    };
    Ok(Custom(Status::Ok, Html(page)))
}

#[rocket::get("/password/reset/<token>")]
async fn reset_page(ctx: PageCtx, token: &str, app: App<'_>) -> Result<Html<ResetPage>, AppError> {
    let (t, now) = (token.to_string(), app.now());
    let valid = app
        .db
        .read(move |c| mail_tokens::peek(c, &t, Purpose::Reset, now))
        .await?
        .is_some();
    Ok(Html(ResetPage {
        ctx,
        form: FormState::default(),
        token: token.into(),
        valid,
    }))
}

#[derive(rocket::FromForm)]
struct ResetForm {
    #[field(default = String::new())]
    password: String,
}

#[rocket::post("/password/reset/<token>", data = "<form>")]
async fn reset_submit(
    ctx: PageCtx,
    token: &str,
    form: Form<ResetForm>,
    app: App<'_>,
    client: ClientInfo,
    jar: &CookieJar<'_>,
) -> Result<Either<Flash<Redirect>, Custom<Html<ResetPage>>>, AppError> {
    let (db, config) = (app.db, app.config);
    let (t, now) = (token.to_string(), app.now());
    let Some(user_id) = db.read(move |c| mail_tokens::peek(c, &t, Purpose::Reset, now)).await? else {
        let page = ResetPage {
            ctx,
            form: FormState::default(),
            token: token.into(),
            valid: false,
        };
        return Ok(Either::Right(Custom(Status::NotFound, Html(page))));
    };
    let uid = user_id.clone();
    let user = db
        .read(move |c| super::find_by_id(c, &uid))
        .await?
        .ok_or(AppError::NotFound)?;
    if let Err(key) = password::check_policy(&form.password, &[&user.name, &user.email]) {
        let page = ResetPage {
            ctx,
            form: FormState::default().error_on("password", key),
            token: token.into(),
            valid: true,
        };
        return Ok(Either::Right(Custom(Status::UnprocessableEntity, Html(page))));
    }
    let base = config.base_url.clone();
    let hash = password::hash_blocking(form.password.clone()).await?;
    let t = token.to_string();
    let cookie = app
        .write(client.anonymous(now), move |tx| {
            mail_tokens::consume(tx, &t, Purpose::Reset, now)?.ok_or(AppError::NotFound)?;
            tx.execute("UPDATE users SET password_hash = ?2 WHERE id = ?1", (&user.id, &hash))?;
            // The mail reached the address: it is verified, and every session
            // and API token ends (whoever knew the old password may hold some).
            super::mark_verified(tx, &user.id, now)?;
            let ended = session::revoke_others(tx, &user.id, None)?;
            let tokens_revoked = super::api_tokens::revoke_all(tx, &user.id)?;
            let org = crate::orgs::memberships_of(tx, &user.id)?
                .into_iter()
                .next()
                .map(|(o, _)| o.id);
            tx.act_as(client.acting(&user, org.clone(), now));
            audit::record(
                tx,
                "user.password_reset",
                Some(("user", &user.id)),
                serde_json::json!({ "sessions_ended": ended, "tokens_revoked": tokens_revoked }),
            )?;
            if let Some(org_id) = &org {
                let notice = crate::notifications::Notice {
                    kind: &crate::notifications::ACCOUNT_PASSWORD_RESET,
                    data: serde_json::json!({}),
                    link: Some("/dashboard/account"),
                };
                crate::notifications::notify(tx, org_id, std::slice::from_ref(&user.id), notice, &base)?;
            }
            let (_, token) = session::create(
                tx,
                &user.id,
                org.as_deref(),
                now,
                client.ip.as_deref(),
                client.user_agent.as_deref(),
            )?;
            Ok(token)
        })
        .await?;
    session::set_cookie(jar, cookie, config.https());
    Ok(Either::Left(Flash::success(
        Redirect::to("/dashboard"),
        ctx.t("auth.reset.done"),
    )))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![forgot_page, forgot_submit, reset_page, reset_submit]
}
