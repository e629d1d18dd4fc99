//! Two-factor authentication: turning it on with a code, signing in with a
//! code or a recovery code, and an organisation that requires it.

use crate::helpers::{PASSWORD, TestApp, csrf_token};
use luneo::auth::two_factor::code_at;
use luneo::db::time::Clock;

fn secret_in(html: &str) -> String {
    let start = html.find("<code id=\"totp-secret\">").expect("the key is shown") + 23;
    html[start..start + html[start..].find('<').unwrap()].to_string()
}

pub async fn turn_on(app: &TestApp) -> (String, Vec<String>) {
    let (_, html) = app.page("/dashboard/account/2fa").await;
    assert!(html.contains("<svg") && !html.contains("<?xml"), "an inline QR code");
    let secret = secret_in(&html);
    let (_, again) = app.page("/dashboard/account/2fa").await;
    assert_eq!(secret_in(&again), secret, "a reload keeps the same key");
    let res = app
        .submit(
            "/dashboard/account/2fa",
            "/dashboard/account/2fa/enable",
            &[("code", "000000")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let code = code_at(&secret, app.clock.now()).unwrap();
    let res = app
        .submit(
            "/dashboard/account/2fa",
            "/dashboard/account/2fa/enable",
            &[("code", &code)],
        )
        .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let codes: Vec<String> = html
        .split("<li><code>")
        .skip(1)
        .map(|s| s[..s.find('<').unwrap()].to_string())
        .collect();
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

/// The signed-in owner of Atelier makes two-factor a requirement of the org.
pub async fn require_two_factor(app: &TestApp) {
    let res = app
        .submit(
            "/dashboard/settings",
            "/dashboard/settings",
            &[
                ("name", "Atelier"),
                ("slug", "atelier"),
                ("default_language", "en"),
                ("time_zone", "UTC"),
                ("currency", "EUR"),
                ("audit_retention_days", "365"),
                ("require_2fa", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
}

pub async fn password_step(app: &TestApp, client: &reqwest::Client) -> String {
    let res = app
        .submit_as(
            client,
            "/login",
            "/login",
            &[("email", "owner@shop.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login/2fa");
    let page = app.page_as(client, "/login/2fa").await;
    assert!(page.contains("Enter your code"));
    csrf_token(&page)
}

#[tokio::test]
async fn with_two_factor_on_signing_in_needs_a_code_or_a_recovery_code_once() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let (secret, codes) = turn_on(&app).await;
    let (_, team) = app.page("/dashboard/team").await;
    assert!(team.contains("<td>On</td>"));

    let phone = crate::helpers::client();
    let token = password_step(&app, &phone).await;
    assert_eq!(
        phone.get(app.url("/dashboard")).send().await.unwrap().status(),
        303,
        "not signed in after the password alone"
    );
    let res = phone
        .post(app.url("/login/2fa"))
        .form(&[("csrf_token", token.as_str()), ("code", "123456")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("This code is not right."));
    // The code that turned two-factor on is spent: the next one is needed.
    app.clock.advance(30);
    let code = code_at(&secret, app.clock.now()).unwrap();
    let res = phone
        .post(app.url("/login/2fa"))
        .form(&[("csrf_token", token.as_str()), ("code", &code)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(phone.get(app.url("/dashboard")).send().await.unwrap().status(), 200);
    // Someone who saw that code cannot use it again.
    let thief = crate::helpers::client();
    let token2 = password_step(&app, &thief).await;
    let res = thief
        .post(app.url("/login/2fa"))
        .form(&[("csrf_token", token2.as_str()), ("code", &code)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "a code works once");

    let laptop = crate::helpers::client();
    let token = password_step(&app, &laptop).await;
    let res = laptop
        .post(app.url("/login/2fa"))
        .form(&[("csrf_token", token.as_str()), ("code", codes[0].as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "a recovery code works");
    let other = crate::helpers::client();
    let token = password_step(&app, &other).await;
    let res = other
        .post(app.url("/login/2fa"))
        .form(&[("csrf_token", token.as_str()), ("code", codes[0].as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "once");
}

#[tokio::test]
async fn the_halfway_state_lasts_five_minutes_and_two_factor_can_be_turned_off_with_the_password() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let (secret, _) = turn_on(&app).await;
    // The halfway state lasts five minutes.
    let late = crate::helpers::client();
    let token = password_step(&app, &late).await;
    app.clock.advance(301);
    let code = code_at(&secret, app.clock.now()).unwrap();
    let res = late
        .post(app.url("/login/2fa"))
        .form(&[("csrf_token", token.as_str()), ("code", &code)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/login");

    let res = app
        .submit(
            "/dashboard/account/2fa",
            "/dashboard/account/2fa/disable",
            &[("password", "wrong-password")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = app
        .submit(
            "/dashboard/account/2fa",
            "/dashboard/account/2fa/disable",
            &[("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), 303);
    let fresh = crate::helpers::client();
    let res = app
        .submit_as(
            &fresh,
            "/login",
            "/login",
            &[("email", "owner@shop.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.headers()["location"], "/dashboard", "no code needed any more");
}

#[tokio::test]
async fn an_org_that_requires_two_factor_sends_members_without_it_to_turn_it_on() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    require_two_factor(&app).await;
    let res = app.get("/dashboard/team").await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/dashboard/account/2fa");
    let (status, html) = app.page("/dashboard/account/2fa").await;
    assert_eq!(status, 200);
    assert!(html.contains("Your organisation requires two-factor authentication"));
    turn_on(&app).await;
    assert_eq!(app.get("/dashboard/team").await.status(), 200);
}
