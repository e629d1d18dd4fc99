//! Organisations (shops), their roles and memberships, and the [`Member`]
//! guard every org-scoped handler takes: the signed-in user, the org of
//! their session (never one named in the request) and what their role
//! allows. Permission checks happen here, on the server.

mod api;
pub mod escalation;
mod mails;
pub mod perms;
mod roles;
mod settings;
pub mod team;
mod team_pages;

use crate::audit::{self, Actor, AuditCtx};
use crate::auth::{Identity, User, Via};
use crate::db::Db;
use crate::db::Tx;
use crate::db::ids::new_id;
use crate::error::AppError;
use crate::web::error::stash;
use crate::web::shell::{FirstStep, NavEntry};
use perms::{Area, Grants, Level, Perm, Preset};
use rocket::request::{FromRequest, Outcome, Request};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Org {
    pub id: OrgId,
    pub slug: String,
    pub name: String,
    pub default_language: String,
    pub time_zone: String,
    pub currency: String,
    pub seat_limit: Option<i64>,
    /// Members must use two-factor authentication.
    pub require_2fa: bool,
    /// SHA-256 of the logo in the file store.
    pub logo_file: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Role {
    pub id: String,
    pub key: String,
    pub name: String,
    pub builtin: bool,
    pub grants: Grants,
}

const ORG_COLUMNS: &str =
    "o.id, o.slug, o.name, o.default_language, o.time_zone, o.currency, o.seat_limit, o.require_2fa, o.logo_file";
const ROLE_COLUMNS: &str = "r.id, r.key, r.name, r.builtin, r.permissions";

fn org_at(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Org> {
    Ok(Org {
        id: r.get(at)?,
        slug: r.get(at + 1)?,
        name: r.get(at + 2)?,
        default_language: r.get(at + 3)?,
        time_zone: r.get(at + 4)?,
        currency: r.get(at + 5)?,
        seat_limit: r.get(at + 6)?,
        require_2fa: r.get(at + 7)?,
        logo_file: r.get(at + 8)?,
    })
}

pub(crate) fn role_at(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Role> {
    let grants: String = r.get(at + 4)?;
    Ok(Role {
        id: r.get(at)?,
        key: r.get(at + 1)?,
        name: r.get(at + 2)?,
        builtin: r.get(at + 3)?,
        grants: serde_json::from_str(&grants).unwrap_or_default(),
    })
}

crate::typed_id!(
    /// The id of an organisation (`org_…`).
    OrgId,
    "org"
);

/// The key of a role in an org (`owner`, `admin`, `member`, `viewer` or a
/// custom role's key), as a form or the API names it: not a free string, so
/// it cannot be passed where a user id or an email is expected. Whether the
/// org has such a role is for the change to find out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleKey(String);

impl RoleKey {
    /// The role key given in `field` (trimmed, 1–64 characters of
    /// `a-z 0-9 _ -`), or the field's error.
    pub fn parse(field: &str, text: &str) -> Result<RoleKey, AppError> {
        let key = text.trim();
        let fine = (1..=64).contains(&key.len())
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if fine {
            Ok(RoleKey(key.to_string()))
        } else {
            Err(AppError::invalid(field, "team.error.role_unknown"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An organisation's slug as its public pages use it (`/help/<slug>`):
/// 2–48 characters of `a-z 0-9 -`, not starting or ending with `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    /// The slug given in `field` (trimmed), or the field's error.
    pub fn parse(field: &str, text: &str) -> Result<Slug, AppError> {
        let slug = text.trim();
        let fine = (2..=48).contains(&slug.len())
            && slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !slug.starts_with('-')
            && !slug.ends_with('-');
        if fine {
            Ok(Slug(slug.to_string()))
        } else {
            Err(AppError::invalid(field, "settings.error.slug"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the settings page changes about an organisation, parsed.
#[derive(Debug, Clone)]
pub struct OrgSettings {
    pub name: String,
    pub slug: Slug,
    pub default_language: crate::web::i18n::Lang,
    pub time_zone: chrono_tz::Tz,
    /// ISO 4217 code (`EUR`).
    pub currency: String,
    pub audit_retention_days: i64,
    pub require_2fa: bool,
}

/// Saves an org's settings (audited); the slug must be free.
pub fn save_settings(tx: &Tx, org_id: &OrgId, s: &OrgSettings) -> Result<(), AppError> {
    let taken: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM orgs WHERE slug = ?1 AND id <> ?2)",
        (s.slug.as_str(), org_id),
        |r| r.get(0),
    )?;
    if taken {
        return Err(AppError::invalid("slug", "settings.error.slug_taken"));
    }
    let (lang, zone) = (s.default_language.code(), s.time_zone.name());
    tx.execute(
        "UPDATE orgs SET name = ?2, slug = ?3, default_language = ?4, time_zone = ?5, currency = ?6, audit_retention_days = ?7,
           require_2fa = ?8, settings_saved_at = ?9 WHERE id = ?1",
        rusqlite::params![org_id, s.name, s.slug.as_str(), lang, zone, s.currency, s.audit_retention_days, s.require_2fa, tx.now()],
    )?;
    audit::record(
        tx,
        "org.settings_changed",
        Some(("org", org_id)),
        serde_json::json!({ "name": s.name, "slug": s.slug.as_str(), "default_language": lang,
            "time_zone": zone, "currency": s.currency, "audit_retention_days": s.audit_retention_days,
            "require_2fa": s.require_2fa }),
    )
}

/// A slug made of a name: lower-case ASCII letters and digits joined by
/// `-` (accents folded: "Délais" → "delais"), at most `max` characters.
pub fn slug_of(name: &str, max: usize) -> String {
    let mut slug = slug::slugify(name);
    slug.truncate(max);
    slug.trim_matches('-').to_string()
}

/// A URL-safe slug for `name` not yet taken (`my-shop`, `my-shop-2`, …).
fn free_slug(tx: &Tx, name: &str) -> Result<String, AppError> {
    let base = match slug_of(name, 48) {
        s if s.is_empty() => "shop".to_string(),
        s => s,
    };
    for n in 1.. {
        let candidate = if n == 1 { base.clone() } else { format!("{base}-{n}") };
        let taken: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM orgs WHERE slug = ?1)",
            [&candidate],
            |r| r.get(0),
        )?;
        if !taken {
            return Ok(candidate);
        }
    }
    unreachable!("some slug is free")
}

/// Creates an organisation with the preset roles, owned by `owner`.
pub fn create_org(tx: &Tx, name: &str, owner: &User, language: &str) -> Result<Org, AppError> {
    let id = OrgId::generate();
    let slug = free_slug(tx, name)?;
    tx.execute(
        "INSERT INTO orgs (id, slug, name, default_language, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        rusqlite::params![id, slug, name.trim(), language, tx.now()],
    )?;
    for preset in Preset::ALL {
        tx.execute(
            "INSERT INTO roles (id, org_id, key, name, builtin, permissions) VALUES (?1, ?2, ?3, ?4, 1, ?5)",
            rusqlite::params![
                new_id("rol"),
                id,
                preset.key(),
                preset.key(),
                serde_json::to_string(&preset.grants()).expect("grants serialize")
            ],
        )?;
    }
    audit::record_in(
        tx,
        &id,
        "org.created",
        Some(("org", &id)),
        serde_json::json!({ "name": name.trim(), "slug": slug }),
    )?;
    add_member(tx, &id, &owner.id, "owner")?;
    Ok(org(tx, &id)?.expect("just created"))
}

/// Adds a user to an organisation with the role `role_key`.
pub fn add_member(tx: &Tx, org_id: &str, user_id: &str, role_key: &str) -> Result<(), AppError> {
    let role_id: String = tx
        .query_row(
            "SELECT id FROM roles WHERE org_id = ?1 AND key = ?2",
            (org_id, role_key),
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| {
            AppError::invalid(
                "role",
                crate::error::Message::new("team.error.no_such_role").with("role", role_key),
            )
        })?;
    tx.execute(
        "INSERT INTO memberships (org_id, user_id, role_id, created_at) VALUES (?1, ?2, ?3, ?4)",
        (org_id, user_id, &role_id, tx.now()),
    )?;
    audit::record_in(
        tx,
        org_id,
        "member.added",
        Some(("user", user_id)),
        serde_json::json!({ "role": role_key }),
    )
}

/// Whether `user_id` belongs to the org.
pub fn is_member(conn: &Connection, org_id: &str, user_id: &str) -> Result<bool, AppError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM memberships WHERE org_id = ?1 AND user_id = ?2)",
        (org_id, user_id),
        |r| r.get(0),
    )?)
}

pub fn org(conn: &Connection, id: &str) -> Result<Option<Org>, AppError> {
    Ok(conn
        .query_row(
            &format!("SELECT {ORG_COLUMNS} FROM orgs o WHERE o.id = ?1"),
            [id],
            |r| org_at(r, 0),
        )
        .optional()?)
}

/// The org whose slug or name is `key`.
/// The organisation at `slug` (its public pages' addresses: `/status/{slug}`, `/help/{slug}`).
pub fn by_slug(conn: &Connection, slug: &str) -> Result<Option<Org>, AppError> {
    Ok(find_org(conn, slug)?.filter(|o| o.slug == slug))
}

pub fn find_org(conn: &Connection, key: &str) -> Result<Option<Org>, AppError> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {ORG_COLUMNS} FROM orgs o WHERE o.slug = ?1 OR o.name = ?1 ORDER BY o.slug = ?1 DESC LIMIT 1"
            ),
            [key],
            |r| org_at(r, 0),
        )
        .optional()?)
}

/// Every organisation a user belongs to, with their role there, by name.
pub fn memberships_of(conn: &Connection, user_id: &str) -> Result<Vec<(Org, Role)>, AppError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ORG_COLUMNS}, {ROLE_COLUMNS} FROM memberships m
         JOIN orgs o ON o.id = m.org_id JOIN roles r ON r.id = m.role_id
         WHERE m.user_id = ?1 ORDER BY o.name"
    ))?;
    let rows = stmt.query_map([user_id], |r| Ok((org_at(r, 0)?, role_at(r, 9)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A signed-in member acting in their current organisation.
#[derive(Debug, Clone)]
pub struct Member {
    pub user: User,
    pub org: Org,
    pub role: Role,
    pub via: Via,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// Every org the user belongs to (for the org switcher).
    pub orgs: Vec<Org>,
    /// Unread in-app notifications here (the bell).
    pub unread: i64,
}

impl Role {
    /// The catalogue key of the role's name (custom roles show their own name).
    pub fn label_key(&self) -> String {
        if self.builtin {
            format!("team.role.{}", self.key)
        } else {
            self.name.clone()
        }
    }

    /// The role's name in notification data: a catalogue reference for a
    /// built-in role (shown in the reader's language), the name of a custom one.
    pub fn notice_value(&self) -> serde_json::Value {
        if self.builtin {
            serde_json::json!({ "t": self.label_key() })
        } else {
            serde_json::Value::String(self.name.clone())
        }
    }
}

/// The role's name in `lang` (built-in roles through the catalogue).
pub fn role_label(lang: crate::web::i18n::Lang, role: &Role) -> String {
    if role.builtin {
        lang.t(&role.label_key()).to_string()
    } else {
        role.name.clone()
    }
}

/// The team pages (members, invitations, the invitation link, roles,
/// settings) and the team API.
/// The team's entry in the sidebar.
pub const NAV_TEAM: NavEntry = NavEntry {
    key: "team",
    href: "/dashboard/team",
    label_key: "dashboard.section.team",
    area: Some(Area::Team),
};

/// The settings' entry in the sidebar.
pub const NAV_SETTINGS: NavEntry = NavEntry {
    key: "settings",
    href: "/dashboard/settings",
    label_key: "dashboard.section.settings",
    area: Some(Area::Settings),
};

/// First step: someone else is in the team, or has been invited.
pub const STEP_TEAM: FirstStep = FirstStep {
    href: "/dashboard/team",
    label_key: "dashboard.overview.step_team",
    area: Some((Area::Team, Level::Manage)),
    done: |conn, org| {
        conn.prepare_cached(
            "SELECT (SELECT COUNT(*) FROM memberships WHERE org_id = ?1) > 1
                 OR EXISTS (SELECT 1 FROM invitations WHERE org_id = ?1)",
        )?
        .query_row([org], |r| r.get(0))
    },
};

/// First step: the settings have been saved once.
pub const STEP_SETTINGS: FirstStep = FirstStep {
    href: "/dashboard/settings",
    label_key: "dashboard.overview.step_settings",
    area: Some((Area::Settings, Level::Manage)),
    done: |conn, org| {
        conn.prepare_cached("SELECT settings_saved_at IS NOT NULL FROM orgs WHERE id = ?1")?
            .query_row([org], |r| r.get(0))
    },
};

pub fn routes() -> Vec<rocket::Route> {
    let mut all = team_pages::routes();
    all.extend(api::routes());
    all.extend(settings::routes());
    all.extend(roles::routes());
    all
}

impl Member {
    pub fn can(&self, area: Area, level: Level) -> bool {
        self.role.grants.allows(Perm(area, level))
    }

    /// Who is acting, for the rules of [`escalation`].
    pub fn acting(&self) -> escalation::Acting {
        escalation::Acting {
            user_id: self.user.id.clone(),
            name: self.user.name.clone(),
            role: self.role.clone(),
        }
    }

    /// Fails with 403 naming the missing permission.
    pub fn require(&self, area: Area, level: Level) -> Result<(), AppError> {
        if self.can(area, level) {
            Ok(())
        } else {
            Err(AppError::MissingPermission(Perm(area, level).to_string()))
        }
    }

    /// How this member's pages show times: in their own time zone, else the org's.
    pub fn clockface(&self, lang: crate::web::i18n::Lang, now: i64) -> crate::web::when::Clockface {
        let zone = self.user.time_zone.as_deref().unwrap_or(&self.org.time_zone);
        crate::web::when::Clockface::new(zone, lang, now)
    }

    /// The audit context of a change made by this member now.
    pub fn audit(&self, now: i64) -> AuditCtx {
        let actor = match &self.via {
            Via::Session { .. } => Actor::User {
                id: self.user.id.to_string(),
                label: self.user.email.clone(),
            },
            Via::ApiToken { id, name } => Actor::ApiToken {
                id: id.clone(),
                label: format!("{} ({name})", self.user.email),
            },
        };
        AuditCtx {
            org_id: Some(self.org.id.to_string()),
            actor,
            ip: self.ip.clone(),
            user_agent: self.user_agent.clone(),
            now,
        }
    }
}

async fn resolve(req: &Request<'_>, identity: Identity) -> Result<Member, AppError> {
    let db = req
        .rocket()
        .state::<Db>()
        .ok_or_else(|| AppError::internal("no database"))?
        .clone();
    let (all, prefetched_unread) = match &identity.prefetched {
        Some(p) => (p.memberships.clone(), Some(p.unread)),
        None => {
            let user_id = identity.user.id.clone();
            (db.read(move |c| memberships_of(c, &user_id)).await?, None)
        }
    };
    let chosen = match &identity.org_id {
        Some(id) => all.iter().find(|(o, _)| &o.id == id),
        None => all.first(),
    };
    let Some((org, role)) = chosen.cloned() else {
        return Err(AppError::Forbidden("error.no_org".into()));
    };
    // An org that requires two-factor lets its members without it do one
    // thing: turn it on (or go to another org, or sign out). Their API
    // tokens are refused until then.
    let path = req.uri().path();
    let exempt = matches!(identity.via, Via::Session { .. })
        && (path == "/dashboard/account/2fa"
            || path.starts_with("/dashboard/account/2fa/")
            || path == "/logout"
            || path == "/dashboard/switch-org");
    if org.require_2fa && !identity.user.two_factor && !exempt {
        return Err(AppError::TwoFactorRequired);
    }
    if let (Via::Session { id }, None) = (&identity.via, &identity.org_id) {
        let (session_id, org_id) = (id.clone(), org.id.clone());
        db.write(move |tx| crate::auth::session::set_org(tx, &session_id, &org_id))
            .await?;
    }
    let unread = match prefetched_unread {
        Some(n) => n,
        None => {
            let (org_id, user_id) = (org.id.clone(), identity.user.id.clone());
            db.read(move |c| crate::notifications::unread_count(c, &org_id, &user_id))
                .await?
        }
    };
    Ok(Member {
        unread,
        user: identity.user,
        org,
        role,
        via: identity.via,
        ip: crate::auth::client_ip(req),
        user_agent: crate::auth::user_agent(req),
        orgs: all.into_iter().map(|(o, _)| o).collect(),
    })
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Member {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let identity = match req.guard::<Identity>().await {
            Outcome::Success(i) => i,
            Outcome::Error(e) => return Outcome::Error(e),
            Outcome::Forward(f) => return Outcome::Forward(f),
        };
        let found: &Result<Member, AppError> = req.local_cache_async(resolve(req, identity)).await;
        match found {
            Ok(member) => Outcome::Success(member.clone()),
            Err(e) => Outcome::Error((stash(req, e.clone()), ())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{RoleKey, Slug};

    #[test]
    fn a_slug_is_what_a_public_address_can_hold() {
        assert_eq!(Slug::parse("slug", " mugs-and-co ").unwrap().as_str(), "mugs-and-co");
        for bad in ["a", "-mugs", "mugs-", "Mugs", "mugs co", "mugs/co", &"m".repeat(49)] {
            assert!(Slug::parse("slug", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_role_key_is_a_short_lowercase_word() {
        assert_eq!(RoleKey::parse("role", " admin ").unwrap().as_str(), "admin");
        assert_eq!(RoleKey::parse("role", "print-shop_2").unwrap().as_str(), "print-shop_2");
        for bad in ["", "Admin", "a b", "x'; DROP", &"a".repeat(65)] {
            assert!(RoleKey::parse("role", bad).is_err(), "{bad:?}");
        }
    }
}
