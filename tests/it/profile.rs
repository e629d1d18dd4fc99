//! A person changes their own name, address and password from
//! `/dashboard/account`, with a real SMTP server taking the mails.

use crate::helpers::{PASSWORD, Received, SmtpServer, Spawn, TestApp, client, csrf_token};

const ACCOUNT: &str = "/dashboard/account";

async fn shop_with_mail() -> (TestApp, SmtpServer) {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(Spawn {
        smtp_url: Some(smtp.url()),
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    (app, smtp)
}

/// The first mail to `to` whose subject starts with `subject`, waiting for it.
async fn mail_to(app: &TestApp, smtp: &SmtpServer, to: &str, subject: &str) -> Received {
    let found = |m: &Received| m.to == [to] && m.subject().starts_with(subject);
    assert!(
        app.eventually(|| smtp.received().iter().any(found)).await,
        "a mail \"{subject}\" reaches {to}; got {:?}",
        smtp.received()
            .iter()
            .map(|m| (m.to.clone(), m.subject()))
            .collect::<Vec<_>>()
    );
    smtp.received().into_iter().find(found).unwrap()
}

/// The path of the first link to `prefix` in a mail's text.
fn link(mail: &Received, prefix: &str) -> String {
    let text = mail.part("text/plain").unwrap();
    let start = text.find(prefix).expect("the mail holds the link");
    text[start..].split_whitespace().next().unwrap().to_string()
}

async fn ask_for_address(app: &TestApp, new: &str, password: &str) -> reqwest::Response {
    let fields = [("new_email", new), ("email_password", password)];
    app.submit(ACCOUNT, "/dashboard/account/email", &fields).await
}

async fn change_password(app: &TestApp, current: &str, new: &str) -> reqwest::Response {
    let fields = [("current_password", current), ("new_password", new)];
    app.submit(ACCOUNT, "/dashboard/account/password", &fields).await
}

async fn sign_in_status(app: &TestApp, email: &str, password: &str) -> u16 {
    let visitor = client();
    let page = app.page_as(&visitor, "/login").await;
    let token = csrf_token(&page);
    let res = visitor
        .post(app.url("/login"))
        .form(&[("csrf_token", token.as_str()), ("email", email), ("password", password)])
        .send()
        .await
        .unwrap();
    res.status().as_u16()
}

async fn user_email(app: &TestApp) -> String {
    app.db
        .read(|c| Ok(c.query_row("SELECT email FROM users WHERE name = 'Olivia Owner'", [], |r| r.get(0))?))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_new_address_is_confirmed_by_the_link_sent_to_it_and_the_old_one_is_told() {
    let (app, smtp) = shop_with_mail().await;
    app.add_member("lea@shop.test", "Léa", "member").await;
    let change = |new, password| ask_for_address(&app, new, password);

    for (new, password, says) in [
        (
            "not an address",
            PASSWORD,
            "Enter an email address like name@example.com.",
        ),
        ("OWNER@shop.test", PASSWORD, "This is already your address."),
        ("olivia@atelier.test", "not-my-password", "This is not your password."),
        ("lea@shop.test", PASSWORD, "Another account uses this address."),
    ] {
        let res = change(new, password).await;
        assert_eq!(res.status(), 422, "{new} is refused");
        let page = res.text().await.unwrap();
        assert!(page.contains(says), "{new}: the form says {says:?}");
        assert!(page.contains("id=\"f-new_email\""), "the form is shown again");
    }
    assert_eq!(app.count("SELECT count(*) FROM email_changes").await, 0);

    let res = change("olivia@atelier.test", PASSWORD).await;
    assert_eq!(res.status(), 303);
    let (_, page) = app.page(ACCOUNT).await;
    assert!(page.contains("A confirmation link is on its way to olivia@atelier.test"));
    assert!(page.contains("Waiting for the link sent to olivia@atelier.test"));
    assert_eq!(
        user_email(&app).await,
        "owner@shop.test",
        "nothing changes before the link"
    );

    let mail = mail_to(&app, &smtp, "olivia@atelier.test", "Confirm your new Luneo address").await;
    assert!(mail.part("text/plain").unwrap().contains("instead of owner@shop.test"));
    let path = link(&mail, "/account/email/confirm/");

    // The link may be opened anywhere, signed in or not; opening it changes nothing.
    let phone = client();
    let page = app.page_as(&phone, &path).await;
    assert!(page.contains("Use olivia@atelier.test to sign in to Luneo from now on."));
    assert_eq!(user_email(&app).await, "owner@shop.test");
    let res = app.submit_as(&phone, &path, &path, &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(user_email(&app).await, "olivia@atelier.test");

    let told = mail_to(&app, &smtp, "owner@shop.test", "Your Luneo address was changed").await;
    assert!(told.part("text/plain").unwrap().contains("is now olivia@atelier.test"));
    mail_to(&app, &smtp, "olivia@atelier.test", "Your address was changed").await;
    let audit = app.audited("user.email_changed").await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["from"], "owner@shop.test");
    assert_eq!(audit[0]["to"], "olivia@atelier.test");

    assert_eq!(sign_in_status(&app, "olivia@atelier.test", PASSWORD).await, 303);
    assert_eq!(sign_in_status(&app, "owner@shop.test", PASSWORD).await, 422);
    let again = app.page_as(&phone, &path).await;
    assert!(again.contains("has been used already"), "a link works once");
    let res = app.submit_as(&phone, &path, &path, &[]).await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn a_cancelled_or_expired_change_of_address_leaves_the_address_alone() {
    let (app, smtp) = shop_with_mail().await;
    let ask = |new| ask_for_address(&app, new, PASSWORD);
    assert_eq!(ask("first@atelier.test").await.status(), 303);
    let first = link(
        &mail_to(&app, &smtp, "first@atelier.test", "Confirm").await,
        "/account/email/confirm/",
    );
    let res = app.submit(ACCOUNT, "/dashboard/account/email/cancel", &[]).await;
    assert_eq!(res.status(), 303);
    let (_, page) = app.page(&first).await;
    assert!(
        page.contains("This link does not work"),
        "a cancelled change has no link"
    );

    assert_eq!(ask("second@atelier.test").await.status(), 303);
    let second = link(
        &mail_to(&app, &smtp, "second@atelier.test", "Confirm").await,
        "/account/email/confirm/",
    );
    app.clock.advance(3 * 86_400 + 1);
    let (_, page) = app.page(&second).await;
    assert!(page.contains("has expired (after three days)"));
    let visitor = client();
    let html = app.page_as(&visitor, "/login").await;
    let res = visitor
        .post(app.url(&second))
        .form(&[("csrf_token", csrf_token(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(user_email(&app).await, "owner@shop.test");
}

#[tokio::test]
async fn a_new_password_needs_the_current_one_and_signs_out_the_other_sessions() {
    let (app, smtp) = shop_with_mail().await;
    let laptop = app.signed_in("owner@shop.test").await;
    let change = |current, new| change_password(&app, current, new);

    let res = change("not-my-password", "lantern-orchard-57-violin").await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("This is not your password."));
    assert!(!page.contains("lantern-orchard"), "passwords are never echoed");
    let res = change(PASSWORD, "12345678901").await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text().await.unwrap().contains("too easy to guess"),
        "the registration rules apply"
    );
    let res = change(PASSWORD, "olivia owner").await;
    assert_eq!(res.status(), 422);
    assert_eq!(laptop.get(app.url("/dashboard")).send().await.unwrap().status(), 200);

    let new_password = "lantern-orchard-57-violin";
    let res = change(PASSWORD, new_password).await;
    assert_eq!(res.status(), 303);
    let (status, page) = app.page(ACCOUNT).await;
    assert_eq!(status, 200, "this session stays signed in");
    assert!(page.contains("Your password is changed; 1 other sessions were signed out."));
    assert_eq!(
        laptop.get(app.url("/dashboard")).send().await.unwrap().status(),
        303,
        "the other session is signed out"
    );
    assert_eq!(sign_in_status(&app, "owner@shop.test", PASSWORD).await, 422);
    assert_eq!(sign_in_status(&app, "owner@shop.test", new_password).await, 303);
    assert_eq!(app.audited("user.password_changed").await[0]["sessions_ended"], 1);
    let notice = mail_to(&app, &smtp, "owner@shop.test", "Your password was changed").await;
    assert!(
        notice
            .part("text/plain")
            .unwrap()
            .contains("other sessions were signed out")
    );
}

#[tokio::test]
async fn a_person_renames_themselves_and_the_change_is_audited_and_told() {
    let (app, _smtp) = shop_with_mail().await;
    let res = app
        .submit(ACCOUNT, "/dashboard/account/name", &[("full_name", "   ")])
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Enter your name."));
    let long = "x".repeat(101);
    let res = app
        .submit(ACCOUNT, "/dashboard/account/name", &[("full_name", &long)])
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("100 characters or fewer"));

    let res = app
        .submit(
            ACCOUNT,
            "/dashboard/account/name",
            &[("full_name", " Olivia <Martin> ")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, page) = app.page(ACCOUNT).await;
    assert!(page.contains("value=\"Olivia &#60;Martin&#62;\"") || page.contains("value=\"Olivia &lt;Martin&gt;\""));
    let audit = app.audited("user.name_changed").await;
    assert_eq!(
        (audit[0]["from"].as_str(), audit[0]["to"].as_str()),
        (Some("Olivia Owner"), Some("Olivia <Martin>"))
    );
    let (_, inbox) = app.page("/dashboard/notifications").await;
    assert!(inbox.contains("Your name was changed"), "{inbox}");
}
