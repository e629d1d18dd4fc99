//! Org admins' mail templates (`settings:manage`): the list of kinds with
//! which languages are customised, an editor per kind × language with a
//! preview on sample data, save (refused with the line and the reason when
//! the template is invalid) and reset to the built-in texts; and the same
//! as JSON under `/api/v1/notifications/templates`.

use super::mail_templates::{self as mt, MailTemplate};
use super::{Kind, kind};
use crate::error::AppError;
use crate::orgs::Member;
use crate::orgs::perms::{Area, Level};
use crate::web::api::ApiJson;
use crate::web::app::App;
use crate::web::forms::FormState;
use crate::web::i18n::Lang;
use crate::web::page::{Html, PageCtx};
use crate::web::shell::Shell;
use askama::Template;
use rocket::form::Form;
use rocket::http::Status;
use rocket::response::status::Custom;
use rocket::response::{Flash, Redirect};
use rocket::serde::json::Json;
use rocket::{Either, FromForm};
use serde_json::{Value, json};

/// One kind in the list.
pub struct KindRow {
    pub key: &'static str,
    pub title: String,
    pub category: &'static str,
    /// (language code, its name, customised?)
    pub languages: Vec<(&'static str, &'static str, bool)>,
}

#[derive(Template)]
#[template(path = "notifications/templates.html")]
struct ListPage {
    ctx: PageCtx,
    shell: Shell,
    kinds: Vec<KindRow>,
}

fn find(kind_key: &str, lang: &str) -> Result<(&'static Kind, Lang), AppError> {
    let k = kind(kind_key).ok_or(AppError::NotFound)?;
    let lang = Lang::parse(lang).ok_or(AppError::NotFound)?;
    Ok((k, lang))
}

#[rocket::get("/dashboard/settings/notifications/templates")]
async fn list(ctx: PageCtx, member: Member, app: App<'_>) -> Result<Html<ListPage>, AppError> {
    member.require(Area::Settings, Level::Manage)?;
    let org_id = member.org.id.clone();
    let custom = app.db.read(move |c| mt::overridden(c, &org_id)).await?;
    let kinds = mt::kinds()
        .iter()
        .map(|k| KindRow {
            key: k.key,
            title: ctx.t(&format!("notifications.kind.{}.name", k.key)).to_string(),
            category: k.category.key(),
            languages: Lang::ALL
                .iter()
                .map(|l| {
                    (
                        l.code(),
                        l.native_name(),
                        custom.iter().any(|(kk, ll)| kk == k.key && ll == l.code()),
                    )
                })
                .collect(),
        })
        .collect();
    Ok(Html(ListPage {
        ctx,
        shell: Shell::new(&member, "settings"),
        kinds,
    }))
}

#[derive(Template)]
#[template(path = "notifications/template_edit.html")]
struct EditPage {
    ctx: PageCtx,
    shell: Shell,
    kind: &'static str,
    kind_title: String,
    lang: &'static str,
    lang_name: String,
    customised: bool,
    form: FormState,
    variables: Vec<(String, String)>,
    preview: Option<MailTemplate>,
}

impl EditPage {
    fn new(ctx: PageCtx, member: &Member, kind: &'static Kind, lang: Lang) -> EditPage {
        let vars = mt::sample_vars(kind, &member.org.name, &member.user.name);
        let variables = vars
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        EditPage {
            kind_title: ctx.t(&format!("notifications.kind.{}.name", kind.key)).to_string(),
            lang_name: lang.native_name().to_string(),
            ctx,
            shell: Shell::new(member, "settings"),
            kind: kind.key,
            lang: lang.code(),
            customised: false,
            form: FormState::default(),
            variables,
            preview: None,
        }
    }
}

#[rocket::get("/dashboard/settings/notifications/templates/<kind_key>/<lang>")]
async fn edit(
    ctx: PageCtx,
    member: Member,
    kind_key: &str,
    lang: &str,
    app: App<'_>,
) -> Result<Html<EditPage>, AppError> {
    member.require(Area::Settings, Level::Manage)?;
    let (kind, lang) = find(kind_key, lang)?;
    let org_id = member.org.id.clone();
    let custom = app.db.read(move |c| mt::get(c, &org_id, kind.key, lang)).await?;
    let mut page = EditPage::new(ctx, &member, kind, lang);
    page.customised = custom.is_some();
    let current = custom.unwrap_or_else(|| mt::default_template(lang, kind));
    page.form = FormState::with_values(&[("subject", &current.subject), ("body", &current.body)]);
    Ok(Html(page))
}

#[derive(FromForm)]
struct TemplateForm {
    subject: String,
    body: String,
    /// `preview` or `save`.
    action: String,
}

#[rocket::post("/dashboard/settings/notifications/templates/<kind_key>/<lang>", data = "<form>")]
async fn save(
    ctx: PageCtx,
    member: Member,
    kind_key: &str,
    lang: &str,
    form: Form<TemplateForm>,
    app: App<'_>,
) -> Result<Either<Flash<Redirect>, Custom<Html<EditPage>>>, AppError> {
    member.require(Area::Settings, Level::Manage)?;
    let (kind, lang) = find(kind_key, lang)?;
    let form = form.into_inner();
    let template = MailTemplate {
        subject: form.subject.clone(),
        body: form.body.replace("\r\n", "\n"),
    };
    let checked = mt::check(kind, &template, &member.org.name, true);
    let org_id = member.org.id.clone();
    let customised = app
        .db
        .read(move |c| Ok(mt::get(c, &org_id, kind.key, lang)?.is_some()))
        .await?;
    let values = [("subject", template.subject.as_str()), ("body", template.body.as_str())];
    match (checked, form.action.as_str()) {
        (Err(AppError::Invalid(errors)), _) => {
            let mut page = EditPage::new(ctx, &member, kind, lang);
            page.customised = customised;
            page.form = FormState::with_values(&values).with_errors(errors);
            Ok(Either::Right(Custom(Status::UnprocessableEntity, Html(page))))
        }
        (Err(other), _) => Err(other),
        (Ok(preview), "preview") => {
            let mut page = EditPage::new(ctx, &member, kind, lang);
            page.customised = customised;
            page.form = FormState::with_values(&values);
            page.preview = Some(preview);
            Ok(Either::Right(Custom(Status::Ok, Html(page))))
        }
        (Ok(_), _) => {
            save_override(&member, kind, lang, template, &app).await?;
            Ok(Either::Left(Flash::success(
                Redirect::to(format!(
                    "/dashboard/settings/notifications/templates/{}/{}",
                    kind.key,
                    lang.code()
                )),
                ctx.t("notifications.templates.saved"),
            )))
        }
    }
}

/// Saves an override (already checked) with its audit entry.
async fn save_override(
    member: &Member,
    kind: &'static Kind,
    lang: Lang,
    template: MailTemplate,
    app: &App<'_>,
) -> Result<(), AppError> {
    let now = app.now();
    let (audit, org_id, user_id) = (member.audit(now), member.org.id.clone(), member.user.id.clone());
    app.write(audit, move |tx| {
        mt::save(tx, &org_id, kind.key, lang, &template, &user_id, now)?;
        crate::audit::record(
            tx,
            "notifications.template_saved",
            Some(("notification_kind", kind.key)),
            json!({ "language": lang.code() }),
        )
    })
    .await
}

async fn reset_override(member: &Member, kind: &'static Kind, lang: Lang, app: &App<'_>) -> Result<bool, AppError> {
    member.require(Area::Settings, Level::Manage)?;
    let (audit, org_id) = (member.audit(app.now()), member.org.id.clone());
    app.write(audit, move |tx| {
        let removed = mt::reset(tx, &org_id, kind.key, lang)?;
        if removed {
            crate::audit::record(
                tx,
                "notifications.template_reset",
                Some(("notification_kind", kind.key)),
                json!({ "language": lang.code() }),
            )?;
        }
        Ok(removed)
    })
    .await
}

#[rocket::post("/dashboard/settings/notifications/templates/<kind_key>/<lang>/reset")]
async fn reset(
    ctx: PageCtx,
    member: Member,
    kind_key: &str,
    lang: &str,
    app: App<'_>,
) -> Result<Flash<Redirect>, AppError> {
    let (kind, lang) = find(kind_key, lang)?;
    reset_override(&member, kind, lang, &app).await?;
    Ok(Flash::success(
        Redirect::to(format!(
            "/dashboard/settings/notifications/templates/{}/{}",
            kind.key,
            lang.code()
        )),
        ctx.t("notifications.templates.reset_done"),
    ))
}

#[rocket::get("/api/v1/notifications/templates")]
async fn api_list(member: Member, app: App<'_>) -> Result<Json<Value>, AppError> {
    member.require(Area::Settings, Level::Manage)?;
    let org_id = member.org.id.clone();
    let data = app.db.read(move |c| {
            let mut out = vec![];
            for k in mt::kinds() {
                for lang in Lang::ALL {
                    let custom = mt::get(c, &org_id, k.key, lang)?;
                    let t = custom.clone().unwrap_or_else(|| mt::default_template(lang, k));
                    out.push(json!({ "kind": k.key, "language": lang.code(), "customised": custom.is_some(),
                                     "subject": t.subject, "body": t.body,
                                     "variables": k.sample.iter().map(|(n, _)| *n).chain(["org", "recipient"]).collect::<Vec<_>>() }));
                }
            }
            Ok(out)
        })
        .await?;
    Ok(Json(json!({ "data": data })))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateBody {
    subject: String,
    body: String,
}

#[rocket::put("/api/v1/notifications/templates/<kind_key>/<lang>", data = "<body>")]
async fn api_put(
    member: Member,
    kind_key: &str,
    lang: &str,
    body: ApiJson<TemplateBody>,
    app: App<'_>,
) -> Result<Json<Value>, AppError> {
    member.require(Area::Settings, Level::Manage)?;
    let (kind, lang) = find(kind_key, lang)?;
    let template = MailTemplate {
        subject: body.0.subject,
        body: body.0.body,
    };
    mt::check(kind, &template, &member.org.name, false)?;
    save_override(&member, kind, lang, template.clone(), &app).await?;
    Ok(Json(
        json!({ "kind": kind.key, "language": lang.code(), "customised": true, "subject": template.subject, "body": template.body }),
    ))
}

#[rocket::post("/api/v1/notifications/templates/<kind_key>/<lang>/preview", data = "<body>")]
async fn api_preview(
    member: Member,
    kind_key: &str,
    lang: &str,
    body: ApiJson<TemplateBody>,
) -> Result<Json<Value>, AppError> {
    member.require(Area::Settings, Level::Manage)?;
    let (kind, _) = find(kind_key, lang)?;
    let template = MailTemplate {
        subject: body.0.subject,
        body: body.0.body,
    };
    let out = mt::check(kind, &template, &member.org.name, false)?;
    Ok(Json(json!({ "subject": out.subject, "body": out.body })))
}

#[rocket::delete("/api/v1/notifications/templates/<kind_key>/<lang>")]
async fn api_reset(member: Member, kind_key: &str, lang: &str, app: App<'_>) -> Result<Status, AppError> {
    let (kind, lang) = find(kind_key, lang)?;
    if reset_override(&member, kind, lang, &app).await? {
        Ok(Status::NoContent)
    } else {
        Err(AppError::NotFound)
    }
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![list, edit, save, reset, api_list, api_put, api_preview, api_reset]
}
