//! The support desk's "done when", as its two sides live it in a browser:
//! a customer finds an article by a word prefix (in English, then in
//! French), opens a request without an account and gets the mail; a
//! member answers with a reply and an internal note and sees the due
//! times; the customer's mail and page show the reply and never the note;
//! the customer writes again through the private link; the member
//! resolves the ticket.

use crate::browser::Browser;
use crate::helpers::{PASSWORD, SmtpServer, Spawn, TestApp};
use fantoccini::Locator;
use serde_json::json;

#[tokio::test]
async fn a_customer_asks_from_the_help_centre_and_the_team_answers_without_leaking_its_notes() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(Spawn {
        smtp_url: Some(smtp.url()),
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    let token = app.api_token("owner@shop.test");
    for body in [
        json!({ "title": "Returns and refunds", "lang": "en", "status": "published",
                "body": "You can **return** a personalised item within 14 days." }),
        json!({ "title": "Retours et remboursements", "lang": "fr", "status": "published",
                "body": "Vous pouvez retourner un article personnalisé sous 14 jours." }),
    ] {
        let res = reqwest::Client::new()
            .post(app.url("/api/v1/support/kb/articles"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }

    let browser = Browser::start().await;
    browser.client.goto(&app.url("/help/atelier")).await.unwrap();
    browser.find_text("h1", "Help centre of Atelier").await;
    browser.fill("Search the articles", "retu").await;
    browser.click_button("Search").await;
    browser.find_text("a", "Returns and refunds").await;
    crate::layout::choose_language(&browser, &app.url("/help/atelier"), "fr").await;
    browser.fill("Rechercher dans les articles", "rembour").await;
    browser.click_button("Rechercher").await;
    browser.find_text("a", "Retours et remboursements").await;
    crate::layout::choose_language(&browser, &app.url("/help/atelier"), "en").await;

    browser.click_link("Contact us").await;
    browser.find_text("h1", "Ask a question").await;
    browser.fill("Your name", "Ana Client").await;
    browser.fill("Your email address", "ana@example.test").await;
    browser.fill("Subject", "Where is my mug?").await;
    browser
        .fill("Your question", "I ordered a mug with my cat on it.")
        .await;
    browser.click_button("Send my question").await;
    browser.find_text("h1", "Your question is on its way").await;
    app.settle_outbox().await;
    let opened = smtp
        .received()
        .into_iter()
        .find(|m| m.to == ["ana@example.test"])
        .expect("the customer gets a mail");
    let text = opened.part("text/plain").unwrap();
    let link = regex::Regex::new(r"http://127\.0\.0\.1:8000(/help/atelier/tickets/[A-Za-z0-9_-]+)")
        .unwrap()
        .captures(&text)
        .unwrap()[1]
        .to_string();

    browser.client.goto(&app.url("/login")).await.unwrap();
    browser.fill("Email address", "owner@shop.test").await;
    browser.fill("Password", PASSWORD).await;
    browser.click_button("Sign in").await;
    browser.find_text("h1", "Atelier").await;
    browser.click_link("Support").await;
    browser.click_link("#1 Where is my mug?").await;
    browser.find_text("h1", "#1 Where is my mug?").await;
    assert!(browser.has_text("dt", "First response due").await && browser.has_text("dt", "Resolution due").await);
    browser.fill("Message", "It ships tomorrow, with the cat.").await;
    browser.click_button("Send").await;
    browser.find_text("div", "Your reply is sent to the requester.").await;
    browser.fill("Message", "VIP customer: add a free coaster.").await;
    browser
        .client
        .find(Locator::Id("f-kind-note"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.click_button("Send").await;
    browser
        .find_text("div", "Your note is saved; the requester does not see it.")
        .await;

    browser.client.goto(&app.url(&link)).await.unwrap();
    browser.find_text("h1", "#1 Where is my mug?").await;
    let page = browser.client.source().await.unwrap();
    assert!(
        page.contains("It ships tomorrow") && !page.contains("coaster"),
        "{page}"
    );
    browser.fill("Your message", "Thank you!").await;
    browser.click_button("Send").await;
    browser.find_text("div", "Your message is sent.").await;

    browser
        .client
        .goto(&app.url("/dashboard/support?status=all"))
        .await
        .unwrap();
    browser.click_link("#1 Where is my mug?").await;
    browser.find_text("h1", "#1 Where is my mug?").await;
    assert!(browser.client.source().await.unwrap().contains("Thank you!"));
    let status = browser.client.find(Locator::Id("f-status")).await.unwrap();
    status.select_by_value("resolved").await.unwrap();
    browser.click_button("Save").await;
    browser.find_text("div", "The ticket is saved.").await;
    assert!(browser.has_text("span", "Resolved").await);

    app.settle_outbox().await;
    let to_customer: Vec<String> = smtp
        .received()
        .iter()
        .filter(|m| m.to == ["ana@example.test"])
        .map(|m| String::from_utf8_lossy(&m.raw).to_string())
        .collect();
    assert!(to_customer.iter().any(|m| m.contains("It ships tomorrow")));
    assert!(
        to_customer.iter().all(|m| !m.contains("coaster")),
        "the note is never mailed"
    );
    browser.close().await;
}
