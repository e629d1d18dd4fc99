//! The team pages: members and invitations (`/dashboard/team`), and the
//! page an invitation link opens (`/invitations/<token>`), where the
//! invitee joins with their account or creates one.

use super::escalation::guarded;
use super::perms::{Area, Level};
use super::team::{self, Invitation, MemberRow, OpenInvitation};
use super::{Member, Role, RoleKey};
use crate::auth::{ClientInfo, MaybeIdentity, NewUser, password, session};
use crate::auth::{Email, UserId};
use crate::error::AppError;
use crate::web::app::App;
use crate::web::confirm::ConfirmPage;
use crate::web::forms::{Checks, FormState};
use crate::web::page::{Html, PageCtx};
use crate::web::shell::Shell;
use askama::Template;
use rocket::Either;
use rocket::form::Form;
use rocket::http::{CookieJar, Status};
use rocket::response::status::Custom;
use rocket::response::{Flash, Redirect};

#[derive(Template)]
#[template(path = "orgs/team.html")]
struct TeamPage {
    ctx: PageCtx,
    shell: Shell,
    members: Vec<MemberRow>,
    invitations: Vec<Invitation>,
    roles: Vec<Role>,
    can_manage: bool,
    can_invite: bool,
    is_owner: bool,
    me: UserId,
    form: FormState,
    clock: crate::web::when::Clockface,
}

async fn team_page(
    ctx: PageCtx,
    member: &Member,
    app: &App<'_>,
    now: i64,
    form: FormState,
) -> Result<TeamPage, AppError> {
    member.require(Area::Team, Level::View)?;
    let org_id = member.org.id.clone();
    let (members, invitations, roles) = app
        .db
        .read(move |c| {
            Ok((
                team::members(c, &org_id)?,
                team::pending_invitations(c, &org_id, now)?,
                team::roles(c, &org_id)?,
            ))
        })
        .await?;
    let can_manage = member.can(Area::Team, Level::Manage);
    let clock = member.clockface(ctx.lang, now);
    Ok(TeamPage {
        ctx,
        clock,
        shell: Shell::new(member, "team"),
        members,
        invitations,
        roles: roles
            .into_iter()
            .filter(|r| r.key != "owner" || member.role.key == "owner")
            .collect(),
        can_manage,
        can_invite: can_manage && member.user.email_verified,
        is_owner: member.role.key == "owner",
        me: member.user.id.clone(),
        form,
    })
}

#[rocket::get("/dashboard/team")]
async fn team_index(ctx: PageCtx, member: Member, app: App<'_>) -> Result<Html<TeamPage>, AppError> {
    Ok(Html(
        team_page(ctx, &member, &app, app.now(), FormState::default()).await?,
    ))
}

#[derive(rocket::FromForm)]
struct InviteForm {
    #[field(default = String::new())]
    email: String,
    #[field(default = String::from("member"))]
    role: String,
}

#[rocket::post("/dashboard/team/invite", data = "<form>")]
async fn invite(
    ctx: PageCtx,
    member: Member,
    form: Form<InviteForm>,
    app: App<'_>,
) -> Result<Either<Flash<Redirect>, Custom<Html<TeamPage>>>, AppError> {
    member.require(Area::Team, Level::Manage)?;
    let now = app.now();
    if !member.user.email_verified {
        return Err(AppError::Forbidden("team.error.confirm_email_first".into()));
    }
    let (audit, org, base) = (member.audit(now), member.org.clone(), app.base_url().clone());
    let sent_to = form.email.trim().to_string();
    let result = async {
        let (email, role) = (Email::parse("email", &form.email)?, RoleKey::parse("role", &form.role)?);
        let (actor, target) = (member.acting(), ("email", email.to_string()));
        guarded(app.db, audit.clone(), "invitation.refused", target, move |tx| {
            team::invite(tx, &org, &actor, &email, &role, &base).map(|_| ())
        })
        .await
    }
    .await;
    match result {
        Ok(()) => {
            // Without SMTP the mail is a file: say where, so a person trying
            // Luneo out finds the link.
            let msg = match app.mailer.files_dir() {
                Some(dir) => ctx.lang.tf(
                    "team.invited_to_file",
                    &[("email", &sent_to), ("folder", &dir.display().to_string())],
                ),
                None => ctx.lang.tf("team.invited", &[("email", &sent_to)]),
            };
            Ok(Either::Left(Flash::success(Redirect::to("/dashboard/team"), msg)))
        }
        Err(AppError::Invalid(errors)) => {
            let state = FormState::with_values(&[("email", &form.email), ("role", &form.role)]).with_errors(errors);
            let page = team_page(ctx, &member, &app, now, state).await?;
            Ok(Either::Right(Custom(Status::UnprocessableEntity, Html(page))))
        }
        Err(other) => Err(other),
    }
}

#[rocket::post("/dashboard/team/invitations/<id>/<action>")]
async fn invitation_action(
    ctx: PageCtx,
    member: Member,
    id: &str,
    action: &str,
    app: App<'_>,
) -> Result<Flash<Redirect>, AppError> {
    member.require(Area::Team, Level::Manage)?;
    let now = app.now();
    let (audit, org, inviter, base, id) = (
        member.audit(now),
        member.org.clone(),
        member.user.name.clone(),
        app.base_url().clone(),
        id.to_string(),
    );
    let message = match action {
        "resend" => {
            app.write(audit, move |tx| {
                team::resend(tx, &org, &inviter, &id, &base).map(|_| ())
            })
            .await?;
            ctx.t("team.resent")
        }
        "revoke" => {
            app.write(audit, move |tx| team::revoke(tx, &org.id, &id)).await?;
            ctx.t("team.revoked")
        }
        _ => return Err(AppError::NotFound),
    };
    Ok(Flash::success(Redirect::to("/dashboard/team"), message))
}

#[derive(rocket::FromForm)]
struct RoleForm {
    role: String,
}

#[rocket::post("/dashboard/team/members/<user_id>/role", data = "<form>")]
async fn change_role(
    ctx: PageCtx,
    member: Member,
    user_id: UserId,
    form: Form<RoleForm>,
    app: App<'_>,
) -> Result<Flash<Redirect>, AppError> {
    member.require(Area::Team, Level::Manage)?;
    let base = app.base_url().clone();
    let role = RoleKey::parse("role", &form.role)?;
    let (audit, org_id, actor) = (member.audit(app.now()), member.org.id.clone(), member.acting());
    let target = ("user", user_id.to_string());
    guarded(app.db, audit.clone(), "member.role_change_refused", target, move |tx| {
        team::change_role(tx, &actor, &org_id, &user_id, &role, &base)
    })
    .await?;
    Ok(Flash::success(
        Redirect::to("/dashboard/team"),
        ctx.t("team.role_changed"),
    ))
}

/// Asks before removing a member, saying what will happen.
#[rocket::get("/dashboard/team/members/<user_id>/remove")]
async fn confirm_remove(
    ctx: PageCtx,
    member: Member,
    user_id: UserId,
    app: App<'_>,
) -> Result<Html<ConfirmPage>, AppError> {
    member.require(Area::Team, Level::Manage)?;
    let org_id = member.org.id.clone();
    let members = app.db.read(move |c| team::members(c, &org_id)).await?;
    let target = members
        .into_iter()
        .find(|m| m.user_id == user_id && m.user_id != member.user.id)
        .ok_or(AppError::NotFound)?;
    let args = [("name", target.name.as_str()), ("org", member.org.name.as_str())];
    let (t, tf) = (|k: &str| ctx.t(k).to_string(), |k: &str| ctx.lang.tf(k, &args));
    Ok(Html(ConfirmPage {
        title: tf("team.remove_confirm"),
        consequences: vec![
            tf("team.remove_access"),
            tf("team.remove_tokens"),
            t("team.remove_keeps"),
            t("team.remove_undo"),
        ],
        action: format!("/dashboard/team/members/{user_id}/remove"),
        button: tf("team.remove_button"),
        back: "/dashboard/team".into(),
        shell: Shell::new(&member, "team"),
        ctx,
    }))
}

#[rocket::post("/dashboard/team/members/<user_id>/remove")]
async fn remove(ctx: PageCtx, member: Member, user_id: UserId, app: App<'_>) -> Result<Flash<Redirect>, AppError> {
    member.require(Area::Team, Level::Manage)?;
    let (audit, org_id, actor) = (member.audit(app.now()), member.org.id.clone(), member.acting());
    let target = ("user", user_id.to_string());
    guarded(app.db, audit.clone(), "member.removal_refused", target, move |tx| {
        team::remove_member(tx, &actor, &org_id, &user_id)
    })
    .await?;
    Ok(Flash::success(Redirect::to("/dashboard/team"), ctx.t("team.removed")))
}

#[derive(rocket::FromForm)]
struct TransferForm {
    #[field(default = String::new())]
    user_id: String,
    #[field(default = String::new())]
    password: String,
}

/// Hands ownership to another member, confirmed by the owner's password.
#[rocket::post("/dashboard/team/transfer", data = "<form>")]
async fn transfer(
    ctx: PageCtx,
    member: Member,
    form: Form<TransferForm>,
    app: App<'_>,
) -> Result<Either<Flash<Redirect>, Custom<Html<TeamPage>>>, AppError> {
    let now = app.now();
    let (pw, stored) = (form.password.clone(), member.user.password_hash.clone());
    let ok = password::verify_blocking(pw, stored).await?;
    if !ok {
        let state = FormState::default().error_on("password", "team.error.transfer_password");
        let page = team_page(ctx, &member, &app, now, state).await?;
        return Ok(Either::Right(Custom(Status::UnprocessableEntity, Html(page))));
    }
    let (audit, org_id, from, to) = (
        member.audit(now),
        member.org.id.clone(),
        member.user.id.clone(),
        UserId::from_text(form.user_id.as_str()),
    );
    app.write(audit, move |tx| team::transfer_ownership(tx, &org_id, &from, &to))
        .await?;
    Ok(Either::Left(Flash::success(
        Redirect::to("/dashboard/team"),
        ctx.t("team.transferred"),
    )))
}

#[derive(Template)]
#[template(path = "orgs/accept.html")]
struct AcceptPage {
    ctx: PageCtx,
    invitation: Option<OpenInvitation>,
    /// The signed-in account's address, if someone is signed in.
    signed_in_as: Option<String>,
    account_exists: bool,
    token: String,
    form: FormState,
}

async fn accept_page(
    ctx: PageCtx,
    token: &str,
    me: &MaybeIdentity,
    app: &App<'_>,
    now: i64,
    form: FormState,
) -> Result<AcceptPage, AppError> {
    let t = token.to_string();
    let invitation = app.db.read(move |c| team::by_token(c, &t, now)).await?;
    let account_exists = match &invitation {
        Some(i) => {
            let email = i.email.clone();
            app.db
                .read(move |c| crate::auth::find_by_email(c, &email))
                .await?
                .is_some()
        }
        None => false,
    };
    Ok(AcceptPage {
        ctx,
        invitation,
        signed_in_as: me.0.as_ref().map(|i| i.user.email.clone()),
        account_exists,
        token: token.to_string(),
        form,
    })
}

#[rocket::get("/invitations/<token>")]
async fn open_invitation(
    ctx: PageCtx,
    token: &str,
    me: MaybeIdentity,
    app: App<'_>,
) -> Result<Html<AcceptPage>, AppError> {
    Ok(Html(
        accept_page(ctx, token, &me, &app, app.now(), FormState::default()).await?,
    ))
}

#[derive(rocket::FromForm)]
struct AcceptForm {
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    password: String,
}

#[rocket::post("/invitations/<token>", data = "<form>")]
async fn accept(
    ctx: PageCtx,
    token: &str,
    form: Form<AcceptForm>,
    me: MaybeIdentity,
    app: App<'_>,
    client: ClientInfo,
    jar: &CookieJar<'_>,
) -> Result<Either<Flash<Redirect>, Custom<Html<AcceptPage>>>, AppError> {
    let now = app.now();
    let base = app.base_url().clone();
    let t = token.to_string();
    let Some(invitation) = app.db.read(move |c| team::by_token(c, &t, now)).await? else {
        return Err(AppError::NotFound);
    };
    let done = ctx.lang.tf("team.joined", &[("org", &invitation.org.name)]);
    if let Some(identity) = &me.0 {
        // Signed in: only the account the invitation was sent to may take it.
        if !identity.user.email.eq_ignore_ascii_case(&invitation.email) {
            return Err(AppError::Forbidden("team.error.invitation_other_address".into()));
        }
        let (user, inv) = (identity.user.clone(), invitation.clone());
        let audit = crate::audit::AuditCtx::by_user(
            &user,
            Some(inv.org.id.to_string()),
            client.ip.clone(),
            client.user_agent.clone(),
            now,
        );
        let session_id = match &identity.via {
            crate::auth::Via::Session { id } => Some(id.clone()),
            _ => None,
        };
        app.write(audit, move |tx| {
            team::accept(tx, &inv, &user.id, &base)?;
            crate::auth::mark_verified(tx, &user.id, now)?;
            if let Some(s) = session_id {
                session::set_org(tx, &s, &inv.org.id)?;
            }
            Ok(())
        })
        .await?;
        return Ok(Either::Left(Flash::success(Redirect::to("/dashboard"), done)));
    }
    let email = invitation.email.clone();
    if app
        .db
        .read(move |c| crate::auth::find_by_email(c, &email))
        .await?
        .is_some()
    {
        // An existing account signs in first, then comes back here.
        let next = format!("/invitations/{token}");
        let to = format!("/login?next={}", rocket::http::RawStr::new(&next).percent_encode());
        return Ok(Either::Left(Flash::success(
            Redirect::to(to),
            ctx.t("team.sign_in_to_join"),
        )));
    }
    let mut checks = Checks::default();
    checks.check(!form.name.trim().is_empty(), "name", "auth.error.name_missing");
    checks.check(form.name.trim().chars().count() <= 100, "name", "auth.error.name_long");
    if let Err(key) = password::check_policy(&form.password, &[&form.name, &invitation.email]) {
        checks.check(false, "password", key);
    }
    if let Err(errors) = checks.into_result() {
        let state = FormState::with_values(&[("name", &form.name)]).with_errors(errors);
        let page = accept_page(ctx, token, &me, &app, now, state).await?;
        return Ok(Either::Right(Custom(Status::UnprocessableEntity, Html(page))));
    }
    let hash = password::hash_blocking(form.password.clone()).await?;
    let (name, lang, inv) = (form.name.clone(), ctx.lang.code(), invitation.clone());
    let cookie = app
        .write(client.anonymous(now), move |tx| {
            // The mail reached this address: it counts as verified.
            let user = crate::auth::create_user(
                tx,
                &NewUser {
                    email: &inv.email,
                    name: &name,
                    password_hash: Some(hash),
                    language: Some(lang),
                    verified: true,
                    instance_admin: false,
                },
                now,
            )?;
            tx.act_as(client.acting(&user, Some(inv.org.id.clone()), now));
            team::accept(tx, &inv, &user.id, &base)?;
            let (_, token) = session::create(
                tx,
                &user.id,
                Some(&inv.org.id),
                now,
                client.ip.as_deref(),
                client.user_agent.as_deref(),
            )?;
            crate::audit::record(tx, "user.signed_in", Some(("user", &user.id)), serde_json::json!({}))?;
            Ok(token)
        })
        .await?;
    session::set_cookie(jar, cookie, app.config.https());
    Ok(Either::Left(Flash::success(Redirect::to("/dashboard"), done)))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        team_index,
        transfer,
        invite,
        invitation_action,
        change_role,
        confirm_remove,
        remove,
        open_invitation,
        accept
    ]
}
