//! The storefront: a visitor without an account sees a shop's active
//! products with their photos and prices, opens one (variants with their
//! own prices, what can be personalised), in English or French; drafts,
//! archived products and unknown shops are not there.

use crate::helpers::{TestApp, client};
use serde_json::json;

#[tokio::test]
async fn a_visitor_sees_the_active_products_and_opens_one_and_drafts_stay_hidden() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let token = app.api_token("owner@shop.test");
    for body in [
        json!({ "name": "Summer tote", "status": "active", "price_minor": 1850, "currency": "EUR", "description": "Heavy canvas.",
                "variants": [{ "name": "Natural" }, { "name": "Black", "price_delta_minor": 200, "stock": 0 }],
                "print_areas": [{ "name": "Front", "width_mm": 200, "height_mm": 250, "required": true }] }),
        json!({ "name": "Secret prototype", "price_minor": 100, "currency": "EUR" }),
    ] {
        let res = app
            .api(&token, reqwest::Method::POST, "/api/v1/products")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    let visitor = client();
    let shop = visitor.get(app.url("/s/atelier")).send().await.unwrap();
    assert_eq!(shop.status(), 200);
    let html = shop.text().await.unwrap();
    assert!(html.contains("Summer tote") && html.contains("18.50 EUR"), "{html}");
    assert!(!html.contains("Secret prototype"), "a draft is not on sale");
    assert!(html.contains(r#"href="/s/atelier/p/summer-tote""#));

    let page = visitor.get(app.url("/s/atelier/p/summer-tote")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Black — 20.50 EUR") && html.contains("Sold out"),
        "a variant's own price: {html}"
    );
    assert!(html.contains("Front: 200 × 250 mm (required)"), "{html}");
    let french = visitor
        .get(app.url("/s/atelier/p/summer-tote"))
        .header("Accept-Language", "fr")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(french.contains("Ce que vous pouvez personnaliser"), "{french}");

    for path in [
        "/s/atelier/p/secret-prototype",
        "/s/nowhere",
        "/s/nowhere/p/summer-tote",
    ] {
        assert_eq!(visitor.get(app.url(path)).send().await.unwrap().status(), 404, "{path}");
    }
}
