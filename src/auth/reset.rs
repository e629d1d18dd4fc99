//! Password reset: `/password/forgot` mails a single-use link valid one
//! hour (the answer never says whether the address has an account), and
//! `/password/reset/<token>` sets a new password, signs out every other
//! session and signs in.

use super::mail_tokens::{self, Purpose};
use super::{ClientInfo, mails, password, session};
use crate::audit;
use crate::config::Config;
use crate::db::Db;
use crate::db::time::SharedClock;
use crate::error::AppError;
use crate::jobs::outbox::Outbox;
use crate::web::forms::FormState;
use crate::web::i18n::Lang;
use crate::web::page::{Html, PageCtx};
use crate::web::ratelimit::{Limit, RateLimits};
use askama::Template;
use rocket::form::Form;
use rocket::http::{CookieJar, Status};
use rocket::response::status::Custom;
use rocket::response::{Flash, Redirect};
use rocket::{Either, State};
use std::sync::Arc;

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

#[allow(clippy::too_many_arguments)]
#[rocket::post("/password/forgot", data = "<form>")]
async fn forgot_submit(
    ctx: PageCtx,
    form: Form<ForgotForm>,
    db: &State<Db>,
    clock: &State<SharedClock>,
    config: &State<Config>,
    outbox: &State<Arc<Outbox>>,
    limits: &State<RateLimits>,
    client: ClientInfo,
) -> Result<Custom<Html<ForgotPage>>, AppError> {
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
        let (now, lang, base) = (clock.now(), ctx.lang, config.base_url.clone());
        db.write(move |tx| {
            let Some(user) = super::find_by_email(tx, &email)? else {
                return Ok(());
            };
            let token = mail_tokens::issue(tx, &user.id, Purpose::Reset, now)?;
            let user_lang = user.language.as_deref().and_then(Lang::parse).unwrap_or(lang);
            let mail = mails::password_reset(&user.email, &user.name, user_lang, &base, &token)?;
            crate::mail::queue(tx, now, None, &mail).map(|_| ())
        })
        .await?;
        outbox.wake();
    }
    let page = ForgotPage {
        ctx,
        form: FormState::default(),
        sent: true,
    };
    Ok(Custom(Status::Ok, Html(page)))
}

#[rocket::get("/password/reset/<token>")]
async fn reset_page(
    ctx: PageCtx,
    token: &str,
    db: &State<Db>,
    clock: &State<SharedClock>,
) -> Result<Html<ResetPage>, AppError> {
    let (t, now) = (token.to_string(), clock.now());
    let valid = db
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

#[allow(clippy::too_many_arguments)]
#[rocket::post("/password/reset/<token>", data = "<form>")]
async fn reset_submit(
    ctx: PageCtx,
    token: &str,
    form: Form<ResetForm>,
    db: &State<Db>,
    clock: &State<SharedClock>,
    config: &State<Config>,
    client: ClientInfo,
    jar: &CookieJar<'_>,
) -> Result<Either<Flash<Redirect>, Custom<Html<ResetPage>>>, AppError> {
    let (t, now) = (token.to_string(), clock.now());
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
    let cookie = db
        .write(move |tx| {
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
            let ctx =
                crate::audit::AuditCtx::by_user(&user, org.clone(), client.ip.clone(), client.user_agent.clone(), now);
            audit::record(
                tx,
                &ctx,
                "user.password_reset",
                Some(("user", &user.id)),
                serde_json::json!({ "sessions_ended": ended, "tokens_revoked": tokens_revoked }),
            )?;
            if let Some(org_id) = &org {
                let notice = crate::notifications::Notice {
                    kind: "account.password_changed",
                    data: serde_json::json!({}),
                    link: Some("/dashboard/account"),
                };
                crate::notifications::notify(tx, org_id, std::slice::from_ref(&user.id), notice, now, &base)?;
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
