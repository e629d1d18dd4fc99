//! The health checks of an organisation: what a form or the API may send
//! ([`CheckInput`]), checked once into a [`CheckSpec`], and their storage.

use super::CheckId;
use crate::db::Tx;
use crate::db::ids::{hash_token, random_token};
use crate::error::{AppError, FieldError, Message};
use crate::web::forms::Checks;
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

/// A check as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub id: CheckId,
    #[serde(skip)]
    pub org_id: String,
    pub name: String,
    pub kind: String,
    pub url: Option<String>,
    pub method: String,
    pub host: Option<String>,
    pub port: Option<i64>,
    pub expected_status: Option<i64>,
    pub keyword: Option<String>,
    pub max_latency_ms: Option<i64>,
    pub interval_s: i64,
    pub timeout_s: i64,
    pub retries: i64,
    pub recover_after: i64,
    pub paused: bool,
    /// Shown on the public status page.
    pub published: bool,
    /// Warn this many days before the TLS certificate expires (0: never).
    pub tls_warn_days: i64,
    /// Accept a certificate that does not verify (self-signed, internal CA).
    pub ignore_tls_errors: bool,
    /// When the certificate last seen expires (HTTPS checks).
    pub tls_expires_at: Option<i64>,
    /// Where its alerts are posted as JSON, besides the notifications.
    pub webhook_url: Option<String>,
    /// A JSONPath the body must match (HTTP), equal to `json_expected` if set.
    pub json_path: Option<String>,
    pub json_expected: Option<String>,
    #[serde(skip)]
    pub may_reach_private: bool,
    /// `pending` (no verdict yet), `up` or `down`.
    pub state: String,
    #[serde(skip)]
    pub fails: i64,
    #[serde(skip)]
    pub passes: i64,
    #[serde(skip)]
    pub next_run_at: i64,
    pub last_checked_at: Option<i64>,
    pub last_latency_ms: Option<i64>,
    #[serde(skip)]
    pub last_message: Option<Message>,
    pub created_at: i64,
}

const COLUMNS: &str = "id, org_id, name, kind, url, method, host, port, expected_status, keyword, max_latency_ms,
    interval_s, timeout_s, retries, recover_after, paused, may_reach_private, state, fails, passes, next_run_at,
    last_checked_at, last_latency_ms, last_message, created_at, published, tls_warn_days, ignore_tls_errors,
    tls_expires_at, webhook_url, json_path, json_expected";

/// A stored message (JSON of a [`Message`]) read back.
pub fn message_of(text: Option<String>) -> Option<Message> {
    text.and_then(|t| serde_json::from_str(&t).ok())
}

fn check_at(r: &Row<'_>) -> rusqlite::Result<Check> {
    Ok(Check {
        id: CheckId::from_text(r.get::<_, String>(0)?),
        org_id: r.get(1)?,
        name: r.get(2)?,
        kind: r.get(3)?,
        url: r.get(4)?,
        method: r.get(5)?,
        host: r.get(6)?,
        port: r.get(7)?,
        expected_status: r.get(8)?,
        keyword: r.get(9)?,
        max_latency_ms: r.get(10)?,
        interval_s: r.get(11)?,
        timeout_s: r.get(12)?,
        retries: r.get(13)?,
        recover_after: r.get(14)?,
        paused: r.get(15)?,
        may_reach_private: r.get(16)?,
        state: r.get(17)?,
        fails: r.get(18)?,
        passes: r.get(19)?,
        next_run_at: r.get(20)?,
        last_checked_at: r.get(21)?,
        last_latency_ms: r.get(22)?,
        last_message: message_of(r.get(23)?),
        created_at: r.get(24)?,
        published: r.get(25)?,
        tls_warn_days: r.get(26)?,
        ignore_tls_errors: r.get(27)?,
        tls_expires_at: r.get(28)?,
        webhook_url: r.get(29)?,
        json_path: r.get(30)?,
        json_expected: r.get(31)?,
    })
}

/// What a form or the API sends for a check; absent fields take their
/// default (on create) or keep their value (on update).
#[derive(Debug, Clone, Default, Deserialize, rocket::FromForm)]
#[serde(deny_unknown_fields)]
pub struct CheckInput {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub url: Option<String>,
    pub method: Option<String>,
    pub host: Option<String>,
    pub port: Option<i64>,
    pub interval_s: Option<i64>,
    pub timeout_s: Option<i64>,
    pub retries: Option<i64>,
    pub recover_after: Option<i64>,
    pub expected_status: Option<i64>,
    pub keyword: Option<String>,
    pub max_latency_ms: Option<i64>,
    pub paused: Option<bool>,
    pub published: Option<bool>,
    pub tls_warn_days: Option<i64>,
    pub ignore_tls_errors: Option<bool>,
    pub webhook_url: Option<String>,
    pub json_path: Option<String>,
    pub json_expected: Option<String>,
}

/// A check's settings, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckSpec {
    pub name: String,
    pub kind: String,
    pub url: Option<String>,
    pub method: String,
    pub host: Option<String>,
    pub port: Option<i64>,
    pub interval_s: i64,
    pub timeout_s: i64,
    pub retries: i64,
    pub recover_after: i64,
    pub expected_status: Option<i64>,
    pub keyword: Option<String>,
    pub max_latency_ms: Option<i64>,
    pub paused: bool,
    pub published: bool,
    pub tls_warn_days: i64,
    pub ignore_tls_errors: bool,
    pub webhook_url: Option<String>,
    pub json_path: Option<String>,
    pub json_expected: Option<String>,
}

fn text(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl CheckInput {
    /// The input of an existing check, to lay an update over.
    pub fn of(c: &Check) -> CheckInput {
        CheckInput {
            name: Some(c.name.clone()),
            kind: Some(c.kind.clone()),
            url: c.url.clone(),
            method: Some(c.method.clone()),
            host: c.host.clone(),
            port: c.port,
            interval_s: Some(c.interval_s),
            timeout_s: Some(c.timeout_s),
            retries: Some(c.retries),
            recover_after: Some(c.recover_after),
            expected_status: c.expected_status,
            keyword: c.keyword.clone(),
            max_latency_ms: c.max_latency_ms,
            paused: Some(c.paused),
            published: Some(c.published),
            tls_warn_days: Some(c.tls_warn_days),
            ignore_tls_errors: Some(c.ignore_tls_errors),
            webhook_url: c.webhook_url.clone(),
            json_path: c.json_path.clone(),
            json_expected: c.json_expected.clone(),
        }
    }

    /// `self` with every field `patch` sets replaced.
    pub fn overlaid(self, patch: CheckInput) -> CheckInput {
        CheckInput {
            name: patch.name.or(self.name),
            kind: patch.kind.or(self.kind),
            url: patch.url.or(self.url),
            method: patch.method.or(self.method),
            host: patch.host.or(self.host),
            port: patch.port.or(self.port),
            interval_s: patch.interval_s.or(self.interval_s),
            timeout_s: patch.timeout_s.or(self.timeout_s),
            retries: patch.retries.or(self.retries),
            recover_after: patch.recover_after.or(self.recover_after),
            expected_status: patch.expected_status.or(self.expected_status),
            keyword: patch.keyword.or(self.keyword),
            max_latency_ms: patch.max_latency_ms.or(self.max_latency_ms),
            paused: patch.paused.or(self.paused),
            published: patch.published.or(self.published),
            tls_warn_days: patch.tls_warn_days.or(self.tls_warn_days),
            ignore_tls_errors: patch.ignore_tls_errors.or(self.ignore_tls_errors),
            webhook_url: patch.webhook_url.or(self.webhook_url),
            json_path: patch.json_path.or(self.json_path),
            json_expected: patch.json_expected.or(self.json_expected),
        }
    }

    /// Checks every field; `private_ok` lets the target be a private address.
    pub fn parse(&self, private_ok: bool) -> Result<CheckSpec, Vec<FieldError>> {
        let mut c = Checks::default();
        let name = text(&self.name).unwrap_or_default();
        c.check(
            !name.is_empty() && name.chars().count() <= 100,
            "name",
            "monitoring.error.name",
        );
        let kind = text(&self.kind).unwrap_or_else(|| "http".into());
        c.check(
            matches!(kind.as_str(), "http" | "tcp" | "push"),
            "kind",
            "monitoring.error.kind",
        );
        let method = text(&self.method).unwrap_or_else(|| "GET".into()).to_ascii_uppercase();
        let (mut url, mut host, mut port) = (None, None, None);
        match kind.as_str() {
            "http" => {
                let parsed = text(&self.url).and_then(|u| reqwest::Url::parse(&u).ok());
                let fine = parsed
                    .as_ref()
                    .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
                    && self.url.as_ref().is_some_and(|u| u.len() <= 2_000);
                c.check(fine, "url", "monitoring.error.url");
                if let Some(u) = parsed.filter(|_| fine) {
                    let private = crate::net::host_is_private(u.host_str().unwrap_or_default());
                    c.check(private_ok || !private, "url", "monitoring.error.private");
                    url = Some(u.to_string());
                }
                c.check(
                    matches!(method.as_str(), "GET" | "HEAD" | "POST"),
                    "method",
                    "monitoring.error.method",
                );
            }
            "tcp" => {
                let h = text(&self.host).unwrap_or_default();
                let fine = !h.is_empty() && h.len() <= 253 && !h.contains(['/', ' ', ':'])
                    || h.parse::<std::net::IpAddr>().is_ok();
                c.check(fine, "host", "monitoring.error.host");
                c.check(
                    private_ok || !crate::net::host_is_private(&h),
                    "host",
                    "monitoring.error.private",
                );
                c.check(
                    self.port.is_some_and(|p| (1..=65_535).contains(&p)),
                    "port",
                    "monitoring.error.port",
                );
                (host, port) = (Some(h), self.port);
            }
            _ => {}
        }
        let interval_s = self.interval_s.unwrap_or(60);
        c.check(
            (5..=86_400).contains(&interval_s),
            "interval_s",
            "monitoring.error.interval",
        );
        let timeout_s = self.timeout_s.unwrap_or(10.min(interval_s.max(1)));
        c.check(
            (1..=60).contains(&timeout_s) && (kind == "push" || timeout_s <= interval_s),
            "timeout_s",
            "monitoring.error.timeout",
        );
        let retries = self.retries.unwrap_or(1);
        c.check((0..=10).contains(&retries), "retries", "monitoring.error.retries");
        let recover_after = self.recover_after.unwrap_or(1);
        c.check(
            (1..=10).contains(&recover_after),
            "recover_after",
            "monitoring.error.recover_after",
        );
        c.check(
            self.expected_status.is_none_or(|s| (100..=599).contains(&s)),
            "expected_status",
            "monitoring.error.status",
        );
        let keyword = text(&self.keyword);
        c.check(
            keyword.as_ref().is_none_or(|k| k.len() <= 200),
            "keyword",
            "monitoring.error.keyword",
        );
        c.check(
            self.max_latency_ms.is_none_or(|m| (1..=60_000).contains(&m)),
            "max_latency_ms",
            "monitoring.error.max_latency",
        );
        let tls_warn_days = self.tls_warn_days.unwrap_or(14);
        c.check(
            (0..=365).contains(&tls_warn_days),
            "tls_warn_days",
            "monitoring.error.tls_warn_days",
        );
        let webhook_url = webhook(&self.webhook_url, private_ok, &mut c);
        let json_path = text(&self.json_path);
        c.check(
            json_path
                .as_deref()
                .is_none_or(|p| p.len() <= 500 && serde_json_path::JsonPath::parse(p).is_ok()),
            "json_path",
            "monitoring.error.json_path",
        );
        let json_expected = text(&self.json_expected).filter(|_| json_path.is_some());
        c.check(
            json_expected.as_ref().is_none_or(|v| v.len() <= 200),
            "json_expected",
            "monitoring.error.json_expected",
        );
        c.into_result()?;
        Ok(CheckSpec {
            name,
            kind,
            url,
            method,
            host,
            port,
            interval_s,
            timeout_s,
            retries,
            recover_after,
            expected_status: self.expected_status,
            keyword,
            max_latency_ms: self.max_latency_ms,
            paused: self.paused.unwrap_or(false),
            published: self.published.unwrap_or(false),
            tls_warn_days,
            ignore_tls_errors: self.ignore_tls_errors.unwrap_or(false),
            webhook_url,
            json_path,
            json_expected,
        })
    }
}

/// A webhook address typed in `v` (empty: none), checked into `c` under
/// the field `webhook_url`: http(s), and public unless `private_ok`.
pub(crate) fn webhook(v: &Option<String>, private_ok: bool, c: &mut Checks) -> Option<String> {
    let typed = text(v)?;
    let parsed = reqwest::Url::parse(&typed)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some() && typed.len() <= 2_000);
    c.check(parsed.is_some(), "webhook_url", "monitoring.error.url");
    let url = parsed?;
    let private = crate::net::host_is_private(url.host_str().unwrap_or_default());
    c.check(private_ok || !private, "webhook_url", "monitoring.error.private");
    Some(url.to_string())
}

/// The checks of `org_id`, by name.
pub fn list(conn: &Connection, org_id: &str) -> Result<Vec<Check>, AppError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM monitoring_checks WHERE org_id = ?1 ORDER BY name, id"
    ))?;
    let rows = stmt.query_map([org_id], check_at)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One check of `org_id` (another org's is not found).
pub fn get(conn: &Connection, org_id: &str, id: &str) -> Result<Option<Check>, AppError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM monitoring_checks WHERE org_id = ?1 AND id = ?2"
        ))?
        .query_row([org_id, id], check_at)
        .optional()?)
}

/// The check whose heartbeat URL carries `token`.
pub fn by_push_token(conn: &Connection, token: &str) -> Result<Option<Check>, AppError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM monitoring_checks WHERE push_token_hash = ?1 AND kind = 'push'"
        ))?
        .query_row([hash_token(token)], check_at)
        .optional()?)
}

/// The unpaused HTTP and TCP checks due at `now` (at most `limit`), each
/// moved on to its next run so that no other claim takes it again.
pub fn claim_due(tx: &Tx, now: i64, limit: i64) -> Result<Vec<Check>, AppError> {
    let mut stmt = tx.prepare_cached(&format!(
        "UPDATE monitoring_checks SET next_run_at = ?1 + interval_s
         WHERE id IN (SELECT id FROM monitoring_checks
                      WHERE paused = 0 AND kind <> 'push' AND next_run_at <= ?1 ORDER BY next_run_at LIMIT ?2)
         RETURNING {COLUMNS}"
    ))?;
    let rows = stmt.query_map(rusqlite::params![now, limit], check_at)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The unpaused heartbeat checks whose beat is late at `now`, moved on.
pub fn claim_late_heartbeats(tx: &Tx, now: i64) -> Result<Vec<Check>, AppError> {
    let mut stmt = tx.prepare_cached(&format!(
        "UPDATE monitoring_checks SET next_run_at = ?1 + interval_s
         WHERE paused = 0 AND kind = 'push' AND next_run_at <= ?1
         RETURNING {COLUMNS}"
    ))?;
    let rows = stmt.query_map([now], check_at)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Creates a check in `org_id`, audited. A heartbeat check gets its secret
/// token, returned this once (only its hash is kept).
pub fn create(
    tx: &Tx,
    org_id: &str,
    spec: &CheckSpec,
    may_reach_private: bool,
) -> Result<(Check, Option<String>), AppError> {
    let (id, now) = (CheckId::generate(), tx.now());
    let token = (spec.kind == "push").then(|| random_token(24));
    // A heartbeat is late one interval plus its grace (the timeout) after creation.
    let first = if spec.kind == "push" {
        now + spec.interval_s + spec.timeout_s
    } else {
        now
    };
    tx.execute(
        "INSERT INTO monitoring_checks (id, org_id, name, kind, url, method, host, port, push_token_hash, expected_status,
           keyword, max_latency_ms, interval_s, timeout_s, retries, recover_after, paused, may_reach_private, next_run_at, created_at,
           published, tls_warn_days, ignore_tls_errors, webhook_url, json_path, json_expected)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24,
           ?25, ?26)",
        rusqlite::params![
            id.as_str(), org_id, spec.name, spec.kind, spec.url, spec.method, spec.host, spec.port,
            token.as_deref().map(hash_token), spec.expected_status, spec.keyword, spec.max_latency_ms,
            spec.interval_s, spec.timeout_s, spec.retries, spec.recover_after, spec.paused, may_reach_private, first, now,
            spec.published, spec.tls_warn_days, spec.ignore_tls_errors, spec.webhook_url, spec.json_path,
            spec.json_expected
        ],
    )?;
    crate::audit::record(
        tx,
        "monitoring.check_created",
        Some(("check", &id)),
        serde_json::json!({ "name": spec.name, "kind": spec.kind }),
    )?;
    let check = get(tx, org_id, &id)?.ok_or(AppError::NotFound)?;
    Ok((check, token))
}

/// Replaces the settings of a check of `org_id`, audited. Its verdict
/// starts again from "pending" if what it checks changed.
pub fn update(tx: &Tx, org_id: &str, id: &CheckId, spec: &CheckSpec) -> Result<Check, AppError> {
    let before = get(tx, org_id, id)?.ok_or(AppError::NotFound)?;
    if before.kind != spec.kind {
        return Err(AppError::invalid("kind", "monitoring.error.kind_fixed"));
    }
    let target_changed = before.url != spec.url || before.host != spec.host || before.port != spec.port;
    tx.execute(
        "UPDATE monitoring_checks SET name = ?3, url = ?4, method = ?5, host = ?6, port = ?7, expected_status = ?8,
           keyword = ?9, max_latency_ms = ?10, interval_s = ?11, timeout_s = ?12, retries = ?13, recover_after = ?14,
           paused = ?15, published = ?18, tls_warn_days = ?19, ignore_tls_errors = ?20, webhook_url = ?21,
           json_path = ?22, json_expected = ?23,
           tls_expires_at = CASE WHEN ?17 THEN NULL ELSE tls_expires_at END, next_run_at = min(next_run_at, ?16 + ?11),
           state = CASE WHEN ?17 THEN 'pending' ELSE state END,
           fails = CASE WHEN ?17 THEN 0 ELSE fails END, passes = CASE WHEN ?17 THEN 0 ELSE passes END
         WHERE org_id = ?1 AND id = ?2",
        rusqlite::params![
            org_id,
            id.as_str(),
            spec.name,
            spec.url,
            spec.method,
            spec.host,
            spec.port,
            spec.expected_status,
            spec.keyword,
            spec.max_latency_ms,
            spec.interval_s,
            spec.timeout_s,
            spec.retries,
            spec.recover_after,
            spec.paused,
            tx.now(),
            target_changed,
            spec.published,
            spec.tls_warn_days,
            spec.ignore_tls_errors,
            spec.webhook_url,
            spec.json_path,
            spec.json_expected
        ],
    )?;
    crate::audit::record(
        tx,
        "monitoring.check_updated",
        Some(("check", id)),
        serde_json::json!({ "name": spec.name, "paused": spec.paused, "published": spec.published }),
    )?;
    get(tx, org_id, id)?.ok_or(AppError::NotFound)
}

/// Deletes a check of `org_id` with its results, incidents and alerts, audited.
pub fn delete(tx: &Tx, org_id: &str, id: &CheckId) -> Result<(), AppError> {
    let check = get(tx, org_id, id)?.ok_or(AppError::NotFound)?;
    tx.execute(
        "DELETE FROM monitoring_checks WHERE org_id = ?1 AND id = ?2",
        [org_id, id.as_str()],
    )?;
    crate::audit::record(
        tx,
        "monitoring.check_deleted",
        Some(("check", id)),
        serde_json::json!({ "name": check.name }),
    )
}

/// One result of a check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub at: i64,
    pub ok: bool,
    pub latency_ms: Option<i64>,
    pub status: Option<i64>,
    #[serde(skip)]
    pub message: Option<Message>,
}

/// The results of `check_id` in `[from, to)`, newest first, at most `limit`.
pub fn results(
    conn: &Connection,
    check_id: &str,
    from: i64,
    to: i64,
    limit: i64,
) -> Result<Vec<CheckResult>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, ok, latency_ms, status, message FROM monitoring_results
         WHERE check_id = ?1 AND at >= ?2 AND at < ?3 ORDER BY at DESC LIMIT ?4",
    )?;
    let rows = stmt.query_map(rusqlite::params![check_id, from, to, limit], |r| {
        Ok(CheckResult {
            at: r.get(0)?,
            ok: r.get(1)?,
            latency_ms: r.get(2)?,
            status: r.get(3)?,
            message: message_of(r.get(4)?),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The share of good results of `check_id` since `since` (0.0–1.0), if
/// any, from its hourly rollups (the hour of `since` counts whole);
/// results inside a maintenance window do not count.
pub fn uptime(conn: &Connection, check_id: &str, since: i64) -> Result<Option<f64>, AppError> {
    let (good, all): (i64, i64) = conn
        .prepare_cached(
            "SELECT coalesce(sum(good), 0), coalesce(sum(counted), 0) FROM monitoring_check_hours
             WHERE check_id = ?1 AND hour >= ?2",
        )?
        .query_row(rusqlite::params![check_id, since - since % 3_600], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    Ok((all > 0).then(|| good as f64 / all as f64))
}

/// The address a heartbeat check is called at.
pub fn heartbeat_url(base: &reqwest::Url, token: &str) -> String {
    format!("{}/api/v1/heartbeat/{token}", base.as_str().trim_end_matches('/'))
}
