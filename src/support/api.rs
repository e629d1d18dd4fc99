//! JSON API of the support desk: tickets (`/api/v1/support/tickets`),
//! their messages (replies and internal notes), their attached files and
//! the categories.

use super::attachments::{self, Attachment, AttachmentId};
use super::categories::CategoryInput;
use super::conversation;
use super::kb;
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
        "closed_at": t.closed_at.map(rfc3339), "tags": t.tags,
        "satisfaction": t.satisfaction.as_ref().map(|s| json!({ "score": s, "comment": t.satisfaction_comment })),
    })
}

#[rocket::get("/api/v1/support/tickets?<q..>")]
async fn list(member: Member, q: super::pages::ListQuery, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Support, Level::View)?;
    let (org_id, filter) = (member.org.id.to_string(), q.filter(&member, app.now()));
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
    let (ticket, events, files, values) = app
        .db
        .read(move |c| {
            let ticket = tickets::get(c, &org_id, &id)?.ok_or(AppError::NotFound)?;
            let events = tickets::events(c, &ticket.id)?;
            let files = attachments::of_ticket(c, &ticket.id, true)?;
            let values = super::fields::values_of(c, &ticket.id)?;
            Ok((ticket, events, files, values))
        })
        .await?;
    let mut out = ticket_json(&ticket);
    out["fields"] = values
        .iter()
        .map(|(label, kind, value)| json!({ "label": label, "kind": kind, "value": value }))
        .collect();
    out["attachments"] = files.iter().map(attachment_json).collect();
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

fn entry_json(e: &conversation::Entry, files: &[Attachment]) -> Value {
    let files: Vec<Value> = attachments::on(files, Some(&e.id))
        .into_iter()
        .map(attachment_json)
        .collect();
    json!({ "id": e.id, "author": e.author, "author_name": e.author_name, "body": e.body, "internal": e.internal,
            "created_at": rfc3339(e.created_at), "attachments": files })
}

/// A file as the API shows it (`url` downloads it).
fn attachment_json(a: &Attachment) -> Value {
    json!({ "id": a.id, "message_id": a.message_id, "name": a.name, "content_type": a.mime, "size": a.size,
            "internal": a.internal, "url": format!("/api/v1/support/attachments/{}", a.id),
            "created_at": rfc3339(a.created_at) })
}

#[rocket::get("/api/v1/support/tickets/<id>/messages")]
async fn messages(member: Member, id: TicketId, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Support, Level::View)?;
    let org_id = member.org.id.to_string();
    let (entries, files) = app
        .db
        .read(move |c| {
            let ticket = tickets::get(c, &org_id, &id)?.ok_or(AppError::NotFound)?;
            Ok((
                conversation::list(c, &ticket, true)?,
                attachments::of_ticket(c, &ticket.id, true)?,
            ))
        })
        .await?;
    let data: Vec<Value> = entries.iter().map(|e| entry_json(e, &files)).collect();
    Ok(Json(json!({ "data": data, "next_cursor": null })))
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
            let made = conversation::member_reply(
                tx,
                &ticket,
                &user,
                &conversation::Reply::new(&input.body, input.internal, then),
                &base,
            )?;
            let entries = conversation::list(tx, &ticket, true)?;
            entries.into_iter().find(|e| e.id == made).ok_or(AppError::NotFound)
        })
        .await?;
    Ok(created(entry_json(&entry, &[])))
}

/// Files posted to a ticket: `file` (once or more), and `message_id` to
/// attach them to one of its messages (else to the ticket itself).
#[derive(rocket::FromForm)]
struct FilesUpload<'r> {
    #[field(default = Vec::new())]
    file: Vec<rocket::fs::TempFile<'r>>,
    message_id: Option<String>,
}

#[rocket::post("/api/v1/support/tickets/<id>/attachments", data = "<form>")]
async fn attach(
    member: Member,
    id: TicketId,
    form: rocket::form::Form<FilesUpload<'_>>,
    app: App<'_>,
) -> Result<Created<Value>, AppError> {
    member.require(Area::Support, Level::Edit)?;
    if form.file.iter().all(|f| f.len() == 0) {
        return Err(AppError::invalid("file", "support.error.file_missing"));
    }
    let files = attachments::receive(app.config, "file", &form.file).await?;
    let (audit, org_id, message) = (
        member.audit(app.now()),
        member.org.id.to_string(),
        form.message_id.clone().filter(|m| !m.trim().is_empty()),
    );
    let made = app
        .write(audit, move |tx| {
            let ticket = tickets::get(tx, &org_id, &id)?.ok_or(AppError::NotFound)?;
            let message = match message {
                None => None,
                Some(m) => Some(
                    conversation::of_ticket(tx, &ticket, &m)?
                        .ok_or_else(|| AppError::invalid("message_id", "support.error.message"))?,
                ),
            };
            let ids = attachments::attach(tx, &ticket.id, message.as_ref(), &files)?;
            crate::audit::record(
                tx,
                "support.files_attached",
                Some(("ticket", &ticket.id)),
                json!({ "number": ticket.number, "files": ids.len() }),
            )?;
            let all = attachments::of_ticket(tx, &ticket.id, true)?;
            Ok(all.into_iter().filter(|a| ids.contains(&a.id)).collect::<Vec<_>>())
        })
        .await?;
    Ok(created(
        json!({ "data": made.iter().map(attachment_json).collect::<Vec<_>>() }),
    ))
}

#[rocket::get("/api/v1/support/attachments/<id>")]
async fn attachment(member: Member, id: AttachmentId, app: App<'_>) -> Result<crate::files::Private, AppError> {
    attachments::Download::for_member(&app, &member, id).await
}

#[rocket::get("/api/v1/support/categories")]
async fn categories(member: Member, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Support, Level::View)?;
    let org_id = member.org.id.to_string();
    let (rows, fields) = app
        .db
        .read(move |c| Ok((super::categories::list(c, &org_id)?, super::fields::of_org(c, &org_id)?)))
        .await?;
    let data: Vec<Value> = rows
        .iter()
        .map(|cat| {
            let mut v = json!(cat);
            v["fields"] = fields
                .iter()
                .filter(|f| f.category_id == cat.id)
                .map(super::fields_pages::field_json)
                .collect();
            v
        })
        .collect();
    Ok(Json(json!({ "data": data, "next_cursor": null })))
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

fn article_json(a: &kb::Article) -> Value {
    json!({ "id": a.id, "title": a.title, "slug": a.slug, "body": a.body, "category_id": a.category_id,
            "lang": a.lang, "status": a.status, "visibility": a.visibility, "views": a.views,
            "helpful": { "yes": a.helpful_yes, "no": a.helpful_no },
            "created_at": rfc3339(a.created_at), "updated_at": rfc3339(a.updated_at) })
}

#[rocket::get("/api/v1/support/kb/articles")]
async fn articles(member: Member, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Support, Level::View)?;
    let org_id = member.org.id.to_string();
    let rows = app.db.read(move |c| kb::list(c, &org_id, None, None)).await?;
    Ok(Json(
        json!({ "data": rows.iter().map(article_json).collect::<Vec<_>>(), "next_cursor": null }),
    ))
}

#[rocket::post("/api/v1/support/kb/articles", data = "<body>")]
async fn add_article(
    member: Member,
    body: ApiJson<kb::ArticleInput>,
    app: App<'_>,
) -> Result<Created<Value>, AppError> {
    member.require(Area::Support, Level::Edit)?;
    let spec = body.0.parse().map_err(AppError::Invalid)?;
    let (audit, org_id) = (member.audit(app.now()), member.org.id.to_string());
    let article = app.write(audit, move |tx| kb::create(tx, &org_id, &spec)).await?;
    Ok(created(article_json(&article)))
}

#[rocket::get("/api/v1/support/kb/articles/<id>")]
async fn article(member: Member, id: kb::ArticleId, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Support, Level::View)?;
    let org_id = member.org.id.to_string();
    let found = app
        .db
        .read(move |c| kb::get(c, &org_id, &id))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(article_json(&found)))
}

#[rocket::patch("/api/v1/support/kb/articles/<id>", data = "<body>")]
async fn edit_article(
    member: Member,
    id: kb::ArticleId,
    body: ApiJson<kb::ArticleInput>,
    app: App<'_>,
) -> Result<Json<Value>, AppError> {
    member.require(Area::Support, Level::Edit)?;
    let (audit, org_id, patch) = (member.audit(app.now()), member.org.id.to_string(), body.0);
    let article = app
        .write(audit, move |tx| {
            let before = kb::get(tx, &org_id, &id)?.ok_or(AppError::NotFound)?;
            let spec = kb::ArticleInput::of(&before)
                .overlaid(patch)
                .parse()
                .map_err(AppError::Invalid)?;
            kb::update(tx, &org_id, &id, &spec)
        })
        .await?;
    Ok(Json(article_json(&article)))
}

#[rocket::delete("/api/v1/support/kb/articles/<id>")]
async fn delete_article(member: Member, id: kb::ArticleId, app: App<'_>) -> Result<rocket::http::Status, AppError> {
    member.require(Area::Support, Level::Edit)?;
    let (audit, org_id) = (member.audit(app.now()), member.org.id.to_string());
    app.write(audit, move |tx| kb::delete(tx, &org_id, &id)).await?;
    Ok(rocket::http::Status::NoContent)
}

#[rocket::get("/api/v1/support/kb/search?<q>&<lang>")]
async fn kb_search(member: Member, q: String, lang: Option<String>, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Support, Level::View)?;
    let lang = lang.filter(|l| !l.is_empty());
    if lang.as_deref().is_some_and(|l| l != "en" && l != "fr") {
        return Err(AppError::invalid("lang", "support.error.lang"));
    }
    let org_id = member.org.id.to_string();
    let hits = app
        .db
        .read(move |c| kb::search(c, &org_id, &q, lang.as_deref(), kb::Audience::Members, 50))
        .await?;
    let data: Vec<Value> = hits
        .iter()
        .map(|h| {
            let mut a = article_json(&h.article);
            a["snippet"] = kb::snippet_html(&h.snippet).into();
            a
        })
        .collect();
    Ok(Json(json!({ "data": data, "next_cursor": null })))
}

/// The inbound secret of a mail post: `Authorization: Bearer …` or `?key=`.
pub struct InboundKey(Option<String>);

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for InboundKey {
    type Error = std::convert::Infallible;
    async fn from_request(req: &'r rocket::Request<'_>) -> rocket::request::Outcome<Self, Self::Error> {
        let bearer = req
            .headers()
            .get_one("Authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::to_string);
        let query = req.query_value::<String>("key").and_then(Result::ok);
        rocket::request::Outcome::Success(InboundKey(bearer.or(query)))
    }
}

/// A raw RFC 5322 message, posted by an MTA pipe or a forwarding service.
#[rocket::post("/api/v1/support/inbound", data = "<raw>")]
async fn inbound(key: InboundKey, raw: rocket::Data<'_>, app: App<'_>) -> Result<Json<Value>, AppError> {
    let secret = key.0.ok_or(AppError::Unauthenticated)?;
    let org_id = app
        .db
        .read(move |c| super::inbound::org_of_secret(c, &secret))
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let bytes = raw
        .open(app.config.limit_upload)
        .into_bytes()
        .await
        .map_err(|e| AppError::internal(e.to_string()))?;
    if !bytes.is_complete() {
        return Err(AppError::TooLarge);
    }
    let (raw, base, config) = (bytes.into_inner(), app.base_url().clone(), app.config.clone());
    let (raw, files) = tokio::task::spawn_blocking(move || {
        let files = attachments::store(&config, super::inbound::files_of(&raw));
        (raw, files)
    })
    .await
    .map_err(|e| AppError::internal(format!("storing files: {e}")))?;
    let files = files?;
    let origin = crate::db::AuditCtx::system(Some(&org_id), app.now());
    let landed = app
        .write(origin, move |tx| super::inbound::take(tx, &org_id, &raw, &files, &base))
        .await?;
    Ok(Json(json!(landed)))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        list,
        create,
        show,
        update,
        messages,
        post_message,
        attach,
        attachment,
        categories,
        add_category,
        articles,
        add_article,
        article,
        edit_article,
        delete_article,
        kb_search,
        inbound
    ]
}
