//! CSRF protection for every state-changing request outside `/api/`: a
//! random token kept in a private (encrypted, authenticated) cookie, echoed
//! by each form as its first field `csrf_token` (or by scripts in the
//! `X-CSRF-Token` header), plus an Origin check. A request that fails is
//! rerouted to a 403 before any handler runs, so nothing changes.

use crate::error::AppError;
use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Method;
use rocket::http::uri::Origin;
use rocket::{Data, Request};
use subtle::ConstantTimeEq;

const COOKIE: &str = "luneo_csrf";
/// Name of the hidden form field that carries the token.
pub const FIELD: &str = "csrf_token";
/// Header that carries the token for requests made by scripts.
pub const HEADER: &str = "X-CSRF-Token";
const REJECTED_PATH: &str = "/__luneo/csrf-rejected";

struct RequestToken(String);

/// This visitor's CSRF token, created (and its cookie set) on first use.
pub fn token(req: &Request<'_>) -> String {
    req.local_cache(|| {
        let jar = req.cookies();
        if let Some(c) = jar.get_private(COOKIE) {
            return RequestToken(c.value().to_string());
        }
        let value = crate::db::ids::random_token(32);
        let secure = req.rocket().state::<crate::config::Config>().is_some_and(|c| c.https());
        jar.add_private(crate::web::cookies::build(COOKIE, value.clone(), secure));
        RequestToken(value)
    })
    .0
    .clone()
}

/// Whether the request carries this visitor's token in the `X-CSRF-Token`
/// header (required for API writes authenticated by the session cookie).
pub fn header_valid(req: &Request<'_>) -> bool {
    let expected = req.cookies().get_private(COOKIE).map(|c| c.value().to_string());
    match (expected, req.headers().get_one(HEADER)) {
        (Some(e), Some(s)) => bool::from(e.as_bytes().ct_eq(s.as_bytes())),
        _ => false,
    }
}

/// The fairing that checks every unsafe request.
pub struct CsrfFairing;

fn first_form_field(body: &[u8], content_type: &str) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    if content_type.starts_with("multipart/form-data") {
        let start = text.find(&format!("name=\"{FIELD}\""))?;
        let rest = &text[start..];
        let value = &rest[rest.find("\r\n\r\n")? + 4..];
        return Some(value[..value.find("\r\n")?].to_string());
    }
    let field = rocket::form::Form::values(&text).next()?;
    (field.name == FIELD).then(|| field.value.to_string())
}

fn same_origin(req: &Request<'_>) -> bool {
    let Some(origin) = req.headers().get_one("Origin") else {
        return req.headers().get_one("Sec-Fetch-Site") != Some("cross-site");
    };
    let base = req.rocket().state::<crate::config::Config>().map(|c| c.origin());
    let host = req.headers().get_one("Host");
    base.as_deref() == Some(origin)
        || host.is_some_and(|h| origin.strip_prefix("http://").or(origin.strip_prefix("https://")) == Some(h))
}

#[rocket::async_trait]
impl Fairing for CsrfFairing {
    fn info(&self) -> Info {
        Info {
            name: "CSRF protection",
            kind: Kind::Request,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, data: &mut Data<'_>) {
        // One-click unsubscribe (RFC 8058) comes from mail clients without
        // cookies; its unguessable token is its own proof.
        let exempt = super::error::is_api(req) || req.uri().path().starts_with("/unsubscribe/");
        if !matches!(
            req.method(),
            Method::Post | Method::Put | Method::Patch | Method::Delete
        ) || exempt
        {
            return;
        }
        let expected = req.cookies().get_private(COOKIE).map(|c| c.value().to_string());
        let sent = match req.headers().get_one(HEADER) {
            Some(h) => Some(h.to_string()),
            None => {
                let ct = req.content_type().map(|c| c.to_string()).unwrap_or_default();
                first_form_field(data.peek(512).await, &ct)
            }
        };
        let valid = match (expected, sent) {
            (Some(e), Some(s)) => bool::from(e.as_bytes().ct_eq(s.as_bytes())),
            _ => false,
        };
        if valid && same_origin(req) {
            return;
        }
        tracing::warn!(path = %req.uri(), "CSRF check failed; request refused");
        req.set_method(Method::Get);
        req.set_uri(Origin::parse(REJECTED_PATH).expect("static path"));
    }
}

#[rocket::get("/__luneo/csrf-rejected")]
fn rejected() -> AppError {
    AppError::Forbidden("error.csrf".into())
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![rejected]
}

#[cfg(test)]
mod tests {
    use super::first_form_field;

    #[test]
    fn reads_the_first_field_of_urlencoded_and_multipart_bodies() {
        assert_eq!(
            first_form_field(b"csrf_token=abc-_1&x=2", "application/x-www-form-urlencoded").as_deref(),
            Some("abc-_1")
        );
        assert_eq!(
            first_form_field(b"x=2&csrf_token=abc", "application/x-www-form-urlencoded"),
            None
        );
        let multipart = b"--b\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\ntok\r\n--b--";
        assert_eq!(
            first_form_field(multipart, "multipart/form-data; boundary=b").as_deref(),
            Some("tok")
        );
    }
}
