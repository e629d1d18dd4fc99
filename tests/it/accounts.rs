//! Accounts as people meet them: first-run setup, registration with the
//! verification mail read from a real SMTP server, sign in and out,
//! sessions, and the dashboard's door.

use crate::helpers::{PASSWORD, SmtpServer, Spawn, TestApp, csrf_token};

/// The first link to this instance found in a mail's text.
fn link_in(text: &str, base: &str) -> String {
    let start = text.find(base).expect("the mail has a link");
    let end = text[start..]
        .find(char::is_whitespace)
        .map(|e| start + e)
        .unwrap_or(text.len());
    text[start..end].trim_start_matches(base).to_string()
}

#[tokio::test]
async fn setup_creates_the_owner_once_and_then_is_gone() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/setup").await.status(), 404, "setup needs the printed token");
    assert_eq!(app.get("/setup?token=guess").await.status(), 404);
    let token = app.setup_token.clone().unwrap();
    let (status, html) = app.page(&format!("/setup?token={token}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("<label for=\"f-email\">Email address</label>"), "{html}");

    app.set_up("owner@shop.test", "Atelier <script>alert(1)</script>").await;
    let (status, html) = app.page("/dashboard").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Atelier &#60;script&#62;alert(1)&#60;/script&#62;"),
        "names are escaped: {html}"
    );
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("Olivia Owner"));
    for section in ["Team", "Settings", "Notifications"] {
        assert!(html.contains(&format!(">{section}</a>")), "the sidebar lists {section}");
    }

    let other = crate::helpers::client();
    for client in [&app.client, &other] {
        let res = client
            .get(app.url(&format!("/setup?token={token}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 410, "setup is gone");
        let html = res.text().await.unwrap();
        assert!(html.contains("Luneo is set up"), "{html}");
        assert!(html.contains("href=\"/login\""), "it offers sign-in");
        assert!(!html.contains("name=\"token\""), "and no setup form");
    }
}

#[tokio::test]
async fn the_dashboard_sends_strangers_to_sign_in_and_back() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let stranger = crate::helpers::client();
    let res = stranger.get(app.url("/dashboard/team?view=late")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        "/login?next=%2Fdashboard%2Fteam%3Fview%3Dlate"
    );
    let login = stranger
        .get(app.url("/login?next=%2Fdashboard%2Fteam%3Fview%3Dlate"))
        .send()
        .await
        .unwrap();
    assert!(
        login
            .text()
            .await
            .unwrap()
            .contains("name=\"next\" value=\"/dashboard/team?view=late\"")
    );
    let res = stranger.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["content-type"], "application/problem+json");

    // Signing in from that page goes back where the person was going.
    let login = app.page_as(&stranger, "/login?next=/dashboard/team").await;
    assert!(login.contains("name=\"next\" value=\"/dashboard/team\""));
    let res = app
        .submit_as(
            &stranger,
            "/login?next=/dashboard/team",
            "/login",
            &[
                ("next", "/dashboard/team"),
                ("email", "owner@shop.test"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/dashboard/team");
    let page = stranger.get(app.url("/dashboard/team")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<h1>Team</h1>"));
}

#[tokio::test]
async fn a_wrong_password_keeps_the_email_and_says_what_is_wrong_without_telling_which() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let other = crate::helpers::client();
    let page = app.page_as(&other, "/login").await;
    let token = csrf_token(&page);
    let mut answers = vec![];
    for email in ["owner@shop.test", "nobody@shop.test"] {
        let res = other
            .post(app.url("/login"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("email", email),
                ("password", "not-the-password"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422);
        let html = res.text().await.unwrap();
        assert!(html.contains(&format!("value=\"{email}\"")), "the email is kept");
        assert!(html.contains("The email address or the password is wrong."));
        assert!(html.contains("aria-invalid=\"true\""));
        answers.push(html.replace(email, "EMAIL").replace(&token, ""));
    }
    assert_eq!(
        answers[0], answers[1],
        "the answer does not reveal whether the account exists"
    );
}

#[tokio::test]
async fn signing_in_rotates_the_session_and_signing_out_ends_it() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let first = app
        .db
        .read(|c| Ok(c.query_row("SELECT token_hash FROM sessions", [], |r| r.get::<_, String>(0))?))
        .await
        .unwrap();
    let res = app.sign_in("owner@shop.test", PASSWORD).await;
    assert_eq!(res.status(), 303);
    let hashes: Vec<String> = app
        .db
        .read(|c| {
            let mut s = c.prepare("SELECT token_hash FROM sessions")?;
            Ok(s.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?)
        })
        .await
        .unwrap();
    assert_eq!(hashes.len(), 1, "the old session was revoked");
    assert_ne!(hashes[0], first, "a new token was issued");

    let res = app.submit("/dashboard", "/logout", &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login");
    assert_eq!(app.get("/dashboard").await.status(), 303, "signed out");
    let left: i64 = app
        .db
        .read(|c| Ok(c.query_row("SELECT count(*) FROM sessions", [], |r| r.get(0))?))
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn register_then_verify_from_the_mail_signs_in_to_the_dashboard() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(Spawn {
        smtp_url: Some(smtp.url()),
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    let visitor = crate::helpers::client();
    let page = app.page_as(&visitor, "/register").await;
    let token = csrf_token(&page);
    let form = [
        ("csrf_token", token.as_str()),
        ("name", "Chloé Client"),
        ("email", "chloe@mugs.test"),
        ("password", PASSWORD),
        ("org_name", "Mugs & Co"),
    ];
    let res = visitor.post(app.url("/register")).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/register/check-mail");
    assert!(
        res.headers()
            .get("set-cookie")
            .is_none_or(|c| !c.to_str().unwrap().contains("luneo_session"))
    );

    assert!(
        app.eventually(|| smtp.received().len() == 1).await,
        "the verification mail arrives"
    );
    let mail = &smtp.received()[0];
    assert_eq!(mail.to, ["chloe@mugs.test"]);
    assert_eq!(mail.subject(), "Confirm your email address");
    let text = mail.part("text/plain").unwrap();
    assert!(text.contains("Hello Chloé Client,"));
    let path = link_in(&text, "http://127.0.0.1:8000");
    assert!(path.starts_with("/verify-email/"), "{path}");

    let confirm = app.page_as(&visitor, &path).await;
    assert!(confirm.contains("Confirm my address"));
    let res = app.submit_as(&visitor, &path, &path, &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/dashboard");
    let dash = app.page_as(&visitor, "/dashboard").await;
    assert!(
        dash.contains("Mugs &#38; Co") || dash.contains("Mugs &amp; Co"),
        "{dash}"
    );
    assert!(dash.contains("Your address is confirmed"));
    assert!(!dash.contains("id=\"unverified\""), "no unconfirmed-address banner");

    // The link works once.
    let again = app.page_as(&visitor, &path).await;
    assert!(again.contains("This link does not work"));

    let actions: Vec<String> = app
        .db
        .read(|c| {
            let mut s = c.prepare(
                "SELECT action FROM audit_log WHERE org_id = (SELECT id FROM orgs WHERE slug = 'mugs-co') ORDER BY id",
            )?;
            Ok(s.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?)
        })
        .await
        .unwrap();
    assert_eq!(
        actions,
        [
            "org.created",
            "member.added",
            "user.registered",
            "user.email_verified",
            "user.signed_in"
        ]
    );
}

#[tokio::test]
async fn registering_a_taken_address_answers_the_same_and_mails_the_owner() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(Spawn {
        smtp_url: Some(smtp.url()),
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    let visitor = crate::helpers::client();
    let res = app
        .submit_as(
            &visitor,
            "/register",
            "/register",
            &[
                ("name", "Mallory"),
                ("email", "OWNER@shop.test"),
                ("password", PASSWORD),
                ("org_name", "Copycat"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/register/check-mail");
    assert!(app.eventually(|| smtp.received().len() == 1).await);
    let mail = &smtp.received()[0];
    assert_eq!(mail.to, ["owner@shop.test"]);
    assert_eq!(mail.subject(), "You already have an account");
    let users: i64 = app
        .db
        .read(|c| Ok(c.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?))
        .await
        .unwrap();
    let orgs: i64 = app
        .db
        .read(|c| Ok(c.query_row("SELECT count(*) FROM orgs", [], |r| r.get(0))?))
        .await
        .unwrap();
    assert_eq!((users, orgs), (1, 1), "nothing was created");
}

#[tokio::test]
async fn bad_registration_input_is_shown_beside_each_field_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let visitor = crate::helpers::client();
    let res = app
        .submit_as(
            &visitor,
            "/register",
            "/register",
            &[
                ("name", "<b>Eve</b>"),
                ("email", "not-an-address"),
                ("password", "password123"),
                ("org_name", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("value=\"&#60;b&#62;Eve&#60;/b&#62;\""),
        "the name is kept, escaped: {html}"
    );
    assert!(html.contains("id=\"f-email-error\">Enter an email address like name@example.com."));
    assert!(html.contains("id=\"f-password-error\">This password is too easy to guess"));
    assert!(html.contains("id=\"f-org_name-error\">Enter a shop name."));
    assert!(html.contains("<a href=\"#f-email\">"), "the summary links to the field");
    assert!(!html.contains("password123"), "the password is not sent back");
    let users: i64 = app
        .db
        .read(|c| Ok(c.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?))
        .await
        .unwrap();
    assert_eq!(users, 1);
}

#[tokio::test]
async fn an_unverified_member_can_ask_for_the_link_again_within_limits() {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(Spawn {
        smtp_url: Some(smtp.url()),
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    let visitor = crate::helpers::client();
    app.submit_as(
        &visitor,
        "/register",
        "/register",
        &[
            ("name", "Uma"),
            ("email", "uma@mugs.test"),
            ("password", PASSWORD),
            ("org_name", "Mugs"),
        ],
    )
    .await;
    assert!(app.eventually(|| smtp.received().len() == 1).await);
    app.submit_as(
        &visitor,
        "/login",
        "/login",
        &[("email", "uma@mugs.test"), ("password", PASSWORD)],
    )
    .await;
    let dash = app.page_as(&visitor, "/dashboard").await;
    assert!(dash.contains("id=\"unverified\"") && dash.contains("Send the link again"));
    let mut statuses = vec![];
    for _ in 0..4 {
        let res = app
            .submit_as(&visitor, "/dashboard", "/dashboard/account/verify/resend", &[])
            .await;
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, [303, 303, 303, 429]);
    assert!(
        app.eventually(|| smtp.received().len() == 4).await,
        "three more links were sent"
    );
}

#[tokio::test]
async fn a_signed_in_persons_language_is_kept_with_their_account() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let res = app
        .submit("/dashboard", "/language", &[("lang", "fr"), ("next", "/dashboard")])
        .await;
    assert_eq!(res.status(), 303);
    // Another browser, with no language cookie and an English Accept-Language, signs in.
    let other = crate::helpers::client();
    let page = other
        .get(app.url("/login"))
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<html lang=\"en\">"));
    let token = csrf_token(&page);
    other
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "owner@shop.test"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let dash = other
        .get(app.url("/dashboard"))
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        dash.contains("<html lang=\"fr\">") && dash.contains("Vue d’ensemble"),
        "{dash}"
    );
}
