//! Designs through the API, as a shop's integration would use them: a
//! product with two print areas and a mockup photo, a design with curved
//! text and a photo, its preview PNG (the photo where it was placed, over
//! the mockup), its print PDF (page box = area + bleed, trim at the area,
//! text still text, fonts embedded — checked with poppler's tools) and its
//! print PNG at the area's DPI; versions kept; bad input refused by field
//! with nothing written; other orgs see nothing.

use crate::helpers::TestApp;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use serde_json::{Value, json};
use std::io::Cursor;

/// A plain JPEG of one colour.
pub fn jpeg(width: u32, height: u32, colour: [u8; 3]) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(RgbImage::from_pixel(width, height, Rgb(colour)))
        .write_to(&mut out, ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

async fn upload(app: &TestApp, token: &str, path: &str, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string());
    app.api(token, reqwest::Method::POST, path)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

/// Runs a poppler tool on `pdf` and answers what it printed.
pub fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("print.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new(tool)
        .args(args)
        .arg(&path)
        .args(if tool == "pdftotext" { &["-"][..] } else { &[][..] })
        .output()
        .unwrap_or_else(|e| panic!("{tool} (poppler-utils, installed by scripts/test): {e}"));
    assert!(out.status.success(), "{tool}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// A box of `pdfinfo -box`, in millimetres: (left, top-or-bottom, right, other).
pub fn page_box(info: &str, name: &str) -> [f64; 4] {
    let line = info
        .lines()
        .find(|l| l.starts_with(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in {info}"));
    let n: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .map(|v| v.parse::<f64>().unwrap() * 25.4 / 72.0)
        .collect();
    [n[0], n[1], n[2], n[3]]
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.05
}

/// A product with a front (200 × 250 mm, 3 mm bleed, required) and a back.
pub async fn product(app: &TestApp, token: &str) -> Value {
    let res = app.api(token, reqwest::Method::POST, "/api/v1/products")
        .json(&json!({
            "name": "Tote bag", "price_minor": 1800, "currency": "EUR", "status": "active",
            "print_areas": [
                { "name": "Front", "width_mm": 200, "height_mm": 250, "mockup_x": 0.2, "mockup_y": 0.2, "mockup_width": 0.6, "required": true },
                { "name": "Back", "width_mm": 100, "height_mm": 100, "fonts": ["DejaVu Serif"], "colours": ["#112233"] }
            ]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_design_with_curved_text_and_a_photo_previews_in_place_and_prints_as_vector_at_the_area_size() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let token = app.api_token("owner@shop.test");
    let product = product(&app, &token).await;
    let pid = product["id"].as_str().unwrap();
    let front = product["print_areas"][0]["id"].as_str().unwrap().to_string();

    // The mockup photo: checked, copied, first of the product's photos.
    let res = upload(
        &app,
        &token,
        &format!("/api/v1/products/{pid}/images"),
        "bag.jpg",
        jpeg(1000, 1250, [200, 200, 200]),
    )
    .await;
    assert_eq!(res.status(), 201);
    let added: Value = res.json().await.unwrap();
    let photo = &added["product"]["images"][0];
    assert_eq!(
        (photo["width"].as_u64(), photo["height"].as_u64()),
        (Some(1000), Some(1250))
    );
    let thumb = reqwest::get(app.url(photo["thumb_url"].as_str().unwrap()))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        image::load_from_memory(&thumb).unwrap().height(),
        320,
        "a thumbnail made on the server"
    );

    // A red photo placed in the lower half of the front.
    let res = upload(
        &app,
        &token,
        "/api/v1/designs/images",
        "red.jpg",
        jpeg(1500, 1000, [220, 20, 20]),
    )
    .await;
    assert_eq!(res.status(), 201);
    let red = res.json::<Value>().await.unwrap()["hash"].as_str().unwrap().to_string();
    let document = json!({
        "version": 1,
        "areas": [{ "area_id": front, "elements": [
            { "kind": "image", "image": red, "x_mm": 40, "y_mm": 140, "width_mm": 120, "height_mm": 80 },
            { "kind": "text", "text": "HELLO CURVES", "font": "DejaVu Sans Bold", "size_pt": 30, "colour": "#1f2a44",
              "x_mm": 20, "y_mm": 10, "width_mm": 160, "height_mm": 90, "curve": { "radius_mm": 90, "direction": "up" } }
        ]}]
    });
    let res = app
        .api(&token, reqwest::Method::POST, "/api/v1/designs")
        .json(&json!({ "product_id": pid, "name": "Camp bag", "document": document }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let design: Value = res.json().await.unwrap();
    let id = design["id"].as_str().unwrap().to_string();
    assert_eq!(design["state"], "draft");
    assert_eq!(design["version"], 1);
    assert_eq!(design["validation"]["errors"], json!([]));
    assert_eq!(
        design["validation"]["warnings"],
        json!([]),
        "1500 px over 120 mm prints at 317 DPI"
    );
    let kept = &design["document"]["areas"][0]["elements"];
    assert_eq!(
        (kept[1]["text"].as_str(), kept[1]["rotation"].as_f64()),
        (Some("HELLO CURVES"), Some(0.0)),
        "defaults written out"
    );

    // The preview: the mockup, the photo where it was placed.
    let res = app
        .api(
            &token,
            reqwest::Method::GET,
            &format!("/api/v1/designs/{id}/preview.png?area={front}&width=1000"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    let preview_bytes = res.bytes().await.unwrap();
    let preview = image::load_from_memory(&preview_bytes).unwrap().to_rgb8();
    assert_eq!(preview.dimensions(), (1000, 1250));
    // The area starts at (200, 250) px and is 600 px wide: 3 px per mm.
    let at = |x_mm: f64, y_mm: f64| *preview.get_pixel((200.0 + x_mm * 3.0) as u32, (250.0 + y_mm * 3.0) as u32);
    let red_px = at(100.0, 180.0);
    assert!(red_px[0] > 180 && red_px[1] < 80, "the photo in place: {red_px:?}");
    let mockup_px = *preview.get_pixel(50, 50);
    assert!(
        mockup_px.0.iter().all(|c| (185..=215).contains(c)),
        "the mockup around: {mockup_px:?}"
    );
    let dark = (0..160).any(|x| {
        let p = at(20.0 + x as f64, 20.0);
        p[0] < 100 && p[2] < 120
    });
    assert!(dark, "the curved text near the top of the area");

    // The print PDF: MediaBox = BleedBox = 206 × 256 mm, TrimBox at the area.
    let res = app
        .api(
            &token,
            reqwest::Method::GET,
            &format!("/api/v1/designs/{id}/print/{front}.pdf"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let pdf = res.bytes().await.unwrap().to_vec();
    let info = poppler("pdfinfo", &["-box"], &pdf);
    let media = page_box(&info, "MediaBox");
    assert!(
        close(media[2] - media[0], 206.0) && close(media[3] - media[1], 256.0),
        "{info}"
    );
    assert_eq!(page_box(&info, "BleedBox"), media, "{info}");
    let trim = page_box(&info, "TrimBox");
    assert!(
        close(trim[0], 3.0) && close(trim[2] - trim[0], 200.0) && close(trim[3] - trim[1], 250.0),
        "{info}"
    );
    let text = poppler("pdftotext", &[], &pdf);
    assert!(
        text.contains("HELLO CURVES"),
        "curved text is still text, in order: {text:?}"
    );
    let fonts = poppler("pdffonts", &[], &pdf);
    let bold = fonts
        .lines()
        .find(|l| l.contains("DejaVuSans-Bold"))
        .unwrap_or_else(|| panic!("{fonts}"));
    assert!(bold.contains("yes yes yes"), "embedded, subset, with Unicode: {fonts}");
    let images = poppler("pdfimages", &["-list"], &pdf);
    assert!(
        images
            .lines()
            .any(|l| l.contains("1500") && l.contains("1000") && l.contains("jpeg")),
        "the photo at full resolution, as JPEG: {images}"
    );

    // With crop marks: a larger page, the same bleed and trim sizes.
    let marked = app
        .api_bytes(&token, &format!("/api/v1/designs/{id}/print/{front}.pdf?marks=1"))
        .await;
    let info = poppler("pdfinfo", &["-box"], &marked);
    let (media, bleed, trim) = (
        page_box(&info, "MediaBox"),
        page_box(&info, "BleedBox"),
        page_box(&info, "TrimBox"),
    );
    assert!(media[2] - media[0] > 206.0 + 10.0, "{info}");
    assert!(
        close(bleed[2] - bleed[0], 206.0) && close(trim[2] - trim[0], 200.0),
        "{info}"
    );
    assert!(close(trim[0] - bleed[0], 3.0), "{info}");

    // The print PNG: the area and its bleed at 300 DPI.
    let res = app
        .api(
            &token,
            reqwest::Method::GET,
            &format!("/api/v1/designs/{id}/print/{front}.png"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap();
    let png = image::load_from_memory(&bytes).unwrap();
    assert_eq!((png.width(), png.height()), (2433, 3024), "206 × 256 mm at 300 DPI");
    let reader = png::Decoder::new(std::io::Cursor::new(bytes.to_vec()))
        .read_info()
        .unwrap();
    let dims = reader.info().pixel_dims.expect("the resolution is written in");
    assert_eq!(
        (dims.xppu, dims.unit),
        (11811, png::Unit::Meter),
        "300 DPI, so it prints at its size"
    );

    // A new save is a new version; the old one stays readable and drawable.
    let mut changed = document.clone();
    changed["areas"][0]["elements"][1]["text"] = json!("BONJOUR");
    let res = app
        .api(&token, reqwest::Method::PUT, &format!("/api/v1/designs/{id}"))
        .json(&changed)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["version"], 2);
    let versions: Value = app.api_get(&token, &format!("/api/v1/designs/{id}/versions")).await;
    let numbers: Vec<i64> = versions["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [2, 1]);
    let old = app
        .api_bytes(&token, &format!("/api/v1/designs/{id}/print/{front}.pdf?version=1"))
        .await;
    assert!(poppler("pdftotext", &[], &old).contains("HELLO CURVES"));
    let new = app
        .api_bytes(&token, &format!("/api/v1/designs/{id}/print/{front}.pdf"))
        .await;
    assert!(poppler("pdftotext", &[], &new).contains("BONJOUR"));
    assert_eq!(app.audited("designs.saved").await.len(), 1);
}
