//! The account pages: first-run setup, register, address verification,
//! sign in and sign out. Every form keeps what was typed and shows errors
//! beside the fields; nothing is half written (one transaction each).

use super::mail_tokens::{self, Purpose};
use super::setup::SetupToken;
use super::{ClientInfo, MaybeIdentity, NewUser, User, mails, password, session};
use crate::audit;
use crate::db::Tx;
use crate::error::{AppError, FieldError};
use crate::web::app::App;
use crate::web::forms::{Checks, FormState};
use crate::web::i18n::Lang;
use crate::web::page::{Html, PageCtx};
use crate::web::ratelimit::Limit;
use crate::web::safe_next;
use askama::Template;
use rocket::Either;
use rocket::State;
use rocket::form::Form;
use rocket::http::{CookieJar, Status};
use rocket::response::status::Custom;
use rocket::response::{Flash, Redirect};

/// A form handler's answer: on to the next page, or the form again with 422.
type PageResult<T> = Result<Either<Redirect, Custom<Html<T>>>, AppError>;

/// The form again, with its errors: 422, as the API answers bad input.
fn refused<T>(page: T) -> Either<Redirect, Custom<Html<T>>> {
    Either::Right(Custom(Status::UnprocessableEntity, Html(page)))
}

#[derive(Template)]
#[template(path = "auth/setup.html")]
struct SetupPage {
    ctx: PageCtx,
    form: FormState,
    token: String,
}

#[derive(Template)]
#[template(path = "auth/register.html")]
struct RegisterPage {
    ctx: PageCtx,
    form: FormState,
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    ctx: PageCtx,
    form: FormState,
    next: String,
}

#[derive(Template)]
#[template(path = "auth/message.html")]
pub struct MessagePage {
    pub ctx: PageCtx,
    pub title: String,
    pub body: String,
    /// A form to confirm with (its action), if any.
    pub confirm: Option<String>,
}

/// The fields of a new account with its first organisation.
#[derive(rocket::FromForm)]
struct AccountForm {
    #[field(default = String::new())]
    token: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    email: String,
    #[field(default = String::new())]
    password: String,
    #[field(default = String::new())]
    org_name: String,
}

impl AccountForm {
    fn state(&self) -> FormState {
        FormState::with_values(&[
            ("name", &self.name),
            ("email", &self.email),
            ("org_name", &self.org_name),
        ])
    }

    fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut c = Checks::default();
        let name = self.name.trim();
        c.check(!name.is_empty(), "name", "auth.error.name_missing");
        c.check(name.chars().count() <= 100, "name", "auth.error.name_long");
        c.check(super::valid_email(&self.email), "email", "auth.error.email_invalid");
        if let Err(key) = password::check_policy(&self.password, &[&self.name, &self.email, &self.org_name]) {
            c.check(false, "password", key);
        }
        let org = self.org_name.trim();
        c.check(!org.is_empty(), "org_name", "auth.error.org_missing");
        c.check(org.chars().count() <= 100, "org_name", "auth.error.org_long");
        c.into_result()
    }
}

/// Tells `user` about a sign-in from a browser (user agent) they never
/// signed in with before.
fn tell_new_device(
    tx: &Tx,
    user: &User,
    org_id: &str,
    client: &ClientInfo,
    base_url: &reqwest::Url,
) -> Result<(), AppError> {
    let device = super::device::describe(client.user_agent.as_deref().unwrap_or("?"));
    let notice = crate::notifications::Notice {
        kind: &crate::notifications::ACCOUNT_NEW_SIGN_IN,
        data: serde_json::json!({
            "device": device,
            "ip": client.ip.as_deref().unwrap_or("?"),
            "at": crate::db::time::rfc3339(tx.now()),
        }),
        link: Some("/dashboard/account"),
    };
    crate::notifications::notify(tx, org_id, std::slice::from_ref(&user.id), notice, base_url)?;
    Ok(())
}

/// Signs `user` in on a new session (revoking the one in the cookie, if
/// any); from here on the transaction's changes are theirs.
pub(super) fn sign_in(
    tx: &Tx,
    user: &User,
    old_token: Option<&str>,
    client: &ClientInfo,
    base_url: &reqwest::Url,
) -> Result<String, AppError> {
    if let Some(old) = old_token {
        session::revoke_token(tx, old)?;
    }
    let now = tx.now();
    let org = crate::orgs::memberships_of(tx, &user.id)?
        .into_iter()
        .next()
        .map(|(o, _)| o.id);
    let (_, token) = session::create(
        tx,
        &user.id,
        org.as_deref(),
        now,
        client.ip.as_deref(),
        client.user_agent.as_deref(),
    )?;
    // Known browsers are remembered on their own (not read back from the
    // audit log, which its retention empties).
    let seen = super::device::record_sign_in(tx, &user.id, client.user_agent.as_deref(), now)?;
    if let (Some(org_id), super::device::Seen::New) = (&org, seen) {
        tell_new_device(tx, user, org_id, client, base_url)?;
    }
    tx.act_as(client.acting(user, org, now));
    audit::record(tx, "user.signed_in", Some(("user", &user.id)), serde_json::json!({}))?;
    Ok(token)
}

#[rocket::get("/setup?<token>")]
fn setup_page(
    ctx: PageCtx,
    token: Option<&str>,
    setup: &State<SetupToken>,
) -> Result<Either<Html<SetupPage>, Custom<Html<MessagePage>>>, AppError> {
    // Once the owner exists, the link (used, or printed again in an old
    // console) says so and offers sign-in.
    if setup.get().is_none() && token.is_some() {
        let (title, body) = (
            ctx.t("auth.setup.done_title").into(),
            ctx.t("auth.setup.done_body").into(),
        );
        let page = MessagePage {
            ctx,
            title,
            body,
            confirm: None,
        };
        return Ok(Either::Right(Custom(Status::Gone, Html(page))));
    }
    let token = token.unwrap_or_default();
    if !setup.matches(token) {
        return Err(AppError::NotFound);
    }
    Ok(Either::Left(Html(SetupPage {
        ctx,
        form: FormState::default(),
        token: token.into(),
    })))
}

#[rocket::post("/setup", data = "<form>")]
async fn setup_submit(
    ctx: PageCtx,
    form: Form<AccountForm>,
    setup: &State<SetupToken>,
    app: App<'_>,
    client: ClientInfo,
    jar: &CookieJar<'_>,
) -> PageResult<SetupPage> {
    if !setup.matches(&form.token) {
        return Err(AppError::NotFound);
    }
    if let Err(errors) = form.check() {
        let state = form.state().with_errors(errors);
        return Ok(refused(SetupPage {
            ctx,
            form: state,
            token: form.token.clone(),
        }));
    }
    let form = form.into_inner();
    let hash = password::hash_blocking(form.password.clone()).await?;
    let lang = ctx.lang.code();
    let base = app.base_url().clone();
    let token = app
        .write(client.anonymous(app.now()), move |tx| {
            if super::any_user(tx)? {
                return Err(AppError::NotFound);
            }
            let user = super::create_user(
                tx,
                &NewUser {
                    email: &form.email,
                    name: &form.name,
                    password_hash: Some(hash),
                    language: Some(lang),
                    verified: true,
                    instance_admin: true,
                },
                tx.now(),
            )?;
            tx.act_as(client.acting(&user, None, tx.now()));
            audit::record(tx, "instance.setup", Some(("user", &user.id)), serde_json::json!({}))?;
            crate::orgs::create_org(tx, &form.org_name, &user, lang)?;
            sign_in(tx, &user, None, &client, &base)
        })
        .await?;
    setup.close();
    session::set_cookie(jar, token, app.config.https());
    Ok(Either::Left(Redirect::to("/dashboard")))
}

#[rocket::get("/register")]
async fn register_page(ctx: PageCtx, app: App<'_>) -> Result<Html<RegisterPage>, AppError> {
    if !app.db.read(super::registration_open).await? {
        return Err(AppError::Forbidden("auth.error.registration_closed".into()));
    }
    Ok(Html(RegisterPage {
        ctx,
        form: FormState::default(),
    }))
}

#[rocket::post("/register", data = "<form>")]
async fn register_submit(
    ctx: PageCtx,
    form: Form<AccountForm>,
    app: App<'_>,
    client: ClientInfo,
) -> PageResult<RegisterPage> {
    let limits = app.limits;
    if !app.db.read(super::registration_open).await? {
        return Err(AppError::Forbidden("auth.error.registration_closed".into()));
    }
    if let Err(errors) = form.check() {
        let state = form.state().with_errors(errors);
        return Ok(refused(RegisterPage { ctx, form: state }));
    }
    limits.check(Limit::RegisterPerIp, client.ip.as_deref().unwrap_or("unknown"))?;
    let form = form.into_inner();
    // Hash in every case, so the answer takes as long whether the address exists or not.
    let hash = password::hash_blocking(form.password.clone()).await?;
    let lang = ctx.lang;
    let base = app.base_url().clone();
    // Past the per-address limit, no more notice mails; the answer stays the same.
    let may_mail = limits.check(Limit::RegisterPerAccount, form.email.trim()).is_ok();
    app.write(client.anonymous(app.now()), move |tx| {
        if let Some(existing) = super::find_by_email(tx, &form.email)? {
            if !may_mail {
                return Ok(());
            }
            let existing_lang = existing.language.as_deref().and_then(Lang::parse).unwrap_or(lang);
            let mail = mails::already_registered(&existing.email, &existing.name, existing_lang, &base)?;
            crate::mail::queue(tx, None, &mail)?;
            return Ok(());
        }
        let user = super::create_user(
            tx,
            &NewUser {
                email: &form.email,
                name: &form.name,
                password_hash: Some(hash),
                language: Some(lang.code()),
                verified: false,
                instance_admin: false,
            },
            tx.now(),
        )?;
        tx.act_as(client.acting(&user, None, tx.now()));
        let org = crate::orgs::create_org(tx, &form.org_name, &user, lang.code())?;
        audit::record_in(
            tx,
            &org.id,
            "user.registered",
            Some(("user", &user.id)),
            serde_json::json!({}),
        )?;
        let token = mail_tokens::issue(tx, &user.id, Purpose::Verify, tx.now())?;
        let mail = mails::verification(&user.email, &user.name, lang, &base, &token)?;
        crate::mail::queue(tx, Some(&org.id), &mail)?;
        Ok(())
    })
    .await?;
    Ok(Either::Left(Redirect::to("/register/check-mail")))
}

#[rocket::get("/register/check-mail")]
fn check_mail(ctx: PageCtx) -> Html<MessagePage> {
    let (title, body) = (
        ctx.t("auth.check_mail.title").into(),
        ctx.t("auth.check_mail.body").into(),
    );
    Html(MessagePage {
        ctx,
        title,
        body,
        confirm: None,
    })
}

#[rocket::get("/verify-email/<token>")]
async fn verify_page(ctx: PageCtx, token: &str, app: App<'_>) -> Result<Html<MessagePage>, AppError> {
    let (t, now) = (token.to_string(), app.now());
    let valid = app
        .db
        .read(move |c| mail_tokens::peek(c, &t, Purpose::Verify, now))
        .await?
        .is_some();
    let (title, body, confirm) = if valid {
        (
            ctx.t("auth.verify.title"),
            ctx.t("auth.verify.body"),
            Some(format!("/verify-email/{token}")),
        )
    } else {
        (
            ctx.t("auth.verify.invalid_title"),
            ctx.t("auth.verify.invalid_body"),
            None,
        )
    };
    let (title, body) = (title.to_string(), body.to_string());
    Ok(Html(MessagePage {
        ctx,
        title,
        body,
        confirm,
    }))
}

#[rocket::post("/verify-email/<token>")]
async fn verify_submit(
    ctx: PageCtx,
    token: &str,
    app: App<'_>,
    client: ClientInfo,
    jar: &CookieJar<'_>,
) -> Result<Either<Flash<Redirect>, Html<MessagePage>>, AppError> {
    let (t, now) = (token.to_string(), app.now());
    let old = jar.get(session::COOKIE).map(|c| c.value().to_string());
    let base = app.base_url().clone();
    let signed_in = app
        .write(client.anonymous(now), move |tx| {
            let Some(user_id) = mail_tokens::consume(tx, &t, Purpose::Verify, now)? else {
                return Ok(None);
            };
            super::mark_verified(tx, &user_id, now)?;
            let user = super::find_by_id(tx, &user_id)?.ok_or(AppError::NotFound)?;
            let org = crate::orgs::memberships_of(tx, &user.id)?
                .into_iter()
                .next()
                .map(|(o, _)| o.id);
            tx.act_as(client.acting(&user, org, now));
            audit::record(
                tx,
                "user.email_verified",
                Some(("user", &user.id)),
                serde_json::json!({}),
            )?;
            Ok(Some(sign_in(tx, &user, old.as_deref(), &client, &base)?))
        })
        .await?;
    match signed_in {
        Some(token) => {
            session::set_cookie(jar, token, app.config.https());
            Ok(Either::Left(Flash::success(
                Redirect::to("/dashboard"),
                ctx.t("auth.verify.done"),
            )))
        }
        None => {
            let (title, body) = (
                ctx.t("auth.verify.invalid_title").into(),
                ctx.t("auth.verify.invalid_body").into(),
            );
            Ok(Either::Right(Html(MessagePage {
                ctx,
                title,
                body,
                confirm: None,
            })))
        }
    }
}

#[rocket::get("/login?<next>")]
fn login_page(ctx: PageCtx, next: Option<&str>, me: MaybeIdentity) -> Either<Redirect, Html<LoginPage>> {
    let next = safe_next(next);
    if me.0.is_some() {
        return Either::Left(Redirect::to(if next == "/" { "/dashboard".to_string() } else { next }));
    }
    Either::Right(Html(LoginPage {
        ctx,
        form: FormState::default(),
        next,
    }))
}

#[derive(rocket::FromForm)]
struct LoginForm {
    #[field(default = String::new())]
    email: String,
    #[field(default = String::new())]
    password: String,
    next: Option<String>,
}

#[rocket::post("/login", data = "<form>")]
async fn login_submit(
    ctx: PageCtx,
    form: Form<LoginForm>,
    app: App<'_>,
    client: ClientInfo,
    jar: &CookieJar<'_>,
) -> PageResult<LoginPage> {
    let (db, config, limits) = (app.db, app.config, app.limits);
    let next = safe_next(form.next.as_deref());
    let email = form.email.trim().to_string();
    limits.check(Limit::LoginPerIp, client.ip.as_deref().unwrap_or("unknown"))?;
    let found = {
        let email = email.clone();
        db.read(move |c| super::find_by_email(c, &email)).await?
    };
    // A browser this account signed in from before has an allowance of its
    // own: failures from elsewhere cannot lock its owner out.
    let account_key = match found.as_ref().and_then(|u| super::device::known(jar, &u.id)) {
        Some(device) => format!("{email}|{device}"),
        None => email.clone(),
    };
    limits.check(Limit::LoginPerAccount, &account_key)?;
    let password = form.password.clone();
    let stored = found.as_ref().and_then(|u| u.password_hash.clone());
    let ok = password::verify_blocking(password, stored).await?;
    let Some(user) = found.filter(|_| ok) else {
        let state = FormState::with_values(&[("email", &email)]).error_on("password", "auth.error.login_failed");
        return Ok(refused(LoginPage { ctx, form: state, next }));
    };
    let now = app.now();
    if user.two_factor {
        super::mfa_login::start(jar, &user.id, &next, now, config.https());
        return Ok(Either::Left(Redirect::to("/login/2fa")));
    }
    let old = jar.get(session::COOKIE).map(|c| c.value().to_string());
    let (base, user_id) = (config.base_url.clone(), user.id.clone());
    let token = app
        .write(client.anonymous(now), move |tx| {
            sign_in(tx, &user, old.as_deref(), &client, &base)
        })
        .await?;
    session::set_cookie(jar, token, config.https());
    super::device::remember(jar, &user_id, config.https());
    Ok(Either::Left(Redirect::to(if next == "/" {
        "/dashboard".to_string()
    } else {
        next
    })))
}

#[rocket::post("/logout")]
async fn logout(ctx: PageCtx, app: App<'_>, jar: &CookieJar<'_>) -> Result<Flash<Redirect>, AppError> {
    if let Some(token) = jar.get(session::COOKIE).map(|c| c.value().to_string()) {
        app.db.write(move |tx| session::revoke_token(tx, &token)).await?;
    }
    session::clear_cookie(jar);
    Ok(Flash::success(Redirect::to("/login"), ctx.t("auth.signed_out")))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        setup_page,
        setup_submit,
        register_page,
        register_submit,
        check_mail,
        verify_page,
        verify_submit,
        login_page,
        login_submit,
        logout
    ]
}
