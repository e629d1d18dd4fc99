//! Accessibility (UI.md): axe-core finds no serious or critical violation on
//! the pages people use, in both languages. axe-core is installed by
//! `scripts/test` (pinned) and named by `LUNEO_AXE_JS`.

use crate::browser::Browser;
use crate::helpers::{PASSWORD, TestApp};

pub fn axe_source() -> String {
    let path = std::env::var("LUNEO_AXE_JS").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        format!("{home}/.cache/luneo/axe-core-4.14.1/node_modules/axe-core/axe.min.js")
    });
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("axe-core at {path}: {e}; run scripts/test, which installs it"))
}

/// The serious and critical violations axe finds on the current page.
pub async fn violations(browser: &Browser, axe: &str) -> Vec<String> {
    browser.client.execute(axe, vec![]).await.expect("axe loads");
    let found = browser
        .client
        .execute(
            "return axe.run(document, { resultTypes: ['violations'] }).then(r => r.violations
               .filter(v => v.impact === 'serious' || v.impact === 'critical')
               .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', ')))",
            vec![],
        )
        .await
        .expect("axe runs");
    found
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_pages_people_use_have_no_serious_accessibility_violation() {
    let axe = axe_source();
    let app = TestApp::spawn().await;
    let browser = Browser::start().await;
    let mut problems = vec![];
    for path in crate::layout::PUBLIC {
        browser.client.goto(&app.url(path)).await.unwrap();
        for v in violations(&browser, &axe).await {
            problems.push(format!("{path}: {v}"));
        }
    }
    app.set_up("owner@shop.test", "Atelier").await;
    let rows = crate::layout::populate(&app).await;
    browser.client.goto(&app.url("/login")).await.unwrap();
    browser.fill("Email address", "owner@shop.test").await;
    browser.fill("Password", PASSWORD).await;
    browser.click_button("Sign in").await;
    browser.find_text("h1", "Atelier").await;
    for path in crate::layout::signed_in_pages(&rows) {
        browser.client.goto(&app.url(&path)).await.unwrap();
        for v in violations(&browser, &axe).await {
            problems.push(format!("{path}: {v}"));
        }
    }
    browser.close().await;
    assert!(problems.is_empty(), "axe-core found:\n{}", problems.join("\n"));
}
