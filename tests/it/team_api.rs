//! The team API (members, invitations, audit log) and tenant isolation:
//! another organisation's ids answer 404 on every org-scoped route.

use crate::helpers::{PASSWORD, TestApp};
use luneo::db::time::Clock;
use serde_json::{Value, json};

struct Api<'a> {
    app: &'a TestApp,
    token: String,
}

impl Api<'_> {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .app
            .client
            .request(method, self.app.url(path))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

async fn two_shops() -> (TestApp, String, String) {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
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
        &[("LUNEO_PASSWORD", PASSWORD)],
    );
    assert_eq!(code, 0, "{err}");
    let (_, a, _) = app.cli(&["token", "create", "--email", "owner@shop.test"], &[]);
    let (_, b, _) = app.cli(&["token", "create", "--email", "bob@other.test"], &[]);
    (app, a.trim().to_string(), b.trim().to_string())
}

#[tokio::test]
async fn members_and_invitations_through_the_api() {
    let (app, token, _) = two_shops().await;
    let api = Api { app: &app, token };
    let (status, invitation) = api
        .call(
            reqwest::Method::POST,
            "/api/v1/invitations",
            Some(json!({"email": "new@shop.test", "role": "viewer"})),
        )
        .await;
    assert_eq!(status, 201, "{invitation}");
    assert_eq!(invitation["email"], "new@shop.test");
    assert_eq!(invitation["status"], "pending");
    assert!(invitation["id"].as_str().unwrap().starts_with("inv_"));
    assert!(invitation["expires_at"].as_str().unwrap().ends_with('Z'));

    let (status, problem) = api
        .call(
            reqwest::Method::POST,
            "/api/v1/invitations",
            Some(json!({"email": "nope", "role": "viewer"})),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["field"], "email");
    assert_eq!(
        problem["errors"][0]["message"],
        "Enter an email address like name@example.com."
    );
    let (status, problem) = api
        .call(
            reqwest::Method::POST,
            "/api/v1/invitations",
            Some(json!({"email": "x@shop.test", "role": "wizard"})),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["field"], "role");

    let (status, list) = api.call(reqwest::Method::GET, "/api/v1/invitations", None).await;
    assert_eq!(status, 200);
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(list["next_cursor"], Value::Null);
    let id = invitation["id"].as_str().unwrap();
    assert_eq!(
        api.call(reqwest::Method::DELETE, &format!("/api/v1/invitations/{id}"), None)
            .await
            .0,
        204
    );
    assert_eq!(
        api.call(reqwest::Method::DELETE, &format!("/api/v1/invitations/{id}"), None)
            .await
            .0,
        404
    );

    app.add_member("m@shop.test", "Max", "member").await;
    let (status, members) = api.call(reqwest::Method::GET, "/api/v1/members?limit=1", None).await;
    assert_eq!(status, 200);
    assert_eq!(members["data"].as_array().unwrap().len(), 1);
    let cursor = members["next_cursor"].as_str().expect("a second page").to_string();
    let (_, rest) = api
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/members?limit=1&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(rest["data"].as_array().unwrap().len(), 1);
    let max = [&members["data"][0], &rest["data"][0]]
        .into_iter()
        .find(|m| m["email"] == "m@shop.test")
        .unwrap()
        .clone();
    let max_id = max["id"].as_str().unwrap();
    let (status, changed) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/members/{max_id}"),
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["role"], "admin");
    assert_eq!(
        api.call(reqwest::Method::DELETE, &format!("/api/v1/members/{max_id}"), None)
            .await
            .0,
        204
    );

    let (status, log) = api
        .call(reqwest::Method::GET, "/api/v1/audit-log?action=member", None)
        .await;
    assert_eq!(status, 200);
    let actions: Vec<&str> = log["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "member.removed",
            "member.role_changed",
            "member.added",
            "member.invited",
            "member.added"
        ]
    );
    assert_eq!(log["data"][0]["actor"]["type"], "api_token");
}

#[tokio::test]
async fn another_orgs_ids_answer_404_everywhere() {
    let (app, token_a, token_b) = two_shops().await;
    let a = Api {
        app: &app,
        token: token_a,
    };
    let b = Api {
        app: &app,
        token: token_b,
    };
    let (_, inv) = b
        .call(
            reqwest::Method::POST,
            "/api/v1/invitations",
            Some(json!({"email": "z@other.test"})),
        )
        .await;
    let b_invitation = inv["id"].as_str().unwrap().to_string();
    let bob_id: String = app
        .db
        .read(|c| Ok(c.query_row("SELECT id FROM users WHERE email = 'bob@other.test'", [], |r| r.get(0))?))
        .await
        .unwrap();

    // Through the API…
    let cases = [
        (
            reqwest::Method::PATCH,
            format!("/api/v1/members/{bob_id}"),
            Some(json!({"role": "viewer"})),
        ),
        (reqwest::Method::DELETE, format!("/api/v1/members/{bob_id}"), None),
        (
            reqwest::Method::DELETE,
            format!("/api/v1/invitations/{b_invitation}"),
            None,
        ),
    ];
    for (method, path, body) in cases {
        let (status, problem) = a.call(method.clone(), &path, body).await;
        assert_eq!(status, 404, "{method} {path}: {problem}");
    }
    let (_, members) = a.call(reqwest::Method::GET, "/api/v1/members", None).await;
    assert!(!members.to_string().contains("bob@other.test"));
    let (_, invitations) = a.call(reqwest::Method::GET, "/api/v1/invitations", None).await;
    assert!(!invitations.to_string().contains("z@other.test"));
    let (_, log) = a.call(reqwest::Method::GET, "/api/v1/audit-log", None).await;
    assert!(!log.to_string().contains("Other shop") && !log.to_string().contains("bob@other.test"));

    // …and through the pages of the owner of Atelier.
    for (path, fields) in [
        (
            format!("/dashboard/team/members/{bob_id}/role"),
            vec![("role", "viewer")],
        ),
        (format!("/dashboard/team/members/{bob_id}/remove"), vec![]),
        (format!("/dashboard/team/invitations/{b_invitation}/revoke"), vec![]),
        (format!("/dashboard/team/invitations/{b_invitation}/resend"), vec![]),
    ] {
        let res = app.submit("/dashboard/team", &path, &fields).await;
        assert_eq!(res.status(), 404, "{path}");
    }
    let bob_still: i64 = app.db.read(|c| Ok(c.query_row("SELECT count(*) FROM memberships WHERE user_id = (SELECT id FROM users WHERE email = 'bob@other.test')", [], |r| r.get(0))?)).await.unwrap();
    assert_eq!(bob_still, 1);
    let (_, invitations) = b.call(reqwest::Method::GET, "/api/v1/invitations", None).await;
    assert_eq!(
        invitations["data"][0]["status"], "pending",
        "Bob's invitation is untouched"
    );
}

#[tokio::test]
async fn the_audit_log_filters_by_actor_action_and_dates_and_exports_csv() {
    let (app, _, _) = two_shops().await;
    app.clock.advance(3 * 86_400);
    app.submit(
        "/dashboard/team",
        "/dashboard/team/invite",
        &[("email", "later@shop.test"), ("role", "member")],
    )
    .await;
    let (_, html) = app.page("/dashboard/team/audit?action=member.invited").await;
    assert!(html.contains("<code>member.invited</code>") && !html.contains("<code>org.created</code>"));
    assert!(
        html.contains("Olivia Owner invited later@shop.test as Member"),
        "the row reads as a sentence"
    );
    assert!(
        html.contains("<summary>Raw record") && html.contains("&#34;email&#34;: &#34;later@shop.test&#34;"),
        "the raw record is one click away: {html}"
    );
    app.submit("/dashboard", "/language", &[("lang", "fr"), ("next", "/dashboard")])
        .await;
    let (_, html) = app.page("/dashboard/team/audit?action=member.invited").await;
    assert!(html.contains("Olivia Owner a invité later@shop.test comme Membre"));
    app.submit("/dashboard", "/language", &[("lang", "en"), ("next", "/dashboard")])
        .await;
    let (_, html) = app.page("/dashboard/team/audit?from=2026-11-27").await;
    assert!(
        html.contains("<code>member.invited</code>") && !html.contains("<code>org.created</code>"),
        "only the later entry"
    );
    let (_, html) = app.page("/dashboard/team/audit?to=2026-11-25").await;
    assert!(!html.contains("<code>member.invited</code>") && html.contains("<code>org.created</code>"));
    let (_, html) = app.page("/dashboard/team/audit?actor=system").await;
    assert!(
        html.contains("<code>api_token.created</code>") && !html.contains("<code>member.invited</code>"),
        "CLI changes are the system's"
    );
    let (_, html) = app.page("/dashboard/team/audit?from=yesterday").await;
    assert!(html.contains("Enter a date as YYYY-MM-DD."));

    let res = app.get("/dashboard/team/audit.csv?action=member").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("audit-atelier.csv")
    );
    let body = res.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(reader.headers().unwrap().get(1), Some("action"));
    let actions: Vec<String> = reader.records().map(|r| r.unwrap()[1].to_string()).collect();
    assert_eq!(actions, ["member.invited", "member.added"]);

    // Retention: an org keeping 2 days of audit loses the older rows at the nightly run.
    app.db
        .write(|tx| Ok(tx.execute("UPDATE orgs SET audit_retention_days = 2 WHERE slug = 'atelier'", [])?))
        .await
        .unwrap();
    app.clock.advance(86_400);
    let runs = app.scheduler.run_due().await;
    assert!(runs.iter().any(|r| r.name == "audit.purge" && r.ok), "{runs:?}");
    let (_, html) = app.page("/dashboard/team/audit").await;
    assert!(!html.contains("<code>org.created</code>") && html.contains("<code>member.invited</code>"));
    let _ = app.clock.now();
}

/// Follows `next_cursor` through a list two at a time; returns every id seen.
async fn page_through(api: &Api<'_>, path: &str) -> Vec<String> {
    let (mut ids, mut cursor) = (vec![], None::<String>);
    loop {
        let q = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let (status, page) = api
            .call(reqwest::Method::GET, &format!("{path}?limit=2{q}"), None)
            .await;
        assert_eq!(status, 200, "{page}");
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= 2, "a page holds at most the limit");
        ids.extend(data.iter().map(|m| m["id"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return ids,
        }
    }
}

#[tokio::test]
async fn members_and_invitations_page_through_with_a_cursor() {
    let (app, token, _) = two_shops().await;
    for i in 0..4 {
        app.add_member(&format!("m{i}@shop.test"), &format!("Member {i}"), "member")
            .await;
    }
    let api = Api { app: &app, token };
    for i in 0..5 {
        let body = json!({"email": format!("new{i}@shop.test"), "role": "viewer"});
        let (status, _) = api.call(reqwest::Method::POST, "/api/v1/invitations", Some(body)).await;
        assert_eq!(status, 201);
    }
    let members = page_through(&api, "/api/v1/members").await;
    assert_eq!(members.len(), 5, "the owner and four members, each once: {members:?}");
    let mut sorted = members.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, members, "no member twice, in id order");
    let invitations = page_through(&api, "/api/v1/invitations").await;
    assert_eq!(invitations.len(), 5, "{invitations:?}");
    let mut sorted = invitations.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, invitations, "each invitation once, in id order");
}
