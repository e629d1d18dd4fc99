//! The support desk as its two sides live it: a customer opens a request
//! from the help centre without an account and follows it from the private
//! link they are mailed; the team answers with replies (mailed, threaded)
//! and internal notes (never shown or mailed to the customer); the API
//! keeps its contract; bad input is refused by field; orgs stay apart.

use crate::helpers::{SmtpServer, Spawn, TestApp, client};
use mailparse::MailHeaderMap;
use serde_json::{Value, json};

async fn app_with(smtp: &SmtpServer) -> TestApp {
    let app = TestApp::spawn_with(Spawn {
        smtp_url: Some(smtp.url()),
        start_workers: false,
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    app
}

async fn ticket_field(app: &TestApp, sql: &'static str) -> String {
    app.db
        .read(move |c| Ok(c.query_row(sql, [], |r| r.get::<_, String>(0))?))
        .await
        .unwrap()
}

fn api(app: &TestApp, token: &str, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new().request(method, app.url(path)).bearer_auth(token)
}

#[tokio::test]
async fn a_customer_asks_without_an_account_the_team_replies_and_notes_and_the_note_never_reaches_them() {
    let smtp = SmtpServer::start();
    let app = app_with(&smtp).await;
    app.settle_outbox().await;
    let customer = client();
    let res = app
        .submit_as(
            &customer,
            "/help/atelier/new",
            "/help/atelier/new",
            &[
                ("name", "Ana Client"),
                ("email", "ana@example.test"),
                ("subject", "Where is my mug?"),
                ("description", "I ordered a mug with my cat on it last week."),
                ("order_ref", "A-1042"),
                ("website", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("sent a private link to ana@example.test")
    );

    app.settle_outbox().await;
    let opened = smtp
        .received()
        .into_iter()
        .find(|m| m.to == ["ana@example.test"])
        .expect("the customer gets a mail");
    assert_eq!(opened.subject(), "[#1] We received your request: Where is my mug?");
    let text = opened.part("text/plain").unwrap();
    let link = regex::Regex::new(r"http://127\.0\.0\.1:8000(/help/atelier/tickets/[A-Za-z0-9_-]+)")
        .unwrap()
        .captures(&text)
        .expect("the mail carries the private link")[1]
        .to_string();
    let ticket_id = ticket_field(&app, "SELECT id FROM support_tickets").await;
    assert_eq!(
        opened.parsed().headers.get_first_value("Message-ID").unwrap(),
        format!("<{ticket_id}@localhost>"),
        "the ticket opens the thread"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM notifications WHERE kind = 'support.ticket_created'")
            .await,
        1,
        "the team is told"
    );

    let (_, list) = app.page("/dashboard/support").await;
    assert!(list.contains("#1 Where is my mug?"), "{list}");
    let page = format!("/dashboard/support/tickets/{ticket_id}");
    let action = format!("{page}/messages");
    let res = app
        .submit(
            &page,
            &action,
            &[("body", "It ships tomorrow, with the cat."), ("kind", "reply")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = app
        .submit(
            &page,
            &action,
            &[("body", "VIP customer: add a free coaster."), ("kind", "note")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, staff) = app.page(&page).await;
    assert!(staff.contains("It ships tomorrow") && staff.contains("VIP customer") && staff.contains("Internal note"));
    assert_eq!(
        ticket_field(&app, "SELECT status FROM support_tickets").await,
        "pending_customer",
        "after a reply the ticket waits for the customer"
    );

    app.settle_outbox().await;
    let to_customer: Vec<_> = smtp
        .received()
        .into_iter()
        .filter(|m| m.to == ["ana@example.test"])
        .collect();
    assert_eq!(to_customer.len(), 2, "the opening mail and the reply, never the note");
    let reply = &to_customer[1];
    assert_eq!(reply.subject(), "Re: [#1] Where is my mug?");
    let body = reply.part("text/plain").unwrap();
    assert!(body.contains("It ships tomorrow, with the cat."), "{body}");
    assert!(
        smtp.received()
            .iter()
            .all(|m| !String::from_utf8_lossy(&m.raw).contains("coaster")),
        "the note is mailed to nobody"
    );
    let headers = reply.parsed().headers;
    assert_eq!(
        headers.get_first_value("In-Reply-To").unwrap(),
        format!("<{ticket_id}@localhost>")
    );
    assert!(headers.get_first_value("References").unwrap().contains(&ticket_id));

    let mine = customer.get(app.url(&link)).send().await.unwrap().text().await.unwrap();
    assert!(
        mine.contains("It ships tomorrow") && mine.contains("I ordered a mug"),
        "{mine}"
    );
    assert!(
        !mine.contains("coaster") && !mine.contains("Internal note"),
        "the customer's page never shows the note"
    );
    let res = app
        .submit_as(&customer, &link, &link, &[("body", "Thank you, can't wait!")])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        ticket_field(&app, "SELECT status FROM support_tickets").await,
        "open",
        "the customer's answer opens it again"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM notifications WHERE kind = 'support.ticket_replied'")
            .await,
        1
    );

    let res = app.submit(&page, &page, &[("status", "resolved")]).await;
    assert_eq!(res.status(), 303);
    let token = app.api_token("owner@shop.test");
    let shown: Value = api(
        &app,
        &token,
        reqwest::Method::GET,
        &format!("/api/v1/support/tickets/{ticket_id}"),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(shown["status"], "resolved");
    assert_eq!(shown["order_ref"], "A-1042");
    assert!(shown["first_response_at"].is_string());
    let moves: Vec<(String, String)> = shown["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["from"].as_str().unwrap().into(), e["to"].as_str().unwrap().into()))
        .collect();
    assert_eq!(
        moves,
        [
            ("open".into(), "pending_customer".into()),
            ("pending_customer".into(), "open".into()),
            ("open".into(), "resolved".into())
        ]
    );
    let res = api(
        &app,
        &token,
        reqwest::Method::PATCH,
        &format!("/api/v1/support/tickets/{ticket_id}"),
    )
    .json(&json!({ "status": "in_progress" }))
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 409, "resolved → in progress is no move");

    let guessed = customer
        .get(app.url("/help/atelier/tickets/not-the-token"))
        .send()
        .await
        .unwrap();
    assert_eq!(guessed.status(), 404);
}

#[tokio::test]
async fn the_api_keeps_its_contract_refuses_bad_input_by_field_and_keeps_orgs_apart() {
    let smtp = SmtpServer::start();
    let app = app_with(&smtp).await;
    let token = app.api_token("owner@shop.test");
    let post = |path: &str, body: Value| api(&app, &token, reqwest::Method::POST, path).json(&body).send();

    let res = post("/api/v1/support/tickets", json!({ "subject": " ", "description": "x" }))
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "subject");
    let res = post(
        "/api/v1/support/tickets",
        json!({ "subject": "Hi", "description": "x", "category_id": "cat_nope" }),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>().await.unwrap()["errors"][0]["field"], "category_id");

    let res = post("/api/v1/support/categories", json!({ "name": "Shipping" }))
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let category: Value = res.json().await.unwrap();
    let res = post("/api/v1/support/categories", json!({ "name": "Shipping" }))
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "one category of a name");

    let res = post(
        "/api/v1/support/tickets",
        json!({ "subject": "Parcel damaged", "description": "The box was crushed.", "priority": "high",
                "category_id": category["id"], "requester_email": "bo@example.test", "requester_name": "Bo" }),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    let ticket: Value = res.json().await.unwrap();
    assert_eq!(ticket["number"], 1);
    assert_eq!(ticket["status"], "open");
    assert_eq!(ticket["priority"], "high");
    assert_eq!(ticket["category"], "Shipping");
    assert_eq!(ticket["requester"], json!({ "email": "bo@example.test", "name": "Bo" }));
    let id = ticket["id"].as_str().unwrap();
    let second: Value = post(
        "/api/v1/support/tickets",
        json!({ "subject": "Mine", "description": "A question of mine." }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(second["number"], 2, "numbered per org");
    assert_eq!(second["requester"]["email"], "owner@shop.test", "a member's own ticket");

    let res = post(
        &format!("/api/v1/support/tickets/{id}/messages"),
        json!({ "body": "Refund approved internally.", "internal": true }),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Value>().await.unwrap()["internal"], true);
    let res = post(&format!("/api/v1/support/tickets/{id}/messages"), json!({ "body": "" }))
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let messages: Value = api(
        &app,
        &token,
        reqwest::Method::GET,
        &format!("/api/v1/support/tickets/{id}/messages"),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(messages["data"].as_array().unwrap().len(), 1);

    let listed: Value = api(
        &app,
        &token,
        reqwest::Method::GET,
        "/api/v1/support/tickets?priority=high&q=crushed",
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let numbers: Vec<i64> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [1]);

    let viewer = app.add_member("vic@shop.test", "Vic", "viewer").await;
    let res = api(
        &app,
        &token,
        reqwest::Method::PATCH,
        &format!("/api/v1/support/tickets/{id}"),
    )
    .json(&json!({ "assignee_id": viewer }))
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 422, "a viewer may not be given tickets");
    assert_eq!(res.json::<Value>().await.unwrap()["errors"][0]["field"], "assignee_id");
    let mia = app.add_member("mia@shop.test", "Mia", "member").await;
    let res = api(
        &app,
        &token,
        reqwest::Method::PATCH,
        &format!("/api/v1/support/tickets/{id}"),
    )
    .json(&json!({ "assignee_id": mia }))
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["assignee"], "Mia");
    assert_eq!(
        app.count("SELECT count(*) FROM notifications WHERE kind = 'support.ticket_assigned'")
            .await,
        1,
        "Mia is told"
    );
    let vic = app.api_token("vic@shop.test");
    let res = api(&app, &vic, reqwest::Method::POST, "/api/v1/support/tickets")
        .json(&json!({ "subject": "x", "description": "y" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "a viewer reads, does not write");

    // Another shop's member finds nothing of Atelier's.
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
    for (method, path) in [
        (reqwest::Method::GET, format!("/api/v1/support/tickets/{id}")),
        (reqwest::Method::PATCH, format!("/api/v1/support/tickets/{id}")),
        (reqwest::Method::GET, format!("/api/v1/support/tickets/{id}/messages")),
    ] {
        let res = api(&app, &bob, method, &path).json(&json!({})).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
    let theirs: Value = api(&app, &bob, reqwest::Method::GET, "/api/v1/support/tickets?status=all")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["data"], json!([]));
}

#[tokio::test]
async fn the_public_form_refuses_bad_input_by_field_bots_and_floods() {
    let smtp = SmtpServer::start();
    let app = app_with(&smtp).await;
    let visitor = client();
    let res = app
        .submit_as(
            &visitor,
            "/help/atelier/new",
            "/help/atelier/new",
            &[
                ("name", "Ana"),
                ("email", "not-an-address"),
                ("subject", ""),
                ("description", "Hello"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("id=\"f-email-error\"") && page.contains("id=\"f-subject-error\""),
        "{page}"
    );
    assert!(page.contains("value=\"Ana\""), "what was typed stays");

    let res = app
        .submit_as(
            &visitor,
            "/help/atelier/new",
            "/help/atelier/new",
            &[
                ("name", "Bot"),
                ("email", "bot@example.test"),
                ("subject", "Cheap pills"),
                ("description", "Buy now"),
                ("website", "http://spam.example"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "a bot is told what a person would be");
    assert_eq!(
        app.count("SELECT count(*) FROM support_tickets").await,
        0,
        "and nothing is kept"
    );

    let mut last = 0;
    for i in 0..12 {
        let subject = format!("Question {i}");
        let res = app
            .submit_as(
                &visitor,
                "/help/atelier/new",
                "/help/atelier/new",
                &[
                    ("name", "Ana"),
                    ("email", "ana@example.test"),
                    ("subject", &subject),
                    ("description", "Hi"),
                ],
            )
            .await;
        last = res.status().as_u16();
    }
    assert_eq!(last, 429, "a flood from one address is stopped");
    assert!(app.count("SELECT count(*) FROM support_tickets").await <= 10);

    let res = visitor.get(app.url("/help/nobody-here/new")).send().await.unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn due_times_follow_the_business_hours_and_a_late_ticket_is_marked_and_told_once() {
    let smtp = SmtpServer::start();
    let app = app_with(&smtp).await;
    // The test clock starts on Wednesday 25 November 2026, 10:30 UTC; the org is in UTC.
    let res = app
        .submit(
            "/dashboard/support/settings",
            "/dashboard/support/settings",
            &[
                ("work_days", "1"),
                ("work_days", "2"),
                ("work_days", "3"),
                ("work_days", "4"),
                ("work_days", "5"),
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
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = app
        .submit(
            "/dashboard/support/settings",
            "/dashboard/support/settings",
            &[("opens", "18:00"), ("closes", "09:00"), ("first_low", "0")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let refused = res.text().await.unwrap();
    assert!(refused.contains("Choose at least one working day") && refused.contains("closing time after"));

    let token = app.api_token("owner@shop.test");
    let ticket: Value = api(&app, &token, reqwest::Method::POST, "/api/v1/support/tickets")
        .json(
            &json!({ "subject": "Site down", "description": "Checkout fails.", "priority": "high",
                       "requester_email": "cy@example.test" }),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = ticket["id"].as_str().unwrap().to_string();
    let (first, resolve): (i64, i64) = app
        .db
        .read(|c| {
            Ok(c.query_row(
                "SELECT first_response_due_at, resolution_due_at FROM support_tickets",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .await
        .unwrap();
    let t0 = 1_795_602_600; // Wednesday 10:30
    assert_eq!(first, t0 + 4 * 3_600, "four business hours: 14:30 the same day");
    // 16 business hours: 6.5 h on Wednesday, 8 h on Thursday, 1.5 h on Friday → Friday 10:30.
    assert_eq!(resolve, t0 + 2 * 86_400);
    let (_, page) = app.page(&format!("/dashboard/support/tickets/{id}")).await;
    assert!(page.contains("First response due") && page.contains("Resolution due"));
    assert!(!page.contains(">Late<"));

    app.clock.advance(5 * 3_600);
    app.scheduler.run_due().await;
    let breached = "SELECT count(*) FROM support_tickets WHERE first_response_breached = 1";
    assert_eq!(app.count(breached).await, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM notifications WHERE kind = 'support.sla_breached'")
            .await,
        1
    );
    app.clock.advance(60);
    app.scheduler.run_due().await;
    assert_eq!(
        app.count("SELECT count(*) FROM notifications WHERE kind = 'support.sla_breached'")
            .await,
        1,
        "told once"
    );
    let (_, page) = app.page(&format!("/dashboard/support/tickets/{id}")).await;
    assert!(page.contains(">Late<"), "{page}");
    let (_, list) = app.page("/dashboard/support").await;
    assert!(list.contains(">Late<"));
    assert!(
        list.contains(r#"<a href="/dashboard/support?due=late">1</a>"#),
        "the count links to the list"
    );
    let late: Value = api(&app, &token, reqwest::Method::GET, "/api/v1/support/tickets?due=late")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(late["data"].as_array().unwrap().len(), 1);
    let soon: Value = api(&app, &token, reqwest::Method::GET, "/api/v1/support/tickets?due=soon")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        soon["data"].as_array().unwrap().is_empty(),
        "a late ticket is late, not due soon"
    );
}

#[tokio::test]
async fn the_overview_counts_open_tickets_and_times_the_first_responses() {
    let smtp = SmtpServer::start();
    let app = app_with(&smtp).await;
    let token = app.api_token("owner@shop.test");
    let post = |path: String, body: Value| api(&app, &token, reqwest::Method::POST, &path).json(&body).send();
    let shipping: Value = post("/api/v1/support/categories".into(), json!({ "name": "Shipping" }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut ids = vec![];
    for (subject, priority) in [("Late parcel", "high"), ("Lost parcel", "urgent")] {
        let t: Value = post(
            "/api/v1/support/tickets".into(),
            json!({ "subject": subject, "description": "Where is it?", "priority": priority,
                    "category_id": shipping["id"], "requester_email": "ana@example.test" }),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        ids.push(t["id"].as_str().unwrap().to_string());
    }
    let (_, before) = app.page("/dashboard/support").await;
    assert!(before.contains("At a glance"), "{before}");
    assert!(
        before.contains("href=\"/dashboard/support?assigned=nobody\">2</a>"),
        "{before}"
    );
    assert!(before.contains("href=\"/dashboard/support?priority=urgent\">1</a>"));

    app.clock.advance(3_600);
    let res = post(
        format!("/api/v1/support/tickets/{}/messages", ids[0]),
        json!({ "body": "On its way." }),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    let (_, after) = app.page("/dashboard/support").await;
    assert!(after.contains("1 h 00 min median, 1 h 00 min for 9 in 10"), "{after}");
    assert!(after.contains("Shipping (2)"));
    assert!(
        after.contains("href=\"/dashboard/support?status=pending_customer\">1</a>"),
        "the answered ticket waits for the customer"
    );
}
