//! Accounts in a real browser: register and verify, invite and accept in a
//! second browser, and what a viewer does not see.

use crate::browser::Browser;
use crate::helpers::{PASSWORD, SmtpServer, Spawn, TestApp};

fn link_in(text: &str, prefix: &str) -> String {
    let start = text.find(prefix).expect("the mail has the link");
    let end = text[start..]
        .find(char::is_whitespace)
        .map(|e| start + e)
        .unwrap_or(text.len());
    text[start..end].trim_start_matches("http://127.0.0.1:8000").to_string()
}

#[tokio::test]
async fn register_then_verify_from_the_mail_lands_on_the_dashboard() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(Spawn {
        smtp_url: Some(smtp.url()),
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    let browser = Browser::start().await;
    browser.client.goto(&app.url("/register")).await.unwrap();
    browser.fill("Your name", "Chloé Client").await;
    browser.fill("Email address", "chloe@mugs.test").await;
    browser.fill("Password", PASSWORD).await;
    browser.fill("Shop name", "Mugs & Co").await;
    browser.click_button("Create account").await;
    browser.find_text("h1", "Check your mail").await;

    assert!(app.eventually(|| smtp.received().len() == 1).await);
    let path = link_in(
        &smtp.received()[0].part("text/plain").unwrap(),
        "http://127.0.0.1:8000/verify-email/",
    );
    browser.client.goto(&app.url(&path)).await.unwrap();
    browser.click_button("Confirm my address").await;
    browser.find_text("h1", "Mugs & Co").await;
    assert!(browser.has_text("div", "Your address is confirmed. Welcome!").await);
    browser.close().await;
}

#[tokio::test]
async fn an_invitation_accepted_in_a_second_browser_shows_the_team_to_the_new_member() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(Spawn {
        smtp_url: Some(smtp.url()),
        ..Spawn::default()
    })
    .await;
    let owner = Browser::start().await;
    let token = app.setup_token.clone().unwrap();
    owner
        .client
        .goto(&app.url(&format!("/setup?token={token}")))
        .await
        .unwrap();
    owner.fill("Your name", "Olivia Owner").await;
    owner.fill("Email address", "owner@shop.test").await;
    owner.fill("Password", PASSWORD).await;
    owner.fill("Shop name", "Atelier").await;
    owner.click_button("Create owner account").await;
    owner.find_text("h1", "Atelier").await;
    owner.click_link("Team").await;
    owner.fill("Email address", "colin@shop.test").await;
    owner.click_button("Invite member").await;
    owner.find_text("div", "Invitation sent to colin@shop.test.").await;

    assert!(app.eventually(|| smtp.received().len() == 1).await);
    let path = link_in(
        &smtp.received()[0].part("text/plain").unwrap(),
        "http://127.0.0.1:8000/invitations/",
    );
    let colin = Browser::start().await;
    colin.client.goto(&app.url(&path)).await.unwrap();
    colin.find_text("h1", "Join Atelier on Luneo").await;
    colin.fill("Your name", "Colin Colleague").await;
    colin.fill("Password", PASSWORD).await;
    colin.click_button("Create my account and join").await;
    colin.find_text("div", "Welcome to Atelier!").await;
    colin.click_link("Team").await;
    colin.find_text("h1", "Team").await;
    assert!(colin.has_text("th", "Olivia Owner").await);
    assert!(
        colin
            .find_text("th", "Colin Colleague (you)")
            .await
            .is_displayed()
            .await
            .unwrap()
    );
    owner.close().await;
    colin.close().await;
}

#[tokio::test]
async fn a_viewer_does_not_see_the_invite_button() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    app.add_member("vera@shop.test", "Vera Viewer", "viewer").await;
    let browser = Browser::start().await;
    browser.client.goto(&app.url("/login")).await.unwrap();
    browser.fill("Email address", "vera@shop.test").await;
    browser.fill("Password", PASSWORD).await;
    browser.click_button("Sign in").await;
    browser.find_text("h1", "Atelier").await;
    assert!(!browser.has_text("a", "Billing").await, "no billing for a viewer");
    browser.click_link("Team").await;
    browser.find_text("h1", "Team").await;
    assert!(browser.has_text("th", "Vera Viewer (you)").await);
    assert!(!browser.has_text("button", "Invite member").await);
    assert!(!browser.has_text("button", "Remove").await);
    browser.close().await;
}

#[tokio::test]
async fn the_inviters_bell_goes_up_live_when_the_invitation_is_accepted() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(Spawn {
        smtp_url: Some(smtp.url()),
        ..Spawn::default()
    })
    .await;
    let owner = Browser::start().await;
    let token = app.setup_token.clone().unwrap();
    owner
        .client
        .goto(&app.url(&format!("/setup?token={token}")))
        .await
        .unwrap();
    owner.fill("Your name", "Olivia Owner").await;
    owner.fill("Email address", "owner@shop.test").await;
    owner.fill("Password", PASSWORD).await;
    owner.fill("Shop name", "Atelier").await;
    owner.click_button("Create owner account").await;
    owner.click_link("Team").await;
    owner.fill("Email address", "gus@shop.test").await;
    owner.click_button("Invite member").await;
    owner.find_text("div", "Invitation sent to gus@shop.test.").await;
    let badge = owner
        .client
        .find(fantoccini::Locator::Id("unread-count"))
        .await
        .unwrap();
    assert!(!badge.is_displayed().await.unwrap(), "nothing unread yet");

    // Gus accepts from another device while the owner's tab stays open.
    assert!(app.eventually(|| smtp.received().len() == 1).await);
    let path = link_in(
        &smtp.received()[0].part("text/plain").unwrap(),
        "http://127.0.0.1:8000/invitations/",
    );
    let gus = crate::helpers::client();
    let page = app.page_as(&gus, &path).await;
    let csrf = crate::helpers::csrf_token(&page);
    let res = gus
        .post(app.url(&path))
        .form(&[("csrf_token", csrf.as_str()), ("name", "Gus"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);

    let mut text = String::new();
    for _ in 0..100 {
        text = badge.text().await.unwrap();
        if text == "1" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(text, "1", "the bell shows one unread notification without a reload");
    owner.close().await;
}
