//! The team of an organisation: members (list, change role, remove, with
//! always one owner left) and invitations (create within the seat limit,
//! resend, revoke, accept). Every change writes its audit row.

use super::escalation::{self, Acting};
use super::{Org, OrgId, Role, RoleKey};
use crate::audit;
use crate::auth::{Email, UserId};
use crate::db::Tx;
use crate::db::ids::{hash_token, new_id, random_token};
use crate::error::AppError;
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

/// Invitations stay valid this long.
pub const INVITATION_DAYS: i64 = 7;

#[derive(Debug, Clone, Serialize)]
pub struct MemberRow {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    pub role: String,
    pub role_name: String,
    pub two_factor: bool,
    pub joined_at: i64,
    pub last_active_at: Option<i64>,
}

/// The members of `org_id` whose role grants `perm` (who is told about
/// what that permission shows).
pub fn members_who_can(conn: &Connection, org_id: &str, perm: super::perms::Perm) -> Result<Vec<UserId>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.user_id, r.permissions FROM memberships m JOIN roles r ON r.id = m.role_id WHERE m.org_id = ?1 ORDER BY m.created_at",
    )?;
    let rows = stmt.query_map([org_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = vec![];
    for row in rows {
        let (user_id, grants) = row?;
        let grants: super::perms::Grants = serde_json::from_str(&grants).unwrap_or_default();
        if grants.allows(perm) {
            out.push(UserId::from_text(user_id));
        }
    }
    Ok(out)
}

/// The org's members, by name.
pub fn members(conn: &Connection, org_id: &str) -> Result<Vec<MemberRow>, AppError> {
    let mut stmt = conn.prepare_cached(&format!(
        "{MEMBER_SELECT} WHERE m.org_id = ?1 ORDER BY u.name COLLATE NOCASE, u.email"
    ))?;
    let rows = stmt.query_map([org_id], member_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// At most `limit` members by user id, after the id `after` (the API's cursor).
pub fn members_by_id(
    conn: &Connection,
    org_id: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<MemberRow>, AppError> {
    let mut stmt = conn.prepare_cached(&format!(
        "{MEMBER_SELECT} WHERE m.org_id = ?1 AND (?2 IS NULL OR u.id > ?2) ORDER BY u.id LIMIT ?3"
    ))?;
    let rows = stmt.query_map(rusqlite::params![org_id, after, limit], member_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

const MEMBER_SELECT: &str =
    "SELECT u.id, u.name, u.email, r.key, r.name, m.created_at, m.last_active_at, u.totp_enabled_at IS NOT NULL
     FROM memberships m JOIN users u ON u.id = m.user_id JOIN roles r ON r.id = m.role_id";

fn member_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MemberRow> {
    Ok(MemberRow {
        user_id: r.get(0)?,
        name: r.get(1)?,
        email: r.get(2)?,
        role: r.get(3)?,
        role_name: r.get(4)?,
        two_factor: r.get(7)?,
        joined_at: r.get(5)?,
        last_active_at: r.get(6)?,
    })
}

/// The org's roles, presets first.
pub fn roles(conn: &Connection, org_id: &str) -> Result<Vec<Role>, AppError> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.id, r.key, r.name, r.builtin, r.permissions FROM roles r WHERE r.org_id = ?1
         ORDER BY r.builtin DESC, CASE r.key WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'member' THEN 2 WHEN 'viewer' THEN 3 ELSE 4 END, r.name",
    )?;
    let rows = stmt.query_map([org_id], |r| super::role_at(r, 0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn role_by_key(tx: &Connection, org_id: &str, key: &str) -> Result<Role, AppError> {
    tx.query_row(
        "SELECT r.id, r.key, r.name, r.builtin, r.permissions FROM roles r WHERE r.org_id = ?1 AND r.key = ?2",
        (org_id, key),
        |r| super::role_at(r, 0),
    )
    .optional()?
    .ok_or_else(|| AppError::invalid("role", "team.error.role_unknown"))
}

fn owner_count(tx: &Connection, org_id: &str) -> Result<i64, AppError> {
    Ok(tx.query_row(
        "SELECT count(*) FROM memberships m JOIN roles r ON r.id = m.role_id WHERE m.org_id = ?1 AND r.key = 'owner'",
        [org_id],
        |r| r.get(0),
    )?)
}

fn member_role(tx: &Connection, org_id: &str, user_id: &str) -> Result<String, AppError> {
    Ok(held_role(tx, org_id, user_id)?.key)
}

/// The role `user_id` holds in the org.
fn held_role(tx: &Connection, org_id: &str, user_id: &str) -> Result<Role, AppError> {
    tx.query_row(
        "SELECT r.id, r.key, r.name, r.builtin, r.permissions FROM memberships m JOIN roles r ON r.id = m.role_id
         WHERE m.org_id = ?1 AND m.user_id = ?2",
        (org_id, user_id),
        |r| super::role_at(r, 0),
    )
    .optional()?
    .ok_or(AppError::NotFound)
}

/// Gives a member another role, within the rules of [`escalation`]
/// (nobody raises their own rights); the last owner keeps the role.
pub fn change_role(
    tx: &Tx,
    actor: &Acting,
    org_id: &OrgId,
    user_id: &UserId,
    role_key: &RoleKey,
    base_url: &reqwest::Url,
) -> Result<(), AppError> {
    let role_key = role_key.as_str();
    let held = held_role(tx, org_id, user_id)?;
    let current = held.key.clone();
    let role = role_by_key(tx, org_id, role_key)?;
    if current == "owner" && role_key != "owner" && owner_count(tx, org_id)? <= 1 {
        return Err(AppError::Conflict("team.error.last_owner".into()));
    }
    escalation::check_assignment(actor, user_id, &held, &role)?;
    tx.execute(
        "UPDATE memberships SET role_id = ?3 WHERE org_id = ?1 AND user_id = ?2",
        (org_id, user_id, &role.id),
    )?;
    audit::record(
        tx,
        "member.role_changed",
        Some(("user", user_id)),
        serde_json::json!({ "from": current, "to": role_key }),
    )?;
    if current != role_key {
        let org_name: String = tx.query_row("SELECT name FROM orgs WHERE id = ?1", [org_id], |r| r.get(0))?;
        let notice = crate::notifications::Notice {
            kind: &crate::notifications::TEAM_ROLE_CHANGED,
            data: serde_json::json!({ "org": org_name, "role": role.notice_value() }),
            link: Some("/dashboard"),
        };
        crate::notifications::notify(tx, org_id, std::slice::from_ref(user_id), notice, base_url)?;
    }
    Ok(())
}

/// Removes a member (their sessions leave the org, their tokens for it end).
pub fn remove_member(tx: &Tx, actor: &Acting, org_id: &OrgId, user_id: &UserId) -> Result<(), AppError> {
    let held = held_role(tx, org_id, user_id)?;
    escalation::check_acting_on(actor, &held)?;
    let current = held.key;
    if current == "owner" && owner_count(tx, org_id)? <= 1 {
        return Err(AppError::Conflict("team.error.last_owner".into()));
    }
    tx.execute(
        "DELETE FROM memberships WHERE org_id = ?1 AND user_id = ?2",
        (org_id, user_id),
    )?;
    crate::auth::leave_org(tx, org_id, user_id)?;
    audit::record(
        tx,
        "member.removed",
        Some(("user", user_id)),
        serde_json::json!({ "role": current }),
    )
}

#[derive(Debug, Clone, Serialize)]
pub struct Invitation {
    pub id: String,
    pub email: String,
    pub role: String,
    pub invited_by: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub status: String,
}

const INVITATION_SELECT: &str = "SELECT i.id, i.email, r.key, u.email, i.created_at, i.expires_at,
       CASE WHEN i.accepted_at IS NOT NULL THEN 'accepted' WHEN i.revoked_at IS NOT NULL THEN 'revoked'
            WHEN i.expires_at <= ?2 THEN 'expired' ELSE 'pending' END
     FROM invitations i JOIN roles r ON r.id = i.role_id LEFT JOIN users u ON u.id = i.invited_by";

fn invitation_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Invitation> {
    Ok(Invitation {
        id: r.get(0)?,
        email: r.get(1)?,
        role: r.get(2)?,
        invited_by: r.get(3)?,
        created_at: r.get(4)?,
        expires_at: r.get(5)?,
        status: r.get(6)?,
    })
}

/// The org's invitations still waiting for an answer, newest first.
pub fn pending_invitations(conn: &Connection, org_id: &str, now: i64) -> Result<Vec<Invitation>, AppError> {
    let mut stmt = conn.prepare_cached(&format!(
        "{INVITATION_SELECT} WHERE i.org_id = ?1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > ?2
         ORDER BY i.created_at DESC"
    ))?;
    let rows = stmt.query_map((org_id, now), invitation_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// At most `limit` pending invitations by id, after the id `after` (the API's cursor).
pub fn pending_invitations_by_id(
    conn: &Connection,
    org_id: &str,
    now: i64,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Invitation>, AppError> {
    let mut stmt = conn.prepare_cached(&format!(
        "{INVITATION_SELECT} WHERE i.org_id = ?1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > ?2
           AND (?3 IS NULL OR i.id > ?3) ORDER BY i.id LIMIT ?4"
    ))?;
    let rows = stmt.query_map(rusqlite::params![org_id, now, after, limit], invitation_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn pending_count(tx: &Connection, org_id: &str, now: i64) -> Result<i64, AppError> {
    Ok(tx.query_row(
        "SELECT count(*) FROM invitations WHERE org_id = ?1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?2",
        (org_id, now),
        |r| r.get(0),
    )?)
}

/// Invites `email` with `role_key`; returns the invitation and the secret for the link.
pub fn invite(
    tx: &Tx,
    org: &Org,
    actor: &Acting,
    email: &Email,
    role_key: &RoleKey,
    base_url: &reqwest::Url,
) -> Result<Invitation, AppError> {
    let (email, role_key) = (email.as_str(), role_key.as_str());
    let inviter_id = &actor.user_id;
    let role = role_by_key(tx, &org.id, role_key)?;
    if role.key == "owner" {
        return Err(AppError::invalid("role", "team.error.invite_owner"));
    }
    escalation::check_offer(actor, &role)?;
    let member: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = ?1 AND u.email = ?2)",
        (&org.id, email),
        |r| r.get(0),
    )?;
    if member {
        return Err(AppError::invalid("email", "team.error.already_member"));
    }
    let now = tx.now();
    let invited: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM invitations WHERE org_id = ?1 AND email = ?2 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?3)",
        (&org.id, email, now),
        |r| r.get(0),
    )?;
    if invited {
        return Err(AppError::invalid("email", "team.error.already_invited"));
    }
    if let Some(limit) = org.seat_limit {
        let members: i64 = tx.query_row("SELECT count(*) FROM memberships WHERE org_id = ?1", [&org.id], |r| {
            r.get(0)
        })?;
        if members + pending_count(tx, &org.id, now)? >= limit {
            return Err(AppError::invalid("email", "team.error.seat_limit"));
        }
    }
    let id = new_id("inv");
    let token = random_token(32);
    tx.execute(
        "INSERT INTO invitations (id, org_id, email, role_id, token_hash, invited_by, created_at, last_sent_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)",
        rusqlite::params![id, org.id, email, role.id, hash_token(&token), inviter_id, now, now + INVITATION_DAYS * 86_400],
    )?;
    audit::record(
        tx,
        "member.invited",
        Some(("invitation", &id)),
        serde_json::json!({ "email": email, "role": role.key }),
    )?;
    let invitation = invitation(tx, &org.id, &id, now)?.ok_or(AppError::NotFound)?;
    send(tx, org, &actor.name, &invitation, &token, base_url)?;
    Ok(invitation)
}

/// One invitation of the org.
pub fn invitation(conn: &Connection, org_id: &str, id: &str, now: i64) -> Result<Option<Invitation>, AppError> {
    Ok(conn
        .query_row(
            &format!("{INVITATION_SELECT} WHERE i.org_id = ?1 AND i.id = ?3"),
            (org_id, now, id),
            invitation_row,
        )
        .optional()?)
}

/// A new link for a pending invitation (the old one stops working), valid 7 days again.
pub fn resend(
    tx: &Tx,
    org: &Org,
    inviter_name: &str,
    id: &str,
    base_url: &reqwest::Url,
) -> Result<Invitation, AppError> {
    let org_id = &org.id;
    let token = random_token(32);
    let now = tx.now();
    let changed = tx.execute(
        "UPDATE invitations SET token_hash = ?3, last_sent_at = ?4, expires_at = ?5
         WHERE org_id = ?1 AND id = ?2 AND accepted_at IS NULL AND revoked_at IS NULL",
        rusqlite::params![org_id, id, hash_token(&token), now, now + INVITATION_DAYS * 86_400],
    )?;
    if changed == 0 {
        return Err(AppError::NotFound);
    }
    audit::record(tx, "invitation.resent", Some(("invitation", id)), serde_json::json!({}))?;
    let invitation = invitation(tx, org_id, id, now)?.ok_or(AppError::NotFound)?;
    send(tx, org, inviter_name, &invitation, &token, base_url)?;
    Ok(invitation)
}

/// Queues the invitation mail with its link, in the same transaction.
fn send(
    tx: &Tx,
    org: &Org,
    inviter_name: &str,
    invitation: &Invitation,
    token: &str,
    base_url: &reqwest::Url,
) -> Result<(), AppError> {
    let mail = super::mails::invitation(&invitation.email, org, inviter_name, &invitation.role, base_url, token)?;
    crate::mail::queue(tx, Some(&org.id), &mail).map(|_| ())
}

pub fn revoke(tx: &Tx, org_id: &str, id: &str) -> Result<(), AppError> {
    let changed = tx.execute(
        "UPDATE invitations SET revoked_at = ?3 WHERE org_id = ?1 AND id = ?2 AND accepted_at IS NULL AND revoked_at IS NULL",
        (org_id, id, tx.now()),
    )?;
    if changed == 0 {
        return Err(AppError::NotFound);
    }
    audit::record(
        tx,
        "invitation.revoked",
        Some(("invitation", id)),
        serde_json::json!({}),
    )
}

/// What an invitation link leads to.
#[derive(Debug, Clone)]
pub struct OpenInvitation {
    pub id: String,
    pub org: Org,
    pub email: String,
    pub role: String,
    pub inviter_name: Option<String>,
}

/// The pending invitation behind a link, if it still works.
pub fn by_token(conn: &Connection, token: &str, now: i64) -> Result<Option<OpenInvitation>, AppError> {
    let found: Option<(String, String, String, String, Option<String>)> = conn
        .query_row(
            "SELECT i.id, i.org_id, i.email, r.key, u.name FROM invitations i JOIN roles r ON r.id = i.role_id
             LEFT JOIN users u ON u.id = i.invited_by
             WHERE i.token_hash = ?1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > ?2",
            (hash_token(token), now),
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let Some((id, org_id, email, role, inviter_name)) = found else {
        return Ok(None);
    };
    let org = super::org(conn, &org_id)?.ok_or(AppError::NotFound)?;
    Ok(Some(OpenInvitation {
        id,
        org,
        email,
        role,
        inviter_name,
    }))
}

/// Accepts an invitation for `user_id` (whose address it was sent to) and
/// tells the inviter.
pub fn accept(tx: &Tx, invitation: &OpenInvitation, user_id: &str, base_url: &reqwest::Url) -> Result<(), AppError> {
    let changed = tx.execute(
        "UPDATE invitations SET accepted_at = ?2 WHERE id = ?1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?2",
        (&invitation.id, tx.now()),
    )?;
    if changed == 0 {
        return Err(AppError::NotFound);
    }
    super::add_member(tx, &invitation.org.id, user_id, &invitation.role)?;
    audit::record_in(
        tx,
        &invitation.org.id,
        "invitation.accepted",
        Some(("invitation", &invitation.id)),
        serde_json::json!({ "user": user_id }),
    )?;
    let inviter: Option<String> = tx
        .query_row(
            "SELECT invited_by FROM invitations WHERE id = ?1",
            [&invitation.id],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    let name: String = tx.query_row("SELECT name FROM users WHERE id = ?1", [user_id], |r| r.get(0))?;
    if let Some(inviter) = inviter {
        let notice = crate::notifications::Notice {
            kind: &crate::notifications::TEAM_INVITATION_ACCEPTED,
            data: serde_json::json!({ "name": name, "email": invitation.email, "org": invitation.org.name }),
            link: Some("/dashboard/team"),
        };
        crate::notifications::notify(tx, &invitation.org.id, &[UserId::from_text(inviter)], notice, base_url)?;
    }
    Ok(())
}

/// Makes `to_user` the owner; `from_user` (an owner) becomes admin.
pub fn transfer_ownership(tx: &Tx, org_id: &OrgId, from_user: &UserId, to_user: &UserId) -> Result<(), AppError> {
    if member_role(tx, org_id, from_user)? != "owner" {
        return Err(AppError::Forbidden("team.error.owner_transfers".into()));
    }
    if from_user == to_user {
        return Err(AppError::invalid("user_id", "team.error.transfer_self"));
    }
    member_role(tx, org_id, to_user)?;
    let owner = role_by_key(tx, org_id, "owner")?;
    let admin = role_by_key(tx, org_id, "admin")?;
    tx.execute(
        "UPDATE memberships SET role_id = ?3 WHERE org_id = ?1 AND user_id = ?2",
        (org_id, to_user, &owner.id),
    )?;
    tx.execute(
        "UPDATE memberships SET role_id = ?3 WHERE org_id = ?1 AND user_id = ?2",
        (org_id, from_user, &admin.id),
    )?;
    audit::record(
        tx,
        "org.ownership_transferred",
        Some(("user", to_user)),
        serde_json::json!({ "from": from_user }),
    )
}
