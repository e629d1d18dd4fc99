//! The signed-in person's own settings page (`/dashboard/account`): the
//! page itself (its profile forms post to `profile`), their time zone, their
//! active sessions (device, last seen, IP; sign out one or all others) and
//! their personal API tokens for the current organisation (created with a
//! name and an expiry, shown once, revoked).

use crate::audit;
use crate::auth::Via;
use crate::auth::api_tokens::{self, ApiToken};
use crate::auth::email_change;
use crate::auth::session::{self, SessionRow};
use crate::error::AppError;
use crate::orgs::Member;
use crate::web::app::App;
use crate::web::forms::FormState;
use crate::web::page::{Html, PageCtx};
use crate::web::shell::Shell;
use crate::web::when::When;
use askama::Template;
use rocket::Either;
use rocket::form::Form;
use rocket::http::Status;
use rocket::response::status::Custom;
use rocket::response::{Flash, Redirect};

/// A session as listed.
pub struct SessionView {
    pub row: SessionRow,
    pub last_seen: When,
    /// "Firefox 140 · Linux", from the user agent.
    pub device: Option<String>,
    pub current: bool,
}

/// A token as listed.
pub struct TokenView {
    pub token: ApiToken,
    pub created: When,
    pub expires: Option<When>,
    pub last_used: Option<When>,
}

/// What each form of the page shows after a refused POST.
#[derive(Default)]
pub struct AccountForms {
    pub profile: FormState,
    pub email: FormState,
    pub password: FormState,
    pub zone: FormState,
    pub token: FormState,
}

#[derive(Template)]
#[template(path = "account/account.html")]
pub struct AccountPage {
    ctx: PageCtx,
    shell: Shell,
    sessions: Vec<SessionView>,
    tokens: Vec<TokenView>,
    forms: AccountForms,
    /// The name shown in the name field.
    full_name: String,
    /// A change of address waiting for its link, and when the link expires.
    pending_email: Option<(String, When)>,
    /// A token just created, shown this once.
    new_token: Option<String>,
    zone_groups: Vec<crate::web::pickers::ZoneGroup>,
    /// The person's own zone, "" = the organisation's.
    my_zone: String,
    org_zone: String,
}

pub async fn page(
    ctx: PageCtx,
    member: &Member,
    app: &App<'_>,
    now: i64,
    forms: AccountForms,
    new_token: Option<String>,
) -> Result<AccountPage, AppError> {
    let (user_id, org_id) = (member.user.id.clone(), member.org.id.clone());
    let (sessions, tokens, pending) = app
        .db
        .read(move |c| {
            Ok((
                session::list_for_user(c, &user_id, now)?,
                api_tokens::list(c, &user_id, &org_id)?,
                email_change::pending(c, &user_id, now)?,
            ))
        })
        .await?;
    let current = match &member.via {
        Via::Session { id } => Some(id.clone()),
        Via::ApiToken { .. } => None,
    };
    let clock = member.clockface(ctx.lang, now);
    Ok(AccountPage {
        ctx,
        shell: Shell::new(member, "account"),
        sessions: sessions
            .into_iter()
            .map(|row| SessionView {
                last_seen: clock.when(row.last_seen_at),
                device: row.user_agent.as_deref().map(crate::auth::device::describe),
                current: Some(&row.id) == current.as_ref(),
                row,
            })
            .collect(),
        tokens: tokens
            .into_iter()
            .map(|token| TokenView {
                created: clock.when(token.created_at),
                expires: clock.maybe(&token.expires_at),
                last_used: clock.maybe(&token.last_used_at),
                token,
            })
            .collect(),
        full_name: match forms.profile.value("full_name") {
            "" => member.user.name.clone(),
            typed => typed.to_string(),
        },
        pending_email: pending.map(|p| (p.new_email, clock.when(p.expires_at))),
        forms,
        new_token,
        zone_groups: crate::web::pickers::zone_groups(now, member.user.time_zone.as_deref().unwrap_or_default()),
        my_zone: member.user.time_zone.clone().unwrap_or_default(),
        org_zone: member.org.time_zone.clone(),
    })
}

#[rocket::get("/dashboard/account")]
async fn account(ctx: PageCtx, member: Member, app: App<'_>) -> Result<Html<AccountPage>, AppError> {
    Ok(Html(
        page(ctx, &member, &app, app.now(), AccountForms::default(), None).await?,
    ))
}

#[derive(rocket::FromForm)]
struct ZoneForm {
    /// An IANA zone name, or "" for the organisation's.
    time_zone: String,
}

#[rocket::post("/dashboard/account/time-zone", data = "<form>")]
async fn set_time_zone(
    ctx: PageCtx,
    member: Member,
    form: Form<ZoneForm>,
    app: App<'_>,
) -> Result<Either<Flash<Redirect>, Custom<Html<AccountPage>>>, AppError> {
    let zone = form.into_inner().time_zone.trim().to_string();
    if !zone.is_empty() && zone.parse::<chrono_tz::Tz>().is_err() {
        let forms = AccountForms {
            zone: FormState::default().error_on("time_zone", "settings.error.time_zone"),
            ..Default::default()
        };
        let page = page(ctx, &member, &app, app.now(), forms, None).await?;
        return Ok(Either::Right(Custom(Status::UnprocessableEntity, Html(page))));
    }
    let (audit, user_id) = (member.audit(app.now()), member.user.id.clone());
    app.write(audit, move |tx| crate::auth::set_time_zone(tx, &user_id, &zone))
        .await?;
    Ok(Either::Left(Flash::success(
        Redirect::to("/dashboard/account"),
        ctx.t("account.time_zone_saved"),
    )))
}

#[rocket::post("/dashboard/account/sessions/<id>/revoke")]
async fn revoke_session(ctx: PageCtx, member: Member, id: &str, app: App<'_>) -> Result<Flash<Redirect>, AppError> {
    let (audit, user_id, id) = (member.audit(app.now()), member.user.id.clone(), id.to_string());
    app.write(audit, move |tx| {
        if !session::revoke(tx, &user_id, &id)? {
            return Err(AppError::NotFound);
        }
        audit::record(tx, "session.revoked", Some(("session", &id)), serde_json::json!({}))
    })
    .await?;
    Ok(Flash::success(
        Redirect::to("/dashboard/account"),
        ctx.t("account.session_revoked"),
    ))
}

#[rocket::post("/dashboard/account/sessions/revoke-others")]
async fn revoke_others(ctx: PageCtx, member: Member, app: App<'_>) -> Result<Flash<Redirect>, AppError> {
    let Via::Session { id } = &member.via else {
        return Err(AppError::Forbidden("error.browser_session_only".into()));
    };
    let (audit, user_id, keep) = (member.audit(app.now()), member.user.id.clone(), id.clone());
    let ended = app
        .write(audit, move |tx| {
            let ended = session::revoke_others(tx, &user_id, Some(&keep))?;
            audit::record(
                tx,
                "session.revoked_others",
                None,
                serde_json::json!({ "count": ended }),
            )?;
            Ok(ended)
        })
        .await?;
    Ok(Flash::success(
        Redirect::to("/dashboard/account"),
        ctx.lang.tf("account.others_revoked", &[("count", &ended.to_string())]),
    ))
}

#[derive(rocket::FromForm)]
struct TokenForm {
    #[field(default = String::new())]
    name: String,
    /// Days until it expires; 0 = never.
    #[field(default = 90)]
    days: i64,
}

#[rocket::post("/dashboard/account/tokens", data = "<form>")]
async fn create_token(
    ctx: PageCtx,
    member: Member,
    form: Form<TokenForm>,
    app: App<'_>,
) -> Result<Custom<Html<AccountPage>>, AppError> {
    let now = app.now();
    let name = form.name.trim().to_string();
    let bad_name = name.is_empty() || name.chars().count() > 100;
    if bad_name || ![0, 30, 90, 365].contains(&form.days) {
        let field = if bad_name { "name" } else { "days" };
        let state = FormState::with_values(&[("name", &name)]).error_on(
            field,
            if bad_name {
                "account.error.token_name"
            } else {
                "account.error.token_days"
            },
        );
        return Ok(Custom(
            Status::UnprocessableEntity,
            Html(
                page(
                    ctx,
                    &member,
                    &app,
                    now,
                    AccountForms {
                        token: state,
                        ..Default::default()
                    },
                    None,
                )
                .await?,
            ),
        ));
    }
    let expires = (form.days > 0).then(|| now + form.days * 86_400);
    let (audit, user_id, org_id) = (member.audit(now), member.user.id.clone(), member.org.id.clone());
    let secret = app
        .write(audit, move |tx| {
            let (token, secret) = api_tokens::create(tx, &user_id, &org_id, &name, expires, now)?;
            audit::record(
                tx,
                "api_token.created",
                Some(("api_token", &token.id)),
                serde_json::json!({ "name": name }),
            )?;
            Ok(secret)
        })
        .await?;
    Ok(Custom(
        Status::Created,
        Html(page(ctx, &member, &app, now, AccountForms::default(), Some(secret)).await?),
    ))
}

#[rocket::post("/dashboard/account/tokens/<id>/revoke")]
async fn revoke_token(ctx: PageCtx, member: Member, id: &str, app: App<'_>) -> Result<Flash<Redirect>, AppError> {
    let (audit, user_id, id) = (member.audit(app.now()), member.user.id.clone(), id.to_string());
    app.write(audit, move |tx| {
        if !api_tokens::revoke(tx, &user_id, &id)? {
            return Err(AppError::NotFound);
        }
        audit::record(tx, "api_token.revoked", Some(("api_token", &id)), serde_json::json!({}))
    })
    .await?;
    Ok(Flash::success(
        Redirect::to("/dashboard/account"),
        ctx.t("account.token_revoked"),
    ))
}

/// Sends the address-verification link again (3 an hour).
#[rocket::post("/dashboard/account/verify/resend")]
async fn resend_verification(ctx: PageCtx, member: Member, app: App<'_>) -> Result<Flash<Redirect>, AppError> {
    if member.user.email_verified {
        return Ok(Flash::success(
            Redirect::to("/dashboard"),
            ctx.t("account.already_verified"),
        ));
    }
    app.limits
        .check(crate::web::ratelimit::Limit::VerifyPerAccount, &member.user.id)?;
    let (now, user, lang, base) = (app.now(), member.user.clone(), ctx.lang, app.base_url().clone());
    app.db
        .write(move |tx| {
            let token = crate::auth::mail_tokens::issue(tx, &user.id, crate::auth::mail_tokens::Purpose::Verify, now)?;
            let mail = crate::auth::mails::verification(&user.email, &user.name, lang, &base, &token)?;
            crate::mail::queue(tx, None, &mail).map(|_| ())
        })
        .await?;
    Ok(Flash::success(
        Redirect::to("/dashboard"),
        ctx.t("account.verification_sent"),
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        account,
        set_time_zone,
        revoke_session,
        revoke_others,
        create_token,
        revoke_token,
        resend_verification
    ]
}
