//! Signed-in identities are kept in memory between requests: every change
//! to what they hold (membership, role, a write by another process) shows
//! at the person's very next request.

use crate::helpers::{PASSWORD, TestApp};

#[tokio::test]
async fn a_removed_member_is_refused_at_their_next_request() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let max_id = app.add_member("max@shop.test", "Max", "member").await;
    let max = app.signed_in("max@shop.test").await;
    for _ in 0..3 {
        // Several requests, so the identity is surely held in memory.
        let res = max.get(app.url("/dashboard/team")).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }
    let res = app
        .submit(
            "/dashboard/team",
            &format!("/dashboard/team/members/{max_id}/remove"),
            &[],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = max.get(app.url("/dashboard/team")).send().await.unwrap();
    assert_eq!(res.status(), 403, "no longer a member of any org");
}

#[tokio::test]
async fn a_new_role_applies_at_the_next_request() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let max_id = app.add_member("max@shop.test", "Max", "member").await;
    let max = app.signed_in("max@shop.test").await;
    let invite_form = "action=\"/dashboard/team/invite\"";
    assert!(!app.page_as(&max, "/dashboard/team").await.contains(invite_form));
    app.change_role(&max_id, "admin").await;
    assert!(
        app.page_as(&max, "/dashboard/team").await.contains(invite_form),
        "an admin gets the invitation form at once"
    );
}

#[tokio::test]
async fn a_change_made_by_another_process_shows_at_the_next_request() {
    let app = TestApp::spawn().await;
    app.set_up("owner@shop.test", "Atelier").await;
    let before = app.page("/dashboard").await.1;
    assert!(!before.contains("Second shop"));
    // The CLI (another process) puts the owner in a second org.
    let (code, _, err) = app.cli(
        &[
            "user",
            "add",
            "--email",
            "owner@shop.test",
            "--name",
            "Olivia Owner",
            "--org",
            "Second shop",
        ],
        &[("LUNEO_PASSWORD", PASSWORD)],
    );
    assert_eq!(code, 0, "{err}");
    let after = app.page("/dashboard").await.1;
    assert!(after.contains("Second shop"), "the org switcher lists the new org");
}
