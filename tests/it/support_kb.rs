//! The help centre's knowledge base: articles written through the API are
//! found by a word prefix in English and in French, ranked, with the
//! matched words marked; drafts and members-only articles stay out of the
//! public help centre; Markdown is rendered without scripts; the index
//! follows edits and deletions.

use crate::helpers::{TestApp, client};
use serde_json::{Value, json};

fn api(app: &TestApp, token: &str, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new().request(method, app.url(path)).bearer_auth(token)
}

async fn html(app: &TestApp, lang: &str, path: &str) -> (u16, String) {
    let res = client()
        .get(app.url(path))
        .header("Accept-Language", lang)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn articles_are_found_by_a_word_prefix_in_english_and_french_and_drafts_stay_private() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let token = app.api_token("owner@shop.test");
    let post = |path: &'static str, body: Value| api(&app, &token, reqwest::Method::POST, path).json(&body).send();
    let shipping: Value = post("/api/v1/support/categories", json!({ "name": "Shipping" }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let returns = json!({ "title": "Returns and refunds", "lang": "en", "status": "published",
        "category_id": shipping["id"],
        "body": "You can **return** any personalised item within 14 days.\n\n<script>alert(1)</script> [pay here](javascript:alert(1))" });
    let res = post("/api/v1/support/kb/articles", returns).await.unwrap();
    assert_eq!(res.status(), 201);
    let article: Value = res.json().await.unwrap();
    assert_eq!(article["slug"], "returns-and-refunds");
    for body in [
        json!({ "title": "Retours et remboursements", "lang": "fr", "status": "published", "category_id": shipping["id"],
                "body": "Vous pouvez retourner un article personnalisé sous 14 jours ; le remboursement suit." }),
        json!({ "title": "Draft about returned parcels", "lang": "en", "body": "Not ready." }),
        json!({ "title": "How we process returns", "lang": "en", "status": "published", "visibility": "members",
                "body": "Team only." }),
    ] {
        assert_eq!(post("/api/v1/support/kb/articles", body).await.unwrap().status(), 201);
    }

    let (status, found) = html(&app, "en", "/help/atelier?q=retu").await;
    assert_eq!(status, 200);
    assert!(found.contains("Returns and refunds"), "{found}");
    assert!(
        found.contains("<mark>return</mark>") || found.contains("<mark>Returns</mark>"),
        "{found}"
    );
    assert!(
        !found.contains("Draft about") && !found.contains("How we process"),
        "drafts and members-only articles stay out"
    );
    assert!(!found.contains("Retours et remboursements"), "in the reader's language");
    let (_, trouve) = html(&app, "fr", "/help/atelier?q=rembour").await;
    assert!(trouve.contains("Retours et remboursements"), "{trouve}");
    let (_, none) = html(&app, "en", "/help/atelier?q=zzzz").await;
    assert!(none.contains("No article matches"));

    let (status, page) = html(&app, "en", "/help/atelier/articles/returns-and-refunds").await;
    assert_eq!(status, 200);
    assert!(page.contains("<strong>return</strong>"), "{page}");
    assert!(
        !page.contains("<script>alert") && page.contains("&lt;script&gt;"),
        "raw HTML is text"
    );
    assert!(!page.to_lowercase().contains("href=\"javascript"), "no script links");
    assert!(
        page.contains("Retours et remboursements") || page.contains("Related articles") || page.contains("helpful")
    );
    let (_, category) = html(&app, "en", "/help/atelier/categories/shipping").await;
    assert!(category.contains("Returns and refunds"));
    let (status, _) = html(&app, "en", "/help/atelier/articles/draft-about-returned-parcels").await;
    assert_eq!(status, 404, "a draft has no public page");

    let visitor = client();
    let res = app
        .submit_as(
            &visitor,
            "/help/atelier/articles/returns-and-refunds",
            "/help/atelier/articles/returns-and-refunds/vote",
            &[("helpful", "true")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let id = article["id"].as_str().unwrap();
    let shown: Value = api(
        &app,
        &token,
        reqwest::Method::GET,
        &format!("/api/v1/support/kb/articles/{id}"),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(shown["helpful"]["yes"], 1);
    assert!(shown["views"].as_i64().unwrap() >= 2, "{shown}");

    let suggested: Value = client()
        .get(app.url("/help/atelier/suggest?q=refun"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        suggested["data"][0]["url"],
        "/help/atelier/articles/returns-and-refunds?from=request"
    );

    let members: Value = api(
        &app,
        &token,
        reqwest::Method::GET,
        "/api/v1/support/kb/search?q=retu&lang=en",
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        members["data"].as_array().unwrap().len(),
        3,
        "members see drafts and their own notes"
    );
    let res = api(
        &app,
        &token,
        reqwest::Method::GET,
        "/api/v1/support/kb/search?q=x&lang=de",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 422);

    let res = post(
        "/api/v1/support/kb/articles",
        json!({ "title": "Returns and refunds", "body": "Again" }),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>().await.unwrap()["errors"][0]["field"], "slug");
    let res = post(
        "/api/v1/support/kb/articles",
        json!({ "title": "T", "body": "B", "status": "live" }),
    )
    .await
    .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["errors"][0]["field"], "status");

    let res = api(
        &app,
        &token,
        reqwest::Method::PATCH,
        &format!("/api/v1/support/kb/articles/{id}"),
    )
    .json(&json!({ "body": "Exchanges are free within a fortnight." }))
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let (_, after) = html(&app, "en", "/help/atelier?q=fortn").await;
    assert!(after.contains("Returns and refunds"), "the index follows the edit");
    let res = api(
        &app,
        &token,
        reqwest::Method::DELETE,
        &format!("/api/v1/support/kb/articles/{id}"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 204);
    let (_, gone) = html(&app, "en", "/help/atelier?q=fortn").await;
    assert!(gone.contains("No article matches"), "and the deletion");
}

#[tokio::test]
async fn an_article_suggested_while_writing_a_request_that_answers_it_counts_as_a_request_deflected() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let token = app.api_token("owner@shop.test");
    let res = api(&app, &token, reqwest::Method::POST, "/api/v1/support/kb/articles")
        .json(&json!({ "title": "Delivery times", "lang": "en", "status": "published",
                       "body": "Parcels arrive in 2 to 5 days." }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let suggested: Value = client()
        .get(app.url("/help/atelier/suggest?q=deliv"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = suggested["data"][0]["url"].as_str().unwrap().to_string();
    assert_eq!(url, "/help/atelier/articles/delivery-times?from=request");
    let customer = client();
    let page = app.page_as(&customer, &url).await;
    assert!(page.contains("Did this article answer your question?"), "{page}");
    let vote = "/help/atelier/articles/delivery-times/vote";
    let res = app
        .submit_as(&customer, &url, vote, &[("helpful", "false"), ("from", "request")])
        .await;
    assert_eq!(
        res.headers()["location"],
        "/help/atelier/new",
        "not answered: back to writing"
    );
    let res = app
        .submit_as(&customer, &url, vote, &[("helpful", "true"), ("from", "request")])
        .await;
    assert_eq!(res.status(), 303);
    // A "yes" from the help centre itself is a vote, not a deflection.
    app.submit_as(
        &customer,
        "/help/atelier/articles/delivery-times",
        vote,
        &[("helpful", "true")],
    )
    .await;
    assert_eq!(app.count("SELECT count(*) FROM support_deflections").await, 1);
    let (_, overview) = app.page("/dashboard/support").await;
    assert!(
        overview.contains("1 requests not written, 0 tickets opened"),
        "{overview}"
    );
}
