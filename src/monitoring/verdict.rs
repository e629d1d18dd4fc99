//! What a result does. A check is `pending` until its first verdict; it goes
//! `down` after more failures in a row than its `retries`, and `up` again
//! after `recover_after` successes in a row (no flapping). Going down opens
//! an incident and an alert (one open alert per check and rule); coming up
//! ends the incident and resolves the alert by itself. An alert goes
//! firing → acknowledged → resolved; each step is told to the members who
//! may view monitoring, except a new alert within [`COOLDOWN`] of the last
//! one resolved for the same check, which is recorded but not told again.

use super::checks::{self, Check, message_of};
use super::{AlertId, IncidentId};
use crate::db::Tx;
use crate::error::{AppError, Message};
use crate::notifications::{self, Notice};
use crate::orgs::perms::{Area, Level, Perm};
use crate::web::i18n::Lang;
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

/// A new alert this soon after the last one of the same check was resolved
/// is not told again.
pub const COOLDOWN: i64 = 10 * 60;

/// The rule of the alert raised when a check goes down.
pub const RULE_DOWN: &str = "check_down";
/// The rule of the alert raised when a check's TLS certificate is about to
/// expire (its `tls_warn_days`); it resolves when a renewed one is served.
pub const RULE_TLS: &str = "tls_expiry";

/// What one run of a check found.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub ok: bool,
    pub latency_ms: Option<i64>,
    pub status: Option<i64>,
    /// What it found, worded by the catalogue (`monitoring.result.*`).
    pub message: Message,
    /// When the TLS certificate it was served expires (HTTPS).
    pub tls_expires_at: Option<i64>,
}

/// An incident: a check down from `started_at` until `ended_at`.
#[derive(Debug, Clone, Serialize)]
pub struct Incident {
    pub id: IncidentId,
    pub check_id: String,
    pub check_name: String,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    #[serde(skip)]
    pub cause: Option<Message>,
}

/// An alert as listed.
#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    pub id: AlertId,
    pub check_id: String,
    pub check_name: String,
    pub rule: String,
    pub severity: String,
    pub state: String,
    #[serde(skip)]
    pub message: Option<Message>,
    pub opened_at: i64,
    pub acknowledged_at: Option<i64>,
    pub resolved_at: Option<i64>,
}

fn json(message: &Message) -> String {
    serde_json::to_string(message).unwrap_or_default()
}

/// A message as notification data: worded in each reader's language.
pub(super) fn notice_value(message: &Message) -> serde_json::Value {
    let args: serde_json::Map<String, serde_json::Value> = message
        .args
        .iter()
        .map(|(k, v)| (k.clone(), v.clone().into()))
        .collect();
    serde_json::json!({ "t": message.key, "args": args })
}

fn tell(
    tx: &Tx,
    check: &Check,
    kind: &'static notifications::Kind,
    data: serde_json::Value,
    base: &reqwest::Url,
) -> Result<(), AppError> {
    let recipients = crate::orgs::team::members_who_can(tx, &check.org_id, Perm(Area::Monitoring, Level::View))?;
    let link = format!("/dashboard/monitoring/checks/{}", check.id);
    let notice = Notice {
        kind,
        data,
        link: Some(&link),
    };
    notifications::notify(tx, &check.org_id, &recipients, notice, base).map(|_| ())
}

/// Adds one result to its check's hour (what uptime and reports read).
pub fn roll_up(
    tx: &Tx,
    check_id: &str,
    at: i64,
    ok: bool,
    latency_ms: Option<i64>,
    maintenance: bool,
) -> Result<(), AppError> {
    let counted = i64::from(!maintenance);
    let good = i64::from(!maintenance && ok);
    let latency = latency_ms.filter(|_| ok).map(|l| l as f64);
    tx.prepare_cached(
        "INSERT INTO monitoring_check_hours (check_id, hour, counted, good, latency_sum, latency_count, latency_max)
         VALUES (?1, ?2, ?3, ?4, coalesce(?5, 0), ?6, ?5)
         ON CONFLICT (check_id, hour) DO UPDATE SET counted = counted + excluded.counted, good = good + excluded.good,
           latency_sum = latency_sum + excluded.latency_sum, latency_count = latency_count + excluded.latency_count,
           latency_max = max(coalesce(latency_max, excluded.latency_max), coalesce(excluded.latency_max, latency_max))",
    )?
    .execute(rusqlite::params![
        check_id,
        at - at % 3_600,
        counted,
        good,
        latency,
        i64::from(latency.is_some())
    ])?;
    Ok(())
}

/// Records what a run of `check` found and what follows from it.
pub fn record(tx: &Tx, check: &Check, outcome: &Outcome, base: &reqwest::Url) -> Result<(), AppError> {
    // The check as it is now (another result or an edit may have come first).
    let Some(check) = checks::get(tx, &check.org_id, &check.id)? else {
        return Ok(()); // deleted meanwhile
    };
    let now = tx.now();
    let maintenance = super::maintenance::is_on(tx, &check.org_id, &check.id, now)?;
    tx.execute(
        "INSERT INTO monitoring_results (check_id, at, ok, latency_ms, status, message, maintenance)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        rusqlite::params![
            check.id.as_str(),
            now,
            outcome.ok,
            outcome.latency_ms,
            outcome.status,
            json(&outcome.message),
            maintenance
        ],
    )?;
    roll_up(tx, &check.id, now, outcome.ok, outcome.latency_ms, maintenance)?;
    if maintenance {
        // Inside a window the verdict waits: no streak, no incident, no alert.
        tx.changes_no_identity();
        tx.execute(
            "UPDATE monitoring_checks SET last_checked_at = ?2, last_latency_ms = ?3, last_message = ?4,
               tls_expires_at = coalesce(?5, tls_expires_at) WHERE id = ?1",
            rusqlite::params![
                check.id.as_str(),
                now,
                outcome.latency_ms,
                json(&outcome.message),
                outcome.tls_expires_at
            ],
        )?;
        return Ok(());
    }
    let (fails, passes) = if outcome.ok {
        (0, check.passes + 1)
    } else {
        (check.fails + 1, 0)
    };
    let state = match (check.state.as_str(), outcome.ok) {
        ("up", true) | ("down", false) => check.state.clone(),
        ("pending", true) => "up".into(),
        (_, true) if passes >= check.recover_after => "up".into(),
        (_, false) if fails > check.retries => "down".into(),
        _ => check.state.clone(),
    };
    tx.execute(
        "UPDATE monitoring_checks SET state = ?2, fails = ?3, passes = ?4, last_checked_at = ?5, last_latency_ms = ?6,
           last_message = ?7 WHERE id = ?1",
        rusqlite::params![
            check.id.as_str(),
            state,
            fails,
            passes,
            now,
            outcome.latency_ms,
            json(&outcome.message)
        ],
    )?;
    let tls_told = outcome
        .tls_expires_at
        .map(|expires| certificate(tx, &check, expires, base))
        .transpose()?
        .unwrap_or(false);
    if state == check.state {
        if !tls_told {
            tx.changes_no_identity(); // nobody's bell or session changes
        }
        return Ok(());
    }
    tx.announce(super::live::topic(&check.org_id));
    if state == "down" {
        went_down(tx, &check, &outcome.message, base)
    } else if check.state == "down" {
        came_up(tx, &check, base)
    } else {
        Ok(())
    }
}

fn went_down(tx: &Tx, check: &Check, cause: &Message, base: &reqwest::Url) -> Result<(), AppError> {
    let now = tx.now();
    // The outage began with the first failure of the streak, not when the
    // retries ran out.
    let started: i64 = tx.query_row(
        "SELECT coalesce(min(at), ?2) FROM monitoring_results WHERE check_id = ?1 AND ok = 0
           AND at > coalesce((SELECT max(at) FROM monitoring_results WHERE check_id = ?1 AND ok = 1), 0)",
        rusqlite::params![check.id.as_str(), now],
        |r| r.get(0),
    )?;
    let incident = IncidentId::generate();
    tx.execute(
        "INSERT OR IGNORE INTO monitoring_incidents (id, org_id, check_id, started_at, cause) VALUES (?1, ?2, ?3, ?4, ?5)",
        rusqlite::params![incident.as_str(), check.org_id, check.id.as_str(), started, json(cause)],
    )?;
    let last_resolved: Option<i64> = tx
        .query_row(
            "SELECT max(resolved_at) FROM monitoring_alerts WHERE check_id = ?1 AND rule = ?2",
            [check.id.as_str(), RULE_DOWN],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    let alert = AlertId::generate();
    let opened = tx.execute(
        "INSERT OR IGNORE INTO monitoring_alerts (id, org_id, check_id, incident_id, rule, severity, state, message, opened_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'critical', 'firing', ?6, ?7)",
        rusqlite::params![alert.as_str(), check.org_id, check.id.as_str(), incident.as_str(), RULE_DOWN, json(cause), now],
    )? == 1;
    if !opened {
        return Ok(()); // one open alert per check and rule already
    }
    crate::audit::record_in(
        tx,
        &check.org_id,
        "monitoring.alert_fired",
        Some(("check", &check.id)),
        serde_json::json!({ "check": check.name }),
    )?;
    if last_resolved.is_some_and(|at| now - at < COOLDOWN) {
        return Ok(());
    }
    super::webhooks::check_alert(tx, check, "alert.firing", RULE_DOWN, cause)?;
    let data = serde_json::json!({ "check": check.name, "cause": notice_value(cause) });
    tell(tx, check, &notifications::MONITORING_ALERT_FIRING, data, base)
}

fn came_up(tx: &Tx, check: &Check, base: &reqwest::Url) -> Result<(), AppError> {
    let now = tx.now();
    let started: Option<i64> = tx
        .query_row(
            "UPDATE monitoring_incidents SET ended_at = ?2 WHERE check_id = ?1 AND ended_at IS NULL RETURNING started_at",
            rusqlite::params![check.id.as_str(), now],
            |r| r.get(0),
        )
        .optional()?;
    let resolved = tx.execute(
        "UPDATE monitoring_alerts SET state = 'resolved', resolved_at = ?2
         WHERE check_id = ?1 AND rule = ?3 AND state <> 'resolved'",
        rusqlite::params![check.id.as_str(), now, RULE_DOWN],
    )?;
    if resolved == 0 {
        return Ok(());
    }
    crate::audit::record_in(
        tx,
        &check.org_id,
        "monitoring.alert_resolved",
        Some(("check", &check.id)),
        serde_json::json!({ "check": check.name, "by": "recovery" }),
    )?;
    let duration = crate::web::when::duration_words(now - started.unwrap_or(now));
    let back = Message::new("monitoring.result.back_up").with("duration", Lang::En.msg(&duration));
    super::webhooks::check_alert(tx, check, "alert.resolved", RULE_DOWN, &back)?;
    let data = serde_json::json!({ "check": check.name, "duration": notice_value(&duration) });
    tell(tx, check, &notifications::MONITORING_ALERT_RESOLVED, data, base)
}

/// Notes the certificate `check` was served (expiring at `expires`) and
/// opens or resolves its [`RULE_TLS`] alert; true if one was told.
fn certificate(tx: &Tx, check: &Check, expires: i64, base: &reqwest::Url) -> Result<bool, AppError> {
    let now = tx.now();
    tx.execute(
        "UPDATE monitoring_checks SET tls_expires_at = ?2 WHERE id = ?1",
        rusqlite::params![check.id.as_str(), expires],
    )?;
    let expiring = check.tls_warn_days > 0 && expires - now < check.tls_warn_days * 86_400;
    let open: Option<String> = tx
        .query_row(
            "SELECT id FROM monitoring_alerts WHERE check_id = ?1 AND rule = ?2 AND state <> 'resolved'",
            [check.id.as_str(), RULE_TLS],
            |r| r.get(0),
        )
        .optional()?;
    let date = crate::db::time::rfc3339(expires)[..10].to_string();
    let days = (expires - now).div_euclid(86_400);
    match (expiring, open) {
        (true, None) => {
            let message = Message::new("monitoring.result.tls_expiring")
                .with("days", days)
                .with("date", &date);
            let severity = if days < 3 { "critical" } else { "warning" };
            tx.execute(
                "INSERT INTO monitoring_alerts (id, org_id, check_id, rule, severity, state, message, opened_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'firing', ?6, ?7)",
                rusqlite::params![
                    AlertId::generate().as_str(),
                    check.org_id,
                    check.id.as_str(),
                    RULE_TLS,
                    severity,
                    json(&message),
                    now
                ],
            )?;
            crate::audit::record_in(
                tx,
                &check.org_id,
                "monitoring.tls_expiring",
                Some(("check", &check.id)),
                serde_json::json!({ "check": check.name, "days": days }),
            )?;
            let data = serde_json::json!({ "check": check.name, "days": days, "date": date });
            tell(tx, check, &notifications::MONITORING_TLS_EXPIRING, data, base)?;
            super::webhooks::check_alert(tx, check, "alert.firing", RULE_TLS, &message)?;
            tx.announce(super::live::topic(&check.org_id));
            Ok(true)
        }
        (false, Some(id)) => {
            tx.execute(
                "UPDATE monitoring_alerts SET state = 'resolved', resolved_at = ?2 WHERE id = ?1",
                rusqlite::params![id, now],
            )?;
            crate::audit::record_in(
                tx,
                &check.org_id,
                "monitoring.tls_renewed",
                Some(("check", &check.id)),
                serde_json::json!({ "check": check.name, "until": date }),
            )?;
            let data = serde_json::json!({ "check": check.name, "date": date });
            tell(tx, check, &notifications::MONITORING_TLS_RENEWED, data, base)?;
            let message = Message::new("monitoring.result.tls_renewed").with("date", &date);
            super::webhooks::check_alert(tx, check, "alert.resolved", RULE_TLS, &message)?;
            tx.announce(super::live::topic(&check.org_id));
            Ok(true)
        }
        _ => Ok(false),
    }
}

const ALERT_COLUMNS: &str = "a.id, a.check_id, c.name, a.rule, a.severity, a.state, a.message, a.opened_at,
    a.acknowledged_at, a.resolved_at";

fn alert_at(r: &rusqlite::Row<'_>) -> rusqlite::Result<Alert> {
    Ok(Alert {
        id: AlertId::from_text(r.get::<_, String>(0)?),
        check_id: r.get(1)?,
        check_name: r.get(2)?,
        rule: r.get(3)?,
        severity: r.get(4)?,
        state: r.get(5)?,
        message: message_of(r.get(6)?),
        opened_at: r.get(7)?,
        acknowledged_at: r.get(8)?,
        resolved_at: r.get(9)?,
    })
}

/// The alerts of `org_id` (in one `state`, or the open ones first and then
/// the latest resolved), newest first, at most `limit`.
pub fn alerts(conn: &Connection, org_id: &str, state: Option<&str>, limit: i64) -> Result<Vec<Alert>, AppError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ALERT_COLUMNS} FROM monitoring_alerts a JOIN monitoring_checks c ON c.id = a.check_id
         WHERE a.org_id = ?1 AND (?2 IS NULL OR a.state = ?2)
         ORDER BY a.state = 'resolved', a.opened_at DESC LIMIT ?3"
    ))?;
    let rows = stmt.query_map(rusqlite::params![org_id, state, limit], alert_at)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn alert(conn: &Connection, org_id: &str, id: &str) -> Result<Option<Alert>, AppError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {ALERT_COLUMNS} FROM monitoring_alerts a JOIN monitoring_checks c ON c.id = a.check_id
             WHERE a.org_id = ?1 AND a.id = ?2"
        ))?
        .query_row([org_id, id], alert_at)
        .optional()?)
}

/// Whose alerts a step may touch: an org's (about its checks) or the
/// instance's (about its metric rules).
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    Org(&'a str),
    Instance,
}

/// What a member does to an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Takes it in hand: firing → acknowledged.
    Acknowledge,
    /// Closes it by hand: firing or acknowledged → resolved.
    Resolve,
}

impl Step {
    /// The step named in a URL (`acknowledge`, `resolve`).
    pub fn parse(step: &str) -> Result<Step, AppError> {
        match step {
            "acknowledge" => Ok(Step::Acknowledge),
            "resolve" => Ok(Step::Resolve),
            _ => Err(AppError::NotFound),
        }
    }

    /// The audit action, which is also the catalogue key of its flash message.
    pub fn action(self) -> &'static str {
        match self {
            Step::Acknowledge => "monitoring.alert_acknowledged",
            Step::Resolve => "monitoring.alert_resolved",
        }
    }

    /// Applies the step to the alert `id` of `scope`; false if the alert
    /// is not there or not in a state to take it.
    pub(super) fn apply(self, tx: &Tx, id: &str, scope: Scope<'_>, who: &str) -> Result<bool, AppError> {
        let set = match self {
            Step::Acknowledge => {
                "state = 'acknowledged', acknowledged_at = ?2, acknowledged_by = ?3 WHERE state = 'firing'"
            }
            Step::Resolve => "state = 'resolved', resolved_at = ?2, resolved_by = ?3 WHERE state <> 'resolved'",
        };
        let changed = match scope {
            Scope::Org(org_id) => tx.execute(
                &format!("UPDATE monitoring_alerts SET {set} AND id = ?1 AND org_id = ?4"),
                rusqlite::params![id, tx.now(), who, org_id],
            )?,
            Scope::Instance => tx.execute(
                &format!("UPDATE monitoring_alerts SET {set} AND id = ?1 AND rule_id IS NOT NULL"),
                rusqlite::params![id, tx.now(), who],
            )?,
        };
        Ok(changed == 1)
    }

    fn refused(self) -> AppError {
        match self {
            Step::Acknowledge => AppError::Conflict("monitoring.error.not_firing".into()),
            Step::Resolve => AppError::Conflict("monitoring.error.resolved_already".into()),
        }
    }
}

/// A member acknowledges or resolves an alert of `org_id`, audited and told;
/// 409 from a state that does not allow it.
pub fn take(
    tx: &Tx,
    org_id: &str,
    id: &AlertId,
    step: Step,
    by: &crate::auth::User,
    base: &reqwest::Url,
) -> Result<Alert, AppError> {
    let changed = step.apply(tx, id, Scope::Org(org_id), &by.id)?;
    let alert = alert(tx, org_id, id)?.ok_or(AppError::NotFound)?;
    if !changed {
        return Err(step.refused());
    }
    let kind = match step {
        Step::Acknowledge => &notifications::MONITORING_ALERT_ACKNOWLEDGED,
        Step::Resolve => &notifications::MONITORING_ALERT_HANDLED,
    };
    after_member_step(tx, org_id, &alert, step.action(), kind, by, base)?;
    Ok(alert)
}

fn after_member_step(
    tx: &Tx,
    org_id: &str,
    alert: &Alert,
    action: &str,
    kind: &'static notifications::Kind,
    by: &crate::auth::User,
    base: &reqwest::Url,
) -> Result<(), AppError> {
    crate::audit::record(
        tx,
        action,
        Some(("check", &alert.check_id)),
        serde_json::json!({ "check": alert.check_name, "by": "member" }),
    )?;
    tx.announce(super::live::topic(org_id));
    let check = checks::get(tx, org_id, &alert.check_id)?.ok_or(AppError::NotFound)?;
    let (event, key) = if action == Step::Acknowledge.action() {
        ("alert.acknowledged", "monitoring.result.acknowledged_by")
    } else {
        ("alert.resolved", "monitoring.result.resolved_by")
    };
    let said = Message::new(key).with("name", &by.name);
    super::webhooks::check_alert(tx, &check, event, &alert.rule, &said)?;
    let data = serde_json::json!({ "check": alert.check_name, "name": by.name });
    tell(tx, &check, kind, data, base)
}

/// The incidents of `org_id` (of one check, if given), newest first.
pub fn incidents(
    conn: &Connection,
    org_id: &str,
    check_id: Option<&str>,
    limit: i64,
) -> Result<Vec<Incident>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT i.id, i.check_id, c.name, i.started_at, i.ended_at, i.cause
         FROM monitoring_incidents i JOIN monitoring_checks c ON c.id = i.check_id
         WHERE i.org_id = ?1 AND (?2 IS NULL OR i.check_id = ?2) ORDER BY i.started_at DESC LIMIT ?3",
    )?;
    let rows = stmt.query_map(rusqlite::params![org_id, check_id, limit], |r| {
        Ok(Incident {
            id: IncidentId::from_text(r.get::<_, String>(0)?),
            check_id: r.get(1)?,
            check_name: r.get(2)?,
            started_at: r.get(3)?,
            ended_at: r.get(4)?,
            cause: message_of(r.get(5)?),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
