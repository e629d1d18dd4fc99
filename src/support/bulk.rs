//! Bulk changes from the ticket list: the tickets ticked get the same
//! assignee and/or status (or are closed) in one transaction. A ticket
//! whose status cannot move there (a closed one) is left as it was and
//! counted, the others change; an assignee who may not work on support
//! refuses the whole change.

use super::TicketId;
use super::tickets::{self, TicketChange};
use crate::auth::User;
use crate::db::Tx;
use crate::error::AppError;
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};
use crate::web::api::ApiJson;
use crate::web::app::App;
use crate::web::page::PageCtx;
use rocket::form::Form;
use rocket::response::{Flash, Redirect};
use rocket::serde::json::Json;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The most tickets changed at once.
pub const MAX_TICKETS: usize = 200;

/// What became of a bulk change.
#[derive(Debug, Default, Serialize)]
pub struct Outcome {
    pub changed: Vec<String>,
    /// Left as they were: `{id, reason}` (`not_found` or `conflict`).
    pub skipped: Vec<Value>,
}

/// Applies `change` to each of `ids` of `org_id`.
pub fn apply(
    tx: &Tx,
    org_id: &str,
    ids: &[String],
    change: &TicketChange,
    by: &User,
    base: &reqwest::Url,
) -> Result<Outcome, AppError> {
    if ids.is_empty() {
        return Err(AppError::invalid("ids", "support.error.bulk_none"));
    }
    if ids.len() > MAX_TICKETS {
        return Err(AppError::invalid("ids", "support.error.bulk_many"));
    }
    let mut out = Outcome::default();
    for id in ids {
        let ticket = TicketId::from_text(id.clone());
        match tickets::change(tx, org_id, &ticket, change, by, base) {
            Ok(_) => out.changed.push(id.clone()),
            Err(AppError::NotFound) => out.skipped.push(json!({ "id": id, "reason": "not_found" })),
            Err(AppError::Conflict(_)) => out.skipped.push(json!({ "id": id, "reason": "conflict" })),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The list's bulk form: the ticked `ids`, and what to change (empty:
/// unchanged); `close` closes them whatever `status` says.
#[derive(Debug, rocket::FromForm)]
struct BulkForm {
    #[field(default = Vec::new())]
    ids: Vec<String>,
    #[field(default = String::new())]
    assignee_id: String,
    #[field(default = String::new())]
    status: String,
    #[field(default = false)]
    close: bool,
    /// The list's query string, to go back to.
    #[field(default = String::new())]
    back: String,
}

#[rocket::post("/dashboard/support/bulk", data = "<form>")]
async fn bulk_page(
    ctx: PageCtx,
    member: Member,
    form: Form<BulkForm>,
    app: App<'_>,
) -> Result<Flash<Redirect>, AppError> {
    member.require(Area::Support, Level::Edit)?;
    let form = form.into_inner();
    let back = match crate::web::safe_next(Some(&format!("/dashboard/support?{}", form.back))).as_str() {
        "/" => "/dashboard/support".to_string(),
        local => local.to_string(),
    };
    let change = TicketChange {
        // `keep` leaves the assignee; `` takes it off.
        assignee_id: (form.assignee_id != "keep").then(|| form.assignee_id.clone()),
        status: if form.close {
            Some("closed".into())
        } else {
            Some(form.status.clone()).filter(|s| !s.is_empty())
        },
        ..TicketChange::default()
    };
    if change.assignee_id.is_none() && change.status.is_none() {
        return Ok(Flash::error(Redirect::to(back), ctx.t("support.error.bulk_nothing")));
    }
    let (audit, org_id, user, base, ids) = (
        member.audit(app.now()),
        member.org.id.to_string(),
        member.user.clone(),
        app.base_url().clone(),
        form.ids,
    );
    let done = app
        .write(audit, move |tx| apply(tx, &org_id, &ids, &change, &user, &base))
        .await;
    match done {
        Ok(out) => {
            let (changed, skipped) = (out.changed.len().to_string(), out.skipped.len().to_string());
            let key = if out.skipped.is_empty() {
                "support.bulk_done"
            } else {
                "support.bulk_done_skipped"
            };
            let text = ctx.lang.tf(key, &[("changed", &changed), ("skipped", &skipped)]);
            Ok(Flash::success(Redirect::to(back), text))
        }
        Err(AppError::Invalid(errors)) => {
            let text = errors.first().map(|e| ctx.msg(&e.message)).unwrap_or_default();
            Ok(Flash::error(Redirect::to(back), text))
        }
        Err(e) => Err(e),
    }
}

/// `{"ids": [...], "status": "...", "assignee_id": "..."}` (`""`: no assignee).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkInput {
    ids: Vec<String>,
    status: Option<String>,
    assignee_id: Option<String>,
}

#[rocket::post("/api/v1/support/tickets/bulk", data = "<body>")]
async fn bulk_api(member: Member, body: ApiJson<BulkInput>, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Support, Level::Edit)?;
    let (audit, org_id, user, base, input) = (
        member.audit(app.now()),
        member.org.id.to_string(),
        member.user.clone(),
        app.base_url().clone(),
        body.0,
    );
    let out = app
        .write(audit, move |tx| {
            let change = TicketChange {
                status: input.status,
                assignee_id: input.assignee_id,
                ..TicketChange::default()
            };
            apply(tx, &org_id, &input.ids, &change, &user, &base)
        })
        .await?;
    Ok(Json(json!(out)))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![bulk_page, bulk_api]
}
