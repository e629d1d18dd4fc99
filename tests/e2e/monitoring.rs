//! Monitoring as a shop owner lives it: a check of a real server on
//! loopback goes down when the server stops, the alert shows on the bell
//! at once and comes by mail through the real SMTP server; the server comes
//! back, the alert resolves by itself and the incident shows how long it
//! lasted. The clock is moved by the test; the checks are real requests.

use crate::browser::Browser;
use crate::helpers::{PASSWORD, SmtpServer, Spawn, TestApp};
use crate::http_sink::HttpSink;
use fantoccini::Locator;
use luneo::monitoring::probe::Runner;
use std::time::{Duration, Instant};

async fn run_checks(app: &TestApp) {
    let runner = Runner::new(app.url("/").parse().unwrap(), true);
    for handle in runner.start_due(&app.db, app.clock.clone()).await.unwrap() {
        handle.await.unwrap();
    }
}

#[tokio::test]
async fn a_check_goes_down_with_the_server_the_bell_and_the_mail_say_so_and_it_resolves_itself() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(Spawn {
        smtp_url: Some(smtp.url()),
        pairs: vec![("monitoring_private_targets".into(), "true".into())],
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    let sink = HttpSink::start().await;
    let port = sink.port();

    let browser = Browser::start().await;
    browser.client.goto(&app.url("/login")).await.unwrap();
    browser.fill("Email address", "owner@shop.test").await;
    browser.fill("Password", PASSWORD).await;
    browser.click_button("Sign in").await;
    browser.find_text("h1", "Atelier").await;
    browser.click_link("Monitoring").await;
    browser.find_text("h1", "Monitoring").await;
    browser.fill("Name", "Shop front").await;
    browser.fill("Address", &sink.url("/")).await;
    browser.fill("Every (seconds)", "30").await;
    browser.fill("Failures before down", "1").await;
    browser.click_button("Add the check").await;
    browser.find_text("h1", "Shop front").await;

    run_checks(&app).await;
    // The overview stays open: it follows what happens by itself.
    browser.client.goto(&app.url("/dashboard/monitoring")).await.unwrap();
    browser.find_text("h1", "Monitoring").await;
    assert!(!browser.has_text("h2", "Open alerts").await);

    let unread = |text: String| text.parse::<u32>().unwrap_or(0);
    let badge = browser.client.find(Locator::Id("unread-count")).await.unwrap();
    let before = unread(badge.text().await.unwrap());

    // The server stops: two failures in a row (interval × retries later) is down.
    sink.stop().await;
    for _ in 0..2 {
        app.clock.advance(30);
        run_checks(&app).await;
    }
    let state: String = app
        .db
        .read(|c| Ok(c.query_row("SELECT state FROM monitoring_checks", [], |r| r.get(0))?))
        .await
        .unwrap();
    assert_eq!(state, "down");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let badge = browser.client.find(Locator::Id("unread-count")).await.unwrap();
        if unread(badge.text().await.unwrap()) == before + 1 && badge.is_displayed().await.unwrap() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the bell shows the alert without a reload ({:?})",
            badge.text().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.find_text("h2", "Open alerts").await; // swapped in live, no reload
    app.settle_outbox().await;
    let mail = smtp
        .received()
        .into_iter()
        .find(|m| m.subject().contains("Shop front is down"))
        .expect("the alert is mailed");
    assert_eq!(mail.to, ["owner@shop.test"]);
    assert!(mail.part("text/plain").unwrap().contains("could not connect"));

    // The server comes back: the alert resolves by itself.
    let _back = HttpSink::start_on(port).await;
    app.clock.advance(30);
    run_checks(&app).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while browser.has_text("h2", "Open alerts").await {
        assert!(
            Instant::now() < deadline,
            "the resolved alert leaves the open page by itself"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.click_link("Shop front").await;
    browser.find_text("h1", "Shop front").await;
    let incident = browser
        .client
        .find(Locator::XPath("//section[h2='Incidents']//tbody/tr"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        incident.contains("1 min") && incident.contains("could not connect"),
        "{incident}"
    );
    app.settle_outbox().await;
    assert!(
        smtp.received()
            .iter()
            .any(|m| m.subject().contains("Shop front is back up"))
    );
    browser.close().await;
}

#[tokio::test]
async fn a_page_view_reports_its_web_vitals_when_the_page_is_left() {
    let app = TestApp::spawn_with(Spawn {
        pairs: vec![("vitals_sample_rate".into(), "1".into())],
        ..Spawn::default()
    })
    .await;
    let browser = Browser::start().await;
    browser.client.goto(&app.url("/login")).await.unwrap();
    browser.find_text("h1", "Sign in").await;
    browser.client.goto(&app.url("/register")).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut names: Vec<String> = vec![];
    while Instant::now() < deadline {
        names = app
            .db
            .read(|c| {
                let mut stmt = c.prepare("SELECT name FROM monitoring_vitals WHERE page = '/login' ORDER BY name")?;
                let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
            .unwrap();
        if names.contains(&"TTFB".to_string()) && names.contains(&"FCP".to_string()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        names.contains(&"TTFB".to_string()) && names.contains(&"FCP".to_string()),
        "the sign-in page sent its vitals when it was left: {names:?}"
    );
    browser.close().await;
}

#[tokio::test]
async fn the_instance_page_follows_each_sample_without_a_reload() {
    let app = TestApp::spawn_with(Spawn {
        start_workers: false,
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    let browser = Browser::start().await;
    browser.client.goto(&app.url("/login")).await.unwrap();
    browser.fill("Email address", "owner@shop.test").await;
    browser.fill("Password", PASSWORD).await;
    browser.click_button("Sign in").await;
    browser.find_text("h1", "Atelier").await;
    browser
        .client
        .goto(&app.url("/dashboard/monitoring/system?period=1h"))
        .await
        .unwrap();
    browser.find_text("h1", "This instance").await;
    let figures = "//section[h2='Requests per second']//dl";
    assert!(
        browser.client.find(Locator::XPath(figures)).await.is_err(),
        "no sample yet"
    );

    for _ in 0..30 {
        assert_eq!(app.get("/healthz").await.status(), 200);
    }
    app.clock.advance(10);
    app.scheduler.run_due().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while browser.client.find(Locator::XPath(figures)).await.is_err() {
        assert!(Instant::now() < deadline, "the sample shows on the open page by itself");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let latest = browser
        .client
        .find(Locator::XPath(figures))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(latest.contains("/s"), "{latest}");
    browser.close().await;
}
