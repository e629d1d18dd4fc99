//! The public status page of an organisation (`/status/{org_slug}`: the
//! checks it publishes, their state, 90 days of uptime as bars, ongoing
//! incidents, the maintenance to come) and the uptime report of every
//! check over a period (`/dashboard/monitoring/report`, and as CSV).

use super::checks::{self, Check};
use super::{maintenance, verdict};
use crate::error::AppError;
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};
use crate::web::app::App;
use crate::web::csv::{CsvExport, CsvFile};
use crate::web::page::{Html, PageCtx};
use crate::web::shell::Shell;
use crate::web::when::When;
use askama::Template;
use rusqlite::Connection;

/// Days shown on the status page.
pub const STATUS_DAYS: i64 = 90;

/// One day of a check on the status page.
pub struct Day {
    /// "2026-12-01: 99.31 %" (or "no data").
    pub label: String,
    /// `good`, `partial`, `bad` or `none`: the bar's colour.
    pub class: &'static str,
}

pub struct PublicCheck {
    pub name: String,
    pub state: String,
    pub uptime: Option<String>,
    pub days: Vec<Day>,
}

/// Good and all results of `check_id` per day since `from` (from its hours).
fn daily(conn: &Connection, check_id: &str, from: i64) -> Result<Vec<(i64, i64, i64)>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT (hour - ?2) / 86400, sum(good), sum(counted) FROM monitoring_check_hours
         WHERE check_id = ?1 AND hour >= ?2 AND counted > 0 GROUP BY 1",
    )?;
    let rows = stmt.query_map(rusqlite::params![check_id, from], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn day_label(ctx: &PageCtx, start: i64, share: Option<f64>) -> String {
    let date = crate::db::time::rfc3339(start)[..10].to_string();
    match share {
        Some(s) => ctx.lang.tf(
            "status.day",
            &[("date", &date), ("uptime", &format!("{:.2}", s * 100.0))],
        ),
        None => ctx.lang.tf("status.day_none", &[("date", &date)]),
    }
}

#[derive(Template)]
#[template(path = "monitoring/status.html")]
struct StatusPage {
    ctx: PageCtx,
    org_name: String,
    org_logo: Option<String>,
    checks: Vec<PublicCheck>,
    /// `operational`, `degraded` or `maintenance`.
    overall: &'static str,
    incidents: Vec<(String, When)>,
    upcoming: Vec<(String, When, String)>,
}

#[rocket::get("/status/<slug>")]
async fn status(ctx: PageCtx, slug: &str, app: App<'_>) -> Result<Html<StatusPage>, AppError> {
    let (slug, now) = (slug.to_string(), app.now());
    let today = now - now % 86_400;
    let from = today - (STATUS_DAYS - 1) * 86_400;
    let (org, rows, incidents, windows) = app
        .db
        .read(move |c| {
            let org = crate::orgs::by_slug(c, &slug)?.ok_or(AppError::NotFound)?;
            let published: Vec<Check> = checks::list(c, &org.id)?.into_iter().filter(|c| c.published).collect();
            if published.is_empty() {
                return Err(AppError::NotFound);
            }
            let mut rows = vec![];
            for check in published {
                let days = daily(c, &check.id, from)?;
                let uptime = checks::uptime(c, &check.id, from)?;
                let on = maintenance::is_on(c, &org.id, &check.id, now)?;
                rows.push((check, days, uptime, on));
            }
            let ids: Vec<String> = rows.iter().map(|(c, ..)| c.id.to_string()).collect();
            let incidents: Vec<verdict::Incident> = verdict::incidents(c, &org.id, None, 50)?
                .into_iter()
                .filter(|i| i.ended_at.is_none() && ids.contains(&i.check_id))
                .collect();
            let windows = maintenance::list(c, &org.id)?;
            Ok((org, rows, incidents, windows))
        })
        .await?;
    let clock = crate::web::when::Clockface::new(&org.time_zone, ctx.lang, now);
    let published: Vec<String> = rows.iter().map(|(c, ..)| c.id.to_string()).collect();
    let any_down = rows.iter().any(|(c, _, _, on)| c.state == "down" && !c.paused && !on);
    let any_maintenance = rows.iter().any(|(.., on)| *on);
    let checks = rows
        .into_iter()
        .map(|(check, days, uptime, on)| {
            let days = (0..STATUS_DAYS)
                .map(|d| {
                    let found = days.iter().find(|(day, ..)| *day == d);
                    let share = found.map(|(_, good, all)| *good as f64 / (*all).max(1) as f64);
                    Day {
                        label: day_label(&ctx, from + d * 86_400, share),
                        class: match share {
                            None => "none",
                            Some(s) if s >= 0.999 => "good",
                            Some(s) if s >= 0.95 => "partial",
                            Some(_) => "bad",
                        },
                    }
                })
                .collect();
            PublicCheck {
                name: check.name,
                state: if on { "maintenance".into() } else { check.state },
                uptime: uptime.map(|u| format!("{:.2} %", u * 100.0)),
                days,
            }
        })
        .collect();
    // Windows for every check or for a published one, starting within a week.
    let upcoming = windows
        .iter()
        .filter(|w| w.check_id.as_ref().is_none_or(|c| published.contains(c)))
        .filter_map(|w| {
            let (start, end) = w.occurrence(now).filter(|(start, _)| *start < now + 7 * 86_400)?;
            let what = w
                .check_name
                .clone()
                .unwrap_or_else(|| ctx.t("monitoring.all_checks").to_string());
            let length = ctx.msg(&crate::web::when::duration_words(end - start));
            Some((what, clock.when(start), length))
        })
        .collect();
    Ok(Html(StatusPage {
        org_name: org.name,
        org_logo: org.logo_file,
        checks,
        overall: if any_down {
            "degraded"
        } else if any_maintenance {
            "maintenance"
        } else {
            "operational"
        },
        incidents: incidents
            .into_iter()
            .map(|i| (i.check_name, clock.when(i.started_at)))
            .collect(),
        upcoming,
        ctx,
    }))
}

/// One check's figures over a period.
pub struct ReportRow {
    pub check: Check,
    pub uptime: Option<f64>,
    pub incidents: i64,
    pub downtime_s: i64,
    pub average_ms: Option<i64>,
}

impl ReportRow {
    /// The downtime in words.
    pub fn downtime(&self) -> crate::error::Message {
        crate::web::when::duration_words(self.downtime_s)
    }
}

fn report_rows(conn: &Connection, org_id: &str, from: i64, to: i64) -> Result<Vec<ReportRow>, AppError> {
    let mut out = vec![];
    for check in checks::list(conn, org_id)? {
        let uptime = checks::uptime(conn, &check.id, from)?;
        let (incidents, downtime_s): (i64, i64) = conn
            .prepare_cached(
                "SELECT count(*), coalesce(sum(min(coalesce(ended_at, ?3), ?3) - max(started_at, ?2)), 0)
             FROM monitoring_incidents WHERE check_id = ?1 AND started_at < ?3 AND coalesce(ended_at, ?3) > ?2",
            )?
            .query_row(rusqlite::params![check.id.as_str(), from, to], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        let average_ms: Option<f64> = conn
            .prepare_cached(
                "SELECT sum(latency_sum) / nullif(sum(latency_count), 0) FROM monitoring_check_hours
                 WHERE check_id = ?1 AND hour >= ?2",
            )?
            .query_row(rusqlite::params![check.id.as_str(), from], |r| r.get(0))?;
        out.push(ReportRow {
            check,
            uptime,
            incidents,
            downtime_s,
            average_ms: average_ms.map(|a| a.round() as i64),
        });
    }
    Ok(out)
}

fn period(days: Option<i64>) -> Result<i64, AppError> {
    match days.unwrap_or(30) {
        d @ (1 | 7 | 30 | 90) => Ok(d),
        _ => Err(AppError::invalid("days", "monitoring.error.report_days")),
    }
}

#[derive(Template)]
#[template(path = "monitoring/report.html")]
struct ReportPage {
    ctx: PageCtx,
    shell: Shell,
    days: i64,
    rows: Vec<ReportRow>,
}

#[rocket::get("/dashboard/monitoring/report?<days>")]
async fn report(ctx: PageCtx, member: Member, days: Option<i64>, app: App<'_>) -> Result<Html<ReportPage>, AppError> {
    member.require(Area::Monitoring, Level::View)?;
    let days = period(days)?;
    let (org_id, now) = (member.org.id.clone(), app.now());
    let rows = app
        .db
        .read(move |c| report_rows(c, &org_id, now - days * 86_400, now))
        .await?;
    Ok(Html(ReportPage {
        shell: Shell::new(&member, "monitoring"),
        days,
        rows,
        ctx,
    }))
}

#[rocket::get("/dashboard/monitoring/report.csv?<days>")]
async fn report_csv(member: Member, days: Option<i64>, app: App<'_>) -> Result<CsvFile, AppError> {
    member.require(Area::Monitoring, Level::View)?;
    let days = period(days)?;
    let (org_id, now) = (member.org.id.clone(), app.now());
    let rows = app
        .db
        .read(move |c| report_rows(c, &org_id, now - days * 86_400, now))
        .await?;
    let mut out = CsvExport::new(&[
        "check",
        "kind",
        "target",
        "from",
        "to",
        "uptime_percent",
        "incidents",
        "downtime_seconds",
        "average_ms",
    ])?;
    let (from, to) = (
        crate::db::time::rfc3339(now - days * 86_400),
        crate::db::time::rfc3339(now),
    );
    for r in &rows {
        let target = r.check.url.clone().unwrap_or_else(|| {
            r.check
                .host
                .as_ref()
                .map(|h| format!("{h}:{}", r.check.port.unwrap_or_default()))
                .unwrap_or_default()
        });
        let (uptime, incidents, downtime, average) = (
            r.uptime.map(|u| format!("{:.3}", u * 100.0)).unwrap_or_default(),
            r.incidents.to_string(),
            r.downtime_s.to_string(),
            r.average_ms.map(|a| a.to_string()).unwrap_or_default(),
        );
        out.row([
            r.check.name.as_str(),
            &r.check.kind,
            &target,
            &from,
            &to,
            &uptime,
            &incidents,
            &downtime,
            &average,
        ])?;
    }
    out.download(&format!("uptime-{}-{days}d.csv", member.org.slug))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![status, report, report_csv]
}
