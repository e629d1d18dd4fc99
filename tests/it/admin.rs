//! Instance administration: jobs and the outbox, for instance admins only.

use crate::helpers::{Spawn, TestApp};

#[tokio::test]
async fn instance_admins_see_the_jobs_with_their_last_run() {
    let app = TestApp::spawn_with(Spawn {
        start_workers: false,
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    app.clock.advance(86_400);
    app.scheduler.run_due().await;
    let (status, html) = app.page("/admin/jobs").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("<code>outbox.purge</code>") && html.contains("<code>db.optimize</code>"),
        "{html}"
    );
    assert!(html.contains("Succeeded") && html.contains("removed 0 old outbox rows"));
    assert!(
        html.contains("Every day at 03:15 UTC<br>") && html.contains("0 15 3 * * *</code>"),
        "the schedule reads as words beside its cron expression"
    );
    assert!(html.contains("<time datetime=\"2026-11-26T"), "{html}");
    let (_, dash) = app.page("/dashboard").await;
    assert!(
        dash.contains("href=\"/admin/jobs\""),
        "the sidebar links the instance pages"
    );
}

#[tokio::test]
async fn a_dead_delivery_is_listed_and_replayed_from_the_page() {
    let app = TestApp::spawn_with(Spawn {
        start_workers: false,
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    let mail = luneo::mail::test_mail("x@shop.test", luneo::web::i18n::Lang::En, "http://shop.test").unwrap();
    let id = app
        .db
        .write(move |tx| luneo::mail::queue(tx, None, &mail))
        .await
        .unwrap();
    let key = id.clone();
    app.db
        .write(move |tx| {
            tx.execute(
                "UPDATE outbox SET status = 'dead', attempts = 12, last_error = 'SMTP: refused' WHERE id = ?1",
                [&key],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    let (status, html) = app.page("/admin/outbox?status=dead").await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("<code>{id}</code>")) && html.contains("SMTP: refused"));
    let res = app
        .submit("/admin/outbox?status=dead", &format!("/admin/outbox/{id}/replay"), &[])
        .await;
    assert_eq!(res.status(), 303);
    let (_, html) = app.page("/admin/outbox?status=dead").await;
    assert!(html.contains("The delivery is queued again.") && !html.contains(&format!("<code>{id}</code>")));
    assert_eq!(
        app.outbox.deliver_due().await.unwrap(),
        1,
        "delivered (as a file) after the replay"
    );
}

#[tokio::test]
async fn members_who_are_not_instance_admins_get_403() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    app.add_member("ada@shop.test", "Ada", "admin").await;
    let ada = app.signed_in("ada@shop.test").await;
    assert_eq!(ada.get(app.url("/dashboard")).send().await.unwrap().status(), 200);
    for path in ["/admin/jobs", "/admin/outbox"] {
        assert_eq!(ada.get(app.url(path)).send().await.unwrap().status(), 403, "{path}");
    }
    let dash = app.page_as(&ada, "/dashboard").await;
    assert!(!dash.contains("/admin/jobs"));
}

#[tokio::test]
async fn instance_admins_can_close_registration() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let (_, html) = app.page("/admin/settings").await;
    assert!(html.contains("value=\"on\" checked"), "open by default");
    let res = app.submit("/admin/settings", "/admin/settings", &[]).await;
    assert_eq!(res.status(), 303);
    let visitor = crate::helpers::client();
    let res = visitor.get(app.url("/register")).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("ask for an invitation"));
    let res = app
        .submit("/admin/settings", "/admin/settings", &[("registration_open", "on")])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(visitor.get(app.url("/register")).send().await.unwrap().status(), 200);
}
