//! Mail in: a raw RFC 5322 message (what an MTA pipe or a forwarding
//! service posts to `POST /api/v1/support/inbound` with the org's secret,
//! or `luneo support import-mail FILE`) becomes a requester's message on
//! the ticket it answers — found by `In-Reply-To`/`References` (the ids our
//! own mails carry) or by the `[#N]` of its subject from the requester's
//! address — or a new ticket. Quoted history and signatures are trimmed;
//! the same `Message-ID` twice lands once; auto-replies and bounces are
//! dropped, so they never reopen a ticket or start a loop.

use super::tickets::{self, Opener, TicketInput};
use super::{attachments, conversation};
use crate::db::Tx;
use crate::db::ids::random_token;
use crate::error::AppError;
use crate::web::i18n::Lang;
use mailparse::{MailHeaderMap, ParsedMail};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

/// What became of a mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Landed {
    /// A new ticket.
    Opened { ticket_id: String, number: i64 },
    /// A message on an existing ticket.
    Added { ticket_id: String, number: i64 },
    /// Taken in before (same Message-ID): nothing changed.
    Duplicate,
    /// An auto-reply or a bounce: dropped.
    Ignored,
}

/// The secret of `org_id`'s inbound address, made the first time it is asked for.
pub fn secret(tx: &Tx, org_id: &str) -> Result<String, AppError> {
    if let Some(s) = tx
        .query_row("SELECT secret FROM support_inbound WHERE org_id = ?1", [org_id], |r| {
            r.get(0)
        })
        .optional()?
    {
        return Ok(s);
    }
    let secret = random_token(32);
    tx.execute(
        "INSERT INTO support_inbound (org_id, secret, created_at) VALUES (?1, ?2, ?3)",
        rusqlite::params![org_id, secret, tx.now()],
    )?;
    crate::audit::record_in(tx, org_id, "support.inbound_created", None, serde_json::json!({}))?;
    Ok(secret)
}

/// The reply address of `org_id`'s support mails, as set (with
/// `{ticket}` standing for the ticket's number), if any.
pub fn reply_pattern(conn: &Connection, org_id: &str) -> Result<Option<String>, AppError> {
    Ok(conn
        .query_row(
            "SELECT reply_to FROM support_inbound WHERE org_id = ?1",
            [org_id],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()?
        .flatten())
}

/// Checks and saves the reply address of `org_id` (empty: none), audited.
/// With `{ticket}` it must still be an address once a number stands in it.
pub fn set_reply_to(tx: &Tx, org_id: &str, address: &str) -> Result<(), AppError> {
    let address = address.trim();
    if !address.is_empty()
        && (!crate::auth::valid_email(&address.replace("{ticket}", "12")) || address.matches("{ticket}").count() > 1)
    {
        return Err(AppError::invalid("reply_to", "support.error.reply_to"));
    }
    secret(tx, org_id)?;
    tx.execute(
        "UPDATE support_inbound SET reply_to = ?2 WHERE org_id = ?1",
        rusqlite::params![org_id, (!address.is_empty()).then_some(address)],
    )?;
    crate::audit::record(
        tx,
        "support.reply_to_set",
        None,
        serde_json::json!({ "address": address }),
    )
}

/// The `Reply-To` of a mail about ticket `number`, from the org's pattern.
pub fn reply_address(pattern: &str, number: i64) -> String {
    pattern.replace("{ticket}", &number.to_string())
}

/// The ticket number a recipient address carries under `pattern`
/// (`support+{ticket}@shop.example` and `support+12@shop.example` → 12).
fn number_in(pattern: &str, address: &str) -> Option<i64> {
    let (before, after) = pattern.split_once("{ticket}")?;
    let address = address.trim().to_lowercase();
    let middle = address
        .strip_prefix(&before.to_lowercase())?
        .strip_suffix(&after.to_lowercase())?;
    middle.parse().ok()
}

/// The org whose inbound secret is `secret`.
pub fn org_of_secret(conn: &Connection, secret: &str) -> Result<Option<String>, AppError> {
    Ok(conn
        .query_row("SELECT org_id FROM support_inbound WHERE secret = ?1", [secret], |r| {
            r.get(0)
        })
        .optional()?)
}

/// A `<id@host>` list as bare ids (`id`, the part before the `@`).
fn ids(header: Option<String>) -> Vec<String> {
    header
        .unwrap_or_default()
        .split_whitespace()
        .map(|i| i.trim_matches(|c| c == '<' || c == '>'))
        .filter(|i| !i.is_empty())
        .map(|i| i.split('@').next().unwrap_or(i).to_string())
        .collect()
}

/// Whether a mail was written by a machine: an auto-reply, a bounce, a list.
fn automatic(mail: &ParsedMail<'_>, from: &str) -> bool {
    let h = &mail.headers;
    let auto_submitted = h
        .get_first_value("Auto-Submitted")
        .is_some_and(|v| !v.trim().eq_ignore_ascii_case("no"));
    let bulk = h.get_first_value("Precedence").is_some_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "bulk" | "junk" | "list" | "auto_reply"
        )
    });
    let suppressed =
        h.get_first_value("X-Auto-Response-Suppress").is_some() && h.get_first_value("X-Autoreply").is_some();
    let daemon = {
        let local = from.split('@').next().unwrap_or_default().to_ascii_lowercase();
        local == "mailer-daemon" || local == "postmaster"
    };
    let report = mail.ctype.mimetype.eq_ignore_ascii_case("multipart/report");
    auto_submitted || bulk || suppressed || daemon || report
}

/// The plain text of a mail: its first `text/plain` part, else its HTML
/// part turned into text (html2text: quotes become `> ` lines, which
/// [`trimmed`] then drops; links keep their address).
fn text_of(mail: &ParsedMail<'_>) -> String {
    fn find(m: &ParsedMail<'_>, mime: &str) -> Option<String> {
        if m.subparts.is_empty() && m.ctype.mimetype.eq_ignore_ascii_case(mime) {
            return m.get_body().ok();
        }
        m.subparts.iter().find_map(|p| find(p, mime))
    }
    find(mail, "text/plain")
        .or_else(|| find(mail, "text/html").map(|html| as_text(&html)))
        .unwrap_or_default()
}

/// An HTML body as plain text, 100 columns wide (empty if it cannot be read).
fn as_text(html: &str) -> String {
    html2text::config::plain_no_decorate()
        .string_from_read(html.as_bytes(), 100)
        .unwrap_or_default()
}

/// What the requester wrote this time: the text above the quoted history
/// (`> …`, "On … wrote:", "Le … a écrit :", "-----Original Message-----")
/// and the signature (`-- `).
pub fn trimmed(text: &str) -> String {
    let mut kept: Vec<&str> = vec![];
    for line in text.lines() {
        let t = line.trim_end();
        let lower = t.trim().to_lowercase();
        let quote_intro = (lower.starts_with("on ") && lower.ends_with("wrote:"))
            || (lower.starts_with("le ") && (lower.ends_with("a écrit :") || lower.ends_with("a écrit:")));
        if t == "--" || t == "-- " || t.starts_with('>') || quote_intro || lower.starts_with("-----original message") {
            break;
        }
        kept.push(line);
    }
    kept.join("\n").trim().to_string()
}

/// The files a mail carries (parts sent as attachments, or named
/// non-text parts), each checked as an upload would be; those refused
/// (too large, of a type not accepted) are left out, and at most
/// [`attachments::MAX_FILES`] are kept.
pub fn files_of(raw: &[u8]) -> Vec<attachments::Upload> {
    fn walk(m: &ParsedMail<'_>, found: &mut Vec<attachments::Upload>) {
        if !m.subparts.is_empty() {
            return m.subparts.iter().for_each(|p| walk(p, found));
        }
        let disposition = m.get_content_disposition();
        let name = disposition
            .params
            .get("filename")
            .or_else(|| m.ctype.params.get("name"))
            .cloned();
        let attached = disposition.disposition == mailparse::DispositionType::Attachment
            || (name.is_some() && !m.ctype.mimetype.starts_with("text/"));
        if let (true, Ok(bytes)) = (attached, m.get_body_raw())
            && let Ok(upload) = attachments::check("file", name.as_deref().unwrap_or_default(), bytes)
        {
            found.push(upload);
        }
    }
    let mut found = vec![];
    if let Ok(mail) = mailparse::parse_mail(raw) {
        walk(&mail, &mut found);
    }
    found.truncate(attachments::MAX_FILES);
    found
}

/// Takes one raw mail into `org_id`'s support desk, in one transaction,
/// with its files (from [`files_of`], stored beforehand).
pub fn take(
    tx: &Tx,
    org_id: &str,
    raw: &[u8],
    files: &[attachments::Stored],
    base: &reqwest::Url,
) -> Result<Landed, AppError> {
    let mail = mailparse::parse_mail(raw).map_err(|_| AppError::invalid("message", "support.error.mail"))?;
    let from = mail
        .headers
        .get_first_value("From")
        .and_then(|f| mailparse::addrparse(&f).ok())
        .and_then(|list| {
            list.iter().find_map(|a| match a {
                mailparse::MailAddr::Single(s) => Some((s.addr.clone(), s.display_name.clone())),
                mailparse::MailAddr::Group(g) => g.addrs.first().map(|s| (s.addr.clone(), s.display_name.clone())),
            })
        })
        .ok_or_else(|| AppError::invalid("message", "support.error.mail_from"))?;
    let (address, name) = from;
    let message_id = ids(mail.headers.get_first_value("Message-ID"))
        .into_iter()
        .next()
        .unwrap_or_else(|| format!("no-id-{}", random_token(12)));
    let seen: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM support_mail_seen WHERE org_id = ?1 AND message_id = ?2)",
        [org_id, &message_id],
        |r| r.get(0),
    )?;
    if seen {
        tx.changes_no_identity();
        return Ok(Landed::Duplicate);
    }
    let remember = |ticket: Option<&str>| {
        tx.execute(
            "INSERT INTO support_mail_seen (org_id, message_id, ticket_id, at) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![org_id, message_id, ticket, tx.now()],
        )
    };
    if automatic(&mail, &address) {
        remember(None)?;
        return Ok(Landed::Ignored);
    }
    let subject = mail.headers.get_first_value("Subject").unwrap_or_default();
    let body = {
        let t = trimmed(&text_of(&mail));
        if t.is_empty() { subject.clone() } else { t }
    };
    // The ticket it answers: by the ids our mails carry, else by "[#N]" from the requester.
    let mut refs = ids(mail.headers.get_first_value("In-Reply-To"));
    refs.extend(ids(mail.headers.get_first_value("References")));
    let mut ticket = None;
    for r in refs.iter().rev() {
        let id: Option<String> = tx
            .query_row(
                "SELECT t.id FROM support_tickets t WHERE t.org_id = ?1 AND (t.id = ?2
                   OR t.id = (SELECT m.ticket_id FROM support_messages m WHERE m.mail_id = ?2))",
                [org_id, r],
                |row| row.get(0),
            )
            .optional()?;
        if let Some(id) = id {
            ticket = tickets::get(tx, org_id, &id)?;
            break;
        }
    }
    // Else by the number the reply address carries, or the "[#N]" of the subject.
    let by_address = match reply_pattern(tx, org_id)? {
        Some(pattern) if pattern.contains("{ticket}") => ["To", "Cc", "Delivered-To", "X-Original-To"]
            .iter()
            .flat_map(|h| mail.headers.get_all_values(h))
            .filter_map(|v| mailparse::addrparse(&v).ok())
            .flat_map(|list| list.iter().cloned().collect::<Vec<_>>())
            .flat_map(|a| match a {
                mailparse::MailAddr::Single(s) => vec![s.addr],
                mailparse::MailAddr::Group(g) => g.addrs.into_iter().map(|s| s.addr).collect(),
            })
            .find_map(|a| number_in(&pattern, &a)),
        _ => None,
    };
    if ticket.is_none()
        && let Some(n) = by_address.or_else(|| {
            subject
                .split("[#")
                .nth(1)
                .and_then(|rest| rest.split(']').next())
                .and_then(|n| n.trim().parse::<i64>().ok())
        })
    {
        let id: Option<String> = tx
            .query_row(
                "SELECT id FROM support_tickets WHERE org_id = ?1 AND number = ?2 AND lower(requester_email) = lower(?3)",
                rusqlite::params![org_id, n, address],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = id {
            ticket = tickets::get(tx, org_id, &id)?;
        }
    }
    // A ticket answered by its requester gets the message; a closed one, or
    // a mail from someone else, opens a new ticket.
    if let Some(t) =
        ticket.filter(|t| t.status() != super::Status::Closed && t.requester_email.eq_ignore_ascii_case(&address))
    {
        let made = conversation::requester_reply(tx, &t, &body, Some(&message_id), base)?;
        attachments::attach(tx, &t.id, Some(&made), files)?;
        remember(Some(&t.id))?;
        return Ok(Landed::Added {
            ticket_id: t.id.to_string(),
            number: t.number,
        });
    }
    let clean_subject = subject.trim();
    let input = TicketInput {
        subject: Some(if clean_subject.is_empty() {
            body.chars().take(80).collect()
        } else {
            clean_subject.chars().take(200).collect()
        }),
        description: Some(body),
        requester_email: Some(address),
        requester_name: name,
        ..TicketInput::default()
    };
    let new = input.parse(true).map_err(AppError::Invalid)?;
    let lang: String = tx.query_row("SELECT default_language FROM orgs WHERE id = ?1", [org_id], |r| {
        r.get(0)
    })?;
    let made = tickets::create(
        tx,
        org_id,
        &new,
        Opener::Customer(Lang::parse(&lang).unwrap_or_default()),
        base,
    )?;
    attachments::attach(tx, &made.id, None, files)?;
    remember(Some(&made.id))?;
    Ok(Landed::Opened {
        ticket_id: made.id.to_string(),
        number: made.number,
    })
}

#[cfg(test)]
mod tests {
    use super::trimmed;

    #[test]
    fn an_html_only_mail_is_read_as_its_text_without_tags_or_the_quoted_history() {
        let html = "<html><head><style>p{color:red}</style></head><body><p>Thanks, <b>that works</b>!</p>\
                    <script>alert(1)</script><blockquote><p>It ships tomorrow.</p></blockquote></body></html>";
        let text = trimmed(&super::as_text(html));
        assert_eq!(text, "Thanks, that works!");
    }

    #[test]
    fn the_reply_address_carries_the_ticket_number() {
        let pattern = "Support+{ticket}@Shop.example";
        assert_eq!(super::reply_address(pattern, 42), "Support+42@Shop.example");
        assert_eq!(super::number_in(pattern, "support+42@shop.example"), Some(42));
        assert_eq!(super::number_in(pattern, "support@shop.example"), None);
        assert_eq!(super::number_in(pattern, "other+42@shop.example"), None);
        assert_eq!(super::number_in("support@shop.example", "support@shop.example"), None);
    }

    #[test]
    fn quoted_history_and_signatures_are_trimmed() {
        let mail = "Thanks, that works!\n\nAna\n-- \nAna Client, Lyon\n\nOn Tue, 1 Dec 2026, Atelier wrote:\n> It ships tomorrow.";
        assert_eq!(trimmed(mail), "Thanks, that works!\n\nAna");
        let fr = "Merci !\n\nLe mar. 1 déc. 2026 à 10:00, Atelier a écrit :\n> C'est parti.";
        assert_eq!(trimmed(fr), "Merci !");
        assert_eq!(trimmed("Hello\n-----Original Message-----\nFrom: x"), "Hello");
    }
}
