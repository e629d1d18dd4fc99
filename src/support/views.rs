//! Saved views of the ticket list: a name for a set of filters (`Urgent
//! and mine`, `VIP waiting`), a member's own or shared with the team, shown
//! as links above the list. Saved from the list page (the filters it shows)
//! or the API; deleted by their owner, shared ones by a support manager.

use super::pages::ListQuery;
use crate::error::AppError;
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};
use crate::web::api::{ApiJson, Created, created};
use crate::web::app::App;
use crate::web::page::PageCtx;
use rocket::form::Form;
use rocket::response::{Flash, Redirect};
use rocket::serde::json::Json;
use rusqlite::{Connection, OptionalExtension};
use serde::Deserialize;
use serde_json::{Value, json};

crate::typed_id!(
    /// The id of a saved view of the ticket list (`vw_…`).
    ViewId,
    "vw"
);

/// A saved view.
#[derive(Debug, Clone)]
pub struct View {
    pub id: ViewId,
    pub name: String,
    /// The list's query string.
    pub query: String,
    pub shared: bool,
    /// Whether the member reading it may delete it.
    pub deletable: bool,
}

/// The views `member` sees: their own, then the shared ones, by name.
pub fn list(conn: &Connection, member: &Member) -> Result<Vec<View>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, query, user_id IS NULL FROM support_views
         WHERE org_id = ?1 AND (user_id IS NULL OR user_id = ?2) ORDER BY user_id IS NULL, name",
    )?;
    let manager = member.can(Area::Support, Level::Manage);
    let rows = stmt.query_map([member.org.id.as_str(), member.user.id.as_str()], |r| {
        let shared: bool = r.get(3)?;
        Ok(View {
            id: ViewId::from_text(r.get::<_, String>(0)?),
            name: r.get(1)?,
            query: r.get(2)?,
            shared,
            deletable: !shared || manager,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A view to save: its name, the filters, and whether the team shares it.
#[derive(Debug, Clone, Deserialize, rocket::FromForm)]
#[serde(deny_unknown_fields)]
pub struct ViewInput {
    pub name: String,
    #[serde(default)]
    #[field(default = false)]
    pub shared: bool,
    #[serde(default)]
    pub filters: ListQueryInput,
}

/// The filters of a view, as the list's query string names them.
#[derive(Debug, Clone, Default, Deserialize, rocket::FromForm)]
#[serde(deny_unknown_fields)]
pub struct ListQueryInput {
    pub status: Option<String>,
    pub priority: Option<String>,
    pub category: Option<String>,
    pub tag: Option<String>,
    pub due: Option<String>,
    pub assigned: Option<String>,
    pub q: Option<String>,
    pub sort: Option<String>,
}

impl From<ListQueryInput> for ListQuery {
    fn from(i: ListQueryInput) -> ListQuery {
        ListQuery {
            status: i.status,
            priority: i.priority,
            category: i.category,
            tag: i.tag,
            due: i.due,
            assigned: i.assigned,
            q: i.q,
            sort: i.sort,
        }
    }
}

/// Saves a view for `member` (shared: a support manager only).
async fn save(app: &App<'_>, member: &Member, input: ViewInput) -> Result<View, AppError> {
    member.require(Area::Support, Level::View)?;
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(AppError::invalid("name", "support.error.view_name"));
    }
    if input.shared {
        member.require(Area::Support, Level::Manage)?;
    }
    let query = ListQuery::from(input.filters).to_query();
    let (id, org_id, user_id) = (
        ViewId::generate(),
        member.org.id.to_string(),
        member.user.id.to_string(),
    );
    let (shared, view) = (
        input.shared,
        View {
            id: id.clone(),
            name: name.clone(),
            query: query.clone(),
            shared: input.shared,
            deletable: true,
        },
    );
    app.write(member.audit(app.now()), move |tx| {
        tx.execute(
            "INSERT INTO support_views (id, org_id, user_id, name, query, created_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            rusqlite::params![
                id.as_str(),
                org_id,
                (!shared).then_some(&user_id),
                name,
                query,
                user_id,
                tx.now()
            ],
        )?;
        crate::audit::record(
            tx,
            "support.view_saved",
            Some(("view", &id)),
            json!({ "name": name, "shared": shared }),
        )
    })
    .await?;
    Ok(view)
}

/// Deletes a view `member` may delete (404 for any other).
async fn delete(app: &App<'_>, member: &Member, id: ViewId) -> Result<(), AppError> {
    member.require(Area::Support, Level::View)?;
    let (org_id, user_id, manager) = (
        member.org.id.to_string(),
        member.user.id.to_string(),
        member.can(Area::Support, Level::Manage),
    );
    app.write(member.audit(app.now()), move |tx| {
        let owner: Option<Option<String>> = tx
            .query_row(
                "SELECT user_id FROM support_views WHERE id = ?1 AND org_id = ?2",
                [id.as_str(), &org_id],
                |r| r.get(0),
            )
            .optional()?;
        match owner {
            Some(Some(u)) if u == user_id => {}
            Some(None) if manager => {}
            _ => return Err(AppError::NotFound),
        }
        tx.execute("DELETE FROM support_views WHERE id = ?1", [id.as_str()])?;
        crate::audit::record(tx, "support.view_deleted", Some(("view", &id)), json!({}))
    })
    .await
}

#[rocket::post("/dashboard/support/views", data = "<form>")]
async fn save_page(
    ctx: PageCtx,
    member: Member,
    form: Form<ViewInput>,
    app: App<'_>,
) -> Result<Flash<Redirect>, AppError> {
    match save(&app, &member, form.into_inner()).await {
        Ok(view) => Ok(Flash::success(
            Redirect::to(format!("/dashboard/support?{}", view.query)),
            ctx.lang.tf("support.view_saved", &[("name", &view.name)]),
        )),
        Err(AppError::Invalid(_)) => Ok(Flash::error(
            Redirect::to("/dashboard/support"),
            ctx.t("support.error.view_name"),
        )),
        Err(e) => Err(e),
    }
}

#[rocket::post("/dashboard/support/views/<id>/delete")]
async fn delete_page(ctx: PageCtx, member: Member, id: ViewId, app: App<'_>) -> Result<Flash<Redirect>, AppError> {
    delete(&app, &member, id).await?;
    Ok(Flash::success(
        Redirect::to("/dashboard/support"),
        ctx.t("support.view_deleted"),
    ))
}

fn view_json(v: &View) -> Value {
    json!({ "id": v.id, "name": v.name, "query": v.query, "shared": v.shared,
            "url": format!("/api/v1/support/tickets?{}", v.query) })
}

#[rocket::get("/api/v1/support/views")]
async fn list_api(member: Member, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Support, Level::View)?;
    let views = {
        let member = member.clone();
        app.db.read(move |c| list(c, &member)).await?
    };
    Ok(Json(json!({ "data": views.iter().map(view_json).collect::<Vec<_>>() })))
}

#[rocket::post("/api/v1/support/views", data = "<body>")]
async fn save_api(member: Member, body: ApiJson<ViewInput>, app: App<'_>) -> Result<Created<Value>, AppError> {
    let view = save(&app, &member, body.0).await?;
    Ok(created(view_json(&view)))
}

#[rocket::delete("/api/v1/support/views/<id>")]
async fn delete_api(member: Member, id: ViewId, app: App<'_>) -> Result<rocket::http::Status, AppError> {
    delete(&app, &member, id).await?;
    Ok(rocket::http::Status::NoContent)
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![save_page, delete_page, list_api, save_api, delete_api]
}
