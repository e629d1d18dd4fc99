//! Web push API: the VAPID public key browsers subscribe with, and each
//! person's browser subscriptions (`POST`/`DELETE`/`GET
//! /api/v1/push/subscriptions`), plus the service worker at `/sw.js` (served
//! from the root so its scope covers the dashboard).

use super::{check_subscription, subscribe, subscriptions_of, unsubscribe};
use crate::auth::ClientInfo;
use crate::error::AppError;
use crate::orgs::Member;
use crate::web::api::{ApiJson, Created, created};
use crate::web::app::App;
use rocket::http::{Header, Status};
use rocket::serde::json::Json;
use serde::Deserialize;
use serde_json::{Value, json};

fn off() -> AppError {
    AppError::Conflict("notifications.push.error.off".into())
}

#[rocket::get("/api/v1/push/vapid-public-key")]
fn vapid_public_key(app: App<'_>) -> Result<Json<Value>, AppError> {
    let vapid = app.config.vapid.as_ref().ok_or(AppError::NotFound)?;
    Ok(Json(json!({ "public_key": vapid.public_key })))
}

#[derive(Deserialize)]
struct Keys {
    p256dh: String,
    auth: String,
}

/// `PushSubscription.toJSON()` as the browser gives it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubscriptionBody {
    endpoint: String,
    keys: Keys,
    #[serde(default)]
    #[allow(dead_code)]
    expiration_time: Option<i64>,
}

#[rocket::post("/api/v1/push/subscriptions", data = "<body>")]
async fn create(
    member: Member,
    body: ApiJson<SubscriptionBody>,
    client: ClientInfo,
    app: App<'_>,
) -> Result<Created<Value>, AppError> {
    if app.config.vapid.is_none() {
        return Err(off());
    }
    let b = body.0;
    check_subscription(
        &b.endpoint,
        &b.keys.p256dh,
        &b.keys.auth,
        app.config.push_insecure_endpoints,
    )?;
    let now = app.now();
    let (audit, user_id) = (member.audit(now), member.user.id.clone());
    let id = app
        .write(audit, move |tx| {
            let id = subscribe(
                tx,
                &user_id,
                &b.endpoint,
                &b.keys.p256dh,
                &b.keys.auth,
                client.user_agent.as_deref(),
                now,
            )?;
            crate::audit::record(
                tx,
                "push.subscribed",
                Some(("push_subscription", &id)),
                json!({ "user_agent": client.user_agent }),
            )?;
            Ok(id)
        })
        .await?;
    Ok(created(json!({ "id": id })))
}

#[derive(Deserialize)]
struct EndpointBody {
    endpoint: String,
}

#[rocket::delete("/api/v1/push/subscriptions", data = "<body>")]
async fn delete(member: Member, body: ApiJson<EndpointBody>, app: App<'_>) -> Result<Status, AppError> {
    let now = app.now();
    let (audit, user_id, endpoint) = (member.audit(now), member.user.id.clone(), body.0.endpoint);
    let removed = app
        .write(audit, move |tx| {
            let removed = unsubscribe(tx, &user_id, &endpoint)?;
            if removed {
                crate::audit::record(tx, "push.unsubscribed", None, json!({}))?;
            }
            Ok(removed)
        })
        .await?;
    if removed {
        Ok(Status::NoContent)
    } else {
        Err(AppError::NotFound)
    }
}

#[rocket::get("/api/v1/push/subscriptions")]
async fn list(member: Member, app: App<'_>) -> Result<Json<Value>, AppError> {
    let user_id = member.user.id.clone();
    let subs = app.db.read(move |c| subscriptions_of(c, &user_id)).await?;
    let data: Vec<Value> = subs
        .iter()
        .map(|s| json!({ "id": s.id, "endpoint": s.endpoint }))
        .collect();
    Ok(Json(json!({ "data": data })))
}

#[derive(rocket::Responder)]
#[response(content_type = "text/javascript")]
struct Script(Vec<u8>, Header<'static>);

/// The service worker: shows pushed notifications and opens their page.
#[rocket::get("/sw.js")]
fn service_worker() -> Result<Script, AppError> {
    let file = crate::web::assets::file("js/sw.js").ok_or(AppError::NotFound)?;
    Ok(Script(file, Header::new("Cache-Control", "no-cache")))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![vapid_public_key, create, delete, list, service_worker]
}
