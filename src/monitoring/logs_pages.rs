//! The stored log for instance admins: `/dashboard/monitoring/logs`
//! (search by text, level, status, route and time; the slowest requests;
//! an error links to its request) and `GET /api/v1/monitoring/logs`.

use super::logs::{self, LogFilter, StoredLine};
use crate::admin::InstanceAdmin;
use crate::db::time::rfc3339;
use crate::error::AppError;
use crate::web::app::App;
use crate::web::page::{Html, PageCtx};
use crate::web::shell::Shell;
use crate::web::when::When;
use askama::Template;
use rocket::serde::json::Json;
use serde_json::{Value, json};

/// The query string of the log page and API.
#[derive(Debug, Default, rocket::FromForm)]
pub struct LogQuery {
    pub q: Option<String>,
    pub level: Option<String>,
    pub status: Option<i64>,
    pub route: Option<String>,
    /// RFC 3339, or `YYYY-MM-DDTHH:MM` from a `datetime-local` field (UTC).
    pub from: Option<String>,
    pub to: Option<String>,
    pub slow: Option<bool>,
}

impl LogQuery {
    fn filter(&self) -> Result<LogFilter, AppError> {
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let level = text(&self.level);
        if level
            .as_deref()
            .is_some_and(|l| !matches!(l, "info" | "warn" | "error"))
        {
            return Err(AppError::invalid("level", "monitoring.error.level"));
        }
        Ok(LogFilter {
            q: text(&self.q),
            level,
            status: self.status,
            route: text(&self.route),
            from: super::instant("from", &self.from)?,
            to: super::instant("to", &self.to)?,
            slowest: self.slow.unwrap_or(false),
        })
    }
}

#[derive(Template)]
#[template(path = "monitoring/logs.html")]
struct LogsPage {
    ctx: PageCtx,
    shell: Shell,
    q: LogQuery,
    lines: Vec<(StoredLine, When)>,
    error: Option<String>,
    dropped: u64,
    /// Days lines are kept.
    days: i64,
}

#[rocket::get("/dashboard/monitoring/logs?<q..>")]
async fn page(
    ctx: PageCtx,
    admin: InstanceAdmin,
    q: LogQuery,
    app: App<'_>,
    sink: &rocket::State<std::sync::Arc<logs::LogSink>>,
) -> Result<Html<LogsPage>, AppError> {
    let (filter, error) = match q.filter() {
        Ok(f) => (f, None),
        Err(AppError::Invalid(e)) => (LogFilter::default(), e.first().map(|e| ctx.msg(&e.message))),
        Err(other) => return Err(other),
    };
    let lines = app.db.read(move |c| logs::search(c, &filter, 200)).await?;
    let clock = admin.0.clockface(ctx.lang, app.now());
    Ok(Html(LogsPage {
        shell: Shell::new(&admin.0, "monitoring"),
        lines: lines
            .into_iter()
            .map(|l| {
                let at = clock.when(l.at);
                (l, at)
            })
            .collect(),
        q,
        error,
        dropped: sink.dropped(),
        days: app.config.retention.log_s / 86_400,
        ctx,
    }))
}

#[rocket::get("/api/v1/monitoring/logs?<q..>")]
async fn api(admin: InstanceAdmin, q: LogQuery, app: App<'_>) -> Result<Json<Value>, AppError> {
    let _ = &admin;
    let filter = q.filter()?;
    let lines = app.db.read(move |c| logs::search(c, &filter, 500)).await?;
    let data: Vec<Value> = lines
        .iter()
        .map(|l| {
            json!({ "at": rfc3339(l.at), "level": l.level, "kind": l.kind, "request_id": l.request_id,
                    "method": l.method, "route": l.route, "path": l.path, "status": l.status,
                    "duration_ms": l.duration_ms, "user_id": l.user_id, "org_id": l.org_id, "ip": l.ip,
                    "message": l.message })
        })
        .collect();
    Ok(Json(json!({ "data": data, "next_cursor": null })))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![page, api]
}
