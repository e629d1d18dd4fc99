//! A person's own settings: sessions and personal API tokens.

use crate::helpers::{PASSWORD, TestApp, csrf_token};

#[tokio::test]
async fn sessions_are_listed_and_can_be_signed_out_one_or_all_others() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let laptop = crate::helpers::client();
    let phone = crate::helpers::client();
    for (client, ua) in [(&laptop, "Laptop browser"), (&phone, "Phone browser")] {
        let page = app.page_as(client, "/login").await;
        let token = csrf_token(&page);
        client
            .post(app.url("/login"))
            .header("User-Agent", ua)
            .form(&[
                ("csrf_token", token.as_str()),
                ("email", "owner@shop.test"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
    }
    let (_, html) = app.page("/dashboard/account").await;
    assert!(html.contains("Laptop browser") && html.contains("Phone browser") && html.contains("This session"));
    assert!(html.contains("127.0.0.1"), "the IP is shown");

    let laptop_session: String = app
        .db
        .read(|c| {
            Ok(
                c.query_row("SELECT id FROM sessions WHERE user_agent = 'Laptop browser'", [], |r| {
                    r.get(0)
                })?,
            )
        })
        .await
        .unwrap();
    let res = app
        .submit(
            "/dashboard/account",
            &format!("/dashboard/account/sessions/{laptop_session}/revoke"),
            &[],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        laptop.get(app.url("/dashboard")).send().await.unwrap().status(),
        303,
        "the laptop is signed out"
    );
    assert_eq!(phone.get(app.url("/dashboard")).send().await.unwrap().status(), 200);

    let res = app
        .submit("/dashboard/account", "/dashboard/account/sessions/revoke-others", &[])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        phone.get(app.url("/dashboard")).send().await.unwrap().status(),
        303,
        "the phone is signed out"
    );
    assert_eq!(app.get("/dashboard").await.status(), 200, "this session stays");
}

#[tokio::test]
async fn a_token_made_in_settings_is_shown_once_works_and_can_be_revoked() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let res = app
        .submit(
            "/dashboard/account",
            "/dashboard/account/tokens",
            &[("name", ""), ("days", "30")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Give the token a name"));
    let res = app
        .submit(
            "/dashboard/account",
            "/dashboard/account/tokens",
            &[("name", "stock sync"), ("days", "30")],
        )
        .await;
    assert_eq!(res.status(), 201);
    let html = res.text().await.unwrap();
    assert!(html.contains("it will not be shown again"));
    let start = html.find("value=\"luneo_").unwrap() + 7;
    let secret = html[start..start + html[start..].find('"').unwrap()].to_string();
    let me = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let (_, page) = app.page("/dashboard/account").await;
    assert!(
        page.contains("stock sync") && !page.contains(&secret),
        "listed, never shown again"
    );

    // Expired after 30 days.
    app.clock.advance(31 * 86_400);
    assert_eq!(
        app.client
            .get(app.url("/api/v1/me"))
            .bearer_auth(&secret)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    app.clock.advance(-31 * 86_400);

    let id: String = app
        .db
        .read(|c| Ok(c.query_row("SELECT id FROM api_tokens", [], |r| r.get(0))?))
        .await
        .unwrap();
    let res = app
        .submit(
            "/dashboard/account",
            &format!("/dashboard/account/tokens/{id}/revoke"),
            &[],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        app.client
            .get(app.url("/api/v1/me"))
            .bearer_auth(&secret)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}
