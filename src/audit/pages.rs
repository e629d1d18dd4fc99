//! The audit log of an organisation: `/dashboard/team/audit` (filters by
//! actor, action and date range, pages through by cursor) and its CSV
//! export with the same filters. Needs `team:manage`.

use super::{AuditEntry, AuditFilter, list};
use crate::db::time::SharedClock;
use crate::error::AppError;
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};
use crate::web::app::App;
use crate::web::csv::{CsvExport, CsvFile};
use crate::web::page::{Html, PageCtx};
use crate::web::shell::Shell;
use crate::web::when::When;
use askama::Template;
use rocket::State;

pub const PAGE_SIZE: i64 = 50;
/// The most rows one export holds.
pub const EXPORT_LIMIT: i64 = 100_000;

/// The filters as typed in the query string.
#[derive(Debug, Default, rocket::FromForm)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    /// First day included, `YYYY-MM-DD` (UTC).
    pub from: Option<String>,
    /// Last day included, `YYYY-MM-DD` (UTC).
    pub to: Option<String>,
    pub cursor: Option<String>,
}

fn day_start(field: &str, value: &str) -> Result<i64, AppError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(value.trim(), &format)
        .map(|d| d.midnight().assume_utc().unix_timestamp())
        .map_err(|_| AppError::invalid(field, "audit.error.date"))
}

fn clean(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl AuditQuery {
    /// Checks the query into a filter (dates are whole UTC days, `to` included).
    pub fn filter(&self) -> Result<AuditFilter, AppError> {
        let from = clean(&self.from).map(|v| day_start("from", &v)).transpose()?;
        let to = clean(&self.to)
            .map(|v| day_start("to", &v).map(|t| t + 86_400))
            .transpose()?;
        Ok(AuditFilter {
            from,
            to,
            ..self.filter_without_dates()
        })
    }

    /// The actor, action and cursor filters (dates left to the caller).
    pub fn filter_without_dates(&self) -> AuditFilter {
        AuditFilter {
            actor: clean(&self.actor),
            action: clean(&self.action),
            from: None,
            to: None,
            before: clean(&self.cursor),
        }
    }

    /// The query string of these filters without the cursor.
    fn query_string(&self) -> String {
        let mut parts = vec![];
        for (k, v) in [
            ("actor", &self.actor),
            ("action", &self.action),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
                parts.push(format!("{k}={}", rocket::http::RawStr::new(v).percent_encode()));
            }
        }
        parts.join("&")
    }
}

/// One row as the page shows it: in words, with the raw record one click away.
pub struct AuditView {
    pub entry: AuditEntry,
    pub at: When,
    pub sentence: String,
    /// Every field of the row as stored, pretty-printed JSON.
    pub raw: String,
}

#[derive(Template)]
#[template(path = "audit/audit.html")]
struct AuditPage {
    ctx: PageCtx,
    shell: Shell,
    rows: Vec<AuditView>,
    q_actor: String,
    q_action: String,
    q_from: String,
    q_to: String,
    error: Option<String>,
    next: Option<String>,
    export: String,
}

#[rocket::get("/dashboard/team/audit?<q..>")]
async fn audit_page(
    ctx: PageCtx,
    member: Member,
    q: AuditQuery,
    app: App<'_>,
    time: &State<SharedClock>,
) -> Result<Html<AuditPage>, AppError> {
    member.require(Area::Team, Level::Manage)?;
    let (filter, error) = match q.filter() {
        Ok(f) => (f, None),
        Err(AppError::Invalid(e)) => (AuditFilter::default(), e.first().map(|e| ctx.msg(&e.message))),
        Err(other) => return Err(other),
    };
    let org_id = member.org.id.clone();
    let (mut rows, people) = app
        .db
        .read(move |c| {
            let rows = list(c, &org_id, &filter, PAGE_SIZE + 1)?;
            let people = super::words::People::of(c, &rows)?;
            Ok((rows, people))
        })
        .await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let qs = q.query_string();
    let next = if more {
        rows.last().map(|r| {
            format!(
                "/dashboard/team/audit?{qs}{}cursor={}",
                if qs.is_empty() { "" } else { "&" },
                r.id
            )
        })
    } else {
        None
    };
    let clock = member.clockface(ctx.lang, time.now());
    let rows = rows
        .into_iter()
        .map(|entry| AuditView {
            at: clock.when(entry.occurred_at),
            sentence: super::words::sentence(ctx.lang, &entry, &people),
            raw: serde_json::to_string_pretty(&serde_json::json!({
                "id": entry.id,
                "action": entry.action,
                "actor": { "type": entry.actor_type, "id": entry.actor_id, "label": entry.actor_label },
                "target": { "type": entry.target_type, "id": entry.target_id },
                "ip": entry.ip,
                "user_agent": entry.user_agent,
                "metadata": entry.metadata,
            }))
            .unwrap_or_default(),
            entry,
        })
        .collect();
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    Ok(Html(AuditPage {
        ctx,
        shell: Shell::new(&member, "team"),
        rows,
        q_actor: s(&q.actor),
        q_action: s(&q.action),
        q_from: s(&q.from),
        q_to: s(&q.to),
        error,
        next,
        export: format!("/dashboard/team/audit.csv?{qs}"),
    }))
}

/// The audit rows as a CSV document (header first).
pub fn to_csv(rows: &[AuditEntry]) -> Result<CsvExport, AppError> {
    let mut out = CsvExport::new(&[
        "occurred_at",
        "action",
        "actor_type",
        "actor",
        "actor_id",
        "target_type",
        "target_id",
        "ip",
        "user_agent",
        "metadata",
    ])?;
    for r in rows {
        out.row([
            crate::db::time::rfc3339(r.occurred_at).as_str(),
            &r.action,
            &r.actor_type,
            &r.actor_label,
            r.actor_id.as_deref().unwrap_or(""),
            r.target_type.as_deref().unwrap_or(""),
            r.target_id.as_deref().unwrap_or(""),
            r.ip.as_deref().unwrap_or(""),
            r.user_agent.as_deref().unwrap_or(""),
            &r.metadata.to_string(),
        ])?;
    }
    Ok(out)
}

#[rocket::get("/dashboard/team/audit.csv?<q..>")]
async fn audit_csv(member: Member, q: AuditQuery, app: App<'_>) -> Result<CsvFile, AppError> {
    member.require(Area::Team, Level::Manage)?;
    let filter = q.filter()?;
    let org_id = member.org.id.clone();
    let rows = app.db.read(move |c| list(c, &org_id, &filter, EXPORT_LIMIT)).await?;
    to_csv(&rows)?.download(&format!("audit-{}.csv", member.org.slug))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![audit_page, audit_csv]
}
