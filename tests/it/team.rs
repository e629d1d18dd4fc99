//! Organisations, roles and API tokens: what each member may see and do,
//! enforced on the server, and one org never seeing another's data.

use crate::helpers::{PASSWORD, TestApp, csrf_token};

#[tokio::test]
async fn cli_user_add_and_token_create_give_api_access_to_me() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let (code, out, err) = app.cli(
        &[
            "user",
            "add",
            "--email",
            "vera@shop.test",
            "--name",
            "Vera Viewer",
            "--org",
            "atelier",
            "--role",
            "viewer",
        ],
        &[("LUNEO_PASSWORD", PASSWORD)],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("added vera@shop.test to Atelier (atelier) as viewer"),
        "{out}"
    );

    let (code, token, err) = app.cli(
        &["token", "create", "--email", "vera@shop.test", "--name", "script"],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let token = token.trim();
    assert!(
        token.starts_with("luneo_") && !token.contains(char::is_whitespace),
        "printed alone: {token:?}"
    );

    let res = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let me: serde_json::Value = res.json().await.unwrap();
    assert_eq!(me["user"]["email"], "vera@shop.test");
    assert_eq!(me["user"]["name"], "Vera Viewer");
    assert_eq!(me["org"]["slug"], "atelier");
    assert_eq!(me["role"], "viewer");
    let perms: Vec<&str> = me["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        perms.contains(&"orders:view")
            && !perms.contains(&"orders:edit")
            && !perms.iter().any(|p| p.starts_with("billing"))
    );
    assert!(me["user"]["id"].as_str().unwrap().starts_with("usr_"));

    let bad = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth("luneo_forged")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);

    let (code, _, err) = app.cli(
        &[
            "user",
            "add",
            "--email",
            "weak@shop.test",
            "--name",
            "W",
            "--org",
            "New shop",
        ],
        &[("LUNEO_PASSWORD", "password")],
    );
    assert_eq!(code, 1);
    assert!(err.contains("10 characters"), "{err}");
}

#[tokio::test]
async fn a_viewer_sees_only_what_they_may_and_gets_403_naming_the_permission() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    app.add_member("vera@shop.test", "Vera Viewer", "viewer").await;
    let vera = app.signed_in("vera@shop.test").await;
    let dash = app.page_as(&vera, "/dashboard").await;
    assert!(dash.contains(">Team</a>"), "a viewer sees the team");
    assert!(!dash.contains("id=\"first-steps\""), "and no steps they could not take");
    let res = vera.get(app.url("/dashboard/team/audit")).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("You need the permission team:manage")
    );
    let res = vera
        .get(app.url("/dashboard/team/audit"))
        .header("Accept-Language", "fr")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("team:manage"));
    assert_eq!(
        vera.get(app.url("/dashboard/no-such-section"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn a_token_of_one_org_never_reaches_another_and_switching_needs_membership() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let (code, out, err) = app.cli(
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
        &[("LUNEO_PASSWORD", PASSWORD)],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("owner of Other shop (other-shop)"), "{out}");
    let (_, bob_token, _) = app.cli(&["token", "create", "--email", "bob@other.test"], &[]);
    let me: serde_json::Value = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(bob_token.trim())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["org"]["slug"], "other-shop");

    // The owner of Atelier cannot switch into Bob's organisation by naming its id.
    let other_id: String = app
        .db
        .read(|c| Ok(c.query_row("SELECT id FROM orgs WHERE slug = 'other-shop'", [], |r| r.get(0))?))
        .await
        .unwrap();
    let res = app
        .submit("/dashboard", "/dashboard/switch-org", &[("org_id", &other_id)])
        .await;
    assert_eq!(res.status(), 404);
    let (_, html) = app.page("/dashboard").await;
    assert!(html.contains("<h1>Atelier</h1>"));

    // Added to both, the owner can switch, and the token for one org stays there.
    let (code, _, err) = app.cli(
        &[
            "user",
            "add",
            "--email",
            "owner@shop.test",
            "--name",
            "Olivia",
            "--org",
            "other-shop",
            "--role",
            "admin",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = app.cli(&["token", "create", "--email", "owner@shop.test"], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("several organisations"), "{err}");
    let (_, owner_token, _) = app.cli(
        &["token", "create", "--email", "owner@shop.test", "--org", "atelier"],
        &[],
    );
    let res = app
        .submit("/dashboard", "/dashboard/switch-org", &[("org_id", &other_id)])
        .await;
    assert_eq!(res.status(), 303);
    let (_, html) = app.page("/dashboard").await;
    assert!(html.contains("<h1>Other shop</h1>"));
    let me: serde_json::Value = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(owner_token.trim())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["org"]["slug"], "atelier", "the token's org, not the session's");
    assert_eq!(me["role"], "owner");
}

#[tokio::test]
async fn org_settings_are_saved_checked_and_audited() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    app.cli(
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
        &[("LUNEO_PASSWORD", PASSWORD)],
    );
    let (status, html) = app.page("/dashboard/settings").await;
    assert_eq!(status, 200);
    assert!(html.contains("value=\"atelier\"") && html.contains("<option value=\"UTC\" selected>UTC</option>"));
    // The pickers: canonical zones grouped by region with their offset, ISO 4217 currencies.
    assert!(html.contains("<optgroup label=\"Europe\">"));
    assert!(
        html.contains("<option value=\"Europe/Paris\">Paris (UTC+01:00)</option>"),
        "winter offset"
    );
    assert!(!html.contains("GB-Eire") && !html.contains("Asmera"));
    assert!(html.contains("<option value=\"EUR\" selected>EUR — Euro</option>"));
    assert!(html.contains("<option value=\"JPY\">JPY — Japanese yen</option>"));

    let fields = |slug: &'static str, tz: &'static str, cur: &'static str| {
        vec![
            ("name", "Atelier Lune"),
            ("slug", slug),
            ("default_language", "fr"),
            ("time_zone", tz),
            ("currency", cur),
            ("audit_retention_days", "90"),
        ]
    };
    let res = app
        .submit(
            "/dashboard/settings",
            "/dashboard/settings",
            &fields("other-shop", "Mars/Olympus", "euro"),
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("Choose a time zone from the list.") && html.contains("Choose a currency from the list."));
    let res = app
        .submit(
            "/dashboard/settings",
            "/dashboard/settings",
            &fields("other-shop", "Europe/Paris", "EUR"),
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Another organisation uses this slug")
    );
    let res = app
        .submit(
            "/dashboard/settings",
            "/dashboard/settings",
            &fields("atelier-lune", "Europe/Paris", "EUR"),
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, html) = app.page("/dashboard/settings").await;
    assert!(
        html.contains("The settings are saved.")
            && html.contains("value=\"atelier-lune\"")
            && html.contains("<option value=\"Europe/Paris\" selected>Paris (UTC+01:00)</option>")
            && html.contains("<option value=\"EUR\" selected>")
    );
    let (_, audit) = app.page("/dashboard/team/audit?action=org.settings_changed").await;
    assert!(audit.contains("Europe/Paris"));

    app.cli(
        &[
            "user",
            "add",
            "--email",
            "v@shop.test",
            "--name",
            "Vi",
            "--org",
            "atelier-lune",
            "--role",
            "viewer",
        ],
        &[("LUNEO_PASSWORD", PASSWORD)],
    );
    let vi = app.signed_in("v@shop.test").await;
    let page = app.page_as(&vi, "/dashboard/settings").await;
    assert!(page.contains("<fieldset disabled>") && !page.contains("Save settings"));
    let res = app
        .submit_as(
            &vi,
            "/dashboard/settings",
            "/dashboard/settings",
            &[("name", "Hijacked"), ("slug", "hijacked")],
        )
        .await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn a_custom_role_from_the_matrix_decides_what_its_members_may_do() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let res = app
        .submit("/dashboard/team/roles", "/dashboard/team/roles", &[("name", "Admin")])
        .await;
    assert_eq!(res.status(), 422, "preset names are taken");
    let res = app
        .submit(
            "/dashboard/team/roles",
            "/dashboard/team/roles",
            &[("name", "Production")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, html) = app.page("/dashboard/team/roles").await;
    assert!(html.contains("<th scope=\"col\">Production</th>"));
    let role_id: String = app
        .db
        .read(|c| Ok(c.query_row("SELECT id FROM roles WHERE key = 'production'", [], |r| r.get(0))?))
        .await
        .unwrap();
    let res = app
        .submit(
            "/dashboard/team/roles",
            &format!("/dashboard/team/roles/{role_id}"),
            &[
                ("levels[orders]", "manage"),
                ("levels[catalog]", "view"),
                ("levels[team]", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = app
        .submit(
            "/dashboard/team/roles",
            &format!("/dashboard/team/roles/{role_id}"),
            &[("levels[orders]", "godmode")],
        )
        .await;
    assert_eq!(res.status(), 422);

    app.add_member("p@shop.test", "Pat", "production").await;
    let (_, token, _) = app.cli(&["token", "create", "--email", "p@shop.test"], &[]);
    let me: serde_json::Value = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(token.trim())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "production");
    let perms: Vec<&str> = me["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(perms, ["catalog:view", "orders:view", "orders:edit", "orders:manage"]);
    let res = app
        .client
        .get(app.url("/api/v1/members"))
        .bearer_auth(token.trim())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "no team access");

    let res = app
        .submit(
            "/dashboard/team/roles",
            &format!("/dashboard/team/roles/{role_id}/delete"),
            &[],
        )
        .await;
    assert_eq!(res.status(), 409);
    let builtin: String = app
        .db
        .read(|c| Ok(c.query_row("SELECT id FROM roles WHERE key = 'viewer'", [], |r| r.get(0))?))
        .await
        .unwrap();
    let res = app
        .submit(
            "/dashboard/team/roles",
            &format!("/dashboard/team/roles/{builtin}"),
            &[("levels[billing]", "manage")],
        )
        .await;
    assert_eq!(res.status(), 404, "presets are not edited");
}

#[tokio::test]
async fn a_logo_is_checked_by_its_content_stored_once_and_served() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let app = &app;
    let upload = |name: &'static str, bytes: Vec<u8>| async move {
        let (_, html) = app.page("/dashboard/settings").await;
        let token = csrf_token(&html);
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", token)
            .part("logo", reqwest::multipart::Part::bytes(bytes).file_name(name));
        app.client
            .post(app.url("/dashboard/settings/logo"))
            .multipart(form)
            .send()
            .await
            .unwrap()
    };
    let res = upload("logo.png", b"<script>alert(1)</script>".to_vec()).await;
    assert_eq!(res.status(), 422, "a name is not a type");
    assert!(res.text().await.unwrap().contains("Use a PNG, JPEG or WebP image."));
    let res = upload("huge.png", vec![0u8; 3 * 1024 * 1024]).await;
    assert_eq!(res.status(), 422);

    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0".to_vec();
    png.extend_from_slice(&[0x1f, 0x15, 0xc4, 0x89]);
    let res = upload("logo.png", png.clone()).await;
    assert_eq!(res.status(), 303);
    let (_, html) = app.page("/dashboard/settings").await;
    let start = html.find("src=\"/files/").expect("the logo is shown") + 5;
    let path = &html[start..start + html[start..].find('"').unwrap()];
    let res = app.get(path).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert!(res.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    assert_eq!(res.bytes().await.unwrap().as_ref(), png.as_slice());
    assert_eq!(app.get("/files/not-a-hash").await.status(), 404);
    // Without the CSRF token, even a multipart upload changes nothing.
    let form = reqwest::multipart::Form::new().part("logo", reqwest::multipart::Part::bytes(png).file_name("x.png"));
    assert_eq!(
        app.client
            .post(app.url("/dashboard/settings/logo"))
            .multipart(form)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
}
