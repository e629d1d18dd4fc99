//! Files on tickets: a customer sends a photo with their request and the
//! team answers with a file; images are previewed, the rest downloads;
//! files of internal notes never reach the customer; files are accepted by
//! their content and capped in size; the API and mail in carry them too;
//! orgs stay apart.

use crate::helpers::{Spawn, TestApp, client};
use serde_json::{Value, json};

async fn shop() -> TestApp {
    let app = TestApp::spawn_with(Spawn {
        start_workers: false,
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    app
}

fn png() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0".to_vec();
    png.extend_from_slice(&[0x1f, 0x15, 0xc4, 0x89]);
    png
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

/// A Windows program, whatever it is named.
fn program() -> Vec<u8> {
    let mut exe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0".to_vec();
    exe.resize(256, 0);
    exe
}

/// The `/…/attachments/atc_…` addresses of a page, in order.
fn file_links(html: &str) -> Vec<String> {
    let re = regex::Regex::new(r#"<a href="([^"]+/attachments/atc_[A-Za-z0-9]+)""#).unwrap();
    let mut out: Vec<String> = re.captures_iter(html).map(|c| c[1].to_string()).collect();
    out.dedup();
    out
}

async fn fetch(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String, String, Vec<u8>) {
    let res = client.get(app.url(path)).send().await.unwrap();
    let header = |n: &str| {
        res.headers()
            .get(n)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (kind, disposition) = (header("content-type"), header("content-disposition"));
    (
        res.status().as_u16(),
        kind,
        disposition,
        res.bytes().await.unwrap().to_vec(),
    )
}

#[tokio::test]
async fn a_customer_sends_a_photo_the_team_answers_with_a_file_and_the_notes_files_stay_inside() {
    let app = shop().await;
    let customer = client();
    let fields = [
        ("name", "Ana Client"),
        ("email", "ana@example.test"),
        ("subject", "The print is blurry"),
        ("description", "See the photo: the cat's whiskers are blurred."),
        ("website", ""),
    ];
    // A program named like a PDF is refused next to the field, nothing kept.
    let res = app
        .upload_as(
            &customer,
            "/help/atelier/new",
            "/help/atelier/new",
            &fields,
            &[("files", "invoice.pdf", program())],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains(r#"<p class="field-error" id="f-files-error">Attach images (PNG, JPEG, GIF, WebP), PDF, ZIP or text files.</p>"#),
        "{page}"
    );
    assert!(page.contains("The print is blurry"), "what was typed is kept");
    assert_eq!(app.count("SELECT count(*) FROM support_tickets").await, 0);

    let res = app
        .upload_as(
            &customer,
            "/help/atelier/new",
            "/help/atelier/new",
            &fields,
            &[("files", "whiskers.png", png()), ("files", "../../order.pdf", pdf())],
        )
        .await;
    assert_eq!(res.status(), 200);
    let (token, ticket_id): (String, String) = app
        .db
        .read(|c| {
            Ok(c.query_row("SELECT access_token, id FROM support_tickets", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?)
        })
        .await
        .unwrap();
    let private = format!("/help/atelier/tickets/{token}");
    let mine = app.page_as(&customer, &private).await;
    let links = file_links(&mine);
    assert_eq!(links.len(), 2, "{mine}");
    assert!(links.iter().all(|l| l.starts_with(&format!("{private}/attachments/"))));
    assert!(mine.contains(r#"alt="whiskers.png""#), "the image is previewed");
    assert!(mine.contains(">order.pdf</a>"), "folders are taken off the name");

    let (status, kind, disposition, body) = fetch(&customer, &app, &links[0]).await;
    assert_eq!((status, kind.as_str()), (200, "image/png"));
    assert!(disposition.starts_with("inline;"), "{disposition}");
    assert_eq!(body, png());
    let (status, kind, disposition, _) = fetch(&customer, &app, &links[1]).await;
    assert_eq!((status, kind.as_str()), (200, "application/pdf"));
    assert!(
        disposition.starts_with("attachment;") && disposition.contains("filename=\"order.pdf\""),
        "{disposition}"
    );

    // The team sees the same files, replies with one and notes with another.
    let staff_page = format!("/dashboard/support/tickets/{ticket_id}");
    let (_, staff) = app.page(&staff_page).await;
    assert_eq!(file_links(&staff).len(), 2);
    let action = format!("{staff_page}/messages");
    let res = app
        .upload_as(
            &app.client,
            &staff_page,
            &action,
            &[("body", "Here is the corrected proof."), ("kind", "reply")],
            &[("files", "proof v2.pdf", pdf())],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = app
        .upload_as(
            &app.client,
            &staff_page,
            &action,
            &[("body", "Printer log, for us only."), ("kind", "note")],
            &[("files", "printer-log.txt", b"nozzle 3 clogged".to_vec())],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, staff) = app.page(&staff_page).await;
    let staff_links = file_links(&staff);
    assert_eq!(staff_links.len(), 4, "{staff}");
    let note_file = staff_links[3].clone();
    let (status, kind, _, body) = fetch(&app.client, &app, &note_file).await;
    assert_eq!((status, kind.as_str()), (200, "text/plain; charset=utf-8"));
    assert_eq!(body, b"nozzle 3 clogged");

    let mine = app.page_as(&customer, &private).await;
    let links = file_links(&mine);
    assert_eq!(links.len(), 3, "the reply's file, not the note's: {mine}");
    assert!(mine.contains("proof v2.pdf") && !mine.contains("printer-log"));
    let note_id = note_file.rsplit('/').next().unwrap();
    let (status, _, _, _) = fetch(&customer, &app, &format!("{private}/attachments/{note_id}")).await;
    assert_eq!(status, 404, "a note's file is not served under the private link");
    let (status, _, _, _) = fetch(&customer, &app, &note_file).await;
    assert_ne!(status, 200, "nor on the team's address without signing in");
    let (status, _, _, _) = fetch(
        &customer,
        &app,
        &format!("/help/atelier/tickets/not-the-token/attachments/{note_id}"),
    )
    .await;
    assert_eq!(status, 404);

    // Too many files, or one too large: refused by field, nothing written.
    let messages = app.count("SELECT count(*) FROM support_messages").await;
    let six: Vec<(&str, &str, Vec<u8>)> = (0..6).map(|_| ("files", "a.txt", b"a".to_vec())).collect();
    let res = app
        .upload_as(&app.client, &staff_page, &action, &[("body", "Six files")], &six)
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Attach 5 files at most."));
    let res = app
        .upload_as(
            &app.client,
            &staff_page,
            &action,
            &[("body", "A big one")],
            &[("files", "big.txt", vec![b'a'; 10 * 1024 * 1024 + 1])],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Each file can be 10 MB at most."));
    assert_eq!(app.count("SELECT count(*) FROM support_messages").await, messages);
    assert_eq!(app.count("SELECT count(*) FROM support_attachments").await, 4);

    // Another shop's member downloads nothing of Atelier's.
    let (code, _, err) = app.cli(
        &[
            "user",
            "add",
            "--email",
            "bob@other.test",
            "--name",
            "Bob",
            "--org",
            "Other shop",
        ],
        &[("LUNEO_PASSWORD", crate::helpers::PASSWORD)],
    );
    assert_eq!(code, 0, "{err}");
    let bob = app.signed_in("bob@other.test").await;
    let (status, _, _, _) = fetch(&bob, &app, &staff_links[0]).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_api_attaches_files_to_a_message_lists_them_and_serves_them() {
    let app = shop().await;
    let token = app.api_token("owner@shop.test");
    let api = |method: reqwest::Method, path: &str| {
        reqwest::Client::new()
            .request(method, app.url(path))
            .bearer_auth(&token)
    };
    let ticket: Value = api(reqwest::Method::POST, "/api/v1/support/tickets")
        .json(
            &json!({ "subject": "Logo files", "description": "Please send the vector logo.",
                       "requester_email": "ana@example.test" }),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = ticket["id"].as_str().unwrap();
    let message: Value = api(reqwest::Method::POST, &format!("/api/v1/support/tickets/{id}/messages"))
        .json(&json!({ "body": "Attached.", "internal": false }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let message_id = message["id"].as_str().unwrap();

    let upload = |files: Vec<(&'static str, Vec<u8>)>, message: Option<&str>| {
        let mut form = reqwest::multipart::Form::new();
        for (name, bytes) in files {
            form = form.part("file", reqwest::multipart::Part::bytes(bytes).file_name(name));
        }
        if let Some(m) = message {
            form = form.text("message_id", m.to_string());
        }
        api(
            reqwest::Method::POST,
            &format!("/api/v1/support/tickets/{id}/attachments"),
        )
        .multipart(form)
    };
    let res = upload(vec![("logo.png", png()), ("brief.pdf", pdf())], Some(message_id))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let made: Value = res.json().await.unwrap();
    let files = made["data"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["name"], "logo.png");
    assert_eq!(files[0]["content_type"], "image/png");
    assert_eq!(files[0]["message_id"], message_id);
    assert_eq!(files[1]["size"], pdf().len());

    let listed: Value = api(reqwest::Method::GET, &format!("/api/v1/support/tickets/{id}/messages"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["data"][0]["attachments"].as_array().unwrap().len(), 2);
    let url = files[0]["url"].as_str().unwrap();
    let res = api(reqwest::Method::GET, url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.bytes().await.unwrap().to_vec(), png());

    // Bad input names its field; nothing is written.
    for (files, message, field) in [
        (vec![], Some(message_id), "file"),
        (vec![("setup.pdf", program())], None, "file"),
        (
            vec![("a.txt", b"a".to_vec())],
            Some("msg_not_this_tickets"),
            "message_id",
        ),
    ] {
        let res = upload(files, message).send().await.unwrap();
        assert_eq!(res.status(), 422, "{field}: {}", res.text().await.unwrap());
        let problem: Value = res.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    assert_eq!(app.count("SELECT count(*) FROM support_attachments").await, 2);
}

#[tokio::test]
async fn a_mail_with_files_opens_a_ticket_that_carries_them_and_refused_files_are_left_out() {
    use base64::Engine;
    let app = shop().await;
    let (_, settings) = app.page("/dashboard/support/settings").await;
    let secret = regex::Regex::new(r"Authorization: Bearer ([A-Za-z0-9_-]+)")
        .unwrap()
        .captures(&settings)
        .unwrap()[1]
        .to_string();
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let raw = format!(
        "From: Ana <ana@example.test>\r\nTo: support@shop.test\r\nSubject: Photo of the damage\r\n\
         Message-ID: <files-1@mail.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe mug arrived broken.\r\n\
         --b1\r\nContent-Type: image/png; name=\"mug.png\"\r\nContent-Disposition: attachment; filename=\"mug.png\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n\
         --b1\r\nContent-Type: application/pdf; name=\"free-gift.pdf\"\r\nContent-Disposition: attachment; filename=\"free-gift.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b1--\r\n",
        b64(&png()),
        b64(&program())
    );
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/support/inbound"))
        .bearer_auth(&secret)
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let landed: Value = res.json().await.unwrap();
    assert_eq!(landed["outcome"], "opened");
    let id = landed["ticket_id"].as_str().unwrap();
    let (_, page) = app.page(&format!("/dashboard/support/tickets/{id}")).await;
    assert!(page.contains("The mug arrived broken."));
    assert!(page.contains(r#"alt="mug.png""#), "{page}");
    assert!(!page.contains("free-gift"), "a program is left out whatever its name");
    assert_eq!(app.count("SELECT count(*) FROM support_attachments").await, 1);
}
