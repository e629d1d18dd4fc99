//! /healthz, /readyz and /metrics as an operator or a probe sees them.

use crate::helpers::{Spawn, TestApp};

#[tokio::test]
async fn healthz_answers_while_the_process_lives() {
    let app = TestApp::spawn().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn readyz_names_each_part_and_is_ready_once_workers_run() {
    let app = TestApp::spawn().await;
    let ready = app
        .eventually(|| app.scheduler.heartbeat.alive(std::time::Duration::from_secs(5)))
        .await;
    assert!(ready);
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    for part in ["database", "scheduler", "mail"] {
        assert_eq!(body["checks"][part]["status"], "ok", "{body}");
    }
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn readyz_is_503_naming_the_scheduler_and_mail_when_they_do_not_run() {
    let app = TestApp::spawn_with(Spawn {
        start_workers: false,
        ..Spawn::default()
    })
    .await;
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["checks"]["database"]["status"], "ok");
    assert_eq!(body["checks"]["scheduler"]["status"], "failing");
    assert_eq!(body["checks"]["mail"]["status"], "failing");
    let failing: Vec<&str> = body["failing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(failing, ["mail", "scheduler"]);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_report_db_outbox_and_jobs() {
    let app = TestApp::spawn_with(Spawn {
        start_workers: false,
        ..Spawn::default()
    })
    .await;
    app.get("/healthz").await;
    app.get("/healthz").await;
    app.get("/no-such-page").await;
    app.clock.advance(86_400);
    let runs = app.scheduler.run_due().await;
    assert!(runs.iter().any(|r| r.name == "outbox.purge" && r.ok), "{runs:?}");
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("openmetrics-text")
    );
    let text = res.text().await.unwrap();
    assert!(
        text.contains(r#"luneo_http_requests_total{method="GET",route="/healthz",status="200"} 2"#),
        "{text}"
    );
    assert!(
        text.contains(r#"luneo_http_requests_total{method="GET",route="unmatched",status="404"} 1"#),
        "{text}"
    );
    assert!(text.contains("luneo_http_request_duration_seconds_bucket{"), "{text}");
    assert!(
        text.contains(r#"luneo_jobs_runs_total{job="outbox.purge",outcome="ok"} 1"#),
        "{text}"
    );
    assert!(text.contains("luneo_outbox_pending 0"), "{text}");
    let size: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("luneo_db_size_bytes "))
        .expect("db size reported")
        .parse()
        .unwrap();
    assert!(size > 4096, "{size}");
}
