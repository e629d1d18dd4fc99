//! Mail: the lettre transport chosen by `LUNEO_SMTP_URL` (real SMTP, or
//! `.eml` files under `DATA_DIR/mail` when unset), multipart messages
//! (plain text + HTML) rendered from askama templates in the recipient's
//! language, and the outbox deliverer of kind `mail`.

use crate::config::Config;
use crate::db::Tx;
use crate::error::AppError;
use crate::jobs::outbox::{self, Deliver, Failure};
use crate::web::i18n::Lang;
use askama::Template;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// The outbox kind of mail rows.
pub const KIND: &str = "mail";

/// A rendered mail waiting in the outbox.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub lang: String,
    /// One-click unsubscribe URL (RFC 8058), for non-critical notification mails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsubscribe_url: Option<String>,
    /// Where it sits in a conversation, so mail clients thread it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<Thread>,
    /// Where replies should go (`Reply-To`), when not to the sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
}

/// The threading headers of a mail (RFC 5322 §3.6.4): its own
/// `Message-ID`, and the ones it answers. Ids are given without the
/// angle brackets and the domain (`msg_…`); the sender's domain is added.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Thread {
    pub message_id: String,
    /// The mail this one answers (`In-Reply-To`).
    pub in_reply_to: Option<String>,
    /// The conversation so far, oldest first (`References`).
    pub references: Vec<String>,
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>, String),
    Files(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

/// Sends mail through the configured transport.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
}

impl Mailer {
    pub fn from_config(config: &Config) -> Result<Mailer, String> {
        let transport = match &config.smtp_url {
            Some(url) => {
                let t = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| format!("LUNEO_SMTP_URL: {e}"))?
                    .timeout(Some(Duration::from_secs(20)))
                    .build();
                let shown = reqwest::Url::parse(url)
                    .map(|u| {
                        format!(
                            "{}://{}:{}",
                            u.scheme(),
                            u.host_str().unwrap_or(""),
                            u.port().unwrap_or(0)
                        )
                    })
                    .unwrap_or_default();
                Transport::Smtp(t, shown)
            }
            None => {
                let dir = config.data_dir.join("mail");
                std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                Transport::Files(AsyncFileTransport::new(&dir), dir)
            }
        };
        Ok(Mailer {
            transport,
            from: config.mail_from.clone(),
        })
    }

    /// Where mail goes, for logs and readiness.
    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp(_, url) => format!("SMTP {url}"),
            Transport::Files(_, dir) => format!(".eml files in {}", dir.display()),
        }
    }

    /// The folder mail is written to when no SMTP server is configured.
    pub fn files_dir(&self) -> Option<&std::path::Path> {
        match &self.transport {
            Transport::Smtp(..) => None,
            Transport::Files(_, dir) => Some(dir),
        }
    }

    /// Whether the transport can take mail (files: the directory is writable).
    pub fn usable(&self) -> bool {
        match &self.transport {
            Transport::Smtp(..) => true,
            Transport::Files(_, dir) => std::fs::metadata(dir).is_ok_and(|m| m.is_dir() && !m.permissions().readonly()),
        }
    }

    /// Whether the SMTP server answers (connects, greets, takes `NOOP`);
    /// `None` when mail goes to files.
    pub async fn reachable(&self) -> Option<bool> {
        match &self.transport {
            Transport::Smtp(t, _) => Some(t.test_connection().await.unwrap_or(false)),
            Transport::Files(..) => None,
        }
    }

    fn build(&self, mail: &OutgoingMail, message_id: &str) -> Result<Message, String> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e| format!("bad recipient {:?}: {e}", mail.to))?;
        let domain = self.from.email.domain().to_string();
        let own = mail.thread.as_ref().map_or(message_id, |t| t.message_id.as_str());
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .message_id(Some(format!("<{own}@{domain}>")));
        if let Some(thread) = &mail.thread {
            let id = |i: &str| format!("<{i}@{domain}>");
            if let Some(parent) = &thread.in_reply_to {
                builder = builder.in_reply_to(id(parent));
            }
            if !thread.references.is_empty() {
                let all: Vec<String> = thread.references.iter().map(|r| id(r)).collect();
                builder = builder.references(all.join(" "));
            }
        }
        if let Some(reply_to) = mail.reply_to.as_deref().and_then(|r| r.parse::<Mailbox>().ok()) {
            builder = builder.reply_to(reply_to);
        }
        if let Some(url) = &mail.unsubscribe_url {
            // RFC 2369 + RFC 8058: mail clients offer a one-click unsubscribe.
            let name = |n: &'static str| lettre::message::header::HeaderName::new_from_ascii_str(n);
            builder = builder
                .raw_header(lettre::message::header::HeaderValue::new(
                    name("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(lettre::message::header::HeaderValue::new(
                    name("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".into(),
                ));
        }
        builder
            .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))
            .map_err(|e| format!("cannot build message: {e}"))
    }

    /// Sends one mail now (the outbox calls this; so does `send-test-mail`).
    pub async fn send(&self, mail: &OutgoingMail, message_id: &str) -> Result<(), String> {
        let message = self.build(mail, message_id)?;
        match &self.transport {
            Transport::Smtp(t, _) => t.send(message).await.map(|_| ()).map_err(|e| format!("SMTP: {e}")),
            Transport::Files(t, dir) => {
                let id = t
                    .send(message)
                    .await
                    .map_err(|e| format!("cannot write mail file: {e}"))?;
                tracing::info!(to = %mail.to, subject = %mail.subject, file = %dir.join(format!("{id}.eml")).display(), "mail written to file (no SMTP configured)");
                Ok(())
            }
        }
    }
}

#[rocket::async_trait]
impl Deliver for Mailer {
    async fn deliver(&self, id: &str, payload: &str) -> Result<(), Failure> {
        let mail: OutgoingMail =
            serde_json::from_str(payload).map_err(|e| Failure::Permanent(format!("bad mail payload: {e}")))?;
        Ok(self.send(&mail, id).await?)
    }
}

/// Renders a mail from its text and HTML templates.
pub fn compose(
    to: &str,
    lang: Lang,
    subject: String,
    text: &impl Template,
    html: &impl Template,
) -> Result<OutgoingMail, AppError> {
    let render = |r: askama::Result<String>| r.map_err(|e| AppError::internal(format!("mail template: {e}")));
    Ok(OutgoingMail {
        to: to.to_string(),
        subject,
        text: render(text.render())?,
        html: render(html.render())?,
        lang: lang.code().to_string(),
        unsubscribe_url: None,
        thread: None,
        reply_to: None,
    })
}

/// Queues `mail` in the outbox within the caller's transaction.
pub fn queue(tx: &Tx, org_id: Option<&str>, mail: &OutgoingMail) -> Result<String, AppError> {
    outbox::enqueue(tx, org_id, KIND, mail)
}

/// A mail that asks the reader to follow one link (verify, reset, join…).
#[derive(Template)]
#[template(path = "mail/action.txt")]
struct ActionText<'a> {
    greeting: &'a str,
    body: &'a str,
    action_label: &'a str,
    action_url: &'a str,
    note: &'a str,
    signature: &'a str,
}

#[derive(Template)]
#[template(path = "mail/action.html")]
struct ActionHtml<'a> {
    lang: Lang,
    greeting: &'a str,
    body: &'a str,
    action_label: &'a str,
    action_url: &'a str,
    note: &'a str,
    signature: &'a str,
}

/// The texts of an action mail, already in the recipient's language.
pub struct Action<'a> {
    pub subject: String,
    pub greeting: String,
    pub body: String,
    pub action_label: &'a str,
    pub action_url: String,
    pub note: String,
}

/// Renders an action mail (plain text and HTML) for `to` in `lang`.
pub fn action_mail(to: &str, lang: Lang, action: Action<'_>) -> Result<OutgoingMail, AppError> {
    let signature = lang.t("mail.signature");
    compose(
        to,
        lang,
        action.subject,
        &ActionText {
            greeting: &action.greeting,
            body: &action.body,
            action_label: action.action_label,
            action_url: &action.action_url,
            note: &action.note,
            signature,
        },
        &ActionHtml {
            lang,
            greeting: &action.greeting,
            body: &action.body,
            action_label: action.action_label,
            action_url: &action.action_url,
            note: &action.note,
            signature,
        },
    )
}

/// The test mail's plain text part.
#[derive(Template)]
#[template(path = "mail/test.txt")]
pub struct TestMailText<'a> {
    pub lang: Lang,
    pub base_url: &'a str,
}

/// The test mail's HTML part.
#[derive(Template)]
#[template(path = "mail/test.html")]
pub struct TestMailHtml<'a> {
    pub lang: Lang,
    pub base_url: &'a str,
}

/// The mail `luneo send-test-mail` sends.
pub fn test_mail(to: &str, lang: Lang, base_url: &str) -> Result<OutgoingMail, AppError> {
    compose(
        to,
        lang,
        lang.t("mail.test.subject").to_string(),
        &TestMailText { lang, base_url },
        &TestMailHtml { lang, base_url },
    )
}
