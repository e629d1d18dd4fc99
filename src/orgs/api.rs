//! JSON API of identity and team: `/api/v1/me`, members, invitations and
//! the audit log. Everything is scoped to the org of the caller's session
//! or token; another org's ids answer 404.

use super::Member;
use super::escalation::guarded;
use super::perms::{Area, Level};
use super::team::{self, Invitation, MemberRow};
use crate::audit::pages::AuditQuery;
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

/// Pages a list held in memory by id (team lists are small).
fn page_by_id<T>(mut rows: Vec<T>, page: &PageParams, id: impl Fn(&T) -> String) -> Result<ListResponse<T>, AppError> {
    let limit = page.limit()?;
    rows.sort_by_key(&id);
    if let Some(cursor) = &page.cursor {
        rows.retain(|r| id(r).as_str() > cursor.as_str());
    }
    rows.truncate(limit as usize + 1);
    Ok(ListResponse::from_rows(rows, limit, id))
}

fn to_json<T>(list: ListResponse<T>, f: impl Fn(&T) -> Value) -> Json<Value> {
    Json(json!({ "data": list.data.iter().map(f).collect::<Vec<_>>(), "next_cursor": list.next_cursor }))
}

#[rocket::get("/api/v1/members?<page..>")]
async fn members(member: Member, page: PageParams, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Team, Level::View)?;
    let org_id = member.org.id.clone();
    let rows = app.db.read(move |c| team::members(c, &org_id)).await?;
    Ok(to_json(page_by_id(rows, &page, |m| m.user_id.clone())?, member_json))
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
    let (audit, org_id, actor, user_id) = (
        member.audit(app.now()),
        member.org.id.clone(),
        member.acting(),
        id.to_string(),
    );
    let target = ("user", user_id.clone());
    let row = guarded(app.db, audit.clone(), "member.role_change_refused", target, move |tx| {
        team::change_role(tx, &actor, &org_id, &user_id, &body.0.role, &base)?;
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
        id.to_string(),
    );
    let target = ("user", user_id.clone());
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
    let (actor, target) = (member.acting(), ("email", body.0.email.trim().to_string()));
    let invitation = guarded(app.db, audit.clone(), "invitation.refused", target, move |tx| {
        team::invite(tx, &org, &actor, &body.0.email, &body.0.role, &base)
    })
    .await?;
    Ok(created(invitation_json(&invitation)))
}

#[rocket::get("/api/v1/invitations?<page..>")]
async fn invitations(member: Member, page: PageParams, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Team, Level::View)?;
    let (org_id, now) = (member.org.id.clone(), app.now());
    let rows = app.db.read(move |c| team::pending_invitations(c, &org_id, now)).await?;
    Ok(to_json(page_by_id(rows, &page, |i| i.id.clone())?, invitation_json))
}

#[rocket::delete("/api/v1/invitations/<id>")]
async fn revoke_invitation(member: Member, id: &str, app: App<'_>) -> Result<Status, AppError> {
    member.require(Area::Team, Level::Manage)?;
    let (audit, org_id, id) = (member.audit(app.now()), member.org.id.clone(), id.to_string());
    app.write(audit, move |tx| team::revoke(tx, &org_id, &id)).await?;
    Ok(Status::NoContent)
}

/// `from`/`to` in the API take RFC 3339 times as well as whole days.
fn api_time(field: &str, value: &str) -> Result<Option<i64>, AppError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339) {
        return Ok(Some(t.unix_timestamp()));
    }
    let day = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(v, &day)
        .map(|d| Some(d.midnight().assume_utc().unix_timestamp() + if field == "to" { 86_400 } else { 0 }))
        .map_err(|_| AppError::invalid(field, "api.error.time"))
}

#[rocket::get("/api/v1/audit-log?<limit>&<q..>")]
async fn audit_log(member: Member, q: AuditQuery, limit: Option<i64>, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Team, Level::Manage)?;
    let limit = PageParams { limit, cursor: None }.limit()?;
    let mut filter = q.filter_without_dates();
    filter.from = api_time("from", q.from.as_deref().unwrap_or(""))?;
    filter.to = api_time("to", q.to.as_deref().unwrap_or(""))?;
    let org_id = member.org.id.clone();
    let rows = app
        .db
        .read(move |c| crate::audit::list(c, &org_id, &filter, limit + 1))
        .await?;
    let page = ListResponse::from_rows(rows, limit, |r| r.id.clone());
    Ok(to_json(page, |r| {
        json!({
            "id": r.id,
            "occurred_at": rfc3339(r.occurred_at),
            "action": r.action,
            "actor": { "type": r.actor_type, "id": r.actor_id, "label": r.actor_label },
            "target": r.target_type.as_ref().map(|t| json!({ "type": t, "id": r.target_id })),
            "ip": r.ip,
            "user_agent": r.user_agent,
            "metadata": r.metadata,
        })
    }))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        me,
        members,
        change_member,
        remove_member,
        invite,
        invitations,
        revoke_invitation,
        audit_log
    ]
}
