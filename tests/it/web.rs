//! The web layer as a visitor meets it: error pages, headers, static
//! assets, CSRF, flash messages, language.

use crate::helpers::{TestApp, csrf_token};

#[tokio::test]
async fn unknown_pages_get_an_html_404_and_unknown_api_routes_problem_json() {
    let app = TestApp::spawn().await;
    let res = app.get("/no/such/page").await;
    assert_eq!(res.status(), 404);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(html.contains("<h1 id=\"error-title\">Page not found</h1>"), "{html}");
    assert!(html.contains("<main id=\"main\""));

    let res = app.get("/api/v1/no-such-thing").await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let problem: serde_json::Value = res.json().await.unwrap();
    assert_eq!(problem["status"], 404);
    assert_eq!(problem["title"], "Not Found");
    assert_eq!(problem["type"], "urn:luneo:problem:not-found");
    assert!(problem["detail"].as_str().unwrap().contains("nothing at this address"));
}

#[tokio::test]
async fn every_response_has_security_headers_and_a_request_id() {
    let app = TestApp::spawn().await;
    let mut ids = vec![];
    for path in ["/", "/healthz", "/nope", "/api/v1/nope"] {
        let res = app.get(path).await;
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(h.contains_key("referrer-policy"), "{path}");
        ids.push(h["x-request-id"].to_str().unwrap().to_string());
    }
    ids.dedup();
    assert_eq!(ids.len(), 4, "request ids are unique: {ids:?}");
}

#[tokio::test]
async fn static_assets_have_fingerprinted_urls_long_cache_and_etag() {
    let app = TestApp::spawn().await;
    let (_, html) = app.page("/").await;
    let start = html.find("/static/css/app.").unwrap();
    let url = &html[start..start + html[start..].find('"').unwrap()];
    let res = app.get(url).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
    assert_eq!(res.headers()["cache-control"], "public, max-age=31536000, immutable");
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    assert!(res.text().await.unwrap().contains("--accent"));

    let again = app
        .client
        .get(app.url(url))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    let stale = app.get("/static/css/app.0000000000.css").await;
    assert_eq!(stale.status(), 200);
    assert_eq!(
        stale.headers()["cache-control"],
        "public, max-age=300",
        "an old fingerprint is not cached for long"
    );
    assert_eq!(app.get("/static/css/missing.css").await.status(), 404);
}

#[tokio::test]
async fn a_post_without_a_valid_csrf_token_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.page("/").await; // gets the CSRF cookie
    let res = app
        .client
        .post(app.url("/language"))
        .form(&[("lang", "fr"), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = app
        .client
        .post(app.url("/language"))
        .form(&[("csrf_token", "forged"), ("lang", "fr"), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("Not allowed"));
    let (_, html) = app.page("/").await;
    assert!(html.contains("<html lang=\"en\">"), "the language did not change");

    // A valid token from another visitor's session does not work either.
    let other = crate::helpers::client();
    let (_, other_html) = (200, app.page_as(&other, "/").await);
    let foreign = csrf_token(&other_html);
    let res = app
        .client
        .post(app.url("/language"))
        .form(&[("csrf_token", foreign.as_str()), ("lang", "fr")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn a_cross_origin_post_is_refused_even_with_the_token() {
    let app = TestApp::spawn().await;
    let (_, html) = app.page("/").await;
    let token = csrf_token(&html);
    let res = app
        .client
        .post(app.url("/language"))
        .header("Origin", "https://evil.example")
        .form(&[("csrf_token", token.as_str()), ("lang", "fr")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn choosing_french_redirects_with_a_flash_shown_once_and_keeps_the_choice() {
    let app = TestApp::spawn().await;
    let res = app.submit("/", "/language", &[("lang", "fr"), ("next", "/")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/");
    let (_, html) = app.page("/").await;
    assert!(html.contains("<html lang=\"fr\">"));
    assert!(html.contains("Votre Luneo est en marche"));
    assert!(html.contains("role=\"status\">Langue modifiée.</div>"), "{html}");
    let (_, html) = app.page("/").await;
    assert!(!html.contains("class=\"flash"), "the flash is shown once");
    let (_, html) = app.page("/nope").await;
    assert!(html.contains("Page introuvable"), "error pages follow the choice");
}

#[tokio::test]
async fn accept_language_picks_french_when_no_choice_was_made() {
    let app = TestApp::spawn().await;
    let html = app
        .client
        .get(app.url("/"))
        .header("Accept-Language", "de-DE, fr-CA;q=0.9, en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"fr\">") && html.contains("Aller au contenu"));
}

#[tokio::test]
async fn the_next_target_of_a_form_never_leaves_the_site() {
    let app = TestApp::spawn().await;
    let res = app
        .submit("/", "/language", &[("lang", "en"), ("next", "//evil.example/x")])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/");
}

#[tokio::test]
async fn an_oversized_form_gets_413() {
    let app = TestApp::spawn_with(crate::helpers::Spawn {
        pairs: vec![("limit_form".into(), "1KiB".into())],
        ..Default::default()
    })
    .await;
    let (_, html) = app.page("/").await;
    let token = csrf_token(&html);
    let big = "x".repeat(4096);
    let res = app
        .client
        .post(app.url("/language"))
        .form(&[("csrf_token", token.as_str()), ("lang", "fr"), ("next", big.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
}

#[tokio::test]
async fn every_dashboard_page_has_a_plain_title_one_h1_and_a_main_landmark() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    for path in [
        "/dashboard",
        "/dashboard/team",
        "/dashboard/settings",
        "/dashboard/team/roles",
        "/dashboard/account/2fa",
        "/dashboard/account",
        "/dashboard/team/audit",
        "/dashboard/notifications",
        "/dashboard/notifications/history",
        "/dashboard/settings/notifications",
        "/dashboard/settings/notifications/defaults",
        "/dashboard/settings/notifications/templates",
        "/dashboard/settings/notifications/templates/team.role_changed/fr",
    ] {
        let (status, html) = app.page(path).await;
        assert_eq!(status, 200, "{path}");
        let title = &html[html.find("<title>").unwrap() + 7..html.find("</title>").unwrap()];
        assert!(
            !title.contains('<') && title.ends_with(" · Luneo"),
            "{path}: title {title:?}"
        );
        assert_eq!(html.matches("<h1").count(), 1, "{path}: one h1");
        assert_eq!(html.matches("<main").count(), 1, "{path}: one main");
    }
}

#[tokio::test]
async fn times_show_relative_with_the_exact_time_in_the_orgs_time_zone() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let res = app
        .submit(
            "/dashboard/settings",
            "/dashboard/settings",
            &[
                ("name", "Atelier"),
                ("slug", "atelier"),
                ("default_language", "en"),
                ("time_zone", "Europe/Paris"),
                ("currency", "EUR"),
                ("audit_retention_days", "365"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    app.clock.advance(3 * 60);
    let (_, audit) = app.page("/dashboard/team/audit").await;
    assert!(
        audit.contains(r#"<time datetime="2026-11-25T10:30:00Z" title="2026-11-25 11:30 CET">3 min ago</time>"#),
        "{audit}"
    );
    app.submit("/dashboard", "/language", &[("lang", "fr"), ("next", "/dashboard")])
        .await;
    let (_, audit) = app.page("/dashboard/team/audit").await;
    assert!(audit.contains(r#"title="2026-11-25 11:30 CET">il y a 3 min</time>"#));
}

#[tokio::test]
async fn a_person_may_see_times_in_their_own_time_zone() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let shown = || async {
        let (_, audit) = app.page("/dashboard/team/audit").await;
        let start = audit
            .find(r#"<time datetime="2026-11-25T10:30:00Z" title=""#)
            .expect("a time")
            + 45;
        audit[start..start + audit[start..].find('"').unwrap()].to_string()
    };
    assert_eq!(shown().await, "2026-11-25 10:30 UTC", "the org's zone (UTC) by default");
    let res = app
        .submit(
            "/dashboard/account",
            "/dashboard/account/time-zone",
            &[("time_zone", "Mars/Olympus")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Choose a time zone from the list."));
    let res = app
        .submit(
            "/dashboard/account",
            "/dashboard/account/time-zone",
            &[("time_zone", "America/New_York")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(shown().await, "2026-11-25 05:30 EST");
    app.submit(
        "/dashboard/account",
        "/dashboard/account/time-zone",
        &[("time_zone", "")],
    )
    .await;
    assert_eq!(shown().await, "2026-11-25 10:30 UTC", "back to the organisation's");
}

#[tokio::test]
async fn the_favicon_exists() {
    let app = TestApp::spawn().await;
    let res = app.get("/favicon.ico").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/svg+xml");
    assert!(res.headers()["cache-control"].to_str().unwrap().contains("max-age"));
    let body = res.text().await.unwrap();
    assert!(body.contains("<svg"), "the logo: {body}");
}

#[tokio::test]
async fn error_pages_know_who_is_signed_in() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let (status, html) = app.page("/no/such/page").await;
    assert_eq!(status, 404);
    assert!(
        html.contains("href=\"/dashboard\""),
        "the header offers the dashboard: {html}"
    );
    assert!(!html.contains("href=\"/login\""), "not sign-in");
    let stranger = crate::helpers::client();
    let html = app.page_as(&stranger, "/no/such/page").await;
    assert!(html.contains("href=\"/login\"") && !html.contains("href=\"/dashboard\""));
}

#[tokio::test]
async fn the_home_page_says_what_to_do_next_for_each_visitor() {
    let app = TestApp::spawn().await;
    let (_, fresh) = app.page("/").await;
    assert!(
        fresh.contains("id=\"setup-pending\""),
        "a fresh instance says where the setup link is"
    );
    assert!(fresh.contains("one-time setup link"), "{fresh}");
    assert!(!fresh.contains("href=\"/readyz\""), "no raw JSON link for people");
    app.set_up("owner@shop.test", "Atelier").await;
    let (_, owner) = app.page("/").await;
    assert!(!owner.contains("id=\"setup-pending\""));
    assert!(
        owner.contains("<a class=\"button\" href=\"/dashboard\">Go to your dashboard</a>"),
        "{owner}"
    );
    let stranger = crate::helpers::client();
    let html = app.page_as(&stranger, "/").await;
    assert!(html.contains("href=\"/login\"") && html.contains("href=\"/register\""));
    assert!(!html.contains("Go to your dashboard"));
}
