//! JSON API of identity and team: `/api/v1/me`, members and invitations
//! (the audit log's API is the audit feature's). Everything is scoped to the org of the caller's session
//! or token; another org's ids answer 404.

use super::escalation::guarded;
use super::perms::{Area, Level};
use super::team::{self, Invitation, MemberRow};
use super::{Member, RoleKey};
use crate::auth::{Email, UserId};
use crate::db::time::rfc3339;
use crate::error::AppError;
use crate::web::api::{ApiJson, Created, ListResponse, PageParams, created};
use crate::web::app::App;
use rocket::http::Status;
use rocket::serde::json::Json;
use serde::Deserialize;
use serde_json::{Value, json};

#[rocket::get("/api/v1/me")]
fn me(member: Member) -> Json<Value> {
    Json(json!({
        "user": {
            "id": member.user.id,
            "email": member.user.email,
            "name": member.user.name,
            "language": member.user.language,
        },
        "org": { "id": member.org.id, "slug": member.org.slug, "name": member.org.name },
        "role": member.role.key,
        "permissions": member.role.grants.list(),
    }))
}

fn member_json(m: &MemberRow) -> Value {
    json!({
        "id": m.user_id,
        "email": m.email,
        "name": m.name,
        "role": m.role,
        "two_factor": m.two_factor,
        "joined_at": rfc3339(m.joined_at),
        "last_active_at": m.last_active_at.map(rfc3339),
    })
}

fn invitation_json(i: &Invitation) -> Value {
    json!({
        "id": i.id,
        "email": i.email,
        "role": i.role,
        "status": i.status,
        "invited_by": i.invited_by,
        "created_at": rfc3339(i.created_at),
        "expires_at": rfc3339(i.expires_at),
    })
}

#[rocket::get("/api/v1/members?<page..>")]
async fn members(member: Member, page: PageParams, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Team, Level::View)?;
    let (org_id, limit, after) = (member.org.id.clone(), page.limit()?, page.cursor);
    let rows = app
        .db
        .read(move |c| team::members_by_id(c, &org_id, after.as_deref(), limit + 1))
        .await?;
    Ok(ListResponse::from_rows(rows, limit, |m| m.user_id.to_string()).json(member_json))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleChange {
    role: String,
}

#[rocket::patch("/api/v1/members/<id>", data = "<body>")]
async fn change_member(
    member: Member,
    id: &str,
    body: ApiJson<RoleChange>,
    app: App<'_>,
) -> Result<Json<Value>, AppError> {
    member.require(Area::Team, Level::Manage)?;
    let base = app.base_url().clone();
    let role = RoleKey::parse("role", &body.0.role)?;
    let (audit, org_id, actor, user_id) = (
        member.audit(app.now()),
        member.org.id.clone(),
        member.acting(),
        UserId::from_text(id),
    );
    let target = ("user", user_id.to_string());
    let row = guarded(app.db, audit.clone(), "member.role_change_refused", target, move |tx| {
        team::change_role(tx, &actor, &org_id, &user_id, &role, &base)?;
        team::members(tx, &org_id)?
            .into_iter()
            .find(|m| m.user_id == user_id)
            .ok_or(AppError::NotFound)
    })
    .await?;
    Ok(Json(member_json(&row)))
}

#[rocket::delete("/api/v1/members/<id>")]
async fn remove_member(member: Member, id: &str, app: App<'_>) -> Result<Status, AppError> {
    member.require(Area::Team, Level::Manage)?;
    let (audit, org_id, actor, user_id) = (
        member.audit(app.now()),
        member.org.id.clone(),
        member.acting(),
        UserId::from_text(id),
    );
    let target = ("user", user_id.to_string());
    guarded(app.db, audit.clone(), "member.removal_refused", target, move |tx| {
        team::remove_member(tx, &actor, &org_id, &user_id)
    })
    .await?;
    Ok(Status::NoContent)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewInvitation {
    email: String,
    #[serde(default = "default_role")]
    role: String,
}

fn default_role() -> String {
    "member".into()
}

#[rocket::post("/api/v1/invitations", data = "<body>")]
async fn invite(member: Member, body: ApiJson<NewInvitation>, app: App<'_>) -> Result<Created<Value>, AppError> {
    member.require(Area::Team, Level::Manage)?;
    if !member.user.email_verified {
        return Err(AppError::Forbidden("team.error.confirm_email_first".into()));
    }
    let now = app.now();
    let (audit, org, base) = (member.audit(now), member.org.clone(), app.base_url().clone());
    let (email, role) = (
        Email::parse("email", &body.0.email)?,
        RoleKey::parse("role", &body.0.role)?,
    );
    let (actor, target) = (member.acting(), ("email", email.to_string()));
    let invitation = guarded(app.db, audit.clone(), "invitation.refused", target, move |tx| {
        team::invite(tx, &org, &actor, &email, &role, &base)
    })
    .await?;
    Ok(created(invitation_json(&invitation)))
}

#[rocket::get("/api/v1/invitations?<page..>")]
async fn invitations(member: Member, page: PageParams, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Team, Level::View)?;
    let (org_id, now, limit, after) = (member.org.id.clone(), app.now(), page.limit()?, page.cursor);
    let rows = app
        .db
        .read(move |c| team::pending_invitations_by_id(c, &org_id, now, after.as_deref(), limit + 1))
        .await?;
    Ok(ListResponse::from_rows(rows, limit, |i| i.id.clone()).json(invitation_json))
}

#[rocket::delete("/api/v1/invitations/<id>")]
async fn revoke_invitation(member: Member, id: &str, app: App<'_>) -> Result<Status, AppError> {
    member.require(Area::Team, Level::Manage)?;
    let (audit, org_id, id) = (member.audit(app.now()), member.org.id.clone(), id.to_string());
    app.write(audit, move |tx| team::revoke(tx, &org_id, &id)).await?;
    Ok(Status::NoContent)
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        me,
        members,
        change_member,
        remove_member,
        invite,
        invitations,
        revoke_invitation
    ]
}
