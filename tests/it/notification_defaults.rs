//! Org defaults: what an org admin sets applies to members who have not
//! chosen for themselves; their own choice still wins.

use crate::helpers::{PASSWORD, TestApp, csrf_token};
use serde_json::{Value, json};

async fn mails_queued_to(app: &TestApp, email: &str) -> i64 {
    let pattern = format!("%\"to\":\"{email}\"%");
    app.db
        .read(move |c| {
            Ok(c.query_row(
                "SELECT count(*) FROM outbox WHERE kind = 'mail' AND payload LIKE ?1",
                [&pattern],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn org_defaults_apply_to_members_who_have_not_chosen_and_their_choice_wins() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let max_id = app.add_member("m@shop.test", "Max", "member").await;

    // The owner turns team mails off by default (every other box kept on).
    let (_, page) = app.page("/dashboard/settings/notifications/defaults").await;
    assert!(page.contains("name=\"on[team.email]\" value=\"on\" checked"));
    let mut fields: Vec<(String, String)> = vec![];
    for category in [
        "security",
        "team",
        "orders",
        "support",
        "monitoring",
        "billing",
        "product",
    ] {
        for channel in ["in_app", "email", "push"] {
            if (category, channel) != ("team", "email") {
                fields.push((format!("on[{category}.{channel}]"), "on".into()));
            }
        }
    }
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let res = app
        .submit(
            "/dashboard/settings/notifications/defaults",
            "/dashboard/settings/notifications/defaults",
            &refs,
        )
        .await;
    assert_eq!(res.status(), 303);
    let defaults: Value = app
        .get("/api/v1/notifications/org-defaults")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(defaults["categories"]["team"]["email"], false);
    assert_eq!(defaults["categories"]["team"]["in_app"], true);

    // Max never chose: the org default applies to him.
    let max = app.signed_in("m@shop.test").await;
    let prefs: Value = app.json_as(&max, "/api/v1/notifications/preferences").await;
    assert_eq!(prefs["categories"]["team"]["email"], false);
    app.change_role(&max_id, "admin").await;
    assert_eq!(mails_queued_to(&app, "m@shop.test").await, 0, "no team mail by default");
    let list: Value = app.json_as(&max, "/api/v1/notifications").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "the in-app one still comes");

    // His own choice wins over the default.
    let page = app.page_as(&max, "/dashboard/settings/notifications").await;
    let res = max
        .put(app.url("/api/v1/notifications/preferences"))
        .header("X-CSRF-Token", csrf_token(&page))
        .json(&json!({ "categories": { "team": { "email": true } } }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    app.change_role(&max_id, "member").await;
    assert_eq!(mails_queued_to(&app, "m@shop.test").await, 1);
}

#[tokio::test]
async fn only_org_admins_set_the_defaults() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    app.add_member("m@shop.test", "Max", "member").await;
    let max = app.signed_in("m@shop.test").await;
    let res = max
        .get(app.url("/dashboard/settings/notifications/defaults"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let page = app.page_as(&max, "/dashboard/settings/notifications").await;
    assert!(
        !page.contains("/dashboard/settings/notifications/defaults"),
        "no link to what he cannot do"
    );
    let res = max
        .put(app.url("/api/v1/notifications/org-defaults"))
        .header("X-CSRF-Token", csrf_token(&page))
        .json(&json!({ "categories": { "team": { "email": false } } }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = app
        .client
        .put(app.url("/api/v1/notifications/org-defaults"))
        .header("X-CSRF-Token", csrf_token(&app.page("/dashboard").await.1))
        .json(&json!({ "categories": { "team": { "fax": false } } }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "categories.team.fax");
}

#[tokio::test]
async fn read_notifications_older_than_the_retention_setting_are_purged_at_night() {
    let app = crate::helpers::TestApp::spawn_with(crate::helpers::Spawn {
        start_workers: false,
        pairs: vec![("notification_retention_days".into(), "30".into())],
        ..Default::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    let max_id = app.add_member("m@shop.test", "Max", "member").await;
    let role = |r: &'static str| {
        let (app, id) = (&app, max_id.clone());
        async move {
            app.submit(
                "/dashboard/team",
                &format!("/dashboard/team/members/{id}/role"),
                &[("role", r)],
            )
            .await;
        }
    };
    let count = || async {
        app.db
            .read(|c| {
                Ok(c.query_row(
                    "SELECT count(*) FROM notifications WHERE kind = 'team.role_changed'",
                    [],
                    |r| r.get::<_, i64>(0),
                )?)
            })
            .await
            .unwrap()
    };
    role("admin").await;
    let max = app.signed_in("m@shop.test").await;
    let page = app.page_as(&max, "/dashboard").await;
    let res = max
        .post(app.url("/api/v1/notifications/read-all"))
        .header("X-CSRF-Token", csrf_token(&page))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    app.clock.advance(20 * 86_400);
    app.sign_in("owner@shop.test", PASSWORD).await; // the idle session ended meanwhile
    role("viewer").await; // unread: kept whatever its age
    app.clock.advance(11 * 86_400);
    app.scheduler.run_due().await;
    assert_eq!(
        count().await,
        1,
        "the one read 31 days ago is gone, the unread one stays"
    );
}

#[tokio::test]
async fn a_long_inbox_pages_by_cursor_in_the_api_and_on_the_page() {
    let app = crate::helpers::TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let max_id = app.add_member("m@shop.test", "Max", "member").await;
    for i in 0..105 {
        app.change_role(&max_id, if i % 2 == 0 { "admin" } else { "member" })
            .await;
    }
    let max = app.signed_in("m@shop.test").await;
    let first = app.json_as(&max, "/api/v1/notifications").await;
    assert_eq!(first["data"].as_array().unwrap().len(), 50);
    let cursor = first["next_cursor"].as_str().expect("more to come").to_string();
    let second = app
        .json_as(&max, &format!("/api/v1/notifications?cursor={cursor}&limit=50"))
        .await;
    let cursor = second["next_cursor"].as_str().expect("more to come").to_string();
    let rest = app
        .json_as(&max, &format!("/api/v1/notifications?cursor={cursor}&limit=50"))
        .await;
    assert_eq!(rest["data"].as_array().unwrap().len(), 5);
    assert!(rest["next_cursor"].is_null());
    assert_eq!(
        rest["data"][4]["body"], "Your role in Atelier is now: Admin.",
        "the oldest comes last"
    );
    let res = max
        .get(app.url("/api/v1/notifications?limit=500"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);

    let page = app.page_as(&max, "/dashboard/notifications").await;
    assert_eq!(page.matches("<li class=").count(), 50);
    let start = page
        .find("/dashboard/notifications?unread=false")
        .expect("an older link");
    let href = page[start..start + page[start..].find('"').unwrap()].replace("&#38;", "&");
    assert!(href.contains("&before=ntf"), "{href}");
    let older = app.page_as(&max, &href).await;
    assert_eq!(older.matches("<li class=").count(), 50);
    assert!(older.contains("Older notifications"));

    // The owner's delivery history pages the same way (100 a page).
    let (_, history) = app.page("/dashboard/notifications/history").await;
    assert_eq!(history.matches("<th scope=\"row\">").count(), 100);
    let start = history
        .find("/dashboard/notifications/history?before=")
        .expect("an older link");
    let href = &history[start..start + history[start..].find('"').unwrap()];
    let (_, older) = app.page(href).await;
    assert_eq!(older.matches("<th scope=\"row\">").count(), 5);
    assert!(
        !older.contains("history?before="),
        "no link to older ones on the last page"
    );
}
