//! Organisation settings (`/dashboard/settings`): name, slug, default
//! language, time zone, currency and audit retention. Everyone with
//! `settings:view` sees them; `settings:manage` changes them.

use super::perms::{Area, Level};
use super::{Member, OrgSettings, Slug};
use crate::audit;
use crate::error::{AppError, FieldError};
use crate::web::app::App;
use crate::web::forms::{Checks, FormState};
use crate::web::i18n::Lang;
use crate::web::page::{Html, PageCtx};
use crate::web::pickers::{self, CurrencyChoice, ZoneGroup};
use crate::web::shell::Shell;
use askama::Template;
use rocket::Either;
use rocket::form::Form;
use rocket::http::Status;
use rocket::response::status::Custom;
use rocket::response::{Flash, Redirect};

#[derive(Template)]
#[template(path = "orgs/settings.html")]
struct SettingsPage {
    ctx: PageCtx,
    shell: Shell,
    form: FormState,
    can_manage: bool,
    zone_groups: Vec<ZoneGroup>,
    currencies: &'static [CurrencyChoice],
}

impl SettingsPage {
    fn new(ctx: PageCtx, member: &Member, form: FormState, can_manage: bool, now: i64) -> SettingsPage {
        SettingsPage {
            zone_groups: pickers::zone_groups(now, form.value("time_zone")),
            currencies: &pickers::CURRENCIES,
            ctx,
            shell: Shell::new(member, "settings"),
            form,
            can_manage,
        }
    }
}

fn current_values(member: &Member, retention: i64) -> FormState {
    let o = &member.org;
    FormState::with_values(&[
        ("name", &o.name),
        ("slug", &o.slug),
        ("default_language", &o.default_language),
        ("time_zone", &o.time_zone),
        ("currency", &o.currency),
        ("audit_retention_days", &retention.to_string()),
        ("require_2fa", if o.require_2fa { "on" } else { "" }),
    ])
}

async fn retention(app: &App<'_>, org_id: &str) -> Result<i64, AppError> {
    let id = org_id.to_string();
    app.db
        .read(move |c| {
            Ok(
                c.query_row("SELECT audit_retention_days FROM orgs WHERE id = ?1", [&id], |r| {
                    r.get(0)
                })?,
            )
        })
        .await
}

#[rocket::get("/dashboard/settings")]
async fn settings(ctx: PageCtx, member: Member, app: App<'_>) -> Result<Html<SettingsPage>, AppError> {
    member.require(Area::Settings, Level::View)?;
    let form = current_values(&member, retention(&app, &member.org.id).await?);
    let can_manage = member.can(Area::Settings, Level::Manage);
    Ok(Html(SettingsPage::new(ctx, &member, form, can_manage, app.now())))
}

#[derive(rocket::FromForm)]
struct SettingsForm {
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    slug: String,
    #[field(default = String::new())]
    default_language: String,
    #[field(default = String::new())]
    time_zone: String,
    #[field(default = String::new())]
    currency: String,
    #[field(default = String::new())]
    audit_retention_days: String,
    require_2fa: bool,
}

impl SettingsForm {
    /// The settings typed, parsed; or every field's error at once.
    fn parse(&self) -> Result<OrgSettings, Vec<FieldError>> {
        let mut c = Checks::default();
        let name = self.name.trim();
        c.check(
            !name.is_empty() && name.chars().count() <= 100,
            "name",
            "settings.error.name",
        );
        let slug = Slug::parse("slug", &self.slug);
        c.check(slug.is_ok(), "slug", "settings.error.slug");
        let lang = Lang::parse(&self.default_language);
        c.check(lang.is_some(), "default_language", "settings.error.language");
        let zone = self.time_zone.parse::<chrono_tz::Tz>().ok();
        c.check(zone.is_some(), "time_zone", "settings.error.time_zone");
        let cur = self.currency.trim();
        c.check(pickers::is_currency(cur), "currency", "settings.error.currency");
        let days = self
            .audit_retention_days
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|d| (30..=3650).contains(d));
        c.check(days.is_some(), "audit_retention_days", "settings.error.retention");
        c.into_result()?;
        match (slug, lang, zone, days) {
            (Ok(slug), Some(default_language), Some(time_zone), Some(audit_retention_days)) => Ok(OrgSettings {
                name: name.to_string(),
                slug,
                default_language,
                time_zone,
                currency: cur.to_string(),
                audit_retention_days,
                require_2fa: self.require_2fa,
            }),
            _ => unreachable!("every field was checked above"),
        }
    }
}

#[rocket::post("/dashboard/settings", data = "<form>")]
async fn save(
    ctx: PageCtx,
    member: Member,
    form: Form<SettingsForm>,
    app: App<'_>,
) -> Result<Either<Flash<Redirect>, Custom<Html<SettingsPage>>>, AppError> {
    member.require(Area::Settings, Level::Manage)?;
    let typed = FormState::with_values(&[
        ("name", &form.name),
        ("slug", &form.slug),
        ("default_language", &form.default_language),
        ("time_zone", &form.time_zone),
        ("currency", &form.currency),
        ("audit_retention_days", &form.audit_retention_days),
        ("require_2fa", if form.require_2fa { "on" } else { "" }),
    ]);
    let retry = |ctx, errors| {
        let page = SettingsPage::new(ctx, &member, typed.clone().with_errors(errors), true, app.now());
        Ok(Either::Right(Custom(Status::UnprocessableEntity, Html(page))))
    };
    let settings = match form.parse() {
        Ok(s) => s,
        Err(errors) => return retry(ctx, errors),
    };
    let (audit, org_id) = (member.audit(app.now()), member.org.id.clone());
    let saved = app
        .write(audit, move |tx| super::save_settings(tx, &org_id, &settings))
        .await;
    match saved {
        Ok(()) => Ok(Either::Left(Flash::success(
            Redirect::to("/dashboard/settings"),
            ctx.t("settings.saved"),
        ))),
        Err(AppError::Invalid(errors)) => retry(ctx, errors),
        Err(other) => Err(other),
    }
}

/// The largest logo accepted.
pub const LOGO_MAX_BYTES: usize = 2 * 1024 * 1024;

#[derive(rocket::FromForm)]
struct LogoForm<'r> {
    logo: rocket::fs::TempFile<'r>,
}

#[rocket::post("/dashboard/settings/logo", data = "<form>")]
async fn upload_logo(
    ctx: PageCtx,
    member: Member,
    form: Form<LogoForm<'_>>,
    app: App<'_>,
) -> Result<Either<Flash<Redirect>, Custom<Html<SettingsPage>>>, AppError> {
    member.require(Area::Settings, Level::Manage)?;
    let bytes = crate::files::read_upload(&form.logo, LOGO_MAX_BYTES)
        .await?
        .unwrap_or_default();
    let problem = if form.logo.len() == 0 {
        Some("settings.error.logo_missing")
    } else if bytes.is_empty() {
        Some("settings.error.logo_large")
    } else if !crate::files::sniff(&bytes).is_some_and(|m| crate::files::IMAGE_TYPES.contains(&m)) {
        Some("settings.error.logo_type")
    } else {
        None
    };
    if let Some(key) = problem {
        let form = current_values(&member, retention(&app, &member.org.id).await?).error_on("logo", key);
        let page = SettingsPage::new(ctx, &member, form, true, app.now());
        return Ok(Either::Right(Custom(Status::UnprocessableEntity, Html(page))));
    }
    let hash = crate::files::store(app.config, &bytes)?;
    let (audit, org_id) = (member.audit(app.now()), member.org.id.clone());
    app.write(audit, move |tx| {
        tx.execute("UPDATE orgs SET logo_file = ?2 WHERE id = ?1", (&org_id, &hash))?;
        audit::record(
            tx,
            "org.logo_changed",
            Some(("org", &org_id)),
            serde_json::json!({ "file": hash }),
        )
    })
    .await?;
    Ok(Either::Left(Flash::success(
        Redirect::to("/dashboard/settings"),
        ctx.t("settings.logo_saved"),
    )))
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![settings, save, upload_logo]
}
