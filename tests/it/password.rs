//! Password reset by mail and rate limits on sign-in.

use crate::helpers::{PASSWORD, SmtpServer, Spawn, TestApp, csrf_token};

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_signs_out_every_other_session() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(Spawn {
        smtp_url: Some(smtp.url()),
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await; // `app.client` holds one session

    let visitor = crate::helpers::client();
    let mut answers = vec![];
    for email in ["nobody@shop.test", "owner@shop.test"] {
        let page = app.page_as(&visitor, "/password/forgot").await;
        let token = csrf_token(&page);
        let res = visitor
            .post(app.url("/password/forgot"))
            .form(&[("csrf_token", token.as_str()), ("email", email)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        answers.push(res.text().await.unwrap().replace(&token, ""));
    }
    assert_eq!(
        answers[0], answers[1],
        "the answer never says whether the address exists"
    );
    assert!(answers[0].contains("If an account uses this address"));
    assert!(app.eventually(|| smtp.received().len() == 1).await);
    let mail = &smtp.received()[0];
    assert_eq!(mail.to, ["owner@shop.test"]);
    let text = mail.part("text/plain").unwrap();
    let start = text.find("/password/reset/").unwrap();
    let path = text[start..].split_whitespace().next().unwrap().to_string();

    let page = app.page_as(&visitor, &path).await;
    assert!(page.contains("Choose a new password"));
    let token = csrf_token(&page);
    let res = visitor
        .post(app.url(&path))
        .form(&[("csrf_token", token.as_str()), ("password", "12345678901")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("too easy to guess"));
    let new_password = "lantern-orchard-57-violin";
    let res = visitor
        .post(app.url(&path))
        .form(&[("csrf_token", token.as_str()), ("password", new_password)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/dashboard");
    assert_eq!(
        visitor.get(app.url("/dashboard")).send().await.unwrap().status(),
        200,
        "signed in by the reset"
    );
    assert_eq!(
        app.get("/dashboard").await.status(),
        303,
        "the other session was signed out"
    );
    assert!(
        app.eventually(|| smtp
            .received()
            .iter()
            .any(|m| m.subject().starts_with("Your password was reset")))
            .await,
        "a security notice is mailed, always"
    );

    let again = app.page_as(&visitor, &path).await;
    assert!(again.contains("has been used already or has expired"));
    let old = crate::helpers::client();
    let page = app.page_as(&old, "/login").await;
    let t = csrf_token(&page);
    let res = old
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", t.as_str()),
            ("email", "owner@shop.test"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "the old password no longer works");
    let res = old
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", t.as_str()),
            ("email", "owner@shop.test"),
            ("password", new_password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn a_reset_link_expires_after_an_hour() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(Spawn {
        smtp_url: Some(smtp.url()),
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    app.submit("/password/forgot", "/password/forgot", &[("email", "owner@shop.test")])
        .await;
    assert!(app.eventually(|| smtp.received().len() == 1).await);
    let text = smtp.received()[0].part("text/plain").unwrap();
    let start = text.find("/password/reset/").unwrap();
    let path = text[start..].split_whitespace().next().unwrap().to_string();
    app.clock.advance(3_601);
    let (_, page) = app.page(&path).await;
    assert!(page.contains("has expired"));
}

#[tokio::test]
async fn too_many_sign_in_attempts_get_429_with_retry_after_and_a_message() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let attacker = crate::helpers::client();
    let page = app.page_as(&attacker, "/login").await;
    let token = csrf_token(&page);
    let mut statuses = vec![];
    for _ in 0..6 {
        let res = attacker
            .post(app.url("/login"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("email", "owner@shop.test"),
                ("password", "guess-guess-guess"),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
        if res.status() == 429 {
            let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
            assert!((1..=12).contains(&retry), "{retry}");
            let html = res.text().await.unwrap();
            assert!(html.contains("Too many attempts in a short time. Wait"), "{html}");
        }
    }
    assert_eq!(statuses, [422, 422, 422, 422, 422, 429]);
    // Even the right password waits: the limit is per account, before checking.
    let res = attacker
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "owner@shop.test"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
}
