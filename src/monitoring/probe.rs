//! Running the checks. Every 5 s the `monitoring.checks` job claims the due
//! HTTP and TCP checks (each claim moves the check to its next run, so a
//! slow one never piles up) and starts each on its own task, at most
//! [`PARALLEL`] at once, each cut by its own timeout; a hanging target
//! delays nobody else. Late heartbeats count as failures. Targets are
//! reached through public addresses only, unless the operator lets
//! organisations reach private ones (`monitoring_private_targets`) or the
//! check was made by an instance admin.

use super::checks::{self, Check};
use super::verdict::{self, Outcome};
use crate::db::Db;
use crate::db::time::SharedClock;
use crate::error::{AppError, Message};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Checks running at the same time, at most.
pub const PARALLEL: usize = 64;
/// The most of a body read to look for a keyword.
const BODY_CAP: usize = 1 << 20;

/// Runs checks; one per instance, shared by the job.
pub struct Runner {
    base_url: reqwest::Url,
    private_targets: bool,
    permits: Arc<Semaphore>,
    /// Checks whose run has not finished (never started twice at once).
    running: Arc<Mutex<HashSet<String>>>,
}

impl Runner {
    pub fn new(base_url: reqwest::Url, private_targets: bool) -> Runner {
        Runner {
            base_url,
            private_targets,
            permits: Arc::new(Semaphore::new(PARALLEL)),
            running: Arc::default(),
        }
    }

    /// Claims the due checks and starts them; returns without waiting for
    /// them (their results are recorded as they come).
    pub async fn run_due(&self, db: &Db, clock: SharedClock) -> Result<String, AppError> {
        let handles = self.start_due(db, clock).await?;
        Ok(format!("started {} checks", handles.len()))
    }

    /// [`Runner::run_due`], handing back the tasks (tests wait for them).
    pub async fn start_due(&self, db: &Db, clock: SharedClock) -> Result<Vec<tokio::task::JoinHandle<()>>, AppError> {
        let now = clock.now();
        let free = self.permits.available_permits() as i64;
        let (due, late) = db
            .write(move |tx| {
                tx.changes_no_identity();
                Ok((
                    checks::claim_due(tx, now, free)?,
                    checks::claim_late_heartbeats(tx, now)?,
                ))
            })
            .await?;
        for check in late {
            let outcome = Outcome {
                ok: false,
                latency_ms: None,
                status: None,
                message: Message::new("monitoring.result.no_heartbeat").with("minutes", (check.interval_s + 59) / 60),
                tls_expires_at: None,
            };
            record(db, &check, outcome, &self.base_url).await;
        }
        let mut handles = vec![];
        for check in due {
            if !self
                .running
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(check.id.to_string())
            {
                continue;
            }
            let Ok(permit) = self.permits.clone().try_acquire_owned() else {
                self.running
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(check.id.as_str());
                continue;
            };
            let (db, running, base) = (db.clone(), self.running.clone(), self.base_url.clone());
            let private_ok = self.private_targets || check.may_reach_private;
            handles.push(tokio::spawn(async move {
                let outcome = probe(&check, private_ok).await;
                record(&db, &check, outcome, &base).await;
                running
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(check.id.as_str());
                drop(permit);
            }));
        }
        Ok(handles)
    }
}

/// A heartbeat arrived for the check of `token`: a good result, and the
/// next beat is expected within its interval plus its grace.
pub async fn heartbeat(db: &Db, token: &str, base: &reqwest::Url) -> Result<bool, AppError> {
    let (token, base) = (token.to_string(), base.clone());
    db.write(move |tx| {
        let Some(check) = checks::by_push_token(tx, &token)? else {
            return Ok(false);
        };
        tx.execute(
            "UPDATE monitoring_checks SET next_run_at = ?2 WHERE id = ?1",
            rusqlite::params![check.id.as_str(), tx.now() + check.interval_s + check.timeout_s],
        )?;
        if check.paused {
            return Ok(true);
        }
        let outcome = Outcome {
            ok: true,
            latency_ms: None,
            status: None,
            message: Message::new("monitoring.result.heartbeat"),
            tls_expires_at: None,
        };
        verdict::record(tx, &check, &outcome, &base)?;
        Ok(true)
    })
    .await
}

async fn record(db: &Db, check: &Check, outcome: Outcome, base: &reqwest::Url) {
    let (check2, base) = (check.clone(), base.clone());
    if let Err(e) = db.write(move |tx| verdict::record(tx, &check2, &outcome, &base)).await {
        tracing::error!(check = %check.id, error = %e, "cannot record a check result");
    }
}

fn failed(message: Message, latency_ms: Option<i64>, status: Option<i64>) -> Outcome {
    Outcome {
        ok: false,
        latency_ms,
        status,
        message,
        tls_expires_at: None,
    }
}

/// Runs one check once.
pub async fn probe(check: &Check, private_ok: bool) -> Outcome {
    let timeout = Duration::from_secs(check.timeout_s.max(1) as u64);
    match check.kind.as_str() {
        "tcp" => probe_tcp(check, timeout, private_ok).await,
        _ => probe_http(check, timeout, private_ok).await,
    }
}

async fn probe_tcp(check: &Check, timeout: Duration, private_ok: bool) -> Outcome {
    let (host, port) = (check.host.clone().unwrap_or_default(), check.port.unwrap_or(0) as u16);
    let started = Instant::now();
    let attempt = async {
        let addrs: Vec<_> = tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|_| Message::new("monitoring.result.dns").with("host", &host))?
            .filter(|a| private_ok || !crate::net::is_private(a.ip()))
            .collect();
        if addrs.is_empty() {
            return Err(Message::new("monitoring.result.private").with("host", &host));
        }
        tokio::net::TcpStream::connect(&addrs[..])
            .await
            .map_err(|e| Message::new("monitoring.result.connect").with("error", e.kind().to_string()))
    };
    match tokio::time::timeout(timeout, attempt).await {
        Err(_) => failed(
            Message::new("monitoring.result.timeout").with("s", check.timeout_s),
            None,
            None,
        ),
        Ok(Err(m)) => failed(m, None, None),
        Ok(Ok(_)) => {
            let ms = started.elapsed().as_millis() as i64;
            slow_or_fine(
                check,
                ms,
                None,
                Message::new("monitoring.result.open").with("port", port),
            )
        }
    }
}

fn slow_or_fine(check: &Check, ms: i64, status: Option<i64>, fine: Message) -> Outcome {
    match check.max_latency_ms {
        Some(max) if ms > max => failed(
            Message::new("monitoring.result.slow").with("ms", ms).with("max", max),
            Some(ms),
            status,
        ),
        _ => Outcome {
            ok: true,
            latency_ms: Some(ms),
            status,
            message: fine,
            tls_expires_at: None,
        },
    }
}

fn client(timeout: Duration, private_ok: bool, ignore_tls_errors: bool) -> Result<reqwest::Client, reqwest::Error> {
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::limited(5))
        .tls_info(true)
        .tls_danger_accept_invalid_certs(ignore_tls_errors)
        .user_agent(concat!("Luneo-monitoring/", env!("CARGO_PKG_VERSION")));
    if !private_ok {
        builder = builder.dns_resolver(Arc::new(crate::net::PublicOnly));
    }
    builder.build()
}

async fn probe_http(check: &Check, timeout: Duration, private_ok: bool) -> Outcome {
    let url = check.url.clone().unwrap_or_default();
    let host = reqwest::Url::parse(&url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    if !private_ok && crate::net::host_is_private(&host) {
        return failed(
            Message::new("monitoring.result.private").with("host", &host),
            None,
            None,
        );
    }
    let Ok(client) = client(timeout, private_ok, check.ignore_tls_errors) else {
        return failed(
            Message::new("monitoring.result.connect").with("error", "TLS"),
            None,
            None,
        );
    };
    let method = reqwest::Method::from_bytes(check.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let started = Instant::now();
    let response = match client.request(method, &url).send().await {
        Ok(r) => r,
        Err(e) => {
            let message = if e.is_timeout() {
                Message::new("monitoring.result.timeout").with("s", check.timeout_s)
            } else {
                // The innermost cause says it best ("Connection refused (os error 111)").
                let mut why = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(inner) = source {
                    why = inner.to_string();
                    source = inner.source();
                }
                Message::new("monitoring.result.connect").with("error", why)
            };
            return failed(message, None, None);
        }
    };
    let tls_expires_at = certificate_expiry(&response);
    let mut outcome = judge_http(check, response, started, timeout).await;
    outcome.tls_expires_at = tls_expires_at;
    outcome
}

/// When the certificate that served `response` expires, if it came over TLS.
fn certificate_expiry(response: &reqwest::Response) -> Option<i64> {
    let der = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()?
        .peer_certificate()?;
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    Some(cert.validity().not_after.timestamp())
}

/// When the certificate served at `url` expires, whether it verifies or
/// not (the instance's own base URL, sampled for its built-in rule).
pub async fn expiry_at(url: &reqwest::Url) -> Option<i64> {
    let client = client(Duration::from_secs(10), true, true).ok()?;
    let response = client.head(url.clone()).send().await.ok()?;
    certificate_expiry(&response)
}

/// What the response of an HTTP check says: its status, keyword and speed.
async fn judge_http(check: &Check, response: reqwest::Response, started: Instant, timeout: Duration) -> Outcome {
    let status = response.status().as_u16() as i64;
    let status_ok = match check.expected_status {
        Some(expected) => status == expected,
        None => (200..400).contains(&status),
    };
    let mut body_problem = None;
    if status_ok && (check.keyword.is_some() || check.json_path.is_some()) {
        let mut seen = Vec::new();
        let mut response = response;
        loop {
            match tokio::time::timeout(timeout, response.chunk()).await {
                Ok(Ok(Some(chunk))) if seen.len() < BODY_CAP => seen.extend_from_slice(&chunk),
                Ok(Ok(_)) => break,
                _ => {
                    return failed(
                        Message::new("monitoring.result.timeout").with("s", check.timeout_s),
                        None,
                        Some(status),
                    );
                }
            }
        }
        body_problem = body_expectations(check, &seen);
    }
    let ms = started.elapsed().as_millis() as i64;
    if !status_ok {
        return failed(
            Message::new("monitoring.result.status").with("status", status),
            Some(ms),
            Some(status),
        );
    }
    if let Some(problem) = body_problem {
        return failed(problem, Some(ms), Some(status));
    }
    slow_or_fine(
        check,
        ms,
        Some(status),
        Message::new("monitoring.result.http").with("status", status),
    )
}

/// What is wrong with a body for `check`'s keyword and JSONPath
/// expectation, if anything.
fn body_expectations(check: &Check, body: &[u8]) -> Option<Message> {
    if let Some(keyword) = &check.keyword
        && !String::from_utf8_lossy(body).contains(keyword.as_str())
    {
        return Some(Message::new("monitoring.result.keyword").with("keyword", keyword));
    }
    let path_text = check.json_path.as_deref()?;
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Some(Message::new("monitoring.result.json_invalid"));
    };
    let Ok(path) = serde_json_path::JsonPath::parse(path_text) else {
        return Some(Message::new("monitoring.result.json_missing").with("path", path_text));
    };
    let nodes = path.query(&value).all();
    let Some(first) = nodes.first() else {
        return Some(Message::new("monitoring.result.json_missing").with("path", path_text));
    };
    let shown = |v: &serde_json::Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
    match &check.json_expected {
        Some(expected) if !nodes.iter().any(|n| shown(n) == *expected) => Some(
            Message::new("monitoring.result.json_value")
                .with("path", path_text)
                .with("value", shown(first).chars().take(100).collect::<String>())
                .with("expected", expected),
        ),
        _ => None,
    }
}
