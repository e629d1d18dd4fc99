//! The catalogue's API: a shop adds products, finds them by a word of the
//! name, SKU or description, changes and removes them; bad input is
//! refused by field with nothing written; orgs stay apart; viewers read.

use crate::helpers::TestApp;
use serde_json::{Value, json};

async fn names(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let body: Value = app
        .api(token, reqwest::Method::GET, &format!("/api/v1/products?{query}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_shop_lists_finds_changes_and_removes_its_products_and_bad_input_names_its_field() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let token = app.api_token("owner@shop.test");
    let post = |body: Value| {
        app.api(&token, reqwest::Method::POST, "/api/v1/products")
            .json(&body)
            .send()
    };
    let res = post(
        json!({ "name": "T-shirt « Été »", "sku": "TS-ETE", "price_minor": 1990, "currency": "eur",
                           "description": "Organic cotton, printed front and back." }),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    let shirt: Value = res.json().await.unwrap();
    assert_eq!(shirt["slug"], "t-shirt-ete");
    assert_eq!(shirt["status"], "draft");
    assert_eq!(shirt["currency"], "EUR");
    assert_eq!(shirt["variants"], json!([]));
    let mug: Value = post(
        json!({ "name": "Mug", "sku": "MUG-01", "price_minor": 1200, "currency": "EUR",
                                  "status": "active", "description": "Ceramic, dishwasher safe." }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();

    assert_eq!(names(&app, &token, "").await, ["Mug", "T-shirt « Été »"]);
    assert_eq!(
        names(&app, &token, "q=cotton").await,
        ["T-shirt « Été »"],
        "a word of the description"
    );
    assert_eq!(
        names(&app, &token, "q=ete").await,
        ["T-shirt « Été »"],
        "accents folded"
    );
    assert_eq!(names(&app, &token, "q=MUG-0").await, ["Mug"], "the SKU");
    assert_eq!(names(&app, &token, "status=active").await, ["Mug"]);

    // Bad input: every field named, nothing written.
    let res = post(json!({ "name": "", "sku": "A B", "price_minor": -5, "currency": "XYZ", "status": "sold" }))
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "sku", "status", "price_minor", "currency"]);
    let res = post(json!({ "name": "Mug", "sku": "MUG-02", "price_minor": 1, "currency": "EUR" }))
        .await
        .unwrap();
    assert_eq!(
        res.json::<Value>().await.unwrap()["errors"][0]["field"],
        "slug",
        "the address is taken"
    );
    let res = post(json!({ "name": "Mug 2", "sku": "MUG-01", "price_minor": 1, "currency": "EUR" }))
        .await
        .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["errors"][0]["field"], "sku");
    let res = post(json!({ "name": "Mug 3", "price_minor": 1, "currency": "EUR", "colour": "red" }))
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "unknown fields are refused");
    assert_eq!(app.count("SELECT count(*) FROM catalog_products").await, 2);

    // An edit keeps what it does not send; the search follows it.
    let id = shirt["id"].as_str().unwrap();
    let res = app
        .api(&token, reqwest::Method::PATCH, &format!("/api/v1/products/{id}"))
        .json(&json!({ "status": "active", "description": "Linen." }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let changed: Value = res.json().await.unwrap();
    assert_eq!(
        (changed["status"].as_str(), changed["price_minor"].as_i64()),
        (Some("active"), Some(1990))
    );
    assert!(names(&app, &token, "q=cotton").await.is_empty());
    assert_eq!(names(&app, &token, "q=linen").await, ["T-shirt « Été »"]);

    // Another shop sees none of it; a viewer reads and does not write.
    let bob = app.other_shop_token("bob@other.test", "Other shop");
    let mug_id = mug["id"].as_str().unwrap();
    for method in [reqwest::Method::GET, reqwest::Method::PATCH, reqwest::Method::DELETE] {
        let res = app
            .api(&bob, method, &format!("/api/v1/products/{mug_id}"))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
    }
    assert!(names(&app, &bob, "").await.is_empty());
    app.add_member("vi@shop.test", "Vi", "viewer").await;
    let vi = app.api_token("vi@shop.test");
    assert_eq!(names(&app, &vi, "").await.len(), 2);
    let res = app
        .api(&vi, reqwest::Method::DELETE, &format!("/api/v1/products/{mug_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    let res = app
        .api(&token, reqwest::Method::DELETE, &format!("/api/v1/products/{mug_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(names(&app, &token, "").await, ["T-shirt « Été »"]);
    assert!(app.audited("catalog.product_deleted").await.len() == 1);
}

#[tokio::test]
async fn a_product_carries_its_variants_and_print_areas_which_keep_their_ids_across_edits() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let token = app.api_token("owner@shop.test");
    let res = app.api(&token, reqwest::Method::POST, "/api/v1/products")
        .json(&json!({
            "name": "T-shirt", "price_minor": 1990, "currency": "EUR",
            "variants": [{ "name": "M / Black", "sku": "TS-M-BLK" }, { "name": "XL / Black", "price_delta_minor": 200, "stock": 12 }],
            "print_areas": [
                { "name": "Front", "width_mm": 280, "height_mm": 350, "colours": ["#000000", "#ffffff"] },
                { "name": "Back", "width_mm": 300, "height_mm": 400, "bleed_mm": 5, "dpi": 150, "kinds": ["text"], "max_text_length": 40, "required": true }
            ]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let made: Value = res.json().await.unwrap();
    let id = made["id"].as_str().unwrap().to_string();
    let shown: Value = app.api_get(&token, &format!("/api/v1/products/{id}")).await;
    let areas = shown["print_areas"].as_array().unwrap();
    assert_eq!(areas.len(), 2);
    assert_eq!(areas[0]["name"], "Front");
    assert_eq!(
        (areas[0]["bleed_mm"].as_f64(), areas[0]["dpi"].as_i64()),
        (Some(3.0), Some(300)),
        "print defaults"
    );
    assert_eq!(areas[1]["width_mm"], 300.0);
    assert_eq!(areas[1]["kinds"], json!(["text"]));
    assert_eq!(shown["variants"][1]["stock"], 12);
    let front_id = areas[0]["id"].as_str().unwrap().to_string();
    assert!(front_id.starts_with("pa_"));

    // Sending the list again keeps the ids it names and drops the others.
    let res = app
        .api(&token, reqwest::Method::PATCH, &format!("/api/v1/products/{id}"))
        .json(&json!({ "print_areas": [{ "id": front_id, "name": "Front", "width_mm": 250, "height_mm": 300 }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let changed: Value = res.json().await.unwrap();
    assert_eq!(changed["print_areas"].as_array().unwrap().len(), 1);
    assert_eq!(changed["print_areas"][0]["id"], front_id.as_str());
    assert_eq!(changed["print_areas"][0]["width_mm"], 250.0);
    assert_eq!(changed["variants"].as_array().unwrap().len(), 2, "not sent: kept");

    // A bad area names its place and field; nothing changes.
    let res = app
        .api(&token, reqwest::Method::PATCH, &format!("/api/v1/products/{id}"))
        .json(&json!({ "print_areas": [
            { "id": front_id, "name": "Front", "width_mm": 250, "height_mm": 300 },
            { "name": "Sleeve", "width_mm": 0, "height_mm": 100, "kinds": ["video"] }
        ] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "print_areas[1].width_mm",
            "print_areas[1].safe_mm",
            "print_areas[1].kinds"
        ]
    );
    assert_eq!(app.count("SELECT count(*) FROM catalog_print_areas").await, 1);
}
