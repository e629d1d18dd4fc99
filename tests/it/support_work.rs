//! The team's daily work on the ticket list: full-text search over
//! subjects, descriptions and every message (notes included), tags,
//! saved views, bulk changes, canned replies with variables, and the
//! warning when someone else answered in the meantime.

use crate::helpers::{Spawn, TestApp};
use serde_json::{Value, json};

async fn shop() -> (TestApp, String) {
    let app = TestApp::spawn_with(Spawn {
        start_workers: false,
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    let token = app.api_token("owner@shop.test");
    (app, token)
}

fn api(app: &TestApp, token: &str, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new().request(method, app.url(path)).bearer_auth(token)
}

async fn open(app: &TestApp, token: &str, subject: &str, description: &str) -> String {
    let res = api(app, token, reqwest::Method::POST, "/api/v1/support/tickets")
        .json(&json!({ "subject": subject, "description": description, "requester_email": "ana@example.test" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
}

async fn found(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let body: Value = api(
        app,
        token,
        reqwest::Method::GET,
        &format!("/api/v1/support/tickets?status=all&{query}"),
    )
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
        .map(|t| t["subject"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn search_finds_words_of_subjects_descriptions_replies_and_notes_by_prefix_and_without_accents() {
    let (app, token) = shop().await;
    let mug = open(&app, &token, "Mug arrived broken", "The handle came off in the box.").await;
    open(&app, &token, "Café au lait T-shirt", "Which size fits a tall person?").await;
    open(&app, &token, "Engraving font", "Can you engrave in Garamond?").await;
    let res = api(
        &app,
        &token,
        reqwest::Method::POST,
        &format!("/api/v1/support/tickets/{mug}/messages"),
    )
    .json(&json!({ "body": "Courier lost the parcel near Lyon; claim filed.", "internal": true }))
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 201);

    assert_eq!(
        found(&app, &token, "q=handle").await,
        ["Mug arrived broken"],
        "a word of the description"
    );
    assert_eq!(
        found(&app, &token, "q=courier+lyon").await,
        ["Mug arrived broken"],
        "words of a note, all required"
    );
    assert!(found(&app, &token, "q=courier+paris").await.is_empty());
    assert_eq!(found(&app, &token, "q=engr").await, ["Engraving font"], "a prefix");
    assert_eq!(
        found(&app, &token, "q=cafe").await,
        ["Café au lait T-shirt"],
        "accents folded"
    );
    assert_eq!(
        found(&app, &token, "q=%232").await,
        ["Café au lait T-shirt"],
        "by number"
    );
    assert_eq!(
        found(&app, &token, "q=ana%40example").await.len(),
        3,
        "by the requester's address"
    );
    let (_, page) = app.page("/dashboard/support?q=garamond").await;
    assert!(
        page.contains("Engraving font") && !page.contains("Mug arrived broken"),
        "{page}"
    );
}
