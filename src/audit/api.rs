//! JSON API of the audit log: `GET /api/v1/audit-log` with the filters of
//! the page (actor, action, from, to) and a cursor; team managers only.

use super::pages::AuditQuery;
use crate::db::time::rfc3339;
use crate::error::AppError;
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};
use crate::web::api::{ListResponse, PageParams};
use crate::web::app::App;
use rocket::serde::json::Json;
use serde_json::{Value, json};

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
    Ok(page.json(|r| {
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
    rocket::routes![audit_log]
}
