//! Notifications: the one call every feature makes, [`notify`], inside its
//! own transaction. Each [`Kind`] has a category, default channels and may
//! be critical (always sent). The in-app row, the email and one web push per
//! browser (both through the outbox, in the recipient's language) are
//! written together with the change, so nothing is lost in a crash or an
//! SMTP or push-service outage; live views are told after the commit.

mod api;
mod deliveries;
mod demo;
mod digest;
mod email;
mod history;
pub mod mail_templates;
mod pages;
mod prefs;
pub mod push;
mod stream;
mod template_pages;
mod unsubscribe;

use crate::db::Tx;
use crate::db::ids::new_id;
use crate::error::AppError;
use crate::web::i18n::Lang;
use prefs::{Channel, wants};
use rusqlite::Connection;
use serde::Serialize;

/// Every page and API route of notifications: inbox, preferences, live
/// stream, unsubscribe links, delivery history, web push, mail templates.
/// Notifications' entry in the sidebar (everyone has an inbox).
pub const NAV: crate::web::shell::NavEntry = crate::web::shell::NavEntry {
    key: "notifications",
    href: "/dashboard/notifications",
    label_key: "dashboard.section.notifications",
    area: None,
};

pub fn routes() -> Vec<rocket::Route> {
    let mut all = pages::routes();
    all.extend(api::routes());
    all.extend(stream::routes());
    all.extend(unsubscribe::routes());
    all.extend(history::routes());
    all.extend(push::api::routes());
    all.extend(template_pages::routes());
    all
}

/// The scheduled jobs of notifications: digests and the purge of old ones.
pub fn jobs(base_url: reqwest::Url, retention_days: u32) -> Vec<crate::jobs::JobDef> {
    digest::jobs(base_url, retention_days)
}

/// Notifications' part of `luneo demo`.
pub fn demo_step() -> crate::demo::DemoStep {
    demo::step()
}

/// What a notification is about, for preferences and filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Security,
    Team,
    Orders,
    Support,
    Monitoring,
    Billing,
    Product,
}

impl Category {
    pub const ALL: [Category; 7] = [
        Category::Security,
        Category::Team,
        Category::Orders,
        Category::Support,
        Category::Monitoring,
        Category::Billing,
        Category::Product,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Category::Security => "security",
            Category::Team => "team",
            Category::Orders => "orders",
            Category::Support => "support",
            Category::Monitoring => "monitoring",
            Category::Billing => "billing",
            Category::Product => "product",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.key() == s)
    }
}

/// One kind of notification.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    pub key: &'static str,
    pub category: Category,
    /// Sent on every channel whatever the preferences (security mails).
    pub critical: bool,
    /// Whether the email channel is on by default.
    pub email_by_default: bool,
    /// The placeholders of its texts with sample values (template previews).
    pub sample: &'static [(&'static str, &'static str)],
}

/// The kinds Luneo sends, one constant each: a feature names the constant
/// in its [`Notice`], so a kind that does not exist does not compile.
/// `team.invitation_accepted`.
pub const TEAM_INVITATION_ACCEPTED: Kind = Kind {
    key: "team.invitation_accepted",
    category: Category::Team,
    critical: false,
    email_by_default: true,
    sample: &[
        ("name", "Camille Martin"),
        ("email", "camille@example.com"),
        ("org", "Atelier"),
    ],
};

/// `team.role_changed`.
pub const TEAM_ROLE_CHANGED: Kind = Kind {
    key: "team.role_changed",
    category: Category::Team,
    critical: false,
    email_by_default: true,
    sample: &[("org", "Atelier"), ("role", "Admin")],
};

/// `account.password_changed`.
pub const ACCOUNT_PASSWORD_CHANGED: Kind = Kind {
    key: "account.password_changed",
    category: Category::Security,
    critical: true,
    email_by_default: true,
    sample: &[],
};

/// `account.password_reset` (by a mailed link: the API tokens end too).
pub const ACCOUNT_PASSWORD_RESET: Kind = Kind {
    key: "account.password_reset",
    category: Category::Security,
    critical: true,
    email_by_default: true,
    sample: &[],
};

/// `account.email_changed`.
pub const ACCOUNT_EMAIL_CHANGED: Kind = Kind {
    key: "account.email_changed",
    category: Category::Security,
    critical: true,
    email_by_default: true,
    sample: &[("old", "camille@example.com"), ("new", "camille.martin@example.com")],
};

/// `account.name_changed`.
pub const ACCOUNT_NAME_CHANGED: Kind = Kind {
    key: "account.name_changed",
    category: Category::Security,
    critical: false,
    email_by_default: true,
    sample: &[("old", "Camille"), ("new", "Camille Martin")],
};

/// `monitoring.alert_firing`: a check went down.
pub const MONITORING_ALERT_FIRING: Kind = Kind {
    key: "monitoring.alert_firing",
    category: Category::Monitoring,
    critical: true,
    email_by_default: true,
    sample: &[("check", "Shop front page"), ("cause", "the answer was HTTP 503")],
};

/// `monitoring.alert_acknowledged`: a member took the alert in hand.
pub const MONITORING_ALERT_ACKNOWLEDGED: Kind = Kind {
    key: "monitoring.alert_acknowledged",
    category: Category::Monitoring,
    critical: false,
    email_by_default: false,
    sample: &[("check", "Shop front page"), ("name", "Camille")],
};

/// `monitoring.alert_resolved`: the check is up again.
pub const MONITORING_ALERT_RESOLVED: Kind = Kind {
    key: "monitoring.alert_resolved",
    category: Category::Monitoring,
    critical: false,
    email_by_default: true,
    sample: &[("check", "Shop front page"), ("duration", "4 min")],
};

/// `monitoring.alert_handled`: a member closed the alert by hand.
pub const MONITORING_ALERT_HANDLED: Kind = Kind {
    key: "monitoring.alert_handled",
    category: Category::Monitoring,
    critical: false,
    email_by_default: false,
    sample: &[("check", "Shop front page"), ("name", "Camille")],
};

/// `monitoring.rule_firing`: a rule on the instance's metrics fired.
pub const MONITORING_RULE_FIRING: Kind = Kind {
    key: "monitoring.rule_firing",
    category: Category::Monitoring,
    critical: true,
    email_by_default: true,
    sample: &[("rule", "Oldest waiting delivery (s) > 900"), ("cause", "it is 970")],
};

/// `monitoring.rule_resolved`: the rule holds again.
pub const MONITORING_RULE_RESOLVED: Kind = Kind {
    key: "monitoring.rule_resolved",
    category: Category::Monitoring,
    critical: false,
    email_by_default: true,
    sample: &[("rule", "Oldest waiting delivery (s) > 900"), ("duration", "20 min")],
};

/// `monitoring.tls_expiring`: a check's certificate expires soon.
pub const MONITORING_TLS_EXPIRING: Kind = Kind {
    key: "monitoring.tls_expiring",
    category: Category::Monitoring,
    critical: true,
    email_by_default: true,
    sample: &[("check", "Shop front page"), ("days", "9"), ("date", "2027-01-15")],
};

/// `monitoring.tls_renewed`: the check serves a renewed certificate.
pub const MONITORING_TLS_RENEWED: Kind = Kind {
    key: "monitoring.tls_renewed",
    category: Category::Monitoring,
    critical: false,
    email_by_default: true,
    sample: &[("check", "Shop front page"), ("date", "2027-04-15")],
};

/// `support.ticket_created`: a new support request came in.
pub const SUPPORT_TICKET_CREATED: Kind = Kind {
    key: "support.ticket_created",
    category: Category::Support,
    critical: false,
    email_by_default: true,
    sample: &[("number", "#42"), ("subject", "Where is my mug?"), ("requester", "Ana")],
};

/// `support.ticket_replied`: the requester wrote again.
pub const SUPPORT_TICKET_REPLIED: Kind = Kind {
    key: "support.ticket_replied",
    category: Category::Support,
    critical: false,
    email_by_default: true,
    sample: &[("number", "#42"), ("subject", "Where is my mug?"), ("requester", "Ana")],
};

/// `support.ticket_assigned`: a ticket was given to the reader.
pub const SUPPORT_TICKET_ASSIGNED: Kind = Kind {
    key: "support.ticket_assigned",
    category: Category::Support,
    critical: false,
    email_by_default: false,
    sample: &[("number", "#42"), ("subject", "Where is my mug?"), ("name", "Camille")],
};

/// `support.sla_breached`: a ticket is past a due time.
pub const SUPPORT_SLA_BREACHED: Kind = Kind {
    key: "support.sla_breached",
    category: Category::Support,
    critical: false,
    email_by_default: true,
    sample: &[
        ("number", "#42"),
        ("subject", "Where is my mug?"),
        ("target", "first response"),
    ],
};

/// `account.new_sign_in`.
pub const ACCOUNT_NEW_SIGN_IN: Kind = Kind {
    key: "account.new_sign_in",
    category: Category::Security,
    critical: false,
    email_by_default: true,
    sample: &[
        ("device", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"),
        ("ip", "203.0.113.7"),
        ("at", "2026-11-25T10:30:00Z"),
    ],
};

/// Every kind, for preferences, templates and lookups by key; a feature
/// adds its constants here.
pub const KINDS: &[&Kind] = &[
    &TEAM_INVITATION_ACCEPTED,
    &TEAM_ROLE_CHANGED,
    &ACCOUNT_PASSWORD_CHANGED,
    &ACCOUNT_PASSWORD_RESET,
    &ACCOUNT_EMAIL_CHANGED,
    &ACCOUNT_NAME_CHANGED,
    &ACCOUNT_NEW_SIGN_IN,
    &MONITORING_ALERT_FIRING,
    &MONITORING_ALERT_ACKNOWLEDGED,
    &MONITORING_ALERT_RESOLVED,
    &MONITORING_ALERT_HANDLED,
    &MONITORING_RULE_FIRING,
    &MONITORING_RULE_RESOLVED,
    &MONITORING_TLS_EXPIRING,
    &MONITORING_TLS_RENEWED,
    &SUPPORT_TICKET_CREATED,
    &SUPPORT_TICKET_REPLIED,
    &SUPPORT_TICKET_ASSIGNED,
    &SUPPORT_SLA_BREACHED,
];

pub fn kind(key: &str) -> Option<&'static Kind> {
    KINDS.iter().copied().find(|k| k.key == key)
}

/// A catalogue reference in notification data, worded in `lang`:
/// `{"t": key}` (a built-in role's name) or `{"t": key, "args": {name: value}}`.
pub fn worded(lang: Lang, value: &serde_json::Value) -> Option<String> {
    let key = value.get("t")?.as_str()?;
    let args: Vec<(String, String)> = value
        .get("args")
        .and_then(|a| a.as_object())
        .map(|a| {
            a.iter()
                .map(|(k, v)| {
                    let text = v.as_str().map(str::to_string).or_else(|| worded(lang, v));
                    (k.clone(), text.unwrap_or_else(|| v.to_string()))
                })
                .collect()
        })
        .unwrap_or_default();
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Some(lang.tf(key, &args))
}

/// The title and body of a notification in `lang`, filled from its data
/// (catalogue references [`worded`] in `lang`).
pub fn texts(lang: Lang, kind: &str, data: &serde_json::Value) -> (String, String) {
    let args: Vec<(String, String)> = data
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    let text = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => worded(lang, other).unwrap_or_else(|| other.to_string()),
                    };
                    (k.clone(), text)
                })
                .collect()
        })
        .unwrap_or_default();
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    (
        lang.tf(&format!("notifications.kind.{kind}.title"), &args),
        lang.tf(&format!("notifications.kind.{kind}.body"), &args),
    )
}

/// What to tell: the kind, its data (the placeholders of its texts) and
/// the page it is about.
pub struct Notice<'a> {
    pub kind: &'static Kind,
    pub data: serde_json::Value,
    pub link: Option<&'a str>,
}

/// Tells `recipients` (users of `org_id`) about something, in the caller's
/// transaction: in the app, by email (or in their digest) and by web push,
/// each unless the person (or, if they never chose, their org) turned that
/// channel off for the category; critical kinds always go out.
pub fn notify(
    tx: &Tx,
    org_id: &str,
    recipients: &[crate::auth::UserId],
    notice: Notice<'_>,
    base_url: &reqwest::Url,
) -> Result<Vec<String>, AppError> {
    let Notice { kind, data, link } = notice;
    let now = tx.now();
    let org = email::OrgHead::load(tx, org_id, base_url)?;
    let org_name = org.name.clone();
    let mut ids = vec![];
    for user_id in recipients {
        let Some(user) = crate::auth::find_by_id(tx, user_id)? else {
            continue;
        };
        let in_app = kind.critical || wants(tx, user_id, org_id, kind.category, Channel::InApp, true)?;
        let wants_email = kind.critical
            || wants(
                tx,
                user_id,
                org_id,
                kind.category,
                Channel::Email,
                kind.email_by_default,
            )?;
        let push = kind.critical || wants(tx, user_id, org_id, kind.category, Channel::Push, true)?;
        // With a digest chosen, non-critical news waits for it.
        let email = wants_email && (kind.critical || digest::frequency(tx, user_id, org_id)? == "off");
        let push_to = if push {
            push::subscriptions_of(tx, user_id)?
        } else {
            vec![]
        };
        if !in_app && !email && push_to.is_empty() {
            continue;
        }
        let id = new_id("ntf");
        if in_app {
            tx.announce(user_topic(user_id));
        }
        tx.execute(
            "INSERT INTO notifications (id, org_id, user_id, kind, category, data, link, in_app, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            rusqlite::params![
                id,
                org_id,
                user_id,
                kind.key,
                kind.category.key(),
                data.to_string(),
                link,
                in_app,
                now
            ],
        )?;
        let lang = user.language.as_deref().and_then(Lang::parse).unwrap_or_default();
        let (title, body) = texts(lang, kind.key, &data);
        let url = format!(
            "{}{}",
            base_url.as_str().trim_end_matches('/'),
            link.unwrap_or("/dashboard/notifications")
        );
        for sub in &push_to {
            let message = push::Message {
                title: email::subject_line(&title, &org_name),
                body: body.clone(),
                url: url.clone(),
                tag: id.clone(),
            };
            let outbox_id = push::queue(tx, org_id, sub, &message)?;
            tx.execute(
                "INSERT INTO notification_deliveries (notification_id, channel, outbox_id) VALUES (?1, 'push', ?2)",
                (&id, &outbox_id),
            )?;
        }
        if email {
            let outbox_id = email::queue(
                tx,
                email::Letter {
                    org: &org,
                    user: &user,
                    kind,
                    data: &data,
                    lang,
                    url,
                },
                base_url,
            )?;
            tx.execute(
                "INSERT INTO notification_deliveries (notification_id, channel, outbox_id) VALUES (?1, 'email', ?2)",
                (&id, &outbox_id),
            )?;
        }
        ids.push(id);
    }
    Ok(ids)
}

/// One notification as listed.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub id: String,
    pub kind: String,
    pub category: String,
    pub data: serde_json::Value,
    pub link: Option<String>,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

/// Which of a person's notifications to list: unread only, one category,
/// older than the `before` id (the cursor of the previous page).
#[derive(Debug, Default, Clone)]
pub struct InboxFilter {
    pub unread_only: bool,
    pub category: Option<&'static str>,
    pub before: Option<String>,
}

/// A person's in-app notifications in one org, newest first.
pub fn inbox(
    conn: &Connection,
    org_id: &str,
    user_id: &str,
    filter: &InboxFilter,
    limit: i64,
) -> Result<Vec<Notification>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, category, data, link, created_at, read_at FROM notifications
         WHERE org_id = ?1 AND user_id = ?2 AND in_app = 1 AND archived_at IS NULL
           AND (?3 = 0 OR read_at IS NULL) AND (?4 IS NULL OR category = ?4)
           AND (?5 IS NULL OR id < ?5)
         ORDER BY id DESC LIMIT ?6",
    )?;
    let params = rusqlite::params![
        org_id,
        user_id,
        filter.unread_only,
        filter.category,
        filter.before,
        limit
    ];
    let rows = stmt.query_map(params, |r| {
        Ok(Notification {
            id: r.get(0)?,
            kind: r.get(1)?,
            category: r.get(2)?,
            data: serde_json::from_str(&r.get::<_, String>(3)?).unwrap_or_default(),
            link: r.get(4)?,
            created_at: r.get(5)?,
            read_at: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The live-update topic of a person (see [`crate::db::Tx::announce`]).
pub fn user_topic(user_id: &str) -> String {
    format!("user:{user_id}")
}

/// How many in-app notifications a person has not read, in one org.
pub fn unread_count(conn: &Connection, org_id: &str, user_id: &str) -> Result<i64, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM notifications WHERE org_id = ?1 AND user_id = ?2 AND in_app = 1 AND read_at IS NULL AND archived_at IS NULL",
        )?
        .query_row((org_id, user_id), |r| r.get(0))?)
}

/// Marks one (or, with `None`, every) notification of a person read; returns how many changed.
pub fn mark_read(tx: &Tx, org_id: &str, user_id: &str, id: Option<&str>) -> Result<usize, AppError> {
    let changed = tx.execute(
        "UPDATE notifications SET read_at = ?4 WHERE org_id = ?1 AND user_id = ?2 AND read_at IS NULL AND (?3 IS NULL OR id = ?3)",
        rusqlite::params![org_id, user_id, id, tx.now()],
    )?;
    if changed > 0 {
        tx.announce(user_topic(user_id));
    }
    Ok(changed)
}

/// Marks one of a person's notifications read and returns the page it is
/// about (if any); not found if they have no such notification in this org.
pub fn read_one(tx: &Tx, org_id: &str, user_id: &str, id: &str) -> Result<Option<String>, AppError> {
    use rusqlite::OptionalExtension;
    mark_read(tx, org_id, user_id, Some(id))?;
    tx.query_row(
        "SELECT link FROM notifications WHERE id = ?1 AND org_id = ?2 AND user_id = ?3",
        (id, org_id, user_id),
        |r| r.get::<_, Option<String>>(0),
    )
    .optional()?
    .ok_or(AppError::NotFound)
}

/// Archives one of a person's notifications (it leaves the inbox, counts as
/// read); false if they have no such notification in this org.
pub fn archive(tx: &Tx, org_id: &str, user_id: &str, id: &str) -> Result<bool, AppError> {
    let changed = tx.execute(
        "UPDATE notifications SET archived_at = ?4, read_at = coalesce(read_at, ?4)
         WHERE id = ?3 AND org_id = ?1 AND user_id = ?2 AND archived_at IS NULL",
        rusqlite::params![org_id, user_id, id, tx.now()],
    )?;
    if changed > 0 {
        tx.announce(user_topic(user_id));
    }
    Ok(changed == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_built_in_role_reads_in_the_readers_language() {
        let data = serde_json::json!({ "org": "Atelier", "role": { "t": "team.role.admin" } });
        assert_eq!(
            texts(Lang::Fr, "team.role_changed", &data).1,
            "Votre rôle dans Atelier est maintenant : Administrateur."
        );
        assert_eq!(
            texts(Lang::En, "team.role_changed", &data).1,
            "Your role in Atelier is now: Admin."
        );
        let custom = serde_json::json!({ "org": "Atelier", "role": "Packer" });
        assert!(texts(Lang::Fr, "team.role_changed", &custom).1.ends_with(": Packer."));
    }
}
