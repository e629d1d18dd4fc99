//! Monitoring's alerts beyond up and down: a TLS certificate about to
//! expire (of a check, and of the instance's own base URL), the SMTP server
//! that stops answering, webhooks posted for each alert, and the live
//! streams counted among the instance's metrics; the retention settings.
//! Real servers on loopback:
//! HTTPS (hyper over rustls), SMTP, HTTP sinks.

use crate::helpers::{SmtpServer, Spawn, TestApp};
use crate::http_sink::HttpSink;
use crate::tls_server::TlsServer;
use luneo::db::time::Clock;
use luneo::monitoring::probe::Runner;
use serde_json::{Value, json};
use std::time::Duration;

async fn app_with(smtp_url: Option<String>) -> TestApp {
    let app = TestApp::spawn_with(Spawn {
        smtp_url,
        start_workers: false,
        pairs: vec![("monitoring_private_targets".into(), "true".into())],
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    app
}

async fn run_checks(app: &TestApp) {
    let runner = Runner::new(app.url("/").parse().unwrap(), true);
    for handle in runner.start_due(&app.db, app.clock.clone()).await.unwrap() {
        handle.await.unwrap();
    }
}

async fn call(app: &TestApp, token: &str, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = reqwest::Client::new().request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn last_message(app: &TestApp, name: &'static str) -> String {
    app.db
        .read(move |c| {
            Ok(c.query_row(
                "SELECT coalesce(last_message, '') FROM monitoring_checks WHERE name = ?1",
                [name],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap()
}

/// Takes samples (moving the clock 10 s each time) until `name` has a
/// value, and returns the latest.
async fn sampled(app: &TestApp, name: &'static str) -> Option<f64> {
    for _ in 0..50 {
        app.clock.advance(10);
        app.scheduler.run_due().await;
        let latest: Option<f64> = app
            .db
            .read(move |c| {
                Ok(c.query_row(
                    "SELECT value FROM monitoring_samples WHERE name = ?1 AND at = (SELECT max(at) FROM monitoring_samples)",
                    [name],
                    |r| r.get(0),
                )
                .ok())
            })
            .await
            .unwrap();
        if latest.is_some() {
            return latest;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

#[tokio::test]
async fn a_certificate_about_to_expire_raises_a_warning_that_resolves_once_renewed() {
    let app = app_with(None).await;
    let token = app.api_token("owner@shop.test");
    let now = app.clock.now();
    let server = TlsServer::start(now + 5 * 86_400 + 3_600).await;

    let strict = json!({ "name": "Strict", "kind": "http", "url": server.url("/"), "interval_s": 60, "retries": 0 });
    let (status, _) = call(
        &app,
        &token,
        reqwest::Method::POST,
        "/api/v1/monitoring/checks",
        Some(strict),
    )
    .await;
    assert_eq!(status, 201);
    run_checks(&app).await;
    let strict_said = last_message(&app, "Strict").await;
    assert!(
        strict_said.to_lowercase().contains("certificate"),
        "a self-signed certificate does not verify: {strict_said}"
    );

    let internal = json!({ "name": "Internal", "kind": "http", "url": server.url("/"), "interval_s": 60,
                           "ignore_tls_errors": true, "keyword": "systems go" });
    let (status, check) = call(
        &app,
        &token,
        reqwest::Method::POST,
        "/api/v1/monitoring/checks",
        Some(internal),
    )
    .await;
    assert_eq!(status, 201, "{check}");
    assert_eq!(check["tls_warn_days"], 14, "a warning two weeks ahead by default");
    run_checks(&app).await;
    let id = check["id"].as_str().unwrap();
    let (_, check) = call(
        &app,
        &token,
        reqwest::Method::GET,
        &format!("/api/v1/monitoring/checks/{id}"),
        None,
    )
    .await;
    assert_eq!(check["state"], "up", "accepted as it is: {check}");
    assert_eq!(check["tls_expires_at"], "2026-11-30T11:30:00Z");

    let (_, firing) = call(
        &app,
        &token,
        reqwest::Method::GET,
        "/api/v1/monitoring/alerts?state=firing",
        None,
    )
    .await;
    let alerts: Vec<&Value> = firing["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["check_name"] == "Internal")
        .collect();
    assert_eq!(alerts.len(), 1, "{firing}");
    assert_eq!(alerts[0]["rule"], "tls_expiry");
    assert_eq!(alerts[0]["severity"], "warning");
    assert_eq!(alerts[0]["check_name"], "Internal");
    assert!(
        alerts[0]["message"]
            .as_str()
            .unwrap()
            .contains("expires in 5 days (2026-11-30)")
    );
    let (_, inbox) = app.page("/dashboard/notifications").await;
    assert!(
        inbox.contains("The certificate of Internal expires in 5 days"),
        "{inbox}"
    );
    let (_, page) = app.page(&format!("/dashboard/monitoring/checks/{id}")).await;
    assert!(page.contains("Valid until 2026-11-30"), "{page}");

    app.clock.advance(60);
    run_checks(&app).await;
    assert_eq!(
        app.count("SELECT count(*) FROM monitoring_alerts WHERE rule = 'tls_expiry'")
            .await,
        1,
        "one open alert per check and rule"
    );

    server.renew(now + 90 * 86_400);
    app.clock.advance(60);
    run_checks(&app).await;
    assert_eq!(
        app.count("SELECT count(*) FROM monitoring_alerts WHERE rule = 'tls_expiry' AND state = 'resolved'")
            .await,
        1,
        "a renewed certificate resolves the alert by itself"
    );
    let (_, inbox) = app.page("/dashboard/notifications").await;
    assert!(inbox.contains("The certificate of Internal was renewed"), "{inbox}");
    assert_eq!(app.audited("monitoring.tls_renewed").await.len(), 1);

    let (status, bad) = call(
        &app,
        &token,
        reqwest::Method::PATCH,
        &format!("/api/v1/monitoring/checks/{id}"),
        Some(json!({ "tls_warn_days": 400 })),
    )
    .await;
    assert_eq!(status, 422);
    assert!(bad.to_string().contains("tls_warn_days"), "{bad}");
}

#[tokio::test]
async fn each_alert_of_a_check_is_posted_to_its_webhook() {
    let app = app_with(None).await;
    let site = HttpSink::start().await;
    let hooks = HttpSink::start().await;
    let res = app
        .submit(
            "/dashboard/monitoring",
            "/dashboard/monitoring/checks",
            &[
                ("name", "Shop front"),
                ("kind", "http"),
                ("url", &site.url("/health")),
                ("interval_s", "30"),
                ("timeout_s", "5"),
                ("retries", "0"),
                ("webhook_url", &hooks.url("/hook")),
            ],
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    run_checks(&app).await;
    site.answer("/health", 503);
    app.clock.advance(30);
    run_checks(&app).await;
    app.settle_outbox().await;
    let posted: Vec<Value> = hooks
        .hits()
        .iter()
        .filter(|h| h.path == "/hook")
        .map(|h| serde_json::from_slice(&h.body).unwrap())
        .collect();
    assert_eq!(posted.len(), 1, "{posted:?}");
    assert_eq!(posted[0]["event"], "alert.firing");
    assert_eq!(posted[0]["rule"], "check_down");
    assert_eq!(posted[0]["check"]["name"], "Shop front");
    assert_eq!(
        posted[0]["text"], "[Luneo] Shop front: the answer was HTTP 503",
        "chat tools show the text as it is"
    );
    assert!(
        hooks.hits()[0]
            .headers
            .get("webhook-id")
            .is_some_and(|id| id.starts_with("obx"))
    );

    site.answer("/health", 200);
    app.clock.advance(30);
    run_checks(&app).await;
    app.settle_outbox().await;
    let events: Vec<String> = hooks
        .hits()
        .iter()
        .map(|h| {
            serde_json::from_slice::<Value>(&h.body).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(events, ["alert.firing", "alert.resolved"]);

    // A webhook that is not an address is refused next to its field.
    let res = app
        .submit(
            "/dashboard/monitoring",
            "/dashboard/monitoring/checks",
            &[
                ("name", "Other"),
                ("kind", "http"),
                ("url", &site.url("/")),
                ("webhook_url", "not a url"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("id=\"f-webhook_url-error\""));
}

#[tokio::test]
async fn the_smtp_server_that_stops_answering_fires_the_built_in_alert_until_it_is_back() {
    let port = crate::helpers::free_port();
    let app = app_with(Some(crate::helpers::smtp_url_on(port))).await;
    let firing = "SELECT count(*) FROM monitoring_alerts WHERE rule_id = 'rul_smtp_unreachable' AND state = 'firing'";
    assert_eq!(
        sampled(&app, "smtp_reachable").await,
        Some(0.0),
        "nothing listens there"
    );
    assert_eq!(app.count(firing).await, 0, "not at the first failure");
    app.clock.advance(120);
    app.scheduler.run_due().await;
    assert_eq!(app.count(firing).await, 1, "two minutes without an answer");

    let _smtp = SmtpServer::start_on(port);
    app.clock.advance(60);
    app.scheduler.run_due().await;
    let mut reachable = None;
    for _ in 0..50 {
        reachable = sampled(&app, "smtp_reachable").await;
        if reachable == Some(1.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(reachable, Some(1.0));
    assert_eq!(app.count(firing).await, 0, "it resolved by itself");
}

#[tokio::test]
async fn the_base_urls_certificate_is_watched_and_live_streams_are_counted() {
    let app = app_with(None).await;
    let now = app.clock.now();
    let server = TlsServer::start(now + 3 * 86_400).await;
    let metrics = std::sync::Arc::new(luneo::ops::metrics::Metrics::default());
    let sampler = luneo::monitoring::system::Sampler::new(
        metrics.clone(),
        app.data_dir.path().to_path_buf(),
        app.data_dir.path().join("luneo.db"),
    )
    .watching(server.url("/").parse().unwrap(), None);
    let mut days = None;
    for _ in 0..50 {
        sampler.sample(&app.db).await.unwrap();
        days = app
            .db
            .read(|c| {
                Ok(c.query_row(
                    "SELECT value FROM monitoring_samples WHERE name = 'tls_days_left'",
                    [],
                    |r| r.get::<_, f64>(0),
                )
                .ok())
            })
            .await
            .unwrap();
        if days.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(days, Some(3.0));
    let base: reqwest::Url = app.url("/").parse().unwrap();
    app.db
        .write(move |tx| luneo::monitoring::rules::evaluate(tx, &base))
        .await
        .unwrap();
    assert_eq!(
        app.count("SELECT count(*) FROM monitoring_alerts WHERE rule_id = 'rul_tls_expiring' AND state = 'firing'")
            .await,
        1
    );

    // A live page open is one stream, counted in the next sample.
    let client = app.signed_in("owner@shop.test").await;
    let stream = client.get(app.url("/api/v1/monitoring/stream")).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    let open = sampled(&app, "sse_connections").await;
    assert!(open >= Some(1.0), "{open:?}");
    drop(stream);
}

#[tokio::test]
async fn the_nightly_purge_keeps_what_the_retention_settings_say() {
    let app = TestApp::spawn_with(Spawn {
        start_workers: false,
        pairs: vec![
            ("metrics_raw_retention_hours".into(), "2".into()),
            ("log_retention_days".into(), "1".into()),
        ],
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    app.clock.advance(10);
    app.scheduler.run_due().await;
    let at = app.clock.now();
    app.db
        .write(move |tx| {
            tx.execute(
                "INSERT INTO monitoring_logs (at, level, kind, request_id, message) VALUES (?1, 'warn', 'app', '', 'odd')",
                [at],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    let raw = "SELECT count(*) FROM monitoring_samples WHERE name = 'db_size_bytes'";
    let minutes = "SELECT count(*) FROM monitoring_rollups WHERE name = 'db_size_bytes' AND resolution = 60";
    assert_eq!(app.count(raw).await, 1);
    // 10:30 → 04:30 the next day: past the nightly purge (04:20).
    app.clock.advance(18 * 3_600);
    app.scheduler.run_due().await;
    assert_eq!(
        app.count("SELECT count(*) FROM monitoring_samples WHERE name = 'db_size_bytes' AND at = (SELECT min(at) FROM monitoring_samples)")
            .await,
        1,
        "the sample just taken is there"
    );
    assert_eq!(app.count(raw).await, 1, "the one of 18 hours ago is gone (2 h kept)");
    assert!(app.count(minutes).await >= 1, "its minute rollup stays (30 days)");
    assert_eq!(
        app.count("SELECT count(*) FROM monitoring_logs WHERE message = 'odd'")
            .await,
        1,
        "a day is not over yet"
    );
    app.clock.advance(86_400);
    app.scheduler.run_due().await;
    assert_eq!(
        app.count("SELECT count(*) FROM monitoring_logs WHERE message = 'odd'")
            .await,
        0,
        "one day kept"
    );
}

#[tokio::test]
async fn an_http_check_can_expect_a_value_at_a_json_path() {
    let app = app_with(None).await;
    let token = app.api_token("owner@shop.test");
    let site = HttpSink::start().await;
    site.answer_json("/status.json", r#"{"status": "ok", "queue": {"depth": 3}}"#);
    let check = json!({ "name": "API", "kind": "http", "url": site.url("/status.json"), "interval_s": 30,
                        "retries": 0, "json_path": "$.status", "json_expected": "ok" });
    let (status, made) = call(
        &app,
        &token,
        reqwest::Method::POST,
        "/api/v1/monitoring/checks",
        Some(check),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["json_path"], "$.status");
    run_checks(&app).await;
    let id = made["id"].as_str().unwrap();
    let path = format!("/api/v1/monitoring/checks/{id}");
    let (_, shown) = call(&app, &token, reqwest::Method::GET, &path, None).await;
    assert_eq!(shown["state"], "up", "{shown}");

    site.answer_json("/status.json", r#"{"status": "degraded"}"#);
    app.clock.advance(30);
    run_checks(&app).await;
    let (_, shown) = call(&app, &token, reqwest::Method::GET, &path, None).await;
    assert_eq!(shown["state"], "down");
    assert_eq!(shown["last_message"], "$.status is degraded, not ok");

    site.answer_json("/status.json", r#"{"status": "degraded", "queue": {"depth": 3}}"#);
    let patch = json!({ "json_path": "$.queue.depth", "json_expected": "" });
    let (status, _) = call(&app, &token, reqwest::Method::PATCH, &path, Some(patch)).await;
    assert_eq!(status, 200);
    app.clock.advance(30);
    run_checks(&app).await;
    let (_, shown) = call(&app, &token, reqwest::Method::GET, &path, None).await;
    assert_eq!(shown["state"], "up", "the path finds something, whatever its value");
    assert_eq!(shown["json_expected"], serde_json::Value::Null);

    site.answer_json("/status.json", "not json");
    app.clock.advance(30);
    run_checks(&app).await;
    assert!(last_message(&app, "API").await.contains("json_invalid"));

    let (status, bad) = call(
        &app,
        &token,
        reqwest::Method::PATCH,
        &path,
        Some(json!({ "json_path": "status[" })),
    )
    .await;
    assert_eq!(status, 422);
    assert!(bad.to_string().contains("json_path"), "{bad}");
}
