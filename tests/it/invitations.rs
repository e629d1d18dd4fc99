//! Invitations end to end: the mail read from a real SMTP server, the link
//! followed by a second person, and every rule of the team around it.

use crate::helpers::{PASSWORD, SmtpServer, Spawn, TestApp, csrf_token};

fn link_in(text: &str) -> String {
    let start = text
        .find("http://127.0.0.1:8000/invitations/")
        .expect("the mail has the invitation link");
    let end = text[start..]
        .find(char::is_whitespace)
        .map(|e| start + e)
        .unwrap_or(text.len());
    text[start..end].trim_start_matches("http://127.0.0.1:8000").to_string()
}

async fn app_with_smtp() -> (TestApp, SmtpServer) {
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with(Spawn {
        smtp_url: Some(smtp.url()),
        ..Spawn::default()
    })
    .await;
    app.set_up("owner@shop.test", "Atelier").await;
    (app, smtp)
}

#[tokio::test]
async fn an_invited_colleague_joins_with_a_new_account_and_the_audit_log_shows_every_step() {
    let (app, smtp) = app_with_smtp().await;
    let res = app
        .submit(
            "/dashboard/team",
            "/dashboard/team/invite",
            &[("email", "colin@shop.test"), ("role", "member")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, team) = app.page("/dashboard/team").await;
    assert!(team.contains("Invitation sent to colin@shop.test."));
    assert!(
        team.contains("<th scope=\"row\">colin@shop.test</th>"),
        "listed as pending"
    );

    assert!(app.eventually(|| smtp.received().len() == 1).await);
    let mail = &smtp.received()[0];
    assert_eq!(mail.to, ["colin@shop.test"]);
    assert_eq!(mail.subject(), "Join Atelier on Luneo");
    let text = mail.part("text/plain").unwrap();
    assert!(
        text.contains("Olivia Owner invited you to join Atelier on Luneo as Member."),
        "{text}"
    );
    let path = link_in(&text);

    let colin = crate::helpers::client();
    let page = app.page_as(&colin, &path).await;
    assert!(page.contains("Join Atelier on Luneo") && page.contains("colin@shop.test"));
    let token = csrf_token(&page);
    let weak = colin
        .post(app.url(&path))
        .form(&[("csrf_token", token.as_str()), ("name", "Colin"), ("password", "short")])
        .send()
        .await
        .unwrap();
    assert_eq!(weak.status(), 422);
    assert!(weak.text().await.unwrap().contains("Use at least 10 characters."));
    let res = colin
        .post(app.url(&path))
        .form(&[
            ("csrf_token", token.as_str()),
            ("name", "Colin Colleague"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/dashboard");
    let team = app.page_as(&colin, "/dashboard/team").await;
    assert!(team.contains("Colin Colleague") && team.contains("Olivia Owner"));
    assert!(
        !team.contains("action=\"/dashboard/team/invite\""),
        "a member gets no invitation form"
    );
    let me: serde_json::Value = app.json_as(&colin, "/api/v1/me").await;
    assert_eq!(me["role"], "member");

    // The link works once.
    let again = crate::helpers::client()
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(again.contains("This invitation does not work"));

    let (_, audit) = app.page("/dashboard/team/audit").await;
    for action in [
        "member.invited",
        "member.added",
        "invitation.accepted",
        "user.signed_in",
        "org.created",
    ] {
        assert!(audit.contains(action), "{action} in the audit log");
    }
}

#[tokio::test]
async fn an_existing_account_signs_in_then_joins() {
    let (app, smtp) = app_with_smtp().await;
    let (code, _, err) = app.cli(
        &[
            "user",
            "add",
            "--email",
            "dana@other.test",
            "--name",
            "Dana",
            "--org",
            "Other",
        ],
        &[("LUNEO_PASSWORD", PASSWORD)],
    );
    assert_eq!(code, 0, "{err}");
    app.submit(
        "/dashboard/team",
        "/dashboard/team/invite",
        &[("email", "dana@other.test"), ("role", "viewer")],
    )
    .await;
    assert!(app.eventually(|| smtp.received().len() == 1).await);
    let path = link_in(&smtp.received()[0].part("text/plain").unwrap());
    let dana = crate::helpers::client();
    let res = app.submit_as(&dana, &path, &path, &[]).await;
    assert_eq!(res.status(), 303);
    let login = res.headers()["location"].to_str().unwrap().to_string();
    assert!(login.starts_with("/login?next=%2Finvitations%2F"), "{login}");
    let res = app
        .submit_as(
            &dana,
            &login,
            "/login",
            &[
                ("next", path.as_str()),
                ("email", "dana@other.test"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.headers()["location"], path.as_str());
    let page = app.page_as(&dana, &path).await;
    assert!(page.contains("Join the organisation"));
    let res = app.submit_as(&dana, &path, &path, &[]).await;
    assert_eq!(res.status(), 303);
    let dash = app.page_as(&dana, "/dashboard").await;
    assert!(
        dash.contains("<h1>Atelier</h1>"),
        "the session moved to the org just joined"
    );
    assert!(dash.contains("Other"), "both orgs are in the switcher");
}

#[tokio::test]
async fn invitations_are_refused_with_a_message_for_members_duplicates_and_full_seats() {
    let (app, _smtp) = app_with_smtp().await;
    let res = app
        .submit(
            "/dashboard/team",
            "/dashboard/team/invite",
            &[("email", "owner@shop.test"), ("role", "member")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("This person is already a member of the organisation."));
    assert!(html.contains("value=\"owner@shop.test\""), "the typed address is kept");

    assert_eq!(
        app.submit(
            "/dashboard/team",
            "/dashboard/team/invite",
            &[("email", "a@shop.test"), ("role", "member")]
        )
        .await
        .status(),
        303
    );
    let res = app
        .submit(
            "/dashboard/team",
            "/dashboard/team/invite",
            &[("email", "A@shop.test"), ("role", "viewer")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("already has a pending invitation"));

    app.db
        .write(|tx| Ok(tx.execute("UPDATE orgs SET seat_limit = 2", [])?))
        .await
        .unwrap();
    let res = app
        .submit(
            "/dashboard/team",
            "/dashboard/team/invite",
            &[("email", "b@shop.test"), ("role", "member")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("All the seats of your plan are taken")
    );

    // Revoking frees the seat; the revoked link stops working.
    let id: String = app
        .db
        .read(|c| {
            Ok(
                c.query_row("SELECT id FROM invitations WHERE email = 'a@shop.test'", [], |r| {
                    r.get(0)
                })?,
            )
        })
        .await
        .unwrap();
    let res = app
        .submit(
            "/dashboard/team",
            &format!("/dashboard/team/invitations/{id}/revoke"),
            &[],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        app.submit(
            "/dashboard/team",
            "/dashboard/team/invite",
            &[("email", "b@shop.test"), ("role", "member")]
        )
        .await
        .status(),
        303
    );
}

#[tokio::test]
async fn resending_replaces_the_link_and_the_last_owner_stays_owner() {
    let (app, smtp) = app_with_smtp().await;
    app.submit(
        "/dashboard/team",
        "/dashboard/team/invite",
        &[("email", "e@shop.test"), ("role", "admin")],
    )
    .await;
    assert!(app.eventually(|| smtp.received().len() == 1).await);
    let first = link_in(&smtp.received()[0].part("text/plain").unwrap());
    let id: String = app
        .db
        .read(|c| Ok(c.query_row("SELECT id FROM invitations", [], |r| r.get(0))?))
        .await
        .unwrap();
    assert_eq!(
        app.submit(
            "/dashboard/team",
            &format!("/dashboard/team/invitations/{id}/resend"),
            &[]
        )
        .await
        .status(),
        303
    );
    assert!(app.eventually(|| smtp.received().len() == 2).await);
    let second = link_in(&smtp.received()[1].part("text/plain").unwrap());
    assert_ne!(first, second);
    let old = crate::helpers::client()
        .get(app.url(&first))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(old.contains("This invitation does not work"));

    let owner_id: String = app
        .db
        .read(|c| Ok(c.query_row("SELECT id FROM users", [], |r| r.get(0))?))
        .await
        .unwrap();
    let res = app.client.get(app.url("/dashboard/team")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .submit(
            "/dashboard/team",
            &format!("/dashboard/team/members/{owner_id}/role"),
            &[("role", "admin")],
        )
        .await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("at least one owner"));
    let res = app
        .submit(
            "/dashboard/team",
            &format!("/dashboard/team/members/{owner_id}/remove"),
            &[],
        )
        .await;
    assert_eq!(res.status(), 409);
}

#[tokio::test]
async fn members_without_team_manage_cannot_invite_even_by_posting() {
    let (app, _smtp) = app_with_smtp().await;
    app.add_member("m@shop.test", "Max", "member").await;
    let max = app.signed_in("m@shop.test").await;
    let res = app
        .submit_as(
            &max,
            "/dashboard/team",
            "/dashboard/team/invite",
            &[("email", "x@shop.test"), ("role", "admin")],
        )
        .await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("team:manage"));
    let count: i64 = app
        .db
        .read(|c| Ok(c.query_row("SELECT count(*) FROM invitations", [], |r| r.get(0))?))
        .await
        .unwrap();
    assert_eq!(count, 0);
}

#[tokio::test]
async fn ownership_is_transferred_only_with_the_owners_password() {
    let (app, _smtp) = app_with_smtp().await;
    let nina = app.add_member("n@shop.test", "Nina", "admin").await;
    let res = app
        .submit(
            "/dashboard/team",
            "/dashboard/team/transfer",
            &[("user_id", &nina), ("password", "not-my-password")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("This is not your password."));
    let res = app
        .submit(
            "/dashboard/team",
            "/dashboard/team/transfer",
            &[("user_id", &nina), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), 303);
    let roles: Vec<(String, String)> = app
        .db
        .read(|c| {
            let mut s = c.prepare("SELECT u.email, r.key FROM memberships m JOIN users u ON u.id = m.user_id JOIN roles r ON r.id = m.role_id ORDER BY u.email")?;
            Ok(s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?)
        })
        .await
        .unwrap();
    assert_eq!(
        roles,
        [
            ("n@shop.test".to_string(), "owner".to_string()),
            ("owner@shop.test".to_string(), "admin".to_string())
        ]
    );
    let (_, html) = app.page("/dashboard/team").await;
    assert!(html.contains("Ownership was transferred.") && !html.contains("Transfer ownership</button>"));
}

#[tokio::test]
async fn without_smtp_the_confirmation_says_where_the_invitation_mail_was_written() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let res = app
        .submit(
            "/dashboard/team",
            "/dashboard/team/invite",
            &[("email", "colin@shop.test"), ("role", "member")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, team) = app.page("/dashboard/team").await;
    let folder = app.data_dir.path().join("mail");
    assert!(
        team.contains(&format!(
            "Invitation for colin@shop.test written to {}",
            folder.display()
        )),
        "{team}"
    );
    app.settle_outbox().await;
    let written = std::fs::read_dir(&folder).unwrap().count();
    assert_eq!(written, 1, "the mail is there, as the page says");
}

#[tokio::test]
async fn removing_a_member_first_says_what_will_happen_then_does_it() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let max_id = app.add_member("max@shop.test", "Max", "member").await;
    let max = app.signed_in("max@shop.test").await;
    let (_, team) = app.page("/dashboard/team").await;
    let confirm = format!("/dashboard/team/members/{max_id}/remove");
    assert!(
        team.contains(&format!("href=\"{confirm}\"")),
        "the list links to the question, it does not remove at once"
    );
    let (status, page) = app.page(&confirm).await;
    assert_eq!(status, 200);
    assert!(page.contains("Remove Max from Atelier?") && page.contains("What will happen:"));
    assert!(page.contains("Max loses access to Atelier at once"));
    assert!(page.contains("their API tokens for Atelier stop working"));
    assert!(page.contains("class=\"button danger\">Remove Max</button>"));
    assert_eq!(
        max.get(app.url("/dashboard")).send().await.unwrap().status(),
        200,
        "asking changed nothing"
    );

    let res = app.submit(&confirm, &confirm, &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.count("SELECT count(*) FROM memberships").await, 1);
    assert_eq!(app.page(&confirm).await.0, 404, "no longer a member");
    let owner_id: String = app
        .db
        .read(|c| Ok(c.query_row("SELECT id FROM users WHERE email = 'owner@shop.test'", [], |r| r.get(0))?))
        .await
        .unwrap();
    let (status, _) = app.page(&format!("/dashboard/team/members/{owner_id}/remove")).await;
    assert_eq!(status, 404, "nobody is asked to remove themselves");
}
