//! Instance administration (instance admins only): the scheduled jobs with
//! their last run, outcome and duration, and the outbox with its dead
//! deliveries, which can be replayed.

use crate::audit::AuditCtx;
use crate::error::AppError;
use crate::jobs::outbox::{self, OutboxRow};
use crate::jobs::{self, JobRow};
use crate::orgs::Member;
use crate::web::app::App;
use crate::web::page::{Html, PageCtx};
use crate::web::shell::Shell;
use crate::web::when::{Clockface, When};
use askama::Template;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{Flash, Redirect};

/// A member who is also an instance admin.
pub struct InstanceAdmin(pub Member);

impl InstanceAdmin {
    /// The origin of a change to the instance (in no org) made now.
    pub(crate) fn audit(&self, now: i64) -> AuditCtx {
        AuditCtx {
            org_id: None,
            ..self.0.audit(now)
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for InstanceAdmin {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match req.guard::<Member>().await {
            Outcome::Success(m) if m.user.is_instance_admin => Outcome::Success(InstanceAdmin(m)),
            Outcome::Success(_) => {
                let err = AppError::Forbidden("error.instance_admins_only".into());
                Outcome::Error((crate::web::error::stash(req, err), ()))
            }
            Outcome::Error(e) => Outcome::Error(e),
            Outcome::Forward(f) => Outcome::Forward(f),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/jobs.html")]
struct JobsPage {
    ctx: PageCtx,
    shell: Shell,
    /// Each job, its next and last run, and its schedule in words.
    jobs: Vec<(JobRow, When, Option<When>, Option<String>)>,
}

#[derive(Template)]
#[template(path = "admin/outbox.html")]
struct OutboxPage {
    ctx: PageCtx,
    shell: Shell,
    rows: Vec<(OutboxRow, When)>,
    status: String,
}

#[rocket::get("/admin/jobs")]
async fn jobs_page(ctx: PageCtx, admin: InstanceAdmin, app: App<'_>) -> Result<Html<JobsPage>, AppError> {
    let now = app.now();
    let rows = app.db.read(move |c| jobs::list(c, now)).await?;
    // Instance pages speak UTC, the scheduler's zone.
    let face = Clockface::new("UTC", ctx.lang, now);
    let jobs = rows
        .into_iter()
        .map(|j| {
            let next = face.when(j.next_run_at);
            let last = face.maybe(&j.last_run_at);
            let words = jobs::schedule_words::describe(ctx.lang, &j.cron);
            (j, next, last, words)
        })
        .collect();
    Ok(Html(JobsPage {
        ctx,
        shell: Shell::new(&admin.0, "admin"),
        jobs,
    }))
}

#[rocket::get("/admin/outbox?<status>")]
async fn outbox_page(
    ctx: PageCtx,
    admin: InstanceAdmin,
    app: App<'_>,
    status: Option<&str>,
) -> Result<Html<OutboxPage>, AppError> {
    let status = status
        .filter(|s| ["pending", "sent", "dead"].contains(s))
        .map(str::to_string);
    let filter = status.clone();
    let rows = app.db.read(move |c| outbox::list(c, filter.as_deref(), 200)).await?;
    let face = Clockface::new("UTC", ctx.lang, app.now());
    let rows = rows.into_iter().map(|r| {
        let at = face.when(r.created_at);
        (r, at)
    });
    Ok(Html(OutboxPage {
        ctx,
        shell: Shell::new(&admin.0, "admin"),
        rows: rows.collect(),
        status: status.unwrap_or_default(),
    }))
}

#[rocket::post("/admin/outbox/<id>/replay")]
async fn replay(ctx: PageCtx, admin: InstanceAdmin, id: &str, app: App<'_>) -> Result<Flash<Redirect>, AppError> {
    let key = id.to_string();
    let done = app
        .write(admin.audit(app.now()), move |tx| {
            let done = outbox::replay(tx, &key)?;
            if done {
                crate::audit::record(tx, "outbox.replayed", Some(("outbox", &key)), serde_json::json!({}))?;
            }
            Ok(done)
        })
        .await?;
    if !done {
        return Err(AppError::NotFound);
    }
    Ok(Flash::success(
        Redirect::to("/admin/outbox?status=dead"),
        ctx.t("admin.outbox.replayed"),
    ))
}

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage {
    ctx: PageCtx,
    shell: Shell,
    registration_open: bool,
}

#[rocket::get("/admin/settings")]
async fn settings(ctx: PageCtx, admin: InstanceAdmin, app: App<'_>) -> Result<Html<SettingsPage>, AppError> {
    let registration_open = app.db.read(crate::auth::registration_open).await?;
    Ok(Html(SettingsPage {
        ctx,
        shell: Shell::new(&admin.0, "admin"),
        registration_open,
    }))
}

#[derive(rocket::FromForm)]
struct SettingsForm {
    registration_open: bool,
}

#[rocket::post("/admin/settings", data = "<form>")]
async fn save_settings(
    ctx: PageCtx,
    admin: InstanceAdmin,
    form: rocket::form::Form<SettingsForm>,
    app: App<'_>,
) -> Result<Flash<Redirect>, AppError> {
    let open = form.registration_open;
    app.write(admin.audit(app.now()), move |tx| {
        crate::auth::set_registration_open(tx, open)
    })
    .await?;
    Ok(Flash::success(
        Redirect::to("/admin/settings"),
        ctx.t("admin.settings.saved"),
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![jobs_page, outbox_page, replay, settings, save_settings]
}
