//! Permissions: an [`Area`] of the product × a [`Level`] (view < edit <
//! manage), and the preset roles (owner, admin, member, viewer) built from
//! them. A role stores, for each area, the highest level it grants.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A part of the product that permissions are given on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    Catalog,
    Designs,
    Orders,
    Support,
    Monitoring,
    Analytics,
    Billing,
    Team,
    Integrations,
    Settings,
}

impl Area {
    pub const ALL: [Area; 10] = [
        Area::Catalog,
        Area::Designs,
        Area::Orders,
        Area::Support,
        Area::Monitoring,
        Area::Analytics,
        Area::Billing,
        Area::Team,
        Area::Integrations,
        Area::Settings,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Area::Catalog => "catalog",
            Area::Designs => "designs",
            Area::Orders => "orders",
            Area::Support => "support",
            Area::Monitoring => "monitoring",
            Area::Analytics => "analytics",
            Area::Billing => "billing",
            Area::Team => "team",
            Area::Integrations => "integrations",
            Area::Settings => "settings",
        }
    }

    pub fn parse(s: &str) -> Option<Area> {
        Area::ALL.into_iter().find(|a| a.key() == s)
    }
}

/// How much may be done in an area; each level includes the ones below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    View,
    Edit,
    Manage,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::View, Level::Edit, Level::Manage];

    pub fn key(self) -> &'static str {
        match self {
            Level::View => "view",
            Level::Edit => "edit",
            Level::Manage => "manage",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.key() == s)
    }
}

/// One permission, written `area:level` (`team:manage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Perm(pub Area, pub Level);

impl fmt::Display for Perm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.0.key(), self.1.key())
    }
}

/// What a role grants: the highest level per area (absent = nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grants(pub BTreeMap<Area, Level>);

impl Grants {
    pub fn allows(&self, perm: Perm) -> bool {
        self.0.get(&perm.0).is_some_and(|granted| *granted >= perm.1)
    }

    /// Every permission granted, expanded (`team:view`, `team:edit`, …).
    pub fn list(&self) -> Vec<String> {
        let mut out = vec![];
        for (area, top) in &self.0 {
            for level in Level::ALL.into_iter().filter(|l| l <= top) {
                out.push(Perm(*area, level).to_string());
            }
        }
        out
    }

    fn uniform(level: Level) -> Grants {
        Grants(Area::ALL.into_iter().map(|a| (a, level)).collect())
    }
}

/// The preset roles every organisation starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Owner,
    Admin,
    Member,
    Viewer,
}

impl Preset {
    pub const ALL: [Preset; 4] = [Preset::Owner, Preset::Admin, Preset::Member, Preset::Viewer];

    pub fn key(self) -> &'static str {
        match self {
            Preset::Owner => "owner",
            Preset::Admin => "admin",
            Preset::Member => "member",
            Preset::Viewer => "viewer",
        }
    }

    pub fn grants(self) -> Grants {
        match self {
            Preset::Owner | Preset::Admin => Grants::uniform(Level::Manage),
            Preset::Member => {
                let mut g = Grants::uniform(Level::View);
                for area in [Area::Catalog, Area::Designs, Area::Orders, Area::Support] {
                    g.0.insert(area, Level::Edit);
                }
                g.0.remove(&Area::Billing);
                g
            }
            Preset::Viewer => {
                let mut g = Grants::uniform(Level::View);
                g.0.remove(&Area::Billing);
                g
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_include_the_ones_below() {
        let g = Preset::Member.grants();
        assert!(g.allows(Perm(Area::Orders, Level::View)));
        assert!(g.allows(Perm(Area::Orders, Level::Edit)));
        assert!(!g.allows(Perm(Area::Orders, Level::Manage)));
        assert!(!g.allows(Perm(Area::Billing, Level::View)));
        assert!(!Preset::Viewer.grants().allows(Perm(Area::Team, Level::Edit)));
        assert!(Preset::Owner.grants().allows(Perm(Area::Billing, Level::Manage)));
    }

    #[test]
    fn grants_serialize_as_a_map_and_list_expanded() {
        let mut g = Grants::default();
        g.0.insert(Area::Team, Level::Edit);
        assert_eq!(serde_json::to_string(&g).unwrap(), r#"{"team":"edit"}"#);
        assert_eq!(g.list(), ["team:view", "team:edit"]);
        assert_eq!(Perm(Area::Team, Level::Manage).to_string(), "team:manage");
    }
}
