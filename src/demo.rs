//! `luneo demo`: a demo shop to try Luneo with. It creates (once) the org
//! `demo` owned by `demo@luneo.local` with a few people in each preset
//! role, then runs each feature's [`DemoStep`] in its own transaction.
//! Every part is idempotent: a second run adds nothing and changes no
//! password. Features register their step in `lib.rs` (`demo_steps`), as
//! they register their jobs.

use crate::auth::{self, NewUser, User};
use crate::db::Db;
use crate::db::Tx;
use crate::error::AppError;
use crate::orgs::{self, Org};

/// The slug of the demo org.
pub const ORG_SLUG: &str = "demo";
/// The demo org's owner.
pub const OWNER_EMAIL: &str = "demo@luneo.local";

/// The people of the demo shop besides the owner: (email, name, role).
const PEOPLE: [(&str, &str, &str); 5] = [
    ("ada.admin@luneo.local", "Ada Admin", "admin"),
    ("max.member@luneo.local", "Max Member", "member"),
    ("mia.member@luneo.local", "Mia Member", "member"),
    ("vera.viewer@luneo.local", "Vera Viewer", "viewer"),
    ("victor.viewer@luneo.local", "Victor Viewer", "viewer"),
];

/// What a feature's step gets: the demo org, its owner and people.
pub struct DemoCtx {
    pub org: Org,
    pub owner: User,
    /// Everyone else, with their role key.
    pub people: Vec<(User, String)>,
    pub now: i64,
    pub base_url: reqwest::Url,
    /// Where files go (the demo's photos).
    pub config: crate::config::Config,
}

/// One feature's part of the demo; `run` says in a line what it added
/// (or that it was there already).
pub struct DemoStep {
    pub name: &'static str,
    pub run: fn(&Tx, &DemoCtx) -> Result<String, AppError>,
}

/// What `luneo demo` did.
pub struct Report {
    /// The owner's password when this run created the owner and made it up.
    pub generated_password: Option<String>,
    pub lines: Vec<String>,
}

/// Creates the demo shop (or finds it) and runs every step. `password` is
/// the owner's (and everyone's) for new accounts; `None` makes one up.
pub fn run(
    db: &Db,
    steps: &[DemoStep],
    password: Option<String>,
    now: i64,
    config: &crate::config::Config,
) -> Result<Report, AppError> {
    let (password, generated) = match password {
        Some(p) => (p, false),
        None => (crate::db::ids::random_token(18), true),
    };
    auth::password::check_policy(&password, &[OWNER_EMAIL]).map_err(|key| AppError::invalid("LUNEO_PASSWORD", key))?;
    let hash = auth::password::hash(&password);
    let (ctx, created_owner, mut lines) = db.write_blocking(|tx| people(tx, &hash, now, config))?;
    for step in steps {
        let line = db.write_blocking(|tx| (step.run)(tx, &ctx))?;
        lines.push(format!("{}: {line}", step.name));
    }
    Ok(Report {
        generated_password: (generated && created_owner).then_some(password),
        lines,
    })
}

/// The demo org and its people, created where missing.
fn people(
    tx: &Tx,
    hash: &str,
    now: i64,
    config: &crate::config::Config,
) -> Result<(DemoCtx, bool, Vec<String>), AppError> {
    let account = |email: &str, name: &str| -> Result<(User, bool), AppError> {
        if let Some(user) = auth::find_by_email(tx, email)? {
            return Ok((user, false));
        }
        let new = NewUser {
            email,
            name,
            password_hash: Some(hash.to_string()),
            language: None,
            verified: true,
            instance_admin: false,
        };
        Ok((auth::create_user(tx, &new, now)?, true))
    };
    let (owner, created_owner) = account(OWNER_EMAIL, "Demo Owner")?;
    // An instance with nobody to run it gets the demo owner as its admin.
    auth::make_instance_admin_if_none(tx, &owner.id)?;
    let mut lines = vec![];
    let org = match orgs::find_org(tx, ORG_SLUG)?.filter(|o| o.slug == ORG_SLUG) {
        Some(org) => {
            lines.push(format!("the org {ORG_SLUG} was there already"));
            org
        }
        None => {
            let org = orgs::create_org(tx, "Demo", &owner, "en")?;
            lines.push(format!("created the org {} owned by {OWNER_EMAIL}", org.slug));
            org
        }
    };
    if !orgs::is_member(tx, &org.id, &owner.id)? {
        orgs::add_member(tx, &org.id, &owner.id, "owner")?;
    }
    let mut people = vec![];
    let mut added = 0;
    for (email, name, role) in PEOPLE {
        let (user, _) = account(email, name)?;
        if !orgs::is_member(tx, &org.id, &user.id)? {
            orgs::add_member(tx, &org.id, &user.id, role)?;
            added += 1;
        }
        people.push((user, role.to_string()));
    }
    lines.push(format!("{added} of {} people added", PEOPLE.len()));
    let ctx = DemoCtx {
        org,
        owner,
        people,
        now,
        base_url: config.base_url.clone(),
        config: config.clone(),
    };
    Ok((ctx, created_owner, lines))
}
