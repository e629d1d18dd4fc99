//! The email channel: one notification mail (plain text + HTML) in the
//! recipient's language, headed with the org's name and logo, its subject
//! and body from the org's override when there is one (else the built-in
//! texts), a one-click unsubscribe for non-critical kinds (RFC 8058), queued
//! in the outbox in the caller's transaction.

use super::{Kind, mail_templates, texts};
use crate::auth::User;
use crate::db::Tx;
use crate::error::AppError;
use crate::mail::OutgoingMail;
use crate::web::i18n::Lang;
use askama::Template;

/// The org as its mails show it.
pub struct OrgHead {
    pub id: String,
    pub name: String,
    /// Absolute URL of its logo, if it has one.
    pub logo_url: Option<String>,
}

impl OrgHead {
    pub fn load(tx: &Tx, org_id: &str, base_url: &reqwest::Url) -> Result<OrgHead, AppError> {
        let (name, logo): (String, Option<String>) =
            tx.query_row("SELECT name, logo_file FROM orgs WHERE id = ?1", [org_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        Ok(OrgHead {
            id: org_id.to_string(),
            name,
            logo_url: logo.map(|hash| format!("{}/files/{hash}", base_url.as_str().trim_end_matches('/'))),
        })
    }
}

/// What one mail is about.
pub struct Letter<'a> {
    pub org: &'a OrgHead,
    pub user: &'a User,
    pub kind: &'static Kind,
    pub data: &'a serde_json::Value,
    pub lang: Lang,
    /// Absolute URL of the page the notification is about.
    pub url: String,
}

#[derive(Template)]
#[template(path = "notifications/mail.txt")]
struct NotificationText<'a> {
    org: &'a str,
    greeting: &'a str,
    body: &'a str,
    action_label: &'a str,
    action_url: &'a str,
    note: &'a str,
    unsubscribe: &'a str,
}

#[derive(Template)]
#[template(path = "notifications/mail.html")]
struct NotificationHtml<'a> {
    lang: Lang,
    org: &'a str,
    logo_url: Option<&'a str>,
    greeting: &'a str,
    paragraphs: Vec<Vec<&'a str>>,
    action_label: &'a str,
    action_url: &'a str,
    note: &'a str,
    unsubscribe_label: &'a str,
    unsubscribe_url: Option<&'a str>,
}

/// The subject of a built-in notification mail: its title, followed by the
/// shop's name unless the title already says it.
pub fn subject_line(title: &str, org: &str) -> String {
    if title.contains(org) {
        title.to_string()
    } else {
        format!("{title} · {org}")
    }
}

/// The subject and body of a notification mail: the org's override, or the
/// built-in texts (also when an override cannot render: logged).
pub fn subject_and_body(tx: &Tx, letter: &Letter<'_>) -> Result<(String, String), AppError> {
    let (title, body) = texts(letter.lang, letter.kind.key, letter.data);
    let built_in = (subject_line(&title, &letter.org.name), body);
    let Some(custom) = mail_templates::get(tx, &letter.org.id, letter.kind.key, letter.lang)? else {
        return Ok(built_in);
    };
    let vars = mail_templates::vars(letter.lang, letter.data, &letter.org.name, &letter.user.name);
    match (
        mail_templates::render(&custom.subject, &vars),
        mail_templates::render(&custom.body, &vars),
    ) {
        (Ok(subject), Ok(body)) => Ok((subject.split_whitespace().collect::<Vec<_>>().join(" "), body)),
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(org = %letter.org.id, kind = letter.kind.key, error = %e, "custom mail template failed; built-in texts used");
            Ok(built_in)
        }
    }
}

/// Renders the mail (unsubscribe link given for non-critical kinds).
pub fn render(tx: &Tx, letter: &Letter<'_>, unsubscribe_url: Option<&str>) -> Result<OutgoingMail, AppError> {
    let lang = letter.lang;
    let (subject, body) = subject_and_body(tx, letter)?;
    let note = if letter.kind.critical {
        lang.t("notifications.mail.critical").to_string()
    } else {
        lang.tf("notifications.mail.why", &[("org", &letter.org.name)])
    };
    let greeting = lang.tf("mail.greeting", &[("name", &letter.user.name)]);
    let unsubscribe = unsubscribe_url
        .map(|url| lang.tf("notifications.mail.unsubscribe", &[("url", url)]))
        .unwrap_or_default();
    let paragraphs: Vec<Vec<&str>> = body
        .split("\n\n")
        .map(|p| p.lines().collect::<Vec<_>>())
        .filter(|p| !p.is_empty())
        .collect();
    let mut mail = crate::mail::compose(
        &letter.user.email,
        lang,
        subject,
        &NotificationText {
            org: &letter.org.name,
            greeting: &greeting,
            body: &body,
            action_label: lang.t("notifications.mail.open"),
            action_url: &letter.url,
            note: &note,
            unsubscribe: &unsubscribe,
        },
        &NotificationHtml {
            lang,
            org: &letter.org.name,
            logo_url: letter.org.logo_url.as_deref(),
            greeting: &greeting,
            paragraphs,
            action_label: lang.t("notifications.mail.open"),
            action_url: &letter.url,
            note: &note,
            unsubscribe_label: lang.t("notifications.mail.unsubscribe_link"),
            unsubscribe_url,
        },
    )?;
    mail.unsubscribe_url = unsubscribe_url.map(str::to_string);
    Ok(mail)
}

/// Queues the mail of one notification; returns the outbox id.
pub fn queue(tx: &Tx, letter: Letter<'_>, base_url: &reqwest::Url) -> Result<String, AppError> {
    let unsubscribe_url = if letter.kind.critical {
        None
    } else {
        let token = crate::db::ids::random_token(24);
        tx.execute(
            "INSERT INTO unsubscribe_tokens (token_hash, user_id, org_id, category, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![
                crate::db::ids::hash_token(&token),
                letter.user.id,
                letter.org.id,
                letter.kind.category.key(),
                tx.now()
            ],
        )?;
        Some(format!(
            "{}/unsubscribe/{token}",
            base_url.as_str().trim_end_matches('/')
        ))
    };
    let mail = render(tx, &letter, unsubscribe_url.as_deref())?;
    crate::mail::queue(tx, Some(&letter.org.id), &mail)
}
