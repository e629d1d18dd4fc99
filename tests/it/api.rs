//! The API conventions every feature inherits, checked through small
//! routes built only from the shared helpers (`luneo::web::api`).

use crate::helpers::{Spawn, TestApp};
use luneo::error::AppError;
use luneo::web::api::{ApiJson, Created, ListResponse, PageParams, created};
use rocket::serde::json::Json;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Widget {
    name: String,
    size: u32,
}

#[rocket::post("/api/v1/test-widgets", data = "<body>")]
fn create_widget(body: ApiJson<Widget>) -> Result<Created<Widget>, AppError> {
    if body.0.name.trim().is_empty() {
        return Err(AppError::invalid("name", "must not be empty"));
    }
    Ok(created(body.0))
}

#[rocket::get("/api/v1/test-widgets?<page..>")]
fn list_widgets(page: PageParams) -> Result<Json<ListResponse<u32>>, AppError> {
    let limit = page.limit()?;
    let after: i64 = page.cursor.as_deref().and_then(|c| c.parse().ok()).unwrap_or(0);
    let rows: Vec<u32> = (after + 1..=7).take(limit as usize + 1).map(|n| n as u32).collect();
    Ok(Json(ListResponse::from_rows(rows, limit, |n| n.to_string())))
}

async fn app() -> TestApp {
    TestApp::spawn_with(Spawn {
        extra_routes: rocket::routes![create_widget, list_widgets],
        pairs: vec![("limit_json".into(), "2KiB".into())],
        ..Spawn::default()
    })
    .await
}

async fn post(app: &TestApp, body: &str) -> (u16, String, serde_json::Value) {
    let res = app
        .client
        .post(app.url("/api/v1/test-widgets"))
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, res.json().await.unwrap_or_default())
}

#[tokio::test]
async fn a_create_answers_201_with_the_object() {
    let app = app().await;
    let (status, _, body) = post(&app, r#"{"name": "mug", "size": 3}"#).await;
    assert_eq!(status, 201);
    assert_eq!(body, serde_json::json!({"name": "mug", "size": 3}));
}

#[tokio::test]
async fn invalid_input_is_a_422_problem_naming_the_field() {
    let app = app().await;
    let cases = [
        (r#"{"name": "mug"}"#, "size"),
        (r#"{"name": "mug", "size": "big"}"#, "size"),
        (r#"{"name": "mug", "size": 1, "colour": "red"}"#, "colour"),
        (r#"{"name": " ", "size": 1}"#, "name"),
    ];
    for (body, field) in cases {
        let (status, ct, problem) = post(&app, body).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(ct, "application/problem+json");
        assert_eq!(problem["type"], "urn:luneo:problem:validation");
        assert_eq!(problem["status"], 422);
        assert_eq!(problem["errors"][0]["field"], field, "{body}: {problem}");
        assert!(!problem["errors"][0]["message"].as_str().unwrap().is_empty());
    }
    let (status, _, problem) = post(&app, "{not json").await;
    assert_eq!(status, 422);
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("key must be a string"),
        "{problem}"
    );
}

#[tokio::test]
async fn an_oversized_json_body_gets_413_problem() {
    let app = app().await;
    let big = format!(r#"{{"name": "{}", "size": 1}}"#, "x".repeat(4096));
    let (status, ct, problem) = post(&app, &big).await;
    assert_eq!(status, 413);
    assert_eq!(ct, "application/problem+json");
    assert_eq!(problem["status"], 413);
}

#[tokio::test]
async fn lists_page_through_with_a_cursor() {
    let app = app().await;
    let mut seen = vec![];
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let q = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let page: serde_json::Value = app
            .get(&format!("/api/v1/test-widgets?limit=3{q}"))
            .await
            .json()
            .await
            .unwrap();
        pages += 1;
        seen.extend(page["data"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(pages, 3);
    let res = app.get("/api/v1/test-widgets?limit=0").await;
    assert_eq!(res.status(), 422);
    let problem: serde_json::Value = res.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "limit");
}
