//! Operations endpoints: `/healthz` (alive), `/readyz` (database, scheduler
//! and mail each checked), `/metrics` (Prometheus).

pub mod metrics;

use crate::db::Db;
use crate::jobs::Scheduler;
use crate::jobs::outbox::{self, Outbox};
use crate::mail::Mailer;
use metrics::Metrics;
use rocket::State;
use rocket::http::{ContentType, Status};
use rocket::serde::json::Json;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// A background loop that has not beaten for this long is failing.
const STALE_AFTER: Duration = Duration::from_secs(10);

#[rocket::get("/healthz")]
fn healthz() -> &'static str {
    "ok"
}

#[derive(Serialize)]
struct Check {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

#[derive(Serialize)]
struct Readiness {
    status: &'static str,
    checks: BTreeMap<&'static str, Check>,
    failing: Vec<&'static str>,
}

fn check(ok: bool, detail: impl FnOnce() -> String) -> Check {
    if ok {
        Check {
            status: "ok",
            detail: None,
        }
    } else {
        Check {
            status: "failing",
            detail: Some(detail()),
        }
    }
}

#[rocket::get("/readyz")]
async fn readyz(
    db: &State<Db>,
    scheduler: &State<Arc<Scheduler>>,
    outbox: &State<Arc<Outbox>>,
    mailer: &State<Arc<Mailer>>,
) -> (Status, Json<Readiness>) {
    // Writable, not only readable: an empty write transaction (the writer's
    // BEGIN IMMEDIATE takes the write lock, then commits nothing).
    let probe = db.write(|tx| {
        tx.changes_no_identity();
        Ok(tx.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?)
    });
    let database = match tokio::time::timeout(Duration::from_secs(2), probe).await {
        Ok(Ok(_)) => check(true, String::new),
        Ok(Err(e)) => check(false, || e.to_string()),
        Err(_) => check(false, || "no answer within 2 s".into()),
    };
    let scheduler = check(scheduler.heartbeat.alive(STALE_AFTER), || {
        "the job scheduler is not running".into()
    });
    let mail = if !outbox.heartbeat.alive(STALE_AFTER) {
        check(false, || "the outbox worker is not running".into())
    } else {
        check(mailer.usable(), || format!("cannot write to {}", mailer.describe()))
    };
    let checks = BTreeMap::from([("database", database), ("scheduler", scheduler), ("mail", mail)]);
    let failing: Vec<&'static str> = checks
        .iter()
        .filter(|(_, c)| c.status != "ok")
        .map(|(k, _)| *k)
        .collect();
    let (status, word) = if failing.is_empty() {
        (Status::Ok, "ok")
    } else {
        (Status::ServiceUnavailable, "unavailable")
    };
    (
        status,
        Json(Readiness {
            status: word,
            checks,
            failing,
        }),
    )
}

#[rocket::get("/metrics")]
async fn metrics_endpoint(db: &State<Db>, metrics: &State<Arc<Metrics>>) -> (ContentType, String) {
    let pending = db.read(outbox::pending_count).await.unwrap_or(-1);
    let body = metrics.render(db.size_bytes(), pending);
    (
        ContentType::new("application", "openmetrics-text").with_params([("version", "1.0.0"), ("charset", "utf-8")]),
        body,
    )
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![healthz, readyz, metrics_endpoint]
}
