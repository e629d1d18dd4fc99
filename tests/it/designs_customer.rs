//! A customer without an account, through the storefront and the design's
//! private link: starts a design from the product page, reads and saves
//! its document (with the page's CSRF token, as the editor does), uploads
//! a photo to place, sends it to the shop — after which it can no longer
//! change it; the shop sees it submitted. A guessed link is a 404.

use crate::helpers::{TestApp, client, csrf_token};
use serde_json::{Value, json};

#[tokio::test]
async fn a_customer_starts_saves_and_sends_a_design_through_its_private_link() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let token = app.api_token("owner@shop.test");
    let res = app
        .api(&token, reqwest::Method::POST, "/api/v1/products")
        .json(
            &json!({ "name": "Summer tote", "status": "active", "price_minor": 1850, "currency": "EUR",
                       "print_areas": [{ "name": "Front", "width_mm": 200, "height_mm": 250, "required": true }] }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    let customer = client();
    let res = app
        .submit_as(
            &customer,
            "/s/atelier/p/summer-tote",
            "/s/atelier/p/summer-tote/design",
            &[],
        )
        .await;
    assert_eq!(res.status(), 303);
    let link = res.headers()["location"].to_str().unwrap().to_string();
    assert!(link.starts_with("/d/"), "{link}");
    let page = app.page_as(&customer, &link).await;
    let csrf = csrf_token(&page);

    let current: Value = customer
        .get(app.url(&format!("{link}/document")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(current["state"], "draft");
    let area = current["product"]["print_areas"][0]["id"].as_str().unwrap().to_string();
    assert!(
        current["fonts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "DejaVu Sans")
    );

    let part = reqwest::multipart::Part::bytes(crate::designs::jpeg(1200, 900, [0, 120, 200])).file_name("me.jpg");
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf.clone())
        .part("file", part);
    let res = customer
        .post(app.url(&format!("{link}/images")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let photo = res.json::<Value>().await.unwrap()["hash"].as_str().unwrap().to_string();

    let doc = json!({ "version": 1, "areas": [{ "area_id": area, "elements": [
        { "kind": "image", "image": photo, "x_mm": 20, "y_mm": 20, "width_mm": 160, "height_mm": 120 },
        { "kind": "text", "text": "Ana", "x_mm": 20, "y_mm": 160, "width_mm": 160, "height_mm": 40 } ] }] });
    let put = |body: Value, with_token: bool| {
        let mut req = customer.put(app.url(&format!("{link}/document"))).json(&body);
        if with_token {
            req = req.header("X-CSRF-Token", &csrf);
        }
        req.send()
    };
    assert_eq!(
        put(doc.clone(), false).await.unwrap().status(),
        403,
        "a write needs the page's CSRF token"
    );
    let res = put(doc.clone(), true).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["version"], 2);
    let bad = json!({ "version": 1, "areas": [{ "area_id": area, "elements": [{ "kind": "video", "x_mm": 0, "y_mm": 0, "width_mm": 1, "height_mm": 1 }] }] });
    assert_eq!(
        put(bad, true).await.unwrap().status(),
        422,
        "checked as the shop's saves are"
    );

    let res = app.submit_as(&customer, &link, &format!("{link}/submit"), &[]).await;
    assert_eq!(res.status(), 303);
    assert!(
        app.page_as(&customer, &link)
            .await
            .contains("Your design is sent to the shop.")
    );
    assert_eq!(
        put(doc, true).await.unwrap().status(),
        409,
        "sent: the customer can no longer change it"
    );

    let designs = app.api_get(&token, "/api/v1/designs?state=submitted").await;
    assert_eq!(
        designs["data"].as_array().unwrap().len(),
        1,
        "the shop sees it submitted"
    );
    assert_eq!(
        customer
            .get(app.url("/d/guessed/document"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}
