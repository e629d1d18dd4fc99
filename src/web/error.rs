//! The one error type of every handler. Pages get an HTML error page;
//! `/api/*` gets RFC 9457 `application/problem+json` with a stable `type`.

use super::i18n::Lang;
use super::page::{Detail, ErrorPage, PageCtx};
use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use serde::Serialize;
use std::io::Cursor;

/// One invalid input field and what is wrong with it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// A request refused by a rule (not by a missing permission): the rule's
/// catalogue key, and the permission it is about, if any (`{permission}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub rule: &'static str,
    pub permission: Option<String>,
}

impl Refusal {
    /// The rule, worded in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        lang.tf(self.rule, &[("permission", self.permission.as_deref().unwrap_or(""))])
    }
}

/// Everything a handler can fail with.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    #[error("not found: there is nothing at this address")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("unauthenticated: sign in first")]
    Unauthenticated,
    #[error("forbidden: this organisation requires two-factor authentication")]
    TwoFactorRequired,
    #[error("forbidden: this needs the permission {0}")]
    MissingPermission(String),
    #[error("forbidden: {}", .0.rule)]
    Refused(Refusal),
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("payload too large")]
    TooLarge,
    #[error("too many requests")]
    TooManyRequests { retry_after: u64 },
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn internal(msg: impl Into<String>) -> AppError {
        AppError::Internal(msg.into())
    }

    /// A single-field validation error.
    pub fn invalid(field: &str, message: impl Into<String>) -> AppError {
        AppError::Invalid(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    pub fn status(&self) -> Status {
        match self {
            AppError::NotFound => Status::NotFound,
            AppError::Forbidden(_)
            | AppError::MissingPermission(_)
            | AppError::Refused(_)
            | AppError::TwoFactorRequired => Status::Forbidden,
            AppError::Unauthenticated => Status::Unauthorized,
            AppError::Invalid(_) => Status::UnprocessableEntity,
            AppError::BadRequest(_) => Status::BadRequest,
            AppError::Conflict(_) => Status::Conflict,
            AppError::TooLarge => Status::PayloadTooLarge,
            AppError::TooManyRequests { .. } => Status::TooManyRequests,
            AppError::Internal(_) => Status::InternalServerError,
        }
    }

    /// What a person may be told (internal details stay in the log).
    fn public_detail(&self) -> String {
        match self {
            AppError::Internal(_) => "Something went wrong on our side; it has been logged.".into(),
            AppError::Invalid(_) => "Some fields are not valid.".into(),
            AppError::TwoFactorRequired => "error.two_factor_required".into(),
            other => {
                let s = other.to_string();
                s.split_once(": ").map(|(_, d)| d.to_string()).unwrap_or(s)
            }
        }
    }
}

impl From<rusqlite::Error> for AppError {
    fn from(e: rusqlite::Error) -> Self {
        AppError::Internal(format!("database: {e}"))
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(format!("blocking task: {e}"))
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    pub fn new(status: Status, detail: impl Into<String>) -> Problem {
        let slug = status.reason_lossy().to_ascii_lowercase().replace([' ', '\''], "-");
        Problem {
            kind: format!("urn:luneo:problem:{slug}"),
            title: status.reason_lossy().to_string(),
            status: status.code,
            detail: detail.into(),
            errors: vec![],
        }
    }

    fn respond(self, extra: Option<Header<'static>>) -> response::Result<'static> {
        let body = serde_json::to_string(&self).unwrap_or_default();
        let mut res = Response::build();
        res.status(Status::from_code(self.status).unwrap_or(Status::InternalServerError))
            .header(ContentType::new("application", "problem+json"))
            .sized_body(body.len(), Cursor::new(body));
        if let Some(h) = extra {
            res.header(h);
        }
        res.ok()
    }
}

/// Whether a request belongs to the JSON API (and so gets problem+json).
pub fn is_api(req: &Request<'_>) -> bool {
    let path = req.uri().path();
    path == "/api" || path.starts_with("/api/")
}

impl<'r> Responder<'r, 'static> for AppError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        if let AppError::Internal(msg) = &self {
            tracing::error!(request_id = %super::fairings::request_id(req), error = %msg, "request failed");
        }
        let status = self.status();
        let retry = match &self {
            AppError::TooManyRequests { retry_after } => Some(Header::new("Retry-After", retry_after.to_string())),
            AppError::Unauthenticated => Some(Header::new("WWW-Authenticate", "Bearer")),
            _ => None,
        };
        if is_api(req) {
            // Messages may be catalogue keys: answer in the client's language.
            let lang = PageCtx::for_request(req).lang;
            let detail = match &self {
                AppError::Refused(refusal) => refusal.message(lang),
                other => lang.t(&other.public_detail()).to_string(),
            };
            let mut problem = Problem::new(status, detail);
            if let AppError::Invalid(errors) = self {
                problem.kind = "urn:luneo:problem:validation".into();
                problem.errors = errors
                    .into_iter()
                    .map(|e| FieldError {
                        message: lang.t(&e.message).to_string(),
                        field: e.field,
                    })
                    .collect();
            }
            return problem.respond(retry);
        }
        if let AppError::Unauthenticated = self {
            // Pages send people to the sign-in form, and back here afterwards.
            let here = req.uri().to_string();
            let to = format!("/login?next={}", rocket::http::RawStr::new(&here).percent_encode());
            return rocket::response::Redirect::to(to).respond_to(req);
        }
        if let AppError::TwoFactorRequired = self {
            return rocket::response::Redirect::to("/dashboard/account/2fa").respond_to(req);
        }
        let ctx = PageCtx::for_request(req);
        let detail = match &self {
            AppError::TooManyRequests { retry_after } => {
                Detail::Localized(ctx.lang.tf("error.retry_in", &[("seconds", &retry_after.to_string())]))
            }
            AppError::MissingPermission(perm) => {
                Detail::Localized(ctx.lang.tf("error.missing_permission", &[("permission", perm)]))
            }
            AppError::Refused(refusal) => Detail::Localized(refusal.message(ctx.lang)),
            other => {
                let detail = other.public_detail();
                if Lang::has(&detail) {
                    Detail::Localized(ctx.t(&detail).to_string())
                } else {
                    Detail::English(detail)
                }
            }
        };
        let page = ErrorPage::new(ctx, status, detail);
        let mut res = page.respond_to(req)?;
        res.set_status(status);
        if let Some(h) = retry {
            res.set_header(h);
        }
        Ok(res)
    }
}

/// Lets a guard hand its precise error to the catcher that follows; returns
/// the status the guard should fail with.
pub fn stash(req: &Request<'_>, err: AppError) -> Status {
    let status = err.status();
    let slot = req.local_cache(|| StashedError(std::sync::Mutex::new(None)));
    if let Ok(mut slot) = slot.0.lock() {
        *slot = Some(err);
    }
    status
}

pub(crate) struct StashedError(pub std::sync::Mutex<Option<AppError>>);

/// Takes the error a guard stashed for this request, if any.
pub fn take_stashed(req: &Request<'_>) -> Option<AppError> {
    req.local_cache(|| StashedError(std::sync::Mutex::new(None)))
        .0
        .lock()
        .ok()?
        .take()
}

/// The catchers: every status Rocket produces itself, rendered our way.
pub fn catchers() -> Vec<rocket::Catcher> {
    rocket::catchers![default_catcher]
}

#[rocket::catch(default)]
fn default_catcher(status: Status, req: &Request<'_>) -> AppError {
    if let Some(err) = take_stashed(req) {
        return err;
    }
    match status.code {
        404 => AppError::NotFound,
        401 => AppError::Unauthenticated,
        403 => AppError::Forbidden("You may not do this.".into()),
        413 => AppError::TooLarge,
        422 => AppError::Invalid(vec![]),
        400 => AppError::BadRequest("The request could not be read.".into()),
        429 => AppError::TooManyRequests { retry_after: 60 },
        500..=599 => AppError::Internal(format!("status {}", status.code)),
        _ => AppError::BadRequest(status.reason_lossy().to_string()),
    }
}
