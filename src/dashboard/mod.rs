//! The dashboard shell every back-office page shares (header with the org
//! switcher and user menu, sidebar of sections, main), the overview, the
//! honest "coming soon" pages of sections not built yet, and switching
//! organisation. A section is listed only if the member may view it.

mod account;
mod two_factor;

use crate::auth::Via;
use crate::db::Db;
use crate::error::AppError;
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};
use crate::web::page::{Html, PageCtx};
use askama::Template;
use rocket::State;
use rocket::form::Form;
use rocket::response::{Flash, Redirect};

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
            org_id: member.org.id.clone(),
            org_logo: member.org.logo_file.clone(),
            unread: member.unread,
            can_manage_settings: member.can(Area::Settings, Level::Manage),
            orgs: member.orgs.iter().map(|o| (o.id.clone(), o.name.clone())).collect(),
            nav,
            unverified: !member.user.email_verified,
            signed_in_by_session: matches!(member.via, Via::Session { .. }),
            instance_admin: member.user.is_instance_admin,
            current: current.to_string(),
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard/overview.html")]
struct OverviewPage {
    ctx: PageCtx,
    shell: Shell,
    role: String,
}

#[derive(Template)]
#[template(path = "dashboard/coming_soon.html")]
struct ComingSoonPage {
    ctx: PageCtx,
    shell: Shell,
    title_key: String,
}

#[rocket::get("/dashboard")]
fn overview(ctx: PageCtx, member: Member) -> Html<OverviewPage> {
    let role = member.role.name.clone();
    Html(OverviewPage {
        ctx,
        shell: Shell::new(&member, "overview"),
        role,
    })
}

#[rocket::get("/dashboard/<section>", rank = 50)]
fn coming_soon(ctx: PageCtx, member: Member, section: &str) -> Result<Html<ComingSoonPage>, AppError> {
    let found = SECTIONS.iter().find(|s| s.key == section).ok_or(AppError::NotFound)?;
    if let Some(area) = found.area {
        member.require(area, Level::View)?;
    }
    let title_key = format!("dashboard.section.{section}");
    Ok(Html(ComingSoonPage {
        ctx,
        shell: Shell::new(&member, section),
        title_key,
    }))
}

#[derive(rocket::FromForm)]
struct SwitchForm {
    org_id: String,
}

#[rocket::post("/dashboard/switch-org", data = "<form>")]
async fn switch_org(
    ctx: PageCtx,
    member: Member,
    form: Form<SwitchForm>,
    db: &State<Db>,
) -> Result<Flash<Redirect>, AppError> {
    let Via::Session { id } = &member.via else {
        return Err(AppError::Forbidden("error.token_one_org".into()));
    };
    // The target must be one of the user's own organisations.
    let target = member
        .orgs
        .iter()
        .find(|o| o.id == form.org_id)
        .ok_or(AppError::NotFound)?
        .clone();
    let (session_id, org_id) = (id.clone(), target.id.clone());
    db.write(move |tx| crate::auth::session::set_org(tx, &session_id, &org_id))
        .await?;
    Ok(Flash::success(
        Redirect::to("/dashboard"),
        ctx.lang.tf("dashboard.switched", &[("org", &target.name)]),
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    let mut all = rocket::routes![overview, coming_soon, switch_org];
    all.extend(account::routes());
    all.extend(two_factor::routes());
    all
}
