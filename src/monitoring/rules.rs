//! Alert rules on the instance's own metrics, for its admins: a rule fires
//! when every sample of its metric over its `for_s` window is past the
//! threshold (the latest one when `for_s` is 0) and resolves by itself when
//! that stops. A few rules are built in: the outbox is not stuck (its
//! oldest waiting delivery is younger than 15 minutes), the disk under
//! DATA_DIR keeps 10 % free, the scheduler is not late, 5xx stay under 5 %,
//! pages stay fast, the SMTP server answers (when mail goes by SMTP), the
//! base URL's TLS certificate has 14 days left (when it is https). A rule
//! may also post its alerts to a webhook. Evaluated after every sample; alerts go to the
//! instance admins, through the notifications feature.

use super::{AlertId, system};
use crate::db::Tx;
use crate::error::{AppError, FieldError, Message};
use crate::notifications::{self, Notice};
use crate::web::forms::Checks;
use crate::web::i18n::Lang;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

crate::typed_id!(
    /// The id of an alert rule (`rul_…`).
    RuleId,
    "rul"
);

/// A rule as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub id: RuleId,
    pub metric: String,
    pub op: String,
    pub threshold: f64,
    pub for_s: i64,
    pub severity: String,
    pub builtin: bool,
    pub enabled: bool,
    /// Where its alerts are posted as JSON, besides the notifications.
    pub webhook_url: Option<String>,
}

/// The rules every instance has: (id, metric, op, threshold, for_s, severity).
const BUILTIN: &[(&str, &str, &str, f64, i64, &str)] = &[
    ("rul_outbox_stuck", "outbox_oldest_pending_s", ">", 900.0, 0, "critical"),
    ("rul_disk_space", "disk_free_percent", "<", 10.0, 0, "critical"),
    ("rul_scheduler_late", "job_lag_s", ">", 120.0, 0, "warning"),
    ("rul_error_rate", "error_rate_percent", ">", 5.0, 300, "warning"),
    ("rul_slow_pages", "latency_p95_ms_pages", ">", 500.0, 300, "warning"),
    ("rul_smtp_unreachable", "smtp_reachable", "<", 1.0, 120, "critical"),
    ("rul_tls_expiring", "tls_days_left", "<", 14.0, 0, "warning"),
];

/// What the API sends for a new rule.
#[derive(Debug, Deserialize, rocket::FromForm)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    pub metric: String,
    pub op: String,
    pub threshold: f64,
    #[serde(default)]
    #[field(default = 0)]
    pub for_s: i64,
    #[serde(default = "warning")]
    #[field(default = String::from("warning"))]
    pub severity: String,
    #[serde(default)]
    pub webhook_url: Option<String>,
}

fn warning() -> String {
    "warning".into()
}

impl RuleInput {
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut c = Checks::default();
        c.check(
            system::NAMES.contains(&self.metric.as_str()),
            "metric",
            "monitoring.error.metric",
        );
        c.check(matches!(self.op.as_str(), ">" | "<"), "op", "monitoring.error.op");
        c.check(self.threshold.is_finite(), "threshold", "monitoring.error.threshold");
        c.check((0..=86_400).contains(&self.for_s), "for_s", "monitoring.error.for_s");
        c.check(
            matches!(self.severity.as_str(), "critical" | "warning" | "info"),
            "severity",
            "monitoring.error.severity",
        );
        super::checks::webhook(&self.webhook_url, true, &mut c);
        c.into_result()
    }
}

fn ensure_builtins(tx: &Tx) -> Result<(), AppError> {
    let mut stmt = tx.prepare_cached(
        "INSERT OR IGNORE INTO monitoring_alert_rules (id, metric, op, threshold, for_s, severity, builtin, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7)",
    )?;
    for (id, metric, op, threshold, for_s, severity) in BUILTIN {
        stmt.execute(rusqlite::params![id, metric, op, threshold, for_s, severity, tx.now()])?;
    }
    Ok(())
}

/// Every rule, built-in ones first.
pub fn list(conn: &Connection) -> Result<Vec<Rule>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, metric, op, threshold, for_s, severity, builtin, enabled, webhook_url FROM monitoring_alert_rules
         ORDER BY builtin DESC, created_at, id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Rule {
            id: RuleId::from_text(r.get::<_, String>(0)?),
            metric: r.get(1)?,
            op: r.get(2)?,
            threshold: r.get(3)?,
            for_s: r.get(4)?,
            severity: r.get(5)?,
            builtin: r.get(6)?,
            enabled: r.get(7)?,
            webhook_url: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Adds a rule, audited.
pub fn create(tx: &Tx, input: &RuleInput) -> Result<Rule, AppError> {
    input.check().map_err(AppError::Invalid)?;
    ensure_builtins(tx)?;
    let id = RuleId::generate();
    let webhook_url = super::checks::webhook(&input.webhook_url, true, &mut Checks::default());
    tx.execute(
        "INSERT INTO monitoring_alert_rules (id, metric, op, threshold, for_s, severity, created_at, webhook_url)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        rusqlite::params![
            id.as_str(),
            input.metric,
            input.op,
            input.threshold,
            input.for_s,
            input.severity,
            tx.now(),
            webhook_url
        ],
    )?;
    crate::audit::record(
        tx,
        "monitoring.rule_created",
        Some(("alert_rule", &id)),
        serde_json::json!({ "metric": input.metric, "op": input.op, "threshold": input.threshold }),
    )?;
    list(tx)?.into_iter().find(|r| r.id == id).ok_or(AppError::NotFound)
}

fn worded(rule: &Rule, value: f64) -> Message {
    Message::new("monitoring.rule_message")
        .with("metric", &rule.metric)
        .with("op", &rule.op)
        .with("threshold", rule.threshold)
        .with("value", format!("{value:.2}"))
}

/// Whether `rule` holds now: its last sample, or every sample of its window.
fn holds(tx: &Tx, rule: &Rule, now: i64) -> Result<Option<f64>, AppError> {
    let since = now - rule.for_s;
    let (count, worst): (i64, Option<f64>) = tx.query_row(
        &format!(
            "SELECT count(*), {} FROM monitoring_samples WHERE name = ?1 AND at >= ?2",
            if rule.op == ">" { "min(value)" } else { "max(value)" }
        ),
        rusqlite::params![rule.metric, if rule.for_s == 0 { now } else { since }],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let worst = worst.filter(|_| count > 0);
    let past = |v: f64| {
        if rule.op == ">" {
            v > rule.threshold
        } else {
            v < rule.threshold
        }
    };
    // With a window, the samples must cover it (the oldest at its start).
    let covered: bool = rule.for_s == 0
        || tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM monitoring_samples WHERE name = ?1 AND at <= ?2)",
            rusqlite::params![rule.metric, since + 10],
            |r| r.get(0),
        )?;
    Ok(worst.filter(|v| past(*v) && covered))
}

/// The instance admins, each with the org they are told in.
fn admins(tx: &Tx) -> Result<Vec<(crate::auth::UserId, String)>, AppError> {
    let mut stmt = tx.prepare_cached(
        "SELECT u.id, (SELECT m.org_id FROM memberships m WHERE m.user_id = u.id ORDER BY m.created_at LIMIT 1)
         FROM users u WHERE u.is_instance_admin = 1",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))?;
    let mut out = vec![];
    for row in rows {
        if let (id, Some(org)) = row? {
            out.push((crate::auth::UserId::from_text(id), org));
        }
    }
    Ok(out)
}

fn tell(
    tx: &Tx,
    kind: &'static notifications::Kind,
    data: serde_json::Value,
    base: &reqwest::Url,
) -> Result<(), AppError> {
    for (admin, org) in admins(tx)? {
        let notice = Notice {
            kind,
            data: data.clone(),
            link: Some("/dashboard/monitoring/system"),
        };
        notifications::notify(tx, &org, std::slice::from_ref(&admin), notice, base)?;
    }
    Ok(())
}

/// Checks every enabled rule against the samples; opens and resolves the
/// instance's alerts. Returns how many changed.
pub fn evaluate(tx: &Tx, base: &reqwest::Url) -> Result<usize, AppError> {
    ensure_builtins(tx)?;
    let now = tx.now();
    let mut changed = 0;
    for rule in list(tx)?.into_iter().filter(|r| r.enabled) {
        let open: Option<String> = tx
            .query_row(
                "SELECT id FROM monitoring_alerts WHERE rule_id = ?1 AND state <> 'resolved'",
                [rule.id.as_str()],
                |r| r.get(0),
            )
            .optional()?;
        // The rule as each reader says it: "Oldest waiting delivery (s) > 900".
        let name = serde_json::json!({ "t": "monitoring.rule_named", "args": {
            "metric": { "t": format!("monitoring.metric.{}", rule.metric) }, "op": rule.op, "threshold": rule.threshold } });
        match (holds(tx, &rule, now)?, open) {
            (Some(value), None) => {
                let message = worded(&rule, value);
                tx.execute(
                    "INSERT INTO monitoring_alerts (id, rule_id, rule, severity, state, message, opened_at)
                     VALUES (?1, ?2, 'metric', ?3, 'firing', ?4, ?5)",
                    rusqlite::params![
                        AlertId::generate().as_str(),
                        rule.id.as_str(),
                        rule.severity,
                        serde_json::to_string(&message).unwrap_or_default(),
                        now
                    ],
                )?;
                let data = serde_json::json!({ "rule": name, "cause": super::verdict::notice_value(&message) });
                tell(tx, &notifications::MONITORING_RULE_FIRING, data, base)?;
                super::webhooks::rule_alert(tx, &rule, "alert.firing", &message)?;
                changed += 1;
            }
            (None, Some(id)) => {
                tx.execute(
                    "UPDATE monitoring_alerts SET state = 'resolved', resolved_at = ?2 WHERE id = ?1",
                    rusqlite::params![id, now],
                )?;
                let opened: i64 =
                    tx.query_row("SELECT opened_at FROM monitoring_alerts WHERE id = ?1", [&id], |r| {
                        r.get(0)
                    })?;
                let duration = crate::web::when::duration_words(now - opened);
                let back = Message::new("monitoring.rule_holds").with("duration", Lang::En.msg(&duration));
                super::webhooks::rule_alert(tx, &rule, "alert.resolved", &back)?;
                let data = serde_json::json!({ "rule": name, "duration": super::verdict::notice_value(&duration) });
                tell(tx, &notifications::MONITORING_RULE_RESOLVED, data, base)?;
                changed += 1;
            }
            _ => {}
        }
    }
    if changed == 0 {
        tx.changes_no_identity();
    } else {
        tx.announce(super::live::INSTANCE_TOPIC);
    }
    Ok(changed)
}

/// An instance alert as listed.
pub struct InstanceAlert {
    pub id: String,
    pub rule: String,
    pub severity: String,
    pub state: String,
    pub message: Option<Message>,
    pub opened_at: i64,
}

/// The instance's alerts, open ones first.
pub fn alerts(conn: &Connection, limit: i64) -> Result<Vec<InstanceAlert>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, r.metric || ' ' || r.op || ' ' || r.threshold, a.severity, a.state, a.message, a.opened_at
         FROM monitoring_alerts a JOIN monitoring_alert_rules r ON r.id = a.rule_id
         ORDER BY a.state = 'resolved', a.opened_at DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| {
        Ok(InstanceAlert {
            id: r.get(0)?,
            rule: r.get(1)?,
            severity: r.get(2)?,
            state: r.get(3)?,
            message: super::checks::message_of(r.get(4)?),
            opened_at: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// An instance admin takes an instance alert in hand or closes it, audited.
pub fn step(tx: &Tx, id: &str, step: super::verdict::Step, by: &crate::auth::User) -> Result<(), AppError> {
    let changed = usize::from(step.apply(tx, id, super::verdict::Scope::Instance, &by.id)?);
    if changed == 0 {
        let exists: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM monitoring_alerts WHERE id = ?1 AND rule_id IS NOT NULL)",
            [id],
            |r| r.get(0),
        )?;
        return Err(if exists {
            AppError::Conflict("monitoring.error.not_firing".into())
        } else {
            AppError::NotFound
        });
    }
    crate::audit::record(
        tx,
        step.action(),
        Some(("alert", id)),
        serde_json::json!({ "check": "instance", "by": "member" }),
    )
}
