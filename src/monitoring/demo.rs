//! The monitoring part of `luneo demo`: a check of the instance itself, a
//! heartbeat a nightly job would call, and a day of history with one short
//! incident, so the page is alive at first look.

use super::checks::{self, CheckInput};
use super::{IncidentId, verdict};
use crate::db::Tx;
use crate::demo::{DemoCtx, DemoStep};
use crate::error::{AppError, Message};

pub fn step() -> DemoStep {
    DemoStep {
        name: "monitoring",
        run: seed,
    }
}

fn seed(tx: &Tx, demo: &DemoCtx) -> Result<String, AppError> {
    if !checks::list(tx, &demo.org.id)?.is_empty() {
        return Ok("there already".into());
    }
    let base = demo.base_url.as_str().trim_end_matches('/');
    let site = CheckInput {
        name: Some("Luneo itself".into()),
        kind: Some("http".into()),
        url: Some(format!("{base}/healthz")),
        interval_s: Some(60),
        keyword: Some("ok".into()),
        ..CheckInput::default()
    };
    let nightly = CheckInput {
        name: Some("Nightly stock import".into()),
        kind: Some("push".into()),
        interval_s: Some(86_400),
        timeout_s: Some(60),
        ..CheckInput::default()
    };
    let mut made = vec![];
    for input in [site, nightly] {
        let spec = input.parse(true).map_err(AppError::Invalid)?;
        made.push(checks::create(tx, &demo.org.id, &spec, true)?.0);
    }
    // A day of results every ten minutes, with a 20-minute outage at noon.
    let site = &made[0];
    let now = demo.now;
    let (outage_start, outage_end) = (now - 12 * 3_600, now - 12 * 3_600 + 20 * 60);
    let down = Message::new("monitoring.result.status").with("status", 503);
    for k in (1..=144).rev() {
        let at = now - k * 600;
        let bad = (outage_start..outage_end).contains(&at);
        let (message, latency) = if bad {
            (&down, None)
        } else {
            (
                &Message::new("monitoring.result.http").with("status", 200),
                Some(40 + (k * 37) % 90),
            )
        };
        verdict::roll_up(tx, &site.id, at, !bad, latency, false)?;
        tx.execute(
            "INSERT INTO monitoring_results (check_id, at, ok, latency_ms, status, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![
                site.id.as_str(), at, !bad, latency, if bad { 503 } else { 200 },
                serde_json::to_string(message).unwrap_or_default()
            ],
        )?;
    }
    tx.execute(
        "INSERT INTO monitoring_incidents (id, org_id, check_id, started_at, ended_at, cause) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![
            IncidentId::generate().as_str(), demo.org.id, site.id.as_str(), outage_start, outage_end,
            serde_json::to_string(&down).unwrap_or_default()
        ],
    )?;
    tx.execute(
        "INSERT INTO monitoring_alerts (id, org_id, check_id, rule, severity, state, message, opened_at, resolved_at)
         VALUES (?1, ?2, ?3, ?4, 'critical', 'resolved', ?5, ?6, ?7)",
        rusqlite::params![
            super::AlertId::generate().as_str(),
            demo.org.id,
            site.id.as_str(),
            verdict::RULE_DOWN,
            serde_json::to_string(&down).unwrap_or_default(),
            outage_start,
            outage_end
        ],
    )?;
    tx.execute(
        "UPDATE monitoring_checks SET state = 'up', passes = 1, last_checked_at = ?2, last_latency_ms = 52 WHERE id = ?1",
        rusqlite::params![site.id.as_str(), now - 600],
    )?;
    Ok(format!("{} checks with a day of history", made.len()))
}
