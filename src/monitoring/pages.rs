//! The monitoring pages: `/dashboard/monitoring` (open alerts to take in
//! hand, every check with its state and uptime, the latest incidents, a
//! form to add a check) and `/dashboard/monitoring/checks/{id}` (its
//! response times as an SVG chart with the numbers in a table, its
//! incidents, its settings; pause, delete).

use super::checks::{self, Check, CheckInput, CheckResult};
use super::{AlertId, CheckId, verdict};
use crate::error::AppError;
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};
use crate::web::app::App;
use crate::web::confirm::ConfirmPage;
use crate::web::forms::FormState;
use crate::web::page::{Html, PageCtx};
use crate::web::shell::Shell;
use crate::web::when::{Clockface, When};
use askama::Template;
use rocket::Either;
use rocket::form::Form;
use rocket::http::Status;
use rocket::response::status::Custom;
use rocket::response::{Flash, Redirect};

/// A check as a row of the list.
pub struct CheckRow {
    pub check: Check,
    pub target: String,
    pub uptime_day: Option<String>,
    pub uptime_month: Option<String>,
    pub last: Option<When>,
}

pub struct IncidentRow {
    pub incident: verdict::Incident,
    pub started: When,
    /// "12 min", or `None` while it lasts.
    pub duration: Option<String>,
}

pub struct WindowRow {
    pub window: super::maintenance::Window,
    /// When it is (or will be) on next, and for how long.
    pub next: Option<(When, String)>,
    pub on: bool,
}

pub struct AlertRow {
    pub alert: verdict::Alert,
    pub opened: When,
}

fn target(c: &Check) -> String {
    match c.kind.as_str() {
        "tcp" => format!(
            "{}:{}",
            c.host.as_deref().unwrap_or_default(),
            c.port.unwrap_or_default()
        ),
        "push" => String::new(),
        _ => format!("{} {}", c.method, c.url.as_deref().unwrap_or_default()),
    }
}

fn percent(share: Option<f64>) -> Option<String> {
    share.map(|s| format!("{:.2} %", s * 100.0))
}

fn incident_rows(ctx: &PageCtx, clock: &Clockface, rows: Vec<verdict::Incident>) -> Vec<IncidentRow> {
    rows.into_iter()
        .map(|i| IncidentRow {
            started: clock.when(i.started_at),
            duration: i
                .ended_at
                .map(|end| ctx.msg(&crate::web::when::duration_words(end - i.started_at))),
            incident: i,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "monitoring/overview.html")]
struct OverviewPage {
    ctx: PageCtx,
    shell: Shell,
    checks: Vec<CheckRow>,
    alerts: Vec<AlertRow>,
    incidents: Vec<IncidentRow>,
    can_edit: bool,
    form: FormState,
    /// (up, down, pending or paused)
    counts: (usize, usize, usize),
    windows: Vec<WindowRow>,
    window_form: FormState,
    /// The public status page, when a check is published.
    status_page: Option<String>,
    /// Web vitals of the org's public pages, and (instance admins) of
    /// Luneo's own: (caption key, rows), the empty ones left out.
    vitals: Vec<(&'static str, Vec<super::vitals::P75>)>,
}

async fn overview_page(
    ctx: PageCtx,
    member: &Member,
    app: &App<'_>,
    form: FormState,
    window_form: FormState,
) -> Result<OverviewPage, AppError> {
    member.require(Area::Monitoring, Level::View)?;
    let (org_id, now) = (member.org.id.clone(), app.now());
    let admin = member.user.is_instance_admin;
    let (checks, alerts, incidents, windows, vitals, own_vitals) = app
        .db
        .read(move |c| {
            let mut rows = vec![];
            for check in checks::list(c, &org_id)? {
                let day = checks::uptime(c, &check.id, now - 86_400)?;
                let month = checks::uptime(c, &check.id, now - 30 * 86_400)?;
                rows.push((check, day, month));
            }
            let alerts = verdict::alerts(c, &org_id, None, 20)?;
            let windows = super::maintenance::list(c, &org_id)?;
            let week = now - 7 * 86_400;
            let vitals = super::vitals::p75(c, Some(&org_id), week)?;
            let own = if admin {
                super::vitals::p75(c, None, week)?
            } else {
                vec![]
            };
            Ok((
                rows,
                alerts,
                verdict::incidents(c, &org_id, None, 10)?,
                windows,
                vitals,
                own,
            ))
        })
        .await?;
    let clock = member.clockface(ctx.lang, now);
    let count = |s: &str| checks.iter().filter(|(c, ..)| !c.paused && c.state == s).count();
    let counts = (count("up"), count("down"), checks.len() - count("up") - count("down"));
    let status_page = checks
        .iter()
        .any(|(c, ..)| c.published)
        .then(|| format!("/status/{}", member.org.slug));
    let windows = windows
        .into_iter()
        .filter_map(|w| {
            let (start, end) = w.occurrence(now)?;
            Some(WindowRow {
                next: Some((
                    clock.when(start),
                    ctx.msg(&crate::web::when::duration_words(end - start)),
                )),
                on: w.is_on(now),
                window: w,
            })
        })
        .collect();
    Ok(OverviewPage {
        shell: Shell::new(member, "monitoring"),
        checks: checks
            .into_iter()
            .map(|(check, day, month)| CheckRow {
                target: target(&check),
                uptime_day: percent(day),
                uptime_month: percent(month),
                last: clock.maybe(&check.last_checked_at),
                check,
            })
            .collect(),
        alerts: alerts
            .into_iter()
            .filter(|a| a.state != "resolved")
            .map(|a| AlertRow {
                opened: clock.when(a.opened_at),
                alert: a,
            })
            .collect(),
        incidents: incident_rows(&ctx, &clock, incidents),
        can_edit: member.can(Area::Monitoring, Level::Edit),
        form,
        counts,
        windows,
        window_form,
        status_page,
        vitals: [
            ("monitoring.vitals_public", vitals),
            ("monitoring.vitals_own", own_vitals),
        ]
        .into_iter()
        .filter(|(_, rows)| !rows.is_empty())
        .collect(),
        ctx,
    })
}

#[rocket::get("/dashboard/monitoring")]
async fn overview(ctx: PageCtx, member: Member, app: App<'_>) -> Result<Html<OverviewPage>, AppError> {
    Ok(Html(
        overview_page(ctx, &member, &app, FormState::default(), FormState::default()).await?,
    ))
}

fn form_values(input: &CheckInput) -> FormState {
    let n = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let recover = n(input.recover_after);
    let (port, interval, timeout, retries, status, max, tls_days) = (
        n(input.port),
        n(input.interval_s),
        n(input.timeout_s),
        n(input.retries),
        n(input.expected_status),
        n(input.max_latency_ms),
        n(input.tls_warn_days),
    );
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let (json_path, json_expected) = (s(&input.json_path), s(&input.json_expected));
    let (name, kind, url, method, host, keyword, webhook) = (
        s(&input.name),
        s(&input.kind),
        s(&input.url),
        s(&input.method),
        s(&input.host),
        s(&input.keyword),
        s(&input.webhook_url),
    );
    FormState::with_values(&[
        ("name", &name),
        ("kind", &kind),
        ("url", &url),
        ("method", &method),
        ("host", &host),
        ("port", &port),
        ("interval_s", &interval),
        ("timeout_s", &timeout),
        ("retries", &retries),
        ("recover_after", &recover),
        ("expected_status", &status),
        ("keyword", &keyword),
        ("max_latency_ms", &max),
        ("tls_warn_days", &tls_days),
        ("webhook_url", &webhook),
        ("json_path", &json_path),
        ("json_expected", &json_expected),
        (
            "ignore_tls_errors",
            if input.ignore_tls_errors == Some(true) {
                "true"
            } else {
                "false"
            },
        ),
        (
            "published",
            if input.published == Some(true) { "true" } else { "false" },
        ),
    ])
}

#[rocket::post("/dashboard/monitoring/checks", data = "<form>")]
async fn create(
    ctx: PageCtx,
    member: Member,
    form: Form<CheckInput>,
    app: App<'_>,
) -> Result<Either<Custom<Html<CheckPage>>, Custom<Html<OverviewPage>>>, AppError> {
    member.require(Area::Monitoring, Level::Edit)?;
    let input = form.into_inner();
    let private = super::api::private_ok(&member, &app);
    let spec = match input.parse(private) {
        Ok(spec) => spec,
        Err(errors) => {
            let state = form_values(&input).with_errors(errors);
            let page = overview_page(ctx, &member, &app, state, FormState::default()).await?;
            return Ok(Either::Right(Custom(Status::UnprocessableEntity, Html(page))));
        }
    };
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
    let heartbeat = token.map(|t| checks::heartbeat_url(app.base_url(), &t));
    let page = check_page(ctx, &member, &app, &check.id, FormState::default(), heartbeat).await?;
    Ok(Either::Left(Custom(Status::Created, Html(page))))
}

/// The response-time chart of a check: a line of latencies, failures as
/// marks on the baseline.
pub struct Chart {
    pub width: i64,
    pub height: i64,
    pub line: String,
    pub failures: Vec<i64>,
    pub max_ms: i64,
}

fn chart(results: &[CheckResult], from: i64, to: i64) -> Chart {
    let (width, height) = (640_i64, 160_i64);
    let max_ms = results.iter().filter_map(|r| r.latency_ms).max().unwrap_or(0).max(1);
    let span = (to - from).max(1);
    let x = |at: i64| (at - from) * width / span;
    let mut ok: Vec<&CheckResult> = results.iter().filter(|r| r.ok && r.latency_ms.is_some()).collect();
    ok.sort_by_key(|r| r.at);
    let line = ok
        .iter()
        .map(|r| {
            format!(
                "{},{}",
                x(r.at),
                height - r.latency_ms.unwrap_or(0) * (height - 8) / max_ms
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    Chart {
        width,
        height,
        line,
        failures: results.iter().filter(|r| !r.ok).map(|r| x(r.at)).collect(),
        max_ms,
    }
}

pub struct ResultRow {
    pub result: CheckResult,
    pub at: When,
}

#[derive(Template)]
#[template(path = "monitoring/check.html")]
struct CheckPage {
    ctx: PageCtx,
    shell: Shell,
    check: Check,
    target: String,
    uptime_day: Option<String>,
    uptime_month: Option<String>,
    chart: Chart,
    results: Vec<ResultRow>,
    incidents: Vec<IncidentRow>,
    can_edit: bool,
    form: FormState,
    /// The heartbeat URL, shown once when the check is created.
    heartbeat: Option<String>,
    /// The day the TLS certificate last served expires.
    certificate_until: Option<String>,
}

async fn check_page(
    ctx: PageCtx,
    member: &Member,
    app: &App<'_>,
    id: &CheckId,
    form: FormState,
    heartbeat: Option<String>,
) -> Result<CheckPage, AppError> {
    member.require(Area::Monitoring, Level::View)?;
    let (org_id, now, id) = (member.org.id.clone(), app.now(), id.clone());
    let (check, results, day, month, incidents) = app
        .db
        .read(move |c| {
            let check = checks::get(c, &org_id, &id)?.ok_or(AppError::NotFound)?;
            let results = checks::results(c, &id, now - 86_400, now + 1, 2_000)?;
            let day = checks::uptime(c, &id, now - 86_400)?;
            let month = checks::uptime(c, &id, now - 30 * 86_400)?;
            Ok((
                check,
                results,
                day,
                month,
                verdict::incidents(c, &org_id, Some(&id), 20)?,
            ))
        })
        .await?;
    let clock = member.clockface(ctx.lang, now);
    let chart = chart(&results, now - 86_400, now);
    Ok(CheckPage {
        shell: Shell::new(member, "monitoring"),
        target: target(&check),
        certificate_until: check
            .tls_expires_at
            .map(|at| crate::db::time::rfc3339(at)[..10].to_string()),
        uptime_day: percent(day),
        uptime_month: percent(month),
        chart,
        results: results
            .into_iter()
            .take(50)
            .map(|r| ResultRow {
                at: clock.when(r.at),
                result: r,
            })
            .collect(),
        incidents: incident_rows(&ctx, &clock, incidents),
        can_edit: member.can(Area::Monitoring, Level::Edit),
        form: if form.is_valid() {
            form_values(&CheckInput::of(&check))
        } else {
            form
        },
        heartbeat,
        check,
        ctx,
    })
}

#[rocket::get("/dashboard/monitoring/checks/<id>")]
async fn show(ctx: PageCtx, member: Member, id: CheckId, app: App<'_>) -> Result<Html<CheckPage>, AppError> {
    Ok(Html(
        check_page(ctx, &member, &app, &id, FormState::default(), None).await?,
    ))
}

#[rocket::post("/dashboard/monitoring/checks/<id>", data = "<form>")]
async fn update(
    ctx: PageCtx,
    member: Member,
    id: CheckId,
    form: Form<CheckInput>,
    app: App<'_>,
) -> Result<Either<Flash<Redirect>, Custom<Html<CheckPage>>>, AppError> {
    member.require(Area::Monitoring, Level::Edit)?;
    let input = form.into_inner();
    let private = super::api::private_ok(&member, &app);
    let (audit, org_id, id2) = (member.audit(app.now()), member.org.id.clone(), id.clone());
    let form_input = input.clone();
    let saved = app
        .write(audit, move |tx| {
            let before = checks::get(tx, &org_id, &id2)?.ok_or(AppError::NotFound)?;
            let spec = CheckInput::of(&before)
                .overlaid(input)
                .parse(private || before.may_reach_private)
                .map_err(AppError::Invalid)?;
            checks::update(tx, &org_id, &id2, &spec)
        })
        .await;
    match saved {
        Ok(_) => Ok(Either::Left(Flash::success(
            Redirect::to(format!("/dashboard/monitoring/checks/{id}")),
            ctx.t("monitoring.saved"),
        ))),
        Err(AppError::Invalid(errors)) => {
            let state = form_values(&form_input).with_errors(errors);
            let page = check_page(ctx, &member, &app, &id, state, None).await?;
            Ok(Either::Right(Custom(Status::UnprocessableEntity, Html(page))))
        }
        Err(other) => Err(other),
    }
}

#[rocket::get("/dashboard/monitoring/checks/<id>/delete")]
async fn confirm_delete(
    ctx: PageCtx,
    member: Member,
    id: CheckId,
    app: App<'_>,
) -> Result<Html<ConfirmPage>, AppError> {
    member.require(Area::Monitoring, Level::Edit)?;
    let org_id = member.org.id.clone();
    let id2 = id.clone();
    let check = app
        .db
        .read(move |c| checks::get(c, &org_id, &id2))
        .await?
        .ok_or(AppError::NotFound)?;
    let args = [("name", check.name.as_str())];
    Ok(Html(ConfirmPage {
        title: ctx.lang.tf("monitoring.delete_confirm", &args),
        consequences: vec![
            ctx.t("monitoring.delete_history").into(),
            ctx.t("monitoring.delete_pause").into(),
        ],
        action: format!("/dashboard/monitoring/checks/{id}/delete"),
        button: ctx.lang.tf("monitoring.delete_button", &args),
        back: format!("/dashboard/monitoring/checks/{id}"),
        shell: Shell::new(&member, "monitoring"),
        ctx,
    }))
}

#[rocket::post("/dashboard/monitoring/checks/<id>/delete")]
async fn delete(ctx: PageCtx, member: Member, id: CheckId, app: App<'_>) -> Result<Flash<Redirect>, AppError> {
    member.require(Area::Monitoring, Level::Edit)?;
    let (audit, org_id) = (member.audit(app.now()), member.org.id.clone());
    app.write(audit, move |tx| checks::delete(tx, &org_id, &id)).await?;
    Ok(Flash::success(
        Redirect::to("/dashboard/monitoring"),
        ctx.t("monitoring.deleted"),
    ))
}

#[rocket::post("/dashboard/monitoring/alerts/<id>/<step>")]
async fn alert_step(
    ctx: PageCtx,
    member: Member,
    id: AlertId,
    step: &str,
    app: App<'_>,
) -> Result<Flash<Redirect>, AppError> {
    member.require(Area::Monitoring, Level::Edit)?;
    let step = verdict::Step::parse(step)?;
    let (audit, org_id, user, base) = (
        member.audit(app.now()),
        member.org.id.clone(),
        member.user.clone(),
        app.base_url().clone(),
    );
    app.write(audit, move |tx| verdict::take(tx, &org_id, &id, step, &user, &base))
        .await?;
    Ok(Flash::success(
        Redirect::to("/dashboard/monitoring"),
        ctx.t(step.action()),
    ))
}

#[rocket::post("/dashboard/monitoring/maintenance", data = "<form>")]
async fn plan_maintenance(
    ctx: PageCtx,
    member: Member,
    form: Form<super::maintenance::WindowInput>,
    app: App<'_>,
) -> Result<Either<Flash<Redirect>, Custom<Html<OverviewPage>>>, AppError> {
    member.require(Area::Monitoring, Level::Edit)?;
    let input = form.into_inner();
    let refuse = |errors| {
        let (starts, minutes) = (
            input.starts.clone().unwrap_or_default(),
            input.minutes.map(|m| m.to_string()),
        );
        FormState::with_values(&[("starts", &starts), ("minutes", minutes.as_deref().unwrap_or_default())])
            .with_errors(errors)
    };
    let spec = match input.parse() {
        Ok(spec) => spec,
        Err(errors) => {
            let page = overview_page(ctx, &member, &app, FormState::default(), refuse(errors)).await?;
            return Ok(Either::Right(Custom(Status::UnprocessableEntity, Html(page))));
        }
    };
    let (audit, org_id) = (member.audit(app.now()), member.org.id.clone());
    app.write(audit, move |tx| super::maintenance::create(tx, &org_id, &spec))
        .await?;
    Ok(Either::Left(Flash::success(
        Redirect::to("/dashboard/monitoring#maintenance-title"),
        ctx.t("monitoring.maintenance_planned"),
    )))
}

#[rocket::post("/dashboard/monitoring/maintenance/<id>/delete")]
async fn cancel_maintenance(
    ctx: PageCtx,
    member: Member,
    id: super::maintenance::WindowId,
    app: App<'_>,
) -> Result<Flash<Redirect>, AppError> {
    member.require(Area::Monitoring, Level::Edit)?;
    let (audit, org_id) = (member.audit(app.now()), member.org.id.clone());
    app.write(audit, move |tx| super::maintenance::delete(tx, &org_id, &id))
        .await?;
    Ok(Flash::success(
        Redirect::to("/dashboard/monitoring"),
        ctx.t("monitoring.maintenance_cancelled"),
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        overview,
        create,
        show,
        update,
        confirm_delete,
        delete,
        alert_step,
        plan_maintenance,
        cancel_maintenance
    ]
}
