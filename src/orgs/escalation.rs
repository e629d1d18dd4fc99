//! The rules that keep anyone from raising their own rights, on pages and
//! API alike:
//!
//! - nobody changes their own role, nor the permissions of the role they hold;
//! - nobody grants a permission level they do not hold (editing or creating
//!   a role), nor assigns a role that holds more than theirs (changing a
//!   member's role, inviting), nor acts on a member whose role holds more;
//! - only an owner makes admins, and only an owner gives, takes or removes
//!   the owner role.
//!
//! A refusal is a 403 naming the rule ([`AppError::Refused`]); the handler
//! runs the change through [`guarded`], which records the refused attempt
//! in the audit log (the change's own transaction rolls back).

use super::Role;
use super::perms::{Area, Grants, Perm};
use crate::audit::{self, AuditCtx};
use crate::db::Db;
use crate::db::Tx;
use crate::error::{AppError, Message};

/// Who is acting: their user id, name and the role they hold in the org.
#[derive(Debug, Clone)]
pub struct Acting {
    pub user_id: crate::auth::UserId,
    pub name: String,
    pub role: Role,
}

impl Acting {
    fn is_owner(&self) -> bool {
        self.role.builtin && self.role.key == "owner"
    }

    /// The first permission of `grants` the actor does not hold.
    fn lacks(&self, grants: &Grants) -> Option<Perm> {
        grants
            .0
            .iter()
            .map(|(area, level)| Perm(*area, *level))
            .find(|p| !self.role.grants.allows(*p))
    }
}

fn refuse(rule: &'static str) -> AppError {
    AppError::Refused(Message::new(rule))
}

fn refuse_perm(rule: &'static str, perm: Perm) -> AppError {
    AppError::Refused(Message::new(rule).with("permission", perm))
}

/// May `actor` give the member `target_user` (holding `current`) the role `new`?
pub fn check_assignment(actor: &Acting, target_user: &str, current: &Role, new: &Role) -> Result<(), AppError> {
    if actor.user_id == target_user {
        return Err(refuse("team.refused.own_role"));
    }
    check_acting_on(actor, current)?;
    check_offer(actor, new)
}

/// May `actor` act on (change, remove) a member who holds `current`?
pub fn check_acting_on(actor: &Acting, current: &Role) -> Result<(), AppError> {
    if actor.is_owner() {
        return Ok(());
    }
    if current.builtin && current.key == "owner" {
        return Err(refuse("team.refused.only_owner_owners"));
    }
    match actor.lacks(&current.grants) {
        Some(perm) => Err(refuse_perm("team.refused.member_beyond_yours", perm)),
        None => Ok(()),
    }
}

/// May `actor` hand out `role` (to a member or in an invitation)?
pub fn check_offer(actor: &Acting, role: &Role) -> Result<(), AppError> {
    if actor.is_owner() {
        return Ok(());
    }
    if role.builtin && role.key == "owner" {
        return Err(refuse("team.refused.only_owner_owners"));
    }
    if role.builtin && role.key == "admin" {
        return Err(refuse("team.refused.only_owner_admins"));
    }
    match actor.lacks(&role.grants) {
        Some(perm) => Err(refuse_perm("team.refused.role_beyond_yours", perm)),
        None => Ok(()),
    }
}

/// May `actor` change the permissions of `role` from what it grants to `new`?
/// Every area whose level changes needs the actor to hold the higher of the
/// two levels: nobody grants, nor takes away, what they do not hold.
pub fn check_role_edit(actor: &Acting, role: &Role, new: &Grants) -> Result<(), AppError> {
    if role.id == actor.role.id {
        return Err(refuse("team.refused.held_role"));
    }
    if actor.is_owner() {
        return Ok(());
    }
    for area in Area::ALL {
        let (before, after) = (role.grants.0.get(&area), new.0.get(&area));
        if before == after {
            continue;
        }
        let top = before.max(after).copied().expect("one of two differing levels is set");
        if !actor.role.grants.allows(Perm(area, top)) {
            return Err(refuse_perm("team.refused.grant_beyond_yours", Perm(area, top)));
        }
    }
    Ok(())
}

/// The grants of a new role: `base`, cut down to what `actor` holds.
pub fn within_reach(actor: &Acting, base: Grants) -> Grants {
    Grants(
        base.0
            .into_iter()
            .filter_map(|(area, level)| {
                let held = actor.role.grants.0.get(&area)?;
                Some((area, level.min(*held)))
            })
            .collect(),
    )
}

/// Runs `change` in one write transaction; when it is refused by a rule,
/// records `action` (e.g. `member.role_change_refused`) against `target`
/// with the rule, in a transaction of its own, and returns the refusal.
pub async fn guarded<T, F>(
    db: &Db,
    audit: AuditCtx,
    action: &'static str,
    target: (&'static str, String),
    change: F,
) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&Tx) -> Result<T, AppError> + Send + 'static,
{
    let result = db.write_as(audit.clone(), change).await;
    if let Err(AppError::Refused(refusal)) = &result {
        let refusal = refusal.clone();
        db.write_as(audit, move |tx| {
            let meta = serde_json::json!({ "rule": refusal.key, "permission": refusal.arg("permission") });
            audit::record(tx, action, Some((target.0, &target.1)), meta)
        })
        .await?;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orgs::perms::{Level, Preset};

    fn role(id: &str, key: &str, builtin: bool, grants: Grants) -> Role {
        Role {
            id: id.into(),
            key: key.into(),
            name: key.into(),
            builtin,
            grants,
        }
    }

    fn team_manager() -> Acting {
        let mut g = Grants::default();
        g.0.insert(Area::Team, Level::Manage);
        Acting {
            user_id: crate::auth::UserId::from_text("usr_me"),
            name: "Me".into(),
            role: role("rol_tm", "team-manager", false, g),
        }
    }

    fn rule(r: Result<(), AppError>) -> String {
        match r {
            Err(AppError::Refused(x)) => x.key,
            Err(other) => panic!("{other:?}"),
            Ok(()) => "allowed".into(),
        }
    }

    #[test]
    fn a_team_manager_cannot_raise_their_own_rights() {
        let me = team_manager();
        let admin = role("rol_a", "admin", true, Preset::Admin.grants());
        let viewer = role("rol_v", "viewer", true, Preset::Viewer.grants());
        assert_eq!(
            rule(check_assignment(&me, "usr_me", &me.role, &admin)),
            "team.refused.own_role"
        );
        assert_eq!(
            rule(check_role_edit(&me, &me.role, &Preset::Admin.grants())),
            "team.refused.held_role"
        );
        assert_eq!(rule(check_offer(&me, &admin)), "team.refused.only_owner_admins");
        assert_eq!(rule(check_offer(&me, &viewer)), "team.refused.role_beyond_yours");
        let other = role("rol_o", "other", false, Grants::default());
        assert_eq!(
            rule(check_role_edit(&me, &other, &Preset::Admin.grants())),
            "team.refused.grant_beyond_yours"
        );
        let mut team_view = Grants::default();
        team_view.0.insert(Area::Team, Level::View);
        assert_eq!(rule(check_role_edit(&me, &other, &team_view)), "allowed");
        assert_eq!(within_reach(&me, Preset::Viewer.grants()), team_view);
    }

    #[test]
    fn an_owner_may_do_everything_but_change_their_own_role() {
        let owner = Acting {
            user_id: crate::auth::UserId::from_text("usr_o"),
            name: "Owner".into(),
            role: role("rol_own", "owner", true, Preset::Owner.grants()),
        };
        let admin = role("rol_a", "admin", true, Preset::Admin.grants());
        assert_eq!(rule(check_offer(&owner, &admin)), "allowed");
        assert_eq!(rule(check_assignment(&owner, "usr_x", &admin, &admin)), "allowed");
        assert_eq!(
            rule(check_assignment(&owner, "usr_o", &owner.role, &admin)),
            "team.refused.own_role"
        );
    }
}
