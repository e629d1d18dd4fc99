//! The dashboard: the overview page, the honest "coming soon" pages of
//! sections not built yet, and switching organisation. (The shell around
//! every back-office page is the web layer's [`crate::web::shell`].)

use crate::auth::Via;
use crate::error::AppError;
use crate::orgs::Member;
use crate::orgs::perms::Level;
use crate::web::app::App;
use crate::web::page::{Html, PageCtx};
use crate::web::shell::{SECTIONS, Shell};
use askama::Template;
use rocket::form::Form;
use rocket::response::{Flash, Redirect};

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
    app: App<'_>,
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
    app.db
        .write(move |tx| crate::auth::session::set_org(tx, &session_id, &org_id))
        .await?;
    Ok(Flash::success(
        Redirect::to("/dashboard"),
        ctx.lang.tf("dashboard.switched", &[("org", &target.name)]),
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![overview, coming_soon, switch_org]
}
