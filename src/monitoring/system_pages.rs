//! The instance's metrics for its admins: `/dashboard/monitoring/system`
//! (a period picker, one SVG chart per metric with its figures and the
//! previous period's beside it, the points in a table one click away) and
//! `GET /api/v1/monitoring/metrics?names=&from=&to=&step=`.

use super::system::{self, Point};
use crate::admin::InstanceAdmin;
use crate::db::time::rfc3339;
use crate::error::AppError;
use crate::web::app::App;
use crate::web::page::{Html, PageCtx};
use crate::web::shell::Shell;
use askama::Template;
use rocket::serde::json::Json;
use serde_json::{Value, json};

/// The periods the page offers: (key, seconds).
pub const PERIODS: &[(&str, i64)] = &[("1h", 3_600), ("24h", 86_400), ("7d", 7 * 86_400), ("30d", 30 * 86_400)];

/// One metric over the period, drawn.
pub struct MetricView {
    pub name: &'static str,
    pub points: Vec<(String, String)>,
    pub line: String,
    pub latest: Option<String>,
    pub average: Option<String>,
    pub previous: Option<String>,
    pub max: String,
}

fn shown(name: &str, v: f64) -> String {
    if name.ends_with("_bytes") {
        match v {
            v if v >= 1e9 => format!("{:.2} GB", v / 1e9),
            v if v >= 1e6 => format!("{:.1} MB", v / 1e6),
            v => format!("{:.0} kB", v / 1e3),
        }
    } else if name.ends_with("_percent") {
        format!("{v:.1} %")
    } else if name.ends_with("_ms_pages") || name.ends_with("_ms_api") {
        format!("{v:.1} ms")
    } else if name == "requests_per_s" {
        format!("{v:.2}/s")
    } else {
        format!("{v:.0}")
    }
}

fn mean(points: &[Point]) -> Option<f64> {
    (!points.is_empty()).then(|| points.iter().map(|p| p.avg).sum::<f64>() / points.len() as f64)
}

fn view(name: &'static str, points: &[Point], previous: &[Point], from: i64, to: i64) -> MetricView {
    let (width, height) = (600.0, 120.0);
    let top = points
        .iter()
        .map(|p| p.avg)
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let span = (to - from).max(1) as f64;
    let line = points
        .iter()
        .map(|p| {
            let x = (p.at - from) as f64 * width / span;
            let y = height - p.avg / top * (height - 6.0);
            format!("{x:.1},{y:.1}")
        })
        .collect::<Vec<_>>()
        .join(" ");
    // At most 60 rows in the table: every n-th point.
    let every = points.len().div_ceil(60).max(1);
    MetricView {
        name,
        points: points
            .iter()
            .step_by(every)
            .map(|p| (rfc3339(p.at), shown(name, p.avg)))
            .collect(),
        line,
        latest: points.last().map(|p| shown(name, p.avg)),
        average: mean(points).map(|m| shown(name, m)),
        previous: mean(previous).map(|m| shown(name, m)),
        max: shown(name, top),
    }
}

#[derive(Template)]
#[template(path = "monitoring/system.html")]
struct SystemPage {
    ctx: PageCtx,
    shell: Shell,
    period: &'static str,
    /// The custom period's ends as typed back into the form (UTC).
    custom_from: String,
    custom_to: String,
    metrics: Vec<MetricView>,
    alerts: Vec<(super::rules::InstanceAlert, crate::web::when::When)>,
    rules: Vec<super::rules::Rule>,
    form: crate::web::forms::FormState,
}

#[rocket::get("/dashboard/monitoring/system?<period>&<from>&<to>")]
async fn page(
    ctx: PageCtx,
    admin: InstanceAdmin,
    period: Option<&str>,
    from: Option<String>,
    to: Option<String>,
    app: App<'_>,
) -> Result<Html<SystemPage>, AppError> {
    let custom = if period == Some("custom") {
        let from = super::instant("from", &from)?.ok_or_else(|| AppError::invalid("from", "monitoring.error.time"))?;
        let to = super::instant("to", &to)?.ok_or_else(|| AppError::invalid("to", "monitoring.error.time"))?;
        if to <= from || to - from > app.config.retention.hour_s {
            return Err(AppError::invalid("to", "monitoring.error.custom_period"));
        }
        Some((from, to))
    } else {
        None
    };
    render(
        ctx,
        &admin,
        period,
        custom,
        &app,
        crate::web::forms::FormState::default(),
    )
    .await
}

async fn render(
    ctx: PageCtx,
    admin: &InstanceAdmin,
    period: Option<&str>,
    custom: Option<(i64, i64)>,
    app: &App<'_>,
    form: crate::web::forms::FormState,
) -> Result<Html<SystemPage>, AppError> {
    let now = app.now();
    let (key, from, to) = match custom {
        Some((from, to)) => ("custom", from, to),
        None => {
            let (key, seconds) = PERIODS
                .iter()
                .copied()
                .find(|(k, _)| Some(*k) == period)
                .unwrap_or(PERIODS[0]);
            if period.is_some_and(|p| p != key) {
                return Err(AppError::invalid("period", "monitoring.error.period"));
            }
            (key, now - seconds, now + 1)
        }
    };
    let seconds = to - from;
    let keep = app.config.retention;
    let resolution = system::resolution(from, to, now, None, &keep);
    let before = system::resolution(from - seconds, from, now, None, &keep);
    let (metrics, alerts, rules) = app
        .db
        .read(move |c| {
            let mut out = vec![];
            for name in system::NAMES {
                let points = system::series(c, name, from, to, resolution)?;
                let previous = system::series(c, name, from - seconds, from, before)?;
                out.push(view(name, &points, &previous, from, to));
            }
            Ok((out, super::rules::alerts(c, 20)?, super::rules::list(c)?))
        })
        .await?;
    let clock = admin.0.clockface(ctx.lang, now);
    Ok(Html(SystemPage {
        shell: Shell::new(&admin.0, "monitoring"),
        period: key,
        custom_from: if key == "custom" {
            rfc3339(from)[..16].to_string()
        } else {
            String::new()
        },
        custom_to: if key == "custom" {
            rfc3339(to)[..16].to_string()
        } else {
            String::new()
        },
        metrics,
        alerts: alerts
            .into_iter()
            .map(|a| {
                let at = clock.when(a.opened_at);
                (a, at)
            })
            .collect(),
        rules,
        form,
        ctx,
    }))
}

#[rocket::get("/api/v1/monitoring/metrics?<names>&<from>&<to>&<step>")]
async fn api(
    admin: InstanceAdmin,
    names: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    step: Option<i64>,
    app: App<'_>,
) -> Result<Json<Value>, AppError> {
    let _ = &admin;
    let now = app.now();
    let time = |field, v: Option<&str>, default| {
        Ok::<_, AppError>(super::instant(field, &v.map(str::to_string))?.unwrap_or(default))
    };
    let (from, to) = (time("from", from, now - 3_600)?, time("to", to, now + 1)?);
    if to <= from {
        return Err(AppError::invalid("to", "monitoring.error.time"));
    }
    let wanted: Vec<&'static str> = match names.map(str::trim).filter(|n| !n.is_empty()) {
        None => system::NAMES.to_vec(),
        Some(list) => list
            .split(',')
            .map(|n| {
                system::NAMES
                    .iter()
                    .copied()
                    .find(|k| *k == n.trim())
                    .ok_or_else(|| AppError::invalid("names", "monitoring.error.metric"))
            })
            .collect::<Result<_, _>>()?,
    };
    let resolution = system::resolution(from, to, now, step, &app.config.retention);
    let data = app
        .db
        .read(move |c| {
            let mut out = vec![];
            for name in wanted {
                let points: Vec<Value> = system::series(c, name, from, to, resolution)?
                    .into_iter()
                    .map(|p| json!({ "at": rfc3339(p.at), "avg": p.avg, "min": p.min, "max": p.max }))
                    .collect();
                out.push(json!({ "name": name, "points": points }));
            }
            Ok(out)
        })
        .await?;
    Ok(Json(json!({ "step": resolution, "data": data })))
}

#[rocket::post("/dashboard/monitoring/system/rules", data = "<form>")]
async fn add_rule(
    ctx: PageCtx,
    admin: InstanceAdmin,
    form: rocket::form::Form<super::rules::RuleInput>,
    app: App<'_>,
) -> Result<
    rocket::Either<
        rocket::response::Flash<rocket::response::Redirect>,
        rocket::response::status::Custom<Html<SystemPage>>,
    >,
    AppError,
> {
    let input = form.into_inner();
    if let Err(errors) = input.check() {
        let webhook = input.webhook_url.clone().unwrap_or_default();
        let state = crate::web::forms::FormState::with_values(&[
            ("metric", &input.metric),
            ("op", &input.op),
            ("webhook_url", &webhook),
        ])
        .with_errors(errors);
        let page = render(ctx, &admin, None, None, &app, state).await?;
        return Ok(rocket::Either::Right(rocket::response::status::Custom(
            rocket::http::Status::UnprocessableEntity,
            page,
        )));
    }
    let audit = admin.0.audit(app.now());
    app.write(audit, move |tx| super::rules::create(tx, &input)).await?;
    Ok(rocket::Either::Left(rocket::response::Flash::success(
        rocket::response::Redirect::to("/dashboard/monitoring/system"),
        ctx.t("monitoring.rule_saved"),
    )))
}

#[rocket::post("/dashboard/monitoring/system/alerts/<id>/<step>")]
async fn alert_step(
    ctx: PageCtx,
    admin: InstanceAdmin,
    id: &str,
    step: &str,
    app: App<'_>,
) -> Result<rocket::response::Flash<rocket::response::Redirect>, AppError> {
    let step = super::verdict::Step::parse(step)?;
    let (audit, user, id) = (admin.0.audit(app.now()), admin.0.user.clone(), id.to_string());
    app.write(audit, move |tx| super::rules::step(tx, &id, step, &user))
        .await?;
    Ok(rocket::response::Flash::success(
        rocket::response::Redirect::to("/dashboard/monitoring/system"),
        ctx.t(step.action()),
    ))
}

fn rule_json(r: &super::rules::Rule) -> Value {
    json!({ "id": r.id, "metric": r.metric, "op": r.op, "threshold": r.threshold, "for_s": r.for_s,
            "severity": r.severity, "builtin": r.builtin, "enabled": r.enabled, "webhook_url": r.webhook_url })
}

#[rocket::get("/api/v1/monitoring/alert-rules")]
async fn rules_list(admin: InstanceAdmin, app: App<'_>) -> Result<Json<Value>, AppError> {
    let _ = &admin;
    let rules = app.db.read(super::rules::list).await?;
    Ok(Json(
        json!({ "data": rules.iter().map(rule_json).collect::<Vec<_>>(), "next_cursor": null }),
    ))
}

#[rocket::post("/api/v1/monitoring/alert-rules", data = "<body>")]
async fn rules_create(
    admin: InstanceAdmin,
    body: crate::web::api::ApiJson<super::rules::RuleInput>,
    app: App<'_>,
) -> Result<crate::web::api::Created<Value>, AppError> {
    let audit = admin.0.audit(app.now());
    let input = body.0;
    let rule = app.write(audit, move |tx| super::rules::create(tx, &input)).await?;
    Ok(crate::web::api::created(rule_json(&rule)))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![page, api, add_rule, alert_step, rules_list, rules_create]
}
