//! Live updates with many tabs: one tab per organisation holds the stream
//! and shares the count, so ten open dashboard tabs neither exhaust the
//! browser's connections to the site nor miss the count.

use crate::browser::Browser;
use crate::helpers::{PASSWORD, TestApp};
use fantoccini::Locator;
use std::time::{Duration, Instant};

#[tokio::test]
async fn ten_tabs_keep_loading_and_all_see_the_unread_count_go_up() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let max_id = app.add_member("m@shop.test", "Max", "member").await;
    let browser = Browser::start().await;
    browser.client.goto(&app.url("/login")).await.unwrap();
    browser.fill("Email address", "m@shop.test").await;
    browser.fill("Password", PASSWORD).await;
    browser.click_button("Sign in").await;
    browser.find_text("h1", "Atelier").await;
    let mut tabs = vec![browser.client.window().await.unwrap()];
    for _ in 0..9 {
        let tab = browser.client.new_window(true).await.unwrap().handle;
        browser.client.switch_to_window(tab.clone()).await.unwrap();
        let started = Instant::now();
        browser.client.goto(&app.url("/dashboard/team")).await.unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "tab {} waited {:?} for a connection",
            tabs.len() + 1,
            started.elapsed()
        );
        tabs.push(tab);
    }

    app.change_role(&max_id, "admin").await;
    for tab in [tabs[0].clone(), tabs[9].clone()] {
        browser.client.switch_to_window(tab).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let badge = browser.client.find(Locator::Id("unread-count")).await.unwrap();
            if badge.text().await.unwrap() == "1" && badge.is_displayed().await.unwrap() {
                break;
            }
            assert!(Instant::now() < deadline, "the tab shows the new count");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    browser.close().await;
}
