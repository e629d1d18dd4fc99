//! The dashboard: the overview page with the first steps (ticked when
//! done), and switching organisation. (The shell around
//! every back-office page is the web layer's [`crate::web::shell`].)

use crate::auth::Via;
use crate::error::AppError;
use crate::orgs::Member;
use crate::web::app::App;
use crate::web::page::{Html, PageCtx};
use crate::web::shell::Shell;
use askama::Template;
use rocket::form::Form;
use rocket::response::{Flash, Redirect};

#[derive(Template)]
#[template(path = "dashboard/overview.html")]
struct OverviewPage {
    ctx: PageCtx,
    shell: Shell,
    role: String,
    steps: Vec<StepView>,
}

/// A first step as the overview shows it.
struct StepView {
    href: &'static str,
    label_key: &'static str,
    done: bool,
}

#[rocket::get("/dashboard")]
async fn overview(ctx: PageCtx, member: Member, app: App<'_>) -> Result<Html<OverviewPage>, AppError> {
    let role = crate::orgs::role_label(ctx.lang, &member.role);
    let mine: Vec<_> = crate::FIRST_STEPS
        .iter()
        .filter(|s| s.area.is_none_or(|(a, l)| member.can(a, l)))
        .copied()
        .collect();
    let org = member.org.id.clone();
    let steps = app
        .db
        .read(move |conn| {
            mine.iter()
                .map(|s| {
                    Ok(StepView {
                        href: s.href,
                        label_key: s.label_key,
                        done: (s.done)(conn, &org)?,
                    })
                })
                .collect::<Result<Vec<_>, AppError>>()
        })
        .await?;
    Ok(Html(OverviewPage {
        ctx,
        shell: Shell::new(&member, "overview"),
        role,
        steps,
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
    rocket::routes![overview, switch_org]
}
