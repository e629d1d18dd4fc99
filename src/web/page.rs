//! What every page shares: the [`PageCtx`] (language, CSRF token, flash
//! message, asset URLs) that `layout/base.html` reads, and the [`Html`]
//! responder that renders an askama template.

use super::csrf;
use super::i18n::{LANG_COOKIE, Lang};
use crate::error::Message;
use askama::Template;
use rocket::http::Status;
use rocket::request::{FlashMessage, FromRequest, Outcome, Request};
use rocket::response::{self, Responder, content::RawHtml};

/// A flash message shown once after a POST-redirect-GET.
pub struct FlashView {
    pub kind: String,
    pub message: String,
}

/// The context every page template receives as `ctx`.
pub struct PageCtx {
    pub lang: Lang,
    pub csrf: String,
    pub flash: Option<FlashView>,
    pub path: String,
    /// Someone is signed in (the header offers the dashboard, not sign-in).
    pub signed_in: bool,
    /// Share of page views that report their web vitals (`app.js`).
    pub vitals_rate: f64,
}

impl PageCtx {
    /// Builds the context without consuming the flash (error pages, catchers).
    pub fn for_request(req: &Request<'_>) -> PageCtx {
        let choice = req.cookies().get(LANG_COOKIE).map(|c| c.value().to_string());
        let lang = Lang::negotiate(choice.as_deref(), req.headers().get_one("Accept-Language"));
        PageCtx {
            lang,
            csrf: csrf::token(req),
            flash: None,
            path: req.uri().path().to_string(),
            signed_in: false,
            vitals_rate: req
                .rocket()
                .state::<crate::Config>()
                .map_or(0.0, |c| c.vitals_sample_rate),
        }
    }

    /// A message from the catalogue in the page's language.
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        self.lang.t(key)
    }

    /// A [`Message`] (key + arguments) in the reader's language.
    pub fn msg(&self, message: &Message) -> String {
        self.lang.msg(message)
    }

    /// The fingerprinted URL of a static asset.
    pub fn asset(&self, path: &str) -> String {
        super::assets::url(path)
    }

    /// The languages offered in the language menu.
    pub fn languages(&self) -> [Lang; 2] {
        Lang::ALL
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for PageCtx {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let mut ctx = PageCtx::for_request(req);
        // A signed-in person's saved language comes first.
        if let Outcome::Success(me) = req.guard::<crate::auth::MaybeIdentity>().await {
            ctx.signed_in = me.0.is_some();
            if let Some(lang) = me.0.and_then(|i| i.user.language).as_deref().and_then(Lang::parse) {
                ctx.lang = lang;
            }
        }
        if let Outcome::Success(Some(flash)) = req.guard::<Option<FlashMessage<'_>>>().await {
            ctx.flash = Some(FlashView {
                kind: flash.kind().to_string(),
                message: flash.message().to_string(),
            });
        }
        Outcome::Success(ctx)
    }
}

/// The buffer a page is rendered into starts this big (bytes).
const PAGE_CAPACITY: usize = 32 * 1024;

/// Renders an askama template as an HTML response.
pub struct Html<T>(pub T);

impl<'r, T: Template> Responder<'r, 'static> for Html<T> {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        // Room for a whole dashboard page at once (askama's own estimate
        // counts only the template's text, so the page grew by copies).
        let mut body = String::with_capacity(T::SIZE_HINT.max(PAGE_CAPACITY));
        match self.0.render_into(&mut body) {
            Ok(()) => RawHtml(body).respond_to(req),
            Err(e) => {
                tracing::error!(error = %e, "template failed to render");
                Err(Status::InternalServerError)
            }
        }
    }
}

/// The HTML page for an error status.
#[derive(Template)]
#[template(path = "layout/error.html")]
pub struct ErrorPage {
    pub ctx: PageCtx,
    pub status: u16,
    pub title: String,
    pub detail: Option<String>,
}

impl ErrorPage {
    /// The page for `status`, explained by `detail` (worded in the reader's language).
    pub fn new(ctx: PageCtx, status: Status, detail: &Message) -> ErrorPage {
        let key = match status.code {
            403 => "error.forbidden",
            404 => "error.not_found",
            413 => "error.too_large",
            422 => "error.invalid",
            429 => "error.too_many",
            500..=599 => "error.internal",
            _ => "error.bad_request",
        };
        let title = ctx.t(key).to_string();
        let detail = Some(ctx.msg(detail));
        ErrorPage {
            ctx,
            status: status.code,
            title,
            detail,
        }
    }
}

impl<'r> Responder<'r, 'static> for ErrorPage {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let status = Status::from_code(self.status).unwrap_or(Status::InternalServerError);
        let mut res = Html(self).respond_to(req)?;
        res.set_status(status);
        Ok(res)
    }
}
