//! Web push in the browser: with VAPID keys set, the notification settings
//! page registers the service worker and offers to turn push on for this
//! browser; when the browser refuses (headless Chromium denies the
//! permission and cannot reach a push service here) the page says so.

use crate::browser::Browser;
use crate::helpers::{PASSWORD, Spawn, TestApp};
use fantoccini::Locator;
use luneo::notifications::push::vapid::Vapid;
use std::time::Duration;

#[tokio::test]
async fn the_settings_page_registers_the_service_worker_and_offers_push() {
    let (private, public) = Vapid::generate();
    let app = TestApp::spawn_with(Spawn {
        pairs: vec![
            ("vapid_private_key".into(), private),
            ("vapid_public_key".into(), public),
        ],
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    let browser = Browser::start().await;
    browser.client.goto(&app.url("/login")).await.unwrap();
    browser.fill("Email address", "owner@shop.test").await;
    browser.fill("Password", PASSWORD).await;
    browser.click_button("Sign in").await;
    browser.find_text("h1", "Atelier").await;
    browser
        .client
        .goto(&app.url("/dashboard/settings/notifications"))
        .await
        .unwrap();
    browser.find_text("h2", "Browser notifications").await;
    let turn_on = browser.find_text("button", "Turn on for this browser").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !turn_on.is_displayed().await.unwrap() {
        assert!(std::time::Instant::now() < deadline, "the script shows the button");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    browser
        .find_text("p", "This browser does not show Luneo notifications.")
        .await;
    let scope = browser
        .client
        .execute(
            "return navigator.serviceWorker.ready.then(r => r.active ? r.active.scriptURL : null)",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        scope.as_str(),
        Some(app.url("/sw.js").as_str()),
        "the service worker runs"
    );

    turn_on.click().await.unwrap();
    let status = browser
        .client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(
            "//p[@data-push-status and contains(., 'could not turn notifications on')]",
        ))
        .await;
    assert!(status.is_ok(), "a refusal is explained, not silent");
    browser.close().await;
}
