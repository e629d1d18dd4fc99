//! `/dashboard/support/settings`: the organisation's service levels (its
//! business hours and, per priority, the hours to the first response and
//! to the resolution), for whoever may manage support.

use super::sla::{self, Policy, PolicyInput};
use crate::error::AppError;
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};
use crate::web::app::App;
use crate::web::forms::FormState;
use crate::web::page::{Html, PageCtx};
use crate::web::shell::Shell;
use askama::Template;
use rocket::Either;
use rocket::form::Form;
use rocket::http::Status as HttpStatus;
use rocket::response::status::Custom;
use rocket::response::{Flash, Redirect};

/// One target row of the form: (priority, first response field, resolution field).
pub const ROWS: [(&str, &str, &str); 4] = [
    ("urgent", "first_urgent", "resolve_urgent"),
    ("high", "first_high", "resolve_high"),
    ("medium", "first_medium", "resolve_medium"),
    ("low", "first_low", "resolve_low"),
];

#[derive(Template)]
#[template(path = "support/settings.html")]
pub struct SettingsPage {
    ctx: PageCtx,
    shell: Shell,
    form: FormState,
    days: Vec<u32>,
    time_zone: String,
    /// Where mail for the support desk is posted, and its secret.
    inbound_url: String,
    inbound_secret: String,
    /// The reply address form (its value, or what was typed and why it was refused).
    reply_form: FormState,
}

fn hours(minutes: i64) -> String {
    let h = minutes as f64 / 60.0;
    if h.fract() == 0.0 {
        format!("{h:.0}")
    } else {
        format!("{h:.2}")
    }
}

fn values(p: &Policy) -> FormState {
    let hm = |m: i64| format!("{:02}:{:02}", m / 60, m % 60);
    let (opens, closes) = (hm(p.opens_minute), hm(p.closes_minute));
    let f: Vec<String> = p.first_response.iter().map(|m| hours(*m)).collect();
    let r: Vec<String> = p.resolution.iter().map(|m| hours(*m)).collect();
    FormState::with_values(&[
        ("opens", &opens),
        ("closes", &closes),
        ("first_low", &f[0]),
        ("first_medium", &f[1]),
        ("first_high", &f[2]),
        ("first_urgent", &f[3]),
        ("resolve_low", &r[0]),
        ("resolve_medium", &r[1]),
        ("resolve_high", &r[2]),
        ("resolve_urgent", &r[3]),
        ("auto_close_days", &p.auto_close_days.to_string()),
    ])
}

fn inbound_url(app: &App<'_>) -> String {
    format!(
        "{}/api/v1/support/inbound",
        app.base_url().as_str().trim_end_matches('/')
    )
}

#[rocket::get("/dashboard/support/settings")]
async fn show(ctx: PageCtx, member: Member, app: App<'_>) -> Result<Html<SettingsPage>, AppError> {
    member.require(Area::Support, Level::Manage)?;
    let (org_id, audit) = (member.org.id.to_string(), member.audit(app.now()));
    let (policy, inbound_secret, reply_to) = app
        .write(audit, move |tx| {
            Ok((
                sla::policy(tx, &org_id)?,
                super::inbound::secret(tx, &org_id)?,
                super::inbound::reply_pattern(tx, &org_id)?.unwrap_or_default(),
            ))
        })
        .await?;
    Ok(Html(SettingsPage {
        shell: Shell::new(&member, "support"),
        form: values(&policy),
        days: policy.work_days.chars().filter_map(|c| c.to_digit(10)).collect(),
        time_zone: member.org.time_zone.clone(),
        inbound_url: inbound_url(&app),
        inbound_secret,
        reply_form: FormState::with_values(&[("reply_to", &reply_to)]),
        ctx,
    }))
}

#[rocket::post("/dashboard/support/settings", data = "<form>")]
async fn save(
    ctx: PageCtx,
    member: Member,
    form: Form<PolicyInput>,
    app: App<'_>,
) -> Result<Either<Flash<Redirect>, Custom<Html<SettingsPage>>>, AppError> {
    member.require(Area::Support, Level::Manage)?;
    let input = form.into_inner();
    let policy = match input.parse() {
        Ok(p) => p,
        Err(errors) => {
            let n = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
            let typed: Vec<(&str, String)> = vec![
                ("opens", input.opens.clone()),
                ("closes", input.closes.clone()),
                ("first_low", n(input.first_low)),
                ("first_medium", n(input.first_medium)),
                ("first_high", n(input.first_high)),
                ("first_urgent", n(input.first_urgent)),
                ("resolve_low", n(input.resolve_low)),
                ("resolve_medium", n(input.resolve_medium)),
                ("resolve_high", n(input.resolve_high)),
                ("resolve_urgent", n(input.resolve_urgent)),
                (
                    "auto_close_days",
                    input.auto_close_days.map(|d| d.to_string()).unwrap_or_default(),
                ),
            ];
            let pairs: Vec<(&str, &str)> = typed.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let org_id = member.org.id.to_string();
            let inbound_secret = app
                .write(member.audit(app.now()), move |tx| super::inbound::secret(tx, &org_id))
                .await?;
            let page = SettingsPage {
                shell: Shell::new(&member, "support"),
                form: FormState::with_values(&pairs).with_errors(errors),
                days: input.work_days.clone(),
                time_zone: member.org.time_zone.clone(),
                inbound_url: inbound_url(&app),
                inbound_secret,
                reply_form: FormState::default(),
                ctx,
            };
            return Ok(Either::Right(Custom(HttpStatus::UnprocessableEntity, Html(page))));
        }
    };
    let (audit, org_id) = (member.audit(app.now()), member.org.id.to_string());
    app.write(audit, move |tx| sla::save(tx, &org_id, &policy)).await?;
    Ok(Either::Left(Flash::success(
        Redirect::to("/dashboard/support/settings"),
        ctx.t("support.sla.saved"),
    )))
}

#[derive(Debug, Clone, rocket::FromForm)]
struct ReplyToForm {
    #[field(default = String::new())]
    reply_to: String,
}

#[rocket::post("/dashboard/support/settings/mail", data = "<form>")]
async fn save_reply_to(
    ctx: PageCtx,
    member: Member,
    form: Form<ReplyToForm>,
    app: App<'_>,
) -> Result<Either<Flash<Redirect>, Custom<Html<SettingsPage>>>, AppError> {
    member.require(Area::Support, Level::Manage)?;
    let (audit, org_id, typed) = (
        member.audit(app.now()),
        member.org.id.to_string(),
        form.reply_to.clone(),
    );
    let done = app
        .write(audit, move |tx| super::inbound::set_reply_to(tx, &org_id, &typed))
        .await;
    match done {
        Ok(()) => Ok(Either::Left(Flash::success(
            Redirect::to("/dashboard/support/settings"),
            ctx.t("support.inbound.reply_to_saved"),
        ))),
        Err(AppError::Invalid(errors)) => {
            let Html(mut page) = show(ctx, member, app).await?;
            page.reply_form = FormState::with_values(&[("reply_to", &form.reply_to)]).with_errors(errors);
            Ok(Either::Right(Custom(HttpStatus::UnprocessableEntity, Html(page))))
        }
        Err(e) => Err(e),
    }
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![show, save, save_reply_to]
}
