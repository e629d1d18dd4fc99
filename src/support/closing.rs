//! The end of a ticket's life: the mail that tells the requester their
//! request is resolved, with two links to say whether it helped (the
//! rating page asks again and takes a comment: a link in a mail is never
//! a vote by itself, as mail scanners open links); the rating, kept on the
//! ticket and in its timeline; and the job that closes resolved tickets
//! after the org's number of days (7 unless set; 0: never), with a mail.

use super::Status;
use super::conversation::private_link;
use super::tickets::{self, Ticket};
use crate::db::Tx;
use crate::error::AppError;
use crate::mail::{self, Action};

/// The rating page of `ticket`, with the score chosen (`good`, `bad`) or not.
pub fn rating_link(tx: &Tx, ticket: &Ticket, base: &reqwest::Url, score: Option<&str>) -> Result<String, AppError> {
    let page = format!("{}/rate", private_link(tx, ticket, base)?);
    Ok(match score {
        Some(s) => format!("{page}?score={s}"),
        None => page,
    })
}

/// The paragraph asking whether the answer helped, with its two links.
pub fn rating_paragraph(tx: &Tx, ticket: &Ticket, base: &reqwest::Url) -> Result<String, AppError> {
    let (good, bad) = (
        rating_link(tx, ticket, base, Some("good"))?,
        rating_link(tx, ticket, base, Some("bad"))?,
    );
    Ok(ticket
        .lang()
        .tf("support.mail.rate", &[("good", good.as_str()), ("bad", bad.as_str())]))
}

fn auto_close_days(tx: &Tx, org_id: &str) -> Result<i64, AppError> {
    Ok(super::sla::policy(tx, org_id)?.auto_close_days)
}

/// Mails the requester that `ticket` is resolved, asking how it went.
pub fn mail_resolved(tx: &Tx, ticket: &Ticket, base: &reqwest::Url) -> Result<(), AppError> {
    let lang = ticket.lang();
    let days = auto_close_days(tx, &ticket.org_id)?.to_string();
    let (number, subject, name) = (ticket.reference(), ticket.subject.clone(), ticket.requester_label());
    let args = [
        ("number", number.as_str()),
        ("subject", subject.as_str()),
        ("name", name.as_str()),
        ("days", days.as_str()),
    ];
    let closes = if days == "0" {
        String::new()
    } else {
        format!("\n\n{}", lang.tf("support.mail.resolved_closes", &args))
    };
    let mut mail = mail::action_mail(
        &ticket.requester_email,
        lang,
        Action {
            subject: lang.tf("support.mail.resolved_subject", &args),
            greeting: lang.tf("support.mail.greeting", &args),
            body: format!(
                "{}\n\n{}{closes}",
                lang.tf("support.mail.resolved_body", &args),
                rating_paragraph(tx, ticket, base)?
            ),
            action_label: lang.t("support.mail.rate_action"),
            action_url: rating_link(tx, ticket, base, None)?,
            note: lang.t("support.mail.note").to_string(),
        },
    )?;
    mail.thread = Some(super::conversation::thread(
        tx,
        ticket,
        &format!("{}-resolved", ticket.id),
    )?);
    super::conversation::send(tx, ticket, mail)
}

/// The requester's rating of `ticket`: `good` or `bad`, with a comment of
/// at most 2 000 characters. Only once it is resolved or closed; a new
/// rating replaces the last one. In the timeline, audited.
pub fn rate(tx: &Tx, ticket: &Ticket, score: &str, comment: &str) -> Result<(), AppError> {
    if !matches!(score, "good" | "bad") {
        return Err(AppError::invalid("score", "support.error.score"));
    }
    let comment = comment.trim();
    if comment.chars().count() > 2_000 {
        return Err(AppError::invalid("comment", "support.error.comment"));
    }
    if !matches!(ticket.status(), Status::Resolved | Status::Closed) {
        return Err(AppError::conflict("support.error.not_resolved"));
    }
    tx.execute(
        "UPDATE support_tickets SET satisfaction = ?2, satisfaction_comment = ?3, rated_at = ?4 WHERE id = ?1",
        rusqlite::params![
            ticket.id.as_str(),
            score,
            (!comment.is_empty()).then_some(comment),
            tx.now()
        ],
    )?;
    tickets::record_event(
        tx,
        ticket,
        None,
        "satisfaction",
        ticket.satisfaction.as_deref(),
        Some(score),
    )?;
    crate::audit::record_in(
        tx,
        &ticket.org_id,
        "support.rated",
        Some(("ticket", &ticket.id)),
        serde_json::json!({ "number": ticket.number, "score": score }),
    )
}

/// Closes the tickets resolved for longer than their org's days, each with
/// a mail to its requester; returns how many it closed.
pub fn auto_close(tx: &Tx, base: &reqwest::Url) -> Result<usize, AppError> {
    let due: Vec<(String, String)> = {
        let mut stmt = tx.prepare_cached(
            "SELECT t.id, t.org_id FROM support_tickets t LEFT JOIN support_sla s ON s.org_id = t.org_id
             WHERE t.status = 'resolved' AND coalesce(s.auto_close_days, 7) > 0
               AND t.resolved_at <= ?1 - coalesce(s.auto_close_days, 7) * 86400",
        )?;
        let rows = stmt.query_map([tx.now()], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    if due.is_empty() {
        tx.changes_no_identity();
    }
    for (id, org_id) in &due {
        let Some(ticket) = tickets::get(tx, org_id, id)? else {
            continue;
        };
        tickets::set_status(tx, &ticket, Status::Closed, None)?;
        crate::audit::record_in(
            tx,
            org_id,
            "support.auto_closed",
            Some(("ticket", &ticket.id)),
            serde_json::json!({ "number": ticket.number }),
        )?;
        mail_closed(tx, &ticket, base)?;
    }
    Ok(due.len())
}

fn mail_closed(tx: &Tx, ticket: &Ticket, base: &reqwest::Url) -> Result<(), AppError> {
    let lang = ticket.lang();
    let slug: String = tx.query_row("SELECT slug FROM orgs WHERE id = ?1", [&ticket.org_id], |r| r.get(0))?;
    let (number, subject, name) = (ticket.reference(), ticket.subject.clone(), ticket.requester_label());
    let args = [
        ("number", number.as_str()),
        ("subject", subject.as_str()),
        ("name", name.as_str()),
    ];
    let mut body = lang.tf("support.mail.closed_body", &args);
    if ticket.satisfaction.is_none() {
        body = format!("{body}\n\n{}", rating_paragraph(tx, ticket, base)?);
    }
    let mut mail = mail::action_mail(
        &ticket.requester_email,
        lang,
        Action {
            subject: lang.tf("support.mail.closed_subject", &args),
            greeting: lang.tf("support.mail.greeting", &args),
            body,
            action_label: lang.t("support.mail.new_request"),
            action_url: format!("{}/help/{slug}/new", base.as_str().trim_end_matches('/')),
            note: String::new(),
        },
    )?;
    mail.thread = Some(super::conversation::thread(
        tx,
        ticket,
        &format!("{}-closed", ticket.id),
    )?);
    super::conversation::send(tx, ticket, mail)
}
