//! Monitoring (`/dashboard/monitoring`, `/api/v1/monitoring/…`): an
//! organisation's health checks of its own sites (HTTP, TCP port,
//! heartbeat), every result they gave, the incidents they went through and
//! the alerts raised for them, told to the members who may see monitoring.
//!
//! Files: `checks` (the checks: input, storage), `verdict` (what a result
//! does: the up/down state machine, incidents, alerts and their
//! notifications), `probe` (running the due checks in parallel, bounded),
//! `maintenance` (windows without alerts), `vitals` (web vitals beacons),
//! `system` (the instance's own metrics, for instance admins), `rules`
//! (alert rules on those metrics), `logs` (the stored request and error log), `public` (the status page and the
//! uptime report), `pages`, `api`, `demo`. Tables: `monitoring_checks`,
//! `monitoring_results`, `monitoring_incidents`, `monitoring_alerts`,
//! `monitoring_maintenance`.

mod api;
pub mod checks;
mod demo;
mod live;
pub mod logs;
mod logs_pages;
pub mod maintenance;
mod pages;
pub mod probe;
mod public;
pub mod rules;
pub mod system;
mod system_pages;
pub mod verdict;
pub mod vitals;
pub mod webhooks;

pub use checks::{Check, CheckInput, CheckSpec};
pub use verdict::{Alert, Incident};

crate::typed_id!(
    /// The id of a health check (`chk_…`).
    CheckId,
    "chk"
);
crate::typed_id!(
    /// The id of an alert (`alr_…`).
    AlertId,
    "alr"
);
crate::typed_id!(
    /// The id of an incident (`inc_…`).
    IncidentId,
    "inc"
);

/// The sidebar entry, shown to whoever may view monitoring.
pub const NAV: crate::web::shell::NavEntry = crate::web::shell::NavEntry {
    key: "monitoring",
    href: "/dashboard/monitoring",
    label_key: "dashboard.section.monitoring",
    area: Some(crate::orgs::perms::Area::Monitoring),
};

/// Raw results older than this are deleted every night (their hourly
/// rollups stay [`HOUR_RETENTION_DAYS`]).
pub const RESULT_RETENTION_DAYS: i64 = 2;
/// Hourly rollups of check results are kept 13 months.
pub const HOUR_RETENTION_DAYS: i64 = 396;

pub fn routes() -> Vec<rocket::Route> {
    let mut all = pages::routes();
    all.extend(api::routes());
    all.extend(public::routes());
    all.extend(system_pages::routes());
    all.extend(logs_pages::routes());
    all.extend(live::routes());
    all
}

/// Its part of `luneo demo`.
pub fn demo_step() -> crate::demo::DemoStep {
    demo::step()
}

/// Its scheduled jobs: running the due checks (every 5 s; each check keeps
/// its own interval), sampling the instance's metrics (every 10 s) and
/// forgetting old results, vitals and samples.
pub fn jobs(
    runner: std::sync::Arc<probe::Runner>,
    sampler: std::sync::Arc<system::Sampler>,
    base_url: reqwest::Url,
    keep: system::Retention,
) -> Vec<crate::jobs::JobDef> {
    vec![
        crate::jobs::JobDef::new("monitoring.sample", "*/10 * * * * *", move |ctx| {
            let (sampler, base) = (sampler.clone(), base_url.clone());
            async move {
                let values = sampler.sample(&ctx.db).await?;
                let changed = ctx.db.write(move |tx| rules::evaluate(tx, &base)).await?;
                Ok(format!("{values} values, {changed} alerts changed"))
            }
        }),
        crate::jobs::JobDef::new("monitoring.checks", "*/5 * * * * *", move |ctx| {
            let runner = runner.clone();
            async move { runner.run_due(&ctx.db, ctx.clock.clone()).await }
        }),
        crate::jobs::JobDef::new("monitoring.purge", "0 20 4 * * *", move |ctx| async move {
            let now = ctx.clock.now();
            let removed = ctx
                .db
                .write(move |tx| {
                    tx.changes_no_identity();
                    tx.execute(
                        "DELETE FROM monitoring_vitals WHERE at < ?1",
                        [now - vitals::RETENTION_DAYS * 86_400],
                    )?;
                    system::purge(tx, now, &keep)?;
                    tx.execute("DELETE FROM monitoring_logs WHERE at < ?1", [now - keep.log_s])?;
                    tx.execute(
                        "DELETE FROM monitoring_check_hours WHERE hour < ?1",
                        [now - HOUR_RETENTION_DAYS * 86_400],
                    )?;
                    Ok(tx.execute(
                        "DELETE FROM monitoring_results WHERE at < ?1",
                        [now - RESULT_RETENTION_DAYS * 86_400],
                    )?)
                })
                .await?;
            Ok(format!("removed {removed} old check results"))
        }),
    ]
}

/// A time typed as RFC 3339 or `YYYY-MM-DDTHH:MM` (UTC), if any; the error names `field`.
pub(crate) fn instant(field: &str, v: &Option<String>) -> Result<Option<i64>, crate::error::AppError> {
    let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let rfc =
        time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339).map(|t| t.unix_timestamp());
    let local = time::PrimitiveDateTime::parse(
        v,
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]"),
    )
    .map(|t| t.assume_utc().unix_timestamp());
    rfc.or(local)
        .map(Some)
        .map_err(|_| crate::error::AppError::invalid(field, "monitoring.error.time"))
}
