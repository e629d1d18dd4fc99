//! Monitoring: checks against real servers on loopback go down and come
//! back, alerts are raised, told by mail through the real SMTP server,
//! acknowledged and resolved; input is checked and orgs stay apart.

use crate::helpers::{SmtpServer, Spawn, TestApp};
use crate::http_sink::HttpSink;
use luneo::monitoring::probe::Runner;
use serde_json::{Value, json};

/// An app whose checks may reach loopback (the sinks of these tests).
async fn app_with(smtp: Option<&SmtpServer>) -> TestApp {
    let app = TestApp::spawn_with(Spawn {
        smtp_url: smtp.map(|s| s.url()),
        start_workers: false,
        pairs: vec![("monitoring_private_targets".into(), "true".into())],
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    app
}

/// Runs every due check now and waits for their results.
async fn run_checks(app: &TestApp) {
    let runner = Runner::new(app.url("/").parse().unwrap(), true);
    for handle in runner.start_due(&app.db, app.clock.clone()).await.unwrap() {
        handle.await.unwrap();
    }
}

async fn check_state(app: &TestApp) -> (String, i64) {
    app.db
        .read(|c| {
            Ok(c.query_row("SELECT state, fails FROM monitoring_checks", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?)
        })
        .await
        .unwrap()
}

fn api(app: &TestApp, token: &str, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new().request(method, app.url(path)).bearer_auth(token)
}

#[tokio::test]
async fn a_check_goes_down_raises_an_alert_that_is_mailed_and_resolves_itself_when_back() {
    let smtp = SmtpServer::start();
    let app = app_with(Some(&smtp)).await;
    app.add_member("vera@shop.test", "Vera", "viewer").await;
    let sink = HttpSink::start().await;
    let res = app
        .submit(
            "/dashboard/monitoring",
            "/dashboard/monitoring/checks",
            &[
                ("name", "Shop front"),
                ("kind", "http"),
                ("url", &sink.url("/health")),
                ("method", "GET"),
                ("interval_s", "30"),
                ("timeout_s", "5"),
                ("retries", "1"),
                ("keyword", "systems go"),
            ],
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());

    run_checks(&app).await;
    assert_eq!(check_state(&app).await, ("up".into(), 0));
    sink.answer("/health", 503);
    app.clock.advance(30);
    run_checks(&app).await;
    assert_eq!(
        check_state(&app).await,
        ("up".into(), 1),
        "one failure is a retry, not an outage"
    );
    app.clock.advance(30);
    run_checks(&app).await;
    assert_eq!(check_state(&app).await.0, "down");
    assert_eq!(
        app.count("SELECT count(*) FROM monitoring_incidents WHERE ended_at IS NULL")
            .await,
        1
    );
    app.clock.advance(30);
    run_checks(&app).await;
    assert_eq!(
        app.count("SELECT count(*) FROM monitoring_alerts").await,
        1,
        "one open alert per check, however long it stays down"
    );

    app.settle_outbox().await;
    let mails: Vec<_> = smtp
        .received()
        .into_iter()
        .filter(|m| m.subject().contains("Shop front is down"))
        .collect();
    let to: Vec<String> = mails.iter().flat_map(|m| m.to.clone()).collect();
    assert!(
        to.contains(&"owner@shop.test".to_string()) && to.contains(&"vera@shop.test".to_string()),
        "{to:?}"
    );
    assert!(mails[0].part("text/plain").unwrap().contains("the answer was HTTP 503"));
    let (_, page) = app.page("/dashboard/monitoring").await;
    assert!(
        page.contains("Open alerts") && page.contains("the answer was HTTP 503"),
        "{page}"
    );
    assert!(page.contains("Down: 1"));

    let alert: String = app
        .db
        .read(|c| Ok(c.query_row("SELECT id FROM monitoring_alerts", [], |r| r.get(0))?))
        .await
        .unwrap();
    let ack = format!("/dashboard/monitoring/alerts/{alert}/acknowledge");
    let res = app.submit("/dashboard/monitoring", &ack, &[]).await;
    assert_eq!(res.status(), 303);
    let res = app.submit("/dashboard/monitoring", &ack, &[]).await;
    assert_eq!(res.status(), 409, "only a firing alert is acknowledged");
    let vera = app.signed_in("vera@shop.test").await;
    let res = app.submit_as(&vera, "/dashboard/monitoring", &ack, &[]).await;
    assert_eq!(res.status(), 403, "a viewer sees alerts but does not handle them");

    sink.answer("/health", 200);
    app.clock.advance(30);
    run_checks(&app).await;
    assert_eq!(check_state(&app).await.0, "up");
    let (ended, state): (Option<i64>, String) = app
        .db
        .read(|c| {
            Ok(c.query_row(
                "SELECT i.ended_at - i.started_at, a.state FROM monitoring_incidents i JOIN monitoring_alerts a ON a.incident_id = i.id",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(
        (ended, state.as_str()),
        (Some(90), "resolved"),
        "the incident runs from the first failure; the alert resolves by itself"
    );
    app.settle_outbox().await;
    assert!(
        smtp.received()
            .iter()
            .any(|m| m.subject().contains("Shop front is back up"))
    );
    let (_, inbox) = app.page("/dashboard/notifications").await;
    assert!(inbox.contains("Shop front answers again, after 2 min down."), "{inbox}");
    let id: String = app
        .db
        .read(|c| Ok(c.query_row("SELECT id FROM monitoring_checks", [], |r| r.get(0))?))
        .await
        .unwrap();
    let (_, detail) = app.page(&format!("/dashboard/monitoring/checks/{id}")).await;
    assert!(detail.contains("<svg") && detail.contains("Response times, last 24 hours"));
    assert!(
        detail.contains("2 min") && detail.contains("the answer was HTTP 503"),
        "the incident with its duration and cause"
    );
    assert_eq!(app.audited("monitoring.alert_fired").await.len(), 1);
}

#[tokio::test]
async fn checks_are_checked_private_targets_refused_and_orgs_kept_apart() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    // An admin of the shop, not of the instance: its checks reach public addresses only.
    app.add_member("ada@shop.test", "Ada", "admin").await;
    let token = app.api_token("ada@shop.test");
    let post = |body: Value| {
        api(&app, &token, reqwest::Method::POST, "/api/v1/monitoring/checks")
            .json(&body)
            .send()
    };

    let res = post(json!({"name": "Mine", "kind": "http", "url": "http://127.0.0.1:9/", "interval_s": 30}))
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "url");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("private address")
    );
    let res = post(json!({"name": "", "kind": "tcp", "host": "db.example.com", "port": 70000, "interval_s": 2}))
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "port", "interval_s"]);
    let res = post(json!({"name": "x", "kind": "http", "url": "https://example.com/", "bogus": 1}))
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "unknown fields are refused, not ignored");
    assert_eq!(
        app.count("SELECT count(*) FROM monitoring_checks").await,
        0,
        "nothing half written"
    );

    let res = post(json!({"name": "Shop", "kind": "http", "url": "https://shop.example.com/", "interval_s": 60}))
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let check: Value = res.json().await.unwrap();
    assert_eq!(
        (check["state"].as_str(), check["retries"].as_i64()),
        (Some("pending"), Some(1))
    );
    let path = format!("/api/v1/monitoring/checks/{}", check["id"].as_str().unwrap());
    let res = api(&app, &token, reqwest::Method::PATCH, &path)
        .json(&json!({"interval_s": 120, "paused": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let changed: Value = res.json().await.unwrap();
    assert_eq!(
        (
            changed["interval_s"].as_i64(),
            changed["paused"].as_bool(),
            changed["name"].as_str()
        ),
        (Some(120), Some(true), Some("Shop"))
    );

    // Another shop's member never sees it.
    let (code, _, err) = app.cli(
        &[
            "user",
            "add",
            "--email",
            "bob@other.test",
            "--name",
            "Bob",
            "--org",
            "Other shop",
        ],
        &[("LUNEO_PASSWORD", crate::helpers::PASSWORD)],
    );
    assert_eq!(code, 0, "{err}");
    let bob = app.api_token("bob@other.test");
    let res = api(&app, &bob, reqwest::Method::GET, &path).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let res = api(&app, &bob, reqwest::Method::DELETE, &path).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let list: Value = api(&app, &bob, reqwest::Method::GET, "/api/v1/monitoring/checks")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["data"], json!([]));

    app.add_member("vera@shop.test", "Vera", "viewer").await;
    let vera = app.api_token("vera@shop.test");
    let res = api(&app, &vera, reqwest::Method::POST, "/api/v1/monitoring/checks")
        .json(&json!({"name": "V", "url": "https://v.example.com/"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = api(&app, &token, reqwest::Method::DELETE, &path).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(app.audited("monitoring.check_deleted").await.len(), 1);
}

#[tokio::test]
async fn a_heartbeat_check_is_up_while_beats_come_and_down_when_they_stop() {
    let app = app_with(None).await;
    let token = app.api_token("owner@shop.test");
    let res = api(&app, &token, reqwest::Method::POST, "/api/v1/monitoring/checks")
        .json(&json!({"name": "Nightly import", "kind": "push", "interval_s": 3600, "timeout_s": 60, "retries": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let check: Value = res.json().await.unwrap();
    let url = check["heartbeat_url"].as_str().unwrap().to_string();
    let path = &url[url.find("/api/v1/heartbeat/").unwrap()..];
    let res = reqwest::Client::new().post(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200, "no sign-in: the token is the key");
    assert_eq!(check_state(&app).await.0, "up");
    let res = reqwest::Client::new()
        .get(app.url("/api/v1/heartbeat/not-a-token"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    app.clock.advance(3_600 + 30);
    run_checks(&app).await;
    assert_eq!(check_state(&app).await.0, "up", "within its grace");
    app.clock.advance(60);
    run_checks(&app).await;
    assert_eq!(check_state(&app).await.0, "down");
    let alerts: Value = api(
        &app,
        &token,
        reqwest::Method::GET,
        "/api/v1/monitoring/alerts?state=firing",
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(alerts["data"][0]["message"], "no heartbeat for 60 min");
    let id = alerts["data"][0]["id"].as_str().unwrap();
    let res = api(
        &app,
        &token,
        reqwest::Method::POST,
        &format!("/api/v1/monitoring/alerts/{id}/resolve"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let resolved: Value = res.json().await.unwrap();
    assert_eq!(resolved["state"], "resolved");
}

#[tokio::test]
async fn a_target_that_hangs_is_cut_by_its_timeout_and_a_closed_port_is_down() {
    let app = app_with(None).await;
    // Accepts connections and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    // A server that was there and stopped: its port refuses connections.
    let gone = HttpSink::start().await;
    let closed_port = gone.port();
    gone.stop().await;
    let token = app.api_token("owner@shop.test");
    for body in [
        json!({"name": "Hangs", "url": format!("http://127.0.0.1:{silent_port}/"), "timeout_s": 1, "interval_s": 30, "retries": 0}),
        json!({"name": "Closed", "kind": "tcp", "host": "127.0.0.1", "port": closed_port, "interval_s": 30, "retries": 0}),
        json!({"name": "Open", "kind": "tcp", "host": "127.0.0.1", "port": silent_port, "interval_s": 30}),
    ] {
        let res = api(&app, &token, reqwest::Method::POST, "/api/v1/monitoring/checks")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    run_checks(&app).await;
    let list: Value = api(&app, &token, reqwest::Method::GET, "/api/v1/monitoring/checks")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let by_name = |n: &str| {
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(by_name("Hangs")["state"], "down");
    assert_eq!(by_name("Hangs")["last_message"], "no answer within 1 s");
    assert_eq!(by_name("Closed")["state"], "down");
    assert!(
        by_name("Closed")["last_message"]
            .as_str()
            .unwrap()
            .starts_with("could not connect")
    );
    assert_eq!(by_name("Open")["state"], "up");
    drop(silent);
}

#[tokio::test]
async fn inside_a_maintenance_window_failures_raise_no_alert_and_do_not_count() {
    let app = app_with(None).await;
    let sink = HttpSink::start().await;
    sink.answer("/", 503);
    let token = app.api_token("owner@shop.test");
    let res = api(&app, &token, reqwest::Method::POST, "/api/v1/monitoring/checks")
        .json(&json!({"name": "Shop", "url": sink.url("/"), "interval_s": 60, "retries": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = app
        .submit(
            "/dashboard/monitoring",
            "/dashboard/monitoring/maintenance",
            &[
                ("check_id", ""),
                ("starts", "2026-11-25T10:30"),
                ("minutes", "0"),
                ("repeat", "none"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Enter a length from 1 minute to 7 days.")
    );
    let res = app
        .submit(
            "/dashboard/monitoring",
            "/dashboard/monitoring/maintenance",
            &[
                ("check_id", ""),
                ("starts", "2026-11-25T10:30"),
                ("minutes", "30"),
                ("repeat", "none"),
                ("note", "Server move"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, page) = app.page("/dashboard/monitoring").await;
    assert!(page.contains("Server move") && page.contains("On now"));

    run_checks(&app).await;
    assert_eq!(check_state(&app).await, ("pending".into(), 0), "the verdict waits");
    assert_eq!(app.count("SELECT count(*) FROM monitoring_alerts").await, 0);
    assert_eq!(
        app.count("SELECT count(*) FROM monitoring_results WHERE maintenance = 1")
            .await,
        1
    );
    let report = app.page("/dashboard/monitoring/report?days=1").await.1;
    assert!(
        !report.contains("0.000 %"),
        "a failure inside the window is not downtime"
    );

    app.clock.advance(30 * 60);
    run_checks(&app).await;
    assert_eq!(
        check_state(&app).await.0,
        "down",
        "after the window, a failure counts again"
    );
    assert_eq!(app.count("SELECT count(*) FROM monitoring_alerts").await, 1);
}

#[tokio::test]
async fn the_status_page_shows_only_published_checks_and_the_report_exports_csv() {
    let app = app_with(None).await;
    let sink = HttpSink::start().await;
    let token = app.api_token("owner@shop.test");
    assert_eq!(app.get("/status/atelier").await.status(), 404, "nothing published yet");
    for (name, published) in [("Storefront", true), ("Back office", false)] {
        let res = api(&app, &token, reqwest::Method::POST, "/api/v1/monitoring/checks")
            .json(&json!({"name": name, "url": sink.url("/"), "interval_s": 60, "published": published}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    for _ in 0..3 {
        run_checks(&app).await;
        app.clock.advance(60);
    }
    let visitor = crate::helpers::client();
    let res = visitor.get(app.url("/status/atelier")).send().await.unwrap();
    assert_eq!(res.status(), 200, "public, no sign-in");
    let page = res.text().await.unwrap();
    assert!(page.contains("Status of Atelier") && page.contains("All systems operational."));
    assert!(
        page.contains("Storefront") && !page.contains("Back office"),
        "only what is published"
    );
    assert!(page.contains("Uptime over 90 days: 100.00 %"));
    assert!(
        page.contains("2026-11-25: 100.00 % up"),
        "each day is a bar with its figure"
    );
    assert_eq!(visitor.get(app.url("/status/nope")).send().await.unwrap().status(), 404);

    let (_, report) = app.page("/dashboard/monitoring/report?days=7").await;
    assert!(report.contains("Storefront") && report.contains("100.000 %"));
    let csv = app.get("/dashboard/monitoring/report.csv?days=7").await;
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "check,kind,target,from,to,uptime_percent,incidents,downtime_seconds,average_ms"
    );
    assert!(
        text.contains("Storefront,http,") && text.contains(",100.000,0,0,"),
        "{text}"
    );
    assert_eq!(app.get("/dashboard/monitoring/report?days=3").await.status(), 422);
}

#[tokio::test]
async fn vitals_beacons_are_checked_and_shown_as_the_75th_percentile_per_page() {
    let app = app_with(None).await;
    let beacon = |body: String| reqwest::Client::new().post(app.url("/api/v1/vitals")).body(body).send();
    for ms in [1_000, 1_500, 2_000, 5_000] {
        let body = json!({"name": "LCP", "value": ms, "id": "v1", "page": "/dashboard/team?x=1"}).to_string();
        assert_eq!(beacon(body).await.unwrap().status(), 204);
    }
    let body = json!({"name": "CLS", "value": 0.02, "id": "v1", "page": "/status/atelier"}).to_string();
    assert_eq!(beacon(body).await.unwrap().status(), 204);
    for bad in [
        json!({"name": "LCP", "value": -3, "id": "v1", "page": "/"}).to_string(),
        json!({"name": "FID", "value": 3, "id": "v1", "page": "/"}).to_string(),
        json!({"name": "LCP", "value": 3, "id": "v1", "page": "https://elsewhere.example/"}).to_string(),
        format!(
            "{{\"name\": \"LCP\", \"value\": 3, \"id\": \"{}\", \"page\": \"/\"}}",
            "x".repeat(2_000)
        ),
        "{".to_string(),
    ] {
        let res = beacon(bad).await.unwrap();
        assert_eq!(res.status(), 400, "malformed beacons are dropped with 400");
    }
    assert_eq!(
        app.count("SELECT count(*) FROM monitoring_vitals").await,
        5,
        "and never stored"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM monitoring_vitals WHERE org_id IS NOT NULL")
            .await,
        1,
        "a public page counts for its org"
    );
    let (_, page) = app.page("/dashboard/monitoring").await;
    assert!(page.contains("Web vitals, last 7 days"));
    assert!(
        page.contains("<code>/dashboard/team</code>"),
        "the page, without its query"
    );
    assert!(
        page.contains("2.00 s") && page.contains("Good"),
        "p75 of 1, 1.5, 2, 5 s is 2 s: good"
    );
    assert!(page.contains("<code>/status/atelier</code>") && page.contains("0.02"));
}

#[tokio::test]
async fn the_instance_page_shows_real_request_rates_after_a_load_of_requests() {
    let app = app_with(None).await;
    for _ in 0..50 {
        assert_eq!(app.get("/healthz").await.status(), 200);
    }
    app.clock.advance(10);
    app.scheduler.run_due().await;
    let (status, page) = app.page("/dashboard/monitoring/system?period=1h").await;
    assert_eq!(status, 200);
    assert!(page.contains("Requests per second") && page.contains("Database size"));
    let rate: f64 = app
        .db
        .read(|c| {
            Ok(c.query_row(
                "SELECT value FROM monitoring_samples WHERE name = 'requests_per_s'",
                [],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap();
    assert!(rate >= 5.0, "about 50 requests in 10 s: {rate}");
    assert!(
        page.contains(&format!("{rate:.2}/s")),
        "the page shows the measured rate"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM monitoring_rollups WHERE name = 'requests_per_s'")
            .await,
        2,
        "a minute and an hour bucket"
    );
    let token = app.api_token("owner@shop.test");
    let series: Value = api(
        &app,
        &token,
        reqwest::Method::GET,
        "/api/v1/monitoring/metrics?names=requests_per_s,db_size_bytes",
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(series["step"], 10);
    assert_eq!(series["data"][0]["name"], "requests_per_s");
    assert_eq!(series["data"][0]["points"][0]["avg"].as_f64(), Some(rate));
    assert!(
        series["data"][1]["points"][0]["avg"].as_f64().unwrap() > 0.0,
        "the database has a size"
    );
    let res = api(
        &app,
        &token,
        reqwest::Method::GET,
        "/api/v1/monitoring/metrics?names=gossip",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 422);

    // A period of one's own: the sample taken at 10:30:10 is in it, or not.
    let (status, custom) = app
        .page("/dashboard/monitoring/system?period=custom&from=2026-11-25T10:00&to=2026-11-25T11:00")
        .await;
    assert_eq!(status, 200);
    assert!(custom.contains(&format!("{rate:.2}/s")) && custom.contains("value=\"2026-11-25T10:00\""));
    let (_, before) = app
        .page("/dashboard/monitoring/system?period=custom&from=2026-11-25T08:00&to=2026-11-25T09:00")
        .await;
    assert!(!before.contains(&format!("{rate:.2}/s")), "nothing measured then");
    let res = app
        .get("/dashboard/monitoring/system?period=custom&from=2026-11-25T11:00&to=2026-11-25T10:00")
        .await;
    assert_eq!(res.status(), 422, "the end comes after the start");

    app.add_member("ada@shop.test", "Ada", "admin").await;
    let ada = app.signed_in("ada@shop.test").await;
    let res = ada.get(app.url("/dashboard/monitoring/system")).send().await.unwrap();
    assert_eq!(res.status(), 403, "the instance's figures are for its admins");
}

#[tokio::test]
async fn a_stuck_outbox_raises_the_built_in_alert_which_resolves_when_it_drains() {
    let port = crate::helpers::free_port();
    let app = TestApp::spawn_with(Spawn {
        smtp_url: Some(crate::helpers::smtp_url_on(port)),
        start_workers: false,
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    app.settle_outbox().await;
    let mail = luneo::mail::test_mail("someone@shop.test", luneo::web::i18n::Lang::En, "http://shop.test").unwrap();
    app.db
        .write(move |tx| luneo::mail::queue(tx, None, &mail))
        .await
        .unwrap();
    let firing = "SELECT count(*) FROM monitoring_alerts WHERE rule_id = 'rul_outbox_stuck' AND state = 'firing'";
    app.clock.advance(10);
    app.scheduler.run_due().await;
    app.outbox.deliver_due().await.unwrap();
    assert_eq!(app.count(firing).await, 0, "a delivery a few seconds old is no problem");

    app.clock.advance(16 * 60);
    app.scheduler.run_due().await;
    assert_eq!(app.count(firing).await, 1, "waiting for more than 15 minutes is");
    let (_, page) = app.page("/dashboard/monitoring/system").await;
    assert!(
        page.contains("Alerts about this instance") && page.contains("outbox_oldest_pending_s is"),
        "{page}"
    );
    let (_, inbox) = app.page("/dashboard/notifications").await;
    assert!(
        inbox.contains("Alert: Oldest waiting delivery (s) &#62; 900"),
        "the instance admin is told, in words: {inbox}"
    );

    let smtp = SmtpServer::start_on(port);
    app.clock.advance(3_600);
    app.settle_outbox().await;
    assert!(!smtp.received().is_empty());
    app.clock.advance(10);
    app.scheduler.run_due().await;
    assert_eq!(app.count(firing).await, 0);
    assert_eq!(
        app.count("SELECT count(*) FROM monitoring_alerts WHERE rule_id = 'rul_outbox_stuck' AND state = 'resolved'")
            .await,
        1,
        "it resolved by itself once the outbox drained"
    );

    let token = app.api_token("owner@shop.test");
    let res = api(&app, &token, reqwest::Method::POST, "/api/v1/monitoring/alert-rules")
        .json(&json!({"metric": "gossip", "op": ">", "threshold": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let res = api(&app, &token, reqwest::Method::POST, "/api/v1/monitoring/alert-rules")
        .json(
            &json!({"metric": "host_memory_percent", "op": ">", "threshold": 90, "for_s": 300, "severity": "critical"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let rules: Value = api(&app, &token, reqwest::Method::GET, "/api/v1/monitoring/alert-rules")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let metrics: Vec<&str> = rules["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["metric"].as_str().unwrap())
        .collect();
    assert!(
        metrics.contains(&"outbox_oldest_pending_s") && metrics.contains(&"host_memory_percent"),
        "{metrics:?}"
    );
}

#[tokio::test]
async fn requests_are_logged_off_the_request_path_and_searchable() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    assert_eq!(app.get("/dashboard/team").await.status(), 200);
    assert_eq!(app.get("/no-such-page-here").await.status(), 404);
    let logged = "SELECT count(*) FROM monitoring_logs WHERE path IN ('/dashboard/team', '/no-such-page-here')";
    let mut found = 0;
    for _ in 0..100 {
        found = app.count(logged).await;
        if found == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(found, 2, "the writer stores the lines shortly after");
    let who = app
        .count("SELECT count(*) FROM monitoring_logs WHERE path = '/dashboard/team' AND user_id IS NOT NULL AND org_id IS NOT NULL AND status = 200")
        .await;
    assert_eq!(who, 1, "with who asked, in which org");

    let (status, page) = app.page("/dashboard/monitoring/logs?q=no-such-page").await;
    assert_eq!(status, 200);
    assert!(page.contains("GET /no-such-page-here") && !page.contains("GET /dashboard/team</code>"));
    let token = app.api_token("owner@shop.test");
    let lines: Value = api(
        &app,
        &token,
        reqwest::Method::GET,
        "/api/v1/monitoring/logs?q=/dashboard/team&level=info",
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(lines["data"][0]["path"], "/dashboard/team");
    assert_eq!(lines["data"][0]["status"], 200);
    let res = api(&app, &token, reqwest::Method::GET, "/api/v1/monitoring/logs?level=loud")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let (_, slow) = app.page("/dashboard/monitoring/logs?slow=true").await;
    assert!(slow.contains("Slowest first\" selected") || slow.contains("selected>Slowest first"));
}
