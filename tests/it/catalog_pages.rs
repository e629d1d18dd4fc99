//! The catalogue's pages without a browser: the product form (fields,
//! variants, print areas, each bad number named on its field), photos,
//! the CSV import (a dry run reports every row's problems and imports
//! nothing; a valid file imports whole) and the export, which reads back.

use crate::helpers::TestApp;

fn product_fields<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("name", "Summer tote"),
        ("slug", ""),
        ("sku", "TOTE-1"),
        ("description", "Heavy canvas."),
        ("status", "active"),
        ("price", "18,50"),
        ("currency", "EUR"),
        ("production_days", "2"),
        ("variants[0].name", "One size"),
        ("variants[0].sku", "TOTE-1-OS"),
        ("variants[0].price_delta", ""),
        ("variants[0].stock", "5"),
        ("print_areas[0].name", "Front"),
        ("print_areas[0].width_mm", "200"),
        ("print_areas[0].height_mm", "250"),
        ("print_areas[0].bleed_mm", "3"),
        ("print_areas[0].safe_mm", "3"),
        ("print_areas[0].dpi", "300"),
        ("print_areas[0].mockup_x", "20"),
        ("print_areas[0].mockup_y", "20"),
        ("print_areas[0].mockup_width", "60"),
        ("print_areas[0].kinds", "text"),
        ("print_areas[0].kinds", "image"),
        ("print_areas[0].colours", "#112233, #FFFFFF"),
        ("print_areas[0].required", "true"),
    ];
    fields.extend_from_slice(extra);
    fields
}

#[tokio::test]
async fn the_product_form_saves_variants_and_areas_and_names_each_bad_number_on_its_field() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let res = app
        .submit("/dashboard/products/new", "/dashboard/products", &product_fields(&[]))
        .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let to = res.headers()["location"].to_str().unwrap().to_string();
    let (_, page) = app.page(&to).await;
    assert!(page.contains("Summer tote is saved."), "{page}");
    let token = app.api_token("owner@shop.test");
    let id = to.rsplit('/').next().unwrap();
    let product: serde_json::Value = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/products/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(product["price_minor"], 1850, "typed in major units, with a comma");
    assert_eq!(product["variants"][0]["stock"], 5);
    let front = &product["print_areas"][0];
    assert_eq!(
        (front["mockup_width"].as_f64(), front["kinds"].as_array().unwrap().len()),
        (Some(0.6), 2)
    );
    assert_eq!(front["colours"], serde_json::json!(["#112233", "#ffffff"]));
    assert!(page.contains(r#"width="600.0""#), "the outline over the mockup: {page}");

    // Bad numbers: each named on its own row's field; nothing changes.
    let area_id = front["id"].as_str().unwrap().to_string();
    let variant_id = product["variants"][0]["id"].as_str().unwrap().to_string();
    let res = app
        .submit(
            &to,
            &to,
            &product_fields(&[
                ("print_areas[0].id", &area_id),
                ("variants[0].id", &variant_id),
                ("variants[1].name", "XL"),
                ("variants[1].price_delta", "two euros"),
                ("print_areas[1].name", "Back"),
                ("print_areas[1].width_mm", "-5"),
                ("print_areas[1].height_mm", "100"),
            ]),
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"id="f-variants[1].price_delta-error""#), "{html}");
    let res = app
        .submit(
            &to,
            &to,
            &product_fields(&[
                ("print_areas[0].id", &area_id),
                ("variants[0].id", &variant_id),
                ("print_areas[1].name", "Back"),
                ("print_areas[1].width_mm", "-5"),
                ("print_areas[1].height_mm", "100"),
            ]),
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(r#"id="f-print_areas[1].width_mm-error""#),
        "the checks' error on the form's row: {html}"
    );
    assert!(html.contains("Give a size in millimetres"), "{html}");
    assert!(html.contains(r#"value="Back""#), "what was typed stays");
    assert_eq!(app.count("SELECT count(*) FROM catalog_print_areas").await, 1);

    // Removing the variant, adding the back.
    let res = app
        .submit(
            &to,
            &to,
            &product_fields(&[
                ("print_areas[0].id", &area_id),
                ("variants[0].id", &variant_id),
                ("variants[0].remove", "true"),
                ("print_areas[1].name", "Back"),
                ("print_areas[1].width_mm", "100"),
                ("print_areas[1].height_mm", "100"),
                ("print_areas[1].kinds", "text"),
            ]),
        )
        .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert_eq!(app.count("SELECT count(*) FROM catalog_print_areas").await, 2);
    assert_eq!(app.count("SELECT count(*) FROM catalog_variants").await, 0);
    let (_, page) = app.page(&to).await;
    assert!(page.contains("Print area Back"), "{page}");

    // A photo by the page: checked by content.
    let res = app
        .upload_as(
            &app.client,
            &to,
            &format!("{to}/images"),
            &[("alt", "The tote")],
            &[("file", "tote.png", b"not a png".to_vec())],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("PNG, JPEG or WebP"));
    let jpeg = crate::designs::jpeg(500, 500, [90, 90, 90]);
    let res = app
        .upload_as(
            &app.client,
            &to,
            &format!("{to}/images"),
            &[("alt", "The tote")],
            &[("file", "tote.jpg", jpeg)],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, page) = app.page(&to).await;
    assert!(
        page.contains(r#"alt="The tote""#) && page.contains("<image href=\"/files/"),
        "the photo and the mockup: {page}"
    );
    assert!(page.contains("No design of this product yet"), "{page}");
}

async fn import_csv(app: &TestApp, csv: &str, mode: &str) -> reqwest::Response {
    app.upload_as(
        &app.client,
        "/dashboard/products/import",
        "/dashboard/products/import",
        &[("mode", mode)],
        &[("file", "products.csv", csv.as_bytes().to_vec())],
    )
    .await
}

#[tokio::test]
async fn a_csv_import_reports_every_bad_row_imports_nothing_until_all_are_valid_and_the_export_reads_back() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let app = &app;
    let import = |csv: &'static str, mode: &'static str| import_csv(app, csv, mode);
    let bad = "name,sku,price,currency,status\nMug,MUG-1,12.00,EUR,active\n,NONAME,3,EUR,draft\nCap,CAP-1,abc,EUR,draft\nHat,HAT 1,5,EUR,sold\n";
    let res = import(bad, "import").await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    for (line, column) in [("3", "name"), ("4", "price"), ("5", "sku"), ("5", "status")] {
        assert!(
            html.contains(&format!("<td>{line}</td><td>{column}</td>")),
            "line {line}, {column}: {html}"
        );
    }
    assert!(html.contains("Nothing was imported"), "{html}");
    assert_eq!(
        app.count("SELECT count(*) FROM catalog_products").await,
        0,
        "not even the valid row"
    );
    let res = import("title,price\nx,1\n", "check").await;
    assert!(res.text().await.unwrap().contains("Unknown column"));

    let good = "\u{feff}name;sku;price;currency;description\nMug;MUG-1;12,00;EUR;\"=1+1 is not a formula\"\nCap;CAP-1;9;EUR;Wool\n";
    let res = import(good, "check").await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("would add 2 products and update 0"));
    assert_eq!(app.count("SELECT count(*) FROM catalog_products").await, 0, "a dry run");
    let res = import(good, "import").await;
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Imported: 2 products added, 0 updated.")
    );
    let again = "name;sku;price;currency\nBig mug;MUG-1;14;EUR\n";
    assert!(
        import(again, "import")
            .await
            .text()
            .await
            .unwrap()
            .contains("0 products added, 1 updated")
    );
    assert_eq!(app.audited("catalog.product_created").await.len(), 2);

    let csv = app
        .client
        .get(app.url("/dashboard/products/export.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("name,slug,sku,description,status,price,currency,production_days")
    );
    assert!(
        text.contains("Big mug,mug,MUG-1,'=1+1 is not a formula,draft,14.00,EUR,3"),
        "{text}"
    );
    // The export imports back as it is: every row updates its product.
    assert!(
        import_csv(app, &text, "check")
            .await
            .text()
            .await
            .unwrap()
            .contains("would add 0 products and update 2")
    );
}

#[tokio::test]
async fn the_fonts_page_lists_the_built_in_fonts_and_takes_a_checked_upload() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let (status, page) = app.page("/dashboard/products/fonts").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("DejaVu Serif") && page.contains("Built in (open licence)"),
        "{page}"
    );
    let page_url = "/dashboard/products/fonts";
    let res = app
        .upload_as(
            &app.client,
            page_url,
            page_url,
            &[("name", "")],
            &[("file", "font.ttf", b"<html>not a font</html>".to_vec())],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("not a TrueType or OpenType font"));
    let font = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/static/fonts/DejaVuSerif.ttf")).unwrap();
    let res = app
        .upload_as(
            &app.client,
            page_url,
            page_url,
            &[("name", "Wedding Serif")],
            &[("file", "serif.ttf", font)],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, page) = app.page(page_url).await;
    assert!(
        page.contains("The font Wedding Serif is added.") && page.contains("Uploaded (ttf)"),
        "{page}"
    );
    assert_eq!(app.audited("fonts.added").await.len(), 1);
}
