//! Turning two-factor authentication on and off (`/dashboard/account/2fa`):
//! a new secret shown as a QR code and as text, confirmed by one code;
//! recovery codes shown once; turning it off asks for the password.

use crate::audit;
use crate::auth::{password, two_factor};
use crate::error::AppError;
use crate::orgs::Member;
use crate::web::app::App;
use crate::web::forms::FormState;
use crate::web::page::{Html, PageCtx};
use crate::web::shell::Shell;
use askama::Template;
use rocket::Either;
use rocket::form::Form;
use rocket::http::Status;
use rocket::response::status::Custom;
use rocket::response::{Flash, Redirect};

#[derive(Template)]
#[template(path = "account/two_factor.html")]
struct TwoFactorPage {
    ctx: PageCtx,
    shell: Shell,
    enabled: bool,
    required: bool,
    secret: String,
    qr_svg: String,
    recovery_codes: Vec<String>,
    form: FormState,
}

async fn page(
    ctx: PageCtx,
    member: &Member,
    app: &App<'_>,
    form: FormState,
    recovery_codes: Vec<String>,
) -> Result<TwoFactorPage, AppError> {
    let user_id = member.user.id.clone();
    let enabled: bool = {
        let id = user_id.clone();
        app.db.read(move |c| two_factor::is_enabled(c, &id)).await?
    };
    let (mut secret, mut qr_svg) = (String::new(), String::new());
    if !enabled {
        // Reuse the secret waiting for confirmation, so a reload keeps the QR code.
        let id = user_id.clone();
        let existing = app.db.read(move |c| two_factor::secret_of(c, &id)).await?;
        secret = match existing {
            Some(s) => s,
            None => {
                let s = two_factor::new_secret();
                let (id, s2) = (user_id.clone(), s.clone());
                app.db.write(move |tx| two_factor::set_pending(tx, &id, &s2)).await?;
                s
            }
        };
        qr_svg = two_factor::provisioning(&secret, &member.user.email)?.1;
    }
    Ok(TwoFactorPage {
        ctx,
        shell: Shell::new(member, "account"),
        enabled: enabled || !recovery_codes.is_empty(),
        required: member.org.require_2fa,
        secret,
        qr_svg,
        recovery_codes,
        form,
    })
}

#[rocket::get("/dashboard/account/2fa")]
async fn show(ctx: PageCtx, member: Member, app: App<'_>) -> Result<Html<TwoFactorPage>, AppError> {
    Ok(Html(page(ctx, &member, &app, FormState::default(), vec![]).await?))
}

#[derive(rocket::FromForm)]
struct CodeForm {
    #[field(default = String::new())]
    code: String,
}

#[rocket::post("/dashboard/account/2fa/enable", data = "<form>")]
async fn enable(
    ctx: PageCtx,
    member: Member,
    form: Form<CodeForm>,
    app: App<'_>,
) -> Result<Custom<Html<TwoFactorPage>>, AppError> {
    let now = app.now();
    let (audit, user_id, code) = (member.audit(now), member.user.id.clone(), form.code.clone());
    let codes = app
        .write(audit, move |tx| {
            let Some(secret) = two_factor::secret_of(tx, &user_id)? else {
                return Ok(None);
            };
            if !two_factor::accept_code(tx, &user_id, &secret, &code, now)? {
                return Ok(None);
            }
            let codes = two_factor::enable(tx, &user_id, now)?;
            audit::record(
                tx,
                "user.two_factor_enabled",
                Some(("user", &user_id)),
                serde_json::json!({}),
            )?;
            Ok(Some(codes))
        })
        .await?;
    match codes {
        Some(codes) => Ok(Custom(
            Status::Ok,
            Html(page(ctx, &member, &app, FormState::default(), codes).await?),
        )),
        None => {
            let form = FormState::default().error_on("code", "auth.two_factor.wrong_code");
            Ok(Custom(
                Status::UnprocessableEntity,
                Html(page(ctx, &member, &app, form, vec![]).await?),
            ))
        }
    }
}

#[derive(rocket::FromForm)]
struct PasswordForm {
    #[field(default = String::new())]
    password: String,
}

#[rocket::post("/dashboard/account/2fa/disable", data = "<form>")]
async fn disable(
    ctx: PageCtx,
    member: Member,
    form: Form<PasswordForm>,
    app: App<'_>,
) -> Result<Either<Flash<Redirect>, Custom<Html<TwoFactorPage>>>, AppError> {
    let (pw, stored) = (form.password.clone(), member.user.password_hash.clone());
    if !password::verify_blocking(pw, stored).await? {
        let form = FormState::default().error_on("password", "team.error.transfer_password");
        return Ok(Either::Right(Custom(
            Status::UnprocessableEntity,
            Html(page(ctx, &member, &app, form, vec![]).await?),
        )));
    }
    let (audit, user_id) = (member.audit(app.now()), member.user.id.clone());
    app.write(audit, move |tx| {
        two_factor::disable(tx, &user_id)?;
        audit::record(
            tx,
            "user.two_factor_disabled",
            Some(("user", &user_id)),
            serde_json::json!({}),
        )
    })
    .await?;
    Ok(Either::Left(Flash::success(
        Redirect::to("/dashboard/account"),
        ctx.t("auth.two_factor.disabled"),
    )))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![show, enable, disable]
}
