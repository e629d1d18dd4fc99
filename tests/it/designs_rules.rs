//! What the server refuses in a design, and what it only warns about: an
//! unknown element kind, an element outside its area, a font or colour the
//! area does not allow, another shop's photo, a photo that would print
//! blurry (a warning), too many elements, files that are not what their
//! name says; each a precise 422 naming the field, nothing written. Then
//! the life of a design (submitted, approved and frozen, reopened), the
//! customer's private link, uploaded fonts, and other orgs kept out.

use crate::designs::{jpeg, poppler, product};
use crate::helpers::TestApp;
use serde_json::{Value, json};

async fn upload(
    app: &TestApp,
    token: &str,
    path: &str,
    fields: &[(&str, &str)],
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    app.api(token, reqwest::Method::POST, path)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// The fields a 422 names, and its first message.
async fn refused(res: reqwest::Response) -> (Vec<String>, String) {
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    let errors = problem["errors"].as_array().unwrap();
    (
        errors
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_string())
            .collect(),
        errors[0]["message"].as_str().unwrap().to_string(),
    )
}

fn text(x: f64, y: f64, extra: Value) -> Value {
    let mut e = json!({ "kind": "text", "text": "Hi", "x_mm": x, "y_mm": y, "width_mm": 40, "height_mm": 20 });
    for (k, v) in extra.as_object().unwrap() {
        e[k] = v.clone();
    }
    e
}

#[tokio::test]
async fn bad_designs_are_refused_by_field_with_nothing_written_and_blurry_photos_get_a_warning() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let token = app.api_token("owner@shop.test");
    let product = product(&app, &token).await;
    let pid = product["id"].as_str().unwrap().to_string();
    let (front, back) = (
        product["print_areas"][0]["id"].as_str().unwrap().to_string(),
        product["print_areas"][1]["id"].as_str().unwrap().to_string(),
    );
    let create = |elements: Value, area: &str| {
        let body = json!({ "product_id": pid, "document": { "version": 1, "areas": [{ "area_id": area, "elements": elements }] } });
        app.api(&token, reqwest::Method::POST, "/api/v1/designs")
            .json(&body)
            .send()
    };

    let (fields, message) = refused(
        create(
            json!([{ "kind": "video", "x_mm": 0, "y_mm": 0, "width_mm": 1, "height_mm": 1 }]),
            &front,
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(fields, ["document.areas[0].elements[0].kind"]);
    assert!(message.contains("video"), "{message}");
    let (fields, message) = refused(create(json!([text(190.0, 10.0, json!({}))]), &front).await.unwrap()).await;
    assert_eq!(
        fields,
        ["document.areas[0].elements[0]"],
        "40 mm wide from 190 mm on a 200 mm area (3 mm bleed)"
    );
    assert!(message.contains("outside") && message.contains("Front"), "{message}");
    let (fields, _) = refused(
        create(json!([text(10.0, 10.0, json!({ "font": "Comic Sans" }))]), &front)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(fields, ["document.areas[0].elements[0].font"]);
    let (fields, message) = refused(
        create(
            json!([text(10.0, 10.0, json!({ "font": "DejaVu Sans", "colour": "#ff0000" }))]),
            &back,
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        fields,
        [
            "document.areas[0].elements[0].font",
            "document.areas[0].elements[0].colour"
        ],
        "the back allows one font and one colour"
    );
    assert!(message.contains("DejaVu Sans") && message.contains("Back"), "{message}");
    let (fields, _) = refused(
        create(json!([text(10.0, 10.0, json!({ "fill": "#000000" }))]), &front)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        fields,
        ["document.areas[0].elements[0].fill"],
        "a shape's field on a text"
    );
    let (fields, _) = refused(
        create(
            json!([text(
                10.0,
                10.0,
                json!({ "text": "one\ntwo", "curve": { "radius_mm": 50, "direction": "up" } })
            )]),
            &front,
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(fields, ["document.areas[0].elements[0].text"]);
    let (fields, _) = refused(create(json!([{ "kind": "image", "image": "0".repeat(64), "x_mm": 0, "y_mm": 0, "width_mm": 10, "height_mm": 10 }]), &front).await.unwrap()).await;
    assert_eq!(
        fields,
        ["document.areas[0].elements[0].image"],
        "a photo never uploaded here"
    );
    let many: Vec<Value> = (0..10_000).map(|_| text(10.0, 10.0, json!({}))).collect();
    let res = create(json!(many), &front).await.unwrap();
    assert!(
        [413, 422].contains(&res.status().as_u16()),
        "10,000 elements: {}",
        res.status()
    );
    let many: Vec<Value> = (0..201).map(|_| text(10.0, 10.0, json!({}))).collect();
    let (fields, message) = refused(create(json!(many), &front).await.unwrap()).await;
    assert_eq!(fields, ["document.areas[0].elements"]);
    assert!(message.contains("200"), "{message}");
    assert_eq!(app.count("SELECT count(*) FROM designs").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM design_versions").await, 0);

    // Files by content: text named .png, SVG, a font that is not one.
    let (fields, message) = refused(
        upload(
            &app,
            &token,
            "/api/v1/designs/images",
            &[],
            "photo.png",
            b"just text".to_vec(),
        )
        .await,
    )
    .await;
    assert_eq!(fields, ["file"]);
    assert!(message.contains("PNG, JPEG or WebP"), "{message}");
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>".to_vec();
    refused(upload(&app, &token, "/api/v1/designs/images", &[], "logo.svg", svg).await).await;
    let (fields, _) =
        refused(upload(&app, &token, "/api/v1/fonts", &[], "font.ttf", jpeg(10, 10, [0, 0, 0])).await).await;
    assert_eq!(fields, ["file"]);
    let huge = vec![0_u8; 21 << 20];
    let res = upload(&app, &token, "/api/v1/designs/images", &[], "huge.jpg", huge).await;
    assert_eq!(res.status(), 413, "over limit_upload (20 MiB)");
    assert_eq!(app.count("SELECT count(*) FROM images").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM fonts").await, 0);

    // A photo 300 px wide over 120 mm prints at 63 DPI: saved, with a warning.
    let small = upload(
        &app,
        &token,
        "/api/v1/designs/images",
        &[],
        "small.jpg",
        jpeg(300, 200, [0, 90, 200]),
    )
    .await;
    let hash = small.json::<Value>().await.unwrap()["hash"]
        .as_str()
        .unwrap()
        .to_string();
    let res = create(
        json!([{ "kind": "image", "image": hash, "x_mm": 40, "y_mm": 40, "width_mm": 120, "height_mm": 80 }]),
        &front,
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    let design: Value = res.json().await.unwrap();
    let warning = &design["validation"]["warnings"][0];
    assert_eq!(warning["field"], "document.areas[0].elements[0].image");
    assert!(warning["message"].as_str().unwrap().contains("63 DPI"), "{warning}");
}

#[tokio::test]
async fn a_design_is_submitted_approved_and_frozen_the_customer_sees_it_by_link_and_other_orgs_see_nothing() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let token = app.api_token("owner@shop.test");
    let product = product(&app, &token).await;
    let pid = product["id"].as_str().unwrap();
    let back = product["print_areas"][1]["id"].as_str().unwrap().to_string();

    // Only the back is personalised: saved as a draft, with a warning.
    let doc = json!({ "version": 1, "areas": [{ "area_id": back, "elements": [text(10.0, 10.0, json!({ "font": "DejaVu Serif", "colour": "#112233" }))] }] });
    let res = app
        .api(&token, reqwest::Method::POST, "/api/v1/designs")
        .json(&json!({ "product_id": pid, "document": doc }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let design: Value = res.json().await.unwrap();
    let id = design["id"].as_str().unwrap().to_string();
    assert_eq!(
        design["validation"]["warnings"][0]["field"], "document.print_areas[0]",
        "the front is required"
    );
    let state = |s: &str| {
        app.api(&token, reqwest::Method::POST, &format!("/api/v1/designs/{id}/state"))
            .json(&json!({ "state": s }))
            .send()
    };
    let res = state("approved").await.unwrap();
    assert_eq!(res.status(), 409, "a draft is submitted before it is approved");
    let problem: Value = res.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("submitted"), "{problem}");
    let (fields, message) = refused(state("submitted").await.unwrap()).await;
    assert_eq!(fields, ["print_areas[0]"]);
    assert!(message.contains("Front"), "{message}");

    let mut full = doc.clone();
    full["areas"] = json!([
        { "area_id": product["print_areas"][0]["id"], "elements": [text(20.0, 20.0, json!({}))] },
        doc["areas"][0]
    ]);
    let res = app
        .api(&token, reqwest::Method::PUT, &format!("/api/v1/designs/{id}"))
        .json(&full)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(state("submitted").await.unwrap().status(), 200);
    assert_eq!(state("approved").await.unwrap().status(), 200);
    let res = app
        .api(&token, reqwest::Method::PUT, &format!("/api/v1/designs/{id}"))
        .json(&doc)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409, "approved for production: frozen");
    assert_eq!(app.count("SELECT count(*) FROM design_versions").await, 2);
    assert_eq!(state("draft").await.unwrap().status(), 200, "reopened");

    // The customer's private link: no account, the design's previews.
    let private = design["private_url"].as_str().unwrap();
    let path = private.split_once("/d/").map(|(_, t)| format!("/d/{t}")).unwrap();
    let page = reqwest::get(app.url(&path)).await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Tote bag") && html.contains("Draft"), "{html}");
    let img = reqwest::get(app.url(&format!("{path}/preview.png?area={back}")))
        .await
        .unwrap();
    assert_eq!(img.headers()["content-type"], "image/png");
    assert!(image::load_from_memory(&img.bytes().await.unwrap()).is_ok());
    assert_eq!(reqwest::get(app.url("/d/not-a-token")).await.unwrap().status(), 404);

    // Another shop: not found, whatever it asks.
    let bob = app.other_shop_token("bob@other.test", "Other shop");
    for path in [
        format!("/api/v1/designs/{id}"),
        format!("/api/v1/designs/{id}/preview.png"),
        format!("/api/v1/designs/{id}/print/{back}.pdf"),
        format!("/api/v1/designs/{id}/versions"),
    ] {
        let res = app.api(&bob, reqwest::Method::GET, &path).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
    let res = app
        .api(&bob, reqwest::Method::PUT, &format!("/api/v1/designs/{id}"))
        .json(&doc)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = app
        .api(&bob, reqwest::Method::POST, "/api/v1/designs")
        .json(&json!({ "product_id": pid }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused(res).await.0, ["product_id"], "another shop's product");
}

#[tokio::test]
async fn a_shop_uploads_a_font_and_its_designs_print_with_it_embedded() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let token = app.api_token("owner@shop.test");
    let font = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/static/fonts/DejaVuSansMono.ttf")).unwrap();
    let (fields, message) = refused(upload(&app, &token, "/api/v1/fonts", &[], "mono.ttf", font.clone()).await).await;
    assert_eq!(fields, ["name"], "the font's own name is a built-in one's");
    assert!(message.contains("DejaVu Sans Mono"), "{message}");
    let res = upload(
        &app,
        &token,
        "/api/v1/fonts",
        &[("name", "House Mono")],
        "mono.ttf",
        font,
    )
    .await;
    assert_eq!(res.status(), 201);
    let added: Value = res.json().await.unwrap();
    assert_eq!(
        (added["name"].as_str(), added["format"].as_str()),
        (Some("House Mono"), Some("ttf"))
    );
    let fonts: Value = app.api_get(&token, "/api/v1/fonts").await;
    let names: Vec<&str> = fonts["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "DejaVu Sans",
            "DejaVu Sans Bold",
            "DejaVu Serif",
            "DejaVu Sans Mono",
            "House Mono"
        ]
    );
    let file = app
        .api(&token, reqwest::Method::GET, added["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        file.headers()["content-type"],
        "font/ttf",
        "the editor loads the same file"
    );

    let product = product(&app, &token).await;
    let front = product["print_areas"][0]["id"].as_str().unwrap();
    let doc = json!({ "version": 1, "areas": [{ "area_id": front, "elements": [text(20.0, 20.0, json!({ "font": "House Mono", "text": "Monospaced" }))] }] });
    let design: Value = app
        .api(&token, reqwest::Method::POST, "/api/v1/designs")
        .json(&json!({ "product_id": product["id"], "document": doc }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pdf = app
        .api_bytes(
            &token,
            &format!("/api/v1/designs/{}/print/{front}.pdf", design["id"].as_str().unwrap()),
        )
        .await;
    assert!(poppler("pdffonts", &[], &pdf).contains("DejaVuSansMono"));
    assert!(poppler("pdftotext", &[], &pdf).contains("Monospaced"));
}

#[tokio::test]
async fn a_frozen_version_outlives_two_hundred_later_saves_and_still_prints_as_it_was() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let token = app.api_token("owner@shop.test");
    let product = product(&app, &token).await;
    let front = product["print_areas"][0]["id"].as_str().unwrap().to_string();
    let doc = |words: &str| json!({ "version": 1, "areas": [{ "area_id": front, "elements": [text(20.0, 20.0, json!({ "text": words }))] }] });
    let design: Value = app
        .api(&token, reqwest::Method::POST, "/api/v1/designs")
        .json(&json!({ "product_id": product["id"], "document": doc("Ordered as it was") }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = design["id"].as_str().unwrap().to_string();
    let (org, design_id) = (
        app.db
            .read(|c| Ok(c.query_row("SELECT id FROM orgs", [], |r| r.get::<_, String>(0))?))
            .await
            .unwrap(),
        id.clone(),
    );
    let frozen = app
        .db
        .write(move |tx| luneo::designs::freeze(tx, &org, &design_id))
        .await
        .unwrap();
    assert_eq!(frozen, 1);
    for n in 0..luneo::designs::MAX_VERSIONS + 1 {
        let res = app
            .api(&token, reqwest::Method::PUT, &format!("/api/v1/designs/{id}"))
            .json(&doc(&format!("Edit {n}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let versions: Value = app.api_get(&token, &format!("/api/v1/designs/{id}/versions")).await;
    let numbers: Vec<i64> = versions["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(
        numbers.len() as i64,
        luneo::designs::MAX_VERSIONS + 1,
        "the newest 200 and the frozen one"
    );
    assert_eq!(numbers.last(), Some(&1));
    let pdf = app
        .api_bytes(&token, &format!("/api/v1/designs/{id}/print/{front}.pdf?version=1"))
        .await;
    assert!(poppler("pdftotext", &[], &pdf).contains("Ordered as it was"));
    let gone = app
        .api(
            &token,
            reqwest::Method::GET,
            &format!("/api/v1/designs/{id}/versions/2"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404, "an unfrozen old version is pruned");
}
