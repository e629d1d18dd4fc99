//! Tags on tickets: a few words a member puts on a ticket to find it again
//! (`vip`, `gift-wrap`), lower case, joined by `-`; at most 10 a ticket.
//! Setting them is a change like any other: one timeline entry with the
//! tags before and after.

use super::tickets::Ticket;
use crate::db::Tx;
use crate::error::AppError;
use rusqlite::Connection;
use serde::Deserialize;

/// The most tags on one ticket.
pub const MAX_TAGS: usize = 10;

/// Texts as sent, not yet checked: one text split at `SEP` from a form, a
/// list (or the same text) from the API.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SplitList<const SEP: char>(pub Vec<String>);

/// Tags: `vip, gift wrap` from a form.
pub type TagList = SplitList<','>;
/// One per line from a form (a select's options).
pub type LineList = SplitList<'\n'>;

impl<const SEP: char> SplitList<SEP> {
    fn from_text(text: &str) -> Self {
        SplitList(text.split(SEP).map(str::to_string).collect())
    }
}

#[rocket::async_trait]
impl<'v, const SEP: char> rocket::form::FromFormField<'v> for SplitList<SEP> {
    fn from_value(field: rocket::form::ValueField<'v>) -> rocket::form::Result<'v, Self> {
        Ok(Self::from_text(field.value))
    }
}

impl<'de, const SEP: char> Deserialize<'de> for SplitList<SEP> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Sent {
            List(Vec<String>),
            Text(String),
        }
        Ok(match Sent::deserialize(d)? {
            Sent::List(l) => SplitList(l),
            Sent::Text(t) => Self::from_text(&t),
        })
    }
}

/// One tag as kept: trimmed, lower case, spaces become `-`; 1 to 30
/// letters, digits, `-` or `_`.
pub fn tag(text: &str) -> Result<String, AppError> {
    let t: String = text
        .trim()
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("-");
    let ok = !t.is_empty() && t.chars().count() <= 30 && t.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_');
    ok.then_some(t)
        .ok_or_else(|| AppError::invalid("tags", "support.error.tag"))
}

/// The tags of a list, checked, without duplicates, sorted; empty entries
/// (`a, , b`) are skipped.
pub fn parse(list: &TagList) -> Result<Vec<String>, AppError> {
    let mut tags = list
        .0
        .iter()
        .filter(|t| !t.trim().is_empty())
        .map(|t| tag(t))
        .collect::<Result<Vec<_>, _>>()?;
    tags.sort();
    tags.dedup();
    if tags.len() > MAX_TAGS {
        return Err(AppError::invalid("tags", "support.error.tags_count"));
    }
    Ok(tags)
}

/// The tags of ticket `id`, sorted.
pub fn of(conn: &Connection, ticket_id: &str) -> Result<Vec<String>, AppError> {
    let mut stmt = conn.prepare_cached("SELECT tag FROM support_ticket_tags WHERE ticket_id = ?1 ORDER BY tag")?;
    let rows = stmt.query_map([ticket_id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The tags used on `org_id`'s tickets (what the list filters by).
pub fn used(conn: &Connection, org_id: &str) -> Result<Vec<String>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT g.tag FROM support_ticket_tags g JOIN support_tickets t ON t.id = g.ticket_id
         WHERE t.org_id = ?1 ORDER BY g.tag LIMIT 200",
    )?;
    let rows = stmt.query_map([org_id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Gives `ticket` exactly `tags` (checked); `Some((before, after))` as
/// text when they changed, for the timeline.
pub fn set(tx: &Tx, ticket: &Ticket, tags: &[String]) -> Result<Option<(String, String)>, AppError> {
    let before = of(tx, &ticket.id)?;
    if before == tags {
        return Ok(None);
    }
    tx.execute(
        "DELETE FROM support_ticket_tags WHERE ticket_id = ?1",
        [ticket.id.as_str()],
    )?;
    for t in tags {
        tx.execute(
            "INSERT INTO support_ticket_tags (ticket_id, tag) VALUES (?1, ?2)",
            [ticket.id.as_str(), t],
        )?;
    }
    Ok(Some((before.join(", "), tags.join(", "))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_folded_to_one_form_and_bad_ones_named() {
        let sent = TagList::from_text(" VIP, gift wrap,,vip , Été ");
        assert_eq!(parse(&sent).unwrap(), ["gift-wrap", "vip", "été"]);
        assert!(parse(&SplitList(vec!["<b>".into()])).is_err());
        assert!(parse(&SplitList(vec!["x".repeat(31)])).is_err());
        let many = SplitList((0..11).map(|i| format!("t{i}")).collect());
        assert!(parse(&many).is_err());
        assert_eq!(parse(&TagList::default()).unwrap(), Vec::<String>::new());
    }
}
