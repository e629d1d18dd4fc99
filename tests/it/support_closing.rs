//! The end of a ticket: the requester is mailed when it is resolved and
//! rates the answer from that mail (a link only opens the form); resolved
//! tickets close by themselves after the org's days, with a mail; and the
//! resolution clock stands still while the ticket waits for the customer.

use crate::helpers::{SmtpServer, Spawn, TestApp, client};
use serde_json::{Value, json};

async fn shop(smtp: &SmtpServer) -> (TestApp, String) {
    let app = TestApp::spawn_with(Spawn {
        smtp_url: Some(smtp.url()),
        start_workers: false,
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    let token = app.api_token("owner@shop.test");
    (app, token)
}

fn api(app: &TestApp, token: &str, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new().request(method, app.url(path)).bearer_auth(token)
}

async fn open(app: &TestApp, token: &str) -> String {
    let t: Value = api(app, token, reqwest::Method::POST, "/api/v1/support/tickets")
        .json(
            &json!({ "subject": "Where is my mug?", "description": "Ordered last week.",
                       "requester_email": "ana@example.test", "requester_name": "Ana" }),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    t["id"].as_str().unwrap().to_string()
}

async fn field(app: &TestApp, id: &str, column: &'static str) -> Option<String> {
    let id = id.to_string();
    app.db
        .read(move |c| {
            Ok(c.query_row(
                &format!("SELECT CAST({column} AS TEXT) FROM support_tickets WHERE id = ?1"),
                [&id],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap()
}

async fn resolution_due(app: &TestApp, id: &str) -> i64 {
    field(app, id, "resolution_due_at").await.unwrap().parse().unwrap()
}

fn mails_to_ana(smtp: &SmtpServer) -> Vec<crate::helpers::Received> {
    smtp.received()
        .into_iter()
        .filter(|m| m.to == ["ana@example.test"])
        .collect()
}

#[tokio::test]
async fn a_resolved_ticket_is_mailed_and_rated_from_the_mail_and_a_link_alone_changes_nothing() {
    let smtp = SmtpServer::start();
    let (app, token) = shop(&smtp).await;
    let id = open(&app, &token).await;
    let page = format!("/dashboard/support/tickets/{id}");
    let res = app.submit(&page, &page, &[("status", "resolved")]).await;
    assert_eq!(res.status(), 303);
    app.settle_outbox().await;
    let resolved = mails_to_ana(&smtp)
        .into_iter()
        .find(|m| m.subject().contains("Resolved"))
        .expect("the requester is told it is resolved");
    assert_eq!(resolved.subject(), "[#1] Resolved: Where is my mug?");
    let text = resolved.part("text/plain").unwrap();
    assert!(text.contains("it closes in 7 days"), "{text}");
    let link = regex::Regex::new(r"http://127\.0\.0\.1:8000(/help/atelier/tickets/[A-Za-z0-9_-]+/rate\?score=bad)")
        .unwrap()
        .captures(&text)
        .expect("a link per answer")[1]
        .to_string();

    // Opening the link (as a mail scanner would) only shows the form.
    let customer = client();
    let form = app.page_as(&customer, &link).await;
    assert!(
        form.contains(r#"id="f-score-bad" name="score" value="bad" checked"#),
        "{form}"
    );
    assert_eq!(field(&app, &id, "satisfaction").await, None);
    let action = link.split('?').next().unwrap().to_string();
    let res = app.submit_as(&customer, &link, &action, &[("score", "meh")]).await;
    assert_eq!(res.status(), 422);
    let res = app
        .submit_as(
            &customer,
            &link,
            &action,
            &[("score", "bad"), ("comment", "The mug is still not here.")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(field(&app, &id, "satisfaction").await.as_deref(), Some("bad"));
    let (_, staff) = app.page(&page).await;
    assert!(
        staff.contains("badge-error\">Bad</span> “The mug is still not here.”"),
        "{staff}"
    );
    let ticket: Value = api(
        &app,
        &token,
        reqwest::Method::GET,
        &format!("/api/v1/support/tickets/{id}"),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert!(
        ticket["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "satisfaction" && e["to"] == "bad"),
        "{ticket}"
    );
    assert_eq!(ticket["satisfaction"]["score"], "bad");
    let (_, list) = app.page("/dashboard/support").await;
    assert!(
        list.contains("0 % good (0 good, 1 bad)"),
        "the overview counts the ratings"
    );

    // Before it is resolved there is nothing to rate.
    let other = open(&app, &token).await;
    let token_of = field(&app, &other, "access_token").await.unwrap();
    let rate = format!("/help/atelier/tickets/{token_of}/rate");
    let res = app
        .submit_as(
            &customer,
            &format!("/help/atelier/tickets/{token_of}"),
            &rate,
            &[("score", "good")],
        )
        .await;
    assert_eq!(res.status(), 409);
    assert_eq!(field(&app, &other, "satisfaction").await, None);
}

#[tokio::test]
async fn resolved_tickets_close_by_themselves_after_the_orgs_days_with_a_mail() {
    let smtp = SmtpServer::start();
    let (app, token) = shop(&smtp).await;
    let id = open(&app, &token).await;
    let res = api(
        &app,
        &token,
        reqwest::Method::PATCH,
        &format!("/api/v1/support/tickets/{id}"),
    )
    .json(&json!({ "status": "resolved" }))
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    app.clock.advance(6 * 86_400);
    app.scheduler.run_due().await;
    assert_eq!(
        field(&app, &id, "status").await.as_deref(),
        Some("resolved"),
        "not before 7 days"
    );
    app.clock.advance(86_400 + 3_600);
    app.scheduler.run_due().await;
    assert_eq!(field(&app, &id, "status").await.as_deref(), Some("closed"));
    app.settle_outbox().await;
    let closed = mails_to_ana(&smtp)
        .into_iter()
        .find(|m| m.subject().starts_with("[#1] Closed"))
        .expect("the requester is told");
    let text = closed.part("text/plain").unwrap();
    assert!(
        text.contains("/help/atelier/new") && text.contains("rate?score=good"),
        "{text}"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'support.auto_closed'")
            .await,
        1
    );

    // An org that keeps resolved tickets open says 0 (signed in again: days went by).
    app.sign_in("owner@shop.test", crate::helpers::PASSWORD).await;
    let res = app
        .submit(
            "/dashboard/support/settings",
            "/dashboard/support/settings",
            &[
                ("work_days", "1"),
                ("opens", "09:00"),
                ("closes", "17:00"),
                ("first_low", "8"),
                ("first_medium", "8"),
                ("first_high", "4"),
                ("first_urgent", "1"),
                ("resolve_low", "40"),
                ("resolve_medium", "24"),
                ("resolve_high", "16"),
                ("resolve_urgent", "8"),
                ("auto_close_days", "0"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let kept = open(&app, &token).await;
    api(
        &app,
        &token,
        reqwest::Method::PATCH,
        &format!("/api/v1/support/tickets/{kept}"),
    )
    .json(&json!({ "status": "resolved" }))
    .send()
    .await
    .unwrap();
    app.clock.advance(30 * 86_400);
    app.scheduler.run_due().await;
    assert_eq!(field(&app, &kept, "status").await.as_deref(), Some("resolved"));
}

#[tokio::test]
async fn the_resolution_clock_stands_still_while_the_ticket_waits_for_the_customer() {
    let smtp = SmtpServer::start();
    let (app, token) = shop(&smtp).await;
    // The test clock starts on Wednesday 25 November 2026, 10:30 UTC; default hours 9–18, Monday to Friday.
    let id = open(&app, &token).await;
    let before = resolution_due(&app, &id).await;
    let res = api(
        &app,
        &token,
        reqwest::Method::POST,
        &format!("/api/v1/support/tickets/{id}/messages"),
    )
    .json(&json!({ "body": "Which colour was it?" }))
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(field(&app, &id, "status").await.as_deref(), Some("pending_customer"));
    let (_, page) = app.page(&format!("/dashboard/support/tickets/{id}")).await;
    assert!(page.contains("Paused while the ticket waits for the customer"));
    // The customer answers a day later (Thursday 10:30): nine business hours went by.
    app.clock.advance(86_400);
    let token_of = field(&app, &id, "access_token").await.unwrap();
    let private = format!("/help/atelier/tickets/{token_of}");
    let res = app.submit_as(&client(), &private, &private, &[("body", "Blue!")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(field(&app, &id, "status").await.as_deref(), Some("open"));
    let after = resolution_due(&app, &id).await;
    assert_eq!(
        after - before,
        86_400,
        "nine business hours later: the same time a working day on"
    );
    assert_eq!(field(&app, &id, "paused_secs").await.as_deref(), Some("32400"));
}
