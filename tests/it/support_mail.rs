//! Mail in: a customer's reply by mail lands on its ticket (threaded by the
//! headers our mails carry, or by the `[#N]` of the subject), trimmed of
//! the quoted history; the same mail twice lands once; auto-replies never
//! reopen a ticket; other mail opens one; the CLI takes the same files.

use crate::helpers::{SmtpServer, Spawn, TestApp};
use mailparse::MailHeaderMap;
use serde_json::{Value, json};

async fn post(app: &TestApp, secret: &str, raw: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/support/inbound"))
        .bearer_auth(secret)
        .header("Content-Type", "message/rfc822")
        .body(raw.to_string())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn mail(from: &str, subject: &str, id: &str, in_reply_to: Option<&str>, extra: &str, body: &str) -> String {
    let reply = in_reply_to
        .map(|r| format!("In-Reply-To: {r}\r\nReferences: {r}\r\n"))
        .unwrap_or_default();
    format!(
        "From: Ana Client <{from}>\r\nTo: support@shop.test\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n{reply}{extra}\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
}

#[tokio::test]
async fn replies_by_mail_land_on_their_ticket_once_and_auto_replies_change_nothing() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(Spawn {
        smtp_url: Some(smtp.url()),
        start_workers: false,
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    let token = app.api_token("owner@shop.test");
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/support/tickets"))
        .bearer_auth(&token)
        .json(
            &json!({ "subject": "Where is my mug?", "description": "Ordered last week.",
                       "requester_email": "ana@example.test", "requester_name": "Ana" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let ticket: Value = res.json().await.unwrap();
    let id = ticket["id"].as_str().unwrap().to_string();
    app.settle_outbox().await;
    let opened = smtp
        .received()
        .into_iter()
        .find(|m| m.to == ["ana@example.test"])
        .unwrap();
    let ours = opened.parsed().headers.get_first_value("Message-ID").unwrap();

    let (_, settings) = app.page("/dashboard/support/settings").await;
    let secret = regex::Regex::new(r"Authorization: Bearer ([A-Za-z0-9_-]+)")
        .unwrap()
        .captures(&settings)
        .expect("the settings show the inbound secret")[1]
        .to_string();

    let reply = mail(
        "ana@example.test",
        "Re: [#1] We received your request: Where is my mug?",
        "r1@mail.example",
        Some(&ours),
        "",
        "Thanks, any news?\r\n\r\nOn Tue, 1 Dec 2026, Atelier wrote:\r\n> We received your request.",
    );
    let (status, landed) = post(&app, &secret, &reply).await;
    assert_eq!(status, 200, "{landed}");
    assert_eq!(landed, json!({ "outcome": "added", "ticket_id": id, "number": 1 }));
    let (status, again) = post(&app, &secret, &reply).await;
    assert_eq!((status, again["outcome"].as_str()), (200, Some("duplicate")));
    let messages: Value = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/support/tickets/{id}/messages")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bodies: Vec<&str> = messages["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["Thanks, any news?"], "once, without the quoted history");

    // Resolved, then an out-of-office answer: it stays resolved.
    let res = reqwest::Client::new()
        .patch(app.url(&format!("/api/v1/support/tickets/{id}")))
        .bearer_auth(&token)
        .json(&json!({ "status": "resolved" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let away = mail(
        "ana@example.test",
        "Out of office",
        "r2@mail.example",
        Some(&ours),
        "Auto-Submitted: auto-replied\r\n",
        "I am away until Monday.",
    );
    let (_, landed) = post(&app, &secret, &away).await;
    assert_eq!(landed["outcome"], "ignored");
    let status: String = app
        .db
        .read(|c| Ok(c.query_row("SELECT status FROM support_tickets WHERE number = 1", [], |r| r.get(0))?))
        .await
        .unwrap();
    assert_eq!(status, "resolved", "an auto-reply never reopens a ticket");

    // By the subject's number, from the requester: it reopens the ticket.
    let by_number = mail(
        "ana@example.test",
        "About [#1] again",
        "r3@mail.example",
        None,
        "",
        "It broke.",
    );
    let (_, landed) = post(&app, &secret, &by_number).await;
    assert_eq!(landed["outcome"], "added");
    // Someone new: a new ticket.
    let fresh = mail(
        "zoe@example.test",
        "Wholesale prices",
        "n1@mail.example",
        None,
        "",
        "Do you sell in bulk?",
    );
    let (_, landed) = post(&app, &secret, &fresh).await;
    assert_eq!(landed["outcome"], "opened");
    assert_eq!(landed["number"], 2);

    let (status, _) = post(&app, "wrong-secret", &fresh).await;
    assert_eq!(status, 401);
    let (status, _) = post(&app, &secret, "no headers here").await;
    assert_eq!(status, 422);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mail.eml");
    std::fs::write(
        &file,
        mail(
            "yan@example.test",
            "Gift card",
            "c1@mail.example",
            None,
            "",
            "Do you have gift cards?",
        ),
    )
    .unwrap();
    let (code, out, err) = app.cli(
        &["support", "import-mail", file.to_str().unwrap(), "--org", "atelier"],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("opened ticket #3"), "{out}");
    let (code, out, _) = app.cli(
        &["support", "import-mail", file.to_str().unwrap(), "--org", "atelier"],
        &[],
    );
    assert_eq!(code, 0);
    assert!(out.contains("taken in before"), "{out}");
}

#[tokio::test]
async fn the_reply_address_carries_the_ticket_number_and_brings_a_reply_without_headers_home() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(Spawn {
        smtp_url: Some(smtp.url()),
        start_workers: false,
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    let settings = "/dashboard/support/settings";
    let res = app
        .submit(
            settings,
            "/dashboard/support/settings/mail",
            &[("reply_to", "support+{ticket}")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Give an email address, with {ticket} at most once.")
    );
    let res = app
        .submit(
            settings,
            "/dashboard/support/settings/mail",
            &[("reply_to", "support+{ticket}@shop.test")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, page) = app.page(settings).await;
    let secret = regex::Regex::new(r"Authorization: Bearer ([A-Za-z0-9_-]+)")
        .unwrap()
        .captures(&page)
        .unwrap()[1]
        .to_string();
    assert!(page.contains(r#"value="support+{ticket}@shop.test""#));

    let token = app.api_token("owner@shop.test");
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/support/tickets"))
        .bearer_auth(&token)
        .json(
            &json!({ "subject": "Where is my mug?", "description": "Ordered last week.",
                       "requester_email": "ana@example.test" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    app.settle_outbox().await;
    let opened = smtp
        .received()
        .into_iter()
        .find(|m| m.to == ["ana@example.test"])
        .unwrap();
    assert_eq!(
        opened.parsed().headers.get_first_value("Reply-To").as_deref(),
        Some("support+1@shop.test")
    );

    // A reply whose client dropped the threading headers and the subject's tag.
    let reply = mail(
        "ana@example.test",
        "A photo",
        "bare-1@mail.example",
        None,
        "Delivered-To: support+1@shop.test\r\n",
        "Here it is.",
    );
    let (status, landed) = post(&app, &secret, &reply).await;
    assert_eq!(status, 200);
    assert_eq!(landed["outcome"], "added", "{landed}");
    assert_eq!(landed["number"], 1);
    // Someone else writing to that address opens their own ticket.
    let other = mail(
        "eve@example.test",
        "Hello",
        "bare-2@mail.example",
        None,
        "Delivered-To: support+1@shop.test\r\n",
        "Not Ana.",
    );
    let (_, landed) = post(&app, &secret, &other).await;
    assert_eq!(landed["outcome"], "opened");
}
