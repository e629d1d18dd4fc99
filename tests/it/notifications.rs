//! Notifications: an accepted invitation tells the inviter in the app and
//! by mail (through the real SMTP server), as their preferences say.

use crate::helpers::{PASSWORD, SmtpServer, Spawn, TestApp, csrf_token};

async fn invite_and_accept(app: &TestApp, smtp: &SmtpServer, email: &str, name: &str) {
    app.submit(
        "/dashboard/team",
        "/dashboard/team/invite",
        &[("email", email), ("role", "member")],
    )
    .await;
    let to_invitee = || smtp.received().into_iter().find(|m| m.to == [email]);
    assert!(app.eventually(|| to_invitee().is_some()).await);
    let text = to_invitee().unwrap().part("text/plain").unwrap();
    let start = text.find("/invitations/").unwrap();
    let path = text[start..].split_whitespace().next().unwrap().to_string();
    let guest = crate::helpers::client();
    let res = app
        .submit_as(&guest, &path, &path, &[("name", name), ("password", PASSWORD)])
        .await;
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn an_accepted_invitation_tells_the_inviter_in_the_app_and_by_mail() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(Spawn {
        smtp_url: Some(smtp.url()),
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    let (_, dash) = app.page("/dashboard").await;
    assert!(dash.contains("id=\"unread-count\" hidden>0<"));
    invite_and_accept(&app, &smtp, "colin@shop.test", "Colin Colleague").await;

    let (_, dash) = app.page("/dashboard").await;
    assert!(dash.contains("id=\"unread-count\">1<"), "the bell counts one");
    let (_, inbox) = app.page("/dashboard/notifications").await;
    assert!(inbox.contains("Colin Colleague joined Atelier"));
    assert!(
        app.eventually(|| smtp.received().len() == 2).await,
        "the inviter is mailed"
    );
    let mail = &smtp.received()[1];
    assert_eq!(mail.to, ["owner@shop.test"]);
    assert_eq!(mail.subject(), "Colin Colleague joined Atelier");

    // The API sees it; reading opens what it is about and the count drops.
    let me: serde_json::Value = app.get("/api/v1/notifications?unread=true").await.json().await.unwrap();
    assert_eq!(me["data"].as_array().unwrap().len(), 1);
    assert_eq!(me["data"][0]["kind"], "team.invitation_accepted");
    let id = me["data"][0]["id"].as_str().unwrap().to_string();
    let res = app
        .submit(
            "/dashboard/notifications",
            &format!("/dashboard/notifications/{id}/read"),
            &[],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/dashboard/team");
    let (_, dash) = app.page("/dashboard").await;
    assert!(dash.contains("id=\"unread-count\" hidden>0<"));
    let history: Vec<String> = app
        .db
        .read(|c| {
            let mut s =
                c.prepare("SELECT o.status FROM notification_deliveries d JOIN outbox o ON o.id = d.outbox_id")?;
            Ok(s.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?)
        })
        .await
        .unwrap();
    assert_eq!(history, ["sent"], "the delivery history links the mail");
}

#[tokio::test]
async fn with_team_email_turned_off_only_the_in_app_notification_comes() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(Spawn {
        smtp_url: Some(smtp.url()),
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    let (_, prefs) = app.page("/dashboard/settings/notifications").await;
    assert!(prefs.contains("name=\"on[team.email]\" value=\"on\" checked"));
    let res = app
        .submit(
            "/dashboard/settings/notifications",
            "/dashboard/settings/notifications",
            &[("on[team.in_app]", "on")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let prefs: serde_json::Value = app.get("/api/v1/notifications/preferences").await.json().await.unwrap();
    assert_eq!(
        prefs["categories"]["team"],
        serde_json::json!({"in_app": true, "email": false, "push": false})
    );

    invite_and_accept(&app, &smtp, "dora@shop.test", "Dora").await;
    let (_, inbox) = app.page("/dashboard/notifications").await;
    assert!(inbox.contains("Dora joined Atelier"));
    app.settle_outbox().await;
    assert_eq!(smtp.received().len(), 1, "only the invitation itself was mailed");

    let res = app
        .submit("/dashboard/notifications", "/dashboard/notifications/read-all", &[])
        .await;
    assert_eq!(res.status(), 303);
    let unread: serde_json::Value = app.get("/api/v1/notifications?unread=true").await.json().await.unwrap();
    assert_eq!(unread["data"].as_array().unwrap().len(), 0);
}

/// Reads server-sent events until one of `event` whose data contains `needle`.
async fn wait_for_event(res: &mut reqwest::Response, event: &str, needle: &str) -> String {
    let mut buf = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let chunk = match tokio::time::timeout_at(deadline, res.chunk()).await {
            Ok(c) => c.unwrap().expect("the stream stays open"),
            Err(_) => panic!("no {event} event with {needle} in time; received: {buf}"),
        };
        buf.push_str(&String::from_utf8_lossy(&chunk));
        // Only complete events (ended by a blank line) count.
        let complete = buf.rsplit_once("\n\n").map(|(done, _)| done).unwrap_or("");
        for block in complete.split("\n\n") {
            if block.contains(&format!("event:{event}")) && block.contains(needle) {
                return block.to_string();
            }
        }
    }
}

#[tokio::test]
async fn the_stream_sends_new_notifications_and_the_unread_count_live_and_resumes() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(Spawn {
        smtp_url: Some(smtp.url()),
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    let mut res = app.get("/api/v1/notifications/stream").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    wait_for_event(&mut res, "unread", "\"unread\":0").await;

    invite_and_accept(&app, &smtp, "eli@shop.test", "Eli").await;
    let block = wait_for_event(&mut res, "notification", "Eli joined Atelier").await;
    let id = block
        .lines()
        .find_map(|l| l.strip_prefix("id:"))
        .expect("the event has an id")
        .trim()
        .to_string();
    assert!(id.starts_with("ntf_"));
    wait_for_event(&mut res, "unread", "\"unread\":1").await;
    drop(res);

    // A reconnect with Last-Event-ID gets what came in between, and only that.
    invite_and_accept(&app, &smtp, "fay@shop.test", "Fay").await;
    let mut again = app
        .client
        .get(app.url("/api/v1/notifications/stream"))
        .header("Last-Event-ID", &id)
        .send()
        .await
        .unwrap();
    let block = wait_for_event(&mut again, "notification", "Fay joined Atelier").await;
    assert!(!block.contains("Eli"));
    wait_for_event(&mut again, "unread", "\"unread\":2").await;

    // Another org's member never sees these.
    app.cli(
        &[
            "user",
            "add",
            "--email",
            "bob@other.test",
            "--name",
            "Bob",
            "--org",
            "Other",
        ],
        &[("LUNEO_PASSWORD", PASSWORD)],
    );
    let (_, token, _) = app.cli(&["token", "create", "--email", "bob@other.test"], &[]);
    let mut bob = app
        .client
        .get(app.url("/api/v1/notifications/stream"))
        .bearer_auth(token.trim())
        .send()
        .await
        .unwrap();
    let first = wait_for_event(&mut bob, "unread", "unread").await;
    assert!(first.contains("\"unread\":0"), "{first}");
}

#[tokio::test]
async fn a_daily_digest_replaces_single_mails_and_goes_out_when_the_clock_says() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(Spawn {
        smtp_url: Some(smtp.url()),
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    let res = app
        .submit(
            "/dashboard/settings/notifications",
            "/dashboard/settings/notifications",
            &[("on[team.in_app]", "on"), ("on[team.email]", "on"), ("digest", "daily")],
        )
        .await;
    assert_eq!(res.status(), 303);
    invite_and_accept(&app, &smtp, "hal@shop.test", "Hal").await;
    invite_and_accept(&app, &smtp, "ivy@shop.test", "Ivy").await;
    app.settle_outbox().await;
    assert!(
        smtp.received().iter().all(|m| m.to != ["owner@shop.test"]),
        "no single mail to the owner"
    );

    app.clock.advance(21 * 3600); // 07:30 the next day
    let runs = app.scheduler.run_due().await;
    assert!(
        runs.iter()
            .any(|r| r.name == "notifications.digest" && r.ok && r.message == "sent 1 digests"),
        "{runs:?}"
    );
    app.outbox.wake();
    assert!(
        app.eventually(|| smtp.received().iter().any(|m| m.to == ["owner@shop.test"]))
            .await
    );
    let digests: Vec<_> = smtp
        .received()
        .into_iter()
        .filter(|m| m.to == ["owner@shop.test"])
        .collect();
    assert_eq!(digests.len(), 1);
    assert_eq!(digests[0].subject(), "Your day in Atelier: 2 notifications");
    let text = digests[0].part("text/plain").unwrap();
    assert!(
        text.contains("• Hal joined Atelier") && text.contains("• Ivy joined Atelier"),
        "{text}"
    );
    // Run again the same day: nothing more.
    assert!(app.scheduler.run_due().await.is_empty());
}

#[tokio::test]
async fn preferences_through_the_api_change_only_what_is_sent_and_refuse_nonsense() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let (_, token, _) = app.cli(&["token", "create", "--email", "owner@shop.test"], &[]);
    let put = |body: serde_json::Value| {
        let req = app
            .client
            .put(app.url("/api/v1/notifications/preferences"))
            .bearer_auth(token.trim().to_string())
            .json(&body);
        async move { req.send().await.unwrap() }
    };
    let res = put(serde_json::json!({"categories": {"orders": {"email": false}}, "digest": "weekly"})).await;
    assert_eq!(res.status(), 200);
    let prefs: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        prefs["categories"]["orders"],
        serde_json::json!({"in_app": true, "email": false, "push": true})
    );
    assert_eq!(prefs["categories"]["team"]["email"], true, "untouched");
    assert_eq!(prefs["digest"], "weekly");
    let res = put(serde_json::json!({"categories": {"gossip": {"email": true}}})).await;
    assert_eq!(res.status(), 422);
    let problem: serde_json::Value = res.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "categories.gossip");
    let res = put(serde_json::json!({"digest": "hourly"})).await;
    assert_eq!(res.status(), 422);
}

#[tokio::test]
async fn a_member_is_told_when_their_role_changes() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let max_id = app.add_member("m@shop.test", "Max", "member").await;
    let res = app
        .submit(
            "/dashboard/team",
            &format!("/dashboard/team/members/{max_id}/role"),
            &[("role", "admin")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let max = app.signed_in("m@shop.test").await;
    let list: serde_json::Value = app.json_as(&max, "/api/v1/notifications").await;
    assert_eq!(list["data"][0]["kind"], "team.role_changed");
    assert_eq!(list["data"][0]["title"], "Your role in Atelier changed");
    assert_eq!(list["data"][0]["body"], "Your role in Atelier is now: Admin.");
}

#[tokio::test]
async fn notification_mails_carry_a_one_click_unsubscribe_that_works_without_a_session() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(Spawn {
        smtp_url: Some(smtp.url()),
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    invite_and_accept(&app, &smtp, "jo@shop.test", "Jo").await;
    let to_owner = || smtp.received().into_iter().find(|m| m.to == ["owner@shop.test"]);
    assert!(app.eventually(|| to_owner().is_some()).await);
    let mail = to_owner().unwrap();
    use mailparse::MailHeaderMap;
    let parsed = mail.parsed();
    let header = parsed
        .headers
        .get_first_value("List-Unsubscribe")
        .expect("List-Unsubscribe");
    assert_eq!(
        parsed.headers.get_first_value("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let url = header.trim_start_matches('<').trim_end_matches('>').to_string();
    let path = url.trim_start_matches("http://127.0.0.1:8000").to_string();
    assert!(path.starts_with("/unsubscribe/"), "{url}");
    assert!(
        mail.part("text/plain").unwrap().contains(&url),
        "the link is in the text too"
    );

    // A mail provider POSTs without cookies or CSRF token (RFC 8058).
    let provider = reqwest::Client::new();
    let res = provider
        .post(app.url(&path))
        .body("List-Unsubscribe=One-Click")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("no more mails about Team"));
    let prefs: serde_json::Value = app.get("/api/v1/notifications/preferences").await.json().await.unwrap();
    assert_eq!(
        prefs["categories"]["team"],
        serde_json::json!({"in_app": true, "email": false, "push": true})
    );
    assert_eq!(
        provider
            .post(app.url("/unsubscribe/forged"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn org_admins_see_the_delivery_history_and_replay_a_dead_mail_of_their_org_only() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(Spawn {
        smtp_url: Some(smtp.url()),
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    invite_and_accept(&app, &smtp, "kim@shop.test", "Kim").await;
    assert!(
        app.eventually(|| smtp.received().iter().any(|m| m.to == ["owner@shop.test"]))
            .await
    );
    let outbox_id: String = app
        .db
        .read(|c| Ok(c.query_row("SELECT outbox_id FROM notification_deliveries", [], |r| r.get(0))?))
        .await
        .unwrap();
    let key = outbox_id.clone();
    app.db
        .write(move |tx| {
            Ok(tx.execute(
                "UPDATE outbox SET status = 'dead', attempts = 12, last_error = 'SMTP: 550 mailbox full' WHERE id = ?1",
                [&key],
            )?)
        })
        .await
        .unwrap();
    let (status, html) = app.page("/dashboard/notifications/history").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Kim joined Atelier") && html.contains("owner@shop.test") && html.contains("550 mailbox full")
    );
    let res = app
        .submit(
            "/dashboard/notifications/history",
            &format!("/dashboard/notifications/history/{outbox_id}/replay"),
            &[],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert!(
        app.eventually(|| smtp.received().iter().filter(|m| m.to == ["owner@shop.test"]).count() == 2)
            .await,
        "sent again"
    );

    // A member cannot see it; another org's admin cannot replay it.
    let kim = app.signed_in("kim@shop.test").await;
    assert_eq!(
        kim.get(app.url("/dashboard/notifications/history"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    app.cli(
        &[
            "user",
            "add",
            "--email",
            "zed@other.test",
            "--name",
            "Zed",
            "--org",
            "Other",
        ],
        &[("LUNEO_PASSWORD", PASSWORD)],
    );
    let zed = app.signed_in("zed@other.test").await;
    let page = app.page_as(&zed, "/dashboard/notifications/history").await;
    assert!(!page.contains("Kim joined"));
    let key = outbox_id.clone();
    app.db
        .write(move |tx| Ok(tx.execute("UPDATE outbox SET status = 'dead' WHERE id = ?1", [&key])?))
        .await
        .unwrap();
    let res = app
        .submit_as(
            &zed,
            "/dashboard/notifications/history",
            &format!("/dashboard/notifications/history/{outbox_id}/replay"),
            &[],
        )
        .await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn archiving_takes_a_notification_out_of_the_inbox_and_the_count_for_its_owner_only() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let max_id = app.add_member("m@shop.test", "Max", "member").await;
    app.change_role(&max_id, "admin").await;
    let max = app.signed_in("m@shop.test").await;
    let inbox = app.page_as(&max, "/dashboard/notifications").await;
    assert!(inbox.contains("id=\"unread-count\">1<"));
    let start = inbox.find("/dashboard/notifications/ntf").unwrap() + "/dashboard/notifications/".len();
    let id = inbox[start..].split('/').next().unwrap().to_string();
    // Someone else cannot archive it.
    let token = csrf_token(&app.page("/dashboard").await.1);
    let res = app
        .client
        .post(app.url(&format!("/api/v1/notifications/{id}/archive")))
        .header("X-CSRF-Token", token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    let res = max
        .post(app.url(&format!("/dashboard/notifications/{id}/archive")))
        .form(&[("csrf_token", csrf_token(&inbox))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let inbox = app.page_as(&max, "/dashboard/notifications").await;
    assert!(inbox.contains("The notification is archived."));
    assert!(!inbox.contains(&id), "gone from the inbox");
    assert!(inbox.contains("id=\"unread-count\" hidden>0<"), "and from the count");
    let res = max
        .post(app.url(&format!("/dashboard/notifications/{id}/archive")))
        .form(&[("csrf_token", csrf_token(&inbox))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "archived once");
}

/// What a browser would send for the preference grid of `page`: the ticked
/// boxes and the hidden fields.
fn grid_fields(page: &str) -> Vec<(String, String)> {
    let input = regex::Regex::new(r#"<input [^>]*name="(on\[[a-z_.]+\])"[^>]*>"#).unwrap();
    input
        .captures_iter(page)
        .filter(|c| c[0].contains("type=\"hidden\"") || c[0].contains(" checked"))
        .map(|c| (c[1].to_string(), "on".to_string()))
        .collect()
}

#[tokio::test]
async fn without_push_on_the_server_its_column_is_hidden_and_its_choices_kept() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let (_, history) = app.page("/dashboard/notifications/history").await;
    assert!(
        history.contains("Nothing was sent in this organisation yet."),
        "the history has its own empty state"
    );
    let (_, prefs) = app.page("/dashboard/settings/notifications").await;
    assert!(!prefs.contains("id=\"p-orders-push\""), "no push box to tick");
    assert!(!prefs.contains("<th scope=\"col\">Browser push</th>"));
    assert!(prefs.contains("Browser push is not set up on this server, so its column is hidden"));
    let mut fields = grid_fields(&prefs);
    assert!(
        fields.iter().any(|(k, _)| k == "on[orders.push]"),
        "kept in a hidden field"
    );
    fields.retain(|(k, _)| k != "on[orders.email]");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let res = app
        .submit(
            "/dashboard/settings/notifications",
            "/dashboard/settings/notifications",
            &fields,
        )
        .await;
    assert_eq!(res.status(), 303);
    let saved: serde_json::Value = app.get("/api/v1/notifications/preferences").await.json().await.unwrap();
    assert_eq!(
        saved["categories"]["orders"],
        serde_json::json!({"in_app": true, "email": false, "push": true}),
        "saving the page turned only mail off, push stayed as chosen"
    );
}
