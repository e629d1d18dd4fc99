//! The dashboard's overview and sidebar: only what exists, first steps
//! ticked once done.

use crate::helpers::TestApp;

#[tokio::test]
async fn the_sidebar_lists_only_features_that_exist() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let (_, html) = app.page("/dashboard").await;
    let sidebar = &html[html.find("class=\"sidebar\"").unwrap()..html.find("</nav>").unwrap()];
    for link in [
        "/dashboard/products",
        "/dashboard/team",
        "/dashboard/notifications",
        "/dashboard/settings",
    ] {
        assert!(sidebar.contains(&format!("href=\"{link}\"")), "{link} is listed");
    }
    for missing in ["/dashboard/orders", "/dashboard/billing"] {
        assert!(!sidebar.contains(missing), "{missing} is not built, so not listed");
        assert_eq!(app.get(missing).await.status(), 404, "{missing}");
    }
    assert!(!html.to_lowercase().contains("coming soon"));
}

#[tokio::test]
async fn first_steps_link_to_where_they_are_done_and_are_ticked_once_done() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let steps = |html: &str| {
        let at = html.find("id=\"first-steps\"").expect("first steps shown");
        html[at..at + html[at..].find("</ol>").unwrap()].to_string()
    };
    let (_, html) = app.page("/dashboard").await;
    let before = steps(&html);
    assert!(before.contains("href=\"/dashboard/team\"") && before.contains("href=\"/dashboard/settings\""));
    assert!(!before.contains("Done"), "nothing is done yet: {before}");

    app.add_member("lea@shop.test", "Léa", "member").await;
    let (_, html) = app.page("/dashboard").await;
    let after_team = steps(&html);
    assert_eq!(after_team.matches("Done").count(), 1, "{after_team}");
    assert!(after_team.contains("<li class=\"done\"><a href=\"/dashboard/team\""));

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
    assert_eq!(res.status(), 303);
    let (_, html) = app.page("/dashboard").await;
    assert_eq!(steps(&html).matches("Done").count(), 2);
}

#[tokio::test]
async fn the_overview_names_the_role_in_the_readers_language() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let (_, en) = app.page("/dashboard").await;
    assert!(en.contains("Your role here: Owner."));
    let res = app
        .submit("/dashboard", "/language", &[("lang", "fr"), ("next", "/dashboard")])
        .await;
    assert_eq!(res.status(), 303);
    let (_, fr) = app.page("/dashboard").await;
    assert!(
        fr.contains("Votre rôle ici : Propriétaire."),
        "no English role key in French"
    );
}
