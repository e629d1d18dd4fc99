//! Who the person is (`/dashboard/account`, "Profile"): their name, their
//! address (a new one waits for the link mailed to it; the old one is told
//! once it is used) and their password (the current one first, then the
//! same strength rules as registration; the other sessions end). Each
//! change is audited and told as a security notice.

use super::pages::{AccountForms, AccountPage, page};
use crate::audit;
use crate::auth::email_change::{self, Outcome};
use crate::auth::pages::MessagePage;
use crate::auth::{ClientInfo, Email, Via, password};
use crate::error::AppError;
use crate::notifications::{self, Notice};
use crate::orgs::Member;
use crate::web::app::App;
use crate::web::forms::FormState;
use crate::web::page::{Html, PageCtx};
use crate::web::ratelimit::Limit;
use rocket::Either;
use rocket::form::Form;
use rocket::http::Status;
use rocket::response::status::Custom;
use rocket::response::{Flash, Redirect};

type Answer = Result<Either<Flash<Redirect>, Custom<Html<AccountPage>>>, AppError>;

/// The account page again, with `forms` showing what was refused.
async fn refused(ctx: PageCtx, member: &Member, app: &App<'_>, forms: AccountForms) -> Answer {
    let page = page(ctx, member, app, app.now(), forms, None).await?;
    Ok(Either::Right(Custom(Status::UnprocessableEntity, Html(page))))
}

fn done(to: &'static str, message: impl Into<String>) -> Answer {
    Ok(Either::Left(Flash::success(Redirect::to(to), message.into())))
}

/// Whether `typed` is the person's password, counted against the same
/// allowance as signing in (so the forms below cannot be used to guess it).
async fn password_is(member: &Member, app: &App<'_>, typed: &str) -> Result<bool, AppError> {
    app.limits.check(Limit::LoginPerAccount, &member.user.email)?;
    password::verify_blocking(typed.to_string(), member.user.password_hash.clone()).await
}

#[derive(rocket::FromForm)]
struct NameForm {
    #[field(default = String::new())]
    full_name: String,
}

#[rocket::post("/dashboard/account/name", data = "<form>")]
async fn set_name(ctx: PageCtx, member: Member, form: Form<NameForm>, app: App<'_>) -> Answer {
    let name = form.full_name.trim().to_string();
    let problem = match name.chars().count() {
        0 => Some("auth.error.name_missing"),
        n if n > 100 => Some("auth.error.name_long"),
        _ => None,
    };
    if let Some(key) = problem {
        let profile = FormState::with_values(&[("full_name", &name)]).error_on("full_name", key);
        return refused(
            ctx,
            &member,
            &app,
            AccountForms {
                profile,
                ..Default::default()
            },
        )
        .await;
    }
    if name == member.user.name {
        return done("/dashboard/account", ctx.t("account.name_saved"));
    }
    let (audit, user, org_id, base) = (
        member.audit(app.now()),
        member.user.clone(),
        member.org.id.clone(),
        app.base_url().clone(),
    );
    app.write(audit, move |tx| {
        crate::auth::set_name(tx, &user, &name)?;
        let notice = Notice {
            kind: &notifications::ACCOUNT_NAME_CHANGED,
            data: serde_json::json!({ "old": user.name, "new": name }),
            link: Some("/dashboard/account"),
        };
        notifications::notify(tx, &org_id, std::slice::from_ref(&user.id), notice, &base).map(|_| ())
    })
    .await?;
    done("/dashboard/account", ctx.t("account.name_saved"))
}

#[derive(rocket::FromForm)]
struct EmailForm {
    #[field(default = String::new())]
    new_email: String,
    #[field(default = String::new())]
    email_password: String,
}

#[rocket::post("/dashboard/account/email", data = "<form>")]
async fn request_email_change(ctx: PageCtx, member: Member, form: Form<EmailForm>, app: App<'_>) -> Answer {
    let typed = form.new_email.trim().to_string();
    let refuse = |field: &str, key: &'static str| AccountForms {
        email: FormState::with_values(&[("new_email", &typed)]).error_on(field, key),
        ..Default::default()
    };
    let new_email = match Email::parse("new_email", &typed) {
        Ok(e) => e,
        Err(_) => return refused(ctx, &member, &app, refuse("new_email", "auth.error.email_invalid")).await,
    };
    if new_email.eq_ignore_ascii_case(&member.user.email) {
        return refused(ctx, &member, &app, refuse("new_email", "account.error.email_same")).await;
    }
    if !password_is(&member, &app, &form.email_password).await? {
        return refused(
            ctx,
            &member,
            &app,
            refuse("email_password", "team.error.transfer_password"),
        )
        .await;
    }
    let taken = {
        let e = new_email.to_string();
        app.db.read(move |c| email_change::address_taken(c, &e)).await?
    };
    if taken {
        return refused(ctx, &member, &app, refuse("new_email", "account.error.email_taken")).await;
    }
    app.limits.check(Limit::EmailChangePerAccount, &member.user.id)?;
    let (audit, user, lang, base) = (
        member.audit(app.now()),
        member.user.clone(),
        ctx.lang,
        app.base_url().clone(),
    );
    let to = new_email.to_string();
    app.write(audit, move |tx| {
        email_change::request(tx, &user, &new_email, lang, &base)
    })
    .await?;
    done(
        "/dashboard/account",
        ctx.lang.tf("account.email_link_sent", &[("email", &to)]),
    )
}

#[rocket::post("/dashboard/account/email/cancel")]
async fn cancel_email_change(ctx: PageCtx, member: Member, app: App<'_>) -> Answer {
    let (audit, user_id) = (member.audit(app.now()), member.user.id.clone());
    app.write(audit, move |tx| email_change::cancel(tx, &user_id)).await?;
    done("/dashboard/account", ctx.t("account.email_change_cancelled"))
}

fn message(ctx: PageCtx, title: &str, body: String, confirm: Option<String>) -> Html<MessagePage> {
    let title = ctx.t(title).to_string();
    Html(MessagePage {
        ctx,
        title,
        body,
        confirm,
    })
}

/// The link mailed to the new address: a page with a button, so that a
/// mail scanner opening the link changes nothing.
#[rocket::get("/account/email/confirm/<token>")]
async fn confirm_page(ctx: PageCtx, token: &str, app: App<'_>) -> Result<Html<MessagePage>, AppError> {
    let (t, now) = (token.to_string(), app.now());
    Ok(match app.db.read(move |c| email_change::peek(c, &t, now)).await? {
        Some(new_email) => {
            let body = ctx.lang.tf("account.email_confirm_body", &[("email", &new_email)]);
            message(
                ctx,
                "account.email_confirm_title",
                body,
                Some(format!("/account/email/confirm/{token}")),
            )
        }
        None => invalid(ctx),
    })
}

fn invalid(ctx: PageCtx) -> Html<MessagePage> {
    let body = ctx.t("account.email_invalid_body").to_string();
    message(ctx, "auth.verify.invalid_title", body, None)
}

#[rocket::post("/account/email/confirm/<token>")]
async fn confirm(
    ctx: PageCtx,
    token: &str,
    app: App<'_>,
    client: ClientInfo,
) -> Result<Either<Flash<Redirect>, Custom<Html<MessagePage>>>, AppError> {
    let (t, now, base) = (token.to_string(), app.now(), app.base_url().clone());
    let outcome = app
        .write(client.anonymous(now), move |tx| {
            let outcome = email_change::confirm(tx, &t, &base)?;
            let Outcome::Changed(done) = &outcome else {
                return Ok(outcome);
            };
            let user = &done.user;
            let org = crate::orgs::memberships_of(tx, &user.id)?
                .into_iter()
                .next()
                .map(|(o, _)| o.id);
            tx.act_as(client.acting(user, org.clone(), now));
            audit::record(
                tx,
                "user.email_changed",
                Some(("user", &user.id)),
                serde_json::json!({ "from": done.old_email, "to": user.email }),
            )?;
            if let Some(org_id) = &org {
                let notice = Notice {
                    kind: &notifications::ACCOUNT_EMAIL_CHANGED,
                    data: serde_json::json!({ "old": done.old_email, "new": user.email }),
                    link: Some("/dashboard/account"),
                };
                notifications::notify(tx, org_id, std::slice::from_ref(&user.id), notice, &base)?;
            }
            Ok(outcome)
        })
        .await?;
    match outcome {
        Outcome::Changed(done) => Ok(Either::Left(Flash::success(
            Redirect::to("/dashboard/account"),
            ctx.lang.tf("account.email_changed", &[("email", &done.user.email)]),
        ))),
        Outcome::Taken => {
            let body = ctx.t("account.error.email_taken").to_string();
            Ok(Either::Right(Custom(
                Status::Conflict,
                message(ctx, "auth.verify.invalid_title", body, None),
            )))
        }
        Outcome::Invalid => Ok(Either::Right(Custom(Status::NotFound, invalid(ctx)))),
    }
}

#[derive(rocket::FromForm)]
struct PasswordForm {
    #[field(default = String::new())]
    current_password: String,
    #[field(default = String::new())]
    new_password: String,
}

#[rocket::post("/dashboard/account/password", data = "<form>")]
async fn change_password(ctx: PageCtx, member: Member, form: Form<PasswordForm>, app: App<'_>) -> Answer {
    let Via::Session { id: keep } = &member.via else {
        return Err(AppError::Forbidden("error.browser_session_only".into()));
    };
    let refuse = |field: &str, key: &'static str| AccountForms {
        password: FormState::default().error_on(field, key),
        ..Default::default()
    };
    // The new password is judged first: that costs no guess of the current one.
    let user = &member.user;
    if let Err(key) = password::check_policy(&form.new_password, &[&user.name, &user.email]) {
        return refused(ctx, &member, &app, refuse("new_password", key)).await;
    }
    if form.new_password == form.current_password {
        let forms = refuse("new_password", "account.error.password_same");
        return refused(ctx, &member, &app, forms).await;
    }
    if !password_is(&member, &app, &form.current_password).await? {
        let forms = refuse("current_password", "team.error.transfer_password");
        return refused(ctx, &member, &app, forms).await;
    }
    let hash = password::hash_blocking(form.new_password.clone()).await?;
    let (audit, user_id, org_id, keep, base) = (
        member.audit(app.now()),
        user.id.clone(),
        member.org.id.clone(),
        keep.clone(),
        app.base_url().clone(),
    );
    let ended = app
        .write(audit, move |tx| {
            let ended = crate::auth::set_password(tx, &user_id, &hash, Some(&keep))?;
            let notice = Notice {
                kind: &notifications::ACCOUNT_PASSWORD_CHANGED,
                data: serde_json::json!({}),
                link: Some("/dashboard/account"),
            };
            notifications::notify(tx, &org_id, std::slice::from_ref(&user_id), notice, &base)?;
            Ok(ended)
        })
        .await?;
    done(
        "/dashboard/account",
        ctx.lang.tf("account.password_saved", &[("count", &ended.to_string())]),
    )
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        set_name,
        request_email_change,
        cancel_email_change,
        confirm_page,
        confirm,
        change_password
    ]
}
