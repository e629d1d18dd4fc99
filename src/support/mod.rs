//! Support desk (`/dashboard/support`, `/help/{org_slug}`,
//! `/api/v1/support/…`): an organisation's tickets, opened by its
//! customers from the public help centre (no account: a private link,
//! mailed, follows the conversation) or by its members and the API; the
//! conversation (replies mailed to the requester, internal notes never
//! shown or mailed to them), the timeline of changes, and the categories.
//!
//! Files: `tickets` (input, numbering, storage, lists), `changes` (the
//! status workflow, members' changes, the timeline), `attachments`,
//! `tags`, `views`, `bulk`, `canned`, `fields`, `closing` (resolution
//! mail, rating, auto-close), `presence`,
//! `conversation` (replies and notes, the mails that carry them),
//! `sla` (service levels in business hours, the breach job), `pages` (the
//! team's pages), `help` (the requester's public pages), `api`. Each
//! module names its tables; docs/ARCHITECTURE.md ("Support desk") has them all.

mod api;
pub mod attachments;
mod bulk;
pub mod canned;
mod canned_pages;
pub mod categories;
mod changes;
pub mod closing;
pub mod conversation;
mod demo;
pub mod fields;
mod fields_pages;
mod help;
pub mod inbound;
pub mod kb;
mod kb_help;
mod kb_pages;
pub mod overview;
mod pages;
pub mod presence;
pub mod sla;
mod sla_pages;
pub mod tags;
mod ticket_pages;
pub mod tickets;
pub mod views;

use crate::error::AppError;

crate::typed_id!(
    /// The id of a support ticket (`tkt_…`).
    TicketId,
    "tkt"
);
crate::typed_id!(
    /// The id of a ticket category (`cat_…`).
    CategoryId,
    "cat"
);
crate::typed_id!(
    /// The id of a message of a ticket (`msg_…`).
    MessageId,
    "msg"
);

/// The sidebar entry, shown to whoever may view support.
pub const NAV: crate::web::shell::NavEntry = crate::web::shell::NavEntry {
    key: "support",
    href: "/dashboard/support",
    label_key: "dashboard.section.support",
    area: Some(crate::orgs::perms::Area::Support),
};

/// Where a ticket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Open,
    PendingCustomer,
    InProgress,
    Resolved,
    Closed,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Open,
        Status::PendingCustomer,
        Status::InProgress,
        Status::Resolved,
        Status::Closed,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::PendingCustomer => "pending_customer",
            Status::InProgress => "in_progress",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }

    pub fn parse(field: &str, text: &str) -> Result<Status, AppError> {
        Status::ALL
            .into_iter()
            .find(|s| s.key() == text.trim())
            .ok_or_else(|| AppError::invalid(field, "support.error.status"))
    }

    /// The statuses a ticket may move to from this one. A closed ticket
    /// stays closed (a new question is a new ticket); a resolved one may
    /// be reopened or closed.
    pub fn next(self) -> &'static [Status] {
        use Status::*;
        match self {
            Open => &[PendingCustomer, InProgress, Resolved, Closed],
            PendingCustomer => &[Open, InProgress, Resolved, Closed],
            InProgress => &[Open, PendingCustomer, Resolved, Closed],
            Resolved => &[Open, Closed],
            Closed => &[],
        }
    }
}

/// How urgent a ticket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    Low,
    Medium,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::Low, Priority::Medium, Priority::High, Priority::Urgent];

    pub fn key(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Medium => "medium",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    pub fn parse(field: &str, text: &str) -> Result<Priority, AppError> {
        Priority::ALL
            .into_iter()
            .find(|p| p.key() == text.trim())
            .ok_or_else(|| AppError::invalid(field, "support.error.priority"))
    }
}

/// Its part of `luneo demo`.
pub fn demo_step() -> crate::demo::DemoStep {
    demo::step()
}

/// Its scheduled jobs: every minute, the tickets past a due time are
/// marked and told; every hour, resolved tickets past the org's days close.
pub fn jobs(base_url: reqwest::Url) -> Vec<crate::jobs::JobDef> {
    let closing_base = base_url.clone();
    vec![
        crate::jobs::JobDef::new("support.sla", "0 * * * * *", move |ctx| {
            let base = base_url.clone();
            async move {
                let found = ctx.db.write(move |tx| sla::check_breaches(tx, &base)).await?;
                Ok(format!("{found} tickets past due"))
            }
        }),
        crate::jobs::JobDef::new("support.auto_close", "0 7 * * * *", move |ctx| {
            let base = closing_base.clone();
            async move {
                let closed = ctx.db.write(move |tx| closing::auto_close(tx, &base)).await?;
                Ok(format!("{closed} resolved tickets closed"))
            }
        }),
    ]
}

pub fn routes() -> Vec<rocket::Route> {
    let mut all = pages::routes();
    all.extend(ticket_pages::routes());
    all.extend(help::routes());
    all.extend(kb_help::routes());
    all.extend(kb_pages::routes());
    all.extend(sla_pages::routes());
    all.extend(api::routes());
    all.extend(views::routes());
    all.extend(bulk::routes());
    all.extend(canned_pages::routes());
    all.extend(fields_pages::routes());
    all
}

#[cfg(test)]
mod tests {
    use super::Status;

    #[test]
    fn a_closed_ticket_stays_closed_and_a_resolved_one_can_be_reopened() {
        assert!(Status::Closed.next().is_empty());
        assert!(Status::Resolved.next().contains(&Status::Open));
        assert!(!Status::Resolved.next().contains(&Status::InProgress));
        for s in Status::ALL {
            assert!(!s.next().contains(&s), "{s:?} → itself is no move");
            assert_eq!(Status::parse("status", s.key()).unwrap(), s);
        }
        assert!(Status::parse("status", "lost").is_err());
    }
}
