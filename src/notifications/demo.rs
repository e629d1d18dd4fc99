//! The notifications part of `luneo demo`: the demo org's defaults keep
//! notifications in the app (its people have no real mailbox), and the
//! owner finds a few in the inbox.

use super::{Category, Notice, notify};
use crate::db::Tx;
use crate::demo::{DemoCtx, DemoStep};
use crate::error::AppError;
use std::collections::HashMap;

pub fn step() -> DemoStep {
    DemoStep {
        name: "notifications",
        run: seed,
    }
}

fn seed(tx: &Tx, demo: &DemoCtx) -> Result<String, AppError> {
    let there: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM notifications WHERE org_id = ?1)",
        [&demo.org.id],
        |r| r.get(0),
    )?;
    if there {
        return Ok("there already".into());
    }
    let in_app_only: HashMap<String, bool> = Category::ALL
        .iter()
        .map(|c| (format!("{}.in_app", c.key()), true))
        .collect();
    super::prefs::save_org_defaults(tx, &demo.org.id, &in_app_only)?;
    let owner = std::slice::from_ref(&demo.owner.id);
    let mut sent = 0;
    for (person, _) in demo.people.iter().take(2) {
        let notice = Notice {
            kind: &super::TEAM_INVITATION_ACCEPTED,
            data: serde_json::json!({ "name": person.name, "email": person.email, "org": demo.org.name }),
            link: Some("/dashboard/team"),
        };
        sent += notify(tx, &demo.org.id, owner, notice, &demo.base_url)?.len();
    }
    let notice = Notice {
        kind: &super::ACCOUNT_NEW_SIGN_IN,
        data: serde_json::json!({
            "device": "Firefox 140 · Linux",
            "ip": "203.0.113.7",
            "at": crate::db::time::rfc3339(demo.now),
        }),
        link: Some("/dashboard/account"),
    };
    sent += notify(tx, &demo.org.id, owner, notice, &demo.base_url)?.len();
    Ok(format!(
        "{sent} notifications for {}, in the app only",
        demo.owner.email
    ))
}
