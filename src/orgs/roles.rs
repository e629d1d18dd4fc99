//! Roles and the permission matrix (`/dashboard/team/roles`): the presets
//! are shown as they are; admins create custom roles, set each area's level
//! and delete a role nobody holds. Needs `team:manage` to change anything.

use super::escalation::{self, guarded};
use super::perms::{Area, Grants, Level};
use super::{Member, Role, team};
use crate::audit;
use crate::db::ids::new_id;
use crate::error::AppError;
use crate::web::app::App;
use crate::web::forms::FormState;
use crate::web::page::{Html, PageCtx};
use crate::web::shell::Shell;
use askama::Template;
use rocket::Either;
use rocket::form::Form;
use rocket::http::Status;
use rocket::response::status::Custom;
use rocket::response::{Flash, Redirect};
use std::collections::HashMap;

/// One row of the matrix: an area and each role's level there.
pub struct MatrixRow {
    pub area: &'static str,
    pub cells: Vec<(Role, Option<&'static str>)>,
}

#[derive(Template)]
#[template(path = "orgs/roles.html")]
struct RolesPage {
    ctx: PageCtx,
    shell: Shell,
    roles: Vec<Role>,
    rows: Vec<MatrixRow>,
    levels: [&'static str; 3],
    can_manage: bool,
    /// The role the viewer holds: nobody edits their own (shown, not editable).
    held_role: String,
    form: FormState,
}

async fn page(ctx: PageCtx, member: &Member, app: &App<'_>, form: FormState) -> Result<RolesPage, AppError> {
    member.require(Area::Team, Level::View)?;
    let org_id = member.org.id.clone();
    let roles = app.db.read(move |c| team::roles(c, &org_id)).await?;
    let rows = Area::ALL
        .into_iter()
        .map(|area| MatrixRow {
            area: area.key(),
            cells: roles
                .iter()
                .map(|r| (r.clone(), r.grants.0.get(&area).map(|l| l.key())))
                .collect(),
        })
        .collect();
    Ok(RolesPage {
        ctx,
        shell: Shell::new(member, "team"),
        roles,
        rows,
        levels: [Level::View.key(), Level::Edit.key(), Level::Manage.key()],
        can_manage: member.can(Area::Team, Level::Manage),
        held_role: member.role.id.clone(),
        form,
    })
}

#[rocket::get("/dashboard/team/roles")]
async fn roles(ctx: PageCtx, member: Member, app: App<'_>) -> Result<Html<RolesPage>, AppError> {
    Ok(Html(page(ctx, &member, &app, FormState::default()).await?))
}

#[derive(rocket::FromForm)]
struct NewRoleForm {
    #[field(default = String::new())]
    name: String,
}

#[rocket::post("/dashboard/team/roles", data = "<form>")]
async fn create(
    ctx: PageCtx,
    member: Member,
    form: Form<NewRoleForm>,
    app: App<'_>,
) -> Result<Either<Flash<Redirect>, Custom<Html<RolesPage>>>, AppError> {
    member.require(Area::Team, Level::Manage)?;
    let name = form.name.trim().to_string();
    let mut key = slug::slugify(&name);
    key.truncate(40);
    let problem = if name.is_empty() || name.chars().count() > 60 || key.is_empty() {
        Some("roles.error.name")
    } else if ["owner", "admin", "member", "viewer"].contains(&key.as_str()) {
        Some("roles.error.taken")
    } else {
        None
    };
    let (audit, org_id, actor) = (member.audit(app.now()), member.org.id.clone(), member.acting());
    let result =
        match problem {
            Some(p) => Err(AppError::invalid("name", p)),
            None => {
                let (n, k) = (name.clone(), key.clone());
                app.write(audit, move |tx| {
                    let taken: bool = tx.query_row(
                        "SELECT EXISTS (SELECT 1 FROM roles WHERE org_id = ?1 AND key = ?2)",
                        (&org_id, &k),
                        |r| r.get(0),
                    )?;
                    if taken {
                        return Err(AppError::invalid("name", "roles.error.taken"));
                    }
                    let id = new_id("rol");
                    // A new role starts like a viewer (everything but billing), cut
                    // down to what its creator holds: nobody grants more than that.
                    let grants = escalation::within_reach(&actor, super::perms::Preset::Viewer.grants());
                    tx.execute(
                    "INSERT INTO roles (id, org_id, key, name, builtin, permissions) VALUES (?1, ?2, ?3, ?4, 0, ?5)",
                    rusqlite::params![id, org_id, k, n, serde_json::to_string(&grants).expect("grants serialize")],
                )?;
                    audit::record(
                        tx,
                        "role.created",
                        Some(("role", &id)),
                        serde_json::json!({ "name": n, "key": k }),
                    )
                })
                .await
            }
        };
    match result {
        Ok(()) => Ok(Either::Left(Flash::success(
            Redirect::to("/dashboard/team/roles"),
            ctx.t("roles.created"),
        ))),
        Err(AppError::Invalid(errors)) => {
            let state = FormState::with_values(&[("name", &name)]).with_errors(errors);
            Ok(Either::Right(Custom(
                Status::UnprocessableEntity,
                Html(page(ctx, &member, &app, state).await?),
            )))
        }
        Err(other) => Err(other),
    }
}

/// The levels posted for a role: one field per area, empty = no access.
#[derive(rocket::FromForm)]
struct GrantsForm {
    levels: HashMap<String, String>,
}

fn parse_grants(levels: &HashMap<String, String>) -> Result<Grants, AppError> {
    let mut grants = Grants::default();
    for (area, level) in levels {
        let area = Area::parse(area).ok_or_else(|| AppError::invalid("levels", "roles.error.level"))?;
        if level.is_empty() {
            continue;
        }
        let level = Level::parse(level).ok_or_else(|| AppError::invalid("levels", "roles.error.level"))?;
        grants.0.insert(area, level);
    }
    Ok(grants)
}

#[rocket::post("/dashboard/team/roles/<id>", data = "<form>")]
async fn update(
    ctx: PageCtx,
    member: Member,
    id: &str,
    form: Form<GrantsForm>,
    app: App<'_>,
) -> Result<Flash<Redirect>, AppError> {
    member.require(Area::Team, Level::Manage)?;
    let grants = parse_grants(&form.levels)?;
    let (audit, org_id, id, actor) = (
        member.audit(app.now()),
        member.org.id.clone(),
        id.to_string(),
        member.acting(),
    );
    let target = ("role", id.clone());
    guarded(app.db, audit.clone(), "role.change_refused", target, move |tx| {
        let role = team::roles(tx, &org_id)?
            .into_iter()
            .find(|r| r.id == id && !r.builtin)
            .ok_or(AppError::NotFound)?;
        escalation::check_role_edit(&actor, &role, &grants)?;
        tx.execute(
            "UPDATE roles SET permissions = ?3 WHERE org_id = ?1 AND id = ?2 AND builtin = 0",
            rusqlite::params![org_id, id, serde_json::to_string(&grants).expect("grants serialize")],
        )?;
        audit::record(
            tx,
            "role.permissions_changed",
            Some(("role", &id)),
            serde_json::json!({ "permissions": grants.list() }),
        )
    })
    .await?;
    Ok(Flash::success(
        Redirect::to("/dashboard/team/roles"),
        ctx.t("roles.saved"),
    ))
}

#[rocket::post("/dashboard/team/roles/<id>/delete")]
async fn delete(ctx: PageCtx, member: Member, id: &str, app: App<'_>) -> Result<Flash<Redirect>, AppError> {
    member.require(Area::Team, Level::Manage)?;
    let (audit, org_id, id) = (member.audit(app.now()), member.org.id.clone(), id.to_string());
    app.write(audit, move |tx| {
        let used: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM memberships WHERE role_id = ?1) OR EXISTS (SELECT 1 FROM invitations WHERE role_id = ?1)",
            [&id],
            |r| r.get(0),
        )?;
        if used {
            return Err(AppError::Conflict("roles.error.in_use".into()));
        }
        if tx.execute("DELETE FROM roles WHERE org_id = ?1 AND id = ?2 AND builtin = 0", (&org_id, &id))? == 0 {
            return Err(AppError::NotFound);
        }
        audit::record(tx, "role.deleted", Some(("role", &id)), serde_json::json!({}))
    })
    .await?;
    Ok(Flash::success(
        Redirect::to("/dashboard/team/roles"),
        ctx.t("roles.deleted"),
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![roles, create, update, delete]
}
