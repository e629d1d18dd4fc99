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

#[tokio::test]
async fn tags_filter_the_list_and_views_keep_a_set_of_filters_for_oneself_or_the_team() {
    let (app, token) = shop().await;
    let vip = open(&app, &token, "Wedding mugs", "Forty mugs with names.").await;
    open(&app, &token, "Lost parcel", "Nothing arrived.").await;
    let page = format!("/dashboard/support/tickets/{vip}");
    let res = app.submit(&page, &page, &[("tags", " VIP, gift wrap,vip")]).await;
    assert_eq!(res.status(), 303);
    let (_, html) = app.page(&page).await;
    assert!(html.contains(r#"value="gift-wrap, vip""#), "folded, sorted, once each");
    assert!(html.contains("Tags"), "on the timeline");
    let ticket: Value = api(
        &app,
        &token,
        reqwest::Method::GET,
        &format!("/api/v1/support/tickets/{vip}"),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(ticket["tags"], json!(["gift-wrap", "vip"]));
    assert_eq!(ticket["timeline"][0]["field"], "tags");
    assert_eq!(found(&app, &token, "tag=vip").await, ["Wedding mugs"]);
    let res = api(
        &app,
        &token,
        reqwest::Method::PATCH,
        &format!("/api/v1/support/tickets/{vip}"),
    )
    .json(&json!({ "tags": ["<script>"] }))
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>().await.unwrap()["errors"][0]["field"], "tags");

    // A view of one's own, from the list page's filters.
    let res = app
        .submit(
            "/dashboard/support?tag=vip&sort=priority",
            "/dashboard/support/views",
            &[
                ("name", "VIP first"),
                ("filters.tag", "vip"),
                ("filters.sort", "priority"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"].to_str().unwrap(),
        "/dashboard/support?tag=vip&sort=priority"
    );
    let (_, list) = app.page("/dashboard/support").await;
    assert!(
        list.contains(r#"<a href="/dashboard/support?tag=vip&#38;sort=priority">VIP first</a>"#),
        "{list}"
    );
    let (_, filtered) = app.page("/dashboard/support?tag=vip&sort=priority").await;
    assert!(filtered.contains("Wedding mugs") && !filtered.contains("Lost parcel"));

    // Another member does not see it; a shared one everyone sees, only a manager deletes.
    app.add_member("max@shop.test", "Max", "member").await;
    let max = app.signed_in("max@shop.test").await;
    let theirs = app.page_as(&max, "/dashboard/support").await;
    assert!(!theirs.contains("VIP first"));
    let max_token = app.api_token("max@shop.test");
    let res = api(&app, &max_token, reqwest::Method::POST, "/api/v1/support/views")
        .json(&json!({ "name": "Team queue", "shared": true, "filters": { "assigned": "nobody" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "sharing a view is for support managers");
    let res = api(&app, &token, reqwest::Method::POST, "/api/v1/support/views")
        .json(&json!({ "name": "Team queue", "shared": true, "filters": { "assigned": "nobody", "status": "open" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let shared: Value = res.json().await.unwrap();
    assert_eq!(shared["query"], "status=open&assigned=nobody");
    let theirs = app.page_as(&max, "/dashboard/support").await;
    assert!(theirs.contains("Team queue"));
    let res = api(
        &app,
        &max_token,
        reqwest::Method::DELETE,
        &format!("/api/v1/support/views/{}", shared["id"].as_str().unwrap()),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 404, "a member does not delete the team's view");
    let res = api(&app, &token, reqwest::Method::POST, "/api/v1/support/views")
        .json(&json!({ "name": " " }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>().await.unwrap()["errors"][0]["field"], "name");
}

#[tokio::test]
async fn bulk_changes_assign_and_close_the_ticked_tickets_and_leave_a_closed_one_as_it_was() {
    let (app, token) = shop().await;
    let a = open(&app, &token, "First", "One").await;
    let b = open(&app, &token, "Second", "Two").await;
    let c = open(&app, &token, "Third", "Three").await;
    let owner_id = app
        .db
        .read(|c| {
            Ok(
                c.query_row("SELECT id FROM users WHERE email = 'owner@shop.test'", [], |r| {
                    r.get::<_, String>(0)
                })?,
            )
        })
        .await
        .unwrap();
    let res = api(
        &app,
        &token,
        reqwest::Method::PATCH,
        &format!("/api/v1/support/tickets/{c}"),
    )
    .json(&json!({ "status": "closed" }))
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 200);

    // From the list page, without JavaScript.
    let res = app
        .submit(
            "/dashboard/support?status=all",
            "/dashboard/support/bulk",
            &[
                ("back", "status=all"),
                ("ids", &a),
                ("ids", &b),
                ("ids", &c),
                ("assignee_id", "keep"),
                ("status", "in_progress"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"].to_str().unwrap(),
        "/dashboard/support?status=all"
    );
    let (_, list) = app.page("/dashboard/support?status=all").await;
    assert!(list.contains("2 tickets changed; 1 left as they were"), "{list}");
    let status = |id: String| {
        let app = &app;
        async move {
            app.db
                .read(move |c| {
                    Ok(
                        c.query_row("SELECT status FROM support_tickets WHERE id = ?1", [&id], |r| {
                            r.get::<_, String>(0)
                        })?,
                    )
                })
                .await
                .unwrap()
        }
    };
    assert_eq!(status(a.clone()).await, "in_progress");
    assert_eq!(status(c.clone()).await, "closed", "closed stays closed");

    // The API: assign and close in one call, each change on the timeline.
    let res = api(&app, &token, reqwest::Method::POST, "/api/v1/support/tickets/bulk")
        .json(&json!({ "ids": [a, b], "assignee_id": owner_id, "status": "closed" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let out: Value = res.json().await.unwrap();
    assert_eq!(out["changed"].as_array().unwrap().len(), 2);
    assert_eq!(status(b.clone()).await, "closed");
    assert_eq!(
        app.count("SELECT count(*) FROM support_events WHERE field = 'assignee'")
            .await,
        2
    );
    let res = api(&app, &token, reqwest::Method::POST, "/api/v1/support/tickets/bulk")
        .json(&json!({ "ids": [a], "assignee_id": "usr_nobody" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        422,
        "an assignee who cannot work on support refuses the whole change"
    );
    let res = api(&app, &token, reqwest::Method::POST, "/api/v1/support/tickets/bulk")
        .json(&json!({ "ids": [], "status": "open" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["errors"][0]["field"], "ids");
}

#[tokio::test]
async fn a_canned_reply_is_filled_in_for_the_ticket_and_a_bad_variable_is_refused_with_its_line() {
    let (app, token) = shop().await;
    let id = open(&app, &token, "Where is my mug?", "Ordered last week.").await;
    let res = app
        .submit(
            "/dashboard/support/replies",
            "/dashboard/support/replies",
            &[("title", "Typo"), ("body", "Hello\n{{ customer_name }}")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("Line 2"), "{page}");
    assert!(page.contains("customer_name"), "what was typed is kept");
    let res = app
        .submit(
            "/dashboard/support/replies",
            "/dashboard/support/replies",
            &[
                ("title", "Shipping"),
                (
                    "body",
                    "Hello {{ requester_name }}, {{ ticket_number }} ships today.\n— {{ agent_name }}, {{ org }}",
                ),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let canned: Value = api(&app, &token, reqwest::Method::GET, "/api/v1/support/canned-replies")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cid = canned["data"][0]["id"].as_str().unwrap().to_string();
    let page = format!("/dashboard/support/tickets/{id}");
    let (_, html) = app.page(&page).await;
    assert!(html.contains(r#"<label for="f-canned">Canned reply</label>"#));
    let (_, filled) = app.page(&format!("{page}?canned={cid}")).await;
    assert!(
        filled.contains("Hello ana@example.test, #1 ships today.\n— Olivia Owner, Atelier</textarea>"),
        "{filled}"
    );
    let via_api: Value = api(
        &app,
        &token,
        reqwest::Method::GET,
        &format!("/api/v1/support/tickets/{id}/canned-replies/{cid}"),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        via_api["body"],
        "Hello ana@example.test, #1 ships today.\n— Olivia Owner, Atelier"
    );
    let res = api(&app, &token, reqwest::Method::POST, "/api/v1/support/canned-replies")
        .json(&json!({ "title": "Shipping", "body": "Again" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>().await.unwrap()["errors"][0]["field"],
        "title",
        "titles are unique"
    );
    let res = api(
        &app,
        &token,
        reqwest::Method::PATCH,
        &format!("/api/v1/support/canned-replies/{cid}"),
    )
    .json(&json!({ "body": "{% for x in y %}{% endfor %}" }))
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 422, "only conditionals");
    let res = api(
        &app,
        &token,
        reqwest::Method::DELETE,
        &format!("/api/v1/support/canned-replies/{cid}"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(app.count("SELECT count(*) FROM support_canned_replies").await, 0);
}

#[tokio::test]
async fn a_reply_written_while_someone_else_answered_waits_for_a_second_send_and_the_page_says_who_is_there() {
    let (app, token) = shop().await;
    let id = open(&app, &token, "Gift note", "Can you add a gift note?").await;
    app.add_member("max@shop.test", "Max", "member").await;
    let max = app.signed_in("max@shop.test").await;
    let page = format!("/dashboard/support/tickets/{id}");
    let action = format!("{page}/messages");
    let (_, mine) = app.page(&page).await;
    assert!(!mine.contains("Also on this ticket"));
    let theirs = app.page_as(&max, &page).await;
    assert!(
        theirs.contains("Also on this ticket in the last minutes: Olivia Owner."),
        "{theirs}"
    );

    // Both begin with no message on the ticket; Max sends first.
    let seen = regex::Regex::new(r#"name="seen" value="(\d+)""#)
        .unwrap()
        .captures(&mine)
        .unwrap()[1]
        .to_string();
    assert_eq!(seen, "0");
    let res = app
        .submit_as(&max, &page, &action, &[("body", "Yes, done!"), ("seen", "0")])
        .await;
    assert_eq!(res.status(), 303);
    let res = app
        .submit(&page, &action, &[("body", "Sure, what should it say?"), ("seen", "0")])
        .await;
    assert_eq!(res.status(), 409);
    let warned = res.text().await.unwrap();
    assert!(warned.contains("Someone wrote on this ticket while you were writing"));
    assert!(warned.contains("Yes, done!"), "their message is shown");
    assert!(
        warned.contains("Sure, what should it say?</textarea>"),
        "the text is kept"
    );
    assert!(warned.contains(r#"name="confirm" value="true""#));
    assert_eq!(
        app.count("SELECT count(*) FROM support_messages").await,
        1,
        "nothing sent yet"
    );
    let res = app
        .submit(
            &page,
            &action,
            &[
                ("body", "Sure, what should it say?"),
                ("seen", "1"),
                ("confirm", "true"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "sent anyway once read");
    // One's own earlier message is no collision.
    let res = app
        .submit(&page, &action, &[("body", "And a ribbon?"), ("seen", "1")])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.count("SELECT count(*) FROM support_messages").await, 3);
}

#[tokio::test]
async fn a_categorys_extra_fields_are_asked_on_the_help_form_checked_and_shown_to_the_team() {
    let (app, token) = shop().await;
    let cat: Value = api(&app, &token, reqwest::Method::POST, "/api/v1/support/categories")
        .json(&json!({ "name": "Engraving" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cat_id = cat["id"].as_str().unwrap().to_string();
    let page = format!("/dashboard/support/categories/{cat_id}");
    let action = format!("{page}/fields");
    let res = app
        .submit(
            &page,
            &action,
            &[("label", "Metal"), ("kind", "select"), ("options", "Silver")],
        )
        .await;
    assert_eq!(res.status(), 422, "a choice needs two options at least");
    assert!(res.text().await.unwrap().contains("Give 2 to 30 choices"));
    let res = app
        .submit(
            &page,
            &action,
            &[
                ("label", "Metal"),
                ("kind", "select"),
                ("options", "Silver\r\nGold, 18 carats\r\n"),
                ("required", "true"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = api(
        &app,
        &token,
        reqwest::Method::POST,
        &format!("/api/v1/support/categories/{cat_id}/fields"),
    )
    .json(&json!({ "label": "Text to engrave", "kind": "text", "required": true }))
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    let engraving: Value = res.json().await.unwrap();
    let cats: Value = api(&app, &token, reqwest::Method::GET, "/api/v1/support/categories")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let fields = cats["data"][0]["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 2);
    assert_eq!(fields[0]["options"], json!(["Silver", "Gold, 18 carats"]));
    let metal = fields[0]["id"].as_str().unwrap().to_string();
    let text = engraving["id"].as_str().unwrap().to_string();

    // The help centre's form asks for them once the category is chosen.
    let customer = crate::helpers::client();
    let form_page = format!("/help/atelier/new?category={cat_id}");
    let html = app.page_as(&customer, &form_page).await;
    assert!(
        html.contains(&format!(r#"<label for="f-fields[{metal}]">Metal"#)),
        "{html}"
    );
    assert!(html.contains("<option>Gold, 18 carats</option>"));
    let base = [
        ("name", "Ana"),
        ("email", "ana@example.test"),
        ("subject", "Ring engraving"),
        ("description", "For our anniversary."),
        ("category_id", cat_id.as_str()),
        ("website", ""),
    ];
    let metal_key = format!("fields[{metal}]");
    let text_key = format!("fields[{text}]");
    let mut missing = base.to_vec();
    missing.push((metal_key.as_str(), "Platinum"));
    let res = app
        .submit_as(&customer, &form_page, "/help/atelier/new", &missing)
        .await;
    assert_eq!(res.status(), 422);
    let refused = res.text().await.unwrap();
    assert!(refused.contains("Choose one of the options of “Metal”."), "{refused}");
    assert!(refused.contains("Fill in “Text to engrave”."));
    assert!(refused.contains("For our anniversary."), "what was typed is kept");
    assert_eq!(
        app.count("SELECT count(*) FROM support_tickets").await,
        0,
        "nothing half written"
    );
    let mut good = base.to_vec();
    good.push((metal_key.as_str(), "Gold, 18 carats"));
    good.push((text_key.as_str(), "A & B — forever"));
    let res = app.submit_as(&customer, &form_page, "/help/atelier/new", &good).await;
    assert_eq!(res.status(), 200);
    let id = app
        .db
        .read(|c| Ok(c.query_row("SELECT id FROM support_tickets", [], |r| r.get::<_, String>(0))?))
        .await
        .unwrap();
    let (_, staff) = app.page(&format!("/dashboard/support/tickets/{id}")).await;
    assert!(staff.contains("<dt>Metal</dt><dd>Gold, 18 carats</dd>"), "{staff}");
    assert!(staff.contains("<dd>A &#38; B — forever</dd>"), "escaped");
    let ticket: Value = api(
        &app,
        &token,
        reqwest::Method::GET,
        &format!("/api/v1/support/tickets/{id}"),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        ticket["fields"][1],
        json!({ "label": "Text to engrave", "kind": "text", "value": "A & B — forever" })
    );

    // The team corrects a value later, on the ticket's page: on the timeline.
    let staff_page = format!("/dashboard/support/tickets/{id}");
    let res = app
        .submit(
            &staff_page,
            &staff_page,
            &[(metal_key.as_str(), "Silver"), (text_key.as_str(), "A & B — forever")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let ticket: Value = api(
        &app,
        &token,
        reqwest::Method::GET,
        &format!("/api/v1/support/tickets/{id}"),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(ticket["fields"][0]["value"], "Silver");
    let edit = ticket["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == "fields")
        .unwrap()
        .clone();
    assert_eq!(edit["from"], "Metal: Gold, 18 carats");
    assert_eq!(edit["to"], "Metal: Silver");
    let res = api(
        &app,
        &token,
        reqwest::Method::PATCH,
        &format!("/api/v1/support/tickets/{id}"),
    )
    .json(&json!({ "fields": { metal.clone(): "Wood" } }))
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 422);

    // A member may leave the required ones for later; a wrong choice is still refused.
    let res = api(&app, &token, reqwest::Method::POST, "/api/v1/support/tickets")
        .json(&json!({ "subject": "Phone call", "description": "Called about a ring.", "category_id": cat_id }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = api(&app, &token, reqwest::Method::POST, "/api/v1/support/tickets")
        .json(
            &json!({ "subject": "Phone call", "description": "Again.", "category_id": cat_id,
                       "fields": { metal.clone(): "Wood" } }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<Value>().await.unwrap()["errors"][0]["field"], metal_key);
    let res = api(
        &app,
        &token,
        reqwest::Method::DELETE,
        &format!("/api/v1/support/fields/{metal}"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(app.count("SELECT count(*) FROM support_category_fields").await, 1);
}
