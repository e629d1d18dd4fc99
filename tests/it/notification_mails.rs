//! Notification mails: an org admin's own template (preview, refusal with
//! the line and the reason, save, reset), the org's name and logo in the
//! mail, and the new-sign-in notice.

use crate::helpers::{SmtpServer, Spawn, TestApp, csrf_token};
use serde_json::{Value, json};

async fn shop(smtp: &SmtpServer) -> (TestApp, String) {
    let app = TestApp::spawn_with(Spawn {
        smtp_url: Some(smtp.url()),
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    let max_id = app.add_member("m@shop.test", "Max", "member").await;
    (app, max_id)
}

async fn templates_saved(app: &TestApp) -> i64 {
    app.db
        .read(|c| Ok(c.query_row("SELECT count(*) FROM notification_templates", [], |r| r.get(0))?))
        .await
        .unwrap()
}

const EDITOR: &str = "/dashboard/settings/notifications/templates/team.role_changed/en";

#[tokio::test]
async fn an_admin_previews_saves_and_resets_their_own_mail_and_mails_follow() {
    let smtp = SmtpServer::start();
    let (app, max_id) = shop(&smtp).await;
    let (_, list) = app.page("/dashboard/settings/notifications/templates").await;
    assert!(list.contains("team.role_changed"));
    let (status, editor) = app.page(EDITOR).await;
    assert_eq!(status, 200);
    assert!(
        editor.contains("{{ role }}"),
        "the built-in text is shown as a template"
    );

    let subject = "Hello {{ recipient }}: you are {{ role }} now";
    let body = "Dear {{ recipient }},\n\n{% if role == \"Admin\" %}You run {{ org }} now. <b>Congrats</b>{% else %}Your role: {{ role }}.{% endif %}";
    // Preview with sample data: nothing saved.
    let res = app
        .submit(
            EDITOR,
            EDITOR,
            &[("subject", subject), ("body", body), ("action", "preview")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(
        page.contains(
            "<pre class=\"mail-preview\">Dear Sam Sample,

You run Atelier now. &#60;b&#62;Congrats&#60;/b&#62;</pre>"
        ),
        "escaped preview: {page}"
    );
    assert_eq!(templates_saved(&app).await, 0);

    // A mistake is refused with the line and the reason, next to the field.
    let res = app
        .submit(
            EDITOR,
            EDITOR,
            &[
                ("subject", subject),
                ("body", "Dear you,\n{{ rol }}"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"f-body-error\">Line 2: "), "{page}");
    assert!(page.contains("undefined"));
    assert_eq!(templates_saved(&app).await, 0);
    let res = app
        .submit(
            EDITOR,
            EDITOR,
            &[
                ("subject", subject),
                ("body", "{% for x in role %}{% endfor %}"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422, "loops are not part of the language");

    let res = app
        .submit(
            EDITOR,
            EDITOR,
            &[("subject", subject), ("body", body), ("action", "save")],
        )
        .await;
    assert_eq!(res.status(), 303);
    app.change_role(&max_id, "admin").await;
    let to_max = || {
        smtp.received()
            .into_iter()
            .filter(|m| m.to == ["m@shop.test"])
            .collect::<Vec<_>>()
    };
    assert!(app.eventually(|| to_max().len() == 1).await);
    let mail = &to_max()[0];
    assert_eq!(mail.subject(), "Hello Max: you are Admin now");
    let text = mail.part("text/plain").unwrap();
    assert!(text.contains("Dear Max,"), "{text}");
    assert!(text.contains("You run Atelier now. <b>Congrats</b>"));
    let html = mail.part("text/html").unwrap();
    assert!(
        html.contains("You run Atelier now. &#60;b&#62;Congrats&#60;/b&#62;"),
        "markup stays text: {html}"
    );

    // Back to the built-in text.
    let res = app.submit(EDITOR, &format!("{EDITOR}/reset"), &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(templates_saved(&app).await, 0);
    app.change_role(&max_id, "viewer").await;
    assert!(app.eventually(|| to_max().len() == 2).await);
    assert_eq!(to_max()[1].subject(), "Your role in Atelier changed");
}

#[tokio::test]
async fn the_templates_api_refuses_bad_templates_naming_the_field_and_line() {
    let smtp = SmtpServer::start();
    let (app, _) = shop(&smtp).await;
    let token = csrf_token(&app.page("/dashboard").await.1);
    let put = |body: Value| {
        app.client
            .put(app.url("/api/v1/notifications/templates/team.role_changed/fr"))
            .header("X-CSRF-Token", token.clone())
            .json(&body)
            .send()
    };
    let res = put(json!({ "subject": "Rôle", "body": "Bonjour\n\n{% if role %}{{ role }}" }))
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "body");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("line 3: "),
        "{problem}"
    );
    let res = put(json!({ "subject": "Nouveau rôle : {{ role }}", "body": "Vous êtes {{ role }}." }))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let list: Value = app.get("/api/v1/notifications/templates").await.json().await.unwrap();
    let fr = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "team.role_changed" && t["language"] == "fr")
        .unwrap();
    assert_eq!(fr["customised"], true);
    assert_eq!(fr["subject"], "Nouveau rôle : {{ role }}");
    let en = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "team.role_changed" && t["language"] == "en")
        .unwrap();
    assert_eq!(en["customised"], false, "each language on its own");
    let max = app.signed_in("m@shop.test").await;
    let res = max
        .get(app.url("/api/v1/notifications/templates"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "members cannot see or change them");
}

#[tokio::test]
async fn notification_mails_carry_the_org_name_and_logo() {
    let smtp = SmtpServer::start();
    let (app, max_id) = shop(&smtp).await;
    let (_, html) = app.page("/dashboard/settings").await;
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0".to_vec();
    png.extend_from_slice(&[0x1f, 0x15, 0xc4, 0x89]);
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf_token(&html))
        .part("logo", reqwest::multipart::Part::bytes(png).file_name("logo.png"));
    let res = app
        .client
        .post(app.url("/dashboard/settings/logo"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    app.change_role(&max_id, "admin").await;
    let to_max = || smtp.received().into_iter().find(|m| m.to == ["m@shop.test"]);
    assert!(app.eventually(|| to_max().is_some()).await);
    let html = to_max().unwrap().part("text/html").unwrap();
    assert!(html.contains("<img src=\"http://127.0.0.1:8000/files/"), "{html}");
    assert!(html.contains("Atelier</p>"));
    assert!(to_max().unwrap().part("text/plain").unwrap().starts_with("Atelier"));
}

#[tokio::test]
async fn a_sign_in_from_a_new_browser_is_told_but_not_the_first_or_a_known_one() {
    let smtp = SmtpServer::start();
    let (app, _) = shop(&smtp).await;
    let sign_in = |agent: &'static str| app.signed_in_from("m@shop.test", agent);
    let notices = || app.count("SELECT count(*) FROM notifications WHERE kind = 'account.new_sign_in'");
    sign_in("LaptopBrowser/1.0").await;
    assert_eq!(notices().await, 0, "the first sign-in is not news");
    sign_in("LaptopBrowser/1.0").await;
    assert_eq!(notices().await, 0, "a known browser is not news");
    let phone = sign_in("PhoneBrowser/2.0").await;
    assert_eq!(notices().await, 1);
    let list: Value = app.json_as(&phone, "/api/v1/notifications").await;
    assert_eq!(list["data"][0]["title"], "New sign-in to your account");
    assert!(list["data"][0]["body"].as_str().unwrap().contains("PhoneBrowser/2.0"));
    let to_max = || smtp.received().into_iter().find(|m| m.to == ["m@shop.test"]);
    assert!(app.eventually(|| to_max().is_some()).await, "and by mail");
    assert_eq!(to_max().unwrap().subject(), "New sign-in to your account · Atelier");
    // A browser people know is named as they know it.
    sign_in("Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0").await;
    let list = app.json_as(&phone, "/api/v1/notifications").await;
    assert!(
        list["data"][0]["body"]
            .as_str()
            .unwrap()
            .contains("Firefox 140 · Linux"),
        "{list}"
    );
}

#[tokio::test]
async fn a_new_browser_is_still_told_after_the_audit_log_forgot_the_sign_ins() {
    let smtp = SmtpServer::start();
    let (app, _) = shop(&smtp).await;
    let notices = || app.count("SELECT count(*) FROM notifications WHERE kind = 'account.new_sign_in'");
    app.signed_in_from("m@shop.test", "LaptopBrowser/1.0").await;
    // The org keeps two days of audit; ten days later the nightly purge ran.
    app.db
        .write(|tx| Ok(tx.execute("UPDATE orgs SET audit_retention_days = 2", [])?))
        .await
        .unwrap();
    app.clock.advance(10 * 86_400);
    let runs = app.scheduler.run_due().await;
    assert!(runs.iter().any(|r| r.name == "audit.purge" && r.ok), "{runs:?}");
    let left = app
        .count("SELECT count(*) FROM audit_log WHERE action = 'user.signed_in'")
        .await;
    assert_eq!(left, 0, "the audit log no longer has the sign-in");

    app.signed_in_from("m@shop.test", "LaptopBrowser/1.0").await;
    assert_eq!(notices().await, 0, "the laptop is still known");
    app.signed_in_from("m@shop.test", "PhoneBrowser/2.0").await;
    assert_eq!(notices().await, 1, "the phone is news");

    // A browser unseen for over a year is forgotten by the nightly purge.
    app.clock.advance(400 * 86_400);
    let runs = app.scheduler.run_due().await;
    assert!(runs.iter().any(|r| r.name == "auth.purge" && r.ok), "{runs:?}");
    let kept = app.count("SELECT count(*) FROM known_browsers").await;
    assert_eq!(kept, 0);
}

#[tokio::test]
async fn the_template_editor_is_titled_with_the_kind_not_sample_names() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let (_, html) = app.page(EDITOR).await;
    let h1 = &html[html.find("<h1>").unwrap()..html.find("</h1>").unwrap()];
    assert!(h1.contains("Your role changes"), "{h1}");
    assert!(!h1.contains("Atelier"), "no sample data in the title: {h1}");
    let (_, list) = app.page("/dashboard/settings/notifications/templates").await;
    assert!(list.contains("An invitation is accepted") && !list.contains("{name}"));
}
