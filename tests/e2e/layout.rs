//! Every page fits the screen: at 390×844 (a phone) and 1280×800, in
//! English and in French, no page is wider than the viewport, on the phone
//! the main content starts in the top 40 % of the screen (the header and a
//! collapsed menu above it, not thirteen links), and no page says it is
//! "coming soon". With `LUNEO_SCREENSHOTS=<dir>` it also saves a picture of
//! every page at every size, to look at.

use crate::browser::Browser;
use crate::helpers::{PASSWORD, TestApp};

/// Every public page (and a 404), checked here and by the axe pass.
pub const PUBLIC: &[&str] = &[
    "/",
    "/login",
    "/register",
    "/password/forgot",
    "/account/email/confirm/not-a-link",
    "/no-such-page",
];

/// Every page of the dashboard and admin, checked here and by the axe pass.
pub const SIGNED_IN: &[&str] = &[
    "/dashboard",
    "/dashboard/team",
    "/dashboard/team/roles",
    "/dashboard/team/audit",
    "/dashboard/settings",
    "/dashboard/account",
    "/dashboard/account/2fa",
    "/dashboard/monitoring",
    "/dashboard/monitoring/report",
    "/dashboard/monitoring/system",
    "/dashboard/monitoring/logs",
    "/dashboard/support",
    "/dashboard/support/kb",
    "/dashboard/support/settings",
    "/dashboard/support/replies",
    "/dashboard/products",
    "/dashboard/products/new",
    "/dashboard/products/import",
    "/dashboard/products/fonts",
    "/dashboard/notifications",
    "/dashboard/notifications/history",
    "/dashboard/settings/notifications",
    "/dashboard/settings/notifications/defaults",
    "/dashboard/settings/notifications/templates",
    "/dashboard/settings/notifications/templates/team.role_changed/fr",
    "/admin/jobs",
    "/admin/outbox",
    "/admin/settings",
    "/dashboard/no-such-page",
];

/// What [`populate`] made, for the pages that name a row.
pub struct Rows {
    pub member: String,
    pub check: String,
    pub ticket: String,
    pub ticket_token: String,
    pub article: String,
    pub category: String,
    pub product: String,
    pub design_token: String,
}

/// The pages of [`SIGNED_IN`] and those that name a row: the question
/// before removing a member, a health check, the public status page.
pub fn signed_in_pages(rows: &Rows) -> Vec<String> {
    let mut all: Vec<String> = SIGNED_IN.iter().map(|p| p.to_string()).collect();
    all.push(format!("/dashboard/team/members/{}/remove", rows.member));
    all.push(format!("/dashboard/monitoring/checks/{}", rows.check));
    all.push(format!("/dashboard/monitoring/checks/{}/delete", rows.check));
    all.push("/status/atelier".into());
    all.push(format!("/dashboard/support/tickets/{}", rows.ticket));
    all.push("/help/atelier".into());
    all.push("/help/atelier/new".into());
    all.push(format!("/help/atelier/tickets/{}", rows.ticket_token));
    all.push(format!("/help/atelier/tickets/{}/rate?score=good", rows.ticket_token));
    all.push(format!("/dashboard/support/kb/{}", rows.article));
    all.push(format!("/dashboard/support/categories/{}", rows.category));
    all.push(format!("/help/atelier/new?category={}", rows.category));
    all.push("/help/atelier?q=engrav".into());
    all.push("/help/atelier/articles/engraving-personalised-jewellery-what-to-expect".into());
    all.push("/help/atelier/categories/engraving-and-personalisation".into());
    all.push(format!("/dashboard/products/{}", rows.product));
    all.push(format!("/d/{}", rows.design_token));
    all.push("/s/atelier".into());
    all.push("/s/atelier/p/organic-cotton-t-shirt-with-a-rather-long-name".into());
    all
}

/// Rows in the tables (a member with a long name, a pending invitation,
/// a published health check, audit lines, mails).
pub async fn populate(app: &TestApp) -> Rows {
    let member = app
        .add_member(
            "camille.martin-dupont@example-boutique.test",
            "Camille Martin-Dupont",
            "member",
        )
        .await;
    let res = app
        .submit(
            "/dashboard/team",
            "/dashboard/team/invite",
            &[
                ("email", "a.very.long.address.for.testing@another-shop.example"),
                ("role", "viewer"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = app
        .submit(
            "/dashboard/monitoring",
            "/dashboard/monitoring/checks",
            &[
                ("name", "Storefront of the shop with a long name"),
                ("kind", "http"),
                (
                    "url",
                    "https://a-rather-long-shop-domain-name.example/with/a/long/path?and=query",
                ),
                ("published", "true"),
            ],
        )
        .await;
    assert_eq!(res.status(), 201);
    let check = app
        .db
        .read(|c| Ok(c.query_row("SELECT id FROM monitoring_checks", [], |r| r.get(0))?))
        .await
        .unwrap();
    let res = app
        .submit(
            "/dashboard/support",
            "/dashboard/support/tickets",
            &[
                (
                    "subject",
                    "The engraving on my anniversary bracelet shows the wrong date entirely",
                ),
                (
                    "description",
                    "Ordered last week.\nThe date reads 2062 instead of 2026.",
                ),
                (
                    "requester_email",
                    "a.very.long.address.for.testing@another-shop.example",
                ),
                ("priority", "high"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (ticket, ticket_token): (String, String) = app
        .db
        .read(|c| {
            Ok(c.query_row("SELECT id, access_token FROM support_tickets", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?)
        })
        .await
        .unwrap();
    let page = format!("/dashboard/support/tickets/{ticket}");
    let action = format!("{page}/messages");
    for (body, kind) in [
        ("We are sorry: a new one goes out today.", "reply"),
        ("Engraver mixed up the digits; check the batch.", "note"),
    ] {
        let res = app.submit(&page, &action, &[("body", body), ("kind", kind)]).await;
        assert_eq!(res.status(), 303);
    }
    // A tag, a file, a canned reply and a saved view, so their parts are on the pages.
    let res = app.submit(&page, &page, &[("tags", "anniversary, engraving")]).await;
    assert_eq!(res.status(), 303);
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0".to_vec();
    let res = app
        .upload_as(
            &app.client,
            &page,
            &action,
            &[("body", "The proof, corrected."), ("kind", "reply")],
            &[("files", "proof-with-a-rather-long-file-name.png", png)],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = app
        .submit(
            "/dashboard/support/replies",
            "/dashboard/support/replies",
            &[
                ("title", "Order on its way"),
                ("body", "Hello {{ requester_name }}, it ships today."),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = app
        .submit(
            "/dashboard/support",
            "/dashboard/support/views",
            &[
                ("name", "Engraving, urgent first"),
                ("filters.tag", "engraving"),
                ("filters.sort", "priority"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let token = app.api_token("owner@shop.test");
    let call = |path: &str, body: serde_json::Value| {
        reqwest::Client::new()
            .post(app.url(path))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let category: serde_json::Value = call(
        "/api/v1/support/categories",
        serde_json::json!({ "name": "Engraving and personalisation" }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    for field in [
        serde_json::json!({ "label": "Metal of the piece", "kind": "select", "options": ["Silver", "Gold"], "required": true }),
        serde_json::json!({ "label": "Text to engrave, exactly as it should read", "kind": "text" }),
    ] {
        let path = format!("/api/v1/support/categories/{}/fields", category["id"].as_str().unwrap());
        assert_eq!(call(&path, field).await.unwrap().status(), 201);
    }
    let article: serde_json::Value = call(
        "/api/v1/support/kb/articles",
        serde_json::json!({ "title": "Engraving personalised jewellery: what to expect", "status": "published",
            "category_id": category["id"],
            "body": "## Before you order\n\nEngraving takes **two working days**. See [our shop](https://shop.example/engraving-with-a-very-long-address-that-must-wrap).\n\n| Metal | Depth |\n|---|---|\n| Silver | 0.1 mm |" }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    // A product with a photo, variants, two print areas, and a design of it.
    let product: serde_json::Value = call(
        "/api/v1/products",
        serde_json::json!({ "name": "Organic cotton T-shirt with a rather long name", "sku": "TS-ORG-LONG", "price_minor": 2490, "currency": "EUR", "status": "active",
            "variants": [{ "name": "S", "sku": "TS-S" }, { "name": "XXL", "sku": "TS-XXL", "price_delta_minor": 300, "stock": 12 }],
            "print_areas": [{ "name": "Front", "width_mm": 280, "height_mm": 350, "required": true },
                            { "name": "Back", "width_mm": 300, "height_mm": 400, "fonts": ["DejaVu Serif"] }] }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let product_id = product["id"].as_str().unwrap().to_string();
    let mut photo = std::io::Cursor::new(Vec::new());
    image::DynamicImage::new_rgb8(400, 500)
        .write_to(&mut photo, image::ImageFormat::Jpeg)
        .unwrap();
    let res = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/products/{product_id}/images")))
        .bearer_auth(&token)
        .multipart(reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(photo.into_inner()).file_name("shirt.jpg"),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let design: serde_json::Value = call(
        "/api/v1/designs",
        serde_json::json!({ "product_id": product_id, "document": { "version": 1, "areas": [{ "area_id": product["print_areas"][0]["id"],
            "elements": [{ "kind": "text", "text": "Atelier", "x_mm": 40, "y_mm": 40, "width_mm": 200, "height_mm": 60 }] }] } }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let design_token = design["private_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    Rows {
        product: product_id,
        design_token,
        member,
        check,
        ticket,
        ticket_token,
        article: article["id"].as_str().unwrap().to_string(),
        category: category["id"].as_str().unwrap().to_string(),
    }
}

/// What is wrong with the current page at this size, if anything.
async fn layout_problems(browser: &Browser, phone: bool) -> Vec<String> {
    let measured = browser
        .client
        .execute(
            "const main = document.querySelector('main');
             return { doc: document.documentElement.scrollWidth, view: window.innerWidth,
                      height: window.innerHeight,
                      mainTop: main.getBoundingClientRect().top + window.scrollY,
                      text: document.body.innerText.toLowerCase(),
                      wide: [...document.querySelectorAll('body *')]
                        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                                     && !e.closest('.table-wrap'))
                        .slice(0, 3).map(e => e.tagName + '.' + e.className).join(', ') };",
            vec![],
        )
        .await
        .expect("measure");
    let n = |k: &str| measured[k].as_f64().unwrap();
    let mut problems = vec![];
    if n("doc") > n("view") {
        problems.push(format!(
            "{} px wide in a {} px viewport (too wide: {})",
            n("doc"),
            n("view"),
            measured["wide"]
        ));
    }
    if phone && n("mainTop") > 0.4 * n("height") {
        problems.push(format!("main starts at {} px of {}", n("mainTop"), n("height")));
    }
    let text = measured["text"].as_str().unwrap();
    if text.contains("coming soon") || text.contains("bientôt") {
        problems.push("says coming soon".into());
    }
    problems
}

/// Chooses the language with the header's own form.
pub async fn choose_language(browser: &Browser, home: &str, lang: &str) {
    browser.client.goto(home).await.unwrap();
    browser
        .client
        .execute(
            "const s = document.getElementById('language-select'); s.value = arguments[0]; s.form.submit();",
            vec![lang.into()],
        )
        .await
        .unwrap();
    let want = format!("//html[@lang={lang:?}]");
    browser
        .client
        .wait()
        .for_element(fantoccini::Locator::XPath(&want))
        .await
        .unwrap();
}

#[tokio::test]
async fn every_page_fits_a_phone_and_a_desktop_in_both_languages() {
    let app = TestApp::spawn().await;
    let browser = Browser::start().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let rows = populate(&app).await;

    let mut problems = vec![];
    let sweep = async |browser: &Browser, paths: &[&str], problems: &mut Vec<String>| {
        for lang in ["en", "fr"] {
            choose_language(browser, &app.url("/"), lang).await;
            for (w, h) in [(390, 844), (1280, 800)] {
                browser.client.set_window_size(w, h).await.unwrap();
                for path in paths {
                    browser.client.goto(&app.url(path)).await.unwrap();
                    if let Ok(dir) = std::env::var("LUNEO_SCREENSHOTS") {
                        let name = format!("{}-{lang}-{w}.png", path.trim_matches('/').replace('/', "_"));
                        let png = browser.client.screenshot().await.unwrap();
                        std::fs::write(std::path::Path::new(&dir).join(name), png).unwrap();
                    }
                    for p in layout_problems(browser, w < 600).await {
                        problems.push(format!("{path} [{lang} {w}×{h}]: {p}"));
                    }
                }
            }
        }
    };
    sweep(&browser, PUBLIC, &mut problems).await;
    browser.client.set_window_size(1280, 800).await.unwrap();
    choose_language(&browser, &app.url("/"), "en").await;
    browser.client.goto(&app.url("/login")).await.unwrap();
    browser.fill("Email address", "owner@shop.test").await;
    browser.fill("Password", PASSWORD).await;
    browser.click_button("Sign in").await;
    browser.find_text("h1", "Atelier").await;
    let pages = signed_in_pages(&rows);
    let pages: Vec<&str> = pages.iter().map(String::as_str).collect();
    sweep(&browser, &pages, &mut problems).await;
    browser.close().await;
    assert!(problems.is_empty(), "pages that do not fit:\n{}", problems.join("\n"));
}
