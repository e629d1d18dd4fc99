//! JSON API of the support desk: tickets (`/api/v1/support/tickets`),
//! their messages (replies and internal notes) and the categories.

use super::categories::CategoryInput;
use super::conversation;
use super::tickets::{self, Ticket, TicketChange, TicketInput};
use super::{Status, TicketId};
use crate::db::time::rfc3339;
use crate::error::AppError;
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};
use crate::web::api::{ApiJson, Created, created};
use crate::web::app::App;
use rocket::serde::json::Json;
use serde::Deserialize;
use serde_json::{Value, json};

/// A ticket as the API shows it.
pub fn ticket_json(t: &Ticket) -> Value {
    json!({
        "id": t.id, "number": t.number, "subject": t.subject, "description": t.description,
        "category_id": t.category_id, "category": t.category_name, "priority": t.priority, "status": t.status,
        "requester": { "email": t.requester_email, "name": t.requester_name },
        "assignee_id": t.assignee_id, "assignee": t.assignee_name, "order_ref": t.order_ref,
        "created_at": rfc3339(t.created_at), "updated_at": rfc3339(t.updated_at),
        "first_response_at": t.first_response_at.map(rfc3339), "resolved_at": t.resolved_at.map(rfc3339),
        "closed_at": t.closed_at.map(rfc3339),
    })
}

#[rocket::get("/api/v1/support/tickets?<q..>")]
async fn list(member: Member, q: super::pages::ListQuery, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Support, Level::View)?;
    let (org_id, filter) = (member.org.id.to_string(), q.filter(&member));
    let rows = app.db.read(move |c| tickets::list(c, &org_id, &filter, 200)).await?;
    Ok(Json(
        json!({ "data": rows.iter().map(ticket_json).collect::<Vec<_>>(), "next_cursor": null }),
    ))
}

#[rocket::post("/api/v1/support/tickets", data = "<body>")]
async fn create(member: Member, body: ApiJson<TicketInput>, app: App<'_>) -> Result<Created<Value>, AppError> {
    member.require(Area::Support, Level::Edit)?;
    let new = body.0.parse(false).map_err(AppError::Invalid)?;
    let (audit, org_id, user, base) = (
        member.audit(app.now()),
        member.org.id.to_string(),
        member.user.clone(),
        app.base_url().clone(),
    );
    let ticket = app
        .write(audit, move |tx| {
            tickets::create(tx, &org_id, &new, tickets::Opener::Member(&user), &base)
        })
        .await?;
    Ok(created(ticket_json(&ticket)))
}

#[rocket::get("/api/v1/support/tickets/<id>")]
async fn show(member: Member, id: TicketId, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Support, Level::View)?;
    let org_id = member.org.id.to_string();
    let (ticket, events) = app
        .db
        .read(move |c| {
            let ticket = tickets::get(c, &org_id, &id)?.ok_or(AppError::NotFound)?;
            let events = tickets::events(c, &ticket.id)?;
            Ok((ticket, events))
        })
        .await?;
    let mut out = ticket_json(&ticket);
    out["timeline"] = events
        .iter()
        .map(|e| json!({ "at": rfc3339(e.at), "by": e.by, "field": e.field, "from": e.old_value, "to": e.new_value }))
        .collect();
    Ok(Json(out))
}

#[rocket::patch("/api/v1/support/tickets/<id>", data = "<body>")]
async fn update(
    member: Member,
    id: TicketId,
    body: ApiJson<TicketChange>,
    app: App<'_>,
) -> Result<Json<Value>, AppError> {
    member.require(Area::Support, Level::Edit)?;
    let (audit, org_id, user, base, change) = (
        member.audit(app.now()),
        member.org.id.to_string(),
        member.user.clone(),
        app.base_url().clone(),
        body.0,
    );
    let ticket = app
        .write(audit, move |tx| {
            tickets::change(tx, &org_id, &id, &change, &user, &base)
        })
        .await?;
    Ok(Json(ticket_json(&ticket)))
}

fn entry_json(e: &conversation::Entry) -> Value {
    json!({ "id": e.id, "author": e.author, "author_name": e.author_name, "body": e.body, "internal": e.internal,
            "created_at": rfc3339(e.created_at) })
}

#[rocket::get("/api/v1/support/tickets/<id>/messages")]
async fn messages(member: Member, id: TicketId, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Support, Level::View)?;
    let org_id = member.org.id.to_string();
    let entries = app
        .db
        .read(move |c| {
            let ticket = tickets::get(c, &org_id, &id)?.ok_or(AppError::NotFound)?;
            conversation::list(c, &ticket, true)
        })
        .await?;
    Ok(Json(
        json!({ "data": entries.iter().map(entry_json).collect::<Vec<_>>(), "next_cursor": null }),
    ))
}

/// A reply (`internal` false: mailed to the requester) or an internal note.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageInput {
    body: String,
    #[serde(default)]
    internal: bool,
    /// The status the ticket takes after it.
    #[serde(default)]
    status: Option<String>,
}

#[rocket::post("/api/v1/support/tickets/<id>/messages", data = "<body>")]
async fn post_message(
    member: Member,
    id: TicketId,
    body: ApiJson<MessageInput>,
    app: App<'_>,
) -> Result<Created<Value>, AppError> {
    member.require(Area::Support, Level::Edit)?;
    let input = body.0;
    let then = input
        .status
        .as_deref()
        .map(|s| Status::parse("status", s))
        .transpose()?;
    let (audit, org_id, user, base) = (
        member.audit(app.now()),
        member.org.id.to_string(),
        member.user.clone(),
        app.base_url().clone(),
    );
    let entry = app
        .write(audit, move |tx| {
            let ticket = tickets::get(tx, &org_id, &id)?.ok_or(AppError::NotFound)?;
            let made = conversation::member_reply(tx, &ticket, &user, &input.body, input.internal, then, &base)?;
            let entries = conversation::list(tx, &ticket, true)?;
            entries.into_iter().find(|e| e.id == made).ok_or(AppError::NotFound)
        })
        .await?;
    Ok(created(entry_json(&entry)))
}

#[rocket::get("/api/v1/support/categories")]
async fn categories(member: Member, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Support, Level::View)?;
    let org_id = member.org.id.to_string();
    let rows = app.db.read(move |c| super::categories::list(c, &org_id)).await?;
    Ok(Json(json!({ "data": rows, "next_cursor": null })))
}

#[rocket::post("/api/v1/support/categories", data = "<body>")]
async fn add_category(member: Member, body: ApiJson<CategoryInput>, app: App<'_>) -> Result<Created<Value>, AppError> {
    member.require(Area::Support, Level::Manage)?;
    let (audit, org_id, input) = (member.audit(app.now()), member.org.id.to_string(), body.0);
    let category = app
        .write(audit, move |tx| super::categories::create(tx, &org_id, &input))
        .await?;
    Ok(created(json!(category)))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        list,
        create,
        show,
        update,
        messages,
        post_message,
        categories,
        add_category
    ]
}
