//! JSON API of monitoring: the checks (`/api/v1/monitoring/checks`), their
//! results, the alerts and their acknowledgement, and the heartbeat URL of
//! push checks (`/api/v1/heartbeat/{token}`, no authentication but the token).

use super::checks::{self, Check, CheckInput};
use super::{AlertId, CheckId, verdict};
use crate::db::time::rfc3339;
use crate::error::AppError;
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};
use crate::web::api::{ApiJson, Created, created};
use crate::web::app::App;
use crate::web::i18n::Lang;
use rocket::serde::json::Json;
use serde_json::{Value, json};

fn lang_of(member: &Member) -> Lang {
    member
        .user
        .language
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or_default()
}

/// A check as the API shows it.
pub fn check_json(lang: Lang, c: &Check) -> Value {
    json!({
        "id": c.id, "name": c.name, "kind": c.kind, "url": c.url, "method": c.method, "host": c.host, "port": c.port,
        "interval_s": c.interval_s, "timeout_s": c.timeout_s, "retries": c.retries, "recover_after": c.recover_after,
        "expected_status": c.expected_status, "keyword": c.keyword, "max_latency_ms": c.max_latency_ms,
        "paused": c.paused, "published": c.published, "tls_warn_days": c.tls_warn_days,
        "ignore_tls_errors": c.ignore_tls_errors, "tls_expires_at": c.tls_expires_at.map(rfc3339),
        "webhook_url": c.webhook_url, "json_path": c.json_path, "json_expected": c.json_expected, "state": c.state, "last_checked_at": c.last_checked_at.map(rfc3339),
        "last_latency_ms": c.last_latency_ms, "last_message": c.last_message.as_ref().map(|m| lang.msg(m)),
        "created_at": rfc3339(c.created_at),
    })
}

fn alert_json(lang: Lang, a: &verdict::Alert) -> Value {
    json!({
        "id": a.id, "check_id": a.check_id, "check_name": a.check_name, "rule": a.rule, "severity": a.severity,
        "state": a.state, "message": a.message.as_ref().map(|m| lang.msg(m)), "opened_at": rfc3339(a.opened_at),
        "acknowledged_at": a.acknowledged_at.map(rfc3339), "resolved_at": a.resolved_at.map(rfc3339),
    })
}

/// Whether this member's checks may reach private addresses.
pub fn private_ok(member: &Member, app: &App<'_>) -> bool {
    app.config.monitoring_private_targets || member.user.is_instance_admin
}

#[rocket::get("/api/v1/monitoring/checks")]
async fn list(member: Member, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Monitoring, Level::View)?;
    let org_id = member.org.id.clone();
    let rows = app.db.read(move |c| checks::list(c, &org_id)).await?;
    let lang = lang_of(&member);
    let data: Vec<Value> = rows.iter().map(|c| check_json(lang, c)).collect();
    Ok(Json(json!({ "data": data, "next_cursor": null })))
}

#[rocket::post("/api/v1/monitoring/checks", data = "<body>")]
async fn create(member: Member, body: ApiJson<CheckInput>, app: App<'_>) -> Result<Created<Value>, AppError> {
    member.require(Area::Monitoring, Level::Edit)?;
    let private = private_ok(&member, &app);
    let spec = body.0.parse(private).map_err(AppError::Invalid)?;
    // Only an instance admin's check keeps reaching private addresses if
    // the operator later turns `monitoring_private_targets` off.
    let (audit, org_id, admin) = (
        member.audit(app.now()),
        member.org.id.clone(),
        member.user.is_instance_admin,
    );
    let (check, token) = app
        .write(audit, move |tx| checks::create(tx, &org_id, &spec, admin))
        .await?;
    let mut out = check_json(lang_of(&member), &check);
    if let Some(token) = token {
        out["heartbeat_url"] = checks::heartbeat_url(app.base_url(), &token).into();
    }
    Ok(created(out))
}

#[rocket::get("/api/v1/monitoring/checks/<id>")]
async fn show(member: Member, id: CheckId, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Monitoring, Level::View)?;
    let org_id = member.org.id.clone();
    let check = app
        .db
        .read(move |c| checks::get(c, &org_id, &id))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(check_json(lang_of(&member), &check)))
}

#[rocket::patch("/api/v1/monitoring/checks/<id>", data = "<body>")]
async fn update(member: Member, id: CheckId, body: ApiJson<CheckInput>, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Monitoring, Level::Edit)?;
    let private = private_ok(&member, &app);
    let (audit, org_id) = (member.audit(app.now()), member.org.id.clone());
    let check = app
        .write(audit, move |tx| {
            let before = checks::get(tx, &org_id, &id)?.ok_or(AppError::NotFound)?;
            let spec = CheckInput::of(&before)
                .overlaid(body.0)
                .parse(private || before.may_reach_private)
                .map_err(AppError::Invalid)?;
            checks::update(tx, &org_id, &id, &spec)
        })
        .await?;
    Ok(Json(check_json(lang_of(&member), &check)))
}

#[rocket::delete("/api/v1/monitoring/checks/<id>")]
async fn delete(member: Member, id: CheckId, app: App<'_>) -> Result<rocket::http::Status, AppError> {
    member.require(Area::Monitoring, Level::Edit)?;
    let (audit, org_id) = (member.audit(app.now()), member.org.id.clone());
    app.write(audit, move |tx| checks::delete(tx, &org_id, &id)).await?;
    Ok(rocket::http::Status::NoContent)
}

/// A time parameter (RFC 3339, or unix seconds), `default` when absent.
fn time_param(field: &str, value: Option<&str>, default: i64) -> Result<i64, AppError> {
    match value.map(str::trim).and_then(|v| v.parse::<i64>().ok()) {
        Some(seconds) => Ok(seconds),
        None => Ok(super::instant(field, &value.map(str::to_string))?.unwrap_or(default)),
    }
}

#[rocket::get("/api/v1/monitoring/checks/<id>/results?<from>&<to>")]
async fn results(
    member: Member,
    id: CheckId,
    from: Option<&str>,
    to: Option<&str>,
    app: App<'_>,
) -> Result<Json<Value>, AppError> {
    member.require(Area::Monitoring, Level::View)?;
    let now = app.now();
    let (from, to) = (time_param("from", from, now - 86_400)?, time_param("to", to, now + 1)?);
    let org_id = member.org.id.clone();
    let rows = app
        .db
        .read(move |c| {
            checks::get(c, &org_id, &id)?.ok_or(AppError::NotFound)?;
            checks::results(c, &id, from, to, 5_000)
        })
        .await?;
    let lang = lang_of(&member);
    let data: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({ "at": rfc3339(r.at), "ok": r.ok, "latency_ms": r.latency_ms, "status": r.status,
                    "message": r.message.as_ref().map(|m| lang.msg(m)) })
        })
        .collect();
    Ok(Json(json!({ "data": data, "next_cursor": null })))
}

#[rocket::get("/api/v1/monitoring/alerts?<state>")]
async fn alerts(member: Member, state: Option<&str>, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Monitoring, Level::View)?;
    let state = state.map(str::to_string);
    if state
        .as_deref()
        .is_some_and(|s| !matches!(s, "firing" | "acknowledged" | "resolved"))
    {
        return Err(AppError::invalid("state", "monitoring.error.alert_state"));
    }
    let org_id = member.org.id.clone();
    let rows = app
        .db
        .read(move |c| verdict::alerts(c, &org_id, state.as_deref(), 200))
        .await?;
    let lang = lang_of(&member);
    Ok(Json(
        json!({ "data": rows.iter().map(|a| alert_json(lang, a)).collect::<Vec<_>>(), "next_cursor": null }),
    ))
}

#[rocket::post("/api/v1/monitoring/alerts/<id>/<step>")]
async fn alert_step(member: Member, id: AlertId, step: &str, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Monitoring, Level::Edit)?;
    let step = verdict::Step::parse(step)?;
    let (audit, org_id, user, base) = (
        member.audit(app.now()),
        member.org.id.clone(),
        member.user.clone(),
        app.base_url().clone(),
    );
    let alert = app
        .write(audit, move |tx| verdict::take(tx, &org_id, &id, step, &user, &base))
        .await?;
    Ok(Json(alert_json(lang_of(&member), &alert)))
}

/// A heartbeat from the shop's own job: GET or POST, the token is the key.
#[rocket::post("/api/v1/heartbeat/<token>")]
async fn heartbeat(token: &str, app: App<'_>) -> Result<Json<Value>, AppError> {
    beat(token, &app).await
}

#[rocket::get("/api/v1/heartbeat/<token>", rank = 2)]
async fn heartbeat_get(token: &str, app: App<'_>) -> Result<Json<Value>, AppError> {
    beat(token, &app).await
}

async fn beat(token: &str, app: &App<'_>) -> Result<Json<Value>, AppError> {
    if !super::probe::heartbeat(app.db, token, app.base_url()).await? {
        return Err(AppError::NotFound);
    }
    Ok(Json(json!({ "ok": true })))
}

/// A web-vitals beacon from one of our pages (no sign-in, no CSRF token:
/// it changes nothing of anyone's; rate-limited per IP).
#[rocket::post("/api/v1/vitals", data = "<body>")]
async fn vitals(
    body: rocket::data::Data<'_>,
    client: crate::auth::ClientInfo,
    app: App<'_>,
) -> Result<rocket::http::Status, AppError> {
    use rocket::data::ToByteUnit;
    app.limits.check(
        crate::web::ratelimit::Limit::VitalsPerIp,
        client.ip.as_deref().unwrap_or("unknown"),
    )?;
    let read = body
        .open((super::vitals::MAX_BYTES + 1).bytes())
        .into_string()
        .await
        .map_err(|_| AppError::bad_request("monitoring.error.vitals"))?;
    let (page, name, value) = read
        .is_complete()
        .then(|| super::vitals::check(&read))
        .and_then(Result::ok)
        .ok_or_else(|| AppError::bad_request("monitoring.error.vitals"))?;
    let device = super::vitals::device_of(client.user_agent.as_deref());
    super::vitals::store(app.db, page, name, value, device).await?;
    Ok(rocket::http::Status::NoContent)
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        list,
        create,
        show,
        update,
        delete,
        results,
        alerts,
        alert_step,
        heartbeat,
        heartbeat_get,
        vitals
    ]
}
