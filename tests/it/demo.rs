//! `luneo demo`: the demo shop is made once, a second run adds nothing, and
//! its owner signs in to a shop with people, notifications and history.

use crate::helpers::{PASSWORD, TestApp, client};

#[tokio::test]
async fn the_demo_runs_twice_and_its_owner_signs_in_to_a_lived_in_shop() {
    let app = TestApp::spawn().await;
    let (code, out, err) = app.cli(&["demo"], &[("LUNEO_PASSWORD", PASSWORD)]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("created the org demo owned by demo@luneo.local"), "{out}");
    assert!(!out.contains("shown once"), "the given password is not printed: {out}");
    let members = "SELECT count(*) FROM memberships m JOIN orgs o ON o.id = m.org_id WHERE o.slug = 'demo'";
    let notices = "SELECT count(*) FROM notifications WHERE kind NOT LIKE 'support.%'";
    assert_eq!(app.count(members).await, 6);
    assert_eq!(app.count(notices).await, 3);
    assert_eq!(
        app.count("SELECT count(*) FROM outbox WHERE kind = 'mail'").await,
        0,
        "in the app only"
    );

    let (code, out, err) = app.cli(&["demo"], &[("LUNEO_PASSWORD", PASSWORD)]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("the org demo was there already") && out.contains("0 of 5 people added"),
        "{out}"
    );
    assert!(out.contains("notifications: there already"), "{out}");
    assert!(out.contains("monitoring: there already"), "{out}");
    assert!(out.contains("support: there already"), "{out}");
    assert!(out.contains("catalog: there already"), "{out}");
    assert!(out.contains("designs: there already"), "{out}");
    assert_eq!(app.count("SELECT count(*) FROM support_tickets").await, 12);
    assert_eq!(app.count("SELECT count(*) FROM monitoring_checks").await, 2);
    assert_eq!(app.count(members).await, 6);
    assert_eq!(app.count(notices).await, 3);

    let owner = app.signed_in("demo@luneo.local").await;
    let team = app.page_as(&owner, "/dashboard/team").await;
    for name in ["Ada Admin", "Max Member", "Vera Viewer"] {
        assert!(team.contains(name), "{name} is in the team");
    }
    let inbox: serde_json::Value = app.json_as(&owner, "/api/v1/notifications").await;
    assert_eq!(
        inbox["data"].as_array().unwrap().len(),
        3,
        "the owner opened the demo tickets: they are not news to them"
    );
    assert_eq!(
        app.count("SELECT count(DISTINCT status) FROM support_tickets").await,
        5,
        "tickets in every status"
    );
    assert!(
        app.count("SELECT count(*) FROM support_messages WHERE internal = 1")
            .await
            >= 8
    );
    assert!(app.count("SELECT count(*) FROM support_ticket_tags").await > 0);
    assert!(
        app.count("SELECT count(*) FROM support_tickets WHERE satisfaction IS NOT NULL")
            .await
            > 0
    );
    assert_eq!(app.count("SELECT count(*) FROM support_canned_replies").await, 2);
    assert_eq!(app.count("SELECT count(*) FROM catalog_products").await, 3);
    assert_eq!(app.count("SELECT count(*) FROM catalog_print_areas").await, 4);
    assert_eq!(
        app.count("SELECT count(*) FROM designs").await,
        3,
        "a sample design per product"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM catalog_images").await,
        3,
        "a mockup photo each"
    );
    let support = app.page_as(&owner, "/dashboard/support?status=all").await;
    assert!(support.contains("#1 Where is my engraved mug?") && support.contains("Wrong date on my bracelet"));
    let help = client()
        .get(app.url("/help/demo?q=retu"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(help.contains("Returns and refunds"), "{help}");
    let aide = client()
        .get(app.url("/help/demo?q=retour"))
        .header("Accept-Language", "fr")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(aide.contains("Retours et remboursements"), "{aide}");
    let audit = app.page_as(&owner, "/dashboard/team/audit").await;
    assert!(audit.contains("<code>org.created</code>") && audit.contains("<code>member.added</code>"));
    let res = owner.get(app.url("/admin/jobs")).send().await.unwrap();
    assert_eq!(res.status(), 200, "on a fresh instance the demo owner runs it");
    let monitoring = app.page_as(&owner, "/dashboard/monitoring").await;
    assert!(
        monitoring.contains("Luneo itself") && monitoring.contains("Nightly stock import"),
        "the demo's checks are there"
    );
    assert!(
        monitoring.contains("the answer was HTTP 503"),
        "with an incident in their history"
    );
}

#[tokio::test]
async fn without_a_password_the_demo_makes_one_up_and_prints_it_once() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let (code, out, err) = app.cli(&["demo"], &[]);
    assert_eq!(code, 0, "{err}");
    let line = out
        .lines()
        .find(|l| l.contains("shown once"))
        .expect("the password is printed");
    let password = line.split("the password ").nth(1).unwrap().split(' ').next().unwrap();
    let visitor = client();
    let res = app
        .submit_as(
            &visitor,
            "/login",
            "/login",
            &[("email", "demo@luneo.local"), ("password", password)],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/dashboard");
    let res = visitor.get(app.url("/admin/jobs")).send().await.unwrap();
    assert_eq!(res.status(), 403, "the instance had an admin already");

    let (_, again, _) = app.cli(&["demo"], &[]);
    assert!(
        !again.contains("shown once"),
        "a second run changes no password: {again}"
    );
}
