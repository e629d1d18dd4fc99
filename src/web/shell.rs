//! The shell every back-office page renders inside: header with the org
//! switcher and user menu, the sidebar of sections, main. A section is
//! listed only if the member may view it. Pages hold a [`Shell`] beside
//! their [`super::page::PageCtx`].

use crate::auth::Via;
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};

/// A section of the product in the sidebar.
pub struct Section {
    pub key: &'static str,
    /// The area whose `view` permission the section needs (`None`: everyone).
    pub area: Option<Area>,
}

pub const SECTIONS: [Section; 11] = [
    Section {
        key: "products",
        area: Some(Area::Catalog),
    },
    Section {
        key: "designs",
        area: Some(Area::Designs),
    },
    Section {
        key: "orders",
        area: Some(Area::Orders),
    },
    Section {
        key: "monitoring",
        area: Some(Area::Monitoring),
    },
    Section {
        key: "support",
        area: Some(Area::Support),
    },
    Section {
        key: "analytics",
        area: Some(Area::Analytics),
    },
    Section {
        key: "billing",
        area: Some(Area::Billing),
    },
    Section {
        key: "team",
        area: Some(Area::Team),
    },
    Section {
        key: "notifications",
        area: None,
    },
    Section {
        key: "integrations",
        area: Some(Area::Integrations),
    },
    Section {
        key: "settings",
        area: Some(Area::Settings),
    },
];

/// One sidebar link as the template shows it.
pub struct NavItem {
    pub key: &'static str,
    pub href: String,
    pub label_key: String,
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
        let nav = SECTIONS
            .iter()
            .filter(|s| s.area.is_none_or(|a| member.can(a, Level::View)))
            .map(|s| NavItem {
                key: s.key,
                href: format!("/dashboard/{}", s.key),
                label_key: format!("dashboard.section.{}", s.key),
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
