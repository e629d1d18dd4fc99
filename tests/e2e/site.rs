//! The public pages in a real browser: keyboard use and the language menu.

use crate::browser::Browser;
use crate::helpers::TestApp;
use fantoccini::key::Key;

#[tokio::test]
async fn the_skip_link_is_the_first_stop_and_moves_focus_to_the_content() {
    let app = TestApp::spawn().await;
    let browser = Browser::start().await;
    browser.client.goto(&app.url("/")).await.unwrap();
    browser.find_text("h1", "Your Luneo is running").await;
    browser.press(Key::Tab).await;
    assert_eq!(browser.focused_text().await, "Skip to content");
    browser.press(Key::Enter).await;
    let focused = browser.client.active_element().await.unwrap();
    assert_eq!(focused.attr("id").await.unwrap().as_deref(), Some("main"));
    browser.close().await;
}

#[tokio::test]
async fn choosing_a_language_in_the_menu_switches_the_page_at_once() {
    let app = TestApp::spawn().await;
    let browser = Browser::start().await;
    browser.client.goto(&app.url("/")).await.unwrap();
    let select = browser.field("Language").await;
    // With JavaScript the menu submits on change, so its button is hidden.
    let button = browser.find_text("button", "Change language").await;
    assert!(!button.is_displayed().await.unwrap(), "app.js ran under the CSP");
    select.select_by_value("fr").await.unwrap();
    browser.find_text("h1", "Votre Luneo est en marche").await;
    let flash = browser.find_text("div", "Langue modifiée.").await;
    assert_eq!(flash.attr("role").await.unwrap().as_deref(), Some("status"));
    browser.client.goto(&app.url("/nowhere")).await.unwrap();
    browser.find_text("h1", "Page introuvable").await;
    browser.close().await;
}
