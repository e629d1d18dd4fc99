//! The catalogue's "done when", in a browser: a newcomer creates a product
//! with two print areas from the dashboard (the outlines follow the numbers
//! as they are typed), is told precisely what is wrong with a bad number,
//! finds the product by a word, and imports a CSV file — checked first, a
//! bad row reported and nothing imported, then imported whole. axe-core
//! finds no serious violation on the pages met on the way.

use crate::browser::Browser;
use crate::helpers::{PASSWORD, TestApp};
use fantoccini::Locator;

async fn by_name(browser: &Browser, name: &str) -> fantoccini::elements::Element {
    browser
        .client
        .find(Locator::Css(&format!("[name='{name}']")))
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

async fn type_into(browser: &Browser, name: &str, value: &str) {
    let field = by_name(browser, name).await;
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

async fn outlines(browser: &Browser) -> Vec<String> {
    let found = browser
        .client
        .execute(
            "return [...document.querySelectorAll('.mockup .area-outline')].map(r => r.getAttribute('width'))",
            vec![],
        )
        .await
        .unwrap();
    found
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// Sends the CSV file at `path` with the button `button` and answers the report.
async fn send_csv(browser: &Browser, path: &std::path::Path, button: &str) -> String {
    browser
        .field("CSV file")
        .await
        .send_keys(path.to_str().unwrap())
        .await
        .unwrap();
    browser.click_button(button).await;
    browser.find_text("h2", "Report").await;
    browser
        .client
        .find(Locator::Css(".report"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn no_violations(browser: &Browser, axe: &str, page: &str) {
    let found = crate::a11y::violations(browser, axe).await;
    assert!(found.is_empty(), "{page}: {found:?}");
}

#[tokio::test]
async fn a_newcomer_creates_a_product_with_two_print_areas_finds_it_and_imports_a_checked_csv() {
    let axe = crate::a11y::axe_source();
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let browser = Browser::start().await;
    browser.client.goto(&app.url("/login")).await.unwrap();
    browser.fill("Email address", "owner@shop.test").await;
    browser.fill("Password", PASSWORD).await;
    browser.click_button("Sign in").await;
    browser.find_text("h1", "Atelier").await;

    browser.click_link("Products").await;
    browser.find_text("h1", "Products").await;
    browser.click_link("New product").await;
    browser.find_text("h1", "New product").await;
    browser.fill("Name", "Summer tote").await;
    browser.fill("Price", "18,50").await;
    type_into(&browser, "print_areas[0].name", "Front").await;
    type_into(&browser, "print_areas[0].width_mm", "200").await;
    type_into(&browser, "print_areas[0].height_mm", "250").await;
    assert_eq!(outlines(&browser).await, ["500"], "drawn as typed: 50 % of the mockup");
    type_into(&browser, "print_areas[0].mockup_width", "60").await;
    assert_eq!(outlines(&browser).await, ["600"]);
    type_into(&browser, "variants[0].name", "One size").await;
    browser.click_button("Save the product").await;
    browser.find_text("h1", "Summer tote").await;
    assert!(browser.has_text("div", "Summer tote is saved.").await, "the flash");

    // The second area, from the blank row the saved form offers.
    type_into(&browser, "print_areas[1].name", "Back").await;
    type_into(&browser, "print_areas[1].width_mm", "100").await;
    type_into(&browser, "print_areas[1].height_mm", "100").await;
    browser.click_button("Save the product").await;
    browser.find_text("legend", "Print area Back").await;
    assert_eq!(
        outlines(&browser).await,
        ["600.0", "500.0"],
        "both areas drawn by the server"
    );
    no_violations(&browser, &axe, "the product form").await;

    // A bad number: the field says what is wrong, nothing is lost.
    type_into(&browser, "print_areas[1].width_mm", "-5").await;
    browser.click_button("Save the product").await;
    browser.find_text("h2", "There is a problem").await;
    let error = browser
        .client
        .find(Locator::Css("[id='f-print_areas[1].width_mm-error']"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(error.contains("millimetres"), "{error}");
    let typed = by_name(&browser, "print_areas[1].width_mm").await;
    assert_eq!(typed.attr("aria-invalid").await.unwrap().as_deref(), Some("true"));
    assert_eq!(
        by_name(&browser, "print_areas[0].name")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Front")
    );
    no_violations(&browser, &axe, "the form with an error").await;

    // Found by a word.
    browser.client.goto(&app.url("/dashboard/products")).await.unwrap();
    browser.fill("Search by name, SKU or description", "tot").await;
    browser.click_button("Show").await;
    browser.find_text("a", "Summer tote").await;

    // A CSV import, checked first.
    browser.click_link("Import CSV").await;
    browser.find_text("h1", "Import products").await;
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "name;sku;price;currency\nBeach towel;BT-1;19,90;EUR\nCap;CAP 1;abc;EUR\n",
    )
    .unwrap();
    let report = send_csv(&browser, &bad, "Check the file").await;
    assert!(report.contains("Nothing was imported"), "{report}");
    assert!(report.contains("3 price"), "line 3, its price: {report}");
    no_violations(&browser, &axe, "the import report").await;
    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        "name;sku;price;currency\nBeach towel;BT-1;19,90;EUR\nCap;CAP-1;12;EUR\n",
    )
    .unwrap();
    let report = send_csv(&browser, &good, "Check the file").await;
    assert!(report.contains("would add 2"), "{report}");
    assert_eq!(
        app.count("SELECT count(*) FROM catalog_products").await,
        1,
        "a dry run imports nothing"
    );
    send_csv(&browser, &good, "Import").await;
    browser.click_link("See the products").await;
    browser.find_text("a", "Cap").await;
    browser.find_text("a", "Beach towel").await;
    assert_eq!(app.count("SELECT count(*) FROM catalog_products").await, 3);
    browser.close().await;
}
