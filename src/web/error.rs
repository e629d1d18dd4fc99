//! The one error type of every handler. Pages get an HTML error page;
//! `/api/*` gets RFC 9457 `application/problem+json` with a stable `type`.

use super::page::{ErrorPage, PageCtx};
use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use serde::Serialize;
use std::io::Cursor;

use crate::error::AppError;

impl AppError {
    /// The HTTP status this error is answered with.
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
}

/// One field of a problem's `errors`, worded for the reader.
#[derive(Debug, Serialize)]
pub struct ProblemField {
    pub field: String,
    pub message: String,
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
    pub errors: Vec<ProblemField>,
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
            let request_id = super::fairings::request_id(req);
            tracing::error!(request_id = %request_id, error = %msg, "request failed");
            if let Some(logs) = req.rocket().state::<std::sync::Arc<crate::monitoring::logs::LogSink>>() {
                let at = req
                    .rocket()
                    .state::<crate::db::time::SharedClock>()
                    .map_or(0, |c| c.now());
                logs.offer(crate::monitoring::logs::LogLine {
                    at,
                    level: "error",
                    kind: "app",
                    request_id,
                    path: Some(req.uri().path().to_string()),
                    message: msg.clone(),
                    ..Default::default()
                });
            }
        }
        let status = self.status();
        let retry = match &self {
            AppError::TooManyRequests { retry_after } => Some(Header::new("Retry-After", retry_after.to_string())),
            AppError::Unauthenticated => Some(Header::new("WWW-Authenticate", "Bearer")),
            _ => None,
        };
        if is_api(req) {
            // Answered in the client's language.
            let lang = PageCtx::for_request(req).lang;
            let mut problem = Problem::new(status, lang.msg(&self.message()));
            if let AppError::Invalid(errors) = self {
                problem.kind = "urn:luneo:problem:validation".into();
                problem.errors = errors
                    .into_iter()
                    .map(|e| ProblemField {
                        message: lang.msg(&e.message),
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
        let mut ctx = PageCtx::for_request(req);
        // The request ends here, so its identity (looked up by its guards,
        // or by the catcher) can be read without waiting.
        ctx.signed_in = crate::auth::identified(req);
        let page = ErrorPage::new(ctx, status, &self.message());
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
async fn default_catcher(status: Status, req: &Request<'_>) -> AppError {
    // Error pages know who is signed in (their header says so).
    if !is_api(req) {
        let _ = req.guard::<crate::auth::MaybeIdentity>().await;
    }
    if let Some(err) = take_stashed(req) {
        return err;
    }
    match status.code {
        404 => AppError::NotFound,
        401 => AppError::Unauthenticated,
        403 => AppError::forbidden("error.forbidden_detail"),
        413 => AppError::TooLarge,
        422 => AppError::Invalid(vec![]),
        400 => AppError::bad_request("error.bad_request_detail"),
        429 => AppError::TooManyRequests { retry_after: 60 },
        500..=599 => AppError::Internal(format!("status {}", status.code)),
        _ => AppError::bad_request("error.bad_request_detail"),
    }
}
