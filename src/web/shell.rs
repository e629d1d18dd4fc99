//! The shell every back-office page renders inside: header with the org
//! switcher and user menu, the sidebar of the features that exist
//! ([`NavEntry`], each listed only if the member may view it), main. Pages hold a [`Shell`] beside
//! their [`super::page::PageCtx`].

use crate::auth::Via;
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};

/// A feature's entry in the sidebar. Each feature declares its own beside
/// its `routes()`; `crate::NAVIGATION` lists them once, in sidebar order, so
/// the sidebar shows only what exists.
pub struct NavEntry {
    /// The section key pages pass to [`Shell::new`] to be marked current.
    pub key: &'static str,
    pub href: &'static str,
    pub label_key: &'static str,
    /// The area whose `view` permission shows the entry (`None`: everyone).
    pub area: Option<Area>,
}

/// A first step on the overview: a link to where it is done and whether
/// it is done for the org. Features declare theirs; `crate::FIRST_STEPS`
/// lists them.
pub struct FirstStep {
    pub href: &'static str,
    pub label_key: &'static str,
    /// Shown only to members with this permission (`None`: everyone).
    pub area: Option<(Area, Level)>,
    pub done: fn(&rusqlite::Connection, &crate::orgs::OrgId) -> rusqlite::Result<bool>,
}

/// One sidebar link as the template shows it.
pub struct NavItem {
    pub key: &'static str,
    pub href: &'static str,
    pub label_key: &'static str,
    pub current: bool,
}

/// What the shell shows around every dashboard page.
pub struct Shell {
    pub user_name: String,
    pub user_email: String,
    pub org_name: String,
    pub org_id: String,
    pub org_logo: Option<String>,
    pub unread: i64,
    pub can_manage_settings: bool,
    pub orgs: Vec<(String, String)>,
    pub nav: Vec<NavItem>,
    pub unverified: bool,
    pub signed_in_by_session: bool,
    pub instance_admin: bool,
    pub current: String,
}

impl Shell {
    /// The shell for `member`, with `current` (a section key or "overview") marked.
    pub fn new(member: &Member, current: &str) -> Shell {
        let nav = crate::NAVIGATION
            .iter()
            .filter(|s| s.area.is_none_or(|a| member.can(a, Level::View)))
            .map(|s| NavItem {
                key: s.key,
                href: s.href,
                label_key: s.label_key,
                current: s.key == current,
            })
            .collect();
        Shell {
            user_name: member.user.name.clone(),
            user_email: member.user.email.clone(),
            org_name: member.org.name.clone(),
            org_id: member.org.id.to_string(),
            org_logo: member.org.logo_file.clone(),
            unread: member.unread,
            can_manage_settings: member.can(Area::Settings, Level::Manage),
            orgs: member.orgs.iter().map(|o| (o.id.to_string(), o.name.clone())).collect(),
            nav,
            unverified: !member.user.email_verified,
            signed_in_by_session: matches!(member.via, Via::Session { .. }),
            instance_admin: member.user.is_instance_admin,
            current: current.to_string(),
        }
    }
}
